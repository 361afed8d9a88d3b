#!/usr/bin/python3
"""check.py - score tcpfsm against the real Linux TCP stack, clean and
through imperfect sensors, against per-scenario floors.

    check.py --tcpfsm PATH [--conditions clean|sensor|all] [--floors FILE]
             [--update-floors] [--min PCT] [--min-each PCT] [-j N] [-v] [-e]
             [--keep DIR] [--expect-failure KIND] [scenario dirs...]

Recordings: every directory under pcaps/kernel holding capture.pcap,
scenario.json, truth.tsv and quiet.tsv (whatever its name), or the ones
named. Conditions: "clean" is the recording's own capture; the sensor
conditions are captures derived from it by derive.py (packets missing at 2,
5 and 15 %, neighbours swapped, one direction only; three seeds where
random). The kernel truth is the same for all of them.

Scoring (identical for every condition): tcpfsm runs as
`tcpfsm -r capture.pcap --format json`; its "transition" events rebuild its
belief per endpoint, keyed by (endpoint address, peer address). Every quiet
interval of quiet.tsv (a socket that held one state >= 1 s between its
first and last `ss` poll) is one check, which agrees when tcpfsm held the
kernel's state all through [start + 0.2 s, end - 0.2 s]: late is wrong.
Before its first transition an endpoint is CLOSED; LISTEN counts as CLOSED.
Every interval counts. A disagreement the wire may not be able to settle is
annotated (the endpoint is wire-ambiguous in scenario.json; or no packet of
the connection was in the capture when the state began: a kernel timer, or
a cause the sensor did not see) but counted like any other.

False alerts: tcpfsm runs a second time with alerts_check's short
thresholds and folding off; every alert the kernel contradicts
(alerts_check.false_alerts: wrong state at the alert's time, or not held
since the alert's since) is a false alert, and so is every stall alert
(unacked_data, mtu_blackhole, zero_window, keepalive_unanswered) that the
recording's scenario.json does not expect on that connection's endpoint
(alerts_check.unexpected_stalls: the controls and the handshake and
teardown recordings expect none), which the kernel's state cannot refute.

Gate: floors.tsv holds per (condition, scenario) the minimum agreement
percent and the maximum number of false alerts. The check fails when any
scenario in any condition run is below its floor or above its ceiling, when
tcpfsm fails on a capture, when no check was counted at all, or when
--min/--min-each (optional, pooled per condition / per scenario) are not
met. A (condition, scenario) with no row passes as "no floor yet".
--update-floors rewrites the file from this run's figures, but only raises
floors (rounded down to 0.1 %) and lowers ceilings, and adds missing rows.

Output: a summary, one row per condition (the clean recordings whose
scenario.json has "path_delay_ms" >= 20 in a row of their own); with -v the
per-scenario figures of every condition and every disagreement (-e adds the
connection's segments). Exit status 0 pass, 1 fail, 2 usage error;
with --expect-failure KIND (the self-tests, with fake_tcpfsm.py) 0 only if
the gate failed on KIND ("agreement" or "false-alerts") and tcpfsm ran
cleanly: a checker that crashes or fails for another reason fails them.
Python standard library only.
"""
import argparse
import bisect
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)
import alerts_check  # noqa: E402
import derive  # noqa: E402
import truth  # noqa: E402

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "pcaps", "kernel")
DEFAULT_FLOORS = os.path.join(HERE, "floors.tsv")
MARGIN = 0.2        # seconds cut from each end of a quiet interval
CAUSE_SLACK = 0.05  # a packet this close outside (since, start] still counts as the cause
DELAY_MS = 20       # "path_delay_ms" from which a clean recording is "behind a delay"
TIMEOUT = 120

CLEAN = derive.Condition("clean", "clean", "clean", "clean")
DELAYED = "clean, behind a delay"
GROUPS = ["clean", DELAYED] + list(dict.fromkeys(c.group for c in derive.CONDITIONS))


# --------------------------------------------------------------------------
# Recordings and tcpfsm's belief

class Recording:
    def __init__(self, d):
        self.dir = d
        self.name = os.path.basename(os.path.normpath(d))
        with open(os.path.join(d, "scenario.json")) as f:
            self.meta = json.load(f)
        self.quiet = truth.read_quiet(os.path.join(d, "quiet.tsv"))
        self.kt = alerts_check.KernelTruth(truth.read_tsv(os.path.join(d, "truth.tsv")),
                                           self.meta)
        self.t0 = self.meta.get("recording", {}).get("start") or \
            min([q["start"] for q in self.quiet], default=0.0)
        self.delay_ms = max_number(self.meta.get("path_delay_ms"))
        self.amb = {(a["host"], a["local"], a["peer"]): a
                    for a in self.meta.get("ambiguous_endpoints", [])
                    if isinstance(a, dict) and "local" in a}
        self._segs = None

    def segs(self):
        """The recording's own segments (what the hosts sent, whatever a
        derived capture missed)."""
        if self._segs is None:
            self._segs, _ = truth.read_pcap(os.path.join(self.dir, "capture.pcap"))
        return self._segs

    def group(self, cond):
        if cond is CLEAN and self.delay_ms is not None and self.delay_ms >= DELAY_MS:
            return DELAYED
        return cond.group


def max_number(v):
    """The largest number in v (a number, or a list/dict of them), or None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    vals = v.values() if isinstance(v, dict) else v if isinstance(v, list) else []
    nums = [n for n in map(max_number, vals) if n is not None]
    return max(nums) if nums else None


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
        state = "CLOSED"
        out = []
        for ts, to in self.tl.get((local, peer), []):
            if ts <= t0:
                state = to
            elif ts <= t1:
                if not out:
                    out.append((t0, state))
                out.append((ts, to))
            else:
                break
        return out or [(t0, state)]


def parse_transitions(stdout, rc, stderr):
    """Returns (Beliefs, problems) from tcpfsm's NDJSON output."""
    problems = []
    if rc != 0:
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        problems.append("tcpfsm exited with status %d: %s" % (rc, last))
    b = Beliefs()
    bad = 0
    for line in stdout.splitlines():
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
        except (KeyError, ValueError, TypeError, AttributeError):
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


def run(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=TIMEOUT)
        return p.stdout, p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return "", -1, "timed out after %d s" % TIMEOUT
    except OSError as e:
        return "", -1, str(e)


# --------------------------------------------------------------------------
# Scoring

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


def unknowable(rec, q, times):
    """Why the wire may not settle this interval, or None."""
    a = rec.amb.get((q["host"], q["local"], q["peer"]))
    if a is not None and (not a.get("states") or q["state"] in a["states"]):
        return "wire-ambiguous: " + a.get("why", "")
    if q["since"] is not None:
        ts = times.get(conn_key(q["local"], q["peer"]), [])
        i = bisect.bisect_left(ts, q["since"] - CAUSE_SLACK)
        if i >= len(ts) or ts[i] > q["start"] + CAUSE_SLACK:
            return ("no packet of this connection in the capture when the state began "
                    "(%.2f-%.2f s): a kernel timer, or a cause the sensor did not see"
                    % (q["since"] - rec.t0, q["start"] - rec.t0))
    return None


class Result:
    """One (condition, scenario): checks, agreements, disagreements, false
    alerts (text, annotation) and problems running tcpfsm."""

    def __init__(self, cond, rec):
        self.cond, self.rec = cond, rec
        self.checks = self.agree = 0
        self.bad, self.lines, self.false, self.problems = [], [], [], []

    def pct(self):
        return 100.0 * self.agree / self.checks if self.checks else None

    def tenths(self):
        """Agreement in tenths of a percent, rounded down (floors' unit)."""
        return (1000 * self.agree) // self.checks if self.checks else None


def score(res, pcap, beliefs, explain_wire):
    rec = res.rec
    segs, _ = truth.read_pcap(pcap)
    times = {}
    for s in segs:
        times.setdefault(conn_key(s.src, s.dst), []).append(s.ts)
    for v in times.values():
        v.sort()
    for q in rec.quiet:
        w0, w1 = q["start"] + MARGIN, q["end"] - MARGIN
        if w1 < w0:
            continue
        held = beliefs.held(q["local"], q["peer"], w0, w1)
        ok = all(st == q["state"] for _, st in held)
        line = dict(q, tcpfsm=describe(held, rec.t0), ok=ok,
                    rel=(q["start"] - rec.t0, q["end"] - rec.t0))
        res.checks += 1
        res.agree += ok
        if not ok:
            line["verdict"] = verdict(held, q["state"], rec.t0)
            line["why"] = unknowable(rec, q, times)
            if explain_wire:
                line["wire"] = explain(segs, q, rec.t0)
            res.bad.append(line)
        res.lines.append(line)


# --------------------------------------------------------------------------
# Floors

FLOORS_HEADER = (
    "# Per-scenario floors of the kernel-truth checks (tests/kernel/check.py).\n"
    "# min_agree_pct: least agreement, percent of the quiet intervals, rounded\n"
    "# down to 0.1 ('-': no interval); max_false_alerts: most false alerts.\n"
    "# Raise with `check.py --tcpfsm PATH --conditions all --update-floors`\n"
    "# (it only raises floors and lowers ceilings, and adds new rows).\n"
    "condition\tscenario\tmin_agree_pct\tmax_false_alerts\n")


def read_floors(path):
    """{(condition, scenario): (floor in tenths of a percent or None, ceiling)}."""
    floors = {}
    if not os.path.exists(path):
        return floors
    for r in truth.read_tsv(path):
        f = r["min_agree_pct"]
        floors[(r["condition"], r["scenario"])] = (
            None if f == "-" else int(round(float(f) * 10)), int(r["max_false_alerts"]))
    return floors


def write_floors(path, floors):
    order = {c: i for i, c in enumerate(["clean"] + [c.id for c in derive.CONDITIONS])}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(FLOORS_HEADER)
        for (c, s) in sorted(floors, key=lambda k: (order.get(k[0], len(order)), k[0], k[1])):
            fl, ce = floors[(c, s)]
            f.write("%s\t%s\t%s\t%d\n" % (c, s, "-" if fl is None else "%.1f" % (fl / 10), ce))
    os.replace(tmp, path)


def gate(results, floors):
    """(failures, no-floor keys): a failure is (result or None, kind, text),
    kind "problem", "agreement" or "false-alerts"."""
    fails, none = [], []
    for r in results:
        key = (r.cond.id, r.rec.name)
        for p in r.problems:
            fails.append((r, "problem", "tcpfsm problem: " + p))
        if key not in floors:
            none.append(key)
            continue
        fl, ce = floors[key]
        if fl is not None and (r.checks == 0 or 1000 * r.agree < fl * r.checks):
            fails.append((r, "agreement", "agreement %s%% (%d/%d) below its floor %.1f%%" % (
                "-" if r.pct() is None else "%.1f" % r.pct(), r.agree, r.checks, fl / 10)))
        if len(r.false) > ce:
            fails.append((r, "false-alerts", "%d false alert(s), ceiling %d" % (len(r.false), ce)))
    return fails, none


def raise_floors(floors, results):
    """Returns (new floors, list of changes); only ever raises/lowers/adds."""
    new = dict(floors)
    changes = []
    for r in results:
        key = (r.cond.id, r.rec.name)
        fl, ce = r.tenths(), len(r.false)
        if key in floors:
            ofl, oce = floors[key]
            nfl = ofl if fl is None else fl if ofl is None else max(ofl, fl)
            nce = min(oce, ce)
            if (nfl, nce) != (ofl, oce):
                changes.append("%s %s: floor %s -> %s, ceiling %d -> %d" % (
                    key[0], key[1], fmt_tenths(ofl), fmt_tenths(nfl), oce, nce))
            new[key] = (nfl, nce)
        else:
            new[key] = (fl, ce)
            changes.append("%s %s: new row, floor %s, ceiling %d" % (
                key[0], key[1], fmt_tenths(fl), ce))
    return new, changes


def fmt_tenths(t):
    return "-" if t is None else "%.1f%%" % (t / 10)


# --------------------------------------------------------------------------
# Running it all

def evaluate(exe, recs, conds, workdir, jobs, explain_wire):
    """Derives the captures, runs tcpfsm (jobs in parallel), scores; returns
    [Result] in (condition, recording) order."""
    cfg = alerts_check.alert_config(workdir)
    work = []  # (Result, pcap)
    for rec in recs:
        pcap = None
        for cond in conds:
            if cond is CLEAN:
                path = os.path.join(rec.dir, "capture.pcap")
            else:
                if pcap is None:
                    pcap = derive.Pcap.read(os.path.join(rec.dir, "capture.pcap"))
                d, _ = derive.derive(rec.dir, cond, workdir, meta=rec.meta, pcap=pcap)
                path = os.path.join(d, "capture.pcap")
            work.append((Result(cond, rec), path))
    cmds = []
    for _, path in work:
        cmds.append([exe, "-r", path, "--format", "json"])
        cmds.append([exe, "-c", cfg, "-r", path, "--format", "json"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outs = list(pool.map(run, cmds))
    for i, (res, path) in enumerate(work):
        beliefs, problems = parse_transitions(*outs[2 * i])
        alerts, aproblems = alerts_check.parse_alerts(*outs[2 * i + 1])
        res.problems = problems + [p for p in aproblems if p not in problems]
        score(res, path, beliefs, explain_wire)
        res.false = alerts_check.false_alerts(res.rec.kt, alerts, res.rec.t0)
        # Stall alerts leave the kernel's state alone: false when the
        # recording expects no such stall (an alert already refuted by the
        # state is counted once).
        unrefuted = [a for a in alerts if not alerts_check.false_alerts(res.rec.kt, [a])]
        res.false += alerts_check.unexpected_stalls(
            res.rec.meta, res.rec.kt, unrefuted, res.rec.t0)
        # A CLOSE_WAIT or FIN_WAIT_2 alert while the CLOSE_WAIT host still
        # sent data: a half-close in use.
        res.false += [(text, None) for text in alerts_check.half_close_alarms(
            unrefuted, res.rec.segs(), res.rec.t0)]
    order = {c.id: i for i, c in enumerate(conds)}
    work.sort(key=lambda w: (order[w[0].cond.id], w[0].rec.name))
    return [w[0] for w in work]


def summarize(results):
    """Rows (label, checks, agree, per-scenario mean, false alerts, n) per
    condition, seeded groups followed by their mean."""
    by_label, groups = {}, {}
    for r in results:
        g = r.rec.group(r.cond)
        label = r.cond.label if g == r.cond.group else g
        by_label.setdefault((g, label), []).append(r)
        groups.setdefault(g, set()).add(label)
    rows = []
    for g in GROUPS:
        labels = [k for k in by_label if k[0] == g]
        for key in labels:
            rows.append(row(key[1], by_label[key], 1))
        if len(labels) > 1:
            rows.append(row(g + " mean", [r for k in labels for r in by_label[k]], len(labels)))
        elif not labels and g == DELAYED and any(r.cond is CLEAN for r in results):
            rows.append((g, 0, 0, None, None, 0))
    return rows


def row(label, rs, nseeds):
    checks = sum(r.checks for r in rs)
    agree = sum(r.agree for r in rs)
    each = [r.pct() for r in rs if r.checks]
    mean = sum(each) / len(each) if each else None
    return (label, checks, agree, mean, sum(len(r.false) for r in rs) / nseeds, len(rs))


def print_summary(rows):
    print("%-28s | %-33s | %-20s | %s" % ("condition", "agreement % (all quiet intervals)",
                                           "per-scenario mean %", "false alerts"))
    print("-" * 28 + "-+-" + "-" * 33 + "-+-" + "-" * 20 + "-+-" + "-" * 12)
    for label, checks, agree, mean, false, n in rows:
        if checks == 0 and n == 0:
            print("%-28s | %-33s | %-20s | %s" % (label, "(no recording)", "", ""))
            continue
        pct = "%5.1f  (%d/%d)" % (100.0 * agree / checks, agree, checks) if checks else "-"
        fa = "%d" % false if false == int(false) else "%.1f" % false
        print("%-28s | %-33s | %-20s | %s" % (
            label, pct, "-" if mean is None else "%5.1f" % mean, fa))


def fmt_line(r):
    return "%-6s %-22s -> %-22s kernel %-12s tcpfsm %-14s %6.2f-%6.2f s" % (
        r["host"], r["local"], r["peer"], r["state"], r["tcpfsm"], r["rel"][0], r["rel"][1])


def print_details(results, floors):
    cur = None
    for r in results:
        if r.cond.id != cur:
            cur = r.cond.id
            print("\n== %s (%s)\n%-28s %6s %6s %7s %6s %6s  %s" % (
                r.cond.label, r.cond.id, "scenario", "checks", "agree", "%", "floor",
                "false", "ceiling"))
        fl, ce = floors.get((r.cond.id, r.rec.name), (None, None))
        print("%-28s %6d %6d %7s %6s %6d  %s%s" % (
            r.rec.name, r.checks, r.agree, "-" if r.pct() is None else "%.1f" % r.pct(),
            "none" if (r.cond.id, r.rec.name) not in floors else fmt_tenths(fl).rstrip("%"),
            len(r.false), "-" if ce is None else ce,
            "  (tcpfsm problem)" if r.problems else ""))
    for r in results:
        if not (r.bad or r.false or r.problems):
            continue
        print("\n%s, %s:" % (r.cond.label, r.rec.name))
        for p in r.problems:
            print("  PROBLEM  %s" % p)
        for line in r.bad:
            print("  DISAGREE %s" % fmt_line(line))
            print("           %s" % line["verdict"])
            if line["why"]:
                print("           (counted; may be unknowable from the wire: %s)" % line["why"])
            for w in line.get("wire", []):
                print("             %s" % w)
        for text, amb in r.false:
            print("  FALSE    %s" % text)
            if amb:
                print("           (counted; %s)" % amb)


def parse_seeds(text):
    """'4-9' or '4,7,11' (or both, comma-separated) as a tuple of ints."""
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    if not seeds:
        raise ValueError(text)
    return tuple(dict.fromkeys(seeds))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tcpfsm", required=True, help="path to the tcpfsm executable")
    ap.add_argument("--conditions", default="all",
                    help="clean (the recordings), sensor (every derived capture), all "
                    "(both; default), or a comma-separated list of condition ids "
                    "(clean, %s)" % ", ".join(c.id for c in derive.CONDITIONS))
    ap.add_argument("--seeds", metavar="LIST",
                    help="seeds of the drop and swap conditions instead of 1,2,3 "
                    "(e.g. 4-9: other draws of the same conditions, to look for what "
                    "seeds 1-3 do not show; with --floors /dev/null, as their floors "
                    "are 1-3's)")
    ap.add_argument("--floors", default=DEFAULT_FLOORS,
                    help="per-scenario floors (default tests/kernel/floors.tsv)")
    ap.add_argument("--update-floors", action="store_true",
                    help="raise floors / lower ceilings to this run's figures, add new rows")
    ap.add_argument("--min", type=float, default=None,
                    help="also fail if a condition's pooled agreement is below this percent")
    ap.add_argument("--min-each", type=float, default=None,
                    help="also fail if one scenario's agreement is below this percent")
    ap.add_argument("--expect-failure", choices=("agreement", "false-alerts"),
                    help="self-test of the checker: exit 0 only if the gate fails on this "
                    "(and tcpfsm ran cleanly)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="tcpfsm runs in parallel (2)")
    ap.add_argument("--keep", metavar="DIR", help="write the derived recordings to DIR and keep them")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="per-scenario figures per condition and every disagreement")
    ap.add_argument("-e", "--explain", action="store_true",
                    help="with -v, print the connection's segments under each disagreement")
    ap.add_argument("dirs", nargs="*", help="recordings (default: all complete ones under %s)"
                    % os.path.relpath(DEFAULT_DIR))
    a = ap.parse_args()
    if not (os.path.isfile(a.tcpfsm) and os.access(a.tcpfsm, os.X_OK)):
        print("check.py: %s is not an executable" % a.tcpfsm, file=sys.stderr)
        return 2
    dirs = a.dirs or derive.find_recordings(DEFAULT_DIR)
    if not dirs:
        print("check.py: no recordings found", file=sys.stderr)
        return 2
    for d in dirs:
        if not derive.is_recording(d):
            print("check.py: %s: not a complete recording" % d, file=sys.stderr)
            return 2
    recs = [Recording(d) for d in dirs]
    sensor = derive.CONDITIONS
    if a.seeds:
        if a.update_floors:
            ap.error("--seeds: the floors are kept for seeds 1, 2 and 3 only")
        try:
            seeds = parse_seeds(a.seeds)
        except ValueError:
            ap.error("--seeds: a list of numbers and ranges, as 4-9 or 4,7,11")
        sensor = derive.conditions(seeds)
    known = {c.id: c for c in [CLEAN] + sensor}
    if a.conditions in ("clean", "sensor", "all"):
        conds = ([CLEAN] if a.conditions in ("clean", "all") else []) + \
            (sensor if a.conditions in ("sensor", "all") else [])
    else:
        ids = a.conditions.split(",")
        if not all(i in known for i in ids):
            ap.error("--conditions: unknown condition in %r" % a.conditions)
        conds = [c for c in known.values() if c.id in ids]

    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
        workdir = a.keep
    else:
        workdir = tempfile.mkdtemp(prefix="tfk-sensor-")
    try:
        results = evaluate(a.tcpfsm, recs, conds, workdir, a.jobs, a.explain)
    finally:
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    floors = read_floors(a.floors)
    print_summary(summarize(results))
    if a.verbose:
        print_details(results, floors)

    fails, none = gate(results, floors)
    if sum(r.checks for r in results) == 0:
        fails.append((None, "none", "no check was counted"))
    for c in conds:
        rs = [r for r in results if r.cond is c]
        checks, agree = sum(r.checks for r in rs), sum(r.agree for r in rs)
        if a.min is not None and checks and 100.0 * agree / checks < a.min:
            fails.append((None, "agreement", "%s: agreement %.1f%% below --min %.1f%%" % (
                c.id, 100.0 * agree / checks, a.min)))
        for r in rs:
            if a.min_each is not None and r.checks and r.pct() < a.min_each:
                fails.append((r, "agreement", "agreement %.1f%% below --min-each %.1f%%" % (
                    r.pct(), a.min_each)))
    if none:
        per = {}
        for c, s in none:
            per.setdefault(s, []).append(c)
        print("\nno floor yet (passes; --update-floors adds them): %s" % ", ".join(
            "%s (%s)" % (s, cs[0] if len(cs) == 1 else "%d conditions" % len(cs))
            for s, cs in sorted(per.items())))
    if a.update_floors:
        new, changes = raise_floors(floors, results)
        write_floors(a.floors, new)
        print("\n%s: %d change(s)" % (a.floors, len(changes)))
        for c in changes:
            print("  " + c)
    if a.expect_failure:
        kinds = {k for _, k, _ in fails}
        ok = a.expect_failure in kinds and "problem" not in kinds and "none" not in kinds
        print("\nself-test: %s (expected: a failure of kind %s; got: %s)" % (
            "PASS" if ok else "FAIL", a.expect_failure, ", ".join(sorted(kinds)) or "none"))
        for r, _, text in fails[:10]:
            print("  %s%s" % ("" if r is None else "%s %s: " % (r.cond.id, r.rec.name), text))
        return 0 if ok else 1
    if fails:
        print("\nFAIL:", file=sys.stderr)
        for r, _, text in fails:
            print("  %s%s" % ("" if r is None else "%s %s: " % (r.cond.id, r.rec.name), text),
                  file=sys.stderr)
        if not a.verbose:
            print("(-v lists every disagreement and false alert)", file=sys.stderr)
        return 1
    print("\nPASS: %d condition(s) x %d recording(s), every scenario at or above its floor" % (
        len(conds), len(recs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
