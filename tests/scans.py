"""Generated scans for tests: a customer form rendered at 300 dpi with a CJK font, noise and skew."""
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def form_page(lines, dpi=300, skew=0.0, noise=0.01, seed=1):
    width, height = int(8.27 * dpi), int(11.69 * dpi)  # A4
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, int(dpi * 0.16))
    y = int(dpi * 0.8)
    for line in lines:
        draw.text((int(dpi * 0.8), y), line, font=font, fill=0)
        y += int(dpi * 0.35)
    rng = random.Random(seed)
    pixels = page.load()
    for _ in range(int(width * height * noise)):
        pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 90, 200))
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    if skew:
        page = page.rotate(skew, resample=Image.BICUBIC, expand=True, fillcolor=255)
    page.info["dpi"] = (dpi, dpi)
    return page


def blank_page(dpi=300):
    page = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    page.info["dpi"] = (dpi, dpi)
    return page
