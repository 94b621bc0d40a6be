#!/usr/bin/env bash
# Puts an SQLite file (Spin's key-value store; created when absent) in WAL
# mode. Journal mode is kept in the file and Spin sets no PRAGMA of its own,
# so Spin's connection inherits it: one disk sync per commit instead of four,
# about twice the throughput (docs/operations.md, "Key-value store").
# Usage: scripts/sqlite-wal.sh FILE   (while no spin holds the file)
set -euo pipefail
db="${1:?usage: scripts/sqlite-wal.sh FILE}"
mkdir -p "$(dirname "$db")"
if command -v python3 >/dev/null 2>&1 && python3 -c 'import sqlite3' 2>/dev/null; then
    mode="$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("pragma journal_mode=wal").fetchone()[0])' "$db")"
elif command -v sqlite3 >/dev/null 2>&1; then
    mode="$(sqlite3 "$db" 'pragma journal_mode=wal;')"
else
    echo "sqlite-wal.sh: neither python3's sqlite3 nor the sqlite3 CLI found; $db stays in rollback-journal mode" >&2
    exit 0
fi
if [ "$mode" != "wal" ]; then
    echo "sqlite-wal.sh: $db is in $mode mode (is a spin holding it?)" >&2
    exit 1
fi
