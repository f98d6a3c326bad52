"""Every answer that can carry an unmasked ID number (or a scan showing one) has `Cache-Control: no-store`:
the rule is every answer to a signed-in user or API client (config/nostore.py)."""
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from rest_framework.test import APIClient

from org.models import Hall
from records.models import Page, Record, Scan
from tests.archive_helpers import day, make_day, small_pdf
from tests.archive.test_archive_printing import volume_at_branch  # noqa: F401 (fixture)

from .search_support import db_backend, sync  # noqa: F401

ID = "11010519491231002X"


def no_store(response):
    return "no-store" in response.get("Cache-Control", "")


@pytest.fixture
def record(make_record):
    record = make_record("H11", id_number=ID, status=Record.Status.OCR_DONE,
                         fields={"id_number": {"value": "1101**********002X", "confidence": 0.9, "problem": None}})
    record.access_copy.save("copy.pdf", ContentFile(small_pdf("access copy")))
    scan = Scan(record=record, original_name="a.pdf", kind="pdf", size=10, sha256="a" * 64, page_count=1)
    scan.master.save("a.pdf", ContentFile(small_pdf("master")))
    Page.objects.create(record=record, number=1, text=f"过户业务受理单 证件号码 {ID}")
    return record


def test_id_number_endpoint_token_client(record, users):
    """An API client authenticated by DRF inside the view (as a token is), not by the session."""
    api = APIClient()
    api.force_authenticate(users("l1-H11"))
    response = api.get(f"/api/records/{record.pk}/id-number/")
    assert response.status_code == 200 and response.json()["id_number"] == ID
    assert no_store(response)
    for url in (f"/api/records/{record.pk}/", "/api/records/"):
        assert no_store(api.get(url))


def test_id_number_endpoint_session(client, record, users):
    client.force_login(users("l1-H11"))
    response = client.get(f"/api/records/{record.pk}/id-number/")
    assert response.status_code == 200 and no_store(response)


def test_inspect_with_reveal(client, record, users):
    client.force_login(users("l1-H11"))
    response = client.get(reverse("record:inspect", args=[record.pk]) + "?reveal=1")
    assert response.status_code == 200 and ID in response.content.decode()
    assert no_store(response)


def test_downloads_of_scans_and_access_copies(client, record, users):
    client.force_login(users("clerk-H11"))
    for url in (reverse("records_admin:access_copy", args=[record.pk]),
                reverse("records_admin:master", args=[record.scans.get().pk])):
        response = client.get(url)
        assert response.status_code == 200 and no_store(response), url


def test_record_list_export(client, record, users):
    client.force_login(users("l1-H11"))
    response = client.get(reverse("record:index") + "?export=csv")
    assert response.status_code == 200 and no_store(response)


def test_search_api_and_export(client, record, users, db_backend):  # noqa: F811
    sync(db_backend)
    client.force_login(users("auditor-B1"))
    for url in ("/api/search/", "/admin/search-records/export.csv", "/admin/search-records/"):
        response = client.get(url, {"q": "过户"})
        assert response.status_code == 200 and no_store(response), url


def test_level1_screen(client, make_record, users):
    make_day(make_record, "H11", day(2), ["general"])
    client.force_login(users("l1-H11"))
    url = reverse("archive_admin:level1", args=[Hall.objects.get(code="H11").pk, "2026-10-02"])
    response = client.get(url)
    assert response.status_code == 200 and no_store(response)


def test_volume_pdf(client, volume_at_branch, users):  # noqa: F811
    client.force_login(users("auditor-B1"))
    response = client.get(reverse("archive_admin:volume_pdf", args=[volume_at_branch[0].pk]))
    assert response.status_code == 200 and no_store(response)


def test_anonymous_answers_keep_their_caching(client, db):
    assert not no_store(client.get("/healthz"))
