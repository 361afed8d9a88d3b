#!/usr/bin/env python3
"""input2pcap.py - turns a fuzz_packets input into a pcap file, to show a
finding with `tcpfsm -r` (only the packets: the tracker options in the
input's second byte, tcpfsm_advance() calls and backward steps are lost).

    input2pcap.py INPUT OUTPUT.pcap
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_seeds  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "malformed"))
import pktlib as P  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: input2pcap.py INPUT OUTPUT.pcap")
    d = open(sys.argv[1], "rb").read()
    if len(d) < 2:
        sys.exit("input2pcap: input too short")
    dlt = make_seeds.LINKTYPES[d[0] % len(make_seeds.LINKTYPES)]
    i, ts, recs = 2, 1700000000000000, []
    while i + 3 <= len(d):
        step, n = d[i], d[i + 1] << 8 | d[i + 2]
        i += 3
        pkt = d[i:i + n]
        i += len(pkt)
        ts += -1000000 if step == 0xFF else (step & 0x7F) ** 2 * 10000
        recs.append((max(ts, 0), pkt))
    with open(sys.argv[2], "wb") as f:
        f.write(P.pcap_file(dlt & 0xFFFFFFFF, [], snaplen=262144))
        for t, pkt in recs:
            f.write(P.pcap_record(pkt, t))
    print("input2pcap: %d packets, link type %d, options byte 0x%02x" %
          (len(recs), dlt, d[1]))


if __name__ == "__main__":
    main()
