"""pktlib - build TCP packets and pcap files byte by byte (stdlib only).

Used by the malformed-capture generator (gen_corpus.py) and the fuzzers'
seed writer (tests/fuzz/make_seeds.py). Every builder takes explicit
overrides for its length fields, so that hostile values are one argument
away: a packet is a list of layers, each knowing where its length fields are.
"""

import struct

# libpcap DLT_* values
DLT_NULL = 0
DLT_EN10MB = 1
DLT_FDDI = 10
DLT_RAW = 12
DLT_RAW_OPENBSD = 14
DLT_LINKTYPE_RAW = 101
DLT_LOOP = 108
DLT_LINUX_SLL = 113
DLT_IPV4 = 228
DLT_IPV6 = 229
DLT_LINUX_SLL2 = 276
DLT_PPP = 9
DLT_NFLOG = 239
DLT_PKTAP = 258

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_options(mss=None, wscale=None, sack_ok=False, ts=None):
    """The options a Linux SYN carries, in Linux's order and padding."""
    o = b""
    if mss is not None:
        o += struct.pack("!BBH", 2, 4, mss)
    if sack_ok and ts is not None:
        o += struct.pack("!BB", 4, 2) + struct.pack("!BBII", 8, 10, *ts)
    elif ts is not None:
        o += struct.pack("!BBBBII", 1, 1, 8, 10, *ts)
    elif sack_ok:
        o += struct.pack("!BBBB", 1, 1, 4, 2)
    if wscale is not None:
        o += struct.pack("!BBBB", 1, 3, 3, wscale)
    while len(o) % 4:
        o += b"\1"
    return o


def tcp(sport, dport, seq, ack, flags, win=65535, options=b"", payload=b"",
        doff=None):
    """A TCP header (checksum left 0: tcpfsm does not check it)."""
    hlen = 20 + len(options)
    if doff is None:
        doff = hlen // 4
    return (struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                        ack & 0xFFFFFFFF, (doff & 15) << 4, flags, win, 0, 0)
            + options + payload)


def ipv4(src, dst, payload, proto=6, options=b"", total=None, ihl=None,
         frag=0, mf=False, df=True, ident=1, ttl=64, version=4):
    hlen = 20 + len(options)
    if ihl is None:
        ihl = hlen // 4
    if total is None:
        total = hlen + len(payload)
    flags_frag = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag & 0x1FFF)
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | (ihl & 15), 0,
                    total & 0xFFFF, ident, flags_frag, ttl, proto, 0,
                    bytes(src), bytes(dst)) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, payload, nxt=6, plen=None, ext=(), version=6):
    """ext: a list of (next-header value of this extension, bytes); the
    chain is linked in order, the last one pointing at nxt."""
    chain = b""
    first = nxt
    if ext:
        first = ext[0][0]
        for i, (_, body) in enumerate(ext):
            follow = ext[i + 1][0] if i + 1 < len(ext) else nxt
            chain += bytes([follow]) + body[1:]
    body = chain + payload
    if plen is None:
        plen = len(body)
    return struct.pack("!IHBB16s16s", (version << 28), plen & 0xFFFF, first,
                       64, bytes(src), bytes(dst)) + body


def ext_opts(nbytes=8, hdr_len=None):
    """Hop-by-hop / routing / destination options: nbytes (a multiple of 8)
    with the length field (in 8-byte units beyond the first 8)."""
    if hdr_len is None:
        hdr_len = nbytes // 8 - 1
    return bytes([0, hdr_len & 0xFF]) + bytes([1, nbytes - 4]) + bytes(nbytes - 4)


def ext_frag(offset=0, more=False, ident=7):
    return struct.pack("!BBHI", 0, 0, (offset << 3) | (1 if more else 0), ident)


def ext_ah(nbytes=16, hdr_len=None):
    """Authentication header: length in 4-byte units minus 2."""
    if hdr_len is None:
        hdr_len = nbytes // 4 - 2
    return bytes([0, hdr_len & 0xFF]) + bytes(nbytes - 2)


MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def eth(ethertype, payload, tags=(), dst=MAC_B, src=MAC_A):
    """Ethernet II; tags: a list of (tpid, vid) outermost first."""
    h = dst + src
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", ethertype) + payload


def mpls(labels, payload):
    out = b""
    for i, label in enumerate(labels):
        bottom = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (label << 12) | (bottom << 8) | 64)
    return out + payload


def pppoe(ppp_proto, payload, session=0x1234):
    return struct.pack("!BBHHH", 0x11, 0, session, len(payload) + 2,
                       ppp_proto) + payload


def llc_snap(ethertype, payload):
    return bytes([0xAA, 0xAA, 0x03, 0, 0, 0]) + struct.pack("!H", ethertype) + payload


def eth_8023(payload, dst=MAC_B, src=MAC_A):
    return dst + src + struct.pack("!H", len(payload)) + payload


def fabricpath(inner_frame):
    """FabricPath: outer MACs, 0x8903, 2 bytes FTag/TTL, the inner frame."""
    return bytes(12) + struct.pack("!H", 0x8903) + b"\x00\x3f" + inner_frame


def sll(proto, payload, pkttype=0):
    return struct.pack("!HHH8sH", pkttype, 1, 6, MAC_A + b"\0\0", proto) + payload


def sll2(proto, payload, pkttype=0):
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, pkttype, 6,
                       MAC_A + b"\0\0") + payload


def fddi(payload, fc=0x50):
    """FDDI: frame control, destination and source; LLC/SNAP follows."""
    return bytes([fc]) + MAC_B + MAC_A + payload


def null(af, payload, big_endian=False):
    return struct.pack(">I" if big_endian else "<I", af) + payload


V4_C = bytes([10, 0, 0, 1])
V4_S = bytes([10, 0, 0, 2])
V6_C = bytes.fromhex("20010db8000000000000000000000001")
V6_S = bytes.fromhex("20010db8000000000000000000000002")


def ip(family, c2s, seg, **kw):
    """An IP datagram carrying seg, client to server when c2s."""
    if family == 4:
        src, dst = (V4_C, V4_S) if c2s else (V4_S, V4_C)
        return ipv4(src, dst, seg, **kw)
    src, dst = (V6_C, V6_S) if c2s else (V6_S, V6_C)
    return ipv6(src, dst, seg, **kw)


def frame(dlt, family, datagram, variant=0):
    """Wraps an IP datagram in link type dlt. variant picks among the
    encapsulations a link type has (VLAN, MPLS, ... for Ethernet)."""
    et = 0x0800 if family == 4 else 0x86DD
    if dlt == DLT_EN10MB:
        return [
            lambda: eth(et, datagram),
            lambda: eth(et, datagram, tags=[(0x8100, 10)]),
            lambda: eth(et, datagram, tags=[(0x88A8, 100), (0x8100, 10)]),
            lambda: eth(et, datagram, tags=[(0x9100, 100), (0x8100, 10)]),
            lambda: eth(0x8847, mpls([16, 17, 18], datagram)),
            lambda: eth(0x8864, pppoe(0x0021 if family == 4 else 0x0057,
                                      datagram)),
            lambda: eth_8023(llc_snap(et, datagram)),
            lambda: fabricpath(eth(et, datagram)),
        ][variant % 8]()
    if dlt == DLT_FDDI:
        return fddi(llc_snap(et, datagram))
    if dlt == DLT_LINUX_SLL:
        return sll(et, datagram)
    if dlt == DLT_LINUX_SLL2:
        return sll2(et, datagram)
    if dlt in (DLT_NULL, DLT_LOOP):
        if family == 4:
            return null(2, datagram, big_endian=(dlt == DLT_LOOP or variant & 1))
        af = (10, 24, 28, 30)[variant % 4]
        return null(af, datagram, big_endian=(dlt == DLT_LOOP))
    return datagram


def conversation(family=4, sport=40000, dport=80, isn_c=1000, isn_s=5000,
                 data=b"GET / HTTP/1.0\r\n\r\n", reply=b"HTTP/1.0 200 OK\r\n\r\n",
                 **ipkw):
    """A complete connection as (c2s, tcp segment) pairs: handshake with
    options, data each way, FIN from the client, FIN from the server."""
    c, s = isn_c, isn_s
    opts = tcp_options(mss=1460, wscale=7, sack_ok=True, ts=(100, 0))
    segs = [
        (True, tcp(sport, dport, c, 0, SYN, 64240, opts)),
        (False, tcp(dport, sport, s, c + 1, SYN | ACK, 65160,
                    tcp_options(mss=1460, wscale=7, sack_ok=True, ts=(200, 100)))),
        (True, tcp(sport, dport, c + 1, s + 1, ACK, 502)),
        (True, tcp(sport, dport, c + 1, s + 1, PSH | ACK, 502, payload=data)),
        (False, tcp(dport, sport, s + 1, c + 1 + len(data), ACK, 510)),
        (False, tcp(dport, sport, s + 1, c + 1 + len(data), PSH | ACK, 510,
                    payload=reply)),
        (True, tcp(sport, dport, c + 1 + len(data), s + 1 + len(reply), FIN | ACK, 502)),
        (False, tcp(dport, sport, s + 1 + len(reply), c + 2 + len(data), FIN | ACK, 510)),
        (True, tcp(sport, dport, c + 2 + len(data), s + 2 + len(reply), ACK, 502)),
    ]
    return segs


def conversation_frames(dlt, family=4, variant=0, **kw):
    return [frame(dlt, family, ip(family, c2s, seg), variant)
            for c2s, seg in conversation(family, **kw)]


# ---------------------------------------------------------------- pcap files

PCAP_MAGIC = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D


def pcap_header(linktype, snaplen=262144, magic=PCAP_MAGIC, major=2, minor=4,
                endian="<"):
    return struct.pack(endian + "IHHiIII", magic, major, minor, 0, 0, snaplen,
                       linktype)


def pcap_record(data, ts_us, caplen=None, origlen=None, endian="<"):
    if caplen is None:
        caplen = len(data)
    if origlen is None:
        origlen = max(caplen, len(data))
    return struct.pack(endian + "IIII", ts_us // 1000000, ts_us % 1000000,
                       caplen & 0xFFFFFFFF, origlen & 0xFFFFFFFF) + data


def pcap_file(linktype, frames, t0=1700000000000000, step=1000, snaplen=262144):
    out = pcap_header(linktype, snaplen)
    for i, f in enumerate(frames):
        out += pcap_record(f, t0 + i * step)
    return out


def read_pcap(data):
    """Parses a classic pcap file: (linktype, snaplen, [(ts_us, bytes)]) or
    None if it is not one (pcapng, say)."""
    if len(data) < 24:
        return None
    magic_le = struct.unpack("<I", data[:4])[0]
    for endian in "<>":
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in (PCAP_MAGIC, PCAP_MAGIC_NS):
            break
    else:
        return None
    del magic_le
    nano = magic == PCAP_MAGIC_NS
    _, _, _, _, _, snaplen, linktype = struct.unpack(endian + "IHHiIII", data[:24])
    linktype &= 0x0FFFFFFF
    off, recs = 24, []
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + caplen > len(data):
            break
        us = sec * 1000000 + (frac // 1000 if nano else frac)
        recs.append((us, data[off:off + caplen]))
        off += caplen
    return linktype, snaplen, recs


def read_pcapng(data):
    """Minimal pcapng reader: (linktype, [(ts_us, bytes)]) for files whose
    packets all use one interface's link type; None otherwise."""
    if len(data) < 12 or data[:4] != b"\x0a\x0d\x0d\x0a":
        return None
    endian = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    off, ifaces, recs = 0, [], []
    while off + 12 <= len(data):
        btype, blen = struct.unpack(endian + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:  # IDB
            ifaces.append(struct.unpack(endian + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:  # EPB (assume µs resolution)
            iface, hi, lo, caplen, _ = struct.unpack(endian + "IIIII", body[:20])
            recs.append(((hi << 32 | lo), body[20:20 + caplen], iface))
        off += blen
    if not ifaces:
        return None
    lts = {ifaces[i] for _, _, i in recs if i < len(ifaces)}
    if len(lts) > 1:
        return None
    return ifaces[0], [(ts, b) for ts, b, _ in recs]


# ------------------------------------------------------- locating fields

class Layout:
    """Where the headers and their length fields are in one packet.

    link: offset of the IP header; ver: 4 or 6; ip_hlen: IP header length
    including IPv4 options or the IPv6 extension chain; ihl_off, tot_off:
    the IPv4 IHL byte and total length, or the IPv6 payload length; ext:
    [(offset, next-header value that introduced it)] of IPv6 extensions;
    tcp: offset of the TCP header; tcp_hlen; opts: [(offset, kind,
    length)] of the TCP options that have a length byte."""

    def __init__(self):
        self.link = self.ver = self.ip_hlen = None
        self.ihl_off = self.tot_off = None
        self.ext = []
        self.tcp = self.tcp_hlen = None
        self.opts = []

    @property
    def hdr_end(self):
        return self.tcp + self.tcp_hlen


def link_length(dlt, d):
    """Offset of the IP header for link type dlt, or None."""
    if dlt == DLT_EN10MB:
        if len(d) < 14:
            return None
        et, off = struct.unpack("!H", d[12:14])[0], 14
        for _ in range(8):
            if et in (0x0800, 0x86DD):
                return off
            if et in (0x8100, 0x88A8, 0x9100):
                if len(d) < off + 4:
                    return None
                et, off = struct.unpack("!H", d[off + 2:off + 4])[0], off + 4
            elif et in (0x8847, 0x8848):
                for _ in range(8):
                    if len(d) < off + 4:
                        return None
                    bottom = d[off + 2] & 1
                    off += 4
                    if bottom:
                        return off
                return None
            elif et == 0x8864:
                if len(d) < off + 8:
                    return None
                return off + 8
            elif et == 0x8903:
                if len(d) < off + 16:
                    return None
                et, off = struct.unpack("!H", d[off + 14:off + 16])[0], off + 16
            elif et < 0x600:
                if len(d) < off + 8 or d[off:off + 3] != b"\xaa\xaa\x03":
                    return None
                et, off = struct.unpack("!H", d[off + 6:off + 8])[0], off + 8
            else:
                return None
        return None
    if dlt == DLT_FDDI:
        if len(d) < 21 or d[13:16] != b"\xaa\xaa\x03":
            return None
        return 21 if d[19:21] in (b"\x08\x00", b"\x86\xdd") else None
    if dlt == DLT_LINUX_SLL:
        return 16 if len(d) >= 16 else None
    if dlt == DLT_LINUX_SLL2:
        return 20 if len(d) >= 20 else None
    if dlt in (DLT_NULL, DLT_LOOP):
        return 4 if len(d) >= 4 else None
    if dlt in (DLT_RAW, DLT_RAW_OPENBSD, DLT_LINKTYPE_RAW, DLT_IPV4, DLT_IPV6):
        return 0
    return None


def locate(dlt, d):
    """The Layout of a whole TCP packet, or None if it is not one."""
    L = Layout()
    off = link_length(dlt, d)
    if off is None or len(d) < off + 1:
        return None
    L.link = off
    ver = d[off] >> 4
    if ver == 4:
        if len(d) < off + 20:
            return None
        ihl = (d[off] & 15) * 4
        if ihl < 20 or d[off + 9] != 6 or len(d) < off + ihl:
            return None
        if struct.unpack("!H", d[off + 6:off + 8])[0] & 0x1FFF:
            return None
        L.ver, L.ihl_off, L.tot_off, L.ip_hlen = 4, off, off + 2, ihl
        tcp = off + ihl
    elif ver == 6:
        if len(d) < off + 40:
            return None
        L.ver, L.tot_off = 6, off + 4
        nxt, p = d[off + 6], off + 40
        while nxt != 6:
            if nxt in (0, 43, 60, 135, 139, 140):
                if len(d) < p + 2:
                    return None
                elen = (d[p + 1] + 1) * 8
            elif nxt == 44:
                elen = 8
            elif nxt == 51:
                if len(d) < p + 2:
                    return None
                elen = (d[p + 1] + 2) * 4
            else:
                return None
            if len(d) < p + elen:
                return None
            L.ext.append((p, nxt))
            nxt, p = d[p], p + elen
        L.ip_hlen = p - off
        tcp = p
    else:
        return None
    if len(d) < tcp + 20:
        return None
    hlen = (d[tcp + 12] >> 4) * 4
    if hlen < 20 or len(d) < tcp + hlen:
        return None
    L.tcp, L.tcp_hlen = tcp, hlen
    i, end = tcp + 20, tcp + hlen
    while i < end:
        kind = d[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= end or d[i + 1] < 2:
            break
        L.opts.append((i, kind, d[i + 1]))
        i += d[i + 1]
    return L


# ------------------------------------------------------------ pcapng files

def _block(btype, body, length=None):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n if length is None else length) + body + \
        struct.pack("<I", n if length is None else length)


def pcapng_shb():
    return _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def pcapng_idb(linktype, snaplen=262144):
    return _block(1, struct.pack("<HHI", linktype, 0, snaplen))


def pcapng_epb(data, ts_us, iface=0, caplen=None, length=None):
    caplen = len(data) if caplen is None else caplen
    return _block(6, struct.pack("<IIIII", iface, ts_us >> 32, ts_us & 0xFFFFFFFF,
                                 caplen, len(data)) + data, length)


def pcapng_file(linktype, recs):
    return pcapng_shb() + pcapng_idb(linktype) + b"".join(
        pcapng_epb(d, ts) for ts, d in recs)


# ------------------------------------------------------------------ tunnels

V4_TA = bytes([192, 0, 2, 1])
V4_TB = bytes([192, 0, 2, 2])


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def vxlan(vni, frame):
    return struct.pack("!II", 0x08000000, vni << 8) + frame


def geneve(proto, vni, payload, opt_words=0):
    opts = b""
    if opt_words:
        opts = struct.pack("!HBB", 0x0101, 1, opt_words - 1)
        opts += b"\0" * (4 * opt_words - 4)
    return struct.pack("!BBHI", opt_words, 0, proto, vni << 8) + opts + payload


def gre(proto, payload, key=None, seq=None):
    flags = (0x2000 if key is not None else 0) | \
        (0x1000 if seq is not None else 0)
    h = struct.pack("!HH", flags, proto)
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    return h + payload


def erspan2(frame, session=0x123):
    return struct.pack("!HHI", 0x1000 | 100, session, 0) + frame


def tunnelled(kind, family, datagram):
    """An Ethernet frame carrying datagram (of family) through a tunnel
    over IPv4: ipip, gre, erspan, vxlan, geneve."""
    et = 0x0800 if family == 4 else 0x86DD
    if kind == "ipip":
        outer = ipv4(V4_TA, V4_TB, datagram, proto=4 if family == 4 else 41)
    elif kind == "gre":
        outer = ipv4(V4_TA, V4_TB, gre(et, datagram, key=7), proto=47)
    elif kind == "erspan":
        outer = ipv4(V4_TA, V4_TB,
                     gre(0x88BE, erspan2(eth(et, datagram)), seq=1), proto=47)
    elif kind == "vxlan":
        outer = ipv4(V4_TA, V4_TB,
                     udp(51000, 4789, vxlan(42, eth(et, datagram))), proto=17)
    else:
        outer = ipv4(V4_TA, V4_TB,
                     udp(51000, 6081, geneve(0x6558, 42, eth(et, datagram),
                                             opt_words=2)), proto=17)
    return eth(0x0800, outer)
