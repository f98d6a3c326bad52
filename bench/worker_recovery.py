"""Worker recovery benchmark (issue 13: work must resume without a person).

1. Recovery after a killed worker: a PDF of generated agreement pages is ingested into an embedded-default
   project; a worker (`run_worker`) reads it and is killed with SIGKILL of its whole process group once it
   has read `--kill-after` pages; a second worker is started at once (no start-up option: it must find the
   file through the lease, records/lease.py). Measured: seconds from the kill until the second worker took
   the file over (its record.ocr_start in the event log), and until the file is ocr_done; pages read in all
   (each exactly once). Run for each lease given with --leases (OCR_LEASE_SECONDS).
2. Throughput, 1 vs 2 workers (--throughput N): N one-page files read by one `run_worker` process, then by
   two separate `run_worker` processes (as on two machines) sharing the same database, each with half the
   cores' OCR threads.

Run: .venv/bin/python bench/worker_recovery.py [--pages 6] [--kill-after 2] [--leases 30 5] [--throughput 12]
"""
import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scans import form_lines, form_page, save_pdf, text_page  # noqa: E402


def project(var_dir, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL", "ELASTICSEARCH_URL"))}
    env.update(APP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.dev", **extra)

    def manage(*args):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                                text=True)
        if result.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    manage("migrate", "-v0")
    manage("load_demo")
    return env, manage


def sql(var_dir, query, *args):
    with sqlite3.connect(var_dir / "db.sqlite3", timeout=30) as db:
        return db.execute(query, args).fetchall()


def start_worker(env, *args):
    return subprocess.Popen([sys.executable, "manage.py", "run_worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait(condition, limit=600):
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("gave up waiting")
        time.sleep(0.05)


def recovery(folder, pages, kill_after, lease):
    var_dir = folder / f"lease-{lease}"
    env, manage = project(var_dir, OCR_LEASE_SECONDS=str(lease), OCR_THREADS="1")
    pdf = save_pdf(folder / "agreement.pdf", [text_page(seed=n, lines=30) for n in range(pages)])
    pk = int(manage("ingest", str(pdf), "--hall", "H11", "--clerk", "clerk-H11").split()[0])

    def done_pages():
        return sql(var_dir, "SELECT COUNT(*) FROM records_page WHERE record_id = ?", pk)[0][0]

    def starts():
        return sql(var_dir, "SELECT COUNT(*) FROM org_auditevent WHERE action = 'record.ocr_start' AND object_id = ?",
                   str(pk))[0][0]

    def status():
        return sql(var_dir, "SELECT status FROM records_record WHERE id = ?", pk)[0][0]

    first = start_worker(env)
    wait(lambda: done_pages() >= kill_after)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    killed, read_before = time.monotonic(), done_pages()
    second = start_worker(env)
    try:
        wait(lambda: starts() >= 2)
        taken_over = time.monotonic() - killed
        wait(lambda: status() in ("ocr_done", "ocr_failed"))
        finished = time.monotonic() - killed
    finally:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    numbers = [n for (n,) in sql(var_dir, "SELECT number FROM records_page WHERE record_id = ? ORDER BY number", pk)]
    return {"lease": lease, "read before the kill": read_before, "taken over after": round(taken_over, 1),
            "done after": round(finished, 1), "status": status(), "pages once": numbers == list(range(1, pages + 1))}


def throughput(folder, files, workers):
    var_dir = folder / f"throughput-{workers}"
    cores = os.cpu_count() or 1
    env, manage = project(var_dir, OCR_THREADS=str(max(1, cores // workers)))
    paths = []
    for n in range(files):
        path = folder / f"form-{n:03d}.png"
        form_page(form_lines(transaction_no=f"SC20261202{n:05d}"), seed=n).save(path, dpi=(300, 300))
        paths.append(str(path))
    running = [start_worker(env) for _ in range(workers)]
    try:
        time.sleep(5)  # let the workers start, as in production (they are up before the files come)
        start = time.monotonic()
        manage("ingest", *paths, "--hall", "H11", "--clerk", "clerk-H11")
        wait(lambda: sql(var_dir, "SELECT COUNT(*) FROM records_record WHERE status IN ('ocr_done', 'ocr_failed')")
             [0][0] == files)
        elapsed = time.monotonic() - start
    finally:
        for worker in running:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    starts = sql(var_dir, "SELECT COUNT(*) FROM org_auditevent WHERE action = 'record.ocr_start'")[0][0]
    return {"workers": workers, "files": files, "seconds": round(elapsed, 1),
            "files/min": round(files * 60 / elapsed, 1), "each read once": starts == files}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--kill-after", type=int, default=2)
    parser.add_argument("--leases", type=int, nargs="*", default=[30, 5])
    parser.add_argument("--throughput", type=int, default=0, help="files for the 1 vs 2 workers run (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as tmp:
        folder = Path(tmp)
        for lease in args.leases:
            print("recovery:", recovery(folder, args.pages, args.kill_after, lease), flush=True)
        if args.throughput:
            for workers in (1, 2):
                print("throughput:", throughput(folder, args.throughput, workers), flush=True)


if __name__ == "__main__":
    main()
