"""The django-tasks database backend and its real worker; the demo data."""
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from org import demo
from org.models import AuditEvent, Branch, Hall, RoleAssignment, User


@pytest.mark.django_db(transaction=True)
def test_task_runs_in_the_database_worker(capsys):
    from django_tasks_db.models import DBTaskResult

    call_command("verify_audit_log", "--background")
    assert "queued" in capsys.readouterr().out
    job = DBTaskResult.objects.get()
    assert job.status == "READY"
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL", job.exception_class_path
    assert job.return_value["ok"] is True
    assert AuditEvent.objects.filter(action="auditlog.verified").exists()


def test_demo_data_fixed_names_and_idempotent(db):
    demo.load()
    counts = (User.objects.count(), RoleAssignment.objects.count(), Hall.objects.count())
    demo.load()
    assert (User.objects.count(), RoleAssignment.objects.count(), Hall.objects.count()) == counts
    assert list(Branch.objects.values_list("code", flat=True)) == ["B1", "B2", "B3"]
    assert dict(Hall.objects.values_list("code", "branch__code")) == {
        "H11": "B1", "H12": "B1", "H21": "B2", "H22": "B2", "H31": "B3", "H32": "B3"}
    names = set(User.objects.values_list("username", flat=True))
    for hall in ("H11", "H12", "H21", "H22", "H31", "H32"):
        assert {f"clerk-{hall}", f"l1-{hall}", f"keeper-{hall}"} <= names
    assert {"auditor-B1", "auditor-B2", "auditor-B3", "marketing", "archivist", "staff", "office", "gm",
            "depthead", "admin"} <= names
    for username in ("clerk-H32", "auditor-B2", "gm", "admin"):
        request = RequestFactory().post("/accounts/login/")  # django-axes counts per request (address)
        assert authenticate(request, username=username, password="demo-pass-2026") is not None


def test_load_demo_command_prints_logins(db, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "demo-pass-2026" in out and "clerk-H11" in out and "auditor-B3" in out
