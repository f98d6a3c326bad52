"""Background jobs of records/ (django-tasks; the worker is `manage.py run_worker`)."""
from django_tasks import task


@task()
def ocr_record(record_id):
    from . import ocr

    return ocr.run(record_id)
