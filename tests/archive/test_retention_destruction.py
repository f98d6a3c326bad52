"""The destruction list from drawing to the witnesses (archive/destruction.py), on the configured storage
(test_retention_s3.py runs the act against the S3 server)."""
import datetime
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from archive import destruction, holds
from archive.base import ChainError
from archive.models import DestructionItem, DestructionList, PermanentRecord, Signature
from archive.signatures import signatures_of
from org import auditlog
from org.models import AuditEvent
from records.models import OperatorReport, Page, Record, ReportRow, Scan
from records.storage import customer_files
from search import outbox
from search.models import SearchDoc
from tests.retention_support import PASSWORD, auditor, import_rows, old_record, pdf_text, volume_of, with_objects

pytestmark = pytest.mark.django_db
ON = datetime.date(2026, 11, 30)
L, D = DestructionList.Status, DestructionItem.Decision


def _due_files(make_record, users, count=2, volume=True):
    records = [old_record(make_record, f"1390000{n:04d}", f"51030219800101{n:04d}") for n in range(count)]
    import_rows(users("archivist"), *[(r.service_number, "", "销户", "2024-01-02") for r in records])
    if volume:
        volume_of(records)
    return [Record.objects.get(pk=r.pk) for r in records]


def _approved(users, ids=None):
    lst = destruction.Draw(users("archivist"), ON, record_ids=ids).run()
    for item in lst.items.all():
        destruction.Appraise(users("archivist"), item, D.DESTROY).run()
    return destruction.Approve(users("gm"), PASSWORD, lst).run()


def test_the_whole_act_leaves_the_stub_and_the_permanent_list(make_record, users):
    from archive import locations
    from archive.models import Box, Custody, Store, Volume

    records = _due_files(make_record, users)
    shelved = Volume.objects.get(number="V-H11-2023-GEN-001")
    locations.shelve(users("archivist"), shelved, Box.objects.create(store=Store.objects.create(code="A", name="库"),
                                                                     row=1, column=1, shelf=1, number=1))
    names = [with_objects(r) for r in records]
    store = customer_files()
    assert all(store.exists(n) for group in names for n in group)
    report = OperatorReport.objects.create(source_name="r.csv", sha256="0" * 64, imported_by=users("archivist"))
    row = ReportRow.objects.create(report=report, line=2, transaction_no=records[0].transaction_no,
                                   accepted_at=timezone.now(), hall_code=records[0].hall.code, employee_no="E1",
                                   business_type="普通开户", service_number=records[0].service_number,
                                   customer_name="张三丰", id_type="居民身份证", id_number="51030219800101" + "0000")
    lst = _approved(users)
    lst = destruction.Execute(users("archivist"), PASSWORD, lst, users("office"), users("depthead")).run()
    assert lst.status == L.DESTROYED and lst.storage_pending == []
    row.refresh_from_db()  # the billing report's copy of the personal data goes too
    assert (row.customer_name, row.service_number, row.id_number, row.id_number_hash) == ("", "", "", "")
    assert row.transaction_no == records[0].transaction_no
    assert not any(store.exists(n) for group in names for n in group)
    for record in records:
        stub = Record.objects.get(pk=record.pk)
        item = DestructionItem.objects.get(record=stub)
        assert stub.status == Record.Status.DESTROYED and stub.get_status_display() in ("已销毁", "Destroyed")
        assert (stub.hall_id, stub.category, stub.business_date, stub.transaction_no) == (
            record.hall_id, record.category, record.business_date, record.transaction_no)
        assert stub.volume_item.volume.number == "V-H11-2023-GEN-001" and item.list == lst
        assert len(item.content_sha256) == 64 and item.outcome == DestructionItem.Outcome.DESTROYED
        assert (stub.customer_name, stub.service_number, stub.id_number, stub.id_number_hash, stub.fields,
                stub.access_copy.name) == ("", "", "", "", {}, "")
        assert not Page.objects.filter(record=stub).exists() and not Scan.objects.filter(record=stub).exists()
    # the search documents are deleted (the outbox carries the deletion; the stub is never indexed again)
    outbox.flush()
    assert not SearchDoc.objects.filter(doctype="record", object_id__in=[str(r.pk) for r in records]).exists()
    assert lst.paper_volumes == ["V-H11-2023-GEN-001"]  # every file of the volume was due and unheld
    assert Custody.objects.get(volume=shelved).status == Custody.Status.DESTROYED  # its paper too (已销毁)

    # witnesses sign after the act: not the same person twice, not anyone else
    with pytest.raises(ChainError):
        destruction.Witness(users("marketing"), PASSWORD, lst).run()
    destruction.Witness(users("office"), PASSWORD, lst).run()
    with pytest.raises(ChainError):
        destruction.Witness(users("office"), PASSWORD, lst).run()
    lst = destruction.Witness(users("depthead"), PASSWORD, lst).run()
    assert lst.status == L.CLOSED and set(signatures_of(lst)) == {"approver", "executor", "witness1", "witness2"}
    text = pdf_text(bytes(lst.final_pdf))
    assert "销毁清册" in text and lst.number in text and records[0].transaction_no in text and "总经理" in text

    # the list and its rows are permanent
    with pytest.raises(PermanentRecord):
        lst.delete()
    with pytest.raises(PermanentRecord), transaction.atomic():
        DestructionItem.objects.filter(list=lst).delete()
    with pytest.raises((PermanentRecord, ProtectedError)), transaction.atomic():
        DestructionList.objects.filter(pk=lst.pk).delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Record.objects.filter(pk=records[0].pk).delete()  # the stub is protected by its list row
    assert DestructionList.objects.filter(pk=lst.pk).exists()
    assert auditlog.verify() == AuditEvent.objects.count()
    assert AuditEvent.objects.filter(action=destruction.EVENT_FILE_DESTROYED).count() == 2
    _the_database_keeps_the_closed_list(lst)


def _the_database_keeps_the_closed_list(lst):
    """Below the models (a SQL shell, a bulk write that skips signals): the database's own triggers."""
    item = lst.items.first()
    refused = [
        f"DELETE FROM archive_destructionitem WHERE id = {item.pk}",
        f"DELETE FROM archive_destructionlist WHERE id = {lst.pk}",
        f"UPDATE archive_destructionlist SET status = 'drawn' WHERE id = {lst.pk}",
        f"UPDATE archive_destructionlist SET number = 'X-1' WHERE id = {lst.pk}",
        f"UPDATE archive_destructionlist SET final_pdf = NULL WHERE id = {lst.pk}",
        f"UPDATE archive_destructionitem SET decision = 'keep', reason = 'x' WHERE id = {item.pk}",
        f"UPDATE archive_destructionitem SET transaction_no = 'SC0' WHERE id = {item.pk}",
        f"INSERT INTO archive_destructionitem (list_id, record_id, position, transaction_no, title, hall_code, "
        f"category, business_date, period, due_on, pages, volume_number, decision, reason, outcome, "
        f"content_sha256) SELECT list_id, record_id, 99, 'SC1', '', hall_code, category, business_date, period, "
        f"due_on, 0, '', 'destroy', '', '', '' FROM archive_destructionitem WHERE id = {item.pk}",
    ]
    for sql in refused:
        with pytest.raises(DatabaseError, match="kept permanently|append-only"), transaction.atomic(), \
                connection.cursor() as cur:
            cur.execute(sql)
    # what the act's clean-up may still write after closing: the storage names left shrink
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE archive_destructionlist SET storage_pending = '[]' WHERE id = {lst.pk}")
    lst.refresh_from_db()
    assert lst.status == L.CLOSED and lst.final_pdf and lst.items.count() == 2


def test_an_open_list_changes_in_the_database_but_is_never_deleted(make_record, users):
    _due_files(make_record, users, count=1, volume=False)
    lst = destruction.Draw(users("archivist"), ON).run()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE archive_destructionitem SET reason = 'ok' WHERE list_id = {lst.pk}")
        cur.execute(f"UPDATE archive_destructionlist SET on_date = on_date WHERE id = {lst.pk}")
    for table, column in (("archive_destructionitem", "list_id"), ("archive_destructionlist", "id")):
        with pytest.raises(DatabaseError, match="kept permanently"), transaction.atomic(), \
                connection.cursor() as cur:
            cur.execute(f"DELETE FROM {table} WHERE {column} = {lst.pk}")
    assert DestructionItem.objects.filter(list=lst, reason="ok").count() == 1


def test_refused_without_approval_or_with_the_same_witness_twice(make_record, users):
    records = _due_files(make_record, users)
    for r in records:
        with_objects(r)
    lst = destruction.Draw(users("archivist"), ON).run()
    item = lst.items.first()
    with pytest.raises(ChainError, match="after the due date|到期日"):
        destruction.Appraise(users("archivist"), item, D.KEEP, item.due_on, "再留").run()
    with pytest.raises(ChainError):  # not every file appraised
        destruction.Approve(users("gm"), PASSWORD, lst).run()
    for item in lst.items.all():
        destruction.Appraise(users("archivist"), item, D.DESTROY).run()
    with pytest.raises(ChainError):  # no approval: nothing destroyed
        destruction.Execute(users("archivist"), PASSWORD, lst, users("office"), users("depthead")).run()
    with pytest.raises(PermissionDenied):  # the archivist cannot approve
        destruction.Approve(users("archivist"), PASSWORD, lst).run()
    with pytest.raises(ChainError, match="password|密码"):
        destruction.Approve(users("gm"), "wrong", lst).run()
    lst = destruction.Approve(users("gm"), PASSWORD, lst).run()
    for first, second in (("office", "office"), ("gm", "office"), ("office", "staff")):
        with pytest.raises(ChainError):
            destruction.Execute(users("archivist"), PASSWORD, lst, users(first), users(second)).run()
    with pytest.raises(ChainError, match="password|密码"):
        destruction.Execute(users("archivist"), "wrong", lst, users("office"), users("depthead")).run()
    assert not Record.objects.filter(status=Record.Status.DESTROYED).exists()
    assert all(Record.objects.get(pk=r.pk).scans.exists() for r in records)
    assert DestructionList.objects.get(pk=lst.pk).status == L.APPROVED
    assert not Signature.objects.filter(slot="executor").exists()


def test_a_volume_partly_due_keeps_its_paper_and_keep_longer_moves_the_date(make_record, users):
    records = _due_files(make_record, users, count=3)
    late = old_record(make_record, "13911110000", "510302198001019999")  # same volume, service still running
    volume = records[0].volume_item.volume
    from archive.models import VolumeItem

    VolumeItem.objects.create(volume=volume, record=late, position=4)
    lst = destruction.Draw(users("archivist"), ON).run()
    assert late.pk not in set(lst.items.values_list("record_id", flat=True))
    kept, *rest = list(lst.items.order_by("position"))
    destruction.Appraise(users("depthead"), kept, D.KEEP, datetime.date(2027, 6, 30), "客户争议可能再起").run()
    for item in rest:
        destruction.Appraise(users("archivist"), item, D.DESTROY).run()
    lst = destruction.Approve(users("gm"), PASSWORD, lst).run()
    lst = destruction.Execute(users("archivist"), PASSWORD, lst, users("office"), users("marketing")).run()
    assert lst.paper_volumes == []  # digital copies only: the volume still holds files not destroyed
    assert Record.objects.get(pk=kept.record_id).status != Record.Status.DESTROYED
    out = StringIO()
    call_command("retention", "due", "--on", "2027-06-29", "--json", stdout=out)
    assert str(kept.record_id) not in out.getvalue().replace(" ", "").split('"record":')[0] and \
        f'"record": {kept.record_id},' not in out.getvalue()
    out = StringIO()
    call_command("retention", "due", "--on", "2027-06-30", "--json", stdout=out)
    assert f'"record": {kept.record_id},' in out.getvalue() and '"eligible_on": "2027-06-30"' in out.getvalue()


def test_a_hold_placed_after_the_approval_stops_the_act_for_that_file(make_record, users):
    records = _due_files(make_record, users, count=2)
    names = [with_objects(r) for r in records]
    lst = _approved(users)
    holds.Place(users("archivist"), "监管部门调阅", record=records[0]).run()
    lst = destruction.Execute(users("archivist"), PASSWORD, lst, users("office"), users("depthead")).run()
    held = Record.objects.get(pk=records[0].pk)
    assert held.status != Record.Status.DESTROYED and held.customer_name == "张三" and held.scans.exists()
    assert all(customer_files().exists(n) for n in names[0])
    assert not any(customer_files().exists(n) for n in names[1])
    assert DestructionItem.objects.get(record=held).outcome == DestructionItem.Outcome.HELD
    assert lst.paper_volumes == []


def test_roles_archivist_draws_gm_approves_auditors_only_see(make_record, users, client):
    _due_files(make_record, users, count=1)
    watcher = auditor()
    with pytest.raises(PermissionDenied):
        destruction.Draw(watcher, ON).run()
    with pytest.raises(PermissionDenied):
        destruction.Draw(users("gm"), ON).run()
    lst = destruction.Draw(users("archivist"), ON).run()
    with pytest.raises(PermissionDenied):
        destruction.Appraise(watcher, lst.items.get(), D.DESTROY).run()
    with pytest.raises(PermissionDenied):
        holds.Place(watcher, "x", record=lst.items.get().record).run()
    client.force_login(watcher)
    assert client.get(f"/admin/archive/destruction/{lst.pk}/").status_code == 200
    assert client.get(f"/admin/archive/destruction/{lst.pk}/pdf/").status_code == 200
    response = client.post(f"/admin/archive/destruction/{lst.pk}/approve/", {"password": PASSWORD})
    assert DestructionList.objects.get(pk=lst.pk).status == L.DRAWN and response.status_code in (403, 404)


def test_a_list_number_taken_meanwhile_gives_the_next_one_not_an_error(make_record, users):
    """Two archivists drawing at the same moment: the second list takes the next free number."""
    _due_files(make_record, users, count=2, volume=False)
    taken = DestructionList.objects.create(number=f"XH-{ON:%Y%m%d}-0001", on_date=datetime.date(2025, 1, 1),
                                           drawn_by=users("archivist"))  # counted in another year
    lst = destruction.Draw(users("archivist"), ON).run()
    assert lst.number == f"XH-{ON:%Y%m%d}-0002" and lst.pk != taken.pk and lst.items.count() == 2


def test_the_act_forgets_free_text_and_the_log_never_names_the_customer(make_record, users, login):
    from archive.models import AuditMark, ErrorEntry, Level1Audit
    from records import transitions

    (record,) = _due_files(make_record, users, count=1, volume=False)
    clerk, l1 = users("clerk-H11"), users("l1-H11")
    transitions.correct_field(users("archivist"), record, "customer_name", "李四光")
    record.refresh_from_db()
    entry = ErrorEntry.objects.create(record=record, kind="缺少签名", description="李四光未在第二页签名",
                                      clerk=clerk, level=ErrorEntry.Level.L1, found_by=l1)
    audit = Level1Audit.objects.create(hall=record.hall, day=record.business_date, auditor=l1)
    mark = AuditMark.objects.create(audit=audit, record=record, result=AuditMark.Result.ERROR, note="李四光 签名缺失")
    # a row as older versions wrote it: the file named with its customer's name, a correction unmasked
    old = auditlog.record("record.correct_field", actor=users("archivist"),
                          obj=("records.record", str(record.pk), f"{record.transaction_no} 李四光"),
                          details={"field": "customer_name", "old": "李四", "new": "李四光"})

    lst = _approved(users, ids=[record.pk])
    destruction.Execute(users("archivist"), PASSWORD, lst, users("office"), users("depthead")).run()
    entry.refresh_from_db()
    mark.refresh_from_db()
    assert (entry.description, mark.note) == (destruction.FORGOTTEN, destruction.FORGOTTEN)
    assert (entry.kind, entry.clerk, entry.level) == ("缺少签名", clerk, ErrorEntry.Level.L1)  # statistics stay

    # rows written today never carried the name; the older row is shown and exported without it
    new_rows = AuditEvent.objects.filter(object_type="records.record", object_id=str(record.pk)).exclude(pk=old.pk)
    assert new_rows.count() >= 2 and not any("李四" in r.object_repr + str(r.details) for r in new_rows)
    correction = new_rows.get(action="record.correct_field")
    assert correction.details["new"] == "李**" and correction.object_repr == record.transaction_no
    client = login("archivist")
    for response in (client.get("/admin/auditevent/", {"object_id": str(record.pk)}),
                     client.get(f"/admin/auditevent/inspect/{old.pk}/"),
                     client.get("/admin/auditevent/", {"object_id": str(record.pk), "export": "csv"})):
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8-sig")
        assert record.transaction_no in text and "李四光" not in text and "李四" not in text
    assert auditlog.verify() == AuditEvent.objects.count()  # the stored rows are untouched
