"""Per-image capture metadata (DA/T 31-2017): what the scanner wrote into the file, page by page.

Read at intake from the file's own tags only - TIFF tags, JPEG EXIF/JFIF, PNG pHYs, a PDF's document
information - without decoding pixels. A value the file does not carry is None and its name is listed in
the page's "unknown": it is never filled from a default (a missing resolution is not 300 dpi). The intake
batch is the only value not taken from the file: the caller passes it when the file came in a batch.
"""
import datetime
import logging

from PIL import Image
from pypdf import PdfReader

log = logging.getLogger(__name__)

FIELDS = ("dpi", "colour_mode", "compression", "device", "software", "captured_at", "operator", "batch")
LABELS = {"dpi": "分辨率", "colour_mode": "色彩模式", "compression": "压缩方式", "device": "扫描设备",
          "software": "软件版本", "captured_at": "扫描时间", "operator": "扫描人员", "batch": "批次"}

# TIFF / EXIF tag numbers
MAKE, MODEL, SOFTWARE, DATETIME, ARTIST = 271, 272, 305, 306, 315
TIFF_COMPRESSION = 259
COMPRESSION_NAMES = {1: "none", 2: "ccitt_rle", 3: "group3", 4: "group4", 5: "lzw", 6: "jpeg_old", 7: "jpeg",
                     8: "deflate", 32773: "packbits", 32946: "deflate"}


def _text(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value).replace("\x00", "").strip()
    return value[:200] or None


def _dpi(value):
    """(x, y) as integers, or None for no resolution or an aspect-only one (JFIF density 1:1)."""
    if not value:
        return None
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if x <= 1 or y <= 1:
        return None
    return [round(x), round(y)]


def _exif_time(value):
    """EXIF "YYYY:MM:DD HH:MM:SS" as ISO text; anything else kept as written."""
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text, "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return text


def _device(make, model):
    parts = [p for p in (_text(make), _text(model)) if p]
    if len(parts) == 2 and parts[1].startswith(parts[0]):
        parts = parts[1:]
    return " ".join(parts) or None


def _page(number, batch, **values):
    page = {"page": number, **{name: values.get(name) for name in FIELDS}}
    page["batch"] = batch or None
    page["unknown"] = [name for name in FIELDS if page[name] in (None, "", [])]
    return page


def _image_pages(path, batch):
    pages = []
    with Image.open(path) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            info = image.info
            if image.format == "TIFF":
                tags = image.tag_v2
                code = tags.get(TIFF_COMPRESSION)
                compression = info.get("compression") or COMPRESSION_NAMES.get(code)
                dpi = None
                if 282 in tags and 283 in tags and tags.get(296, 2) in (2, 3):  # inch or centimetre
                    factor = 2.54 if tags.get(296, 2) == 3 else 1
                    dpi = _dpi((float(tags[282]) * factor, float(tags[283]) * factor))
                values = dict(dpi=dpi, compression=compression, device=_device(tags.get(MAKE), tags.get(MODEL)),
                              software=_text(tags.get(SOFTWARE)), captured_at=_exif_time(tags.get(DATETIME)),
                              operator=_text(tags.get(ARTIST)))
            else:
                exif = image.getexif()
                values = dict(dpi=_dpi(info.get("dpi")),
                              compression={"JPEG": "jpeg", "PNG": "deflate"}.get(image.format),
                              device=_device(exif.get(MAKE), exif.get(MODEL)), software=_text(exif.get(SOFTWARE)),
                              captured_at=_exif_time(exif.get(DATETIME)), operator=_text(exif.get(ARTIST)))
            pages.append(_page(index + 1, batch, colour_mode=image.mode, **values))
    return pages


def _pdf_date(value):
    text = _text(value)
    if not text:
        return None
    text = text[2:] if text.startswith("D:") else text
    try:
        return datetime.datetime.strptime(text[:14], "%Y%m%d%H%M%S").isoformat()
    except ValueError:
        return text


def _pdf_pages(path, batch, page_count):
    """A PDF says little per page: the producing software and the creation time of the document, the rest
    is unknown (a scanner's PDF carries no resolution of its own; its images' pixels are not decoded)."""
    with open(path, "rb") as fh:
        info = PdfReader(fh, strict=False).metadata or {}
        software = _text(info.get("/Producer")) or _text(info.get("/Creator"))
        created = _pdf_date(info.get("/CreationDate"))
        operator = _text(info.get("/Author"))
    return [_page(n, batch, software=software, captured_at=created, operator=operator)
            for n in range(1, page_count + 1)]


def read(path, kind, page_count, batch=None):
    """One dict per page. A file the reader cannot interpret yields pages with everything unknown (the
    intake has already refused unreadable files; this only reads tags)."""
    try:
        if kind == "pdf":
            return _pdf_pages(path, batch, page_count)
        return _image_pages(path, batch)
    except Exception as exc:  # odd tags must not refuse a file the intake accepted
        log.info("capture metadata unreadable in %s: %s: %s", path, type(exc).__name__, exc)
        return [_page(n, batch) for n in range(1, page_count + 1)]
