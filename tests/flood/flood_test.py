#!/usr/bin/env python3
"""A SYN flood from random sources: memory stays within max_connections,
alerts stay few.

Generates (bench/gen, seeded) a flood of 250k and of 1M spoofed SYNs to one
server port at 50k SYNs a second (the table holds 4 s of it, past the 3 s alert threshold) over a little normal traffic, and runs
tcpfsm on each with room for 200k connections. Checks, for both:
  * it exits cleanly and the table never holds more than max_connections
    (stats.active), the rest evicted and counted;
  * the flood raises a bounded number of alert events, not one per SYN:
    its spoofed sources never resend a SYN, so nothing on the wire shows
    a stuck host (folding of real stuck clients is test_alerts'
    test_flood_folds_into_one_aggregate);
and between the two: peak memory flat (the 1M run within 1.3x of the 250k
run: both fill the table).

That the cost stays linear is a matter of time, so the benchmark measures
it, not this test: bench/run's target "flood per packet, synflood 2M / 250k"
(bench/README.md). A timed check here would fail on a busy machine.
"""
import json
import os
import resource
import subprocess
import sys
import tempfile

MAX_CONN = 200000
CONFIG = """outputs:
  - type: stdout
    format: json
    events: [alert, stats]
tracking:
  max_connections: %d
""" % MAX_CONN


def run(tcpfsm, cfg, pcap):
    p = subprocess.run([tcpfsm, "-c", cfg, "-r", pcap], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise SystemExit(f"tcpfsm exited {p.returncode}: {p.stderr}")
    events = [json.loads(line) for line in p.stdout.splitlines()]
    # ru_maxrss of children is the largest child so far: measure in order.
    return events, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main():
    tcpfsm, gen = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory(prefix="tcpfsm-flood-") as tmp:
        cfg = os.path.join(tmp, "flood.yaml")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        results = {}
        for n in ("250k", "1M"):  # smaller first: ru_maxrss only grows
            pcap = os.path.join(tmp, f"flood-{n}.pcap")
            subprocess.run([gen, "-p", "synflood", "-n", n, "-c", "100",
                            "--flood-pps", "50k", "-q", "-o", pcap],
                           check=True)
            events, rss = run(tcpfsm, cfg, pcap)
            os.unlink(pcap)
            stats = events[-1]
            alerts = [e for e in events if e["type"] == "alert"]
            results[n] = rss
            print(f"{n}: {stats['packets']} packets, {stats['connections']} "
                  f"connections, {stats['evicted']} evicted, "
                  f"{len(alerts)} alert events ({stats['alerts_folded']} "
                  f"folded, {stats['alerts_suppressed']} suppressed), "
                  f"peak RSS {rss / 1024:.0f} MiB")
            check(stats["type"] == "stats", f"{n}: final stats written")
            check(stats["active"] <= MAX_CONN,
                  f"{n}: at most {MAX_CONN} tracked ({stats['active']})")
            check(stats["evicted"] >= stats["connections"] - MAX_CONN,
                  f"{n}: the rest evicted and counted")
            check(len(alerts) <= 20,
                  f"{n}: few alert events ({len(alerts)})")
            check(stats["alerts_suppressed"] == 0,
                  f"{n}: none left to the rate limit "
                  f"({stats['alerts_suppressed']})")
        rss_s, rss_l = results["250k"], results["1M"]
        check(rss_l <= rss_s * 1.3,
              f"memory flat: {rss_l / 1024:.0f} MiB for 1M vs "
              f"{rss_s / 1024:.0f} MiB for 250k")
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
