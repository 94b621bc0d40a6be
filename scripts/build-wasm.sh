#!/usr/bin/env bash
# Builds the Spin components (all of them, or those named) for wasm32-wasip2 in
# release; the .wasm files land where spin.toml's `source` fields point.
# Usage: scripts/build-wasm.sh [lead-intake|instant-ack|lead-scoring|survey|audience-export|lead-alerts|customers|dashboard|journeys]...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$REPO_ROOT"
[ -f "$WASM_ROUTE_FILE" ] || bash scripts/setup.sh
wasm_cargo_env

components=("$@")
if [ ${#components[@]} -eq 0 ]; then
    components=(lead-intake instant-ack lead-scoring survey audience-export lead-alerts customers dashboard journeys)
fi
packages=()
for c in "${components[@]}"; do packages+=(-p "$c"); done
"${WASM_CARGO[@]}" build --release --target "$WASM_TARGET" "${WASM_CARGO_FLAGS[@]}" "${packages[@]}"
