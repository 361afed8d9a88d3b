#!/usr/bin/python3
"""fake_tcpfsm.py - stands in for tcpfsm to test check.py and alerts_check.py.

    fake_tcpfsm.py [-c CONFIG] -r DIR/capture.pcap --format json

Reads the kernel truth beside the capture (DIR/truth.tsv: derived captures
carry a copy) instead of the capture, so it is as good on a derived capture
as on the clean one. Modes (TFK_FAKE):

  truth   (default) a perfect tracker: one "transition" per change in
          truth.tsv, 50 ms before the `ss` poll that saw it; with -c, also
          one "alert" per run of a stuck-able state that lasted its
          alerts_check threshold (fired at since + threshold; for a
          half-close in use, since is the CLOSE_WAIT host's last data).
          The checkers must pass it.
  silent  prints nothing (every endpoint stays CLOSED, no alert): must fail
          the floors and the alert recall.
  late    the truth's transitions 0.3 s after the poll that saw them (the
          change itself came up to 0.1 s before that poll): must fail the
          floors, since late is wrong.
  noisy   the truth's transitions, plus (with -c) a false syn_sent_stuck
          alert on every endpoint that is ESTABLISHED for 2 s: must fail
          the false-alert ceilings and the alert precision.

Alert kinds are spelt out in KINDS so that alerts_check finds them in this
file as it finds them in the tcpfsm executable. Python standard library only.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import alerts_check  # noqa: E402
import truth  # noqa: E402

KINDS = {"SYN_SENT": "syn_sent_stuck", "SYN_RECEIVED": "syn_received_stuck",
         "FIN_WAIT_1": "fin_wait_1_stuck", "FIN_WAIT_2": "fin_wait_2_stuck",
         "CLOSING": "closing_stuck", "CLOSE_WAIT": "close_wait_stuck",
         "LAST_ACK": "last_ack_stuck"}
EARLY = 0.05  # a perfect tracker saw the cause before the poll did
LATE = 0.30


def main():
    args = sys.argv[1:]
    pcap = args[args.index("-r") + 1]
    alerts = "-c" in args
    mode = os.environ.get("TFK_FAKE", "truth")
    if mode == "silent":
        return 0
    d = os.path.dirname(pcap)
    with open(os.path.join(d, "scenario.json")) as f:
        end = json.load(f).get("recording", {}).get("end")
    runs = {}  # (host, client, server) -> [(t, state)]
    for r in truth.read_tsv(os.path.join(d, "truth.tsv")):
        ep = r["host"]
        c, s = (r["local"], r["peer"]) if ep == "client" else (r["peer"], r["local"])
        runs.setdefault((ep, c, s), []).append((float(r["time"]), r["state"]))
    shift = LATE if mode == "late" else -EARLY
    # The hosts' own segments (a derived capture's recording, where it is
    # at hand): a half-close in use is timed from the last data (#21).
    orig = os.path.join(alerts_check.REPO, "pcaps", "kernel",
                        os.path.basename(os.path.normpath(d)), "capture.pcap")
    segs, _ = truth.read_pcap(orig if os.path.exists(orig) else pcap)
    events = []
    for (ep, c, s), tl in runs.items():
        frm = "CLOSED"
        for i, (t, st) in enumerate(tl):
            if st == frm:
                continue
            ts = t + shift
            events.append({"ts": round(ts, 6), "type": "transition", "conn": 1,
                           "client": c, "server": s, "endpoint": ep, "from": frm,
                           "to": st, "cause": "fake"})
            frm = st
            if not alerts:
                continue
            nxt = next((u for u, st2 in tl[i + 1:] if st2 != st), end)
            if mode == "noisy" and st == "ESTABLISHED":
                kind, state, limit = KINDS["SYN_SENT"], "SYN_SENT", 2.0
            elif st in KINDS and mode == "truth":
                kind, state, limit = KINDS[st], st, alerts_check.THRESHOLDS[st]
            else:
                continue
            since = ts
            if mode == "truth" and st in ("CLOSE_WAIT", "FIN_WAIT_2") and nxt is not None:
                me, peer = (c, s) if ep == "client" else (s, c)
                src, dst = (me, peer) if st == "CLOSE_WAIT" else (peer, me)
                data = alerts_check.last_data(segs, src, dst, ts, nxt)
                since = max(ts, data) if data is not None else ts
            if nxt is not None and nxt - since > limit:
                events.append({"ts": round(since + limit, 6), "type": "alert", "conn": 1,
                               "client": c, "server": s, "alert": kind, "endpoint": ep,
                               "state": state, "since": round(since, 6), "duration": limit,
                               "diagnosis": "fake", "count": 1, "aggregate": False})
    events.sort(key=lambda e: e["ts"])
    for e in events:
        print(json.dumps(e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
