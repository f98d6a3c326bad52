"""Separator sheets: the printed PDF, detection on simulated scans, and splitting a batch scan."""
import gc
import io
import random
import subprocess
import weakref

import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfReader

from records.separator import (
    CJK_FONT_FILE,
    ENGLISH_LINE,
    INSTRUCTIONS,
    SEPARATOR_PAYLOAD,
    TITLE,
    is_separator,
    separator_sheet_image,
    separator_sheet_pdf,
    split_into_files,
)

A4_300 = (2480, 3508)
WORDS = "本协议由甲乙双方在平等自愿的基础上签订双方应遵守国家有关电信管理的法律法规客户资料受法律保护"


def chinese_text_page(seed=1, lines=20):
    """A white A4 page at 300 dpi with a few lines of ordinary Chinese text."""
    page = Image.new("L", A4_300, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(CJK_FONT_FILE, 48)
    rng = random.Random(seed)
    draw.text((240, 240), "中国移动通信 业务受理单", font=font, fill=0)
    for i in range(lines):
        line = "".join(rng.choice(WORDS) for _ in range(30))
        draw.text((240, 400 + i * 120), line, font=font, fill=0)
    return page


def scanned(page, angle, seed=1):
    """Simulate a scan: rotate by `angle` degrees, add grain and speckle, soften."""
    page = page.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    page = ImageChops.add(page, Image.effect_noise(page.size, 30), 1.0, -128)  # gaussian grain
    rng = random.Random(seed)
    pixels = page.load()
    width, height = page.size
    for _ in range(width * height // 200):  # 0.5 % speckle
        pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 60, 255))
    return page.filter(ImageFilter.GaussianBlur(0.7))


def qr_page(content):
    """A blank A4 page with a large QR code of `content`, placed like the separator's."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    qr.add_data(content)
    qr.make(fit=True)
    page = Image.new("L", A4_300, 255)
    page.paste(qr.make_image().get_image().convert("L").resize((900, 900), Image.NEAREST), (790, 500))
    return page


def test_pdf_is_one_a4_page_with_the_texts():
    pdf = separator_sheet_pdf()
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    for line in (TITLE, *INSTRUCTIONS, ENGLISH_LINE):
        assert line in text


def test_printed_pdf_rasterised_at_300_dpi_is_a_separator(tmp_path):
    (tmp_path / "sheet.pdf").write_bytes(separator_sheet_pdf())
    subprocess.run(["/usr/bin/pdftoppm", "-r", "300", "-png", "-singlefile", tmp_path / "sheet.pdf",
                    tmp_path / "page"], check=True, capture_output=True)
    with Image.open(tmp_path / "page.png") as page:
        page.load()
    assert abs(page.width - A4_300[0]) <= 2 and abs(page.height - A4_300[1]) <= 2
    assert is_separator(page)

    # The QR code is at least 6 cm wide and lies in the upper half of the page.
    (code,) = zxingcpp.read_barcodes(page.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert code.text == SEPARATOR_PAYLOAD
    corners = (code.position.top_left, code.position.top_right, code.position.bottom_left,
               code.position.bottom_right)
    width_cm = (max(p.x for p in corners) - min(p.x for p in corners)) / 300 * 2.54
    assert width_cm >= 6
    assert max(p.y for p in corners) < page.height / 2


@pytest.mark.parametrize("angle", [4, -5])
def test_skewed_noisy_scan_of_the_sheet_is_a_separator(angle):
    sheet = separator_sheet_image(dpi=300)
    assert sheet.size == A4_300
    assert is_separator(sheet)
    assert is_separator(scanned(sheet, angle, seed=angle))


def test_colour_scan_is_a_separator():
    assert is_separator(scanned(separator_sheet_image(), 2).convert("RGB"))


@pytest.mark.parametrize("make_page", [
    lambda: chinese_text_page(),
    lambda: scanned(chinese_text_page(seed=2), 3),
    lambda: Image.new("L", A4_300, 255),
], ids=["chinese-text", "chinese-text-scanned", "blank"])
def test_ordinary_pages_are_not_separators(make_page):
    assert not is_separator(make_page())


@pytest.mark.parametrize("content", ["HALLRECORDS-SEPARATOR:v2", "https://example.com/hall/H11"])
def test_qr_code_with_other_content_is_not_a_separator(content):
    page = qr_page(content)
    assert [c.text for c in zxingcpp.read_barcodes(page)] == [content]  # the code itself is readable
    assert not is_separator(page)


def test_split_into_files_lazily():
    sep = separator_sheet_image()
    docs = [chinese_text_page(seed=s, lines=8) for s in range(3)]
    layout = ["doc", "doc", "sep", "doc", "sep", "sep", "doc", "doc", "sep"]
    alive = []  # weak references to the pages handed out

    def pages():
        for i, kind in enumerate(layout):
            page = (sep if kind == "sep" else docs[i % 3]).copy()
            alive.append(weakref.ref(page))
            yield page
            del page
            gc.collect()
            # The consumer may still hold the page it just got, but none before it.
            assert all(ref() is None for ref in alive[:-1])

    assert split_into_files(pages()) == [[0, 1], [3], [6, 7]]
    assert len(alive) == len(layout)


@pytest.mark.parametrize("layout, expected", [
    ([], []),
    (["sep", "sep"], []),
    (["doc"], [[0]]),
    (["sep", "doc", "doc"], [[1, 2]]),
])
def test_split_into_files_edge_cases(layout, expected):
    sep, doc = separator_sheet_image(dpi=100), chinese_text_page(lines=3).resize((827, 1169))
    assert split_into_files(sep if kind == "sep" else doc for kind in layout) == expected
