"""Intake: every channel's shared checks. Bad input gets a clear message and loses nothing."""
import io

import pytest
from django.core.exceptions import PermissionDenied
from PIL import Image
from pypdf import PdfWriter

from org.models import AuditEvent, Hall
from records import intake
from records.models import Record, Scan
from tests.scans import form_lines, form_page, save_pdf


def _png(seed=1, dpi=300):
    buffer = io.BytesIO()
    form_page(form_lines(), dpi=dpi, seed=seed).save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def _ingest(users, data, name, user="clerk-H11", hall="H11"):
    actor = users(user)
    return intake.ingest(actor, hall=Hall.objects.get(code=hall), clerk=users(f"clerk-{hall}"),
                         fileobj=io.BytesIO(data), name=name, channel=Record.Channel.COMMAND)


def _nothing_stored():
    return Record.objects.count() == 0 and Scan.objects.count() == 0


def test_png_is_received_and_queued(org_demo, users, settings):
    record = _ingest(users, _png(), "张三-开户.png")
    assert record.status == Record.Status.OCR_QUEUED and record.page_count == 1
    scan = record.scans.get()
    assert scan.kind == "png" and scan.master.name.startswith("masters/H11/")
    with scan.master.open("rb") as fh:
        assert fh.read() == _png()  # the preservation master is the file as sent
    actions = list(AuditEvent.objects.filter(object_type="records.record", object_id=str(record.pk)).order_by("seq").values_list("action", flat=True))
    assert actions == ["record.receive", "record.ocr_queue"]


def test_multipage_tiff_and_pdf(org_demo, users, tmp_path):
    pages = [form_page(["第一页"], seed=1), form_page(["第二页"], seed=2), form_page(["第三页"], seed=3)]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:], dpi=(300, 300), compression="tiff_lzw")
    assert _ingest(users, buffer.getvalue(), "batch.tif").page_count == 3
    pdf = save_pdf(tmp_path / "x.pdf", pages[:2])
    assert _ingest(users, pdf.read_bytes(), "x.pdf").page_count == 2


def test_same_file_twice_is_found_by_hash(org_demo, users):
    first = _ingest(users, _png(), "a.png")
    with pytest.raises(intake.IntakeError) as err:
        _ingest(users, _png(), "a-again.png")
    assert err.value.existing == first and f"#{first.pk}" in err.value.message
    assert Record.objects.count() == 1


@pytest.mark.parametrize("data,name,message", [
    (b"", "empty.pdf", "empty"),
    (b"not a scan at all", "notes.txt", "only PDF, TIFF, JPEG and PNG"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "scan.pdf", "the name says PDF but the content is PNG"),
    (b"%PDF-1.4\n1 0 obj garbage\n%%EOF", "broken.pdf", "damaged"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "broken.png", "damaged"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "broken.jpg", "damaged"),
])
def test_bad_files_are_refused_with_a_clear_message(org_demo, users, data, name, message):
    with pytest.raises(intake.IntakeError) as err:
        with __import__("django").utils.translation.override("en"):
            _ingest(users, data, name)
    assert message in err.value.message and name in err.value.message
    assert _nothing_stored()


def test_encrypted_pdf_is_refused(org_demo, users):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret-password")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(intake.IntakeError, match="加密|encrypted"):
        _ingest(users, buffer.getvalue(), "locked.pdf")
    assert _nothing_stored()


def test_decompression_bomb_is_refused(org_demo, users):
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000), 1).save(buffer, "PNG")  # 400 million pixels in a few kilobytes
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(intake.IntakeError, match="百万像素|million pixels"):
        _ingest(users, buffer.getvalue(), "bomb.png")
    assert _nothing_stored()


def test_500_page_pdf_is_accepted(org_demo, users):
    writer = PdfWriter()
    for _ in range(500):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    record = _ingest(users, buffer.getvalue(), "thick.pdf")
    assert record.page_count == 500 and record.scans.get().page_count == 500


def test_outside_scope_and_wrong_clerk(org_demo, users):
    with pytest.raises(PermissionDenied):
        _ingest(users, _png(), "a.png", user="clerk-H11", hall="H12")
    with pytest.raises(intake.IntakeError, match="clerk-H21"):
        intake.ingest(users("archivist"), hall=Hall.objects.get(code="H11"), clerk=users("clerk-H21"),
                      fileobj=io.BytesIO(_png()), name="a.png", channel=Record.Channel.COMMAND)
    assert _nothing_stored()


def test_archivist_may_ingest_for_any_hall(org_demo, users):
    record = _ingest(users, _png(), "a.png", user="archivist", hall="H32")
    assert record.hall.code == "H32" and record.clerk.username == "clerk-H32"
