"""The PDFs of look-ups and loans: a file downloaded through an electronic view carries a visible watermark on
every page (name, staff number, time and request number), and the register 借阅登记簿 of one month prints in
Chinese with the font every printed PDF of the project embeds (org.printing)."""
import io

from django.utils import timezone
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import SimpleDocTemplate, Spacer

from org.printing import cjk_font, text


from .printing import _styles, _table, _when
from .signatures import signatures_of


def watermark_line(user, loan, now=None):
    """The watermark's words: who downloaded, their staff number, when, and under which request."""
    when = timezone.localtime(now or timezone.now()).strftime("%Y-%m-%d %H:%M")
    return (f"{user.get_full_name()} 工号 {user.employee_no or user.get_username()} {when} "
            f"借阅申请 {loan.number} 仅限本人查阅")


def _overlay(width, height, line):
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(width, height))
    font = cjk_font()
    pdf.setFillColor(colors.Color(0.6, 0, 0, alpha=0.35))
    pdf.setFont(font, 14)
    pdf.saveState()
    pdf.translate(width / 2, height / 2)
    pdf.rotate(35)
    for offset in (-height / 3, 0, height / 3):
        pdf.drawCentredString(0, offset, line)
    pdf.restoreState()
    pdf.setFillColor(colors.Color(0.6, 0, 0, alpha=0.9))
    pdf.setFont(font, 8)
    pdf.drawString(10 * mm if width > 30 * mm else 2, 6 * mm if height > 20 * mm else 2, line)
    pdf.showPage()
    pdf.save()
    return PdfReader(io.BytesIO(buf.getvalue())).pages[0]


def watermarked(data, line):
    """`data` (a PDF) with `line` stamped across and at the foot of every page."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        box = page.mediabox
        page.merge_page(_overlay(float(box.width), float(box.height), line))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


STATUS_ZH = {"requested": "待审批", "approved": "已批准", "refused": "未批准", "issued": "借出中", "returned": "已归还"}
FORM_ZH = {"on_site": "阅览", "electronic": "电子查阅"}


def register_rows(loans):
    """The register's rows: one per request (the screen and the PDF show the same)."""
    rows = []
    for loan in loans:
        sigs = signatures_of(loan)
        pages = ""
        if loan.pages_counted is not None:
            pages = f"{loan.pages_counted}/{loan.pages_expected}" + ("" if loan.pages_counted == loan.pages_expected
                                                                    else " 不符")
        rows.append([loan.number, _when(loan.requested_at), str(loan.requester), "、".join(str(i) for i in loan.items.all()),
                     loan.purpose, FORM_ZH[loan.form], f"{loan.days}天",
                     f"{loan.decided_by or ''} {_when(loan.decided_at)}".strip() + (f"（{loan.refusal}）" if loan.refusal else ""),
                     _when(loan.issued_at) or (f"至 {_when(loan.expires_at)}" if loan.expires_at else ""),
                     _when(loan.due_at), _when(loan.returned_at), pages, loan.condition,
                     "、".join(s.signer.get_full_name() for s in sigs.values()), STATUS_ZH[loan.status]])
    return rows


HEADER = ["申请编号", "申请时间", "借阅人", "卷号/受理编号", "用途", "方式", "期限", "审批", "借出/查阅至", "应还",
          "归还时间", "页数核对", "归还状况", "签字", "状态"]


def register_pdf(loans, year, month):
    st = _styles()
    width = landscape(A4)[0] - 20 * mm
    widths = [w * mm for w in (24, 18, 20, 26, 24, 10, 9, 22, 20, 18, 18, 12, 18, 20, 12)]
    scale = width / sum(widths)
    story = [text(f"客户资料借阅登记簿　{year}年{month}月", st["title"]),
             text(f"共 {len(loans)} 条　打印时间：{_when(timezone.now())}", st["body"]), Spacer(1, 3 * mm),
             _table([HEADER, *register_rows(loans)], [w * scale for w in widths])]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm, topMargin=10 * mm,
                      bottomMargin=10 * mm, title=f"借阅登记簿 {year}-{month:02d}").build(story)
    return buf.getvalue()


def month_loans(queryset, year, month):
    return list(queryset.filter(requested_at__year=year, requested_at__month=month)
                .select_related("requester", "decided_by").prefetch_related("items__record", "items__volume")
                .order_by("requested_at", "pk"))



