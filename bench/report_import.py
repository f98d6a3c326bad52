"""Operator report import benchmark (issue 13: a 100,000-row report imports in under 10 s).

Generates a clerk operation report of --rows rows (six halls, realistic names, numbers and ID numbers) as a
GB18030 CSV and as an .xlsx, and imports each through the app's own path, records.reconcile.import_report
(read and check every value, hall scope of the importer, batched writes, one event), as the archivist.
Beside it, in the same run, the baseline of only reading the file (csv module / calamine, the app's .xlsx
reader, values only; and openpyxl read-only, the reader it replaced) and the app's parse alone (reading
plus the checks), and the ratio import / baseline.

Run: .venv/bin/python bench/report_import.py [--rows 100000]
The database is a throw-away SQLite one in .cache/bench-report/ unless DATABASE_URL is set (e.g. the
PostgreSQL of the tests: DATABASE_URL=postgres://…/records_bench).
"""
import argparse
import csv
import io
import os
import random
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    var_dir = ROOT / ".cache" / "bench-report"
    var_dir.mkdir(parents=True, exist_ok=True)
    if "DATABASE_URL" not in os.environ:
        (var_dir / "db.sqlite3").unlink(missing_ok=True)
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
        if kind == "xlsx":
            before, _ = timed(lambda: read_only(data, "openpyxl"))
            print(f"{'':12} openpyxl read-only (the former reader) alone: {before:.2f} s")
        report.delete()


if __name__ == "__main__":
    main()
