#!/usr/bin/python3
"""derive.py - imperfect-sensor captures derived from the kernel recordings.

    derive.py --out DIR | --list | --self-test [scenario dirs...]

A real sensor misses packets, sees one direction of a link only, hands
packets over out of order (a multi-queue NIC), or sees them twice (a SPAN
of two ports). None of that changes what the two kernels did, so the
kernel truth of a recording (truth.tsv, quiet.tsv) still holds for any
capture derived from it; check.py scores tcpfsm on the derived captures
exactly as on the clean one.

Design:
  * its own pcap reader/writer (classic pcap, either byte order, micro- or
    nanosecond magic; records are kept as raw bytes and written back with
    the original file header), and truth._decode to find the TCP packets;
  * only TCP packets are dropped, removed, swapped or copied. The other
    packets (the recorder's UDP clock ticks every 250 ms and the ICMP
    errors they draw) stay: they stand for the rest of the traffic a real sensor sees, and
    they keep tcpfsm's clock moving while TCP is silent;
  * deterministic: every random choice comes from random.Random seeded with
    the string "<condition kind>/<scenario>/<seed>" (string seeds are hashed
    with SHA-512, independent of PYTHONHASHSEED);
  * the direction of a packet comes from scenario.json's "topology" (the
    client's and the server's addresses).

Conditions (CONDITIONS below; the id is the key used in floors.tsv):
  drop<P>-s<N>   each TCP packet is missing with probability P % (P = 2, 5,
                 15; seeds 1, 2, 3), independently;
  c2s-only       only the TCP packets sent by the client's addresses;
  s2c-only       only the TCP packets sent by the server's addresses;
  swap10-s<N>    walking the TCP packets in order, each one not just moved
                 is swapped with the next TCP packet with probability 10 %
                 (seeds 1, 2, 3), as a multi-queue capture reorders: only
                 packets that could sit on different receive queues (RSS
                 keeps one direction of one connection on one queue, so not
                 two packets of the same connection and direction) and that
                 passed within SWAP_WINDOW of each other. The packets change
                 places, the timestamps stay in their slots, so the time
                 sequence stays monotonic;
  dup100, dup30  each TCP packet followed by a copy of itself, every one or
                 30 % of them (seed 1), with the same timestamp: a SPAN port
                 that mirrors both the port a packet came in on and the one
                 it left by sees it twice.

Each derived scenario is written to OUT/<condition>/<scenario>/ with the
derived capture.pcap and copies of scenario.json, truth.tsv and quiet.tsv,
so a derived directory is a complete recording for check.py or tcpfsm.
--self-test checks the derivations' invariants (deterministic, non-TCP
packets untouched, timestamps monotonic, the right packets removed, swaps
losing nothing, copies right after their packet). Python standard library
only.
"""
import argparse
import os
import random
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)
import truth  # noqa: E402

SWAP_WINDOW = 0.010  # seconds: neighbours further apart do not swap
RECORDING_FILES = ("capture.pcap", "scenario.json", "quiet.tsv")


class Condition:
    """One way of deriving a capture: id (floors.tsv key), label and group
    (the summary table's row), and the transform."""

    def __init__(self, cid, group, label, kind, param=None, seed=None):
        self.id, self.group, self.label = cid, group, label
        self.kind, self.param, self.seed = kind, param, seed

    def apply(self, pcap, scenario, topology):
        """Returns a new Pcap derived from pcap (which is left alone)."""
        client = set(topology["client"])
        server = set(topology["server"])
        rng = random.Random("%s/%s/%s" % (self.kind, scenario, self.seed))
        recs = list(pcap.records)
        tcp = [i for i, r in enumerate(recs) if r.seg is not None]
        if self.kind == "drop":
            gone = {i for i in tcp if rng.random() < self.param / 100.0}
            recs = [r for i, r in enumerate(recs) if i not in gone]
        elif self.kind == "direction":
            keep = client if self.param == "c2s" else server
            recs = [r for r in recs if r.seg is None or truth.addr_ip(r.seg.src) in keep]
        elif self.kind == "swap":
            k = 0
            while k + 1 < len(tcp):
                i, j = tcp[k], tcp[k + 1]
                a, b = recs[i], recs[j]
                if rng.random() < self.param / 100.0 and swappable(a, b):
                    recs[i], recs[j] = b.moved_to(a), a.moved_to(b)
                    k += 2
                else:
                    k += 1
        elif self.kind == "dup":
            out = []
            for r in recs:
                out.append(r)
                if r.seg is not None and rng.random() < self.param / 100.0:
                    out.append(r)
            recs = out
        else:
            raise ValueError(self.kind)
        return Pcap(pcap.header, pcap.endian, pcap.linktype, recs)


def swappable(a, b):
    """Could a multi-queue capture hand b over before a?"""
    if abs(b.ts - a.ts) > SWAP_WINDOW:
        return False
    return (a.seg.src, a.seg.dst) != (b.seg.src, b.seg.dst)


def conditions(seeds=(1, 2, 3)):
    """The conditions, the seeded ones (drops, swaps) drawn with seeds."""
    out = []
    for p in (2, 5, 15):
        for s in seeds:
            out.append(Condition("drop%d-s%d" % (p, s), "drop %d %%" % p,
                                 "drop %d %% seed %d" % (p, s), "drop", p, s))
    for s in seeds:
        out.append(Condition("swap10-s%d" % s, "swap 10 %", "swap 10 %% seed %d" % s,
                             "swap", 10, s))
    out.append(Condition("dup100", "every packet twice", "every packet twice",
                         "dup", 100, 1))
    out.append(Condition("dup30", "30 % twice", "30 % of packets twice", "dup", 30, 1))
    out.append(Condition("c2s-only", "client->server only", "client->server only",
                         "direction", "c2s"))
    out.append(Condition("s2c-only", "server->client only", "server->client only",
                         "direction", "s2c"))
    return out


CONDITIONS = conditions()


# --------------------------------------------------------------------------
# pcap reading and writing

class Record:
    """One pcap record: raw header fields and bytes; seg is the decoded TCP
    segment (truth.Segment) or None for any other packet."""
    __slots__ = ("sec", "frac", "caplen", "origlen", "data", "ts", "seg")

    def __init__(self, sec, frac, caplen, origlen, data, ts, seg):
        self.sec, self.frac, self.caplen, self.origlen = sec, frac, caplen, origlen
        self.data, self.ts, self.seg = data, ts, seg

    def moved_to(self, slot):
        """This packet with the timestamp of record slot."""
        return Record(slot.sec, slot.frac, self.caplen, self.origlen, self.data,
                      slot.ts, self.seg)


class Pcap:
    def __init__(self, header, endian, linktype, records):
        self.header, self.endian, self.linktype = header, endian, linktype
        self.records = records

    @classmethod
    def read(cls, path):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) < 24:
            raise ValueError("%s: too short for a pcap file" % path)
        magic = data[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            e = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            e = ">"
        else:
            raise ValueError("%s: not a classic pcap file" % path)
        div = 1e9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e6
        linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
        recs = []
        off = 24
        while off + 16 <= len(data):
            sec, frac, caplen, origlen = struct.unpack(e + "IIII", data[off:off + 16])
            pkt = data[off + 16:off + 16 + caplen]
            off += 16 + caplen
            if len(pkt) < caplen:
                break  # truncated last record
            ts = sec + frac / div
            recs.append(Record(sec, frac, caplen, origlen, pkt, ts,
                               truth._decode(pkt, linktype, ts)))
        return cls(data[:24], e, linktype, recs)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.header)
            for r in self.records:
                f.write(struct.pack(self.endian + "IIII", r.sec, r.frac, r.caplen, r.origlen))
                f.write(r.data)

    def tcp_count(self):
        return sum(r.seg is not None for r in self.records)


# --------------------------------------------------------------------------

def is_recording(d):
    """A complete recording: the recorder writes these files last."""
    return all(os.path.isfile(os.path.join(d, n)) for n in RECORDING_FILES + ("truth.tsv",))


def find_recordings(top):
    """Every directory under top holding a complete recording, by name."""
    if not os.path.isdir(top):
        return []
    return sorted(os.path.join(top, n) for n in os.listdir(top)
                  if is_recording(os.path.join(top, n)))


def derive(src_dir, cond, out_dir, meta=None, pcap=None):
    """Writes cond's capture of the recording src_dir to out_dir/<cond>/<name>/
    and returns that directory and the count of TCP packets (before, after)."""
    import json
    name = os.path.basename(os.path.normpath(src_dir))
    if meta is None:
        with open(os.path.join(src_dir, "scenario.json")) as f:
            meta = json.load(f)
    if pcap is None:
        pcap = Pcap.read(os.path.join(src_dir, "capture.pcap"))
    d = os.path.join(out_dir, cond.id, name)
    os.makedirs(d, exist_ok=True)
    new = cond.apply(pcap, name, meta["topology"])
    new.write(os.path.join(d, "capture.pcap"))
    for n in ("scenario.json", "truth.tsv", "quiet.tsv"):
        shutil.copyfile(os.path.join(src_dir, n), os.path.join(d, n))
    return d, (pcap.tcp_count(), new.tcp_count())


def copies_follow(orig, new):
    """Is new orig with some packets followed by one copy of themselves
    (same bytes, same timestamp)?"""
    j = 0
    for r in orig:
        if j >= len(new) or new[j].data != r.data:
            return False
        j += 1
        if j < len(new) and new[j].data == r.data and new[j].ts == r.ts:
            j += 1
    return j == len(new)


def self_test(dirs):
    """Checks every derivation of every recording: deterministic (derived
    twice, same bytes), the non-TCP packets all kept in order, timestamps
    monotonic, drops and direction filters only remove TCP packets (the
    right ones), swaps keep every packet, copies follow their packet.
    Returns a list of failures."""
    import json
    fails = []
    for src in dirs:
        name = os.path.basename(os.path.normpath(src))
        with open(os.path.join(src, "scenario.json")) as f:
            topo = json.load(f)["topology"]
        pcap = Pcap.read(os.path.join(src, "capture.pcap"))
        other = [r.data for r in pcap.records if r.seg is None]
        tcp = sorted(r.data for r in pcap.records if r.seg is not None)
        for c in CONDITIONS:
            new = c.apply(pcap, name, topo)
            again = c.apply(pcap, name, topo)
            where = "%s/%s" % (c.id, name)
            if [r.data for r in new.records] != [r.data for r in again.records]:
                fails.append(where + ": not deterministic")
            if [r.data for r in new.records if r.seg is None] != other:
                fails.append(where + ": non-TCP packets changed")
            ts = [r.ts for r in new.records]
            if ts != sorted(ts):
                fails.append(where + ": timestamps not monotonic")
            got = sorted(r.data for r in new.records if r.seg is not None)
            if c.kind == "swap" and got != tcp:
                fails.append(where + ": packets lost or duplicated by swapping")
            if c.kind == "drop" and not set(got) <= set(tcp):
                fails.append(where + ": packets invented")
            if c.kind == "dup" and not copies_follow(
                    [r for r in pcap.records if r.seg is not None],
                    [r for r in new.records if r.seg is not None]):
                fails.append(where + ": copies not right after their packet")
            if c.kind == "direction":
                keep = set(topo["client" if c.param == "c2s" else "server"])
                want = sorted(r.data for r in pcap.records
                              if r.seg is not None and truth.addr_ip(r.seg.src) in keep)
                if got != want:
                    fails.append(where + ": wrong packets kept")
    # The derivations must do something at all.
    total = {c.kind: 0 for c in CONDITIONS}
    for src in dirs:
        pcap = Pcap.read(os.path.join(src, "capture.pcap"))
        name = os.path.basename(os.path.normpath(src))
        with open(os.path.join(src, "scenario.json")) as f:
            topo = json.load(f)["topology"]
        for c in CONDITIONS:
            new = c.apply(pcap, name, topo)
            total[c.kind] += sum(a.data != b.data for a, b in zip(pcap.records, new.records)) \
                + abs(len(pcap.records) - len(new.records))
    fails += ["%s: changed nothing in any recording" % k for k, n in total.items() if n == 0]
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="write the derived recordings here (required unless --list)")
    ap.add_argument("--list", action="store_true", help="list the conditions and exit")
    ap.add_argument("--self-test", action="store_true",
                    help="check the derivations' invariants on the recordings and exit")
    ap.add_argument("dirs", nargs="*", help="recordings (default: every one in pcaps/kernel)")
    a = ap.parse_args()
    if a.list:
        for c in CONDITIONS:
            print("%-12s %s" % (c.id, c.label))
        return 0
    dirs = a.dirs or find_recordings(os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                                  "pcaps", "kernel"))
    if a.self_test:
        fails = self_test(dirs)
        for f in fails:
            print("FAIL " + f)
        print("%s: %d recording(s) x %d condition(s)" % (
            "FAIL" if fails or not dirs else "PASS", len(dirs), len(CONDITIONS)))
        return 1 if fails or not dirs else 0
    if not a.out:
        ap.error("--out is required")
    for src in dirs:
        pcap = Pcap.read(os.path.join(src, "capture.pcap"))
        for c in CONDITIONS:
            d, (n0, n1) = derive(src, c, a.out, pcap=pcap)
            print("%-40s %4d -> %4d TCP packets" % (os.path.relpath(d, a.out), n0, n1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
