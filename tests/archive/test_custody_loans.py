"""Storage locations and look-ups/loans (issue 17): a volume's shelf and custody moves logged; a loan from
request to return with the superior's approval and both signatures; a refused request; no re-lending;
ID copies read on site only; an electronic view that ends at its minute; the watermark of a download; copies
approved and logged; the register and the task list."""
import datetime
import io
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader

from archive import custody, locations, loan_pdf, loans, todo
from archive.models import Box, CopyRequest, Custody, Loan, Signature, Store, Volume, VolumeItem
from archive.printing import volume_qr_payload
from org import access, states
from org.models import AuditEvent, Hall
from records.models import Record
from tests.archive_helpers import PASSWORD, small_pdf


def pdf_text(data):
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def kept(make_record, users):
    """Two bound volumes of H11 kept in store A: one of agreements without ID copies, one with them."""
    hall = Hall.objects.get(code="H11")
    store = Store.objects.create(code="A", name="一号库房")
    boxes = [Box.objects.create(store=store, row=1, column=2, shelf=3, number=n) for n in (15, 16)]
    made = {}
    for seq, (name, id_number) in enumerate((("plain", ""), ("ids", "510302199001011234")), start=1):
        volume = Volume.objects.create(hall=hall, category="agreement", year=2026, month=10, seq=seq,
                                       number=f"H11-2026-XY-00{seq}", status=Volume.Status.AT_MARKETING)
        records = []
        for pos in (1, 2):
            record = make_record(category="agreement", id_number=id_number, page_count=2,
                                 status=Record.Status.BOUND, transaction_no=f"{name.upper()}{pos:04d}")
            record.access_copy.save(f"{record.transaction_no}.pdf", ContentFile(small_pdf(record.transaction_no)))
            VolumeItem.objects.create(volume=volume, record=record, position=pos)
            records.append(record)
        locations.shelve(users("archivist"), volume, boxes[0])
        made[name] = (volume, records)
    return {"boxes": boxes, **made}


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- storage locations --------------------------------------------------------------------------------------

def test_a_volume_is_shelved_moved_transferred_and_received_and_every_move_is_logged(kept, users):
    archivist = users("archivist")
    volume, records = kept["plain"]
    box1, box2 = kept["boxes"]
    assert box1.label == "A库-01排-02列-3层-015盒"
    row = Custody.objects.get(volume=volume)
    assert row.status == Custody.Status.IN_STORE and events("custody.shelve")[0].details["box"] == box1.label
    assert custody.record_location(records[0])["location"] == box1.label  # what search indexes

    locations.relocate(archivist, row, box2)
    assert Custody.objects.get(volume=volume).box == box2
    moved = events("custody.relocate")[-1]
    assert moved.details["box_from"] == box1.label and moved.details["box"] == box2.label
    assert moved.object_repr == volume.number

    locations.transfer(archivist, row, "移交市档案馆")
    assert Custody.objects.get(volume=volume).status == Custody.Status.IN_TRANSFER
    assert custody.record_location(records[0])["location"] == "移交中"
    with pytest.raises(states.Refused):
        locations.relocate(archivist, row, box1)  # not in store: the table refuses
    locations.receive(archivist, row, box1)
    assert Custody.objects.get(volume=volume).box == box1
    assert [e.action for e in AuditEvent.objects.filter(object_repr=volume.number).order_by("seq")][-4:] == [
        "custody.shelve", "custody.relocate", "custody.transfer", "custody.receive"][-4:]

    with pytest.raises(PermissionDenied):  # only the archive moves paper
        locations.relocate(users("keeper-H11"), row, box2)


def test_the_cover_qr_opens_the_volume_page_and_the_page_shows_the_shelf(kept, login):
    volume, _ = kept["plain"]
    url = volume_qr_payload(volume)
    assert url == f"http://testserver/admin/archive/volumes/{volume.pk}/"
    page = login("archivist").get(url.removeprefix("http://testserver")).content.decode()
    assert kept["boxes"][0].label in page
    assert login("clerk-H32").get(url.removeprefix("http://testserver")).status_code in (302, 403, 404)


def test_the_locations_screen_shelves_and_moves(kept, login, users):
    client = login("archivist")
    volume, _ = kept["plain"]
    row = Custody.objects.get(volume=volume)
    box2 = kept["boxes"][1]
    client.post(reverse("archive_admin:custody_step", args=[row.pk]), {"step": "relocate", "box": box2.pk})
    assert Custody.objects.get(pk=row.pk).box == box2
    page = client.get(reverse("archive_admin:locations")).content.decode()
    assert box2.label in page and volume.number in page
    # Enter in the shared note field presses the form's first submit button: a disabled one, never a row's step
    shared = re.search(r'<form method="post" id="custody-step".*?</form>', page, re.S).group(0)
    assert re.search(r"<button[^>]*>", shared).group(0).count("disabled") == 1
    assert login("keeper-H11").get(reverse("archive_admin:locations")).status_code in (302, 403)


# --- loans --------------------------------------------------------------------------------------------------

def _ask(users, form=Loan.Form.ON_SITE, volumes=("H11-2026-XY-001",), records=(), who="clerk-H11"):
    return loans.request_loan(users(who), "核对客户投诉", form, 3, records, volumes)


def test_a_loan_from_request_to_return_with_approval_and_both_signatures(kept, users):
    superior, archivist = users("auditor-B1"), users("archivist")
    loan = _ask(users)
    assert loan.status == Loan.Status.REQUESTED and loan.pages_expected == 4 and loan.hall.code == "H11"
    for outsider in ("auditor-B3", "keeper-H11", "clerk-H11"):  # another branch, no superior, oneself
        with pytest.raises(PermissionDenied):
            loans.approve(users(outsider), Loan.objects.get(pk=loan.pk), PASSWORD)
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.REQUESTED
    with pytest.raises(states.Refused):
        loans.approve(superior, loan, "wrong password")
    loans.approve(superior, loan, PASSWORD)
    assert loan.status == Loan.Status.APPROVED and loan.decided_by == superior
    loans.issue(archivist, loan, PASSWORD, PASSWORD)
    volume = kept["plain"][0]
    assert Custody.objects.get(volume=volume).status == Custody.Status.ON_LOAN
    assert loan.due_at - loan.issued_at == datetime.timedelta(days=3)
    with pytest.raises(states.Refused):  # pages counted but no condition
        loans.take_back(archivist, loan, 4, "", PASSWORD, PASSWORD)
    loans.take_back(archivist, loan, 3, "缺第2页，已登记", PASSWORD, PASSWORD)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.RETURNED and loan.pages_counted == 3 and loan.condition
    assert Custody.objects.get(volume=volume).status == Custody.Status.IN_STORE
    signed = {s.slot: s.signer.username for s in Signature.objects.filter(document_type="loan", document_id=loan.pk)}
    assert signed == {"approver": "auditor-B1", "issuer": "archivist", "borrower": "clerk-H11",
                      "return_archivist": "archivist", "return_borrower": "clerk-H11"}
    back = events("loan.return")[-1]
    assert back.details["pages_match"] is False and back.details["along"][0]["to"] == "in_store"
    assert [e.action for e in AuditEvent.objects.filter(object_repr=loan.number).order_by("seq")] == [
        "loan.request", "signature.password_failed", "loan.approve", "signature", "loan.issue", "signature", "signature", "loan.return",
        "signature", "signature"]


def test_a_refused_request_says_why_and_goes_no_further(kept, users):
    loan = _ask(users)
    with pytest.raises(states.Refused):
        loans.refuse(users("auditor-B1"), loan, " ")
    loans.refuse(users("auditor-B1"), loan, "用途不明确")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REFUSED and loan.refusal == "用途不明确"
    assert events("loan.refuse")[-1].details["reason"] == "用途不明确"
    with pytest.raises(states.Refused):
        loans.issue(users("archivist"), loan, PASSWORD, PASSWORD)
    assert Custody.objects.get(volume=kept["plain"][0]).status == Custody.Status.IN_STORE


def test_no_re_lending(kept, users):
    first = _ask(users)
    loans.approve(users("auditor-B1"), first, PASSWORD)
    with pytest.raises(states.Refused, match="不能再次借出|cannot be lent again"):  # promised to the first
        _ask(users, who="l1-H11")
    loans.issue(users("archivist"), first, PASSWORD, PASSWORD)
    with pytest.raises(states.Refused):  # a file of the lent volume is out with it
        _ask(users, volumes=(), records=(kept["plain"][1][0].transaction_no,), who="keeper-H11")
    assert Loan.objects.count() == 1


def test_files_with_id_copies_are_read_on_site_only(kept, users):
    with pytest.raises(states.Refused):
        _ask(users, form=Loan.Form.ELECTRONIC, volumes=("H11-2026-XY-002",))
    with pytest.raises(states.Refused):
        _ask(users, form=Loan.Form.ELECTRONIC, volumes=(), records=(kept["ids"][1][0].transaction_no,))
    assert not Loan.objects.exists()
    assert _ask(users, volumes=("H11-2026-XY-002",)).form == Loan.Form.ON_SITE  # on site: allowed


def test_the_period_is_the_setting(kept, users, settings):
    settings.LOAN_PERIOD_DAYS = 2
    with pytest.raises(states.Refused):
        _ask(users)  # asks 3 days
    assert loans.period_days() == 2


@pytest.fixture
def view(kept, users):
    loan = _ask(users, form=Loan.Form.ELECTRONIC, volumes=(), records=(kept["plain"][1][0].transaction_no,))
    loans.approve(users("auditor-B1"), loan, PASSWORD)
    return loan


def test_an_electronic_view_gives_exactly_its_files_until_it_expires_and_not_a_minute_longer(view, kept, users):
    clerk = users("clerk-H11")
    wanted = kept["plain"][1][0]
    assert view.expires_at - view.decided_at == datetime.timedelta(days=3)
    at = lambda t: set(access.granted(clerk, Record.objects.all(), loans.READ, now=t).values_list("pk", flat=True))  # noqa: E731
    assert at(view.expires_at - datetime.timedelta(minutes=1)) == {wanted.pk}
    assert at(view.expires_at) == set() and at(view.expires_at + datetime.timedelta(minutes=1)) == set()
    assert not access.granted(users("l1-H11"), Record.objects.all(), loans.READ).exists()  # only the requester
    assert not access.granted(users("admin"), Record.objects.all(), loans.READ).exists()  # superusers too


def test_an_expired_electronic_view_is_denied(view, kept, client, users):
    record = kept["plain"][1][0]
    screen = reverse("archive_admin:loan_view", args=[view.pk])
    download = reverse("archive_admin:loan_download", args=[view.pk, record.pk])
    other = reverse("archive_admin:loan_download", args=[view.pk, kept["plain"][1][1].pk])
    with time_machine.travel(view.expires_at - datetime.timedelta(minutes=1), tick=False):
        client.force_login(users("clerk-H11"))  # a session of that day
        assert client.get(screen).status_code == 200
        assert client.get(other).status_code == 404  # a file of the same volume it does not name
    with time_machine.travel(view.expires_at, tick=False):
        client.force_login(users("clerk-H11"))
        assert client.get(screen).status_code == 404
        assert client.get(download).status_code == 404
    assert not events("loan.download")


def test_a_download_carries_the_watermark_and_every_page_viewed_is_logged(view, kept, client, users):
    clerk = users("clerk-H11")
    client.force_login(clerk)
    record = kept["plain"][1][0]
    response = client.get(reverse("archive_admin:loan_download", args=[view.pk, record.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert view.number in text and clerk.employee_no in text and clerk.get_full_name() in text
    assert record.transaction_no in text  # the file itself is still there
    logged = events("loan.download")[-1]
    assert logged.details["loan"] == view.number and logged.actor_name == "clerk-H11"
    page = client.get(reverse("archive_admin:loan_page", args=[view.pk, record.pk, 1]))
    assert page.status_code == 200 and page["Content-Type"] == "image/jpeg"
    assert events("loan.view_page")[-1].details == {"loan": view.number, "page": 1, "file": "access_copy"}
    assert events("loan.view_page")[-1].object_repr == record.transaction_no
    screen = client.get(reverse("archive_admin:loan_view", args=[view.pk])).content.decode()
    assert reverse("archive_admin:loan_page", args=[view.pk, record.pk, 1]) in screen


def test_copying_needs_its_own_approval_and_is_logged(kept, users):
    loan = _ask(users)
    loans.approve(users("auditor-B1"), loan, PASSWORD)
    copy = loans.request_copy(users("clerk-H11"), loan, 2, "留存投诉证据")
    with pytest.raises(states.Refused):
        loans.copy_made(users("archivist"), copy)  # not approved yet
    with pytest.raises(PermissionDenied):
        loans.decide_copy(users("auditor-B3"), copy, True)
    loans.decide_copy(users("auditor-B1"), copy, True)
    loans.copy_made(users("archivist"), copy)
    assert CopyRequest.objects.get(pk=copy.pk).status == CopyRequest.Status.MADE
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="loan.copy").order_by("seq")] == [
        "loan.copy.request", "loan.copy.approve", "loan.copy.made"]


def test_overdue_loans_are_in_the_task_list_and_on_the_dashboard(kept, users, login):
    loan = _ask(users)
    loans.approve(users("auditor-B1"), loan, PASSWORD)
    archivist = users("archivist")
    assert {t.key: t.count for t in todo.tasks(archivist)}["issue_loans"] == 1
    assert {t.key: t.count for t in todo.tasks(users("auditor-B1"))}.get("approve_loans") == 0
    loans.issue(archivist, loan, PASSWORD, PASSWORD)
    with time_machine.travel(loan.due_at + datetime.timedelta(minutes=1), tick=False):
        rows = {t.key: t for t in todo.tasks(users("archivist"))}
        assert rows["overdue_loans"].count == 1 and rows["overdue_loans"].url.endswith(f"/loans/{loan.pk}/")
        client = login("archivist")  # a session of that day
        page = client.get(reverse("archive_admin:dashboard")).content.decode()
        assert loan.number in page and "archive-overdue-loans" in page
    assert {t.key: t.count for t in todo.tasks(users("archivist"))}["overdue_loans"] == 0


def test_the_screens_walk_a_loan_and_the_register_prints_in_chinese(kept, users, client):
    client.force_login(users("clerk-H11"))
    client.post(reverse("archive_admin:loan_request"), {"volumes": "H11-2026-XY-001", "purpose": "核对", "form": "on_site",
                                                        "days": "2"})
    loan = Loan.objects.get()
    client.force_login(users("auditor-B1"))
    assert "loan-decide" in client.get(reverse("archive_admin:loan", args=[loan.pk])).content.decode()
    client.post(reverse("archive_admin:loan_approve", args=[loan.pk]), {"password": PASSWORD})
    client.force_login(users("archivist"))
    client.post(reverse("archive_admin:loan_issue", args=[loan.pk]), {"password": PASSWORD,
                                                                      "borrower_password": PASSWORD})
    assert Loan.objects.get().status == Loan.Status.ISSUED
    client.force_login(users("clerk-H32"))  # someone else's request: not even its page
    assert client.get(reverse("archive_admin:loan", args=[loan.pk])).status_code == 404
    client.force_login(users("archivist"))
    month = loan.requested_at.strftime("%Y-%m")
    assert loan.number in client.get(reverse("archive_admin:loan_register") + f"?month={month}").content.decode()
    pdf = client.get(reverse("archive_admin:loan_register_pdf") + f"?month={month}")
    text = "".join(pdf_text(pdf.content).split())  # the table wraps long cells
    assert "借阅登记簿" in text and loan.number in text and "阅览" in text
    assert events("loan.register_pdf")[-1].details["loans"] == [loan.number]
    assert loan_pdf.register_rows([loan])[0][0] == loan.number


def test_who_is_whose_superior(org_demo, users):
    def approves(approver, requester):
        loan = Loan.objects.create(number=f"JY-S-{Loan.objects.count()}", requester=users(requester),
                                   purpose="t", form="on_site", days=1)
        return Loan.objects.filter(pk=loan.pk).filter(access.superior_filter(users(approver))).exists()

    assert approves("auditor-B1", "clerk-H11") and approves("auditor-B1", "keeper-H12")
    assert not approves("auditor-B1", "clerk-H21") and not approves("auditor-B1", "auditor-B1")
    assert not approves("auditor-B1", "marketing") and not approves("auditor-B2", "auditor-B1")
    assert approves("depthead", "auditor-B1") and approves("depthead", "archivist")
    assert not approves("depthead", "gm") and approves("gm", "depthead") and not approves("gm", "gm")
    assert not approves("archivist", "clerk-H11") and not approves("keeper-H11", "clerk-H11")
