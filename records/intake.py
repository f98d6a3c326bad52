"""One intake for all channels (admin upload, `ingest` command, watched folder, REST API).

A file is staged to a temporary file while it is hashed (bounded memory), its real type is read from its
first bytes, it is opened and checked (corrupt, encrypted, decompression bomb, empty), a duplicate is
found by hash, and only then a record and its preservation master are created and OCR is queued.
Bad input raises IntakeError with a message for the person who sent it; nothing is stored.
"""
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from org import access
from org.models import Hall, User
from org.roles import Role

from . import transitions
from .models import Scan

CHUNK = 1024 * 1024
MAGIC = ((b"%PDF-", "pdf"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"\xff\xd8\xff", "jpeg"),
         (b"\x89PNG\r\n\x1a\n", "png"))
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

    def discard(self):
        self.path.unlink(missing_ok=True)


def max_file_bytes():
    return getattr(settings, "INTAKE_MAX_FILE_BYTES", 2 * 1024 ** 3)


def max_pixels():
    return getattr(settings, "INTAKE_MAX_PIXELS", 150_000_000)


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


def _check_pdf(staged):
    try:
        with open(staged.path, "rb") as fh:  # pypdf reads a file object lazily; a path would be read whole
            return _count_pages(staged, PdfReader(fh, strict=False))
    except IntakeError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise IntakeError(_("%(name)s: the PDF is damaged and cannot be read (%(error)s)")
                          % {"name": staged.name, "error": str(exc)[:120]}) from None


def _count_pages(staged, reader):
    if reader.is_encrypted and not reader.decrypt(""):
        raise IntakeError(_("%(name)s: the PDF is encrypted; scan it again without a password")
                          % {"name": staged.name})
    count = len(reader.pages)
    if count == 0:
        raise IntakeError(_("%(name)s: the PDF has no pages") % {"name": staged.name})
    return count


def _bomb(staged, page, pixels, limit):
    return IntakeError(_("%(name)s: page %(page)d has %(pixels)d million pixels, more than the %(limit)d million "
                         "allowed (a decompression bomb or a wrong scanner setting)")
                       % {"name": staged.name, "page": page, "pixels": pixels // 1_000_000,
                          "limit": limit // 1_000_000})


def _check_image(staged):
    limit = max_pixels()
    try:
        with Image.open(staged.path) as image:
            frames = getattr(image, "n_frames", 1)
            for index in range(frames):
                image.seek(index)
                width, height = image.size
                if width * height > limit:
                    raise _bomb(staged, index + 1, width * height, limit)
        with Image.open(staged.path) as image:
            image.verify()
    except IntakeError:
        raise
    except Image.DecompressionBombError as exc:
        pixels = int("".join(c for c in str(exc).split("(")[1].split(" ")[0] if c.isdigit()) or 0)
        raise _bomb(staged, 1, pixels, limit) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise IntakeError(_("%(name)s: the image is damaged and cannot be read (%(error)s)")
                          % {"name": staged.name, "error": str(exc)[:120]}) from None
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


def ingest(actor, *, hall, clerk, fileobj, name, channel, category="", business_date=None, request=None):
    """Create one record from one file. Returns the record; raises IntakeError (nothing stored) on bad
    input, including a duplicate (IntakeError.existing is then the record that has this file)."""
    if not access.can(actor, "record.create", hall):
        raise PermissionDenied(_("You may not register customer files for hall %(hall)s") % {"hall": hall.code})
    check_clerk(hall, clerk)
    staged = stage(fileobj, name)
    try:
        inspect(staged)
        existing = duplicate_of(staged.sha256)
        if existing:
            raise IntakeError(_("%(name)s was already received as customer file #%(id)d")
                              % {"name": staged.name, "id": existing.pk}, existing=existing)
        return _create(actor, hall, clerk, staged, channel, category, business_date, request)
    finally:
        staged.discard()


def _create(actor, hall, clerk, staged, channel, category, business_date, request):
    try:
        with transaction.atomic():
            record = transitions.receive(actor, hall=hall, clerk=clerk, channel=channel, category=category,
                                         business_date=business_date or timezone.localdate(),
                                         page_count=staged.page_count, request=request,
                                         source={"file": staged.name, "sha256": staged.sha256,
                                                 "size": staged.size, "kind": staged.kind})
            scan = Scan(record=record, original_name=staged.name[:255], kind=staged.kind, size=staged.size,
                        sha256=staged.sha256, page_count=staged.page_count)
            with open(staged.path, "rb") as fh:
                scan.master.save(_master_name(hall, staged), File(fh), save=False)
            try:
                scan.save()
            except IntegrityError:
                scan.master.delete(save=False)  # a parallel upload of the same file won the race
                raise
            transitions.queue_ocr(actor, record, request=request)
        return record
    except IntegrityError:
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

