"""Key-field benchmark (issue 15): forms as halls really print them, read by the real pipeline.

Generates --count forms (tests/realforms.py: ruled tables, five typefaces, red seal across the date and
phone cells, blue signature, colour JPEG q60-90 at 240-300 dpi, skew, blur, speckle, ID-card copy page),
ingests each into a throw-away project (SQLite, local files: the embedded default) through records.intake
and reads it with the worker's own records.ocr.run. Each key field is then

  right           not flagged and the record's column holds the true value,
  flagged         the field carries a problem for a person to check,
  silently wrong  not flagged, and the column holds something else (or nothing).

Then name search recall: every record searched by its full name and by its two-character given name, on the
database backend and (with --es, the node from scripts/es-start.sh) on Elasticsearch; reported for the
names read right and for all names. Generated forms are cached in .cache/bench-fields/ by seed.

Run: .venv/bin/python bench/fields.py [--count 100] [--first-seed 0] [--es] [--show-wrong]
Targets: >= 97 % right, <= 0.5 % silently wrong, 100 % of names read right found on both backends.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / ".cache" / "bench-fields"
COLUMNS = {"transaction_no": "transaction_no", "service_number": "service_number", "id_number": "id_number",
           "business_date": "business_date", "business_type": "business_type", "customer_name": "customer_name"}


def _generate(seed):
    from tests.realforms import make_form

    path = CACHE / f"{seed:05d}.json"
    if not path.exists():
        form = make_form(seed)
        data = CACHE / form.name
        data.write_bytes(form.file_bytes())
        path.write_text(json.dumps({"file": form.name, "truth": form.truth, "font": form.font,
                                    "layout": form.layout, "dpi": form.dpi, "quality": form.quality,
                                    "container": form.container}, ensure_ascii=False))
    return json.loads(path.read_text())


def generate(seeds):
    CACHE.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(_generate, seeds))


def setup_django(var_dir):
    for name in ("DATABASE_URL", "ELASTICSEARCH_URL"):
        os.environ.pop(name, None)
    os.environ.update(APP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    from org import demo

    call_command("migrate", "-v0")
    demo.load()


def read_all(forms, progress=True):
    """Ingest and OCR every form; returns [(form, record)]."""
    from org.models import Hall, User
    from records import intake, ocr
    from records.models import Record

    hall = Hall.objects.get(code="H11")
    clerk = User.objects.get(username="clerk-H11")
    out = []
    started = time.perf_counter()
    for n, form in enumerate(forms, 1):
        with open(CACHE / form["file"], "rb") as fh:
            record = intake.ingest(clerk, hall=hall, clerk=clerk, fileobj=fh, name=form["file"],
                                   channel=Record.Channel.COMMAND)
        ocr.run(record.pk)
        out.append((form, Record.objects.get(pk=record.pk)))
        if progress and (n % 10 == 0 or n == len(forms)):
            print(f"  read {n}/{len(forms)} forms ({time.perf_counter() - started:.0f} s)", flush=True)
    return out


def judge(record, name, truth):
    entry = (record.fields or {}).get(name) or {"problem": "missing"}
    if entry.get("problem"):
        return "flagged", entry
    value = getattr(record, COLUMNS[name])
    value = value.isoformat() if hasattr(value, "isoformat") else (value or "")
    return ("right" if value == truth else "wrong"), {**entry, "column": value}


def score(results, show_wrong=False):
    from tests.realforms import FIELDS

    counts = {name: Counter() for name in FIELDS}
    by_font = Counter()
    for form, record in results:
        for name in FIELDS:
            verdict, entry = judge(record, name, form["truth"][name])
            counts[name][verdict] += 1
            by_font[(form["font"], verdict)] += 1
            if show_wrong and verdict != "right":
                shown = "***" if name == "id_number" else form["truth"][name]
                print(f"  {form['file']:34} {name:15} {verdict:8} truth {shown!s:20} read {entry}")
    total = Counter()
    print(f"{'field':16}{'right':>8}{'flagged':>9}{'wrong':>8}   (of {len(results)} forms)")
    for name, c in counts.items():
        total.update(c)
        print(f"{name:16}{c['right']:8}{c['flagged']:9}{c['wrong']:8}")
    n = sum(total.values())
    print(f"{'total':16}{total['right']:8}{total['flagged']:9}{total['wrong']:8}   of {n} fields: "
          f"{100 * total['right'] / n:.1f} % right (target >= 97), {100 * total['flagged'] / n:.1f} % flagged, "
          f"{100 * total['wrong'] / n:.2f} % silently wrong (target <= 0.5)")
    fonts = sorted({f for f, _ in by_font})
    print("right by typeface: " + ", ".join(
        f"{f} {by_font[(f, 'right')]}/{sum(by_font[(f, v)] for v in ('right', 'flagged', 'wrong'))}" for f in fonts))
    return total


def name_recall(label, results):
    """Records found by full name and by two-character given name, for names read right and for all."""
    from org.models import User
    from search.query import search

    user = User.objects.get(username="archivist")
    found = Counter()
    for form, record in results:
        name = form["truth"]["customer_name"]
        right = judge(record, "customer_name", name)[0] == "right"
        queries = [("full", name)] + ([("given", name[1:])] if len(name) == 3 else [])
        for kind, text in queries:
            hits = {h.id for h in search(user, text, per_page=100).hits}
            hit = str(record.pk) in hits
            found[(kind, "all", hit)] += 1
            if right:
                found[(kind, "right", hit)] += 1
    for kind in ("full", "given"):
        parts = []
        for group in ("right", "all"):
            yes, no = found[(kind, group, True)], found[(kind, group, False)]
            parts.append(f"{group} names {yes}/{yes + no}" + (f" = {100 * yes / (yes + no):.0f} %" if yes + no else ""))
        print(f"{label} search by {kind} name: " + "; ".join(parts))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--es", action="store_true", help="also measure name search on Elasticsearch")
    parser.add_argument("--show-wrong", action="store_true", help="list every field not read right")
    args = parser.parse_args()
    started = time.perf_counter()
    forms = generate(range(args.first_seed, args.first_seed + args.count))
    print(f"{len(forms)} forms ready ({time.perf_counter() - started:.0f} s); reading them …", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-fields-") as tmp:
        setup_django(Path(tmp))
        started = time.perf_counter()
        results = read_all(forms)
        seconds = time.perf_counter() - started
        print(f"read {len(forms)} forms ({2 * len(forms)} pages) in {seconds:.0f} s")
        score(results, args.show_wrong)

        from django.conf import settings

        from search import backends, outbox, registry

        outbox.flush()
        name_recall("database backend", results)
        if args.es:
            url = os.environ.get("ES_TEST_URL") or subprocess.run(
                ["bash", str(ROOT / "scripts/es-start.sh")], capture_output=True, text=True, check=True).stdout.strip()
            settings.ELASTICSEARCH_URL, settings.SEARCH_INDEX_PREFIX = url, f"benchfields{os.getpid()}"
            es = backends.get()
            try:
                es.reindex(registry.get("record"))
                es.client.indices.refresh(index=f"{es.prefix}-*")
                name_recall("Elasticsearch", results)
            finally:
                es.client.indices.delete(index=f"{es.prefix}-*", ignore_unavailable=True, allow_no_indices=True)


if __name__ == "__main__":
    main()
