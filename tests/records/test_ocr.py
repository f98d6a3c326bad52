"""OCR on real Tesseract (chi_sim+eng) with generated 300 dpi scans: key fields, page checks, the
searchable access copy, failures that say why, and a worker killed in the middle that resumes."""
import hashlib
import io
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from org.models import AuditEvent, Hall
from records import intake, ocr, transitions
from records.models import Page, Record, StoredObject
from records.storage import customer_files
from tests.scans import form_lines, form_page, save_pdf, text_page

ROOT = Path(__file__).resolve().parent.parent.parent


def _ingest(users, data, name, hall="H11"):
    clerk = users(f"clerk-{hall}")
    return intake.ingest(clerk, hall=Hall.objects.get(code=hall), clerk=clerk, fileobj=io.BytesIO(data), name=name,
                         channel=Record.Channel.COMMAND)


def _png(image):
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=image.info.get("dpi", (300, 300)))
    return buffer.getvalue()


def test_skewed_noisy_scan_gives_validated_fields(org_demo, users):
    lines = form_lines(transaction_no="SC2026110500777", business_type="过户", name="李小红",
                       phone="13912345678", id_number="11010519491231002X", date="2026年11月05日 09:12")
    record = _ingest(users, _png(form_page(lines, skew=2.2, noise=0.02, seed=7)), "guohu.png")
    result = ocr.run(record.pk)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_DONE, record.ocr_error
    assert result == {"pages": 1, "flagged": []}, (record.fields, record.pages.get().fields)
    assert record.transaction_no == "SC2026110500777"
    assert record.service_number == "13912345678"
    assert record.id_number == "11010519491231002X"
    assert record.business_date.isoformat() == "2026-11-05"
    assert record.business_type == "过户" and record.category == "ownership"
    assert record.customer_name == "李小红"
    assert record.fields["id_number"]["value"] == "1101**********002X"  # never stored in clear
    assert all(0.75 <= f["confidence"] <= 1 for f in record.fields.values()), record.fields  # the threshold
    page = record.pages.get()
    assert page.dpi == 300 and abs(page.skew - 2.2) <= 0.5 and page.confidence > 70
    assert "受理编号" in page.text
    # the access copy shows the page straightened: image and text layer turned back by the measured skew
    with record.access_copy.open("rb") as fh:
        data = fh.read()
    content = PdfReader(io.BytesIO(data), strict=True).pages[0].get_contents().get_data()
    a, b = (float(v) for v in content.split(b" cm", 1)[0].split()[1:3])
    assert content.startswith(b"q ") and math.degrees(math.atan2(b, a)) == pytest.approx(-page.skew, abs=0.01)
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "SC2026110500777" in text.replace(" ", "")


def test_access_copy_is_a_searchable_pdf_and_master_untouched(org_demo, users, tmp_path):
    pdf = save_pdf(tmp_path / "two.pdf", [form_page(form_lines(), seed=3), text_page(seed=4, lines=8)])
    record = _ingest(users, pdf.read_bytes(), "two.pdf")
    ocr.run(record.pk)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_DONE and record.page_count == 2
    with record.access_copy.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    assert len(reader.pages) == 2
    assert "受理编号" in reader.pages[0].extract_text().replace(" ", "")  # the invisible text layer
    with record.scans.get().master.open("rb") as fh:
        assert fh.read() == pdf.read_bytes()
    assert list(record.pages.values_list("number", flat=True)) == [1, 2]
    assert not customer_files().exists(ocr._piece_name(record, 1))
    # the access copy's fixity value is recorded with the row that points at it (records/fixity.py)
    stored = StoredObject.objects.get(kind="access", record=record)
    with record.access_copy.open("rb") as fh:
        assert (stored.key, stored.sha256) == (record.access_copy.name, hashlib.sha256(fh.read()).hexdigest())


def test_flagged_field_is_kept_and_named(org_demo, users):
    lines = form_lines(transaction_no="SC2026110500888", id_number="110105194912310021")  # wrong check digit
    record = _ingest(users, _png(form_page(lines, seed=9)), "bad-id.png")
    ocr.run(record.pk)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_DONE
    assert record.fields["id_number"]["problem"] == "证件号码校验位错误"
    assert record.id_number == ""  # a failing value is not copied into the record...
    assert "id_number" in record.flagged_fields  # ...but flagged for a person to correct
    fixed = transitions.correct_field(users("l1-H11"), record, "id_number", "11010519491231002X")
    assert fixed.id_number == "11010519491231002X" and fixed.fields["id_number"]["corrected_by"] == "l1-H11"
    event = AuditEvent.objects.filter(action="record.correct_field").latest("seq")
    assert event.details == {"field": "id_number", "old": "", "new": "1101**********002X"}


def test_blank_page_is_flagged(org_demo, users, tmp_path):
    from tests.scans import blank_page

    pdf = save_pdf(tmp_path / "b.pdf", [form_page(form_lines(transaction_no="SC2026110500999"), seed=2),
                                        blank_page()])
    record = _ingest(users, pdf.read_bytes(), "b.pdf")
    ocr.run(record.pk)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_DONE, record.ocr_error
    assert Page.objects.get(record=record, number=2).warnings == ["空白页"]


def test_low_resolution_fails_with_reason_and_can_be_retried(org_demo, users):
    record = _ingest(users, _png(form_page(form_lines(), dpi=150, seed=5)), "low.png")
    ocr.run(record.pk)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_FAILED
    assert "150 dpi" in record.ocr_error and "200 dpi" in record.ocr_error
    assert record.ocr_error.startswith("请重新扫描第 1 页")  # the page to rescan is named
    assert list(record.pages.values_list("number", "text")) == [(1, "")]  # kept, with its problem
    assert not customer_files().exists(ocr._piece_name(record, 1))
    transitions.retry_ocr(users("clerk-H11"), record)
    record.refresh_from_db()
    assert record.status == Record.Status.OCR_QUEUED
    assert AuditEvent.objects.filter(action="record.ocr_retry", object_id=str(record.pk)).exists()


def _sql(db, query, *args):
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(query, args).fetchall()


def test_killed_worker_resumes_without_duplicates_or_orphans(tmp_path, migrated_var):
    """A real worker process is killed (SIGKILL) after two pages; the next worker finishes the file.
    It runs its own embedded-default project in a temporary folder, so it runs once, in the SQLite pass."""
    from tests.conftest import on_postgres

    if on_postgres():
        pytest.skip("database-independent; runs in the SQLite pass")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL"))}
    env.update(APP_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.dev")

    def manage(*args, **kw):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600, **kw)

    migrated_var(tmp_path, demo=True)
    pages = [text_page(seed=n, lines=30) for n in range(8)]
    pdf = save_pdf(tmp_path / "agreement.pdf", pages)
    out = manage("ingest", str(pdf), "--hall", "H11", "--clerk", "clerk-H11")
    assert out.returncode == 0, out.stderr
    record_id = int(out.stdout.split()[0])
    db = tmp_path / "db.sqlite3"
    worker = subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            done = _sql(db, "SELECT COUNT(*) FROM records_page WHERE record_id = ?", record_id)[0][0]
            if done >= 2:
                break
            time.sleep(0.1)
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its Tesseract children
        worker.wait()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    status, = _sql(db, "SELECT status FROM records_record WHERE id = ?", record_id)[0]
    done = _sql(db, "SELECT COUNT(*) FROM records_page WHERE record_id = ?", record_id)[0][0]
    assert status == "ocr_running" and 2 <= done < 8, "the worker was not stopped in the middle"

    out = manage("run_worker", "--batch", "--stale-minutes", "0")
    assert out.returncode == 0, out.stderr
    assert f"[{record_id}]" in out.stdout  # re-queued
    status, page_count = _sql(db, "SELECT status, page_count FROM records_record WHERE id = ?", record_id)[0]
    assert (status, page_count) == ("ocr_done", 8)
    numbers = [n for (n,) in _sql(db, "SELECT number FROM records_page WHERE record_id = ? ORDER BY number",
                                  record_id)]
    assert numbers == list(range(1, 9))
    stored = tmp_path / "records"  # customer files: outside the media folder (records/storage.py)
    files = sorted(str(p.relative_to(stored)) for p in stored.rglob("*") if p.is_file())
    assert len(files) == 2 and files[0].startswith("access/H11/") and files[1].startswith("masters/H11/")
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    access = stored / files[0]
    assert len(PdfReader(access).pages) == 8
    attempts = _sql(db, "SELECT COUNT(*) FROM org_auditevent WHERE action = 'record.ocr_start' AND object_id = ?",
                    str(record_id))[0][0]
    assert attempts == 2
    assert not list((tmp_path / "tmp").glob("ocr-*"))  # the killed run's scratch folder was cleared


def test_ingest_wait_shows_progress_until_ocr_ends(tmp_path, migrated_var):
    """`ingest --wait` with a running worker: a progress bar, then each record's outcome."""
    from tests.conftest import on_postgres

    if on_postgres():
        pytest.skip("database-independent; runs in the SQLite pass")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL"))}
    env.update(APP_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.dev")

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600)

    migrated_var(tmp_path, demo=True)
    scan = tmp_path / "form.png"
    form_page(form_lines(transaction_no="SC2026110500555"), seed=4).save(scan, dpi=(300, 300))
    worker = subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        out = manage("ingest", str(scan), "--hall", "H11", "--clerk", "clerk-H11", "--wait")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert out.returncode == 0, out.stderr
    assert "OCR [" in out.stdout and "1/1" in out.stdout
    assert out.stdout.strip().splitlines()[-1].split("\t")[1] in ("OCR done", "已识别")
