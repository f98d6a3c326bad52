"""What the search app indexes of the handbook: the current published version of each procedure, as plain
documents. The search app's outbox (search.outbox.enqueue) is told when a procedure changes."""
from .fields import flat_text
from .models import ProcedureBase, ProcedurePage, SubProcedurePage

DOCTYPE = "procedure"


def _live_pages(pks):
    for model in (ProcedurePage, SubProcedurePage):
        yield from model.objects.filter(pk__in=list(pks)).live()


def procedure_documents(pks):
    """One dict per live procedure among `pks` (what readers see now, never a draft or a scheduled one)."""
    from . import revisionlog

    for page in _live_pages(pks):
        part = page.get_ancestors().type(_part_model()).last()
        log = revisionlog.history(page)
        yield {
            "id": page.pk,
            "title": page.title,
            "text": flat_text(page),
            "part": part.specific.numbered_title() if part else "",
            "number": page.number,
            "version": page.version,
            "effective_from": log[-1].effective_from.isoformat() if log else
            (page.last_published_at.isoformat() if page.last_published_at else None),
            "url": page.url,
        }


def _part_model():
    from .models import PartPage

    return PartPage


def procedure_changed(page, deleted=False):
    """Tell the search app (when it is installed) that `page` changed or was deleted."""
    try:
        from search.outbox import enqueue
    except ImportError:
        return False
    enqueue(DOCTYPE, page.pk, delete=deleted)
    return True


def is_procedure(page):
    return isinstance(page, ProcedureBase)
