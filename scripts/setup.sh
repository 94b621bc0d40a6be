#!/usr/bin/env bash
# Makes this machine able to build the wasm components and run the tests.
# Idempotent: a second run only checks and takes seconds.
#
# Tries `rustup target add wasm32-wasip2` with a short timeout; where rustup's
# servers are out of reach it falls back to the offline Debian route (Debian's
# rustc-web and std sources, wasi-libc, lld-22, and wasm-component-ld from
# crates.io). SPIN_RETENTION_WASM_ROUTE=offline forces the fallback.
# Also installs redis-server, which the end-to-end tests start for
# E2E_STORE=redis (each app under test gets its own), and Debian's chromium
# and chromium-driver, which the dashboard's browser test drives, and the
# Python packages of the SpinKube manifest validation (.toolchain/venv).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
mkdir -p "$TOOLS_DIR"

# Pinned together: nothing else ties rustc-web to the std sources it builds.
DEBIAN_RUST_VERSION="1.96.0+dfsg1-1~deb12u2"
WASM_COMPONENT_LD_VERSION="0.5.31"

log() { echo "[setup] $*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_native_cargo() {
    if command -v cargo >/dev/null 2>&1; then return; fi
    log "no cargo found; installing rustup's stable toolchain"
    curl --proto '=https' --tlsv1.2 -sSf --max-time 120 https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
    # shellcheck disable=SC1091
    source "$HOME/.cargo/env"
}

try_rustup_route() {
    [ "${SPIN_RETENTION_WASM_ROUTE:-}" = offline ] && return 1
    command -v rustup >/dev/null 2>&1 || return 1
    if rustup_has_wasm_std; then return 0; fi
    log "rustup target add $WASM_TARGET (60 s limit)"
    timeout 60 rustup target add "$WASM_TARGET" >/dev/null 2>&1 || true
    rustup_has_wasm_std
}

setup_offline_route() {
    log "offline route: Debian rustc-web $DEBIAN_RUST_VERSION, wasi-libc, lld-22"
    local pkgs=("rustc-web=$DEBIAN_RUST_VERSION" "rust-web-src=$DEBIAN_RUST_VERSION"
                "cargo-web=$DEBIAN_RUST_VERSION" wasi-libc lld-22)
    if ! dpkg-query -W -f='${Status} ${Version}\n' rustc-web rust-web-src 2>/dev/null \
            | grep -c "install ok installed $DEBIAN_RUST_VERSION" | grep -qx 2 \
        || ! dpkg-query -W wasi-libc lld-22 >/dev/null 2>&1; then
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
    fi
    local wcl="$TOOLS_DIR/bin/wasm-component-ld"
    if ! [ -x "$wcl" ] || ! "$wcl" --version 2>/dev/null | grep -q "$WASM_COMPONENT_LD_VERSION"; then
        log "building wasm-component-ld $WASM_COMPONENT_LD_VERSION (about 10 minutes on 2 cores)"
        cargo install --locked --quiet --root "$TOOLS_DIR" wasm-component-ld --version "$WASM_COMPONENT_LD_VERSION"
    fi
}

# apt-get install, with apt-get update only when the package lists lack it.
apt_install() {
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
}

ensure_redis_server() {
    if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then return; fi
    log "installing redis-server (for the end-to-end tests on Redis)"
    apt_install redis-server
}

ensure_browser() {
    if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
    log "installing chromium and chromium-driver (for the dashboard's browser tests)"
    apt_install chromium chromium-driver
}

# The manifest validation's Python packages (scripts/validate-spinkube.py), pinned in
# scripts/requirements-validate.txt, in a venv of their own; reinstalled only when that
# file changes.
ensure_validation_venv() {
    local venv="$TOOLS_DIR/venv" reqs="$REPO_ROOT/scripts/requirements-validate.txt"
    local stamp="$TOOLS_DIR/venv/requirements.sha256" want
    want="$(sha256sum "$reqs" | cut -d' ' -f1)"
    if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return; fi
    log "installing the manifest validation's Python packages into .toolchain/venv"
    if ! /usr/bin/python3 -m venv --clear "$venv" >/dev/null 2>&1; then
        apt_install python3-venv
        /usr/bin/python3 -m venv --clear "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$reqs"
    "$venv/bin/pip" check --disable-pip-version-check >/dev/null
    echo "$want" > "$stamp"
}

ensure_native_cargo
ensure_redis_server
ensure_browser
ensure_validation_venv
if try_rustup_route; then
    echo rustup > "$WASM_ROUTE_FILE"
else
    setup_offline_route
    echo offline > "$WASM_ROUTE_FILE"
fi
log "wasm toolchain: $(cat "$WASM_ROUTE_FILE") route, target $WASM_TARGET"
