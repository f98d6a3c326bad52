"""One shape of search results wherever they go: the admin screen, the REST API, the CSV export and the
`search` command all read a hit as its id, its document type's result_fields (named fields the user may
see; for a customer file the masked ID number, never the OCR text) and a snippet cut from the masked text.
Request parameters become filters here too, so the date clean-up is written once."""
import html

from django.utils.html import strip_tags

from org.exports import safe_row

DATES = ("date_from", "date_to")


def filters_from(pairs, names=None):
    """{name: [values]} from (name, value) pairs, the dates as one value (the last given); empty values are
    left out, and so are names other than `names` and the dates when `names` is given."""
    filters = {}
    for name, value in pairs:
        if value in (None, "") or (names is not None and name not in names and name not in DATES):
            continue
        filters.setdefault(name, []).append(value)
    for name in DATES:
        if name in filters:
            filters[name] = filters[name][-1]
    return filters


def snippet_text(hit):
    """The snippet as plain text (CSV cells, the terminal)."""
    return html.unescape(strip_tags(str(hit.snippet)))


def hit_json(hit):
    return {"id": hit.id, "fields": dict(hit.fields), "snippet": str(hit.snippet)}


def result_json(result):
    """The JSON of the REST API and of `search --json`."""
    return {
        "total": result.total, "page": result.page, "per_page": result.per_page, "pages": result.pages,
        "facets": {k: [{"value": v, "count": n} for v, n in vals] for k, vals in result.facets.items()},
        "hits": [hit_json(h) for h in result.hits],
    }


def csv_row(hit, names, label=None):
    """One CSV row of `hit`: "id", "snippet" (plain text) or a result field per name, as `label(name, value)`
    words it when given (a category's or status's label, 是/否, never the code); cells made safe for
    spreadsheet programs (org.exports)."""
    def cell(name):
        if name == "id":
            return hit.id
        if name == "snippet":
            return snippet_text(hit)
        value = hit.fields.get(name)
        if value is None:
            return ""
        return label(name, value) if label else value
    return safe_row([cell(name) for name in names])
