#!/usr/bin/env python3
"""Writes shared/zones/src/table.rs from the system's compiled tz database
(/usr/share/zoneinfo, Debian's tzdata): for every zone name, the POSIX TZ
rule its TZif file ends with (what holds after its last listed transition),
and, for a zone whose file lists transitions from 2025 on that the rule
does not say (Morocco's and Gaza's Ramadan changes), those transitions. Usage: python3 scripts/zones-table.py [zoneinfo dir]"""
import os
import pathlib
import struct
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/zoneinfo")
out = pathlib.Path(__file__).resolve().parent.parent / "shared/zones/src/table.rs"
SINCE = 1735689600  # 2025-01-01T00:00:00Z

version = "unknown"
zi = root / "tzdata.zi"
if zi.exists():
    first = zi.read_text().splitlines()[0]
    if first.startswith("# version "):
        version = first.split()[-1]


def parse(path):
    data = path.read_bytes()
    if data[:4] != b"TZif":
        return None
    def counts(at):
        return struct.unpack(">6l", data[at + 20 : at + 44])
    isut, isstd, leap, timecnt, typecnt, charcnt = counts(0)
    v1 = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut
    if data[4] == 0:  # version 1: no footer
        return None
    isut, isstd, leap, timecnt, typecnt, charcnt = counts(v1)
    at = v1 + 44
    times = struct.unpack(f">{timecnt}q", data[at : at + 8 * timecnt])
    at += 8 * timecnt
    idx = data[at : at + timecnt]
    at += timecnt
    types = [struct.unpack(">lBB", data[at + 6 * i : at + 6 * i + 6]) for i in range(typecnt)]
    at += 6 * typecnt + charcnt + leap * 12 + isstd + isut
    footer = data[at:].decode().strip("\n")
    transitions = []
    for t, i in zip(times, idx):
        # zic writes a last transition to the same offset (fat files):
        # not a change.
        if not transitions or transitions[-1][1] != types[i][0]:
            transitions.append((t, types[i][0]))
    return footer, transitions


def hms(text, at):
    """[+-]hh[:mm[:ss]] at text[at:] -> (seconds, next index)."""
    sign = 1
    if text[at] in "+-":
        sign = -1 if text[at] == "-" else 1
        at += 1
    parts = []
    while True:
        start = at
        while at < len(text) and text[at].isdigit():
            at += 1
        parts.append(int(text[start:at]))
        if at < len(text) and text[at] == ":" and len(parts) < 3:
            at += 1
            continue
        break
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]), at


def skip_name(text, at):
    if text[at] == "<":
        return text.index(">", at) + 1
    while at < len(text) and text[at].isalpha():
        at += 1
    return at


def rule_offset(footer, utc):
    """The UTC offset the POSIX rule gives at utc (as shared/zones does)."""
    import datetime
    at = skip_name(footer, 0)
    std, at = hms(footer, at)
    std = -std
    if at == len(footer):
        return std
    at = skip_name(footer, at)
    dst = std + 3600
    if footer[at] != ",":
        dst, at = hms(footer, at)
        dst = -dst
    start_s, end_s = footer[at + 1 :].split(",")
    def local(spec, year):
        day, _, time = spec.partition("/")
        secs = hms(time, 0)[0] if time else 7200
        jan1 = datetime.date(year, 1, 1)
        if day.startswith("M"):
            m, w, d = map(int, day[1:].split("."))
            first = datetime.date(year, m, 1)
            shift = (d - (first.isoweekday() % 7)) % 7
            date = first + datetime.timedelta(days=shift + 7 * (w - 1))
            while date.month != m:
                date -= datetime.timedelta(days=7)
        elif day.startswith("J"):
            n = int(day[1:])
            date = jan1 + datetime.timedelta(days=n - 1)
            leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            if leap and n >= 60:
                date += datetime.timedelta(days=1)
        else:
            date = jan1 + datetime.timedelta(days=int(day))
        epoch = datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.timezone.utc).timestamp()
        return int(epoch) + secs
    year = datetime.datetime.fromtimestamp(utc + std, datetime.timezone.utc).year
    start = local(start_s, year) - std
    end = local(end_s, year) - dst
    in_dst = start <= utc < end if start < end else not (end <= utc < start)
    return dst if in_dst else std


rows = []
for dirpath, dirnames, filenames in os.walk(root):
    rel = pathlib.Path(dirpath).relative_to(root)
    if rel.parts and rel.parts[0] in ("posix", "right"):
        continue
    for name in filenames:
        full = pathlib.Path(dirpath) / name
        zone = str(rel / name) if rel.parts else name
        if zone in ("localtime", "posixrules", "Factory") or "." in name:
            continue
        parsed = parse(full)
        if parsed is None:
            continue
        footer, transitions = parsed
        later = [(t, off) for t, off in transitions if t >= SINCE]
        before = [off for t, off in transitions if t < SINCE]
        # The rule says these already: only what it does not is listed,
        # from the offset in force on 2025-01-01.
        said = all(rule_offset(footer, t) == off and rule_offset(footer, t - 1) != off for t, off in later)
        if before and rule_offset(footer, SINCE) != before[-1]:
            said = False
        if not said and before:
            later.insert(0, (SINCE, before[-1]))
        rows.append((zone, footer, [] if said else later))
rows.sort()

lines = [
    "//! Generated by scripts/zones-table.py from the tz database "
    f"{version} (Debian's tzdata): do not edit.",
    "",
    "/// The tz database release this table was made from.",
    f'pub const VERSION: &str = "{version}";',
    "",
    "/// Every zone name and its POSIX TZ rule, one line each (`name rule`),",
    "/// sorted by name: one string rather than a table of slices, which would",
    "/// take as much again in pointers.",
    "pub const ZONES: &str = \"\\",
]
for zone, footer, later in rows:
    lines.append(f"{zone} {footer}\\n\\")
lines.append('";')
lines += [
    "",
    "/// The transitions from 2025 on of the zones whose rule alone does not say",
    "/// them (unix seconds, the UTC offset from then on), from the offset in",
    "/// force on 2025-01-01.",
    "pub const LISTED: &[(&str, &[(i64, i32)])] = &[",
]
for zone, footer, later in rows:
    if later:
        trans = ", ".join(f"({t}, {off})" for t, off in later)
        lines.append(f'    ("{zone}", &[{trans}]),')
lines.append("];")
out.write_text("\n".join(lines) + "\n")
print(f"{out}: {len(rows)} zones, tz {version}")
