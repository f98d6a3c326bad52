"""Saved searches on the customer-file search screen: saved under a name with their filters, listed for
their owner only, deleted by the owner only; both logged."""
from urllib.parse import parse_qs

import pytest
from django.utils.html import escape

from org.models import AuditEvent
from search import events
from search.models import SavedSearch

from tests.search_support import db_backend, sync  # noqa: F401

pytestmark = pytest.mark.django_db
SCREEN = "/admin/search-records/"


def _save(client, name, query):
    return client.post(f"{SCREEN}saved/", {"name": name, "query": query})


def test_the_screen_offers_to_save_what_is_searched(client, db_backend, make_record, users):
    make_record("H11", customer_name="钱七")
    sync(db_backend)
    client.force_login(users("auditor-B1"))
    page = client.get(SCREEN, {"q": "钱七", "hall": "H11", "page": "2"}).content.decode()
    assert 'id="saved-search-form"' in page
    assert 'name="query" value="q=%E9%92%B1%E4%B8%83&amp;hall=H11"' in page  # without the page
    assert 'id="saved-search-form"' not in client.get(SCREEN).content.decode()  # nothing searched yet


def test_save_list_open_and_delete(client, db_backend, users):
    client.force_login(users("auditor-B1"))
    response = _save(client, "本月过户", "q=过户&category=ownership&date_from=2026-11-01&page=3&evil=1")
    assert response.status_code == 302
    saved = SavedSearch.objects.get()
    assert saved.user == users("auditor-B1") and saved.name == "本月过户"
    assert parse_qs(saved.query) == {"q": ["过户"], "category": ["ownership"], "date_from": ["2026-11-01"]}
    event = AuditEvent.objects.filter(action=events.SAVED_SEARCH_SAVE).latest("seq")
    assert event.actor_name == "auditor-B1" and event.details["name"] == "本月过户"

    page = client.get(SCREEN).content.decode()
    assert "本月过户" in page and f'href="?{escape(saved.query)}"' in page and "已保存的搜索" in page

    _save(client, "本月过户", "q=过户")  # the same name again: replaced, not doubled
    assert SavedSearch.objects.get().query == "q=%E8%BF%87%E6%88%B7"

    response = client.post(f"{SCREEN}saved/{saved.pk}/delete/")
    assert response.status_code == 302 and not SavedSearch.objects.exists()
    event = AuditEvent.objects.filter(action=events.SAVED_SEARCH_DELETE).latest("seq")
    assert event.details["name"] == "本月过户"


def test_only_the_owner_sees_and_deletes(client, db_backend, users):
    client.force_login(users("auditor-B1"))
    _save(client, "我的搜索", "q=过户")
    mine = SavedSearch.objects.get()
    client.force_login(users("archivist"))
    assert f'data-saved="{mine.pk}"' not in client.get(SCREEN).content.decode()
    assert client.post(f"{SCREEN}saved/{mine.pk}/delete/").status_code == 404
    assert SavedSearch.objects.filter(pk=mine.pk).exists()
    assert not AuditEvent.objects.filter(action=events.SAVED_SEARCH_DELETE).exists()
    assert client.get(f"{SCREEN}saved/{mine.pk}/delete/").status_code == 405


def test_nothing_saved_without_a_name_a_query_or_search_rights(client, db_backend, users):
    client.force_login(users("auditor-B1"))
    _save(client, "", "q=过户")
    _save(client, "空", "page=2")
    assert not SavedSearch.objects.exists()
    client.force_login(users("office"))  # no customer files to search
    assert _save(client, "x", "q=过户").status_code in (302, 403)
    assert not SavedSearch.objects.exists()


def test_a_whole_id_number_is_never_kept(client, db_backend, users):
    client.force_login(users("auditor-B1"))
    _save(client, "身份证", "q=11010519491231002X")
    _save(client, "身份证2", "q=110105 19491231 002X")
    assert not SavedSearch.objects.exists()
    _save(client, "尾号", "q=31002X")  # the tail is kept
    assert SavedSearch.objects.get().name == "尾号"
    assert not AuditEvent.objects.filter(details__icontains="19491231").exists()
