#!/usr/bin/env python3
"""The event schema, docs/events.md, against what tcpfsm emits.

Runs `tcpfsm --format json --snapshot` over every capture under pcaps/ and
fails, naming the field, the event type and a capture that shows it, when
an emitted field (at any depth of nested objects) has no row in that event
type's table on the page. A page that lags the code is how readers get
misled, and nobody reads a schema to check it; this test does.

The page's format, which this test reads: a section per event type headed
"## `TYPE`", and in it a table whose rows start with "| `FIELD` |". A
nested field is written with dots (`skipped.not_tcp`); a family of keys
(every skip reason, every state name) as `*` (`skipped.*`, `states.*.*`).
"""
import collections
import json
import os
import pathlib
import re
import subprocess
import sys


def documented(page):
    """{event type: set of field paths} from the page's tables."""
    fields, current = collections.defaultdict(set), None
    for line in page.read_text().splitlines():
        m = re.match(r"^## `([a-z_]+)`\s*$", line)
        if m:
            current = m.group(1)
            continue
        if line.startswith("## "):
            current = None
            continue
        m = re.match(r"^\|\s*`([A-Za-z0-9_.*]+)`\s*\|", line)
        if m and current:
            fields[current].add(m.group(1))
    return fields


def paths(obj, prefix=""):
    """Every key path of a JSON object, nested objects' keys included."""
    for k, v in obj.items():
        p = prefix + k
        yield p
        if isinstance(v, dict):
            yield from paths(v, p + ".")


def covered(path, docs):
    parts = path.split(".")
    for d in docs:
        dp = d.split(".")
        if len(dp) == len(parts) and all(a == "*" or a == b
                                         for a, b in zip(dp, parts)):
            return True
    return False


def main():
    tcpfsm, pcaps = sys.argv[1], pathlib.Path(sys.argv[2])
    page = pathlib.Path(sys.argv[3])
    docs = documented(page)
    missing = {}  # (type, path) -> (capture, value)
    types, events = set(), 0
    captures = sorted(p for p in pcaps.rglob("*")
                      if re.search(r"\.pcap(ng)?$", p.name))
    for pcap in captures:
        r = subprocess.run([tcpfsm, "-r", str(pcap), "--format", "json",
                            "--snapshot"], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "TZ": "UTC"})
        if r.returncode != 0:
            print(f"FAIL {pcap}: tcpfsm exited {r.returncode}: "
                  f"{r.stderr.strip()}")
            return 1
        for line in r.stdout.splitlines():
            ev = json.loads(line)
            events += 1
            t = ev.get("type", "?")
            types.add(t)
            if t not in docs:
                missing.setdefault((t, "(the event type)"), (pcap, ""))
                continue
            for path in paths(ev):
                if not covered(path, docs[t]) and (t, path) not in missing:
                    value = ev
                    for k in path.split("."):
                        value = value[k]
                    missing[(t, path)] = (pcap, json.dumps(value)[:60])
    print(f"{len(captures)} captures, {events} events, types: "
          f"{', '.join(sorted(types))}")
    name = os.path.relpath(page, pcaps.parent)
    for (t, path), (pcap, value) in sorted(missing.items()):
        where = os.path.relpath(pcap, pcaps.parent)
        if path == "(the event type)":
            print(f"FAIL {name} has no section \"## `{t}`\" for the "
                  f"event type {t!r} (emitted on {where})")
        else:
            print(f"FAIL {name} does not document the field `{path}` "
                  f"of `{t}` events (emitted on {where}, e.g. {value}): add "
                  f"a row \"| `{path}` | type | meaning |\" to the table "
                  f"under \"## `{t}`\"")
    print(f"{len(missing)} undocumented" if missing else
          "every emitted field is documented")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
