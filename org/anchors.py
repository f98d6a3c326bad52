"""Anchors: the event log's chain head copied outside the database, where the app cannot rewrite it.

The hash chain (org/auditlog.py) shows a change inside the log, but whoever has the tables' owner rights can
rewrite the tail with recomputed hashes and head, re-hash a row in the middle, or empty the log; the chain
then looks whole. As ledger databases do with their digests, the head (sequence, hash, time) is written
every few minutes (worker job "org.anchor_audit_log", `manage.py anchor_audit_log`) to storage the database
cannot reach: an S3 bucket with object lock (COMPLIANCE retention: the server refuses overwrite and delete
whatever the credentials) and an append-only local file. verify() requires, for every anchor, that the row
with that sequence number still exists with exactly that hash.

An anchor is written only for rows checked since the previous anchor, outside any transaction and never
under the chain-head lock: appends never wait for the network.
"""
import datetime
import json
import os
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from . import auditlog
from .auditlog_models import AuditEvent, ChainHead


class AnchorsUnavailable(Exception):
    """An anchor store could not be read or written: the log cannot be checked against it."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str
    source: str  # where it was read: "file var/audit-anchors.log:12" or "s3://bucket/anchors/...json"


def _line(seq, hash_, at):
    return json.dumps({"seq": seq, "hash": hash_, "at": at}, sort_keys=True) + "\n"


class FileStore:
    """One JSON line per anchor, appended with O_APPEND (make it append-only for root too: chattr +a)."""

    locked = False

    def __init__(self, path):
        self.path = os.fspath(path)
        self.name = f"file {self.path}"

    def write(self, seq, hash_, at):
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, _line(seq, hash_, at).encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self):
        if not os.path.exists(self.path):
            return []
        anchors = []
        try:
            with open(self.path, encoding="utf-8", errors="replace") as handle:
                for number, text in enumerate(handle, 1):
                    if text.strip():
                        anchors.append(self._parse(text, f"{self.name}:{number}"))
        except OSError as exc:
            raise AnchorsUnavailable(f"{self.name}: {exc}") from None
        return anchors

    def latest(self):
        if not os.path.exists(self.path):
            return None
        try:
            with open(self.path, "rb") as handle:
                handle.seek(max(0, os.path.getsize(self.path) - 4096))
                lines = [line for line in handle.read().decode("utf-8", "replace").splitlines() if line.strip()]
        except OSError as exc:
            raise AnchorsUnavailable(f"{self.name}: {exc}") from None
        return self._parse(lines[-1], f"{self.name}:last") if lines else None

    @staticmethod
    def _parse(text, source):
        try:
            data = json.loads(text)
            return Anchor(int(data["seq"]), str(data["hash"]), str(data["at"]), source)
        except (ValueError, KeyError, TypeError):
            raise AnchorsUnavailable(f"{source}: not an anchor line") from None


KEY = re.compile(r"(?P<seq>\d{12})-(?P<at>\d{8}T\d{6}Z)-(?P<hash>[0-9a-f]{64})\.json$")
_LAST_KEY = {}  # per bucket/prefix: the newest key this process has seen, so `latest` lists only newer ones


class S3Store:
    """anchors/<seq, 12 digits>-<UTC time>-<hash>.json: listed in order, checked from the key names alone."""

    def __init__(self, bucket, prefix, options, retention_days):
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix, self.retention_days = bucket, prefix, retention_days
        self.name = f"s3://{bucket}/{prefix}"
        self.client = boto3.client(
            "s3", endpoint_url=options["endpoint_url"], aws_access_key_id=options["access_key"],
            aws_secret_access_key=options["secret_key"], region_name=options["region_name"],
            config=Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 2},
                          s3={"addressing_style": options["addressing_style"]}))
        self._locked = None

    @property
    def locked(self):
        """Whether the bucket has object lock: only then can the app's own credentials not rewrite anchors."""
        if self._locked is None:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                config = self.client.get_object_lock_configuration(Bucket=self.bucket)["ObjectLockConfiguration"]
                self._locked = config.get("ObjectLockEnabled") == "Enabled"
            except ClientError:  # no lock configuration on this bucket (or the server has no object lock)
                self._locked = False
            except BotoCoreError as exc:
                raise AnchorsUnavailable(f"{self.name}: {exc}") from None
        return self._locked

    def write(self, seq, hash_, at):
        stamp = datetime.datetime.fromisoformat(at).astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        extra = {}
        if self.locked:
            extra = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate":
                     timezone.now() + datetime.timedelta(days=self.retention_days)}
        self._call(self.client.put_object, Bucket=self.bucket, Key=f"{self.prefix}{seq:012d}-{stamp}-{hash_}.json",
                   Body=_line(seq, hash_, at).encode(), ContentType="application/json", **extra)

    def read(self, start_after=None):
        anchors = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix, **({"StartAfter": start_after} if start_after else {}))
        for page in self._call(lambda: list(pages)):
            for item in page.get("Contents", []):
                match = KEY.match(item["Key"][len(self.prefix):])
                if not match:
                    raise AnchorsUnavailable(f"s3://{self.bucket}/{item['Key']}: not an anchor")
                at = datetime.datetime.strptime(match["at"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
                anchors.append(Anchor(int(match["seq"]), match["hash"], at.isoformat(),
                                      f"s3://{self.bucket}/{item['Key']}"))
        return sorted(anchors, key=lambda anchor: (anchor.seq, anchor.source))

    def latest(self):
        cache_key = (self.client.meta.endpoint_url, self.bucket, self.prefix)
        newer = self.read(start_after=_LAST_KEY.get(cache_key, (None, None))[0])
        if newer:
            _LAST_KEY[cache_key] = (newer[-1].source.split("/", 3)[3], newer[-1])
        return _LAST_KEY.get(cache_key, (None, None))[1]

    def _call(self, func, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return func(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise AnchorsUnavailable(f"{self.name}: {exc}") from None


def stores():
    found = []
    if settings.AUDIT_ANCHOR_FILE:
        found.append(FileStore(settings.AUDIT_ANCHOR_FILE))
    if settings.AUDIT_ANCHOR_BUCKET:
        found.append(S3Store(settings.AUDIT_ANCHOR_BUCKET, settings.AUDIT_ANCHOR_PREFIX, settings.AUDIT_ANCHOR_S3,
                             settings.AUDIT_ANCHOR_RETENTION_DAYS))
    return found


def write_anchor():
    """Anchor the current head in every store that does not have it yet; return {store name: outcome}.

    The rows since the newest anchor are checked first, so a forged tail is never anchored. Raises
    ChainBroken if they do not follow from it, AnchorsUnavailable if a store failed (after trying all)."""
    head = ChainHead.objects.filter(pk=1).values_list("seq", "hash").first()  # a plain read: no lock held
    all_stores = stores()
    if not head or head[0] == 0 or not all_stores:
        return {}
    seq, hash_ = head
    outcome, failures, latest = {}, [], {}
    for store in all_stores:
        try:
            latest[store.name] = store.latest()
        except AnchorsUnavailable as exc:
            failures.append(str(exc))
    known = [anchor for anchor in latest.values() if anchor]
    start = max(known, key=lambda anchor: anchor.seq, default=None)
    if start and start.seq > seq:
        raise auditlog.ChainBroken(seq + 1, f"the log ends at #{seq} but {start.source} recorded #{start.seq}",
                                   start.source)
    if start:
        stored = AuditEvent.objects.filter(seq=start.seq).values_list("hash", flat=True).first()
        if stored != start.hash:
            raise auditlog.ChainBroken(start.seq, f"differs from anchor {start.source}", start.source)
    _, last_seq, last_hash = auditlog.walk(start.seq if start else 0, start.hash if start else auditlog.GENESIS,
                                           upto=seq)
    if (last_seq, last_hash) != (seq, hash_):
        raise auditlog.ChainBroken(seq, "the chain head differs from the last row")
    at = timezone.now().isoformat(timespec="seconds")
    for store in all_stores:
        if store.name not in latest:
            continue  # could not be read: reported below
        if latest[store.name] and latest[store.name].seq == seq:
            outcome[store.name] = f"has #{seq}"
            continue
        try:
            store.write(seq, hash_, at)
            unlocked = isinstance(store, S3Store) and not store.locked
            note = " (bucket without object lock: not write-once)" if unlocked else ""
            outcome[store.name] = f"wrote #{seq}{note}"
        except (AnchorsUnavailable, OSError) as exc:
            failures.append(f"{store.name}: {exc}")
    if failures:
        raise AnchorsUnavailable("; ".join(failures))
    return outcome


def verify(batch_size=2000):
    """The chain walk of auditlog.verify() and then every anchor in every store against the rows.

    Returns a report {"status": "intact" or "unanchored", "rows", "anchors", "stores", "warnings"}; raises
    ChainBroken (the earliest anchor the rows contradict, in any store that could be read) or else
    AnchorsUnavailable (a store could not be read)."""
    rows = auditlog.verify(batch_size)
    report = {"status": "intact", "rows": rows, "anchors": 0, "stores": [], "warnings": []}
    all_stores = stores()
    if not all_stores:
        report["warnings"].append("no anchors configured (AUDIT_ANCHOR_FILE, AUDIT_ANCHOR_BUCKET): "
                                  "a consistent rewrite of the log by the database owner cannot be detected")
    read, failures = {}, []
    for store in all_stores:
        try:
            read[store.name] = store.read()
        except AnchorsUnavailable as exc:
            failures.append(str(exc))
    _check([anchor for anchors in read.values() for anchor in anchors], rows)
    if failures:
        raise AnchorsUnavailable("; ".join(failures))
    for store in all_stores:
        anchors = read[store.name]
        report["anchors"] += len(anchors)
        report["stores"].append({"store": store.name, "anchors": len(anchors), "write_once": store.locked,
                                 "latest": anchors[-1].seq if anchors else None})
        if isinstance(store, S3Store) and not store.locked:
            report["warnings"].append(f"{store.name}: the bucket has no object lock, anchors there can be "
                                      "rewritten with the app's credentials")
    if all_stores and not report["anchors"]:
        report["warnings"].append("no anchor written yet (run `manage.py anchor_audit_log` or the worker)")
    report["status"] = "intact" if report["anchors"] else "unanchored"
    return report


def _check(anchors, rows):
    """Every anchor's row must exist with the anchored hash (rows is the verified chain's length)."""
    anchors = sorted(anchors, key=lambda anchor: anchor.seq)
    for start in range(0, len(anchors), 1000):
        chunk = anchors[start:start + 1000]
        stored = dict(AuditEvent.objects.filter(seq__in={a.seq for a in chunk}).values_list("seq", "hash"))
        for anchor in chunk:
            if anchor.seq > rows:
                raise auditlog.ChainBroken(
                    anchor.seq, f"the log ends at #{rows} but anchor {anchor.source} ({anchor.at}) recorded "
                                f"#{anchor.seq}: rows were removed", anchor.source)
            if stored.get(anchor.seq) != anchor.hash:
                raise auditlog.ChainBroken(
                    anchor.seq, f"hash differs from anchor {anchor.source} ({anchor.at}): the log was rewritten",
                    anchor.source)
