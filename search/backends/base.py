"""What every search backend shares: the result types and the one error a caller handles. They live here,
below both the backends and search.query, so imports point one way (query -> backends -> base)."""
from dataclasses import dataclass


class Unavailable(Exception):
    """The search engine cannot be reached or refused the request; changes wait in the outbox."""


@dataclass
class Hit:
    id: str
    fields: dict  # the document type's result_fields, never its text
    snippet: str  # safe HTML: escaped text (masked, org.pii.mask_text) with <mark> around matches
    score: float = 0.0


@dataclass
class SearchResult:
    hits: list
    total: int
    facets: dict  # field -> [(value, count), ...]
    page: int
    per_page: int
    took: float = 0.0  # milliseconds the backend itself reports (Elasticsearch's `took`)

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))
