"""Nothing lost: every change that affects the index is written here in the transaction that makes it;
`flush()` (a periodic job of the worker, and search_reindex) hands the changes to the backend in bulk and
deletes them only once the backend has them. While the backend is down the rows wait."""
import logging

from django.db.models import F, Min

from . import backends, registry
from .models import OutboxEntry

log = logging.getLogger(__name__)
BATCH = 1000


def enqueue(doctype_name, pk, delete=False):
    """Write one outbox row in the current database transaction (autocommit outside one)."""
    registry.get(doctype_name)  # an unknown type is a programming error: fail at once
    OutboxEntry.objects.create(doctype=doctype_name, object_id=str(pk), delete=delete)


def enqueue_many(doctype_name, pks):
    """One outbox row per object, written with one query (the rows a state move changed at once)."""
    registry.get(doctype_name)
    OutboxEntry.objects.bulk_create([OutboxEntry(doctype=doctype_name, object_id=str(pk)) for pk in pks])


def flush(limit=None, backend=None):
    """Send waiting changes to the backend; return how many outbox rows were done. Raises
    backends.Unavailable when the backend cannot be reached (the rows stay)."""
    backend = backend or backends.get()
    done = 0
    while limit is None or done < limit:
        known = [d.name for d in registry.all_types()]  # rows of a type not registered here wait
        rows = list(OutboxEntry.objects.filter(doctype__in=known).order_by("id")[:BATCH])
        if not rows:
            break
        latest = {}
        for row in rows:  # the last change of an object wins
            latest[(row.doctype, row.object_id)] = row.delete
        by_type = {}
        for (name, pk), delete in latest.items():
            by_type.setdefault(name, ([], []))[1 if delete else 0].append(pk)
        try:
            for name, (upserts, deletes) in by_type.items():
                backend.apply(registry.get(name), upserts, deletes)
        except backends.Unavailable as exc:
            OutboxEntry.objects.filter(pk__in=[r.pk for r in rows]).update(last_error=str(exc)[:500],
                                                                         attempts=F("attempts") + 1)
            raise
        OutboxEntry.objects.filter(pk__in=[r.pk for r in rows]).delete()
        done += len(rows)
    return done


def periodic_flush():
    try:
        flush()
    except backends.Unavailable as exc:
        log.warning("search index unavailable, changes wait in the outbox: %s", exc)


def status():
    agg = OutboxEntry.objects.aggregate(oldest=Min("created_at"))
    return {"backlog": OutboxEntry.objects.count(), "oldest": agg["oldest"]}


