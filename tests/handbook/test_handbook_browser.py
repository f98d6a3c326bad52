"""The flowchart in a real Chromium: the Mermaid source in the page becomes a diagram, with no request leaving
the server (no internet at runtime) and the library served only after signing in."""
import pytest

from tests.handbook_support import make_handbook, make_procedure
from tests.records.test_browser_upload import ARGS, CHROMIUM, pytestmark  # noqa: F401  (skip without Chromium)


def test_flowchart_renders_offline_after_login(live_server, org_demo):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    _root, part = make_handbook()
    page_url = make_procedure(part, flowchart="flowchart TD\n  A[受理客户需求] --> B[系统内开户]").url
    outside = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")

            def guard(route):
                if route.request.url.startswith(live_server.url):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(f"{live_server.url}{page_url}")
            page.wait_for_url(f"{live_server.url}/accounts/login/**")
            page.fill("input[name=username]", "staff")
            page.fill("input[name=password]", "demo-pass-2026")
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}{page_url}")
            svg = page.locator("pre.mermaid svg")
            svg.wait_for(timeout=30_000)
            text = svg.text_content()
            assert "受理客户需求" in text and "系统内开户" in text
        finally:
            browser.close()
    assert outside == []
