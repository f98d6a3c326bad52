"""The upload screen in a real Chromium: log in, choose files, drop a file, see one result line per file."""
import os

import pytest

from records.models import Record
from tests.records.test_records_admin import png

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is missing: run scripts/setup-apt.sh (Debian's chromium)")

DROP = """([name, bytes]) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], name, {type: "image/png"}));
    document.getElementById("records-dropzone").dispatchEvent(
        new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
}"""


def test_upload_by_file_input_and_drop(live_server, org_demo):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Only the browser runs inside Playwright's block: Django's database calls stay outside its event loop.
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("input[name=username]", "clerk-H11")
            page.fill("input[name=password]", "demo-pass-2026")
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            page.goto(f"{live_server.url}/admin/records/upload/")
            # the file button in Chinese, whatever the browser's own language (its native one is hidden)
            assert page.locator("#records-dropzone .button").inner_text() == "选择文件"
            assert not page.locator("#records-files").is_visible() or page.locator("#records-files").bounding_box()[
                "width"] <= 1
            page.set_input_files("#records-files", [
                {"name": "开户单.png", "mimeType": "image/png", "buffer": png("SC2026110200001")},
                {"name": "empty.png", "mimeType": "image/png", "buffer": b""},
            ])
            page.evaluate(DROP, ["dropped.png", list(png("SC2026110200002"))])
            results = page.locator("#records-results li[data-result]")
            results.nth(2).wait_for(timeout=30_000)
            lines = {results.nth(i).locator("strong").inner_text(): results.nth(i) for i in range(results.count())}
            created, refused, dropped = lines["开户单.png"], lines["empty.png"], lines["dropped.png"]
            assert created.get_attribute("data-result") == "created"
            created_href = created.locator("a").get_attribute("href")
            assert refused.get_attribute("data-result") == "refused"
            assert "empty.png" in refused.inner_text() and refused.locator("a").count() == 0
            assert dropped.get_attribute("data-result") == "created"
            assert page.locator("#records-results progress").count() == 0
        finally:
            browser.close()
    records = Record.objects.filter(channel=Record.Channel.ADMIN)
    assert records.count() == 2
    assert created_href == f"/admin/record/inspect/{records.get(scans__original_name='开户单.png').pk}/"
