import datetime
import re

from django.utils import timezone

from tests.org.test_chinese_screens import visible_text
from tests.handbook_support import make_handbook, make_procedure


def test_more(org_demo, make_record, client):
    make_record("H11")
    root, part = make_handbook()
    proc = make_procedure(part)
    later = make_procedure(part, title="过户流程", publish=False)
    rev = later.save_revision(user=org_demo["admin"], approved_go_live_at=timezone.now() + datetime.timedelta(days=3))
    rev.publish()
    proc.locked = True
    proc.locked_by = org_demo["gm"]
    proc.locked_at = timezone.now()
    proc.save()
    wf = proc.get_workflow()
    proc.save_revision(user=org_demo["admin"])
    wf.start(proc, org_demo["admin"])
    client.force_login(org_demo["admin"])
    urls = [f"/admin/pages/{proc.pk}/edit/", f"/admin/pages/{later.pk}/edit/", "/admin/",
            "/admin/workflows/list/", "/admin/reports/workflow/", "/admin/reports/workflow_tasks/",
            "/admin/reports/aging-pages/", f"/admin/pages/{proc.pk}/delete/", f"/admin/pages/{proc.pk}/unpublish/",
            f"/admin/pages/{part.pk}/?ordering=-latest_revision_created_at", "/admin/hall/edit/1/", "/admin/hall/history/1/",
            "/admin/hall/inspect/1/", "/admin/users/add/", f"/admin/pages/{proc.pk}/usage/", "/admin/reports/locked/",
            "/admin/collections/", "/admin/documents/", f"/admin/pages/{part.pk}/add_subpage/",
            f"/admin/pages/{proc.pk}/revisions/compare/earliest...latest/", "/admin/workflows/tasks/index/",
            "/admin/record/inspect/1/", "/admin/businesstype/", "/admin/archive/", "/admin/search-records/"]
    for url in urls:
        r = client.get(url)
        text = visible_text(r.content.decode()) if r.status_code == 200 else ""
        words = sorted(set(re.findall(r"[A-Za-z][A-Za-z' ,.-]*[A-Za-z]", text)) - {"Alt", "Ctrl", "Shift", "Esc", "JavaScript"})
        print("\n==", url, r.status_code, [w for w in words if "/" not in w][:60])
