"""Background jobs of org/ (run by the django-tasks worker: `manage.py db_worker`)."""
from django_tasks import task

from . import anchors, auditlog


@task()
def verify_event_log():
    """Walk the hash chain, compare it with every anchor, and write the outcome to the log itself."""
    try:
        report = anchors.verify()
    except auditlog.ChainBroken as broken:
        auditlog.record("auditlog.broken", actor_name="worker",
                        details={"seq": broken.seq, "reason": broken.reason, "anchor": broken.source})
        return {"ok": False, "seq": broken.seq, "reason": broken.reason, "anchor": broken.source}
    except anchors.AnchorsUnavailable as exc:
        auditlog.record("auditlog.unverified", actor_name="worker", details={"reason": str(exc)})
        return {"ok": False, "reason": str(exc)}
    auditlog.record("auditlog.verified", actor_name="worker",
                    details={"rows": report["rows"], "anchors": report["anchors"], "status": report["status"]})
    return {"ok": True, "rows": report["rows"], "anchors": report["anchors"], "status": report["status"],
            "warnings": report["warnings"]}
