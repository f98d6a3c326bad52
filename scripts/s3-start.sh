#!/usr/bin/env bash
# Start the local S3 test server in the background (idempotent).
#
# Listens on 127.0.0.1:${S3_TEST_PORT:-7070}; data in <repo>/.cache/s3data
# (versitygw posix backend; moto keeps data in memory); log in
# <repo>/.cache/s3.log; pid in <repo>/.cache/s3.pid.
# Creates bucket ${S3_TEST_BUCKET:-records-test} if it is missing.
# If something already answers HTTP on the port, no server is started
# (the bucket is only checked, and created if missing).
#
# Runs scripts/s3-install.sh first if no server is installed yet.
set -euo pipefail

REPO_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE_DIR="$REPO_ROOT/.cache"
KIND_FILE="$CACHE_DIR/s3-kind"
VGW_BIN="$CACHE_DIR/bin/versitygw"
MOTO_BIN="$REPO_ROOT/.venv/bin/moto_server"
PYTHON="$REPO_ROOT/.venv/bin/python"
DATA_DIR="$CACHE_DIR/s3data"
LOG_FILE="$CACHE_DIR/s3.log"
PID_FILE="$CACHE_DIR/s3.pid"
PORT_FILE="$CACHE_DIR/s3.port"
LOCK_FILE="$CACHE_DIR/s3.lock"

PORT="${S3_TEST_PORT:-7070}"
BUCKET="${S3_TEST_BUCKET:-records-test}"
ACCESS_KEY="${S3_TEST_ACCESS_KEY:-testaccess}"
SECRET_KEY="${S3_TEST_SECRET_KEY:-testsecret123}"
ENDPOINT="http://127.0.0.1:$PORT"
START_TIMEOUT=30

log() { printf 's3-start: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Any HTTP response (even 403) counts as "answering"; only connection
# failures / timeouts do not.
answers() {
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null --max-time 2 "$ENDPOINT/"
    else  # minimal images may lack curl: speak HTTP/1.0 via bash's /dev/tcp
        # shellcheck disable=SC2016  # expanded by the inner bash
        timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
            printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
            head -c 5 <&3 | grep -q "^HTTP/"' "$PORT" 2>/dev/null
    fi
}

# Is $1 a live process running one of our S3 servers?
is_our_server() {
    local pid="$1" cmd
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmd" == *versitygw* || "$cmd" == *moto_server* ]]
}

ensure_bucket() {
    [[ -x "$PYTHON" ]] || die "$PYTHON not found; cannot create bucket $BUCKET"
    S3_EP="$ENDPOINT" S3_AK="$ACCESS_KEY" S3_SK="$SECRET_KEY" S3_BUCKET="$BUCKET" \
    "$PYTHON" - <<'PY'
import os, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

bucket = os.environ["S3_BUCKET"]
s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["S3_EP"],
    aws_access_key_id=os.environ["S3_AK"],
    aws_secret_access_key=os.environ["S3_SK"],
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
)
try:
    s3.head_bucket(Bucket=bucket)
    print(f"s3-start: bucket {bucket} exists", file=sys.stderr)
except ClientError as exc:
    code = str(exc.response.get("Error", {}).get("Code"))
    if code not in ("404", "NoSuchBucket", "NotFound"):
        raise
    try:
        s3.create_bucket(Bucket=bucket)
    except ClientError as exc2:
        if exc2.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise
    print(f"s3-start: created bucket {bucket}", file=sys.stderr)
PY
}

mkdir -p "$CACHE_DIR"

# Serialise concurrent start/stop calls. The server must not inherit fd 9
# (see "9>&-" below), otherwise it would hold the lock forever.
exec 9>"$LOCK_FILE"
flock -w 60 9 || die "timed out waiting for lock $LOCK_FILE"

# --- already running? --------------------------------------------------------
if answers; then
    log "something already answers on $ENDPOINT; not starting another server"
    ensure_bucket
    exit 0
fi

pid=""
if [[ -f "$PID_FILE" ]]; then
    pid="$(tr -d '[:space:]' <"$PID_FILE")"
    if is_our_server "$pid"; then
        running_port="$(tr -d '[:space:]' <"$PORT_FILE" 2>/dev/null || true)"
        if [[ -n "$running_port" && "$running_port" != "$PORT" ]]; then
            die "another S3 test server (pid $pid) is running on port $running_port; run scripts/s3-stop.sh first"
        fi
        log "server pid $pid is running but not answering yet; waiting for it"
    else
        log "removing stale pid file (pid ${pid:-?})"
        rm -f "$PID_FILE" "$PORT_FILE"
        pid=""
    fi
fi

# --- launch --------------------------------------------------------------------
if [[ -z "$pid" ]]; then
    kind=""
    [[ -f "$KIND_FILE" ]] && kind="$(tr -d '[:space:]' <"$KIND_FILE")"
    if [[ -z "$kind" ]] \
        || { [[ "$kind" == "versitygw" ]] && [[ ! -x "$VGW_BIN" ]]; } \
        || { [[ "$kind" == "moto" ]] && [[ ! -x "$MOTO_BIN" ]]; }; then
        log "no S3 server installed yet; running scripts/s3-install.sh"
        "$REPO_ROOT/scripts/s3-install.sh" 9>&-
        kind="$(tr -d '[:space:]' <"$KIND_FILE")"
    fi

    case "$kind" in
        versitygw)
            mkdir -p "$DATA_DIR"
            cmd=("$VGW_BIN" --access "$ACCESS_KEY" --secret "$SECRET_KEY"
                 --port "127.0.0.1:$PORT" posix "$DATA_DIR")
            ;;
        moto)
            cmd=("$MOTO_BIN" -H 127.0.0.1 -p "$PORT")
            ;;
        *)
            die "unknown server kind '$kind' in $KIND_FILE (re-run scripts/s3-install.sh)"
            ;;
    esac

    [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
    printf '%s\n' "$PORT" >"$PORT_FILE"
    {
        printf '=== %s: starting %s on %s\n' "$(date -Is)" "$kind" "$ENDPOINT"
        printf '=== cmd: %s\n' "${cmd[*]//$SECRET_KEY/***}"
    } >"$LOG_FILE"
    log "starting $kind on $ENDPOINT (log: $LOG_FILE)"

    # setsid: own session, so the server survives the caller's terminal/job
    # group going away. The inner bash records its own pid and then execs the
    # server, so the pid file holds the server's real pid.
    (
        cd "$CACHE_DIR"
        # shellcheck disable=SC2016  # expanded by the inner bash
        exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" "${cmd[@]}"
    ) </dev/null >>"$LOG_FILE" 2>&1 9>&- &

    # Wait (briefly) for the pid file to be written.
    for _ in $(seq 1 50); do
        [[ -s "$PID_FILE" ]] && break
        sleep 0.1
    done
    [[ -s "$PID_FILE" ]] || die "server did not write $PID_FILE; see $LOG_FILE"
    pid="$(tr -d '[:space:]' <"$PID_FILE")"
fi

# --- wait until it answers HTTP --------------------------------------------------
deadline=$((SECONDS + START_TIMEOUT))
until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$PID_FILE" "$PORT_FILE"
        log "server (pid $pid) exited during startup; last log lines:"
        tail -n 20 "$LOG_FILE" >&2 || true
        exit 1
    fi
    if (( SECONDS >= deadline )); then
        log "server (pid $pid) did not answer on $ENDPOINT within ${START_TIMEOUT}s; last log lines:"
        tail -n 20 "$LOG_FILE" >&2 || true
        exit 1
    fi
    sleep 0.25
done
log "server (pid $pid) answers on $ENDPOINT"

ensure_bucket
