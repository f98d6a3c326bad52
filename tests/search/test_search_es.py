"""Elasticsearch for real: nothing is lost while it is down, search_reindex swaps the alias with no gap,
search_status shows the backlog. Needs ES_TEST_URL (make test); fails without it."""
import json
import os
import subprocess
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from org import access
from records.models import Page, Record
from search import backends, outbox, query, registry
from search.models import OutboxEntry
from search.query import search

from tests.search_support import drop_indices, es_backend, es_url, sync, use_es  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent.parent
# Its own node per database pass: the SQLite and PostgreSQL passes of `make test` run side by side.
PRIVATE_PORT = 9262 if os.environ.get("DATABASE_URL", "").startswith("postgres") else 9261


def _node(action, port):
    env = {**os.environ, "ES_TEST_PORT": str(port)}
    env.pop("ES_NODE_DIR", None)
    done = subprocess.run(["bash", str(ROOT / f"scripts/es-{action}.sh")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.fixture
def private_node(settings, db):
    """A second Elasticsearch node of our own (own port, own data dir), so it can be stopped safely."""
    es_url()  # fail, not skip, when the suite runs without Elasticsearch
    url = _node("start", PRIVATE_PORT)
    backend = use_es(settings, url)
    yield backend
    _node("start", PRIVATE_PORT)
    drop_indices(backend)
    _node("stop", PRIVATE_PORT)


def test_nothing_is_lost_while_elasticsearch_is_down(private_node, make_record, users):
    backend = private_node
    first = [make_record("H11", customer_name=f"甲{i}号客户") for i in range(5)]
    sync(backend)
    assert search(users("archivist"), "号客户").total == 5

    # a batch of changes; Elasticsearch stops in the middle of it
    first[0].customer_name = "改名乙"
    first[0].save()
    _node("stop", PRIVATE_PORT)
    first[1].delete()
    Page.objects.create(record=first[2], number=1, text="停机期间补录的回执 丙丁")
    later = [make_record("H12", customer_name=f"停机{i}号客户") for i in range(3)]
    with pytest.raises(backends.Unavailable):
        outbox.flush(backend=backend)
    outbox.periodic_flush()  # the worker's job: logs and goes on, the rows wait
    waiting = OutboxEntry.objects.count()
    assert waiting >= 6
    out = StringIO()
    call_command("search_status", "--json", stdout=out)
    status = json.loads(out.getvalue())
    assert status["backlog"] == waiting and status["oldest"] and "unreachable" in status["indices"][0]["health"]
    with pytest.raises(backends.Unavailable):
        search(users("archivist"), "号客户")

    _node("start", PRIVATE_PORT)
    sync(backend)
    assert OutboxEntry.objects.count() == 0
    archivist = users("archivist")
    found = {int(h.id) for h in search(archivist, "号客户", per_page=50).hits}
    assert found == {r.pk for r in first[2:]} | {r.pk for r in later}
    assert [int(h.id) for h in search(archivist, "改名乙").hits] == [first[0].pk]
    assert [int(h.id) for h in search(archivist, "丙丁").hits] == [first[2].pk]
    assert backend.client.count(index=backend.alias(registry.get("record")))["count"] == Record.objects.count()


def test_reindex_swaps_the_alias_with_no_gap(es_backend, make_record, users):
    backend = es_backend
    kind = registry.get("record")
    records = [make_record("H11", customer_name="钱多多") for _ in range(300)]
    sync(backend)
    before = set(backend.client.indices.get_alias(name=backend.alias(kind)))
    totals, errors, stop = [], [], threading.Event()
    archivist = users("archivist")

    def keep_searching():
        while not stop.is_set():
            try:
                totals.append(backend.search(kind, query.parse(kind, "钱多多"), access.Scope(everything=True)).total)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    watcher = threading.Thread(target=keep_searching)
    watcher.start()
    try:
        out = StringIO()
        call_command("search_reindex", "--doctype", "record", stdout=out)
    finally:
        stop.set()
        watcher.join()
    assert "record: 300 documents" in out.getvalue()
    assert not errors and totals and set(totals) == {300}
    after = set(backend.client.indices.get_alias(name=backend.alias(kind)))
    assert len(after) == 1 and after.isdisjoint(before)
    assert not backend.client.indices.exists(index=",".join(before), allow_no_indices=False)
    assert search(archivist, "钱多多").total == len(records)


def test_changes_during_a_reindex_reach_the_new_index(es_backend, make_record, users):
    from search.models import IndexState

    backend = es_backend
    kind = registry.get("record")
    make_record("H11", customer_name="孙一")
    sync(backend)
    real_load = kind.load
    late = {}

    def load_and_change(pks):  # a change committed while the new index is being built
        if not late:
            late["record"] = make_record("H11", customer_name="孙二")
            assert IndexState.objects.get(doctype="record").building
            outbox.flush(backend=backend)
        yield from real_load(pks)

    kind.load = load_and_change
    try:
        backend.reindex(kind)
    finally:
        kind.load = real_load
    backend.refresh(kind)
    assert search(users("archivist"), "孙二").total == 1
    assert IndexState.objects.get(doctype="record").building == ""


def test_status_and_search_commands_on_elasticsearch(es_backend, make_record):
    make_record("H11", customer_name="周末")
    sync(es_backend)
    out = StringIO()
    call_command("search_status", stdout=out)
    assert "elasticsearch" in out.getvalue() and "record: 1 documents" in out.getvalue()
    assert "backlog: 0" in out.getvalue()
    out = StringIO()
    call_command("search", "周末", "--json", "--as", "clerk-H11", stdout=out)
    assert json.loads(out.getvalue())["total"] == 1
