"""What the search app indexes of the handbook: the current published version of each procedure, as plain
documents. The search app's outbox (search.outbox.enqueue) is told when a procedure changes."""
from django.utils import timezone

from .fields import search_text
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
            "text": search_text(page),
            "part": part.specific.numbered_title() if part else "",
            "number": page.number,
            "version": page.version,
            "effective_from": _day(log[-1].effective_from if log else page.last_published_at),
            "url": page.url,
        }


def _day(moment):
    if moment is None:
        return None
    return (timezone.localtime(moment).date() if hasattr(moment, "hour") else moment).isoformat()


def live_procedure_pks():
    """Every procedure and sub-procedure page that readers can see (for search_reindex)."""
    for model in (ProcedurePage, SubProcedurePage):
        yield from model.objects.live().order_by("pk").values_list("pk", flat=True)


def doctype():
    """The search app's document type of procedures (registered in HandbookConfig.ready)."""
    from search.registry import DocType

    return DocType(
        name=DOCTYPE, load=procedure_documents, all_pks=live_procedure_pks,
        title_field="title", text_fields=("title", "text"),
        keyword_fields={"part": "keyword", "number": "keyword", "version": "keyword",
                        "effective_from": "date", "url": "keyword"},
        facets=("part",), date_field="effective_from", sorts={"number": "number"},
        scope_action="handbook.read", scoped=False)


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
