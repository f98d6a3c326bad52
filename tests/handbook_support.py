"""Helpers for the handbook tests: a handbook with one part and procedures built through the real models."""
from pathlib import Path

from wagtail.models import Page

REFERENCE = str(Path(__file__).resolve().parent.parent / "handbook" / "fixtures" / "handbook-legacy-zh.txt")


def make_handbook():
    from handbook.models import PartPage
    from handbook.setup import ensure_handbook

    root = ensure_handbook()
    part = PartPage.objects.child_of(root).first()
    if part is None:
        part = root.add_child(instance=PartPage(title="营业厅服务流程", number=1, slug="part-1"))
        part.save_revision().publish()
    return root, part


def make_procedure(part, title="普通开户入网业务办理流程", version="1.0", publish=True, **fields):
    from handbook.models import ProcedurePage

    values = dict(title=title, slug=f"proc-{Page.objects.count()}", number=5, version=version,
                  objective="快速、准确办理普通客户入网业务。", scope="适用于所有通过普通开户方式入网的品牌。",
                  key_moments=[("moment", {"when": "在系统内开户时", "do": "3分钟内完成", "limit_value": 3,
                                           "limit_unit": "minutes"})],
                  flowchart="flowchart TD\n  A[受理] --> B[开户]")
    values.update(fields)
    page = part.add_child(instance=ProcedurePage(live=False, **values))
    if publish:
        page.save_revision().publish()
        page.refresh_from_db()
    return page


def make_sub_procedure(parent, department=None, title="业务档案稽核流程", publish=False):
    from handbook.models import SubProcedurePage

    page = parent.add_child(instance=SubProcedurePage(title=title, slug=f"sub-{Page.objects.count()}",
                                                      number=1, version="1.0", owner_department=department,
                                                      live=False))
    if publish:
        page.save_revision().publish()
    return page
