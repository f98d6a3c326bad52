"""Passwords and sessions (issue 12 item 10): numeric-only and short passwords are refused by every form that
sets one; a session ends at the end of a working day and when the browser closes."""
import datetime

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from org.demo import DEMO_PASSWORD
from org.forms import UserCreationForm


@pytest.mark.parametrize("password", ["20261202123456", "13800001234", "abc-12345"])
def test_numeric_or_short_passwords_are_refused(password, org_demo):
    with pytest.raises(ValidationError):
        validate_password(password, user=org_demo["clerk-H11"])


def test_the_demo_password_still_passes(org_demo):
    for user in org_demo.values():
        validate_password(DEMO_PASSWORD, user=user)


def test_the_user_admin_form_refuses_a_numeric_password(org_demo):
    data = {"username": "clerk-new", "full_name": "李四", "employee_no": "E999",
            "password1": "20261202123456", "password2": "20261202123456"}
    form = UserCreationForm(data=data)
    assert not form.is_valid()
    assert "password2" in form.errors or "password1" in form.errors


def test_a_session_ends_after_a_working_day_and_with_the_browser(client, org_demo):
    response = client.post("/admin/login/", {"username": "clerk-H11", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    assert client.get("/admin/").status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=8, minutes=1), tick=False):
        response = client.get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("variable,value", [("LOGIN_LOCKOUT_BY", "username,cookie"), ("LOGIN_FAILURE_LIMIT", "0"),
                                            ("SESSION_HOURS", "0"), ("API_TOKEN_DAYS", "365")])
def test_a_wrong_sign_in_setting_stops_startup(tmp_path, variable, value):
    from tests.test_startup import _one_line_naming, manage

    _one_line_naming(manage("check", env={"APP_VAR_DIR": str(tmp_path), variable: value}), variable)
