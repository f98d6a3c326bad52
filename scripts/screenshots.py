"""The README's screenshots: the main screens, each as the person who uses it, on a fresh demo site.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--forms 4]

It builds the embedded site (SQLite, local files, database search: no servers needed) in a temporary
folder: the demo organisation (org/demo.py), the legacy handbook, and a few generated hall forms
(tests/realforms.py: ruled table, seal, signature, ID-card copy) read by the real OCR. Then it runs the
server and takes each screen in Chromium (Playwright), signed in through the login form. Nothing here
stages a screen by writing to the database: the files come in through intake and OCR, and the people's
steps are the site's own. Re-run it after changing a screen; the PNGs are committed under docs/screenshots.
"""
import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"  # Debian's (scripts/setup-apt.sh), as the browser tests use

# (file name, user, URL name or callable giving the path, what it shows)
SHOTS = [
    ("01-clerk-home.png", "clerk-H11", "wagtailadmin_home", "营业员的首页：待办事项"),
    ("02-records-to-check.png", "clerk-H11", "records_to_check", "客户资料列表，待核对筛选"),
    ("03-record-page.png", "clerk-H11", "flagged_record", "客户资料页：扫描件与关键字段，待核对字段高亮"),
    ("04-daily-close.png", "clerk-H11", "archive_admin:daily_close", "日结"),
    ("05-search.png", "auditor-B1", "search_by_name", "稽核人员的检索（本分公司范围）"),
    ("06-event-log.png", "admin", "auditevent:index", "事件日志（中文动作与筛选）"),
    ("07-handbook.png", "clerk-H11", "handbook_page", "员工阅读的现行操作手册"),
    ("08-handbook-admin.png", "admin", "handbook_explorer", "手册的管理后台"),
    ("09-loans.png", "archivist", "archive_admin:loans", "查阅与借阅"),
    ("10-locations.png", "archivist", "archive_admin:locations", "存放位置"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_site(var_dir, forms):
    """Migrate, load the demo organisation and handbook, take in and read `forms` generated hall forms."""
    os.environ.update(APP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    from org.models import Hall, User
    from records import intake, ocr
    from records.models import Record
    from tests.realforms import make_form

    call_command("migrate", "-v0")
    call_command("load_demo")
    call_command("import_handbook", str(ROOT / "handbook/fixtures/handbook-legacy-zh.txt"), "--publish",
                 "--as", "admin", stdout=io.StringIO())
    hall, clerk = Hall.objects.get(code="H11"), User.objects.get(username="clerk-H11")
    for seed in range(forms):
        form = make_form(seed)
        record = intake.ingest(clerk, hall=hall, clerk=clerk, fileobj=io.BytesIO(form.file_bytes()), name=form.name,
                               channel=Record.Channel.ADMIN)
        ocr.run(record.pk)
        print(f"  read {form.name}", flush=True)


def paths():
    """Each shot's path on the site (after build_site)."""
    from django.urls import reverse
    from wagtail.models import Page

    from handbook.models import ProcedurePage as Procedure
    from records.models import Record, flagged_q

    flagged = Record.objects.filter(flagged_q()).order_by("pk").first() or Record.objects.order_by("pk").first()
    procedure = Procedure.objects.live().order_by("path").first()
    found = {
        "records_to_check": reverse("record:index") + "?to_check=1",
        "flagged_record": reverse("record:inspect", args=[flagged.pk]),
        "search_by_name": reverse("search_admin:search") + "?q=" + urllib.request.quote(flagged.customer_name or "张"),
        "handbook_page": procedure.url if procedure else "/",
        "handbook_explorer": reverse("wagtailadmin_explore", args=[(procedure.get_parent() if procedure
                                                                     else Page.get_first_root_node()).pk]),
    }
    return {name: found.get(target) or reverse(target) for name, _, target, _ in SHOTS}


def wait_for(url, seconds=120):
    """Until the server answers (any HTTP status), or give up after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server at {url} did not answer within {seconds} s")


def take(base, shots, out):
    from playwright.sync_api import sync_playwright

    from org.demo import DEMO_PASSWORD

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox", "--disable-gpu"])
        pages = {}
        for name, user, _, _ in SHOTS:
            if user not in pages:
                page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}).new_page()
                page.goto(f"{base}/admin/login/")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", DEMO_PASSWORD)
                with page.expect_navigation():
                    page.click("button[type=submit]")
                pages[user] = page
            page = pages[user]
            page.goto(base + shots[name])
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / name))
            print(f"  {name}", flush=True)
        browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--forms", type=int, default=4)
    args = parser.parse_args()
    for name in ("DATABASE_URL", "ELASTICSEARCH_URL", "AWS_STORAGE_BUCKET_NAME", "S3_ENDPOINT_URL"):
        os.environ.pop(name, None)
    var_dir = Path(tempfile.mkdtemp(prefix="screens-"))
    print(f"building the demo site in {var_dir} …", flush=True)
    build_site(var_dir, args.forms)
    shots = paths()
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}",
                               "--noreload"], cwd=ROOT, env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz")
        take(base, shots, Path(args.out))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
