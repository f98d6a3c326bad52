"""Pluggable document types of the search index.

The contract with the other apps
--------------------------------
An app makes its objects searchable by registering a DocType in its AppConfig.ready()::

    from search import registry
    registry.register(registry.DocType(
        name="procedure",
        load=handbook.indexing.procedure_documents,   # load(pks) -> iterable of plain dicts, each with "id"
        all_pks=lambda: Procedure.objects.values_list("pk", flat=True),  # for search_reindex
        title_field="title", text_fields=("title", "text"),              # analysed for Chinese
        keyword_fields={"part": "keyword", "number": "keyword", "version": "keyword",
                        "effective_from": "date", "url": "keyword"},
        facets=("part",), date_field="effective_from",
        scope_action="handbook.read", scoped=False,                      # every staff member sees all
    ))

and tells the index about changes *inside the database transaction that makes them*::

    from search import outbox
    outbox.enqueue("procedure", pk)               # (re)index this document
    outbox.enqueue("procedure", pk, delete=True)  # take it out of the index

The worker flushes the outbox (nothing is lost while Elasticsearch is down). Documents are found with::

    from search.query import search
    result = search(user, "开户", doctype="procedure", page=1, per_page=20, part="第一部分")
    result.total, result.facets            # {"part": [("第一部分", 12), ...]}
    for hit in result.hits:                # hit.id, hit.fields (result_fields only), hit.snippet (safe HTML)
        ...

What goes into the index and what comes out: every string a document holds is passed through
org.pii.mask_text before either backend stores it (only `verbatim_fields`, e.g. a record's transaction
number, are stored as loaded), so no ID number in any layout reaches the index or a snippet. A hit carries
`result_fields` only (default: the title and the keyword fields), never the text fields: the text is
shown as a snippet cut from the masked text. search/results.py turns hits into JSON and CSV rows.

Tails: `tail_fields` names keyword fields that hold the tail of a number people type to find a document (the
last 4 digits of a phone number: "phone"; the keyed hash of an ID number's last 6 characters, org.pii.tail_hash:
"id"). A query of exactly 4 digits searches the phone tail, one of 6 digits (or 5 and an X) the ID tail,
nothing else (search/query.py). Adding keyword fields changes the index: raise `version`, and the
Elasticsearch backend adds them to an existing index's mapping; a migration queues the documents again.

`load(pks)` returns the documents that exist (a pk it does not return is removed from the index). Scope:
with `scoped=True` each document carries `hall_id` and `branch_id` and a user finds only those inside
`org.access.scope(user, scope_action)`; with `scoped=False` a user who may do `scope_action` finds all.
Both backends (Elasticsearch and the database) read the same DocType.
"""
from dataclasses import dataclass, field
from typing import Callable

FIELD_TYPES = {"keyword", "date", "integer", "boolean"}


@dataclass
class DocType:
    name: str
    load: Callable  # load(pks) -> iterable of dicts with "id"
    all_pks: Callable  # () -> iterable of every pk to index
    title_field: str = "title"
    text_fields: tuple = ("title", "text")
    keyword_fields: dict = field(default_factory=dict)  # name -> keyword | date | integer | boolean
    facets: tuple = ()
    date_field: str = ""  # the field that date_from / date_to filter on
    exact_fields: tuple = ()  # keyword fields a whole query may equal (numbers typed into the box)
    hash_field: str = ""  # keyword field holding org.pii.lookup_hash of an ID number
    sorts: dict = field(default_factory=dict)  # sort name -> field ("-" prefix for descending)
    scope_action: str = "record.view"
    scoped: bool = True
    result_fields: tuple = ()  # what a hit shows; default: the title and the keyword fields
    verbatim_fields: tuple = ()  # string fields stored as loaded, not through org.pii.mask_text
    tail_fields: dict = field(default_factory=dict)  # keyword field -> "phone" | "id" (see Tails above)
    version: int = 1  # of the index mapping: raised when keyword fields are added

    def __post_init__(self):
        bad = {k: t for k, t in self.keyword_fields.items() if t not in FIELD_TYPES}
        if bad:
            raise ValueError(f"unknown field types {bad}")
        bad = {k: t for k, t in self.tail_fields.items() if t not in TAIL_KINDS or k not in self.keyword_fields}
        if bad:
            raise ValueError(f"tail fields must be keyword fields of kind {sorted(TAIL_KINDS)}: {bad}")
        if self.scoped:
            self.keyword_fields = {**self.keyword_fields, "hall_id": "integer", "branch_id": "integer"}
        if not self.result_fields:
            self.result_fields = (self.title_field, *(k for k in self.keyword_fields
                                                           if k not in HIDDEN | self._secret))
        leaks = set(self.result_fields) & (self._secret | set(self.text_fields) - {self.title_field})
        if leaks:
            raise ValueError(f"result_fields may not hand out {sorted(leaks)}")

    def documents(self, pks):
        """The loaded documents as they are indexed: every string masked by org.pii.mask_text."""
        keep = {"id", self.hash_field, *self.tail_fields, *self.verbatim_fields}
        for doc in self.load(pks):
            yield {k: v if k in keep else _masked(v) for k, v in doc.items()}

    def shown(self, doc):
        """What a hit of `doc` (a stored document) shows."""
        return {k: doc.get(k) for k in self.result_fields}

    @property
    def _secret(self):
        """Fields matched on, never handed out: the ID number's hash and the tails."""
        return {self.hash_field, *self.tail_fields} - {""}

    @property
    def filter_fields(self):
        return [k for k, t in self.keyword_fields.items() if k not in HIDDEN and k not in self.tail_fields]


HIDDEN = {"hall_id", "branch_id"}
TAIL_KINDS = {"phone", "id"}


def _masked(value):
    from org.pii import mask_text

    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


_TYPES = {}


def register(doctype):
    _TYPES[doctype.name] = doctype
    return doctype


def unregister(name):
    _TYPES.pop(name, None)


def get(name):
    try:
        return _TYPES[name]
    except KeyError:
        raise LookupError(f"unknown document type {name!r}") from None


def all_types():
    return list(_TYPES.values())
