"""Hostile and odd files (tests/hostile_files.py, generated) through all four intake channels: the upload
screen, the REST API, `manage.py ingest` and the watched folder. Each file is a record or refused with a
clear Chinese reason; never a 500, a traceback, a library's English words or a server path. OCR of the
accepted odd files runs on real Tesseract."""
import io
import re

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from org.models import Hall
from records import intake, ocr
from records.models import Page, Record, Scan
from records.watch import Watcher
from tests import hostile_files

CORPUS = hostile_files.corpus()
ACCEPTED = sorted(h.name for h in CORPUS if h.accept)
REFUSED = sorted(h.name for h in CORPUS if not h.accept)
CJK = re.compile(r"[\u4e00-\u9fff]")
LEAKS = ("Traceback", "Error", "/tmp", "/work", "/var", "intake-", "cannot identify", "truncated", "decoder")


def _clear(message, name=None):
    """A refusal people can act on: Chinese, naming the file, with no library text or server path."""
    assert CJK.search(message), message
    if name:
        assert name in message, message
    rest = message.replace(name or "", "")  # the file's own name may say "truncated"
    assert not any(leak in rest for leak in LEAKS + (str(django_settings.VAR_DIR),)), message


def _accounted(names):
    """Every accepted file became exactly one record; every refused one left nothing behind."""
    originals = sorted(Scan.objects.values_list("original_name", flat=True))
    assert originals == sorted(names), originals
    assert Record.objects.count() == len(names)


# --- the channels ----------------------------------------------------------------------------------

def test_upload_screen(login, users):
    client = login("clerk-H11")
    hall, clerk = Hall.objects.get(code="H11").pk, users("clerk-H11").pk
    for item in CORPUS:
        response = client.post(reverse("records_admin:upload_file"), {
            "hall": hall, "clerk": clerk, "file": SimpleUploadedFile(item.name, item.data)},
            HTTP_ACCEPT_LANGUAGE="zh-hans")
        body = response.json()
        if item.accept:
            assert response.status_code == 201, (item.name, body)
        else:
            assert response.status_code == 400, (item.name, body)
            _clear(body["error"], item.name)
    _accounted(ACCEPTED)


def test_rest_api(login):
    client = login("clerk-H11")
    for item in CORPUS:
        response = client.post("/api/records/", {"file": SimpleUploadedFile(item.name, item.data), "hall": "H11",
                                                  "clerk": "clerk-H11"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if item.accept:
            assert response.status_code == 201, (item.name, response.content)
        else:
            assert response.status_code == 400, (item.name, response.content)
            _clear(response.json()["error"], item.name)
    _accounted(ACCEPTED)


def test_rest_api_batch_split(login):
    """The batch endpoint (separator split) rasterises pages: odd files are refused there too, never 500."""
    client = login("clerk-H11")
    for item in CORPUS:
        response = client.post("/api/records/batch/", {"file": SimpleUploadedFile(item.name, item.data),
                                                        "hall": "H11", "clerk": "clerk-H11"},
                               HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == (201 if item.accept else 400), (item.name, response.content)
        if not item.accept:
            _clear(response.json()["error"], item.name)
    _accounted(ACCEPTED)


def test_ingest_command_goes_on_past_bad_files(org_demo, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for item in CORPUS:
        (folder / item.name).write_bytes(item.data)
    out, err = io.StringIO(), io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError, match=f"{len(REFUSED)} 个文件未接收"):
        call_command("ingest", str(folder), "--hall", "H11", "--clerk", "clerk-H11", stdout=out, stderr=err)
    assert f"已接收 {len(ACCEPTED)} 份，未接收 {len(REFUSED)} 个" in err.getvalue()
    assert len(out.getvalue().splitlines()) == len(ACCEPTED)  # one "id<TAB>path<TAB>pages" line per record
    lines = [line for line in err.getvalue().splitlines() if line.startswith("未接收")]
    assert len(lines) == len(REFUSED)
    for name, line in zip(REFUSED, sorted(lines)):
        assert line.startswith(f"未接收 {folder / name}: ")
        _clear(line.split(": ", 1)[1], name)
    _accounted(ACCEPTED)


def test_watched_folder_moves_every_file(org_demo, tmp_path, settings):
    settings.INTAKE_DIR = tmp_path / "intake"
    clerk_dir = settings.INTAKE_DIR / "H11" / "clerk-H11"
    clerk_dir.mkdir(parents=True)
    for item in CORPUS:
        (clerk_dir / item.name).write_bytes(item.data)
    out, err = io.StringIO(), io.StringIO()
    call_command("watch_intake", "--once", "--stable", "0", stdout=out, stderr=err)
    assert "出错" not in err.getvalue(), err.getvalue()  # nothing left to retry
    assert not [p for p in clerk_dir.iterdir() if p.is_file()]  # every file taken or refused
    assert sorted(p.name for p in (clerk_dir / "done").iterdir()) == ACCEPTED
    for name in REFUSED:
        assert (clerk_dir / "failed" / name).read_bytes() == next(h.data for h in CORPUS if h.name == name)
        _clear((clerk_dir / "failed" / f"{name}.reason.txt").read_text(encoding="utf-8"), name)
    _accounted(ACCEPTED)


def test_watched_folder_gives_up_on_a_file_after_repeated_system_errors(org_demo, tmp_path, settings):
    """A fault that is not the file's (here the scratch folder cannot be created) is retried on later
    passes, then the file goes to failed/ with a reason instead of being tried forever."""
    settings.INTAKE_DIR = tmp_path / "intake"
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    (settings.VAR_DIR / "tmp").write_text("a file where the scratch folder should be")
    clerk_dir = settings.INTAKE_DIR / "H11" / "clerk-H11"
    clerk_dir.mkdir(parents=True)
    (clerk_dir / "good.png").write_bytes(hostile_files.by_name()["good.png"].data)
    clock, errors, lines = [0.0], [], []
    watcher = Watcher(settings.INTAKE_DIR, stable=0, log=lines.append, log_error=errors.append,
                      clock=lambda: clock[0], give_up=600)
    assert watcher.run_once() == (0, 0) and errors and (clerk_dir / "good.png").exists()
    clock[0] = 300
    watcher.run_once()
    assert (clerk_dir / "good.png").exists()  # still within the retry time
    clock[0] = 601
    watcher.run_once()
    assert not (clerk_dir / "good.png").exists() and (clerk_dir / "failed" / "good.png").exists()
    reason = (clerk_dir / "failed" / "good.png.reason.txt").read_text(encoding="utf-8")
    assert "系统错误" in reason and "10 分钟" in reason and str(tmp_path) not in reason
    assert Record.objects.count() == 0


# --- intake itself ---------------------------------------------------------------------------------

def test_every_refusal_is_an_intake_error_and_decodes_pixels(org_demo, users):
    clerk = users("clerk-H11")
    for name in REFUSED:
        item = hostile_files.by_name()[name]
        with translation.override("zh-hans"), pytest.raises(intake.IntakeError) as err:
            intake.ingest(clerk, hall=Hall.objects.get(code="H11"), clerk=clerk, fileobj=io.BytesIO(item.data),
                          name=name, channel=Record.Channel.COMMAND)
        _clear(err.value.message, name)
    assert Record.objects.count() == 0 and not list(intake.tmp_dir().glob("intake-*"))


def test_a_damaged_image_inside_a_pdf_is_refused_naming_its_page(org_demo, users):
    clerk = users("clerk-H11")
    for item in (h for h in CORPUS if h.page):
        with translation.override("zh-hans"), pytest.raises(intake.IntakeError) as err:
            intake.ingest(clerk, hall=Hall.objects.get(code="H11"), clerk=clerk, fileobj=io.BytesIO(item.data),
                          name=item.name, channel=Record.Channel.COMMAND)
        assert f"第 {item.page} 页" in err.value.message, (item.name, err.value.message)
    assert Record.objects.count() == 0


def test_bigtiff_is_a_tiff(org_demo, users):
    clerk = users("clerk-H11")
    record = intake.ingest(clerk, hall=Hall.objects.get(code="H11"), clerk=clerk, channel=Record.Channel.COMMAND,
                           fileobj=io.BytesIO(hostile_files.bigtiff()), name="big.tif")
    assert record.scans.get().kind == "tiff" and record.page_count == 1


# --- OCR of the odd files that are accepted (real Tesseract) --------------------------------------

def _ingest_and_read(users, name):
    clerk = users("clerk-H11")
    record = intake.ingest(clerk, hall=Hall.objects.get(code="H11"), clerk=clerk, channel=Record.Channel.COMMAND,
                           fileobj=io.BytesIO(hostile_files.by_name()[name].data), name=name)
    ocr.run(record.pk)
    record.refresh_from_db()
    return record


def test_tiff_without_resolution_is_read_as_300_dpi_with_a_warning(org_demo, users):
    record = _ingest_and_read(users, "no-dpi.tif")
    assert record.status == Record.Status.OCR_DONE, record.ocr_error
    page = record.pages.get()
    assert page.dpi is None and page.problems == [] and "扫描件未记录分辨率，按 300 dpi 处理" in page.warnings
    assert "受理编号" in page.text


def test_bigtiff_and_thin_strip_are_read(org_demo, users):
    record = _ingest_and_read(users, "big.tif")
    assert record.status == Record.Status.OCR_DONE, record.ocr_error
    assert "受理编号" in record.pages.get().text
    record = _ingest_and_read(users, "strip.png")  # 256 × 10 px: the speckle check used to crash
    assert record.status == Record.Status.OCR_DONE, record.ocr_error
    assert record.pages.get().dpi == 300


def test_low_resolution_page_keeps_the_others_and_is_named(org_demo, users):
    record = _ingest_and_read(users, "low-page.pdf")
    assert record.status == Record.Status.OCR_FAILED
    assert record.ocr_error.startswith("请重新扫描第 2 页："), record.ocr_error
    assert "72 dpi" in record.ocr_error and "其余 2 页已识别并保留" in record.ocr_error
    pages = {p.number: p for p in Page.objects.filter(record=record)}
    assert sorted(pages) == [1, 2, 3]
    assert "受理编号" in pages[1].text and "受理编号" in pages[3].text
    assert pages[2].problems and pages[2].text == ""
    assert record.access_copy  # all three pages, the rejected one as an image


def test_ocr_failure_is_a_sentence_without_a_server_path(org_demo, users):
    """The preservation master went missing from storage: the reason is a sentence, the exception logged."""
    clerk = users("clerk-H11")
    record = intake.ingest(clerk, hall=Hall.objects.get(code="H11"), clerk=clerk, channel=Record.Channel.COMMAND,
                           fileobj=io.BytesIO(hostile_files.by_name()["good.png"].data), name="good.png")
    record.scans.get().master.delete(save=False)
    ocr.run(record.pk)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_FAILED
    assert "系统错误" in record.ocr_error and "日志" in record.ocr_error
    _clear(record.ocr_error)
