"""Printable PDFs in Chinese with the fields of the paper forms: the volume cover, the level-1 and level-2
audit records, the three handover forms, and the bound volume (cover → level-1 record → level-2 record →
the files' access copies). Everything is drawn from the current state, so the level-2 page is blank until
that audit is signed and shows its result afterwards."""
import io

import qrcode
from django.utils import timezone
from pypdf import PdfReader
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, SimpleDocTemplate, Spacer, Table, TableStyle

from django.utils.translation import gettext as _

from org.printing import cjk_font, text
from records import pdfjoin
from records.models import Category

from .base import ChainError
from .models import AuditMark, HandoverForm, Level1Audit, Volume
from .signatures import signatures_of

CATEGORY_ZH = {Category.OWNERSHIP: "权属类", Category.GENERAL: "综合类", Category.AGREEMENT: "协议类"}
FORM_TITLE = {HandoverForm.Kind.CLERK_HALL: "营业员-营业厅交接表", HandoverForm.Kind.HALL_BRANCH: "营业厅-分公司交接表",
              HandoverForm.Kind.BRANCH_MARKETING: "分公司-市场部交接表"}
STATUS_ZH = {"given": "待接收", "accepted": "已接收", "rejected": "已拒收"}


WIDTH = 180 * mm  # A4 less the margins of _render()


def volume_qr_payload(volume):
    """The address of the volume's page: scanned at a shelf it opens there (after sign-in and org.access)."""
    from django.conf import settings
    from django.urls import reverse

    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return f"{base}{reverse('archive_admin:volume', args=[volume.pk])}"


def _styles():
    font = cjk_font()
    return {"title": ParagraphStyle("t", fontName=font, fontSize=18, leading=24, alignment=1, spaceAfter=6 * mm),
            "big": ParagraphStyle("b", fontName=font, fontSize=14, leading=20),
            "body": ParagraphStyle("p", fontName=font, fontSize=10, leading=14),
            "cell": ParagraphStyle("c", fontName=font, fontSize=8, leading=10, wordWrap="CJK"),
            "small": ParagraphStyle("s", fontName=font, fontSize=7, leading=9)}


def _table(rows, widths=None, header=True):
    """Every cell through text(); columns share the page width equally unless `widths` says otherwise."""
    st = _styles()["cell"]
    widths = widths or [WIDTH / len(rows[0])] * len(rows[0])
    data = [[text(c, st) for c in row] for row in rows]
    # a cell taller than a page (a long note) is split across pages instead of failing the whole PDF
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1)
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(style))
    return table


def _when(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _signature_rows(doc, slots):
    sigs = signatures_of(doc)
    rows = [["签字栏", "签字人", "签字时间", "内容摘要 SHA-256"]]
    for slot, label in slots:
        s = sigs.get(slot)
        rows.append([label, str(s.signer) if s else "", _when(s.signed_at) if s else "",
                     s.content_sha256 if s else ""])
    return [Spacer(1, 5 * mm), _table(rows, [27 * mm, 52 * mm, 29 * mm, 72 * mm]),
            text("电子签字：签字时重新验证密码，记录时间与表单内容摘要并写入事件日志。纸质签字（盖章）：______________",
                      _styles()["small"])]


def _render(story, title):
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=title)
    doc.build(story)
    return buf.getvalue()


def _date_range(volume):
    dates = list(volume.items.values_list("record__business_date", flat=True))
    return (min(dates), max(dates)) if dates else (None, None)


def _shelf(volume):
    from .locations import label
    from .models import Custody

    return label(Custody.objects.filter(volume=volume).select_related("box__store").first())


def volume_cover_pdf(volume: Volume):
    st = _styles()
    first, last = _date_range(volume)
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(volume_qr_payload(volume))
    img = io.BytesIO()
    qr.make_image().save(img)
    img.seek(0)
    rows = [["营业厅", f"{volume.hall.name}（{volume.hall.code}）"], ["分公司", volume.hall.branch.name],
            ["类别", CATEGORY_ZH[volume.category]], ["卷号", volume.number],
            ["起止日期", f"{first or ''} 至 {last or ''}"], ["份数", f"{volume.items.count()}份"],
            ["装订人", str(volume.bound_by or "")], ["装订日期", _when(volume.closed_at)],
            ["存放位置", _shelf(volume)]]
    if volume.closed_short_reason:
        rows.append(["不足30份", f"月末结卷：{volume.closed_short_reason}"])
    story = [text("客户资料卷 封面", st["title"]), _table(rows, [40 * mm, 130 * mm], header=False),
             Spacer(1, 10 * mm), Image(img, 60 * mm, 60 * mm), text(volume_qr_payload(volume), st["small"])]
    return _render(story, f"封面 {volume.number}")


def level1_record_pdf(audits, records=None, title_suffix=""):
    """一级稽核记录表 of one or more audited days; `records` narrows it to the files of one volume."""
    st = _styles()
    story = []
    for audit in audits:
        marks = AuditMark.objects.filter(audit=audit).select_related("record__clerk").order_by("record__transaction_no")
        if records is not None:
            marks = marks.filter(record__in=records)
        story += [text("一级稽核记录表" + title_suffix, st["title"]),
                  text(f"营业厅：{audit.hall.name}（{audit.hall.code}）　业务日期：{audit.day}　"
                            f"稽核人：{audit.auditor}　稽核方式：100%交叉稽核（对照营业员操作报表）", st["body"]),
                  Spacer(1, 3 * mm)]
        rows = [["序号", "受理编号", "业务类型", "类别", "营业员", "稽核结果", "差错类型／说明", "整改人", "整改时间"]]
        for i, mark in enumerate(marks, 1):
            record = mark.record
            errs = list(record.errors.filter(level="l1"))
            rows.append([i, record.transaction_no, record.business_type, CATEGORY_ZH.get(record.category, ""),
                         record.clerk.get_full_name(), "通过" if mark.result == "passed" else "差错",
                         "；".join(f"{e.kind} {e.description}".strip() for e in errs) or mark.note,
                         "；".join(str(e.corrected_by or "") for e in errs),
                         "；".join(_when(e.corrected_at) for e in errs)])
        story.append(_table(rows, [8 * mm, 32 * mm, 18 * mm, 13 * mm, 22 * mm, 12 * mm, 33 * mm, 21 * mm, 21 * mm]))
        story.append(text(f"稽核发现：{audit.notes or '无'}", st["body"]))
        story += _signature_rows(audit, [("auditor", "一级稽核")])
    if not story:
        story = [text("一级稽核记录表", st["title"]), text("（无）", st["body"])]
    return _render(story, "一级稽核记录表")


L2_WIDTHS = [8 * mm, 32 * mm, 28 * mm, 28 * mm, 16 * mm, 68 * mm]


def level2_record_pdf(volume: Volume):
    """二级稽核记录表 of a volume: blank fields until the latest level-2 audit is signed."""
    st = _styles()
    audit = volume.level2_audits.exclude(signed_at=None).order_by("-signed_at", "-id").first()
    head = (f"卷号：{volume.number}　营业厅：{volume.hall.name}　类别：{CATEGORY_ZH[volume.category]}　"
            f"份数：{volume.items.count()}　抽样比例：{'≥50%（协议类）' if volume.category == Category.AGREEMENT else '≥30%'}")
    story = [text("二级稽核记录表", st["title"]), text(head, st["body"]), Spacer(1, 3 * mm)]
    rows = [["序号", "受理编号", "业务类型", "营业员", "稽核结果", "问题说明"]]
    if audit is None:
        rows += [[i, "", "", "", "", ""] for i in range(1, 6)]
        story += [text("抽样种子：　　　　稽核人：　　　　稽核日期：", st["body"]), _table(rows, L2_WIDTHS),
                  text("结论：□ 通过　□ 退回（原因：________________）", st["body"])]
        return _render(story, f"二级稽核记录表 {volume.number}")
    from records.models import Record

    records = {r.pk: r for r in Record.objects.filter(pk__in=audit.sample).select_related("clerk")}
    for i, pk in enumerate(audit.sample, 1):
        r, f = records[pk], audit.findings.get(str(pk), {})
        rows.append([i, r.transaction_no, r.business_type, r.clerk.get_full_name(), "合格" if f.get("ok") else "不合格",
                     f.get("note", "")])
    story += [text(f"抽样种子：{audit.seed}　抽样：{len(audit.sample)}/{volume.items.count()} 份　"
                        f"稽核人：{audit.auditor}　稽核日期：{_when(audit.signed_at)}", st["body"]), _table(rows, L2_WIDTHS),
              text(f"结论：{'通过' if audit.result == 'passed' else '退回'}" +
                        (f"（原因：{audit.reason}）" if audit.reason else ""), st["body"])]
    story += _signature_rows(audit, [("auditor", "分公司业务稽核")])
    return _render(story, f"二级稽核记录表 {volume.number}")


def handover_form_pdf(form: HandoverForm):
    st = _styles()
    where = f"分公司：{form.branch.name}" + (f"　营业厅：{form.hall.name}（{form.hall.code}）" if form.hall_id else "")
    period = f"业务日期：{form.day}" if form.day else (f"月份：{form.year}年{form.month}月" if form.month else "")
    story = [text(f"《{FORM_TITLE[form.kind]}》", st["title"]),
             text(f"表号：{form.pk}　{where}　{period}　状态：{STATUS_ZH[form.status]}", st["body"])]
    if form.replaces_id:
        story.append(text(f"重新交接：替代第 {form.replaces_id} 号交接表", st["body"]))
    story.append(Spacer(1, 3 * mm))
    figures = form.figures
    if form.kind == HandoverForm.Kind.BRANCH_MARKETING:
        rows = [["营业厅", "权属类（份）", "综合类（份）"]]
        rows += [[hall, c.get("ownership", 0), c.get("general", 0)] for hall, c in figures.get("by_hall", {}).items()]
        rows.append(["协议类（全分公司汇总）", figures.get("agreements", 0), ""])
        rows.append(["合计", f"{figures.get('records', 0)} 份", f"{figures.get('volumes', 0)} 本"])
    else:
        counts = figures.get("by_category", {})
        rows = [["类别", "份数"] + (["本数"] if form.kind == HandoverForm.Kind.HALL_BRANCH else [])]
        for cat, label in CATEGORY_ZH.items():
            row = [label, counts.get(cat, 0)]
            if form.kind == HandoverForm.Kind.HALL_BRANCH:
                row.append(figures.get("volumes_by_category", {}).get(cat, 0))
            rows.append(row)
        total = ["合计", figures.get("records", 0)] + ([figures.get("volumes", 0)] if form.kind == HandoverForm.Kind.HALL_BRANCH else [])
        rows.append(total)
    story.append(_table(rows))
    story.append(Spacer(1, 3 * mm))
    if form.kind == HandoverForm.Kind.CLERK_HALL:
        items = [r.transaction_no for r in form.records.order_by("transaction_no")]
        story.append(text("交接资料（受理编号）：" + "、".join(items), st["small"]))
    else:
        story.append(text("交接卷号：" + "、".join(v.number for v in form.volumes.order_by("number")), st["body"]))
    if form.status == "accepted" and (form.counted or form.discrepancy):
        from .handover import row_labels

        labels = row_labels(form)
        missing = [label for key, label in labels.items() if key not in form.counted]
        story.append(text("接收方清点：" + ("各行均已清点" if not missing else "未清点：" + "、".join(missing)),
                          st["body"]))
        if form.discrepancy:
            story.append(text(f"差异说明：{form.discrepancy}", st["body"]))
    if form.reason:
        story.append(text(f"拒收原因：{form.reason}", st["body"]))
    for note in form.notes:
        story.append(text(f"退回记录：卷 {note['volume']}，原因：{note['reason']}（二级稽核，{note['by']}）", st["body"]))
    slots = [("giver", "交出方"), ("receiver", "接收方")] + ([("rejection", "拒收")] if form.status == "rejected" else [])
    story += _signature_rows(form, slots)
    return _render(story, FORM_TITLE[form.kind])


def write_volume_pdf(volume: Volume, fh):
    """The bound volume in the required order: cover → level-1 record → level-2 record → the files, written
    into the binary file `fh` page by page (records.pdfjoin: memory does not grow with the volume)."""
    records = [item.record for item in volume.items.select_related("record").order_by("position")]
    missing = [r.transaction_no or f"#{r.pk}" for r in records if not r.access_copy]
    if missing:
        raise ChainError(_("The files of this volume have no access copy yet (OCR not finished): %(list)s")
                         % {"list": ", ".join(missing[:10])})
    days = sorted({r.business_date for r in records})
    audits = Level1Audit.objects.filter(hall=volume.hall, day__in=days).order_by("day")
    with pdfjoin.Joiner(fh) as joiner:
        for part in (volume_cover_pdf(volume), level1_record_pdf(audits, records, f"（卷 {volume.number}）"),
                     level2_record_pdf(volume)):
            joiner.add(PdfReader(io.BytesIO(part)))
        for record in records:
            with record.access_copy.open("rb") as copy:
                joiner.add(PdfReader(io.BytesIO(copy.read())))
    return joiner.page_count


def volume_pdf(volume: Volume):
    """The bound volume as bytes (see write_volume_pdf)."""
    out = io.BytesIO()
    write_volume_pdf(volume, out)
    return out.getvalue()
