"""No endpoint of the chain lets a user act outside their role or scope: every URL is called by the right user
(gets through), a user of the wrong role and a user of the same role in another hall or branch (refused, and
nothing is written to the event log)."""
import pytest
from django.urls import reverse

from archive import errors, handover, level2, monthly
from archive.binding import Bind, CloseMonth
from archive.models import ErrorEntry, HandoverForm, Level1Audit, Level2Audit, Volume
from org.models import AuditEvent, Branch, Hall
from records.models import Record
from tests.archive_helpers import PASSWORD, day, make_day, to_keeper


def _all_rows(form):
    """The keys of every row of the form's contents: what a receiver who counted everything ticks."""
    return [row["key"] for row in handover.contents(form)]


@pytest.fixture
def scene(make_record, users):
    keeper, auditor = users("keeper-H11"), users("auditor-B1")
    make_day(make_record, "H11", day(1), ["general"] * 2)  # waiting for the daily close
    make_day(make_record, "H11", day(2), ["general", "ownership", "agreement", "agreement"])
    to_keeper(users, "H11", day(2))
    Bind(keeper, Record.objects.filter(status=Record.Status.AT_HALL)).run()
    CloseMonth(keeper, Hall.objects.get(code="H11"), 2026, 10, today=day(31)).run()
    own, agr = Volume.objects.get(category="ownership"), Volume.objects.get(category="agreement")
    pending = handover.GiveHallBranch(keeper, PASSWORD, [own]).run()
    received = handover.GiveHallBranch(keeper, PASSWORD, [agr]).run()
    handover.Receive(auditor, PASSWORD, received).run()
    l2 = level2.Start(auditor, agr).run()
    entry = errors.register(users("l1-H11"), Record.objects.get(transaction_no="H11202610020000"), "缺签名", "l1")
    process = monthly.ProcessCheck(users("marketing"), Branch.objects.get(code="B1"), 2026, 4).run()
    return {"audit": Level1Audit.objects.get(), "general": Volume.objects.get(category="general"), "own": own,
            "process": process,
            "agr": agr, "pending": pending, "received": received, "l2": l2, "entry": entry,
            "hall": Hall.objects.get(code="H11"), "branch": Branch.objects.get(code="B1"),
            "record": Record.objects.get(transaction_no="H11202610020000"),
            "sampled": Record.objects.get(pk=l2.sample[0])}


# name, args(scene), POST data(scene) or None for GET, right user, wrong role, wrong scope
ENDPOINTS = [
    ("dashboard", lambda s: [], None, "keeper-H11", "clerk-H11", None),
    ("daily_close", lambda s: [], None, "clerk-H11", "keeper-H11", None),
    ("daily_close_run", lambda s: [], lambda s: {"hall": s["hall"].pk, "day": "2026-10-01"}, "clerk-H11",
     "l1-H11", "clerk-H12"),
    ("level1", lambda s: [s["hall"].pk, "2026-10-02"], None, "l1-H11", "keeper-H11", "l1-H12"),
    ("level1_open", lambda s: [s["hall"].pk, "2026-10-03"], lambda s: {}, "l1-H11", "keeper-H11", "l1-H12"),
    ("level1_mark", lambda s: [s["audit"].pk], lambda s: {"record": s["record"].pk, "result": "passed"}, "l1-H11",
     "keeper-H11", "l1-H12"),
    ("level1_pass_clean", lambda s: [s["audit"].pk], lambda s: {}, "l1-H11", "keeper-H11", "l1-H12"),
    ("level1_sign", lambda s: [s["audit"].pk], lambda s: {"password": PASSWORD}, "l1-H11", "clerk-H11", "l1-H12"),
    ("give_clerk_hall", lambda s: [s["audit"].pk], lambda s: {"password": PASSWORD}, "l1-H11", "keeper-H11",
     "l1-H12"),
    ("level1_pdf", lambda s: [s["audit"].pk], None, "l1-H11", "clerk-H11", "l1-H12"),
    ("errors", lambda s: [], None, "keeper-H11", "auditor-B1", None),
    ("error_correct", lambda s: [s["entry"].pk], lambda s: {}, "keeper-H11", "auditor-B1", "keeper-H12"),
    ("keeper", lambda s: [], None, "keeper-H11", "l1-H11", None),
    ("bind", lambda s: [], lambda s: {"records": [s["record"].pk]}, "keeper-H11", "l1-H11", "keeper-H12"),
    ("close_month", lambda s: [], lambda s: {"hall": s["hall"].pk, "year": 2026, "month": 10}, "keeper-H11",
     "l1-H11", "keeper-H12"),
    ("give_hall_branch", lambda s: [], lambda s: {"volumes": [s["general"].pk], "password": PASSWORD},
     "keeper-H11", "auditor-B1", "keeper-H12"),
    ("form", lambda s: [s["pending"].pk], None, "auditor-B1", "clerk-H11", "auditor-B2"),
    ("form_receive", lambda s: [s["pending"].pk], lambda s: {"password": PASSWORD, "counted": _all_rows(s["pending"])},
     "auditor-B1", "keeper-H11",
     "auditor-B2"),
    ("form_reject", lambda s: [s["pending"].pk], lambda s: {"password": PASSWORD, "reason": "x"}, "auditor-B1",
     "keeper-H11", "auditor-B2"),
    ("form_pdf", lambda s: [s["pending"].pk], None, "auditor-B1", "clerk-H11", "auditor-B2"),
    ("marketing_check", lambda s: [s["received"].pk], lambda s: {}, "marketing", "auditor-B1", None),
    ("volume", lambda s: [s["agr"].pk], None, "auditor-B1", "clerk-H11", "auditor-B2"),
    ("volume_fix", lambda s: [s["general"].pk], lambda s: {"note": "x"}, "keeper-H11", "auditor-B1", "keeper-H12"),
    ("volume_return", lambda s: [s["general"].pk], lambda s: {"reason": "x"}, "keeper-H11", "l1-H11",
     "keeper-H12"),
    ("level2_start", lambda s: [s["agr"].pk], lambda s: {}, "auditor-B1", "keeper-H11", "auditor-B2"),
    ("level2_finding", lambda s: [s["l2"].pk], lambda s: {"record": s["sampled"].pk, "ok": "1"}, "auditor-B1",
     "keeper-H11", "auditor-B2"),
    ("level2_finish", lambda s: [s["l2"].pk], lambda s: {"password": PASSWORD}, "auditor-B1", "marketing",
     "auditor-B2"),
    ("volume_pdf", lambda s: [s["agr"].pk], None, "auditor-B1", "clerk-H11", "auditor-B2"),
    ("cover_pdf", lambda s: [s["agr"].pk], None, "keeper-H11", "clerk-H11", "keeper-H12"),
    ("level2_pdf", lambda s: [s["agr"].pk], None, "auditor-B1", "clerk-H11", "auditor-B2"),
    ("branch", lambda s: [], None, "auditor-B1", "clerk-H11", None),
    ("give_branch_marketing", lambda s: [], lambda s: {"branch": s["branch"].pk, "year": 2026, "month": 10,
                                                       "password": PASSWORD}, "auditor-B1", "keeper-H11",
     "auditor-B2"),
    ("process_check", lambda s: [], lambda s: {"branch": s["branch"].pk, "year": 2026, "quarter": 4}, "marketing",
     "auditor-B1", None),
    ("process_check_view", lambda s: [s["process"].pk], None, "marketing", "auditor-B1", None),
    ("process_finding", lambda s: [s["process"].pk], lambda s: {"record": s["process"].sample[0], "ok": "1"},
     "marketing", "auditor-B1", None),
]


# The retention, hold and destruction screens (archive/retention_views.py) are city-wide, not hall- or
# branch-scoped steps of the chain: the permission matrix (tests/permission_matrix.py) asks every role about
# each of them, and tests/archive/test_retention*.py drive them.
RETENTION_URLS = {"retention", "service_events_upload", "schedule_change", "hold_add", "hold_release",
                  "deletion_request", "restricted_open", "restricted_file", "destruction_lists", "destruction_draw", "destruction_list",
                  "destruction_appraise", "destruction_approve", "destruction_execute", "destruction_purge",
                  "destruction_witness", "destruction_pdf"}


def test_every_url_is_in_the_table():
    from archive import admin_urls
    from tests.permission_matrix import RULES

    names = {p.name for p in admin_urls.urlpatterns}
    tabled = {e[0] for e in ENDPOINTS}
    assert tabled <= names and RETENTION_URLS <= names
    # every other URL (retention, custody and loans, integrity) has its rule in the permission matrix
    assert {f"archive_admin:{n}" for n in names - tabled} <= {r.match for r in RULES}


def _call(client, user, name, scene, args, data):
    if client.session.get("_auth_user_id") != str(user.pk):
        client.force_login(user)
    url = reverse(f"archive_admin:{name}", args=args(scene))
    if data is None:
        return client.get(url)
    return client.post(url, data(scene))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_wrong_role_and_wrong_scope_are_refused(client, scene, users, endpoint):
    name, args, data, right, wrong_role, wrong_scope = endpoint
    for who in [wrong_role, wrong_scope]:
        if who is None:
            continue
        client.force_login(users(who))  # (logging in is itself logged)
        before = AuditEvent.objects.count()
        response = _call(client, users(who), name, scene, args, data)
        # refused: 403, 404 (outside the scope), or Wagtail's permission-denied redirect to the admin home
        refused = response.status_code in (403, 404) or (response.status_code == 302 and response.url == "/admin/")
        assert refused, (who, response.status_code, getattr(response, "url", ""))
        assert AuditEvent.objects.count() == before, who
    response = _call(client, users(right), name, scene, args, data)
    assert response.status_code == 200 or (response.status_code == 302 and response.url.startswith("/admin/archive/")), (
        right, response.status_code)


def test_the_right_user_acts_through_the_screens(client, scene, users):
    """A few real acts through the URLs: receive with the password, a wrong password, a rejection."""
    client.force_login(users("auditor-B1"))
    url = reverse("archive_admin:form_receive", args=[scene["pending"].pk])
    response = client.post(url, {"password": "wrong"}, follow=True)
    assert "密码错误：未签字" in response.content.decode()
    assert HandoverForm.objects.get(pk=scene["pending"].pk).status == "given"
    client.post(url, {"password": PASSWORD, "counted": _all_rows(scene["pending"])})
    assert HandoverForm.objects.get(pk=scene["pending"].pk).status == "accepted"
    assert Volume.objects.get(pk=scene["own"].pk).status == "at_branch"
    response = client.get(reverse("archive_admin:dashboard"))
    assert response.status_code == 200 and b"<svg" in response.content
    assert scene["own"].number in response.content.decode()
    pdf = client.get(reverse("archive_admin:volume_pdf", args=[scene["agr"].pk]))
    assert pdf.status_code == 302  # no access copies in this scene: a message, not a broken PDF
    assert ErrorEntry.objects.count() == 1 and Level2Audit.objects.count() == 1


def test_a_monthly_form_of_a_whole_branch_is_in_that_branch_only(org_demo, users):
    from org import access

    form = HandoverForm.objects.create(kind="branch_marketing", branch=Branch.objects.get(code="B1"), year=2026,
                                       month=10, giver=users("auditor-B1"))
    for who, sees in [("auditor-B1", True), ("auditor-B2", False), ("marketing", True), ("keeper-H11", False)]:
        user = users(who)
        assert access.visible(user, HandoverForm.objects.all(), "archive.view").filter(pk=form.pk).exists() is sees
        assert access.can(user, "archive.view", form) is sees
    assert access.can(users("marketing"), "handover.branch_marketing.receive", form)
    assert not access.can(users("auditor-B1"), "handover.branch_marketing.receive", form)


def test_bad_input_on_a_screen_is_a_message_and_changes_nothing(client, users, make_record):
    from org.models import Hall

    from records.models import Record

    record = make_record("H11", status=Record.Status.OCR_DONE)
    client.force_login(users("clerk-H11"))
    before = AuditEvent.objects.count()
    response = client.post(reverse("archive_admin:daily_close_run"),
                           {"hall": Hall.objects.get(code="H11").pk, "day": "2026-13-45"}, follow=True)
    assert "日期格式应为 YYYY-MM-DD" in response.content.decode()
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_DONE and AuditEvent.objects.count() == before
