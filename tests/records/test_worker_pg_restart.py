"""A real PostgreSQL restart under real `run_worker` processes (issue 13): the server of this module only
(tests/private_postgres.py) is stopped with `pg_ctl stop -m fast` and started again. A busy file ends ocr_done
with its pages read once, never a permanent failure; an idle worker survives and takes the next file; with
--processes 2 both processes work after the restart; a database away for longer than --give-up makes the
worker exit non-zero, so the orchestrator starts it again.

The test process reads the private database with its own short connections (not Django's test database),
which may fail while the server is down: every condition is polled until a deadline.
"""
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection

from tests import private_postgres
from tests.conftest import on_postgres
from tests.running_server import ROOT, project_env, worker_children as _children
from tests.scans import form_lines, form_page, save_pdf, text_page

# django_db: the test database of this run is made (its schema is copied); the tests do not use it otherwise
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
PII_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # the same key in every process of a test
LEASE = 3
DOWNTIME = 3  # seconds the server stays down in a restart (a deliberate pause, not a wait for a condition)


def wait_for(condition, seconds, what):
    """Poll `condition` until it gives a true value (returned); fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"not within {seconds} s: {what}")


@pytest.fixture(scope="module")
def cluster(request, tmp_path_factory):
    if not on_postgres():
        pytest.skip("runs in the PostgreSQL pass of the suite: its schema is copied from that pass's test database")
    bindir = private_postgres.binaries()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: make setup installs them")
    request.getfixturevalue("django_db_setup")  # the migrated test database whose schema is copied
    server = private_postgres.Cluster(bindir)
    try:
        server.init()
        server.start()
        params = connection.settings_dict
        source = (f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST'] or '127.0.0.1'}:"
                  f"{params['PORT'] or 5432}/{params['NAME']}")
        server.make_template(source, project_env(tmp_path_factory.mktemp("template-var"), PII_KEY=PII_KEY))
        yield server
    finally:
        server.remove()


class Site:
    """One test's database (a copy of the template) with its worker and command processes; files local."""

    def __init__(self, server, tmp_path, name, lease):
        self.server, self.tmp = server, tmp_path
        database = server.database(name)
        self.owner_url = server.url(private_postgres.OWNER, database)
        self.superuser_url = server.superuser_url(database)
        self.env = project_env(tmp_path / "var", DATABASE_URL=server.url(private_postgres.APP, database),
                               DATABASE_MIGRATE_URL=self.owner_url, PII_KEY=PII_KEY,
                               OCR_LEASE_SECONDS=str(lease), OCR_RETRY_MAX_SECONDS="2", OCR_THREADS="1")
        self.workers = []

    def manage(self, *args):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def ingest(self, path):
        """The records made of `path` (a file or a folder), in order."""
        out = self.manage("ingest", str(path), "--hall", "H11", "--clerk", "clerk-H11")
        return [int(line.split("\t")[0]) for line in out.splitlines() if line.split("\t")[0].isdigit()]

    def worker(self, *args):
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "wb")
        process = subprocess.Popen([sys.executable, "manage.py", "run_worker", *args], cwd=ROOT, env=self.env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(process)
        return process

    def worker_log(self, n=0):
        return (self.tmp / f"worker-{n}.log").read_text(errors="replace")[-3000:]

    def stop(self):
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def query(self, sql, *params, superuser=False):
        """Rows of `sql` (as the tables' owner), or None while the database does not answer."""
        try:
            url = self.superuser_url if superuser else self.owner_url
            with psycopg.connect(url, connect_timeout=2, autocommit=True) as conn:
                return conn.execute(sql, params).fetchall()
        except psycopg.OperationalError:
            return None

    def status(self, pk):
        rows = self.query("SELECT status FROM records_record WHERE id = %s", pk)
        return rows[0][0] if rows else None

    def pages(self, pk):
        rows = self.query("SELECT number FROM records_page WHERE record_id = %s ORDER BY number", pk)
        return None if rows is None else [number for (number,) in rows]

    def events(self, pk, action):
        rows = self.query("SELECT details FROM org_auditevent WHERE action = %s AND object_id = %s ORDER BY id",
                          action, str(pk))
        return [details for (details,) in rows or []]

    def restart(self, mode="fast"):
        self.server.stop(mode)
        time.sleep(DOWNTIME)  # the server stays down a while: workers meet refused connections
        self.server.start()


@pytest.fixture
def site(cluster, tmp_path, request):
    made = []

    def make(lease=LEASE):
        made.append(Site(cluster, tmp_path, f"restart_{request.node.name[5:40]}_{len(made)}".lower(), lease))
        return made[-1]

    yield make
    for each in made:
        each.stop()
    if not cluster.running():  # a test that failed while the server was down leaves it up for the next
        cluster.start()


def _pdf(tmp_path, name, count, lines=30):
    return save_pdf(tmp_path / name, [text_page(seed=n, lines=lines) for n in range(count)])


def _form(folder, n):
    folder.mkdir(exist_ok=True)
    page = form_page(form_lines(transaction_no=f"SC20261105{n:05d}"), seed=n)
    page.save(folder / f"form-{n}.png", dpi=(300, 300))


def test_restart_neither_fails_the_busy_file_nor_stops_the_idle_worker(site, tmp_path):
    s = site(lease=12)  # longer than the restart: the worker itself meets the fault, no reaper takes the file
    [busy] = s.ingest(_pdf(tmp_path, "three.pdf", 3, lines=20))
    worker = s.worker()
    wait_for(lambda: s.status(busy) == "ocr_running" and s.pages(busy), 120, "a page of the busy file read")
    s.query("UPDATE records_page SET text = 'MARK-READ-ONCE' WHERE record_id = %s RETURNING 1", busy)
    marked = s.pages(busy)
    s.restart()
    assert s.status(busy) != "ocr_done", "the file was done before the server stopped: the test proved nothing"
    wait_for(lambda: s.status(busy) in ("ocr_done", "ocr_failed"), 120, "the busy file finished after the restart")
    record = s.query("SELECT status, ocr_error, page_count FROM records_record WHERE id = %s", busy)[0]
    assert record == ("ocr_done", "", 3), record
    assert s.pages(busy) == [1, 2, 3]
    kept = s.query("SELECT number FROM records_page WHERE record_id = %s AND text = 'MARK-READ-ONCE'", busy)
    assert sorted(n for (n,) in kept) == marked, "pages read before the restart were read again"
    assert not s.events(busy, "record.ocr_failed")
    reasons = [event["reason"] for event in s.events(busy, "record.ocr_requeue")]
    assert any("OperationalError" in r or "InterfaceError" in r for r in reasons), f"not a database fault: {reasons}"
    assert worker.poll() is None, s.worker_log()

    s.restart("immediate")  # the worker is idle now: a crash of the server, not a clean shutdown
    _form(tmp_path / "forms", 1)
    [later] = s.ingest(tmp_path / "forms")
    wait_for(lambda: s.status(later) == "ocr_done", 120, "a file queued after the restart done")
    assert worker.poll() is None, s.worker_log()


def test_two_processes_both_work_after_a_restart_and_give_up_when_the_server_stays_down(site, tmp_path):
    s = site()
    parent = s.worker("--processes", "2", "--give-up", "4", "--max-restarts", "2", "--window", "120")
    wait_for(lambda: len(s.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
                                 "usename = %s", private_postgres.APP, superuser=True) or []) >= 3, 90,
             "the worker and its two processes connected")
    s.restart()
    wait_for(lambda: len(_children(parent.pid)) == 2, 60, "two worker processes after the restart")  # alive,
    # or one was started again if the restart met it in its start-up checks (see the worker's log)
    forms = tmp_path / "forms"
    for n in range(4):
        _form(forms, n)
    files = s.ingest(forms)
    assert len(files) == 4
    wait_for(lambda: all(s.status(pk) == "ocr_done" for pk in files), 120, "the four files done")
    workers = s.query("SELECT DISTINCT worker_ids->>-1 FROM django_tasks_database_dbtaskresult "
                      "WHERE status = 'SUCCESSFUL' AND task_path LIKE %s", "%ocr_record")
    assert len(workers) == 2, f"the work was not shared by both processes: {workers}"
    assert parent.poll() is None and len(_children(parent.pid)) == 2, s.worker_log()

    s.server.stop("fast")  # and it stays down: past --give-up the worker cannot recover by itself
    stopped = time.monotonic()
    wait_for(lambda: parent.poll() is not None, 90, "the worker gave up")
    assert parent.returncode == 75, s.worker_log()
    assert time.monotonic() - stopped >= 4, "gave up before --give-up"
    assert not _children(parent.pid)
