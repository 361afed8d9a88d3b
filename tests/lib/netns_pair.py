"""Two test hosts joined by a veth pair, each in its own network namespace.

    pair = NetnsPair("tfl", "10.88.0")   # hosts .1 (client), .2 (server)
    pair.setup(); ...; pair.teardown()

Namespaces are named PREFIX-PID-c and PREFIX-PID-s and the veth ends
PREFIXc / PREFIXs (short: interface names are at most 15 bytes). Offloads
are off so that captures carry real segments and checksums. teardown()
kills whatever still runs in the namespaces and deletes them; it is safe to
call after a failed setup().
"""
import os
import signal
import subprocess

PY = "/usr/bin/python3"

# Python source for a sender run inside a namespace (python3 -c): syn()
# builds an Ethernet frame holding one TCP SYN, checksums filled, to a MAC
# that is no one's.
SYN_FRAME = r"""import socket, struct, sys, time

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF

def syn(src, dst, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 2,
                      64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6,
                     0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp
"""


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def in_ns(ns, *args):
    return ["ip", "netns", "exec", ns] + list(args)


class NetnsPair:
    def __init__(self, prefix, net):
        pid = os.getpid()
        self.client_ns = "%s-%d-c" % (prefix, pid)
        self.server_ns = "%s-%d-s" % (prefix, pid)
        self.client_dev, self.server_dev = prefix + "c", prefix + "s"
        self.client_ip, self.server_ip = net + ".1", net + ".2"

    def setup(self):
        sh("ip", "netns", "add", self.client_ns)
        sh("ip", "netns", "add", self.server_ns)
        sh("ip", "link", "add", self.client_dev, "netns", self.client_ns,
           "type", "veth", "peer", "name", self.server_dev, "netns",
           self.server_ns)
        for ns, dev, addr in ((self.client_ns, self.client_dev,
                               self.client_ip),
                              (self.server_ns, self.server_dev,
                               self.server_ip)):
            sh(*in_ns(ns, "ip", "addr", "add", addr + "/24", "dev", dev))
            sh(*in_ns(ns, "ip", "link", "set", dev, "up"))
            sh(*in_ns(ns, "ip", "link", "set", "lo", "up"))
            sh(*in_ns(ns, "ethtool", "-K", dev, "tx", "off", "rx", "off",
                      "tso", "off", "gso", "off", "gro", "off"),
               check=False)

    def teardown(self):
        for ns in (self.client_ns, self.server_ns):
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", ns, check=False)
