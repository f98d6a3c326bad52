#!/usr/bin/env bash
# Run the suite on SQLite and on PostgreSQL; the S3 server, PostgreSQL and Elasticsearch are started
# (make services). Extra arguments go to pytest.
#
# The two runs go side by side (the machine has two cores and much of a run waits on servers, Tesseract
# and subprocesses): each keeps its own temporary folders, database, index prefixes and S3 keys, so they
# do not meet. The PostgreSQL run prints as it goes; the SQLite run's output follows when both are done.
# TEST_SERIAL=1 runs them one after the other.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/s3-env.sh | sed 's/^export AWS_/export S3_TEST_AWS_/')"
export PG_TEST_URL
PG_TEST_URL=$(cat .cache/pg-url)
# The real Elasticsearch started by scripts/es-start.sh (make services); ES tests fail without it.
export ES_TEST_URL
ES_TEST_URL=$(bash scripts/es-start.sh)
mkdir -p var/test-runs
sqlite_run() { env -u DATABASE_URL .venv/bin/python -m pytest -q --durations=30 --basetemp=var/test-runs/sqlite "$@"; }
pg_run() { DATABASE_URL="$PG_TEST_URL" .venv/bin/python -m pytest -q --durations=30 --basetemp=var/test-runs/postgresql "$@"; }
if [ "${TEST_SERIAL:-}" = 1 ]; then
  echo "== tests on SQLite (embedded default) =="
  sqlite_run "$@"
  echo "== tests on PostgreSQL =="
  pg_run "$@"
  exit 0
fi
log=var/test-runs/sqlite.log
started=$SECONDS
sqlite_run "$@" > "$log" 2>&1 &
sqlite_pid=$!
trap 'kill $sqlite_pid 2>/dev/null || true' EXIT
echo "== tests on PostgreSQL (the SQLite run goes alongside; its output follows) =="
pg_status=0
pg_run "$@" || pg_status=$?
sqlite_status=0
wait $sqlite_pid || sqlite_status=$?
trap - EXIT
echo "== tests on SQLite (embedded default) =="
cat "$log"
echo "== both runs took $((SECONDS - started)) s: PostgreSQL exit $pg_status, SQLite exit $sqlite_status =="
[ "$pg_status" = 0 ] && [ "$sqlite_status" = 0 ]
