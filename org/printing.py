"""What every printed PDF (forms, volumes, handbook, separator sheets) shares: the Chinese font embedded in
the file, so a sheet prints the same everywhere, and the one way text becomes a ReportLab Paragraph.

ReportLab reads a Paragraph's text as markup: `<img src="/any/file.png"/>` in a name or a note would embed a
file of the server into the PDF, and a broken tag (`<b>`, `<font name=x>`, `&bogus;`) makes printing fail.
So nothing else builds a Paragraph (tests/org/test_pdf_escaping.py checks the source): text() escapes the value
whole and adds only its own line breaks."""
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

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


def text(value, style):
    """A Paragraph showing `value` (anything: str() of it, None as empty) literally, its lines kept."""
    lines = ("" if value is None else str(value)).splitlines() or [""]
    return Paragraph("<br/>".join(escape(line) for line in lines), style)
