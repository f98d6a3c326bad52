"""DA/T 70-2018 四性检测 of a volume as coded checks: authenticity, integrity, usability and security.

Run before a volume leaves the hall or the branch (archive/handover.py: a failure refuses the handover and
the message says which check failed and why), on demand (`manage.py dat70_check`), and on a package
(`import_package --check`, archive/bag.py, which checks the package's own copy of the same facts).

- authenticity (真实性): every stored object has a well-formed recorded SHA-256 and, when the files are read
  (`read_files`), its bytes still have it; the metadata have their types and ranges (dates, categories, hall
  and month of the volume); the 档号 (volume number, and volume number + position per file) has its format and
  is unique.
- integrity (完整性): the files counted in the volume are continuous 1..n, n is 30 unless the volume was closed
  short; every file has its required metadata, its masters and its access copy (a file entered by hand has
  no scan); the recorded sizes add up to what is stored.
- usability (可用性): formats on the allowed list; PDFs open and are not encrypted (when the files are read).
- security (安全性): the event log's rows about the files and the volume are intact links of the hash chain
  (each row's hash covers its content and its predecessor's hash), and each master's hash is the one its
  receipt wrote into the log.

At a handover the files are read inside the step's transaction under the volumes' row locks only (never
the event log's chain-head lock: nothing is logged before the check), with the S3 client's timeouts; a
refusal rolls the step back and is then logged in a transaction of its own (`log_refusal`).
"""
import hashlib
import re
import tempfile
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from org import auditlog
from org.auditlog import GENESIS, row_hash
from org.auditlog_models import AuditEvent
from records import fixity
from records.models import Record, Scan, StoredObject
from records.storage import customer_files

from . import events
from .base import ChainError
from .models import VOLUME_SIZE, Volume

PROPERTIES = {"authenticity": "真实性", "integrity": "完整性", "usability": "可用性", "security": "安全性"}
ALLOWED_FORMATS = {"pdf", "tiff", "jpeg", "png"}  # DA/T 31 / DA/T 47: the formats intake accepts
EXTENSIONS = {"pdf": {".pdf"}, "tiff": {".tif", ".tiff"}, "jpeg": {".jpg", ".jpeg"}, "png": {".png"}}
SPOOL_BYTES = 16 * 1024 * 1024  # a file read for the checks is kept in memory up to this size, on disk beyond
SHA256 = re.compile(r"^[0-9a-f]{64}$")
VOLUME_NUMBER = re.compile(r"^(?P<hall>[A-Za-z0-9]+)-(?P<year>\d{4})-(?P<cat>QS|ZH|XY)-(?P<seq>\d{3,})$")
REQUIRED = (("transaction_no", "受理编号"), ("business_date", "业务日期"), ("category", "类别"),
            ("business_type", "业务类型"))


@dataclass
class Finding:
    property: str
    subject: str
    message: str

    def line(self):
        return f"{PROPERTIES[self.property]}：{self.subject}：{self.message}"


def archival_code(volume, position):
    """A file's 档号: the volume number and its place in the volume."""
    return f"{volume.number}-{position:02d}"


class Checker:
    def __init__(self, volume, read_files=True, storage=None):
        self.volume = volume
        self.read_files = read_files
        self.storage = storage
        self.findings = []

    def fail(self, prop, subject, message):
        self.findings.append(Finding(prop, subject, message))

    def run(self):
        from .binding import CATEGORY_CODE, volume_number

        volume = self.volume
        items = list(volume.items.select_related("record", "record__hall", "record__clerk").order_by("position"))
        self.records = [item.record for item in items]
        # authenticity: the volume's 档号
        match = VOLUME_NUMBER.match(volume.number)
        if not match:
            self.fail("authenticity", f"卷 {volume.number}", "档号格式不符（应为 营业厅-年度-类别代码-三位序号）")
        elif volume.number != volume_number(volume.hall, volume.year, volume.category, volume.seq):
            self.fail("authenticity", f"卷 {volume.number}",
                      f"档号与卷的营业厅、年度、类别（{CATEGORY_CODE.get(volume.category, '?')}）或卷序号不一致")
        if Volume.objects.filter(number=volume.number).count() != 1:
            self.fail("authenticity", f"卷 {volume.number}", "档号不唯一")
        # integrity: counts and sequence numbers
        positions = [item.position for item in items]
        if positions != list(range(1, len(positions) + 1)):
            self.fail("integrity", f"卷 {volume.number}", f"卷内序号不连续：{positions}")
        if len(items) > VOLUME_SIZE:
            self.fail("integrity", f"卷 {volume.number}", f"卷内文件 {len(items)} 份，超过 {VOLUME_SIZE} 份")
        elif len(items) < VOLUME_SIZE and volume.status != Volume.Status.OPEN and not volume.closed_short_reason:
            self.fail("integrity", f"卷 {volume.number}",
                      f"卷内文件 {len(items)} 份，不足 {VOLUME_SIZE} 份且没有记录短卷原因")
        if not items:
            self.fail("integrity", f"卷 {volume.number}", "卷内没有文件")
        for item in items:
            self.check_record(archival_code(volume, item.position), item.record)
        self.check_volume_objects()
        self.check_log()
        return self.findings

    # --- one file --------------------------------------------------------------------------------
    def check_record(self, code, record):
        volume, today = self.volume, timezone.localdate()
        for name, label in REQUIRED:
            if not getattr(record, name):
                self.fail("integrity", code, f"缺少必填元数据：{label}")
        if record.business_date:
            if record.business_date > today:
                self.fail("authenticity", code, f"业务日期 {record.business_date} 晚于今天")
            if (record.business_date.year, record.business_date.month) != (volume.year, volume.month):
                self.fail("authenticity", code, f"业务日期 {record.business_date} 不在卷的年月 "
                                                f"{volume.year}-{volume.month:02d} 内")
        if record.category and record.category != volume.category:
            self.fail("authenticity", code, "文件类别与卷的类别不一致")
        if record.hall_id != volume.hall_id:
            self.fail("authenticity", code, "文件的营业厅与卷的营业厅不一致")
        if record.transaction_no and Record.objects.filter(transaction_no=record.transaction_no).count() != 1:
            self.fail("authenticity", code, "受理编号不唯一")
        scans = list(record.scans.all().order_by("pk"))
        objects = {o.key: o for o in StoredObject.objects.filter(record=record)}
        if record.channel != Record.Channel.MANUAL:  # a file entered by hand has no scan
            if not scans:
                self.fail("integrity", code, "缺少保存版（扫描件）")
            if not record.access_copy:
                self.fail("integrity", code, "缺少利用版（可检索PDF）")
        if scans and record.page_count and record.page_count != sum(s.page_count for s in scans):
            self.fail("integrity", code, f"页数不符：登记 {record.page_count} 页，保存版共 "
                                         f"{sum(s.page_count for s in scans)} 页")
        for scan in scans:
            self.check_scan(code, scan, objects.get(scan.master.name))
        if record.access_copy:
            if not record.access_copy.name.lower().endswith(".pdf"):
                self.fail("usability", code, "利用版不是PDF格式")
            self.check_object(code, "利用版", objects.get(record.access_copy.name), record.access_copy.name,
                              expect_pdf=True)

    def check_scan(self, code, scan, stored):
        if scan.kind not in ALLOWED_FORMATS:
            self.fail("usability", code, f"保存版格式 {scan.kind} 不在允许的格式清单内")
        elif not any(scan.master.name.lower().endswith(ext) for ext in EXTENSIONS[scan.kind]):
            self.fail("usability", code, f"保存版扩展名与格式 {scan.kind} 不符")
        if not SHA256.match(scan.sha256 or ""):
            self.fail("authenticity", code, "保存版的 SHA-256 登记值无效")
        if scan.size <= 0 or scan.page_count <= 0:
            self.fail("authenticity", code, "保存版的大小或页数登记值超出范围")
        if stored is not None:
            if stored.sha256 and stored.sha256 != scan.sha256:
                self.fail("authenticity", code, "保存版的固定性记录与入库时的哈希值不一致")
            if stored.size is not None and stored.size != scan.size:
                self.fail("integrity", code, f"保存版大小不符：登记 {scan.size} 字节，固定性记录 {stored.size} 字节")
        self.check_object(code, "保存版", stored, scan.master.name, expect_pdf=scan.kind == "pdf")

    def check_object(self, code, what, stored, key, expect_pdf=False):
        if stored is None:
            self.fail("authenticity", code, f"{what}没有固定性记录（未登记 SHA-256）")
            return
        if stored.sha256 and not SHA256.match(stored.sha256):
            self.fail("authenticity", code, f"{what}的 SHA-256 登记值无效")
        if stored.last_result in fixity.PROBLEMS:
            self.fail("authenticity", code, f"{what}上次固定性检查结果：{fixity.RESULT_WORDS[stored.last_result]}")
        if not self.read_files:
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as copy:  # a large master goes to disk
            read = self.read(code, what, key, copy)
            if read is None:
                return
            digest, size = read
            if stored.sha256 and digest != stored.sha256:
                self.fail("authenticity", code, f"{what}内容已变更（SHA-256 与登记值不符）")
            if stored.size is not None and size != stored.size:
                self.fail("integrity", code, f"{what}大小不符：登记 {stored.size} 字节，实为 {size} 字节")
            if expect_pdf:
                copy.seek(0)
                self.check_pdf(code, what, copy)

    def read(self, code, what, key, copy):
        """(sha256, size) of the stored object, copied into `copy` while it is hashed; None if unreadable."""
        try:
            storage = self.storage or customer_files()
            digest, size = hashlib.sha256(), 0
            with storage.open(key, "rb") as fh:
                while chunk := fh.read(fixity.CHUNK):
                    digest.update(chunk)
                    copy.write(chunk)
                    size += len(chunk)
            return digest.hexdigest(), size
        except Exception as exc:
            kind = fixity._classify(exc)
            self.fail("integrity" if kind is fixity.Missing else "usability", code,
                      f"{what}{'在存储中缺失' if kind is fixity.Missing else '无法读取'}")
            return None

    def check_pdf(self, code, what, fh):
        try:
            reader = PdfReader(fh, strict=False)
            if reader.is_encrypted:
                self.fail("usability", code, f"{what}是加密的PDF")
                return
            if len(reader.pages) == 0:
                self.fail("usability", code, f"{what}PDF没有页面")
        except Exception:
            self.fail("usability", code, f"{what}PDF无法打开")

    def check_volume_objects(self):
        for stored in StoredObject.objects.filter(volume_number=self.volume.number):
            self.check_object(f"卷 {self.volume.number}", "卷PDF", stored, stored.key, expect_pdf=True)

    # --- the event log ---------------------------------------------------------------------------
    def check_log(self):
        ids = [str(r.pk) for r in self.records]
        rows = list(AuditEvent.objects.filter(object_type="records.record", object_id__in=ids).order_by("seq"))
        rows += list(AuditEvent.objects.filter(object_type="archive.volume", object_id=str(self.volume.pk))
                     .order_by("seq"))
        bad = verify_rows(rows)
        for seq, reason in bad[:20]:
            self.fail("security", f"日志 #{seq}", reason)
        received = {}
        for row in rows:
            if row.action == "record.receive" and isinstance(row.details, dict):
                received[row.object_id] = row.details.get("sha256")
        for record in self.records:
            for scan in Scan.objects.filter(record=record).only("sha256", "record_id"):
                logged = received.get(str(record.pk))
                if logged is None:
                    self.fail("security", record.log_repr(), "事件日志中没有保存版的接收记录")
                elif logged != scan.sha256:
                    self.fail("security", record.log_repr(), "保存版的哈希值与事件日志接收记录不一致")


def verify_rows(rows):
    """[(seq, reason)] for rows whose hash does not cover their content, or whose predecessor's hash is not
    the one they were chained to (a row changed, removed or inserted around them)."""
    wanted = {row.seq - 1 for row in rows if row.seq > 1}
    before = dict(AuditEvent.objects.filter(seq__in=wanted).values_list("seq", "hash")) if wanted else {}
    bad = []
    for row in rows:
        if row_hash(row.prev_hash, row) != row.hash:
            bad.append((row.seq, "日志记录的内容与其哈希值不符（记录被改动）"))
            continue
        expected = GENESIS if row.seq == 1 else before.get(row.seq - 1)
        if expected is None:
            bad.append((row.seq, "日志中缺少前一条记录（记录被删除）"))
        elif expected != row.prev_hash:
            bad.append((row.seq, "日志记录与前一条记录的哈希链接断开"))
    return bad


def check_volume(volume, read_files=True, storage=None):
    """The findings of every check on `volume` ([] when it passes)."""
    return Checker(volume, read_files=read_files, storage=storage).run()


def summary(findings, limit=10):
    """One Chinese sentence for a refusal: how many problems and the first `limit` of them."""
    lines = [f.line() for f in findings[:limit]]
    more = f"；另有 {len(findings) - limit} 项" if len(findings) > limit else ""
    return f"四性检测未通过（{len(findings)} 项）：" + "；".join(lines) + more


def as_dicts(findings):
    return [{**asdict(f), "property_label": PROPERTIES[f.property]} for f in findings]


class Refused(ChainError):
    """A step refused because volumes failed the checks; `findings` says which, per volume number."""

    def __init__(self, findings):
        self.findings = findings
        flat = [f for found in findings.values() for f in found]
        super().__init__(summary(flat))


def require_passed(volumes, read_files=True):
    """Raise Refused when any of `volumes` fails a check (the handover's gate)."""
    failed = {}
    for volume in volumes:
        found = check_volume(volume, read_files=read_files)
        if found:
            failed[volume.number] = found
    if failed:
        raise Refused(failed)


def log_refusal(actor, refused, step, request=None):
    """The refusal in the event log, after the step's transaction was rolled back."""
    with transaction.atomic():
        auditlog.record(events.DAT70_REFUSED, actor=actor, request=request, obj=("archive.volume", "", step),
                        details={"step": step, "volumes": {number: as_dicts(found)[:50]
                                                           for number, found in refused.findings.items()}})


def run_on_demand(volume, actor=None, actor_name="", read_files=True, request=None):
    """The checks of one volume, logged (the command and the volume screen's button)."""
    found = check_volume(volume, read_files=read_files)
    with transaction.atomic():
        auditlog.record(events.DAT70_CHECK, actor=actor, actor_name=None if actor else actor_name, obj=volume,
                        request=request, details={"passed": not found, "findings": as_dicts(found)[:100],
                                                  "read_files": read_files})
    return found
