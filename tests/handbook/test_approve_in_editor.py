"""Issue 16, trap 4, on the server: the procedure editor's form says "changed" only when a value changed (so
批准 in the footer saves no identical revision and does not send the procedure back to the office), and the
final approval, from the editor or the dashboard, confirms which version takes effect when."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from tests.handbook.test_approve_in_editor_browser import _reviewed_by_the_office
from tests.handbook_support import make_handbook, make_procedure, make_sub_procedure

pytestmark = pytest.mark.django_db


def _as_browser_sends(page, user, **changes):
    """The editor's form of `page` bound to what a browser sends back unchanged: text with CRLF line ends,
    a StreamField's numbers as strings, the date and time to the minute."""
    form_class = page.get_edit_handler().get_form_class()
    unbound = form_class(instance=page, for_user=user, parent_page=page.get_parent())
    data = {}
    for name, field in unbound.fields.items():
        value = unbound.get_initial_for_field(field, name)
        if name in ("key_moments", "responsibilities", "related_forms"):
            data[name] = streamfield([(b.block_type, {k: "" if v is None else str(v).replace("\n", "\r\n")
                                                      for k, v in b.value.items()}) for b in value])
            for i, block in enumerate(value):
                data[name][str(i)]["id"] = block.id
        elif isinstance(value, datetime.datetime):
            data[name] = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None and hasattr(value, "pk"):
            data[name] = str(value.pk)
        elif value is not None:
            data[name] = str(value).replace("\n", "\r\n")
    data.update(changes)
    formsets = {name: inline_formset([]) for name in unbound.formsets}
    return form_class(nested_form_data({**data, **formsets}), instance=page, for_user=user,
                      parent_page=page.get_parent())


def test_an_unchanged_form_as_the_browser_sends_it_has_not_changed(org_demo, users):
    _root, part = make_handbook()
    go_live = timezone.now().replace(second=37, microsecond=12) + datetime.timedelta(days=1)
    page = make_procedure(part, publish=False, objective="第一行\n第二行", go_live_at=go_live,
                          key_moments=[("moment", {"when": "开户时", "do": "核对证件\n录入系统", "limit_value": 3,
                                                   "limit_unit": "minutes"})])
    page.save_revision()
    page = page.get_latest_revision_as_object()
    form = _as_browser_sends(page, users("gm"))
    assert form.is_valid(), form.errors
    assert form.changed_data == [] and not form.has_changed()
    assert form.cleaned_data["objective"] == "第一行\n第二行"  # stored with LF line ends

    page = page.get_latest_revision_as_object()  # (validating a form writes into its instance)
    changed = _as_browser_sends(page, users("gm"), objective="第一行\r\n改过的第二行")
    assert changed.is_valid(), changed.errors
    assert changed.changed_data == ["objective"] and changed.cleaned_data["objective"] == "第一行\n改过的第二行"


def _approve(page, user, rf):
    """What both the editor's footer and the dashboard end in: the current task's on_action, in a request."""
    from django.contrib.messages.storage.fallback import FallbackStorage

    from org.middleware import _state

    request = rf.post("/admin/")
    request.user, request.session = user, {}
    request._messages = FallbackStorage(request)
    state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_IN_PROGRESS)
    _state.request = request
    try:
        state.current_task_state.task.specific.on_action(state.current_task_state.specific, user, "approve")
    finally:
        _state.request = None
    return [str(m.message) for m in request._messages]


def test_the_final_approval_confirms_the_version_and_when_it_takes_effect(org_demo, users, rf):
    page = _reviewed_by_the_office(users)
    messages = _approve(page, users("gm"), rf)
    assert len(messages) == 1 and "已批准《普通开户入网业务办理流程》V1.1版，即时生效" in messages[0]
    page.refresh_from_db()
    assert page.live and page.version == "1.1"


def test_a_department_head_approving_a_sub_procedure_is_confirmed_too(org_demo, users, rf):
    from org.models import Department

    _root, part = make_handbook()
    main = make_procedure(part)
    sub = make_sub_procedure(main, department=Department.objects.get(code="marketing"), title="业务档案稽核流程")
    sub.save_revision(user=users("admin"))
    sub.get_workflow().start(sub, users("admin"))
    assert _approve(sub, users("office"), rf) == []  # the office's review is not the final approval
    messages = _approve(sub, users("depthead"), rf)
    assert len(messages) == 1 and "已批准《业务档案稽核流程》V1.0版" in messages[0]


def test_an_approval_that_sends_an_edited_procedure_back_is_not_confirmed(org_demo, users, rf):
    page = _reviewed_by_the_office(users)
    edited = page.get_latest_revision_as_object()
    edited.objective = "改过的目标"
    edited.save_revision(user=users("staff"))  # an edit during the review: the office must review it again
    assert _approve(page, users("gm"), rf) == []
    state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_IN_PROGRESS)
    assert state.current_task_state.task.name == "办公室审核"


def test_the_dashboard_action_confirms_as_well(org_demo, users, client):
    page = _reviewed_by_the_office(users)
    revisions = Revision.objects.filter(object_id=str(page.pk)).count()
    state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_IN_PROGRESS)
    client.force_login(users("gm"))
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", state.current_task_state.pk])
    response = client.post(url, {"next": reverse("wagtailadmin_home")}, follow=True)
    assert "已批准《普通开户入网业务办理流程》V1.1版，即时生效" in response.content.decode()
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    assert Revision.objects.filter(object_id=str(page.pk)).count() == revisions
