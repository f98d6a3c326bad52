"""Separator sheets between customer files in a batch scan.

Archivists put a printed separator sheet (a large QR code carrying SEPARATOR_PAYLOAD) between two customer
files and scan the whole pile at once; split_into_files() then cuts the batch at every separator page.
The PDF (for printing) and the image (for tests and simulated scans) share one layout, given in millimetres.
"""
import io

import qrcode
import zxingcpp
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from org.printing import cjk_font

SEPARATOR_PAYLOAD = "HALLRECORDS-SEPARATOR:v1"

TITLE = "客户资料分隔页"
INSTRUCTIONS = (
    "请将本页放在两份客户资料之间一并扫描",
    "系统在此页处拆分文件，本页不计入资料",
    "请勿折叠、涂改",
)
ENGLISH_LINE = "Separator sheet - scan between customer files"

# Layout, in millimetres from the top-left corner of an A4 page; text positions are baselines.
PAGE_W_MM, PAGE_H_MM = 210.0, 297.0
TITLE_Y_MM, TITLE_PT = 32.0, 30
QR_TOP_MM, QR_SIZE_MM = 42.0, 90.0  # quiet zone included; ends at 132 mm, inside the upper half
LINES_Y_MM, LINE_STEP_MM, LINE_PT = 152.0, 13.0, 17
ENGLISH_Y_MM, ENGLISH_PT = 280.0, 10

CJK_FONT_FILE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

DETECT_WIDTH = 1000  # pages are downscaled to this width (grayscale) before the first decoding attempt


def _qr_image(box_size=10):
    """The separator QR code as a grayscale PIL image (error correction Q, 4-module quiet zone)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, box_size=box_size, border=4)
    qr.add_data(SEPARATOR_PAYLOAD)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("L")


def separator_sheet_pdf() -> bytes:
    """The printable A4 separator sheet as PDF bytes."""
    font = cjk_font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.setTitle(TITLE)
    page_h = A4[1]
    centre_x = A4[0] / 2

    def baseline(y_mm):
        return page_h - y_mm * mm

    pdf.setFont(font, TITLE_PT)
    pdf.drawCentredString(centre_x, baseline(TITLE_Y_MM), TITLE)

    size = QR_SIZE_MM * mm
    pdf.drawImage(ImageReader(_qr_image()), centre_x - size / 2, baseline(QR_TOP_MM) - size, size, size)

    pdf.setFont(font, LINE_PT)
    for i, line in enumerate(INSTRUCTIONS):
        pdf.drawCentredString(centre_x, baseline(LINES_Y_MM + i * LINE_STEP_MM), line)

    pdf.setFont("Helvetica", ENGLISH_PT)
    pdf.drawCentredString(centre_x, baseline(ENGLISH_Y_MM), ENGLISH_LINE)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def separator_sheet_image(dpi=300) -> Image.Image:
    """The separator sheet rendered as a grayscale A4 image at `dpi` (as if scanned)."""
    def px(value_mm):
        return round(value_mm / 25.4 * dpi)

    def font(points):
        return ImageFont.truetype(CJK_FONT_FILE, round(points / 72 * dpi))

    page = Image.new("L", (px(PAGE_W_MM), px(PAGE_H_MM)), 255)
    draw = ImageDraw.Draw(page)
    centre_x = page.width // 2
    draw.text((centre_x, px(TITLE_Y_MM)), TITLE, font=font(TITLE_PT), fill=0, anchor="ms")

    size = px(QR_SIZE_MM)
    qr = _qr_image(box_size=1).resize((size, size), Image.NEAREST)
    page.paste(qr, (centre_x - size // 2, px(QR_TOP_MM)))

    line_font = font(LINE_PT)
    for i, line in enumerate(INSTRUCTIONS):
        draw.text((centre_x, px(LINES_Y_MM + i * LINE_STEP_MM)), line, font=line_font, fill=0, anchor="ms")
    draw.text((centre_x, px(ENGLISH_Y_MM)), ENGLISH_LINE, font=font(ENGLISH_PT), fill=0, anchor="ms")
    page.info["dpi"] = (dpi, dpi)
    return page


def _has_payload(image, **options) -> tuple[bool, bool]:
    """(separator found, any QR code found) for one decoding attempt."""
    barcodes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, **options)
    return any(b.text == SEPARATOR_PAYLOAD for b in barcodes), bool(barcodes)


def is_separator(image) -> bool:
    """True when the page carries a QR code whose content is exactly SEPARATOR_PAYLOAD.

    The page is first decoded in grayscale downscaled to DETECT_WIDTH px wide (fast: the separator QR is
    large); the full-resolution page is decoded only when no QR code at all was found at that size.
    """
    gray = image if image.mode == "L" else image.convert("L")  # cheaper than resizing colour pixels
    small = gray
    if gray.width > DETECT_WIDTH:
        height = max(1, round(gray.height * DETECT_WIDTH / gray.width))
        small = gray.resize((DETECT_WIDTH, height), Image.BOX)
    found, any_qr = _has_payload(small, try_rotate=False, try_downscale=False, try_invert=False)
    if found or any_qr or small is gray:
        return found
    return _has_payload(gray)[0]


def split_into_files(pages) -> list[list[int]]:
    """Group the 0-based page indexes of a batch scan into customer files, cutting at separator pages.

    Separator pages are left out and empty groups dropped. `pages` is consumed lazily, one image at a time.
    """
    files, current = [], []
    for index, page in enumerate(pages):
        if is_separator(page):
            if current:
                files.append(current)
            current = []
        else:
            current.append(index)
    if current:
        files.append(current)
    return files
