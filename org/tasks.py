"""Background jobs of org/ (run by the django-tasks worker: `manage.py db_worker`)."""
from django_tasks import task

from . import auditlog


@task()
def verify_event_log():
    """Walk the hash chain in the worker and write the outcome to the log itself."""
    try:
        rows = auditlog.verify()
    except auditlog.ChainBroken as broken:
        auditlog.record("auditlog.broken", actor_name="worker", details={"seq": broken.seq, "reason": broken.reason})
        return {"ok": False, "seq": broken.seq, "reason": broken.reason}
    auditlog.record("auditlog.verified", actor_name="worker", details={"rows": rows})
    return {"ok": True, "rows": rows}
