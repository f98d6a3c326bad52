# Sourced by scripts/es-start.sh and es-stop.sh: where the Elasticsearch distribution and node folders are.
# Elasticsearch runs as an unprivileged user, who must be able to reach them: under .cache/es when every
# folder above the repository is open to others, else under /var/tmp/records-es-<hash of the repo path>.
VERSION="${ES_VERSION:-8.19.7}"
PORT="${ES_TEST_PORT:-9250}"
RUN_USER="${ES_RUN_USER:-esrunner}"
REPO_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
INSTALLED="$REPO_ROOT/.cache/es/elasticsearch-$VERSION"

reachable_by_others() {
    local dir="$1"
    while [[ "$dir" != "/" ]]; do
        [[ -d "$dir" ]] && [[ "$(stat -c %A "$dir" | cut -c10)" =~ [xt] ]] || return 1
        dir="$(dirname "$dir")"
    done
}

if [[ "$(id -u)" -ne 0 ]] || reachable_by_others "$REPO_ROOT"; then
    ES_BASE="$REPO_ROOT/.cache/es"
else
    ES_BASE="/var/tmp/records-es-$(printf '%s' "$REPO_ROOT" | md5sum | cut -c1-10)"
fi
ES_HOME="$ES_BASE/elasticsearch-$VERSION"
NODE_DIR="${ES_NODE_DIR:-$ES_BASE/node-$PORT}"
