#!/usr/bin/python3
"""alerts_check.py - tcpfsm's stuck-state alerts against the real kernels.

    alerts_check.py --tcpfsm PATH [scenario dirs...]

Replays every recording under pcaps/kernel with thresholds short enough for
recordings of a few seconds (below), folding off so that every endpoint is
judged on its own, and checks:
  * precision: every alert names an endpoint and a state the kernel (ss) had
    that endpoint in when the alert fired: no false alarm, and in particular
    none in the normal scenarios;
  * recall: every quiet interval in which the kernel held a stuck-able state
    for the threshold plus a second raised its alert (wire-ambiguous
    endpoints apart: the sensor cannot see them);
  * a diagnosis that blames a loss names a side of the sensor where the
    scenario really loses packets: for a fault placed after the sensor,
    "between this sensor and HOST" with HOST the host the packets were going
    to; for one before it, "... and this sensor" or "before this sensor".
Python standard library only; exits 1 on any failure, 0 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import truth  # noqa: E402

THRESHOLDS = {"SYN_SENT": 2.0, "SYN_RECEIVED": 2.0, "FIN_WAIT_1": 2.0,
              "LAST_ACK": 2.0, "CLOSING": 1.0, "FIN_WAIT_2": 3.0,
              "CLOSE_WAIT": 3.0}
CONFIG = "alerts:\n  thresholds:\n%s  aggregate_window: 0\n  rate_limit: 0\n" % (
    "".join("    %s: %gs\n" % (s.lower(), t) for s, t in THRESHOLDS.items()))


def kernel_state(rows, host, local, peer, ts):
    """The state ss last showed for the socket at time ts (CLOSED before)."""
    state = "CLOSED"
    for r in rows:
        if float(r["time"]) > ts:
            break
        if (r["host"], r["local"], r["peer"]) == (host, local, peer):
            state = r["state"]
    return state


def check_scenario(tcpfsm, cfg, d):
    meta = json.load(open(os.path.join(d, "scenario.json")))
    rows = truth.read_tsv(os.path.join(d, "truth.tsv"))
    quiet = truth.read_quiet(os.path.join(d, "quiet.tsv"))
    hosts = {a: h for h, addrs in (("client", meta["topology"]["client"]),
                                   ("server", meta["topology"]["server"]))
             for a in addrs}
    ambiguous = {(e["host"], e["local"]) for e in
                 meta.get("ambiguous_endpoints", [])
                 if isinstance(e, dict) and "local" in e}
    out = subprocess.run([tcpfsm, "-c", cfg, "-r",
                          os.path.join(d, "capture.pcap"), "-F", "json"],
                         capture_output=True, text=True, check=True).stdout
    alerts = [e for e in map(json.loads, out.splitlines())
              if e["type"] == "alert"]
    problems = []

    def host_of(addr):
        ip = addr.rsplit(":", 1)[0].strip("[]")
        return hosts.get(ip, "?")

    for a in alerts:
        me = a[a["endpoint"]]
        peer = a["server" if a["endpoint"] == "client" else "client"]
        host = host_of(me)
        if (host, me) in ambiguous:
            continue
        k = kernel_state(rows, host, me, peer, a["ts"])
        if k != a["state"]:
            problems.append(f"false alarm: {a['alert']} on {host} {me} at "
                            f"{a['ts']:.3f}, kernel {k}")
        diag = a["diagnosis"]
        if "lost" in diag and meta.get("faults"):
            wants = []
            for f in meta["faults"]:
                target = f["lost_between"].split(" and ")[-1]
                target = target.replace("the ", "")
                if f["side"] == "after the sensor":
                    wants.append("between this sensor and " +
                                 (a["client"] if target == "client"
                                  else a["server"]))
                else:
                    wants += ["and this sensor", "before this sensor"]
            if not any(w in diag for w in wants):
                problems.append(f"{a['alert']} on {host}: the diagnosis "
                                f"names no side of the sensor where this "
                                f"scenario loses packets: {diag}")

    alerted = {(host_of(a[a["endpoint"]]), a[a["endpoint"]], a["state"])
               for a in alerts}
    needed = 0
    for q in quiet:
        t = THRESHOLDS.get(q["state"])
        if t is None or (q["host"], q["local"]) in ambiguous:
            continue
        start = q["since"] if q["since"] is not None else q["start"]
        if q["end"] - start < t + 1.0:
            continue
        needed += 1
        if (q["host"], q["local"], q["state"]) not in alerted:
            problems.append(f"missed: {q['host']} {q['local']} held "
                            f"{q['state']} {q['end'] - start:.1f} s, no "
                            f"alert")
    return len(alerts), needed, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcpfsm", required=True)
    ap.add_argument("dirs", nargs="*")
    a = ap.parse_args()
    dirs = a.dirs or sorted(
        os.path.join(REPO, "pcaps", "kernel", n)
        for n in os.listdir(os.path.join(REPO, "pcaps", "kernel"))
        if os.path.exists(os.path.join(REPO, "pcaps", "kernel", n,
                                       "scenario.json")))
    failed = total_alerts = total_needed = 0
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
        cfg.write(CONFIG)
        cfg.flush()
        print(f"{'scenario':28} {'alerts':>6} {'required':>8}  verdict")
        for d in dirs:
            n, needed, problems = check_scenario(a.tcpfsm, cfg.name, d)
            total_alerts += n
            total_needed += needed
            print(f"{os.path.basename(d):28} {n:6} {needed:8}  "
                  f"{'ok' if not problems else 'FAIL'}")
            for p in problems:
                print(f"    {p}")
            failed += bool(problems)
    print(f"{len(dirs) - failed} passed, {failed} failed scenarios; "
          f"{total_alerts} alerts, {total_needed} required")
    if total_needed == 0:
        print("no alert was required: the check checked nothing")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
