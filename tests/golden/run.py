#!/usr/bin/env python3
"""Golden tests: tcpfsm's output on the captures in pcaps/ must equal the
expected output checked in beside each capture.

For every pcaps/**/NAME.pcap with a NAME.golden.json beside it, runs
`tcpfsm -r NAME.pcap --format json --snapshot` and compares line by line; with
NAME.golden.txt, the text output too. `--update` rewrites the expected files
(review the diff before committing it); `--valgrind` runs tcpfsm under
valgrind, where any memory error or leak fails the test.
"""
import argparse
import difflib
import pathlib
import subprocess
import sys

FORMATS = {"json": ["--format", "json", "--snapshot"],
           "txt": ["--format", "text", "--snapshot", "--color", "never"]}


def run(tcpfsm, pcap, args, wrapper=()):
    p = subprocess.run(list(wrapper) + [tcpfsm, "-r", str(pcap)] + args,
                       capture_output=True, text=True,
                       env={"TZ": "UTC", "PATH": "/usr/bin:/bin"})
    if p.returncode != 0:
        raise RuntimeError(f"{pcap}: tcpfsm exited {p.returncode}: {p.stderr}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcpfsm", required=True)
    ap.add_argument("--pcaps", required=True)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--valgrind", action="store_true",
                    help="run tcpfsm under valgrind: any error or leak fails")
    a = ap.parse_args()
    wrapper = ("valgrind", "-q", "--error-exitcode=3", "--leak-check=full",
               "--errors-for-leak-kinds=definite,indirect") \
        if a.valgrind else ()

    checked = failed = 0
    for pcap in sorted(pathlib.Path(a.pcaps).rglob("*.pcap*")):
        for ext, args in FORMATS.items():
            golden = pcap.with_name(pcap.name.split(".")[0] + ".golden." + ext)
            if not golden.exists() and not (a.update and ext == "json"
                                            and pcap.parent.name == "golden"):
                continue
            out = run(a.tcpfsm, pcap, args, wrapper)
            if a.update:
                golden.write_text(out)
                print(f"updated {golden}")
                continue
            checked += 1
            want = golden.read_text()
            if out != want:
                failed += 1
                print(f"FAIL {pcap} ({ext}):")
                sys.stdout.writelines(difflib.unified_diff(
                    want.splitlines(True), out.splitlines(True),
                    str(golden), "tcpfsm output", n=2))
            else:
                print(f"ok   {pcap} ({ext})")
    if a.update:
        return 0
    print(f"golden comparisons: {checked - failed} of {checked} match")
    if checked == 0:
        print("no golden files found: nothing was checked")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
