#!/usr/bin/env bash
# Prints the size of each built release component.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for wasm in target/wasm32-wasip2/release/{lead_intake,instant_ack,lead_scoring,survey,audience_export,lead_alerts,customers,dashboard,journeys}.wasm; do
    printf '%-50s %7d KiB\n' "$wasm" $(( $(stat -c %s "$wasm") / 1024 ))
done
