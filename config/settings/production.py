"""Production: everything comes from the environment (see docker/.env.example)."""
from config import env

from .base import *  # noqa: F401,F403

DEBUG = False  # DJANGO_DEBUG (config/settings/dev.py) is ignored here
SERVE_MEDIA = False  # files come from the S3 server as signed URLs; nothing under MEDIA_URL is served by Django
SECRET_KEY = env.require("SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise env.ConfigError("SECRET_KEY", "too short: use at least 50 random characters")
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise env.ConfigError("ALLOWED_HOSTS", "is required but not set")
PII_KEY = env.require("PII_KEY")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Wagtail's admin shows page previews in a same-origin frame, so DENY would break editing.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
