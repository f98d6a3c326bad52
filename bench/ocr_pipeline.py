"""OCR pipeline benchmark (issue: digitisation).

1. Throughput: the same 30 generated 300 dpi pages (forms and dense agreement text, CJK font, noise,
   slight skew) read by plain `tesseract` (chi_sim+eng, one process per core) and by our whole pipeline
   (ingest → worker: page checks, deskew, OCR, searchable PDF, key fields), with the same number of cores,
   in this one run. The worker is started before the clock starts, as in production; its Tesseract engines
   start with the first page, inside the timed run. Prints pages per minute of both and the ratio (target ≥ 0.9).
2. Memory: the peak resident memory of the worker process while it reads a 200-page PDF (target < 300 MB),
   sampled every 0.1 s; its Tesseract engine processes (records/engine.py, one per OCR thread, as the
   `tesseract` command's processes were) are reported beside it, and the sum of both.

Run: .venv/bin/python bench/ocr_pipeline.py [--pages 30] [--memory-pages 200] [--skip-memory]
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scans import form_lines, form_page, save_pdf, text_page  # noqa: E402


def make_pages(count, folder):
    paths = []
    for n in range(count):
        if n % 3 == 2:
            image = text_page(seed=n, lines=25)
        else:
            image = form_page(form_lines(transaction_no=f"SC20261102{n:05d}", phone=f"138{n:08d}"),
                              skew=(n % 5 - 2) * 0.8, seed=n)
        path = folder / f"page-{n:03d}.png"
        image.save(path, "PNG", dpi=(300, 300))
        paths.append(path)
    return paths


def baseline(paths, cores):
    """Plain tesseract, one process per core, text output, Tesseract's defaults otherwise."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(path):
        subprocess.run(["tesseract", str(path), str(path.with_suffix("")), "-l", "chi_sim+eng"],
                       check=True, capture_output=True, env=env)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=cores) as pool:
        list(pool.map(one, paths))
    return time.perf_counter() - start


def project(var_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL"))}
    env.update(APP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.dev")

    def manage(*args, check=True):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                                text=True)
        if check and result.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result

    manage("migrate", "-v0")
    manage("load_demo")
    return env, manage


def _statuses(db_path):
    with sqlite3.connect(db_path, timeout=30) as db:
        return dict(db.execute("SELECT status, COUNT(*) FROM records_record GROUP BY status").fetchall())


def pipeline(paths, cores, var_dir):
    """With the worker already running (as in production, `cores` processes), ingest the pages as that
    many customer files and time until every one has been read."""
    env, manage = project(var_dir)
    worker = subprocess.Popen([sys.executable, "manage.py", "run_worker", "--processes", str(cores)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(5)  # let the workers start
        start = time.perf_counter()
        manage("ingest", *map(str, paths), "--hall", "H11", "--clerk", "clerk-H11")
        db_path = var_dir / "db.sqlite3"
        while True:
            statuses = _statuses(db_path)
            if statuses.get("ocr_done", 0) + statuses.get("ocr_failed", 0) == len(paths):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
    finally:
        os.killpg(worker.pid, 15)
        worker.wait()
    with sqlite3.connect(db_path) as db:
        flagged = db.execute("SELECT COUNT(*) FROM records_record WHERE fields LIKE '%\"problem\": \"%'").fetchone()[0]
    return elapsed, statuses, flagged


def memory(pages, var_dir):
    env, manage = project(var_dir)
    pdf = var_dir / "thick.pdf"
    # light scanner noise, as from an office scanner (heavy synthetic speckle would only inflate the JPEGs)
    images = [form_page(form_lines(transaction_no=f"SC2026110{n:06d}"), seed=n, noise=0.002)
              for n in range(min(pages, 20))]
    batch = [images[n % len(images)] for n in range(pages)]
    save_pdf(pdf, batch)
    manage("ingest", str(pdf), "--hall", "H11", "--clerk", "clerk-H11")
    worker = subprocess.Popen([sys.executable, "manage.py", "run_worker", "--batch"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc = psutil.Process(worker.pid)
    peak_worker = peak_children = peak_total = 0
    start = time.perf_counter()
    samples = []
    while worker.poll() is None:
        try:
            rss = proc.memory_info().rss
            samples.append((time.perf_counter() - start, rss))
            peak_worker = max(peak_worker, rss)
            kids = [k.memory_info().rss for k in proc.children(recursive=True)]
            peak_children = max(peak_children, max(kids, default=0))
            peak_total = max(peak_total, rss + sum(kids))
        except psutil.Error:
            pass
        time.sleep(0.1)
    if os.environ.get("BENCH_TRACE"):
        for t, rss in samples[:: max(1, len(samples) // 20)]:
            print(f"  t={t:6.1f}s worker rss {rss / 2**20:6.0f} MB")
    with sqlite3.connect(var_dir / "db.sqlite3") as db:
        status, count = db.execute("SELECT status, page_count FROM records_record").fetchone()
    if status != "ocr_done" or count != pages:
        raise SystemExit(f"memory run did not finish: {status}, {count} pages")
    return peak_worker, peak_children, peak_total, time.perf_counter() - start, os.path.getsize(pdf)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--memory-pages", type=int, default=200)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        tmp = Path(tmp)
        (tmp / "pages").mkdir()
        paths = make_pages(args.pages, tmp / "pages")
        base = baseline(paths, cores)
        ours, statuses, flagged = pipeline(paths, cores, tmp / "run")
        base_ppm, ours_ppm = args.pages / base * 60, args.pages / ours * 60
        print(f"cores: {cores}; pages: {args.pages}")
        print(f"plain tesseract : {base:7.1f} s  {base_ppm:6.1f} pages/min")
        print(f"our pipeline    : {ours:7.1f} s  {ours_ppm:6.1f} pages/min")
        print(f"ratio           : {ours_ppm / base_ppm:.2f}  (target >= 0.9)")
        print(f"records by status: {statuses}; records with a flagged field: {flagged}")
        if not args.skip_memory:
            worker, child, total, seconds, size = memory(args.memory_pages, tmp / "mem")
            print(f"{args.memory_pages}-page PDF ({size / 1e6:.0f} MB): worker peak RSS {worker / 2**20:.0f} MB "
                  f"(target < 300 MB); largest Tesseract engine {child / 2**20:.0f} MB; worker and engines "
                  f"together {total / 2**20:.0f} MB at most; {seconds:.0f} s")


if __name__ == "__main__":
    main()
