#!/usr/bin/env bash
# Stop the local S3 test server started by scripts/s3-start.sh (idempotent).
# Uses the pid file <repo>/.cache/s3.pid; only kills the process if it still
# is a versitygw / moto_server process.
set -euo pipefail

REPO_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE_DIR="$REPO_ROOT/.cache"
PID_FILE="$CACHE_DIR/s3.pid"
PORT_FILE="$CACHE_DIR/s3.port"
LOCK_FILE="$CACHE_DIR/s3.lock"
PORT="${S3_TEST_PORT:-7070}"
STOP_TIMEOUT=10

log() { printf 's3-stop: %s\n' "$*" >&2; }

is_our_server() {
    local pid="$1" cmd
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmd" == *versitygw* || "$cmd" == *moto_server* ]]
}

if [[ ! -f "$PID_FILE" ]]; then
    log "not running (no $PID_FILE)"
    if command -v curl >/dev/null 2>&1 \
            && curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
        log "warning: something still answers on 127.0.0.1:$PORT but was not started by s3-start.sh"
    fi
    exit 0
fi

mkdir -p "$CACHE_DIR"
exec 9>"$LOCK_FILE"
flock -w 60 9 || { log "ERROR: timed out waiting for lock $LOCK_FILE"; exit 1; }

pid="$(tr -d '[:space:]' <"$PID_FILE" 2>/dev/null || true)"
if ! is_our_server "$pid"; then
    log "not running (stale pid ${pid:-?}); removing $PID_FILE"
    rm -f "$PID_FILE" "$PORT_FILE"
    exit 0
fi

log "stopping server pid $pid"
kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + STOP_TIMEOUT))
while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS >= deadline )); then
        log "pid $pid did not exit after ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
        break
    fi
    sleep 0.1
done
rm -f "$PID_FILE" "$PORT_FILE"
log "stopped"
