"""Customer-file objects that no row refers to, and their removal (the worker's periodic sweep and
`manage.py sweep_orphans`).

Why: every customer file is uploaded outside any database transaction (no storage I/O under a row lock or
the event log's chain-head lock), so a crash between an upload and the commit of its row leaves an object
nothing refers to: a master (intake), an access copy (OCR's last step), a page piece (OCR), an uploaded
report (report import). Writing under a pending name and renaming would not close that gap (S3 has no
rename: it is a copy of the whole file, and a crash between the copy and the row leaves the same orphan), so
the storage is swept instead.

The sweep lists only the customer folders (records.storage.FOLDERS: on S3 the bucket also holds the media
files) page by page (S3: ListObjectsV2, at most 1000 keys a request), skips objects younger than the grace
period (an upload in progress, or one whose row is not committed yet, is never looked at), asks the database
which names of a page some row refers to (plain reads in autocommit: no lock is held while the storage is
called), reads each candidate's age again right before removing it (a piece's fixed name may have been
written again meanwhile) and removes it. Pieces of a file that is queued or running belong to its worker
and are left alone. One event (record.orphans_removed) gives the count and the names: random folders,
hashes and record numbers, no personal data.
"""
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone

from org import auditlog

from . import events, storage
from .models import Page, Record

log = logging.getLogger(__name__)
EVENT_REMOVED = events.ORPHANS_REMOVED
NAMES_IN_EVENT = 1000  # the event names at most this many (the count is always complete)
PIECE = re.compile(r"pieces/(\d+)-[0-9a-f]+/")
RANDOM_FOLDER = re.compile(r"[0-9a-f]{32}")
BUSY = (Record.Status.OCR_QUEUED, Record.Status.OCR_RUNNING)


@dataclass
class Sweep:
    checked: int = 0
    fresh: int = 0
    referenced: int = 0
    removed: list = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self):
        return {"checked": self.checked, "fresh": self.fresh, "referenced": self.referenced,
                "removed": len(self.removed), "names": self.removed, "dry_run": self.dry_run}


def grace_seconds():
    return float(getattr(settings, "RECORDS_ORPHAN_GRACE_SECONDS", 2 * 3600))


def references():
    """(model, field name) of every column that holds a name in the customer storage: each FileField
    stored there (found, so a new one is never forgotten) and the pages' pieces."""
    found = [(Page, "piece")]
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if isinstance(f, models.FileField) and getattr(f, "_storage_callable", None) is storage.customer_files:
                found.append((model, f.name))
    return found


def _s3_pages(store, folder, page_size):
    from storages.utils import clean_name

    prefix = store._normalize_name(clean_name(folder)).rstrip("/") + "/"
    paginator = store.connection.meta.client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=store.bucket_name, Prefix=prefix,
                                   PaginationConfig={"PageSize": page_size}):
        yield [(folder + "/" + item["Key"][len(prefix):], item["LastModified"]) for item in page.get("Contents", [])]


def _local_pages(store, folder, page_size):
    top = store.path(folder)
    page = []
    for root, _dirs, files in os.walk(top, followlinks=False):
        for name in files:
            path = os.path.join(root, name)
            try:
                if os.path.islink(path):
                    continue
                modified = datetime.fromtimestamp(os.stat(path).st_mtime, tz=UTC)
            except FileNotFoundError:
                continue
            page.append((os.path.relpath(path, store.location).replace(os.sep, "/"), modified))
            if len(page) >= page_size:
                yield page
                page = []
    if page:
        yield page


def _other_pages(store, folder, page_size):
    page = []
    stack = [folder]
    while stack:
        current = stack.pop()
        dirs, files = store.listdir(current)
        stack += [f"{current}/{d}" for d in dirs]
        for name in files:
            page.append((f"{current}/{name}", store.get_modified_time(f"{current}/{name}")))
            if len(page) >= page_size:
                yield page
                page = []
    if page:
        yield page


def listing(store, folder, page_size=1000):
    """Pages of (name, modified) of the objects under `folder`/ of the storage."""
    from storages.backends.s3 import S3Storage

    if isinstance(store, S3Storage):
        return _s3_pages(store, folder, page_size)
    if isinstance(store, FileSystemStorage):
        return _local_pages(store, folder, page_size)
    return _other_pages(store, folder, page_size)


def _aware(moment):
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


def unreferenced(names):
    """The names no row refers to (pieces of a queued or running file count as referenced)."""
    left = set(names)
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        for model, name in references():
            left -= set(model._default_manager.filter(**{f"{name}__in": chunk}).values_list(name, flat=True))
    pieces = {n: int(m.group(1)) for n in left if (m := PIECE.match(n))}
    if pieces:
        busy = set(Record.objects.filter(pk__in=set(pieces.values()), status__in=BUSY).values_list("pk", flat=True))
        left -= {n for n, pk in pieces.items() if pk in busy}
    return [n for n in names if n in left]


def _remove(store, name, limit):
    """Remove one object if it is still older than the limit; True when removed."""
    if not store.exists(name):
        return False  # gone meanwhile (another sweep)
    if _aware(store.get_modified_time(name)) >= limit:
        return False  # written again since it was listed
    store.delete(name)
    if isinstance(store, FileSystemStorage):
        folder = os.path.dirname(store.path(name))
        if RANDOM_FOLDER.fullmatch(os.path.basename(folder)):  # its own random folder, now empty
            try:
                os.rmdir(folder)
            except OSError:
                pass
    return True


def sweep(grace=None, *, dry_run=False, now=None, page_size=1000, actor_name="worker"):
    """Remove (or with dry_run only name) the customer-file objects no row refers to that are older than
    the grace period. Returns a Sweep."""
    store = storage.customer_files()
    grace = grace_seconds() if grace is None else grace
    limit = (now or timezone.now()) - timedelta(seconds=grace)
    result = Sweep(dry_run=dry_run)
    for folder in storage.FOLDERS:
        for page in listing(store, folder, page_size):
            result.checked += len(page)
            old = [name for name, modified in page if _aware(modified) < limit]
            result.fresh += len(page) - len(old)
            orphans = unreferenced(old)
            result.referenced += len(old) - len(orphans)
            for name in orphans:
                if dry_run or _remove(store, name, limit):
                    result.removed.append(name)
    if result.removed and not dry_run:
        log.warning("removed %d customer-file objects no row refers to", len(result.removed))
        auditlog.record(EVENT_REMOVED, actor_name=actor_name,
                        obj=("storage", "records", "customer files"),
                        details={"count": len(result.removed), "names": result.removed[:NAMES_IN_EVENT],
                                 "grace_seconds": grace})
    return result
