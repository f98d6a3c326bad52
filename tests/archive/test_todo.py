"""The home page's 待办 (archive/todo.py): per role, the right rows with the right counts and links, inside the
user's scope (a keeper of hall A never counts hall B's files), in a few queries; and every chain screen is
titled with its own name, not 首页."""
import datetime
import re

import time_machine
from django.urls import reverse
from django.utils import timezone

from archive import dailyclose, errors, handover, level1, level2, monthly, signatures, todo
from archive.binding import Bind, CloseMonth, FixReturned
from archive.models import DestructionItem, DestructionList, ErrorEntry, HandoverForm, Volume
from org.models import Branch, Hall
from records.models import Record
from tests.archive_helpers import PASSWORD, day, make_day, to_keeper

S = Record.Status


def rows(user):
    return {row.key: row for row in todo.tasks(user)}


def counts(user):
    return {key: row.count for key, row in rows(user).items()}


def level1_url(hall_code, on):
    return reverse("archive_admin:level1", args=[Hall.objects.get(code=hall_code).pk, f"{on:%Y-%m-%d}"])


def flagged(record):
    record.fields = {"customer_name": {"value": "OR", "confidence": 0.3, "problem": "客户姓名疑似识别错误"},
                     "service_number": {"value": "13800001234", "confidence": 0.99, "problem": None}}
    record.save(update_fields=["fields"])
    return record


def test_the_clerk_and_the_level1_auditor_see_their_steps_in_their_hall(make_record, users):
    day1 = make_day(make_record, "H11", day(1), ["general", "general", "agreement"])
    make_day(make_record, "H11", day(2), ["general"])
    unsorted = make_record("H11", business_date=day(2), category="", status=S.OCR_DONE, transaction_no="H11-NOCAT")
    flagged(day1[0])
    make_day(make_record, "H12", day(1), ["general"] * 2)  # another hall, another clerk
    flagged(make_record("H12", business_date=day(1), category="general", status=S.OCR_DONE, transaction_no="H12-F"))
    clerk, l1 = users("clerk-H11"), users("l1-H11")

    mine = rows(clerk)
    assert set(mine) == {"check_files", "close_days", "fix_errors"}  # only the clerk's steps
    assert (mine["close_days"].count, mine["close_days"].url) == (2, reverse("archive_admin:daily_close"))
    assert mine["check_files"].count == 2  # the flagged file and the one without a category
    assert mine["check_files"].url == reverse("record:inspect", args=[day1[0].pk])  # the oldest first
    assert counts(users("clerk-H12")) == {"check_files": 1, "close_days": 1, "fix_errors": 0}
    assert set(rows(l1)) == {"audit_days", "give_days", "fix_errors"}
    assert counts(l1)["audit_days"] == 0  # nothing sorted yet

    dailyclose.DailyClose(clerk, Hall.objects.get(code="H11"), day(1)).run()
    dailyclose.DailyClose(users("clerk-H12"), Hall.objects.get(code="H12"), day(1)).run()
    assert counts(clerk)["close_days"] == 1 and counts(clerk)["check_files"] == 1
    assert rows(clerk)["check_files"].url == reverse("record:inspect", args=[unsorted.pk])
    row = rows(l1)["audit_days"]
    assert (row.count, row.url) == (1, level1_url("H11", day(1)))  # H12's day is not in l1-H11's scope
    assert counts(users("l1-H12"))["audit_days"] == 1

    hall = Hall.objects.get(code="H11")
    audit = level1.open_audit(l1, hall, day(1))
    level1.Mark(l1, audit, day1[1], passed=False, error_kind="缺客户签名").run()
    assert rows(l1)["fix_errors"].url == rows(clerk)["fix_errors"].url == reverse("archive_admin:errors")
    assert counts(clerk)["fix_errors"] == counts(l1)["fix_errors"] == 1
    assert counts(users("clerk-H12"))["fix_errors"] == 0
    errors.CorrectError(l1, ErrorEntry.objects.get()).run()
    for record in day1:
        level1.Mark(l1, audit, record, passed=True).run()
    assert counts(l1)["audit_days"] == 1 and counts(l1)["fix_errors"] == 0  # marked, not yet signed
    level1.Sign(l1, audit, PASSWORD).run()
    assert counts(l1)["audit_days"] == 0
    assert (rows(l1)["give_days"].count, rows(l1)["give_days"].url) == (1, level1_url("H11", day(1)))

    form = handover.GiveClerkHall(l1, PASSWORD, audit).run()
    assert counts(l1)["give_days"] == 0
    keeper = users("keeper-H11")
    row = rows(keeper)["receive_clerk_hall"]
    assert (row.count, row.url) == (1, reverse("archive_admin:form", args=[form.pk]))
    assert counts(users("keeper-H12"))["receive_clerk_hall"] == 0
    handover.Reject(keeper, PASSWORD, form, "份数不符").run()
    assert counts(keeper)["receive_clerk_hall"] == 0
    assert counts(l1)["give_days"] == 1  # back with the auditor: to hand over again


def test_keeper_branch_auditor_and_marketing_see_their_steps_in_their_scope(make_record, users):
    make_day(make_record, "H11", day(1), ["general"] * 3)
    make_day(make_record, "H12", day(1), ["general"] * 2)
    make_day(make_record, "H21", day(1), ["general"])
    for code in ("H11", "H12", "H21"):
        to_keeper(users, code, day(1))
    keeper, auditor, marketing = users("keeper-H11"), users("auditor-B1"), users("marketing")
    assert set(rows(keeper)) == {"receive_clerk_hall", "bind_files", "give_volumes", "fix_volumes", "fix_errors"}
    row = rows(keeper)["bind_files"]
    assert (row.count, row.url) == (3, reverse("archive_admin:keeper"))
    assert counts(users("keeper-H12"))["bind_files"] == 2

    h11 = Hall.objects.get(code="H11")
    Bind(keeper, Record.objects.filter(hall=h11)).run()
    assert counts(keeper)["bind_files"] == 0 and counts(keeper)["give_volumes"] == 0  # the volume is still open
    CloseMonth(keeper, h11, 2026, 10, today=day(31)).run()
    volume = Volume.objects.get(hall=h11)
    assert counts(keeper)["give_volumes"] == 1 and counts(users("keeper-H12"))["give_volumes"] == 0
    form = handover.GiveHallBranch(keeper, PASSWORD, [volume]).run()
    assert counts(keeper)["give_volumes"] == 0
    assert set(rows(auditor)) == {"receive_hall_branch", "level2_volumes", "give_months", "approve_loans"}
    assert rows(auditor)["receive_hall_branch"].url == reverse("archive_admin:form", args=[form.pk])
    assert counts(users("auditor-B2"))["receive_hall_branch"] == 0
    handover.Receive(auditor, PASSWORD, form).run()

    row = rows(auditor)["level2_volumes"]
    assert (row.count, row.url) == (1, reverse("archive_admin:volume", args=[volume.pk]))
    assert counts(users("auditor-B2"))["level2_volumes"] == 0
    audit = level2.Start(auditor, volume).run()
    for n, pk in enumerate(audit.sample):
        level2.Finding(auditor, audit, Record.objects.get(pk=pk), ok=n > 0, error_kind="" if n else "证件不清").run()
    level2.Finish(auditor, audit, PASSWORD, reason="证件不清").run()
    row = rows(keeper)["fix_volumes"]
    assert (row.count, row.url) == (1, reverse("archive_admin:volume", args=[volume.pk]))
    assert counts(users("keeper-H12"))["fix_volumes"] == 0 and counts(users("clerk-H11"))["fix_errors"] == 1
    errors.CorrectError(users("clerk-H11"), ErrorEntry.objects.get()).run()
    FixReturned(keeper, volume, "重新复印").run()
    form = handover.GiveHallBranch(keeper, PASSWORD, [volume]).run()
    handover.Receive(auditor, PASSWORD, form).run()
    audit = level2.Start(auditor, volume).run()
    for pk in audit.sample:
        level2.Finding(auditor, audit, Record.objects.get(pk=pk), ok=True).run()
    assert counts(auditor)["give_months"] == 0
    level2.Finish(auditor, audit, PASSWORD).run()
    row = rows(auditor)["give_months"]
    assert (row.count, row.url) == (1, reverse("archive_admin:branch"))
    assert counts(users("auditor-B2"))["give_months"] == 0

    b1 = Branch.objects.get(code="B1")
    monthly_form = handover.GiveBranchMarketing(auditor, PASSWORD, b1, 2026, 10).run()
    assert counts(auditor)["give_months"] == 0
    assert set(rows(marketing)) == {"receive_branch_marketing", "check_forms", "process_checks", "witness_lists"}
    assert rows(marketing)["receive_branch_marketing"].url == reverse("archive_admin:form", args=[monthly_form.pk])
    handover.Receive(marketing, PASSWORD, monthly_form).run()
    row = rows(marketing)["check_forms"]
    assert (row.count, row.url) == (1, reverse("archive_admin:form", args=[monthly_form.pk]))
    monthly.MonthlyCheck(marketing, monthly_form).run()
    assert counts(marketing)["check_forms"] == 0

    assert counts(marketing)["process_checks"] == 0  # no agreements bound: nothing to sample


@time_machine.travel(datetime.datetime(2027, 1, 20, 10, tzinfo=datetime.UTC))
def test_process_checks_are_due_for_quarters_with_agreements(make_record, users):
    from tests.retention_support import volume_of

    marketing = users("marketing")
    for code, hall, when in [("B1-Q4", "H11", (2026, 11)), ("B2-Q4", "H21", (2026, 12)), ("B1-Q1", "H12", (2027, 1)),
                             ("B3-Q3", "H31", (2026, 8))]:  # Q3 2026 is two quarters ago: no longer shown
        volume = volume_of([make_record(hall, category="agreement", transaction_no=f"T{code}")], number=code,
                           category="agreement")
        Volume.objects.filter(pk=volume.pk).update(year=when[0], month=when[1])
    row = rows(marketing)["process_checks"]
    assert (row.count, row.url) == (3, reverse("archive_admin:branch"))  # B1 and B2 in Q4, B1 in Q1
    assert counts(users("auditor-B1")).get("process_checks") is None  # not a step of the branch auditor
    monthly.ProcessCheck(marketing, Branch.objects.get(code="B1"), 2026, 4).run()
    assert counts(marketing)["process_checks"] == 2
    assert todo.quarter(timezone.localdate()) == (2027, 1)


def test_destruction_lists_wait_for_the_person_of_each_step(make_record, users):
    archivist, gm, office, depthead = users("archivist"), users("gm"), users("office"), users("depthead")
    record = make_record("H11", status=S.BOUND)
    lst = DestructionList.objects.create(number="XH-2026-001", on_date=datetime.date(2026, 1, 1), drawn_by=archivist)
    item = DestructionItem.objects.create(list=lst, record=record, position=1, hall_code="H11",
                                          business_date=record.business_date, period="2 年", due_on=lst.on_date)
    url = reverse("archive_admin:destruction_list", args=[lst.pk])
    assert (rows(archivist)["appraise_lists"].count, rows(archivist)["appraise_lists"].url) == (1, url)
    assert counts(depthead)["appraise_lists"] == 1 and counts(gm)["approve_lists"] == 0
    assert "appraise_lists" not in rows(gm) and "approve_lists" not in rows(archivist)
    item.decision = DestructionItem.Decision.DESTROY
    item.save()
    assert counts(archivist)["appraise_lists"] == 0
    assert (rows(gm)["approve_lists"].count, rows(gm)["approve_lists"].url) == (1, url)
    DestructionList.objects.filter(pk=lst.pk).update(status=DestructionList.Status.APPROVED)
    assert counts(gm)["approve_lists"] == 0 and counts(archivist)["execute_lists"] == 1
    DestructionList.objects.filter(pk=lst.pk).update(status=DestructionList.Status.DESTROYED, witness1=office,
                                                     witness2=depthead)
    assert counts(archivist)["execute_lists"] == 0
    assert counts(office)["witness_lists"] == counts(depthead)["witness_lists"] == 1
    assert counts(users("marketing"))["witness_lists"] == 0  # may witness, but is not named on this list
    signatures.sign(office, DestructionList.objects.get(pk=lst.pk), "witness1")
    assert counts(office)["witness_lists"] == 0 and counts(depthead)["witness_lists"] == 1


def test_handbook_approvals_reach_the_office_then_the_right_approver(users):
    from wagtail.models import WorkflowState

    from org.models import Department, RoleAssignment
    from tests.handbook_support import make_handbook, make_procedure, make_sub_procedure

    _root, part = make_handbook()
    author = users("staff")
    RoleAssignment.objects.create(user=author, role="author", scope="all")
    author = users("staff")
    main = make_procedure(part, version="0.9", publish=False)
    sub = make_sub_procedure(main, department=Department.objects.get(code="marketing"))
    office, gm, depthead = users("office"), users("gm"), users("depthead")
    assert "handbook_reviews" not in rows(users("clerk-H11")) and "handbook_reviews" not in rows(author)
    for page in (main, sub):
        page.save_revision(user=author)
        page.get_workflow().start(page, author)
    row = rows(office)["handbook_reviews"]
    assert (row.count, row.url) == (2, reverse("wagtailadmin_pages:edit", args=[main.pk]))
    assert counts(gm)["handbook_reviews"] == counts(depthead)["handbook_reviews"] == 0
    for page in (main, sub):
        state = WorkflowState.objects.for_instance(page).get(status=WorkflowState.STATUS_IN_PROGRESS)
        task_state = state.current_task_state
        task_state.task.specific.on_action(task_state.specific, office, "approve")
    assert counts(office)["handbook_reviews"] == 0
    assert (rows(gm)["handbook_reviews"].count, rows(gm)["handbook_reviews"].url) == (
        1, reverse("wagtailadmin_pages:edit", args=[main.pk]))
    assert (rows(depthead)["handbook_reviews"].count, rows(depthead)["handbook_reviews"].url) == (
        1, reverse("wagtailadmin_pages:edit", args=[sub.pk]))
    RoleAssignment.objects.create(user=users("marketing"), role="depthead", scope="all",
                                  department=Department.objects.get(code="office"))
    assert counts(users("marketing"))["handbook_reviews"] == 0  # head of another department


def test_counting_takes_a_few_queries(make_record, users, django_assert_max_num_queries):
    for n in range(1, 4):
        make_day(make_record, "H11", day(n), ["general"] * 5)
        dailyclose.DailyClose(users("clerk-H11"), Hall.objects.get(code="H11"), day(n)).run()
    l1 = users("l1-H11")
    with django_assert_max_num_queries(6):  # role assignments, then a COUNT per row, one link
        assert counts(l1)["audit_days"] == 3
    admin = users("admin")
    with django_assert_max_num_queries(40):  # a superuser: every row (22), a link where something waits
        assert counts(admin)["audit_days"] == 3


def test_the_home_page_panel(client, make_record, users):
    make_day(make_record, "H11", day(1), ["general"] * 2)
    client.force_login(users("clerk-H11"))
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'id="todo-section"' in page and "待办" in page and "待日终分类的营业日" in page
    assert f'href="{reverse("archive_admin:daily_close")}"' in page
    assert "日终分类前待核对的资料" not in page  # nothing to check: the row is left out
    client.force_login(users("keeper-H11"))
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'id="todo-none"' in page and "暂无待办" in page
    client.force_login(users("staff"))  # handbook readers only: no admin, no panel
    assert client.get(reverse("wagtailadmin_home")).status_code in (302, 403)
    from tests.retention_support import auditor
    client.force_login(auditor())  # read-only: no step of their own, no panel
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'id="todo-section"' not in page


def test_every_chain_screen_is_titled_with_its_own_name(client, make_record, users):
    make_day(make_record, "H11", day(1), ["general"])
    to_keeper(users, "H11", day(1))
    Bind(users("keeper-H11"), Record.objects.filter(hall__code="H11")).run()
    volume = Volume.objects.get()
    form = HandoverForm.objects.get()
    lst = DestructionList.objects.create(number="XH-2026-009", on_date=datetime.date(2026, 1, 1),
                                         drawn_by=users("archivist"))
    screens = {
        "keeper-H11": [("archive_admin:dashboard", [], "档案流转"), ("archive_admin:keeper", [], "装订"),
                       ("archive_admin:volume", [volume.pk], "卷"), ("archive_admin:form", [form.pk], "交接表")],
        "clerk-H11": [("archive_admin:daily_close", [], "日终分类")],
        "l1-H11": [("archive_admin:level1", [volume.hall_id, "2026-10-01"], "一级稽核")],
        "auditor-B1": [("archive_admin:branch", [], "分公司")],
        "archivist": [("archive_admin:retention", [], "保管"), ("archive_admin:destruction_lists", [], "销毁清册"),
                      ("archive_admin:destruction_list", [lst.pk], "销毁清册")],
    }
    for username, urls in screens.items():
        client.force_login(users(username))
        for name, args, words in urls:
            page = client.get(reverse(name, args=args)).content.decode()
            title = page.split("<title>")[1].split("</title>")[0]
            header = page.split("data-w-breadcrumbs", 1)[1].split("</nav>")[0]
            shown = re.sub(r"<[^>]+>|\s+", "", header.rsplit("<li", 1)[1].split(">", 1)[1])  # the last item, in bold
            assert words in title and "首页" not in title, (name, title)
            assert words in shown and "首页" not in shown, (name, shown)
