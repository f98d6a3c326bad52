"""The home page's 待办 in a real Chromium: the level-1 auditor signs in, sees the day to audit with its count,
clicks it and lands on that day's level-1 screen, titled 一级稽核 (not 首页); the keeper sees the form waiting
for them, opens it from the home page, receives it with the password, and back home the files to bind wait."""
import os
import re

import pytest

from archive import dailyclose, handover, level1
from org.models import Hall
from tests.archive.test_retention_browser import _submit
from tests.archive_helpers import PASSWORD, day, make_day, signed_in
from tests.records.test_browser_upload import ARGS, CHROMIUM

pytestmark = [pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
              pytest.mark.django_db(transaction=True)]


def _todo_row(page, label):
    return page.locator("#todo-section tr", has_text=label)


def _shown_title(page):
    """What the header shows: the last breadcrumb item (bold)."""
    return page.locator("[data-w-breadcrumbs] li").last.inner_text().strip()


def test_from_the_task_list_straight_to_the_step(live_server, make_record, users):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    h11 = Hall.objects.get(code="H11")
    make_day(make_record, "H11", day(1), ["general"] * 3)
    make_day(make_record, "H12", day(1), ["general"] * 2)  # another hall: never in l1-H11's or keeper-H11's list
    dailyclose.DailyClose(users("clerk-H11"), h11, day(1)).run()
    dailyclose.DailyClose(users("clerk-H12"), Hall.objects.get(code="H12"), day(1)).run()
    base = live_server.url

    def in_chromium(walk):
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                walk(browser)
            finally:
                browser.close()

    def audit_day(browser):
        auditor = signed_in(browser, base, "l1-H11")
        assert auditor.locator("#todo-section h2").inner_text().strip() == "待办"
        row = _todo_row(auditor, "待一级稽核的日期")
        assert row.locator(".todo-count").inner_text().strip() == "1"
        with auditor.expect_navigation():
            row.locator("a").first.click()
        assert auditor.url.endswith(f"/admin/archive/level1/hall/{h11.pk}/day/2026-10-01/")
        assert _shown_title(auditor) == "一级稽核" and "一级稽核" in auditor.title()
        assert "首页" not in auditor.title()

    in_chromium(audit_day)
    # the day's audit is done by its own steps (its screens have their own browser tests)
    l1 = users("l1-H11")
    audit = level1.open_audit(l1, h11, day(1))
    for record in level1.day_records(audit):
        level1.Mark(l1, audit, record, passed=True).run()
    level1.Sign(l1, audit, PASSWORD).run()

    def hand_over(browser):
        auditor = signed_in(browser, base, "l1-H11")
        row = _todo_row(auditor, "待签交的营业员-营业厅交接表")
        assert row.locator(".todo-count").inner_text().strip() == "1"
        assert _todo_row(auditor, "待一级稽核的日期").count() == 0  # done: the row is left out
        with auditor.expect_navigation():
            row.locator("a").first.click()
        assert auditor.url.endswith(f"/admin/archive/level1/hall/{h11.pk}/day/2026-10-01/")

    in_chromium(hand_over)
    form = handover.GiveClerkHall(l1, PASSWORD, audit).run()

    def receive_and_bind(browser):
        keeper = signed_in(browser, base, "keeper-H11")
        row = _todo_row(keeper, "待签收的营业员-营业厅交接表")
        assert row.locator(".todo-count").inner_text().strip() == "1"
        with keeper.expect_navigation():
            row.locator("a").first.click()
        assert keeper.url.endswith(f"/admin/archive/forms/{form.pk}/")
        assert _shown_title(keeper) == "交接表" and "首页" not in keeper.title()
        receive = keeper.locator("form[action$='/receive/']")
        keeper.locator("#archive-count-all").check()  # counted: every row of the contents ticked
        receive.locator("input[name=password]").fill(PASSWORD)
        _submit(keeper, receive)
        keeper.goto(f"{base}/admin/")
        assert _todo_row(keeper, "待签收的营业员-营业厅交接表").count() == 0
        row = _todo_row(keeper, "待装订资料")
        assert row.locator(".todo-count").inner_text().strip() == "3"  # H11's three, not H12's two
        with keeper.expect_navigation():
            row.locator("a").first.click()
        assert re.search(r"/admin/archive/keeper/$", keeper.url) and _shown_title(keeper) == "装订与移交分公司"

        clerk = signed_in(browser, base, "clerk-H11")
        assert clerk.locator("#todo-none").inner_text().strip() == "暂无待办"

    in_chromium(receive_and_bind)
