"""The embedded default: search in the database. Documents are copied into SearchDoc with their text as
words and CJK bigrams (search/text.py); SQLite matches them with FTS5, PostgreSQL with to_tsvector('simple') (stored in a column of its own)."""
import time

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.utils.safestring import mark_safe

from .. import text as zh
from ..models import SearchDoc
from .base import Hit, SearchResult

CHUNK = 500


HASH_TOKEN = "idh"  # the ID-number hash is a term of its own: "idh<hex>"


def tail_token(name, value):
    """A tail (registry.DocType.tail_fields) as a term of its own: "tailphonetail1234", "tailidtail<hex>"."""
    return "tail" + name.replace("_", "") + str(value).lower()


def _fts(words=(), terms=()):
    """A condition: the document has every bigram of every word (and every given term)."""
    terms = [t for w in words for t in zh.query_terms(w)] + list(terms)
    if connection.vendor == "postgresql":
        # terms_tsv: to_tsvector('simple', terms), stored (migration search/0006)
        sql = "SELECT id FROM search_searchdoc WHERE terms_tsv @@ plainto_tsquery('simple', %s)"
        return Q(pk__in=RawSQL(sql, [" ".join(terms)]))
    match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
    return Q(pk__in=RawSQL("SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [match]))


def _bool_text(value):
    return "true" if str(value).lower() in ("1", "true") else "false"


class DatabaseBackend:
    name = "database"

    def _row(self, doctype, doc):
        body = "\n".join(str(doc.get(f) or "") for f in doctype.text_fields if f != doctype.title_field)
        date = doc.get(doctype.date_field) if doctype.date_field else None
        return SearchDoc(doctype=doctype.name, object_id=str(doc["id"]), hall_id=doc.get("hall_id"),
                         branch_id=doc.get("branch_id"), date=date or None,
                         title=str(doc.get(doctype.title_field) or ""), body=body,
                         terms=self._terms(doctype, doc), data=doctype.shown(doc),
                         keys={k: doc.get(k) for k in doctype.keyword_fields})

    def _terms(self, doctype, doc):
        """The text fields' words and bigrams, the exact fields' values, the ID-number hash, the tails."""
        words = " ".join(str(doc.get(f) or "") for f in (*doctype.text_fields, *doctype.exact_fields))
        terms = zh.index_terms(words)
        if doctype.hash_field and doc.get(doctype.hash_field):
            terms += f" {HASH_TOKEN}{doc[doctype.hash_field]}"
        for name in doctype.tail_fields:
            if doc.get(name):
                terms += f" {tail_token(name, doc[name])}"
        return terms

    def apply(self, doctype, upserts, deletes):
        with transaction.atomic():
            rows = [self._row(doctype, doc) for doc in doctype.documents(upserts)] if upserts else []
            gone = {str(pk) for pk in upserts} - {r.object_id for r in rows} | {str(pk) for pk in deletes}
            touched = [r.object_id for r in rows] + list(gone)
            for i in range(0, len(touched), CHUNK):
                SearchDoc.objects.filter(doctype=doctype.name, object_id__in=touched[i:i + CHUNK]).delete()
            SearchDoc.objects.bulk_create(rows, batch_size=CHUNK)
        return len(rows)

    def reindex(self, doctype, progress=None):
        """Rebuild in one transaction: readers see the old rows until it commits (no gap)."""
        count = 0
        with transaction.atomic():
            SearchDoc.objects.filter(doctype=doctype.name).delete()
            pks = []
            for pk in doctype.all_pks():
                pks.append(pk)
                if len(pks) == CHUNK:
                    count += self.apply(doctype, pks, [])
                    pks = []
                    progress and progress(count)
            if pks:
                count += self.apply(doctype, pks, [])
        return count

    def _queryset(self, doctype, parsed, scope):
        docs = SearchDoc.objects.filter(doctype=doctype.name)
        if scope.empty:
            return docs.none()
        if not scope.everything:
            docs = docs.filter(Q(hall_id__in=scope.hall_ids) | Q(branch_id__in=scope.branch_ids))
        if parsed.id_hash:
            docs = docs.filter(_fts(terms=[HASH_TOKEN + parsed.id_hash]))
        if parsed.tail:
            docs = docs.filter(_fts(terms=[tail_token(*parsed.tail)]))
        if parsed.words:  # the exact fields' values are terms too, so a typed number matches here
            docs = docs.filter(_fts(parsed.words))
        for name, values in parsed.filters.items():
            docs = docs.filter(**{f"keys__{name}__in": values})
        if parsed.date_from:
            docs = docs.filter(date__gte=parsed.date_from)
        if parsed.date_to:
            docs = docs.filter(date__lte=parsed.date_to)
        return docs

    def _facets(self, doctype, docs):
        facets = {}
        for name in doctype.facets:
            rows = (docs.annotate(v=KeyTextTransform(name, "keys")).values("v").annotate(n=Count("id"))
                    .order_by("-n", "v"))
            # SQLite gives a JSON null as the text "null" (as it gives true/false): no value, as on PostgreSQL
            values = [(r["v"], r["n"]) for r in rows if r["v"] not in (None, "", "null")]
            if doctype.keyword_fields.get(name) == "boolean":
                values = [(_bool_text(v), n) for v, n in values]
            facets[name] = values[:50]
        return facets

    def search(self, doctype, parsed, scope):
        started = time.perf_counter()
        docs = self._queryset(doctype, parsed, scope)
        total = docs.count()
        if parsed.sort:
            field = parsed.sort.lstrip("-")
            column = "date" if field == doctype.date_field else f"keys__{field}"
            order = [("-" if parsed.sort.startswith("-") else "") + column, "-id"]
        else:
            order = ["-date", "-id"]
        start = (parsed.page - 1) * parsed.per_page
        page = list(docs.order_by(*order)[start:start + parsed.per_page])
        words = list(parsed.words)
        hits = [Hit(id=d.object_id, fields=doctype.shown(d.data),
                    snippet=mark_safe(zh.snippet(d.body or d.title, words))) for d in page]
        facets = self._facets(doctype, docs)
        took = (time.perf_counter() - started) * 1000
        return SearchResult(hits=hits, total=total, facets=facets, page=parsed.page, per_page=parsed.per_page,
                            took=took)

    def status(self, doctypes):
        return [{"doctype": d.name, "backend": self.name, "index": "search_searchdoc",
                 "documents": SearchDoc.objects.filter(doctype=d.name).count(), "health": "ok"} for d in doctypes]
