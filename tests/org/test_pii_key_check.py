"""Several machines, one database: a process whose PII_KEY is not the key the database was written with
refuses to start with one line naming PII_KEY (org/keycheck.py), on SQLite and on real PostgreSQL."""
import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from config.env import ConfigError
from org import keycheck, pii
from org.models import KeyCheck
from tests.conftest import on_postgres

ROOT = Path(__file__).resolve().parent.parent.parent
KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "DATABASE_", "ELASTICSEARCH_URL", "DJANGO_SETTINGS_MODULE", "PII_KEY"))}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings.dev", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True,
                          text=True, timeout=300)


def refused_naming_pii_key(result):
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("配置错误 / configuration error: PII_KEY: does not match the key"), lines[0]


def test_second_machine_without_pii_key_refuses_to_start_sqlite(tmp_path, migrated_var):
    """Two machines on one SQLite file: A and B have no PII_KEY, so each generates its own key file. A's
    folder is a migrated copy (its database has recorded A's key); the database file is shared."""
    migrated_var(tmp_path / "a")
    (tmp_path / "a" / "db.sqlite3").rename(tmp_path / "shared.sqlite3")
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    machine_a = {"APP_VAR_DIR": str(tmp_path / "a"), "DATABASE_URL": database}
    machine_b = {"APP_VAR_DIR": str(tmp_path / "b"), "DATABASE_URL": database}
    migrated = manage("migrate", "-v0", env=machine_a)
    assert migrated.returncode == 0, migrated.stderr
    assert manage("check", env=machine_a).returncode == 0
    for command in ("check", "migrate", "run_worker"):
        refused_naming_pii_key(manage(command, env=machine_b))
    # with A's key (the variable set to the content of A's generated file) B starts
    shared_key = (tmp_path / "a" / "pii.key").read_text().strip()
    assert manage("check", env={**machine_b, "PII_KEY": shared_key}).returncode == 0


def _test_database_url():
    params = connection.settings_dict
    return (f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST'] or '127.0.0.1'}:"
            f"{params['PORT'] or 5432}/{params['NAME']}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_machines_with_different_keys_on_postgresql(tmp_path):
    if not on_postgres():
        pytest.skip("PostgreSQL only")
    database = _test_database_url()
    machine_a = {"APP_VAR_DIR": str(tmp_path / "a"), "DATABASE_URL": database, "PII_KEY": KEY_A}
    machine_b = {"APP_VAR_DIR": str(tmp_path / "b"), "DATABASE_URL": database, "PII_KEY": KEY_B}
    first = manage("check", env=machine_a)
    assert first.returncode == 0, first.stderr
    assert KeyCheck.objects.get(name="PII_KEY").value not in (KEY_A, KEY_B)  # a check value, not the key
    refused_naming_pii_key(manage("check", env=machine_b))
    refused_naming_pii_key(manage("shell", "-c", "print('started')", env=machine_b))
    assert manage("check", env=machine_a).returncode == 0


@pytest.fixture
def key(settings):
    def use(value):
        settings.PII_KEY = value
        return value
    yield use
    pii._keys.cache_clear()


@pytest.mark.django_db
def test_first_start_records_the_key_then_another_key_is_refused(key):
    key(KEY_A)
    assert not KeyCheck.objects.exists()
    keycheck.check()
    stored = KeyCheck.objects.get(name="PII_KEY").value
    assert stored == pii.key_check_value() and KEY_A not in stored
    keycheck.check()  # the same key again: fine
    key(KEY_B)
    with pytest.raises(ConfigError) as refused:
        keycheck.check()
    assert refused.value.variable == "PII_KEY" and "\n" not in refused.value.one_line()


@pytest.mark.django_db
def test_database_written_before_the_check_existed_is_checked_against_its_data(key, make_record):
    """No check value yet but ID numbers stored: a key that cannot decrypt them is refused (and nothing is
    recorded); the right key is recorded."""
    key(KEY_A)
    make_record(id_number="510302199001011234")
    KeyCheck.objects.all().delete()
    key(KEY_B)
    with pytest.raises(ConfigError, match="PII_KEY"):
        keycheck.check()
    assert not KeyCheck.objects.exists()
    key(KEY_A)
    keycheck.check()
    assert KeyCheck.objects.get(name="PII_KEY").value == pii.key_check_value()
