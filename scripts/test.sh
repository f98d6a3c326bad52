#!/usr/bin/env bash
# Run the suite on SQLite, then on PostgreSQL; the S3 server, PostgreSQL and Elasticsearch are started
# (make services). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/s3-env.sh | sed 's/^export AWS_/export S3_TEST_AWS_/')"
export PG_TEST_URL
PG_TEST_URL=$(cat .cache/pg-url)
# The real Elasticsearch started by scripts/es-start.sh (make services); ES tests fail without it.
export ES_TEST_URL
ES_TEST_URL=$(bash scripts/es-start.sh)
echo "== tests on SQLite (embedded default) =="
env -u DATABASE_URL .venv/bin/python -m pytest -q "$@"
echo "== tests on PostgreSQL =="
DATABASE_URL="$PG_TEST_URL" .venv/bin/python -m pytest -q "$@"
