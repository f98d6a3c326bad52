"""Reconciliation of paper customer files with the billing system's clerk operation report.

The report is a CSV (UTF-8 or GBK/GB18030, as Chinese Windows and Excel save it) or an .xlsx with the header
below; the electronic detail (电子明细) is read the same way. What Excel does to such files is repaired where
it is safe and refused where the value is lost (see `_cell`): trailing empty columns are ignored, full-width
digits read as ASCII; scientific notation (5.10302E+17), the text prefix ' and, in an .xlsx, a number cell
beyond Excel's 15 significant digits (or with decimals) in a column of digits are refused by line and column,
as is a value longer than its column. Each row is matched to a record by transaction number;
the result lists matched records, report rows with no paper (paper missing), paper with no report row, and
field mismatches naming the field. A file with any bad line is refused whole, every problem named by line,
and nothing is stored.

Once a report is stored, flagged customer names of its files get the report's name as a suggestion that a
person confirms (records/suggest.py).

A report is imported only by someone who may `report.import`, and only with rows of halls inside their
scope for it (a row of another hall, or of no hall at all, is a bad line). A report belongs to the halls of
its rows: `visible_reports` lists only reports with a row of a hall the user may see.
"""
import csv
import datetime
import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from org import access, auditlog
from org.models import Hall
from org.pii import encrypt, lookup_hash, mask, normalise_id

from . import events
from .models import OperatorReport, Record, ReportRow

log = logging.getLogger(__name__)
HEADER = ["受理编号", "受理时间", "营业厅编码", "营业员工号", "业务类型", "服务号码", "客户姓名", "证件类型", "证件号码"]
FIELDS = {"受理编号": "transaction_no", "营业厅编码": "hall_code", "营业员工号": "employee_no",
          "业务类型": "business_type", "服务号码": "service_number", "客户姓名": "customer_name",
          "证件类型": "id_type", "证件号码": "id_number"}
# Columns of digits (and codes): full-width characters read as ASCII (NFKC), and Excel's damage refused.
DIGIT_COLUMNS = {"受理编号", "营业厅编码", "营业员工号", "服务号码", "证件号码"}
NORMALISED = DIGIT_COLUMNS | {"受理时间"}
PRIVATE_COLUMNS = {"证件号码", "客户姓名"}  # never repeated in a message (messages are kept with the job)
ID_NUMBER_MAX = 32  # longer than any ID paper's number; the column itself is encrypted text
MAX_LENGTH = {column: ReportRow._meta.get_field(name).max_length or ID_NUMBER_MAX for column, name in FIELDS.items()}
_LIMITS = [MAX_LENGTH.get(column, 10 ** 9) for column in HEADER]
_DIGIT_INDEXES = {HEADER.index(column) for column in DIGIT_COLUMNS}
SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")
EXCEL_EXACT = 10 ** 15  # Excel keeps 15 significant digits: a larger whole number in a number cell was rounded
_DAMAGED = "无法读取该 Excel 文件（.xlsx 已损坏或不是 Excel 工作簿）"
_REEXPORT = "请在 Excel 中把该列设为“文本”格式后重新导出，或直接使用 BOSS 导出的原始文件"
MAX_PROBLEMS = 50
PROGRESS_EVERY = 5000
BATCH_SIZE = 2000


def max_report_bytes():
    return getattr(settings, "RECONCILE_MAX_REPORT_BYTES", 20 * 1024 * 1024)


def max_report_rows():
    return getattr(settings, "RECONCILE_MAX_REPORT_ROWS", 500_000)


class ReportError(Exception):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("；".join(problems[:5]) + ("……" if len(problems) > 5 else ""))


def _parse_time(text, zone=None):
    if len(text) >= 16 and text[4] == "-":  # the usual "2026-11-02 10:31:00": the fast C parser
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
        return value if value.tzinfo else timezone.make_aware(value, zone)
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return timezone.make_aware(datetime.datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None


def _where(line, index):
    return f"第 {line} 行第 {index + 1} 列（{HEADER[index]}）"


def _excel_number(value, index):
    """A number cell of an .xlsx in a column of digits → (text, problem)."""
    if isinstance(value, float) and not value.is_integer():
        return "", "是带小数的数值：Excel 已改动了原值"
    number = int(value)
    if abs(number) >= EXCEL_EXACT:
        return "", f"是数值且超过 Excel 的 15 位有效数字：原值已被 Excel 改动（{_REEXPORT}）"
    return str(number), None


def _cell(value, index):
    """One value of a row (str from CSV; str, number, datetime or None from .xlsx) → (value, problem)."""
    if type(value) is str:  # the common case, checked at C speed: plain ASCII, no quote, short enough
        text = value.strip()
        if text.isascii() and text[:1] != "'" and len(text) <= _LIMITS[index] and not (
                index in _DIGIT_INDEXES and ("e" in text or "E" in text)):
            return text, None
    column = HEADER[index]
    if value is None:
        return "", None
    if isinstance(value, datetime.datetime):
        if column == "受理时间":
            return value if value.tzinfo else timezone.make_aware(value), None
        value = value.isoformat(sep=" ")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if column in DIGIT_COLUMNS:
            return _excel_number(value, index)
        if column == "受理时间":
            return "", "是数值而不是时间"
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if column in NORMALISED:
        text = unicodedata.normalize("NFKC", text).strip()  # full-width digits and letters as ASCII
    if text[:1] in ("'", "\uff07"):
        return "", f"以单引号 ' 开头：这是 Excel 的文本前缀，不是数据（{_REEXPORT}）"
    if column in DIGIT_COLUMNS and SCIENTIFIC.match(text):
        shown = "" if column in PRIVATE_COLUMNS else f"“{text}”"
        return "", f"{shown}是科学计数法：Excel 已把长数字截断，原值无法恢复（{_REEXPORT}）"
    limit = MAX_LENGTH.get(column)
    if limit and len(text) > limit:
        return "", f"长 {len(text)} 个字符，超过上限 {limit} 个字符"
    return text, None


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _csv_lines(data):
    """(line where the row starts, values) of a CSV in UTF-8 or GB18030/GBK; lines counted as an editor does,
    so a quoted value with line breaks does not shift the numbers of the rows after it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ReportError([f"文件既不是 UTF-8 也不是 GBK/GB18030 编码（第 {exc.start + 1} 字节）："
                               "请从 BOSS 导出 CSV 或 Excel（.xlsx）文件"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    last = 0
    try:
        for values in reader:
            yield last + 1, values
            last = reader.line_num
    except csv.Error as exc:
        raise ReportError([f"第 {last + 1} 行：CSV 格式错误（{exc}）"]) from None


def max_xlsx_unpacked_bytes():
    return getattr(settings, "RECONCILE_MAX_XLSX_UNPACKED_BYTES", 1024 ** 3)


# A cell with a value beyond column Z (a report has 9 columns), and the number of the last row.
_WIDE_CELL = re.compile(rb'c r="[A-Z]{2,3}\d+"[^>]*[^/]>')
_LAST_ROW = re.compile(rb'row r="(\d+)"')


def _xlsx_unpacked(data):
    """Refuse, before calamine reads it, a workbook it would blow up in memory: parts unpacking to more than
    the limit (a zip bomb), or a sheet whose extent (calamine holds every cell of it, empty or not) reaches
    beyond column Z or past the row limit; each scanned at C speed, streaming."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            parts = package.infolist()
            unpacked = sum(part.file_size for part in parts)
            limit = max_xlsx_unpacked_bytes()
            if unpacked > limit:
                raise ReportError([f"Excel 文件解压后有 {unpacked / 2 ** 20:.0f} MB，超过允许的 "
                                   f"{limit / 2 ** 20:.0f} MB，未导入：请按日期分开导出"])
            for part in parts:
                if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                    _sheet_extent(package, part)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        raise ReportError([_DAMAGED]) from None


def _sheet_extent(package, part):
    last, tail = 0, b""
    with package.open(part) as stream:
        while chunk := stream.read(1 << 22):
            window = tail + chunk
            if _WIDE_CELL.search(window):
                raise ReportError([f"工作表在第 Z 列之后还有内容：报表应只有 {len(HEADER)} 列（{','.join(HEADER)}），"
                                   "请删除多余的列后重新导出"])
            rows = _LAST_ROW.findall(window[-65536:])
            last = int(rows[-1]) if rows else last
            tail = window[-256:]
    if last > max_report_rows() + 1:
        raise ReportError([f"工作表有内容直到第 {last} 行，超过 {max_report_rows()} 行，未导入：请删除多余的行"
                           "或按日期分开导出"])


def _broken(exc):
    """A reader's failure on a damaged file: any exception, or a Rust panic (pyo3's PanicException derives
    from BaseException); never KeyboardInterrupt or SystemExit."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _xlsx_lines(data):
    """(row number, values) of the first worksheet of an .xlsx (cached values, no formulas) and the number of
    rows it has (for the progress), read by calamine (Rust): six to ten times faster than openpyxl.

    calamine keeps what the checks need: a text cell stays str ("5.10302E+17" is caught as scientific
    notation), a number cell is a float (an ID number typed as a number is caught beyond 15 digits), a cell
    with a date format is a datetime (a date alone a date, a time alone a time: neither is a 受理时间). The
    sheet is read from A1 (skip_empty_area=False) so row numbers are the ones Excel shows."""
    import python_calamine

    _xlsx_unpacked(data)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [m.name for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    except BaseException as exc:  # zip, XML, format: a damaged package or not a workbook at all
        if not _broken(exc):
            raise
        raise ReportError([_DAMAGED]) from None
    if not sheets:
        raise ReportError(["Excel 文件中没有工作表"])
    try:
        values = book.get_sheet_by_name(sheets[0]).to_python(skip_empty_area=False)
    except BaseException as exc:
        if not _broken(exc):
            raise
        raise ReportError(["无法读取该 Excel 文件（工作表已损坏）"]) from None
    finally:
        book.close()
    return ((line, list(row)) for line, row in enumerate(values, start=1)), max(0, len(values) - 1)


def _source(data):
    """(lines, rows expected) of a report's bytes, by what they are."""
    if data[:4] == b"PK\x03\x04":
        return _xlsx_lines(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReportError(["这是旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx，或从 BOSS 导出 CSV"])
    return _csv_lines(data), max(0, data.count(b"\n") - 1)


def parse(data, progress=None):
    """Bytes of a report (CSV or .xlsx) → list of row dicts; raises ReportError naming every problem by line
    and column. `progress(rows_read, rows_expected)` is called every PROGRESS_EVERY rows."""
    if not data.strip():
        raise ReportError(["文件为空"])
    lines, expected = _source(data)
    is_xlsx = data[:4] == b"PK\x03\x04"
    header_line = next(lines, None)
    header = [("" if h is None else str(h)).strip().lstrip("\ufeff") for h in (header_line[1] if header_line else [])]
    while header and not header[-1]:
        header.pop()  # trailing empty columns (Excel keeps the width of a formatted column)
    if header != HEADER:
        missing = [h for h in HEADER if h not in header]
        extra = [h for h in header if h not in HEADER]
        detail = (f"缺少列：{'、'.join(missing)}" if missing else "") + (f" 多余列：{'、'.join(extra)}" if extra else "")
        raise ReportError([f"表头不符：应为 {','.join(HEADER)}。{detail or '列顺序不同'}"])
    width, limit, zone = len(HEADER), max_report_rows(), timezone.get_current_timezone()
    rows, problems, seen = [], [], {}
    for line, values in lines:
        while len(values) > width and _blank(values[-1]):
            values.pop()
        if all(_blank(v) for v in values):
            continue
        if is_xlsx and len(values) < width:
            values += [None] * (width - len(values))  # an .xlsx row simply ends at its last filled cell
        if len(values) != width:
            problems.append(f"第 {line} 行：应有 {width} 列，实有 {len(values)} 列")
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        row, bad = {}, set()
        for index, value in enumerate(values):
            row[HEADER[index]], problem = _cell(value, index)
            if problem:
                problems.append(f"{_where(line, index)}：{problem}")
                bad.add(HEADER[index])
        if not row["受理编号"]:
            if "受理编号" not in bad:
                problems.append(f"第 {line} 行：受理编号为空")
        elif row["受理编号"] in seen:
            problems.append(f"第 {line} 行：受理编号 {row['受理编号']} 与第 {seen[row['受理编号']]} 行重复")
        seen.setdefault(row["受理编号"], line)
        accepted = row["受理时间"]
        if not isinstance(accepted, datetime.datetime):
            accepted = _parse_time(accepted, zone)
            if accepted is None and "受理时间" not in bad:
                problems.append(f"第 {line} 行：受理时间“{row['受理时间']}”无法识别（应如 2026-11-02 10:31:00）")
        rows.append({"line": line, "accepted_at": accepted, **row})
        if len(problems) >= MAX_PROBLEMS or len(rows) > limit:
            break
        if progress and len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows), max(expected, len(rows)))
    if len(rows) > limit:
        raise ReportError([f"报表超过 {limit} 行，未导入：请按日期分开导出"])
    if problems:
        raise ReportError(problems[:MAX_PROBLEMS])
    if not rows:
        raise ReportError(["文件只有表头，没有数据行"])
    return rows


def too_large():
    limit = max_report_bytes()
    shown = f"{limit / 2 ** 20:.1f} MB" if limit >= 2 ** 20 else f"{limit / 1024:.1f} KB"
    return ReportError([f"文件超过允许的 {shown}，未导入"])


def read_report(fileobj):
    """The bytes of a report file, read in chunks and refused once past the limit (a known size first)."""
    size = getattr(fileobj, "size", None)
    if isinstance(size, int) and size > max_report_bytes():
        raise too_large()
    chunks, total = [], 0
    while chunk := fileobj.read(1024 * 1024):
        total += len(chunk)
        if total > max_report_bytes():
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _outside_scope(actor, rows):
    """Problems for rows of halls the actor may not import for (None: the system, which may all)."""
    if actor is None:
        return []
    allowed = set(access.visible(actor, Hall.objects.all(), "report.import").values_list("code", flat=True))
    return [f"第 {row['line']} 行：营业厅编码“{row['营业厅编码']}”不在您可导入的营业厅内"
            f"（可导入：{'、'.join(sorted(allowed)) or '无'}）"
            for row in rows if row["营业厅编码"] not in allowed][:MAX_PROBLEMS]


def _duplicate(actor, existing):
    known = actor is None or visible_reports(actor).filter(pk=existing.pk).exists()
    return ReportError([f"该报表已于 {timezone.localtime(existing.imported_at):%Y-%m-%d %H:%M} 导入"
                        + (f"（报表 #{existing.pk}）" if known else "")])


def import_report(actor, data, source_name, request=None, progress=None):
    """Store a report for `actor` (None: the system). Refuses the whole file when a line is bad or names a
    hall outside the actor's `report.import` scope; PermissionDenied when the actor may import none.

    The file is read and checked first (nothing written; `progress(done, total, stage)` is told how far);
    then the report, its rows (batched INSERTs, no query per row) and one event are written in one
    transaction."""
    if actor is not None and not access.may(actor, "report.import"):
        raise PermissionDenied("您无权导入营业员操作报表")
    digest = hashlib.sha256(data).hexdigest()
    existing = OperatorReport.objects.filter(sha256=digest).first()
    if existing:
        raise _duplicate(actor, existing)
    rows = parse(data, progress=progress and (lambda done, total: progress(done, total, "reading")))
    problems = _outside_scope(actor, rows)
    if problems:
        raise ReportError(problems)
    if progress:
        progress(len(rows), len(rows), "saving")
    try:
        with transaction.atomic():
            report = OperatorReport.objects.create(source_name=source_name[:255], sha256=digest,
                                                   imported_by=actor, row_count=len(rows))
            _insert_rows(report, rows)
            auditlog.record(events.REPORT_IMPORT, actor=actor, obj=report, request=request,
                            details={"rows": len(rows), "file": source_name, "sha256": digest})
    except IntegrityError:  # the same file imported meanwhile (sha256 is unique)
        existing = OperatorReport.objects.filter(sha256=digest).first()
        if existing is None:
            raise
        raise _duplicate(actor, existing) from None
    _suggest_names(report, actor)
    return report


def _suggest_names(report, actor):
    """Flagged names of the report's records get the report's name as a suggestion (records/suggest.py),
    after the import committed: a failure there is logged and does not undo the import (the OCR of a record
    asks again)."""
    from .suggest import suggest_names

    try:
        suggest_names(Record.objects.filter(transaction_no__in=report.rows.values("transaction_no")), actor=actor)
    except Exception:
        log.exception("names of report %s were not suggested", report.pk)


ROW_COLUMNS = ["report", "line", "transaction_no", "accepted_at", "hall_code", "employee_no", "business_type",
               "service_number", "customer_name", "id_type", "id_number", "id_number_hash"]


def _insert_rows(report, rows, progress=None):
    """INSERT the rows in batches with executemany (PostgreSQL: COPY): Django's bulk_create spends ten times
    longer preparing each value of each object than the database takes to store them. The values are what ReportRow.save()
    would write: the ID number encrypted (org.pii), its lookup hash, the time as the backend stores it."""
    fields = [ReportRow._meta.get_field(name) for name in ROW_COLUMNS]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(ReportRow._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    adapt_time = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: one stream instead of statements (psycopg 3)
            columns = ", ".join(quote(f.column) for f in fields)
            with cursor.cursor.copy(f"COPY {quote(ReportRow._meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_row_values(report.pk, row, adapt_time))
            return
        for first in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, [_row_values(report.pk, row, adapt_time) for row in rows[first:first + BATCH_SIZE]])


def _row_values(report_id, row, adapt_time):
    number = normalise_id(row["证件号码"]) if row["证件号码"] else ""
    return (report_id, row["line"], row["受理编号"], adapt_time(row["accepted_at"]), row["营业厅编码"], row["营业员工号"],
            row["业务类型"], row["服务号码"], row["客户姓名"], row["证件类型"], encrypt(number) if number else "",
            lookup_hash(number))


def visible_reports(user, action="record.view"):
    """The reports with at least one row of a hall `user` may see for `action` (narrowed in the query)."""
    if access.scope(user, action).everything:
        return OperatorReport.objects.all()
    codes = access.visible(user, Hall.objects.all(), action).values("code")
    return OperatorReport.objects.filter(pk__in=ReportRow.objects.filter(hall_code__in=codes).values("report"))


@dataclass
class Reconciliation:
    matched: list = field(default_factory=list)          # records whose report row agrees
    paper_missing: list = field(default_factory=list)    # report rows with no record
    no_report_row: list = field(default_factory=list)    # records with no report row
    mismatches: list = field(default_factory=list)       # (record, row, [field names])

    @property
    def clean(self):
        return not (self.paper_missing or self.no_report_row or self.mismatches)


def _id_type_labels():
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in Record.IdType.choices}


class Difference(str):
    """A differing field, named by its report column, with the value on paper and in the report (ID numbers
    masked). It is the column name wherever a string is expected (joins, JSON)."""

    def __new__(cls, name, paper, report):
        difference = super().__new__(cls, name)
        difference.paper, difference.report = paper, report
        return difference

    def as_dict(self):
        return {"field": str(self), "paper": self.paper, "report": self.report}


def _shown(value):
    return value.isoformat() if isinstance(value, datetime.date) else (value or "")


def differences(record, row, id_labels=None):
    id_labels = id_labels or _id_type_labels()
    pairs = {
        "营业厅编码": (record.hall.code, row.hall_code),
        "营业员工号": (record.clerk.employee_no or "", row.employee_no),
        "受理时间": (record.business_date, timezone.localtime(row.accepted_at).date()),
        "业务类型": (record.business_type, row.business_type),
        "服务号码": (record.service_number, row.service_number),
        "客户姓名": (record.customer_name, row.customer_name),
        "证件类型": (id_labels.get(record.id_type), row.id_type),
    }
    found = [Difference(name, _shown(paper), _shown(report)) for name, (paper, report) in pairs.items()
             if paper != report]
    reported_id = normalise_id(row.id_number) if row.id_number else ""
    same_id = record.id_number_hash == lookup_hash(reported_id) if reported_id else not record.id_number
    if not same_id:
        found.append(Difference("证件号码", mask(record.id_number) or "", mask(reported_id) or ""))
    return found


def reconcile(rows, records):
    """Compare report rows with records (both already narrowed to the halls and days being checked)."""
    rows = list(rows)
    by_no = {r.transaction_no: r for r in rows}
    result = Reconciliation()
    labels = _id_type_labels()
    seen = set()
    for record in records.select_related("hall", "clerk").order_by("transaction_no"):
        row = by_no.get(record.transaction_no)
        if row is None:
            result.no_report_row.append(record)
            continue
        seen.add(record.transaction_no)
        diff = differences(record, row, labels)
        (result.mismatches.append((record, row, diff)) if diff else result.matched.append(record))
    result.paper_missing = sorted((r for r in rows if r.transaction_no not in seen), key=lambda r: r.transaction_no)
    return result


def reconcile_report(report, user=None):
    """A report against the records of the same halls and days, as `user` may see it (None: the system, all).
    Both sides are narrowed in the query: the user's records, and unless their scope is city-wide only the
    report rows of their halls."""
    records, rows = Record.objects.all(), report.rows.all()
    if user is not None:
        records = access.visible(user, records)
        if not access.can(user, "record.view"):  # not city-wide
            rows = rows.filter(hall_code__in=access.visible(user, Hall.objects.all()).values("code"))
    rows = list(rows)
    days = {timezone.localtime(r.accepted_at).date() for r in rows}
    records = records.filter(hall__code__in={r.hall_code for r in rows}, business_date__in=days)
    return reconcile(rows, records)
