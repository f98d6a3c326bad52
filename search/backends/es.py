"""Elasticsearch: one index per document type behind an alias `<prefix>-<type>`; search_reindex builds a
new index and swaps the alias in one request. Chinese on the bare server: standard tokenizer + lowercase +
two-character shingles (names and two-character words match); SEARCH_ANALYZER=smartcn switches to the
analysis-smartcn plugin with the same queries. Scope is a filter inside the query.

Timeouts: a search waits at most ELASTICSEARCH_TIMEOUT seconds per request, without retries, so a hung
Elasticsearch gives the screen/API "unavailable" well before gunicorn's timeout kills the web worker.
Writing (outbox, reindex: worker and commands, not web requests) may take WRITE_TIMEOUT. A new index gets
SEARCH_INDEX_REPLICAS replicas; search_reindex moves the alias only once the new index is ready.

Mapping version: each index records its document type's `version` in the mapping's _meta. An index of an
older version gets the new fields added to its mapping the first time this process uses it (new fields
only: anything else needs search_reindex); the documents are queued again by a migration, so the worker
rewrites them with the new fields."""
import logging
from concurrent.futures import ThreadPoolExecutor

from django.utils import timezone
from django.utils.safestring import mark_safe
from elasticsearch import ApiError, ConnectionError as ESConnectionError, Elasticsearch, NotFoundError
from elasticsearch import TransportError, helpers
from elasticsearch.dsl import Boolean, Date, Index, Integer, Keyword, Mapping, Q, Search, Text, analyzer
from elasticsearch.dsl import token_filter

from ..models import IndexState
from .base import Hit, SearchResult
from .base import Unavailable

log = logging.getLogger(__name__)
CHUNK = 1000
WRITE_TIMEOUT = 120  # seconds per bulk request from the worker or a command
READY_TIMEOUT = 120  # seconds search_reindex waits for the new index to be ready (cluster health yellow)
FIELDS = {"keyword": Keyword, "date": Date, "integer": Integer, "boolean": Boolean}
BIGRAM = token_filter("zh_bigram", "shingle", min_shingle_size=2, max_shingle_size=2, token_separator="",
                      output_unigrams=True)
BIGRAM_QUERY = token_filter("zh_bigram_query", "shingle", min_shingle_size=2, max_shingle_size=2,
                            token_separator="", output_unigrams=False, output_unigrams_if_no_shingles=True)


def _analyzers(kind):
    if kind == "smartcn":
        zh = analyzer("zh_index", tokenizer="smartcn_tokenizer", filter=["lowercase"])
        return zh, zh
    return (analyzer("zh_index", tokenizer="standard", filter=["lowercase", BIGRAM]),
            analyzer("zh_query", tokenizer="standard", filter=["lowercase", BIGRAM_QUERY]))


def _guard(func):
    def wrapped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ESConnectionError, TransportError) as exc:
            raise Unavailable(f"Elasticsearch: {exc}") from exc
        except ApiError as exc:
            if exc.meta.status >= 500 or exc.meta.status == 429:
                raise Unavailable(f"Elasticsearch: {exc}") from exc
            raise
    return wrapped


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(self, url, prefix="records", analyzer="", timeout=5, replicas=0):
        self.url = url
        self.prefix = prefix
        self.analyzer = analyzer or "bigram"
        self.replicas = replicas
        nodes = [u.strip() for u in url.split(",")]
        # a refused node is retried on the next one (fast); a hung one is not: the time stays bounded
        self.client = Elasticsearch(nodes, request_timeout=timeout, max_retries=min(1, len(nodes) - 1),
                                    retry_on_timeout=False)
        self.writer = self.client.options(request_timeout=WRITE_TIMEOUT)
        self._ready = set()

    # --- indices -------------------------------------------------------------------------------

    def alias(self, doctype):
        return f"{self.prefix}-{doctype.name}"

    def _mapping(self, doctype):
        index_zh, query_zh = _analyzers(self.analyzer)
        mapping = Mapping()
        for name in doctype.text_fields:
            mapping.field(name, Text(analyzer=index_zh, search_analyzer=query_zh))
        for name, kind in doctype.keyword_fields.items():
            if name not in doctype.text_fields:
                mapping.field(name, FIELDS[kind]())
        mapping.meta("dynamic", False)
        mapping.meta("meta", {"version": doctype.version})
        return mapping

    def _create(self, doctype, name, bulk_load=False):
        index = Index(name, using=self.writer if bulk_load else self.client)
        settings = {"number_of_shards": 1, "number_of_replicas": self.replicas}
        if bulk_load:
            settings["refresh_interval"] = "-1"
        index.settings(**settings)
        index.mapping(self._mapping(doctype))
        if bulk_load:  # search_reindex: no waiting inside the request, _wait_until_ready waits (and can give up)
            index.create(wait_for_active_shards="0")
        else:
            index.create()

    @_guard
    def ensure(self, doctype):
        if doctype.name in self._ready:
            return
        alias = self.alias(doctype)
        if not self.client.indices.exists_alias(name=alias):
            name = f"{alias}-{timezone.now():%Y%m%d%H%M%S%f}"
            self._create(doctype, name)
            self.client.indices.put_alias(index=name, name=alias)
        else:
            self._upgrade(doctype, alias)
        self._ready.add(doctype.name)

    def _upgrade(self, doctype, alias):
        """Add the fields of a newer version to the mapping of the indexes behind `alias`."""
        for name, body in self.client.indices.get_mapping(index=alias).items():
            mappings = body.get("mappings", {})
            if mappings.get("_meta", {}).get("version", 1) >= doctype.version:
                continue
            new = self._mapping(doctype).to_dict()
            try:
                self.client.indices.put_mapping(index=name, properties=new["properties"], meta=new["_meta"])
            except ApiError as exc:
                if exc.meta.status != 400:
                    raise
                log.error("search index %s cannot take the mapping of version %s (%s): run search_reindex",
                          name, doctype.version, exc)

    def _targets(self, doctype):
        state = IndexState.objects.filter(doctype=doctype.name).first()
        return [self.alias(doctype)] + ([state.building] if state and state.building else [])

    # --- writing -------------------------------------------------------------------------------

    def _bulk(self, actions, refresh=False):
        ok, errors = helpers.bulk(self.writer, actions, chunk_size=CHUNK, raise_on_error=False,
                                  raise_on_exception=True, refresh=refresh, stats_only=False)
        real = [e for e in errors if next(iter(e.values())).get("status") != 404]
        if real:
            raise Unavailable(f"Elasticsearch refused {len(real)} documents, first: {real[0]}")
        return ok

    @_guard
    def apply(self, doctype, upserts, deletes, refresh=False):
        self.ensure(doctype)
        docs = list(doctype.documents(upserts)) if upserts else []
        gone = {str(pk) for pk in upserts} - {str(d["id"]) for d in docs} | {str(pk) for pk in deletes}
        actions = []
        for target in self._targets(doctype):
            actions += [{"_op_type": "index", "_index": target, "_id": str(d["id"]), "_source": d} for d in docs]
            actions += [{"_op_type": "delete", "_index": target, "_id": pk} for pk in gone]
        if actions:
            self._bulk(actions, refresh=refresh)
        return len(docs)

    @_guard
    def reindex(self, doctype, progress=None):
        """Build a new index beside the live one, then move the alias in one request: no gap. The new index
        must be ready (its primary shards active) before it is loaded and again before the alias moves."""
        self.ensure(doctype)
        alias = self.alias(doctype)
        new = f"{alias}-{timezone.now():%Y%m%d%H%M%S%f}"
        self._create(doctype, new, bulk_load=True)
        IndexState.objects.update_or_create(doctype=doctype.name, defaults={"building": new})
        count = 0
        try:
            self._wait_until_ready(new)
            count = self._load_into(new, doctype, progress)
            self.writer.indices.put_settings(index=new, settings={"refresh_interval": None})
            self.writer.indices.refresh(index=new)
            self._wait_until_ready(new)
            old = list(self.writer.indices.get_alias(name=alias))
            self.writer.indices.update_aliases(actions=[{"add": {"index": new, "alias": alias}}]
                                               + [{"remove": {"index": o, "alias": alias}} for o in old])
        except BaseException:
            IndexState.objects.filter(doctype=doctype.name).update(building="")
            self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        IndexState.objects.filter(doctype=doctype.name).update(building="")
        for o in old:
            self.client.indices.delete(index=o, ignore_unavailable=True)
        return count

    def _wait_until_ready(self, index):
        """Until the index's primary shards are active (yellow; green once replicas are too): before that a
        search through the alias fails. Replicas are not waited for, so a single node with replicas works."""
        try:
            health = self.client.options(request_timeout=READY_TIMEOUT + 10).cluster.health(
                index=index, wait_for_status="yellow", timeout=f"{READY_TIMEOUT}s")
        except ApiError as exc:  # 408 when the wait timed out
            body = exc.body if isinstance(exc.body, dict) else {}
            health = {"timed_out": True, "status": body.get("status", exc.meta.status)}
        if health.get("timed_out") or health.get("status") not in ("yellow", "green"):
            raise Unavailable(f"Elasticsearch: the new index {index} was not ready within {READY_TIMEOUT} s "
                              f"(status {health.get('status')}); the alias was not moved")

    def _load_into(self, index, doctype, progress=None):
        """Documents are built here, in the caller's thread (and database connection); two threads send
        the finished chunks to Elasticsearch meanwhile."""
        count, pending = 0, []

        def send(actions):
            helpers.bulk(self.writer, actions, chunk_size=CHUNK, raise_on_error=True)

        def chunks():
            pks = []
            for pk in doctype.all_pks():
                pks.append(pk)
                if len(pks) == CHUNK:
                    yield pks
                    pks = []
            if pks:
                yield pks

        with ThreadPoolExecutor(max_workers=2) as pool:
            for pks in chunks():
                actions = [{"_op_type": "index", "_index": index, "_id": str(d["id"]), "_source": d}
                           for d in doctype.documents(pks)]
                pending.append(pool.submit(send, actions))
                count += len(actions)
                while len(pending) > 4:
                    pending.pop(0).result()
                if progress and count % (10 * CHUNK) < CHUNK:
                    progress(count)
            for future in pending:
                future.result()
        return count

    # --- reading -------------------------------------------------------------------------------

    def _scope(self, scope):
        if scope.everything:
            return None
        if scope.empty:
            return Q("match_none")
        parts = []
        if scope.hall_ids:
            parts.append(Q("terms", hall_id=scope.hall_ids))
        if scope.branch_ids:
            parts.append(Q("terms", branch_id=scope.branch_ids))
        return Q("bool", should=parts, minimum_should_match=1)

    def build(self, doctype, parsed, scope):
        title = doctype.title_field
        fields = [f"{f}^3" if f == title else f for f in doctype.text_fields]
        must, filters = [], []
        for word in parsed.words:
            must.append(Q("multi_match", query=word, fields=fields, operator="and", type="best_fields"))
        if parsed.exact and must:
            exact = [Q("term", **{name: parsed.exact}) for name in doctype.exact_fields]
            must = [Q("bool", should=exact + [Q("bool", must=must)], minimum_should_match=1)]
        if parsed.id_hash:
            filters.append(Q("term", **{doctype.hash_field: parsed.id_hash}))
        if parsed.tail:
            filters.append(Q("term", **{parsed.tail[0]: parsed.tail[1]}))
        scoped = self._scope(scope)
        if scoped is not None:
            filters.append(scoped)
        for name, values in parsed.filters.items():
            filters.append(Q("terms", **{name: values}))
        if parsed.date_from or parsed.date_to:
            bounds = {}
            if parsed.date_from:
                bounds["gte"] = parsed.date_from.isoformat()
            if parsed.date_to:
                bounds["lte"] = parsed.date_to.isoformat()
            filters.append(Q("range", **{doctype.date_field: bounds}))
        s = Search(using=self.client, index=self.alias(doctype)).query(Q("bool", must=must, filter=filters))
        s = s.extra(track_total_hits=True)
        s = s.source(includes=list(doctype.result_fields))  # never the text, nor the ID-number hash
        if parsed.sort:
            s = s.sort(parsed.sort, "_score")
        elif doctype.date_field:
            s = s.sort("_score", f"-{doctype.date_field}")
        start = (parsed.page - 1) * parsed.per_page
        s = s[start:start + parsed.per_page]
        for name in doctype.facets:
            s.aggs.bucket(name, "terms", field=name, size=50)
        s = s.highlight_options(encoder="html", pre_tags=["<mark>"], post_tags=["</mark>"], fragment_size=120,
                                number_of_fragments=1)
        body_fields = [f for f in doctype.text_fields if f != title] or [title]
        for name in body_fields:
            s = s.highlight(name, no_match_size=120)
        return s

    @_guard
    def search(self, doctype, parsed, scope):
        self.ensure(doctype)
        try:
            response = self.build(doctype, parsed, scope).execute()
        except ApiError as exc:
            # A reindex moved the alias and deleted the old index while this search was running on it
            # (all shards failed, 503): asked again, the alias names the new index.
            if exc.meta.status != 503 or "search_phase_execution_exception" not in str(exc):
                raise
            response = self.build(doctype, parsed, scope).execute()
        hits = []
        for h in response.hits:
            hl = getattr(h.meta, "highlight", None)
            snippet = ""
            if hl:
                for name in hl:
                    snippet = " … ".join(hl[name])
                    break
            hits.append(Hit(id=h.meta.id, fields=doctype.shown(h.to_dict()), snippet=mark_safe(snippet),
                            score=h.meta.score or 0))
        facets = {}
        for name in doctype.facets:
            buckets = response.aggregations[name].buckets
            facets[name] = [(b.to_dict().get("key_as_string", b.key), b.doc_count) for b in buckets]
        return SearchResult(hits=hits, total=response.hits.total.value, facets=facets, page=parsed.page,
                            per_page=parsed.per_page, took=response.took)

    @_guard
    def refresh(self, doctype):
        self.client.indices.refresh(index=self.alias(doctype))

    def status(self, doctypes):
        out = []
        for d in doctypes:
            alias = self.alias(d)
            try:
                names = list(self.client.indices.get_alias(name=alias))
                count = self.client.count(index=alias)["count"]
                health = self.client.cluster.health()["status"]
                out.append({"doctype": d.name, "backend": self.name, "index": ", ".join(names), "alias": alias,
                            "documents": count, "health": health})
            except NotFoundError:
                out.append({"doctype": d.name, "backend": self.name, "alias": alias, "index": "",
                            "documents": 0, "health": "no index yet"})
            except (ESConnectionError, TransportError, ApiError) as exc:
                out.append({"doctype": d.name, "backend": self.name, "alias": alias, "index": "",
                            "documents": None, "health": f"unreachable: {exc}"})
        return out
