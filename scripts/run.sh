#!/usr/bin/env bash
# Builds the components and runs the whole app on http://127.0.0.1:3000 with
# the embedded default store (SQLite in .spin/).
# With the spin CLI installed this is `spin up`. Without it (the spin CLI is
# not on crates.io, so some machines cannot install it) the test host serves
# the same spin.toml, the same .wasm files and the same store layout.
# Extra arguments go to `spin up` (or to the test host: --variable name=value).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/build-wasm.sh
if command -v spin >/dev/null 2>&1; then
    exec spin up --listen 127.0.0.1:3000 "$@"
fi
echo "spin CLI not found: serving with the test host (tests/host) instead." >&2
exec cargo run --quiet -p spin-test-host -- \
    --manifest spin.toml --listen 127.0.0.1:3000 --store sqlite:.spin/sqlite_key_value.db "$@"
