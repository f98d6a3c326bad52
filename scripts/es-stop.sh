#!/usr/bin/env bash
# Stop the Elasticsearch node started by scripts/es-start.sh on ${ES_TEST_PORT:-9250} (idempotent).
set -euo pipefail
# shellcheck source=es-paths.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/es-paths.sh"
PID_FILE="$NODE_DIR/es.pid"
[[ -f "$PID_FILE" ]] || exit 0
pid="$(cat "$PID_FILE")"
if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
fi
rm -f "$PID_FILE"
