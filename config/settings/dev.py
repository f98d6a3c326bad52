"""Embedded default and local development: `make run` uses this.

DEBUG stays off, as users of the embedded default are real users: errors show the plain pages in templates/
(404.html, 500.html), never a traceback. A developer opts in with DJANGO_DEBUG=1. Static files come from
the apps' folders through WhiteNoise (no collectstatic needed); the public media folders through
config/media.py.
"""
import secrets

from config import env

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY, VAR_DIR

DEBUG = env.get_bool("DJANGO_DEBUG", False)
SERVE_MEDIA = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

if not SECRET_KEY:
    # A local secret that survives restarts; never committed (var/ is ignored).
    _secret_file = VAR_DIR / "secret.key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if not _secret_file.exists():
        _secret_file.write_text(secrets.token_urlsafe(50))
        _secret_file.chmod(0o600)
    SECRET_KEY = _secret_file.read_text().strip()
