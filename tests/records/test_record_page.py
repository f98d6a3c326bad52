"""Issue 16, the record page: the scan beside its key fields (every page, zoomable, served through a scoped,
logged view and never from a media URL), the flagged field's box on the page, the next file to check, the
待核对 filter of the list, the access copy under a meaningful name, the volume and holder, and 未识别 where
a field was not read (never "None" or the day of intake)."""
import datetime
import io
import re
import subprocess
import uuid
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from org.models import AuditEvent
from records import intake, keyfields, ocr, pageview
from records.models import KEY_FIELDS, Page, Record, Scan, flagged_q
from tests.archive_helpers import day, make_day, to_keeper
from tests.scans import form_lines, form_page

ID = "11010519491231002X"
FLAG = "业务类型不在业务类型表中"


def pdf_pages(count, size=(420, 594)):
    """A PDF of `count` numbered grey pages (an access copy as the OCR writes it: one image per page)."""
    pages = [Image.new("L", size, 255 - (n * 7) % 60) for n in range(count)]
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", resolution=50, save_all=True, append_images=pages[1:])
    return buffer.getvalue()


def reading(box, size=(2480, 3508)):
    return {"page": {"text": "x", "confidence": 0.5}, "in_cell": True, "box": box, "size": list(size), "skew": 0.3}


@pytest.fixture
def flagged(make_record):
    """A file read by OCR: its business type is flagged; the boxes of two fields were kept on page 1, the
    copy of the ID card is page 2."""
    record = make_record("H11", id_number=ID, status=Record.Status.OCR_DONE, business_type="",
                         transaction_no="SC2026110200123", page_count=2, fields={
                             "transaction_no": {"value": "SC2026110200123", "confidence": 0.97, "problem": None},
                             "business_type": {"value": "宽带业务", "confidence": 0.9, "problem": FLAG},
                             "id_number": {"value": "1101**********002X", "confidence": 0.99, "problem": None},
                         })
    record.access_copy.save("copy.pdf", ContentFile(pdf_pages(2)))
    Page.objects.create(record=record, number=1, fields={"transaction_no": reading([620, 350, 1240, 490]),
                                                         "business_type": reading([600, 780, 1250, 900])})
    Page.objects.create(record=record, number=2, fields={"id_number_copy": reading([900, 980, 1300, 1030])})
    return record


def page_url(record, number):
    return reverse("records_admin:page_image", args=[record.pk, number])


def inspect(client, record):
    response = client.get(reverse("record:inspect", args=[record.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- page images -------------------------------------------------------------------------------------

def test_a_page_image_is_rendered_from_the_access_copy_scoped_and_logged(login, flagged):
    client = login("clerk-H11")
    response = client.get(page_url(flagged, 2))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]  # personal data: never kept by the browser
    image = Image.open(io.BytesIO(response.content))
    assert max(image.size) == pageview.MAX_SIDE and image.size[1] > image.size[0]
    event = AuditEvent.objects.get(action="record.view_page", object_id=str(flagged.pk))
    assert event.actor_name == "clerk-H11" and event.details == {"page": 2, "file": "access_copy"}
    assert client.get(page_url(flagged, 3)).status_code == 404  # no such page
    assert client.get(page_url(flagged, 0)).status_code == 404
    assert login("clerk-H12").get(page_url(flagged, 1)).status_code == 404  # another hall's file
    assert AuditEvent.objects.filter(action="record.view_page").count() == 1


def test_the_page_is_never_a_media_url(login, flagged):
    html = inspect(login("clerk-H11"), flagged)
    images = re.findall(r'<img src="([^"]+)"', html)
    assert images == [page_url(flagged, 1), page_url(flagged, 2)]  # every page, through the scoped view
    assert "/media/" not in html and flagged.access_copy.name not in html


def test_before_the_reading_pages_come_from_the_master_one_frame_at_a_time(login, make_record):
    record = make_record("H11", status=Record.Status.OCR_QUEUED)
    frames = [Image.new("L", (300, 200), shade) for shade in (0, 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])
    scan = Scan(record=record, original_name="two.tif", kind="tiff", size=len(buffer.getvalue()), sha256="b" * 64,
                page_count=2)
    scan.master.save("two.tif", ContentFile(buffer.getvalue()))
    client = login("clerk-H11")
    white = Image.open(io.BytesIO(client.get(page_url(record, 2)).content))
    assert white.size == (300, 200) and white.getpixel((10, 10)) > 250
    assert AuditEvent.objects.get(action="record.view_page").details == {"page": 2, "file": "master"}
    html = inspect(client, record)
    assert "接收时的扫描件" in html and "records-box" not in html  # no boxes before the reading


def test_one_page_of_a_200_page_file_is_rendered_alone(make_record, monkeypatch):
    record = make_record("H11", status=Record.Status.OCR_DONE, page_count=200)
    record.access_copy.save("big.pdf", ContentFile(pdf_pages(200, size=(120, 170))))
    calls = []
    real = subprocess.run

    def spy(args, **kwargs):
        calls.append(args)
        return real(args, **kwargs)

    monkeypatch.setattr(pageview.subprocess, "run", spy)
    data, what = pageview.render(record, 173)
    assert what == "access_copy" and Image.open(io.BytesIO(data)).size[1] == pageview.MAX_SIDE
    (args,) = calls
    assert args[args.index("-f") + 1] == args[args.index("-l") + 1] == "173"  # poppler renders that page only
    with pytest.raises(pageview.Unavailable):
        pageview.render(record, 201)


def test_a_page_of_a_file_in_s3_is_rendered_from_a_copy_on_disk(tmp_path):
    from tests.records.test_storage_s3 import _storage

    storage = _storage()
    name = storage.save(f"tests/{uuid.uuid4().hex}/copy.pdf", ContentFile(pdf_pages(3)))
    try:
        path = pageview._local_path(SimpleNamespace(storage=storage, name=name), tmp_path)
        assert str(path).startswith(str(tmp_path))  # S3 has no path: copied in chunks
        image = Image.open(io.BytesIO(pageview._render_pdf(path, 3, tmp_path)))
        assert max(image.size) == pageview.MAX_SIDE
    finally:
        storage.delete(name)


# --- the flagged field on the scan -------------------------------------------------------------------

def test_the_flagged_field_is_highlighted_where_its_box_was_kept(login, flagged):
    html = inspect(login("clerk-H11"), flagged)
    boxes = re.findall(r'<span class="records-box([^"]*)" data-field="(\w+)"\s+style="([^"]+)"', html)
    assert [(kind.strip(), field) for kind, field, _ in boxes] == [
        ("", "transaction_no"), ("records-box--flagged", "business_type"), ("", "id_number")]
    style = dict(boxes[1:2] and [(boxes[1][1], boxes[1][2])])["business_type"]
    numbers = [float(n) for n in re.findall(r"[\d.]+", style)]
    assert numbers == pytest.approx([600 / 2480 * 100, 780 / 3508 * 100, 650 / 2480 * 100, 120 / 3508 * 100], abs=0.02)
    assert 'data-locate="business_type"' in html  # the field's row shows it on the scan
    assert 'data-locate="service_number"' not in html  # no box kept: nothing to show


def test_the_reader_keeps_each_value_box_with_the_page_size(login, org_demo, users):
    """A real OCR run: Page.fields carries the box beside the readings records.keyfields reads, and the
    record page draws the flagged business type's box around its value."""
    hall = org_demo["clerk-H11"].role_assignments.get().hall
    page = form_page(form_lines(transaction_no="SC2026110200777", business_type="宽带业务"))
    buffer = io.BytesIO()
    page.save(buffer, "PNG", dpi=(300, 300))
    buffer.seek(0)
    record = intake.ingest(users("clerk-H11"), hall=hall, clerk=users("clerk-H11"), fileobj=buffer, name="form.png",
                           channel=Record.Channel.COMMAND)
    ocr.run(record.pk)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_DONE and record.fields["business_type"]["problem"]
    fields = record.pages.get(number=1).fields
    entry = fields["business_type"]
    assert {"page", "box", "size", "skew"} <= set(entry) and entry["size"] == list(page.size)
    left, top, right, bottom = entry["box"]
    assert 0 <= left < right <= page.size[0] and 0 <= top < bottom <= page.size[1]
    # the value's box lies on the line that says 业务类型 (the third line of the form, tests/scans.py)
    line_top = int(300 * 0.8) + 2 * int(300 * 0.35)
    assert top - 40 <= line_top <= bottom
    assert keyfields.extract_fields([fields], "")["business_type"].value == "宽带业务"  # readers unchanged
    html = inspect(login("clerk-H11"), record)
    assert re.search(r'class="records-box records-box--flagged" data-field="business_type"', html)


# --- next file to check, and the list's filter ---------------------------------------------------------

def _files(make_record):
    flag = {"business_type": {"value": "宽带业务", "confidence": 0.9, "problem": FLAG}}
    ok = {"business_type": {"value": "过户", "confidence": 0.99, "problem": None}}
    newest = make_record("H11", business_date=datetime.date(2026, 11, 3), fields=flag, status="ocr_done")
    clean = make_record("H11", business_date=datetime.date(2026, 11, 2), fields=ok, status="ocr_done")
    same_day = make_record("H11", business_date=datetime.date(2026, 11, 2), fields=flag, status="ocr_done")
    older = make_record("H11", business_date=datetime.date(2026, 11, 1), fields=flag, status="ocr_done")
    other_hall = make_record("H12", business_date=datetime.date(2026, 11, 2), fields=flag, status="ocr_done")
    return newest, clean, same_day, older, other_hall


def _next(client, record):
    found = re.search(r'id="records-next-flagged" href="([^"]+)"', inspect(client, record))
    return found[1] if found else None


def test_next_file_to_check_follows_the_list_and_stays_in_scope(login, make_record):
    newest, clean, same_day, older, other_hall = _files(make_record)
    client = login("clerk-H11")
    url = lambda r: reverse("record:inspect", args=[r.pk])  # noqa: E731
    assert _next(client, newest) == url(same_day)
    assert _next(client, clean) == url(older)  # from a clean file: the next flagged one below it
    assert _next(client, same_day) == url(older)
    assert _next(client, older) == url(newest)  # after the last one, the first again
    assert _next(login("clerk-H12"), other_hall) is None  # the only one in that hall
    assert "没有其他待核对的资料" in inspect(login("clerk-H12"), other_hall)


def test_the_list_filters_files_to_check_in_the_query(login, make_record):
    newest, clean, same_day, older, other_hall = _files(make_record)
    corrected = make_record("H11", fields={"business_type": {"value": "过户", "confidence": 1.0, "problem": None,
                                                            "corrected_by": "clerk-H11"}})
    assert set(Record.objects.filter(flagged_q())) == {newest, same_day, older, other_hall}
    html = login("clerk-H11").get(reverse("record:index"), {"to_check": "1"}).content.decode()
    shown = {r for r in (newest, clean, same_day, older, other_hall, corrected) if r.transaction_no in html}
    assert shown == {newest, same_day, older}
    assert "只看待核对的资料" in html
    everything = login("clerk-H11").get(reverse("record:index")).content.decode()
    assert clean.transaction_no in everything and corrected.transaction_no in everything


def test_the_flag_filter_knows_every_key_field():
    assert KEY_FIELDS == tuple(keyfields.LABELS)


# --- the access copy's name ------------------------------------------------------------------------------

def _download_name(response):
    disposition = response["Content-Disposition"]
    return unquote(disposition.split("filename*=utf-8''", 1)[1]) if "filename*" in disposition else disposition


def test_the_access_copy_is_downloaded_as_transaction_number_and_business_type(login, flagged):
    client = login("clerk-H11")
    Record.objects.filter(pk=flagged.pk).update(business_type="过户", customer_name="张三")
    response = client.get(reverse("records_admin:access_copy", args=[flagged.pk]))
    name = _download_name(response)
    b"".join(response.streaming_content)
    assert name == "SC2026110200123_过户.pdf"
    assert "张三" not in response["Content-Disposition"] and ID not in response["Content-Disposition"]
    assert "SC2026110200123_过户.pdf" in inspect(client, Record.objects.get(pk=flagged.pk))
    # unread parts are left out; odd characters never reach the name
    Record.objects.filter(pk=flagged.pk).update(business_type="", transaction_no=None)
    response = client.get(reverse("records_admin:access_copy", args=[flagged.pk]))
    b"".join(response.streaming_content)
    assert _download_name(response) == f"客户资料{flagged.pk}.pdf"
    Record.objects.filter(pk=flagged.pk).update(business_type='../"过户\n', transaction_no="SC/2026")
    response = client.get(reverse("records_admin:access_copy", args=[flagged.pk]))
    b"".join(response.streaming_content)
    assert _download_name(response) == "SC2026_过户.pdf"


# --- what the page says about the file -------------------------------------------------------------------

def _field_row(html, name):
    return html.split(f'data-field="{name}">', 1)[1].split("</tr>", 1)[0]


def test_unread_fields_say_so_never_none_or_the_day_of_intake(login, make_record):
    today = datetime.date.today()
    record = make_record("H11", status=Record.Status.OCR_DONE, transaction_no=None, business_date=today,
                         business_type="", customer_name="", service_number="", id_number="",
                         channel=Record.Channel.ADMIN, fields={
                             "transaction_no": {"value": "", "confidence": 0.0, "problem": "标签旁未识别到内容"},
                             "business_date": {"value": "", "confidence": 0.0, "problem": "未找到日期"},
                         })
    html = inspect(login("clerk-H11"), record)
    for name in KEY_FIELDS:
        row = _field_row(html, name)
        assert "未识别" in row and "None" not in row, (name, row)
        assert today.isoformat() not in row and f"{today.year}年{today.month}月{today.day}日" not in row, row
    assert "未找到日期" in _field_row(html, "business_date")
    assert ">None<" not in html.split('class="records-review"', 1)[1]
    # received by upload, not read yet: the date is the day of intake, not the file's
    waiting = make_record("H11", status=Record.Status.OCR_QUEUED, business_date=today, channel=Record.Channel.ADMIN)
    row = _field_row(inspect(login("clerk-H11"), waiting), "business_date")
    assert "未识别" in row and "尚未识别" in row and today.isoformat() not in row
    typed = make_record("H11", status=Record.Status.OCR_DONE)  # entered by hand: the columns
    html = inspect(login("clerk-H11"), typed)
    assert "张三" in _field_row(html, "customer_name") and "2026-11-02" in _field_row(html, "business_date")


def test_the_volume_and_holder_are_shown(login, make_record, users):
    files = make_day(make_record, "H11", day(2), ["general"])
    html = inspect(login("clerk-H11"), files[0])
    assert "尚未装订成卷" in html.split('id="records-volume"', 1)[1].split("</dd>", 1)[0]
    from archive.binding import Bind

    to_keeper(users, "H11", day(2))
    Bind(users("keeper-H11"), Record.objects.filter(pk=files[0].pk)).run()
    record = Record.objects.get(pk=files[0].pk)
    volume = record.volume_item.volume
    keeper = login("keeper-H11")
    html = inspect(keeper, record)
    cell = html.split('id="records-volume"', 1)[1].split("</dd>", 1)[0]
    assert volume.number in cell and reverse("archive_admin:volume", args=[volume.pk]) in cell and "第 1 份" in cell
    holder = html.split('id="records-holder"', 1)[1].split("</dd>", 1)[0]
    assert (users("keeper-H11").get_full_name() or "keeper-H11") in holder
    clerk_view = inspect(login("clerk-H11"), record)  # a clerk may not open the chain's volume page
    cell = clerk_view.split('id="records-volume"', 1)[1].split("</dd>", 1)[0]
    assert volume.number in cell and "/admin/archive/" not in cell


def test_icons_are_sized_as_text(login, flagged):
    html = inspect(login("clerk-H11"), flagged)
    main = html.split('class="records-review"', 1)[1]
    icons = re.findall(r'<svg class="([^"]*)"', main)
    assert icons and all("records-icon" in c for c in icons), icons
