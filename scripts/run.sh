#!/usr/bin/env bash
# Builds the components and runs the whole app with `spin up` on
# http://127.0.0.1:3000, with the embedded default store (SQLite in .spin/).
# The spin CLI (tested: Spin 3.6.3, SpinKube's shim, and 4.0.2): `spin` on PATH,
# else ../shared/spin/bin/spin beside the repository. Extra arguments go to `spin up`
# (e.g. --variable name=value, --runtime-config-file FILE).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if command -v spin >/dev/null 2>&1; then
    spin=spin
elif [ -x ../shared/spin/bin/spin ]; then
    spin=../shared/spin/bin/spin
else
    echo "spin CLI not found: install it (tested: 3.6.3 and 4.0.2) from https://spinframework.dev/install" >&2
    echo "and put it on PATH, or at ../shared/spin/bin/spin beside this repository." >&2
    exit 1
fi
bash scripts/build-wasm.sh
exec "$spin" up --listen 127.0.0.1:3000 "$@"
