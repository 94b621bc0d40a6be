#!/usr/bin/env bash
# Runs every test: builds the wasm components (release), runs the native unit
# tests of shared/ and the test host, then the end-to-end tests against the
# built components.
# With E2E_BASE_URL set, the end-to-end tests target that running app instead
# of starting the test host (build and start it yourself, e.g. `spin up`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

echo "=== wasm components (release)"
bash scripts/build-wasm.sh
bash scripts/sizes.sh

# One cargo invocation, so dependencies are built once with one feature set:
# native unit tests of shared/ and the test host, the components' interface
# check, and the end-to-end tests over HTTP.
echo "=== unit, interface and end-to-end tests"
cargo test --locked -p spin-retention-shared -p spin-test-host -p spin-retention-e2e
