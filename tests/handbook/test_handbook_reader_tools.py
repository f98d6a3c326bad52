"""What readers of the handbook site get around the pages (issue 16): the notice of an approved version about
to take effect, sign-out and the way back to the admin for editors, and search snippets without Mermaid
source, markup or garbled characters."""
import datetime

import pytest
from django.utils import timezone

from handbook.fields import search_text
from handbook.notices import upcoming

from tests.handbook_support import make_handbook, make_procedure
from tests.search_support import any_backend, sync  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedure(org_demo):
    _root, part = make_handbook()
    return make_procedure(part)


def _schedule(page, version, days):
    draft = page.get_latest_revision_as_object()
    draft.version = version
    draft.go_live_at = timezone.now() + datetime.timedelta(days=days)
    day = timezone.localtime(draft.go_live_at).date()
    draft.save_revision().publish()  # approved: Wagtail keeps it as approved_go_live_at
    page.refresh_from_db()
    return day


# --- notice of a version about to take effect ----------------------------------------------------------

def test_a_version_taking_effect_soon_is_announced_with_a_link(procedure, users, client, settings):
    settings.HANDBOOK_NOTICE_DAYS = 14
    day = _schedule(procedure, "1.1", days=5)
    client.force_login(users("staff"))
    for url in ("/", procedure.url, "/search/?q=开户"):
        body = client.get(url).content.decode()
        assert 'id="upcoming-versions"' in body, url
        assert f"《普通开户入网业务办理流程》第1.1版将于{day.year}年{day.month}月{day.day}日生效" in body, url
        assert f'<a href="{procedure.url}">《普通开户入网业务办理流程》第1.1版' in body, url
    assert procedure.version == "1.0"  # still the version in effect


def test_no_notice_beyond_the_configured_days_nor_for_unapproved_drafts(procedure, users, client, settings):
    settings.HANDBOOK_NOTICE_DAYS = 14
    _schedule(procedure, "1.1", days=30)
    draft = procedure.get_latest_revision_as_object()
    draft.version = "1.2"
    draft.save_revision()  # saved, neither approved nor scheduled
    client.force_login(users("staff"))
    assert 'id="upcoming-versions"' not in client.get("/").content.decode()
    settings.HANDBOOK_NOTICE_DAYS = 31
    assert [n["version"] for n in upcoming()] == ["1.1"]
    settings.HANDBOOK_NOTICE_DAYS = 0
    assert upcoming() == []


def test_a_version_in_effect_is_no_longer_announced(procedure):
    _schedule(procedure, "1.1", days=2)
    assert len(upcoming()) == 1
    assert upcoming(now=timezone.now() + datetime.timedelta(days=3)) == []


def test_the_sign_in_page_shows_no_notice(procedure, client):
    _schedule(procedure, "1.1", days=2)
    body = client.get("/accounts/login/").content.decode()
    assert 'id="upcoming-versions"' not in body and "普通开户" not in body
    assert 'id="logout"' not in body


# --- sign-out and the admin ----------------------------------------------------------------------------

def test_readers_sign_out_from_every_page(procedure, users, client):
    client.force_login(users("staff"))
    body = client.get(procedure.url).content.decode()
    assert 'id="logout"' in body and 'action="/accounts/logout/"' in body and "退出登录" in body
    assert 'id="to-admin"' not in body and 'id="edit-page"' not in body  # staff have no admin
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get(procedure.url).status_code == 302


def test_editors_get_back_to_the_admin_and_to_the_page_editor(procedure, users, client):
    client.force_login(users("office"))
    body = client.get(procedure.url).content.decode()
    assert 'id="to-admin" href="/admin/"' in body.replace('<a href="/admin/" id="to-admin">', 'id="to-admin" href="/admin/"')
    assert f'href="/admin/pages/{procedure.pk}/edit/"' in body and "编辑本页" in body
    assert client.get(f"/admin/pages/{procedure.pk}/edit/").status_code == 200
    home = client.get("/").content.decode()
    assert "管理后台" in home


# --- search snippets -------------------------------------------------------------------------------------

MESSY = dict(
    objective="**确保**受理`准确`。<b>加粗</b> &amp; 完整\n```mermaid\ngraph LR\n  X[核验证件] --> Y[录入]\n```\n"
              "旧版?ā乱码\ue003文字",
    flowchart="flowchart TD\n  A[受理登记] --> B{资料齐全?}\n  B -->|是| C[开户]\n  B -->|否| D((退回))",
)


def test_search_text_has_the_diagram_words_never_its_source(org_demo):
    _root, part = make_handbook()
    page = make_procedure(part, **MESSY)
    text = search_text(page)
    for noise in ("-->", "flowchart", "```", "mermaid", "graph LR", "<b>", "**", "`", "&amp;", "?ā", "\ue003",
                  "Mermaid"):
        assert noise not in text, noise
    assert "受理登记、资料齐全?、是、开户、否、退回" in text and "核验证件、录入" in text
    assert "确保受理准确。 加粗 & 完整" in text and "旧版乱码文字" in text


def _assert_clean(snippet):
    for noise in ("--&gt;", "-->", "flowchart", "```", "mermaid", "&lt;b&gt;", "**", "&amp;amp;", "\ue003"):
        assert noise not in snippet, (noise, snippet)


def test_search_snippets_on_both_backends_are_clean(org_demo, users, client, any_backend):
    _root, part = make_handbook()
    make_procedure(part, **MESSY)
    sync(any_backend)
    client.force_login(users("staff"))
    for word in ("受理", "退回", "核验", "乱码"):
        body = client.get("/search/", {"q": word}).content.decode()
        assert "<mark>" in body, word
        hits = body.split('<ol class="hits">')[1].split("</ol>")[0]
        _assert_clean(hits)


def test_fallback_snippets_are_clean_and_marks_never_split_an_entity(org_demo, users, client, settings):
    from handbook.views import highlight

    _root, part = make_handbook()
    make_procedure(part, **MESSY)
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens there: the pages are searched
    client.force_login(users("staff"))
    body = client.get("/search/", {"q": "退回"}).content.decode()
    hits = body.split('<ol class="hits">')[1].split("</ol>")[0]
    assert "<mark>退回</mark>" in hits
    _assert_clean(hits)
    assert str(highlight("甲 & 乙 <amp>", "amp")) == "甲 &amp; 乙 &lt;<mark>amp</mark>&gt;…"


def test_the_admin_home_shows_the_notice_too(procedure, users, client, settings):
    settings.HANDBOOK_NOTICE_DAYS = 14
    client.force_login(users("clerk-H11"))
    assert 'id="handbook-upcoming-section"' not in client.get("/admin/").content.decode()  # nothing scheduled
    day = _schedule(procedure, "1.1", days=3)
    body = client.get("/admin/").content.decode()
    assert 'id="handbook-upcoming-section"' in body
    assert f"《普通开户入网业务办理流程》第1.1版将于{day.year}年{day.month}月{day.day}日生效" in body
