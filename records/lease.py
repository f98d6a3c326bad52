"""Who holds a running OCR file, and how work resumes without a person when a worker dies or a service blips.

A worker that starts a file (transitions.start_ocr) holds it under a lease: the attempt number it was given
is its token, and a heartbeat thread renews `ocr_heartbeat` every few seconds (OCR_LEASE_SECONDS / 6) for as
long as it works on the file, touching its scratch folder too. Every worker runs `reclaim_expired` as a
periodic job (and at start-up): a running file whose heartbeat is older than the lease is queued again
(logged as record.ocr_requeue; the row lock and the heartbeat condition make the take-over atomic, so two
reapers never both take it), and scratch folders no heartbeat touched for two leases are removed. The next
worker resumes at the first page without a stored piece (records/ocr.py), so pages are read exactly once.

A worker that finds its token gone (the file was taken over after a long pause) stops at once and touches
nothing. Faults of the database, the S3 server or the network (`transient`) never become a file's
permanent failure: the file is queued again with a growing wait (up to OCR_RETRY_MAX_SECONDS); if even the
database is away, the file stays running until its lease runs out and a reaper queues it.
"""
import errno
import logging
import os
import shutil
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from .models import Record

log = logging.getLogger(__name__)
NETWORK_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ETIMEDOUT,
                  errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN}


class LeaseLost(Exception):
    """Another worker took the file over: stop without touching it."""


def lease_seconds():
    return max(1.0, float(getattr(settings, "OCR_LEASE_SECONDS", 30)))


def heartbeat_seconds():
    return max(0.2, lease_seconds() / 6)


def transient(exc):
    """A fault of a service that comes back by itself (database, S3, network), anywhere in the chain."""
    try:
        from botocore import exceptions as boto
        boto_kinds = (boto.ConnectionError, boto.HTTPClientError)
        client_error = boto.ClientError
    except ImportError:  # pragma: no cover - botocore comes with django-storages[s3]
        boto_kinds, client_error = (), None
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (OperationalError, InterfaceError, ConnectionError, TimeoutError, *boto_kinds)):
            return True
        if isinstance(exc, OSError) and exc.errno in NETWORK_ERRNOS:
            return True
        if client_error and isinstance(exc, client_error):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if status >= 500 or exc.response.get("Error", {}).get("Code") in ("SlowDown", "RequestTimeout"):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


def retry_delay(attempts):
    """Seconds before a file that met a transient fault is tried again: 2, 4, 8 ... up to the maximum."""
    return min(float(getattr(settings, "OCR_RETRY_MAX_SECONDS", 300)), 2.0 ** max(1, min(attempts, 16)))


def drop_broken_connection():
    """After a database fault the connection is unusable: close it so the next query reconnects (not inside
    a caller's transaction, which the caller owns)."""
    if not connection.in_atomic_block:
        try:
            connection.close()
        except DatabaseError:
            pass


class Lease:
    """This worker's hold on one running file (a context manager): the heartbeat thread renews it."""

    def __init__(self, record_pk, attempt):
        self.pk, self.attempt = record_pk, attempt
        self.folder = None  # the scratch folder, kept fresh so no reaper removes it
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        # Inside a caller's transaction (tests, a shell) another connection cannot see the row: beat in-line.
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._beat, name=f"ocr-lease-{self.pk}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join()

    def renew(self):
        """Renew now; False once the file is no longer this worker's."""
        held = Record.objects.filter(pk=self.pk, status=Record.Status.OCR_RUNNING,
                                     ocr_attempts=self.attempt).update(ocr_heartbeat=timezone.now())
        if not held:
            self.lost.set()
        elif self.folder:
            try:
                os.utime(self.folder)
            except OSError:
                pass
        return bool(held)

    def check(self):
        """Raise LeaseLost if the file was taken over (called between pages)."""
        if self.lost.is_set() or not self.renew():
            raise LeaseLost(f"customer file #{self.pk} was taken over by another worker")

    def _beat(self):
        try:
            while not self._stop.wait(heartbeat_seconds()):
                try:
                    if not self.renew():
                        return
                except DatabaseError:  # database away: try again next beat; the lease runs out if it stays away
                    drop_broken_connection()
        finally:
            connection.close()  # this thread's own connection


def requeue_later(record, reason, attempt):
    """A transient fault: back to queued (logged) with a task that runs after a growing wait. The
    transition and the task commit together, so a queued file always has its task."""
    from . import transitions
    from .tasks import ocr_record

    for pause in (0, 1, 2, 4, 8):
        time.sleep(pause)
        try:
            with transaction.atomic():
                transitions.requeue_ocr(record, reason[:1000], attempt=attempt)
                when = timezone.now() + timedelta(seconds=retry_delay(attempt))
                ocr_record.using(run_after=when).enqueue(record.pk)
            return True
        except transitions.TransitionError:
            return False  # taken over meanwhile: not ours to queue
        except DatabaseError:
            drop_broken_connection()
    log.warning("customer file #%s stays running until its lease runs out: %s", record.pk, reason)
    return False


def reclaim_expired(seconds=None):
    """Queue again every running file whose worker stopped renewing its lease; remove scratch folders no
    heartbeat touched for two leases. Returns the files taken over."""
    from . import transitions
    from .intake import tmp_dir
    from .tasks import ocr_record

    seconds = lease_seconds() if seconds is None else seconds
    for folder in tmp_dir().glob("ocr-*"):
        try:
            if folder.stat().st_mtime < time.time() - 2 * seconds:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            pass
    limit = timezone.now() - timedelta(seconds=seconds)
    candidates = Record.objects.filter(status=Record.Status.OCR_RUNNING).exclude(ocr_heartbeat__gte=limit)
    taken = []
    for pk in candidates.order_by("pk").values_list("pk", flat=True)[:500]:
        try:
            with transaction.atomic():
                transitions.requeue_ocr(Record(pk=pk), f"lease expired (no heartbeat for {seconds:g} s)",
                                        expired_before=limit)
                ocr_record.enqueue(pk)
            taken.append(pk)
        except transitions.TransitionError:
            continue  # renewed, or taken by another reaper, meanwhile
    taken += _queued_without_task(limit)
    if taken:
        log.warning("took over OCR of customer files %s (their worker stopped)", taken)
    return taken


def _queued_without_task(since):
    """Queued files whose task was lost (a worker died between taking the task and starting the file, or the
    database went away under it) get a new one; a duplicate task is harmless (start_ocr refuses it)."""
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    from .tasks import ocr_record

    queued = set(Record.objects.filter(status=Record.Status.OCR_QUEUED).values_list("pk", flat=True)[:500])
    if not queued:
        return []
    live = DBTaskResult.objects.filter(task_path=ocr_record.module_path).filter(
        Q(status="READY") | Q(enqueued_at__gte=since) | Q(started_at__gte=since))
    for args_kwargs in live.values_list("args_kwargs", flat=True):
        queued.difference_update((args_kwargs or {}).get("args") or [])
    for pk in sorted(queued):
        ocr_record.enqueue(pk)
    return sorted(queued)
