"""A PostgreSQL cluster of its own, for tests that stop and start the real server: the shared server on :5432
serves every other test run and must stay up. It uses the binaries scripts/pg-start.sh uses (Debian's
/usr/lib/postgresql/<newest>/bin, else those on PATH), lives in a temporary folder, listens on a free port of
127.0.0.1 and its socket folder, and has the two roles of a deployment, made by scripts/pg-roles.sql. initdb
refuses to run as root: as root the server runs as the `postgres` user, as Debian's own cluster does.

Migrating a new database takes about a minute (Wagtail's migrations), so the schema is copied with pg_dump
from a database that is already migrated (the test database of this run), then `migrate` runs as the owner
(applies nothing; grants the runtime role, as in a deployment) and the demo organisation is loaded, once,
into a template; each test gets a copy of the template (CREATE DATABASE ... TEMPLATE).
"""
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWNER, OWNER_PASSWORD = "records_owner", "owner-pass-2026"
APP, APP_PASSWORD = "records_app", "app-pass-2026"
TEMPLATE = "records_template"


def binaries():
    """The folder with initdb and pg_ctl, or None when PostgreSQL is not installed."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: float(p.parent.name or 0))
    candidates = [*reversed(debian)]
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        candidates.append(Path(found))
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "pg_dump", "psql")):
            return folder
    return None


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """initdb, start, stop and remove one cluster; `url(role, database)` for the app's settings."""

    def __init__(self, bindir):
        self.bin = Path(bindir)
        self.dir = Path(tempfile.mkdtemp(prefix="records-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        self.port = _free_port()
        self.as_user = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.dir, account.pw_uid, account.pw_gid)
            self.as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _server(self, *args):
        """pg_ctl/initdb as the server's user; fails with its output."""
        result = subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True, timeout=120,
                                cwd=self.dir, **self.as_user)
        assert result.returncode == 0, f"{args[0]} failed: {result.stdout[-1500:]}{result.stderr[-1500:]}"

    def init(self):
        self._server("initdb", "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                     "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
        settings = (f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                    "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\nmax_connections = 60\n")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(settings)

    def start(self):
        self._server("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        self._server("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self):
        return (self.data / "postmaster.pid").exists()

    def remove(self):
        """Stop the server (whatever state it is in) and delete the folder."""
        if self.running():
            subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60, cwd=self.dir, **self.as_user)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, chars=2000):
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def url(self, role, database):
        password = {OWNER: OWNER_PASSWORD, APP: APP_PASSWORD}[role]
        return f"postgres://{role}:{password}@127.0.0.1:{self.port}/{database}"

    def superuser_url(self, database):
        """The superuser over the socket folder (trusted): sees every session in pg_stat_activity."""
        return f"postgresql://postgres@/{database}?host={self.dir}&port={self.port}"

    def psql(self, *args, user="postgres", database="postgres", password=None):
        """psql as `user` (the superuser over the socket folder, a role over TCP with its password)."""
        host = str(self.dir) if user == "postgres" else "127.0.0.1"
        env = {**os.environ, "PGPASSWORD": password or ""}
        result = subprocess.run([str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host,
                                 "-p", str(self.port), "-U", user, "-d", database, *args],
                                capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, f"psql failed: {result.stderr[-3000:]}"
        return result.stdout

    def make_template(self, source, env):
        """The roles (scripts/pg-roles.sql), the schema of the migrated database `source` (a URL), the
        runtime role's grants and the demo organisation, in the template database."""
        self.psql("-v", f"db={TEMPLATE}", "-v", f"owner={OWNER}", "-v", f"owner_password={OWNER_PASSWORD}",
                  "-v", f"app={APP}", "-v", f"app_password={APP_PASSWORD}", "-f", str(ROOT / "scripts/pg-roles.sql"))
        dump = self.dir / "schema.sql"
        for args in (["-s"], ["-a", "-t", "django_migrations"]):
            result = subprocess.run([str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", *args, "-d", source],
                                    capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, f"pg_dump failed: {result.stderr[-2000:]}"
            with open(dump, "a") as out:
                out.write(result.stdout)
        self.psql("-f", str(dump), user=OWNER, database=TEMPLATE, password=OWNER_PASSWORD)
        env = {**env, "DATABASE_URL": self.url(APP, TEMPLATE), "DATABASE_MIGRATE_URL": self.url(OWNER, TEMPLATE)}
        code = ("from django.test import override_settings; from org import demo\n"
                "with override_settings(PASSWORD_HASHERS=['django.contrib.auth.hashers.MD5PasswordHasher']):\n"
                "    demo.load()")  # the demo users with the tests' fast password hash
        for args in (["migrate", "-v0"], ["shell", "-v0", "-c", code]):
            result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, timeout=300,
                                    capture_output=True, text=True)
            assert result.returncode == 0, f"manage.py {args[0]} failed: {result.stderr[-3000:]}"

    def database(self, name):
        """A new database, a copy of the template."""
        self.psql("-c", f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE} OWNER {OWNER}')
        return name
