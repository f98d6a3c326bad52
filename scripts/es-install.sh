#!/usr/bin/env bash
# Fetch Elasticsearch's test distribution (server core, no analysis-common) from Maven Central into
# .cache/es and unpack it. Idempotent: does nothing when the version is already unpacked.
# Needs Maven and OpenJDK 17 (installed by scripts/setup-apt.sh).
set -euo pipefail
VERSION="${ES_VERSION:-8.19.7}"
REPO_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
DIR="$REPO_ROOT/.cache/es"
HOME_DIR="$DIR/elasticsearch-$VERSION"
log() { printf 'es-install: %s\n' "$*" >&2; }
if [[ -x "$HOME_DIR/bin/elasticsearch" ]]; then
    exit 0
fi
command -v mvn >/dev/null || { log "ERROR: mvn not found (make setup installs maven)"; exit 1; }
mkdir -p "$DIR"
ZIP="$DIR/elasticsearch-$VERSION.zip"
if [[ ! -s "$ZIP" ]]; then
    log "fetching org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip with Maven"
    mvn -q -B dependency:copy \
        -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip" \
        -DoutputDirectory="$DIR" >&2
fi
rm -rf "$HOME_DIR.tmp"
mkdir -p "$HOME_DIR.tmp"
unzip -q "$ZIP" -d "$HOME_DIR.tmp"
mv "$HOME_DIR.tmp/elasticsearch-$VERSION" "$HOME_DIR"
rmdir "$HOME_DIR.tmp"
log "unpacked Elasticsearch $VERSION into $HOME_DIR"
