#!/usr/bin/env bash
# Start a local single-node Elasticsearch for tests and `make services` (idempotent: if it already
# answers on the port, nothing is done). Runs as the unprivileged user ${ES_RUN_USER:-esrunner}
# (created if missing; Elasticsearch refuses root) on 127.0.0.1:${ES_TEST_PORT:-9250}, security off,
# 512 MB heap, disk watermarks relaxed, data and logs under <base>/node-<port> (see es-paths.sh).
# Prints the URL on stdout; writes it to .cache/es-url for the default port.
set -euo pipefail
# shellcheck source=es-paths.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/es-paths.sh"
URL="http://127.0.0.1:$PORT"
START_TIMEOUT="${ES_START_TIMEOUT:-120}"
log() { printf 'es-start: %s\n' "$*" >&2; }

healthy() { curl -sf --max-time 2 "$URL/_cluster/health" >/dev/null 2>&1; }

if healthy; then
    echo "$URL"
    exit 0
fi
[[ -x "$INSTALLED/bin/elasticsearch" ]] || bash "$REPO_ROOT/scripts/es-install.sh"
if [[ ! -x "$ES_HOME/bin/elasticsearch" ]]; then  # the runner cannot reach the repository: use a copy
    mkdir -p "$ES_BASE"
    rm -rf "$ES_HOME.tmp"
    cp -r "$INSTALLED" "$ES_HOME.tmp"
    mv "$ES_HOME.tmp" "$ES_HOME"
fi

if ! id "$RUN_USER" >/dev/null 2>&1; then
    if [[ "$(id -u)" -eq 0 ]]; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_USER"
    else
        RUN_USER="$(id -un)"  # not root: run as ourselves
    fi
fi

mkdir -p "$NODE_DIR/data" "$NODE_DIR/logs"
# (written again when it names another folder: a checkout moved, or a worktree sharing this cache)
if ! grep -qxF "path.data: $NODE_DIR/data" "$NODE_DIR/config/elasticsearch.yml" 2>/dev/null; then
    rm -rf "$NODE_DIR/config"
    cp -r "$ES_HOME/config" "$NODE_DIR/config"
    cat > "$NODE_DIR/config/elasticsearch.yml" <<YML
cluster.name: records-test-$PORT
node.name: node-$PORT
network.host: 127.0.0.1
http.port: $PORT
transport.port: $((PORT + 100))
discovery.type: single-node
xpack.security.enabled: false
path.data: $NODE_DIR/data
path.logs: $NODE_DIR/logs
cluster.routing.allocation.disk.watermark.low: 97%
cluster.routing.allocation.disk.watermark.high: 98%
cluster.routing.allocation.disk.watermark.flood_stage: 99%
action.destructive_requires_name: false
YML
fi
if [[ "$(id -u)" -eq 0 ]]; then
    chown -R "$RUN_USER" "$NODE_DIR"
    # The distribution only has to be readable by the runner.
    chmod -R o+rX "$ES_HOME"
    chmod o+x "$ES_BASE"
fi

PID_FILE="$NODE_DIR/es.pid"
# One start at a time, held until the node answers (two callers at once would both launch a node on the
# same data folder); the lock's descriptor is not passed on to the node (9>&-).
exec 9>"$NODE_DIR/.start.lock"
flock 9
if curl -sf --max-time 2 "$URL/_cluster/health" >/dev/null 2>&1; then
    :  # already up (started by another caller)
elif [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    log "Elasticsearch (pid $(cat "$PID_FILE")) is starting; waiting for it"
else
    rm -f "$PID_FILE"
    JAVA_HOME_DIR="${ES_JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
    cmd="cd '$NODE_DIR' && ES_JAVA_HOME='$JAVA_HOME_DIR' ES_PATH_CONF='$NODE_DIR/config' \
ES_JAVA_OPTS='-Xms512m -Xmx512m' '$ES_HOME/bin/elasticsearch' -d -p '$PID_FILE'"
    log "starting Elasticsearch $VERSION on $URL as $RUN_USER (logs: $NODE_DIR/logs)"
    if [[ "$RUN_USER" == "$(id -un)" ]]; then
        setsid bash -c "$cmd" </dev/null >/dev/null 9>&-
    else
        # setsid: its own session, so killing a test's process group never takes the node with it
        setsid runuser -u "$RUN_USER" -- bash -c "$cmd" </dev/null >/dev/null 9>&-
    fi
fi

deadline=$((SECONDS + START_TIMEOUT))
until curl -sf --max-time 2 "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then
        log "ERROR: Elasticsearch did not become healthy on $URL within ${START_TIMEOUT}s; last log lines:"
        tail -n 20 "$NODE_DIR/logs/"*.log >&2 2>/dev/null || true
        exit 1
    fi
    sleep 1
done
[[ "$PORT" == "9250" ]] && echo "$URL" > "$REPO_ROOT/.cache/es-url"
echo "$URL"
