"""The destruction list (销毁清册) as a printable Chinese PDF: the cover with the counts and every signature
with its time, then one row per file (number, title, hall, category, business date, period, due date,
pages, volume). Drawn from the rows copied when the list was drawn, so it prints the same after the act."""
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Spacer

from org.printing import text

from .models import DestructionItem, DestructionList
from .printing import CATEGORY_ZH, _render, _signature_rows, _styles, _table

STATUS_ZH = {"drawn": "鉴定中", "approved": "已批准", "destroyed": "已销毁，待监销人签字", "closed": "已完成"}
DECISION_ZH = {"pending": "未鉴定", "destroy": "销毁", "keep": "延长保管"}
OUTCOME_ZH = {"": "", "destroyed": "已销毁", "held": "冻结中，未销毁"}
SLOTS = [("approver", "审批（总经理）"), ("executor", "执行销毁（档案管理员）"), ("witness1", "监销人一"),
         ("witness2", "监销人二")]
ROW_WIDTHS = [8 * mm, 24 * mm, 20 * mm, 12 * mm, 12 * mm, 17 * mm, 27 * mm, 17 * mm, 8 * mm, 20 * mm, 15 * mm]


def list_pdf(lst: DestructionList):
    st = _styles()
    items = list(lst.items.order_by("position"))
    count = lambda **kw: sum(all(getattr(i, k) == v for k, v in kw.items()) for i in items)  # noqa: E731
    story = [text("客户资料销毁清册", st["title"]),
             text(f"清册编号：{lst.number}　到期核定日：{lst.on_date}　状态：{STATUS_ZH[lst.status]}", st["body"]),
             text(f"编制人：{lst.drawn_by}　编制时间：{lst.drawn_at:%Y-%m-%d %H:%M}", st["body"]),
             Spacer(1, 4 * mm),
             _table([["列入清册", "鉴定销毁", "鉴定延长保管", "已销毁", "因冻结未销毁", "纸质整卷销毁"],
                     [f"{len(items)} 份", f"{count(decision='destroy')} 份", f"{count(decision='keep')} 份",
                      f"{count(outcome='destroyed')} 份", f"{count(outcome='held')} 份",
                      f"{len(lst.paper_volumes)} 卷"]])]
    if lst.witness1_id:
        story.append(text(f"监销人：{lst.witness1}、{lst.witness2}", st["body"]))
    if lst.paper_volumes:
        story.append(text("纸质整卷销毁的卷号：" + "、".join(lst.paper_volumes), st["body"]))
    story.append(text("仅销毁电子副本、纸质随卷保留至全卷到期的资料：卷内尚有未到期或冻结的资料。", st["small"]))
    story += _signature_rows(lst, SLOTS)
    story.append(PageBreak())
    rows = [["序号", "受理编号", "题名", "营业厅", "类别", "业务日期", "保管期限", "到期日", "页数", "卷号", "鉴定/结果"]]
    for i in items:
        kept = f"至 {i.keep_until}：{i.reason}" if i.decision == DestructionItem.Decision.KEEP else ""
        verdict = DECISION_ZH[i.decision] + kept + (f"；{OUTCOME_ZH[i.outcome]}" if i.outcome else "")
        rows.append([i.position, i.transaction_no, i.title, i.hall_code, CATEGORY_ZH.get(i.category, i.category),
                     i.business_date, i.period, i.due_on, i.pages, i.volume_number, verdict])
    story.append(_table(rows, ROW_WIDTHS))
    return _render(story, f"客户资料销毁清册 {lst.number}")
