"""Issue 16, the handover form and the binding screen in a real Chromium: the keeper opens the clerk→hall form,
sees its contents as a table, is refused (in Chinese, nothing changed) when signing without ticking the rows,
ticks them all with the header box and receives; on the binding screen no file is ticked in advance, 全选
ticks them all, and the bound volume is listed with its file count and month."""
import os

import pytest

from archive.models import HandoverForm, Volume
from records.models import Record
from tests.archive.test_retention_browser import _message, _submit
from tests.archive.test_work_screens_browser import db_in_browser_block  # noqa: F401 (a fixture)
from tests.archive_helpers import PASSWORD, day, give_to_keeper, make_day, signed_in
from tests.records.test_browser_upload import ARGS, CHROMIUM

pytestmark = [pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
              pytest.mark.django_db(transaction=True)]


def test_the_keeper_counts_receives_and_binds(live_server, make_record, users, db_in_browser_block):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    make_day(make_record, "H11", day(1), ["general", "general", "agreement"])
    form = give_to_keeper(users, "H11", day(1))
    base = live_server.url

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            keeper = signed_in(browser, base, "keeper-H11")
            keeper.goto(f"{base}/admin/archive/forms/{form.pk}/")
            table = keeper.locator("#archive-form-contents table")
            assert table.locator("tbody tr").count() == 2
            assert "综合类" in table.inner_text() and "合计" in table.inner_text()
            receive = keeper.locator("#archive-receive")
            receive.locator("input[name=password]").fill(PASSWORD)
            _submit(keeper, receive)
            assert "请逐行清点并勾选" in _message(keeper)
            assert HandoverForm.objects.get(pk=form.pk).status == "given"

            keeper.locator("#archive-count-all").check()
            assert keeper.locator("input[name=counted]:checked").count() == 2
            keeper.locator("input[name=counted]").first.uncheck()  # the header box shows a partial count
            assert keeper.locator("#archive-count-all").evaluate("e => e.indeterminate")
            keeper.locator("input[name=counted]").first.check()
            assert keeper.locator("#archive-count-all").is_checked()
            receive.locator("input[name=password]").fill(PASSWORD)
            _submit(keeper, receive)
            assert "已签收：各行均已清点" in _message(keeper)
            assert keeper.locator(".messages a.archive-form-link").get_attribute("href").endswith(
                f"/admin/archive/forms/{form.pk}/")
            assert HandoverForm.objects.get(pk=form.pk).counted == ["general", "agreement"]

            keeper.goto(f"{base}/admin/archive/keeper/")
            boxes = keeper.locator("#archive-bind-files input[name=records]")
            assert boxes.count() == 3 and keeper.locator("#archive-bind-files input[name=records]:checked").count() == 0
            keeper.locator("#archive-bind-all").check()
            assert keeper.locator("#archive-bind-files input[name=records]:checked").count() == 3
            _submit(keeper, keeper.locator("#archive-bind form"), "button.button")
            assert Record.objects.filter(status=Record.Status.BOUND).count() == 3
            general = Volume.objects.get(category="general")
            row = keeper.locator("#archive-volume-list tbody tr", has_text=general.number)
            assert row.locator(".archive-volume-size").inner_text() == "2"
            assert row.locator(".archive-volume-month").inner_text() == "2026-10"
        finally:
            browser.close()
