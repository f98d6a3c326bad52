"""Operator report import benchmark (issue 13: a 100,000-row report imports in under 10 s).

Generates a clerk operation report of --rows rows (six halls, realistic names, numbers and ID numbers) as a
GB18030 CSV and as an .xlsx, and imports each through the app's own path, records.reconcile.import_report
(read and check every value, hall scope of the importer, batched writes, one event), as the archivist.
Beside it, in the same run, the baseline of only reading the file (csv module / calamine, the app's .xlsx
reader, values only; and openpyxl read-only, the reader it replaced) and the app's parse alone (reading
plus the checks), and the ratio import / baseline.

Then the recovery of a killed import (issue 13): the .xlsx queued as the screen does, a real
`manage.py run_worker` killed (SIGKILL of its process group) while it saves the rows, a second worker
started at once; printed: the seconds from the kill to the report imported, beside the lease (--lease,
OCR_LEASE_SECONDS of the workers) and the import alone.

Run: .venv/bin/python bench/report_import.py [--rows 100000] [--lease 10] [--no-recovery]
The database is a throw-away SQLite one in .cache/bench-report/ unless DATABASE_URL is set (e.g. the
PostgreSQL of the tests: DATABASE_URL=postgres://…/records_bench).
"""
import argparse
import csv
import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红玲芬燕彬建国志海文博子涵浩然梓轩欣怡宇雨桐思远"
BUSINESS = ["普通开户", "过户", "销户", "补换卡", "套餐变更", "停开机", "宽带新装", "合约购机", "携号转网"]
HALLS = ["H11", "H12", "H21", "H22", "H31", "H32"]


def setup_django(var_dir):
    os.environ.update(APP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.dev")
    os.environ.pop("ELASTICSEARCH_URL", None)
    import django
    django.setup()


def report_rows(count, seed=2026):
    from records.keyfields import id_check_digit  # the app's own MOD 11-2
    from records.reconcile import HEADER

    rng = random.Random(seed)
    yield HEADER
    for n in range(count):
        hall = HALLS[n % len(HALLS)]
        body = f"{rng.choice(['510104', '510105', '110105', '440305'])}{rng.randint(1950, 2005)}" \
               f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{n % 1000:03d}"
        yield [f"SL20261102{n:07d}", f"2026-11-02 {8 + n % 10:02d}:{n % 60:02d}:{n * 7 % 60:02d}", hall,
               f"{hall}CLERK0{1 + n % 3}", rng.choice(BUSINESS),
               f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}",
               rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
               "居民身份证", body + id_check_digit(body)]


def as_csv(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("gb18030")


def as_xlsx(rows):
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for values in rows:
        sheet.append(values)  # every value a text cell, as BOSS exports them
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_only(data, kind):
    """The baseline: only reading the values, no checks."""
    if kind == "csv":
        return sum(1 for _ in csv.reader(io.StringIO(data.decode("gb18030"), newline="")))
    if kind == "openpyxl":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
        book.close()
        return count
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    count = len(book.get_sheet_by_index(0).to_python(skip_empty_area=False))
    book.close()
    return count


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise SystemExit(f"not within {seconds} s: {what}")


def killed_import(data, user, lease, var_dir):
    """Seconds from SIGKILL of the worker saving the report to the report imported by another worker."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from records import reportjobs
    from records.models import ReportImport

    env = {**os.environ, "OCR_LEASE_SECONDS": str(lease), "APP_VAR_DIR": str(var_dir)}
    job = ReportImport.objects.filter(pk=reportjobs.queue(user, SimpleUploadedFile("bench.xlsx", data)).pk)
    workers = []

    def worker():
        log = open(var_dir / f"worker-{len(workers)}.log", "wb")
        workers.append(subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=ROOT, env=env,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    try:
        worker()
        wait_for(lambda: job.filter(status="running", stage="saving").exists(), 600, "the worker saving")
        os.killpg(workers[0].pid, signal.SIGKILL)
        killed = time.perf_counter()
        worker()
        wait_for(lambda: job.filter(status__in=["done", "failed"]).exists(), 600, "the import taken over")
        recovered = time.perf_counter() - killed
        done = job.get()
        assert done.status == "done", done.problems
        return recovered, done.report
    finally:
        for process in workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--lease", type=int, default=10, help="the workers' lease (OCR_LEASE_SECONDS)")
    parser.add_argument("--no-recovery", action="store_true", help="skip the killed-import measurement")
    parser.add_argument("--no-openpyxl", action="store_true", help="skip timing the former .xlsx reader")
    args = parser.parse_args()
    var_dir = ROOT / ".cache" / "bench-report"
    var_dir.mkdir(parents=True, exist_ok=True)
    if "DATABASE_URL" not in os.environ:
        (var_dir / "db.sqlite3").unlink(missing_ok=True)
    (var_dir / "audit-anchors.log").unlink(missing_ok=True)  # the workers anchor this run's event log
    setup_django(var_dir)
    from django.core.management import call_command
    from django.db import connection

    from org import demo
    from org.models import User
    from records import reconcile
    from records.models import OperatorReport

    call_command("migrate", "-v0")
    demo.load()
    OperatorReport.objects.all().delete()
    archivist = User.objects.get(username="archivist")
    rows = list(report_rows(args.rows))
    print(f"{args.rows:,} rows, database {connection.vendor}")
    for kind, make in (("csv", as_csv), ("xlsx", as_xlsx)):
        made, data = timed(lambda: make(rows))
        baseline, _ = timed(lambda: read_only(data, kind))
        parse, _ = timed(lambda: reconcile.parse(data))
        total, report = timed(lambda: reconcile.import_report(archivist, data, f"bench.{kind}"))
        assert report.rows.count() == args.rows
        name = "GB18030 CSV" if kind == "csv" else ".xlsx"
        print(f"{name:12} {len(data) / 2**20:5.1f} MB (made in {made:.1f} s): read only {baseline:.2f} s, "
              f"parse+checks {parse:.2f} s, import {total:.2f} s (target < 10 s: {'met' if total < 10 else 'MISSED'})"
              f", import / read only = {total / baseline:.1f}")
        if kind == "xlsx" and not args.no_openpyxl:
            before, _ = timed(lambda: read_only(data, "openpyxl"))
            print(f"{'':12} openpyxl read-only (the former reader) alone: {before:.2f} s")
        report.delete()
    if not args.no_recovery:
        recovered, report = killed_import(data, archivist, args.lease, var_dir)
        print(f"killed import: worker SIGKILLed while saving the .xlsx, report imported by another worker "
              f"{recovered:.1f} s after the kill (lease {args.lease} s + the import, {total:.1f} s above)")
        report.delete()


if __name__ == "__main__":
    main()
