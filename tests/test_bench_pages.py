"""bench/pages.py cannot rot silently: its generator, at a tiny scale on the test database, writes files in
every state of the chain with the rows the screens read and an unbroken event log, and every page the bench
times answers 200 for the user it is timed as."""
import datetime

import pytest
from django.test import Client

from archive.models import ErrorEntry, HandoverForm, Level1Audit, Level2Audit, Volume, VolumeItem
from bench import pages
from bench.pages_data import generate
from org import auditlog
from org.models import User
from records.models import Page, Record, Scan, flagged_q
from search.models import SearchDoc

TODAY = datetime.date(2026, 11, 20)


@pytest.fixture
def generated(db, settings):
    settings.ELASTICSEARCH_URL = None  # the database search backend, as the bench measures it
    return generate(200, today=TODAY, months=4, log=lambda text: None)


def test_every_state_and_the_rows_the_screens_read(generated):
    S, V = Record.Status, Volume.Status
    assert Record.objects.count() == 200
    assert {S.OCR_DONE, S.SORTED, S.L1_PASSED, S.L1_ERROR, S.AT_HALL, S.BOUND} <= set(generated)
    assert {f"volume:{s}" for s in (V.OPEN, V.BOUND, V.AT_BRANCH, V.L2_PASSED, V.RETURNED, V.AT_MARKETING)} \
        <= set(generated)
    assert Scan.objects.count() == 200
    assert Page.objects.count() >= Record.objects.filter(page_count__gt=0).count()
    assert VolumeItem.objects.count() == Record.objects.filter(status=S.BOUND).count()
    assert not Volume.objects.filter(items__position__gt=30).exists()
    assert Record.objects.filter(flagged_q()).exists()
    assert Level1Audit.objects.filter(signed_at__isnull=True).exists()
    assert {k for k, in HandoverForm.objects.values_list("kind").distinct()} == set(HandoverForm.Kind.values)
    assert set(HandoverForm.objects.values_list("status", flat=True)) >= {"given", "accepted"}
    assert set(Level2Audit.objects.values_list("result", flat=True)) >= {"open", "passed", "failed"}
    assert ErrorEntry.objects.filter(corrected_at__isnull=True).exists()
    assert SearchDoc.objects.filter(doctype="record").count() == 200
    assert auditlog.verify() > 600  # the generated event log is one unbroken hash chain


def test_every_measured_page_answers_for_its_user(generated):
    clients = {}
    listed = pages.pages(pages.find)
    assert len(listed) >= 25
    for label, username, url in listed:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        response = clients[username].get(url)
        assert response.status_code == 200, (label, username, url)
