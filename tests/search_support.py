"""Fixtures of the search tests: the real Elasticsearch started by scripts/es-start.sh (ES_TEST_URL, set by
scripts/test.sh) and the database backend. Without ES_TEST_URL an Elasticsearch test fails, never skips."""
import os
import uuid

import pytest

from search import backends, outbox, registry


def es_url():
    url = os.environ.get("ES_TEST_URL")
    if not url:
        pytest.fail("the Elasticsearch test server is not configured: run the suite with `make test` "
                    "(scripts/es-start.sh, ES_TEST_URL)")
    return url


def use_es(settings, url=None):
    settings.ELASTICSEARCH_URL = url or es_url()
    settings.SEARCH_INDEX_PREFIX = f"test-{uuid.uuid4().hex[:10]}"
    settings.SEARCH_ANALYZER = "bigram"
    # The largest timeout the settings allow: on a busy machine (CI, helpers) the test node may take
    # seconds to answer; tests of the timeout itself (test_search_timeouts.py) set their own.
    settings.ELASTICSEARCH_TIMEOUT = 10
    return backends.get()


def drop_indices(backend):
    backend.client.indices.delete(index=f"{backend.prefix}-*", ignore_unavailable=True, allow_no_indices=True)


def sync(backend=None):
    """Flush the outbox into the active backend and make it searchable now."""
    backend = backend or backends.get()
    outbox.flush(backend=backend)
    if backend.name == "elasticsearch":
        for kind in registry.all_types():
            backend.ensure(kind)
            backend.refresh(kind)


@pytest.fixture
def es_backend(settings, db):
    backend = use_es(settings)
    yield backend
    drop_indices(backend)


@pytest.fixture
def db_backend(settings, db):
    settings.ELASTICSEARCH_URL = None
    return backends.get()


@pytest.fixture(params=["database", "elasticsearch"])
def any_backend(request, settings, db):
    """The contract suite runs once against each backend."""
    if request.param == "database":
        settings.ELASTICSEARCH_URL = None
        yield backends.get()
        return
    backend = use_es(settings)
    yield backend
    drop_indices(backend)
