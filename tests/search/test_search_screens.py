"""The auditor's search screen, its CSV export (logged), the REST API and the `search` command."""
import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from org.models import AuditEvent
from records.models import Page
from search.models import OutboxEntry

from tests.search_support import any_backend, db_backend, sync  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(make_record):
    made = []
    for i in range(25):
        r = make_record("H11", customer_name=f"客户{i:02d}", business_type="过户", category="ownership")
        Page.objects.create(record=r, number=1, text=f"过户业务受理单 第{i:02d}份 <b>粗体</b>")
        made.append(r)
    made.append(make_record("H21", customer_name="外厅客户", business_type="过户", category="ownership"))
    return made


def _login(client, user):
    client.force_login(user)
    return client


def test_screen_facets_filters_highlight_sort_paging(client, any_backend, files, users):
    sync(any_backend)
    _login(client, users("auditor-B1"))
    page = client.get("/admin/search-records/", {"q": "过户", "sort": "date"}).content.decode()
    assert "25" in page and 'id="search-facets"' in page
    assert page.count('class="search-hit"') == 20 and "<mark>" in page and "&lt;b&gt;" in page
    assert "外厅客户" not in page  # hall H21 is in another branch
    assert 'rel="next"' in page
    second = client.get("/admin/search-records/", {"q": "过户", "sort": "date", "page": 2}).content.decode()
    assert second.count('class="search-hit"') == 5 and 'rel="prev"' in second
    filtered = client.get("/admin/search-records/", {"q": "过户", "hall": "H12"}).content.decode()
    assert 'class="search-hit"' not in filtered
    dated = client.get("/admin/search-records/", {"q": "过户", "date_from": "2026-11-02",
                                                  "date_to": "2026-11-02"}).content.decode()
    assert dated.count('class="search-hit"') == 20


def test_screen_bad_input_and_no_access(client, db_backend, files, users):
    _login(client, users("auditor-B1"))
    with translation.override("en"):
        page = client.get("/admin/search-records/", {"q": "过户", "date_from": "2026-02-30"},
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="search-error"' in page
    assert client.get("/admin/search-records/").status_code == 200  # an empty form, no error
    _login(client, users("office"))
    assert client.get("/admin/search-records/", {"q": "过户"}).status_code in (302, 403)


def test_csv_export_is_logged(client, db_backend, files, users):
    sync(db_backend)
    _login(client, users("auditor-B1"))
    response = client.get("/admin/search-records/export.csv", {"q": "过户"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 26 and {r[4] for r in rows[1:]} == {"H11"}
    event = AuditEvent.objects.filter(action="search.export").latest("seq")
    assert event.actor_name == "auditor-B1" and event.details["rows"] == 25 and event.details["query"] == "过户"
    _login(client, users("clerk-H11"))  # clerks may not export
    assert client.get("/admin/search-records/export.csv", {"q": "过户"}).status_code in (302, 403)
    assert AuditEvent.objects.filter(action="search.export").count() == 1


def test_rest_api(client, db_backend, files, users):
    sync(db_backend)
    _login(client, users("clerk-H11"))
    data = client.get("/api/search/", {"q": "过户", "per_page": 5, "page": 2, "sort": "date"}).json()
    assert data["total"] == 25 and data["pages"] == 5 and len(data["hits"]) == 5
    assert {h["fields"]["hall"] for h in data["hits"]} == {"H11"} and "<mark>" in data["hits"][0]["snippet"]
    assert data["facets"]["category"] == [{"value": "ownership", "count": 25}]
    bad = client.get("/api/search/", {"q": "过户", "date_to": "2026-1-1x"})
    assert bad.status_code == 400 and "date_to" in bad.json()["error"]
    assert client.get("/api/search/", {"q": ""}).status_code == 400
    assert client.get("/api/search/", {"q": "x", "doctype": "nope"}).status_code == 400
    client.logout()
    assert client.get("/api/search/", {"q": "过户"}).status_code in (401, 403)


def test_cli(db_backend, files):
    sync(db_backend)
    out = io.StringIO()
    call_command("search", "外厅客户", stdout=out)
    assert "1 条结果" in out.getvalue() and "外厅客户" in out.getvalue()
    out = io.StringIO()
    call_command("search", "外厅客户", "--as", "clerk-H11", "--json", stdout=out)
    assert json.loads(out.getvalue())["total"] == 0
    out = io.StringIO()
    call_command("search", "过户", "--as", "auditor-B1", "--json", "--filter", "date_from=2026-11-01",
                 "--per-page", "3", stdout=out)
    data = json.loads(out.getvalue())
    assert data["total"] == 25 and len(data["hits"]) == 3
    with translation.override("en"):
        with pytest.raises(CommandError, match="not a date"):
            call_command("search", "过户", "--filter", "date_from=tomorrow")
        with pytest.raises(CommandError, match="Enter something"):
            call_command("search", "")
    with pytest.raises(CommandError, match="no-such-user"):
        call_command("search", "过户", "--as", "no-such-user")


def test_status_and_reindex_on_the_database(db_backend, files):
    assert OutboxEntry.objects.count() >= 26
    out = io.StringIO()
    call_command("search_status", stdout=out)
    assert "database" in out.getvalue() and "backlog: " in out.getvalue() and "oldest" in out.getvalue()
    out = io.StringIO()
    call_command("search_reindex", stdout=out)
    assert "record: 26 documents" in out.getvalue()
    sync(db_backend)
    out = io.StringIO()
    call_command("search_status", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["backlog"] == 0 and data["indices"][0]["documents"] == 26
