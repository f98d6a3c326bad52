"""PDFs of a procedure and of the whole handbook, with the version and effective date on every page."""
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate, Spacer

from org.printing import cjk_font, text

from . import revisionlog
from .fields import sections


def effective_date(page):
    log = revisionlog.history(page)
    when = log[-1].effective_from if log else page.last_published_at
    return timezone.localtime(when).strftime("%Y-%m-%d") if when else "-"


def _styles():
    font = cjk_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=6),
        "part": ParagraphStyle("part", fontName=font, fontSize=18, leading=26, spaceAfter=10),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=12, leading=18, spaceBefore=6),
        "body": ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK"),
        "banner": ParagraphStyle("banner", fontName=font, fontSize=11, leading=16, textColor="#b00000"),
    }


def _procedure_flow(page, styles):
    flow = [text(page.title, styles["title"])]
    if page.is_draft:
        flow.append(text(_("Draft, for reference only"), styles["banner"]))
    for heading, lines in sections(page):
        if not lines:
            continue
        flow.append(text(heading, styles["heading"]))
        for line in lines:
            flow.append(text(line, styles["body"]))
    return flow


def _footer_for(lookup):
    """Draw the running header: which procedure, its version and effective date (looked up per page)."""
    def draw(canvas, doc):
        text = lookup(doc)
        canvas.saveState()
        canvas.setFont(cjk_font(), 8)
        canvas.drawString(15 * mm, A4[1] - 10 * mm, text)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, _("Page %(number)s") % {"number": doc.page})
        canvas.restoreState()
    return draw


def _stamp(page):
    return _("%(title)s  %(version)s  effective from %(date)s  internal staff only, read-only") % {
        "title": page.title, "version": page.version_label, "date": effective_date(page)}


class _Marker(Spacer):
    """Zero-height flowable that tells the page template which procedure the page is on."""

    def __init__(self, doc_state, stamp):
        super().__init__(0, 0)
        self.doc_state, self.stamp = doc_state, stamp

    def draw(self):
        self.doc_state["stamp"] = self.stamp


def _document(buffer, title, draw):
    doc = BaseDocTemplate(buffer, pagesize=A4, topMargin=18 * mm, bottomMargin=18 * mm, title=title,
                          author="流程手册")
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    # drawn at the end of each page, so a procedure starting on the page already named it
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=draw)])
    return doc


def procedure_pdf(page):
    buffer = io.BytesIO()
    stamp = _stamp(page)
    _document(buffer, page.title, _footer_for(lambda d: stamp)).build(_procedure_flow(page, _styles()))
    return buffer.getvalue()


def handbook_pdf(root, parts):
    """`parts`: [(part page, [procedure pages])]; each page's header names the procedure on it."""
    buffer = io.BytesIO()
    styles = _styles()
    printed = timezone.localdate().strftime("%Y-%m-%d")
    state = {"stamp": _("%(title)s  compiled %(date)s  internal staff only, read-only")
             % {"title": root.title, "date": printed}}
    # the cover lists every procedure with its version and effective date
    flow = [text(root.title, styles["part"])]
    for part, procedures in parts:
        flow.append(text(part.numbered_title(), styles["heading"]))
        for proc in procedures:
            flow.append(text(f"{proc.number}. {proc.title}  {proc.version_label}  {effective_date(proc)}",
                             styles["body"]))
    for part, procedures in parts:
        # a part's heading shares the page of its first procedure, so that page names a version too
        for index, proc in enumerate(procedures):
            flow += [PageBreak(), _Marker(state, _stamp(proc))]
            if index == 0:
                flow.append(text(part.numbered_title(), styles["part"]))
            flow += _procedure_flow(proc, styles)
    _document(buffer, root.title, _footer_for(lambda d: state["stamp"])).build(flow)
    return buffer.getvalue()
