#!/usr/bin/env python3
"""Golden tests of the pictures and files the command line makes: the
ladder of one connection (--conn) and the packets -w writes, against the
expected output checked in under pcaps/ladder/.

    golden_cli.py TCPFSM PCAPS [--update]

--update rewrites the expected files (review the diff before committing:
a ladder changes whenever the tracker's transitions do). The -w case is
read back with tcpdump, as a user would open it, and skipped without it.
"""
import os
import shutil
import subprocess
import sys
import tempfile

# (expected file under pcaps/ladder, capture under pcaps, arguments)
LADDERS = [
    ("demo-conn3.txt", "demo.pcap", ["--conn", "3"]),
    ("demo-8080.txt", "demo.pcap", ["--conn", "10.77.2.2:8080"]),
    ("zero-window.txt", "kernel/stall_zero_window_v4/capture.pcap",
     ["--conn", "1"]),
    ("refused.txt", "kernel/refused/capture.pcap", ["--conn", "1"]),
    # the SYN/ACK lost between the sensor and the client: its arrows stop
    # on the client's side, beside the alerts that say so
    ("synack-lost.txt", "kernel/synack_lost_after_sensor/capture.pcap",
     ["--conn", "1"]),
]
# (expected tcpdump text, capture, arguments besides -w)
WRITES = [
    ("many-fates-alerted.tcpdump.txt", "kernel/many_fates/capture.pcap", []),
    ("demo-conn3.tcpdump.txt", "demo.pcap", ["--conn", "3"]),
]


def main():
    tcpfsm, pcaps = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "TZ": "UTC"}
    failed = checked = 0

    def compare(name, got):
        nonlocal failed, checked
        path = os.path.join(pcaps, "ladder", name)
        if update:
            with open(path, "w") as f:
                f.write(got)
            print(f"updated {path}")
            return
        checked += 1
        want = open(path).read() if os.path.exists(path) else None
        if got == want:
            print(f"ok   {name}")
            return
        failed += 1
        print(f"FAIL {name}: tcpfsm's output differs from {path}")
        sys.stdout.writelines(__import__("difflib").unified_diff(
            (want or "").splitlines(True), got.splitlines(True), path,
            "tcpfsm", n=2))

    for name, cap, args in LADDERS:
        r = subprocess.run([tcpfsm, "-r", os.path.join(pcaps, cap),
                            "--color", "never", *args],
                           capture_output=True, text=True, env=env)
        compare(name, r.stdout if r.returncode == 0 else
                f"exit {r.returncode}: {r.stderr}")

    tcpdump = shutil.which("tcpdump", path=env["PATH"])
    for name, cap, args in WRITES:
        if not tcpdump:
            print(f"skip {name}: no tcpdump to read the file back")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "w.pcap")
            src = os.path.join(pcaps, cap)
            r = subprocess.run([tcpfsm, "-r", src, "-w", out, "-q", *args],
                               capture_output=True, text=True, env=env)
            if r.returncode != 0:
                compare(name, f"exit {r.returncode}: {r.stderr}")
                continue
            read = subprocess.run([tcpdump, "-nn", "-tt", "-r", out],
                                  capture_output=True, text=True, env=env)
            # The written file keeps the source's link type.
            link = [subprocess.run([tcpdump, "-r", f, "-c", "1"],
                                   capture_output=True, text=True,
                                   env=env).stderr.split("link-type")[-1]
                    for f in (src, out)]
            got = read.stdout
            if link[0] != link[1]:
                got += f"link type differs: {link[0]!r} != {link[1]!r}\n"
            compare(name, got)
            if update:
                continue
            # From a pipe, the ring gives the same packets (connections
            # not interleaved by time: compared sorted).
            with open(src, "rb") as f:
                # (JSON: a ladder needs the file, and is not the point)
                r = subprocess.run([tcpfsm, "-r", "-", "-w", out, "-q",
                                    "--format", "json", *args], stdin=f,
                                   capture_output=True,
                                   text=True, env=env)
            piped = subprocess.run([tcpdump, "-nn", "-tt", "-r", out],
                                   capture_output=True, text=True,
                                   env=env).stdout
            checked += 1
            if r.returncode == 0 and sorted(piped.splitlines()) == \
                    sorted(got.splitlines()):
                print(f"ok   {name} (from a pipe, through the ring)")
            else:
                failed += 1
                print(f"FAIL {name} (from a pipe): exit {r.returncode} "
                      f"{r.stderr.strip()}; {len(piped.splitlines())} "
                      f"packets, {len(got.splitlines())} from the file")
    if update:
        return 0
    print(f"{checked - failed} of {checked} match")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
