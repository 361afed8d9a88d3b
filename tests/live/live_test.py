#!/usr/bin/env python3
"""Live capture on a real interface must report what offline reading reports.

Builds two network namespaces joined by a veth pair, runs `tcpfsm -i` on the
server's end (and tcpdump beside it), drives real TCP traffic through it (a
normal connection, a refused one, one held open in CLOSE_WAIT, and a SYN
dropped by the server's firewall, i.e. after the capture point), stops
tcpfsm with SIGINT, then reads tcpdump's capture with `tcpfsm -r`. The
transitions and alerts up to the last packet must be the same, event for
event: live capture, the wall-clock tick and offline reading share one
tracker and one clock (the kernel's packet timestamps).

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
from netns_pair import PY, NetnsPair, in_ns, sh  # noqa: E402

PAIR = NetnsPair("tfl", "10.88.0")
NS_C, NS_S = PAIR.client_ns, PAIR.server_ns
C, S = PAIR.client_ip, PAIR.server_ip
TOLERANCE = 0.05  # seconds between two sockets' stamps of one packet


def setup():
    PAIR.setup()
    # The server's firewall drops SYNs to port 81: after the capture point.
    sh(*in_ns(NS_S, "nft", "add table inet f; add chain inet f in "
              "{ type filter hook input priority 0; }; "
              "add rule inet f in tcp dport 81 drop"))


teardown = PAIR.teardown


SERVER = r"""
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", 80)); s.listen(16)
held = []
s.settimeout(8)
try:
    while True:
        c, _ = s.accept()
        data = c.recv(100)
        if data == b"hold":
            c.close()          # server closes first; the client holds
        else:
            c.sendall(b"pong"); time.sleep(0.1); c.close()
except socket.timeout:
    pass
""" % S

CLIENT = r"""
import socket, time
def conn(port, payload=None, timeout=10):
    c = socket.socket(); c.settimeout(timeout)
    try:
        c.connect(("%s", port))
    except OSError:
        return None
    if payload:
        c.sendall(payload)
    return c
c = conn(80, b"ping"); c.recv(10); time.sleep(0.2); c.close()
conn(82)                       # refused: nothing listens there
held = conn(80, b"hold")       # left in CLOSE_WAIT
stuck = socket.socket(); stuck.setblocking(False)
try:
    stuck.connect(("%s", 81))  # SYN dropped by the server's firewall
except BlockingIOError:
    pass
time.sleep(2.5)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"last", ("%s", 9))   # the last packet: the end of the comparison
time.sleep(0.5)
""" % (S, S, S)


def events(path):
    out = []
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e["type"] in ("transition", "alert", "resolved"):
                out.append(e)
    return out


def main():
    tcpfsm = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("needs root and iproute2: skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="tcpfsm-live-")
    try:
        setup()
        live_out = os.path.join(tmp, "live.json")
        pcap = os.path.join(tmp, "wire.pcap")
        args = ["--format", "json", "--alert", "SYN_SENT=1s",
                "--alert", "CLOSE_WAIT=1s"]
        with open(live_out, "w") as lf:
            live = subprocess.Popen(in_ns(NS_S, tcpfsm, "-i", "tfls")
                                    + args + ["tcp or udp"], stdout=lf,
                                    stderr=subprocess.PIPE, text=True)
            dump = subprocess.Popen(in_ns(NS_S, "tcpdump", "-i", "tfls",
                                          "-U", "-n", "-w", pcap,
                                          "tcp or udp"),
                                    stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            srv = subprocess.Popen(in_ns(NS_S, PY, "-c", SERVER))
            time.sleep(0.3)
            sh(*in_ns(NS_C, PY, "-c", CLIENT))
            time.sleep(0.3)
            live.send_signal(signal.SIGINT)
            dump.send_signal(signal.SIGINT)
            _, err = live.communicate(timeout=10)
            dump.wait(timeout=10)
            srv.kill()
        if live.returncode != 0:
            print(f"live tcpfsm exited {live.returncode}: {err}")
            return 1
        off_out = os.path.join(tmp, "offline.json")
        with open(off_out, "w") as of:
            subprocess.run([tcpfsm, "-r", pcap] + args, stdout=of,
                           check=True)
        last = float(sh("tcpdump", "-r", pcap, "-n", "-tt").stdout
                     .splitlines()[-1].split()[0])
        live_ev = [e for e in events(live_out) if e["ts"] <= last]
        off_ev = [e for e in events(off_out) if e["ts"] <= last]

        kinds = {(e["type"], e.get("alert", e.get("to"))) for e in off_ev}
        need = {("alert", "syn_sent_stuck"), ("alert", "close_wait_stuck")}
        print(f"live: {len(live_ev)} events, offline: {len(off_ev)} events")
        ok = True
        if not need <= kinds:
            print(f"missing from the offline run: {need - kinds}")
            ok = False
        if not any(e["type"] == "transition" and e["to"] == "TIME_WAIT"
                   for e in off_ev):
            print("no normal close seen (no TIME_WAIT)")
            ok = False
        # Two packet sockets may stamp one packet a few ms apart, so two
        # events due within those ms may come in either order: match each
        # live event to an offline one equal in all but time, and close in
        # time.
        strip = ("ts", "since", "duration")

        def key(e):
            return json.dumps({k: v for k, v in e.items() if k not in strip},
                              sort_keys=True)
        unmatched = list(off_ev)
        missing = []
        for a in live_ev:
            for i, b in enumerate(unmatched):
                if key(a) == key(b) and abs(a["ts"] - b["ts"]) < TOLERANCE:
                    del unmatched[i]
                    break
            else:
                missing.append(a)
        if missing or unmatched:
            ok = False
            print("live and offline differ:")
            for e in missing[:3]:
                print(f"  only live:    {e}")
            for e in unmatched[:3]:
                print(f"  only offline: {e}")
        for e in live_ev:
            if e["type"] == "alert":
                print(f"  alert: {e['endpoint']} {e['state']}: "
                      f"{e['diagnosis']}")
        print("live == offline" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        teardown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
