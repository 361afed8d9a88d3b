#!/usr/bin/env python3
"""Golden conn.log tests: `tcpfsm -r NAME.pcap --format zeek` must equal
NAME.conn.log beside each capture in pcaps/zeek/, byte for byte; and the
captures must be exactly what tests/zeek/make_pcaps.py writes.

--update rewrites the expected logs (check each changed record by hand
against pcaps/zeek/README.md before committing).
"""
import argparse
import difflib
import filecmp
import pathlib
import subprocess
import sys
import tempfile


def run(tcpfsm, pcap):
    p = subprocess.run([tcpfsm, "-r", str(pcap), "--format", "zeek"],
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
    a = ap.parse_args()
    pcaps = pathlib.Path(a.pcaps)
    failed = checked = 0

    # The captures are generated; a stale one would make the logs lie.
    maker = pathlib.Path(__file__).with_name("make_pcaps.py")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(maker), tmp], check=True,
                       capture_output=True)
        for fresh in sorted(pathlib.Path(tmp).glob("*.pcap")):
            checked += 1
            if not (pcaps / fresh.name).exists() or not filecmp.cmp(
                    fresh, pcaps / fresh.name, shallow=False):
                failed += 1
                print(f"FAIL {fresh.name}: differs from what make_pcaps.py "
                      f"writes (run it, then --update)")

    for pcap in sorted(pcaps.glob("*.pcap")):
        golden = pcap.with_suffix(".conn.log")
        out = run(a.tcpfsm, pcap)
        if a.update:
            golden.write_text(out)
            print(f"updated {golden}")
            continue
        checked += 1
        if not golden.exists():
            failed += 1
            print(f"FAIL {pcap}: no {golden.name}")
            continue
        want = golden.read_text()
        if out != want:
            failed += 1
            print(f"FAIL {pcap}:")
            sys.stdout.writelines(difflib.unified_diff(
                want.splitlines(True), out.splitlines(True), str(golden),
                "tcpfsm output", n=1))
        else:
            print(f"ok   {pcap}")
    if a.update:
        return 0
    print(f"{checked - failed} passed, {failed} failed")
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
