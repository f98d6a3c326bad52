"""Reconciliation of paper customer files with the billing system's clerk operation report.

The report is a UTF-8 CSV with the header below. Each row is matched to a record by transaction number;
the result lists matched records, report rows with no paper (paper missing), paper with no report row, and
field mismatches naming the field. A file with any bad line is refused whole, every problem named by line,
and nothing is stored.

A report is imported only by someone who may `report.import`, and only with rows of halls inside their
scope for it (a row of another hall, or of no hall at all, is a bad line). A report belongs to the halls of
its rows: `visible_reports` lists only reports with a row of a hall the user may see.
"""
import csv
import datetime
import hashlib
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation

from org import access, auditlog
from org.models import Hall
from org.pii import lookup_hash, mask, normalise_id

from .models import OperatorReport, Record, ReportRow

HEADER = ["受理编号", "受理时间", "营业厅编码", "营业员工号", "业务类型", "服务号码", "客户姓名", "证件类型", "证件号码"]
MAX_PROBLEMS = 50


def max_report_bytes():
    return getattr(settings, "RECONCILE_MAX_REPORT_BYTES", 20 * 1024 * 1024)


class ReportError(Exception):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("；".join(problems[:5]) + ("……" if len(problems) > 5 else ""))


def _parse_time(text):
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return timezone.make_aware(datetime.datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None


def parse(data):
    """Bytes of a report → list of row dicts; raises ReportError naming every problem."""
    if not data.strip():
        raise ReportError(["文件为空"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportError([f"文件不是 UTF-8 编码（第 {exc.start + 1} 字节）：请从 BOSS 按 UTF-8 导出"]) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if header != HEADER:
        missing = [h for h in HEADER if h not in header]
        extra = [h for h in header if h not in HEADER]
        detail = (f"缺少列：{'、'.join(missing)}" if missing else "") + (f" 多余列：{'、'.join(extra)}" if extra else "")
        raise ReportError([f"表头不符：应为 {','.join(HEADER)}。{detail or '列顺序不同'}"])
    rows, problems, seen = [], [], {}
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(HEADER):
            problems.append(f"第 {line} 行：应有 {len(HEADER)} 列，实有 {len(values)} 列")
            continue
        row = dict(zip(HEADER, (v.strip() for v in values)))
        if not row["受理编号"]:
            problems.append(f"第 {line} 行：受理编号为空")
        elif row["受理编号"] in seen:
            problems.append(f"第 {line} 行：受理编号 {row['受理编号']} 与第 {seen[row['受理编号']]} 行重复")
        seen.setdefault(row["受理编号"], line)
        accepted = _parse_time(row["受理时间"])
        if accepted is None:
            problems.append(f"第 {line} 行：受理时间“{row['受理时间']}”无法识别（应如 2026-11-02 10:31:00）")
        rows.append({"line": line, "accepted_at": accepted, **row})
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise ReportError(problems)
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


@transaction.atomic
def import_report(actor, data, source_name, request=None):
    """Store a report for `actor` (None: the system). Refuses the whole file when a line is bad or names a
    hall outside the actor's `report.import` scope; PermissionDenied when the actor may import none."""
    if actor is not None and not access.may(actor, "report.import"):
        raise PermissionDenied("您无权导入营业员操作报表")
    digest = hashlib.sha256(data).hexdigest()
    existing = OperatorReport.objects.filter(sha256=digest).first()
    if existing:
        known = actor is None or visible_reports(actor).filter(pk=existing.pk).exists()
        raise ReportError([f"该报表已于 {timezone.localtime(existing.imported_at):%Y-%m-%d %H:%M} 导入"
                           + (f"（报表 #{existing.pk}）" if known else "")])
    rows = parse(data)
    problems = _outside_scope(actor, rows)
    if problems:
        raise ReportError(problems)
    report = OperatorReport.objects.create(source_name=source_name[:255], sha256=digest, imported_by=actor,
                                           row_count=len(rows))
    for row in rows:
        ReportRow(report=report, line=row["line"], transaction_no=row["受理编号"], accepted_at=row["accepted_at"],
                  hall_code=row["营业厅编码"], employee_no=row["营业员工号"], business_type=row["业务类型"],
                  service_number=row["服务号码"], customer_name=row["客户姓名"], id_type=row["证件类型"],
                  id_number=row["证件号码"]).save()
    auditlog.record("report.import", actor=actor, obj=report, request=request,
                    details={"rows": len(rows), "file": source_name, "sha256": digest})
    return report


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
