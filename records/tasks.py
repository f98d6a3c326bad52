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


@task()
def fixity_slice():
    """One slice of the fixity cycle (records/fixity.py); the worker's periodic job enqueues it every
    FIXITY_RUN_SECONDS, so the long reads run as a task and never hold up the other periodic jobs."""
    from . import fixity

    return fixity.run_due().as_dict()


def enqueue_fixity_slice():
    fixity_slice.enqueue()
