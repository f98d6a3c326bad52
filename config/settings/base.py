"""Settings shared by every environment.

With no environment variables the app runs embedded: SQLite, files under var/media, database search and
the django-tasks database backend. Each production service is switched on by its variable (see README).
"""
from datetime import timedelta
from pathlib import Path

import dj_database_url
from botocore.config import Config

from config import env
from config.env import ConfigError

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.get("APP_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = False
SECRET_KEY = env.get("SECRET_KEY")
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "org",
    "records",
    "archive",
    "search",
    "handbook",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "org.apps.OrgUsersConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.nostore.NoStoreForSignedInMiddleware",  # answers to signed-in users may carry ID numbers
    "org.middleware.CurrentRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so it turns a locked-out sign-in into the lockout page (org/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database: SQLite unless DATABASE_URL is given -------------------------------------------------
DATABASE_URL = env.get_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except Exception as exc:  # dj_database_url raises several kinds
        raise ConfigError("DATABASE_URL", f"malformed URL ({exc})") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
        }
    }
# Migrations run as the tables' owner, the app as a role that may only read and append (README, org/dbroles.py):
# `manage.py migrate` connects with this URL (same database, owner role) and then grants the DATABASE_URL role.
DATABASE_MIGRATE_URL = env.get_url("DATABASE_MIGRATE_URL", ("postgres", "postgresql"))
if DATABASE_MIGRATE_URL and not DATABASE_URL:
    raise ConfigError("DATABASE_MIGRATE_URL", "needs DATABASE_URL (the runtime role of the same database)")
if DATABASE_MIGRATE_URL and dj_database_url.parse(DATABASE_MIGRATE_URL)["NAME"] != DATABASES["default"]["NAME"]:
    raise ConfigError("DATABASE_MIGRATE_URL", "must name the same database as DATABASE_URL (only the role differs)")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: a locked-out user or address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "org.backends.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env.get_int("PASSWORD_MIN_LENGTH", 10)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions: one working day at most, and gone when the browser closes (shared counter PCs).
SESSION_COOKIE_AGE = env.get_int("SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Password guessing: django-axes (org/lockout.py) ----------------------------------------------
# Every authenticate() - the admin and handbook sign-in forms, the account's change-password form and
# signature password re-entry - counts failures in the database (shared by every process);
# LOGIN_FAILURE_LIMIT failures lock the user name and, separately, the client address for
# LOGIN_LOCKOUT_MINUTES after the last failure. Admin → 设置 → 登录锁定 and `manage.py login_lockouts` list
# and lift lockouts (logged); axes_reset* are axes' own commands.
AXES_FAILURE_LIMIT = env.get_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.get_int("LOGIN_LOCKOUT_MINUTES", 15))
# "username,ip_address": either one locks; "username+ip_address" would lock only the pair.
AXES_LOCKOUT_PARAMETERS = [p.split("+") if "+" in p else p
                           for p in env.get_list("LOGIN_LOCKOUT_BY", ["username", "ip_address"])]
for _part in AXES_LOCKOUT_PARAMETERS:
    if not set([_part] if isinstance(_part, str) else _part) <= {"username", "ip_address", "user_agent"}:
        raise ConfigError("LOGIN_LOCKOUT_BY", f"expected username, ip_address or a+b, got {_part!r}")
for _name, _value in (("LOGIN_FAILURE_LIMIT", AXES_FAILURE_LIMIT), ("SESSION_HOURS", SESSION_COOKIE_AGE),
                      ("LOGIN_LOCKOUT_MINUTES", AXES_COOLOFF_TIME.total_seconds())):
    if _value < 1:
        raise ConfigError(_name, "must be at least 1")
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_RESET_ON_SUCCESS = False  # a success must not wipe the address's count of guesses at other users
AXES_LOCKOUT_CALLABLE = "org.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "org.clientip.client_ip"
# Number of reverse proxies in front of the app that append to X-Forwarded-For; 0 = use the socket
# address and ignore the header (a client could forge it).
TRUSTED_PROXY_COUNT = env.get_int("TRUSTED_PROXY_COUNT", 0)
AXES_ENABLE_ADMIN = False  # Django's admin site is not mounted; see login_lockouts
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the event log already

LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/admin/"

# --- Language and time: Chinese first, English selectable ----------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

# --- Files: local media folder unless an S3 bucket is given --------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Whether Django serves the public folders of MEDIA_ROOT (config/media.py): only the embedded default does.
SERVE_MEDIA = False
S3_BUCKET = env.get("AWS_STORAGE_BUCKET_NAME")
S3_ENDPOINT_URL = env.get_url("AWS_S3_ENDPOINT_URL", ("http", "https"))
if S3_BUCKET:
    DEFAULT_FILE_STORAGE_OPTIONS = {
        "bucket_name": S3_BUCKET,
        "endpoint_url": S3_ENDPOINT_URL,
        "access_key": env.require("AWS_ACCESS_KEY_ID"),
        "secret_key": env.require("AWS_SECRET_ACCESS_KEY"),
        "region_name": env.get("AWS_S3_REGION_NAME", "us-east-1"),
        "addressing_style": env.get("AWS_S3_ADDRESSING_STYLE", "path"),
        "signature_version": "s3v4",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        # a hung S3 server costs a request at most these seconds (the fixity check, records/fixity.py, and
        # every upload and download); transient faults are retried by botocore's standard mode
        "client_config": Config(s3={"addressing_style": env.get("AWS_S3_ADDRESSING_STYLE", "path")},
                                signature_version="s3v4", connect_timeout=env.get_int("S3_CONNECT_TIMEOUT", 10),
                                read_timeout=env.get_int("S3_READ_TIMEOUT", 60),
                                retries={"max_attempts": env.get_int("S3_MAX_ATTEMPTS", 3), "mode": "standard"}),
    }
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": DEFAULT_FILE_STORAGE_OPTIONS}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Customer files (scans, access copies, OCR pieces: they show ID numbers) have a storage of their own with no
# URLs (records/storage.py): locally outside MEDIA_ROOT, so nothing under MEDIA_URL can ever reach them.
RECORDS_ROOT = VAR_DIR / "records"
if S3_BUCKET:
    _records_storage = {"BACKEND": "records.storage.PrivateS3Storage", "OPTIONS": DEFAULT_FILE_STORAGE_OPTIONS}
else:
    _records_storage = {"BACKEND": "records.storage.PrivateFileSystemStorage", "OPTIONS": {"location": RECORDS_ROOT}}
STORAGES = {
    "default": _default_storage,
    "records": _records_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o640
# Uploads beyond each view's limit are dropped while they are read, never held whole (records/uploads.py);
# files above FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) stream to a temporary file, never into memory.
FILE_UPLOAD_HANDLERS = ["records.uploads.LimitedUploadHandler",
                        "django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "django.core.files.uploadhandler.TemporaryFileUploadHandler"]
# Watched intake folder (`manage.py watch_intake`): <hall code>/<clerk username>/<scans>.
INTAKE_DIR = Path(env.get("INTAKE_DIR", str(VAR_DIR / "intake")))

# --- Event log anchors: the chain head copied every few minutes to write-once storage (org/anchors.py) --
# An append-only local file ("off" to disable) and, when AUDIT_ANCHOR_BUCKET is set, an S3 bucket created
# with object lock on AWS_S3_ENDPOINT_URL (anchors are written with COMPLIANCE retention).
AUDIT_ANCHOR_FILE = env.get("AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchors.log"))
AUDIT_ANCHOR_FILE = None if AUDIT_ANCHOR_FILE.lower() == "off" else Path(AUDIT_ANCHOR_FILE)
AUDIT_ANCHOR_BUCKET = env.get("AUDIT_ANCHOR_BUCKET")
AUDIT_ANCHOR_PREFIX = env.get("AUDIT_ANCHOR_PREFIX", "anchors/")
AUDIT_ANCHOR_RETENTION_DAYS = env.get_int("AUDIT_ANCHOR_RETENTION_DAYS", 3650)
AUDIT_ANCHOR_INTERVAL = env.get_int("AUDIT_ANCHOR_INTERVAL", 300)  # seconds between anchors (worker job)
AUDIT_ANCHOR_S3 = {
    "endpoint_url": S3_ENDPOINT_URL,
    "access_key": env.require("AWS_ACCESS_KEY_ID") if AUDIT_ANCHOR_BUCKET else None,
    "secret_key": env.require("AWS_SECRET_ACCESS_KEY") if AUDIT_ANCHOR_BUCKET else None,
    "region_name": env.get("AWS_S3_REGION_NAME", "us-east-1"),
    "addressing_style": env.get("AWS_S3_ADDRESSING_STYLE", "path"),
}

# --- Search: Elasticsearch when ELASTICSEARCH_URL is given, the database otherwise ---------------
# One URL, or the nodes of a cluster separated by commas (requests go to a node that answers).
ELASTICSEARCH_URL = env.get_url_list("ELASTICSEARCH_URL", ("http", "https"))
# Indices are aliases "<prefix>-<document type>" (search/backends/es.py).
SEARCH_INDEX_PREFIX = env.get("SEARCH_INDEX_PREFIX", "records")
# "bigram" (server core: standard tokenizer + 2-character shingles) or "smartcn" (needs analysis-smartcn).
SEARCH_ANALYZER = env.get("SEARCH_ANALYZER", "bigram")
if SEARCH_ANALYZER not in ("bigram", "smartcn"):
    raise ConfigError("SEARCH_ANALYZER", f"expected bigram or smartcn, got {SEARCH_ANALYZER!r}")
# Seconds one request to Elasticsearch may take before the search screen/API says "unavailable": well below
# gunicorn's timeout (docker/gunicorn.conf.py), so a hung Elasticsearch never takes the web tier down.
ELASTICSEARCH_TIMEOUT = env.get_int("ELASTICSEARCH_TIMEOUT", 5)
if not 1 <= ELASTICSEARCH_TIMEOUT <= 10:  # a search makes at most 4 requests: 40 s < gunicorn's 60 s
    raise ConfigError("ELASTICSEARCH_TIMEOUT", f"expected 1 to 10 seconds, got {ELASTICSEARCH_TIMEOUT}")
# Replicas of each index (1 on a cluster of two or more nodes: a node can fail without losing search).
SEARCH_INDEX_REPLICAS = env.get_int("SEARCH_INDEX_REPLICAS", 0)
if SEARCH_INDEX_REPLICAS < 0:
    raise ConfigError("SEARCH_INDEX_REPLICAS", f"expected 0 or more, got {SEARCH_INDEX_REPLICAS}")
# Wagtail's own admin search stays on the database (see README, search/).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# --- Background jobs: django-tasks with its database backend and worker --------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Pages OCR'd at once inside one worker process (0 = one per CPU core).
OCR_THREADS = env.get_int("OCR_THREADS", 0)
# "library": persistent Tesseract engines that load the models once (records/engine.py);
# "command": the `tesseract` command per page (also the automatic fallback when libtesseract is missing).
OCR_ENGINE = "library"
# A running file's lease (records/lease.py): its worker renews it every OCR_LEASE_SECONDS/6; a file without
# a heartbeat for this long is taken over by another worker. A transient fault (database, S3, network) queues
# the file again after 2, 4, 8 ... seconds, at most OCR_RETRY_MAX_SECONDS.
OCR_LEASE_SECONDS = env.get_int("OCR_LEASE_SECONDS", 30)
OCR_RETRY_MAX_SECONDS = env.get_int("OCR_RETRY_MAX_SECONDS", 300)
# A report import whose worker stopped (no heartbeat for OCR_LEASE_SECONDS) runs again, up to this many
# starts in all; then it fails with a message (records/reportlease.py).
REPORT_IMPORT_MAX_ATTEMPTS = env.get_int("REPORT_IMPORT_MAX_ATTEMPTS", 3)
# Objects in the customer-file storage that no row refers to (left by a crash between an upload and its row)
# are removed by the worker every RECORDS_ORPHAN_SWEEP_SECONDS once older than RECORDS_ORPHAN_GRACE_SECONDS
# (records/orphans.py; `manage.py sweep_orphans`). The grace keeps uploads in progress safe: keep it above
# the longest upload plus its transaction, and the clock difference between the S3 server and this machine.
RECORDS_ORPHAN_GRACE_SECONDS = env.get_int("RECORDS_ORPHAN_GRACE_SECONDS", 2 * 3600)
RECORDS_ORPHAN_SWEEP_SECONDS = env.get_int("RECORDS_ORPHAN_SWEEP_SECONDS", 3600)
if RECORDS_ORPHAN_GRACE_SECONDS < 3600:
    raise ConfigError("RECORDS_ORPHAN_GRACE_SECONDS", "must be at least 3600 (an upload in progress is never swept)")
# Fixity (records/fixity.py): every stored master, access copy and volume PDF is re-read once per
# FIXITY_CYCLE_DAYS; the worker checks a slice every FIXITY_RUN_SECONDS (the oldest-checked objects). A
# transient S3 fault is tried FIXITY_ATTEMPTS times, pausing FIXITY_RETRY_PAUSE seconds, then twice that...
FIXITY_CYCLE_DAYS = env.get_int("FIXITY_CYCLE_DAYS", 30)
FIXITY_RUN_SECONDS = env.get_int("FIXITY_RUN_SECONDS", 3600)
FIXITY_ATTEMPTS = env.get_int("FIXITY_ATTEMPTS", 3)
FIXITY_RETRY_PAUSE = 2
for _name in ("OCR_LEASE_SECONDS", "OCR_RETRY_MAX_SECONDS", "REPORT_IMPORT_MAX_ATTEMPTS",
              "RECORDS_ORPHAN_SWEEP_SECONDS", "FIXITY_CYCLE_DAYS", "FIXITY_RUN_SECONDS", "FIXITY_ATTEMPTS"):
    if globals()[_name] < 1:
        raise ConfigError(_name, "must be at least 1")

# --- Personal data: key for ID numbers (encryption + keyed hash) ---------------------------------
PII_KEY = env.get("PII_KEY")  # base64 of 32 bytes; embedded default: generated into var/pii.key
PII_KEY_FILE = VAR_DIR / "pii.key"

# --- Wagtail ---------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "营业厅客户资料与流程手册系统"
WAGTAILADMIN_BASE_URL = env.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["pdf", "tif", "tiff", "jpg", "jpeg", "png", "csv", "docx", "txt"]
# Documents only through Wagtail's view, which asks handbook.read first (handbook/wagtail_hooks.py); never a
# direct or redirected file URL.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# The handbook (handbook/): readers sign in on the site's own page; an edit during review is approved again.
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# Readers are told of an approved version that takes effect within this many days (handbook/notices.py).
HANDBOOK_NOTICE_DAYS = env.get_int("HANDBOOK_NOTICE_DAYS", 14)
if HANDBOOK_NOTICE_DAYS < 0:
    raise ConfigError("HANDBOOK_NOTICE_DAYS", f"expected 0 or more, got {HANDBOOK_NOTICE_DAYS}")
# The account's change-password panel is ours (org/wagtail_hooks.py): its old password counts towards the
# lockout. Turning Wagtail's off would also turn off password reset, which stays as it was.
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = True

# --- REST API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Hashed, expiring tokens made by each user on the admin's API-token screen (org/tokens.py).
        # No BasicAuthentication: the API never takes a password.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
API_TOKEN_MAX_DAYS = env.get_int("API_TOKEN_MAX_DAYS", 90)
# Look-ups and loans (archive/loans.py): the period of a loan or an electronic view, and the longest a request asks.
LOAN_PERIOD_DAYS = env.get_int("LOAN_PERIOD_DAYS", 7)
if LOAN_PERIOD_DAYS < 1:
    raise ConfigError("LOAN_PERIOD_DAYS", "must be at least 1")
API_TOKEN_DAYS = env.get_int("API_TOKEN_DAYS", 30)
if not 1 <= API_TOKEN_DAYS <= API_TOKEN_MAX_DAYS:
    raise ConfigError("API_TOKEN_DAYS", f"must be between 1 and API_TOKEN_MAX_DAYS ({API_TOKEN_MAX_DAYS})")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_PREFIX": "hall_",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "营业厅客户资料系统 API",
    "VERSION": "1.0",
    "PREPROCESSING_HOOKS": ["config.api.only_our_api"],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # the schema is for signed-in users
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.get("LOG_LEVEL", "WARNING")},
}

