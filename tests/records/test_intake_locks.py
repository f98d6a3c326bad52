"""An upload that hangs on S3 holds no database lock: the master is stored before the record's transaction,
so the event log's chain head (which every login and state change needs) stays free meanwhile."""
import io
import socket
import threading
import time

import pytest
from botocore.config import Config
from django.db import connection
from storages.backends.s3 import S3Storage

from org import auditlog
from org.models import Hall
from records import intake
from records.models import Record, Scan
from tests.conftest import on_postgres
from tests.records.test_records_api import small_png


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def hung_s3():
    """A real TCP server that accepts S3 requests and never answers (a hung S3 endpoint)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    storage = S3Storage(bucket_name="hung", endpoint_url=f"http://127.0.0.1:{server.getsockname()[1]}",
                        access_key="x", secret_key="y", region_name="us-east-1", addressing_style="path",
                        signature_version="s3v4", file_overwrite=False, default_acl=None,
                        client_config=Config(connect_timeout=2, read_timeout=60, retries={"max_attempts": 1}))

    def stop():  # the server goes away: every request now fails at once
        try:
            server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        except OSError:
            pass
        server.close()
        for conn in accepted:
            conn.close()

    yield storage, accepted, stop
    stop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_hung_s3_upload_leaves_the_event_log_free(org_demo, monkeypatch, hung_s3):
    if not on_postgres():
        pytest.skip("PostgreSQL: the chain head is a row lock there (SQLite's shared test database differs)")
    storage, accepted, stop = hung_s3
    monkeypatch.setattr(Scan._meta.get_field("master"), "storage", storage)
    hall, clerk = Hall.objects.get(code="H11"), org_demo["clerk-H11"]
    outcome = {}

    def upload():
        try:
            intake.ingest(clerk, hall=hall, clerk=clerk, fileobj=io.BytesIO(small_png()), name="a.png",
                          channel=Record.Channel.ADMIN)
        except Exception as exc:  # the hung endpoint is closed at the end: the upload fails then
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=upload)
    thread.start()
    wait_for(lambda: accepted, 30, "the upload to reach the hung S3 server")
    started = time.monotonic()
    auditlog.record("test.while_an_upload_hangs")  # what every login and state change does
    waited = time.monotonic() - started
    still_hanging = thread.is_alive()
    stop()
    thread.join(90)
    assert still_hanging, "the upload ended before the event-log row was written"
    assert waited < 5, f"writing an event-log row waited {waited:.1f} s for the hung upload"
    assert "error" in outcome and not Record.objects.exists()  # a failed upload leaves no record
    auditlog.verify()  # the chain is intact (raises ChainBroken otherwise)
