#!/usr/bin/env bash
# Runs every test: builds the wasm components (release), runs the native unit
# tests of shared/ and the interface and manifest checks of the built
# components, validates the SpinKube manifests (deploy/spinkube/), then the
# end-to-end tests against the built components under the real `spin up`, on
# Spin's default SQLite store (E2E_STORE=sqlite; with Spin 4.0.2 also in WAL
# mode, E2E_STORE=sqlite-wal, as scripts/run.sh runs it) and on Redis (E2E_STORE=redis,
# a redis-server per app, started by the tests): first with the spin CLI
# SPIN_BIN, else `spin` on PATH, else ../shared/spin/bin/spin (Spin 4.0.2), then
# with Spin 3.6.3, the runtime inside SpinKube's shim, where
# ../shared/spin-3.6.3/bin/spin exists (it says so when it does not).
# With E2E_BASE_URL set, the end-to-end tests run once, against that running
# app instead (build and start it yourself, e.g. `spin up`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

echo "=== wasm components (release)"
bash scripts/build-wasm.sh
bash scripts/sizes.sh

# One build of every native test binary. Every cargo call below selects
# targets of this same build (the same packages, so the same features):
# nothing is compiled twice.
packages=(-p spin-retention-core -p spin-retention-lead-intake -p spin-retention-instant-ack
    -p spin-retention-lead-scoring -p spin-retention-survey -p spin-retention-audience-export -p spin-retention-lead-alerts -p spin-retention-customers -p spin-retention-dashboard -p spin-retention-journeys
    -p spin-retention-facts -p spin-retention-messaging -p spin-retention-scores
    -p spin-retention-e2e)
echo "=== build the native tests"
cargo test --locked "${packages[@]}" --no-run

# The unit tests of the crates in shared/ and the checks of the built components that start
# no app (their interface, the single-component manifests). They run again
# in each end-to-end pass below, where they take milliseconds.
static_tests=()
for t in tests/e2e/tests/interface.rs tests/e2e/tests/manifests.rs tests/e2e/tests/routes.rs tests/e2e/tests/keys.rs tests/e2e/tests/layers.rs; do
    [ -e "$t" ] && static_tests+=(--test "$(basename "$t" .rs)")
done
# Every pass runs even if an earlier one failed; the script fails at the end.
failed=()
echo "=== unit and interface tests"
cargo test --locked "${packages[@]}" --no-fail-fast --lib --bins "${static_tests[@]}" ||
    failed+=("unit and interface tests")
echo "=== SpinKube manifests: deploy/spinkube/ against their schemas (scripts/validate-spinkube.py)"
.toolchain/venv/bin/python scripts/validate-spinkube.py || failed+=("SpinKube manifests")

# The end-to-end tests under each store.
startups=target/e2e-scratch/spin-startups.log
e2e_pass() {
    local name="$1" start=$SECONDS
    mkdir -p target/e2e-scratch
    : > "$startups"
    echo "=== end-to-end tests: $name"
    cargo test --locked -p spin-retention-e2e --no-fail-fast || failed+=("end-to-end tests, $name")
    echo "=== end-to-end tests: $name: $((SECONDS - start)) s"
    if [ -s "$startups" ]; then
        sort -n -k2 "$startups" | awk '{ms[NR] = $2; sum += $2}
            END {printf "spin up started %d apps: mean %d ms, median %d ms, max %d ms\n",
                 NR, sum / NR, ms[int((NR + 1) / 2)], ms[NR]}'
    fi
}
if [ -n "${E2E_BASE_URL:-}" ]; then
    e2e_pass "against $E2E_BASE_URL"
else
    # First the spin CLI the harness picks (SPIN_BIN, else spin on PATH, else
    # ../shared/spin/bin/spin: 4.0.2), then Spin 3.6.3, the runtime inside
    # SpinKube's shim (containerd-shim-spin v0.24.0), where that binary exists.
    spin_label() { "$1" --version 2>/dev/null | head -n 1 || echo "$1"; }
    default_spin="${SPIN_BIN:-$(command -v spin || echo ../shared/spin/bin/spin)}"
    default_label="$(spin_label "$default_spin")"
    E2E_STORE=sqlite e2e_pass "$default_label, SQLite store (E2E_STORE=sqlite)"
    E2E_STORE=sqlite-wal e2e_pass "$default_label, SQLite store in WAL mode, as scripts/run.sh runs it (E2E_STORE=sqlite-wal)"
    E2E_STORE=redis e2e_pass "$default_label, Redis store (E2E_STORE=redis)"
    spin363="$(cd .. && pwd)/shared/spin-3.6.3/bin/spin"
    if [ -x "$spin363" ]; then
        label363="$(spin_label "$spin363"), SpinKube's shim"
        SPIN_BIN="$spin363" E2E_STORE=sqlite e2e_pass "$label363, SQLite store (E2E_STORE=sqlite)"
        SPIN_BIN="$spin363" E2E_STORE=redis e2e_pass "$label363, Redis store (E2E_STORE=redis)"
    else
        echo "=== end-to-end tests under Spin 3.6.3 (SpinKube's shim): SKIPPED, no $spin363" \
            "(see ../shared/spin-3.6.3/README.md); only $default_label was tested"
    fi
fi
if [ ${#failed[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
