# Sourced by the build scripts: selects the wasm toolchain that setup.sh
# prepared and exports what cargo needs for it.
#   rustup route:  rustup's wasm32-wasip2 target (a user's machine with internet)
#   offline route: Debian's rustc-web + rust-web-src, std built with build-std,
#                  linked by wasm-component-ld over Debian's wasi-libc and wasm-ld
#                  (see ../shared/TOOLCHAIN.md)
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.toolchain"
WASM_TARGET=wasm32-wasip2
WASM_ROUTE_FILE="$TOOLS_DIR/route"

# rustup's proxies would otherwise pick a toolchain without the wasm std.
rustup_has_wasm_std() {
    command -v rustup >/dev/null 2>&1 || return 1
    local libdir
    libdir="$(rustc --print target-libdir --target "$WASM_TARGET" 2>/dev/null)" || return 1
    compgen -G "$libdir/libstd-*.rlib" >/dev/null
}

# Prints the cargo command line prefix for building the wasm components.
wasm_cargo_env() {
    local route
    route="$(cat "$WASM_ROUTE_FILE" 2>/dev/null || echo none)"
    case "$route" in
        rustup)
            WASM_CARGO=(cargo)
            WASM_CARGO_FLAGS=()
            ;;
        offline)
            export RUSTC=/usr/bin/rustc
            export RUSTC_BOOTSTRAP=1
            export CARGO_TARGET_WASM32_WASIP2_LINKER="$TOOLS_DIR/bin/wasm-component-ld"
            export CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS="-C link-self-contained=no -L native=/usr/lib/wasm32-wasi -C link-arg=--wasm-ld-path=/usr/lib/llvm-22/bin/wasm-ld"
            WASM_CARGO=(/usr/bin/cargo)
            WASM_CARGO_FLAGS=(-Z build-std=std,panic_abort)
            ;;
        *)
            echo "No wasm toolchain prepared: run scripts/setup.sh first." >&2
            return 1
            ;;
    esac
}
