"""The orphan sweep (records/orphans.py) on local storage and on the real S3 server: objects stored the way
a crash leaves them (through the same storage code, no row) are removed once older than the grace period;
referenced, fresh and busy objects, and anything outside the customer folders, are never touched."""
import io
import json
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

from config import periodic
from org.auditlog_models import AuditEvent
from org.models import Hall
from records import intake, orphans
from records.management.commands import run_worker
from records.models import Page, Record, ReportImport, Scan
from records.storage import customer_files, piece_name
from tests.conftest import s3_env

HOURS = 3600


def _use_records_storage(settings, monkeypatch, backend):
    """The customer storage of a process started with these settings: the fields keep the storage they were
    built with, so they get the new one too."""
    settings.STORAGES = {**settings.STORAGES, "records": backend}
    for model, name in orphans.references():
        if name != "piece":
            monkeypatch.setattr(model._meta.get_field(name), "storage", customer_files())


@pytest.fixture(autouse=True)
def own_records_folder(settings, monkeypatch, tmp_path):
    """Each test sweeps a storage of its own (other tests leave files whose rows were rolled back)."""
    _use_records_storage(settings, monkeypatch, {"BACKEND": "records.storage.PrivateFileSystemStorage",
                                                 "OPTIONS": {"location": tmp_path / "records"}})


def _access_orphan(record_pk, body=b"%PDF-1.4 access"):
    """What OCR's last step stores before the row is saved (records.ocr._assemble)."""
    field = Record._meta.get_field("access_copy")
    return customer_files().save(field.generate_filename(None, f"H11/{record_pk}.pdf"), ContentFile(body))


def _master_orphan(data):
    """What intake stores before the record's transaction (records.intake._upload_master)."""
    staged = intake.stage(io.BytesIO(data), "scan.pdf")
    staged.kind = "pdf"
    try:
        return intake._upload_master(Hall.objects.get(code="H11"), staged)
    finally:
        staged.discard()


def _report_orphan():
    field = ReportImport._meta.get_field("upload")
    return customer_files().save(field.generate_filename(None, "report.csv"), ContentFile(b"a,b\n"))


def _backdate(name, hours):
    path = customer_files().path(name)
    past = time.time() - hours * HOURS
    os.utime(path, (past, past))


def _events():
    return list(AuditEvent.objects.filter(action=orphans.EVENT_REMOVED).order_by("seq"))


def test_local_sweep_removes_orphans_after_the_grace_period_only(make_record, settings):
    settings.RECORDS_ORPHAN_GRACE_SECONDS = 6 * HOURS
    store = customer_files()
    kept = make_record("H11")
    kept.access_copy = _access_orphan(kept.pk, b"%PDF-1.4 kept")
    kept.save()
    scan = Scan.objects.create(record=kept, master=_master_orphan(b"%PDF-1.4 kept master"), original_name="a.pdf",
                               kind="pdf", size=1, sha256="1" * 64, page_count=1)
    done = make_record("H11", status=Record.Status.RECEIVED)
    busy = make_record("H11", status=Record.Status.OCR_RUNNING)
    busy_piece = store.save(piece_name(busy.pk, 1), ContentFile(b"piece"))
    stray_piece = store.save(piece_name(done.pk, 1), ContentFile(b"piece"))
    page_piece = store.save(piece_name(done.pk, 2), ContentFile(b"piece"))
    Page.objects.create(record=done, number=2, piece=page_piece)
    orphans_ = [_access_orphan(done.pk), _master_orphan(b"%PDF-1.4 lost master"), _report_orphan(), stray_piece]
    referenced = [kept.access_copy.name, scan.master.name, busy_piece, page_piece]
    outside = Path(store.location) / "elsewhere" / "file.bin"  # not a customer folder: never looked at
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes(b"x")

    first = orphans.sweep()  # everything is fresh: an upload in progress is never swept
    assert first.removed == [] and first.fresh >= 8 and _events() == []

    for name in orphans_ + referenced:
        _backdate(name, 7)
    os.utime(outside, (time.time() - 7 * HOURS,) * 2)
    fresh = _access_orphan(done.pk, b"%PDF-1.4 just stored")

    dry = orphans.sweep(dry_run=True, page_size=2)
    assert sorted(dry.removed) == sorted(orphans_) and all(store.exists(n) for n in orphans_) and _events() == []

    result = orphans.sweep(page_size=2)  # several listing pages per folder
    assert sorted(result.removed) == sorted(orphans_)
    assert not any(store.exists(n) for n in orphans_)
    assert not any(Path(store.path(n)).parent.exists() for n in orphans_[:3])  # their random folders too
    assert all(store.exists(n) for n in referenced + [fresh]) and outside.exists()
    assert result.referenced == len(referenced)
    (event,) = _events()
    assert event.details["count"] == 4 and sorted(event.details["names"]) == sorted(orphans_)
    assert event.actor_name == "worker"
    assert orphans.sweep().removed == [] and len(_events()) == 1  # nothing left, no further event


def test_every_column_naming_a_customer_file_is_consulted():
    found = {(model.__name__, name) for model, name in orphans.references()}
    assert {("Scan", "master"), ("Record", "access_copy"), ("ReportImport", "upload"), ("Page", "piece")} <= found


def test_a_grace_period_below_an_hour_is_refused(tmp_path):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(RECORDS_ORPHAN_GRACE_SECONDS="60", APP_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.dev")
    result = subprocess.run([sys.executable, "manage.py", "sweep_orphans", "--dry-run"], check=False, env=env,
                            capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode != 0 and "RECORDS_ORPHAN_GRACE_SECONDS" in result.stderr


def test_a_piece_written_again_after_it_was_listed_is_kept(make_record):
    done = make_record("H11")
    name = customer_files().save(piece_name(done.pk, 1), ContentFile(b"old"))
    _backdate(name, 7)
    limit = timezone.now() - timedelta(hours=6)
    customer_files().delete(name)
    customer_files().save(name, ContentFile(b"new"))  # a resumed worker stored the page again
    assert orphans._remove(customer_files(), name, limit) is False and customer_files().exists(name)


def test_the_command_and_the_worker_run_the_sweep(make_record, monkeypatch, capsys):
    record = make_record("H11")
    first, second = _access_orphan(record.pk), _access_orphan(record.pk)
    _backdate(first, 7)
    call_command("sweep_orphans", "--dry-run", "--json")
    answer = json.loads(capsys.readouterr().out)
    assert answer["names"] == [first] and answer["dry_run"] and customer_files().exists(first)
    call_command("sweep_orphans")
    out = capsys.readouterr().out
    assert first in out and "已删除 1 个" in out and not customer_files().exists(first)

    _backdate(second, 7)
    monkeypatch.setattr(periodic, "JOBS", {})
    monkeypatch.setattr(periodic, "release_connections", lambda: None)  # keep the test's connection
    run_worker.Command()._start_jobs({"stale_minutes": None, "batch": True})
    assert "records.sweep_orphans" in periodic.JOBS
    assert not customer_files().exists(second)
    assert [e.actor_name for e in _events()] == ["manage.py sweep_orphans", "worker"]


@pytest.fixture
def s3_records(settings, monkeypatch, own_records_folder):
    """The customer storage on the real S3 server, under a folder of its own in the shared test bucket."""
    env = s3_env()
    location = f"orphan-tests/{uuid.uuid4().hex}"
    _use_records_storage(settings, monkeypatch, {"BACKEND": "records.storage.PrivateS3Storage", "OPTIONS": {
        "bucket_name": env["AWS_STORAGE_BUCKET_NAME"], "endpoint_url": env["AWS_S3_ENDPOINT_URL"],
        "access_key": env["AWS_ACCESS_KEY_ID"], "secret_key": env["AWS_SECRET_ACCESS_KEY"],
        "region_name": env["AWS_S3_REGION_NAME"], "addressing_style": "path", "signature_version": "s3v4",
        "default_acl": None, "file_overwrite": False, "location": location}})
    client = boto3.client("s3", endpoint_url=env["AWS_S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_S3_REGION_NAME"])

    def keys():
        found = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=env["AWS_STORAGE_BUCKET_NAME"],
                                                                      Prefix=location + "/"):
            found += [item["Key"][len(location) + 1:] for item in page.get("Contents", [])]
        return found

    yield keys
    for name in keys():
        client.delete_object(Bucket=env["AWS_STORAGE_BUCKET_NAME"], Key=f"{location}/{name}")


def test_s3_sweep_removes_orphans_after_the_grace_period_only(make_record, s3_records, settings):
    settings.RECORDS_ORPHAN_GRACE_SECONDS = 6 * HOURS
    store = customer_files()
    assert type(store).__name__ == "PrivateS3Storage" and store is not storages["default"]
    kept = make_record("H11")
    kept.access_copy = _access_orphan(kept.pk, b"%PDF-1.4 kept")
    kept.save()
    master = _master_orphan(b"%PDF-1.4 kept master")
    Scan.objects.create(record=kept, master=master, original_name="a.pdf", kind="pdf", size=1, sha256="2" * 64,
                        page_count=1)
    busy = make_record("H11", status=Record.Status.OCR_QUEUED)
    busy_piece = store.save(piece_name(busy.pk, 1), ContentFile(b"piece"))
    lost = [_access_orphan(kept.pk) for _ in range(4)] + [_report_orphan(), store.save(piece_name(kept.pk, 3),
                                                                                     ContentFile(b"piece"))]
    referenced = [kept.access_copy.name, master, busy_piece]
    assert sorted(s3_records()) == sorted(lost + referenced)

    assert orphans.sweep().removed == []  # all fresh
    assert sorted(s3_records()) == sorted(lost + referenced)

    later = timezone.now() + timedelta(hours=7)  # the grace period has passed
    dry = orphans.sweep(dry_run=True, now=later, page_size=2)
    assert sorted(dry.removed) == sorted(lost) and sorted(s3_records()) == sorted(lost + referenced)
    result = orphans.sweep(now=later, page_size=2)  # the four access copies span two listing pages
    assert sorted(result.removed) == sorted(lost) and result.referenced == 3
    assert sorted(s3_records()) == sorted(referenced)  # the bucket listing: the orphans are gone
    (event,) = _events()
    assert event.details["count"] == len(lost)
