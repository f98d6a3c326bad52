"""Issue 16, trap 2, in a real Chromium: the clerk's daily close is refused because two files have no
category; the refusal links to them; on the record page the clerk corrects one file's business type (the
category follows it) and chooses the other's category by hand (its business type is not in the table); then
the day closes. Every correction is in the event log."""
import datetime
import os

import pytest

from org.models import AuditEvent
from records.models import BusinessType, Record
from tests.archive_helpers import signed_in
from tests.records.test_browser_upload import ARGS, CHROMIUM

pytestmark = [pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
              pytest.mark.django_db(transaction=True)]

DAY = datetime.date(2026, 11, 2)


def _close_the_day(page, base):
    page.goto(f"{base}/admin/archive/daily-close/")
    page.fill("input[name=day]", DAY.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="日终分类").click()
    return page.locator(".messages").inner_text()


def _correct(page, field, value):
    form = page.locator(f"tr[data-field={field}] form")
    if field == "category":
        form.locator("select[name=value]").select_option(value)
    else:
        form.locator("input[name=value]").fill(value)
    with page.expect_navigation():
        form.get_by_role("button").click()
    return page.locator(".messages").inner_text()


def test_a_corrected_business_type_sets_the_category_and_the_day_closes(live_server, make_record):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    BusinessType.objects.get_or_create(name="过户", defaults={"category": "ownership"})  # (a flushed test db)
    BusinessType.objects.filter(name="宽带业务").delete()
    unread = {"value": "过P", "confidence": 0.4, "problem": "业务类型不在业务类型表中"}
    misread = make_record("H11", business_date=DAY, status=Record.Status.OCR_DONE, business_type="过P",
                          category="", transaction_no="SC2026110200011", fields={"business_type": unread})
    unknown = make_record("H11", business_date=DAY, status=Record.Status.OCR_DONE, business_type="宽带业务",
                          category="", transaction_no="SC2026110200012")
    good = make_record("H11", business_date=DAY, status=Record.Status.OCR_DONE, category="general",
                       transaction_no="SC2026110200013")
    base = live_server.url
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            clerk = signed_in(browser, base, "clerk-H11")
            refusal = _close_the_day(clerk, base)
            assert "请先为这些资料确定类别" in refusal
            links = clerk.locator("#archive-refused-records a")
            assert sorted(links.all_inner_texts()) == [str(misread), str(unknown)]
            with clerk.expect_navigation():
                clerk.locator("#archive-refused-records a", has_text="SC2026110200011").click()
            assert clerk.url.endswith(f"/admin/record/inspect/{misread.pk}/")
            message = _correct(clerk, "business_type", "过户")
            assert "类别随之改为：权属类" in message, message
            assert "权属类" in clerk.locator("tr[data-field=category]").inner_text()

            refusal = _close_the_day(clerk, base)
            assert clerk.locator("#archive-refused-records a").all_inner_texts() == [str(unknown)]
            with clerk.expect_navigation():
                clerk.locator("#archive-refused-records a").click()
            assert "尚未确定类别" in clerk.locator("tr[data-field=category]").inner_text()
            message = _correct(clerk, "category", "general")
            assert "类别 已更正" in message, message

            done = _close_the_day(clerk, base)
        finally:
            browser.close()
    assert "已分类：权属类 1 份，综合类 2 份，协议类 0 份" in done, done
    for record, category in ((misread, "ownership"), (unknown, "general"), (good, "general")):
        record.refresh_from_db()
        assert (record.status, record.category) == (Record.Status.SORTED, category)
    assert misread.business_type == "过户" and misread.fields["business_type"]["corrected_by"] == "clerk-H11"
    logged = {e.object_id: e.details for e in AuditEvent.objects.filter(action="record.correct_field")}
    assert logged[str(misread.pk)]["category"] == {"old": "", "new": "ownership"}
    assert logged[str(unknown.pk)] == {"field": "category", "old": "", "new": "general"}
