"""The records admin screens: upload endpoint, inspection with retry and corrections, reconciliation."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image, ImageDraw

from org.models import AuditEvent, Hall
from records import reconcile
from records.models import OperatorReport, Page, Record, Scan

UPLOAD = "/admin/records/upload/file/"
ID = "510302199001011234"
GOOD_ID = "11010519491231002X"


def png(text="SC2026110200123", dpi=300):
    """A small real scan: a white strip with some drawn text, saved at 300 dpi."""
    image = Image.new("L", (900, 300), 255)
    draw = ImageDraw.Draw(image)
    draw.text((40, 60), f"Transaction {text}", fill=0)
    draw.text((40, 140), "Service number 13800001234", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def zh(message, **values):
    """A message as the app shows it (Chinese first)."""
    with translation.override("zh-hans"):
        return gettext(message) % values


def post_file(client, users, data, name, hall="H11", clerk="clerk-H11", **extra):
    fields = {"hall": Hall.objects.get(code=hall).pk, "clerk": users(clerk).pk,
              "file": SimpleUploadedFile(name, data), **extra}
    return client.post(UPLOAD, fields)


# --- upload --------------------------------------------------------------------------------------

def test_upload_page_offers_only_own_hall_and_defaults_to_the_clerk(login, users):
    response = login("clerk-H11").get(reverse("records_admin:upload"))
    assert response.status_code == 200
    halls = [h.code for h in response.context["halls"]]
    assert halls == ["H11"]
    html = response.content.decode()
    assert f'value="{users("clerk-H11").pk}" data-hall="{Hall.objects.get(code="H11").pk}" selected' in html
    assert "records/upload.js" in html


def test_upload_page_is_refused_without_the_right(login):
    response = login("l1-H11").get(reverse("records_admin:upload"))
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")  # Wagtail's refusal


def test_upload_creates_a_record(login, users):
    response = post_file(login("clerk-H11"), users, png(), "张三-开户.png", category="general")
    assert response.status_code == 201, response.content
    data = response.json()
    record = Record.objects.get(pk=data["id"])
    assert data["ok"] is True and data["url"] == reverse("record:inspect", args=[record.pk])
    assert record.hall.code == "H11" and record.clerk.username == "clerk-H11"
    assert record.channel == Record.Channel.ADMIN and record.category == "general"
    assert record.status == Record.Status.OCR_QUEUED
    assert record.scans.get().original_name == "张三-开户.png"


def test_empty_file_is_refused_and_nothing_stored(login, users):
    response = post_file(login("clerk-H11"), users, b"", "empty.png")
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": zh("%(name)s: the file is empty", name="empty.png"),
                               "existing_id": None}
    assert not Record.objects.exists() and not Scan.objects.exists()


@pytest.mark.parametrize("data,name,message,values", [
    (b"just some notes", "notes.txt", "%(name)s: only PDF, TIFF, JPEG and PNG files are accepted", {}),
    (b"%PDF-1.4 not really", "scan.png", "%(name)s: the name says %(claimed)s but the content is %(real)s",
     {"claimed": "PNG", "real": "PDF"}),
])
def test_wrong_type_is_refused(login, users, data, name, message, values):
    response = post_file(login("clerk-H11"), users, data, name)
    assert response.status_code == 400
    assert response.json()["error"] == zh(message, name=name, **values)
    assert not Record.objects.exists()


def test_duplicate_names_the_existing_record(login, users):
    client = login("clerk-H11")
    first = post_file(client, users, png(), "a.png").json()["id"]
    response = post_file(client, users, png(), "a-again.png")
    assert response.status_code == 400
    data = response.json()
    assert data["ok"] is False and data["existing_id"] == first
    assert data["existing_url"] == reverse("record:inspect", args=[first])
    assert f"#{first}" in data["error"]
    assert Record.objects.count() == 1


def test_another_hall_is_forbidden(login, users):
    response = post_file(login("clerk-H11"), users, png(), "a.png", hall="H12", clerk="clerk-H12")
    assert response.status_code == 403 and response.json()["ok"] is False
    assert not Record.objects.exists()


def test_user_without_create_right_is_forbidden(login, users):
    assert post_file(login("l1-H11"), users, png(), "a.png").status_code == 403
    assert not Record.objects.exists()


@pytest.mark.parametrize("fields", [
    {"hall": "", "clerk": "x"},                 # no hall
    {"clerk": "l1-H11"},                        # not a clerk of the hall
    {"clerk": "clerk-H12"},                     # a clerk of another hall
    {"category": "nonsense"},
])
def test_bad_input_is_400(login, users, fields):
    client = login("clerk-H11")
    data = {"hall": Hall.objects.get(code="H11").pk, "clerk": users("clerk-H11").pk,
            "file": SimpleUploadedFile("a.png", png())}
    if "clerk" in fields:
        data["clerk"] = users(fields["clerk"]).pk if fields["clerk"] != "x" else "x"
    data.update({k: v for k, v in fields.items() if k != "clerk"})
    response = client.post(UPLOAD, data)
    assert response.status_code == 400 and response.json()["ok"] is False
    assert not Record.objects.exists()


def test_missing_file_is_400(login, users):
    response = login("clerk-H11").post(UPLOAD, {"hall": Hall.objects.get(code="H11").pk,
                                                 "clerk": users("clerk-H11").pk})
    assert response.status_code == 400


def test_master_download_is_scoped_and_logged(login, users, client):
    record_id = post_file(login("clerk-H11"), users, png(), "a.png").json()["id"]
    scan = Scan.objects.get(record_id=record_id)
    response = client.get(reverse("records_admin:master", args=[scan.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == png()
    assert AuditEvent.objects.filter(action="record.download", object_id=str(record_id)).exists()
    assert login("clerk-H12").get(reverse("records_admin:master", args=[scan.pk])).status_code == 404
    assert client.get(reverse("records_admin:access_copy", args=[record_id])).status_code == 404  # none yet


# --- inspection, retry, corrections ----------------------------------------------------------------

@pytest.fixture
def recognised(make_record):
    record = make_record("H11", status=Record.Status.OCR_DONE, fields={
        "transaction_no": {"value": "TH11000001", "confidence": 0.95, "problem": None},
        "service_number": {"value": "1380000123", "confidence": 0.38, "problem": "服务号码应为以1开头的11位手机号码"},
        "id_number": {"value": "5103**********1234", "confidence": 0.9, "problem": None},
        "customer_name": {"value": "张三", "confidence": 1.0, "problem": None, "corrected_by": "l1-H11"},
    })
    Page.objects.create(record=record, number=1, dpi=300, skew=1.5, confidence=87.5,
                        warnings=["页面倾斜 1.3°"], problems=[])
    return record


def inspect(client, record, query=""):
    return client.get(reverse("record:inspect", args=[record.pk]) + query)


def test_inspect_shows_fields_and_pages(login, recognised):
    response = inspect(login("clerk-H11"), recognised)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1380000123" in html and "38%" in html and "服务号码应为以1开头的11位手机号码" in html
    assert "records-problem" in html
    assert "5103**********1234" in html and ID not in html
    assert zh("Corrected by hand by %(user)s", user="l1-H11") in html
    assert "87.5%" in html and "页面倾斜 1.3°" in html and "1.5°" in html
    assert reverse("records_admin:correct", args=[recognised.pk]) in html


def test_list_names_the_fields_to_check(login, recognised, make_record):
    clean = make_record("H11", status=Record.Status.OCR_DONE,
                        fields={"transaction_no": {"value": "TH11000002", "confidence": 0.95, "problem": None}})
    html = login("clerk-H11").get(reverse("record:index")).content.decode()
    assert "待核对" in html
    rows = {pk: html.split(f"/admin/record/inspect/{pk}/", 1)[1].split("</tr>")[0] for pk in (recognised.pk, clean.pk)}
    assert "服务号码" in rows[recognised.pk] and "服务号码" not in rows[clean.pk]


def test_running_record_shows_how_far_ocr_has_come(login, make_record):
    record = make_record("H11", status=Record.Status.OCR_RUNNING, page_count=5)
    for number in (1, 2):
        Page.objects.create(record=record, number=number, dpi=300, confidence=90.0)
    html = inspect(login("clerk-H11"), record).content.decode()
    assert "已识别 2 / 5 页" in html
    Record.objects.filter(pk=record.pk).update(status=Record.Status.OCR_DONE)
    assert "records-ocr-progress" not in inspect(login("clerk-H11"), record).content.decode()


def test_reveal_shows_full_number_once_logged(login, recognised):
    html = inspect(login("l1-H11"), recognised, "?reveal=1").content.decode()
    assert ID in html
    assert AuditEvent.objects.filter(action="pii.view_full", object_id=str(recognised.pk)).count() == 1


def test_record_outside_scope_is_404(login, recognised):
    client = login("clerk-H12")
    assert inspect(client, recognised).status_code == 404
    assert client.post(reverse("records_admin:retry", args=[recognised.pk])).status_code == 404
    assert client.post(reverse("records_admin:correct", args=[recognised.pk]),
                       {"field": "customer_name", "value": "李四"}).status_code == 404


def test_retry_requeues_a_failed_record(login, recognised):
    Record.objects.filter(pk=recognised.pk).update(status=Record.Status.OCR_FAILED, ocr_error="第 1 页：空白页")
    client = login("clerk-H11")
    html = inspect(client, recognised).content.decode()
    assert "第 1 页：空白页" in html and reverse("records_admin:retry", args=[recognised.pk]) in html
    response = client.post(reverse("records_admin:retry", args=[recognised.pk]))
    assert response.status_code == 302
    recognised.refresh_from_db()
    assert recognised.status == Record.Status.OCR_QUEUED and recognised.ocr_error == ""
    assert AuditEvent.objects.filter(action="record.ocr_retry", object_id=str(recognised.pk)).exists()


def test_retry_refused_without_the_right(login, recognised):
    Record.objects.filter(pk=recognised.pk).update(status=Record.Status.OCR_FAILED)
    client = login("auditor-B1")  # may view H11's files, may not retry
    assert reverse("records_admin:retry", args=[recognised.pk]) not in inspect(client, recognised).content.decode()
    response = client.post(reverse("records_admin:retry", args=[recognised.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    recognised.refresh_from_db()
    assert recognised.status == Record.Status.OCR_FAILED


def test_retry_in_wrong_state_is_a_message(login, recognised):
    Record.objects.filter(pk=recognised.pk).update(status=Record.Status.OCR_RUNNING)
    response = login("clerk-H11").post(reverse("records_admin:retry", args=[recognised.pk]), follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Record.objects.get(pk=recognised.pk).status == Record.Status.OCR_RUNNING


def test_bad_id_number_correction_is_refused(login, recognised):
    url = reverse("records_admin:correct", args=[recognised.pk])
    response = login("l1-H11").post(url, {"field": "id_number", "value": ID[:-1] + "5"}, follow=True)
    assert "证件号码校验位错误" in response.content.decode()
    recognised.refresh_from_db()
    assert recognised.id_number == ID and "corrected_by" not in recognised.fields["id_number"]
    assert not AuditEvent.objects.filter(action="record.correct_field").exists()


def test_good_correction_is_saved_and_logged(login, recognised):
    url = reverse("records_admin:correct", args=[recognised.pk])
    response = login("l1-H11").post(url, {"field": "id_number", "value": GOOD_ID}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    recognised.refresh_from_db()
    assert recognised.id_number == GOOD_ID and recognised.fields["id_number"]["corrected_by"] == "l1-H11"
    event = AuditEvent.objects.get(action="record.correct_field", object_id=str(recognised.pk))
    assert event.details["field"] == "id_number" and GOOD_ID not in str(event.details)
    assert GOOD_ID not in response.content.decode()  # shown masked after the change


def test_correction_refused_without_the_right(login, recognised):
    url = reverse("records_admin:correct", args=[recognised.pk])
    response = login("keeper-H11").post(url, {"field": "customer_name", "value": "李四"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    recognised.refresh_from_db()
    assert recognised.customer_name == "张三"


# --- reconciliation ----------------------------------------------------------------------------------

HEADER = ",".join(reconcile.HEADER)


def line(no, hall="H11", phone="13800001234", clerk_no="H11CLERK01"):
    return ",".join([no, "2026-11-02 10:31:00", hall, clerk_no, "普通开户", phone, "张三", "居民身份证", ID])


def csv_file(*lines, name="boss.csv"):
    return SimpleUploadedFile(name, ("\n".join([HEADER, *lines]) + "\n").encode("utf-8"), "text/csv")


def test_reconcile_good_report(login, make_record):
    for i in (1, 2, 3):
        make_record("H11", transaction_no=f"SC000{i}")
    make_record("H12", transaction_no="SC0012")
    report = csv_file(line("SC0001"), line("SC0002", phone="13900009999"), line("SC9999"),
                      line("SC0012", hall="H12", clerk_no="H12CLERK02"), line("SC0013", hall="H12"))
    from tests.records.test_reconcile_scope import imported

    client = login("archivist")
    response = imported(client, client.post(reverse("records_admin:reconcile"), {"report": report}))
    report = OperatorReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("records_admin:reconcile_result", args=[report.pk])
    client = login("l1-H11")
    response = client.get(response.url)
    assert response.status_code == 200
    result = response.context["result"]
    assert [r.transaction_no for r in result.matched] == ["SC0001"]
    assert [(r.transaction_no, diff) for r, _, diff in result.mismatches] == [("SC0002", ["服务号码"])]
    assert [r.transaction_no for r in result.paper_missing] == ["SC9999"]  # H12's rows are outside the scope
    assert [r.transaction_no for r in result.no_report_row] == ["SC0003"]
    html = response.content.decode()
    assert "SC9999" in html and "SC0013" not in html and "服务号码" in html
    assert "纸质 13800001234 ≠ 报表 13900009999" in html
    listing = client.get(reverse("records_admin:reconcile")).content.decode()
    assert "boss.csv" in listing


def test_reconcile_bad_report_names_every_problem(login):
    client = login("l1-H11")
    report = csv_file(line("SC1"), line("SC1"), line("SC2").replace("2026-11-02 10:31:00", "昨天"))
    from tests.records.test_reconcile_scope import imported

    response = imported(client, client.post(reverse("records_admin:reconcile"), {"report": report}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "第 3 行：受理编号 SC1 与第 2 行重复" in html and "受理时间“昨天”无法识别" in html
    assert not OperatorReport.objects.exists()
    response = imported(client, client.post(reverse("records_admin:reconcile"),
                                            {"report": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")}))
    assert "表头不符" in response.content.decode() and not OperatorReport.objects.exists()


def test_reconcile_needs_record_view(login):
    report = reconcile.import_report(None, ("\n".join([HEADER, line("SC1")]) + "\n").encode(), "x.csv")
    client = login("gm")  # in the admin, but no customer files
    for url in (reverse("records_admin:reconcile"), reverse("records_admin:reconcile_result", args=[report.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert login("auditor-B1").get(reverse("records_admin:reconcile_result", args=[report.pk + 1])).status_code == 404
    assert login("auditor-B1").get(reverse("records_admin:reconcile")).status_code == 200


def test_menu_has_the_new_screens(login):
    html = login("clerk-H11").get("/admin/").content.decode()
    assert reverse("records_admin:upload") in html and reverse("records_admin:reconcile") in html
    html = login("l1-H11").get("/admin/").content.decode()
    assert reverse("records_admin:upload") not in html and reverse("records_admin:reconcile") in html
