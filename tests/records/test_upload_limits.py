"""Uploads (issue 12, item 10a and 10b): a file beyond the limit is dropped while the request is read and
answered 413 on every channel (upload screen, API, report import); a duplicate names the record that holds
the file only to those who may see it, and is logged either way."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from PIL import Image, ImageDraw

from org.models import AuditEvent, Hall
from records import reconcile, uploads
from records.models import OperatorReport, Record

LIMIT = 200_000


def png(text="SC2026110200123", size=(900, 300)):
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).text((40, 60), f"Transaction {text}", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(300, 300))
    return buffer.getvalue()


def noisy_png(nbytes):
    """A real PNG of at least `nbytes` (random pixels do not compress)."""
    import os

    side = int((nbytes * 1.1) ** 0.5) + 1
    image = Image.frombytes("L", (side, side), os.urandom(side * side))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert buffer.tell() > nbytes
    return buffer.getvalue()


def screen_upload(client, users, data, name="a.png", hall="H11", clerk="clerk-H11"):
    return client.post(reverse("records_admin:upload_file"), {
        "hall": Hall.objects.get(code=hall).pk, "clerk": users(clerk).pk, "file": SimpleUploadedFile(name, data)})


def api_upload(client, data, name="a.png", hall="H11", clerk="clerk-H11", path="/api/records/"):
    return client.post(path, {"file": SimpleUploadedFile(name, data), "hall": hall, "clerk": clerk})


@override_settings(INTAKE_MAX_FILE_BYTES=LIMIT)
@pytest.mark.parametrize("channel", ["screen", "api", "api-batch"])
def test_a_file_beyond_the_limit_is_413_on_every_channel(login, users, channel):
    client = login("clerk-H11")
    big = noisy_png(LIMIT + 50_000)
    if channel == "screen":
        response = screen_upload(client, users, big)
        message = response.json()["error"]
    else:
        response = api_upload(client, big, path="/api/records/" + ("batch/" if channel == "api-batch" else ""))
        message = response.json()["error"]
    assert response.status_code == 413
    assert message == "文件超过允许的 195.3 KB"
    assert not Record.objects.exists()


@override_settings(INTAKE_MAX_FILE_BYTES=LIMIT)
def test_the_limit_counts_the_bytes_received_not_only_the_declared_length(rf, users):
    """The handler drops a file part as soon as it passes the limit, even inside a small request."""
    from django.core.files.uploadhandler import SkipFile

    request = rf.post("/admin/records/upload/file/")
    request.resolver_match = None
    handler = uploads.LimitedUploadHandler(request)
    handler.handle_raw_input(None, {}, 1000, b"x")
    handler.new_file("file", "a.png", "image/png", None)
    assert handler.receive_data_chunk(b"x" * LIMIT, 0) == b"x" * LIMIT
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"x", LIMIT)
    assert request.upload_refused == LIMIT


def test_a_small_file_still_goes_through(login, users):
    assert screen_upload(login("clerk-H11"), users, png()).status_code == 201


@override_settings(RECONCILE_MAX_REPORT_BYTES=2_000)
def test_a_report_beyond_its_limit_is_413_and_nothing_is_stored(login):
    header = ",".join(reconcile.HEADER)
    rows = [f"SC{i:04d},2026-11-02 10:31:00,H11,H11CLERK01,普通开户,13800001234,张三,居民身份证,"
            for i in range(100)]
    content = ("\n".join([header, *rows]) + "\n").encode()
    assert len(content) > 2_000
    response = login("l1-H11").post(reverse("records_admin:reconcile"),
                                    {"report": SimpleUploadedFile("boss.csv", content, "text/csv")})
    assert response.status_code == 413
    assert "文件超过允许的 2.0 KB" in response.content.decode()
    assert not OperatorReport.objects.exists()


@override_settings(RECONCILE_MAX_REPORT_BYTES=2_000)
def test_the_command_refuses_a_report_beyond_the_limit(db, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "boss.csv"
    path.write_bytes(b"x" * 3_000)
    with pytest.raises(CommandError, match="文件超过允许的 2.0 KB，未导入"):
        call_command("import_operator_report", str(path))
    assert not OperatorReport.objects.exists()


def test_a_duplicate_of_another_halls_file_is_not_named(login, users):
    scan = png("SAME")
    first = screen_upload(login("archivist"), users, scan, hall="H12", clerk="clerk-H12").json()["id"]
    client = login("clerk-H11")
    before = AuditEvent.objects.filter(action="record.duplicate_refused").count()
    response = screen_upload(client, users, scan, name="again.png")
    data = response.json()
    assert response.status_code == 400 and data["existing_id"] is None and "existing_url" not in data
    assert data["error"] == "again.png 已经收过；如有疑问请联系档案管理员"
    assert str(first) not in data["error"] and "H12" not in data["error"]
    response = api_upload(client, scan, name="again.png")
    assert response.status_code == 409
    assert response.json() == {"error": "again.png 已经收过；如有疑问请联系档案管理员", "existing_id": None}
    response = api_upload(client, scan, name="again.png", path="/api/records/batch/")
    assert response.status_code == 400
    assert response.json()["refused"] == [{"name": "again.png", "error": "again.png 已经收过；如有疑问请联系档案管理员",
                                           "existing_id": None}]
    response = client.post(reverse("records_admin:upload_file"), {
        "hall": Hall.objects.get(code="H11").pk, "clerk": users("clerk-H11").pk, "split": "1",
        "file": SimpleUploadedFile("again.png", scan)})
    assert response.status_code == 400 and f"#{first}" not in response.json()["error"]
    assert response.json()["refused"] == [{"name": "again.png", "error": "again.png 已经收过；如有疑问请联系档案管理员"}]
    events = AuditEvent.objects.filter(action="record.duplicate_refused").order_by("seq")
    assert events.count() == before + 4
    assert {(e.actor.username, e.object_id, e.details["file"]) for e in events} == {
        ("clerk-H11", str(first), "again.png")}
    assert Record.objects.count() == 1


def test_a_duplicate_within_scope_still_names_the_record(login, users):
    client = login("clerk-H11")
    first = screen_upload(client, users, png("OWN")).json()["id"]
    data = screen_upload(client, users, png("OWN"), name="again.png").json()
    assert data["existing_id"] == first and f"#{first}" in data["error"]
    assert data["existing_url"] == reverse("record:inspect", args=[first])
