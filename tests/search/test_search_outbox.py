"""The outbox: rows are written in the change's own transaction (gone with a rollback), by record saves,
transitions and page changes; the worker's periodic job flushes them."""
import pytest
from django.db import transaction

from config import periodic
from records import transitions
from records.models import Page, Record
from search import outbox
from search.models import OutboxEntry, SearchDoc
from search.query import search

from tests.search_support import db_backend  # noqa: F401

pytestmark = pytest.mark.django_db


def test_rows_share_the_transaction_of_the_change(make_record, db_backend):
    OutboxEntry.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_record("H11", customer_name="回滚")
        assert OutboxEntry.objects.count() == 1
        raise RuntimeError("the change fails")
    assert OutboxEntry.objects.count() == 0 and not Record.objects.filter(customer_name="回滚").exists()


def test_transitions_and_pages_write_rows_and_the_worker_flushes(make_record, db_backend, users):
    seconds, flush_job = periodic.JOBS["search.flush_outbox"]  # what run_worker's job thread calls
    assert seconds <= 5
    record = make_record("H11", customer_name="刘备")
    flush_job()
    assert OutboxEntry.objects.count() == 0 and SearchDoc.objects.count() == 1
    transitions.correct_field(users("clerk-H11"), record, "customer_name", "刘玄德")
    Page.objects.create(record=record, number=1, text="桃园结义")
    assert set(OutboxEntry.objects.values_list("doctype", "object_id")) == {("record", str(record.pk))}
    assert search(users("clerk-H11"), "玄德").total == 0  # not flushed yet
    flush_job()
    assert search(users("clerk-H11"), "刘玄德 桃园").total == 1
    Record.objects.get(pk=record.pk).delete()
    assert outbox.status()["backlog"] >= 1
    outbox.flush()
    assert SearchDoc.objects.count() == 0 and outbox.status() == {"backlog": 0, "oldest": None}
