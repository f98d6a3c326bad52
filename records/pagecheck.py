"""Page checks from DA/T 31-2017 on every scanned page: resolution, skew (with deskew), blank page.

Thresholds: below 200 dpi is rejected, below 300 dpi warned; skew above 3° is flagged (the page is still
deskewed for OCR); a page with almost no ink (after removing speckle) is flagged blank.
A scan that records no resolution (a TIFF without resolution tags reads as "1 dpi" in Pillow) is read as
300 dpi with a warning, not rejected. Tiny pages (a 256 × 10 px strip) have no margins to measure.
"""
import math
from dataclasses import dataclass, field

from PIL import Image, ImageFilter, ImageOps

REJECT_DPI = 200
WARN_DPI = 300
MAX_SKEW = 3.0
BLANK_INK_RATIO = 0.0005
MIN_SKEW_SIDE = 32  # pixels: a thinner strip has no lines whose tilt could be measured
INK_THRESHOLD = 160  # grey levels below this are ink
SPECKLE_DENOISE = 0.005  # share of ink pixels in the empty margins above which the page is despeckled
# (below it Tesseract's own binarisation copes as well with or without despeckling: measured in bench/)


@dataclass
class PageCheck:
    dpi: int | None
    skew: float
    ink_ratio: float
    speckle: float = 0.0
    problems: list = field(default_factory=list)   # rejecting problems
    warnings: list = field(default_factory=list)

    @property
    def rejected(self):
        return bool(self.problems)

    @property
    def blank(self):
        return self.ink_ratio < BLANK_INK_RATIO


def image_dpi(image):
    """The scan's resolution, or None when the file does not really record one."""
    tags = getattr(image, "tag_v2", None)  # a TIFF: Pillow reads missing resolution tags as 1 dpi
    if tags is not None and (282 not in tags or (tags.get(296) in (None, 1) and _number(tags[282]) <= 1)):
        return None
    dpi = image.info.get("dpi")
    if not dpi:
        return None
    value = _number(dpi[0])
    return int(round(value)) if value > 1 else None  # 1 (or 0, NaN) is "aspect ratio only", not a resolution


def _number(value):
    try:
        value = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def _binary(image, width=640):
    """A small black/white copy (ink = 255) for the measurements: cheap next to Tesseract."""
    gray = ImageOps.grayscale(image)
    factor = max(1, gray.width // width)
    if factor > 1:
        gray = gray.reduce(factor)
    return gray.point(lambda v: 255 if v < INK_THRESHOLD else 0)


def _row_profile_score(binary, angle):
    rotated = binary.rotate(angle, resample=Image.NEAREST, expand=False, fillcolor=0)
    width, height = rotated.size
    data = rotated.tobytes()
    rows = [data[y * width:(y + 1) * width].count(255) for y in range(height)]
    return sum(count * count for count in rows)  # largest when the ink sits in few rows: the lines are level


def _best_angle(binary, angles):
    return max(angles, key=lambda angle: _row_profile_score(binary, angle))


def estimate_skew(image, limit=8, binary=None):
    """Angle in degrees (positive = counter-clockwise) by which the text lines are tilted: the rotation
    whose row projection is sharpest, searched by whole degrees, then by quarter degrees within 1.5° of the
    best, then by an eighth either side."""
    binary = binary or _binary(image)
    small = binary
    if binary.width > 400:  # the coarse search on a quarter-size copy: cheap. A pixel there is ink if any of
        # its source pixels was (reduce() averages; thin strokes would otherwise fade from the projection
        # and speckle decide the angle)
        small = binary.reduce(binary.width // 320).point(lambda v: 255 if v >= 64 else 0)
    coarse = _best_angle(small, range(-limit, limit + 1))
    fine = _best_angle(binary, [coarse + step / 4 for step in range(-6, 7)])  # the coarse step may be one off
    fine = _best_angle(binary, [fine - 0.125, fine, fine + 0.125])
    return round(-fine, 2)


def ink_ratio(image, binary=None):
    binary = binary or _binary(image)
    histogram = binary.histogram()
    return histogram[255] / max(1, binary.width * binary.height)


def speckle(image):
    """Scanner noise: the share of ink pixels in the page margins (left, right and bottom strips; the
    cleanest of the three, so a signature in one of them does not count)."""
    width, height = image.size
    m = max(1, int(width * 0.05))
    strips = [(0, m, m, height - m), (width - m, m, width, height - m), (m, height - 2 * m, width - m, height - m // 2)]
    strips = [box for box in strips if box[0] >= 0 and box[1] >= 0 and box[2] > box[0] and box[3] > box[1]]
    if not strips:  # too small to have margins
        return 0.0
    ratios = []
    for box in strips:
        crop = image.crop(box).point(lambda v: 255 if v < INK_THRESHOLD else 0)
        ratios.append(crop.histogram()[255] / max(1, crop.width * crop.height))
    return min(ratios)


def check(image):
    dpi = image_dpi(image)
    binary = _binary(image)
    ink = ink_ratio(image, binary)
    measurable = ink >= BLANK_INK_RATIO and min(image.size) >= MIN_SKEW_SIDE
    skew = estimate_skew(image, binary=binary) if measurable else 0.0
    result = PageCheck(dpi=dpi, skew=skew, ink_ratio=round(ink, 4), speckle=round(speckle(image), 4))
    if dpi is None:
        result.warnings.append("扫描件未记录分辨率，按 300 dpi 处理")
    elif dpi < REJECT_DPI:
        result.problems.append(f"分辨率 {dpi} dpi 低于 {REJECT_DPI} dpi，请重新扫描")
    elif dpi < WARN_DPI:
        result.warnings.append(f"分辨率 {dpi} dpi 低于建议的 {WARN_DPI} dpi")
    if abs(result.skew) > MAX_SKEW:
        result.warnings.append(f"页面倾斜 {abs(result.skew):.1f}°，超过 {MAX_SKEW:.0f}°（已自动纠偏）")
    if result.blank:
        result.warnings.append("空白页")
    elif result.speckle >= SPECKLE_DENOISE:
        result.warnings.append("扫描噪点较多（已去噪）")
    return result


def denoise(image):
    """Remove scanner speckle (3×3 median): cleaner pages and a much faster Tesseract on sparse pages."""
    return ImageOps.grayscale(image).filter(ImageFilter.MedianFilter(3))


def deskew(image, skew):
    """Rotate the pixels back by the measured skew (used above MAX_SKEW, where OCR suffers; smaller skews
    are straightened in the access copy's PDF geometry instead, without resampling)."""
    if abs(skew) < 0.1:
        return image
    return image.rotate(-skew, resample=Image.BILINEAR, expand=True, fillcolor=255)
