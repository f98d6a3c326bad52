"""Issue 16, level 1 walked in a real Chromium: the auditor passes in one action the files that match the
report and have no flags and reads what was passed and what was left and why; then marks the rest row by
row without the page reloading (an error, a refusal that keeps the typed text, a pass), and watches the
finished rows and the progress follow."""
import os

import pytest

from archive import dailyclose, level1
from archive.models import ErrorEntry
from org.models import Hall
from records import reconcile
from records.models import Record
from tests.archive.test_retention_browser import _message, _submit
from tests.archive_helpers import day, make_day, report_csv, signed_in
from tests.records.test_browser_upload import ARGS, CHROMIUM

pytestmark = [pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
              pytest.mark.django_db(transaction=True)]
S = Record.Status


@pytest.fixture
def db_in_browser_block(monkeypatch):
    """Playwright's sync API keeps an event loop in this thread; the checks between two clicks read the
    database from it (the live server answers from its own thread)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _in_place(page, act):
    """Do `act` and wait for the row's answer; the page must not navigate (no reload of a long day)."""
    page.evaluate("window.__archiveStay = 'still here'")
    url = page.url
    with page.expect_response(lambda r: "/mark/" in r.url and r.request.method == "POST") as answer:
        act()
    assert answer.value.ok and answer.value.headers["content-type"].startswith("application/json")
    page.wait_for_function("!document.querySelector('#archive-level1-records form button[disabled]')")
    assert page.evaluate("window.__archiveStay") == "still here" and page.url == url  # not reloaded


def test_level1_bulk_pass_and_row_marks_without_reload(live_server, make_record, users, db_in_browser_block):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    hall = Hall.objects.get(code="H11")
    files = make_day(make_record, "H11", day(1), ["general"] * 5)
    clean1, clean2, flagged, differs, missing = files
    report = reconcile.import_report(users("admin"), report_csv(files[:4]), "boss-1001.csv")
    Record.objects.filter(pk=flagged.pk).update(
        fields={"customer_name": {"value": "张三", "confidence": 0.4, "problem": "置信度低"}})
    Record.objects.filter(pk=differs.pk).update(business_type="过户")
    dailyclose.DailyClose(users("clerk-H11"), hall, day(1)).run()
    level1.open_audit(users("l1-H11"), hall, day(1), report)
    base = live_server.url
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            auditor = signed_in(browser, base, "l1-H11")
            auditor.goto(f"{base}/admin/archive/level1/hall/{hall.pk}/day/2026-10-01/")
            progress = auditor.locator("#archive-level1-progress")
            assert "已通过 0/5" in progress.inner_text()

            # one action: the two clean files pass, the three others are listed with their reasons
            bulk = auditor.locator("#archive-level1-pass-clean")
            assert "（2 份）" in bulk.inner_text()
            _submit(auditor, bulk, "button")
            passed = auditor.locator("#archive-bulk-passed").inner_text()
            assert clean1.transaction_no in passed and clean2.transaction_no in passed
            skipped = auditor.locator("#archive-bulk-skipped").inner_text()
            assert f"{flagged.transaction_no}（待核对：客户姓名）" in skipped
            assert f"{differs.transaction_no}（与报表不符：业务类型）" in skipped
            assert f"{missing.transaction_no}（报表无此业务）" in skipped
            assert "已批量通过（2 份）" in _message(auditor)
            assert {r.status for r in Record.objects.filter(pk__in=[clean1.pk, clean2.pk])} == {S.L1_PASSED}
            assert "已通过 2/5" in progress.inner_text() and "未核 3" in progress.inner_text()
            done = auditor.locator("#archive-level1-records tr.archive-done")
            assert done.count() == 2 and clean1.transaction_no in done.first.inner_text()

            # a flagged file, looked at: an error by Enter in 差错类型, in place
            row = auditor.locator(f"#archive-row-{flagged.pk}")
            row.locator("input[name=error_kind]").fill("客户姓名有误")
            _in_place(auditor, lambda: row.locator("input[name=error_kind]").press("Enter"))
            assert ErrorEntry.objects.get(record=flagged).kind == "客户姓名有误"
            assert "archive-error" in (auditor.locator(f"#archive-row-{flagged.pk}").get_attribute("class") or "")
            assert "客户姓名有误" in auditor.locator("#archive-errors").inner_text()
            assert "差错 1" in progress.inner_text()

            # 通过 with a description written: refused in place, the text stays in the row
            row = auditor.locator(f"#archive-row-{differs.pk}")
            row.locator("input[name=note]").fill("业务类型已核实")
            _in_place(auditor, lambda: row.locator("button[value=passed]").click())
            assert "已填写差错类型或说明" in _message(auditor)
            assert Record.objects.get(pk=differs.pk).status == S.SORTED
            row = auditor.locator(f"#archive-row-{differs.pk}")
            assert row.locator("input[name=note]").input_value() == "业务类型已核实"

            # cleared, passed: the row is finished, the progress moves on
            row.locator("input[name=note]").fill("")
            _in_place(auditor, lambda: row.locator("button[value=passed]").click())
            assert Record.objects.get(pk=differs.pk).status == S.L1_PASSED
            assert "archive-done" in (auditor.locator(f"#archive-row-{differs.pk}").get_attribute("class") or "")
            assert f"{differs.transaction_no} 已通过" in _message(auditor)
            assert "已通过 3/5" in progress.inner_text()
            row = auditor.locator(f"#archive-row-{missing.pk}")
            _in_place(auditor, lambda: row.locator("button[value=passed]").click())
            assert "已通过 4/5" in auditor.locator("#archive-level1-progress").inner_text()
        finally:
            browser.close()
