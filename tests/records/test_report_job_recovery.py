"""A report import whose worker died resumes without a person (issue 13): the job's lease runs out, a worker
queues it again (or fails it with a sentence after the last attempt), and the re-run imports the file once.
The last test kills a real `run_worker` (SIGKILL of its process group) in the middle of saving, on
PostgreSQL; the others set up the row a dead worker leaves (running, its heartbeat old) in this process."""
import json
import os
import signal
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from org.models import AuditEvent, User
from records import reconcile, reportjobs, reportlease
from records.models import OperatorReport, ReportImport, ReportRow
from records.storage import customer_files
from tests.records.test_report_formats import csv_bytes, row
from tests.records.test_report_jobs import run_worker
from tests.records.test_worker_recovery import project, wait_for  # noqa: F401 (project is a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def queued_job(rows=300):
    user = User.objects.get(username="l1-H11")
    data = csv_bytes([row(受理编号=f"SC{n:06d}") for n in range(rows)], "gb18030")
    return reportjobs.queue(user, SimpleUploadedFile("boss.csv", data)), data


def left_by_a_dead_worker(job, attempts=1):
    """The row as a worker killed mid-import leaves it: running, started `attempts` times, no heartbeat since."""
    ReportImport.objects.filter(pk=job.pk).update(status="running", stage="saving", rows_done=300,
                                                  attempts=attempts,
                                                  heartbeat=timezone.now() - timedelta(minutes=5))


def state(client, job):
    client.force_login(job.uploaded_by)
    return json.loads(client.get(reverse("records_admin:reconcile_job_status", args=[job.pk])).content)


def test_a_job_whose_worker_stopped_is_queued_again_and_imported_once(org_demo, client):
    job, _ = queued_job()
    fresh = reportjobs.queue(job.uploaded_by, SimpleUploadedFile("b.csv", csv_bytes([row()])))
    left_by_a_dead_worker(job)
    ReportImport.objects.filter(pk=fresh.pk).update(status="running", attempts=1, heartbeat=timezone.now())

    assert reportlease.reclaim_expired() == [job.pk]  # a live heartbeat is not taken over
    assert ReportImport.objects.get(pk=fresh.pk).status == "running"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_done) == ("queued", 1, 0)
    assert customer_files().exists(job.upload.name)  # kept for the re-run
    shown = state(client, job)
    assert shown["status"] == "queued" and "将自动重新导入（第 2 次，最多 3 次）" in shown["text"], shown
    event = AuditEvent.objects.get(action=reportlease.REQUEUED)
    assert event.object_id == str(job.pk) and event.details["attempts"] == 1

    ReportImport.objects.filter(pk=fresh.pk).update(status="done")  # not this test's
    stored = job.upload.name
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_done) == ("done", 2, 300)
    assert ReportRow.objects.filter(report=job.report).count() == 300 and not customer_files().exists(stored)


def test_a_report_committed_just_before_the_worker_died_becomes_the_jobs_result(org_demo):
    job, data = queued_job()
    report = reconcile.import_report(job.uploaded_by, data, job.source_name)  # committed, then the worker died
    left_by_a_dead_worker(job)
    reportlease.reclaim_expired()
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.report_id, job.problems) == ("done", report.pk, [])
    assert OperatorReport.objects.count() == 1


def test_after_the_last_attempt_the_job_fails_with_a_sentence_and_its_file_is_deleted(org_demo, client):
    job, _ = queued_job()
    stored = job.upload.name
    left_by_a_dead_worker(job, attempts=reportlease.max_attempts())
    assert reportlease.reclaim_expired() == []
    job.refresh_from_db()
    assert job.status == "failed" and job.problems == [reportlease.ABANDONED_TEXT.format(attempts=3)]
    assert not customer_files().exists(stored) and not job.upload
    assert AuditEvent.objects.filter(action=reportlease.ABANDONED, object_id=str(job.pk)).exists()
    client.force_login(job.uploaded_by)
    html = client.get(reverse("records_admin:reconcile_job", args=[job.pk])).content.decode()
    assert "已停止重试" in html and 'http-equiv="refresh"' not in html


@pytest.mark.postgres
def test_a_worker_killed_while_saving_a_report_is_taken_over(org_demo, project):
    project = project()
    tmp_path = project.tmp
    rows = 60_000
    path = tmp_path / "boss.csv"
    path.write_bytes(csv_bytes([row(受理编号=f"SC{n:06d}") for n in range(rows)], "gb18030"))
    pk = int(project.manage("shell", "-c", (
        "from django.core.files.uploadedfile import SimpleUploadedFile\nfrom org.models import User\n"
        "from records import reportjobs\n"
        f"data = open({str(path)!r}, 'rb').read()\n"
        "print(reportjobs.queue(User.objects.get(username='l1-H11'), SimpleUploadedFile('boss.csv', data)).pk)")).split()[-1])
    first = project.worker()
    job = ReportImport.objects.filter(pk=pk)
    wait_for(lambda: job.filter(status="running", stage="saving").exists(), 120, "the worker saving the rows")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    killed = time.monotonic()
    assert job.get().status == "running" and not OperatorReport.objects.exists()  # the transaction died with it

    project.worker()
    wait_for(lambda: job.filter(status="done").exists(), 120, "the import taken over and done")
    done = job.get()
    assert time.monotonic() - killed < 60 and done.attempts == 2
    assert OperatorReport.objects.count() == 1 and ReportRow.objects.count() == rows == done.rows_done
    assert AuditEvent.objects.filter(action=reportlease.REQUEUED, object_id=str(pk)).count() == 1
    assert not done.upload
