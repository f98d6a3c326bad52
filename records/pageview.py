"""The record page's scan viewer: page images rendered from the stored files one page at a time, and the
boxes of the key fields on them.

A page image shows the customer's full ID number, so it is personal data like the file it comes from: it
is served only by records.views.page_image (the file found through org.access, every image written to the
event log) and never kept: each request renders the one page it asks for, at most MAX_SIDE pixels on its
longer side, from
  - the access copy, once the OCR made one: the pages as they were read, straightened, which is the frame
    of the boxes that records/fieldread.py keeps in Page.fields ("box", with the page's "size");
  - else the preservation master (a file received but not read yet, or one whose reading failed).
Only the asked page is decoded (poppler renders one page of a PDF on disk; an image is read frame by frame),
so a 200-page file costs no more memory than a one-page file. A file in S3 is first copied to a temporary
file in chunks.
"""
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from .intake import tmp_dir

MAX_SIDE = 2000  # pixels on the longer side: an A4 page at about 170 dpi, readable at 200 % zoom
QUALITY = 80
A4 = (210, 297)


class Unavailable(Exception):
    """No such page, or no file to render it from."""


def source(record):
    """(the file field, its kind, "access_copy" or "master") the record's pages are shown from."""
    if record.access_copy:
        return record.access_copy, "pdf", "access_copy"
    scan = record.scans.order_by("pk").first()
    if scan is None or not scan.master:
        raise Unavailable("no file")
    return scan.master, scan.kind, "master"


def page_total(record):
    """How many pages the viewer shows: the access copy's, else the scan's."""
    if record.access_copy and record.page_count:
        return record.page_count
    scan = record.scans.order_by("pk").first()
    return scan.page_count if scan else record.page_count


def render(record, number):
    """(JPEG bytes of page `number`, "access_copy" or "master"); Unavailable when there is no such page."""
    if number < 1 or number > page_total(record):
        raise Unavailable(f"no page {number}")
    fieldfile, kind, what = source(record)
    with tempfile.TemporaryDirectory(prefix="pageview-", dir=tmp_dir()) as workdir:
        path = _local_path(fieldfile, workdir)
        data = _render_pdf(path, number, workdir) if kind == "pdf" else _render_image(path, number)
    return data, what


def _local_path(fieldfile, workdir):
    """A path on disk of the stored file: the file itself on the file-system storage, else a copy."""
    try:
        return fieldfile.storage.path(fieldfile.name)
    except NotImplementedError:  # S3: copied in chunks, never held in memory whole
        local = Path(workdir) / "source"
        with fieldfile.storage.open(fieldfile.name, "rb") as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        return str(local)


def _render_pdf(path, number, workdir):
    out = Path(workdir) / "page"
    result = subprocess.run(
        ["pdftoppm", "-f", str(number), "-l", str(number), "-scale-to", str(MAX_SIDE), "-jpeg", "-jpegopt",
         f"quality={QUALITY}", "-singlefile", str(path), str(out)], capture_output=True, timeout=120)
    image = out.with_suffix(".jpg")
    if result.returncode != 0 or not image.exists():
        raise Unavailable(f"page {number} cannot be rendered")
    return image.read_bytes()


def _render_image(path, number):
    try:
        with Image.open(path) as source:
            source.seek(number - 1)
            source.draft("RGB", (MAX_SIDE, MAX_SIDE))  # a JPEG is decoded at a reduced size already
            image = source.convert("RGB" if source.mode not in ("1", "L", "I;16", "I") else "L")
    except (EOFError, OSError, ValueError) as exc:
        raise Unavailable(f"page {number} cannot be rendered") from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY)
    return buffer.getvalue()


def _percent(value, whole):
    return round(min(max(value / whole * 100, 0.0), 100.0), 2) if whole else 0.0


def pages(record, labels):
    """The pages the viewer shows, in order: [{"number", "ratio" (height / width, for the placeholder
    before the image loads), "boxes"}], one query. "boxes" are the key fields' boxes [{"field", "label",
    "flagged", "copy", "left", "top", "width", "height"} in percent of the page] for the fields whose box
    the reader kept (records/fieldread.py), only where the pages are shown from the access copy (the frame
    of the boxes). Each field's box comes from the first page with its label, as records.keyfields reads it;
    a field read on the copy of the ID card (*_copy) gets that box too."""
    flagged = set(record.flagged_fields)
    framed = bool(record.access_copy)
    seen, found, ratios = set(), {}, {}
    order = {name: i for i, name in enumerate(labels)}
    for number, fields in record.pages.order_by("number").values_list("number", "fields"):
        # in the fields' order (PostgreSQL's jsonb keeps its keys in an order of its own)
        for key, reading in sorted((fields or {}).items(), key=lambda item: (order.get(item[0].removesuffix("_copy"), 99), item[0])):
            box, size = (reading.get("box"), reading.get("size")) if isinstance(reading, dict) else (None, None)
            if not size or len(size) != 2 or not size[0] or not size[1]:
                continue
            ratios.setdefault(number, round(size[1] / size[0], 4))
            name = key.removesuffix("_copy")
            if not framed or key in seen or name not in labels or not box or len(box) != 4:
                continue
            seen.add(key)
            left, top = _percent(box[0], size[0]), _percent(box[1], size[1])
            found.setdefault(number, []).append({
                "field": name, "label": str(labels[name]), "flagged": name in flagged, "copy": key != name,
                "left": left, "top": top, "width": round(_percent(box[2], size[0]) - left, 2),
                "height": round(_percent(box[3], size[1]) - top, 2)})
    default = round(A4[1] / A4[0], 4)
    return [{"number": n, "ratio": ratios.get(n, default), "boxes": found.get(n, [])}
            for n in range(1, page_total(record) + 1)]
