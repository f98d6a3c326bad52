"""Embedded default and local development: `make run` uses this."""
import secrets

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY, VAR_DIR

DEBUG = True

if not SECRET_KEY:
    # A local secret that survives restarts; never committed (var/ is ignored).
    _secret_file = VAR_DIR / "secret.key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if not _secret_file.exists():
        _secret_file.write_text(secrets.token_urlsafe(50))
        _secret_file.chmod(0o600)
    SECRET_KEY = _secret_file.read_text().strip()
