#!/usr/bin/env python3
"""run.py - runs tcpfsm on the malformed-capture corpus.

    run.py --tcpfsm EXE --out DIR [--pcaps DIR...] [--jobs N]

Generates the corpus into DIR (gen_corpus.py; the build directory at test
time), runs `tcpfsm -F json -r FILE` and `tcpfsm -r FILE` (text) on every
file, and checks:
  - no crash: the exit status is 0 or 1, never a signal or a timeout, and
    nothing on stderr from AddressSanitizer, UBSan or LeakSanitizer;
  - every line of the JSON output is a JSON object;
  - a well-formed file exits 0;
  - a corrupt file exits 1 with a message on stderr naming the file and, if
    the fault is in a record, the record (the number of records read);
  - everything decodable before the fault is still reported: the output of
    a file corrupt at record N equals, byte for byte, that of a good file
    holding its first N records;
  - files that differ only in ways that must not matter (zero-length
    records, byte order, timestamp resolution) give the same events.
Exit status 0 when every check held; the failures are listed otherwise.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_corpus  # noqa: E402

SANITIZER = re.compile(r"(AddressSanitizer|LeakSanitizer|UndefinedBehavior"
                       r"Sanitizer|MemorySanitizer|runtime error:|"
                       r"SUMMARY: \w+Sanitizer)")


def run(exe, path, fmt):
    env = dict(os.environ)
    # Keep the sanitizers' verdicts recognisable whatever CI sets.
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    try:
        # A small table: the default million flows cost a large calloc,
        # slow under AddressSanitizer, and nothing here needs them.
        r = subprocess.run([exe, "--max-connections", "4096", "-F", fmt,
                            "-r", path], capture_output=True, timeout=60,
                           env=env)
    except subprocess.TimeoutExpired:
        return None
    return r


def events(stdout, keep_stats=True):
    out = []
    for line in stdout.decode("utf-8", "replace").splitlines():
        obj = json.loads(line)
        if keep_stats or obj.get("type") != "stats":
            out.append(line)
    return out


def check(exe, corpus, entry, outputs):
    """Returns a list of problems with one file; fills outputs[name]."""
    name = entry["name"]
    path = os.path.join(corpus, name)
    problems = []
    results = {}
    for fmt in ("json", "text"):
        r = run(exe, path, fmt)
        if r is None:
            return ["%s (%s): timed out" % (name, fmt)]
        results[fmt] = r
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode < 0:
            problems.append("%s (%s): killed by signal %d\n%s" %
                            (name, fmt, -r.returncode, err[-3000:]))
        elif r.returncode not in (0, 1):
            problems.append("%s (%s): exit status %d\n%s" %
                            (name, fmt, r.returncode, err[-3000:]))
        if SANITIZER.search(err):
            problems.append("%s (%s): sanitizer report\n%s" %
                            (name, fmt, err[-4000:]))
    if problems:
        return problems
    j, t = results["json"], results["text"]
    if j.returncode != t.returncode:
        problems.append("%s: exit status %d in JSON, %d in text" %
                        (name, j.returncode, t.returncode))
    try:
        outputs[name] = events(j.stdout)
    except ValueError as e:
        return ["%s: output is not JSON lines: %s" % (name, e)]
    err = j.stderr.decode("utf-8", "replace")
    expect = entry["expect"]
    if expect == "ok":
        if j.returncode != 0:
            problems.append("%s (%s): exit status %d for a well-formed file: %s"
                            % (name, entry["what"], j.returncode, err.strip()))
    else:
        if j.returncode != 1:
            problems.append("%s (%s): exit status %d for a corrupt file" %
                            (name, entry["what"], j.returncode))
        elif path not in err:
            problems.append("%s (%s): message does not name the file: %r" %
                            (name, entry["what"], err.strip()))
        if expect == "read_error" and j.returncode == 1:
            m = re.search(r"record (\d+)", err)
            if not m:
                problems.append("%s (%s): message does not name the record: %r"
                                % (name, entry["what"], err.strip()))
            elif int(m.group(1)) != entry["after"]:
                problems.append("%s (%s): message names record %s, expected "
                                "%d: %r" % (name, entry["what"], m.group(1),
                                            entry["after"], err.strip()))
        if expect == "open_error" and any(
                json.loads(line).get("type") != "stats"
                for line in outputs.get(name, [])):
            problems.append("%s: events from a file that cannot be opened" %
                            name)
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcpfsm", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pcaps", nargs="*", default=[])
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    exe = os.path.abspath(args.tcpfsm)
    corpus = os.path.abspath(args.out)
    manifest = gen_corpus.generate(corpus, args.pcaps)
    by_name = {e["name"]: e for e in manifest}
    outputs = {}
    problems = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for p in pool.map(lambda e: check(exe, corpus, e, outputs), manifest):
            problems += p

    # Before the fault, everything: the corrupt file's output is the
    # prefix's, byte for byte.
    for e in manifest:
        name = e["name"]
        if e["expect"] != "read_error" or name not in outputs:
            continue
        want = outputs.get(e["prefix"])
        if want is None:
            continue
        if outputs[name] != want:
            problems.append(
                "%s (%s): events differ from those of its first %d records "
                "(%s):\n  got %d lines, want %d\n  first difference: %s" %
                (name, e["what"], e["after"], e["prefix"], len(outputs[name]),
                 len(want), first_difference(outputs[name], want)))
    # Differences that must not matter.
    for e in manifest:
        other = e.get("same_events_as")
        name = e["name"]
        if not other or name not in outputs or other not in outputs:
            continue
        got = [x for x in outputs[name] if '"type":"stats"' not in x]
        want = [x for x in outputs[other] if '"type":"stats"' not in x]
        if got != want:
            problems.append("%s (%s): events differ from %s's:\n  %s" %
                            (name, e["what"], other,
                             first_difference(got, want)))
    kinds = {}
    for e in manifest:
        kinds[e["expect"]] = kinds.get(e["expect"], 0) + 1
    print("malformed: %d files (%s), %d runs of %s" %
          (len(manifest), ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items())),
           2 * len(manifest), os.path.basename(exe)))
    if problems:
        print("malformed: %d problem(s):" % len(problems))
        for p in problems:
            print("FAIL " + p)
        return 1
    print("malformed: all checks passed")
    return 0


def first_difference(got, want):
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            return "line %d:\n    got  %s\n    want %s" % (i + 1, a, b)
    if len(got) > len(want):
        return "extra line %d: %s" % (len(want) + 1, got[len(want)])
    if len(want) > len(got):
        return "missing line %d: %s" % (len(got) + 1, want[len(got)])
    return "none"


if __name__ == "__main__":
    sys.exit(main())
