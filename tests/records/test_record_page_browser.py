"""Issue 16, the record page, in a real Chromium: two scanned forms are read by the OCR and both have their
business type flagged (not in the table). The clerk opens the first, sees its page with the flagged value
boxed on the image, zooms in (the box follows), goes to the next file to check, corrects the business type
there and downloads the access copy under 受理编号_业务类型.pdf. Every page image shown is in the event log."""
import io
import os

import pytest

from org.models import AuditEvent
from records import intake, ocr
from records.models import BusinessType, Record
from tests.archive_helpers import PASSWORD
from tests.records.test_browser_upload import ARGS, CHROMIUM
from tests.scans import form_lines, form_page

pytestmark = [pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
              pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("RECORD_PAGE_SHOTS")  # a folder: screenshots of each step, to look at


def _scanned(users, transaction_no):
    clerk = users("clerk-H11")
    buffer = io.BytesIO()
    form_page(form_lines(transaction_no=transaction_no, business_type="宽带业务")).save(buffer, "PNG", dpi=(300, 300))
    buffer.seek(0)
    record = intake.ingest(clerk, hall=clerk.role_assignments.get().hall, clerk=clerk, fileobj=buffer,
                           name=f"{transaction_no}.png", channel=Record.Channel.ADMIN)
    ocr.run(record.pk)
    record = Record.objects.get(pk=record.pk)
    assert record.status == Record.Status.OCR_DONE and record.fields["business_type"]["problem"], record.fields
    return record


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=False)


def _inside(inner, outer, slack=1):
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


IMAGE_LOADED = "img => img.complete && img.naturalWidth > 0"


def test_the_flagged_field_on_the_scan_zoom_next_file_and_download(live_server, users, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    BusinessType.objects.get_or_create(name="过户", defaults={"category": "ownership"})
    BusinessType.objects.filter(name="宽带业务").delete()
    first = _scanned(users, "SC2026110300001")
    second = _scanned(users, "SC2026110200002")
    base = live_server.url
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1000},
                                       accept_downloads=True).new_page()
            page.goto(f"{base}/admin/login/")
            page.fill("input[name=username]", "clerk-H11")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            # the list's 待核对 filter leads to the files to check
            page.goto(f"{base}/admin/record/?to_check=1")
            _shot(page, "0-list")
            with page.expect_navigation():
                page.locator(f"a[href='/admin/record/inspect/{first.pk}/']").first.click()

            image = page.locator('.records-page[data-page="1"] img')
            image.wait_for()
            page.wait_for_function(IMAGE_LOADED, arg=image.element_handle(), timeout=30_000)
            flagged = page.locator('.records-box--flagged[data-field="business_type"]')
            assert flagged.is_visible()
            assert page.locator(".records-box--flagged").count() == 1
            box, picture = flagged.bounding_box(), image.bounding_box()
            assert _inside(box, picture) and box["width"] > 20 and box["height"] > 5
            # the box is on the value: the third line of the form (tests/scans.py), left part of the page
            relative_top = (box["y"] - picture["y"]) / picture["height"]
            assert 0.05 < relative_top < 0.2, relative_top
            assert "未识别" not in page.locator('tr[data-field="business_type"]').inner_text()
            for icon in page.locator(".records-review svg.icon").all():  # no 150 px icons
                size = icon.bounding_box()
                assert size is None or (size["width"] <= 32 and size["height"] <= 32), size
            _shot(page, "1-flagged")

            width = picture["width"]
            page.get_by_role("button", name="放大").click()
            page.get_by_role("button", name="放大").click()
            assert page.locator("#records-viewer").get_attribute("data-zoom") == "2"
            assert page.locator(".records-viewer__zoom").inner_text() == "200%"
            zoomed, zoomed_box = image.bounding_box(), flagged.bounding_box()
            assert zoomed["width"] == pytest.approx(2 * width, rel=0.02)
            assert zoomed_box["width"] == pytest.approx(2 * box["width"], rel=0.05)
            page.get_by_role("button", name="适合宽度").click()
            assert page.locator("#records-viewer").get_attribute("data-zoom") == "1"
            page.locator('tr[data-field="business_type"] [data-locate]').click()
            assert "is-active" in flagged.get_attribute("class")
            assert page.locator("#records-viewer").get_attribute("data-zoom") == "2"
            _shot(page, "2-located")

            with page.expect_navigation():
                page.get_by_role("link", name="下一份待核对").click()
            assert page.url.endswith(f"/admin/record/inspect/{second.pk}/")
            form = page.locator('tr[data-field="business_type"] form')
            form.locator("input[name=value]").fill("过户")
            with page.expect_navigation():
                form.get_by_role("button").click()
            assert "已更正" in page.locator(".messages").inner_text()
            assert page.locator(".records-box--flagged").count() == 0  # settled: no longer flagged
            with page.expect_download() as download:
                page.locator("#records-access-copy").click()
            assert download.value.suggested_filename == "SC2026110200002_过户.pdf"
            saved = tmp_path / "copy.pdf"
            download.value.save_as(saved)
            assert saved.read_bytes().startswith(b"%PDF")
            # the last file to check is settled: the other one is the next
            assert page.locator("#records-next-flagged").get_attribute("href") == f"/admin/record/inspect/{first.pk}/"
            _shot(page, "3-corrected")
        finally:
            browser.close()
    shown = AuditEvent.objects.filter(action="record.view_page", actor_name="clerk-H11")
    assert {(e.object_id, e.details["page"]) for e in shown} == {(str(first.pk), 1), (str(second.pk), 1)}
    assert AuditEvent.objects.filter(action="record.download", object_id=str(second.pk)).exists()
