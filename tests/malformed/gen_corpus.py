#!/usr/bin/env python3
"""gen_corpus.py - the malformed-capture corpus.

    gen_corpus.py OUTDIR [PCAP|DIR...]

From good captures (the ones given, e.g. pcaps/, plus synthetic ones for
every link type and encapsulation, written first) writes hostile variants
into OUTDIR, and OUTDIR/manifest.json saying what tcpfsm must make of each:

  expect "ok"          the file is well-formed; its packets are hostile
                       (truncated at every byte of the headers, every length
                       field set to 0, too small, too large and the maximum,
                       a wrong link type, snap lengths shorter
                       than the headers, zero-length records, lying record
                       lengths that libpcap accepts). Exit status 0.
  expect "open_error"  the file header is bad (magic, version, cut short, a
                       link type tcpfsm does not decode):
                       exit status 1 and a message naming the file.
  expect "read_error"  a record is bad (huge caplen, file cut in a record
                       header or its data): exit status 1, a message naming
                       the file and the record, and the events of the
                       records before it, exactly as for "prefix" (a good
                       file holding just those records).
  "same_events_as"     events (but the final statistics) must equal that
                       file's: zero-length records, byte order, nanosecond
                       timestamps and header fields that do not matter.

The corpus is generated at test time into the build directory (see
run.py); nothing here is checked in.
"""

import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pktlib as P  # noqa: E402

T0 = 1700000000000000
MAX_BASE_RECORDS = 200  # of a big capture, the first ones are enough


class Corpus:
    def __init__(self, outdir):
        self.outdir = outdir
        self.manifest = []
        os.makedirs(outdir, exist_ok=True)

    def write(self, name, data, expect="ok", what="", **extra):
        with open(os.path.join(self.outdir, name), "wb") as f:
            f.write(data)
        entry = {"name": name, "expect": expect, "what": what}
        entry.update(extra)
        self.manifest.append(entry)

    def pcap(self, name, linktype, records, what="", snaplen=262144,
             **extra):
        """records: [(ts, data)] or [(ts, data, origlen)]."""
        out = P.pcap_header(linktype, snaplen)
        for r in records:
            origlen = r[2] if len(r) > 2 else None
            out += P.pcap_record(r[1], r[0], origlen=origlen)
        self.write(name, out, what=what, **extra)
        return out

    def save_manifest(self):
        with open(os.path.join(self.outdir, "manifest.json"), "w") as f:
            json.dump(self.manifest, f, indent=1)


# ------------------------------------------------------------ base captures

def synthetic_bases():
    """(name, linktype, [(ts, frame)]): an IPv4 and an IPv6 conversation for
    every link type and encapsulation, and IP options / extension chains."""
    out = []

    def both(dlt, variant):
        f4 = P.conversation_frames(dlt, 4, variant, sport=40000)
        f6 = P.conversation_frames(dlt, 6, variant, sport=40001)
        frames = []
        for a, b in zip(f4, f6):
            frames += [a, b]
        return [(T0 + i * 1000, f) for i, f in enumerate(frames)]

    names = ["eth", "vlan", "qinq", "qinq9100", "mpls", "pppoe", "snap",
             "fabricpath"]
    for v, n in enumerate(names):
        out.append(("syn-" + n, P.DLT_EN10MB, both(P.DLT_EN10MB, v)))
    out.append(("syn-fddi", P.DLT_FDDI, both(P.DLT_FDDI, 0)))
    out.append(("syn-sll", P.DLT_LINUX_SLL, both(P.DLT_LINUX_SLL, 0)))
    out.append(("syn-sll2", P.DLT_LINUX_SLL2, both(P.DLT_LINUX_SLL2, 0)))
    out.append(("syn-null", P.DLT_NULL, both(P.DLT_NULL, 1)))
    out.append(("syn-loop", P.DLT_LOOP, both(P.DLT_LOOP, 0)))
    out.append(("syn-raw", P.DLT_RAW, both(P.DLT_RAW, 0)))
    f4 = P.conversation_frames(P.DLT_IPV4, 4)
    out.append(("syn-ipv4", P.DLT_IPV4, [(T0 + i * 1000, f) for i, f in enumerate(f4)]))
    f6 = P.conversation_frames(P.DLT_IPV6, 6)
    out.append(("syn-ipv6", P.DLT_IPV6, [(T0 + i * 1000, f) for i, f in enumerate(f6)]))
    # IPv4 options and an IPv6 extension chain, over Ethernet.
    ext = [(0, P.ext_opts(8)), (43, P.ext_opts(24)), (44, P.ext_frag()),
           (51, P.ext_ah(16)), (60, P.ext_opts(16))]
    frames = []
    for (c, s4), (_, s6) in zip(P.conversation(4, sport=40000),
                                P.conversation(6, sport=40001)):
        frames.append(P.eth(0x0800, P.ip(4, c, s4, options=b"\x07\x07\x04\x00\x00\x00\x00\x00")))
        frames.append(P.eth(0x86DD, P.ip(6, c, s6, ext=ext)))
    out.append(("syn-ipopts", P.DLT_EN10MB, [(T0 + i * 1000, f) for i, f in enumerate(frames)]))
    return out


def tunnel_bases():
    """(name, linktype, [(ts, frame)]): conversations through each tunnel,
    IPv4 and IPv6 inside, over Ethernet and IPv4."""
    out = []
    for kind in ("ipip", "gre", "erspan", "vxlan", "geneve"):
        frames = []
        for (c, s4), (c6, s6) in zip(P.conversation(4, sport=40000),
                                     P.conversation(6, sport=40001)):
            frames.append(P.tunnelled(kind, 4, P.ip(4, c, s4)))
            frames.append(P.tunnelled(kind, 6, P.ip(6, c6, s6)))
        out.append(("syn-" + kind, P.DLT_EN10MB,
                    [(T0 + i * 1000, f) for i, f in enumerate(frames)]))
    return out


def tunnel_truncations(corpus, name, dlt, recs):
    """The first packet (a SYN) and the second (IPv6 inside) cut at every
    byte: the tunnel headers are beyond what locate() follows."""
    trunc = []
    for ts, d in recs[:2]:
        for n in range(len(d)):
            trunc.append((ts, d[:n], len(d)))
    corpus.pcap(name + ".trunc.pcap", dlt, trunc,
                "tunnelled headers cut at every byte")


def file_bases(paths):
    out = []
    for name, path in paths:
        with open(path, "rb") as f:
            data = f.read()
        parsed = P.read_pcap(data)
        if not parsed:
            continue  # pcapng: libpcap's own reader, not this corpus's
        dlt, _, recs = parsed
        out.append((name, dlt, recs[:MAX_BASE_RECORDS]))
    return out


def captures(paths):
    """(name, path) of every classic pcap file under paths; the name is the
    path from the directory given, e.g. pcaps-kernel-refused-capture."""
    def name_of(top, path):
        rel = os.path.relpath(path, os.path.dirname(os.path.abspath(top)))
        return os.path.splitext(rel)[0].replace(os.sep, "-").replace(".", "_")

    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    if name.endswith(".pcap"):
                        path = os.path.join(root, name)
                        yield name_of(p.rstrip(os.sep), path), path
        elif os.path.exists(p):
            yield name_of(p, p), p


# --------------------------------------------------------------- mutations

def representatives(dlt, recs):
    """Indices of a few packets that together hold every header kind: the
    first SYN, SYN/ACK, data, FIN, RST, IPv6, IP options and extensions."""
    want = {}
    for i, (_, d) in enumerate(recs):
        L = P.locate(dlt, d)
        if not L:
            continue
        flags = d[L.tcp + 13]
        payload = L.tcp + L.tcp_hlen < len(d)
        keys = []
        if flags & P.SYN and not flags & P.ACK:
            keys.append("syn")
        if flags & P.SYN and flags & P.ACK:
            keys.append("synack")
        if payload:
            keys.append("data")
        if flags & P.FIN:
            keys.append("fin")
        if flags & P.RST:
            keys.append("rst")
        if L.ver == 6:
            keys.append("v6")
        if L.ver == 4 and L.ip_hlen > 20:
            keys.append("ipopts")
        if L.ext:
            keys.append("ext")
        for k in keys:
            want.setdefault(k, i)
    return sorted(set(want.values()))


def set8(d, off, v):
    d = bytearray(d)
    d[off] = v & 0xFF
    return bytes(d)


def set16(d, off, v):
    d = bytearray(d)
    d[off:off + 2] = struct.pack("!H", v & 0xFFFF)
    return bytes(d)


def length_mutations(dlt, d):
    """{field: [mutated packet]} for one packet."""
    L = P.locate(dlt, d)
    if not L:
        return {}
    out = {}
    ip = L.link
    dgram = len(d) - ip
    if L.ver == 4:
        ihl = L.ip_hlen // 4
        vals = {0, 1, 4, 5, 6, 15, ihl - 1, ihl + 1}
        out["ihl"] = [set8(d, ip, 0x40 | v) for v in sorted(vals) if 0 <= v <= 15 and v != ihl]
        tot = struct.unpack("!H", d[ip + 2:ip + 4])[0]
        vals = {0, 1, 19, 20, L.ip_hlen - 1, L.ip_hlen, L.ip_hlen + 19,
                L.ip_hlen + L.tcp_hlen - 1, dgram - 1, dgram + 1, dgram + 1000,
                65535}
        out["total"] = [set16(d, ip + 2, v) for v in sorted(vals) if 0 <= v <= 65535 and v != tot]
    else:
        plen = struct.unpack("!H", d[ip + 4:ip + 6])[0]
        chain = L.ip_hlen - 40
        vals = {0, 1, 7, 8, 19, chain, chain + 19, chain + L.tcp_hlen - 1,
                dgram - 40 - 1, dgram - 40 + 1, dgram + 1000, 65535}
        out["plen"] = [set16(d, ip + 4, v) for v in sorted(vals) if 0 <= v <= 65535 and v != plen]
        muts = []
        for off, nh in L.ext:
            if nh == 44:
                # Fragment: offset field (non-first) and reserved bytes.
                muts += [set16(d, off + 2, 8), set16(d, off + 2, 0xFFF8),
                         set8(d, off + 1, 255)]
            else:
                muts += [set8(d, off + 1, v) for v in (0, 1, 2, 254, 255)
                         if v != d[off + 1]]
            muts.append(set8(d, off, 59))  # chain ends: no next header
            muts.append(set8(d, off, 0))   # hop-by-hop again (deeper chain)
        out["extlen"] = muts
    ver = d[ip] >> 4
    out["version"] = [set8(d, ip, (v << 4) | (d[ip] & 15)) for v in (0, 4, 5, 6, 15) if v != ver]
    doff = L.tcp_hlen // 4
    vals = {0, 1, 4, 5, 6, doff - 1, doff + 1, 15}
    out["doff"] = [set8(d, L.tcp + 12, (v << 4) | (d[L.tcp + 12] & 15))
                   for v in sorted(vals) if 0 <= v <= 15 and v != doff]
    muts = []
    for off, kind, olen in L.opts:
        for v in (0, 1, 2, olen - 1, olen + 1, 40, 255):
            if 0 <= v <= 255 and v != olen:
                muts.append(set8(d, off + 1, v))
        # The kind byte too: an option the decoder knows with a foreign
        # length, and an unknown kind.
        for k in (2, 3, 4, 8, 99):
            if k != kind:
                muts.append(set8(d, off, k))
    if muts:
        out["optlen"] = muts
    return out


def content_mutations(corpus, name, dlt, recs):
    reps = representatives(dlt, recs)
    base = name + ".pcap"
    # Every prefix of each representative packet's headers.
    trunc = []
    for i in reps:
        ts, d = recs[i][0], recs[i][1]
        L = P.locate(dlt, d)
        for n in range(0, L.hdr_end + 1):
            trunc.append((ts, d[:n], len(d)))
    if trunc:
        corpus.pcap(name + ".trunc.pcap", dlt, trunc,
                    "headers cut at every byte")
    # Length fields: the mutants of packet i go just before it, amid the
    # conversation.
    fields = {}
    for i in reps:
        for field, muts in length_mutations(dlt, recs[i][1]).items():
            fields.setdefault(field, {})[i] = muts
    for field, by_index in sorted(fields.items()):
        out = []
        for i, (ts, d) in enumerate(recs):
            for m in by_index.get(i, []):
                out.append((ts, m))
            out.append((ts, d))
        corpus.pcap("%s.len-%s.pcap" % (name, field), dlt, out,
                    "length field %s: 0, too small, too large, max" % field)
    # Link types: unsupported, and supported but wrong.
    wrong = P.DLT_RAW if dlt != P.DLT_RAW else P.DLT_EN10MB
    # tcpfsm refuses a link type it cannot decode at once (exit 1, naming
    # the file) rather than read the whole file for nothing.
    for lt, what, expect in ((147, "unsupported", "open_error"),
                             (0xFFFF, "unassigned", "open_error"),
                             (wrong, "wrong", "ok"),
                             (P.DLT_LINUX_SLL2, "sll2", "ok")):
        if lt != dlt:
            corpus.pcap("%s.linktype-%s.pcap" % (name, what), lt, recs,
                        "link type %d (%s) in the file header" % (lt, what),
                        expect=expect)
    # Snap lengths shorter than the headers.
    L = P.locate(dlt, recs[reps[0]][1]) if reps else None
    if L:
        for snap, what in ((L.link + 19, "ip"), (L.link + L.ip_hlen + 10, "tcp"),
                           (L.link + L.ip_hlen + 24, "options"), (1, "one")):
            cut = [(ts, d[:snap], len(d)) for ts, d in recs]
            corpus.pcap("%s.snaplen-%s.pcap" % (name, what), dlt, cut,
                        "snap length %d cuts the %s header" % (snap, what),
                        snaplen=snap)
    # Zero-length records between all others change no event.
    zl = []
    for k, (ts, d) in enumerate(recs):
        zl.append((ts, d))
        zl.append((ts, b"", 0 if k % 2 else 60))
    corpus.pcap(name + ".zero-length.pcap", dlt, zl,
                "a zero-length record after every record",
                same_events_as=base)


def structure_mutations(corpus, name, dlt, recs):
    """File and record headers that lie, and files cut short."""
    base = name + ".pcap"
    hdr = P.pcap_header(dlt)
    rec = [P.pcap_record(d, ts) for ts, d in recs]
    k = min(3, len(recs) - 1)  # the record that goes bad

    written = set()

    def prefix(n, tag):
        pname = "%s.%s.prefix.pcap" % (name, tag)
        if pname not in written:
            written.add(pname)
            corpus.pcap(pname, dlt, recs[:n], "first %d records" % n)
        return pname

    # Byte order and timestamp resolution of the file: same events.
    be = P.pcap_header(dlt, endian=">") + b"".join(
        P.pcap_record(d, ts, endian=">") for ts, d in recs)
    corpus.write(name + ".big-endian.pcap", be, what="big-endian file",
                 same_events_as=base)
    ns = P.pcap_header(dlt, magic=P.PCAP_MAGIC_NS) + b"".join(
        struct.pack("<IIII", ts // 1000000, ts % 1000000 * 1000, len(d), len(d)) + d
        for ts, d in recs)
    corpus.write(name + ".nanosecond.pcap", ns, what="nanosecond timestamps",
                 same_events_as=base)
    # Header fields that do not matter.
    odd = bytearray(hdr)
    odd[8:16] = struct.pack("<iI", -3600, 12345)  # thiszone, sigfigs
    corpus.write(name + ".thiszone.pcap", bytes(odd) + b"".join(rec),
                 what="thiszone and sigfigs set", same_events_as=base)
    corpus.write(name + ".version-2-3.pcap",
                 P.pcap_header(dlt, minor=3) + b"".join(rec),
                 what="version 2.3", same_events_as=base)
    corpus.write(name + ".origlen-small.pcap", hdr + b"".join(
        P.pcap_record(d, ts, origlen=1) for ts, d in recs),
        what="original length below the captured length",
        same_events_as=base)
    corpus.write(name + ".snaplen-0.pcap", P.pcap_header(dlt, snaplen=0) +
                 b"".join(rec), what="snap length 0 in the file header")
    corpus.write(name + ".snaplen-max.pcap",
                 P.pcap_header(dlt, snaplen=0xFFFFFFFF) + b"".join(rec),
                 what="snap length 2^32-1 in the file header")
    # Records longer than the file's snap length (libpcap cuts them).
    corpus.write(name + ".caplen-over-snaplen.pcap",
                 P.pcap_header(dlt, snaplen=60) + b"".join(rec),
                 what="records longer than the snap length")
    # Timestamps: microseconds out of range, the end of time, backwards.
    wild = []
    for i, (ts, d) in enumerate(recs):
        sec, usec = [(0, 0), (0xFFFFFFFF, 999999), (5, 4000000000),
                     (ts // 1000000, ts % 1000000)][i % 4]
        wild.append(struct.pack("<IIII", sec, usec, len(d), len(d)) + d)
    corpus.write(name + ".timestamps.pcap", hdr + b"".join(wild),
                 what="timestamps at 0, 2^32-1 s, usec above 10^6, "
                 "backwards")
    # Bad file headers.
    corpus.write(name + ".magic.pcap", b"\xde\xad\xbe\xef" + hdr[4:] + b"".join(rec),
                 expect="open_error", what="wrong magic")
    for major, minor in ((1, 0), (3, 0), (2, 99)):
        corpus.write("%s.version-%d-%d.pcap" % (name, major, minor),
                     P.pcap_header(dlt, major=major, minor=minor) + b"".join(rec),
                     expect="open_error", what="version %d.%d" % (major, minor))
    corpus.write(name + ".empty.pcap", b"", expect="open_error",
                 what="empty file")
    corpus.write(name + ".cut-file-header.pcap", hdr[:13],
                 expect="open_error", what="cut in the file header")
    corpus.write(name + ".header-only.pcap", hdr, what="no records")
    # A record whose caplen is huge, or points past the end of the file.
    for caplen, what in ((0xFFFFFFFF, "2^32-1"), (0x7FFFFFFF, "2^31-1"),
                         (262145, "262145"), (200000, "past the end")):
        bad = rec[:k] + [struct.pack("<IIII", 1, 0, caplen, caplen) +
                         recs[k][1]] + rec[k + 1:]
        corpus.write("%s.caplen-%s.pcap" % (name, what.replace(" ", "-").replace("^", "")),
                     hdr + b"".join(bad), expect="read_error", after=k,
                     prefix=prefix(k, "caplen-%d" % k),
                     what="record %d: caplen %s" % (k + 1, what))
    # Cut in a record header, and in a record's data.
    body = hdr + b"".join(rec[:k])
    corpus.write(name + ".cut-record-header.pcap", body + rec[k][:9],
                 expect="read_error", after=k, prefix=prefix(k, "cut-%d" % k),
                 what="cut 9 bytes into record %d's header" % (k + 1))
    corpus.write(name + ".cut-record-data.pcap", body + rec[k][:16 + 5],
                 expect="read_error", after=k, prefix=prefix(k, "cut-%d" % k),
                 what="cut 5 bytes into record %d's data" % (k + 1))
    corpus.write(name + ".cut-last.pcap", hdr + b"".join(rec)[:-1],
                 expect="read_error", after=len(rec) - 1,
                 prefix=prefix(len(rec) - 1, "cut-last"),
                 what="cut one byte short of the end")
    # pcapng: the same packets (same events); a block length that lies, a
    # cut block, a second interface of another link type.
    ng = [P.pcapng_epb(d, ts) for ts, d in recs]
    head = P.pcapng_shb() + P.pcapng_idb(dlt)
    corpus.write(name + ".pcapng", head + b"".join(ng), what="pcapng",
                 same_events_as=base)
    corpus.write(name + ".ng-block-length.pcapng",
                 head + b"".join(ng[:k]) + P.pcapng_epb(recs[k][1], recs[k][0],
                                                        length=0x7FFFFFF0)
                 + b"".join(ng[k + 1:]),
                 expect="read_error", after=k, prefix=prefix(k, "caplen-%d" % k),
                 what="pcapng: block %d's length 2^31-16" % (k + 1))
    corpus.write(name + ".ng-caplen.pcapng",
                 head + b"".join(ng[:k]) + P.pcapng_epb(recs[k][1], recs[k][0],
                                                        caplen=0x7FFFFFF0)
                 + b"".join(ng[k + 1:]),
                 expect="read_error", after=k, prefix=prefix(k, "caplen-%d" % k),
                 what="pcapng: packet %d's caplen past its block" % (k + 1))
    corpus.write(name + ".ng-cut.pcapng", head + b"".join(ng[:k]) + ng[k][:30],
                 expect="read_error", after=k, prefix=prefix(k, "cut-%d" % k),
                 what="pcapng: cut in block %d" % (k + 1))
    other = P.DLT_RAW if dlt != P.DLT_RAW else P.DLT_EN10MB
    # (libpcap gives one link type per file: it refuses the second.)
    corpus.write(name + ".ng-two-linktypes.pcapng",
                 head + b"".join(ng[:k]) + P.pcapng_idb(other) +
                 P.pcapng_epb(recs[k][1], recs[k][0], iface=1) +
                 b"".join(ng[k + 1:]),
                 expect="read_error", after=k, prefix=prefix(k, "cut-%d" % k),
                 what="pcapng: a second interface of another link type "
                 "before packet %d" % (k + 1))
    corpus.write(name + ".ng-no-interface.pcapng",
                 P.pcapng_shb() + b"".join(ng), expect="open_error",
                 what="pcapng: packets of an interface never described")
    corpus.write(name + ".cut-first.pcap", hdr + rec[0][:17],
                 expect="read_error", after=0, prefix=prefix(0, "cut-0"),
                 what="cut 1 byte into the first record's data")


def generate(outdir, paths):
    corpus = Corpus(outdir)
    bases = synthetic_bases() + file_bases(list(captures(paths)))
    seen = set()
    for name, dlt, recs in bases:
        if not recs:
            continue
        key = (dlt, tuple(d for _, d in recs))
        if key in seen:  # the same capture under two names
            continue
        seen.add(key)
        corpus.pcap(name + ".pcap", dlt, recs, "good capture")
        content_mutations(corpus, name, dlt, recs)
        # File structure: a few bases are enough (libpcap reads them all
        # alike; the point is what tcpfsm reports and keeps).
        if name in ("syn-eth", "syn-raw", "syn-sll2", "pcaps-demo"):
            structure_mutations(corpus, name, dlt, recs)
    for name, dlt, recs in tunnel_bases():
        corpus.pcap(name + ".pcap", dlt, recs, "good capture")
        tunnel_truncations(corpus, name, dlt, recs)
    corpus.save_manifest()
    return corpus.manifest


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen_corpus.py OUTDIR [PCAP|DIR...]")
    m = generate(sys.argv[1], sys.argv[2:])
    print("gen_corpus: %d files in %s" % (len(m), sys.argv[1]))


if __name__ == "__main__":
    main()
