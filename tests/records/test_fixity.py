"""Fixity (records/fixity.py): hashes recorded at intake, `fixity_check` on the real S3 server naming a changed
and a missing master, retries of transient faults, no stall on a hung server, the cycle's slices, and the
DA/T 31 capture metadata read from a TIFF's own tags."""
import datetime
import io
import json
import socket
import threading
import time
import uuid
from io import StringIO

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from PIL import Image

from org.models import AuditEvent, Hall
from records import fixity, intake
from records.models import Record, StoredObject
from records.storage import customer_files
from tests.conftest import s3_env

pytestmark = pytest.mark.django_db


def tiff(seed=1, dpi=(300, 300), tags=None):
    image = Image.new("L", (240, 320), 255)
    image.putpixel((seed % 240, 5), 0)
    buffer = io.BytesIO()
    options = {"compression": "group4"} if image.mode == "1" else {"compression": "tiff_lzw"}
    if dpi:
        options["dpi"] = dpi
    image.save(buffer, "TIFF", tiffinfo=tags or {}, **options)
    return buffer.getvalue()


def ingest(users, data, name, hall="H11"):
    return intake.ingest(users(f"clerk-{hall}"), hall=Hall.objects.get(code=hall), clerk=users(f"clerk-{hall}"),
                         fileobj=io.BytesIO(data), name=name, channel=Record.Channel.COMMAND)


def s3_options(**extra):
    env = s3_env()
    return {"bucket_name": env["AWS_STORAGE_BUCKET_NAME"], "endpoint_url": env["AWS_S3_ENDPOINT_URL"],
            "access_key": env["AWS_ACCESS_KEY_ID"], "secret_key": env["AWS_SECRET_ACCESS_KEY"],
            "region_name": env["AWS_S3_REGION_NAME"], "addressing_style": "path", "signature_version": "s3v4",
            "default_acl": None, "file_overwrite": False, "location": f"fixity-{uuid.uuid4().hex}",
            "client_config": Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 1}),
            **extra}


def use_s3(settings, options, monkeypatch=None):
    """The customer storage on the S3 server; the file fields took theirs when the models were loaded, so
    they are pointed at it too (what a process started with the AWS_* variables has from the start)."""
    settings.STORAGES = {**settings.STORAGES, "records": {"BACKEND": "records.storage.PrivateS3Storage",
                                                          "OPTIONS": options}}
    if monkeypatch is not None:
        from records.models import Scan

        for model, name in ((Scan, "master"), (Record, "access_copy")):
            monkeypatch.setattr(model._meta.get_field(name), "storage", customer_files())


def s3_client():
    env = s3_env()
    return boto3.client("s3", endpoint_url=env["AWS_S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_S3_REGION_NAME"])


def run_check(*args):
    out = StringIO()
    try:
        call_command("fixity_check", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), ""


def test_intake_records_the_masters_hash(org_demo, users):
    record = ingest(users, tiff(), "a.tif")
    scan = record.scans.get()
    stored = StoredObject.objects.get(key=scan.master.name)
    assert (stored.kind, stored.sha256, stored.size, stored.record) == ("master", scan.sha256, scan.size, record)
    code, out, _ = run_check()
    assert code == 0 and "已检查 1 个存储对象：完好 1" in out


def test_fixity_check_names_a_changed_byte_and_a_missing_master_on_s3(org_demo, users, settings, monkeypatch):
    options = s3_options()
    use_s3(settings, options, monkeypatch)
    assert type(customer_files()).__name__ == "PrivateS3Storage"
    changed = ingest(users, tiff(1), "changed.tif").scans.get()
    missing = ingest(users, tiff(2), "missing.tif").scans.get()
    intact = ingest(users, tiff(3), "intact.tif").scans.get()
    client, bucket = s3_client(), options["bucket_name"]
    key = f"{options['location']}/{changed.master.name}"
    body = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0x01  # one byte, one bit
    client.put_object(Bucket=bucket, Key=key, Body=bytes(body))
    client.delete_object(Bucket=bucket, Key=f"{options['location']}/{missing.master.name}")

    code, out, error = run_check()
    assert code == 1 and "2 个问题" in error
    assert f"已变更：保存版 {changed.master.name}" in out and f"缺失：保存版 {missing.master.name}" in out
    assert intact.master.name not in out
    assert "已检查 3 个存储对象：完好 1，已变更 1，缺失 1，无法读取 0" in out
    results = dict(StoredObject.objects.values_list("key", "last_result"))
    assert results == {changed.master.name: "changed", missing.master.name: "missing", intact.master.name: "ok"}
    event = AuditEvent.objects.filter(action="integrity.fixity_problems").get()
    assert {p["key"] for p in event.details["problems"]} == {changed.master.name, missing.master.name}

    code, out, _ = run_check("--json")
    answer = json.loads(out)
    assert code == 1 and answer["ok"] is False and answer["checked"] == 3
    assert {(p["key"], p["result"]) for p in answer["problems"]} == {(changed.master.name, "changed"),
                                                                     (missing.master.name, "missing")}
    for scan in (changed, intact):
        client.delete_object(Bucket=bucket, Key=f"{options['location']}/{scan.master.name}")


def test_a_transient_fault_is_tried_again(org_demo, users, settings, monkeypatch):
    settings.FIXITY_RETRY_PAUSE = 0
    ingest(users, tiff(), "a.tif")
    storage = customer_files()
    real_open, calls = storage.open, []

    def flaky(name, mode="rb"):
        calls.append(name)
        if len(calls) < 3:
            raise EndpointConnectionError(endpoint_url="http://s3")
        return real_open(name, mode)

    monkeypatch.setattr(storage, "open", flaky)
    report = fixity.run(storage=storage)
    assert report.ok and len(calls) == 3
    calls.clear()
    settings.FIXITY_ATTEMPTS = 2
    report = fixity.run(storage=storage)
    assert [p.result for p in report.problems] == ["unreadable"] and "重试" in report.problems[0].detail


def test_a_hung_s3_server_does_not_stall_the_check(org_demo, users, settings):
    settings.FIXITY_RETRY_PAUSE = 0
    settings.FIXITY_ATTEMPTS = 2
    record = ingest(users, tiff(), "a.tif")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    stop = threading.Event()

    def accept():  # accepts and never answers
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        use_s3(settings, s3_options(endpoint_url=f"http://127.0.0.1:{listener.getsockname()[1]}",
                                    client_config=Config(connect_timeout=1, read_timeout=1,
                                                         retries={"total_max_attempts": 1})))
        started = time.monotonic()
        report = fixity.run()
        assert time.monotonic() - started < 20
        assert [(p.key, p.result) for p in report.problems] == [(record.scans.get().master.name, "unreadable")]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


def test_each_run_reads_a_slice_and_the_cycle_covers_every_object(db):
    storage = customer_files()
    for n in range(10):
        name = storage.save(f"masters/t/{n}.bin", ContentFile(b"x" * n))
        digest, size = fixity.file_digest(io.BytesIO(b"x" * n))
        fixity.register(name, StoredObject.Kind.MASTER, digest, size)
    now = timezone.now()
    seen = set()
    # a cycle of 1 day checked every 8 hours: 3 runs, each a third (4 of 10, rounded up)
    for run in range(3):
        slice_ = fixity.due(now=now, cycle_days=1, run_seconds=8 * 3600)
        assert len(slice_) == 4
        seen |= {o.key for o in slice_}
        fixity.run(slice_)
        now += datetime.timedelta(hours=8)
    assert len(seen) == 10
    # a run that was missed: everything last checked more than a cycle ago is read at once
    StoredObject.objects.update(last_checked=now - datetime.timedelta(days=2))
    assert len(fixity.due(now=now, cycle_days=1, run_seconds=8 * 3600)) == 10


def test_an_access_copy_stored_before_hashes_gets_its_baseline(db, make_record):
    record = make_record()
    record.access_copy.save("x.pdf", ContentFile(b"%PDF-1.4 copy"))
    StoredObject.objects.create(key=record.access_copy.name, kind="access", record=record)
    report = fixity.run()
    assert report.ok and report.baselines == 1
    assert StoredObject.objects.get().sha256 == fixity.file_digest(io.BytesIO(b"%PDF-1.4 copy"))[0]


def test_capture_metadata_from_a_tiff_with_and_without_dpi(org_demo, users):
    tags = {271: "Fujitsu", 272: "fi-7160", 305: "PaperStream 2.1", 306: "2026:11:02 10:31:00", 315: "op-0231 Wang Wu"}
    page = ingest(users, tiff(1, tags=tags), "with.tif").scans.get().capture[0]
    assert page["dpi"] == [300, 300] and page["colour_mode"] == "L" and page["compression"] == "tiff_lzw"
    assert page["device"] == "Fujitsu fi-7160" and page["software"] == "PaperStream 2.1"
    assert page["captured_at"] == "2026-11-02T10:31:00" and page["operator"] == "op-0231 Wang Wu"
    assert page["unknown"] == ["batch"]

    page = ingest(users, tiff(2, dpi=None), "without.tif").scans.get().capture[0]
    assert page["dpi"] is None and "dpi" in page["unknown"]  # not made up as 300 or 72
    assert {"device", "software", "captured_at", "operator", "batch"} <= set(page["unknown"])
    assert page["colour_mode"] == "L"


def test_capture_metadata_from_jpeg_exif_and_a_png_without_tags(tmp_path):
    from records import capture

    image = Image.new("RGB", (64, 48), "white")
    exif = Image.Exif()
    exif[271], exif[272], exif[305], exif[306] = "Canon", "Canon DR-C225", "CaptureOnTouch 4.2", "2026:11:03 09:00:05"
    jpeg = tmp_path / "a.jpg"
    image.save(jpeg, "JPEG", exif=exif, dpi=(200, 200))
    page = capture.read(jpeg, "jpeg", 1, batch="批次-7")[0]
    assert (page["dpi"], page["colour_mode"], page["compression"]) == ([200, 200], "RGB", "jpeg")
    assert (page["device"], page["software"], page["captured_at"]) == ("Canon DR-C225", "CaptureOnTouch 4.2",
                                                                      "2026-11-03T09:00:05")
    assert page["batch"] == "批次-7" and page["unknown"] == ["operator"]
    png = tmp_path / "b.png"
    Image.new("1", (32, 32)).save(png, "PNG")
    page = capture.read(png, "png", 1)[0]
    assert page["dpi"] is None and page["colour_mode"] == "1"
    assert set(page["unknown"]) == {"dpi", "device", "software", "captured_at", "operator", "batch"}


def test_the_worker_job_enqueues_a_slice_task_that_checks_the_due_objects(org_demo, users, monkeypatch):
    from config import periodic
    from records import tasks
    from records.management.commands import run_worker

    ingest(users, tiff(), "a.tif")
    monkeypatch.setattr(periodic, "JOBS", {})
    monkeypatch.setattr(periodic, "release_connections", lambda: None)  # keep the test's connection
    run_worker.Command()._start_jobs({"stale_minutes": None, "batch": True})
    assert "records.fixity_slice" in periodic.JOBS
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path="records.tasks.fixity_slice").count() == 1
    answer = tasks.fixity_slice.call()
    assert answer["checked"] == 1 and answer["ok"] is True
    assert StoredObject.objects.get().last_result == "ok"
