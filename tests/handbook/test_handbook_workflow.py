"""Approval routing, scheduled publishing (the clock moves), the revision log and the event log."""
import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from wagtail.models import WorkflowState

from config import periodic
from handbook.scheduler import publish_scheduled
from tests.handbook_support import make_handbook, make_procedure, make_sub_procedure


def _act(page, user, action="approve"):
    state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_IN_PROGRESS)
    task_state = state.current_task_state
    task = task_state.task.specific
    assert any(a[0] == action for a in task.get_actions(page, user)), f"{user} may not {action} at {task}"
    task.on_action(task_state.specific, user, action)
    return task


def _submit(page, user):
    page = page.get_latest_revision_as_object()
    page.save_revision(user=user)
    return page.get_workflow().start(page, user)


def _may_act(page, user):
    state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_IN_PROGRESS)
    return bool(state.current_task_state.task.specific.get_actions(page, user))


def test_groups_follow_roles(org_demo, users):
    from org.models import RoleAssignment

    make_handbook()
    assert set(users("office").groups.values_list("name", flat=True)) == {"办公室"}
    assert set(users("gm").groups.values_list("name", flat=True)) == {"总经理"}
    assert set(users("depthead").groups.values_list("name", flat=True)) == {"分管领导·marketing"}
    assert not users("staff").groups.exists()
    RoleAssignment.objects.filter(user__username="gm", role="gm").delete()
    assert not users("gm").groups.exists()


def test_routing_differs_for_main_and_sub_procedures(org_demo, users):
    from org.models import Department, RoleAssignment

    _root, part = make_handbook()
    author = users("staff")
    RoleAssignment.objects.create(user=author, role="author", scope="all")
    author = users("staff")
    main = make_procedure(part, version="0.9", publish=False)
    marketing = Department.objects.get(code="marketing")
    sub = make_sub_procedure(main, department=marketing)
    office, gm, depthead = users("office"), users("gm"), users("depthead")

    for page in (main, sub):
        _submit(page, author)
        assert not _may_act(page, gm) and not _may_act(page, depthead) and not _may_act(page, author)
        task = _act(page, office)
        assert task.name == "办公室审核"
    # after the office: the main procedure goes to the general manager, the sub-procedure to the department head
    assert _may_act(main, gm) and not _may_act(main, depthead)
    assert _may_act(sub, depthead) and not _may_act(sub, gm)
    other_head = users("marketing")
    RoleAssignment.objects.create(user=other_head, role="depthead", scope="all",
                                  department=Department.objects.get(code="office"))
    assert not _may_act(sub, users("marketing"))  # head of another department
    _act(main, gm)
    _act(sub, depthead)
    main.refresh_from_db()
    sub.refresh_from_db()
    assert main.live and sub.live
    row = main.revision_log.get()
    assert (row.reviewer, row.approver, row.version) == (str(office), str(gm), "0.9")
    assert sub.revision_log.get().approver == str(depthead)


def test_authors_cannot_publish_and_an_edit_during_review_needs_reapproval(org_demo, users):
    from org.models import RoleAssignment

    _root, part = make_handbook()
    RoleAssignment.objects.create(user=users("staff"), role="author", scope="all")
    author = users("staff")
    page = make_procedure(part, publish=False)
    perms = page.permissions_for_user(author)
    assert perms.can_edit() and not perms.can_publish()
    _submit(page, author)
    _act(page, users("office"))
    # the author edits while the general manager has it: the office must review again
    edited = page.get_latest_revision_as_object()
    edited.objective = "改过的目标"
    edited.save_revision(user=author)
    _act(page, users("gm"))
    page.refresh_from_db()
    assert not page.live
    state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_IN_PROGRESS)
    assert state.current_task_state.task.name == "办公室审核"
    _act(page, users("office"))
    _act(page, users("gm"))
    page.refresh_from_db()
    assert page.live and page.objective == "改过的目标"


def test_v11_effective_tomorrow_keeps_v10_live_until_the_scheduler_runs(org_demo, users, client):
    _root, part = make_handbook()
    page = make_procedure(part, version="1.0", objective="旧的目标")
    client.force_login(users("staff"))
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    draft = page.get_latest_revision_as_object()
    draft.version, draft.objective, draft.change_summary = "1.1", "新的目标", "开户时限改为2分钟"
    draft.go_live_at = tomorrow
    draft.save_revision(user=users("admin")).publish(user=users("admin"))

    body = client.get(page.url).content.decode()
    assert "V1.0" in body and "旧的目标" in body and "新的目标" not in body
    # the worker runs Wagtail's scheduler every minute (run here directly: the worker's job wrapper also
    # closes database connections older than CONN_MAX_AGE, which a moved clock would hit inside the test)
    seconds, job = periodic.JOBS["handbook.publish_scheduled"]
    assert seconds <= 60 and job is publish_scheduled
    job()  # today: nothing due
    assert "旧的目标" in client.get(page.url).content.decode()

    with time_machine.travel(tomorrow + datetime.timedelta(minutes=1)):
        job()
        client.force_login(users("staff"))  # a day later: yesterday's session has ended (SESSION_HOURS)
        body = client.get(page.url).content.decode()
    assert "V1.1" in body and "新的目标" in body and "旧的目标" not in body
    rows = list(page.revision_log.order_by("effective_from"))
    assert [r.version for r in rows] == ["1.0", "1.1"]
    assert rows[0].effective_to == rows[1].effective_from >= tomorrow
    assert rows[1].change_summary == "开户时限改为2分钟"


def test_revision_log_rows_are_immutable(org_demo):
    from django.db import connection, transaction

    from handbook.models import RevisionLogEntry

    _root, part = make_handbook()
    page = make_procedure(part)
    row = page.revision_log.get()
    row.version = "9.9"
    with pytest.raises(PermissionDenied):
        row.save()
    with pytest.raises(PermissionDenied):
        row.delete()
    with pytest.raises(PermissionDenied):
        RevisionLogEntry.objects.filter(pk=row.pk).update(version="9.9")
    if connection.vendor == "postgresql":
        from django.db import DatabaseError

        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE handbook_revisionlogentry SET version = '9.9'")


def test_every_state_change_is_in_the_event_log(org_demo, users, client):
    from org.models import AuditEvent, RoleAssignment

    _root, part = make_handbook()
    RoleAssignment.objects.create(user=users("staff"), role="author", scope="all")
    page = make_procedure(part, publish=False)
    _submit(page, users("staff"))
    _act(page, users("office"), "reject")
    edited = page.get_latest_revision_as_object()
    edited.save_revision(user=users("staff"))
    state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_NEEDS_CHANGES)
    state.resume(users("staff"))  # what the editor does on "resubmit"
    _act(page, users("office"))
    _act(page, users("gm"))
    page.refresh_from_db()
    page.get_latest_revision().publish()  # (a plain publish of the same revision: a second row)
    page.unpublish()
    actions = list(AuditEvent.objects.filter(action__startswith="handbook.").values_list("action", flat=True))
    for expected in ["handbook.groups.sync", "handbook.procedure.revision", "handbook.workflow.submit",
                     "handbook.workflow.task_reject", "handbook.workflow.task_approve", "handbook.workflow.approve",
                     "handbook.procedure.publish", "handbook.procedure.unpublish"]:
        assert expected in actions, expected
    from django.core.management import call_command

    call_command("verify_audit_log")


def test_deleting_a_procedure_keeps_its_revision_log(org_demo):
    from handbook.models import RevisionLogEntry
    from org.models import AuditEvent

    _root, part = make_handbook()
    page = make_procedure(part, title="将被删除的流程")
    pk = page.pk
    page.delete()
    row = RevisionLogEntry.objects.get(page_id=pk)
    assert (row.title, row.version) == ("将被删除的流程", "1.0")
    assert AuditEvent.objects.filter(action="handbook.procedure.delete", object_id=str(pk)).exists()
