"""Writes a parsed legacy handbook (handbook.importer.Tree) as pages: parts and procedures as V1.0.

Matching is by part number and procedure number under the handbook root, so importing twice updates the
same pages instead of duplicating them. Without --publish the import is saved as a draft revision that goes
through the approval workflow like any edit."""
from django.db import transaction
from django.utils.text import slugify

from org import auditlog

from .fields import flat_text
from .models import PartPage, ProcedurePage
from .setup import ensure_handbook

IMPORT_VERSION = "1.0"


def _slug(prefix, number):
    return slugify(f"{prefix}-{number}")


def _moments(moments):
    return [("moment", {"when": m["when"], "do": m["do"],
                        "limit_value": (m["limit"] or {}).get("value"),
                        "limit_unit": (m["limit"] or {}).get("unit") or ""}) for m in moments]


def _fill(page, proc):
    page.title = proc.title
    page.number = proc.number
    page.version = IMPORT_VERSION
    page.change_summary = page.change_summary or "由旧版手册导入"
    page.objective = "\n".join(proc.objective)
    page.scope = "\n".join(proc.scope)
    page.responsibilities = [("responsibility", {"role": r["role"] or "-", "duties": r["duties"]})
                             for r in proc.responsibilities]
    page.key_moments = _moments(proc.key_moments)
    if proc.sub_flows and not page.flowchart:
        page.flowchart = "flowchart TD\n" + "\n".join(
            f'    S{i}["{name}"]' for i, name in enumerate(proc.sub_flows, start=1))


@transaction.atomic
def load(tree, user=None, publish=False):
    """Create or update the pages of `tree`; returns counts {"created", "updated", "unchanged"}."""
    root = ensure_handbook()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for part in tree.parts:
        part_page = PartPage.objects.child_of(root).filter(number=part.number).first()
        if part_page is None:
            part_page = root.add_child(instance=PartPage(title=part.title, number=part.number,
                                                         slug=_slug("part", part.number)))
            counts["created"] += 1
        elif part_page.title != part.title:
            part_page.title = part.title
            part_page.save_revision(user=user)
        if publish and (not part_page.live or part_page.has_unpublished_changes):
            part_page.save_revision(user=user).publish(user=user)
        for proc in part.procedures:
            page = ProcedurePage.objects.child_of(part_page).filter(number=proc.number).first()
            created = page is None
            if created:
                page = ProcedurePage(slug=_slug(f"p{part.number}", proc.number))
                _fill(page, proc)
                page.live = False
                part_page.add_child(instance=page)
                counts["created"] += 1
            else:
                page = page.get_latest_revision_as_object()
                before = flat_text(page)
                _fill(page, proc)
                if flat_text(page) == before and (page.live or not publish):
                    counts["unchanged"] += 1
                    continue
                counts["updated"] += 1
            revision = page.save_revision(user=user, log_action=True)
            if publish:
                revision.publish(user=user)
    auditlog.record("handbook.import", actor=user, obj=("handbook.handbook", root.pk, root.title),
                    details={"parts": len(tree.parts), "procedures": sum(len(p.procedures) for p in tree.parts),
                             "publish": publish, **counts})
    return counts
