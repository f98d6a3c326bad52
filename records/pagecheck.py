"""Page checks from DA/T 31-2017 on every scanned page: resolution, skew (with deskew), blank page.

Thresholds: below 200 dpi is rejected, below 300 dpi warned; skew above 3° is flagged (the page is still
deskewed for OCR); a page with almost no ink (after removing speckle) is flagged blank.
"""
from dataclasses import dataclass, field

from PIL import Image, ImageFilter, ImageOps

REJECT_DPI = 200
WARN_DPI = 300
MAX_SKEW = 3.0
BLANK_INK_RATIO = 0.0002


@dataclass
class PageCheck:
    dpi: int | None
    skew: float
    ink_ratio: float
    problems: list = field(default_factory=list)   # rejecting problems
    warnings: list = field(default_factory=list)

    @property
    def rejected(self):
        return bool(self.problems)

    @property
    def blank(self):
        return self.ink_ratio < BLANK_INK_RATIO


def image_dpi(image):
    dpi = image.info.get("dpi")
    if not dpi:
        return None
    return int(round(float(dpi[0])))


def _binary(image, width=1000):
    gray = ImageOps.grayscale(image)
    if gray.width > width:
        gray = gray.resize((width, max(1, int(gray.height * width / gray.width))))
    return gray.point(lambda v: 255 if v < 128 else 0)  # ink = white on black for projections


def _row_profile_score(binary, angle):
    rotated = binary.rotate(angle, resample=Image.NEAREST, expand=False, fillcolor=0)
    width, height = rotated.size
    data = rotated.tobytes()
    rows = [data[y * width:(y + 1) * width].count(255) for y in range(height)]
    return sum((a - b) ** 2 for a, b in zip(rows, rows[1:]))


def estimate_skew(image, limit=8.0, step=0.25):
    """Angle in degrees (positive = counter-clockwise) that makes text lines horizontal: the rotation whose
    row projection is sharpest."""
    binary = _binary(image)
    best_angle, best_score = 0.0, -1
    angle = -limit
    while angle <= limit + 1e-9:
        score = _row_profile_score(binary, angle)
        if score > best_score:
            best_angle, best_score = angle, score
        angle += step
    return round(-best_angle, 2)


def ink_ratio(image):
    binary = _binary(image)
    histogram = binary.histogram()
    return histogram[255] / max(1, binary.width * binary.height)


def check(image):
    dpi = image_dpi(image)
    ink = ink_ratio(image)
    skew = estimate_skew(image) if ink >= BLANK_INK_RATIO else 0.0
    result = PageCheck(dpi=dpi, skew=skew, ink_ratio=round(ink, 4))
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
    return result


def denoise(image):
    """Remove scanner speckle (3×3 median): cleaner pages and a much faster Tesseract on sparse pages."""
    return ImageOps.grayscale(image).filter(ImageFilter.MedianFilter(3))


def deskew(image, skew):
    """Rotate back by the measured skew."""
    if abs(skew) < 0.1:
        return image
    return image.rotate(-skew, resample=Image.BICUBIC, expand=True, fillcolor="white")
