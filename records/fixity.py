"""Fixity (固定性): the SHA-256 of every stored master, access copy and volume PDF, recorded when it is stored,
and the re-reading that proves the stored bytes are still those.

A StoredObject row is written in the transaction that makes the object part of a record (intake, the OCR's
access copy, an exported volume PDF); the hash is computed from the local file before the upload, so the
recorded value is what was meant to be stored. Objects stored before this existed were backfilled by
records/migrations/0012 (masters from their Scan rows; access copies without a hash: the first check
records the baseline and says so).

`manage.py fixity_check` re-reads every object; the worker's periodic job (run_worker, every
FIXITY_RUN_SECONDS) re-reads a slice: the objects whose last check is oldest, as many as needed for the
whole set to be read once per FIXITY_CYCLE_DAYS, and always every object already overdue. A transient S3
fault (timeout, connection, 5xx, throttling) is tried again with a growing pause; the S3 client has connect
and read timeouts (S3_CONNECT_TIMEOUT, S3_READ_TIMEOUT in config/settings/base.py), so a hung server costs
each attempt at most those seconds and never stalls the job. Missing, changed and unreadable objects are
kept on their rows (the dashboard shows them) and named in one event-log row per run.
"""
import hashlib
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from org import auditlog

from . import events
from .models import StoredObject
from .storage import customer_files

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
R = StoredObject.Result
PROBLEMS = (R.CHANGED, R.MISSING, R.UNREADABLE)
RESULT_WORDS = {R.OK: "完好", R.CHANGED: "已变更", R.MISSING: "缺失", R.UNREADABLE: "无法读取", R.PENDING: "未检查"}
KIND_WORDS = {StoredObject.Kind.MASTER: "保存版", StoredObject.Kind.ACCESS: "利用版",
              StoredObject.Kind.VOLUME_PDF: "卷PDF"}
TRANSIENT_CODES = {"SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable",
                   "Throttling", "ThrottlingException", "503", "500", "502", "504"}
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


def register(key, kind, sha256, size, record=None, volume_number=""):
    """Record the fixity value of an object just stored (inside the transaction that refers to it)."""
    StoredObject.objects.update_or_create(key=key, defaults={
        "kind": kind, "sha256": sha256, "size": size, "record": record, "volume_number": volume_number,
        "recorded_at": timezone.now(), "last_checked": None, "last_result": R.PENDING, "last_error": ""})


def forget(keys):
    """The objects were deleted on purpose (a replaced access copy, a destruction): no longer checked."""
    keys = [k for k in keys if k]
    if keys:
        StoredObject.objects.filter(key__in=keys).delete()


def file_digest(fh):
    """(SHA-256 hex, size) of an open binary file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class Missing(Exception):
    pass


class Transient(Exception):
    pass


def _classify(exc):
    """Missing, Transient or None (unreadable) for an exception of the storage."""
    if isinstance(exc, FileNotFoundError):
        return Missing
    try:
        from botocore import exceptions as boto
    except ImportError:  # pragma: no cover - boto3 is in requirements
        boto = None
    if boto is not None:
        if isinstance(exc, boto.ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if code in MISSING_CODES or status == 404:
                return Missing
            if code in TRANSIENT_CODES or status >= 500:
                return Transient
            return None
        streaming = tuple(getattr(boto, name) for name in ("ConnectionError", "HTTPClientError",
                                                            "ResponseStreamingError", "IncompleteReadError")
                          if hasattr(boto, name))
        if isinstance(exc, streaming):
            return Transient
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return Transient
    return None


def read_digest(key, storage=None, attempts=None, pause=None):
    """(sha256, size) of the stored object; raises Missing, Transient (after the retries) or another error."""
    storage = storage or customer_files()
    attempts = attempts or getattr(settings, "FIXITY_ATTEMPTS", 3)
    pause = getattr(settings, "FIXITY_RETRY_PAUSE", 2) if pause is None else pause
    for attempt in range(1, attempts + 1):
        try:
            with storage.open(key, "rb") as fh:
                return file_digest(fh)
        except Exception as exc:
            kind = _classify(exc)
            if kind is Missing:
                raise Missing(str(exc)[:200]) from None
            if kind is not Transient:
                raise
            log.warning("fixity: %s: transient storage fault (attempt %d of %d): %s", key, attempt, attempts, exc)
            if attempt == attempts:
                raise Transient(f"{type(exc).__name__}: {exc}"[:200]) from None
            time.sleep(pause * 2 ** (attempt - 1))


@dataclass
class Outcome:
    key: str
    kind: str
    result: str
    detail: str = ""
    record: str = ""
    volume: str = ""

    def line(self):
        where = "、".join(p for p in (self.record and f"客户资料 {self.record}",
                                       self.volume and f"卷 {self.volume}") if p)
        text = f"{RESULT_WORDS[self.result]}：{KIND_WORDS.get(self.kind, self.kind)} {self.key}"
        return text + (f"（{where}）" if where else "") + (f"：{self.detail}" if self.detail else "")


def check(obj, storage=None):
    """Re-read one object and save the result on its row; returns an Outcome."""
    detail = ""
    try:
        digest, size = read_digest(obj.key, storage)
    except Missing:
        result, detail = R.MISSING, "存储中找不到该对象"
    except Transient as exc:
        result, detail = R.UNREADABLE, f"多次重试后仍无法读取（{exc}）"
    except Exception as exc:  # permissions, a directory in its place, a broken stream...
        log.warning("fixity: %s unreadable: %s: %s", obj.key, type(exc).__name__, exc, exc_info=True)
        result, detail = R.UNREADABLE, f"无法读取（{type(exc).__name__}）"
    else:
        if not obj.sha256:  # stored before hashes were recorded: this read is its baseline
            obj.sha256, obj.size = digest, size
            StoredObject.objects.filter(pk=obj.pk).update(sha256=digest, size=size)
            result, detail = R.OK, "首次检查，已记录基准哈希值"
        elif digest != obj.sha256 or (obj.size is not None and size != obj.size):
            result = R.CHANGED
            detail = f"SHA-256 应为 {obj.sha256}，实为 {digest}；大小应为 {obj.size}，实为 {size} 字节"
        else:
            result = R.OK
    StoredObject.objects.filter(pk=obj.pk).update(last_checked=timezone.now(), last_result=result,
                                                  last_error=detail[:300] if result in PROBLEMS else "")
    record = obj.record.log_repr() if obj.record_id else ""
    volume = obj.volume_number or _volume_of(obj)
    return Outcome(obj.key, obj.kind, result, detail, record, volume)


def _volume_of(obj):
    item = getattr(obj.record, "volume_item", None) if obj.record_id else None
    return item.volume.number if item is not None else ""


def due(now=None, cycle_days=None, run_seconds=None):
    """The objects this run re-reads: the oldest-checked slice sized so that the whole set is read once per
    cycle, plus every object whose last check is older than the cycle (never checked ones first)."""
    now = now or timezone.now()
    cycle = timedelta(days=cycle_days or getattr(settings, "FIXITY_CYCLE_DAYS", 30)).total_seconds()
    run = run_seconds or getattr(settings, "FIXITY_RUN_SECONDS", 3600)
    total = StoredObject.objects.count()
    if not total:
        return []
    share = math.ceil(total * min(1.0, run / cycle))
    overdue = StoredObject.objects.filter(last_checked__lt=now - timedelta(seconds=cycle)).count()
    never = StoredObject.objects.filter(last_checked__isnull=True).count()
    size = min(total, max(share, overdue + min(never, share)))
    return list(_in_order()[:size])


def _in_order():
    return (StoredObject.objects.select_related("record", "record__volume_item__volume")
            .order_by(F("last_checked").asc(nulls_first=True), "pk"))


@dataclass
class Report:
    checked: int = 0
    counts: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    baselines: int = 0

    @property
    def ok(self):
        return not self.problems

    def as_dict(self):
        return {"checked": self.checked, "counts": self.counts, "baselines": self.baselines,
                "problems": [asdict(p) for p in self.problems], "ok": self.ok}

    def lines(self):
        counts = "，".join(f"{RESULT_WORDS[r]} {self.counts.get(r, 0)}" for r in (R.OK, *PROBLEMS))
        out = [f"已检查 {self.checked} 个存储对象：{counts}"]
        if self.baselines:
            out.append(f"其中 {self.baselines} 个对象首次记录基准哈希值")
        out += [p.line() for p in self.problems]
        return out


def run(objects=None, storage=None, actor=None, actor_name="fixity_check"):
    """Check `objects` (default: every stored object); one event-log row names the problems, if any."""
    objects = list(_in_order()) if objects is None else objects
    report = Report()
    for obj in objects:
        outcome = check(obj, storage)
        report.checked += 1
        report.counts[outcome.result] = report.counts.get(outcome.result, 0) + 1
        if outcome.result in PROBLEMS:
            report.problems.append(outcome)
        elif outcome.detail:
            report.baselines += 1
    if report.problems:
        auditlog.record(events.FIXITY_PROBLEMS, actor=actor, actor_name=None if actor else actor_name,
                        details={"checked": report.checked,
                                 "problems": [{"key": p.key, "result": p.result, "record": p.record,
                                               "volume": p.volume} for p in report.problems[:200]],
                                 "more": max(0, len(report.problems) - 200)})
    return report


def run_due():
    """The worker's periodic job (config.periodic): one slice of the cycle."""
    report = run(due(), actor_name="worker")
    if report.problems:
        log.error("fixity check: %d problem(s): %s", len(report.problems),
                  "; ".join(p.key for p in report.problems[:20]))
    return report


def problems():
    """The objects whose last check found a problem (the dashboard's list)."""
    return StoredObject.objects.filter(last_result__in=PROBLEMS)
