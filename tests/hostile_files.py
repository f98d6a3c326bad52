"""A small corpus of hostile and odd files, generated here (nothing carried in the repository): what real
scanners, mail gateways and people send. Each entry says whether intake must accept it or refuse it, and
a word the refusal must contain (English msgid or its Chinese text), so every channel is held to the same
answer.
"""
import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import NameObject, NumberObject

from tests.scans import form_lines, form_page


@dataclass
class Hostile:
    name: str
    data: bytes
    accept: bool  # received as a record (OCR may still flag it), or refused at intake
    why: str      # what the case is about
    page: int = 0  # the page a refusal must name


def _small_form(dpi=300):
    """A readable form, cropped to its top (small files keep the suite fast)."""
    page = form_page(form_lines(), dpi=dpi, noise=0.0)
    page = page.crop((0, 0, page.width, int(dpi * 2.2)))
    page.info["dpi"] = (dpi, dpi)
    return page


def _save(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb_header():
    """A PNG whose header claims 60000 × 60000 pixels, with a few bytes of data: a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _png_chunk(b"IEND", b""))


def tiff_without_width(first_page_too=False):
    """A two-page TIFF whose second page has no ImageWidth tag: Pillow opens it, then raises
    TypeError("Missing dimensions") (not an OSError) on reaching that page. With `first_page_too`, the
    first page lacks it as well (Pillow then cannot identify the file)."""
    frames = [Image.new("L", (40, 40), 255) for _ in range(2)]
    data = _save(frames[0], "TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300))
    width_tag = b"\x00\x01\x04\x00"  # tag 256 (ImageWidth), type LONG, little-endian
    at = data.find(width_tag) if first_page_too else data.rfind(width_tag)
    return data[:at] + b"\xf0\xff\x04\x00" + data[at + 4:]


def tiff_no_dpi():
    """A good scan whose TIFF carries no resolution tags (many scanner drivers write none)."""
    image = _small_form().convert("L")
    image.info.pop("dpi", None)
    return _save(image, "TIFF", compression="tiff_lzw")


def bigtiff():
    """A BigTIFF (magic II+, 64-bit offsets), as large-format scanners write. Pillow reads it; our sniffing
    must know the magic number. Written by hand: Pillow only writes classic TIFF."""
    image = _small_form().convert("L")
    pixels = image.tobytes()
    width, height = image.size
    # header (16) | pixel strip | IFD; an 8-byte rational (the resolution) fits in the entry itself
    strip_at = 16
    ifd_at = strip_at + len(pixels)
    dpi = 300 | (1 << 32)  # 300/1 as the little-endian pair (numerator, denominator)
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 16, 1, strip_at), (277, 3, 1, 1), (278, 4, 1, height), (279, 16, 1, len(pixels)),
               (282, 5, 1, dpi), (283, 5, 1, dpi), (296, 3, 1, 2)]
    ifd = struct.pack("<Q", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHQQ", tag, kind, count, value)
    ifd += struct.pack("<Q", 0)
    header = b"II+\x00" + struct.pack("<HHQ", 8, 0, ifd_at)
    return header + pixels + ifd


def thin_strip():
    """A 256 × 10 pixel image at 300 dpi (a cropped barcode strip): too small to have page margins."""
    image = Image.new("L", (256, 10), 255)
    for x in range(20, 230, 6):
        for y in range(2, 8):
            image.putpixel((x, y), 0)
    return _save(image, "PNG", dpi=(300, 300))


def pdf_with_low_page(pages=3, low=2):
    """A PDF of `pages` scanned pages where page `low` was scanned at 72 dpi."""
    good = [_small_form() for _ in range(pages)]
    writer = PdfWriter()
    for number, page in enumerate(good, start=1):
        dpi = 72 if number == low else 300
        scaled = page if dpi == 300 else page.resize((page.width * 72 // 300, page.height * 72 // 300))
        writer.append(io.BytesIO(_save(scaled.convert("L"), "PDF", resolution=dpi)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_damaged_image(page_pdf, pages=3, damaged=2, how="truncated-jpeg"):
    """A scanned PDF of `pages` copies of a one-page scan (`page_pdf`, Pillow's: a JPEG image) whose page
    `damaged` has a damaged image: poppler draws such an image half grey and
    exits 0, so only decoding it at intake finds it. `how`: truncated-jpeg, truncated-flate, corrupt-flate,
    flate (undamaged, Flate instead of JPEG), bomb (the dictionary claims 60000 × 60000 pixels)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.append(io.BytesIO(page_pdf))
    for number, page in enumerate(writer.pages, start=1):
        if number != damaged:
            continue
        for ref in page["/Resources"]["/XObject"].values():
            image = ref.get_object()
            jpeg = image._data
            raw = Image.open(io.BytesIO(jpeg)).tobytes()
            if how == "truncated-jpeg":
                image._data = jpeg[: len(jpeg) // 2]
                continue
            image[NameObject("/Filter")] = NameObject("/FlateDecode")
            packed = zlib.compress(raw)
            if how == "truncated-flate":
                packed = packed[: len(packed) // 2]
            elif how == "corrupt-flate":
                packed = bytearray(packed)
                packed[len(packed) // 2: len(packed) // 2 + 32] = bytes(b ^ 0x5A for b in packed[len(packed) // 2:
                                                                                                 len(packed) // 2 + 32])
                packed = bytes(packed)
            elif how == "bomb":
                image[NameObject("/Width")] = image[NameObject("/Height")] = NumberObject(60000)
            image._data = packed
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def corpus():
    """The hostile files, by name; generated once per call (a second or so)."""
    png = _save(_small_form(), "PNG", dpi=(300, 300))
    jpeg = _save(_small_form().convert("L"), "JPEG", dpi=(300, 300), quality=80)
    tiff = _save(_small_form().convert("L"), "TIFF", dpi=(300, 300), compression="tiff_lzw")
    pdf = _save(_small_form().convert("L"), "PDF", resolution=300)
    return [
        Hostile("good.png", png, True, "a good scan"),
        Hostile("truncated.png", png[: len(png) // 2], False, "image file is truncated"),
        Hostile("truncated.jpg", jpeg[: len(jpeg) // 2], False, "decoder error -2 later in the worker"),
        Hostile("truncated.tif", tiff[: len(tiff) // 2], False, "strips cut off"),
        Hostile("zero.pdf", b"", False, "zero bytes"),
        Hostile("zero.png", b"", False, "zero bytes"),
        Hostile("no-dpi.tif", tiff_no_dpi(), True, "no resolution tags: read as 300 dpi with a warning"),
        Hostile("big.tif", bigtiff(), True, "BigTIFF is a TIFF"),
        Hostile("strip.png", thin_strip(), True, "256 × 10 px: the speckle check must not crash"),
        Hostile("corrupt.pdf", pdf[: len(pdf) // 3], False, "PDF cut off"),
        Hostile("garbage.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 8, False, "PDF header, no PDF"),
        Hostile("low-page.pdf", pdf_with_low_page(), True, "one 72 dpi page among 300 dpi pages"),
        Hostile("no-width.tif", tiff_without_width(), False, "TypeError: Missing dimensions on page 2"),
        Hostile("no-width-1.tif", tiff_without_width(True), False, "no width on the only readable page"),
        Hostile("page.pdf", b"<!DOCTYPE html><html><body>Not found</body></html>", False, "HTML renamed .pdf"),
        Hostile("bomb.png", png_bomb_header(), False, "decompression bomb header"),
        Hostile("bad-crc.png", png[:40] + bytes([png[40] ^ 0xFF]) + png[41:], False, "a damaged chunk"),
        Hostile("jpeg-header-only.jpg", jpeg[:200], False, "only the JPEG header"),
        Hostile("pdf-truncated-jpeg.pdf", pdf_with_damaged_image(pdf, how="truncated-jpeg"), False,
                "page 2's JPEG cut off: poppler draws it half grey", page=2),
        Hostile("pdf-truncated-flate.pdf", pdf_with_damaged_image(pdf, how="truncated-flate"), False,
                "page 2's Flate image cut off", page=2),
        Hostile("pdf-corrupt-flate.pdf", pdf_with_damaged_image(pdf, how="corrupt-flate"), False,
                "page 2's Flate image with damaged bytes", page=2),
        Hostile("pdf-image-bomb.pdf", pdf_with_damaged_image(pdf, how="bomb", damaged=3), False,
                "page 3's image claims 3.6 billion pixels", page=3),
        Hostile("pdf-flate.pdf", pdf_with_damaged_image(pdf, how="flate"), True, "a good scan with Flate images"),
    ]


def by_name():
    return {item.name: item for item in corpus()}
