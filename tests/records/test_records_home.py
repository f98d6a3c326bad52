"""The admin home page's customer-file panel: counts and failures inside the user's scope, none for
handbook-only users."""
import pytest
from django.utils import timezone

from records.models import Record

S = Record.Status


@pytest.fixture
def files(make_record):
    made = {
        "queued": make_record("H11", status=S.OCR_QUEUED),
        "failed": make_record("H11", status=S.OCR_FAILED, ocr_error="第 1 页：分辨率 150 dpi，低于 200 dpi"),
        "done": make_record("H11", status=S.OCR_DONE),
        "other_failed": make_record("H21", status=S.OCR_FAILED, ocr_error="PDF 已损坏"),
    }
    Record.objects.filter(pk=made["done"].pk).update(created_at=timezone.now())
    return made


def home(client, user):
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_panel_counts_and_failures_inside_the_scope(files, users, client):
    html = home(client, users("clerk-H11"))
    panel = html.split('id="records-home-section"', 1)[1]
    assert "正在识别: <strong>1</strong>" in panel and "识别失败: <strong>1</strong>" in panel
    assert "今日已识别: <strong>1</strong>" in panel
    assert "分辨率 150 dpi" in panel and f"/admin/record/inspect/{files['failed'].pk}/" in panel
    assert "PDF 已损坏" not in panel  # another branch's file

    panel = home(client, users("archivist")).split('id="records-home-section"', 1)[1]
    assert "识别失败: <strong>2</strong>" in panel and "PDF 已损坏" in panel


def test_no_panel_for_handbook_only_users(files, users, client):
    assert 'id="records-home-section"' not in home(client, users("office"))


def test_home_page_search_box_is_in_chinese(users, client, org_demo):
    assert "搜索全部页面…" in home(client, users("clerk-H11"))
