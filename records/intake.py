"""One intake for all channels (admin upload, `ingest` command, watched folder, REST API).

A file is staged to a temporary file while it is hashed (bounded memory), its real type is read from its
first bytes, it is opened and checked (corrupt, encrypted, decompression bomb, empty), a duplicate is
found by hash, and only then a record and its preservation master are created and OCR is queued.
Bad input raises IntakeError with a message for the person who sent it; nothing is stored.

Every page's pixels are decoded here, one page at a time and within the pixel limit (the images inside a
PDF too: records/pdfcheck.py), so a truncated or corrupt scan is refused at once rather than failing later
in the OCR worker or being read as a half-grey page. Image and PDF libraries raise
many kinds of exceptions on odd files (OSError, TypeError, IndexError, struct.error, SyntaxError...): any
failure to read the file is a refusal, worded without the library's text or a server path (the exception
is logged for operators).
"""
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader

from org import access
from org.models import Hall, User
from org.roles import Role

from . import capture, fixity, pdfcheck, transitions
from .models import Scan, StoredObject

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
MAGIC = ((b"%PDF-", "pdf"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"II+\x00", "tiff"), (b"MM\x00+", "tiff"),
         (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"))  # II+ / MM+: BigTIFF
EXTENSIONS = {".pdf": "pdf", ".tif": "tiff", ".tiff": "tiff", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}
TYPE_NAMES = {"pdf": "PDF", "tiff": "TIFF", "jpeg": "JPEG", "png": "PNG"}


class IntakeError(Exception):
    def __init__(self, message, existing=None):
        self.message = message
        self.existing = existing
        super().__init__(message)


@dataclass
class Staged:
    path: Path
    name: str
    size: int
    sha256: str
    kind: str = ""
    page_count: int = 0
    capture: list = None  # DA/T 31 capture metadata per page (records/capture.py)

    def discard(self):
        self.path.unlink(missing_ok=True)


def max_file_bytes():
    return getattr(settings, "INTAKE_MAX_FILE_BYTES", 2 * 1024 ** 3)


def max_pixels():
    return getattr(settings, "INTAKE_MAX_PIXELS", 150_000_000)


def max_pages():
    return getattr(settings, "INTAKE_MAX_PAGES", 2000)


def tmp_dir():
    folder = Path(settings.VAR_DIR) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _too_large(name):
    return IntakeError(_("%(name)s: the file is larger than %(limit)d MB")
                       % {"name": name, "limit": max_file_bytes() // CHUNK})


def stage(fileobj, name):
    """Copy the upload to a temporary file while hashing it. A file whose size is known (an upload) is
    refused before a byte of it is read; any other stops at the limit while it is copied."""
    known = getattr(fileobj, "size", None)
    if isinstance(known, int) and known > max_file_bytes():
        raise _too_large(name)
    digest = hashlib.sha256()
    size = 0
    fd, path = tempfile.mkstemp(prefix="intake-", dir=tmp_dir())
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := fileobj.read(CHUNK):
                size += len(chunk)
                if size > max_file_bytes():
                    raise _too_large(name)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return Staged(Path(path), os.path.basename(name) or "scan", size, digest.hexdigest())


def _real_kind(path):
    with open(path, "rb") as fh:
        head = fh.read(16)
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return None


def _unreadable(staged, exc, message, **extra):
    """The refusal for a file a library could not read; the library's own words go to the log only."""
    log.info("intake refused %s: %s: %s", staged.name, type(exc).__name__, exc)
    return IntakeError(message % {"name": staged.name, **extra})


def _check_pdf(staged):
    try:
        with open(staged.path, "rb") as fh:  # pypdf reads a file object lazily; a path would be read whole
            return _count_pages(staged, PdfReader(fh, strict=False))
    except IntakeError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file: all of them are a refusal
        raise _unreadable(staged, exc, _("%(name)s: the PDF is damaged and cannot be read; scan it again")) from None


def _count_pages(staged, reader):
    if reader.is_encrypted and not reader.decrypt(""):
        raise IntakeError(_("%(name)s: the PDF is encrypted; scan it again without a password")
                          % {"name": staged.name})
    count = len(reader.pages)
    if count == 0:
        raise IntakeError(_("%(name)s: the PDF has no pages") % {"name": staged.name})
    _check_page_count(staged, count)
    limit, seen = max_pixels(), set()
    for number, page in enumerate(reader.pages, start=1):  # each page's box, content stream and images
        try:
            page.mediabox
            page.get_contents()
            pdfcheck.check_page(page, limit, seen)
        except pdfcheck.TooLarge as exc:
            raise _bomb(staged, number, exc.pixels, limit) from None
        except Exception as exc:
            raise _unreadable(staged, exc, _("%(name)s: page %(page)d is damaged or incomplete and cannot be read; "
                                             "scan the file again"), page=number) from None
    return count


def _check_page_count(staged, count):
    if count > max_pages():
        raise IntakeError(_("%(name)s: the file has more than %(limit)d pages; split it into smaller files")
                          % {"name": staged.name, "limit": max_pages()})


def _bomb(staged, page, pixels, limit):
    return IntakeError(_("%(name)s: page %(page)d has %(pixels)d million pixels, more than the %(limit)d million "
                         "allowed (a decompression bomb or a wrong scanner setting)")
                       % {"name": staged.name, "page": page, "pixels": pixels // 1_000_000,
                          "limit": limit // 1_000_000})


def _check_image(staged):
    """Open every frame, within the pixel limit, and decode its pixels (one frame in memory at a time)."""
    limit = max_pixels()
    Image.MAX_IMAGE_PIXELS = limit  # Pillow's own bomb guard (refuses at 2×) agrees with ours (refuses at 1×)
    page = 1
    try:
        with Image.open(staged.path) as image:
            frames = getattr(image, "n_frames", 1)
            _check_page_count(staged, frames)
            for index in range(frames):
                page = index + 1
                image.seek(index)
                width, height = image.size
                if width * height > limit:
                    raise _bomb(staged, page, width * height, limit)
                if image.format == "JPEG":
                    image.draft("L", (max(1, width // 8), max(1, height // 8)))  # every byte is decoded, 1/64 kept
                image.load()
        with Image.open(staged.path) as image:
            image.verify()  # checksums of the chunks (PNG)
    except IntakeError:
        raise
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise _bomb(staged, page, int(found.group(1)) if found else limit + 1, limit) from None
    except Exception as exc:  # OSError, TypeError("Missing dimensions"), IndexError, struct.error, SyntaxError...
        if page > 1:
            raise _unreadable(staged, exc, _("%(name)s: page %(page)d is damaged or incomplete and cannot be read; "
                                             "scan the file again"), page=page) from None
        raise _unreadable(staged, exc, _("%(name)s: the image is damaged or incomplete and cannot be read; "
                                         "scan it again or send the whole file")) from None
    return frames


def inspect(staged):
    """Fill kind and page count, or raise IntakeError."""
    if staged.size == 0:
        raise IntakeError(_("%(name)s: the file is empty") % {"name": staged.name})
    claimed = EXTENSIONS.get(Path(staged.name).suffix.lower())
    if claimed is None:
        raise IntakeError(_("%(name)s: only PDF, TIFF, JPEG and PNG files are accepted") % {"name": staged.name})
    kind = _real_kind(staged.path)
    if kind != claimed:
        raise IntakeError(_("%(name)s: the name says %(claimed)s but the content is %(real)s")
                          % {"name": staged.name, "claimed": TYPE_NAMES[claimed],
                             "real": TYPE_NAMES.get(kind, _("not a scan"))})
    staged.kind = kind
    staged.page_count = _check_pdf(staged) if kind == "pdf" else _check_image(staged)
    staged.capture = capture.read(staged.path, kind, staged.page_count)
    return staged


def check_clerk(hall, clerk):
    is_clerk = clerk.role_assignments.filter(role=Role.CLERK, hall=hall).exists()
    if not is_clerk:
        raise IntakeError(_("%(user)s is not a clerk of hall %(hall)s") % {"user": clerk.username,
                                                                           "hall": hall.code})


def duplicate_of(sha256):
    scan = Scan.objects.filter(sha256=sha256).select_related("record").first()
    return scan.record if scan else None


def _master_name(hall, staged):
    now = timezone.localtime()
    ext = {"pdf": "pdf", "tiff": "tif", "jpeg": "jpg", "png": "png"}[staged.kind]
    # Scan.master's upload_to (records/storage.py) puts it under masters/ in a random folder
    return f"{hall.code}/{now:%Y/%m}/{staged.sha256}.{ext}"


def ingest(actor, *, hall, clerk, fileobj, name, channel, category="", business_date=None, request=None,
           batch=None):
    """Create one record from one file. Returns the record; raises IntakeError (nothing stored) on bad
    input, including a duplicate (IntakeError.existing is then the record that has this file)."""
    if not access.can(actor, "record.create", hall):
        raise PermissionDenied(_("You may not register customer files for hall %(hall)s") % {"hall": hall.code})
    check_clerk(hall, clerk)
    staged = stage(fileobj, name)
    try:
        inspect(staged)
        if batch:  # the one capture value not read from the file: the batch scan it was split from
            for page in staged.capture:
                page["batch"] = batch
                page["unknown"] = [n for n in page["unknown"] if n != "batch"]
        existing = duplicate_of(staged.sha256)
        if existing:
            raise IntakeError(_("%(name)s was already received as customer file #%(id)d")
                              % {"name": staged.name, "id": existing.pk}, existing=existing)
        return _create(actor, hall, clerk, staged, channel, category, business_date, request)
    finally:
        staged.discard()


def _upload_master(hall, staged):
    """Store the master before any transaction is open. An upload that hangs on S3 then holds no row lock
    and, above all, not the event log's chain-head lock, which every login and state change needs."""
    field = Scan._meta.get_field("master")
    name = field.generate_filename(None, _master_name(hall, staged))
    with open(staged.path, "rb") as fh:
        return field.storage.save(name, File(fh), max_length=field.max_length)


def _create(actor, hall, clerk, staged, channel, category, business_date, request):
    master = _upload_master(hall, staged)
    try:
        with transaction.atomic():
            record = transitions.receive(actor, hall=hall, clerk=clerk, channel=channel, category=category,
                                         business_date=business_date or timezone.localdate(),
                                         page_count=staged.page_count, request=request,
                                         source={"file": staged.name, "sha256": staged.sha256,
                                                 "size": staged.size, "kind": staged.kind})
            Scan.objects.create(record=record, original_name=staged.name[:255], kind=staged.kind,
                                size=staged.size, sha256=staged.sha256, page_count=staged.page_count,
                                master=master, capture=staged.capture or [])
            # the hash computed while the file was staged is the fixity value of the stored master
            fixity.register(master, StoredObject.Kind.MASTER, staged.sha256, staged.size, record=record)
            transitions.queue_ocr(actor, record, request=request)
        return record
    except BaseException as exc:
        # Nothing refers to the stored master (a parallel upload of the same file won the race, or the
        # database refused): remove it so no customer file is left without a record.
        try:
            Scan._meta.get_field("master").storage.delete(master)
        except Exception:  # storage down as well: the orphan is named in the log for the operator
            log.exception("could not remove the unreferenced master %s", master)
        if not isinstance(exc, IntegrityError):
            raise
        existing = duplicate_of(staged.sha256)
        raise IntakeError(_("%(name)s was already received as customer file #%(id)d")
                          % {"name": staged.name, "id": existing.pk if existing else 0}, existing=existing) from None


def resolve(hall_code, clerk_username):
    """Hall and clerk from their codes, with clear errors (commands, folder, API)."""
    hall = Hall.objects.filter(code=hall_code).first()
    if hall is None:
        raise IntakeError(_("There is no hall %(hall)s") % {"hall": hall_code})
    clerk = User.objects.filter(username=clerk_username, is_active=True).first()
    if clerk is None:
        raise IntakeError(_("There is no active user %(user)s") % {"user": clerk_username})
    check_clerk(hall, clerk)
    return hall, clerk

