"""The handbook site's extra screens (routes of the handbook and procedure pages, so Wagtail's login
restriction and handbook.read apply to all of them)."""
import re
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from wagtail.models import Revision

from org import auditlog

from . import acknowledgement, diff as diffing, printing, revisionlog
from .fields import search_text

MERMAID = Path(__file__).parent / "vendor" / "mermaid-11.17.2.min.js"


def mermaid_js(request, root):
    response = FileResponse(open(MERMAID, "rb"), content_type="text/javascript")
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _published_revision(page, revision_id):
    """A revision readers may open: one that was published (it has a revision-log row)."""
    if not page.revision_log.filter(revision_id=revision_id).exists():
        raise Http404
    try:
        return Revision.page_revisions.get(pk=revision_id, object_id=str(page.pk))
    except Revision.DoesNotExist:
        raise Http404 from None


def revision_log(request, page):
    rows = revisionlog.history(page)
    pairs = list(zip(rows, rows[1:]))
    return TemplateResponse(request, "handbook/revision_log.html",
                            {"page": page, "self": page, "rows": rows, "pairs": pairs})


def earlier_version(request, page, revision_id):
    revision = _published_revision(page, revision_id)
    old = revision.as_object()
    entry = page.revision_log.filter(revision_id=revision_id).order_by("pk").first()
    context = page.get_context(request)
    context.update({"page": old, "self": old, "earlier": entry, "live_page": page})
    return TemplateResponse(request, page.get_template(request), context)


def diff(request, page, old_id, new_id):
    old = _published_revision(page, old_id).as_object()
    new = _published_revision(page, new_id).as_object()
    return TemplateResponse(request, "handbook/diff.html", {
        "page": page, "self": page, "old": old, "new": new, "sections": diffing.compare(old, new)})


def _pdf(data, filename):
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def procedure_pdf(request, page):
    auditlog.record("handbook.procedure.print", actor=request.user, obj=page, request=request,
                    details={"version": page.version})
    return _pdf(printing.procedure_pdf(page), f"procedure-{page.pk}-v{page.version}.pdf")


def handbook_pdf(request, root):
    parts = [(part, [p.specific for p in part.procedures()]) for part in root.parts()]
    auditlog.record("handbook.print", actor=request.user, obj=root, request=request)
    return _pdf(printing.handbook_pdf(root, parts), "handbook.pdf")


def acknowledge(request, page):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    acknowledgement.acknowledge(request.user, page, request=request)
    return redirect(page.url)


def unread(request, page):
    halls = list(acknowledgement.halls_for(request.user))
    if not halls:
        raise PermissionDenied
    code = request.GET.get("hall") or halls[0].code
    hall = next((h for h in halls if h.code == code), None)
    if hall is None:
        raise PermissionDenied
    people = acknowledgement.not_read(request.user, page, hall)
    return TemplateResponse(request, "handbook/unread.html",
                            {"page": page, "self": page, "halls": halls, "hall": hall, "people": people})


def highlight(text, query, width=80):
    """An HTML snippet of `text` (plain, handbook.fields.search_text) around the first term of `query`, terms
    wrapped in <mark>: each piece escaped on its own, so a term never lands inside an HTML entity."""
    terms = [t for t in re.split(r"\s+", query.strip()) if t]
    if not terms:
        return escape(text[: width * 2])
    lower = text.lower()
    first = min((lower.find(t.lower()) for t in terms if lower.find(t.lower()) >= 0), default=0)
    start = max(0, first - width)
    snippet = text[start:first + width * 2]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    out, last = [], 0
    for match in pattern.finditer(snippet):
        out += [escape(snippet[last:match.start()]), f"<mark>{escape(match.group())}</mark>"]
        last = match.end()
    out.append(escape(snippet[last:]))
    return mark_safe(("…" if start else "") + "".join(out) + "…")


def _fallback_search(root, text):
    from .models import ProcedurePage, SubProcedurePage

    hits = []
    for model in (ProcedurePage, SubProcedurePage):
        pages = model.objects.live().descendant_of(root)
        found = {p.pk for p in pages.search(text, operator="and")}
        # the database backend misses text inside Chinese words: also match the flattened fields
        for page in pages:
            body = search_text(page)
            if page.pk in found or all(t.lower() in body.lower() for t in text.split()):
                hits.append({"title": page.title, "url": page.url, "version": page.version_label,
                             "snippet": highlight(body, text)})
    return hits


def search(request, root):
    """The handbook's search box: the search app's index of current procedures (Elasticsearch or the
    database); while the search engine cannot be reached, the pages themselves are searched."""
    from search import backends
    from search.query import SearchInputError
    from search.query import search as search_index

    text = (request.GET.get("q") or "").strip()
    page_number = request.GET.get("page") or 1
    hits, engine, error, result = [], "search", "", None
    if text:
        try:
            result = search_index(request.user, text, doctype="procedure", page=page_number, per_page=20)
            hits = [{"title": h.fields.get("title"), "url": h.fields.get("url"), "snippet": h.snippet,
                     "version": f"V{h.fields.get('version')}", "part": h.fields.get("part")} for h in result.hits]
        except SearchInputError as exc:
            error = str(exc)
        except backends.Unavailable:
            engine = "database"
            hits = Paginator(_fallback_search(root, text), 20).get_page(page_number)
    return TemplateResponse(request, "handbook/search.html",
                            {"page": root, "self": root, "query": text, "hits": hits, "engine": engine,
                             "error": error, "result": result})
