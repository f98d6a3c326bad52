"""The immutable revision log: one row per publish of a procedure, with the reviewer and the approver read
from the approval workflow's task states (handbook.routing)."""
from django.db import transaction
from django.utils import timezone
from wagtail.models import WorkflowState

from org import auditlog

from .models import RevisionLogEntry
from .routing import RoutedApprovalTask


def approvals(page):
    """(reviewer, approver) of the page's latest approved workflow; empty strings where there was none."""
    state = (WorkflowState.objects.for_instance(page).filter(status=WorkflowState.STATUS_APPROVED)
             .order_by("-created_at", "-pk").first())
    reviewer = approver = ""
    if state is None:
        return reviewer, approver
    for task_state in (state.task_states.filter(status="approved").select_related("task", "finished_by")
                       .order_by("finished_at", "pk")):
        who = str(task_state.finished_by) if task_state.finished_by else ""
        if isinstance(task_state.task.specific, RoutedApprovalTask):
            approver = who
        else:
            reviewer = who
    return reviewer, approver


def write(page, revision=None, user=None):
    """Append the log row for the version of `page` that has just gone live, and log the event."""
    reviewer, approver = approvals(page)
    with transaction.atomic():
        entry = RevisionLogEntry.objects.create(
            page=page, title=page.title, revision=revision, version=page.version, change_summary=page.change_summary,
            effective_from=page.last_published_at or timezone.now(), reviewer=reviewer, approver=approver,
            published_by=str(user) if user else "",
        )
        auditlog.record("handbook.procedure.publish", actor=user, obj=page,
                        details={"version": page.version, "revision": revision.pk if revision else None,
                                 "reviewer": reviewer, "approver": approver,
                                 "effective_from": entry.effective_from})
    return entry


def history(page):
    """The log rows of `page`, oldest first, each with its effective_to (the next row's effective_from)."""
    rows = list(RevisionLogEntry.objects.filter(page_id=page.pk).order_by("effective_from", "pk"))
    for row, later in zip(rows, rows[1:] + [None]):
        row.effective_until = later.effective_from if later else None
    return rows
