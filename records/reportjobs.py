"""The report import of the screen, as a background job: a 100,000-row report takes seconds, longer than a
web request may wait, so the request only stores the file and queues the job; the worker imports it
(records.reconcile.import_report, the same code as the command) and the job row tells the screen how far it
is, then the report or the refusal by line and column.

The uploaded file shows ID numbers: it waits in the private records storage (records/storage.py, no URL)
and is deleted as soon as the worker has read it. The file is written before the job row and its event, so
no storage I/O happens inside a database transaction (or the event log's chain-head lock). A job is seen
only by the user who uploaded it (its rows' halls are not known before it is read)."""
import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from org import access, auditlog, states

from . import events, reconcile
from .models import ReportImport

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
    """Import the job's file (in the worker). Returns the job's final status."""
    try:
        states.move(ReportImport(pk=job_id), "start", stage="reading")
    except states.Refused:
        return None  # already taken, or gone
    job = ReportImport.objects.select_related("uploaded_by").get(pk=job_id)
    mine = ReportImport.objects.filter(pk=job_id)

    def progress(done, total, stage):
        mine.update(rows_done=done, rows_total=total, stage=stage)

    try:
        with job.upload.open("rb") as fh:
            data = reconcile.read_report(fh)
        report = reconcile.import_report(job.uploaded_by, data, job.source_name, progress=progress)
    except (reconcile.ReportError, PermissionDenied) as exc:
        problems = exc.problems if isinstance(exc, reconcile.ReportError) else [str(exc)]
        _finish(job, "refuse", actor=job.uploaded_by, details={"file": job.source_name, "problems": len(problems)},
                problems=problems)
    except Exception:
        log.exception("report import job %s failed", job_id)
        _finish(job, "fail", problems=["导入时发生内部错误，未保存任何数据：请重新上传，"
                                       "如仍失败请联系系统管理员"])
        raise
    else:
        _finish(job, "finish", report=report, rows_done=report.row_count, rows_total=report.row_count)
    return job.status


def _finish(job, move, actor=None, details=None, **fields):
    name = job.upload.name
    if name:
        try:
            job.upload.storage.delete(name)  # the uploaded file shows ID numbers: not kept once read
        except Exception:  # the job's answer matters more; a leftover is logged for the administrator
            log.exception("could not delete the uploaded report %s", name)
    states.move(job, move, actor, details=details, **{"stage": "", "upload": "", "finished_at": timezone.now(),
                                                     **fields})
