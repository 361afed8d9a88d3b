#!/usr/bin/env python3
"""Live, the alert rate limit still guards the outputs (offline it is off,
tests/cli): 400 clients each send a SYN to a server of its own that
never answers, within a fraction of a second, and again half a second
later, on a veth; tcpfsm -i must
report some of their alerts, count the rest as suppressed, and report no
more than the limit allows.

Needs root (network namespaces); exits 77 (skipped) without it.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from netns_pair import PY, SYN_FRAME, NetnsPair, in_ns, sh  # noqa: E402

PAIR = NetnsPair("tfr", "10.87.0")
N = 400

# Crafted frames, sent as they are on the client's end of the veth: the
# destinations need no route and no host, and nothing answers them.
SENDER = SYN_FRAME + r"""

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
n = int(sys.argv[2])
# Each SYN goes again half a second later, as a stuck host resends it: the
# retransmission is what shows it stuck.
for again in range(2):
    for i in range(n):
        s.send(syn(bytes([10, 1, i >> 8, i & 255]),
                   bytes([10, 2, i >> 8, i & 255]), 40000, 80, i))
    time.sleep(0.5)
"""


def main():
    tcpfsm = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("needs root and iproute2: skipped")
        return 77
    # Its output goes to a file: a pipe nobody reads until the end would
    # fill and stop tcpfsm mid-capture.
    out_file = tempfile.TemporaryFile(mode="w+")
    try:
        PAIR.setup()
        live = subprocess.Popen(
            in_ns(PAIR.server_ns, tcpfsm, "-i", PAIR.server_dev,
                  "--format", "json", "--alert", "SYN_SENT=1s", "tcp"),
            stdout=out_file, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        sh(*in_ns(PAIR.client_ns, PY, "-c", SENDER, PAIR.client_dev,
                  str(N)))
        time.sleep(3.0)  # the alerts are due a second after each SYN
        live.send_signal(signal.SIGINT)
        _, err = live.communicate(timeout=10)
        out_file.seek(0)
        out = out_file.read()
    finally:
        PAIR.teardown()
    events = [json.loads(line) for line in out.splitlines()]
    alerts = [e for e in events if e["type"] == "alert"]
    stats = events[-1] if events else {}
    syns = sum(1 for e in events if e["type"] == "transition" and
               e["to"] == "SYN_SENT")
    print(f"{syns} SYNs seen, {len(alerts)} alerts, "
          f"{stats.get('alerts_suppressed')} suppressed")
    ok = (live.returncode == 0 and syns == N and 0 < len(alerts) < N and
          stats.get("alerts_suppressed", 0) > 0 and
          len(alerts) + stats["alerts_suppressed"] == N)
    if live.returncode != 0:
        print(f"tcpfsm exited {live.returncode}: {err}")
    print("live keeps the rate limit" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
