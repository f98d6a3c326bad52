"""The owner/runtime split on real PostgreSQL: `migrate` runs as the tables' owner (DATABASE_MIGRATE_URL) and
grants the app's role (DATABASE_URL; the test role records_app from scripts/pg-start.sh) only what the app
needs; that role cannot rewrite, empty or unprotect the event log, yet appends and verifies; the start-up
check names a role that could.
"""
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from org import auditlog, dbroles
from tests.conftest import on_postgres

ROOT = Path(__file__).resolve().parent.parent.parent
APP_ROLE = os.environ.get("PG_TEST_APP_USER", "records_app")
APP_PASSWORD = os.environ.get("PG_TEST_APP_PASSWORD", "records_app")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _url(user, password):
    params = connection.settings_dict
    return f"postgres://{user}:{password}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


@pytest.fixture
def roles(tmp_path):
    if not on_postgres():
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cur.fetchone() is None:
            pytest.fail(f"the test role {APP_ROLE} is missing: run scripts/pg-start.sh")
    params = connection.settings_dict
    owner = _url(params["USER"], params["PASSWORD"])
    app = _url(APP_ROLE, APP_PASSWORD)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ELASTICSEARCH"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", APP_VAR_DIR=str(tmp_path), DATABASE_URL=app,
               DATABASE_MIGRATE_URL=owner, AUDIT_ANCHOR_FILE=str(tmp_path / "anchors.log"))
    return {"owner": owner, "app": app, "env": env}


def _manage(env, *args, **overrides):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **overrides},
                          capture_output=True, text=True, timeout=300)


def test_runtime_role_cannot_rewrite_the_log_but_appends(roles):
    auditlog.record("test.before", obj=("test", "1", "before"))
    migrated = _manage(roles["env"], "migrate", "-v1")
    assert migrated.returncode == 0, migrated.stderr
    assert f"Granted the runtime role {APP_ROLE}" in migrated.stdout
    assert "warning" not in migrated.stderr  # the app's role owns nothing

    with psycopg.connect(roles["app"], autocommit=True) as app:
        for sql in ("UPDATE org_auditevent SET action = 'x'", "DELETE FROM org_auditevent",
                    "TRUNCATE org_auditevent", "ALTER TABLE org_auditevent DISABLE TRIGGER USER",
                    "ALTER TABLE org_auditevent DISABLE TRIGGER org_auditevent_no_update_delete",
                    "DROP TRIGGER org_auditevent_no_truncate ON org_auditevent",
                    "DELETE FROM org_chainhead", "TRUNCATE org_chainhead",
                    "ALTER TABLE org_chainhead DISABLE TRIGGER USER",
                    "UPDATE handbook_revisionlogentry SET version = 'x'",
                    "TRUNCATE handbook_revisionlogentry", "ALTER TABLE org_auditevent OWNER TO records_app"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)
        assert app.execute("SELECT count(*) FROM org_auditevent").fetchone()[0] == 1

    appended = _manage(roles["env"], "shell", "-c",
                       "from org import auditlog; auditlog.record('test.by_app', obj=('test', '2', 'by app'))")
    assert appended.returncode == 0, appended.stderr
    anchored = _manage(roles["env"], "anchor_audit_log")
    assert anchored.returncode == 0 and "wrote #2" in anchored.stdout, anchored.stderr
    verified = _manage(roles["env"], "verify_audit_log")
    assert verified.returncode == 0 and "intact: 2 rows" in verified.stdout, verified.stderr
    assert auditlog.verify() == 2


def test_startup_refuses_an_app_role_that_owns_the_log(roles):
    """With the roles declared split, running the app as the owner stops it with one line."""
    refused = _manage(roles["env"], "migrate", "--check", DATABASE_URL=roles["owner"])
    assert refused.returncode == 2
    line = refused.stderr.strip()
    assert "\n" not in line and "DATABASE_URL" in line and "owns the event log" in line


def test_startup_warns_when_roles_are_not_split(roles):
    warned = _manage(roles["env"], "migrate", "--check", DATABASE_URL=roles["owner"], DATABASE_MIGRATE_URL="")
    assert warned.returncode == 0, warned.stderr
    assert "warning: DATABASE_URL: the database role" in warned.stderr and "owns the event log" in warned.stderr


def test_runtime_problem_names_the_owner():
    if not on_postgres():
        pytest.skip("PostgreSQL only")
    problem = dbroles.runtime_problem()
    assert f"role {connection.settings_dict['USER']} owns the event log" in problem
