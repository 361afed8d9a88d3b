#!/usr/bin/env python3
"""Live, -w writes the alerting connections' packets from its ring: on a
veth, `tcpfsm -i ... -w out.pcap --alert SYN_SENT=1s` sees a normal
connection (to a listener in the server's namespace: handshake, data,
close) and a stuck one (crafted SYNs to a host that never answers: at
0 s, again at 0.5 s, as a stuck host resends, and once more at 2.5 s,
after the alert at 1 s). Stopped with SIGINT, its file must be a valid
pcap in the interface's link type (Ethernet), read by tcpdump, hold
every SYN of the stuck connection (those the ring kept from before the
alert and the one after it), and none of the normal connection's packets.

Needs root (network namespaces); exits 77 (skipped) without it.
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from netns_pair import PY, SYN_FRAME, NetnsPair, in_ns, sh  # noqa: E402

PAIR = NetnsPair("tfw", "10.86.0")
NS_C, NS_S = PAIR.client_ns, PAIR.server_ns
C, S = PAIR.client_ip, PAIR.server_ip
PORT = 80
# The stuck connection: crafted, between addresses no host has.
STUCK_SRC, STUCK_DST, STUCK_SPORT, STUCK_DPORT = "10.1.0.7", "10.2.0.7", \
    40007, 8080
STUCK_SEQ = 1000
DLT_EN10MB = 1

SERVER = r"""
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", %d)); s.listen(4)
s.settimeout(10)
try:
    c, _ = s.accept()
    c.recv(100); c.sendall(b"pong"); time.sleep(0.1); c.close()
except socket.timeout:
    pass
""" % (S, PORT)

CLIENT = r"""
import socket, time
c = socket.create_connection(("%s", %d), timeout=5)
print(c.getsockname()[1])
c.sendall(b"ping"); c.recv(10); time.sleep(0.2); c.close()
""" % (S, PORT)

# Sent as they are on the client's end of the veth: nothing routes them
# and nothing answers them (the destination MAC is no one's).
SENDER = SYN_FRAME + r"""

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
src, dst, sport, dport, seq = sys.argv[2:7]
frame = syn(socket.inet_aton(src), socket.inet_aton(dst), int(sport),
            int(dport), int(seq))
for pause in (0.5, 2.0, 0):     # SYNs at 0, 0.5 and 2.5 s
    s.send(frame)
    print(time.time(), flush=True)
    time.sleep(pause)
"""
N_STUCK_SYNS = 3


def read_pcap(path):
    """(link type, [(ts, frame)]) of a pcap file; raises on a bad one."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{len(data)} bytes: no pcap header")
    magic = data[:4]
    for order in ("<", ">"):
        m, = struct.unpack(order + "I", magic)
        if m in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise ValueError(f"not a pcap file: magic {magic.hex()}")
    frac = 1e-6 if m == 0xA1B2C3D4 else 1e-9
    major, minor, _, _, snaplen, linktype = struct.unpack(
        order + "HHiIII", data[4:24])
    if (major, minor) != (2, 4):
        raise ValueError(f"pcap version {major}.{minor}")
    packets, off = [], 24
    while off < len(data):
        if off + 16 > len(data):
            raise ValueError(f"truncated record header at {off}")
        sec, sub, incl, orig = struct.unpack(order + "IIII",
                                             data[off:off + 16])
        off += 16
        if incl > orig or incl > max(snaplen, 262144) or \
                off + incl > len(data):
            raise ValueError(f"bad record at {off - 16}: {incl}/{orig}")
        packets.append((sec + sub * frac, data[off:off + incl]))
        off += incl
    return linktype & 0xFFFF, packets


def tcp_of(frame):
    """(src, dst, sport, dport, flags, seq) of an Ethernet/IPv4/TCP frame,
    or None."""
    if len(frame) < 14 + 20 + 14 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6:
        return None
    src = ".".join(map(str, ip[12:16]))
    dst = ".".join(map(str, ip[16:20]))
    sport, dport, seq = struct.unpack("!HHI", ip[ihl:ihl + 8])
    return src, dst, sport, dport, ip[ihl + 13], seq


def main():
    tcpfsm = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("needs root and iproute2: skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="tcpfsm-write-")
    out_pcap = os.path.join(tmp, "out.pcap")
    out_json = os.path.join(tmp, "out.json")
    try:
        PAIR.setup()
        iface_type = sh(*in_ns(NS_S, "cat", "/sys/class/net/%s/type"
                               % PAIR.server_dev)).stdout.strip()
        # Its output goes to a file: a pipe nobody reads until the end
        # would fill and stop tcpfsm mid-capture.
        with open(out_json, "w") as of:
            live = subprocess.Popen(
                in_ns(NS_S, tcpfsm, "-i", PAIR.server_dev, "-w", out_pcap,
                      "--format", "json", "--alert", "SYN_SENT=1s", "tcp"),
                stdout=of, stderr=subprocess.PIPE, text=True)
            try:
                time.sleep(1.0)
                srv = subprocess.Popen(in_ns(NS_S, PY, "-c", SERVER))
                time.sleep(0.3)
                normal_port = int(sh(*in_ns(NS_C, PY, "-c", CLIENT))
                                  .stdout.split()[0])
                srv.wait(timeout=10)
                sender = sh(*in_ns(NS_C, PY, "-c", SENDER, PAIR.client_dev,
                                   STUCK_SRC, STUCK_DST, str(STUCK_SPORT),
                                   str(STUCK_DPORT), str(STUCK_SEQ)))
                sent = [float(t) for t in sender.stdout.split()]
                time.sleep(1.0)
            finally:
                live.send_signal(signal.SIGINT)
                _, err = live.communicate(timeout=15)
    finally:
        PAIR.teardown()
    try:
        return check(live.returncode, err, iface_type, normal_port, sent,
                     out_json, out_pcap)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check(rc, err, iface_type, normal_port, sent, out_json, out_pcap):
    ok = True

    def fail(msg):
        nonlocal ok
        ok = False
        print("FAIL:", msg)

    if rc != 0:
        fail(f"tcpfsm exited {rc}: {err}")
    normal = {(C, normal_port), (S, PORT)}
    stuck = {(STUCK_SRC, STUCK_SPORT), (STUCK_DST, STUCK_DPORT)}

    # What tcpfsm saw: the normal connection established, the stuck one
    # alerted between its second SYN and its third.
    with open(out_json) as f:
        events = [json.loads(line) for line in f if line.strip()]
    def of(e, client, server):
        return e.get("client") == client and e.get("server") == server

    normal_c, normal_s = "%s:%d" % (C, normal_port), "%s:%d" % (S, PORT)
    stuck_c = "%s:%d" % (STUCK_SRC, STUCK_SPORT)
    stuck_s = "%s:%d" % (STUCK_DST, STUCK_DPORT)
    reached = {e["to"] for e in events if e["type"] == "transition" and
               of(e, normal_c, normal_s)}
    if not {"ESTABLISHED", "TIME_WAIT"} <= reached:
        fail(f"the normal connection was not seen established and "
             f"closed: {sorted(reached)}")
    alerts = [e for e in events if e["type"] == "alert"]
    stuck_alerts = [e for e in alerts if of(e, stuck_c, stuck_s) and
                    e.get("endpoint") == "client" and
                    e.get("alert") == "syn_sent_stuck"]
    if len(alerts) != 1 or len(stuck_alerts) != 1:
        fail(f"expected one alert, the stuck client's: {alerts}")
    elif not sent[1] < stuck_alerts[0]["ts"] < sent[2]:
        fail(f"the alert ({stuck_alerts[0]['ts']}) is not between the "
             f"second and third SYN ({sent})")
    else:
        print(f"alert {stuck_alerts[0]['ts'] - sent[0]:.2f} s after the "
              f"first SYN, {sent[2] - stuck_alerts[0]['ts']:.2f} s before "
              f"the last")

    # The file: tcpdump reads it, and so does this reader.
    dump = subprocess.run(["tcpdump", "-r", out_pcap, "-n"],
                          capture_output=True, text=True)
    if dump.returncode != 0:
        fail(f"tcpdump -r: {dump.stderr.strip()}")
    elif "link-type EN10MB" not in dump.stderr:
        fail(f"tcpdump -r: {dump.stderr.strip()}")
    try:
        linktype, packets = read_pcap(out_pcap)
    except (OSError, ValueError) as e:
        fail(f"out.pcap: {e}")
        return 1
    # A veth is Ethernet (ARPHRD_ETHER 1), whose pcap link type is 1.
    if iface_type != "1" or linktype != DLT_EN10MB:
        fail(f"link type {linktype}, interface type {iface_type}: "
             f"expected Ethernet")
    print(f"out.pcap: link type {linktype}, {len(packets)} packets")
    stuck_syns = normal_pkts = others = 0
    for ts, frame in packets:
        t = tcp_of(frame)
        ends = {(t[0], t[2]), (t[1], t[3])} if t else set()
        if ends == stuck:
            if t[4] & 0x3F == 0x02 and t[5] == STUCK_SEQ:
                stuck_syns += 1
            else:
                others += 1
        elif ends == normal:
            normal_pkts += 1
        else:
            others += 1
    print(f"  stuck connection's SYNs: {stuck_syns} of {len(sent)} sent; "
          f"normal connection's packets: {normal_pkts}; others: {others}")
    if stuck_syns != len(sent) or len(sent) != N_STUCK_SYNS:
        fail(f"{stuck_syns} of the stuck connection's {len(sent)} SYNs "
             f"written")
    if normal_pkts:
        fail(f"{normal_pkts} of the normal connection's packets written")
    if others:
        fail(f"{others} packets of neither connection written")
    print("live -w writes the alerting connection" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
