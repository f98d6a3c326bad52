"""The tamper-evident event log: chained hashes, verify_audit_log, the PostgreSQL trigger, the screen."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from org import auditlog
from org.models import AuditEvent, Hall
from tests.append_only_support import triggers_off
from tests.conftest import on_postgres


def _write(n, **kw):
    return [auditlog.record("test.event", obj=("test", str(i), f"item {i}"), details={"i": i, "名": "张三"}, **kw)
            for i in range(n)]


def _tamper(sql, params):
    """Change rows behind the app's back, as the tables' owner could (triggers switched off for a moment)."""
    with triggers_off() as cur:
        cur.execute(sql, params)


def _verify_fails_at(seq):
    with pytest.raises(CommandError) as err:
        call_command("verify_audit_log")
    assert f"#{seq}" in str(err.value)
    return str(err.value)


def test_rows_chain_and_verify(db, capsys):
    events = _write(5)
    assert events[0].prev_hash == auditlog.GENESIS
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash and after.seq == before.seq + 1
    call_command("verify_audit_log")
    assert "5 rows" in capsys.readouterr().out


def test_changed_row_is_named(db):
    events = _write(5)
    _tamper("UPDATE org_auditevent SET action = %s WHERE seq = %s", ["test.forged", events[2].seq])
    message = _verify_fails_at(events[2].seq)
    assert "changed" in message


def test_changed_details_are_detected(db):
    events = _write(3)
    _tamper("UPDATE org_auditevent SET details = %s WHERE seq = %s", ['{"i": 99}', events[1].seq])
    _verify_fails_at(events[1].seq)


def test_removed_row_is_detected(db):
    events = _write(5)
    _tamper("DELETE FROM org_auditevent WHERE seq = %s", [events[1].seq])
    _verify_fails_at(events[1].seq)


def test_removed_last_row_is_detected(db):
    events = _write(3)
    _tamper("DELETE FROM org_auditevent WHERE seq = %s", [events[2].seq])
    _verify_fails_at(events[2].seq)


def test_reordered_rows_are_detected(db):
    events = _write(4)
    a, b = events[1], events[2]
    # swap the sequence numbers of two rows (via a free number, seq is unique)
    _tamper("UPDATE org_auditevent SET seq = %s WHERE id = %s", [-1, a.pk])
    _tamper("UPDATE org_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
    _tamper("UPDATE org_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    _verify_fails_at(a.seq)


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete(db):
    if not on_postgres():
        pytest.skip("PostgreSQL only")
    event = _write(1)[0]
    for sql in ("UPDATE org_auditevent SET action = 'x' WHERE id = %s", "DELETE FROM org_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError) as err:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql, [event.pk])
        assert "append-only" in str(err.value)
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="x")
    call_command("verify_audit_log")


def test_state_changes_are_logged_with_actor(org_demo, client):
    client.force_login(org_demo["admin"])
    branch = Hall.objects.get(code="H11").branch
    response = client.post("/admin/hall/new/", {"code": "H13", "name": "新营业厅", "branch": branch.pk,
                                                     "kind": "self", "active": "on"})
    assert response.status_code == 302, response.content[:500]
    event = AuditEvent.objects.filter(action="org.hall.create").latest("seq")
    assert event.actor_name == "admin" and event.object_repr.startswith("H13")
    assert event.details["code"] == "H13"


def test_failed_login_is_logged(org_demo, client):
    response = client.post("/admin/login/", {"username": "clerk-H11", "password": "wrong"})
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="auth.login_failed").latest("seq")
    assert event.actor_name == "clerk-H11"
    assert "password" not in event.details
    client.post("/admin/login/", {"username": "clerk-H11", "password": "demo-pass-2026"})
    assert AuditEvent.objects.filter(action="auth.login", actor_name="clerk-H11").exists()


def test_log_screen_for_archivist_only(org_demo, client):
    _write(3)
    client.force_login(org_demo["archivist"])
    response = client.get("/admin/auditevent/", {"action": "test.event"})
    assert response.status_code == 200
    assert "item 2" in response.content.decode()
    filtered = client.get("/admin/auditevent/", {"actor_name": "nobody"})
    assert "item 2" not in filtered.content.decode()
    client.force_login(org_demo["clerk-H11"])
    assert client.get("/admin/auditevent/").status_code in (302, 403)


@pytest.mark.parametrize("username", ["archivist", "superuser"])
def test_log_screen_has_no_edit_or_delete(org_demo, client, username):
    """No URL to add, edit or delete a row exists, not even for a superuser (who has every permission)."""
    from org.models import User

    event = _write(1)[0]
    user = org_demo.get(username) or User.objects.create_superuser("root-test", "root@example.com", "pw-2026-x!")
    client.force_login(user)
    assert client.get(f"/admin/auditevent/inspect/{event.pk}/").status_code == 200
    listing = client.get("/admin/auditevent/")
    assert listing.status_code == 200 and f"/admin/auditevent/edit/{event.pk}/" not in listing.content.decode()
    assert client.get(f"/admin/auditevent/edit/{event.pk}/").status_code == 404
    assert client.post(f"/admin/auditevent/edit/{event.pk}/", {"action": "x"}).status_code == 404
    assert client.post(f"/admin/auditevent/delete/{event.pk}/").status_code == 404
    assert client.get("/admin/auditevent/new/").status_code == 404
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@pytest.mark.parametrize("sql", ["UPDATE org_auditevent SET action = 'x' WHERE id = %s",
                                 "DELETE FROM org_auditevent WHERE id = %s",
                                 "DELETE FROM org_chainhead WHERE id = 1 AND %s > 0"])
def test_database_refuses_update_and_delete_on_sqlite_too(db, sql):
    """A SQL shell on the embedded SQLite database cannot edit or remove log rows either (triggers)."""
    event = _write(1)[0]
    with pytest.raises(DatabaseError) as err:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [event.pk])
    assert "append-only" in str(err.value) or "refused" in str(err.value)
    call_command("verify_audit_log")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain():
    """Four connections appending at once never fork the chain (the chain head is locked per row)."""
    import threading

    if not on_postgres():
        pytest.skip("PostgreSQL only: SQLite serialises writers anyway")

    errors = []

    def writer(n):
        try:
            for i in range(25):
                auditlog.record("test.concurrent", obj=("test", f"{n}-{i}", ""), details={"writer": n})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert auditlog.verify() == AuditEvent.objects.count() == 100


def test_event_log_names_the_same_address_as_the_lockout(db, settings, rf):
    """Behind a trusted reverse proxy the event log records the client's address, not the proxy's, and a
    forged X-Forwarded-For entry further left is ignored (org.clientip, shared with django-axes)."""
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.2.3", REMOTE_ADDR="127.0.0.1")
    assert auditlog.record("test.proxy", request=request).ip_address == "10.1.2.3"
    settings.TRUSTED_PROXY_COUNT = 0
    assert auditlog.record("test.proxy", request=request).ip_address == "127.0.0.1"
