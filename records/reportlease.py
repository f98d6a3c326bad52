"""Report-import jobs resume without a person when their worker dies (issue 13).

A worker that starts a job (reportjobs.run) holds it under a lease, as OCR files are held (records/lease.py,
the same OCR_LEASE_SECONDS): the job's start number (`attempts`) is its token, and a heartbeat thread
renews `heartbeat` for as long as the worker imports. Every worker runs `reclaim_expired` periodically (and
at start-up): a running job whose heartbeat is older than the lease is queued again with a new task
(logged as report.import_requeue), or, once it has been started REPORT_IMPORT_MAX_ATTEMPTS times (a file
that kills its worker each time), failed with a sentence saying so and its file deleted (report.import_abandoned).

A re-run is safe: the import is one transaction (a killed worker's rows are rolled back by the database),
the uploaded file is deleted only when a job finishes, and a report the dead worker had committed just
before dying is recognised by its checksum (reportjobs.run) and becomes the job's result.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from org import states

from . import events, lease
from .models import ReportImport

log = logging.getLogger(__name__)
REQUEUED = events.REPORT_IMPORT_REQUEUED
ABANDONED = events.REPORT_IMPORT_ABANDONED
ABANDONED_TEXT = ("导入进程已 {attempts} 次在导入该文件时意外中断，已停止重试，未保存任何数据：请检查文件后重新上传，"
                  "如仍失败请联系系统管理员")


def max_attempts():
    return max(1, int(getattr(settings, "REPORT_IMPORT_MAX_ATTEMPTS", 3)))


class JobLease(lease.Lease):
    """This worker's hold on one running import (a context manager): the heartbeat thread renews it."""

    def renew(self):
        held = ReportImport.objects.filter(pk=self.pk, status=ReportImport.Status.RUNNING,
                                           attempts=self.attempt).update(heartbeat=timezone.now())
        if not held:
            self.lost.set()
        return bool(held)


def reclaim_expired(seconds=None):
    """Queue again (or fail, after the last attempt) every running import whose worker stopped renewing its
    lease; give a task to queued jobs whose task was lost. Returns the jobs taken over."""
    from .tasks import import_report_job

    seconds = lease.lease_seconds() if seconds is None else seconds
    limit = timezone.now() - timedelta(seconds=seconds)
    stale = ReportImport.objects.filter(status=ReportImport.Status.RUNNING).exclude(heartbeat__gte=limit)
    taken, abandoned = [], []
    for pk in stale.order_by("pk").values_list("pk", flat=True)[:100]:
        with transaction.atomic():
            job = stale.select_for_update().filter(pk=pk).first()
            if job is None:
                continue  # renewed, or taken by another reaper, meanwhile
            same = stale.filter(pk=pk, attempts=job.attempts)  # the condition again (SQLite locks no row)
            details = {"file": job.source_name, "attempts": job.attempts, "reason": f"no heartbeat for {seconds:g} s"}
            if job.attempts >= max_attempts():
                problem = ABANDONED_TEXT.format(attempts=job.attempts)
                if not states.move(same, "abandon", details=details, log_on=job, stage="", upload="",
                                   problems=[problem], finished_at=timezone.now()):
                    continue
                abandoned.append(job)
                continue
            if not states.move(same, "requeue", details=details, log_on=job, stage="", rows_done=0, heartbeat=None):
                continue
            import_report_job.enqueue(pk)
        taken.append(pk)
    for job in abandoned:  # storage I/O after the transaction
        _delete_upload(job.upload.name)
    taken += _queued_without_task(limit)
    if taken or abandoned:
        log.warning("took over report imports %s, gave up %s (their worker stopped)", taken, [j.pk for j in abandoned])
    return taken


def _delete_upload(name):
    if name:
        try:
            ReportImport._meta.get_field("upload").storage.delete(name)
        except Exception:
            log.exception("could not delete the uploaded report %s", name)


def _queued_without_task(since):
    """Queued jobs older than the lease whose task is gone (a worker died between taking the task and
    starting the job) get a new one; a duplicate task is harmless (reportjobs.run takes a job only once)."""
    from django_tasks_db.models import DBTaskResult

    from .tasks import import_report_job

    queued = set(ReportImport.objects.filter(status=ReportImport.Status.QUEUED, created_at__lt=since)
                 .values_list("pk", flat=True)[:100])
    if not queued:
        return []
    live = DBTaskResult.objects.filter(task_path=import_report_job.module_path).filter(
        Q(status="READY") | Q(enqueued_at__gte=since) | Q(started_at__gte=since))
    for args_kwargs in live.values_list("args_kwargs", flat=True):
        queued.difference_update((args_kwargs or {}).get("args") or [])
    for pk in sorted(queued):
        import_report_job.enqueue(pk)
    return sorted(queued)
