"""truth.py - shared by the kernel-truth recorder (record) and checkers
(check.py, alerts_check.py, derive.py).

* `ss` state names -> tcpfsm state names, canonical address strings;
* building the per-socket truth timeline and its quiet intervals from raw
  `ss` polls (recorder);
* reading truth.tsv / quiet.tsv (checker);
* a small pcap reader that finds the TCP segments of one connection
  (_decode also tells derive.py which packets are TCP).

Python standard library only.
"""
import ipaddress
import struct

SS_STATES = {
    "ESTAB": "ESTABLISHED",
    "SYN-SENT": "SYN_SENT",
    "SYN-RECV": "SYN_RECEIVED",
    "FIN-WAIT-1": "FIN_WAIT_1",
    "FIN-WAIT-2": "FIN_WAIT_2",
    "CLOSING": "CLOSING",
    "TIME-WAIT": "TIME_WAIT",
    "CLOSE-WAIT": "CLOSE_WAIT",
    "LAST-ACK": "LAST_ACK",
    "LISTEN": "LISTEN",
}

STATES = ("CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
          "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "TIME_WAIT", "CLOSE_WAIT",
          "LAST_ACK")

QUIET_MIN = 1.0  # seconds a socket must hold one state to be a quiet interval


def norm_addr(s):
    """'10.0.0.1:80', '[fd00::1]:80', '[::ffff:10.0.0.1]:80', 'fd00::1%eth0:80'
    -> canonical 'a.b.c.d:port' or '[v6]:port'. None for wildcards."""
    s = s.strip()
    if s.startswith("["):
        host, _, port = s[1:].rpartition("]:")
    else:
        host, _, port = s.rpartition(":")
    host = host.split("%", 1)[0]
    if host in ("*", "") or port in ("*", ""):
        return None
    ip = ipaddress.ip_address(host)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        return "[%s]:%d" % (ip.compressed, int(port))
    return "%s:%d" % (ip, int(port))


def addr_ip(a):
    """'[fd00::1]:80' -> 'fd00::1'; '10.0.0.1:80' -> '10.0.0.1'."""
    if a.startswith("["):
        return a[1:a.index("]")]
    return a.rsplit(":", 1)[0]


def addr_port(a):
    return int(a.rsplit(":", 1)[1])


# --------------------------------------------------------------------------
# Truth from raw polls (recorder side)

def build_truth(polls, hosts, known, quiet_min=QUIET_MIN):
    """polls: {host: [(t, {(local, peer): STATE})]} (rows already mapped and
    normalised, LISTEN removed), in time order.
    hosts: {host: set of IP strings owned by that host}.
    known: [(t, local, peer)] sockets the agents created (seen or not by ss).

    Every socket (host, local, peer) seen in any poll or created by an agent,
    and its mirror on the other host, is tracked from the first moment either
    was known; from then on every poll of that host is an observation, and
    absence from the poll is an observation of CLOSED.

    Returns (changes, quiet): changes = [(t, host, local, peer, state)] for
    the first observation and every change; quiet = [(host, local, peer,
    state, start, end, since)] for every run of one state lasting at least
    quiet_min seconds between its first and last poll; since = time of the
    last poll showing a different state (None if the run starts with the
    socket's first observation)."""
    def owner(addr):
        ip = addr_ip(addr)
        for h, ips in hosts.items():
            if ip in ips:
                return h
        return None

    start = {}  # (host, local, peer) -> first time known

    def track(t, local, peer):
        for lo, pe in ((local, peer), (peer, local)):
            h = owner(lo)
            if h is None:
                continue
            k = (h, lo, pe)
            if k not in start or t < start[k]:
                start[k] = t

    for t, local, peer in known:
        track(t, local, peer)
    for h, seq in polls.items():
        for t, rows in seq:
            for (local, peer) in rows:
                track(t, local, peer)

    changes, quiet = [], []
    for k in sorted(start, key=lambda k: (start[k], k)):
        h, lo, pe = k
        obs = [(t, rows.get((lo, pe), "CLOSED"))
               for t, rows in polls.get(h, []) if t >= start[k]]
        run_state, run_first, run_last, since = None, None, None, None
        for t, st in obs + [(None, None)]:
            if st != run_state:
                if run_state is not None:
                    if run_last - run_first >= quiet_min:
                        quiet.append((h, lo, pe, run_state, run_first, run_last, since))
                    since = run_last
                if st is not None:
                    changes.append((t, h, lo, pe, st))
                run_state, run_first = st, t
            run_last = t
    changes.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    quiet.sort(key=lambda r: (r[4], r[0], r[1], r[2]))
    return changes, quiet


def write_truth(path, changes, ends):
    with open(path, "w") as f:
        f.write("# kernel truth from `ss -tan` polled every 100 ms in each namespace.\n")
        f.write("# One row per socket's first observation and per change of state.\n")
        f.write("# A socket absent from a poll after it was first known is CLOSED.\n")
        for h in sorted(ends):
            f.write("# last poll %s %.6f\n" % (h, ends[h]))
        f.write("time\thost\tlocal\tpeer\tstate\n")
        for t, h, lo, pe, st in changes:
            f.write("%.6f\t%s\t%s\t%s\t%s\n" % (t, h, lo, pe, st))


def write_quiet(path, quiet):
    with open(path, "w") as f:
        f.write("# Quiet intervals: one socket held one state for at least %.1f s\n" % QUIET_MIN)
        f.write("# (start/end = first/last poll showing it; since = last poll showing\n")
        f.write("# another state, '-' if the interval starts at the first observation).\n")
        f.write("host\tlocal\tpeer\tstate\tstart\tend\tsince\n")
        for h, lo, pe, st, s, e, since in quiet:
            f.write("%s\t%s\t%s\t%s\t%.6f\t%.6f\t%s\n" % (
                h, lo, pe, st, s, e, "-" if since is None else "%.6f" % since))


def read_tsv(path):
    rows = []
    header = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = fields
                continue
            rows.append(dict(zip(header, fields)))
    return rows


def read_quiet(path):
    out = []
    for r in read_tsv(path):
        out.append({
            "host": r["host"], "local": r["local"], "peer": r["peer"],
            "state": r["state"], "start": float(r["start"]),
            "end": float(r["end"]),
            "since": None if r["since"] == "-" else float(r["since"]),
        })
    return out


# --------------------------------------------------------------------------
# pcap reading (checker side, and the recorder's self-check)

class Segment:
    __slots__ = ("ts", "src", "dst", "flags", "seq", "ack", "plen")

    def __init__(self, ts, src, dst, flags, seq, ack, plen):
        self.ts, self.src, self.dst = ts, src, dst
        self.flags, self.seq, self.ack, self.plen = flags, seq, ack, plen

    def flagstr(self):
        return "".join(c for c, b in zip("FSRPAU", (1, 2, 4, 8, 16, 32)) if self.flags & b)


def read_pcap(path):
    """Returns (segments, last_ts): every TCP segment in the file (Ethernet,
    Linux SLL or raw IP link types), and the time of the last packet of any
    kind."""
    segs = []
    last = None
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return segs, last
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a pcap file" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + caplen]
        off += caplen
        ts = sec + frac / (1e9 if nano else 1e6)
        last = ts
        seg = _decode(pkt, linktype, ts)
        if seg is not None:
            segs.append(seg)
    return segs, last


def _decode(pkt, linktype, ts):
    if linktype == 1:  # Ethernet
        p, et = 14, pkt[12:14]
        while et in (b"\x81\x00", b"\x88\xa8") and len(pkt) >= p + 4:
            et = pkt[p + 2:p + 4]
            p += 4
    elif linktype == 113:  # Linux SLL
        p, et = 16, pkt[14:16]
    elif linktype == 276:  # Linux SLL2
        p, et = 20, pkt[0:2]
    elif linktype in (12, 101):  # raw IP
        p = 0
        et = b"\x08\x00" if pkt[:1] and pkt[0] >> 4 == 4 else b"\x86\xdd"
    else:
        return None
    if et == b"\x08\x00":
        if len(pkt) < p + 20:
            return None
        ihl = (pkt[p] & 15) * 4
        total = struct.unpack("!H", pkt[p + 2:p + 4])[0]
        if pkt[p + 9] != 6 or struct.unpack("!H", pkt[p + 6:p + 8])[0] & 0x1FFF:
            return None
        src = str(ipaddress.IPv4Address(pkt[p + 12:p + 16]))
        dst = str(ipaddress.IPv4Address(pkt[p + 16:p + 20]))
        t = p + ihl
        end = p + total
        fmt = "%s:%d"
    elif et == b"\x86\xdd":
        if len(pkt) < p + 40:
            return None
        nh = pkt[p + 6]
        plen = struct.unpack("!H", pkt[p + 4:p + 6])[0]
        src = ipaddress.IPv6Address(pkt[p + 8:p + 24]).compressed
        dst = ipaddress.IPv6Address(pkt[p + 24:p + 40]).compressed
        t = p + 40
        end = t + plen
        while nh in (0, 43, 60) and len(pkt) >= t + 8:  # hop-by-hop, routing, dstopts
            nh, t = pkt[t], t + (pkt[t + 1] + 1) * 8
        if nh != 6:
            return None
        fmt = "[%s]:%d"
    else:
        return None
    if len(pkt) < t + 20:
        return None
    sport, dport, seq, ack, offf, flags = struct.unpack("!HHIIBB", pkt[t:t + 14])
    doff = (offf >> 4) * 4
    plen = max(0, end - t - doff)
    return Segment(ts, fmt % (src, sport), fmt % (dst, dport), flags, seq, ack, plen)
