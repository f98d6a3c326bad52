"""Anchors outside the database: the attacks a consistent hash chain cannot show, caught by the anchors.

Each attack is made as the tables' owner (triggers switched off, as the owner may) or as the PostgreSQL
superuser, after an anchor was written to an append-only file or to the S3 test server (a bucket with
object lock). Before anchors existed, verify_audit_log called each of these logs "intact" (the tests
assert that the chain alone still looks whole after the attack).
"""
import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from org import anchors, auditlog
from org.auditlog import row_hash
from org.models import AuditEvent
from tests.append_only_support import triggers_off
from tests.conftest import on_postgres, s3_env

ROOT = Path(__file__).resolve().parent.parent.parent


def _write(n, action="test.event"):
    return [auditlog.record(action, obj=("test", str(i), f"item {i}"), details={"i": i}) for i in range(n)]


def _s3_client(env):
    return boto3.client("s3", endpoint_url=env["AWS_S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_S3_REGION_NAME"],
                        config=Config(s3={"addressing_style": "path"}))


def _use_bucket(settings, env, bucket):
    settings.AUDIT_ANCHOR_BUCKET = bucket
    settings.AUDIT_ANCHOR_PREFIX = f"test-{uuid.uuid4().hex}/"  # each test sees only its own anchors
    settings.AUDIT_ANCHOR_RETENTION_DAYS = 1
    settings.AUDIT_ANCHOR_S3 = {"endpoint_url": env["AWS_S3_ENDPOINT_URL"], "access_key": env["AWS_ACCESS_KEY_ID"],
                                "secret_key": env["AWS_SECRET_ACCESS_KEY"],
                                "region_name": env["AWS_S3_REGION_NAME"], "addressing_style": "path"}
    return f"s3://{bucket}/{settings.AUDIT_ANCHOR_PREFIX}"


@pytest.fixture
def file_store(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.log"
    return SimpleNamespace(name=str(settings.AUDIT_ANCHOR_FILE), path=settings.AUDIT_ANCHOR_FILE)


@pytest.fixture
def s3_store(settings):
    """A bucket created with object lock on the S3 test server (created once, shared by test runs)."""
    env = s3_env()
    client = _s3_client(env)
    bucket = f"{env['AWS_STORAGE_BUCKET_NAME']}-anchors"
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        try:
            client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
    name = _use_bucket(settings, env, bucket)
    return SimpleNamespace(name=name, client=client, bucket=bucket, prefix=settings.AUDIT_ANCHOR_PREFIX)


@pytest.fixture(params=["file", "s3"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")


def _anchor():
    call_command("anchor_audit_log")


def _verify_fails(seq, store):
    with pytest.raises(CommandError) as err:
        call_command("verify_audit_log")
    message = str(err.value)
    assert f"#{seq}" in message and store.name in message, message
    assert "\n" not in message
    return message


def _rewrite_tail(from_seq, count):
    """Delete the rows from #from_seq on and append forged ones: every hash and the head recomputed."""
    keep = AuditEvent.objects.get(seq=from_seq - 1)
    with triggers_off() as cur:
        cur.execute("DELETE FROM org_auditevent WHERE seq >= %s", [from_seq])
        cur.execute("UPDATE org_chainhead SET seq = %s, hash = %s", [keep.seq, keep.hash])
    _write(count, action="test.forged")


def _rehash_from(seq, object_repr="forged"):
    """Edit row #seq and recompute its hash, every later row's and the head's."""
    prev = AuditEvent.objects.get(seq=seq).prev_hash
    with triggers_off() as cur:
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            if event.seq == seq:
                event.object_repr = object_repr
            event.prev_hash, event.hash = prev, row_hash(prev, event)
            prev = event.hash
            cur.execute("UPDATE org_auditevent SET object_repr = %s, prev_hash = %s, hash = %s WHERE id = %s",
                        [event.object_repr, event.prev_hash, event.hash, event.pk])
        cur.execute("UPDATE org_chainhead SET hash = %s", [prev])


def _empty_log_and_head():
    with triggers_off() as cur:
        cur.execute("TRUNCATE org_auditevent" if on_postgres() else "DELETE FROM org_auditevent")
        cur.execute("DELETE FROM org_chainhead")


def test_consistent_tail_rewrite_is_caught(db, store):
    _write(6)
    _anchor()
    _rewrite_tail(4, 4)
    assert auditlog.verify() == 7  # the chain alone looks whole: this passed as "intact"
    message = _verify_fails(6, store)
    assert "rewritten" in message


def test_rehashed_edit_in_the_middle_is_caught_by_the_first_later_anchor(db, store):
    _write(3)
    _anchor()
    _write(3)
    _anchor()
    _rehash_from(2)
    assert auditlog.verify() == 6
    _verify_fails(3, store)


def test_shorter_chain_is_caught(db, store):
    _write(6)
    _anchor()
    row4 = AuditEvent.objects.get(seq=4)
    with triggers_off() as cur:
        cur.execute("DELETE FROM org_auditevent WHERE seq > 4")
        cur.execute("UPDATE org_chainhead SET seq = %s, hash = %s", [4, row4.hash])
    assert auditlog.verify() == 4
    message = _verify_fails(6, store)
    assert "ends at #4" in message


def test_emptied_log_with_head_deleted_is_caught_even_after_new_rows(db, store):
    _write(5)
    _anchor()
    _empty_log_and_head()
    assert auditlog.verify() == 0
    message = _verify_fails(5, store)
    assert "ends at #0" in message
    _write(2)  # the app carries on from a new genesis
    assert auditlog.verify() == 2
    _verify_fails(2, store)


def test_intact_log_matches_every_anchor_of_both_stores(db, file_store, s3_store, capsys):
    _write(2)
    _anchor()
    _anchor()  # nothing new: not written twice
    _write(1)
    _anchor()
    assert len(file_store.path.read_text().splitlines()) == 2
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "intact: 3 rows, matches 4 anchors" in out and file_store.name in out and s3_store.name in out
    call_command("verify_audit_log", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "intact" and report["anchors"] == 4
    assert {s["store"]: s["latest"] for s in report["stores"]} == {f"file {file_store.name}": 3, s3_store.name: 3}
    assert [s["write_once"] for s in report["stores"]] == [False, True]


def test_json_output_names_the_anchor(db, file_store, capsys):
    _write(3)
    _anchor()
    _rehash_from(1)
    capsys.readouterr()
    with pytest.raises(CommandError):
        call_command("verify_audit_log", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "broken" and report["seq"] == 3 and file_store.name in report["anchor"]


def test_without_anchors_verify_does_not_claim_intact(db, settings, capsys):
    _write(2)
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "no anchors configured" in out and "NOT checked against anchors" in out and "intact" not in out


def test_configured_but_never_written_is_said(db, file_store, capsys):
    _write(2)
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "no anchor written yet" in out and "intact" not in out


def test_a_broken_chain_is_never_anchored(db, file_store):
    _write(3)
    _anchor()
    events = _write(3)
    with triggers_off() as cur:
        cur.execute("UPDATE org_auditevent SET object_repr = 'forged' WHERE seq = %s", [events[1].seq])
    with pytest.raises(CommandError) as err:
        _anchor()
    assert f"#{events[1].seq}" in str(err.value)
    assert len(file_store.path.read_text().splitlines()) == 1


def test_locked_anchor_cannot_be_overwritten_or_deleted(db, s3_store):
    """The server, not the app, refuses: COMPLIANCE retention holds against the app's own credentials."""
    _write(1)
    _anchor()
    key = s3_store.client.list_objects_v2(Bucket=s3_store.bucket, Prefix=s3_store.prefix)["Contents"][0]["Key"]
    original = s3_store.client.get_object(Bucket=s3_store.bucket, Key=key)["Body"].read()
    assert json.loads(original)["seq"] == 1
    retention = s3_store.client.get_object_retention(Bucket=s3_store.bucket, Key=key)["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    for attempt in (lambda: s3_store.client.put_object(Bucket=s3_store.bucket, Key=key, Body=b"{}"),
                    lambda: s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key),
                    lambda: s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key,
                                                          BypassGovernanceRetention=True)):
        with pytest.raises(ClientError) as err:
            attempt()
        assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert s3_store.client.get_object(Bucket=s3_store.bucket, Key=key)["Body"].read() == original


def test_bucket_without_object_lock_is_said(db, settings, capsys):
    env = s3_env()
    name = _use_bucket(settings, env, env["AWS_STORAGE_BUCKET_NAME"])
    _write(1)
    call_command("anchor_audit_log")
    assert "bucket without object lock: not write-once" in capsys.readouterr().out
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert f"{name}: the bucket has no object lock" in out and "not write-once" in out


def test_periodic_job_writes_anchors(db, file_store, settings, monkeypatch):
    from config import periodic

    monkeypatch.setattr(periodic, "release_connections", lambda: None)  # keep the test's transaction
    assert periodic.JOBS["org.anchor_audit_log"][0] == settings.AUDIT_ANCHOR_INTERVAL
    _write(2)
    assert periodic.run_once(["org.anchor_audit_log"]) == {"org.anchor_audit_log": None}
    assert json.loads(file_store.path.read_text())["seq"] == 2


def test_background_verification_uses_the_anchors(db, file_store):
    from org.tasks import verify_event_log

    _write(3)
    _anchor()
    assert verify_event_log.call()["ok"] is True
    _empty_log_and_head()
    result = verify_event_log.call()
    assert result["ok"] is False and result["seq"] == 3 and file_store.name in result["anchor"]
    assert AuditEvent.objects.get(action="auditlog.broken").details["anchor"] == result["anchor"]


def test_unreachable_anchor_bucket_fails_the_check(db, s3_store, settings):
    _write(1)
    _anchor()
    settings.AUDIT_ANCHOR_S3 = {**settings.AUDIT_ANCHOR_S3, "endpoint_url": "http://127.0.0.1:9"}  # nothing listens
    with pytest.raises(CommandError) as err:
        call_command("verify_audit_log")
    assert "cannot check the event log against its anchors" in str(err.value) and s3_store.name in str(err.value)
    with pytest.raises(CommandError) as err:
        _anchor()
    assert "anchor not written" in str(err.value)


def test_unreadable_anchor_store_fails_the_check(db, file_store):
    _write(1)
    _anchor()
    with open(file_store.path, "a") as handle:
        handle.write("not json\n")
    with pytest.raises(CommandError) as err:
        call_command("verify_audit_log")
    assert "not an anchor line" in str(err.value)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_anchor_is_written_without_waiting_for_the_chain_head_lock(file_store):
    """Another transaction holds the chain head (as an append does): anchoring reads, it does not lock."""
    if not on_postgres():
        pytest.skip("PostgreSQL only")
    from org.auditlog_models import ChainHead

    _write(2)
    locked, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                ChainHead.objects.select_for_update().get(pk=1)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert locked.wait(30)
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '2s'")
        anchors.write_anchor()
    finally:
        release.set()
        thread.join()
        with connection.cursor() as cur:
            cur.execute("RESET lock_timeout")
    assert json.loads(file_store.path.read_text())["seq"] == 2


@pytest.mark.postgres
def test_truncate_and_deleting_the_head_are_refused_on_postgres(db):
    if not on_postgres():
        pytest.skip("PostgreSQL only")
    from handbook.models import RevisionLogEntry

    _write(1)
    RevisionLogEntry.objects.create(page_id=1, version="1.0", effective_from="2026-11-01T00:00:00Z")
    for sql in ("TRUNCATE org_auditevent", "TRUNCATE org_chainhead", "DELETE FROM org_chainhead",
                "TRUNCATE handbook_revisionlogentry"):
        with pytest.raises(DatabaseError) as err:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql)
        assert "refused" in str(err.value)
    call_command("verify_audit_log")


def _as_superuser(sql):
    """psql as the PostgreSQL superuser (root on this machine: `su postgres`) on the test database."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as the postgres superuser")
    params = connection.settings_dict
    return subprocess.run(["su", "postgres", "-c", f"psql -X -v ON_ERROR_STOP=1 -p {params['PORT'] or 5432} "
                           f"-d {params['NAME']} -c \"{sql}\""], capture_output=True, text=True, timeout=60)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_superuser_truncate_is_refused_by_the_trigger_and_caught_when_forced(file_store):
    if not on_postgres():
        pytest.skip("PostgreSQL only")
    _write(5)
    _anchor()
    refused = _as_superuser("TRUNCATE org_auditevent")
    assert refused.returncode != 0 and "append-only" in refused.stderr
    # a superuser can still bypass every trigger: then the anchor shows it
    forced = _as_superuser("SET session_replication_role = replica; TRUNCATE org_auditevent; "
                           "DELETE FROM org_chainhead")
    assert forced.returncode == 0, forced.stderr
    assert auditlog.verify() == 0
    _verify_fails(5, file_store)


def _manage_migrate(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "DATABASE_URL", "ELASTICSEARCH_URL", "DJANGO_SETTINGS_MODULE"))}
    s3 = s3_env()
    clean.update(APP_VAR_DIR=str(tmp_path), AWS_S3_ENDPOINT_URL=s3["AWS_S3_ENDPOINT_URL"],
                 AWS_ACCESS_KEY_ID=s3["AWS_ACCESS_KEY_ID"], AWS_SECRET_ACCESS_KEY=s3["AWS_SECRET_ACCESS_KEY"], **env)
    return subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=300)


def test_missing_anchor_bucket_stops_startup(tmp_path):
    result = _manage_migrate(tmp_path, AUDIT_ANCHOR_BUCKET="no-such-anchor-bucket")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "AUDIT_ANCHOR_BUCKET" in lines[0], result.stderr


def test_anchor_bucket_without_object_lock_is_a_warning_at_startup(tmp_path, migrated_var):
    migrated_var(tmp_path)  # the start-up check is the subject, not a first migrate
    result = _manage_migrate(tmp_path, AUDIT_ANCHOR_BUCKET=s3_env()["AWS_STORAGE_BUCKET_NAME"])
    assert result.returncode == 0, result.stderr
    assert "warning: AUDIT_ANCHOR_BUCKET" in result.stderr and "no object lock" in result.stderr
