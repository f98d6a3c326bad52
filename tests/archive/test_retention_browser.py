"""The retention and destruction screens walked in a real Chromium, each person in their own browser: the
archivist places a hold and draws a list from the due files, appraises it, the general manager approves
with the password, the archivist destroys with two witnesses named, both witnesses sign, and the PDF of
the closed list downloads. An auditor sees the list but no button."""
import os

import pytest

from archive.models import DestructionList, Hold
from org.models import User
from records.models import Record
from tests.archive_helpers import PASSWORD, signed_in
from tests.records.test_browser_upload import ARGS, CHROMIUM
from tests.retention_support import auditor, import_rows, old_record, with_objects

pytestmark = [pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
              pytest.mark.django_db(transaction=True)]


def _submit(page, form, button="button"):
    with page.expect_navigation():
        form.locator(button).click()
    return page


def _message(page):
    return page.locator(".messages").inner_text()


def test_a_destruction_list_from_drawing_to_the_witnesses_in_the_browser(live_server, make_record, users):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    kept = old_record(make_record, "13900000061", "510302198001016661", transaction_no="SC2023050100061")
    gone = old_record(make_record, "13900000062", "510302198001016662", transaction_no="SC2023050100062")
    with_objects(gone)
    import_rows(users("archivist"), ("13900000061", "", "销户", "2024-01-02"), ("13900000062", "", "销户", "2024-01-02"))
    auditor()  # city-wide, read-only
    office, depthead = User.objects.get(username="office"), User.objects.get(username="depthead")
    base = live_server.url
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            archivist = signed_in(browser, base, "archivist")
            archivist.goto(f"{base}/admin/archive/retention/")
            due = archivist.locator("#retention-due tbody tr")
            assert due.count() == 2 and "SC2023050100061" in due.all_inner_texts()[0] + due.all_inner_texts()[1]
            hold = archivist.locator("form[action$='/retention/holds/add/']")
            hold.locator("input[name=record]").fill(str(kept.pk))
            hold.locator("input[name=reason]").fill("客户投诉处理中")
            _submit(archivist, hold)
            assert "客户投诉处理中" in archivist.locator("#retention-holds").inner_text()
            due = archivist.locator("#retention-due tbody tr")
            assert due.count() == 1 and "SC2023050100062" in due.inner_text()  # the held file left the list
            _submit(archivist, archivist.locator("#retention-due form[method=post]"), "button.button")
            assert "/admin/archive/destruction/" in archivist.url and "SC2023050100062" in archivist.content()
            list_url = archivist.url
            appraise = archivist.locator("form[action$='/appraise/']").first
            appraise.locator("select[name=decision]").select_option("destroy")
            _submit(archivist, appraise)
            assert archivist.locator("form[action$='/execute/']").count() == 0  # not before the approval

            gm = signed_in(browser, base, "gm")
            gm.goto(list_url)
            approve = gm.locator("form[action$='/approve/']")
            approve.locator("input[name=password]").fill("wrong-password-1")
            _submit(gm, approve)
            assert gm.locator("form[action$='/approve/']").count() == 1  # refused: still to approve
            approve = gm.locator("form[action$='/approve/']")
            approve.locator("input[name=password]").fill(PASSWORD)
            _submit(gm, approve)
            assert gm.locator("form[action$='/approve/']").count() == 0

            archivist.goto(list_url)
            execute = archivist.locator("form[action$='/execute/']")
            execute.locator("select[name=witness1]").select_option(str(office.pk))
            execute.locator("select[name=witness2]").select_option(str(office.pk))
            execute.locator("input[name=password]").fill(PASSWORD)
            _submit(archivist, execute)
            assert archivist.locator("form[action$='/execute/']").count() == 1  # the same witness twice: refused
            execute = archivist.locator("form[action$='/execute/']")
            execute.locator("select[name=witness1]").select_option(str(office.pk))
            execute.locator("select[name=witness2]").select_option(str(depthead.pk))
            execute.locator("input[name=password]").fill(PASSWORD)
            _submit(archivist, execute)
            assert archivist.locator("form[action$='/execute/']").count() == 0

            for witness in ("office", "depthead"):
                page = signed_in(browser, base, witness)
                page.goto(list_url)
                sign = page.locator("form[action$='/witness/']")
                sign.locator("input[name=password]").fill(PASSWORD)
                _submit(page, sign)
                assert page.locator("form[action$='/witness/']").count() == 0

            watcher = signed_in(browser, base, "auditor-city")
            watcher.goto(list_url)
            assert watcher.locator("main form").count() == 0 and "SC2023050100062" in watcher.content()
            pdf = watcher.request.get(f"{list_url}pdf/")
            assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
        finally:
            browser.close()
    lst = DestructionList.objects.get()
    assert lst.status == DestructionList.Status.CLOSED and bytes(lst.final_pdf).startswith(b"%PDF")
    assert Record.objects.get(pk=gone.pk).status == Record.Status.DESTROYED
    assert Record.objects.get(pk=kept.pk).status == Record.Status.BOUND
    assert Hold.objects.filter(record=kept, released_at__isnull=True).count() == 1
