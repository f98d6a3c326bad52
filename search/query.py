"""The one search function every screen, the REST API, the CLI and the handbook site call.

`search(user, text, doctype="record", page=1, per_page=20, sort="", **filters)` checks the input (a bad
one raises SearchInputError with a message for people), works out the user's scope from org.access and
hands a ParsedQuery to the active backend, which makes the scope part of its query.

A query of exactly 4 digits is the tail of a phone number, one of 6 characters (6 digits, or 5 and an X) the
tail of an ID number, for document types that index tails (registry.DocType.tail_fields): only that field is
searched, inside the scope as any search. A whole phone or ID number is searched as before.
"""
import datetime
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from org import access, pii

from . import backends, registry, text as zh
from .backends.base import Hit, SearchResult  # noqa: F401  (the result types callers see)

MAX_PER_PAGE = 100
MAX_WINDOW = 10000
NUMBERISH = re.compile(r"^[0-9A-Za-z-]{4,40}$")
TAILS = {"phone": re.compile(r"^[0-9]{4}$"), "id": re.compile(r"^[0-9]{5}[0-9X]$")}
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


class SearchInputError(ValueError):
    """The input cannot be searched; str(exc) says why, for people."""


@dataclass
class ParsedQuery:
    words: list  # each must match (bigrams of each, in the title or text)
    exact: str = ""  # the whole query as typed, compared with the type's exact fields
    id_hash: str = ""  # the query was an ID number: only its lookup hash is searched
    tail: tuple = ()  # (field, value): the query was a phone or ID tail: only that field is searched
    filters: dict = field(default_factory=dict)  # field -> list of values (any of them)
    date_from: datetime.date = None
    date_to: datetime.date = None
    sort: str = ""  # "" = relevance, else a field with optional "-"
    page: int = 1
    per_page: int = 20


def _date(name, value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise SearchInputError(_("%(name)s: “%(value)s” is not a date; use YYYY-MM-DD")
                               % {"name": name, "value": value}) from None


def _int(name, value, low, high):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SearchInputError(_("%(name)s: “%(value)s” is not a whole number") % {"name": name, "value": value}) \
            from None
    if not low <= number <= high:
        raise SearchInputError(_("%(name)s must be between %(low)d and %(high)d")
                               % {"name": name, "low": low, "high": high})
    return number


def _values(doctype, name, value):
    values = value if isinstance(value, (list, tuple)) else [value]
    values = [str(v).strip() for v in values if v not in (None, "") and str(v).strip()]
    if doctype.keyword_fields[name] == "boolean":
        out = []
        for v in values:
            if v.lower() not in TRUE | FALSE:
                raise SearchInputError(_("%(name)s: “%(value)s” is not yes or no") % {"name": name, "value": v})
            out.append(v.lower() in TRUE)
        return out
    return values


def parse(doctype, text, page=1, per_page=20, sort="", **filters):
    text = (text or "").strip()
    if len(text) > 200:
        raise SearchInputError(_("The search text is too long (at most 200 characters)"))
    date_from = _date("date_from", filters.pop("date_from", None))
    date_to = _date("date_to", filters.pop("date_to", None))
    if date_from and date_to and date_from > date_to:
        raise SearchInputError(_("The start date %(start)s is after the end date %(end)s")
                               % {"start": date_from, "end": date_to})
    if (date_from or date_to) and not doctype.date_field:
        raise SearchInputError(_("These documents cannot be filtered by date"))
    clean = {}
    for name, value in filters.items():
        if name not in doctype.filter_fields:
            raise SearchInputError(_("Unknown filter “%(name)s”; possible: %(names)s")
                                   % {"name": name, "names": ", ".join(doctype.filter_fields)})
        values = _values(doctype, name, value)
        if values:
            clean[name] = values
    if not text and not clean and not date_from and not date_to:
        raise SearchInputError(_("Enter something to search for, or choose a filter"))
    page = _int("page", page, 1, MAX_WINDOW)
    per_page = _int("per_page", per_page, 1, MAX_PER_PAGE)
    if page * per_page > MAX_WINDOW:
        raise SearchInputError(_("Only the first %(n)d results can be paged through; narrow the search")
                               % {"n": MAX_WINDOW})
    if sort and sort not in doctype.sorts:
        raise SearchInputError(_("Unknown sort “%(sort)s”; possible: %(names)s")
                               % {"sort": sort, "names": ", ".join(doctype.sorts)})
    parsed = ParsedQuery(words=[], filters=clean, date_from=date_from, date_to=date_to,
                         sort=doctype.sorts.get(sort, ""), page=page, per_page=per_page)
    number = pii.id_number_query(text)  # in any layout: spaces, dashes, full-width digits
    if doctype.hash_field and number:
        parsed.id_hash = pii.lookup_hash(number)
        return parsed
    tail = _tail(doctype, text)
    if tail:
        parsed.tail = tail
        return parsed
    parsed.words = [w for w in text.split() if zh.query_terms(w)]
    if text and not parsed.words:
        raise SearchInputError(_("The search text has no letters, digits or Chinese characters"))
    if doctype.exact_fields and NUMBERISH.match(text):
        parsed.exact = text
    return parsed


def _tail(doctype, text):
    """(field, value) when `text` is a tail the document type indexes (full-width digits and a small x too)."""
    compact = pii.normalise_id(text)
    for name, kind in doctype.tail_fields.items():
        if TAILS[kind].match(compact):
            return name, (pii.tail_hash(compact) if kind == "id" else compact)
    return ()


def scope_for(user, doctype):
    reach = access.scope(user, doctype.scope_action)
    if not doctype.scoped and not reach.empty:
        return access.Scope(everything=True)
    return reach


def search(user, text, doctype="record", page=1, per_page=20, sort="", **filters):
    """Search `doctype` documents inside the user's scope. Raises SearchInputError for bad input and
    backends.Unavailable when the search engine cannot be reached."""
    kind = registry.get(doctype)
    parsed = parse(kind, text, page=page, per_page=per_page, sort=sort, **filters)
    return backends.get().search(kind, parsed, scope_for(user, kind))
