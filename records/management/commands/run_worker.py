"""The task worker: db_worker that survives database faults, and a supervisor for several processes.

A worker must go on without a person: a database restart (the connection breaks while idle or inside a task)
is met by reconnecting with a growing wait, not by exiting; with --processes N the parent restarts a child
that died, and exits non-zero (so the orchestrator restarts the whole worker) when it cannot recover: the
database unreachable for --give-up seconds, or more than --max-restarts child restarts within --window
seconds. Every worker takes over files whose worker stopped (records/lease.py) and report imports whose worker
stopped (records/reportlease.py) at start-up and periodically, and removes customer-file objects a crash
left without a row (records/orphans.py).
"""
import argparse
import logging
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, connections
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from config import periodic
from records import lease, orphans, reportlease, tasks

log = logging.getLogger("records.worker")
UNRECOVERABLE = 75  # EX_TEMPFAIL: the orchestrator should start the worker again


def _close_connections():
    for conn in connections.all():
        try:
            conn.close()
        except Exception:  # a broken connection may fail to close; it is dropped either way
            pass


class ResilientWorker(Worker):
    """db_worker's loop, restarted after a database fault with a growing wait."""

    def __init__(self, give_up, **kwargs):
        super().__init__(**kwargs)
        self.give_up = give_up

    def run(self):
        failing_since, pause = None, 0.5
        while True:
            try:
                return super().run()
            except (OperationalError, InterfaceError) as exc:
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > self.give_up:
                    log.error("database unreachable for %.0f s, giving up: %s", now - failing_since, exc)
                    raise SystemExit(UNRECOVERABLE)
                log.warning("database fault, reconnecting in %.1f s: %s", pause, exc)
                _close_connections()
                self.running_task = False
                time.sleep(min(pause, failing_since + self.give_up - now + 0.1))  # never sleeps past --give-up
                pause = min(pause * 2, 10.0)
                if self._database_answers():
                    failing_since, pause = None, 0.5

    @staticmethod
    def _database_answers():
        try:
            connections["default"].ensure_connection()
            return True
        except (OperationalError, InterfaceError):
            _close_connections()
            return False


class Command(BaseCommand):
    help = ("Start the task worker: take over OCR left unfinished by a stopped worker, then run the task "
            "worker (in several supervised processes with --processes).")

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="process what is queued, then exit")
        parser.add_argument("--stale-minutes", type=float, default=None,
                            help="at start-up, take over running files without a heartbeat for this long "
                                 "(default: the lease, OCR_LEASE_SECONDS)")
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--processes", type=int, default=1,
                            help="worker processes; OCR threads are shared out among them")
        parser.add_argument("--give-up", type=float, default=300,
                            help="seconds without the database before the worker exits (non-zero)")
        parser.add_argument("--max-restarts", type=int, default=5,
                            help="child restarts within --window seconds before the worker exits (non-zero)")
        parser.add_argument("--window", type=float, default=300)

    def handle(self, *args, **options):
        if not options["child"]:
            self._start_jobs(options)
        processes = max(1, options["processes"])
        if processes == 1:
            self._work(options)
        else:
            self._supervise(options, processes)

    def _start_jobs(self, options):
        """Start-up recovery and the periodic jobs, once per worker, in its top-level process."""
        requeued = lease.reclaim_expired(None if options["stale_minutes"] is None else options["stale_minutes"] * 60)
        if requeued:
            self.stdout.write(f"重新排队 / re-queued OCR of records {requeued}")
        requeued = reportlease.reclaim_expired()
        if requeued:
            self.stdout.write(f"重新排队 / re-queued report imports {requeued}")
        periodic.register("records.reclaim_ocr", max(1.0, lease.lease_seconds() / 3), lease.reclaim_expired)
        periodic.register("records.reclaim_report_imports", max(1.0, lease.lease_seconds() / 3),
                          reportlease.reclaim_expired)
        periodic.register("records.sweep_orphans", settings.RECORDS_ORPHAN_SWEEP_SECONDS, orphans.sweep)
        periodic.register("records.fixity_slice", settings.FIXITY_RUN_SECONDS, tasks.enqueue_fixity_slice)
        if options["batch"]:
            periodic.run_once()
        else:
            periodic.start()

    def _work(self, options):
        worker = ResilientWorker(
            options["give_up"], queue_names=[DEFAULT_TASK_QUEUE_NAME], interval=0.1, batch=options["batch"],
            backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=False, max_tasks=None,
            worker_id=get_random_string(32), excluded_queue_names=[])
        worker.configure_signals()
        worker.run()

    def _supervise(self, options, processes):
        """Run the children; restart one that died; give up (non-zero) if they keep dying."""
        threads = max(1, (settings.OCR_THREADS or os.cpu_count() or 1) // processes)
        env = {**os.environ, "OCR_THREADS": str(threads)}
        command = [sys.executable, sys.argv[0], "run_worker", "--processes", "1", "--child",
                   "--give-up", str(options["give_up"])]
        if options["batch"]:
            command.append("--batch")
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        children = [subprocess.Popen(command, env=env) for _ in range(processes)]
        restarts, code = [], 0
        try:
            while not stopping and children:
                time.sleep(0.2)
                for child in list(children):
                    status = child.poll()
                    if status is None:
                        continue
                    if options["batch"] and status == 0:
                        children.remove(child)
                        continue
                    now = time.monotonic()
                    restarts = [t for t in restarts if now - t < options["window"]] + [now]
                    if len(restarts) > options["max_restarts"]:
                        self.stderr.write(f"worker process {child.pid} stopped ({status}); "
                                          f"{len(restarts) - 1} restarts within {options['window']:g} s: giving up")
                        code = UNRECOVERABLE
                        return
                    self.stderr.write(f"worker process {child.pid} stopped ({status}); starting another")
                    children[children.index(child)] = subprocess.Popen(command, env=env)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
            if code:
                raise SystemExit(code)
