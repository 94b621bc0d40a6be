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

# The secrets a local run needs (components hand work to each other with
# the admin token; the dashboard signs sessions, intake consent links,
# journeys unsubscribe links),
# made once for this machine unless given as --variable or SPIN_VARIABLE_*.
secrets=.spin/local-secrets
mkdir -p .spin
(umask 077
 touch "$secrets"
 for name in admin_token dashboard_session_secret consent_link_secret journeys_link_secret; do
     grep -q "^$name=" "$secrets" || echo "$name=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >> "$secrets"
 done)
made=()
while IFS='=' read -r name value; do
    env_name="SPIN_VARIABLE_$(echo "$name" | tr '[:lower:]' '[:upper:]')"
    given=false
    for arg in "$@"; do [[ "$arg" == "$name="* ]] && given=true; done
    if [ "$given" = false ] && [ -z "${!env_name:-}" ]; then
        export "$env_name=$value"
        made+=("$name")
    fi
done < "$secrets"
[ ${#made[@]} -gt 0 ] && echo "run.sh: ${made[*]} from $secrets (made for this machine; give your own with --variable)"
# The embedded store in WAL mode (once; the file keeps it), unless the
# arguments move the store elsewhere or run another app.
case " $* " in
    *" --runtime-config-file"* | *" --state-dir"* | *" -f "* | *" --from"*) ;;
    *) bash scripts/sqlite-wal.sh .spin/sqlite_key_value.db ;;
esac
exec "$spin" up --listen 127.0.0.1:3000 "$@"
