#!/usr/bin/env python3
"""make_seeds.py - the packet fuzzer's seed corpus.

    make_seeds.py [--stamp FILE] [--run REPLAY] OUTDIR [PCAP|DIR...]

Writes inputs in fuzz_packets.c's format: the captures given (classic pcap or
single-link-type pcapng; directories are searched for *.pcap and *.pcapng;
the build passes pcaps/), cut into pieces of at most 64
packets, plus synthetic conversations for every supported link type and
encapsulation, IPv4 and IPv6, so that every decoder path has a seed even
before any capture exists. With --run, then runs REPLAY OUTDIR (the harness
without libFuzzer) and exits with its status: the test suite's way to run
the seeds.
"""

import hashlib
import math
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "malformed"))
import pktlib as P  # noqa: E402

# Must match linktypes[] in fuzz_packets.c.
LINKTYPES = [1, 113, 276, 0, 108, 12, 14, 101, 228, 229, 147, -1, 10]


def step_byte(dt_us):
    """The time step byte whose v*v*10 ms comes closest to dt_us."""
    if dt_us <= 0:
        return 0
    v = int(round(math.sqrt(dt_us / 10000.0)))
    return min(v, 127)


def encode(dlt, packets, cfg=0):
    """packets: [(ts_us, bytes)]."""
    if dlt not in LINKTYPES:
        return None
    out = bytes([LINKTYPES.index(dlt), cfg])
    prev = packets[0][0] if packets else 0
    for ts, data in packets:
        data = data[:0xFFFF]
        out += bytes([step_byte(ts - prev)]) + struct.pack("!H", len(data)) + data
        prev = ts
    return out


def write(outdir, blob):
    if blob is None:
        return 0
    name = hashlib.sha1(blob).hexdigest()
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(blob)
    return 1


def synthetic():
    """(dlt, [(ts, frame)], cfg) for every link type and encapsulation."""
    t0 = 1700000000000000
    for dlt in (P.DLT_EN10MB, P.DLT_FDDI, P.DLT_LINUX_SLL, P.DLT_LINUX_SLL2, P.DLT_NULL,
                P.DLT_LOOP, P.DLT_RAW, P.DLT_IPV4, P.DLT_IPV6):
        variants = 8 if dlt == P.DLT_EN10MB else 4 if dlt in (P.DLT_NULL, P.DLT_LOOP) else 1
        for family in (4, 6):
            if dlt == P.DLT_IPV4 and family == 6 or dlt == P.DLT_IPV6 and family == 4:
                continue
            for variant in range(variants):
                frames = P.conversation_frames(dlt, family, variant)
                yield dlt, [(t0 + i * 1000, f) for i, f in enumerate(frames)], 0
    # IPv4 options and IPv6 extension chains, handshake + close.
    segs = P.conversation(4)
    frames = [P.ipv4(P.V4_C if c else P.V4_S, P.V4_S if c else P.V4_C, s,
                     options=b"\x01\x01\x01\x00") for c, s in segs]
    yield P.DLT_RAW, [(t0 + i, f) for i, f in enumerate(frames)], 0
    ext = [(0, P.ext_opts(8)), (60, P.ext_opts(16)), (44, P.ext_frag()),
           (51, P.ext_ah(16)), (43, P.ext_opts(8))]
    frames = [P.ip(6, c, s, ext=ext) for c, s in P.conversation(6)]
    yield P.DLT_RAW, [(t0 + i, f) for i, f in enumerate(frames)], 0
    # Timers: handshake, then a long silence, then more; small table.
    frames = P.conversation_frames(P.DLT_EN10MB, 4)
    pk = [(t0, frames[0]), (t0 + 1000, frames[1]), (t0 + 2000, frames[2]),
          (t0 + 200000000, frames[6]), (t0 + 200001000, frames[7]),
          (t0 + 200002000, frames[8]), (t0 + 300000000, frames[0])]
    yield P.DLT_EN10MB, pk, 0x81
    # Many connections into a tiny table: eviction.
    pk = []
    for i in range(12):
        f = P.conversation_frames(P.DLT_EN10MB, 4, sport=30000 + i)
        pk += [(t0 + i * 1000, f[0]), (t0 + i * 1000 + 10, f[1])]
    yield P.DLT_EN10MB, pk, 0x02


def captures(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    if name.endswith((".pcap", ".pcapng")):
                        yield os.path.join(root, name)
        elif os.path.exists(p):
            yield p


def main():
    args = sys.argv[1:]
    stamp = replay = None
    while args[:1] in (["--stamp"], ["--run"]):
        if args[0] == "--stamp":
            stamp = args[1]
        else:
            replay = args[1]
        args = args[2:]
    if not args:
        sys.exit("usage: make_seeds.py [--stamp FILE] [--run REPLAY] OUTDIR "
                 "[PCAP|DIR...]")
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for dlt, packets, cfg in synthetic():
        n += write(outdir, encode(dlt, packets, cfg))
    for path in captures(args[1:]):
        with open(path, "rb") as f:
            data = f.read()
        parsed = P.read_pcap(data)
        if parsed:
            dlt, _, recs = parsed
        else:
            parsed = P.read_pcapng(data)
            if not parsed:
                continue
            dlt, recs = parsed
        for i in range(0, len(recs), 64):
            n += write(outdir, encode(dlt, recs[i:i + 64]))
    print("make_seeds: %d seeds in %s" % (n, outdir))
    if stamp:
        with open(stamp, "w") as f:
            f.write("%d\n" % n)
    if replay:
        sys.stdout.flush()
        sys.exit(subprocess.call([replay, outdir]))


if __name__ == "__main__":
    main()
