"""The search backends behind one interface: Elasticsearch when ELASTICSEARCH_URL is set, the database
(SQLite FTS5 / PostgreSQL full text) otherwise.

A backend has apply(doctype, upsert_pks, delete_pks), search(doctype, parsed, scope) -> SearchResult,
reindex(doctype) -> count and status() -> list of dicts.
"""
from django.conf import settings

from .base import Unavailable  # noqa: F401  (callers catch backends.Unavailable)


_cache = {}


def get():
    url = getattr(settings, "ELASTICSEARCH_URL", None)
    key = (url, getattr(settings, "SEARCH_INDEX_PREFIX", "records"), getattr(settings, "SEARCH_ANALYZER", ""),
           getattr(settings, "ELASTICSEARCH_TIMEOUT", 5), getattr(settings, "SEARCH_INDEX_REPLICAS", 0))
    if key not in _cache:
        if url:
            from .es import ElasticsearchBackend

            _cache[key] = ElasticsearchBackend(url, prefix=key[1], analyzer=key[2], timeout=key[3], replicas=key[4])
        else:
            from .db import DatabaseBackend

            _cache[key] = DatabaseBackend()
    return _cache[key]
