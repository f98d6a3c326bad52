"""A batch scan split into customer files at the QR separator sheets (records.separator).

Pages are looked at one by one at low resolution; each group of pages between separators becomes its own
file (PDF pages copied as they are with pypdf; TIFF frames re-saved losslessly) and goes through the
normal intake, so duplicates, checks and permissions are the same as for single files.
"""
import io
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader, PdfWriter

from . import intake
from .separator import split_into_files

SCAN_DPI = 100  # enough to read the separator's 7 cm QR code
CAPTURE_TAGS = (271, 272, 305, 306, 315)  # Make, Model, Software, DateTime, Artist


@dataclass
class BatchResult:
    records: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (part name, message, existing record or None)
    separators: int = 0


def _pdf_pages(path, count, workdir):
    for number in range(1, count + 1):
        out = Path(workdir) / f"s{number}"
        subprocess.run(["pdftoppm", "-r", str(SCAN_DPI), "-gray", "-f", str(number), "-l", str(number),
                        "-singlefile", str(path), str(out)], check=True, capture_output=True, timeout=300)
        with Image.open(f"{out}.pgm") as image:
            image.load()
            yield image
        os.unlink(f"{out}.pgm")


def _tiff_pages(path):
    with Image.open(path) as source:
        for index in range(getattr(source, "n_frames", 1)):
            source.seek(index)
            yield source.convert("L")


def _part_pdf(path, pages):
    writer = PdfWriter()
    with open(path, "rb") as fh:
        reader = PdfReader(fh)
        for index in pages:
            writer.add_page(reader.pages[index])
        buffer = io.BytesIO()
        writer.write(buffer)
    return buffer.getvalue()


def _part_tiff(path, pages):
    with Image.open(path) as source:
        frames = []
        for index in pages:
            source.seek(index)
            frames.append(source.copy())
        compression = source.info.get("compression", "tiff_lzw")
        # the scanner's own tags go along (DA/T 31 capture metadata, records/capture.py); a resolution the
        # scan did not state is not made up
        tags = {tag: source.tag_v2[tag] for tag in CAPTURE_TAGS if tag in source.tag_v2}
    buffer = io.BytesIO()
    dpi = frames[0].info.get("dpi")
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], compression=compression,
                   tiffinfo=tags, **({"dpi": dpi} if dpi else {}))
    return buffer.getvalue()


def ingest_batch(actor, *, hall, clerk, fileobj, name, channel, category="", request=None):
    """Split at separator sheets and ingest each part. A batch with no separator is one file."""
    intake.check_clerk(hall, clerk)
    staged = intake.stage(fileobj, name)
    try:
        intake.inspect(staged)
        if staged.kind not in ("pdf", "tiff"):
            return _single(actor, hall, clerk, staged, channel, category, request)
        groups = _groups(staged)
        result = BatchResult(separators=staged.page_count - sum(len(g) for g in groups))
        if result.separators == 0:
            return _single(actor, hall, clerk, staged, channel, category, request)
        stem, ext = Path(staged.name).stem, Path(staged.name).suffix
        for number, group in enumerate(groups, start=1):
            part = f"{stem}-{number:02d}{ext}"
            try:
                data = _part_pdf(staged.path, group) if staged.kind == "pdf" else _part_tiff(staged.path, group)
            except Exception:  # a page the libraries cannot copy: this part is refused, the others go on
                result.refused.append((part, _("%(name)s: the file is damaged and cannot be split; scan it again")
                                       % {"name": part}, None))
                continue
            _ingest_part(actor, hall, clerk, io.BytesIO(data), part, channel, category, request, result,
                         batch=f"{staged.name}（{staged.sha256[:12]}）")
        return result
    finally:
        staged.discard()


def _groups(staged):
    """The page groups between separators; a page that cannot be rasterised refuses the batch."""
    with tempfile.TemporaryDirectory(dir=intake.tmp_dir()) as workdir:
        pages = (_pdf_pages(staged.path, staged.page_count, workdir) if staged.kind == "pdf"
                 else _tiff_pages(staged.path))
        try:
            return split_into_files(pages)
        except Exception as exc:  # poppler or Pillow on a damaged page (intake does not decode PDF images)
            raise intake.IntakeError(_("%(name)s: the file is damaged and cannot be split; scan it again")
                                     % {"name": staged.name}) from exc


def _single(actor, hall, clerk, staged, channel, category, request):
    result = BatchResult()
    with open(staged.path, "rb") as fh:
        _ingest_part(actor, hall, clerk, fh, staged.name, channel, category, request, result)
    return result


def _ingest_part(actor, hall, clerk, fileobj, name, channel, category, request, result, batch=None):
    try:
        result.records.append(intake.ingest(actor, hall=hall, clerk=clerk, fileobj=fileobj, name=name,
                                            channel=channel, category=category, request=request, batch=batch))
    except intake.IntakeError as error:
        result.refused.append((name, error.message, error.existing))

