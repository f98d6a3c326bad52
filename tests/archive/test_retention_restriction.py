"""Customers' deletion requests (PIPL art. 47): restricted files are hidden from ordinary search and view,
opened only by the archivist with a logged reason, and still enter the due list on their date."""
import html
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from archive import restriction
from archive.base import ChainError
from org.models import AuditEvent
from search import outbox
from search.models import SearchDoc
from tests.retention_support import import_rows, old_record, with_objects

pytestmark = pytest.mark.django_db
ID = "510302198807077777"


def test_restricted_files_are_hidden_opened_with_a_reason_and_still_due(make_record, users, client):
    mine = old_record(make_record, "13900000051", ID)
    other = old_record(make_record, "13900000052", "510302198807078888")
    with_objects(mine)
    import_rows(users("archivist"), ("13900000051", "", "销户", "2024-01-02"))
    outbox.flush()
    assert SearchDoc.objects.filter(doctype="record", object_id=str(mine.pk)).exists()
    client.force_login(users("archivist"))
    client.post("/admin/archive/retention/requests/add/", {"customer_id": ID, "reason": "客户书面申请删除"})
    assert AuditEvent.objects.filter(action=restriction.EVENT_REQUESTED).count() == 1
    outbox.flush()
    assert not SearchDoc.objects.filter(doctype="record", object_id=str(mine.pk)).exists()
    assert SearchDoc.objects.filter(doctype="record", object_id=str(other.pk)).exists()
    for who in ("clerk-H11", "archivist"):  # hidden from ordinary view for everyone, the archivist too
        client.force_login(users(who))
        assert client.get(f"/admin/record/inspect/{mine.pk}/").status_code == 404
        assert client.get(f"/api/records/{mine.pk}/").status_code == 404
        assert client.get(f"/admin/record/inspect/{other.pk}/").status_code == 200
    # the archivist opens it with a reason, logged; without a reason nothing opens
    client.force_login(users("archivist"))
    page = client.post(f"/admin/archive/retention/restricted/{mine.pk}/", {"reason": " "}).content.decode()
    assert "张三" not in page and not AuditEvent.objects.filter(action=restriction.EVENT_OPENED).exists()
    page = client.post(f"/admin/archive/retention/restricted/{mine.pk}/", {"reason": "法院调查函"}).content.decode()
    assert "张三" in page and ID not in page
    event = AuditEvent.objects.get(action=restriction.EVENT_OPENED)
    assert event.details["reason"] == "法院调查函" and event.object_id == str(mine.pk)
    assert "510302199001011234" not in page and "5103**********1234" in page  # the page text, masked
    # the scans: with the pass the opening gave, for this user and file only; each download logged
    links = [html.unescape(u) for u in re.findall(r'href="([^"]*/restricted/\d+/file/[^"]*)"', page)]
    assert len(links) == 2  # the access copy and the one scan
    for link in links:
        response = client.get(link)
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    downloads = AuditEvent.objects.filter(action=restriction.EVENT_DOWNLOAD, object_id=str(mine.pk))
    assert sorted(e.details["file"] for e in downloads) == ["access_copy", "master"]
    assert {e.details["opened"] for e in downloads} == {event.seq}
    forged = links[0].replace("pass=", "pass=x")
    other_file = links[0].replace(f"/restricted/{mine.pk}/", f"/restricted/{other.pk}/")
    for refused in (forged, other_file, links[0].split("?")[0]):
        response = client.get(refused, follow=True)  # back to the reason form, saying why; nothing logged
        assert "/file/" not in response.redirect_chain[-1][0] and "请先填写事由" in response.content.decode()
    assert client.get(links[0].split("&")[0] + "&scan=abc").status_code == 404  # no such scan
    client.force_login(users("gm"))  # another user with the same link: not in scope of the action at all
    assert client.get(links[0]).status_code in (403, 404)
    client.force_login(users("archivist"))
    assert downloads.count() == 2
    client.force_login(users("clerk-H11"))
    assert client.post(f"/admin/archive/retention/restricted/{mine.pk}/", {"reason": "看看"}).status_code in (302, 403)
    with pytest.raises(ChainError):
        restriction.Request(users("archivist"), " ").run()
    out = StringIO()
    call_command("retention", "due", "--on", "2026-01-02", "--json", stdout=out)
    assert [row["record"] for row in json.loads(out.getvalue())] == [mine.pk]
