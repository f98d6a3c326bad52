"""The report import of the screen runs as a background job with progress (issue 13): the request only stores
the file and queues the job; the real worker (db_worker) imports it; the job page shows the progress, then
the reconciliation result or the refusal by line and column; the stored file is deleted once read."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from org.models import AuditEvent, User
from records import reconcile
from records.models import OperatorReport, ReportImport, ReportRow
from records.storage import customer_files
from tests.records.test_report_formats import csv_bytes, row, xlsx_bytes


def upload(client, name, content):
    return client.post(reverse("records_admin:reconcile"), {"report": SimpleUploadedFile(name, content)})


def status(client, job):
    response = client.get(reverse("records_admin:reconcile_job_status", args=[job.pk]))
    assert response.status_code == 200
    return json.loads(response.content)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


@pytest.mark.django_db(transaction=True)
def test_upload_is_imported_by_the_worker_not_in_the_request(org_demo, client):
    client.force_login(User.objects.get(username="l1-H11"))
    rows = [row(受理编号=f"SC{n:05d}") for n in range(12000)]
    response = upload(client, "boss.csv", csv_bytes(rows, "gb18030"))
    job = ReportImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("records_admin:reconcile_job", args=[job.pk])
    assert not ReportRow.objects.exists()  # nothing imported inside the web request
    stored = job.upload.name
    assert stored.startswith("report-imports/") and customer_files().exists(stored)
    assert status(client, job)["status"] == "queued"
    page = client.get(response.url)
    assert page.status_code == 200 and 'http-equiv="refresh"' in page.content.decode()
    client.force_login(User.objects.get(username="archivist"))  # another importer does not see the job
    assert client.get(response.url).status_code == 404
    client.force_login(User.objects.get(username="l1-H11"))

    run_worker()
    job.refresh_from_db()
    report = OperatorReport.objects.get()
    assert (job.status, job.report, job.rows_done, job.rows_total) == ("done", report, 12000, 12000)
    assert report.rows.count() == 12000 and not job.upload and not customer_files().exists(stored)
    state = status(client, job)
    assert state["finished"] and state["result_url"] == reverse("records_admin:reconcile_result", args=[report.pk])
    done = client.get(response.url)
    assert done.status_code == 302 and done.url == state["result_url"]
    assert AuditEvent.objects.filter(action="report.import").count() == 1
    assert AuditEvent.objects.filter(action="report.import_queued").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_report_shows_its_lines_and_columns_on_the_job_page(org_demo, client):
    client.force_login(User.objects.get(username="l1-H11"))
    damaged = row(受理编号="SC2")
    damaged[8] = 510302199001011234  # what Excel keeps of an ID number typed into a number cell
    upload(client, "boss.xlsx", xlsx_bytes([row(), damaged]))
    job = ReportImport.objects.get()
    stored = job.upload.name
    run_worker()
    job.refresh_from_db()
    assert job.status == "failed" and job.problems[0].startswith("第 3 行第 9 列（证件号码）")
    assert not customer_files().exists(stored) and not ReportRow.objects.exists()
    html = client.get(reverse("records_admin:reconcile_job", args=[job.pk])).content.decode()
    assert "第 3 行第 9 列（证件号码）" in html and 'http-equiv="refresh"' not in html
    assert status(client, job)["problems"] == job.problems


def test_progress_is_told_while_the_file_is_read(db):
    seen = []
    reconcile.parse(csv_bytes([row(受理编号=f"SC{n:05d}") for n in range(12000)]),
                    progress=lambda done, total: seen.append((done, total)))
    assert seen == [(5000, 12000), (10000, 12000)]


def test_progress_of_an_xlsx_counts_the_rows_of_its_sheet(db):
    seen = []
    reconcile.parse(xlsx_bytes([row(受理编号=f"SC{n:05d}") for n in range(6000)]),
                    progress=lambda done, total: seen.append((done, total)))
    assert seen == [(5000, 6000)]
