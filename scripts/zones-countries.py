#!/usr/bin/env python3
"""Writes shared/zones/src/countries.rs from the tz database's zone.tab
(/usr/share/zoneinfo, Debian's tzdata): each country that has exactly one
zone, with that zone (IL Asia/Jerusalem), so a person's country gives their
time zone where it can. Usage: python3 scripts/zones-countries.py [zoneinfo dir]"""
import collections
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/zoneinfo")
out = pathlib.Path(__file__).resolve().parent.parent / "shared/zones/src/countries.rs"
zones = collections.defaultdict(list)
for line in (root / "zone.tab").read_text().splitlines():
    if line.startswith("#") or not line.strip():
        continue
    code, _coordinates, zone = line.split("\t")[:3]
    zones[code].append(zone)
lines = [f"{code} {found[0]}" for code, found in sorted(zones.items()) if len(found) == 1]
body = "\n".join(lines)
out.write_text(
    "//! Written by `scripts/zones-countries.py` from the tz database's `zone.tab`:\n"
    "//! each country (ISO 3166 code) with exactly one zone, and that zone.\n\n"
    f"/// `<code> <zone>` a line, by code.\n"
    f"pub const SINGLE_ZONE: &str = \"\\\n{body}\";\n"
)
print(f"{out}: {len(lines)} countries")
