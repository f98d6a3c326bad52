"""REST API for customer files: upload through intake, scoped list and detail, retry, correction, schema."""
import io

import pytest
from PIL import Image, ImageDraw, ImageFont
from org import tokens
from org.models import AuditEvent
from records.models import Record, Scan
from tests.scans import FONT

ID = "11010519491231002X"


def small_png(text="受理编号：SC2026110200123"):
    """A small scan-like PNG at 300 dpi with real drawn text; different text gives a different file."""
    image = Image.new("L", (900, 300), 255)
    try:
        font = ImageFont.truetype(FONT, 40)
    except OSError:
        font = ImageFont.load_default()
    ImageDraw.Draw(image).text((30, 120), text, font=font, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(300, 300))
    return buffer.getvalue()


def upload(client, data, name="scan.png", hall="H11", clerk="clerk-H11", token=None, **extra):
    fh = io.BytesIO(data)
    fh.name = name
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    return client.post("/api/records/", {"file": fh, "hall": hall, "clerk": clerk, **extra}, **headers)


@pytest.fixture
def clerk_client(client, users):
    client.force_login(users("clerk-H11"))
    return client


def test_upload_creates_a_queued_record(clerk_client):
    response = upload(clerk_client, small_png(), "张三-开户.png", category="general")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "ocr_queued" and body["hall"] == "H11" and body["clerk"] == "clerk-H11"
    assert body["page_count"] == 1 and body["category"] == "general" and body["channel"] == "api"
    record = Record.objects.get(pk=body["id"])
    assert record.scans.get().original_name == "张三-开户.png"
    assert AuditEvent.objects.filter(object_id=str(record.pk), action="record.receive",
                                     actor_name="clerk-H11").exists()


def test_empty_file_is_refused_and_nothing_stored(clerk_client):
    response = upload(clerk_client, b"", "empty.png")
    assert response.status_code == 400
    assert "empty.png" in response.json()["error"]
    assert Record.objects.count() == 0 and Scan.objects.count() == 0


def test_png_named_pdf_is_refused(clerk_client):
    response = upload(clerk_client, small_png(), "scan.pdf")
    assert response.status_code == 400 and "PDF" in response.json()["error"] and "PNG" in response.json()["error"]
    assert Record.objects.count() == 0


def test_missing_fields_and_unknown_clerk_are_400(clerk_client):
    response = clerk_client.post("/api/records/", {"hall": "H11", "clerk": "clerk-H11"})
    assert response.status_code == 400 and response.json()["error"].startswith("file")
    response = upload(clerk_client, small_png(), clerk="nobody")
    assert response.status_code == 400 and "nobody" in response.json()["error"]


def test_duplicate_is_409_with_the_existing_id(clerk_client):
    first = upload(clerk_client, small_png(), "a.png").json()
    response = upload(clerk_client, small_png(), "a-again.png")
    assert response.status_code == 409
    assert response.json()["existing_id"] == first["id"] and f"#{first['id']}" in response.json()["error"]
    assert Record.objects.count() == 1


def test_clerk_cannot_upload_for_another_hall(client, users):
    client.force_login(users("clerk-H11"))
    for clerk in ("clerk-H12", "clerk-H11"):
        response = upload(client, small_png(), hall="H12", clerk=clerk)
        assert response.status_code == 403 and "H12" in response.json()["error"]
    assert Record.objects.count() == 0


def test_token_auth_upload_and_anonymous_refused(client, users):
    assert upload(client, small_png()).status_code in (401, 403)
    _, token = tokens.create(users("clerk-H11"))
    response = upload(client, small_png(), token=token)
    assert response.status_code == 201
    got = client.get(f"/api/records/{response.json()['id']}/", HTTP_AUTHORIZATION=f"Token {token}")
    assert got.status_code == 200


def test_list_is_scoped_and_filtered(make_record, users, client):
    mine = make_record("H11")
    queued = make_record("H11", status=Record.Status.OCR_QUEUED)
    other = make_record("H21")
    client.force_login(users("clerk-H11"))
    ids = {r["id"] for r in client.get("/api/records/").json()["results"]}
    assert ids == {mine.pk, queued.pk}
    assert client.get("/api/records/", {"hall": "H21"}).json()["results"] == []
    assert [r["id"] for r in client.get("/api/records/", {"status": "ocr_queued"}).json()["results"]] == [queued.pk]
    assert client.get(f"/api/records/{other.pk}/").status_code == 404
    bad = client.get("/api/records/", {"status": "nonsense"})
    assert bad.status_code == 400 and "ocr_queued" in bad.json()["error"]
    client.force_login(users("auditor-B2"))
    assert [r["id"] for r in client.get("/api/records/", {"hall": "H21"}).json()["results"]] == [other.pk]


def test_detail_has_key_fields_pages_and_masked_id(make_record, users, client):
    record = make_record("H11", id_number=ID, status=Record.Status.OCR_DONE,
                         fields={"id_number": {"value": ID, "confidence": 0.91, "problem": None},
                                 "service_number": {"value": "1380000123", "confidence": 0.5,
                                                    "problem": "服务号码应为以1开头的11位手机号码"}})
    record.pages.create(number=1, dpi=300, skew=0.4, confidence=88.5, warnings=["w"], problems=[])
    client.force_login(users("l1-H11"))
    body = client.get(f"/api/records/{record.pk}/").json()
    assert body["id_number"] == "1101**********002X" and ID not in str(body)
    assert body["key_fields"]["id_number"]["value"] == "1101**********002X"
    assert body["key_fields"]["service_number"]["problem"] and body["flagged_fields"] == ["service_number"]
    assert body["pages"] == [{"number": 1, "dpi": 300, "skew": 0.4, "warnings": ["w"], "problems": [],
                              "confidence": 88.5}]
    assert body["status"] == "ocr_done" and body["ocr_error"] == ""


def test_correct_validates_and_logs(make_record, users, client):
    record = make_record("H11")
    client.force_login(users("clerk-H11"))
    bad = client.post(f"/api/records/{record.pk}/correct/", {"field": "id_number", "value": "110105194912310021"},
                      content_type="application/json")
    assert bad.status_code == 400 and "校验位" in bad.json()["error"]
    unknown = client.post(f"/api/records/{record.pk}/correct/", {"field": "nope", "value": "x"},
                          content_type="application/json")
    assert unknown.status_code == 400 and "nope" in unknown.json()["error"]
    good = client.post(f"/api/records/{record.pk}/correct/", {"field": "id_number", "value": ID},
                       content_type="application/json")
    assert good.status_code == 200 and good.json()["id_number"] == "1101**********002X"
    assert good.json()["key_fields"]["id_number"]["corrected_by"] == "clerk-H11"
    record.refresh_from_db()
    assert record.id_number == ID
    assert AuditEvent.objects.filter(action="record.correct_field", object_id=str(record.pk)).exists()
    client.force_login(users("keeper-H11"))  # may view, may not correct
    response = client.post(f"/api/records/{record.pk}/correct/", {"field": "customer_name", "value": "李四"},
                           content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]


def test_retry_requeues_a_failed_record(make_record, users, client):
    failed = make_record("H11", status=Record.Status.OCR_FAILED, ocr_error="tesseract crashed")
    received = make_record("H11")
    client.force_login(users("keeper-H11"))
    response = client.post(f"/api/records/{failed.pk}/retry/")
    assert response.status_code == 200
    assert response.json()["status"] == "ocr_queued" and response.json()["ocr_error"] == ""
    assert client.post(f"/api/records/{received.pk}/retry/").status_code == 409
    client.force_login(users("clerk-H21"))
    assert client.post(f"/api/records/{failed.pk}/retry/").status_code == 404


def test_schema_documents_every_endpoint(org_demo, client):
    assert client.get("/api/schema/").status_code in (401, 403)  # for signed-in users only
    client.force_login(org_demo["clerk-H11"])
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/records/"])
    assert "multipart/form-data" in paths["/api/records/"]["post"]["requestBody"]["content"]
    assert set(paths["/api/records/"]["post"]["responses"]) >= {"201", "400", "403", "409"}
    for path in ("/api/records/{id}/", "/api/records/{id}/id-number/"):
        assert "get" in paths[path]
    for path in ("/api/records/{id}/retry/", "/api/records/{id}/correct/"):
        assert "post" in paths[path]
    assert {p["name"] for p in paths["/api/records/"]["get"]["parameters"]} >= {"hall", "status"}
