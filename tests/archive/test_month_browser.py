"""Issue 16's walk: one month of hall H11 (branch B1) in a real Chromium, as each person, through the screens only.

Last month (the walk follows the calendar: a month is closed and handed over after it ends), seven paper forms
over two business days (the 2nd and the 3rd), scanned and uploaded by the clerk, read by the real
OCR in the real worker (`run_worker --batch`, the command the worker service runs). From there every step is a
click on the site, by the person whose step it is, starting from their own 待办 on the home page:

- the clerk checks the flagged fields against the paper and corrects them (a business type not in the table
  among them), and closes both days;
- the level-1 auditor imports the billing report (GB18030, CRLF, as BOSS exports it, with one row that has no
  paper), audits each day against it (one error registered, corrected by the clerk from her list, then
  passed; the rest passed in one action), signs and hands the files over;
- the hall keeper counts and receives both forms, binds, closes the month's volumes short and hands them over;
- the branch auditor receives, draws and audits each volume's level-2 sample, signs, and hands the month over;
- the marketing department receives, checks (the report row with no paper is the difference, in words) and
  draws the quarter's agreement check, with a result for each agreement drawn.

The database is only read, to check what each screen claims (states, holders, signatures, the event log).
The traps of the issue each have their own browser test (test_audit_traps_browser.py,
tests/records/test_category_browser.py, tests/handbook/test_approve_in_editor_browser.py)."""
import datetime
from importlib import import_module
import io
import os
import random
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from archive.views import last_month
from archive.models import HandoverForm, MarketingCheck, Signature, Volume
from org import auditlog
from org.models import AuditEvent
from records import reconcile
from records.models import BusinessType, OperatorReport, Record
from tests.archive.test_audit_traps_browser import db_in_browser_block  # noqa: F401 (a fixture)
from tests.archive.test_retention_browser import _message
from tests.archive.test_work_screens_browser import _in_place
from tests.archive_helpers import PASSWORD, signed_in
from tests.realforms import id_number
from tests.records.test_browser_upload import ARGS, CHROMIUM
from tests.scans import form_lines, form_page

pytestmark = [pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
              pytest.mark.django_db(transaction=True), pytest.mark.slow]

S, V = Record.Status, Volume.Status
SHOTS = os.environ.get("MONTH_WALK_SHOTS")  # a folder: a screenshot of each step, to look at

# The month's paper: (day of the month, number of the day, business type on the form, the true type, name, phone)
PAPER = [
    (2, "00101", "资费变更", "资费变更", "王芳", "13812345678"),
    (2, "00102", "换卡", "换卡", "李明", "13923456781"),  # level 1 finds an error in it
    (2, "00103", "过户", "过户", "张伟", "13734567812"),
    (2, "00104", "入网协议", "入网协议", "刘洋", "15845678123"),  # the month's agreement
    (3, "00105", "补卡", "补卡", "陈静", "18856781234"),
    (3, "00106", "宽带业务", "积分兑换", "赵磊", "13667812345"),  # not in the table: flagged
    (3, "00107", "资费变更", "资费变更", "杨帆", "15078123456"),
]
MONTH = last_month()  # {"year": …, "month": …}
FIRST = datetime.date(MONTH["year"], MONTH["month"], 2)
SECOND = FIRST.replace(day=3)


def number(day, serial):
    return f"SC{FIRST.replace(day=day):%Y%m%d}{serial}"


ERROR, AGREEMENT, UNKNOWN_TYPE = number(2, "00102"), number(2, "00104"), number(3, "00106")
NO_PAPER = number(3, "00199")  # in the billing report, never on paper


def _truth():
    rng = random.Random(2026_11)
    files = []
    for day, serial, on_form, business_type, name, phone in PAPER:
        ident, _born = id_number(rng)
        transaction_no, date = number(day, serial), FIRST.replace(day=day)
        files.append({"transaction_no": transaction_no, "on_form": on_form, "business_type": business_type,
                      "customer_name": name, "service_number": phone, "id_number": ident,
                      "business_date": date.isoformat()})
    return files


def _scan(truth):
    buffer = io.BytesIO()
    lines = form_lines(transaction_no=truth["transaction_no"], business_type=truth["on_form"],
                       name=truth["customer_name"], phone=truth["service_number"], id_number=truth["id_number"])
    form_page(lines, seed=int(truth["transaction_no"][-3:])).save(buffer, "PNG", dpi=(300, 300))
    return buffer.getvalue()


def _report(files, employee_no):
    """The clerk operation report as the billing system exports it: GB18030, CRLF, one row without paper."""
    rows = [",".join(reconcile.HEADER)]
    for f in files + [{"transaction_no": NO_PAPER, "business_date": SECOND.isoformat(), "business_type": "补卡",
                       "service_number": "13512349876", "customer_name": "周强", "id_number": id_number(random.Random(199))[0]}]:
        rows.append(",".join([f["transaction_no"], f"{f['business_date']} 10:31:00", "H11", employee_no,
                              f["business_type"], f["service_number"], f["customer_name"], "居民身份证",
                              f["id_number"]]))
    return ("\r\n".join(rows) + "\r\n").encode("gb18030")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _go(page, act):
    with page.expect_navigation():
        act()
    return page


def _todo(page, label):
    """The count of a row of the home page's 待办 (0 when the row is not there)."""
    row = page.locator("#todo-section tr", has_text=label)
    return int(row.locator(".todo-count").inner_text()) if row.count() else 0


def _from_todo(page, base, label):
    """Home, then the 待办 row's link: the step itself."""
    page.goto(f"{base}/admin/")
    assert _todo(page, label) > 0, f"{label} is not in the task list: {page.locator('#todo-section').inner_text()}"
    return _go(page, lambda: page.locator("#todo-section tr", has_text=label).locator("a").first.click())


def _sign(page, form, button):
    form.locator("input[name=password]").fill(PASSWORD)
    return _go(page, lambda: form.get_by_role("button", name=button).click())


def _receive(page, base, label):
    """Open the form waiting in the 待办, tick every row counted, sign: received."""
    _from_todo(page, base, label)
    page.locator("#archive-count-all").check()
    boxes = page.locator("input[name=counted]")
    assert boxes.count() > 0 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    _sign(page, page.locator("form#archive-receive"), "已清点：签收")
    assert "已签收" in _message(page), _message(page)


def _run_worker():
    """What the worker service does with what waits in the queue (OCR, report import), then exits."""
    call_command("run_worker", "--batch")


def test_one_month_of_hall_h11_as_each_person_through_the_screens(live_server, users, db_in_browser_block,
                                                                   tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # the business-type table as a fresh site has it (an earlier transactional test's flush empties it)
    for category, names in import_module("records.migrations.0002_default_business_types").DEFAULTS.items():
        for name in names:
            BusinessType.objects.get_or_create(name=name, defaults={"category": category})
    BusinessType.objects.filter(name="宽带业务").delete()
    files = _truth()
    truth = {f["transaction_no"]: f for f in files}
    base = live_server.url
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            _walk(browser, base, files, truth, users, tmp_path)
        finally:
            browser.close()
    _the_month_is_recorded(files, users)


def _walk(browser, base, files, truth, users, tmp_path):
    # ---- the clerk: upload the scans; the worker reads them ------------------------------------------------
    clerk = signed_in(browser, base, "clerk-H11")
    clerk.goto(f"{base}/admin/records/upload/")
    scans = [{"name": f"{f['transaction_no']}.png", "mimeType": "image/png", "buffer": _scan(f)} for f in files]
    results = clerk.locator("#records-results li[data-result]")
    if connection.vendor == "postgresql":  # all seven chosen at once, sent side by side
        clerk.set_input_files("#records-files", scans)
        results.nth(len(files) - 1).wait_for(timeout=60_000)
    else:
        # The test's SQLite is a shared in-memory database, whose table locks fail at once instead of waiting
        # (the site's own SQLite file waits: OPTIONS timeout). One file after the other there.
        for n, scan in enumerate(scans):
            clerk.set_input_files("#records-files", [scan])
            results.nth(n).wait_for(timeout=60_000)
    assert [results.nth(i).get_attribute("data-result") for i in range(len(files))] == ["created"] * len(files), (
        clerk.locator("#records-results").inner_text())
    _shot(clerk, "01-uploaded")
    _run_worker()
    assert set(Record.objects.values_list("status", flat=True)) == {S.OCR_DONE}

    # every value read is right or flagged, never silently wrong
    for record in Record.objects.all():
        expected = truth[record.scans.get().original_name.removesuffix(".png")]
        for name in ("transaction_no", "customer_name", "service_number", "id_number", "business_date"):
            field = record.fields.get(name) or {}
            assert field.get("problem") or str(getattr(record, name)) == expected[name], (record, name, field)
    assert Record.objects.get(transaction_no=UNKNOWN_TYPE).fields["business_type"]["problem"]

    # ---- the clerk checks the flagged files against the paper, from her task list -------------------------
    label = "日终分类前待核对的资料"
    clerk.goto(f"{base}/admin/")
    to_check = _todo(clerk, label)
    assert to_check >= 1
    corrected = set()
    while _todo(_home(clerk, base), label):
        _from_todo(clerk, base, label)
        number = _paper_of(clerk)
        for row in clerk.locator("tr.records-problem[data-field]").all():
            name = row.get_attribute("data-field")
            if name == "category":
                continue
            value = truth[number][name]
            row.locator("input[name=value]").fill(value)
            _go(clerk, lambda: row.get_by_role("button", name="更正").click())
            assert "已更正" in _message(clerk), _message(clerk)
            corrected.add((number, name))
            break  # the page is new: look again
        else:
            raise AssertionError(f"{number} is in 待核对 with nothing to correct")
    assert (UNKNOWN_TYPE, "business_type") in corrected
    assert Record.objects.get(transaction_no=UNKNOWN_TYPE).category == "general"  # set by the type

    # ---- the clerk closes both days -----------------------------------------------------------------------
    for day in (FIRST.isoformat(), SECOND.isoformat()):
        _from_todo(clerk, base, "待日终分类的营业日")
        assert "H11" in clerk.locator("select[name=hall] option:checked").inner_text()
        clerk.locator("input[name=day]").fill(day)
        _go(clerk, lambda: clerk.get_by_role("button", name="日终分类").click())
        assert "失败" not in _message(clerk) and "请" not in _message(clerk), _message(clerk)
    assert set(Record.objects.values_list("status", flat=True)) == {S.SORTED}
    _shot(clerk, "02-closed")

    # ---- the level-1 auditor imports the billing report -----------------------------------------------------
    l1 = signed_in(browser, base, "l1-H11")
    l1.goto(f"{base}/admin/records/reconcile/")
    report = tmp_path / f"营业员操作报表-{FIRST:%Y-%m}.csv"
    report.write_bytes(_report(files, users("clerk-H11").employee_no))
    l1.set_input_files("input[name=report]", str(report))
    _go(l1, lambda: l1.get_by_role("button", name="导入并核对").click())
    assert "/reconcile/job/" in l1.url  # imported in the background, with its progress
    _run_worker()
    l1.reload()  # the page refreshes by itself every 2 s; once imported it shows the reconciliation
    l1.wait_for_url(re.compile(r"/admin/records/reconcile/\d+/$"))
    assert OperatorReport.objects.get().row_count == len(files) + 1
    _shot(l1, "03-report")

    # ---- level 1, day 1: one error, corrected by the clerk, then everything passed -----------------------
    _from_todo(l1, base, "待一级稽核的日期")
    assert l1.url.endswith(f"/day/{FIRST.isoformat()}/")
    _go(l1, lambda: l1.locator("#archive-level1-open button").click())
    bad = l1.locator("#archive-level1-records tr", has_text=ERROR)
    bad.locator("input[name=error_kind]").fill("缺客户签名")
    bad.locator("input[name=note]").fill("受理单客户签名栏空白")
    _in_place(l1, lambda: bad.get_by_role("button", name="差错").click())
    assert Record.objects.get(transaction_no=ERROR).status == S.L1_ERROR
    _go(l1, lambda: l1.locator("#archive-level1-pass-clean button").click())
    assert "已通过 3" in _message(l1) or "3" in _message(l1), _message(l1)
    _shot(l1, "03-level1-day1")

    _from_todo(clerk, base, "待整改的差错")
    error_row = clerk.locator("tr[data-error]", has_text=ERROR)
    assert "缺客户签名" in error_row.inner_text()
    _go(clerk, lambda: error_row.get_by_role("button", name="已整改").click())

    l1.reload()
    fixed = l1.locator("#archive-level1-records tr", has_text=ERROR)
    _in_place(l1, lambda: fixed.get_by_role("button", name="通过").click())
    assert "4/4" in l1.locator("#archive-level1-progress").inner_text().replace(" ", "")
    _sign(l1, l1.locator("form", has=l1.locator("input[name=notes]")), "签署一级稽核记录")
    _sign(l1, l1.locator("form", has=l1.get_by_role("button", name=re.compile("移交"))),
          re.compile("移交"))
    assert "交接表" in _message(l1), _message(l1)

    # ---- level 1, day 2: the report row with no paper is shown; the rest passed in one action -------------
    _from_todo(l1, base, "待一级稽核的日期")
    assert l1.url.endswith(f"/day/{SECOND.isoformat()}/")
    _go(l1, lambda: l1.locator("#archive-level1-open button").click())
    assert NO_PAPER in l1.locator("#archive-reconciliation").inner_text()
    _go(l1, lambda: l1.locator("#archive-level1-pass-clean button").click())
    assert "3/3" in l1.locator("#archive-level1-progress").inner_text().replace(" ", "")
    _sign(l1, l1.locator("form", has=l1.locator("input[name=notes]")), "签署一级稽核记录")
    _sign(l1, l1.locator("form", has=l1.get_by_role("button", name=re.compile("移交"))),
          re.compile("移交"))
    assert set(Record.objects.values_list("status", flat=True)) == {S.L1_PASSED}

    # ---- the hall keeper: counts and receives both forms, binds, closes the month, hands over ------------
    keeper = signed_in(browser, base, "keeper-H11")
    keeper.goto(f"{base}/admin/")
    assert _todo(keeper, "待签收的营业员-营业厅交接表") == 2
    for _ in range(2):
        _receive(keeper, base, "待签收的营业员-营业厅交接表")
    _from_todo(keeper, base, "待装订资料")
    keeper.locator("#archive-bind-all").check()
    assert keeper.locator("input[name=records]:checked").count() == len(files)
    _go(keeper, lambda: keeper.get_by_role("button", name=re.compile("装订")).click())
    # the month close offers last month
    assert keeper.locator("#archive-close-month input[name=year]").input_value() == str(FIRST.year)
    assert keeper.locator("#archive-close-month input[name=month]").input_value() == str(FIRST.month)
    keeper.locator("#archive-close-month input[name=reason]").fill("月末封卷")
    _go(keeper, lambda: keeper.locator("#archive-close-month button").click())
    volumes = keeper.locator("#archive-volume-list tbody tr")
    assert volumes.count() == 3
    months = {volumes.nth(i).locator(".archive-volume-month").inner_text() for i in range(3)}
    sizes = sorted(int(volumes.nth(i).locator(".archive-volume-size").inner_text()) for i in range(3))
    assert months == {f"{FIRST:%Y-%m}"} and sizes == [1, 1, 5]
    _shot(keeper, "04-bound")
    _from_todo(keeper, base, "待移交分公司的卷")
    for box in keeper.locator("#archive-volume-list input[name=volumes]").all():
        box.check()
    _sign(keeper, keeper.locator("#archive-volumes form"), re.compile("移交分公司"))
    assert "交接表" in _message(keeper), _message(keeper)

    # ---- the branch auditor: receives, audits each volume's sample, hands the month over ---------------
    auditor = signed_in(browser, base, "auditor-B1")
    _receive(auditor, base, "待签收的营业厅-分公司交接表")
    for _ in range(3):
        _from_todo(auditor, base, "待二级稽核（抽样）的卷")
        _go(auditor, lambda: auditor.get_by_role("button", name="抽取二级稽核样本").click())
        sample = auditor.locator("tr[id^=archive-sample-]")
        assert sample.count() >= 1
        for i in range(sample.count()):
            row = auditor.locator("tr[id^=archive-sample-]").nth(i)
            _go(auditor, lambda: row.get_by_role("button", name="通过").click())
        _shot(auditor, "05-level2")
        _sign(auditor, auditor.locator("form", has=auditor.locator("input[name=reason]")).last,
              "签署二级稽核记录")
        assert "失败" not in _message(auditor), _message(auditor)
    assert set(Volume.objects.values_list("status", flat=True)) == {V.L2_PASSED}
    _from_todo(auditor, base, "待移交市场部的月份")
    monthly = auditor.locator("form", has=auditor.get_by_role("button", name="签署分公司-市场部交接表"))
    # the month waiting to go is the one offered
    assert monthly.locator("input[name=year]").input_value() == str(FIRST.year)
    assert monthly.locator("input[name=month]").input_value() == str(FIRST.month)
    _sign(auditor, monthly, "签署分公司-市场部交接表")
    assert "交接表" in _message(auditor), _message(auditor)

    # ---- the marketing department: receives, checks, draws the quarter's agreements -------------------------
    marketing = signed_in(browser, base, "marketing")
    _receive(marketing, base, "待签收的分公司-市场部交接表")
    _go(marketing, lambda: marketing.get_by_role("button", name=re.compile("核对纸质")).click())
    differences = marketing.locator("ul.archive-differences li")
    assert differences.count() == 1
    text = differences.first.inner_text()
    assert NO_PAPER in text and "{" not in text and "paper_missing" not in text, text
    _shot(marketing, "06-marketing-check")
    _from_todo(marketing, base, "待做的季度流程检查")
    draw = marketing.locator("form", has=marketing.locator("input[name=quarter]"))
    today = timezone.localdate()
    assert draw.locator("input[name=quarter]").input_value() == str((today.month - 1) // 3 + 1)  # this quarter
    draw.locator("input[name=year]").fill(str(FIRST.year))
    draw.locator("input[name=quarter]").fill(str((FIRST.month - 1) // 3 + 1))  # the month's quarter
    _go(marketing, lambda: draw.get_by_role("button").click())
    drawn = marketing.locator("tr", has_text=AGREEMENT)
    assert drawn.count() == 1  # the month's one agreement is drawn and shown
    drawn_form = drawn.locator("form")
    _go(marketing, lambda: drawn_form.get_by_role("button", name="通过").click())
    assert "1/1" in marketing.locator("body").inner_text().replace(" ", "")
    _shot(marketing, "07-process-check")


def _home(page, base):
    page.goto(f"{base}/admin/")
    return page


def _paper_of(page):
    """The paper form in the clerk's hand for the record page shown: the one its scan was made from."""
    pk = int(re.search(r"/inspect/(\d+)/", page.url).group(1))
    return Record.objects.get(pk=pk).scans.get().original_name.removesuffix(".png")


def _the_month_is_recorded(files, users):
    """What the screens said, in the database: every file at marketing, in a volume, signed at each step."""
    records = Record.objects.all()
    assert records.count() == len(files)
    for record in records:
        assert record.volume_items.exists() if hasattr(record, "volume_items") else True
    assert set(Volume.objects.values_list("status", "holder")) == {(V.AT_MARKETING, users("marketing").pk)}
    forms = HandoverForm.objects.all()
    assert sorted(forms.values_list("kind", flat=True)) == sorted(
        [HandoverForm.Kind.CLERK_HALL] * 2 + [HandoverForm.Kind.HALL_BRANCH, HandoverForm.Kind.BRANCH_MARKETING])
    assert set(forms.values_list("status", flat=True)) == {"accepted"}
    # 2 level-1 records, 2 × 4 form signatures, 3 level-2 records
    assert Signature.objects.count() == 2 + 8 + 3
    assert MarketingCheck.objects.filter(kind=MarketingCheck.Kind.MONTHLY).count() == 1
    assert MarketingCheck.objects.filter(kind=MarketingCheck.Kind.PROCESS).count() == 1
    actors = set(AuditEvent.objects.values_list("actor_name", flat=True))
    assert {"clerk-H11", "l1-H11", "keeper-H11", "auditor-B1", "marketing"} <= actors
    assert auditlog.verify() > 0
