"""Reconciliation stays inside the halls (issue 12, item 9; item 10c): only `report.import` roles import, only
rows of their own halls; reports are listed and opened only where one of their rows' halls is in scope; the
level-1 screen offers and shows only its own hall's reports, and its GET writes nothing."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from archive.models import Level1Audit
from org.models import AuditEvent, Hall
from records import reconcile
from records.models import OperatorReport

HEADER = ",".join(reconcile.HEADER)
ID = "510302199001011234"


def line(no, hall="H11"):
    return ",".join([no, "2026-11-02 10:31:00", hall, f"{hall}CLERK01", "普通开户", "13800001234", "张三",
                     "居民身份证", ID])


def data(*lines):
    return ("\n".join([HEADER, *lines]) + "\n").encode("utf-8")


def post_report(client, content, name="boss.csv"):
    return client.post(reverse("records_admin:reconcile"), {"report": SimpleUploadedFile(name, content, "text/csv")})


def imported(client, response):
    """Follow an upload to its import job: the worker's task, run here, then the job's page."""
    from records.models import ReportImport
    from records.tasks import import_report_job

    assert response.status_code == 302, response.status_code
    job = ReportImport.objects.latest("pk")
    assert response.url == reverse("records_admin:reconcile_job", args=[job.pk])
    import_report_job.call(job.pk)
    return client.get(response.url)


def test_a_level1_auditor_imports_only_rows_of_their_own_hall(login):
    client = login("l1-H11")
    page = imported(client, post_report(client, data(line("SC1"), line("SC2", hall="H21"), line("SC3", hall=""))))
    assert page.status_code == 200
    html = page.content.decode()
    assert "第 3 行：营业厅编码“H21”不在您可导入的营业厅内" in html and "第 4 行：营业厅编码“”" in html
    assert "第 2 行" not in html
    assert not OperatorReport.objects.exists() and not AuditEvent.objects.filter(action="report.import").exists()
    done = imported(client, post_report(client, data(line("SC1"))))
    assert done.status_code == 302
    assert done.url == reverse("records_admin:reconcile_result", args=[OperatorReport.objects.get().pk])
    assert OperatorReport.objects.get().imported_by.username == "l1-H11"


@pytest.mark.parametrize("username", ["clerk-H11", "keeper-H11", "auditor-B1", "marketing"])
def test_record_viewers_without_report_import_import_nothing(login, username):
    client = login(username)
    page = client.get(reverse("records_admin:reconcile"))
    assert page.status_code == 200 and 'enctype="multipart/form-data"' not in page.content.decode()
    response = post_report(client, data(line("SC1")))
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert not OperatorReport.objects.exists()


def test_reports_are_listed_and_opened_only_within_scope(login, users):
    h21 = reconcile.import_report(users("archivist"), data(line("SC21", hall="H21")), "h21.csv")
    both = reconcile.import_report(users("archivist"), data(line("SC11"), line("SC22", hall="H22")), "both.csv")
    l1 = login("l1-H11")
    listing = l1.get(reverse("records_admin:reconcile")).content.decode()
    assert "both.csv" in listing and "h21.csv" not in listing
    assert l1.get(reverse("records_admin:reconcile_result", args=[h21.pk])).status_code == 404
    result = l1.get(reverse("records_admin:reconcile_result", args=[both.pk]))
    assert result.status_code == 200
    assert [r.transaction_no for r in result.context["result"].paper_missing] == ["SC11"]
    assert "h21.csv" in login("auditor-B2").get(reverse("records_admin:reconcile")).content.decode()
    assert set(reconcile.visible_reports(users("l1-H21"))) == {h21}


def test_a_duplicate_report_of_another_hall_is_not_named(users):
    content = data(line("SC21", hall="H21"))
    first = reconcile.import_report(users("l1-H21"), content, "a.csv")
    with pytest.raises(reconcile.ReportError) as refused:
        reconcile.import_report(users("archivist"), content, "b.csv")
    assert f"#{first.pk}" in str(refused.value)
    with pytest.raises(reconcile.ReportError) as refused:
        reconcile.import_report(users("l1-H11"), content, "c.csv")
    assert "已于" in str(refused.value) and f"#{first.pk}" not in str(refused.value)


def test_the_command_with_as_imports_only_for_the_users_halls(users, tmp_path):
    path = tmp_path / "boss.csv"
    path.write_bytes(data(line("SC1"), line("SC2", hall="H21")))
    with pytest.raises(CommandError, match="无权导入"):
        call_command("import_operator_report", str(path), "--as", "clerk-H11")
    with pytest.raises(CommandError, match="第 3 行：营业厅编码“H21”"):
        call_command("import_operator_report", str(path), "--as", "l1-H11")
    assert not OperatorReport.objects.exists()
    call_command("import_operator_report", str(path), "--as", "archivist", "--json")
    assert OperatorReport.objects.get().imported_by.username == "archivist"


def test_level1_screen_offers_and_shows_only_its_own_halls_reports(login, users):
    hall = Hall.objects.get(code="H11")
    other = reconcile.import_report(users("l1-H21"), data(line("SC21", hall="H21")), "h21.csv")
    own = reconcile.import_report(users("l1-H11"), data(line("SC11")), "h11.csv")
    client = login("l1-H11")
    url = reverse("archive_admin:level1", args=[hall.pk, "2026-11-02"])
    page = client.get(url)
    assert list(page.context["reports"]) == [own]
    assert [r.transaction_no for r in page.context["reconciliation"].paper_missing] == ["SC11"]
    assert client.get(url, {"report": other.pk}).status_code == 404
    assert client.get(url, {"report": own.pk}).status_code == 200
    opened = client.post(reverse("archive_admin:level1_open", args=[hall.pk, "2026-11-02"]), {"report": other.pk})
    assert opened.status_code == 404 and not Level1Audit.objects.exists()


def test_level1_screen_writes_nothing_on_get(login, users):
    hall = Hall.objects.get(code="H11")
    first = reconcile.import_report(users("l1-H11"), data(line("SC1")), "first.csv")
    second = reconcile.import_report(users("l1-H11"), data(line("SC2")), "second.csv")
    client = login("l1-H11")
    before = AuditEvent.objects.count()
    url = reverse("archive_admin:level1", args=[hall.pk, "2026-11-02"])
    for params in ({}, {"report": first.pk}, {"report": second.pk}):
        assert client.get(url, params).status_code == 200
    assert not Level1Audit.objects.exists() and AuditEvent.objects.count() == before
    # opening the day (and choosing its report) is a POST, and logged
    open_url = reverse("archive_admin:level1_open", args=[hall.pk, "2026-11-02"])
    assert client.post(open_url, {"report": first.pk, "next": url}).status_code == 302
    audit = Level1Audit.objects.get()
    assert (audit.hall, audit.day, audit.report) == (hall, datetime.date(2026, 11, 2), first)
    event = AuditEvent.objects.get(action="level1.open")
    assert event.details == {"created": True, "report": first.pk}
    client.get(url, {"report": second.pk})
    audit.refresh_from_db()
    assert audit.report == first  # comparing with another report on GET changes nothing
    page = client.get(url).content.decode()
    assert reverse("archive_admin:level1_sign", args=[audit.pk]) in page  # the day is open for work
