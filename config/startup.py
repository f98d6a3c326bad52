"""Start-up checks: a wrong setting stops the app with one line naming the variable.

Malformed values are caught while settings load (config.env). This module checks what can only be seen
by trying: that the database and the S3 buckets answer, that the app's database role cannot rewrite
the event log, and that PII_KEY is the key the database was written with (org/keycheck.py: web, worker and
every manage.py command that uses the data). Elasticsearch is deliberately not checked: the app works on while it is down and the
search outbox catches up later.
"""
import sys

from config.env import ConfigError

# manage.py commands that start long-running work or change the database
SERVING_COMMANDS = {"runserver", "db_worker", "migrate", "load_demo", "run_worker"}
# commands that never read or write the app's data: no key check (they run at image build, without a database)
NO_DATA_COMMANDS = {"help", "version", "compilemessages", "makemessages", "collectstatic", "makemigrations",
                    "squashmigrations", "sqlmigrate", "showmigrations", "diffsettings", "dbshell", "test",
                    "startapp", "startproject", "sendtestemail"}


def _short(exc):
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else exc.__class__.__name__


def check_database():
    from django.db import connections

    try:
        connections["default"].ensure_connection()
    except Exception as exc:
        raise ConfigError("DATABASE_URL", f"cannot connect to the database ({_short(exc)})") from None


def check_storage():
    from django.conf import settings

    if not settings.S3_BUCKET:
        return
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    opts = settings.DEFAULT_FILE_STORAGE_OPTIONS
    client = boto3.client(
        "s3",
        endpoint_url=opts["endpoint_url"],
        aws_access_key_id=opts["access_key"],
        aws_secret_access_key=opts["secret_key"],
        region_name=opts["region_name"],
        config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1},
                      s3={"addressing_style": opts["addressing_style"]}),
    )
    try:
        client.head_bucket(Bucket=opts["bucket_name"])
    except EndpointConnectionError as exc:
        raise ConfigError("AWS_S3_ENDPOINT_URL", f"S3 server unreachable ({_short(exc)})") from None
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket"):
            raise ConfigError("AWS_STORAGE_BUCKET_NAME", f"bucket {opts['bucket_name']!r} does not exist") from None
        if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise ConfigError("AWS_ACCESS_KEY_ID", f"S3 refused the credentials ({code})") from None
        raise ConfigError("AWS_S3_ENDPOINT_URL", f"S3 error {code}") from None
    except BotoCoreError as exc:
        raise ConfigError("AWS_S3_ENDPOINT_URL", f"S3 server unreachable ({_short(exc)})") from None


def check_database_role():
    """The app's database role must not be able to rewrite the event log (org/dbroles.py). With
    DATABASE_MIGRATE_URL set (roles declared split) a role that can is refused; otherwise it is a warning."""
    from django.conf import settings

    from org.dbroles import runtime_problem

    problem = runtime_problem()
    if problem and settings.DATABASE_MIGRATE_URL:
        raise ConfigError("DATABASE_URL", problem)
    if problem:
        print(f"警告 / warning: DATABASE_URL: {problem}", file=sys.stderr)


def check_anchor_bucket():
    """The event log's anchor bucket must exist; without object lock the app runs, with a warning."""
    from django.conf import settings

    if not settings.AUDIT_ANCHOR_BUCKET:
        return
    from org.anchors import AnchorsUnavailable, S3Store

    store = S3Store(settings.AUDIT_ANCHOR_BUCKET, settings.AUDIT_ANCHOR_PREFIX, settings.AUDIT_ANCHOR_S3,
                    settings.AUDIT_ANCHOR_RETENTION_DAYS)
    try:
        store._call(store.client.head_bucket, Bucket=settings.AUDIT_ANCHOR_BUCKET)
        locked = store.locked
    except AnchorsUnavailable as exc:
        raise ConfigError("AUDIT_ANCHOR_BUCKET", f"cannot use the anchor bucket ({_short(exc)})") from None
    if not locked:
        print(f"警告 / warning: AUDIT_ANCHOR_BUCKET: {settings.AUDIT_ANCHOR_BUCKET} has no object lock: event log "
              "anchors there are not write-once (create the bucket with object lock)", file=sys.stderr)


def check_pii_key(database_required=True):
    """PII_KEY must be the key the database was written with. Other commands (database_required=False)
    leave an unreachable database to the command itself."""
    from org import keycheck

    if not database_required:
        from django.db import connections

        try:
            connections["default"].ensure_connection()
        except Exception:
            return
    try:
        keycheck.check()
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError("DATABASE_URL", f"cannot read the key check value ({_short(exc)})") from None


def check_services(pii_key=True):
    """pii_key=False for migrate: manage.py checks the key after migrating and granting (org/keycheck.py)."""
    check_database()
    check_database_role()
    if pii_key:
        check_pii_key()
    check_storage()
    check_anchor_bucket()


def fail(error):
    """Print the one line and exit: used by manage.py and wsgi.py."""
    print(error.one_line(), file=sys.stderr)
    sys.exit(2)
