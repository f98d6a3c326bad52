"""Daily pages at 100,000 files (issue 16): every screen people use daily, timed with the full database.

Generates (once, then cached) a database of customer files in every state of the chain with the rows the
screens read (bench/pages_data.py), then times each page through Django's test client signed in as the
person who uses it: several requests, median and max wall time, and the number of SQL queries of one
request. A baseline database of 1,000 files generated the same way is measured in the same run: a page whose
time or query count grows with the data shows in the ratio. Target: every page under 1 s at 100,000 files.

Run: .venv/bin/python bench/pages.py [--records 100000] [--small 1000] [--runs 5] [--sqlite] [--regenerate]
PostgreSQL by default (the server of .cache/pg-url, databases records_bench_pages_<n>); --sqlite uses the
embedded default. The databases are kept (marker files in .cache/bench-pages/) and reused by later runs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / ".cache" / "bench-pages"
VERSION = "2"  # bump when bench/pages_data.py changes what it writes: the cached databases are made again
TARGET = 1.0


def pages(find):
    """(label, username, url) of every daily page; `find` looks the objects up in the generated data."""
    from django.urls import reverse

    f = find()
    q = f["name"]
    return [
        ("home: 待办", "clerk-H11", "/admin/"),
        ("home: 待办", "l1-H11", "/admin/"),
        ("home: 待办", "keeper-H11", "/admin/"),
        ("home: 待办", "auditor-B1", "/admin/"),
        ("home: 待办", "marketing", "/admin/"),
        ("records list", "clerk-H11", reverse("record:index")),
        ("records list", "archivist", reverse("record:index")),
        ("records list 待核对", "l1-H11", reverse("record:index") + "?to_check=1"),
        ("records list 待核对", "archivist", reverse("record:index") + "?to_check=1"),
        ("record page", "clerk-H11", reverse("record:inspect", args=[f["record"]])),
        ("daily close", "clerk-H11", reverse("archive_admin:daily_close")),
        ("level-1 day", "l1-H11", reverse("archive_admin:level1", args=[f["hall"], f["l1_day"]])),
        ("errors to correct", "keeper-H11", reverse("archive_admin:errors")),
        ("keeper: binding", "keeper-H11", reverse("archive_admin:keeper")),
        ("branch: volumes", "auditor-B1", reverse("archive_admin:branch")),
        ("volume + level-2 sample", "auditor-B1", reverse("archive_admin:volume", args=[f["volume"]])),
        ("handover forms (dashboard)", "keeper-H11", reverse("archive_admin:dashboard")),
        ("form: clerk→hall", "keeper-H11", reverse("archive_admin:form", args=[f["form_ch"]])),
        ("form: hall→branch", "auditor-B1", reverse("archive_admin:form", args=[f["form_hb"]])),
        ("form: branch→marketing", "marketing", reverse("archive_admin:form", args=[f["form_bm"]])),
        ("search: name", "clerk-H11", reverse("search_admin:search") + f"?q={q}"),
        ("search: name", "archivist", reverse("search_admin:search") + f"?q={q}"),
        ("search: word + filter", "auditor-B1", reverse("search_admin:search") + "?q=过户&category=ownership"),
        ("event log", "archivist", reverse("auditevent:index")),
        ("event log, filtered", "archivist", reverse("auditevent:index")
         + f"?action=level1.mark&created_at__date__gte={f['since']}"),
        ("event log, search", "archivist", reverse("auditevent:index") + f"?q={f['transaction_no']}"),
        ("dashboard", "auditor-B1", reverse("archive_admin:dashboard")),
        ("dashboard", "archivist", reverse("archive_admin:dashboard")),
        ("loans", "archivist", reverse("archive_admin:loans")),
        ("locations", "archivist", reverse("archive_admin:locations")),
    ]


def find():
    """The objects the pages open: the newest of each kind in hall H11 / branch B1."""
    from archive.models import HandoverForm, Level1Audit, Level2Audit
    from org.models import Hall
    from records.models import Record

    hall = Hall.objects.get(code="H11")
    audit = Level1Audit.objects.filter(hall=hall, signed_at__isnull=True).order_by("-day").first() \
        or Level1Audit.objects.filter(hall=hall).order_by("-day").first()
    record = Record.objects.filter(hall=hall, status=Record.Status.OCR_DONE).order_by("-pk").first()
    l2 = (Level2Audit.objects.filter(volume__hall__branch__code="B1", result=Level2Audit.Result.OPEN).first()
          or Level2Audit.objects.filter(volume__hall__branch__code="B1").first())
    K = HandoverForm.Kind
    forms = {k: HandoverForm.objects.filter(kind=k, branch__code="B1").exclude(hall__code="H12")
             .order_by("-created_at", "-pk").first() for k in K.values}
    bound = Record.objects.filter(hall=hall, status=Record.Status.BOUND).order_by("-business_date", "-pk").first()
    return {"hall": hall.pk, "l1_day": audit.day.isoformat(), "record": record.pk, "volume": l2.volume_id,
            "form_ch": forms[K.CLERK_HALL].pk, "form_hb": forms[K.HALL_BRANCH].pk,
            "form_bm": forms[K.BRANCH_MARKETING].pk, "name": bound.customer_name,
            "transaction_no": bound.transaction_no, "since": audit.day.replace(day=1).isoformat()}


def measure(runs=5, log=print):
    """Each page `runs` times after one warm-up request: {(label, user): {median, max, queries, status}}."""
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from org.models import User

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    clients = {}
    out = {}
    for label, username, url in pages(find):
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        client = clients[username]
        response = client.get(url)
        status = response.status_code
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        reset_queries()  # the log keeps at most 9,000 queries: start from an empty one
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries = len(captured)
        out[f"{label} | {username}"] = {"url": url, "status": status, "median": statistics.median(times),
                                       "max": max(times), "queries": queries}
        log(f"    {label:28} {username:11} {status} median {statistics.median(times) * 1000:7.0f} ms"
            f"  max {max(times) * 1000:7.0f} ms  {queries:4} queries")
    return out


# --- the databases ----------------------------------------------------------------------------------

def pg_base():
    for place in (ROOT / ".cache" / "pg-url", Path("/work/main/.cache/pg-url")):
        if place.exists():
            return place.read_text().strip()
    raise SystemExit("no PostgreSQL URL: put it in .cache/pg-url (or use --sqlite)")


def database(count, sqlite):
    """(environment for the child process, marker file) of the database of `count` files."""
    var = CACHE / f"{'sqlite' if sqlite else 'pg'}-{count}"
    var.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "APP_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    env.pop("ELASTICSEARCH_URL", None)
    env.pop("DATABASE_URL", None)
    if not sqlite:
        base = pg_base()
        env["DATABASE_URL"] = f"{base.rsplit('/', 1)[0]}/records_bench_pages_{count}"
    return env, var / "generated"


def recreate_pg(url):
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/{pg_base().rsplit('/', 1)[1]}", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def child(args):
    """In the child process: generate the database if asked, then measure; print the figures as JSON."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "-v0")  # a cached database gets the migrations added since it was made
    if args.generate:
        from bench.pages_data import generate

        started = time.perf_counter()
        summary = generate(args.records, log=lambda text: print(text, file=sys.stderr, flush=True))
        print(f"  generated in {time.perf_counter() - started:.0f} s: {summary}", file=sys.stderr, flush=True)
        Path(os.environ["APP_VAR_DIR"], "generated").write_text(VERSION)
    figures = measure(args.runs, log=lambda text: print(text, file=sys.stderr, flush=True))
    print(json.dumps(figures))


def run_size(count, args):
    env, marker = database(count, args.sqlite)
    generate = args.regenerate or not marker.exists() or marker.read_text().strip() != VERSION
    if generate:
        marker.unlink(missing_ok=True)
        if args.sqlite:
            (marker.parent / "db.sqlite3").unlink(missing_ok=True)
        else:
            recreate_pg(env["DATABASE_URL"])
    where = "SQLite" if args.sqlite else env["DATABASE_URL"].rsplit("/", 1)[1]
    print(f"{count:,} files ({where}{', generating' if generate else ', cached'}):", flush=True)
    command = [sys.executable, __file__, "--child", "--records", str(count), "--runs", str(args.runs)]
    result = subprocess.run(command + (["--generate"] if generate else []), env=env, stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    if result.returncode:
        raise SystemExit(f"the run of {count} files failed")
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true", help="the embedded default instead of PostgreSQL")
    parser.add_argument("--regenerate", action="store_true", help="make the databases again")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    small = run_size(args.small, args)
    big = run_size(args.records, args)
    print(f"\n{'page':30} {'user':11} {'median':>8} {'max':>8} {'queries':>8} {'ratio':>6}  "
          f"(at {args.records:,} files; ratio: median against {args.small:,} files; target < {TARGET:.0f} s)")
    missed = []
    for key, row in big.items():
        label, user = key.split(" | ")
        base = small.get(key)
        ratio = row["median"] / base["median"] if base else float("nan")
        grows = base and row["queries"] > base["queries"]
        print(f"{label:30} {user:11} {row['median'] * 1000:6.0f}ms {row['max'] * 1000:6.0f}ms {row['queries']:5}"
              f"{'/' + str(base['queries']) if grows else '':4} {ratio:6.1f}"
              f"{'  NOT MET' if row['max'] >= TARGET or row['status'] != 200 else ''}"
              f"{'  queries grow' if grows else ''}")
        if row["max"] >= TARGET or row["status"] != 200:
            missed.append(key)
    print(f"\n{len(big) - len(missed)} of {len(big)} pages under {TARGET:.0f} s at {args.records:,} files"
          + (f"; missed: {', '.join(missed)}" if missed else ""))


if __name__ == "__main__":
    main()
