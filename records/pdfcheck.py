"""Decoding the scanned images inside a PDF at intake, bounded, so a PDF whose page image is truncated or
corrupt is refused at once, naming the page, instead of being received.

Why here and not by rendering: poppler (pdftoppm, which the OCR worker uses) draws a damaged image as far
as it can and exits 0, so the worker would read a half-grey page and nobody would be told to rescan. Each
image is decoded the cheapest way that still reads every byte of it, one at a time, nothing kept:
- JPEG (DCTDecode): Pillow with a 1/8 draft (every byte entropy-decoded, 1/64 of the pixels kept);
- Flate alone: inflated in chunks that are counted and dropped; no zlib error (damaged bytes, a checksum
  that does not match) and every row the image dictionary claims;
- CCITT fax and JPEG 2000 (at reduced resolution): decoded by Pillow;
- other filter chains: decoded by pypdf (its own output limits apply) and the rows counted.
An image whose dictionary claims more pixels than INTAKE_MAX_PIXELS is a decompression bomb and refused
before a byte is decoded. An image shared by several pages is decoded once; each image's stream is dropped
from pypdf's object cache once decoded, so memory holds one image, not the file. JBIG2 and inline images are
left to the worker (pypdf needs a separate program for JBIG2; inline images are small).
"""
import io
import zlib

from PIL import Image
from pypdf.generic import ArrayObject, IndirectObject

DCT = {"/DCTDecode", "/DCT"}
FLATE = {"/FlateDecode", "/Fl"}
CCITT = {"/CCITTFaxDecode", "/CCF"}
JPX = {"/JPXDecode"}
JBIG2 = {"/JBIG2Decode"}
COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/G": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/RGB": 3, "/Lab": 3,
              "/DeviceCMYK": 4, "/CMYK": 4, "/Indexed": 1, "/I": 1, "/Separation": 1, "/Pattern": 1}
INFLATE_CHUNK = 1024 * 1024


class Damaged(Exception):
    """The image cannot be decoded (its page is named by the caller)."""


class TooLarge(Exception):
    def __init__(self, pixels):
        self.pixels = pixels
        super().__init__(pixels)


def _names(value):
    value = value.get_object() if isinstance(value, IndirectObject) else value
    if value is None:
        return []
    if isinstance(value, (list, ArrayObject)):
        return [str(v.get_object()) for v in value]
    return [str(value)]


def _components(xobj):
    if xobj.get("/ImageMask"):
        return 1
    space = xobj.get("/ColorSpace")
    space = space.get_object() if space is not None else None
    if isinstance(space, (list, ArrayObject)) and space:
        family = str(space[0].get_object())
        if family == "/ICCBased" and len(space) > 1:
            return int(space[1].get_object().get("/N", 1))
        if family == "/DeviceN" and len(space) > 1:
            return max(1, len(space[1].get_object()))
        return COMPONENTS.get(family, 1)
    return COMPONENTS.get(str(space), 1)


def _rows_bytes(xobj, width, height):
    """Bytes of the decoded image (without predictor bytes): what a complete stream must at least hold."""
    bits = 1 if xobj.get("/ImageMask") else int(xobj.get("/BitsPerComponent", 8) or 8)
    return (width * _components(xobj) * bits + 7) // 8 * height


def _inflate(data, at_least):
    """Inflate in counted chunks (nothing kept). A zlib error (damaged bytes, wrong checksum) or fewer bytes
    than the rows need is damage; a stream that holds every row but lacks its end is tolerated."""
    decoder = zlib.decompressobj()
    produced = len(decoder.decompress(data, INFLATE_CHUNK))
    while not decoder.eof and decoder.unconsumed_tail and produced <= at_least + INFLATE_CHUNK:
        produced += len(decoder.decompress(decoder.unconsumed_tail, INFLATE_CHUNK))
    if not decoder.eof and produced <= at_least + INFLATE_CHUNK:
        produced += len(decoder.flush())
    if produced < at_least:
        raise Damaged(f"flate stream ends after {produced} of {at_least} bytes")


def _decode_with_pillow(data, draft=False, reduce=0):
    with Image.open(io.BytesIO(data)) as image:
        if draft:
            image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
        if reduce:
            image.reduce = reduce
        image.load()


def check_image(xobj, limit):
    """Decode one image XObject; raise TooLarge or Damaged."""
    width, height = int(xobj.get("/Width", 0) or 0), int(xobj.get("/Height", 0) or 0)
    if width <= 0 or height <= 0:
        raise Damaged("image without dimensions")
    if width * height > limit:
        raise TooLarge(width * height)
    filters = _names(xobj.get("/Filter"))
    last = filters[-1] if filters else None
    try:
        if last in JBIG2:
            return
        if filters and all(f in FLATE for f in filters) and len(filters) == 1:
            return _inflate(xobj._data, _rows_bytes(xobj, width, height))
        data = xobj.get_data()  # DCT and JPX pass through; CCITT comes back as a TIFF
        if last in DCT:
            _decode_with_pillow(data, draft=True)
        elif last in CCITT:
            _decode_with_pillow(data)
        elif last in JPX:
            _decode_with_pillow(data, reduce=3)
        elif len(data) < _rows_bytes(xobj, width, height):
            raise Damaged(f"image data ends after {len(data)} bytes")
    except (Damaged, TooLarge):
        raise
    except Image.DecompressionBombError:
        raise TooLarge(limit * 2) from None  # Pillow refuses at twice its limit
    except Exception as exc:  # zlib.error, OSError, pypdf's errors...: any failure to decode is damage
        raise Damaged(f"{type(exc).__name__}: {exc}") from exc


def page_images(page, seen):
    """The image XObjects drawn by a page, through its forms, each once (`seen`: ids already decoded)."""
    stack = [page.get("/Resources")]
    while stack:
        resources = stack.pop()
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if resources else None
        for ref in (xobjects.get_object().values() if xobjects else ()):
            key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else id(ref)
            if key in seen:
                continue
            seen.add(key)
            xobj = ref.get_object()
            subtype = xobj.get("/Subtype")
            if subtype == "/Image":
                yield xobj
                _forget(page, ref)
            elif subtype == "/Form":
                stack.append(xobj.get("/Resources"))


def _forget(page, ref):
    """Drop the decoded image's stream from pypdf's cache of resolved objects: memory stays at one image,
    not the whole file."""
    cache = getattr(getattr(page, "pdf", None), "resolved_objects", None)
    if isinstance(ref, IndirectObject) and isinstance(cache, dict):
        cache.pop((ref.generation, ref.idnum), None)


def check_page(page, limit, seen):
    """Decode every image of one page (one at a time); raise TooLarge or Damaged."""
    Image.MAX_IMAGE_PIXELS = limit  # the image's own header may claim more than its PDF dictionary
    for xobj in page_images(page, seen):
        check_image(xobj, limit)
