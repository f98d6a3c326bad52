"""The report import of the screen, as a background job: a 100,000-row report takes seconds, longer than a
web request may wait, so the request only stores the file and queues the job; the worker imports it
(records.reconcile.import_report, the same code as the command) and the job row tells the screen how far it
is, then the report or the refusal by line and column.

The uploaded file shows ID numbers: it waits in the private records storage (records/storage.py, no URL)
and is deleted when the job ends (not before: a job whose worker died runs again from it, see
records/reportlease.py). The file is written before the job row and its event, so
no storage I/O happens inside a database transaction (or the event log's chain-head lock). A job is seen
only by the user who uploaded it (its rows' halls are not known before it is read)."""
import hashlib
import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from org import access, auditlog, states

from . import events, lease, reconcile
from .models import OperatorReport, ReportImport

log = logging.getLogger(__name__)


def visible_jobs(user):
    return ReportImport.objects.filter(uploaded_by=user) if access.may(user, "report.import") else \
        ReportImport.objects.none()


def queue(user, upload, request=None):
    """Store the uploaded report and queue its import; returns the job. PermissionDenied without
    `report.import`; ReportError when the file is too large."""
    from .tasks import import_report_job

    if not access.may(user, "report.import"):
        raise PermissionDenied("您无权导入营业员操作报表")
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > reconcile.max_report_bytes():
        raise reconcile.too_large()
    job = ReportImport(source_name=(upload.name or "report")[:255], uploaded_by=user)
    job.upload.save(upload.name or "report", upload, save=False)  # storage I/O before any transaction
    try:
        with transaction.atomic():
            job.save()
            auditlog.record(events.REPORT_IMPORT_QUEUED, actor=user, obj=job, request=request,
                            details={"file": job.source_name, "bytes": size})
            transaction.on_commit(lambda: import_report_job.enqueue(job.pk))
    except BaseException:
        job.upload.storage.delete(job.upload.name)
        raise
    return job


def run(job_id):
    """Import the job's file (in the worker) under a lease (records/reportlease.py). Returns the job's final
    status (None when it was not this worker's to run, or was taken over meanwhile)."""
    from .reportlease import JobLease

    try:
        states.move(ReportImport(pk=job_id), "start", stage="reading", rows_done=0, attempts=F("attempts") + 1,
                    heartbeat=timezone.now())
    except states.Refused:
        return None  # already taken, or gone
    job = ReportImport.objects.select_related("uploaded_by").get(pk=job_id)
    with JobLease(job.pk, job.attempts):
        def progress(done, total, stage):
            if not ReportImport.objects.filter(pk=job_id, attempts=job.attempts, status=ReportImport.Status.RUNNING
                                               ).update(rows_done=done, rows_total=total, stage=stage,
                                                        heartbeat=timezone.now()):
                raise lease.LeaseLost(f"report import job {job_id} was taken over")

        try:
            with job.upload.open("rb") as fh:
                data = reconcile.read_report(fh)
            report = _imported_before(job, data) or reconcile.import_report(
                job.uploaded_by, data, job.source_name, progress=progress)
        except lease.LeaseLost:
            log.warning("report import job %s was taken over by another worker", job_id)
            return None
        except (reconcile.ReportError, PermissionDenied) as exc:
            problems = exc.problems if isinstance(exc, reconcile.ReportError) else [str(exc)]
            if not _finish(job, "refuse", actor=job.uploaded_by,
                           details={"file": job.source_name, "problems": len(problems)}, problems=problems):
                return None
        except Exception:
            log.exception("report import job %s failed", job_id)
            _finish(job, "fail", problems=["导入时发生内部错误，未保存任何数据：请重新上传，"
                                                               "如仍失败请联系系统管理员"])
            raise
        else:
            if not _finish(job, "finish", report=report, rows_done=report.row_count,
                           rows_total=report.row_count):
                return None
    return job.status


def _imported_before(job, data):
    """On a re-run: the report this job's earlier worker committed just before it died (same file, same
    user, imported after the job was queued), or None."""
    if job.attempts < 2:
        return None
    digest = hashlib.sha256(data).hexdigest()
    return OperatorReport.objects.filter(sha256=digest, imported_by=job.uploaded_by,
                                         imported_at__gte=job.created_at).first()


def _finish(job, move, actor=None, details=None, **fields):
    """End the job by `move` if it is still this worker's (its token): the uploaded file deleted, then the
    outcome. A job queued again meanwhile but not started by anyone (the lease ran out while SQLite, a single
    writer, kept the heartbeat from being written during the save) is still this worker's to end. False when
    another worker started it meanwhile (then this one touches nothing)."""
    mine = ReportImport.objects.filter(pk=job.pk, attempts=job.attempts,
                                       status__in=[ReportImport.Status.RUNNING, ReportImport.Status.QUEUED])
    if not mine.exists():
        return False
    name = job.upload.name
    if name:
        try:
            job.upload.storage.delete(name)  # the uploaded file shows ID numbers: not kept once read
        except Exception:  # the job's answer matters more; a leftover is logged for the administrator
            log.exception("could not delete the uploaded report %s", name)
    try:
        moved = states.move(mine, move, actor, details=details, log_on=job, stage="", upload="",
                            finished_at=timezone.now(), **fields)
    except states.Refused:
        return False
    if not moved:
        return False
    job.refresh_from_db()
    return True
