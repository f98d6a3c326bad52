"""Wagtail's generic views cannot reach past scope, transitions or the event log (issue 12, items 3, 6, 7):
the record and event-log viewsets keep only list, export and inspect (the rest are no URLs: 404 for
everybody, the superuser too), exports need `record.export` and write safe cells, the site history is for
those who manage the organisation, and no hall-scoped model is in Wagtail's reference index."""
import csv
import io

import openpyxl
import pytest
from django.apps import apps
from django.urls import get_resolver
from wagtail.models import ModelLogEntry, ReferenceIndex

from org import auditlog
from org.models import AuditEvent, Hall, RoleAssignment
from org.roles import Role, ScopeKind
from records.models import Record

HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1", "-1", "\tTab", "\rCR"]
REMOVED = ["new/", "edit/{pk}/", "delete/{pk}/", "history/{pk}/", "history-results/{pk}/", "usage/{pk}/",
           "copy/{pk}/"]


@pytest.mark.parametrize("username", ["clerk-H11", "archivist", "admin"])
@pytest.mark.parametrize("viewset", ["record", "auditevent"])
def test_generic_views_that_write_or_cross_scope_do_not_exist(login, make_record, username, viewset):
    record = make_record("H12")
    event = auditlog.record("test", obj=record)
    pk = record.pk if viewset == "record" else event.pk
    client = login(username)
    before = (Record.objects.count(), AuditEvent.objects.count())
    for tail in REMOVED:
        url = f"/admin/{viewset}/{tail.format(pk=pk)}"
        assert client.get(url).status_code == 404, url
        post = {"hall": record.hall_id, "clerk": record.clerk_id, "customer_name": "X", "action": "forged"}
        assert client.post(url, post).status_code == 404, url
    assert (Record.objects.count(), AuditEvent.objects.count()) == before
    assert Record.objects.get(pk=record.pk).customer_name == "张三"


def test_the_list_and_inspect_stay_scoped_without_links_to_removed_views(login, make_record):
    own, other = make_record("H11"), make_record("H12")
    client = login("clerk-H11")
    html = client.get("/admin/record/").content.decode()
    assert own.transaction_no in html and other.transaction_no not in html
    assert "/admin/record/new/" not in html and "/admin/record/edit/" not in html
    assert "export=csv" not in html  # clerks may not export: no buttons
    assert client.get(f"/admin/record/inspect/{own.pk}/").status_code == 200
    assert client.get(f"/admin/record/inspect/{other.pk}/").status_code == 404
    inspect = login("admin").get(f"/admin/record/inspect/{own.pk}/").content.decode()
    assert "/admin/record/edit/" not in inspect and "/admin/record/history/" not in inspect
    assert own.id_number not in inspect  # the superuser sees the masked number
    assert "export=csv" in login("l1-H11").get("/admin/record/").content.decode()


@pytest.mark.parametrize("path", ["/admin/record/", "/admin/record/results/"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_clerks_may_not_export(login, make_record, path, fmt):
    make_record("H11")
    client = login("clerk-H11")  # (logging in is itself logged)
    before = AuditEvent.objects.count()
    response = client.get(path, {"export": fmt})
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


def _csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_export_is_scoped_by_record_export_and_logged(login, users, make_record):
    """A user who is a clerk in H11 and a level-1 auditor in H12 sees both halls but exports only H12."""
    make_record("H11", transaction_no="SEEN-ONLY")
    make_record("H12", transaction_no="EXPORTED")
    RoleAssignment.objects.create(user=users("clerk-H11"), role=Role.L1_AUDITOR, scope=ScopeKind.HALL,
                                  hall=Hall.objects.get(code="H12"))
    client = login("clerk-H11")
    listing = client.get("/admin/record/").content.decode()
    assert "SEEN-ONLY" in listing and "EXPORTED" in listing
    rows = _csv_rows(client.get("/admin/record/", {"export": "csv"}))
    assert [r[0] for r in rows[1:]] == ["EXPORTED"]
    event = AuditEvent.objects.filter(action="export").get()
    assert event.actor.username == "clerk-H11" and event.details["rows"] == 1


def test_record_export_cells_are_safe_in_csv_and_xlsx(login, make_record):
    for number, name in enumerate(HOSTILE):
        make_record("H11", transaction_no=f"SC{number:04d}", customer_name=name)
    client = login("l1-H11")
    rows = _csv_rows(client.get("/admin/record/", {"export": "csv", "ordering": "transaction_no"}))
    names = {row[0]: row[5] for row in rows[1:]}
    assert [names[f"SC{n:04d}"] for n in range(len(HOSTILE))] == ["'" + name for name in HOSTILE]
    response = client.get("/admin/record/", {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = {row[0]: row[5] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert [cells[f"SC{n:04d}"] for n in range(len(HOSTILE))] == ["'" + name for name in HOSTILE]


def test_event_log_export_cells_are_safe(login):
    for name in HOSTILE:
        auditlog.record("test.hostile", actor_name=name, obj=("org.hall", "1", name))
    client = login("archivist")
    rows = _csv_rows(client.get("/admin/auditevent/", {"export": "csv", "action": "test.hostile"}))
    assert sorted(row[2] for row in rows[1:]) == sorted("'" + name for name in HOSTILE)  # actor_name
    assert sorted(row[6] for row in rows[1:]) == sorted("'" + name for name in HOSTILE)  # object_repr
    response = client.get("/admin/auditevent/", {"export": "xlsx", "action": "test.hostile"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(values) == sorted("'" + name for name in HOSTILE)


@pytest.mark.parametrize("path", ["/admin/reports/site-history/", "/admin/reports/site-history/results/"])
def test_site_history_is_for_those_who_manage_the_organisation(login, make_record, users, path):
    record = make_record("H12", customer_name="王五")
    ModelLogEntry.objects.log_action(record, "wagtail.create", user=users("admin"))  # as the old add view did
    for username in ("clerk-H11", "l1-H11", "archivist", "auditor-B1"):
        response = login(username).get(path)
        assert response.status_code == 302 and response.url == "/admin/", username
    response = login("admin").get(path)
    assert response.status_code == 200 and "王五" in response.content.decode()
    assert "site-history" not in login("clerk-H11").get("/admin/").content.decode()


def test_no_hall_scoped_model_is_in_the_reference_index():
    """Wagtail's usage views list what the reference index holds: none of it may be a customer file."""
    from archive import models as archive_models
    from records import models as records_models

    scoped = [m for m in apps.get_models()
              if hasattr(m, "scope_hall_path") or m.__module__ in (records_models.__name__, archive_models.__name__)]
    assert Record in scoped and len(scoped) > 10
    assert [m.__name__ for m in scoped if ReferenceIndex.is_indexed(m)] == []


def test_django_admin_is_not_mounted():
    def callbacks(resolver):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from callbacks(pattern)
            else:
                yield pattern.callback

    modules = {getattr(c, "__module__", "") for c in callbacks(get_resolver())}
    assert not [m for m in modules if m.startswith("django.contrib.admin")]
