"""The README's screenshots: the main screens, each as the person who uses it, on a fresh demo site.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--forms 4] [--day-forms 12]

It builds the embedded site (SQLite, local files, database search: no servers needed) in a temporary
folder: the demo organisation (org/demo.py), the legacy handbook, and a few generated hall forms
(tests/realforms.py: ruled table, seal, signature, ID-card copy) read by the real OCR, plus one business
day's forms of hall H11 (CHAIN_DAY) and the operator report of that month (their rows, and one row with no
paper). Then it runs the server and takes each screen in Chromium (Playwright), signed in through the login
form. After the first screens it walks that day through the chain (walk_chain): daily close, level 1 with
one error corrected, clerk→hall form counted and signed, binding, month close, hall→branch, the level-2
sample, branch→marketing and the marketing group's monthly check, and takes the chain's screens on the way.
Nothing here stages a screen by writing to the database: the files come in through intake and OCR, and the
people's steps are the site's own — clicked in Chromium, or (where a click adds nothing to a picture) the
step's own function (archive/*.py) called for the person who takes it, with their password. Re-run it after
changing a screen; the PNGs are committed under docs/screenshots.
"""
import argparse
import datetime
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
    # the chain's screens, taken by walk_chain at the moment named (the target is its step there)
    ("11-level1.png", "l1-H11", "chain:level1", "一级稽核：对照报表，批量通过与逐份登记差错，进度"),
    ("12-keeper-home.png", "keeper-H11", "chain:keeper_home", "资料管理员的首页：待签收的交接单"),
    ("13-handover-clerk-hall.png", "keeper-H11", "chain:clerk_hall", "营业员→营业厅交接单：逐行清点勾选后签收"),
    ("14-binding.png", "keeper-H11", "chain:binding", "装订：勾选在手的资料，每30份一卷"),
    ("15-handover-hall-branch.png", "auditor-B1", "chain:hall_branch", "营业厅→分公司交接单：分公司稽核签收"),
    ("16-volume-level2.png", "auditor-B1", "chain:level2", "案卷页：二级稽核抽样与结果"),
    ("17-marketing-check.png", "marketing", "chain:marketing", "市场部月度核对：纸质、电子明细与交接数字的差异"),
]
CHAIN_DAY = datetime.date(2026, 11, 27)  # the business day of the day's forms (the month is over: it closes)
DAY_SEEDS = range(100, 200)  # the day's forms are drawn from these seeds (tests/realforms.py make_form)
NO_PAPER = "SC2026112899001"
ON_PAPER = {}  # transaction number → the key fields printed on a day's form (what the clerk reads off the paper)  # a report row of the month with no paper: the marketing check's difference


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_site(var_dir, forms, day_forms):
    """Migrate, load the demo organisation and handbook, take in and read `forms` generated hall forms and
    `day_forms` of CHAIN_DAY, import the month's operator report."""
    os.environ.update(APP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    from org.models import Hall, User
    from records import intake, ocr, reconcile
    from search import outbox
    from records.models import Record
    from tests.realforms import make_form

    call_command("migrate", "-v0")
    call_command("load_demo")
    call_command("import_handbook", str(ROOT / "handbook/fixtures/handbook-legacy-zh.txt"), "--publish",
                 "--as", "admin", stdout=io.StringIO())
    hall, clerk = Hall.objects.get(code="H11"), User.objects.get(username="clerk-H11")

    def take_in(form):
        record = intake.ingest(clerk, hall=hall, clerk=clerk, fileobj=io.BytesIO(form.file_bytes()), name=form.name,
                               channel=Record.Channel.ADMIN)
        ocr.run(record.pk)
        print(f"  read {form.name}", flush=True)

    for seed in range(forms):
        take_in(make_form(seed))
    day = [make_form(seed, date=CHAIN_DAY) for seed in DAY_SEEDS[:day_forms]]
    ON_PAPER.update((form.truth["transaction_no"], form.truth) for form in day)
    for form in day:
        take_in(form)
    # the operator report of the month, as the billing system exported it (the forms' truth, not what OCR
    # read), with one business nobody brought the paper of
    rows = [",".join(reconcile.HEADER)]
    for n, form in enumerate(day):
        t = form.truth
        rows.append(",".join([t["transaction_no"], f"{t['business_date']} {9 + n:02d}:{7 * n % 60:02d}:00", "H11",
                              clerk.employee_no, t["business_type"], t["service_number"], t["customer_name"],
                              "居民身份证", t["id_number"]]))
    rows.append(f"{NO_PAPER},2026-11-28 15:20:00,H11,{clerk.employee_no},资费变更,13912345678,周敏,居民身份证,"
                "510104199003071237")
    reconcile.import_report(User.objects.get(username="archivist"), ("\n".join(rows) + "\n").encode(),
                            "BOSS营业员操作报表-2026-11.csv")
    outbox.flush()  # what the worker does (search.flush_outbox): the files in the search index


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
    return {name: found.get(target) or reverse(target) for name, _, target, _ in SHOTS
            if not target.startswith("chain:")}


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
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the chain's steps query the database beside Playwright's loop
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox", "--disable-gpu",
                                                                            "--lang=zh-CN"])
        pages = {}

        def page_of(user):
            """A page signed in as `user` through the login form (one per user, kept)."""
            if user not in pages:
                page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}).new_page()
                page.goto(f"{base}/admin/login/")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", DEMO_PASSWORD)
                with page.expect_navigation():
                    page.click("button[type=submit]")
                pages[user] = page
            return pages[user]

        def shoot(name, page=None):
            """The shot `name` of the page as it is now (its user's page unless given)."""
            user = next(u for n, u, _, _ in SHOTS if n == name)
            page = page or page_of(user)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / name))
            print(f"  {name}", flush=True)

        for name, user, target, _ in SHOTS:
            if not target.startswith("chain:"):
                page_of(user).goto(base + shots[name])
                shoot(name)
        walk_chain(base, page_of, shoot, DEMO_PASSWORD)
        browser.close()


def _submit(page, form, button="button"):
    """Click `form`'s `button` and wait for the page the site answers with."""
    with page.expect_navigation():
        form.locator(button).first.click()


def _refused(page):
    """A refusal the site showed (its message), else None."""
    error = page.locator(".messages .error")
    return error.first.inner_text() if error.count() else None


def walk_chain(base, page_of, shoot, password):
    """CHAIN_DAY of hall H11 through the chain, each step by the person who takes it, with the chain's shots."""
    from django.db.models import Count
    from django.urls import reverse

    from archive import errors, handover, level1, level2
    from archive.dailyclose import CategoryMissing, DailyClose
    from archive.models import ErrorEntry, HandoverForm, Volume
    from org.models import Branch, Hall, User
    from records.models import OperatorReport, Record
    from records import keyfields
    from records.transitions import correct_field

    hall, branch = Hall.objects.get(code="H11"), Branch.objects.get(code="B1")
    people = {u.username: u for u in User.objects.filter(
        username__in=["clerk-H11", "l1-H11", "keeper-H11", "auditor-B1", "marketing"])}
    clerk, l1, keeper, auditor = (people[n] for n in ("clerk-H11", "l1-H11", "keeper-H11", "auditor-B1"))

    def step(what, transition):
        print(f"  · {what}", flush=True)
        return transition.run()

    def checked(page, what):
        problem = _refused(page)
        if problem:
            raise SystemExit(f"{what}: the site refused: {problem}")
        print(f"  · {what}", flush=True)

    def from_paper(record):
        """The clerk corrects, from the paper, each key field OCR flagged (a corrected business type sets the
        category, records/transitions.py correct_field)."""
        paper = ON_PAPER.get(record.transaction_no, {})
        for name, entry in (record.fields or {}).items():
            if entry.get("problem") and paper.get(name) and name != "category":
                print(f"  · 核对 {record.transaction_no} 的{keyfields.LABELS[name][0]}：{paper[name]}", flush=True)
                record = correct_field(clerk, record, name, paper[name])
        return record

    # the clerk closes the day (a file without category: its flagged fields corrected from the paper first, as
    # the daily close asks); the level-1 auditor opens the day beside the month's report
    try:
        step("日结", DailyClose(clerk, hall, CHAIN_DAY))
    except CategoryMissing as missing:
        for record in missing.records:
            from_paper(record)
        step("日结", DailyClose(clerk, hall, CHAIN_DAY))
    report = OperatorReport.objects.order_by("-pk").first()
    audit = level1.open_audit(l1, hall, CHAIN_DAY, report)

    # level 1 in Chromium: an error on one file (Enter in 差错类型), then the clean ones in one action
    page = page_of("l1-H11")
    page.goto(base + reverse("archive_admin:level1", args=[hall.pk, CHAIN_DAY.isoformat()]))
    first = level1.day_records(audit).order_by("transaction_no").first()
    row = page.locator(f"#archive-row-{first.pk}")
    row.locator("input[name=error_kind]").fill("缺客户签名")
    row.locator("input[name=note]").fill("受理单客户签名栏空白")
    with page.expect_response(lambda r: "/mark/" in r.url and r.request.method == "POST"):
        row.locator("input[name=error_kind]").press("Enter")
    page.wait_for_function("!document.querySelector('#archive-level1-records form button[disabled]')")
    print("  · 一级稽核：登记差错", flush=True)
    _submit(page, page.locator("#archive-level1-pass-clean"))
    checked(page, "一级稽核：批量通过")
    shoot("11-level1.png")

    # the clerk corrects the error and, from the paper, what OCR could not read for sure; the auditor passes
    # what is left, signs, hands the day to the keeper
    step("差错整改", errors.CorrectError(clerk, ErrorEntry.objects.get(record=first, corrected_at__isnull=True)))
    for record in level1.day_records(audit).order_by("pk"):
        from_paper(record)
    for record in level1.day_records(audit).exclude(status=Record.Status.L1_PASSED).order_by("pk"):
        step(f"一级稽核：通过 {record.transaction_no}", level1.Mark(l1, audit, record, passed=True))
    step("一级稽核记录签署", level1.Sign(l1, audit, password))
    form = step("营业员→营业厅交接单", handover.GiveClerkHall(l1, password, audit))

    def receive(page, form, said):
        """The receiver ticks every row counted on the form and signs."""
        page.goto(base + reverse("archive_admin:form", args=[form.pk]))
        page.locator("#archive-count-all").check()
        page.locator("#archive-receive input[name=password]").fill(password)
        _submit(page, page.locator("#archive-receive"))
        checked(page, said)

    # the keeper: the form waiting on the home page, counted row by row and received
    page = page_of("keeper-H11")
    page.goto(base + reverse("wagtailadmin_home"))
    shoot("12-keeper-home.png")
    receive(page, form, "资料管理员签收")
    shoot("13-handover-clerk-hall.png")

    # binding: every file in hand ticked (the shot), bound, the month closed, the volumes to the branch
    page.goto(base + reverse("archive_admin:keeper"))
    page.locator("#archive-bind-all").check()
    shoot("14-binding.png")
    _submit(page, page.locator("#archive-bind form"), "button.button")
    checked(page, "装订")
    close = page.locator("#archive-close-month form")
    close.locator("input[name=year]").fill(str(CHAIN_DAY.year))
    close.locator("input[name=month]").fill(str(CHAIN_DAY.month))
    close.locator("input[name=reason]").fill("月末封卷")
    _submit(page, close)
    checked(page, "月末封卷")
    for box in page.locator("#archive-volume-list input[name=volumes]").all():
        box.check()
    page.locator("#archive-volumes input[name=password]").fill(password)
    _submit(page, page.locator("#archive-volumes form"), "button.button")
    checked(page, "营业厅→分公司交接单")

    # the branch auditor counts and receives, then draws each volume's sample and records the findings
    page = page_of("auditor-B1")
    hall_branch = HandoverForm.objects.filter(kind=HandoverForm.Kind.HALL_BRANCH).latest("pk")
    receive(page, hall_branch, "分公司稽核签收")
    shoot("15-handover-hall-branch.png")
    volumes = sorted(Volume.objects.filter(hall=hall).annotate(file_count=Count("items")),
                     key=lambda v: (-v.file_count, v.number))  # the largest first: its page is the shot
    for volume in volumes:
        page.goto(base + reverse("archive_admin:volume", args=[volume.pk]))
        _submit(page, page.locator("form[action$='/level2/']"))
        checked(page, f"二级稽核抽样 {volume.number}")
        audit2 = volume.level2_audits.first()
        for pk in audit2.sample:
            step(f"二级稽核：{pk} 合格", level2.Finding(auditor, audit2, Record.objects.get(pk=pk), ok=True))
        step(f"二级稽核记录签署 {volume.number}", level2.Finish(auditor, audit2, password))
    page.goto(base + reverse("archive_admin:volume", args=[volumes[0].pk]))
    shoot("16-volume-level2.png")

    # the month to marketing; marketing counts, receives and checks paper against the electronic detail
    monthly_form = step("分公司→市场部交接单", handover.GiveBranchMarketing(
        auditor, password, branch, CHAIN_DAY.year, CHAIN_DAY.month))
    page = page_of("marketing")
    page.goto(base + reverse("archive_admin:form", args=[monthly_form.pk]))
    page.locator("#archive-count-all").check()
    page.locator("#archive-receive input[name=password]").fill(password)
    _submit(page, page.locator("#archive-receive"))
    checked(page, "市场部签收")
    _submit(page, page.locator("form[action$='/check/']"))
    checked(page, "市场部月度核对")
    shoot("17-marketing-check.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--forms", type=int, default=4)
    parser.add_argument("--day-forms", type=int, default=12, help="forms of CHAIN_DAY, walked through the chain")
    args = parser.parse_args()
    for name in ("DATABASE_URL", "ELASTICSEARCH_URL", "AWS_STORAGE_BUCKET_NAME", "S3_ENDPOINT_URL"):
        os.environ.pop(name, None)
    var_dir = Path(tempfile.mkdtemp(prefix="screens-"))
    print(f"building the demo site in {var_dir} …", flush=True)
    build_site(var_dir, args.forms, args.day_forms)
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
