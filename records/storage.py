"""Where customer files live and how they are named.

Scans (masters), access copies and OCR pieces show ID numbers, so they leave the server only through the
scoped download views that write the event log. They are kept in a storage of their own, "records" in
settings.STORAGES: on the embedded default a folder outside MEDIA_ROOT (RECORDS_ROOT, var/records), so no
media URL, web server alias or mistake in config/media.py can reach them; with S3 the private bucket. This
storage has no URLs at all.

Their names carry a random folder (128 bits), so a name seen once (in a log, a report) does not lead to the
neighbours' files, and no file name can be guessed from a record number or a date. OCR pieces must be found
again by a resumed worker, so their folder is a keyed hash of the record (secret without SECRET_KEY).
"""
import secrets

from django.core.files.storage import FileSystemStorage, storages
from django.utils.crypto import salted_hmac

try:
    from storages.backends.s3 import S3Storage
except ImportError:  # pragma: no cover - django-storages is in requirements
    S3Storage = None


class NoUrl:
    def url(self, name, *args, **kwargs):
        raise ValueError("customer files have no URL: they are served by the scoped download views only")


class PrivateFileSystemStorage(NoUrl, FileSystemStorage):
    pass


if S3Storage is not None:
    class PrivateS3Storage(NoUrl, S3Storage):
        pass


# The folders of customer files (on S3 the bucket also holds the media files: the orphan sweep,
# records/orphans.py, looks only here). report-imports/ is records.models.report_upload_name's.
FOLDERS = ("masters", "access", "pieces", "report-imports")


def customer_files():
    """The storage of masters, access copies and pieces (a callable, so settings decide it at run time)."""
    return storages["records"]


def _with_random_folder(prefix, filename):
    folder, _, base = filename.rpartition("/")
    return "/".join([prefix, *([folder] if folder else []), secrets.token_hex(16), base])


def master_name(instance, filename):
    """masters/<hall>/<yyyy>/<mm>/<random>/<sha256>.<ext> (the download keeps the last part as its name)."""
    return _with_random_folder("masters", filename)


def access_copy_name(instance, filename):
    """access/<hall>/<random>/<record id>.pdf"""
    return _with_random_folder("access", filename)


def volume_pdf_name(number):
    """volumes/<random>/<volume number>.pdf: a volume's PDF as exported (archive/bag.py). Not one of FOLDERS:
    no file field refers to it (its StoredObject row does), so the orphan sweep must never list it."""
    return _with_random_folder("volumes", f"{number}.pdf")


def piece_name(record_pk, number):
    """pieces/<record id>-<keyed hash>/<page>.pdf: the same for a resumed worker, unguessable without the key."""
    key = salted_hmac("records.storage.piece", str(record_pk)).hexdigest()[:32]
    return f"pieces/{record_pk}-{key}/{number:05d}.pdf"
