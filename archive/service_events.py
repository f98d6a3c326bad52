"""Service ends from the billing system: a CSV of 销户 (number closed) and 过户 (number transferred: the
previous holder's service ends) events, header 服务号码,证件号码,事件,事件日期, in UTF-8 or GB18030 as BOSS
and Excel save it (read by records.reconcile's CSV reader). A file with any bad row is refused whole, every
problem named by its line, and nothing is stored. The ID number is stored encrypted with its lookup hash:
a 过户 ends only the files of the holder whose ID number it names (retention.service_ends)."""
import datetime
import hashlib
import unicodedata

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org import access, auditlog
from org.pii import normalise_id
from records.reconcile import SCIENTIFIC, ReportError, _blank, _csv_lines

from .models import ServiceEvent, ServiceEventImport

HEADER = ["服务号码", "证件号码", "事件", "事件日期"]
KINDS = {"销户": ServiceEvent.Kind.CLOSED, "过户": ServiceEvent.Kind.TRANSFER}
EVENT_IMPORTED = "retention.service_events.import"
MAX_PROBLEMS = 50
MAX_BYTES = 20 * 1024 * 1024


def _date(text):
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse(data):
    """Bytes of the file → list of row dicts; ReportError naming every bad line."""
    if not data.strip():
        raise ReportError(["文件为空"])
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReportError(["这是 Excel 文件：请另存为 CSV（UTF-8 或 GB18030）后再导入"])
    lines = _csv_lines(data)
    first = next(lines, None)
    header = [h.strip().lstrip("\ufeff") for h in (first[1] if first else [])]
    while header and not header[-1]:
        header.pop()
    if header != HEADER:
        raise ReportError([f"表头不符：应为 {','.join(HEADER)}"])
    rows, problems = [], []
    for line, values in lines:
        while len(values) > len(HEADER) and _blank(values[-1]):
            values.pop()
        if all(_blank(v) for v in values):
            continue
        if len(values) != len(HEADER):
            problems.append(f"第 {line} 行：应有 {len(HEADER)} 列，实有 {len(values)} 列")
            continue
        number, id_number, kind, day = (unicodedata.normalize("NFKC", v).strip() for v in values)
        if not number.isdigit() or len(number) > 20:
            problems.append(f"第 {line} 行：服务号码“{number[:30]}”不是号码" +
                            ("（科学计数法：Excel 已截断长数字）" if SCIENTIFIC.match(number) else ""))
        if id_number and (SCIENTIFIC.match(id_number) or len(id_number) > 32 or id_number[:1] == "'"):
            problems.append(f"第 {line} 行：证件号码格式错误（科学计数法、单引号或过长）")
        if kind not in KINDS:
            problems.append(f"第 {line} 行：事件“{kind[:20]}”应为 销户 或 过户")
        elif kind == "过户" and not id_number:
            problems.append(f"第 {line} 行：过户须填原机主的证件号码")
        when = _date(day)
        if when is None:
            problems.append(f"第 {line} 行：事件日期“{day[:20]}”无法识别（应如 2024-03-15）")
        elif when > timezone.localdate():
            problems.append(f"第 {line} 行：事件日期 {when} 晚于今天")
        rows.append({"line": line, "service_number": number, "id_number": normalise_id(id_number) if id_number
                     else "", "kind": KINDS.get(kind), "date": when})
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise ReportError(problems[:MAX_PROBLEMS])
    if not rows:
        raise ReportError(["文件只有表头，没有数据行"])
    return rows


def import_events(actor, data, source_name, request=None):
    """Store every event of the file, or none. PermissionDenied unless `actor` (None: the system) may
    `retention.import`."""
    if actor is not None and not access.can(actor, "retention.import"):
        raise PermissionDenied(_("You may not import service events."))
    if len(data) > MAX_BYTES:
        raise ReportError([f"文件超过允许的 {MAX_BYTES // 2 ** 20} MB，未导入"])
    rows = parse(data)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        existing = ServiceEventImport.objects.filter(sha256=digest).first()
        if existing:
            raise ReportError([f"该文件已于 {timezone.localtime(existing.imported_at):%Y-%m-%d %H:%M} 导入"
                               f"（第 {existing.pk} 批）"])
        batch = ServiceEventImport.objects.create(source_name=source_name[:255], sha256=digest, imported_by=actor,
                                                  row_count=len(rows))
        ServiceEvent.objects.bulk_create([ServiceEvent(batch=batch, **row) for row in _with_hashes(rows)],
                                         batch_size=2000)
        auditlog.record(EVENT_IMPORTED, actor=actor, obj=batch, request=request,
                        details={"file": batch.source_name, "rows": len(rows), "sha256": digest,
                                 "closed": sum(r["kind"] == ServiceEvent.Kind.CLOSED for r in rows),
                                 "transfer": sum(r["kind"] == ServiceEvent.Kind.TRANSFER for r in rows)})
    return batch


def _with_hashes(rows):
    """bulk_create skips save(): the encrypted number and its hash are set here."""
    from org.pii import lookup_hash

    for row in rows:
        yield {**row, "id_number_hash": lookup_hash(row["id_number"])}
