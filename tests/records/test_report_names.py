"""Names from the billing report (issue 15, "Cross-checks"): a flagged name takes the report's name as a
suggestion only on two strong keys, shown as coming from the report, and a person confirms it."""
import pytest
from django.urls import reverse

from org.models import AuditEvent
from records import events, reconcile
from records.models import Record
from records.suggest import suggest_names

ID = "510302199001011234"
OTHER_ID = "11010519491231002X"
PHONE = "13800001234"
FLAGGED = {"value": "ATC", "confidence": 0.31, "problem": "客户姓名识别置信度低"}


def row(no, phone=PHONE, id_number=ID, name="张三", hall="H11", clerk_no="H11CLERK01"):
    return ",".join([no, "2026-11-02 10:31:00", hall, clerk_no, "普通开户", phone, name, "居民身份证", id_number])


def import_rows(users, *rows, name="boss.csv"):
    data = ("\n".join([",".join(reconcile.HEADER), *rows]) + "\n").encode("utf-8")
    return reconcile.import_report(users("archivist"), data, name)


@pytest.fixture
def flagged(make_record):
    """A file whose name was read as "ATC" and flagged; its column is empty (never filled from a flagged read)."""
    return make_record("H11", transaction_no="SC2026110200001", customer_name="", service_number=PHONE,
                       id_number=ID, status=Record.Status.OCR_DONE, fields={"customer_name": dict(FLAGGED)})


def suggestion(record):
    record.refresh_from_db()
    return record.fields["customer_name"].get("suggested")


@pytest.mark.parametrize("phone, id_number", [(PHONE, OTHER_ID), ("13999999999", ID), (PHONE, ID)])
def test_two_strong_keys_give_a_suggestion(users, flagged, phone, id_number):
    report = import_rows(users, row(flagged.transaction_no, phone=phone, id_number=id_number))
    found = suggestion(flagged)
    assert found["value"] == "张三" and found["source"] == "report" and found["report"] == report.pk
    flagged.refresh_from_db()
    assert flagged.customer_name == ""  # never copied into the column
    assert flagged.fields["customer_name"]["problem"] == FLAGGED["problem"]  # still flagged
    assert flagged.fields["customer_name"]["value"] == "ATC"
    event = AuditEvent.objects.get(action=events.RECORD_NAME_SUGGESTED)
    assert event.object_id == str(flagged.pk) and event.details["suggested"] == "张*"
    assert "张三" not in str(event.details) and event.actor_name == "archivist"


def test_the_transaction_number_alone_is_not_enough(users, flagged):
    import_rows(users, row(flagged.transaction_no, phone="13999999999", id_number=OTHER_ID))
    assert suggestion(flagged) is None
    assert not AuditEvent.objects.filter(action=events.RECORD_NAME_SUGGESTED).exists()


def test_phone_and_id_without_the_transaction_number_are_not_enough(users, flagged):
    import_rows(users, row("SC2026110299999"))
    assert suggestion(flagged) is None


def test_a_name_that_is_not_flagged_gets_no_suggestion(users, make_record):
    read_well = make_record("H11", transaction_no="SC2026110200002", customer_name="李四",
                            fields={"customer_name": {"value": "李四", "confidence": 0.97, "problem": None}})
    not_read = make_record("H11", transaction_no="SC2026110200003", customer_name="李四", fields={})
    corrected = make_record("H11", transaction_no="SC2026110200004", customer_name="李四", fields={
        "customer_name": {**FLAGGED, "corrected_by": "l1-H11"}})
    import_rows(users, *(row(r.transaction_no) for r in (read_well, not_read, corrected)))
    for record in (read_well, not_read, corrected):
        record.refresh_from_db()
        assert "suggested" not in (record.fields.get("customer_name") or {})
        assert record.customer_name == "李四"


def test_a_row_of_another_hall_or_disagreeing_rows_give_none(users, flagged, make_record):
    import_rows(users, row(flagged.transaction_no, hall="H12", clerk_no="H12CLERK02"))
    assert suggestion(flagged) is None
    other = make_record("H11", transaction_no="SC2026110200005", customer_name="", fields={
        "customer_name": dict(FLAGGED)})
    import_rows(users, row(other.transaction_no, name="王五"), name="a.csv")
    assert suggestion(other)["value"] == "王五"
    import_rows(users, row(other.transaction_no, name="王六"), name="b.csv")  # the reports disagree
    assert suggest_names(Record.objects.filter(pk=other.pk)) == 0


def test_after_the_ocr_of_one_record(users, flagged):
    """The report came first; the OCR of the file ends later and asks for a suggestion for it alone."""
    record = Record.objects.get(pk=flagged.pk)
    fields = dict(record.fields)
    record.fields = {}
    record.save()
    import_rows(users, row(flagged.transaction_no))
    record.fields = fields
    record.save()
    assert suggest_names([record]) == 1
    assert suggestion(record)["value"] == "张三"
    assert suggest_names([record]) == 0  # the same suggestion is not given twice
    assert suggest_names(Record.objects.filter(pk=record.pk)) == 0
    event = AuditEvent.objects.get(action=events.RECORD_NAME_SUGGESTED)
    assert event.actor_name == "worker"


# --- on the record's page --------------------------------------------------------------------------

@pytest.fixture
def suggested(users, flagged):
    import_rows(users, row(flagged.transaction_no))
    flagged.refresh_from_db()
    return flagged


def page(client, record):
    return client.get(reverse("record:inspect", args=[record.pk])).content.decode()


def test_the_page_shows_the_name_as_from_the_report(login, suggested):
    html = page(login("l1-H11"), suggested)
    assert "来自报表：张三" in html and "确认采用" in html
    assert reverse("records_admin:confirm_name", args=[suggested.pk]) in html
    html = page(login("keeper-H11"), suggested)  # sees the file, may not correct it
    assert "来自报表：张三" in html and "确认采用" not in html
    assert login("clerk-H12").get(reverse("record:inspect", args=[suggested.pk])).status_code == 404


def confirm(client, record, value="张三"):
    return client.post(reverse("records_admin:confirm_name", args=[record.pk]), {"value": value}, follow=True)


@pytest.mark.parametrize("username", ["keeper-H11", "auditor-B1", "marketing"])
def test_confirming_needs_record_correct(login, suggested, username):
    response = confirm(login(username), suggested)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    suggested.refresh_from_db()
    assert suggested.customer_name == "" and suggested.fields["customer_name"]["problem"]
    assert not AuditEvent.objects.filter(action=events.RECORD_CONFIRM_REPORT_NAME).exists()


def test_confirming_outside_the_scope_is_404(login, suggested):
    assert login("clerk-H12").post(reverse("records_admin:confirm_name", args=[suggested.pk])).status_code == 404
    assert login("l1-H11").get(reverse("records_admin:confirm_name", args=[suggested.pk])).status_code == 405


def test_confirming_sets_the_column_and_logs_it_masked(login, suggested):
    response = confirm(login("l1-H11"), suggested)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    suggested.refresh_from_db()
    assert suggested.customer_name == "张三"
    entry = suggested.fields["customer_name"]
    assert entry["problem"] is None and entry["value"] == "张三"
    assert entry["corrected_by"] == "l1-H11" and entry["source"] == "report" and "suggested" not in entry
    event = AuditEvent.objects.get(action=events.RECORD_CONFIRM_REPORT_NAME)
    assert event.actor_name == "l1-H11" and event.object_id == str(suggested.pk)
    assert event.details["new"] == "张*" and event.details["source"] == "report" and "张三" not in str(event.details)
    html = response.content.decode()
    assert "来自报表：张三" not in html and "确认采用" not in html
    again = confirm(login("l1-H11"), suggested)  # nothing left to confirm
    assert [m.level_tag for m in again.context["messages"]] == ["error"]


def test_a_changed_suggestion_is_not_confirmed_blindly(login, suggested):
    response = confirm(login("l1-H11"), suggested, value="李四")
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    suggested.refresh_from_db()
    assert suggested.customer_name == ""
