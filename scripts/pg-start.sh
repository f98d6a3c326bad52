#!/usr/bin/env bash
# Start Debian's PostgreSQL (the Debian way: pg_ctlcluster) and make sure the test role exists.
# Idempotent. Prints nothing on success except what it had to do.
set -euo pipefail
ROLE=${PG_TEST_USER:-records}
PASS=${PG_TEST_PASSWORD:-records}
# A second login role for the tests of the owner/runtime split (tests/org/test_auditlog_roles.py): owns nothing.
APP_ROLE=${PG_TEST_APP_USER:-records_app}
APP_PASS=${PG_TEST_APP_PASSWORD:-records_app}
PORT=${PG_TEST_PORT:-5432}
if ! command -v pg_lsclusters >/dev/null; then
    echo "PostgreSQL is not installed: run make setup" >&2
    exit 1
fi
cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    pg_createcluster -p "$PORT" "$version" main >/dev/null
    cluster="$version main"
fi
read -r version name <<<"$cluster"
status=$(pg_lsclusters -h | awk -v v="$version" -v n="$name" '$1==v && $2==n {print $4}')
if [ "$status" != "online" ]; then
    pg_ctlcluster "$version" "$name" start
fi
port=$(pg_lsclusters -h | awk -v v="$version" -v n="$name" '$1==v && $2==n {print $3}')
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 1
done
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
exists=$(as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$ROLE'\"")
if [ "$exists" != "1" ]; then
    as_postgres "psql -p $port -qc \"CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASS'\""
fi
exists=$(as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$APP_ROLE'\"")
if [ "$exists" != "1" ]; then
    as_postgres "psql -p $port -qc \"CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PASS'\""
fi
dbexists=$(as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='$ROLE'\"")
if [ "$dbexists" != "1" ]; then
    as_postgres "createdb -p $port -O $ROLE $ROLE"
fi
echo "postgres://$ROLE:$PASS@127.0.0.1:$port/$ROLE" > "$(dirname "$0")/../.cache/pg-url"
