"""Issue 16, trap 4, in a real Chromium: the general manager opens a procedure the office has reviewed and
clicks 批准 in the page editor's footer. The workflow moves on (no new revision, the office review is not
started again), the version is scheduled for its go-live date, and a confirmation names the procedure, its
version and that date."""
import datetime

import pytest
from django.utils import timezone
from wagtail.models import Revision, WorkflowState

from tests.archive_helpers import signed_in
from tests.handbook_support import make_handbook, make_procedure
from tests.records.test_browser_upload import ARGS, CHROMIUM, pytestmark  # noqa: F401  (skip without Chromium)


def _reviewed_by_the_office(users, version="1.1", go_live_at=None):
    from org.models import RoleAssignment

    _root, part = make_handbook()
    RoleAssignment.objects.create(user=users("staff"), role="author", scope="all")
    page = make_procedure(part, version=version, publish=False,
                          objective="快速、准确办理普通客户入网业务。\n核对证件。")
    draft = page.get_latest_revision_as_object()
    draft.go_live_at = go_live_at
    draft.save_revision(user=users("staff"))
    page.get_workflow().start(draft, users("staff"))
    state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_IN_PROGRESS)
    office_task = state.current_task_state.task.specific
    office_task.on_action(state.current_task_state.specific, users("office"), "approve")
    return page


def test_the_general_manager_approves_from_the_editor_footer(live_server, users):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    go_live = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(9, 0)))
    page = _reviewed_by_the_office(users, go_live_at=go_live)
    revisions = Revision.objects.filter(object_id=str(page.pk)).count()
    state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_IN_PROGRESS)
    assert state.current_task_state.task.name == "总经理或分管领导审批"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            gm = signed_in(browser, live_server.url, "gm")
            gm.goto(f"{live_server.url}/admin/pages/{page.pk}/edit/")
            footer = gm.locator("footer")
            approve = footer.get_by_role("button", name="批准", exact=True)
            if not approve.is_visible():
                footer.locator("[data-w-dropdown-target=toggle], .dropdown-toggle").first.click()
            with gm.expect_navigation():
                approve.click()
            message = gm.locator(".messages").inner_text()
        finally:
            browser.close()
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED, state.current_task_state.task.name
    assert Revision.objects.filter(object_id=str(page.pk)).count() == revisions  # no new revision
    assert [t.task.name for t in state.task_states.order_by("pk")] == ["办公室审核", "总经理或分管领导审批"]
    page.refresh_from_db()
    revision = page.get_latest_revision()
    assert revision.approved_go_live_at == go_live  # scheduled: it goes live at its go-live date
    expected = f"已批准《普通开户入网业务办理流程》V1.1版，将于{tomorrow:%Y-%m-%d} 09:00生效"
    assert not page.live and expected in message, message
