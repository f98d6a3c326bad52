"""The counter's habit: the last 4 digits of a phone number or the last 6 of an ID number find the file, on
both backends, inside the user's scope; the ID tail is indexed only as a keyed hash."""
import dataclasses
import importlib

import pytest

from records.models import Record
from search import backends, outbox, registry
from search.query import search

from tests.search.test_search_masking import stored
from tests.search_support import any_backend, es_backend, sync  # noqa: F401

pytestmark = pytest.mark.django_db

OWN_ID = "11010519491231002X"
OTHER_ID = "510302199001018765"


@pytest.fixture
def files(make_record, any_backend):
    a = make_record("H11", customer_name="钱七", service_number="13912345678", id_number=OWN_ID)
    b = make_record("H12", customer_name="孙八", service_number="13700005678", id_number=OTHER_ID)
    c = make_record("H21", customer_name="周九", service_number="13600009999", id_number="510302198805053102")
    sync(any_backend)
    return {"a": a, "b": b, "c": c}


def ids(result):
    return sorted(int(h.id) for h in result.hits)


def test_four_digits_find_phone_tails(files, users):
    archivist = users("archivist")
    assert ids(search(archivist, "5678")) == sorted([files["a"].pk, files["b"].pk])
    assert ids(search(archivist, "９９９９")) == [files["c"].pk]  # full-width, as an input method types it
    assert search(archivist, "1234").total == 0
    assert ids(search(archivist, "5678", hall="H12")) == [files["b"].pk]  # with filters as any search


def test_six_characters_find_id_tails(files, users):
    archivist = users("archivist")
    assert ids(search(archivist, "31002X")) == [files["a"].pk]
    assert ids(search(archivist, "31002x")) == [files["a"].pk]
    assert ids(search(archivist, "018765")) == [files["b"].pk]
    assert search(archivist, "018766").total == 0
    assert search(archivist, "8765").total == 0  # 4 digits are a phone tail, never an ID's


def test_whole_numbers_keep_working(files, users):
    archivist = users("archivist")
    assert ids(search(archivist, "13912345678")) == [files["a"].pk]
    assert ids(search(archivist, OWN_ID)) == [files["a"].pk]
    assert ids(search(archivist, "钱七")) == [files["a"].pk]


def test_scope_holds_for_tails(files, users):
    assert ids(search(users("clerk-H11"), "5678")) == [files["a"].pk]
    assert ids(search(users("clerk-H12"), "31002X")) == []
    assert search(users("clerk-H21"), "5678").total == 0
    assert search(users("clerk-H21"), "31002X").total == 0
    assert ids(search(users("auditor-B1"), "5678")) == sorted([files["a"].pk, files["b"].pk])
    assert search(users("auditor-B2"), "018765").total == 0
    assert search(users("staff"), "5678").total == 0


def test_the_id_tail_is_never_stored_in_clear(files, any_backend, users):
    text = stored(any_backend, files["a"])
    assert "31002X" not in text.upper() and "1231002X" not in text.upper()
    assert "1101**********002X" in text  # the masked number as before
    hit = search(users("archivist"), "31002X").hits[0]
    assert "id_tail" not in hit.fields and "phone_tail" not in hit.fields


def test_tails_are_no_filters_and_never_handed_out():
    kind = registry.get("record")
    assert "phone_tail" not in kind.filter_fields and "id_tail" not in kind.filter_fields
    assert not {"phone_tail", "id_tail"} & set(kind.result_fields)
    with pytest.raises(ValueError):
        dataclasses.replace(kind, result_fields=(*kind.result_fields, "id_tail"))


def test_a_changed_number_moves_its_tail(files, any_backend, users):
    record = Record.objects.get(pk=files["a"].pk)
    record.service_number = "13912340000"
    record.save()
    sync(any_backend)
    assert ids(search(users("archivist"), "5678")) == [files["b"].pk]
    assert ids(search(users("archivist"), "0000")) == [files["a"].pk]


def test_an_index_of_the_older_mapping_gets_the_tail_fields(es_backend, make_record, users):
    """An index built before the tails (mapping version 1) has its mapping extended on first use and, once
    the migration's queue is flushed, finds files by their tails."""
    kind = registry.get("record")
    old = dataclasses.replace(kind, version=1, tail_fields={},
                              keyword_fields={k: t for k, t in kind.keyword_fields.items() if k not in kind.tail_fields})
    record = make_record("H11", service_number="13912344321")
    es_backend.ensure(old)
    es_backend.apply(old, [record.pk], [], refresh=True)
    outbox.flush(backend=es_backend)
    mapping = es_backend.client.indices.get_mapping(index=es_backend.alias(kind))
    assert all("phone_tail" not in m["mappings"]["properties"] for m in mapping.values())

    backends._cache.clear()  # a process started after the upgrade
    fresh = backends.get()
    importlib.import_module("search.migrations.0004_requeue_records_for_tails").requeue(
        importlib.import_module("django.apps").apps, None)
    sync(fresh)
    mapping = fresh.client.indices.get_mapping(index=fresh.alias(kind))
    for body in mapping.values():
        assert body["mappings"]["_meta"]["version"] == kind.version
        assert body["mappings"]["properties"]["id_tail"]["type"] == "keyword"
    assert ids(search(users("archivist"), "4321")) == [record.pk]
