"""The persistent Tesseract engine (records/engine.py) on the real libtesseract: it reads a page exactly as
the `tesseract` command does, survives and replaces engines that stopped, never outlives the worker, says
clearly what went wrong, and the OCR falls back to the command where the library cannot be loaded."""
import io
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from org.models import Hall
from records import engine, intake, layout, ocr, pageprep
from records.models import Record
from tests.scans import form_lines, form_page, text_page

CONFIG = (ocr.LANG, ocr.PSM, ocr.RASTER_DPI, [("tessedit_do_invert", "0")])


def _page_tif(tmp_path, image, name="page"):
    path = tmp_path / f"{name}.tif"
    image.convert("L").point([255 if v >= pageprep.INK else 0 for v in range(256)], "1").save(
        path, "TIFF", compression="group4")
    return path


def _gone(pid, seconds=5):
    """The process has ended (a zombie not yet reaped by its parent counts as ended)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] in "ZX":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def pool():
    pool = engine.Pool(*CONFIG)
    yield pool
    pool.close()


def test_engine_reads_a_page_as_the_tesseract_command_does(tmp_path, pool):
    source = _page_tif(tmp_path, form_page(form_lines(transaction_no="SC2026110500321", phone="13912345678"), seed=2))
    answer = pool.read(source, tmp_path / "engine")
    text, confidences, tsv = ocr._tesseract_command(source, tmp_path / "command", 1)
    assert answer["text"] == text
    # the word boxes (the library's TSV has no header line, the command's has one) are the same words
    engine_words, command_words = layout.words_from_tsv(answer["tsv"]), layout.words_from_tsv(tsv)
    assert [(w.text, w.box) for w in engine_words] == [(w.text, w.box) for w in command_words]
    assert any(w.text.endswith("SC2026110500321") for w in engine_words)
    assert "SC2026110500321" in text and "13912345678" in text
    mean = sum(answer["confidences"]) / len(answer["confidences"])
    assert abs(mean - sum(confidences) / len(confidences)) < 2  # integer word confidences vs the TSV's
    engine_pdf, command_pdf = PdfReader(tmp_path / "engine.pdf"), PdfReader(tmp_path / "command.pdf")
    assert len(engine_pdf.pages) == 1 and not engine_pdf.pages[0].images  # the text layer only
    assert engine_pdf.pages[0].mediabox == command_pdf.pages[0].mediabox
    assert "SC2026110500321" in engine_pdf.pages[0].extract_text().replace(" ", "")


def test_models_are_loaded_once_per_engine(tmp_path, pool):
    first = _page_tif(tmp_path, form_page(form_lines(transaction_no="SC2026110500001"), seed=1), "a")
    second = _page_tif(tmp_path, form_page(form_lines(transaction_no="SC2026110500002"), seed=2), "b")
    pool.read(first, tmp_path / "a")
    with pool.borrowed() as lent:
        pid = lent.proc.pid
    assert "SC2026110500002" in pool.read(second, tmp_path / "b")["text"]
    with pool.borrowed() as lent:
        assert lent.proc.pid == pid  # the same process read both pages


def test_bad_page_is_a_clear_error_and_the_engine_goes_on(tmp_path, pool):
    (tmp_path / "broken.tif").write_bytes(b"II*\x00 this is not a TIFF")
    with pytest.raises(engine.EngineError, match="could not open the page image broken.tif"):
        pool.read(tmp_path / "broken.tif", tmp_path / "broken")
    assert not (tmp_path / "broken.pdf").exists()
    source = _page_tif(tmp_path, form_page(form_lines(transaction_no="SC2026110500003"), seed=3))
    assert "SC2026110500003" in pool.read(source, tmp_path / "ok")["text"]


def test_an_engine_killed_in_the_middle_of_a_page_is_replaced(tmp_path, pool):
    source = _page_tif(tmp_path, text_page(seed=5, lines=30))
    with pool.borrowed() as lent:
        victim = lent.proc.pid
    threading.Timer(0.3, os.kill, (victim, signal.SIGKILL)).start()
    answer = pool.read(source, tmp_path / "out")  # the killed engine's page is read again by a new one
    assert answer["text"].strip() and (tmp_path / "out.pdf").exists()
    assert _gone(victim)
    with pool.borrowed() as lent:
        assert lent.proc.pid != victim


def test_idle_engine_exits_and_is_replaced(tmp_path):
    pool = engine.Pool(*CONFIG, idle=0.5)
    try:
        with pool.borrowed() as lent:
            first = lent.proc.pid
        assert _gone(first)  # no work for 0.5 s: it exited and freed its memory
        source = _page_tif(tmp_path, form_page(form_lines(transaction_no="SC2026110500004"), seed=4))
        assert "SC2026110500004" in pool.read(source, tmp_path / "out")["text"]
    finally:
        pool.close()


def test_engine_never_outlives_its_worker(tmp_path):
    """The worker is killed with SIGKILL (no clean-up runs): its engine notices and exits."""
    script = ("import sys; sys.path.insert(0, %r)\n"
              "from records import engine\n"
              "e = engine.Engine('chi_sim+eng', 4, 300)\n"
              "print(e.proc.pid, flush=True)\n"
              "import time; time.sleep(600)\n") % str(engine.__file__.rsplit("/records/", 1)[0])
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        engine_pid = int(worker.stdout.readline())
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        assert _gone(engine_pid), "the engine outlived its worker"
    finally:
        if worker.poll() is None:
            worker.kill()


def test_slow_page_times_out_with_a_message(tmp_path, pool):
    source = _page_tif(tmp_path, text_page(seed=6, lines=30))
    with pool.borrowed() as lent:
        with pytest.raises(engine.EngineError, match="no answer within"):
            lent.read(source, tmp_path / "out", timeout=0.05)
        assert _gone(lent.proc.pid)  # an engine in an unknown state is stopped, not lent again


def test_missing_library_is_reported_and_ocr_uses_the_command(monkeypatch, settings, org_demo, users):
    missing = engine.Pool(*CONFIG, libraries=("libtesseract-missing.so.0", "liblept.so.5"))
    assert not missing.available()
    assert "libtesseract-missing.so.0" in missing.broken
    monkeypatch.setattr(ocr, "ENGINES", missing)
    clerk = users("clerk-H11")
    buffer = io.BytesIO()
    form_page(form_lines(transaction_no="SC2026110500888", phone="13812345678"), seed=8).save(buffer, "PNG",
                                                                                               dpi=(300, 300))
    record = intake.ingest(clerk, hall=Hall.objects.get(code="H11"), clerk=clerk, fileobj=io.BytesIO(buffer.getvalue()),
                           name="fallback.png", channel=Record.Channel.COMMAND)
    ocr.run(record.pk)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_DONE, record.ocr_error
    assert record.transaction_no == "SC2026110500888" and record.service_number == "13812345678"


def test_command_setting_gives_the_same_record(settings, org_demo, users):
    settings.OCR_ENGINE = "command"
    clerk = users("clerk-H11")
    buffer = io.BytesIO()
    form_page(form_lines(transaction_no="SC2026110500999"), seed=9).save(buffer, "PNG", dpi=(300, 300))
    record = intake.ingest(clerk, hall=Hall.objects.get(code="H11"), clerk=clerk, fileobj=io.BytesIO(buffer.getvalue()),
                           name="command.png", channel=Record.Channel.COMMAND)
    ocr.run(record.pk)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_DONE and record.transaction_no == "SC2026110500999", (
        record.fields, record.pages.get().fields)


def test_engine_reads_small_boxes_one_by_one(tmp_path, pool):
    from tests.realforms import _font

    paths = []
    for n, text in enumerate(("李小红", "13912345678")):
        image = Image.new("L", (40 + 50 * len(text), 90), 255)
        ImageDraw.Draw(image).text((20, 15), text, font=_font("sans", 48), fill=0)
        paths.append(tmp_path / f"box{n}.png")
        image.save(paths[-1], dpi=(300, 300))
    answers = pool.cells([{"image": str(p), "lang": "chi_sim", "psm": 7, "whitelist": ""} for p in paths]
                         + [{"image": str(tmp_path / "missing.png"), "lang": "chi_sim", "psm": 7, "whitelist": ""}])
    assert "".join(answers[0]["text"].split()) == "李小红" and answers[1]["text"] == "13912345678"
    assert all(c > 50 for c in answers[0]["confidences"] + answers[1]["confidences"])
    assert answers[2] == {"text": "", "confidences": []}  # an unreadable box reads as empty, the engine goes on
    assert pool.read(_page_tif(tmp_path, form_page(form_lines(), seed=1)), tmp_path / "after")["text"]
