"""A batch scan split at separator sheets into customer files (command line; real QR detection)."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from org.models import Hall
from records import batch
from records.models import Record
from records.separator import separator_sheet_image
from tests.scans import form_lines, form_page, save_pdf


def _doc(n):
    return form_page(form_lines(transaction_no=f"SC20261102{n:05d}"), seed=n)


def test_pdf_batch_is_split_at_separators(org_demo, users, tmp_path, capsys):
    pages = [_doc(1), _doc(2), separator_sheet_image(), _doc(3), separator_sheet_image(), _doc(4)]
    path = save_pdf(tmp_path / "batch.pdf", pages)
    call_command("ingest", str(path), "--hall", "H11", "--clerk", "clerk-H11", "--split")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    records = list(Record.objects.order_by("pk"))
    assert [r.page_count for r in records] == [2, 1, 1]
    assert [r.scans.get().original_name for r in records] == ["batch-01.pdf", "batch-02.pdf", "batch-03.pdf"]
    assert all(r.status == Record.Status.OCR_QUEUED for r in records)


def test_tiff_batch_and_no_separator(org_demo, users):
    frames = [_doc(5), separator_sheet_image(), _doc(6)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw", dpi=(300, 300))
    buffer.seek(0)
    clerk = users("clerk-H12")
    result = batch.ingest_batch(clerk, hall=Hall.objects.get(code="H12"), clerk=clerk, fileobj=buffer,
                                name="b.tif", channel=Record.Channel.COMMAND)
    assert result.separators == 1 and [r.page_count for r in result.records] == [1, 1]
    with Image.open(result.records[0].scans.get().master.open("rb")) as part:
        assert part.n_frames == 1
    plain = io.BytesIO()
    _doc(7).save(plain, "PNG", dpi=(300, 300))
    plain.seek(0)
    single = batch.ingest_batch(clerk, hall=Hall.objects.get(code="H12"), clerk=clerk, fileobj=plain,
                                name="one.png", channel=Record.Channel.COMMAND)
    assert single.separators == 0 and len(single.records) == 1


def test_refused_parts_are_reported(org_demo, users, tmp_path, capsys):
    pages = [_doc(8), separator_sheet_image(), _doc(9)]
    path = save_pdf(tmp_path / "again.pdf", pages)
    call_command("ingest", str(path), "--hall", "H11", "--clerk", "clerk-H11", "--split")
    with pytest.raises(CommandError, match="未接收"):
        call_command("ingest", str(path), "--hall", "H11", "--clerk", "clerk-H11", "--split")
    assert "again-01.pdf" in capsys.readouterr().err
    assert Record.objects.count() == 2


def test_api_and_admin_split_a_batch(org_demo, users, client, tmp_path):
    pages = [_doc(11), separator_sheet_image(), _doc(12), _doc(13)]
    data = save_pdf(tmp_path / "api.pdf", pages).read_bytes()
    client.force_login(users("clerk-H11"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/records/batch/", {"file": SimpleUploadedFile("api.pdf", data), "hall": "H11",
                                                   "clerk": "clerk-H11"})
    assert response.status_code == 201, response.content
    assert len(response.json()["records"]) == 2 and response.json()["separators"] == 1
    pages = [_doc(14), separator_sheet_image(), _doc(15)]
    data = save_pdf(tmp_path / "admin.pdf", pages).read_bytes()
    hall = Hall.objects.get(code="H11")
    response = client.post("/admin/records/upload/file/", {"file": SimpleUploadedFile("admin.pdf", data),
                                                           "hall": hall.pk, "clerk": users("clerk-H11").pk,
                                                           "split": "1"})
    assert response.status_code == 201, response.content
    assert [r["id"] for r in response.json()["records"]] and response.json()["refused"] == []
    sheet = client.get("/admin/records/separator-sheet/")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
