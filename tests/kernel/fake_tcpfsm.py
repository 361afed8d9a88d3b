#!/usr/bin/python3
"""fake_tcpfsm.py - stands in for tcpfsm to test check.py itself.

    fake_tcpfsm.py -r DIR/capture.pcap --format json

TFK_FAKE=truth (default): prints one JSON "transition" per change in
DIR/truth.tsv, 50 ms before the `ss` poll that saw it (a perfect tracker);
check.py must pass. TFK_FAKE=silent: prints nothing (every endpoint stays
CLOSED); check.py must fail. Python standard library only.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import truth  # noqa: E402

pcap = sys.argv[sys.argv.index("-r") + 1]
if os.environ.get("TFK_FAKE", "truth") == "silent":
    sys.exit(0)
last = {}
for r in truth.read_tsv(os.path.join(os.path.dirname(pcap), "truth.tsv")):
    ep = r["host"]
    c, s = (r["local"], r["peer"]) if ep == "client" else (r["peer"], r["local"])
    frm = last.get((ep, c, s), "CLOSED")
    last[(ep, c, s)] = r["state"]
    if frm == r["state"]:
        continue
    print(json.dumps({"ts": round(float(r["time"]) - 0.05, 6), "type": "transition", "conn": 1,
                      "client": c, "server": s, "endpoint": ep, "from": frm,
                      "to": r["state"], "cause": "fake"}))
