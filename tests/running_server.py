"""A real `manage.py runserver` in its own embedded-default project folder, for tests that must send raw
HTTP (a request target exactly as written, e.g. `/media/%2e/access/...`), the way curl --path-as-is does."""
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-" + "Qm3vX8rT1kP6wZ2nB9cF4hJ7yL0sD5gA" * 2


def project_env(var_dir, settings_module="config.settings.dev", **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "DATABASE_URL", "ELASTICSEARCH_URL", "DJANGO_"))}
    env.update(APP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=settings_module, SECRET_KEY=SECRET, **extra)
    return env


def manage(env, *args):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def signed_in_cookie(env, username="media-admin"):
    """A session of a superuser, made in the project's database (the login form is not under test here)."""
    code = (
        "from django.contrib.auth import get_user_model;"
        "from django.contrib.sessions.backends.db import SessionStore;"
        f"u = get_user_model().objects.filter(username={username!r}).first() or "
        f"get_user_model().objects.create_superuser({username!r}, 'a@example.cn', 'x-Pass-2026-long');"
        "s = SessionStore(); s['_auth_user_id'] = str(u.pk);"
        "s['_auth_user_backend'] = 'org.backends.RoleBackend';"
        "s['_auth_user_hash'] = u.get_session_auth_hash(); s.create(); print(s.session_key)"
    )
    return "sessionid=" + manage(env, "shell", "-v0", "-c", code).strip().splitlines()[-1]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, env):
        self.port = _free_port()
        self.log = tempfile.TemporaryFile()  # the server's request log and errors (a pipe could fill up)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload", "--nothreading"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError("runserver stopped: " + self.log.read().decode()[-2000:])
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("runserver did not answer within 120 s")
            time.sleep(0.1)  # polling for the server to answer, not waiting a fixed time

    def get(self, target, cookie=None):
        """(status, headers, body) of GET `target`, sent byte for byte as given."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.putrequest("GET", target, skip_accept_encoding=True)
            if cookie:
                conn.putheader("Cookie", cookie)
            conn.endheaders()
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def worker_children(pid):
    """The live `run_worker --child` processes of the worker `pid` (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    command = fh.read()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] not in "ZX" and b"--child" in command:
                found.append(int(entry))
    return sorted(found)
