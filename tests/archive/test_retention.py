"""Retention schedules, due dates, service events and holds (archive/retention.py, holds.py,
service_events.py); the destruction itself is in test_retention_destruction.py."""
import datetime
import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from archive import holds, retention, service_events
from archive.base import ChainError
from archive.models import Hold, RetentionRule, ServiceEvent, ServiceEventImport
from org import auditlog
from org.models import AuditEvent
from records.reconcile import ReportError
from tests.retention_support import auditor, events_csv, import_rows, old_record, volume_of

pytestmark = pytest.mark.django_db
D = datetime.date


def _due(on, *extra):
    out = StringIO()
    call_command("retention", "due", "--on", on, "--json", *extra, stdout=out)
    return {row["record"]: row for row in json.loads(out.getvalue())}


def test_due_date_to_the_day(make_record, users):
    record = old_record(make_record)
    import_rows(users("archivist"), ("13900000001", "510302198001011111", "销户", "2024-03-15"))
    assert record.pk not in _due("2026-03-14")
    row = _due("2026-03-15")[record.pk]
    assert row["eligible_on"] == "2026-03-15" and row["service_end"] == "2024-03-15"


def test_29_february_ends_on_1_march_and_a_file_without_an_end_event_is_never_due(make_record, users):
    leap = old_record(make_record, "13900000002", business_date=D(2023, 1, 1))
    never = old_record(make_record, "13900000003", business_date=D(2000, 1, 1))
    import_rows(users("archivist"), ("13900000002", "", "销户", "2024-02-29"))
    assert retention.add_years(D(2024, 2, 29), 2) == D(2026, 3, 1)
    assert retention.add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert leap.pk not in _due("2026-02-28") and _due("2026-03-01")[leap.pk]["eligible_on"] == "2026-03-01"
    assert never.pk not in _due("2026-11-30")


def test_a_transfer_ends_only_the_previous_holders_service(make_record, users):
    old = old_record(make_record, "13900000004", "510302198001014444", business_date=D(2022, 1, 5))
    new = old_record(make_record, "13900000004", "510302199505055555", business_date=D(2024, 6, 2))
    import_rows(users("archivist"), ("13900000004", "510302198001014444", "过户", "2024-06-01"))
    due = _due("2026-06-01")
    assert due[old.pk]["eligible_on"] == "2026-06-01" and new.pk not in due


def test_schedule_versions_defaults_legal_minimum_and_log(make_record, users):
    archivist = users("archivist")
    assert retention.rules()["general"].years == 2 and retention.rules()["general"].version == 0
    with pytest.raises(ChainError, match="legal minimum|法定"):
        retention.change_rule(archivist, "general", "service_end", 1, "内部规定")
    with pytest.raises(PermissionDenied):
        retention.change_rule(users("auditor-B1"), "general", "service_end", 3, "内部规定")
    retention.change_rule(archivist, "general", "service_end", 3, "《客户资料管理规范》")
    retention.change_rule(archivist, "general", "year_end", 5, "《客户资料管理规范》第二版")
    assert list(RetentionRule.objects.filter(category="general").values_list("version", "years")) == [(2, 5), (1, 3)]
    assert retention.rules()["general"].version == 2
    assert AuditEvent.objects.filter(action=retention.EVENT_RULE_CHANGED).count() == 2
    # year-end: from the end of the business date's year, never before service end + 2 years
    record = old_record(make_record, "13900000006", business_date=D(2018, 7, 1))
    import_rows(users("archivist"), ("13900000006", "", "销户", "2023-08-01"))
    assert _due("2026-11-30")[record.pk]["eligible_on"] == "2025-08-01"  # 2024-01-01 by the year end: the law wins
    retention.change_rule(archivist, "general", "year_end", 10, "《客户资料管理规范》第三版")
    assert record.pk not in _due("2026-11-30")  # 2029-01-01


def test_agreements_keep_to_the_later_of_agreement_end_and_service_end(make_record, users):
    record = old_record(make_record, "13900000007", category="agreement",
                        fields={"agreement_end": {"value": "2026-09-30"}})
    import_rows(users("archivist"), ("13900000007", "", "销户", "2024-01-10"))
    assert _due("2026-11-30")[record.pk]["eligible_on"] == "2026-09-30"


def test_import_utf8_and_gb18030_and_bad_rows_refused_whole(tmp_path, users):
    path = tmp_path / "events.csv"
    path.write_bytes(events_csv(("13900000008", "510302198001018888", "过户", "2024/05/06"), encoding="gb18030"))
    out = StringIO()
    call_command("import_service_events", str(path), "--as", "archivist", stdout=out)
    assert ServiceEvent.objects.get(service_number="13900000008").id_number == "510302198001018888"
    assert "1 条" in out.getvalue()
    path.write_bytes(events_csv(("13900000009", "", "销户", "2024-05-06"),
                                ("1.39E+10", "", "销户", "2024-05-06"), ("13900000010", "", "停机", "2024-05-06"),
                                ("13900000011", "", "过户", "2024-13-01")))
    with pytest.raises(CommandError) as refused:
        call_command("import_service_events", str(path), "--as", "archivist")
    text = str(refused.value)
    assert "第 3 行" in text and "第 4 行" in text and "第 5 行" in text and "过户须填" in text and "第 2 行" not in text
    assert not ServiceEvent.objects.filter(service_number="13900000009").exists()
    assert ServiceEventImport.objects.count() == 1
    with pytest.raises(ReportError, match="表头不符"):
        service_events.parse("号码,日期\n1,2\n".encode())
    with pytest.raises(CommandError, match="无权|may not"):
        call_command("import_service_events", str(tmp_path / "events.csv"), "--as", "auditor-B1")


def test_holds_of_every_kind_released_and_not(make_record, users):
    archivist = users("archivist")
    a = old_record(make_record, "13900000021", "510302198001012121")
    b = old_record(make_record, "13900000022", "510302198001012222")
    c = old_record(make_record, "13900000023", "510302198001012323")
    d = old_record(make_record, "13900000024", "510302198001012121")  # the same customer as a
    volume = volume_of([b, c])
    import_rows(archivist, *[(n, "", "销户", "2024-01-02") for n in ("13900000021", "13900000022", "13900000023",
                                                                      "13900000024")])
    assert set(_due("2026-11-30")) >= {a.pk, b.pk, c.pk, d.pk}

    out = StringIO()
    call_command("retention", "hold", "add", "--record", str(a.pk), "--reason", "客户投诉未结", "--as", "archivist",
                 stdout=out)
    on_file = Hold.objects.get(pk=int(out.getvalue()))
    call_command("retention", "hold", "add", "--volume", volume.number, "--reason", "审计调阅", "--as", "archivist",
                 stdout=StringIO())
    out = StringIO()
    call_command("retention", "hold", "add", "--customer-id", "510302198001012121", "--reason", "诉讼",
                 "--as", "archivist", stdout=out)
    customer = Hold.objects.get(pk=int(out.getvalue()))
    assert customer.kind == Hold.Kind.CUSTOMER and customer.id_number_hash == a.id_number_hash
    due = _due("2026-11-30")
    assert not {a.pk, b.pk, c.pk, d.pk} & set(due)
    assert holds.held_ids([a.pk, b.pk, c.pk, d.pk]) == {a.pk, b.pk, c.pk, d.pk}
    assert holds.holds_on(a).count() == 2  # several holds on one file

    with pytest.raises(CommandError, match="reason|原因|required"):
        call_command("retention", "hold", "release", str(on_file.pk), "--reason", " ", "--as", "archivist")
    call_command("retention", "hold", "release", str(on_file.pk), "--reason", "投诉已结案", "--as", "archivist")
    assert a.pk not in _due("2026-11-30")  # still held by the customer's hold
    call_command("retention", "hold", "release", str(customer.pk), "--reason", "诉讼已撤回", "--as", "archivist")
    due = _due("2026-11-30")
    assert {a.pk, d.pk} <= set(due) and not {b.pk, c.pk} & set(due)  # the volume's hold stays
    with pytest.raises(CommandError, match="already|已"):
        call_command("retention", "hold", "release", str(customer.pk), "--reason", "再次", "--as", "archivist")
    with pytest.raises(CommandError):
        call_command("retention", "hold", "add", "--record", str(a.pk), "--reason", "x", "--as", "auditor-B1")
    assert AuditEvent.objects.filter(action=holds.EVENT_PLACED).count() == 3
    assert AuditEvent.objects.filter(action=holds.EVENT_RELEASED).count() == 2
    assert auditlog.verify() == AuditEvent.objects.count()


def test_due_by_hall_and_scope(make_record, users):
    h11 = old_record(make_record, "13900000031")
    h32 = old_record(make_record, "13900000032", hall="H32")
    import_rows(users("archivist"), ("13900000031", "", "销户", "2024-01-02"), ("13900000032", "", "销户", "2024-01-02"))
    assert set(_due("2026-11-30", "--hall", "H11")) == {h11.pk}
    auditor("auditor-role-B1", "branch", "B1")
    assert set(_due("2026-11-30", "--as", "auditor-role-B1")) == {h11.pk}  # an auditor of branch B1: its halls
    assert {h11.pk, h32.pk} <= set(_due("2026-11-30"))


def test_screens_upload_hold_and_schedule(make_record, users, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    record = old_record(make_record, "13900000041")
    client.force_login(users("archivist"))
    bad = SimpleUploadedFile("e.csv", events_csv(("13900000041", "", "销户", "2024-01-02"), ("x", "", "销户", "昨天")))
    response = client.post("/admin/archive/retention/service-events/", {"file": bad}, follow=True)
    assert "第 3 行" in response.content.decode() and not ServiceEvent.objects.exists()
    good = SimpleUploadedFile("e.csv", events_csv(("13900000041", "", "销户", "2024-01-02"), encoding="gb18030"))
    client.post("/admin/archive/retention/service-events/", {"file": good})
    assert ServiceEvent.objects.count() == 1
    client.post("/admin/archive/retention/holds/add/", {"record": record.pk, "reason": "投诉"})
    hold = Hold.objects.get(record=record)
    page = client.get("/admin/archive/retention/?on=2026-11-30").content.decode()
    assert "投诉" in page and record.transaction_no not in page.split("retention-holds")[0]
    client.post(f"/admin/archive/retention/holds/{hold.pk}/release/", {"reason": "结案"})
    assert record.transaction_no in client.get("/admin/archive/retention/?on=2026-11-30").content.decode()
    response = client.post("/admin/archive/retention/schedule/", {"category": "general", "trigger": "service_end",
                                                                  "years": "1", "authority": "x"}, follow=True)
    assert not RetentionRule.objects.exists() and response.status_code == 200
    watcher = auditor()
    client.force_login(watcher)
    assert client.get("/admin/archive/retention/").status_code == 200
    refused = client.post("/admin/archive/retention/holds/add/", {"record": record.pk, "reason": "x"})
    assert refused.status_code in (302, 403) and refused.get("Location", "/admin/") == "/admin/"
    assert Hold.objects.count() == 1
