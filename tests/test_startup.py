"""Settings from the environment: production deploy check, and a wrong setting stopping start-up with one
line that names the variable."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import s3_env

ROOT = Path(__file__).resolve().parent.parent
PROD = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k3y-" + "x7Gq2pLm9Vw4Rt8Zb1Nc5Hs0Jd6Fy3Ke" * 2,
    "ALLOWED_HOSTS": "records.example.cn",
    "PII_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}


def manage(*args, env=None, timeout=120):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "DATABASE_URL", "ELASTICSEARCH_URL", "DJANGO_SETTINGS_MODULE"))}
    clean.update(env or {})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True,
                          text=True, timeout=timeout)


def _one_line_naming(result, variable):
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]


def test_check_deploy_prints_nothing(tmp_path):
    result = manage("check", "--deploy", env={**PROD, "APP_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    assert "no issues" in result.stdout  # Django's own "System check identified no issues (0 silenced)."


def test_production_requires_its_secrets(tmp_path):
    env = {**PROD, "APP_VAR_DIR": str(tmp_path)}
    del env["SECRET_KEY"]
    _one_line_naming(manage("check", env=env), "SECRET_KEY")
    env = {**PROD, "APP_VAR_DIR": str(tmp_path), "PII_KEY": ""}
    _one_line_naming(manage("check", env=env), "PII_KEY")


@pytest.mark.parametrize("variable,value", [
    ("DATABASE_URL", "mysql//nohost"),
    ("DATABASE_URL", "postgres://user@host:notaport/db"),
    ("ELASTICSEARCH_URL", "localhost:9200"),
    ("AWS_S3_ENDPOINT_URL", "ftp://s3.example"),
])
def test_malformed_url_stops_startup(tmp_path, variable, value):
    _one_line_naming(manage("migrate", env={variable: value, "APP_VAR_DIR": str(tmp_path)}), variable)


def test_unreachable_database_stops_startup(tmp_path):
    result = manage("migrate", env={"DATABASE_URL": "postgres://nobody:x@127.0.0.1:1/nothing",
                                    "APP_VAR_DIR": str(tmp_path)})
    _one_line_naming(result, "DATABASE_URL")


def test_unreachable_s3_stops_startup(tmp_path):
    env = {**s3_env(), "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:1", "APP_VAR_DIR": str(tmp_path)}
    _one_line_naming(manage("migrate", env=env), "AWS_S3_ENDPOINT_URL")


def test_missing_bucket_stops_startup(tmp_path):
    env = {**s3_env(), "AWS_STORAGE_BUCKET_NAME": "no-such-bucket-here", "APP_VAR_DIR": str(tmp_path)}
    _one_line_naming(manage("migrate", env=env), "AWS_STORAGE_BUCKET_NAME")


def test_wrong_s3_credentials_stop_startup(tmp_path):
    env = {**s3_env(), "AWS_SECRET_ACCESS_KEY": "wrong-secret", "APP_VAR_DIR": str(tmp_path)}
    _one_line_naming(manage("migrate", env=env), "AWS_ACCESS_KEY_ID")


def test_embedded_default_needs_no_variables(tmp_path):
    """No environment at all: SQLite and local files under the var folder, keys generated there."""
    result = manage("migrate", "-v0", env={"APP_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "db.sqlite3").exists()
    result = manage("shell", "-c", "from org import pii; print(pii.encrypt('x')[:3])",
                    env={"APP_VAR_DIR": str(tmp_path)})
    assert result.stdout.strip().splitlines()[-1] == "v1:"
    assert (tmp_path / "pii.key").stat().st_mode & 0o077 == 0  # not readable by others
