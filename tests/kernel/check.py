#!/usr/bin/python3
"""check.py - score tcpfsm against the real Linux TCP stack.

    check.py --tcpfsm PATH [--min 98] [--min-each 0] [--grace 0.3] [-v] [-e]
             [scenario dirs...]

For every recording (default: every directory under pcaps/kernel that holds a
scenario.json), runs `tcpfsm -r capture.pcap --format json`, rebuilds from
the NDJSON "transition" events tcpfsm's belief about every endpoint, keyed by
(endpoint address, peer address), and compares it with the kernel's state
(`ss`) over every quiet interval in quiet.tsv (a socket that held one state
for >= 1 s).

A check agrees when tcpfsm's belief equals the kernel's state all through
[start + grace, end - 0.05 s]: the grace covers the 100 ms `ss` polling
period and packets in flight; the 50 ms at the end cover the `ss` run time.
Before its first transition an endpoint is CLOSED; tcpfsm's LISTEN counts as
CLOSED (no connection socket).

Reported apart, not counted:
  * intervals whose state began with no packet of that connection on the
    wire between the previous poll and the interval's first poll: a kernel
    timer fired (TIME_WAIT/FIN_WAIT_2 expiry, SYN give-up ...), or the
    cause never reached the sensor;
  * endpoints scenario.json marks wire-ambiguous (with the reason).

Exit status: 0 if the counted checks agree at least --min percent; 1 if not,
if no check was counted at all, or if a scenario is below --min-each; 2 on usage errors (no tcpfsm, no
recordings). Python standard library only.
"""
import argparse
import bisect
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)
import truth  # noqa: E402

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "pcaps", "kernel")
END_MARGIN = 0.05
CAUSE_SLACK = 0.05  # a packet this close outside (since, start] still counts as the cause


class Beliefs:
    """tcpfsm's belief timeline per (endpoint, peer)."""

    def __init__(self):
        self.tl = {}  # (local, peer) -> [(ts, to)]

    def add(self, ts, local, peer, to):
        self.tl.setdefault((local, peer), []).append((ts, "CLOSED" if to == "LISTEN" else to))

    def finish(self):
        for v in self.tl.values():
            v.sort(key=lambda x: x[0])  # stable: equal timestamps keep file order

    def held(self, local, peer, t0, t1):
        """[(from_ts, state)] tcpfsm held during [t0, t1]."""
        tl = self.tl.get((local, peer), [])
        state = "CLOSED"
        out = []
        for ts, to in tl:
            if ts <= t0:
                state = to
            elif ts <= t1:
                if not out:
                    out.append((t0, state))
                out.append((ts, to))
            else:
                break
        if not out:
            out.append((t0, state))
        return out


def run_tcpfsm(exe, pcap):
    """Returns (Beliefs, problems)."""
    problems = []
    b = Beliefs()
    try:
        p = subprocess.run([exe, "-r", pcap, "--format", "json"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return b, ["tcpfsm timed out"]
    if p.returncode != 0:
        problems.append("tcpfsm exited with status %d: %s" % (
            p.returncode, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""))
    bad = 0
    for line in p.stdout.splitlines():
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if not isinstance(ev, dict) or ev.get("type") != "transition":
            continue
        try:
            c, s = truth.norm_addr(ev["client"]), truth.norm_addr(ev["server"])
            ts, to, ep = float(ev["ts"]), ev["to"], ev["endpoint"]
        except (KeyError, ValueError, TypeError):
            bad += 1
            continue
        if to not in truth.STATES or ep not in ("client", "server"):
            bad += 1
            continue
        if ep == "client":
            b.add(ts, c, s, to)
        else:
            b.add(ts, s, c, to)
    if bad:
        problems.append("%d malformed JSON line(s) or transition(s)" % bad)
    b.finish()
    return b, problems


def conn_key(a, b):
    return (a, b) if a <= b else (b, a)


def describe(held, t0):
    """'A' or 'A ->B@3.21s ->C@4.00s' (times from the recording's start)."""
    if len(held) == 1:
        return held[0][1]
    return held[0][1] + "".join(" ->%s@%.2fs" % (st, ts - t0) for ts, st in held[1:])


def verdict(held, kernel, t0):
    """For a disagreement: did tcpfsm come round to the kernel's state?"""
    if held[-1][1] == kernel:
        return "late: agrees from %.2f s" % (held[-1][0] - t0)
    return "wrong at the end of the interval"


def explain(segs, q, t0, limit=14):
    """The connection's segments from 1 s before the interval to its end."""
    a, b = q["local"], q["peer"]
    isn = {}
    for s in segs:
        if {s.src, s.dst} == {a, b} and s.flags & 2 and s.src not in isn:
            isn[s.src] = s.seq
    lo = (q["since"] if q["since"] is not None else q["start"]) - 1.0
    out = []
    for s in segs:
        if {s.src, s.dst} != {a, b} or s.ts < lo or s.ts > q["end"]:
            continue
        seq = (s.seq - isn[s.src]) % 2**32 if s.src in isn else s.seq
        ack = (s.ack - isn[s.dst]) % 2**32 if s.dst in isn else s.ack
        out.append("%8.3f s  %s  %-4s seq %d%s len %d" % (
            s.ts - t0, "local->peer" if s.src == a else "peer->local", s.flagstr(), seq,
            " ack %d" % ack if s.flags & 16 else "", s.plen))
    if len(out) > limit:
        out = out[:limit // 2] + ["   ... %d more" % (len(out) - limit)] + out[-(limit // 2):]
    return out


def check_scenario(d, exe, grace, verbose):
    with open(os.path.join(d, "scenario.json")) as f:
        info = json.load(f)
    quiet = truth.read_quiet(os.path.join(d, "quiet.tsv"))
    pcap = os.path.join(d, "capture.pcap")
    segs, _ = truth.read_pcap(pcap)
    times = {}
    for s in segs:
        times.setdefault(conn_key(s.src, s.dst), []).append(s.ts)
    for v in times.values():
        v.sort()
    amb = {}
    for a in info.get("ambiguous_endpoints", []):
        amb[(a["host"], a["local"], a["peer"])] = a
    t0 = info["recording"]["start"]
    beliefs, problems = run_tcpfsm(exe, pcap)
    res = {"name": info.get("scenario", os.path.basename(d)), "checks": 0, "agree": 0,
           "bad": [], "apart": [], "problems": problems, "lines": []}
    for q in quiet:
        w0, w1 = q["start"] + grace, q["end"] - END_MARGIN
        if w1 <= w0:
            continue
        held = beliefs.held(q["local"], q["peer"], w0, w1)
        ok = all(st == q["state"] for _, st in held)
        rec = dict(q, tcpfsm=describe(held, t0), ok=ok,
                   rel=(q["start"] - t0, q["end"] - t0))
        if not ok:
            rec["verdict"] = verdict(held, q["state"], t0)
            rec["wire"] = explain(segs, q, t0)
        a = amb.get((q["host"], q["local"], q["peer"]))
        why = None
        if a is not None and (not a.get("states") or q["state"] in a["states"]):
            why = "wire-ambiguous: " + a["why"]
        elif q["since"] is not None:
            ts = times.get(conn_key(q["local"], q["peer"]), [])
            i = bisect.bisect_left(ts, q["since"] - CAUSE_SLACK)
            if i >= len(ts) or ts[i] > q["start"] + CAUSE_SLACK:
                why = ("no packet of this connection on the wire when the state began "
                       "(between %.2f s and %.2f s): a kernel timer, or a cause the sensor "
                       "cannot see" % (q["since"] - t0, q["start"] - t0))
        if why is not None:
            rec["why"] = why
            res["apart"].append(rec)
            continue
        res["checks"] += 1
        if ok:
            res["agree"] += 1
        else:
            res["bad"].append(rec)
        if verbose:
            res["lines"].append(rec)
    return res


def fmt_rec(r):
    return "%-6s %-22s -> %-22s kernel %-12s tcpfsm %-14s %6.2f-%6.2f s" % (
        r["host"], r["local"], r["peer"], r["state"], r["tcpfsm"], r["rel"][0], r["rel"][1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tcpfsm", required=True, help="path to the tcpfsm executable")
    ap.add_argument("--min", type=float, default=98.0,
                    help="minimum overall agreement in percent (default 98)")
    ap.add_argument("--min-each", type=float, default=0.0,
                    help="also fail if one scenario's agreement is below this (default 0: off)")
    ap.add_argument("--grace", type=float, default=0.3,
                    help="seconds after an interval's start before it is compared (0.3)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every check")
    ap.add_argument("-e", "--explain", action="store_true",
                    help="print the connection's segments under each disagreement")
    ap.add_argument("dirs", nargs="*", help="scenario directories (default: all under %s)"
                    % os.path.relpath(DEFAULT_DIR))
    a = ap.parse_args()
    if not (os.path.isfile(a.tcpfsm) and os.access(a.tcpfsm, os.X_OK)):
        print("check.py: %s is not an executable" % a.tcpfsm, file=sys.stderr)
        return 2
    dirs = a.dirs
    if not dirs:
        dirs = sorted(os.path.join(DEFAULT_DIR, n) for n in os.listdir(DEFAULT_DIR)
                      if os.path.isfile(os.path.join(DEFAULT_DIR, n, "scenario.json")))
    if not dirs:
        print("check.py: no recordings found", file=sys.stderr)
        return 2
    results = []
    for d in dirs:
        if not os.path.isfile(os.path.join(d, "scenario.json")):
            print("check.py: %s: no scenario.json" % d, file=sys.stderr)
            return 2
        results.append(check_scenario(d, a.tcpfsm, a.grace, a.verbose))

    print("%-28s %6s %6s %7s %6s" % ("scenario", "checks", "agree", "%", "apart"))
    tc = ta = tp = 0
    for r in results:
        pct = 100.0 * r["agree"] / r["checks"] if r["checks"] else float("nan")
        print("%-28s %6d %6d %7.1f %6d%s" % (r["name"], r["checks"], r["agree"], pct,
                                              len(r["apart"]),
                                              "  (tcpfsm problem)" if r["problems"] else ""))
        tc, ta, tp = tc + r["checks"], ta + r["agree"], tp + len(r["apart"])
    total = 100.0 * ta / tc if tc else 0.0
    print("%-28s %6d %6d %7.1f %6d" % ("TOTAL", tc, ta, total, tp))
    each = [100.0 * r["agree"] / r["checks"] for r in results if r["checks"]]
    if each:
        print("%-28s %20.1f   (mean of the scenarios' percentages)" % (
            "per-scenario mean", sum(each) / len(each)))

    for r in results:
        if not (r["bad"] or r["problems"] or r["lines"]):
            continue
        print("\n%s:" % r["name"])
        for p in r["problems"]:
            print("  PROBLEM  %s" % p)
        for rec in r["lines"] if a.verbose else r["bad"]:
            print("  %-8s %s" % ("ok" if rec["ok"] else "DISAGREE", fmt_rec(rec)))
            if not rec["ok"]:
                print("           %s" % rec["verdict"])
                if a.explain:
                    for w in rec["wire"]:
                        print("             %s" % w)
    apart = [(r["name"], rec) for r in results for rec in r["apart"]]
    if apart:
        print("\nreported apart (not counted):")
        for name, rec in apart:
            print("  %-26s %-5s %s" % (name, "same" if rec["ok"] else "diff", fmt_rec(rec)))
            print("  %-26s       %s" % ("", rec["why"]))

    if tc == 0:
        print("\nFAIL: no check was counted", file=sys.stderr)
        return 1
    low = [r["name"] for r in results
           if r["checks"] and 100.0 * r["agree"] / r["checks"] < a.min_each]
    if low:
        print("\nFAIL: below %.1f%%: %s" % (a.min_each, " ".join(low)), file=sys.stderr)
        return 1
    if total < a.min:
        print("\nFAIL: agreement %.1f%% is below %.1f%%" % (total, a.min), file=sys.stderr)
        return 1
    print("\nPASS: agreement %.1f%% >= %.1f%%" % (total, a.min))
    return 0


if __name__ == "__main__":
    sys.exit(main())
