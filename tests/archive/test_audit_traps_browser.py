"""Issue 16, traps 1 and 3, walked in a real Chromium, each person in their own browser.

Trap 1: on the level-1 screen and on the level-2 sample of a volume, Enter pressed in 说明 or 差错类型 never
passes the file: a description alone is refused and stays in the field, an error kind registers the error.
(A level-1 row is marked in the background, without reloading the page: tests/archive/test_work_screens_browser.py.)

Trap 3: the branch auditor finds a level-2 error and sends the volume back; the hall keeper sees it counted
on the dashboard and flagged 有差错 in search, finds it from the menu, marks it 已整改, watches the count and
the flag follow, and marks the returned volume fixed."""
import os

import pytest

from archive import dailyclose, level1
from archive.models import AuditMark, ErrorEntry, Level2Audit, Volume
from org.models import Hall
from records.models import Record
from search import outbox
from tests.archive.test_audit_traps import level2_error
from tests.archive.test_retention_browser import _message, _submit
from tests.archive.test_work_screens_browser import _in_place
from tests.archive_helpers import PASSWORD, day, make_day, signed_in
from tests.records.test_browser_upload import ARGS, CHROMIUM

pytestmark = [pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
              pytest.mark.django_db(transaction=True)]


@pytest.fixture
def db_in_browser_block(monkeypatch):
    """Playwright's sync API keeps an event loop in this thread; the checks between two clicks read the
    database from it (the live server answers from its own thread)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _enter(page, field):
    with page.expect_navigation():
        field.press("Enter")
    return page


def test_enter_in_the_error_fields_never_passes_a_file(live_server, make_record, users, db_in_browser_block):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    hall = Hall.objects.get(code="H11")
    first, second = make_day(make_record, "H11", day(1), ["general", "general"])
    dailyclose.DailyClose(users("clerk-H11"), hall, day(1)).run()
    level1.open_audit(users("l1-H11"), hall, day(1))
    base = live_server.url
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            auditor = signed_in(browser, base, "l1-H11")
            auditor.goto(f"{base}/admin/archive/level1/hall/{hall.pk}/day/2026-10-01/")
            row = auditor.locator("#archive-level1-records tr", has_text=first.transaction_no)
            row.locator("input[name=note]").fill("受理单无客户签名")
            _in_place(auditor, lambda: row.locator("input[name=note]").press("Enter"))
            # the old screen passed the file here (通过 was the form's first button)
            assert Record.objects.get(pk=first.pk).status == Record.Status.SORTED
            assert not AuditMark.objects.exists() and not ErrorEntry.objects.exists()
            assert "请填写差错类型" in _message(auditor)
            row = auditor.locator("#archive-level1-records tr", has_text=first.transaction_no)
            assert row.locator("input[name=note]").input_value() == "受理单无客户签名"  # nothing typed is lost
            row.locator("input[name=error_kind]").fill("缺客户签名")
            _in_place(auditor, lambda: row.locator("input[name=error_kind]").press("Enter"))
            entry = ErrorEntry.objects.get()
            assert (entry.kind, entry.description, entry.level) == ("缺客户签名", "受理单无客户签名", "l1")
            assert Record.objects.get(pk=first.pk).status == Record.Status.L1_ERROR
            assert "缺客户签名" in auditor.locator("#archive-errors").inner_text()

            # clicking 通过 with an error written is refused too; with the fields empty it passes
            row = auditor.locator("#archive-level1-records tr", has_text=second.transaction_no)
            row.locator("input[name=error_kind]").fill("证件不清")
            _in_place(auditor, lambda: row.locator("button[value=passed]").click())
            assert "已填写差错类型或说明" in _message(auditor)
            assert Record.objects.get(pk=second.pk).status == Record.Status.SORTED
            row = auditor.locator("#archive-level1-records tr", has_text=second.transaction_no)
            assert row.locator("input[name=error_kind]").input_value() == "证件不清"
            row.locator("input[name=error_kind]").fill("")
            _in_place(auditor, lambda: row.locator("button[value=passed]").click())
            assert Record.objects.get(pk=second.pk).status == Record.Status.L1_PASSED
        finally:
            browser.close()

    # level 2: the same layout on the sample of a volume at the branch
    scene = level2_error(make_record, users, findings=False)
    volume, audit = scene["volume"], scene["audit"]
    sampled = Record.objects.get(pk=audit.sample[0])
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            branch = signed_in(browser, base, "auditor-B1")
            branch.goto(f"{base}/admin/archive/volumes/{volume.pk}/")
            row = branch.locator("tr", has_text=sampled.transaction_no).filter(has=branch.locator("form"))
            row.locator("input[name=note]").fill("复印件缺反面")
            _enter(branch, row.locator("input[name=note]"))
            assert Level2Audit.objects.get(pk=audit.pk).findings == {}
            row = branch.locator("tr", has_text=sampled.transaction_no).filter(has=branch.locator("form"))
            assert row.locator("input[name=note]").input_value() == "复印件缺反面"
            row.locator("input[name=error_kind]").fill("证件复印件不清")
            _enter(branch, row.locator("input[name=error_kind]"))
            assert Level2Audit.objects.get(pk=audit.pk).findings[str(sampled.pk)]["ok"] is False
            assert ErrorEntry.objects.filter(level="l2", record=sampled, kind="证件复印件不清").count() == 1
        finally:
            browser.close()


def test_the_keeper_corrects_a_level2_error_from_the_menu(live_server, make_record, users, db_in_browser_block):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    scene = level2_error(make_record, users, findings=False)
    volume, audit = scene["volume"], scene["audit"]
    sampled = Record.objects.get(pk=audit.sample[0])
    outbox.flush()
    base = live_server.url

    def search_flag(page):
        outbox.flush()  # what the worker's periodic job does
        page.goto(f"{base}/admin/search-records/?q={sampled.transaction_no}")
        return page.locator("ul[data-facet=has_errors]").inner_text()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            branch = signed_in(browser, base, "auditor-B1")
            branch.goto(f"{base}/admin/archive/volumes/{volume.pk}/")
            row = branch.locator("tr", has_text=sampled.transaction_no).filter(has=branch.locator("form"))
            row.locator("input[name=error_kind]").fill("证件复印件不清")
            row.locator("input[name=note]").fill("复印件缺反面")
            _submit(branch, row, "button[value='0']")
            finish = branch.locator("form[action$='/finish/']")
            finish.locator("input[name=password]").fill(PASSWORD)
            finish.locator("input[name=reason]").fill("证件复印件不清")
            _submit(branch, finish)
            assert Volume.objects.get(pk=volume.pk).status == Volume.Status.RETURNED

            keeper = signed_in(browser, base, "keeper-H11")
            assert "否" not in search_flag(keeper) and "是" in search_flag(keeper)  # 有差错: 是
            keeper.goto(f"{base}/admin/archive/")
            assert keeper.locator("#archive-open-errors .archive-count").inner_text() == "1"
            # from the menu: 档案流转 → 差错整改
            keeper.goto(f"{base}/admin/")
            keeper.get_by_role("button", name="档案流转").click()
            with keeper.expect_navigation():
                keeper.get_by_role("link", name="差错整改").click()
            assert keeper.url.endswith("/admin/archive/errors/")
            listing = keeper.locator("#archive-open-errors-list tbody tr", has_text=sampled.transaction_no)
            assert "证件复印件不清" in listing.inner_text() and volume.number in listing.inner_text()
            _submit(keeper, listing, "button")
            assert "没有未整改的差错" in keeper.locator("#archive-open-errors-list").inner_text()
            entry = ErrorEntry.objects.get(level="l2")
            assert entry.corrected_at is not None and entry.corrected_by.username == "keeper-H11"

            keeper.goto(f"{base}/admin/archive/")
            assert keeper.locator("#archive-open-errors .archive-count").inner_text() == "0"
            flag = search_flag(keeper)
            assert "否" in flag and "是" not in flag  # 有差错: 否, now rightly
            keeper.goto(f"{base}/admin/archive/volumes/{volume.pk}/")
            fix = keeper.locator("form[action$='/fix/']")
            fix.locator("input[name=note]").fill("已补齐证件复印件")
            _submit(keeper, fix)
            assert Volume.objects.get(pk=volume.pk).status == Volume.Status.BOUND
        finally:
            browser.close()
