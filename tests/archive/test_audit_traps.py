"""Issue 16, traps 1 and 3, the server's side.

Trap 1: a file is never passed while an error is written beside it: the steps refuse a pass with an error
kind, the screens also a pass with a description, the typed text comes back in the row, and on both audit
screens the first submit button of a mark form (what Enter in a text field presses) is 差错, never 通过.

Trap 3: a level-2 error is open until corrected: the hall keeper lists it (差错整改), corrects it from
there or from the record page (one transaction, one event-log row), the dashboard counts it, and the
search document's 有差错 follows it through the outbox."""
import re

import pytest
from django.urls import reverse

from archive import dashboard, errors, events, handover, level1, level2
from archive.base import ChainError
from archive.binding import Bind, CloseMonth, FixReturned
from archive.models import AuditMark, ErrorEntry, Level1Audit, Volume
from org.auditlog_models import AuditEvent
from org.models import Hall
from records.models import Record
from search import outbox
from search.documents import record_documents
from search.models import OutboxEntry
from tests.archive_helpers import PASSWORD, day, make_day, to_keeper

S = Record.Status


def _level1_day(make_record, users):
    files = make_day(make_record, "H11", day(1), ["general", "general"])
    hall = Hall.objects.get(code="H11")
    from archive import dailyclose

    dailyclose.DailyClose(users("clerk-H11"), hall, day(1)).run()
    audit = level1.open_audit(users("l1-H11"), hall, day(1))
    return audit, [Record.objects.get(pk=r.pk) for r in files]


def level2_error(make_record, users, kind="证件复印件不清", note="缺反面", findings=True):
    """H11's agreement volume at branch B1 with its level-2 sample drawn and, with `findings`, one sampled
    file found in error (not yet signed)."""
    make_day(make_record, "H11", day(2), ["agreement", "agreement"])
    to_keeper(users, "H11", day(2))
    keeper, auditor = users("keeper-H11"), users("auditor-B1")
    hall = Hall.objects.get(code="H11")
    Bind(keeper, Record.objects.filter(hall=hall, status=S.AT_HALL)).run()
    CloseMonth(keeper, hall, 2026, 10, today=day(31)).run()
    volume = Volume.objects.get(hall=hall)
    handover.Receive(auditor, PASSWORD, handover.GiveHallBranch(keeper, PASSWORD, [volume]).run()).run()
    audit = level2.Start(auditor, volume).run()
    bad = Record.objects.get(pk=audit.sample[0])
    for pk in audit.sample if findings else ():
        record = Record.objects.get(pk=pk)
        level2.Finding(auditor, audit, record, ok=record != bad, error_kind=kind if record == bad else "",
                       note=note if record == bad else "").run()
    return {"volume": volume, "audit": audit, "bad": bad, "keeper": keeper, "auditor": auditor}


def _mark_forms(html, action_part):
    return re.findall(r'<form[^>]*action="[^"]*' + action_part + r'"[^>]*>(.*?)</form>', html, re.S)


# --- trap 1 --------------------------------------------------------------------------------------------

def test_a_pass_with_an_error_kind_is_refused_by_both_audit_steps(make_record, users):
    audit, (first, _second) = _level1_day(make_record, users)
    with pytest.raises(ChainError, match="差错"):
        level1.Mark(users("l1-H11"), audit, first, passed=True, error_kind="缺客户签名").run()
    assert Record.objects.get(pk=first.pk).status == S.SORTED
    assert not AuditMark.objects.exists() and not ErrorEntry.objects.exists()
    # a pass with a plain note (e.g. 齐全) stays possible for the steps; the screens refuse it (below)
    level1.Mark(users("l1-H11"), audit, first, passed=True, note="齐全").run()
    assert Record.objects.get(pk=first.pk).status == S.L1_PASSED

    scene = level2_error(make_record, users)
    audit2, auditor = scene["audit"], scene["auditor"]
    with pytest.raises(ChainError, match="差错"):
        level2.Finding(auditor, audit2, scene["bad"], ok=True, error_kind="缺签名").run()
    assert audit2.__class__.objects.get(pk=audit2.pk).findings[str(scene["bad"].pk)]["ok"] is False


def test_the_level1_screen_refuses_a_pass_with_an_error_written_and_keeps_the_text(client, make_record, users):
    audit, (first, _second) = _level1_day(make_record, users)
    client.force_login(users("l1-H11"))
    screen = reverse("archive_admin:level1", args=[audit.hall_id, "2026-10-01"])
    mark = reverse("archive_admin:level1_mark", args=[audit.pk])
    before = AuditEvent.objects.count()
    response = client.post(mark, {"record": first.pk, "result": "passed", "error_kind": "",
                                  "note": "受理单无客户签名", "next": screen}, follow=True)
    page = response.content.decode()
    assert "已填写差错类型或说明" in page
    assert Record.objects.get(pk=first.pk).status == S.SORTED and not AuditMark.objects.exists()
    assert AuditEvent.objects.count() == before
    assert 'value="受理单无客户签名"' in page  # nothing typed is lost
    assert 'value="受理单无客户签名"' not in client.get(screen).content.decode()  # shown once

    # 差错 without a kind: refused, the description kept; with a kind: registered
    page = client.post(mark, {"record": first.pk, "result": "error", "note": "受理单无客户签名", "next": screen},
                       follow=True).content.decode()
    assert 'value="受理单无客户签名"' in page and not ErrorEntry.objects.exists()
    client.post(mark, {"record": first.pk, "result": "error", "error_kind": "缺客户签名", "note": "受理单无客户签名"})
    entry = ErrorEntry.objects.get()
    assert (entry.kind, entry.description, entry.level) == ("缺客户签名", "受理单无客户签名", "l1")
    assert Record.objects.get(pk=first.pk).status == S.L1_ERROR
    # a POST without the 通过 button's own value never passes a file
    client.post(mark, {"record": first.pk, "error_kind": "", "note": ""})
    assert Record.objects.get(pk=first.pk).status == S.L1_ERROR


def test_the_first_submit_button_of_every_mark_form_is_the_error(client, make_record, users):
    audit, _files = _level1_day(make_record, users)
    client.force_login(users("l1-H11"))
    html = client.get(reverse("archive_admin:level1", args=[audit.hall_id, "2026-10-01"])).content.decode()
    forms = _mark_forms(html, "/mark/")
    assert len(forms) == 2
    for form in forms:
        buttons = re.findall(r"<button[^>]*>", form)
        assert 'value="error"' in buttons[0] and 'value="passed"' in buttons[-1]
        assert form.index('name="error_kind"') < form.index("<button") and 'name="note"' in form

    scene = level2_error(make_record, users)
    client.force_login(scene["auditor"])
    html = client.get(reverse("archive_admin:volume", args=[scene["volume"].pk])).content.decode()
    forms = _mark_forms(html, "/finding/")
    assert forms
    for form in forms:
        buttons = re.findall(r"<button[^>]*>", form)
        assert 'value="0"' in buttons[0] and 'value="1"' in buttons[-1]


def test_the_level2_screen_refuses_a_pass_with_an_error_written(client, make_record, users):
    scene = level2_error(make_record, users)
    audit = scene["audit"]
    client.force_login(scene["auditor"])
    screen = reverse("archive_admin:volume", args=[scene["volume"].pk])
    finding = reverse("archive_admin:level2_finding", args=[audit.pk])
    page = client.post(finding, {"record": scene["bad"].pk, "ok": "1", "error_kind": "缺签名", "next": screen},
                       follow=True).content.decode()
    assert "已填写差错类型或说明" in page and 'value="缺签名"' in page
    assert audit.__class__.objects.get(pk=audit.pk).findings[str(scene["bad"].pk)]["ok"] is False
    assert ErrorEntry.objects.filter(level="l2").count() == 1


# --- trap 3 --------------------------------------------------------------------------------------------

def test_a_level2_error_is_open_until_the_keeper_corrects_it(client, make_record, users):
    scene = level2_error(make_record, users)
    keeper, auditor, bad, volume = scene["keeper"], scene["auditor"], scene["bad"], scene["volume"]
    level2.Finish(auditor, scene["audit"], PASSWORD, reason="证件复印件不清").run()
    assert Volume.objects.get(pk=volume.pk).status == Volume.Status.RETURNED
    entry = ErrorEntry.objects.get(level="l2")
    assert OutboxEntry.objects.filter(doctype="record", object_id=str(bad.pk)).exists()  # fed on register

    # counted on the dashboard of the hall and its branch, not elsewhere
    assert dashboard.open_errors(keeper)["total"] == 1
    assert dashboard.open_errors(auditor)["total"] == 1
    assert dashboard.open_errors(users("keeper-H12"))["total"] == 0
    # the search document says 有差错
    assert next(record_documents([bad.pk]))["has_errors"] is True

    client.force_login(keeper)
    page = client.get(reverse("archive_admin:dashboard")).content.decode()
    assert re.search(r'id="archive-open-errors".*?archive-count">1<', page, re.S)
    assert reverse("archive_admin:errors") in page
    listing = client.get(reverse("archive_admin:errors")).content.decode()
    assert bad.transaction_no in listing and "证件复印件不清" in listing and volume.number in listing
    assert reverse("archive_admin:error_correct", args=[entry.pk]) in listing
    # the volume cannot be marked fixed before its error is corrected
    with pytest.raises(ChainError):
        FixReturned(keeper, volume, "补齐证件复印件").run()

    OutboxEntry.objects.all().delete()
    before_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = client.post(reverse("archive_admin:error_correct", args=[entry.pk]),
                           {"next": reverse("archive_admin:errors")}, follow=True)
    assert "没有未整改的差错" in response.content.decode()
    entry.refresh_from_db()
    assert entry.corrected_by == keeper and entry.corrected_at is not None
    assert list(AuditEvent.objects.filter(pk__gt=before_id).values_list("action", flat=True)) == [
        events.ERROR_CORRECT]
    assert OutboxEntry.objects.filter(doctype="record", object_id=str(bad.pk)).exists()  # fed on correct
    outbox.flush()
    assert dashboard.open_errors(keeper)["total"] == 0
    assert next(record_documents([bad.pk]))["has_errors"] is False
    FixReturned(keeper, volume, "补齐证件复印件").run()
    assert Volume.objects.get(pk=volume.pk).status == Volume.Status.BOUND


def test_the_errors_screen_and_the_record_page_stay_in_scope(client, make_record, users):
    scene = level2_error(make_record, users)
    bad = scene["bad"]
    entry = ErrorEntry.objects.get(level="l2")
    # another hall's keeper: neither the list entry nor the correction
    client.force_login(users("keeper-H12"))
    assert bad.transaction_no not in client.get(reverse("archive_admin:errors")).content.decode()
    assert client.post(reverse("archive_admin:error_correct", args=[entry.pk])).status_code == 404
    # the branch auditor reads the error on the record page but has no 已整改 button, and no list
    client.force_login(users("auditor-B1"))
    page = client.get(reverse("record:inspect", args=[bad.pk])).content.decode()
    assert "archive-record-errors" in page and "证件复印件不清" in page
    assert reverse("archive_admin:error_correct", args=[entry.pk]) not in page
    refused = client.get(reverse("archive_admin:errors"))  # Wagtail's permission-denied: back to /admin/
    assert refused.status_code == 403 or (refused.status_code == 302 and refused.url == "/admin/")
    # the keeper corrects it from the record page, and comes back to it
    client.force_login(users("keeper-H11"))
    record_url = reverse("record:inspect", args=[bad.pk])
    page = client.get(record_url).content.decode()
    assert reverse("archive_admin:error_correct", args=[entry.pk]) in page
    response = client.post(reverse("archive_admin:error_correct", args=[entry.pk]), {"next": record_url})
    assert response.status_code == 302 and response.url == record_url
    assert ErrorEntry.objects.get(pk=entry.pk).corrected_at is not None
    assert errors.open_entries().count() == 0
    # a second correction is refused with its reason
    page = client.post(reverse("archive_admin:error_correct", args=[entry.pk]), {"next": record_url},
                       follow=True).content.decode()
    assert "该差错已于" in page and ErrorEntry.objects.filter(corrected_by=users("keeper-H11")).count() == 1
    # a file without errors shows no such section
    other = Record.objects.exclude(pk=bad.pk).filter(hall__code="H11").first()
    assert "archive-record-errors" not in client.get(reverse("record:inspect", args=[other.pk])).content.decode()


def test_level1_errors_are_listed_and_counted_too(make_record, users):
    audit, (first, _second) = _level1_day(make_record, users)
    level1.Mark(users("l1-H11"), audit, first, passed=False, error_kind="缺客户签名").run()
    counted = dashboard.open_errors(users("keeper-H11"))
    assert counted["total"] == 1 and [n for _label, n in counted["levels"]] == [1]
    assert next(record_documents([first.pk]))["has_errors"] is True
    assert Level1Audit.objects.count() == 1
