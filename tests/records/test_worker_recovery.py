"""Work resumes without a person: real `run_worker` processes on the PostgreSQL test database, killed with
SIGKILL in the middle of a file, cut off from the database (pg_terminate_backend of their connections,
standing in for a PostgreSQL restart, which would hit every other test run on the shared cluster) and from
their own S3 server (a versitygw of this test, stopped and started again). Each file ends ocr_done with its
pages exactly once; none becomes a permanent failure."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from org.models import AuditEvent
from records.models import Page, Record
from tests.conftest import on_postgres, s3_env
from tests.running_server import ROOT, project_env, worker_children as _children
from tests.scans import form_lines, form_page, save_pdf, text_page

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PII_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # the same key in every process of a test
LEASE = 3


def wait_for(condition, seconds, what):
    """Poll `condition` until it gives a true value (returned); fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"not within {seconds} s: {what}")


class Project:
    """Worker and command processes on this test's database, files in a temporary folder (or `s3`)."""

    def __init__(self, tmp_path, s3=None):
        if not on_postgres():
            pytest.skip("other processes share the test database only on PostgreSQL")
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        self.tmp = tmp_path
        self.env = project_env(tmp_path / "var", DATABASE_URL=f"{base}/{connection.settings_dict['NAME']}",
                               PII_KEY=PII_KEY, OCR_LEASE_SECONDS=str(LEASE), OCR_RETRY_MAX_SECONDS="2",
                               OCR_THREADS="1", **(s3 or {}))
        self.workers = []
        self.manage("load_demo")

    def manage(self, *args):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def ingest(self, path):
        return int(self.manage("ingest", str(path), "--hall", "H11", "--clerk", "clerk-H11").split()[0])

    def worker(self, *args):
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "wb")
        process = subprocess.Popen([sys.executable, "manage.py", "run_worker", *args], cwd=ROOT, env=self.env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(process)
        return process

    def stop(self):
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def project(tmp_path):
    made = []

    def make(s3=None):
        made.append(Project(tmp_path, s3))
        return made[-1]

    yield make
    for each in made:
        each.stop()


def status(pk):
    return Record.objects.values_list("status", flat=True).get(pk=pk)  # the ID number is another key's


def pages(pk):
    return list(Page.objects.filter(record_id=pk).order_by("number").values_list("number", flat=True))


def events(pk, action):
    return list(AuditEvent.objects.filter(action=action, object_id=str(pk)).values_list("details", flat=True))


def running_with_pages(pk, at_least=1):
    return status(pk) == Record.Status.OCR_RUNNING and len(pages(pk)) >= at_least


def mark_done_pages(pk):
    """Mark the pages read so far: a page read again would lose the mark."""
    done = pages(pk)
    Page.objects.filter(record_id=pk).update(text="MARK-READ-ONCE")
    return done


def assert_done_once(pk, count, marked):
    record = Record.objects.only("status", "ocr_error", "page_count").get(pk=pk)
    assert record.status == Record.Status.OCR_DONE, record.ocr_error
    assert pages(pk) == list(range(1, count + 1)) and record.page_count == count
    kept = set(Page.objects.filter(record_id=pk, text="MARK-READ-ONCE").values_list("number", flat=True))
    assert kept == set(marked), "pages read before the fault were read again"
    assert not events(pk, "record.ocr_failed")


def _pdf(tmp_path, name, count):
    return save_pdf(tmp_path / name, [text_page(seed=n, lines=30) for n in range(count)])


def test_killed_worker_is_taken_over_by_another_within_the_lease(project, tmp_path):
    """SIGKILL of the whole process group mid-file; a new worker takes the file over once the lease runs
    out (no start-up option), keeps the pages already read and removes the dead worker's scratch folder."""
    p = project()
    pk = p.ingest(_pdf(tmp_path, "four.pdf", 4))
    first = p.worker()
    wait_for(lambda: running_with_pages(pk), 120, "the first worker read a page")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    marked = mark_done_pages(pk)
    assert status(pk) == Record.Status.OCR_RUNNING and len(marked) < 4, "not stopped in the middle"
    scratch = p.tmp / "var" / "tmp"
    assert list(scratch.glob("ocr-*")), "the killed worker left no scratch folder to clean"

    killed_at = time.monotonic()
    p.worker()
    wait_for(lambda: status(pk) == Record.Status.OCR_DONE, 120, "the second worker finished the file")
    assert time.monotonic() - killed_at < 60
    assert_done_once(pk, 4, marked)
    requeued = events(pk, "record.ocr_requeue")
    assert len(requeued) == 1 and "lease expired" in requeued[0]["reason"]
    assert len(events(pk, "record.ocr_start")) == 2
    wait_for(lambda: not list(scratch.glob("ocr-*")), 3 * LEASE + 10, "the dead worker's scratch folder removed")
    stored = p.tmp / "var" / "records"
    assert not list(stored.glob("pieces/*/*")), "OCR pieces left behind"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnS3:
    """A versitygw of this test only (the shared test server stays up for everyone else)."""

    def __init__(self, tmp_path):
        self.binary = ROOT / ".cache" / "bin" / "versitygw"
        if not self.binary.exists():
            self.binary = Path("/work/main/.cache/bin/versitygw")  # a worktree shares the main checkout's
        if not self.binary.exists():
            pytest.skip("versitygw is not installed (scripts/s3-install.sh)")
        self.data = tmp_path / "s3data"
        self.data.mkdir()
        self.port = _free_port()
        self.process = None
        self.start()
        import boto3

        env = self.settings()
        boto3.client("s3", endpoint_url=env["AWS_S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                     aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_S3_REGION_NAME"]
                     ).create_bucket(Bucket="bucket")

    def settings(self):
        shared = s3_env()
        return {**shared, "AWS_STORAGE_BUCKET_NAME": "bucket", "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.port}"}

    def start(self):
        shared = s3_env()
        self.process = subprocess.Popen(
            [str(self.binary), "--access", shared["AWS_ACCESS_KEY_ID"], "--secret", shared["AWS_SECRET_ACCESS_KEY"],
             "--port", f"127.0.0.1:{self.port}", "posix", str(self.data)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

        def answers():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False

        wait_for(answers, 30, "versitygw answers")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def own_s3(tmp_path):
    server = OwnS3(tmp_path)
    yield server
    server.stop()


def test_s3_down_during_ocr_queues_files_again_and_they_finish_when_it_is_back(project, own_s3, tmp_path):
    p = project(s3=own_s3.settings())
    busy = p.ingest(_pdf(tmp_path, "three.pdf", 3))
    waiting = p.ingest(_pdf(tmp_path, "one.pdf", 1))
    p.worker()
    wait_for(lambda: running_with_pages(busy), 120, "a page of the first file read")
    own_s3.stop()
    marked = mark_done_pages(busy)
    wait_for(lambda: events(busy, "record.ocr_requeue") and events(waiting, "record.ocr_requeue"), 90,
             "both files queued again while S3 is down")
    for pk in (busy, waiting):
        assert not events(pk, "record.ocr_failed")
        assert status(pk) in (Record.Status.OCR_QUEUED, Record.Status.OCR_RUNNING)
    own_s3.start()
    wait_for(lambda: status(busy) == status(waiting) == Record.Status.OCR_DONE, 120, "both files done")
    assert_done_once(busy, 3, marked)
    assert_done_once(waiting, 1, [])
    assert not [f for f in (own_s3.data / "bucket").rglob("*") if "pieces" in f.parts and f.is_file()]


def _terminate_other_backends():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return len(cursor.fetchall())


def test_database_restart_neither_fails_the_busy_file_nor_stops_the_idle_worker(project, tmp_path):
    """pg_terminate_backend of every connection of the worker stands in for a PostgreSQL restart."""
    p = project()
    busy = p.ingest(_pdf(tmp_path, "three.pdf", 3))
    worker = p.worker()
    wait_for(lambda: running_with_pages(busy), 120, "a page read")
    marked = mark_done_pages(busy)
    assert _terminate_other_backends() >= 1
    wait_for(lambda: status(busy) == Record.Status.OCR_DONE, 120, "the busy file finished after the fault")
    assert_done_once(busy, 3, marked)
    assert any("OperationalError" in e["reason"] or "InterfaceError" in e["reason"]
               for e in events(busy, "record.ocr_requeue"))

    wait_for(lambda: _terminate_other_backends() >= 1, 30, "the idle worker's connections cut")
    assert worker.poll() is None, "the idle worker exited after a database fault"
    page = tmp_path / "form.png"
    form_page(form_lines(transaction_no="SC2026110500321"), seed=3).save(page, dpi=(300, 300))
    later = p.ingest(page)
    wait_for(lambda: status(later) == Record.Status.OCR_DONE, 120, "a file queued after the fault done")
    assert worker.poll() is None


def test_supervisor_restarts_a_dead_child_and_gives_up_when_they_keep_dying(project, tmp_path):
    p = project()
    parent = p.worker("--processes", "2", "--max-restarts", "2", "--window", "120")
    first = wait_for(lambda: len(_children(parent.pid)) == 2 and _children(parent.pid), 60, "two children")
    os.kill(first[0], signal.SIGKILL)
    after = wait_for(lambda: (c := _children(parent.pid)) and len(c) == 2 and first[0] not in c and c, 30,
                     "the dead child replaced")
    assert first[1] in after
    pk = p.ingest(_pdf(tmp_path, "two.pdf", 2))
    wait_for(lambda: status(pk) == Record.Status.OCR_DONE, 120, "work goes on with the new child")
    assert pages(pk) == [1, 2]

    os.kill(after[0], signal.SIGKILL)
    again = wait_for(lambda: (c := _children(parent.pid)) and len(c) == 2 and after[0] not in c and c, 30,
                     "the second dead child replaced")
    os.kill(again[0], signal.SIGKILL)  # a third death within the window: the worker cannot recover alone
    assert wait_for(lambda: parent.poll() is not None, 60, "the supervisor gave up") and parent.returncode == 75
    wait_for(lambda: not _children(parent.pid), 30, "the remaining child stopped with its supervisor")
