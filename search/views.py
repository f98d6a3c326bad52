"""The auditor's search screen in the admin: one box, facets and filters, highlighted snippets, sort,
paging, and a CSV export of the results that is written to the event log. Search engine down or hung: a
message on the screen, the export answers 503 with a page saying so (never a 500). Both show hits as
search/results.py shapes them (named fields and a masked snippet, never the OCR text)."""
import csv

from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from org import access, auditlog
from org.exports import safe_row
from records.models import Category, Record

from . import backends, events, query, results, saved

FILTERS = ("branch", "hall", "category", "status", "business_type", "volume", "has_errors")
FACET_LABELS = {
    "branch": gettext_lazy("Branch"), "hall": gettext_lazy("Hall"), "category": gettext_lazy("Category"),
    "status": gettext_lazy("Status"), "business_type": gettext_lazy("Business type"),
    "volume": gettext_lazy("Volume"), "has_errors": gettext_lazy("Has errors"),
}
SORTS = [("", gettext_lazy("Relevance")), ("date", gettext_lazy("Newest first")),
         ("date_asc", gettext_lazy("Oldest first")), ("transaction", gettext_lazy("Transaction number"))]
EXPORT_COLUMNS = [
    ("id", gettext_lazy("ID")), ("transaction_no", gettext_lazy("Transaction number")),
    ("business_date", gettext_lazy("Business date")), ("branch", gettext_lazy("Branch")),
    ("hall", gettext_lazy("Hall")), ("category", gettext_lazy("Category")),
    ("business_type", gettext_lazy("Business type")), ("status", gettext_lazy("Status")),
    ("customer_name", gettext_lazy("Customer name")), ("service_number", gettext_lazy("Service number")),
    ("id_number_masked", gettext_lazy("ID number (masked)")),
    ("volume", gettext_lazy("Volume")), ("holder", gettext_lazy("Holder")),
    ("location", gettext_lazy("Location")), ("has_errors", gettext_lazy("Has errors")), ("snippet", gettext_lazy("Snippet")),
]
MAX_EXPORT = query.MAX_WINDOW


def request_params(params):
    """(text, filters, sort, page) from a query string; filters keep only what is filled in."""
    filters = results.filters_from(((k, v) for k, values in params.lists() for v in values), names=FILTERS)
    return params.get("q", ""), filters, params.get("sort", ""), params.get("page", 1)


def value_label(name, value):
    if name == "category":
        return dict(Category.choices).get(value, value)
    if name == "status":
        return dict(Record.Status.choices).get(value, value)
    if name == "has_errors":
        return _("Yes") if str(value).lower() == "true" else _("No")  # "true" in a query string, True in a hit
    return value


class SearchView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "search/search.html"
    page_title = gettext_lazy("Search customer files")
    header_icon = "search"

    def dispatch(self, request, *args, **kwargs):
        if access.scope(request.user, "record.view").empty:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        text, filters, sort, page = request_params(params)
        context.update(q=text, sort=sort, sorts=SORTS, filters=filters, result=None, error=None,
                       date_from=params.get("date_from", ""), date_to=params.get("date_to", ""),
                       may_export=access.may(self.request.user, "record.export"),
                       saved_searches=saved.for_user(self.request.user),
                       saveable_query=saved.clean_query(params.urlencode(), FILTERS))
        if not text and not filters:
            return context
        try:
            result = query.search(self.request.user, text, "record", page=page, per_page=20, sort=sort, **filters)
        except query.SearchInputError as exc:
            context["error"] = str(exc)
            return context
        except backends.Unavailable:
            context["error"] = _("Search is unavailable right now; please try again in a minute")
            return context
        context["result"] = result
        context["first_number"] = (result.page - 1) * result.per_page + 1
        context["facets"] = self._facets(result, filters, params)
        context["pages"] = self._pages(result, params)
        context["export_query"] = params.urlencode()
        return context

    def _facets(self, result, filters, params):
        out = []
        for name in FILTERS:
            chosen = set(filters.get(name, []))
            values = []
            for value, count in result.facets.get(name, []):
                link = params.copy()
                link.pop("page", None)
                current = [v for v in link.getlist(name) if v]
                link.setlist(name, [v for v in current if v != str(value)] if str(value) in chosen
                             else current + [str(value)])
                values.append({"value": value, "label": value_label(name, value), "count": count,
                               "chosen": str(value) in chosen, "query": link.urlencode()})
            if values:
                out.append({"name": name, "label": FACET_LABELS[name], "values": values})
        return out

    def _pages(self, result, params):
        def link(n):
            q = params.copy()
            q["page"] = n
            return q.urlencode()
        return {"previous": link(result.page - 1) if result.page > 1 else None,
                "next": link(result.page + 1) if result.page < result.pages else None}


class Echo:
    def write(self, value):
        return value


def export_csv(request):
    """The results as CSV (UTF-8 with BOM for spreadsheet programs); the export is logged with its query."""
    if not access.may(request.user, "record.export"):
        raise PermissionDenied
    text, filters, sort, _page = request_params(request.GET)
    try:
        first = query.search(request.user, text, "record", page=1, per_page=query.MAX_PER_PAGE, sort=sort,
                             **filters)
    except query.SearchInputError as exc:
        from django.http import HttpResponseBadRequest

        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    except backends.Unavailable:
        return render(request, "search/unavailable.html", status=503)
    rows = min(first.total, MAX_EXPORT)
    auditlog.record(events.EXPORT, actor=request.user, request=request,
                    obj=("search.record", "", "CSV export"),
                    details={"query": text, "filters": filters, "sort": sort, "rows": rows})

    names = [name for name, _ in EXPORT_COLUMNS]

    def lines():
        writer = csv.writer(Echo())
        yield "\ufeff" + writer.writerow(safe_row([str(label) for _, label in EXPORT_COLUMNS]))
        result, page, sent = first, 1, 0
        while result.hits and sent < rows:
            for hit in result.hits:
                yield writer.writerow(results.csv_row(hit, names, label=value_label))
                sent += 1
            page += 1
            if (page - 1) * query.MAX_PER_PAGE >= rows:
                break
            try:
                result = query.search(request.user, text, "record", page=page, per_page=query.MAX_PER_PAGE,
                                      sort=sort, **filters)
            except backends.Unavailable:  # the status line is sent already: say so in the file itself
                yield writer.writerow(safe_row([_("Export incomplete: search became unavailable; please export "
                                                  "again in a minute")]))
                return

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="search-results.csv"'
    return response


