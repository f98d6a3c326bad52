#!/usr/bin/env bash
# Install a local S3-compatible server for tests (idempotent).
#
# Preferred: versitygw (Go) built with `go install` into <repo>/.cache/bin.
# Fallback:  moto[server] pip-installed into <repo>/.venv.
#
# Records what was installed in <repo>/.cache/s3-kind ("versitygw" or "moto").
# Re-running does nothing when the recorded server is already installed.
#
# Environment:
#   S3_INSTALL_RETRY_VERSITYGW=1  when moto was installed as a fallback earlier,
#                                 try `go install` for versitygw again.
set -euo pipefail

VERSITYGW_VERSION="v1.8.0"
VERSITYGW_PKG="github.com/versity/versitygw/cmd/versitygw"

REPO_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE_DIR="$REPO_ROOT/.cache"
BIN_DIR="$CACHE_DIR/bin"
VGW_BIN="$BIN_DIR/versitygw"
VGW_STAMP="$CACHE_DIR/versitygw.version"
KIND_FILE="$CACHE_DIR/s3-kind"
VENV_BIN="$REPO_ROOT/.venv/bin"

log() { printf 's3-install: %s\n' "$*" >&2; }

mkdir -p "$BIN_DIR"

current_kind=""
[[ -f "$KIND_FILE" ]] && current_kind="$(tr -d '[:space:]' <"$KIND_FILE")"

# --- already installed? ----------------------------------------------------
if [[ -x "$VGW_BIN" && -f "$VGW_STAMP" ]] \
    && [[ "$(tr -d '[:space:]' <"$VGW_STAMP")" == "$VERSITYGW_VERSION" ]]; then
    [[ "$current_kind" == "versitygw" ]] || printf 'versitygw\n' >"$KIND_FILE"
    log "versitygw $VERSITYGW_VERSION already installed at $VGW_BIN"
    exit 0
fi

if [[ "$current_kind" == "moto" && -x "$VENV_BIN/moto_server" \
        && "${S3_INSTALL_RETRY_VERSITYGW:-0}" != "1" ]]; then
    log "moto (fallback) already installed at $VENV_BIN/moto_server"
    log "(set S3_INSTALL_RETRY_VERSITYGW=1 to try installing versitygw again)"
    exit 0
fi

# --- try versitygw via go install -----------------------------------------
install_versitygw() {
    local go_cmd
    if command -v go >/dev/null 2>&1; then
        go_cmd="$(command -v go)"
    elif [[ -x /usr/local/go/bin/go ]]; then
        go_cmd=/usr/local/go/bin/go
    else
        log "go toolchain not found in PATH or /usr/local/go/bin"
        return 1
    fi

    log "installing versitygw $VERSITYGW_VERSION with $("$go_cmd" version) ..."
    rm -f "$VGW_STAMP"
    # -X main.Version makes `versitygw --version` report the real tag (a plain
    # `go install` leaves it at "git").
    if ! GOBIN="$BIN_DIR" "$go_cmd" install \
            -ldflags "-X=main.Version=$VERSITYGW_VERSION" \
            "$VERSITYGW_PKG@$VERSITYGW_VERSION"; then
        log "go install $VERSITYGW_PKG@$VERSITYGW_VERSION failed"
        return 1
    fi
    if [[ ! -x "$VGW_BIN" ]] || ! "$VGW_BIN" --version >/dev/null 2>&1; then
        log "go install reported success but $VGW_BIN is missing or does not run"
        return 1
    fi
    printf '%s\n' "$VERSITYGW_VERSION" >"$VGW_STAMP"
    printf 'versitygw\n' >"$KIND_FILE"
    log "installed versitygw $VERSITYGW_VERSION at $VGW_BIN"
}

install_moto() {
    if [[ ! -x "$VENV_BIN/pip" ]]; then
        log "cannot fall back to moto: $VENV_BIN/pip not found (create the .venv first)"
        return 1
    fi
    log "falling back to moto[server] in $REPO_ROOT/.venv ..."
    if ! "$VENV_BIN/pip" install "moto[server]"; then
        log "pip install moto[server] failed"
        return 1
    fi
    if [[ ! -x "$VENV_BIN/moto_server" ]]; then
        log "pip install succeeded but $VENV_BIN/moto_server is missing"
        return 1
    fi
    printf 'moto\n' >"$KIND_FILE"
    log "installed moto server at $VENV_BIN/moto_server"
}

if install_versitygw; then
    exit 0
fi
if install_moto; then
    exit 0
fi

rm -f "$KIND_FILE"
log "ERROR: could not install an S3 test server:"
log "  - 'go install $VERSITYGW_PKG@$VERSITYGW_VERSION' failed (needs Go and the Go module proxy)"
log "  - '$VENV_BIN/pip install \"moto[server]\"' failed (needs the project .venv and PyPI)"
exit 1
