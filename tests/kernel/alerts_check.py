#!/usr/bin/python3
"""alerts_check.py - tcpfsm's stuck-state alerts against the real kernels.

    alerts_check.py --tcpfsm PATH [--strict-expected] [--expect-failure KIND]
                    [scenario dirs...]

Replays every recording under pcaps/kernel with thresholds short enough for
recordings of a few seconds (THRESHOLDS), folding off so that every endpoint
is judged on its own, and checks:
  * precision: every alert names an endpoint and a state the kernel (ss) had
    that endpoint in when the alert fired, and the kernel had held that state
    since the alert says it began (0.2 s of margin): no false alarm, and in
    particular none in the normal scenarios (false_alerts());
  * recall: every quiet interval in which the kernel held a stuck-able state
    for the threshold plus a second raised its alert (wire-ambiguous
    endpoints apart: the sensor cannot see them). A half-close in use is no
    one stuck: a CLOSE_WAIT host sending data, and its FIN_WAIT_2 peer, are
    timed from its last data, and an alert raised on either while that data
    still flowed is a false alarm (half_close_alarms());
  * a diagnosis that blames a loss names a side of the sensor where the
    scenario really loses packets: for a fault placed after the sensor,
    "between this sensor and HOST" with HOST the host the packets were going
    to; for one before it, "... and this sensor" or "before this sensor";
  * scenario.json's "expected_alerts" ({conn, host, kind, side}), if any:
    each is raised on that connection's endpoint on that host (and, when
    side is "after_sensor"/"before_sensor", with a diagnosis naming that
    side of the sensor; "none": any diagnosis; "client"/"server": by that
    endpoint). A kind tcpfsm cannot emit yet (its name is not a string
    constant of the executable) is listed as "missing" and only fails with
    --strict-expected.

The precision rule is shared with check.py, which counts false alerts on
every imperfect-sensor derivation: false_alerts(), unexpected_stalls()
(a stall alert the recording does not expect), alert_config() and
run_alerts() are its interface. Python standard library only; exits 1 on
any failure, 0 otherwise; with --expect-failure missed|false (the
self-tests, with fake_tcpfsm.py) 0 only if it failed that way.
"""
import argparse
import bisect
import json
import os
import struct
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
HELD_MARGIN = 0.2  # the kernel must hold the state from the alert's since + this


def alert_config(directory):
    """Writes the short-threshold, no-folding configuration; returns its path."""
    path = os.path.join(directory, "alerts.yaml")
    with open(path, "w") as f:
        f.write(CONFIG)
    return path


def run_alerts(tcpfsm, cfg, pcap, timeout=120):
    """tcpfsm's alert events on pcap, and a list of problems running it."""
    try:
        p = subprocess.run([tcpfsm, "-c", cfg, "-r", pcap, "--format", "json"],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [], ["tcpfsm timed out"]
    except OSError as e:
        return [], ["tcpfsm could not run: %s" % e]
    return parse_alerts(p.stdout, p.returncode, p.stderr)


def parse_alerts(stdout, rc=0, stderr=""):
    problems = []
    if rc != 0:
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        problems.append("tcpfsm exited with status %d: %s" % (rc, last))
    alerts = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            e = json.loads(line)
        except ValueError:
            problems.append("malformed JSON: %.80s" % line)
            continue
        if isinstance(e, dict) and e.get("type") == "alert":
            alerts.append(e)
    return alerts, problems


class KernelTruth:
    """truth.tsv indexed per socket: the kernel's state at any time."""

    def __init__(self, rows, meta):
        self.tl = {}  # (host, local, peer) -> ([times], [states])
        for r in rows:
            t, s = self.tl.setdefault((r["host"], r["local"], r["peer"]), ([], []))
            t.append(float(r["time"]))
            s.append(r["state"])
        self.hosts = {a: h for h in ("client", "server") for a in meta["topology"][h]}
        self.ambiguous = {(e["host"], e["local"]): e.get("why", "")
                          for e in meta.get("ambiguous_endpoints", [])
                          if isinstance(e, dict) and "local" in e}

    def host_of(self, addr):
        return self.hosts.get(truth.addr_ip(addr), "?")

    def state(self, host, local, peer, ts):
        """(state ss last showed at ts, time of the poll that first showed it
        in that run); CLOSED (since None) before the socket was known."""
        times, states = self.tl.get((host, local, peer), ([], []))
        i = bisect.bisect_right(times, ts) - 1
        if i < 0:
            return "CLOSED", None
        j = i
        while j > 0 and states[j - 1] == states[i]:
            j -= 1
        return states[i], times[j]


def alert_endpoint(a):
    """(the alerting endpoint's address, its peer's)."""
    me = a[a["endpoint"]]
    return me, a["server" if a["endpoint"] == "client" else "client"]


def false_alerts(kt, alerts, t0=0.0):
    """The alerts the kernel contradicts, as (text, annotation) pairs: the
    kernel did not have the endpoint in the alert's state at the alert's
    time, or had not held it there since the alert's since (+ HELD_MARGIN).
    The annotation says why the wire may not tell (wire-ambiguous endpoint),
    or is None; annotated alerts count all the same."""
    out = []
    for a in alerts:
        try:
            me, peer = alert_endpoint(a)
            me, peer = truth.norm_addr(me), truth.norm_addr(peer)
            ts, state = float(a["ts"]), a["state"]
            since = float(a.get("since", ts))
        except (KeyError, TypeError, ValueError):
            out.append(("malformed alert: %.100s" % json.dumps(a), None))
            continue
        host = kt.host_of(me)
        k, k_from = kt.state(host, me, peer, ts)
        if k != state:
            why = "kernel %s at the alert's time" % k
        elif k_from is not None and k_from > since + HELD_MARGIN:
            why = "kernel %s only from %.2f s, alert says since %.2f s" % (
                k, k_from - t0, since - t0)
        else:
            continue
        text = "false alarm: %s on %s %s at %.2f s: %s" % (
            a.get("alert"), host, me, ts - t0, why)
        amb = kt.ambiguous.get((host, me))
        out.append((text, "wire-ambiguous: " + amb if amb is not None else None))
    return out


def half_close_alarms(alerts, segs, t0=0.0):
    """CLOSE_WAIT and FIN_WAIT_2 alerts raised while the CLOSE_WAIT host was
    still sending data after the alert's since (1 s of slack: the tracker
    restarts that clock at most once a second): a half-close in use, not a
    host stuck (#21)."""
    out = []
    for a in alerts:
        if a.get("state") not in ("CLOSE_WAIT", "FIN_WAIT_2"):
            continue
        me, peer = alert_endpoint(a)
        me, peer = truth.norm_addr(me), truth.norm_addr(peer)
        src, dst = (me, peer) if a["state"] == "CLOSE_WAIT" else (peer, me)
        ts, since = float(a["ts"]), float(a.get("since", a["ts"]))
        data = last_data(segs, src, dst, since + 1.0 + HELD_MARGIN, ts)
        if data is not None:
            out.append("false alarm: %s on %s at %.2f s: %s sent data at "
                       "%.2f s, after the alert's since %.2f s (a half-close "
                       "in use)" % (a.get("alert"), me, ts - t0, src,
                                    data - t0, since - t0))
    return out


def diagnosis_problems(meta, kt, alerts):
    problems = []
    for a in alerts:
        diag = a.get("diagnosis", "")
        if "lost" not in diag or not meta.get("faults"):
            continue
        wants = []
        for f in meta["faults"]:
            target = f["lost_between"].split(" and ")[-1].replace("the ", "")
            if f["side"] == "after the sensor":
                wants.append("between this sensor and " +
                             (a["client"] if target == "client" else a["server"]))
            else:
                wants += ["and this sensor", "before this sensor"]
        if not any(w in diag for w in wants):
            me, _ = alert_endpoint(a)
            problems.append(f"{a['alert']} on {kt.host_of(me)}: the diagnosis "
                            f"names no side of the sensor where this "
                            f"scenario loses packets: {diag}")
    return problems


def last_data(segs, src, dst, start, end):
    """The time of the last segment with data from src to dst in [start,
    end], or None."""
    ts = [g.ts for g in segs
          if g.plen and g.src == src and g.dst == dst and start <= g.ts <= end]
    return max(ts) if ts else None


def recall(kt, quiet, alerts, segs=()):
    """(number of stuck intervals that needed an alert, problems). A
    half-close in use is no one stuck: a CLOSE_WAIT host sending data does
    what its application asked, and its FIN_WAIT_2 peer reads it (#21), so
    their time counts from the last data the CLOSE_WAIT host sent (segs:
    the capture's segments)."""
    alerted = {(kt.host_of(alert_endpoint(a)[0]), alert_endpoint(a)[0], a["state"])
               for a in alerts}
    needed, problems = 0, []
    for q in quiet:
        t = THRESHOLDS.get(q["state"])
        if t is None or (q["host"], q["local"]) in kt.ambiguous:
            continue
        start = q["since"] if q["since"] is not None else q["start"]
        if q["state"] in ("CLOSE_WAIT", "FIN_WAIT_2"):
            sender = (q["local"], q["peer"]) if q["state"] == "CLOSE_WAIT" \
                else (q["peer"], q["local"])
            data = last_data(segs, sender[0], sender[1], start, q["end"])
            if data is not None:
                start = max(start, data)
        if q["end"] - start < t + 1.0:
            continue
        needed += 1
        if (q["host"], q["local"], q["state"]) not in alerted:
            problems.append(f"missed: {q['host']} {q['local']} held "
                            f"{q['state']} {q['end'] - start:.1f} s, no alert")
    return needed, problems


# Stalls of established connections: both kernels stay ESTABLISHED, so the
# precision rule (the kernel's state) cannot refute one; an alert of these
# kinds is a false alarm unless scenario.json expects it (the controls and
# the handshake and teardown recordings expect none).
STALL_KINDS = ("unacked_data", "mtu_blackhole", "zero_window",
               "keepalive_unanswered")


# Kinds that name the same stall: an MTU black hole is data not
# acknowledged whose failing size is known.
STALL_FAMILY = {"unacked_data": "data", "mtu_blackhole": "data",
                "zero_window": "zero_window",
                "keepalive_unanswered": "keepalive_unanswered"}


def unexpected_stalls(meta, kt, alerts, t0=0.0):
    """The stall alerts (STALL_KINDS) that no expected alert of the
    recording accounts for, as false_alerts() reports them: scenario.json
    expects none on that connection's endpoint on that host, of that family
    (STALL_FAMILY; an MTU black hole reported as data not acknowledged, or
    the reverse, is a diagnosis less precise, not a false alarm). The side
    of the sensor is not judged here (alerts_check does, on the clean
    recordings). The controls and the handshake and teardown recordings
    expect none: each of their stall alerts is false, whatever the capture
    (check.py counts them on every derived one). The kernel's state cannot
    refute these alerts (both hosts stay ESTABLISHED), hence this rule."""
    conns = meta.get("connections", {}) or {}
    want = set()
    for e in meta.get("expected_alerts", []) or []:
        c = conns.get(e.get("conn"))
        if c is None or e.get("kind") not in STALL_FAMILY:
            continue
        want.add((frozenset((truth.norm_addr(c["client"]), truth.norm_addr(c["server"]))),
                  e.get("host"), STALL_FAMILY[e["kind"]]))
    out = []
    for a in alerts:
        kind = a.get("alert")
        if kind not in STALL_KINDS:
            continue
        try:
            me, peer = alert_endpoint(a)
            me, peer = truth.norm_addr(me), truth.norm_addr(peer)
            ts = float(a["ts"])
        except (KeyError, TypeError, ValueError):
            out.append(("malformed alert: %.100s" % json.dumps(a), None))
            continue
        host = kt.host_of(me)
        if (frozenset((me, peer)), host, STALL_FAMILY[kind]) in want:
            continue
        text = "false alarm: %s on %s %s at %.2f s: no such stall in this recording: %s" % (
            kind, host, me, ts - t0, a.get("diagnosis", ""))
        amb = kt.ambiguous.get((host, me))
        out.append((text, "wire-ambiguous: " + amb if amb is not None else None))
    return out


def expected(meta, kt, alerts, emittable):
    """scenario.json's expected_alerts: (problems, missing). missing: the
    expected alerts of a kind tcpfsm cannot emit yet (emittable(kind) False).
    A stall alert (STALL_KINDS) that no expected alert accounts for is a
    problem."""
    problems, missing, matched = [], [], set()
    conns = meta.get("connections", {})
    for e in meta.get("expected_alerts", []) or []:
        conn, host, kind, side = e.get("conn"), e.get("host"), e.get("kind"), e.get("side")
        label = "%s %s %s%s" % (conn, host, kind, " (%s)" % side if side else "")
        c = conns.get(conn)
        if c is None:
            problems.append("expected alert %s: no connection %r in scenario.json" % (label, conn))
            continue
        c = {truth.norm_addr(c["client"]), truth.norm_addr(c["server"])}
        found = [a for a in alerts
                 if {truth.norm_addr(a["client"]), truth.norm_addr(a["server"])} == c
                 and a.get("alert") == kind
                 and kt.host_of(alert_endpoint(a)[0]) == host]
        if side in ("client", "server"):
            found = [a for a in found if a["endpoint"] == side]
        elif side and side != "none":
            words = ("and this sensor", "before this sensor") if "before" in side else \
                ("between this sensor and",)
            found = [a for a in found if any(w in a.get("diagnosis", "") for w in words)]
        if found:
            matched.update(id(a) for a in found)
            continue
        if not emittable(kind):
            missing.append("expected alert %s: a kind tcpfsm does not emit yet" % label)
        else:
            problems.append("expected alert %s: not raised" % label)
    for a in alerts:
        if a.get("alert") in STALL_KINDS and id(a) not in matched:
            me, _ = alert_endpoint(a)
            problems.append("false alarm: %s on %s %s, not expected: %s" % (
                a["alert"], kt.host_of(me), me, a.get("diagnosis", "")))
    return problems, missing


def emittable_kinds(tcpfsm):
    """kind -> can tcpfsm emit it: its name is a string constant of the
    executable (an ELF's .rodata sections, so that a function of the same
    name does not count), or, for a script, appears quoted in it."""
    try:
        with open(tcpfsm, "rb") as f:
            blob = f.read()
    except OSError:
        blob = b""
    if blob[:4] != b"\x7fELF":
        return lambda kind: bool(kind) and ('"%s"' % kind).encode() in blob
    rodata = elf_sections(blob, b".rodata")
    return lambda kind: bool(kind) and kind.encode() + b"\0" in rodata


def elf_sections(b, prefix):
    """The bytes of the ELF sections whose names start with prefix."""
    e = "<" if b[5] == 1 else ">"
    if b[4] == 2:  # 64-bit
        shoff, = struct.unpack_from(e + "Q", b, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", b, 0x3A)
        fmt = e + "IIQQQQ"
    else:
        shoff, = struct.unpack_from(e + "I", b, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", b, 0x2E)
        fmt = e + "IIIIII"
    secs = [struct.unpack_from(fmt, b, shoff + i * shentsize) for i in range(shnum)]
    names = secs[shstrndx][4]
    out = []
    for name, _, _, _, off, size in secs:
        n = b[names + name:b.index(b"\0", names + name)]
        if n.startswith(prefix):
            out.append(b[off:off + size])
    return b"\0".join(out)


def check_scenario(tcpfsm, cfg, d, emittable):
    meta = json.load(open(os.path.join(d, "scenario.json")))
    kt = KernelTruth(truth.read_tsv(os.path.join(d, "truth.tsv")), meta)
    quiet = truth.read_quiet(os.path.join(d, "quiet.tsv"))
    t0 = meta.get("recording", {}).get("start", 0.0)
    alerts, problems = run_alerts(tcpfsm, cfg, os.path.join(d, "capture.pcap"))
    for text, amb in false_alerts(kt, alerts, t0):
        problems.append(text + ("\n      (%s)" % amb if amb else ""))
    problems += diagnosis_problems(meta, kt, alerts)
    segs, _ = truth.read_pcap(os.path.join(d, "capture.pcap"))
    problems += half_close_alarms(alerts, segs, t0)
    needed, missed = recall(kt, quiet, alerts, segs)
    problems += missed
    exp_problems, missing = expected(meta, kt, alerts, emittable)
    problems += exp_problems
    return len(alerts), needed, len(meta.get("expected_alerts", []) or []), problems, missing


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tcpfsm", required=True)
    ap.add_argument("--strict-expected", action="store_true",
                    help="fail on expected alerts of kinds tcpfsm does not emit yet")
    ap.add_argument("--expect-failure", choices=("missed", "false"),
                    help="self-test of the checker: exit 0 only if it fails with a missed "
                    "alert / a false alarm (and tcpfsm ran cleanly)")
    ap.add_argument("dirs", nargs="*")
    a = ap.parse_args()
    import derive
    dirs = a.dirs or derive.find_recordings(os.path.join(REPO, "pcaps", "kernel"))
    if not dirs:
        print("alerts_check.py: no recordings found", file=sys.stderr)
        return 2
    emittable = emittable_kinds(a.tcpfsm)
    failed = total_alerts = total_needed = total_exp = 0
    all_missing, all_problems = [], []
    with tempfile.TemporaryDirectory(prefix="tfk-alerts-") as tmp:
        cfg = alert_config(tmp)
        print(f"{'scenario':28} {'alerts':>6} {'required':>8} {'expected':>8}  verdict")
        for d in dirs:
            n, needed, nexp, problems, missing = check_scenario(a.tcpfsm, cfg, d, emittable)
            total_alerts += n
            total_needed += needed
            total_exp += nexp
            if a.strict_expected:
                problems += missing
            else:
                all_missing += [(os.path.basename(d), m) for m in missing]
            print(f"{os.path.basename(d):28} {n:6} {needed:8} {nexp:8}  "
                  f"{'ok' if not problems else 'FAIL'}")
            for p in problems:
                print(f"    {p}")
            failed += bool(problems)
            all_problems += problems
    if all_missing:
        print("missing (not failed; --strict-expected fails them):")
        for name, m in all_missing:
            print(f"    {name}: {m}")
    print(f"{len(dirs) - failed} passed, {failed} failed scenarios; "
          f"{total_alerts} alerts, {total_needed} required, {total_exp} expected, "
          f"{len(all_missing)} missing")
    if a.expect_failure:
        prefix = {"missed": "missed:", "false": "false alarm:"}[a.expect_failure]
        ran = not any(p.startswith(("tcpfsm ", "malformed")) for p in all_problems)
        ok = ran and total_needed > 0 and any(p.startswith(prefix) for p in all_problems)
        print(f"self-test: {'PASS' if ok else 'FAIL'} (expected a failure: "
              f"{a.expect_failure})")
        return 0 if ok else 1
    if total_needed == 0:
        print("no alert was required: the check checked nothing")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
