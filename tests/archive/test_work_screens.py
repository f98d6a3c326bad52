"""Issue 16, the work screens of level 1, level 2, the quarterly process check and the marketing check, the
server's side.

Level 1: one action passes the files that match the report and have no flags, each through the per-file
step (one event-log row each) and says in Chinese what it passed and what it left, and why; a row is marked
in the background (the answer is the row, the progress and the error register); finished rows are marked
and the progress counts them. Level 2 and the process check: each sampled row shows the result just
recorded and links to its file; the process check defaults to the current quarter and records a result per
agreement. The marketing check's differences read as sentences with links."""
import datetime
import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from archive import dailyclose, events, handover, level1, monthly, views
from archive.base import ChainError
from archive.binding import Bind, CloseMonth
from archive.models import AuditMark, ErrorEntry, MarketingCheck, Volume
from org.auditlog_models import AuditEvent
from org.models import Branch, Hall
from records import reconcile
from records.models import Record
from tests.archive.test_audit_traps import level2_error
from tests.archive_helpers import PASSWORD, day, level2_passed, make_day, report_csv, to_keeper

S = Record.Status
FLAG = {"customer_name": {"value": "张三", "confidence": 0.41, "problem": "置信度低"}}


def audited_day(make_record, users):
    """H11's 1 October, six files sorted, the report imported and the audit open against it:
    clean (2), flagged, differing from the report, not in the report, marked in error."""
    files = make_day(make_record, "H11", day(1), ["general"] * 6)
    clean1, clean2, flagged, differs, missing, wrong = files
    report = reconcile.import_report(users("admin"), report_csv(files[:4] + [files[5]]), "boss-1001.csv")
    Record.objects.filter(pk=flagged.pk).update(fields=FLAG)
    Record.objects.filter(pk=differs.pk).update(business_type="过户")
    hall = Hall.objects.get(code="H11")
    dailyclose.DailyClose(users("clerk-H11"), hall, day(1)).run()
    audit = level1.open_audit(users("l1-H11"), hall, day(1), report)
    wrong = Record.objects.get(pk=wrong.pk)
    level1.Mark(users("l1-H11"), audit, wrong, passed=False, error_kind="缺客户签名").run()
    return audit, {name: Record.objects.get(pk=r.pk) for name, r in zip(
        ["clean1", "clean2", "flagged", "differs", "missing", "wrong"], files)}


def _marks():
    return AuditEvent.objects.filter(action=events.LEVEL1_MARK).order_by("seq")


# --- level 1: the bulk pass --------------------------------------------------------------------------------

def test_the_bulk_pass_passes_only_clean_files_each_through_the_step(make_record, users):
    audit, f = audited_day(make_record, users)
    before = _marks().count()
    passed, skipped = level1.pass_clean(users("l1-H11"), audit)
    assert [r.pk for r in passed] == [f["clean1"].pk, f["clean2"].pk]
    reasons = {r.pk: "；".join(why) for r, why in skipped}
    assert reasons == {f["flagged"].pk: "待核对：客户姓名", f["differs"].pk: "与报表不符：业务类型",
                       f["missing"].pk: "报表无此业务", f["wrong"].pk: "有未整改的差错"}
    assert {r.status for r in Record.objects.filter(pk__in=[f["clean1"].pk, f["clean2"].pk])} == {S.L1_PASSED}
    assert Record.objects.get(pk=f["flagged"].pk).status == S.SORTED
    assert Record.objects.get(pk=f["wrong"].pk).status == S.L1_ERROR
    new = list(_marks()[before:])
    assert [e.object_id for e in new] == [str(f["clean1"].pk), str(f["clean2"].pk)]  # one row per file
    assert all(e.details["bulk"] is True and e.details["result"] == "passed" for e in new)
    assert AuditMark.objects.filter(audit=audit, result="passed").count() == 2

    # again: nothing left to pass, nothing logged; the passed files are not listed as left over
    passed, skipped = level1.pass_clean(users("l1-H11"), audit)
    assert passed == [] and len(skipped) == 4 and _marks().count() == before + 2


def test_a_corrected_error_is_left_for_a_pass_of_its_own(make_record, users):
    audit, f = audited_day(make_record, users)
    from archive import errors

    errors.CorrectError(users("clerk-H11"), ErrorEntry.objects.get(record=f["wrong"])).run()
    _passed, skipped = level1.pass_clean(users("l1-H11"), audit)
    assert dict((r.pk, why) for r, why in skipped)[f["wrong"].pk] == ["已判差错：整改后请逐份通过"]


def test_the_bulk_step_refuses_under_the_lock_what_changed_meanwhile(make_record, users):
    audit, f = audited_day(make_record, users)
    row = {r.transaction_no: r for r in level1.day_rows(audit)}[f["clean1"].transaction_no]
    Record.objects.filter(pk=f["clean1"].pk).update(fields=FLAG)  # flagged after the list was drawn
    with pytest.raises(ChainError, match="待核对"):
        level1.CleanPass(users("l1-H11"), audit, f["clean1"], row).run()
    Record.objects.filter(pk=f["clean2"].pk).update(customer_name="李四")
    row2 = {r.transaction_no: r for r in level1.day_rows(audit)}[f["clean2"].transaction_no]
    with pytest.raises(ChainError, match="与报表不符：客户姓名"):
        level1.CleanPass(users("l1-H11"), audit, f["clean2"], row2).run()
    with pytest.raises(ChainError, match="报表无此业务"):
        level1.CleanPass(users("l1-H11"), audit, f["missing"], None).run()
    assert Record.objects.filter(status=S.L1_PASSED).count() == 0


def test_the_bulk_pass_keeps_to_role_and_scope(client, make_record, users):
    audit, f = audited_day(make_record, users)
    with pytest.raises(PermissionDenied):
        level1.pass_clean(users("l1-H12"), audit)
    with pytest.raises(PermissionDenied):
        level1.pass_clean(users("keeper-H11"), audit)
    url = reverse("archive_admin:level1_pass_clean", args=[audit.pk])
    for who in ("l1-H12", "keeper-H11"):
        client.force_login(users(who))
        before = AuditEvent.objects.count()
        response = client.post(url)
        assert response.status_code in (403, 404) or response.get("Location") == "/admin/"
        assert AuditEvent.objects.count() == before
    assert Record.objects.filter(status=S.L1_PASSED).count() == 0


def test_the_bulk_pass_says_in_chinese_what_it_passed_and_left(client, make_record, users):
    audit, f = audited_day(make_record, users)
    client.force_login(users("l1-H11"))
    screen = reverse("archive_admin:level1", args=[audit.hall_id, "2026-10-01"])
    page = client.get(screen).content.decode()
    assert "一键通过与报表一致且无待核对项的资料（2 份）" in page
    page = client.post(reverse("archive_admin:level1_pass_clean", args=[audit.pk]), {"next": screen},
                       follow=True).content.decode()
    passed = re.search(r'id="archive-bulk-passed">(.*?)</span>', page, re.S).group(1)
    assert "已批量通过（2 份）" in page
    assert f["clean1"].transaction_no in passed and f["flagged"].transaction_no not in passed
    assert reverse("record:inspect", args=[f["clean1"].pk]) in passed
    skipped = re.search(r'id="archive-bulk-skipped">(.*?)</span>', page, re.S).group(1)
    assert "未批量通过、留待逐份核对（4 份）" in page
    for name, why in [("flagged", "待核对：客户姓名"), ("differs", "与报表不符：业务类型"), ("missing", "报表无此业务"),
                      ("wrong", "有未整改的差错")]:
        assert re.search(re.escape(f[name].transaction_no)
                         + r"</a>（" + re.escape(why), skipped), name
    assert "已通过 2/6" in page and "差错 1" in page and "未核 3" in page
    # the finished rows are marked; a row left over says why
    assert re.search(rf'id="archive-row-{f["clean1"].pk}" class="archive-row archive-done"', page)
    assert re.search(rf'id="archive-row-{f["wrong"].pk}" class="archive-row archive-error"', page)
    row = re.search(rf'id="archive-row-{f["differs"].pk}".*?</tr>', page, re.S).group(0)
    assert "与报表不符：业务类型" in row and "/mark/" in row
    # nothing left to pass: said so, nothing logged
    before = AuditEvent.objects.count()
    page = client.post(reverse("archive_admin:level1_pass_clean", args=[audit.pk]), {"next": screen},
                       follow=True).content.decode()
    assert "没有资料被通过" in page and AuditEvent.objects.count() == before


def test_a_signed_day_has_no_bulk_pass(client, make_record, users):
    make_day(make_record, "H11", day(2), ["general"])
    to_keeper(users, "H11", day(2))
    audit = level1.existing_audit(Hall.objects.get(code="H11"), day(2))
    with pytest.raises(ChainError, match="已签署"):
        level1.pass_clean(users("l1-H11"), audit)
    client.force_login(users("l1-H11"))
    page = client.get(reverse("archive_admin:level1", args=[audit.hall_id, "2026-10-02"])).content.decode()
    assert "archive-level1-pass-clean" not in page and "/mark/" not in page
    assert "已通过 1/1" in page


# --- level 1: one row marked in the background --------------------------------------------------------------

def _fetch(client, url, data):
    return client.post(url, data, HTTP_X_ARCHIVE_ROW="1")


def test_a_row_is_marked_in_the_background_and_answered_with_the_row(client, make_record, users):
    audit, f = audited_day(make_record, users)
    client.force_login(users("l1-H11"))
    mark = reverse("archive_admin:level1_mark", args=[audit.pk])
    response = _fetch(client, mark, {"record": f["flagged"].pk, "result": "passed"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    answer = json.loads(response.content)
    assert answer["ok"] is True and answer["message"] == f"{f['flagged'].transaction_no} 已通过。"
    assert answer["row"].lstrip().startswith(f'<tr id="archive-row-{f["flagged"].pk}"')
    assert "archive-done" in answer["row"] and "✓" in answer["row"]
    assert "已通过 1/6" in answer["progress"] and 'id="archive-level1-progress"' in answer["progress"]
    assert 'id="archive-errors"' in answer["errors"] and "缺客户签名" in answer["errors"]
    assert Record.objects.get(pk=f["flagged"].pk).status == S.L1_PASSED
    assert _marks().filter(object_id=str(f["flagged"].pk)).count() == 1

    # an error: registered, in the row and in the register
    answer = json.loads(_fetch(client, mark, {"record": f["missing"].pk, "result": "error",
                                              "error_kind": "缺身份证复印件", "note": "无反面"}).content)
    assert answer["ok"] is True and "archive-error" in answer["row"] and "缺身份证复印件" in answer["row"]
    assert "缺身份证复印件" in answer["errors"] and "差错 2" in answer["progress"]

    # a refusal (a description with 通过): nothing saved, the row comes back with what was typed
    before = AuditEvent.objects.count()
    answer = json.loads(_fetch(client, mark, {"record": f["differs"].pk, "result": "passed",
                                              "note": "客户签名不全"}).content)
    assert answer["ok"] is False and "已填写差错类型或说明" in answer["message"]
    assert 'value="客户签名不全"' in answer["row"]
    assert AuditEvent.objects.count() == before and Record.objects.get(pk=f["differs"].pk).status == S.SORTED
    assert not client.session.get(views.DRAFTS)  # nothing kept for a later page: it is in the row already


def test_the_background_mark_keeps_to_scope(client, make_record, users):
    audit, f = audited_day(make_record, users)
    mark = reverse("archive_admin:level1_mark", args=[audit.pk])
    for who in ("l1-H12", "keeper-H11"):
        client.force_login(users(who))
        before = AuditEvent.objects.count()
        response = _fetch(client, mark, {"record": f["clean1"].pk, "result": "passed"})
        assert response.status_code in (403, 404) or response.get("Location") == "/admin/"
        assert not response.get("Content-Type", "").startswith("application/json")
        assert AuditEvent.objects.count() == before
    assert Record.objects.get(pk=f["clean1"].pk).status == S.SORTED


def test_the_progress_counts(make_record, users):
    audit, f = audited_day(make_record, users)
    assert level1.progress(audit) == {"total": 6, "passed": 0, "errors": 1, "todo": 5, "percent": 0}
    level1.pass_clean(users("l1-H11"), audit)
    assert level1.progress(audit) == {"total": 6, "passed": 2, "errors": 1, "todo": 3, "percent": 33}


# --- level 2 -----------------------------------------------------------------------------------------------

def test_the_level2_sample_rows_show_the_result_and_link_to_the_files(client, make_record, users):
    scene = level2_error(make_record, users, kind="证件复印件不清", note="缺反面")
    audit, bad = scene["audit"], scene["bad"]
    client.force_login(scene["auditor"])
    page = client.get(reverse("archive_admin:volume", args=[scene["volume"].pk])).content.decode()
    n = len(audit.sample)
    assert f"已核 {n}/{n}" in page and "差错 1" in page
    # the whole volume below the sample, with its headers
    items = re.search(r'<table class="listing" id="archive-volume-items">.*?</table>', page, re.S).group(0)
    size = scene["volume"].items.count()
    assert f"卷内资料（{size} 份）" in page and "<th>卷内序号</th>" in items and items.count("<tr>") == size + 1
    row = re.search(rf'<tr id="archive-sample-{bad.pk}".*?</tr>', page, re.S).group(0)
    assert "archive-error" in row and "证件复印件不清" in row and "缺反面" in row
    assert reverse("record:inspect", args=[bad.pk]) in row
    good = [pk for pk in audit.sample if pk != bad.pk]
    if good:
        row = re.search(rf'<tr id="archive-sample-{good[0]}".*?</tr>', page, re.S).group(0)
        assert "archive-done" in row and "✓ 通过" in row
    # the next finding: back on the row just recorded (the redirect keeps the anchor)
    response = client.post(reverse("archive_admin:level2_finding", args=[audit.pk]),
                           {"record": bad.pk, "ok": "0", "error_kind": "缺签名",
                            "next": reverse("archive_admin:volume", args=[scene["volume"].pk])
                            + f"#archive-sample-{bad.pk}"})
    assert response["Location"].endswith(f"#archive-sample-{bad.pk}")
    page = client.get(reverse("archive_admin:volume", args=[scene["volume"].pk])).content.decode()
    row = re.search(rf'<tr id="archive-sample-{bad.pk}".*?</tr>', page, re.S).group(0)
    assert "缺签名" in row


def test_level2_progress_before_any_finding(client, make_record, users):
    scene = level2_error(make_record, users, findings=False)
    client.force_login(scene["auditor"])
    page = client.get(reverse("archive_admin:volume", args=[scene["volume"].pk])).content.decode()
    assert f"已核 0/{len(scene['audit'].sample)}" in page and "未核" in page


# --- quarterly process check -------------------------------------------------------------------------------

def _agreements_at_branch(make_record, users, count=12):
    make_day(make_record, "H11", day(2), ["agreement"] * count)
    to_keeper(users, "H11", day(2))
    keeper = users("keeper-H11")
    hall = Hall.objects.get(code="H11")
    Bind(keeper, Record.objects.filter(hall=hall, status=S.AT_HALL)).run()
    CloseMonth(keeper, hall, 2026, 10, today=day(31)).run()
    return Branch.objects.get(code="B1")


def test_the_quarterly_check_defaults_to_the_current_quarter(client, users, org_demo, monkeypatch):
    from django.utils import timezone

    assert [views.current_quarter(datetime.date(2026, m, 15)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        1, 1, 2, 2, 3, 3, 4, 4]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 8, 20))
    client.force_login(users("marketing"))
    page = client.get(reverse("archive_admin:branch")).content.decode()
    form = re.search(r'<form[^>]*action="[^"]*/process-check/".*?</form>', page, re.S).group(0)
    assert re.search(r'name="quarter"[^>]*value="3"', form) and 'name="year" value="2026"' in form


def test_the_quarterly_check_shows_the_agreements_drawn_and_records_each(client, make_record, users):
    branch = _agreements_at_branch(make_record, users)
    client.force_login(users("marketing"))
    response = client.post(reverse("archive_admin:process_check"), {"branch": branch.pk, "year": 2026, "quarter": 4})
    check = MarketingCheck.objects.get(kind="process")
    assert response["Location"] == reverse("archive_admin:process_check_view", args=[check.pk])
    assert len(check.sample) == 2  # 10% of 12, rounded up
    screen = reverse("archive_admin:process_check_view", args=[check.pk])
    page = client.get(screen).content.decode()
    assert "已核 0/2" in page
    first, second = (Record.objects.get(pk=pk) for pk in check.sample)
    for record in (first, second):
        row = re.search(rf'<tr id="archive-sample-{record.pk}".*?</tr>', page, re.S).group(0)
        assert record.transaction_no in row and reverse("record:inspect", args=[record.pk]) in row
        assert record.volume_item.volume.number in row and "未核" in row
    buttons = re.findall(r"<button[^>]*>", re.search(r'<form[^>]*/finding/".*?</form>', page, re.S).group(0))
    assert 'value="0"' in buttons[0] and 'value="1"' in buttons[-1]  # Enter never passes (trap 1)

    finding = reverse("archive_admin:process_finding", args=[check.pk])
    before = AuditEvent.objects.filter(action=events.MARKETING_PROCESS_FINDING).count()
    client.post(finding, {"record": first.pk, "ok": "1", "next": screen})
    client.post(finding, {"record": second.pk, "ok": "0", "error_kind": "协议未盖章", "note": "缺公章", "next": screen})
    check.refresh_from_db()
    assert check.findings[str(first.pk)]["ok"] is True
    assert (check.findings[str(second.pk)]["kind"], check.findings[str(second.pk)]["note"]) == ("协议未盖章", "缺公章")
    entry = ErrorEntry.objects.get(record=second)
    assert (entry.level, entry.kind, entry.found_by.username) == ("marketing", "协议未盖章", "marketing")
    assert AuditEvent.objects.filter(action=events.MARKETING_PROCESS_FINDING).count() == before + 2
    page = client.get(screen).content.decode()
    assert "已核 2/2" in page and "差错 1" in page
    assert "✗ 差错：协议未盖章（缺公章）" in page and "✓ 通过" in page
    # a pass with an error written is refused, the text kept; a file outside the sample is refused
    page = client.post(finding, {"record": first.pk, "ok": "1", "error_kind": "缺页", "next": screen},
                       follow=True).content.decode()
    assert "已填写差错类型或说明" in page and 'value="缺页"' in page
    outside = Record.objects.exclude(pk__in=check.sample).filter(category="agreement").first()
    with pytest.raises(ChainError, match="不在本次检查的抽样中"):
        monthly.ProcessFinding(users("marketing"), check, outside, True).run()
    with pytest.raises(PermissionDenied):
        monthly.ProcessFinding(users("auditor-B1"), check, first, True).run()
    page = client.get(reverse("archive_admin:branch")).content.decode()
    listing = re.search(r'id="archive-process-checks".*?</table>', page, re.S).group(0)
    assert "2026 年第 4 季度" in listing and "已核 2/2" in listing and screen in listing


# --- marketing check -----------------------------------------------------------------------------------------

def test_the_marketing_check_says_the_differences_in_words_with_links(client, make_record, users):
    files = make_day(make_record, "H11", day(2), ["general", "general", "agreement"])
    extra = "T-NO-PAPER-1,2026-10-03 11:00:00,H11,H11CLERK01,普通开户,13800009999,李四,居民身份证,"
    reconcile.import_report(users("admin"), report_csv(files, [extra]), "boss-2026-10.csv")
    to_keeper(users, "H11", day(2))
    keeper, auditor, marketing = users("keeper-H11"), users("auditor-B1"), users("marketing")
    hall = Hall.objects.get(code="H11")
    Bind(keeper, Record.objects.filter(hall=hall, status=S.AT_HALL)).run()
    CloseMonth(keeper, hall, 2026, 10, today=day(31)).run()
    volumes = list(Volume.objects.filter(hall=hall))
    handover.Receive(auditor, PASSWORD, handover.GiveHallBranch(keeper, PASSWORD, volumes).run()).run()
    level2_passed(auditor, volumes)
    form = handover.GiveBranchMarketing(auditor, PASSWORD, Branch.objects.get(code="B1"), 2026, 10).run()
    handover.Receive(marketing, PASSWORD, form).run()
    Record.objects.filter(pk=files[0].pk).update(business_type="过户")  # now differs from the detail
    form.figures = {**form.figures, "by_hall": {"H11": {**form.figures["by_hall"]["H11"], "general": 3}}}
    form.save(update_fields=["figures"])
    check = monthly.MonthlyCheck(marketing, form).run()
    assert {d["kind"] for d in check.differences} == {"paper_missing", "detail_mismatch", "figure_mismatch"}
    mismatch = next(d for d in check.differences if d["kind"] == "detail_mismatch")
    assert mismatch["fields"] == [{"field": "业务类型", "paper": "过户", "detail": "普通开户"}]

    client.force_login(marketing)
    page = client.get(reverse("archive_admin:form", args=[form.pk])).content.decode()
    section = re.search(r'id="archive-marketing-checks".*?</section>', page, re.S).group(0)
    assert "paper_missing" not in section and "detail_mismatch" not in section and "figure_mismatch" not in section
    assert "共 3 处差异" in section
    assert "缺纸质资料：受理编号 T-NO-PAPER-1（营业厅 H11）在电子明细中有，但移交的资料册中没有。" in section
    assert (f"纸质资料 {files[0].transaction_no}（营业厅 H11）与电子明细不符：业务类型：纸质为 过户，电子明细为 普通开户"
            in section)
    general = Volume.objects.get(hall=hall, category="general")
    assert "营业厅 H11 的综合类资料：交接表填写 3 份，资料册实有 2 份。" in section
    items = re.findall(r"<li>.*?</li>", section, re.S)
    differs = next(i for i in items if "与电子明细不符" in i)
    assert reverse("record:inspect", args=[files[0].pk]) in differs
    assert reverse("archive_admin:volume", args=[general.pk]) in differs
    figures = next(i for i in items if "交接表填写" in i)
    assert reverse("archive_admin:volume", args=[general.pk]) in figures
