"""Embedded-default project folders (APP_VAR_DIR: SQLite database, generated keys) for tests that run
manage.py in subprocesses. A fresh `migrate` of every app takes a minute or more on a busy machine, so each
kind of folder is migrated once per test run and copied for every test that needs one; the tests whose
subject is the first migrate itself (tests/test_startup.py) still run it."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clean_env(var_dir, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "DATABASE_", "ELASTICSEARCH_URL", "DJANGO_", "PII_KEY"))}
    env.update(APP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.dev", **extra)
    return env


class Templates:
    """template(demo) → a migrated folder (with the demo organisation when demo=True), built on first use;
    copy(target, demo) → target filled with a copy of it."""

    def __init__(self, base):
        self.base = Path(base)
        self.built = {}

    def template(self, demo=False):
        name = "demo" if demo else "plain"
        if name not in self.built:
            folder = self.base / name
            if demo:  # the plain folder plus the demo organisation: one migrate for both
                shutil.copytree(self.template(), folder)
            result = subprocess.run([sys.executable, "manage.py", *(["load_demo"] if demo else ["migrate", "-v0"])],
                                    cwd=ROOT, env=clean_env(folder), capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, result.stderr
            self.built[name] = folder
        return self.built[name]

    def copy(self, target, demo=False):
        shutil.copytree(self.template(demo), target, dirs_exist_ok=True)
        return Path(target)
