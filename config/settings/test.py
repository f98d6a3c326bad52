"""Test settings: the embedded default, or PostgreSQL/S3/Elasticsearch when their variables are set."""
from .dev import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WAGTAILADMIN_BASE_URL = "http://testserver"
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405

# Files written by tests go to throw-away folders, never into var/media or var/records.
import tempfile as _tempfile  # noqa: E402

MEDIA_ROOT = _tempfile.mkdtemp(prefix="records-test-media-")
RECORDS_ROOT = _tempfile.mkdtemp(prefix="records-test-files-")
if "location" in STORAGES["records"].get("OPTIONS", {}):  # noqa: F405
    STORAGES["records"] = {**STORAGES["records"], "OPTIONS": {"location": RECORDS_ROOT}}  # noqa: F405
# No event-log anchors unless a test writes its own (a shared file would outlive each test's database).
AUDIT_ANCHOR_FILE = None
AUDIT_ANCHOR_BUCKET = None
