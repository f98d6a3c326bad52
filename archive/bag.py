"""Archival packages (归档信息包) of a volume as BagIt bags (RFC 8493), written and checked with the `bagit`
library.

    <volume number>/
      bagit.txt, bag-info.txt (Payload-Oxum and the package's counts), manifest-sha256.txt, tagmanifest-sha256.txt
      data/files/NN-<transaction no>/master-1.<ext>, access.pdf     the masters and access copies, by position
      data/files/volume.pdf                                          the volume as bound (when it can be made)
      data/metadata/files/...xml                                     one XML record per file (same path + .xml)
      data/metadata/volume.xml                                       the volume and its files in order
      data/log/events.jsonl                                          the volume's slice of the event log
      data/handover/forms.json                                       its handover forms and their signatures
      data/loans/loans.json                                          its look-ups and loans (archive/loans.py)

Every file is copied from the storage while it is hashed; a file whose bytes no longer have their recorded
SHA-256 stops the export (a package must not carry a damaged file as if it were sound). ID numbers are
masked unless an acting user whose role allows the full number asks for them (each such view is logged by
org.pii.reveal). All text from users goes through xml.etree, which escapes it; characters XML cannot carry
are dropped. The export is an event-log row; a package is checked by `check`.
"""
import datetime
import hashlib
import json
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import bagit
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from org import auditlog, pii
from org.auditlog import GENESIS, row_hash
from org.auditlog_models import AuditEvent
from records import fixity
from records.models import Record, StoredObject
from records.storage import customer_files, volume_pdf_name

from . import dat70, events, printing
from .base import ChainError
from .models import HandoverForm, Signature, Volume
from .signatures import document_type

NAMESPACE = "urn:records:archive:package:1"
KIND = StoredObject.Kind
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class PackageError(Exception):
    """The package cannot be written; the message says why, in Chinese."""


def _text(value):
    if value is None:
        return ""
    return _NOT_XML.sub("", str(value))


def _sub(parent, tag, value=None, **attrs):
    node = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items() if v is not None})
    if value is not None:
        node.text = _text(value)
    return node


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "_"


def _write_xml(root, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


# --- the volume PDF: stored once, with its fixity value -------------------------------------------------

def volume_pdf_object(volume):
    """The volume's stored PDF (made and stored at its first export), or None when it cannot be made (a file
    without an access copy: printing says which)."""
    existing = (StoredObject.objects.filter(volume_number=volume.number, kind=KIND.VOLUME_PDF)
                .order_by("-recorded_at", "-pk").first())
    if existing:
        return existing
    with tempfile.TemporaryFile(dir=_tmp()) as fh:
        try:
            printing.write_volume_pdf(volume, fh)
        except ChainError:
            return None
        fh.seek(0)
        digest, size = fixity.file_digest(fh)
        fh.seek(0)
        key = customer_files().save(volume_pdf_name(_safe(volume.number)), File(fh))
    with transaction.atomic():
        fixity.register(key, KIND.VOLUME_PDF, digest, size, volume_number=volume.number)
    return StoredObject.objects.get(key=key)


def _tmp():
    from records.intake import tmp_dir

    return tmp_dir()


# --- writing ------------------------------------------------------------------------------------------

@dataclass
class Written:
    path: Path
    files: int = 0
    bytes: int = 0
    volume_pdf: bool = False
    loans: int = 0


class Exporter:
    def __init__(self, volume, root, actor=None, reveal_ids=False):
        self.volume, self.root = volume, root
        self.actor, self.reveal_ids = actor, reveal_ids
        self.data = root
        self.files = []  # (relative path under data/, size)
        self.problems = []

    def copy(self, stored, relative):
        """Copy a stored object into the payload, hashing it; a mismatch is a problem."""
        target = self.data / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with customer_files().open(stored.key, "rb") as src, open(target, "wb") as out:
                digest, size = _copy(src, out)
        except Exception as exc:
            kind = fixity._classify(exc)
            self.problems.append(f"{relative}：{'存储中缺失' if kind is fixity.Missing else '无法读取'}")
            return None
        if stored.sha256 and digest != stored.sha256:
            self.problems.append(f"{relative}：内容与登记的 SHA-256 不符（{stored.sha256} ≠ {digest}）")
        self.files.append((relative, size))
        return digest, size

    def record_element(self, parent, record):
        node = _sub(parent, "record")
        _sub(node, "transactionNo", record.transaction_no)
        _sub(node, "businessDate", record.business_date.isoformat() if record.business_date else "")
        _sub(node, "businessType", record.business_type)
        _sub(node, "category", record.category, label=record.get_category_display() if record.category else "")
        _sub(node, "hall", record.hall.code, name=record.hall.name)
        _sub(node, "clerk", record.clerk.username)
        _sub(node, "customerName", record.customer_name)
        _sub(node, "serviceNumber", record.service_number)
        _sub(node, "idType", record.id_type, label=record.get_id_type_display())
        if self.reveal_ids:
            _sub(node, "idNumber", pii.reveal(self.actor, record, purpose="package_export"),
                 masked="false" if pii.may_reveal(self.actor, record) else "true")
        else:
            _sub(node, "idNumber", record.id_number_masked, masked="true")
        _sub(node, "pageCount", record.page_count)
        _sub(node, "channel", record.channel)
        _sub(node, "status", record.status, label=record.get_status_display())
        return node

    def file_xml(self, relative, role, stored, digest, size, record=None, code="", scan=None):
        root = ET.Element("file", {"xmlns": NAMESPACE})
        _sub(root, "archivalCode", code)
        _sub(root, "path", relative)
        _sub(root, "role", role, label={"master": "保存版", "access": "利用版", "volume_pdf": "卷PDF"}[role])
        _sub(root, "format", scan.kind if scan else "pdf")
        _sub(root, "size", size)
        _sub(root, "sha256", digest)
        fixity_node = _sub(root, "fixity", recordedSha256=stored.sha256, recordedSize=stored.size)
        _sub(fixity_node, "recordedAt", stored.recorded_at.isoformat())
        _sub(fixity_node, "lastChecked", stored.last_checked.isoformat() if stored.last_checked else "",
             result=stored.last_result or "pending")
        if scan is not None:
            _sub(root, "originalName", scan.original_name)
            _sub(root, "pageCount", scan.page_count)
            capture = _sub(root, "capture", standard="DA/T 31-2017")
            for page in scan.capture or []:
                node = _sub(capture, "page", number=page.get("page"))
                for name in ("dpi", "colour_mode", "compression", "device", "software", "captured_at", "operator",
                             "batch"):
                    value = page.get(name)
                    if isinstance(value, list):
                        value = "x".join(str(v) for v in value)
                    _sub(node, name, value if value is not None else "", known="false" if value is None else "true")
        if record is not None:
            self.record_element(root, record)
            if role != "master":
                pages = _sub(root, "pageChecks", standard="DA/T 31-2017")
                for page in record.pages.order_by("number"):
                    node = _sub(pages, "page", number=page.number, dpi=page.dpi, skew=round(page.skew, 2),
                                inkRatio=round(page.ink_ratio, 4),
                                confidence=None if page.confidence is None else round(page.confidence, 3))
                    for warning in page.warnings or []:
                        _sub(node, "warning", warning if isinstance(warning, str) else json.dumps(
                            warning, ensure_ascii=False))
                    for problem in page.problems or []:
                        _sub(node, "problem", problem if isinstance(problem, str) else json.dumps(
                            problem, ensure_ascii=False))
        _write_xml(root, self.data / "metadata" / (relative + ".xml"))

    def write(self):
        volume = self.volume
        items = list(volume.items.select_related("record", "record__hall", "record__clerk").order_by("position"))
        records = [item.record for item in items]
        objects = {o.key: o for o in StoredObject.objects.filter(record__in=records)}
        vol = ET.Element("volume", {"xmlns": NAMESPACE})
        for name, value in (("number", volume.number), ("hall", volume.hall.code), ("category", volume.category),
                            ("year", volume.year), ("month", volume.month), ("sequence", volume.seq),
                            ("status", volume.status), ("closedShortReason", volume.closed_short_reason),
                            ("fileCount", len(items))):
            _sub(vol, name, value)
        listed = _sub(vol, "files")
        for item in items:
            record, code = item.record, dat70.archival_code(volume, item.position)
            folder = f"files/{item.position:02d}-{_safe(record.transaction_no or f'id{record.pk}')}"
            entry = _sub(listed, "file", archivalCode=code, position=item.position)
            self.record_element(entry, record)
            for n, scan in enumerate(record.scans.order_by("pk"), start=1):
                stored = objects.get(scan.master.name)
                if stored is None:
                    self.problems.append(f"{code}：保存版没有固定性记录")
                    continue
                ext = Path(scan.master.name).suffix.lower() or ".bin"
                relative = f"{folder}/master-{n}{ext}"
                copied = self.copy(stored, relative)
                if copied:
                    self.file_xml(relative, "master", stored, *copied, record=record, code=code, scan=scan)
                    _sub(entry, "master", relative)
            if record.access_copy:
                stored = objects.get(record.access_copy.name)
                if stored is None:
                    self.problems.append(f"{code}：利用版没有固定性记录")
                else:
                    relative = f"{folder}/access.pdf"
                    copied = self.copy(stored, relative)
                    if copied:
                        self.file_xml(relative, "access", stored, *copied, record=record, code=code)
                        _sub(entry, "access", relative)
        stored = volume_pdf_object(volume)
        self.volume_pdf = stored is not None
        if stored is not None:
            copied = self.copy(stored, "files/volume.pdf")
            if copied:
                self.file_xml("files/volume.pdf", "volume_pdf", stored, *copied, code=volume.number)
                _sub(vol, "volumePdf", "files/volume.pdf")
        _write_xml(vol, self.data / "metadata" / "volume.xml")
        self.write_log(records)
        self.write_forms(records)
        self.loans = self.write_loans(records)

    def write_log(self, records):
        forms = HandoverForm.objects.filter(volumes=self.volume).values_list("pk", flat=True)
        clerk_forms = HandoverForm.objects.filter(records__in=records).values_list("pk", flat=True)
        rows = (AuditEvent.objects.filter(object_type="records.record", object_id__in=[str(r.pk) for r in records])
                | AuditEvent.objects.filter(object_type="archive.volume", object_id=str(self.volume.pk))
                | AuditEvent.objects.filter(object_type="archive.handoverform",
                                            object_id__in=[str(pk) for pk in {*forms, *clerk_forms}]))
        path = self.data / "log" / "events.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            for row in rows.distinct().order_by("seq").iterator():
                out.write(json.dumps(log_row(row), ensure_ascii=False, sort_keys=True) + "\n")

    def write_forms(self, records):
        forms = (HandoverForm.objects.filter(volumes=self.volume) | HandoverForm.objects.filter(records__in=records))
        out = []
        for form in forms.distinct().select_related("hall", "branch", "giver", "receiver").order_by("created_at", "pk"):
            signatures = Signature.objects.filter(document_type=document_type(form), document_id=form.pk).order_by("pk")
            out.append({
                "id": form.pk, "kind": form.kind, "kind_label": str(form.get_kind_display()),
                "status": form.status, "status_label": str(form.get_status_display()),
                "hall": form.hall.code if form.hall else "", "branch": form.branch.code,
                "day": form.day.isoformat() if form.day else None, "year": form.year, "month": form.month,
                "giver": form.giver.username, "receiver": form.receiver.username if form.receiver else "",
                "figures": form.figures, "reason": form.reason, "notes": form.notes,
                "volumes": sorted(form.volumes.values_list("number", flat=True)),
                "created_at": form.created_at.isoformat(), "replaces": form.replaces_id,
                "signatures": [{"slot": s.slot, "signer": s.signer.username, "signed_at": s.signed_at.isoformat(),
                                "content_sha256": s.content_sha256, "event_seq": s.event_seq} for s in signatures],
            })
        path = self.data / "handover" / "forms.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")

    def write_loans(self, records):
        """The volume's look-ups and loans (archive/loans.py): every request that named the volume or one of its
        files, with its items, its copies and who decided, issued and took it back (names as the register
        shows them; no personal data of customers)."""
        from django.db.models import Q

        from .custody_models import Loan

        loans = (Loan.objects.filter(Q(items__volume=self.volume) | Q(items__record__in=records)).distinct()
                 .select_related("requester", "decided_by", "issued_by").prefetch_related("items", "copies"))
        rows = []
        for loan in loans:
            row = {f.attname: _plain(getattr(loan, f.attname)) for f in Loan._meta.concrete_fields}
            row["items"] = [{"volume": item.volume.number if item.volume_id else None, "record": item.record_id}
                            for item in loan.items.all()]
            row["copies"] = [{f.attname: _plain(getattr(copy, f.attname)) for f in copy._meta.concrete_fields}
                             for copy in loan.copies.all()]
            rows.append(row)
        path = self.data / "loans" / "loans.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"loans": rows}, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return len(rows)


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    return str(value)


def _copy(src, out):
    digest, size = hashlib.sha256(), 0
    while chunk := src.read(fixity.CHUNK):
        digest.update(chunk)
        out.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _masked(value):
    """Free text of the log with ID-like numbers masked (org.pii.mask_text), recursively."""
    if isinstance(value, str):
        return pii.mask_text(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def log_row(row):
    """One event-log row as the package keeps it; "masked" when what is shown differs from what was hashed
    (then its hash can be checked against its neighbours only)."""
    shown_repr = row.get_object_repr_display()
    shown_details = _masked(row.get_details_display())
    return {"seq": row.seq, "at": row.created_at.isoformat(timespec="microseconds"), "actor": row.actor_name,
            "action": row.action, "type": row.object_type, "id": row.object_id, "repr": shown_repr,
            "details": shown_details, "ip": row.ip_address, "prev_hash": row.prev_hash, "hash": row.hash,
            "masked": shown_repr != row.object_repr or shown_details != row.details}


def export(volume, to, actor=None, actor_name="", reveal_ids=False):
    """Write the volume's package into the folder `to`; returns Written. Raises PackageError."""
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    final = to / _safe(volume.number)
    if final.exists():
        raise PackageError(f"目标已存在：{final}（请换一个目录或先移走它）")
    work = Path(tempfile.mkdtemp(prefix=f".{_safe(volume.number)}-", dir=to))
    try:
        exporter = Exporter(volume, work, actor=actor, reveal_ids=reveal_ids)
        exporter.write()
        if exporter.problems:
            raise PackageError("卷 %s 的文件与登记的固定性值不符，未导出：%s" % (volume.number,
                                                                     "；".join(exporter.problems[:20])))
        count = len(exporter.files)
        total = sum(size for _, size in exporter.files)
        info = {
            "Source-Organization": settings.WAGTAIL_SITE_NAME,
            "External-Identifier": volume.number,
            "External-Description": f"卷 {volume.number}（{volume.hall.code}，{volume.get_category_display()}，"
                                    f"{volume.year}-{volume.month:02d}）的归档信息包",
            "Internal-Sender-Identifier": str(volume.pk),
            "Bagging-Date": timezone.localdate().isoformat(),
            "Archive-Record-Count": str(volume.items.count()),
            "Archive-File-Count": str(count),
            "Archive-File-Bytes": str(total),
            "Archive-Volume-PDF": "yes" if exporter.volume_pdf else "no",
            "Archive-ID-Numbers": "full" if reveal_ids else "masked",
        }
        info["Archive-Loan-Count"] = str(exporter.loans)
        bagit.make_bag(str(work), info, processes=1, checksums=["sha256"])
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    written = Written(final, files=count, bytes=total, volume_pdf=exporter.volume_pdf, loans=exporter.loans)
    with transaction.atomic():
        auditlog.record(events.PACKAGE_EXPORT, actor=actor, actor_name=None if actor else actor_name, obj=volume,
                        details={"package": final.name, "files": count, "bytes": total,
                                 "oxum": f"{total}.{_payload_files(final)}", "ids": info["Archive-ID-Numbers"]})
    return written


def _payload_files(bag_dir):
    return sum(1 for p in (Path(bag_dir) / "data").rglob("*") if p.is_file())


# --- checking -----------------------------------------------------------------------------------------

@dataclass
class CheckResult:
    problems: list = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    records: int = 0
    volume: str = ""
    compared_with_database: bool = False

    @property
    def ok(self):
        return not self.problems


def _validation_lines(error):
    lines = []
    for detail in getattr(error, "details", None) or []:
        if isinstance(detail, bagit.ChecksumMismatch):
            lines.append(f"清单校验失败：{detail.path} 的 {detail.algorithm} 应为 {detail.expected}，实为 {detail.found}")
        elif isinstance(detail, bagit.FileMissing):
            lines.append(f"清单中的文件缺失：{detail.path}")
        elif isinstance(detail, bagit.UnexpectedFile):
            lines.append(f"清单之外的文件：{detail.path}")
        else:
            lines.append(f"校验失败：{detail}")
    if not lines:
        text = str(error)
        if "Payload-Oxum" in text:
            lines.append(f"Payload-Oxum 不符：{text}")
        else:
            lines.append(f"BagIt 校验失败：{text}")
    return lines


def check(path, compare=True):
    """Validate the bag at `path` against its manifests (bagit) and the integrity checks; with `compare`,
    also against the database when the volume is here (a round trip matches counts and hashes)."""
    result = CheckResult()
    path = Path(path)
    try:
        bag = bagit.Bag(str(path))
    except bagit.BagError as exc:
        result.problems.append(f"不是有效的 BagIt 信息包：{exc}")
        return result
    try:
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        result.problems += _validation_lines(exc)
    data = path / "data"
    result.volume = bag.info.get("External-Identifier", "")
    files = _check_file_records(data, result)
    expected = (bag.info.get("Archive-File-Count"), bag.info.get("Archive-File-Bytes"))
    if expected != (str(result.files), str(result.bytes)):
        result.problems.append(f"文件数或总字节数不符：bag-info 记为 {expected[0]} 个 {expected[1]} 字节，"
                               f"元数据记录为 {result.files} 个 {result.bytes} 字节")
    _check_volume_record(data, bag, result)
    _check_log(data, result)
    if compare and result.volume:
        _compare_with_database(result, files)
    return result


def _check_file_records(data, result):
    """Every file's XML record against the file itself; returns {(role, archival code): sha256}."""
    seen = {}
    metadata = data / "metadata" / "files"
    listed = sorted(metadata.rglob("*.xml")) if metadata.exists() else []
    payload = sorted(p.relative_to(data).as_posix() for p in (data / "files").rglob("*") if p.is_file()) \
        if (data / "files").exists() else []
    described = set()
    for xml_path in listed:
        try:
            root = ET.parse(xml_path).getroot()
        except ET.ParseError:
            result.problems.append(f"元数据记录无法解析：{xml_path.relative_to(data).as_posix()}")
            continue
        ns = {"p": NAMESPACE}
        relative = root.findtext("p:path", "", ns)
        role = root.findtext("p:role", "", ns)
        code = root.findtext("p:archivalCode", "", ns)
        sha = root.findtext("p:sha256", "", ns)
        size = root.findtext("p:size", "", ns)
        fmt = root.findtext("p:format", "", ns)
        described.add(relative)
        target = data / relative
        if not target.is_file():
            result.problems.append(f"{code}：元数据记录的文件缺失：{relative}")
            continue
        with open(target, "rb") as fh:
            digest, actual = fixity.file_digest(fh)
        if digest != sha:
            result.problems.append(f"{code}：{relative} 的 SHA-256 与元数据记录不符")
        if str(actual) != size:
            result.problems.append(f"{code}：{relative} 的大小与元数据记录不符（{size} ≠ {actual}）")
        if fmt not in dat70.ALLOWED_FORMATS:
            result.problems.append(f"{code}：{relative} 的格式 {fmt} 不在允许的格式清单内")
        if relative.lower().endswith(".pdf"):
            problem = _pdf_problem(target)
            if problem:
                result.problems.append(f"{code}：{relative} {problem}")
        record = root.find("p:record", ns)
        if record is not None:
            for tag, label in (("transactionNo", "受理编号"), ("businessDate", "业务日期"), ("category", "类别")):
                if not record.findtext(f"p:{tag}", "", ns):
                    result.problems.append(f"{code}：缺少必填元数据：{label}")
        result.files += 1
        result.bytes += actual
        seen[(role, code, relative)] = digest
    for relative in payload:
        if relative not in described:
            result.problems.append(f"文件没有元数据记录：{relative}")
    return seen


def _pdf_problem(path):
    try:
        with open(path, "rb") as fh:
            reader = PdfReader(fh, strict=False)
            if reader.is_encrypted:
                return "是加密的PDF"
            if len(reader.pages) == 0:
                return "PDF没有页面"
    except Exception:
        return "PDF无法打开"
    return ""


def _check_volume_record(data, bag, result):
    path = data / "metadata" / "volume.xml"
    if not path.is_file():
        result.problems.append("缺少卷的元数据记录 metadata/volume.xml")
        return
    ns = {"p": NAMESPACE}
    root = ET.parse(path).getroot()
    number = root.findtext("p:number", "", ns)
    if number != result.volume:
        result.problems.append(f"卷号不符：bag-info 为 {result.volume}，卷元数据为 {number}")
    if not dat70.VOLUME_NUMBER.match(number or ""):
        result.problems.append(f"档号格式不符：{number}")
    entries = root.findall("p:files/p:file", ns)
    positions = [int(e.get("position", "0")) for e in entries]
    if positions != list(range(1, len(positions) + 1)):
        result.problems.append(f"卷内序号不连续：{positions}")
    codes = [e.get("archivalCode") for e in entries]
    if len(set(codes)) != len(codes):
        result.problems.append("档号不唯一")
    result.records = len(entries)
    if str(len(entries)) != root.findtext("p:fileCount", "", ns) or \
            str(len(entries)) != bag.info.get("Archive-Record-Count"):
        result.problems.append("卷内文件份数与记录不符")


class _Row:
    def __init__(self, row):
        self.seq, self.actor_name, self.action = row["seq"], row["actor"], row["action"]
        self.created_at = datetime.datetime.fromisoformat(row["at"])
        self.object_type, self.object_id, self.object_repr = row["type"], row["id"], row["repr"]
        self.details, self.ip_address = row["details"], row["ip"]


def _check_log(data, result):
    path = data / "log" / "events.jsonl"
    if not path.is_file():
        result.problems.append("缺少事件日志 log/events.jsonl")
        return
    previous = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            row = json.loads(line)
        except ValueError:
            result.problems.append(f"事件日志第 {number} 行无法解析")
            continue
        if not row.get("masked") and row_hash(row["prev_hash"], _Row(row)) != row["hash"]:
            result.problems.append(f"事件日志 #{row['seq']} 的内容与其哈希值不符")
        if row["seq"] == 1 and row["prev_hash"] != GENESIS:
            result.problems.append("事件日志 #1 的链接无效")
        if previous and previous["seq"] + 1 == row["seq"] and previous["hash"] != row["prev_hash"]:
            result.problems.append(f"事件日志 #{row['seq']} 与前一条记录的哈希链接断开")
        previous = row


def _compare_with_database(result, files):
    """A round trip: the package's masters and access copies against what the archive holds now."""
    volume = Volume.objects.filter(number=result.volume).first()
    if volume is None:
        return
    result.compared_with_database = True
    records = Record.objects.filter(volume_item__volume=volume)
    if records.count() != result.records:
        result.problems.append(f"与系统不符：系统中卷内 {records.count()} 份文件，信息包 {result.records} 份")
    here = sorted(StoredObject.objects.filter(record__in=records, kind__in=[KIND.MASTER, KIND.ACCESS])
                  .values_list("kind", "sha256"))
    there = sorted((role, sha) for (role, _, _), sha in files.items() if role in (KIND.MASTER, KIND.ACCESS))
    if here != there:
        missing = len(set(here) - set(there))
        extra = len(set(there) - set(here))
        result.problems.append(f"与系统不符：保存版和利用版的哈希值不一致（系统有而信息包无 {missing} 个，"
                               f"信息包有而系统无 {extra} 个）")


def read_info(path):
    return bagit.Bag(str(path)).info


def as_dict(result):
    return {"ok": result.ok, "volume": result.volume, "files": result.files, "bytes": result.bytes,
            "records": result.records, "compared_with_database": result.compared_with_database,
            "problems": result.problems}

