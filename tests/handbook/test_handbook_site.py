"""The handbook site: access, versions, diff, read acknowledgement, PDFs, search and indexing."""
import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.handbook_support import make_handbook, make_procedure
from tests.search_support import any_backend, sync  # noqa: F401


@pytest.fixture
def procedure(org_demo):
    _root, part = make_handbook()
    return make_procedure(part)


def _new_version(page, version, **changes):
    draft = page.get_latest_revision_as_object()
    draft.version = version
    for name, value in changes.items():
        setattr(draft, name, value)
    draft.save_revision().publish()
    page.refresh_from_db()
    return page


def test_staff_reads_but_gets_no_admin(procedure, users, client):
    client.force_login(users("staff"))
    response = client.get(procedure.url)
    assert response.status_code == 200
    assert "普通开户入网业务办理流程" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # back to the login: no admin access
    assert not users("staff").has_perm("wagtailadmin.access_admin")
    client.force_login(users("office"))
    assert client.get("/admin/").status_code == 200


def test_the_site_needs_login_and_handbook_read(procedure, client, users):
    from org.models import User

    response = client.get(procedure.url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/mermaid/").status_code == 302  # even the diagram library
    nobody = User.objects.create_user("no-role", password="x-pass-2026-long")
    client.force_login(nobody)
    assert client.get(procedure.url).status_code == 403


def test_login_page_lets_staff_in(procedure, client):
    response = client.post("/accounts/login/", {"username": "staff", "password": "demo-pass-2026",
                                                "next": procedure.url})
    assert response.status_code == 302 and response["Location"] == procedure.url
    assert client.get(procedure.url).status_code == 200


def test_draft_banner_below_v1(org_demo, users, client):
    _root, part = make_handbook()
    draft = make_procedure(part, version="0.9", title="草案流程")
    client.force_login(users("staff"))
    body = client.get(draft.url).content.decode()
    assert "仅供参考" in body and "V0.9" in body
    released = make_procedure(part, version="1.0", title="正式流程")
    assert "仅供参考" not in client.get(released.url).content.decode()


def test_flowchart_source_rendered_with_the_vendored_library(procedure, users, client):
    client.force_login(users("staff"))
    body = client.get(procedure.url).content.decode()
    assert '<pre class="mermaid">flowchart TD' in body and 'src="/mermaid/"' in body
    script = client.get("/mermaid/")
    assert script.status_code == 200 and b"mermaid" in b"".join(script.streaming_content)[:200000]


def test_revision_log_earlier_version_and_readable_diff(procedure, users, client):
    page = _new_version(procedure, "1.1", change_summary="开户时限改为2分钟", key_moments=[
        ("moment", {"when": "在系统内开户时", "do": "2分钟内完成", "limit_value": 2, "limit_unit": "minutes"})])
    client.force_login(users("staff"))
    log = client.get(page.url + "log/").content.decode()
    assert "V1.0" in log and "V1.1" in log and "开户时限改为2分钟" in log
    first, second = page.revision_log.order_by("effective_from")
    old = client.get(f"{page.url}revisions/{first.revision_id}/").content.decode()
    assert "3分钟内完成" in old and "2分钟内完成" not in old and "V1.0" in old
    diff = client.get(f"{page.url}diff/{first.revision_id}/{second.revision_id}/").content.decode()
    assert '<li class="removed">− 在系统内开户时：3分钟内完成（时限：3 分钟）</li>' in diff
    assert '<li class="added">+ 在系统内开户时：2分钟内完成（时限：2 分钟）</li>' in diff
    assert "{" not in diff.split("<main>")[1]  # no raw JSON
    # a draft that was never published cannot be opened by readers
    draft = page.get_latest_revision_as_object()
    draft.objective = "秘密草稿"
    revision = draft.save_revision()
    assert client.get(f"{page.url}revisions/{revision.pk}/").status_code == 404


def test_read_acknowledgement_and_the_hall_managers_list(procedure, users, client):
    from org.models import AuditEvent

    client.force_login(users("clerk-H11"))
    assert "我已阅读 V1.0" in client.get(procedure.url).content.decode()
    assert client.post(procedure.url + "read/").status_code == 302
    assert client.post(procedure.url + "read/").status_code == 302  # twice: one row
    assert "您已确认阅读 V1.0" in client.get(procedure.url).content.decode()
    assert AuditEvent.objects.filter(action="handbook.procedure.read").count() == 1
    assert client.get(procedure.url + "unread/").status_code == 403  # a clerk does not see the list

    client.force_login(users("keeper-H11"))
    body = client.get(procedure.url + "unread/").content.decode()
    assert "l1-H11" in body and "keeper-H11" in body and "clerk-H11" not in body
    assert "clerk-H12" not in body  # another hall
    assert client.get(procedure.url + "unread/?hall=H12").status_code == 403
    # a new version: everybody has to read it again
    _new_version(procedure, "1.1")
    assert "clerk-H11" in client.get(procedure.url + "unread/").content.decode()


def _pages_text(data):
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text() for page in reader.pages]


def test_pdf_of_a_procedure_has_version_and_effective_date_on_each_page(procedure, users, client):
    moments = [("moment", {"when": f"第{i}个关键时刻时", "do": "按规定办理。" * 20, "limit_value": None,
                           "limit_unit": ""}) for i in range(40)]
    page = _new_version(procedure, "1.1", key_moments=moments)
    client.force_login(users("staff"))
    response = client.get(page.url + "pdf/")
    assert response["Content-Type"] == "application/pdf"
    texts = _pages_text(response.content)
    effective = timezone.localtime(page.revision_log.order_by("-effective_from").first().effective_from)
    assert len(texts) >= 2
    for text in texts:
        assert "V1.1" in text and effective.strftime("%Y-%m-%d") in text
    assert "第39个关键时刻时" in "".join(texts)


def test_pdf_of_the_whole_handbook(org_demo, users, client):
    root, part = make_handbook()
    make_procedure(part, title="甲流程", version="1.0")
    make_procedure(part, title="乙流程", version="0.9")
    client.force_login(users("staff"))
    texts = _pages_text(client.get(root.url + "pdf/").content)
    a = [t for t in texts if "甲流程" in t and "快速" in t]
    b = [t for t in texts if "乙流程" in t and "快速" in t]
    assert a and "V1.0" in a[0] and "V0.9" not in a[0]
    assert b and "V0.9" in b[0] and "仅供参考" in b[0]
    today = timezone.localdate().strftime("%Y-%m-%d")
    assert all(today in t for t in texts)
    assert "甲流程 V1.0" in texts[0] and "乙流程 V0.9" in texts[0] and "汇编日期" in texts[0]  # the cover
    assert all("V1.0" in t or "V0.9" in t for t in texts[1:])


def test_procedure_documents_give_the_current_published_version(procedure):
    from handbook.indexing import procedure_documents, procedure_changed

    draft = procedure.get_latest_revision_as_object()
    draft.objective = "尚未发布的目标"
    draft.save_revision()
    docs = list(procedure_documents([procedure.pk]))
    assert len(docs) == 1
    doc = docs[0]
    assert doc["id"] == procedure.pk and doc["title"] == "普通开户入网业务办理流程"
    assert doc["version"] == "1.0" and doc["part"] == "第一部分 营业厅服务流程"
    assert "在系统内开户时：3分钟内完成" in doc["text"] and "尚未发布的目标" not in doc["text"]
    assert doc["url"] == procedure.url and doc["effective_from"]
    procedure.unpublish()
    assert list(procedure_documents([procedure.pk])) == []
    assert procedure_changed(procedure) in (True, False)


def test_search_page_highlights_hits(procedure, users, client, any_backend):
    """Procedures are indexed through the search app (outbox → Elasticsearch or the database)."""
    sync(any_backend)
    client.force_login(users("staff"))
    body = client.get("/search/", {"q": "开户"}).content.decode()
    assert "普通开户入网业务办理流程" in body and "<mark>" in body and "V1.0" in body
    assert "没有找到" in client.get("/search/", {"q": "不存在的词语"}).content.decode()


def test_search_serves_the_new_version_once_published_and_forgets_unpublished(procedure, users, any_backend):
    from search.query import search

    sync(any_backend)
    _new_version(procedure, "1.1", objective="客户满意度回访")
    sync(any_backend)
    result = search(users("staff"), "满意度回访", doctype="procedure")
    assert [(h.fields["title"], h.fields["version"]) for h in result.hits] == [("普通开户入网业务办理流程", "1.1")]
    procedure.unpublish()
    sync(any_backend)
    assert search(users("staff"), "开户", doctype="procedure").total == 0


def test_search_page_falls_back_to_the_pages_when_the_engine_is_down(procedure, users, client, settings):
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens there
    client.force_login(users("staff"))
    body = client.get("/search/", {"q": "开户"}).content.decode()
    assert "普通开户入网业务办理流程" in body and "<mark>开户</mark>" in body


def test_scheduled_version_is_not_served_early_to_search(procedure):
    from handbook.indexing import procedure_documents

    draft = procedure.get_latest_revision_as_object()
    draft.version, draft.objective = "1.1", "明天的目标"
    draft.go_live_at = timezone.now() + datetime.timedelta(days=1)
    draft.save_revision().publish()
    doc = next(procedure_documents([procedure.pk]))
    assert doc["version"] == "1.0" and "明天的目标" not in doc["text"]


def test_admin_editor_renders_and_author_may_not_publish(procedure, users, client):
    from org.models import RoleAssignment

    RoleAssignment.objects.create(user=users("clerk-H11"), role="author", scope="all")
    client.force_login(users("clerk-H11"))
    response = client.get(f"/admin/pages/{procedure.pk}/edit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "关键时刻说明" in body and "流程图（Mermaid 源文本）" in body
    assert 'name="action-publish"' not in body and 'name="action-submit"' in body
    add = client.get(f"/admin/pages/add/handbook/subprocedurepage/{procedure.pk}/")
    assert add.status_code == 200 and "子流程" in add.content.decode()


def test_parts_are_numbered_as_the_handbook_writes_them():
    from django.utils import translation

    from handbook.models import part_numeral

    with translation.override("zh-hans"):
        assert [part_numeral(n) for n in (1, 9, 10, 12, 20, 21, 99, 100)] == [
            "一", "九", "十", "十二", "二十", "二十一", "九十九", "100"]
    with translation.override("en"):
        assert part_numeral(3) == "3"


def test_the_go_live_date_is_called_as_the_business_calls_it():
    from django.utils import translation
    from wagtail.models import Page

    with translation.override("zh-hans"):
        assert str(Page._meta.get_field("go_live_at").verbose_name) == "生效日期/时间"
