"""Fonts for the PDFs the system prints (separator sheets, forms): a Chinese TrueType font embedded in the
file, so a sheet prints the same everywhere."""
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

EMBEDDED = ("WenQuanYiZenHei", Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"))  # fonts-wqy-zenhei
FALLBACK = "STSong-Light"  # reportlab's built-in CID font: not embedded, the reader must supply it


def cjk_font():
    """Name of the registered Chinese font: the embedded TrueType font when installed."""
    name, path = EMBEDDED
    registered = pdfmetrics.getRegisteredFontNames()
    if name in registered:
        return name
    if path.exists():
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
        return name
    if FALLBACK not in registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK
