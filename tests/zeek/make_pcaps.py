#!/usr/bin/env python3
"""Writes the crafted captures of pcaps/zeek/ (deterministic: same bytes on
every run). Each connection is built to give one Zeek conn_state or history
letter; pcaps/zeek/README.md says, record by record, what Zeek logs for it
and why. Checksums are correct, so Zeek itself can be run on them without -C.

Usage: tests/zeek/make_pcaps.py [OUTDIR]   (default: pcaps/zeek)
"""
import os
import struct
import sys

T0 = 1700000000.0

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import socket
    return socket.inet_pton(socket.AF_INET6, a)


def tcp_segment(src, dst, sport, dport, flags, seq, ack, payload, win, v6):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, 5 << 4, flags, win, 0, 0)
    seg = hdr + payload
    if v6:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    else:
        pseudo = src + dst + struct.pack("!xBH", 6, len(seg))
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def frame(src, dst, sport, dport, flags, seq, ack, plen, win):
    v6 = ":" in src
    s, d = (ip6(src), ip6(dst)) if v6 else (ip4(src), ip4(dst))
    seg = tcp_segment(s, d, sport, dport, flags, seq, ack, b"x" * plen, win,
                      v6)
    if v6:
        ip = struct.pack("!IHBB", 6 << 28, len(seg), 6, 64) + s + d
        etype = 0x86DD
    else:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0, 0x4000,
                        64, 6, 0, s, d)
        ip = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        etype = 0x0800
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!H", etype)
    return eth + ip + seg


class Conn:
    """One TCP connection: the client's and the server's next sequence
    numbers are tracked so that scenarios read like the wire."""

    def __init__(self, cap, client, server, cisn=1000, sisn=5000,
                 wrap=None):
        self.cap = cap
        self.c, self.s = client, server
        self.seq = {"c": cisn, "s": sisn}
        self.wrap = wrap  # frame, who ("c" or "s") -> the packet sent

    def _ends(self, who):
        (a, ap), (b, bp) = (self.c, self.s) if who == "c" else (self.s, self.c)
        return a, b, ap, bp

    def send(self, t, who, flags, plen=0, seq=None, ack=None, win=8192):
        a, b, ap, bp = self._ends(who)
        other = "s" if who == "c" else "c"
        if seq is None:
            seq = self.seq[who]
        if ack is None:
            ack = self.seq[other] if flags & ACK else 0
        f = frame(a, b, ap, bp, flags, seq, ack, plen, win)
        self.cap.add(t, self.wrap(f, who) if self.wrap else f)
        adv = plen + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
        if not flags & RST:
            self.seq[who] = max(self.seq[who], seq + adv)
        return self

    def handshake(self, t, dt=0.001):
        self.send(t, "c", SYN)
        self.send(t + dt, "s", SYN | ACK)
        self.send(t + 2 * dt, "c", ACK)
        return t + 3 * dt

    def close(self, t, dt=0.001, first="c"):
        second = "s" if first == "c" else "c"
        self.send(t, first, FIN | ACK)
        self.send(t + dt, second, FIN | ACK)
        self.send(t + 2 * dt, first, ACK)
        return t + 3 * dt


class Capture:
    def __init__(self):
        self.pkts = []

    def add(self, t, data):
        self.pkts.append((t, data))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, data in sorted(self.pkts, key=lambda p: p[0]):
                us = int(round(t * 1e6))
                f.write(struct.pack("<IIII", us // 1000000, us % 1000000,
                                    len(data), len(data)))
                f.write(data)


C, S = "10.0.0.1", "10.0.0.2"


def states():
    """One connection for each of Zeek's thirteen conn_state values."""
    cap = Capture()
    t = T0
    # S0: a SYN and its retransmission, no answer.
    k = Conn(cap, (C, 40001), (S, 80))
    k.send(t, "c", SYN)
    k.send(t + 1, "c", SYN, seq=1000)
    t += 10
    # S1: established, data both ways, never closed.
    k = Conn(cap, (C, 40002), (S, 80))
    t = k.handshake(t)
    k.send(t, "c", PSH | ACK, 100)
    k.send(t + 0.001, "s", PSH | ACK, 200)
    k.send(t + 0.002, "c", ACK)
    t += 10
    # SF: established, data, both FINs, last ACK.
    k = Conn(cap, (C, 40003), (S, 80))
    t = k.handshake(t)
    k.send(t, "c", PSH | ACK, 100)
    k.send(t + 0.001, "s", PSH | ACK, 300)
    k.close(t + 0.002)
    t += 10
    # REJ: SYN answered by RST/ACK.
    k = Conn(cap, (C, 40004), (S, 81))
    k.send(t, "c", SYN)
    k.send(t + 0.001, "s", RST | ACK, seq=0)
    t += 10
    # S2: the client closes, the server never does.
    k = Conn(cap, (C, 40005), (S, 80))
    t = k.handshake(t)
    k.send(t, "c", FIN | ACK)
    k.send(t + 0.001, "s", ACK)
    t += 10
    # S3: the server closes, the client never does.
    k = Conn(cap, (C, 40006), (S, 80))
    t = k.handshake(t)
    k.send(t, "s", FIN | ACK)
    k.send(t + 0.001, "c", ACK)
    t += 10
    # RSTO: the client aborts an established connection.
    k = Conn(cap, (C, 40007), (S, 80))
    t = k.handshake(t)
    k.send(t, "c", PSH | ACK, 50)
    k.send(t + 0.001, "c", RST | ACK)
    t += 10
    # RSTR: the server aborts an established connection.
    k = Conn(cap, (C, 40008), (S, 80))
    t = k.handshake(t)
    k.send(t, "c", PSH | ACK, 50)
    k.send(t + 0.001, "s", RST | ACK)
    t += 10
    # RSTOS0: a SYN, then the client's own RST, no SYN/ACK.
    k = Conn(cap, (C, 40009), (S, 80))
    k.send(t, "c", SYN)
    k.send(t + 0.5, "c", RST)
    t += 10
    # RSTRH: a SYN/ACK from the server (its SYN unseen), then its RST.
    k = Conn(cap, (C, 40010), (S, 80))
    k.send(t, "s", SYN | ACK, ack=1001)
    k.send(t + 0.001, "s", RST, seq=5001)
    t += 10
    # SH: a SYN, then the client's FIN, no SYN/ACK.
    k = Conn(cap, (C, 40011), (S, 80))
    k.send(t, "c", SYN)
    k.send(t + 0.5, "c", FIN)
    t += 10
    # SHR: a SYN/ACK from the server, then its FIN.
    k = Conn(cap, (C, 40012), (S, 80))
    k.send(t, "s", SYN | ACK, ack=1001)
    k.send(t + 0.001, "s", FIN | ACK, ack=1001)
    t += 10
    # OTH: picked up mid-stream, data both ways, no SYN, no FIN.
    k = Conn(cap, (C, 40013), (S, 80))
    k.send(t, "c", PSH | ACK, 20)
    k.send(t + 0.001, "s", PSH | ACK, 30)
    return cap


def letters():
    """Letters beyond the handshake: t (logarithmic), w, i, q, repeated f
    and r, and '^'-free repeats of h."""
    cap = Capture()
    t = T0 + 1000
    # T: one retransmission by the client; t: ten by the server (T, t, t).
    k = Conn(cap, (C, 41001), (S, 80))
    t = k.handshake(t)
    k.send(t, "c", PSH | ACK, 100)
    k.send(t + 0.2, "c", PSH | ACK, 100, seq=1001)
    k.send(t + 0.3, "s", PSH | ACK, 100)
    for i in range(10):
        k.send(t + 0.4 + i * 0.1, "s", PSH | ACK, 100, seq=5001)
    k.close(t + 2)
    t += 10
    # W: the client advertises a zero window twice (W once), the server
    # once (w).
    k = Conn(cap, (C, 41002), (S, 80))
    t = k.handshake(t)
    k.send(t, "s", PSH | ACK, 1000)
    k.send(t + 0.001, "c", ACK, win=0)
    k.send(t + 0.5, "c", ACK, win=0)
    k.send(t + 0.6, "s", ACK, win=0)
    k.send(t + 1, "c", ACK, win=8192)
    k.close(t + 1.1)
    t += 10
    # I: a FIN+RST from the client; Q: a SYN+FIN from it first.
    k = Conn(cap, (C, 41003), (S, 80))
    k.send(t, "c", SYN | FIN)
    k.send(t + 0.001, "s", SYN | ACK, ack=1001)
    k.send(t + 0.002, "c", ACK, seq=1001)
    k.send(t + 0.003, "c", FIN | RST | ACK, seq=1001)
    t += 10
    # F twice: a FIN, more data (a broken stack), a FIN at a new sequence
    # number; f once; R twice: RSTs at two sequence numbers.
    k = Conn(cap, (C, 41004), (S, 80))
    t = k.handshake(t)
    k.send(t, "c", FIN | ACK)
    k.send(t + 0.001, "c", FIN | ACK, seq=1001)  # the same FIN: no letter
    k.send(t + 0.002, "c", PSH | ACK, 10, seq=1002)
    k.send(t + 0.003, "c", FIN | ACK, seq=1012)
    k.send(t + 0.004, "s", FIN | ACK)
    k.send(t + 0.005, "c", RST, seq=1013)
    k.send(t + 0.006, "c", RST, seq=1200)
    t += 10
    # h twice: the server's SYN/ACK again, at a new sequence number, after
    # it closed (in CLOSED, Zeek keeps its sequence base).
    k = Conn(cap, (C, 41005), (S, 80))
    t = k.handshake(t)
    k.send(t, "s", FIN | ACK)
    k.send(t + 0.001, "s", SYN | ACK, seq=7000)
    k.send(t + 0.002, "c", ACK)
    return cap


def flips():
    """Originator chosen as Zeek does: '^' at the first packet, at the
    second (a SYN/ACK followed by an ack), and on a SYN/SYN-ACK reversal."""
    cap = Capture()
    t = T0 + 2000
    # A SYN/ACK from port 80 first: Zeek flips at once, "^h".
    k = Conn(cap, (C, 42001), (S, 80))
    k.send(t, "s", SYN | ACK, ack=1001)
    k.seq["c"] = 1001
    k.send(t + 0.001, "c", ACK)
    k.send(t + 0.002, "c", PSH | ACK, 10)
    k.send(t + 0.003, "s", PSH | ACK, 20)
    k.close(t + 0.004)
    t += 10
    # A SYN/ACK between two ephemeral ports, then the ACK: flipped on the
    # second packet (Zeek pull request 2191), logged as "^h".
    k = Conn(cap, (C, 42002), (S, 50000))
    k.send(t, "s", SYN | ACK, ack=1001)
    k.seq["c"] = 1001
    k.send(t + 0.001, "c", ACK)
    k.send(t + 0.002, "c", PSH | ACK, 10)
    k.close(t + 0.003)
    t += 10
    # Mid-stream data from port 80 first: flipped at once, "^d".
    k = Conn(cap, (C, 42003), (S, 80))
    k.send(t, "s", PSH | ACK, 500)
    k.send(t + 0.001, "c", ACK)
    k.send(t + 0.002, "c", PSH | ACK, 10)
    t += 10
    # Both ports well known (8080 > 80), data first from the lower one:
    # flipped, the higher port is taken for the client.
    k = Conn(cap, (C, 8080), (S, 80))
    k.send(t, "s", PSH | ACK, 10)
    k.send(t + 0.001, "c", PSH | ACK, 10)
    t += 10
    # The SYN/ACK captured before the SYN (interface coalescence): Zeek
    # flips when the SYN arrives, "Hs^".
    k = Conn(cap, (C, 42005), (S, 50001))
    k.send(t, "s", SYN | ACK, ack=1001)
    k.send(t + 0.0001, "c", SYN, seq=1000)
    k.send(t + 0.001, "c", ACK)
    k.send(t + 0.002, "c", PSH | ACK, 10)
    k.close(t + 0.003)
    return cap


def reuse():
    """One 4-tuple, several connections: a SYN after a close, a SYN after
    a reset, and data after five idle minutes."""
    cap = Capture()
    t = T0 + 3000
    k = Conn(cap, (C, 43001), (S, 80))
    t = k.handshake(t)
    k.send(t, "c", PSH | ACK, 10)
    t = k.close(t + 0.001)
    # 2 s later, the same ports, a new ISN: a new connection.
    k = Conn(cap, (C, 43001), (S, 80), cisn=900000, sisn=700000)
    t = k.handshake(t + 2)
    k.send(t, "c", RST | ACK)
    # 1 s after the reset, again.
    k = Conn(cap, (C, 43001), (S, 80), cisn=1900000, sisn=1700000)
    t = k.handshake(t + 1)
    k.send(t, "c", PSH | ACK, 10)
    k.send(t + 0.001, "s", ACK)
    # Silent for six minutes (Zeek's inactivity timeout is five), then
    # data: Zeek logs the first part and starts a partial connection.
    k.send(t + 360, "c", PSH | ACK, 10)
    k.send(t + 360.001, "s", PSH | ACK, 10)
    return cap


def midstream():
    """A capture that starts in the middle: data, then both FINs, over IPv4
    and IPv6."""
    cap = Capture()
    t = T0 + 4000
    k = Conn(cap, (C, 44001), (S, 22))
    k.send(t, "c", PSH | ACK, 40)
    k.send(t + 0.001, "s", PSH | ACK, 60)
    k.send(t + 0.002, "c", ACK)
    k.close(t + 0.003)
    t += 10
    k = Conn(cap, ("2001:db8::1", 44002), ("2001:db8::2", 443))
    k.send(t, "s", PSH | ACK, 100)
    k.send(t + 0.001, "c", PSH | ACK, 50)
    k.close(t + 0.002, first="s")
    return cap


def outer_ip4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000,
                    64, proto, 0, ip4(src), ip4(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def eth(etype, payload):
    return b"\x02\0\0\0\0\x04" + b"\x02\0\0\0\0\x03" + \
        struct.pack("!H", etype) + payload


def vxlan(a, b, aport, vni):
    """Frames sent through VXLAN between hosts a (UDP port aport) and b
    (4789), the client's side at a."""
    def wrap(f, who):
        src, dst = (a, b) if who == "c" else (b, a)
        sport, dport = (aport, 4789) if who == "c" else (4789, aport)
        inner = struct.pack("!BxxxI", 0x08, vni << 8) + f
        udp = struct.pack("!HHHH", sport, dport, 8 + len(inner), 0) + inner
        return eth(0x0800, outer_ip4(src, dst, 17, udp))
    return wrap


def ipip(a, b):
    """Frames sent through IP-in-IP between hosts a and b."""
    def wrap(f, who):
        src, dst = (a, b) if who == "c" else (b, a)
        return eth(0x0800, outer_ip4(src, dst, 4, f[14:]))
    return wrap


def bad_sums(bad):
    """Frames whose checksum is spoilt where bad(who, n) says: "tcp" (the
    TCP checksum), "ip" (the IPv4 header's) or None; n counts the frames."""
    count = [0]

    def wrap(f, who):
        count[0] += 1
        what = bad(who, count[0])
        f = bytearray(f)
        if what == "tcp":
            f[14 + 20 + 16] ^= 0xFF
        elif what == "ip":
            f[14 + 10] ^= 0xFF
        return bytes(f)
    return wrap


def tunnels():
    """Connections inside tunnels: conn.log names the inner connection, and
    its tunnel in tunnel_parents (one parent for the connections of one
    tunnel, in both directions)."""
    cap = Capture()
    t = T0 + 5000
    for i, port in enumerate((45001, 45002)):
        k = Conn(cap, (C, port), (S, 80),
                 wrap=vxlan("192.0.2.1", "192.0.2.2", 50000, 42))
        k.close(k.handshake(t + i))
    t += 10
    k = Conn(cap, (C, 45003), (S, 80), wrap=ipip("192.0.2.5", "192.0.2.6"))
    k.send(k.handshake(t), "c", PSH | ACK, 20)
    k.close(t + 1)
    return cap


def checksums():
    """Bad checksums, as Zeek meets them without -C: a bad TCP checksum is
    a C (client) or c (server) and nothing else; a bad IPv4 header checksum
    is as though the packet never came."""
    cap = Capture()
    t = T0 + 6000
    # The server's SYN/ACK first bad, then sent again.
    k = Conn(cap, (C, 46001), (S, 80),
             wrap=bad_sums(lambda who, n: "tcp" if n == 2 else None))
    k.send(t, "c", SYN)
    k.send(t + 0.001, "s", SYN | ACK)
    k.send(t + 0.002, "s", SYN | ACK, seq=5000)
    k.send(t + 0.003, "c", ACK)
    k.close(t + 0.004)
    t += 10
    # Every client packet carries a bad TCP checksum: Zeek's connection
    # holds only a C, and the server's SYN/ACK, its originator being
    # inactive, starts another (IsReuse), flipped.
    k = Conn(cap, (C, 46002), (S, 80),
             wrap=bad_sums(lambda who, n: "tcp" if who == "c" else None))
    k.handshake(t)
    for i in range(8):
        k.send(t + 0.01 + i * 0.001, "c", PSH | ACK, 10)
    t += 10
    # A SYN with a bad IPv4 header checksum: no connection at all.
    k = Conn(cap, (C, 46003), (S, 80),
             wrap=bad_sums(lambda who, n: "ip"))
    k.send(t, "c", SYN)
    return cap


SCENARIOS = {"states": states, "letters": letters, "flips": flips,
             "reuse": reuse, "midstream": midstream, "tunnels": tunnels,
             "checksums": checksums}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "pcaps", "zeek")
    os.makedirs(out, exist_ok=True)
    for name, make in SCENARIOS.items():
        make().write(os.path.join(out, name + ".pcap"))
        print(f"wrote {os.path.join(out, name + '.pcap')}")


if __name__ == "__main__":
    main()
