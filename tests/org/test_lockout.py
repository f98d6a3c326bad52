"""Password guessing (issue 12 item 8): every sign-in form and signature password re-entry is counted by
django-axes; a few failures lock the user name, and separately the client address, for a while; every
failure is in the event log. Driven through the real forms with the test client; time moves with
time_machine, never by sleeping."""
import datetime

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from archive import level1
from archive.base import ChainError
from archive.models import Level1Audit
from org.models import AuditEvent
from tests.archive_helpers import PASSWORD, day, make_day

LIMIT = 5  # the default LOGIN_FAILURE_LIMIT
FORMS = ["/admin/login/", "/accounts/login/"]


def _post(client, url, username, password, addr="127.0.0.1", **extra):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=addr, **extra)


def _signed_in(client):
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", FORMS)
def test_failures_lock_the_user_and_the_right_password_is_refused(client, org_demo, url):
    for _ in range(LIMIT):
        response = _post(client, url, "clerk-H11", "wrong-guess-123")
        assert not _signed_in(client)
    response = _post(client, url, "clerk-H11", PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    text = response.content.decode()
    assert "登录" in text and "之后再试" in text  # Chinese, and says when to retry
    failed = AuditEvent.objects.filter(action="auth.login_failed", actor_name="clerk-H11")
    assert failed.count() == LIMIT + 1  # the refused right password is a failure too
    assert AuditEvent.objects.filter(action="auth.locked_out", actor_name="clerk-H11").exists()


@pytest.mark.parametrize("url", FORMS)
@override_settings(AXES_COOLOFF_TIME=datetime.timedelta(minutes=2))
def test_after_the_cool_off_the_right_password_works(client, org_demo, url):
    for _ in range(LIMIT):
        _post(client, url, "keeper-H11", "wrong-guess-123")
    assert _post(client, url, "keeper-H11", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1), tick=False):
        assert _post(client, url, "keeper-H11", PASSWORD).status_code == 429  # still locked (and extended)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=4), tick=False):
        response = _post(client, url, "keeper-H11", PASSWORD)
        assert response.status_code == 302
        assert _signed_in(client)


def test_fifty_guesses_never_get_in(client, org_demo):
    for _ in range(50):
        _post(client, "/admin/login/", "l1-H11", "guess-guess-1")
    assert _post(client, "/admin/login/", "l1-H11", PASSWORD).status_code == 429
    assert not _signed_in(client)


def test_one_address_guessing_many_users_is_locked(client, org_demo):
    for name in ["clerk-H11", "keeper-H11", "l1-H12", "nobody", "admin"]:
        _post(client, "/admin/login/", name, "wrong-guess-123", addr="10.9.8.7")
    # a user never guessed at, with the right password, from that address: refused
    assert _post(client, "/accounts/login/", "l1-H11", PASSWORD, addr="10.9.8.7").status_code == 429
    assert not _signed_in(client)
    # the same user from another address gets in (the user name itself is not locked)
    assert _post(client, "/admin/login/", "l1-H11", PASSWORD, addr="10.9.8.8").status_code == 302
    assert _signed_in(client)


def test_one_user_guessed_from_many_addresses_is_locked(client, org_demo):
    for i in range(LIMIT):
        _post(client, "/admin/login/", "clerk-H12", "wrong-guess-123", addr=f"10.0.0.{i + 1}")
    assert _post(client, "/admin/login/", "clerk-H12", PASSWORD, addr="10.0.0.99").status_code == 429


def test_a_forged_forwarded_for_header_does_not_change_the_address(client, org_demo):
    for i in range(LIMIT):
        _post(client, "/admin/login/", f"user{i}", "wrong-guess-123", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert _post(client, "/admin/login/", "clerk-H11", PASSWORD,
                 HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_configured_proxy_the_appended_address_counts(client, org_demo):
    proxy = "10.0.0.1"
    for i in range(LIMIT):  # the client forges the left part; the proxy appends the real address
        _post(client, "/admin/login/", f"user{i}", "wrong-guess-123", addr=proxy,
              HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.7")
    assert _post(client, "/admin/login/", "clerk-H11", PASSWORD, addr=proxy,
                 HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # another client behind the same proxy is not locked
    assert _post(client, "/admin/login/", "clerk-H11", PASSWORD, addr=proxy,
                 HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


def test_the_api_takes_no_password(client, org_demo):
    import base64

    basic = base64.b64encode(f"clerk-H11:{PASSWORD}".encode()).decode()
    response = client.get("/api/records/", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code in (401, 403)


def test_an_operator_lifts_a_lockout_and_it_is_logged(client, org_demo):
    import io

    from django.core.management import call_command

    for _ in range(LIMIT):
        _post(client, "/admin/login/", "clerk-H11", "wrong-guess-123")
    out = io.StringIO()
    call_command("login_lockouts", "list", stdout=out)
    assert "clerk-H11" in out.getvalue() and "LOCKED" in out.getvalue()
    call_command("login_lockouts", "unlock", "--user", "clerk-H11", "--address", "127.0.0.1", stdout=out)
    assert _post(client, "/admin/login/", "clerk-H11", PASSWORD).status_code == 302
    assert AuditEvent.objects.get(action="auth.lockout_reset").actor_name.startswith("shell:")


def test_the_administrator_unlocks_on_the_admin_screen(client, org_demo):
    for _ in range(LIMIT):
        _post(client, "/admin/login/", "keeper-H11", "wrong-guess-123", addr="10.5.5.5")
    screen = "/admin/login-lockouts/"
    client.force_login(org_demo["clerk-H11"])
    refused = client.get(screen)  # Wagtail answers a refused admin view with a redirect to the dashboard
    assert refused.status_code in (302, 403) and refused.get("Location", "") != screen
    client.post(screen, {"kind": "username", "value": "keeper-H11"})
    assert not AuditEvent.objects.filter(action="auth.lockout_reset").exists()
    client.force_login(org_demo["admin"])
    page = client.get(screen).content.decode()
    assert "keeper-H11" in page and "10.5.5.5" in page
    client.post(screen, {"kind": "username", "value": "keeper-H11"})
    client.logout()
    assert _post(client, "/admin/login/", "keeper-H11", PASSWORD, addr="10.6.6.6").status_code == 302
    reset = AuditEvent.objects.get(action="auth.lockout_reset")
    assert reset.actor_name == "admin" and reset.details["username"] == "keeper-H11"


# --- signature password re-entry ----------------------------------------------------------------------

@pytest.fixture
def audit_ready(make_record, users):
    """A level-1 audit of H11 whose every file passed: only the signature is missing."""
    from archive import dailyclose
    from org.models import Hall

    make_day(make_record, "H11", day(3), ["general", "ownership"])
    l1 = users("l1-H11")
    dailyclose.DailyClose(users("clerk-H11"), Hall.objects.get(code="H11"), day(3)).run()
    audit = level1.open_audit(l1, Hall.objects.get(code="H11"), day(3))
    for record in level1.day_records(audit):
        level1.Mark(l1, audit, record, passed=True).run()
    return audit


def test_signature_failures_are_counted_logged_and_lock(audit_ready, users):
    l1 = users("l1-H11")
    for _ in range(LIMIT):
        with pytest.raises(ChainError):
            level1.Sign(l1, audit_ready, "wrong-guess-123").run()
    rows = AuditEvent.objects.filter(action="signature.password_failed", actor_name="l1-H11")
    assert rows.count() == LIMIT
    assert {(r.object_type, r.object_id) for r in rows} == {("archive.level1audit", str(audit_ready.pk))}
    with pytest.raises(ChainError) as refused:
        level1.Sign(l1, audit_ready, PASSWORD).run()
    assert "之后再试" in str(refused.value) or "Try again after" in str(refused.value)
    assert Level1Audit.objects.get(pk=audit_ready.pk).signed_at is None
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16), tick=False):
        level1.Sign(l1, audit_ready, PASSWORD).run()
    assert Level1Audit.objects.get(pk=audit_ready.pk).signed_at is not None


def test_signature_screen_counts_and_shows_the_lockout(client, audit_ready, users):
    l1 = users("l1-H11")
    client.force_login(l1)
    url = f"/admin/archive/level1/{audit_ready.pk}/sign/"
    for _ in range(20):
        response = client.post(url, {"password": "wrong-guess-123"}, REMOTE_ADDR="10.2.2.2")
        assert response.status_code == 302  # back to the screen with the message
    response = client.post(url, {"password": PASSWORD}, REMOTE_ADDR="10.2.2.2", follow=True)
    assert "之后再试" in response.content.decode()
    assert Level1Audit.objects.get(pk=audit_ready.pk).signed_at is None
    assert AuditEvent.objects.filter(action="signature.password_failed").count() == 21
    # a user locked out by wrong signature passwords cannot sign in either
    client.logout()
    assert _post(client, "/admin/login/", "l1-H11", PASSWORD, addr="10.3.3.3").status_code == 429


# --- the account's change-password form --------------------------------------------------------------

def _change(client, old, new="another-pass-2027"):
    return client.post("/admin/account/", {
        "password-old_password": old, "password-new_password1": new, "password-new_password2": new,
        # the other panels of the account page, as the browser sends them
        "name_email-first_name": "三", "name_email-last_name": "张", "name_email-email": "z@example.com",
        "locale-preferred_language": "zh-hans", "theme-theme": "system", "theme-contrast": "system",
        "theme-density": "default"})


def test_change_password_form_counts_the_old_password(client, users):
    user = users("clerk-H11")
    client.force_login(user)
    for _ in range(LIMIT - 1):
        response = _change(client, "wrong-guess-123")
        assert response.status_code == 200  # the form again, with its error
    response = _change(client, "wrong-guess-123")
    assert response.status_code == 429
    assert _change(client, PASSWORD).status_code == 429  # the right old password is refused now
    assert users("clerk-H11").check_password(PASSWORD)  # unchanged
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_name="clerk-H11").count() == LIMIT + 1


def test_change_password_form_still_changes_it(client, users):
    client.force_login(users("keeper-H11"))
    response = _change(client, PASSWORD)
    assert response.status_code == 302
    assert users("keeper-H11").check_password("another-pass-2027")
