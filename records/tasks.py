"""Background jobs of records/ (django-tasks; the worker is `manage.py run_worker`)."""
from django_tasks import task


@task()
def ocr_record(record_id):
    from . import ocr

    return ocr.run(record_id)


@task()
def import_report_job(job_id):
    """Import an operator report uploaded on the screen (records.reportjobs)."""
    from . import reportjobs

    return reportjobs.run(job_id)
