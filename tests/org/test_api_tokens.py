"""API tokens (issue 12 item 10): hashed, expiring, made and revoked by each user on the admin's API-token
screen or by an operator with `manage.py api_token`; every creation and revocation is in the event log; the
old plain DRF tokens are no longer accepted."""
import datetime
import io

import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.settings import api_settings

from org.models import AuditEvent

SCREEN = "/admin/api-tokens/"


def _api(client, token):
    return client.get("/api/records/", HTTP_AUTHORIZATION=f"Token {token}")


def _make(client, days=7):
    response = client.post(SCREEN, {"days": days})
    assert response.status_code == 200
    return response, response.context["new_token"]


def test_a_user_makes_a_token_once_uses_it_and_revokes_it(client, users):
    client.force_login(users("clerk-H11"))
    assert client.get(SCREEN).status_code == 200
    response, token = _make(client)
    assert token in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    row = AuthToken.objects.get(user=users("clerk-H11"))
    assert token not in (row.digest, row.token_key) and token.startswith(row.token_key)  # only a digest is kept
    assert row.expiry - timezone.now() < datetime.timedelta(days=7, minutes=1)
    made = AuditEvent.objects.get(action="api_token.create")
    assert made.actor_name == "clerk-H11" and token not in str(made.details)

    listing = client.get(SCREEN).content.decode()
    assert row.token_key in listing and token not in listing  # shown once only
    assert "/admin/api-tokens/" in client.get("/admin/account/").content.decode()  # in the account menu

    api = Client()  # a program, without the browser's session
    assert _api(api, token).status_code == 200

    client.post(SCREEN, {"revoke": row.token_key})
    assert not AuthToken.objects.exists()
    assert AuditEvent.objects.filter(action="api_token.revoke", actor_name="clerk-H11").exists()
    assert _api(api, token).status_code == 401


def test_a_token_expires(client, users):
    client.force_login(users("clerk-H11"))
    _, token = _make(client, days=2)
    api = Client()
    assert _api(api, token).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2, minutes=1), tick=False):
        assert _api(api, token).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.expired").exists()


def test_another_user_cannot_revoke_my_token_and_limits_hold(client, users):
    client.force_login(users("clerk-H11"))
    _, token = _make(client)
    key = AuthToken.objects.get().token_key
    client.force_login(users("clerk-H12"))
    client.post(SCREEN, {"revoke": key})
    assert AuthToken.objects.count() == 1 and not AuditEvent.objects.filter(action="api_token.revoke").exists()
    response = client.post(SCREEN, {"days": 10000})
    assert response.status_code == 400 and AuthToken.objects.count() == 1
    assert client.get(SCREEN).content.decode().count(key) == 0  # not in the other user's list


def test_old_plain_tokens_are_not_accepted(client, users):
    names = [f"{c.__module__}.{c.__name__}" for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    assert "rest_framework.authentication.TokenAuthentication" not in names
    assert "rest_framework.authentication.BasicAuthentication" not in names
    assert _api(client, "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b").status_code == 401


def test_operator_command_makes_lists_and_revokes_logged(users, org_demo):
    out = io.StringIO()
    call_command("api_token", "create", "keeper-H11", "--days", "3", stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip()
    row = AuthToken.objects.get(user=users("keeper-H11"))
    assert token.startswith(row.token_key) and token != row.digest
    assert AuditEvent.objects.get(action="api_token.create").actor_name.startswith("shell:")
    out = io.StringIO()
    call_command("api_token", "list", stdout=out)
    assert row.token_key in out.getvalue() and token not in out.getvalue()
    call_command("api_token", "revoke", "keeper-H11", row.token_key, stdout=io.StringIO())
    assert not AuthToken.objects.exists() and AuditEvent.objects.filter(action="api_token.revoke").exists()
