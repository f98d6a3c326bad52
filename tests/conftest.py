import datetime
import os

import pytest
from django.db import connection

from org import demo
from tests.append_only_support import empty_append_only_tables


@pytest.fixture(autouse=True)
def _append_only_tables_flushable(request):
    """A transactional test ends with Django flushing every table by TRUNCATE (PostgreSQL) or DELETE
    (SQLite), which the append-only tables refuse while they hold rows: their owner empties them first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    if not (transactional or {"transactional_db", "live_server"} & set(request.fixturenames)):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up before this fixture, so flushed after it
    yield
    empty_append_only_tables()


@pytest.fixture(scope="session")
def embedded_templates(tmp_path_factory):
    """Migrated embedded-default project folders, copied by `migrated_var` (tests/embedded_project.py)."""
    from tests.embedded_project import Templates

    return Templates(tmp_path_factory.mktemp("embedded-templates"))


@pytest.fixture
def migrated_var(embedded_templates):
    """migrated_var(folder, demo=False): the folder becomes a migrated embedded-default APP_VAR_DIR."""
    return embedded_templates.copy


@pytest.fixture
def org_demo(db):
    """The demo organisation and users (B1-B3, H11-H32, clerk-H11 ...)."""
    demo.load()
    from org.models import User

    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def users(org_demo):
    def get(username):
        from org.models import User

        return User.objects.get(username=username)  # fresh object: no cached role assignments

    return get


@pytest.fixture
def login(client, users):
    """login("clerk-H11") → the test client signed in as that demo user."""
    def as_user(username):
        client.force_login(users(username))
        return client

    return as_user


@pytest.fixture
def make_record(org_demo):
    from org.models import Hall
    from records.models import Record

    counter = {"n": 0}

    def make(hall_code="H11", id_number="510302199001011234", **fields):
        counter["n"] += 1
        hall = Hall.objects.get(code=hall_code)
        clerk = org_demo[f"clerk-{hall_code}"]
        values = {
            "hall": hall, "clerk": clerk, "business_date": datetime.date(2026, 11, 2),
            "transaction_no": f"T{hall_code}{counter['n']:06d}", "business_type": "普通开户",
            "customer_name": "张三", "service_number": "13800001234", "id_number": id_number,
        }
        values.update(fields)
        return Record.objects.create(**values)

    return make


def on_postgres():
    return connection.vendor == "postgresql"


def s3_env():
    """The S3 test server's settings, as the app reads them (set by scripts/test.sh)."""
    names = ["AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_S3_REGION_NAME"]
    values = {name: os.environ.get(f"S3_TEST_{name}") for name in names}
    if not all(values.values()):
        pytest.fail("the S3 test server is not configured: run the suite with `make test`")
    return values


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_setup", "_django_db_helper"}


def uses_database(item):
    """Whether a test touches the database: through pytest-django (marker or fixture, directly or through
    another fixture), or because it says so (`both_databases`: subprocesses that read DATABASE_URL)."""
    if item.get_closest_marker("django_db") or item.get_closest_marker("both_databases"):
        return True
    if item.get_closest_marker("postgres"):
        return True
    return bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    """Tests that touch no database run once, on the embedded default (SQLite): the PostgreSQL run of
    `make test` leaves them out instead of repeating them."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    kept, once = [], []
    for item in items:
        (kept if uses_database(item) else once).append(item)
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = kept
