#!/usr/bin/python3
"""agent.py - a scriptable TCP endpoint for the kernel-truth recorder.

Runs inside one network namespace (client or server) and executes one command
per line read from stdin, answering one line per command on stdout:
"ok ..." or "err ...". The recorder (tests/kernel/record) drives a client
agent and a server agent in lock step, so every socket call happens at a
known moment and the real kernel does everything else.

Sockets are named by the caller. Where a command takes NAME, a name ending in
"*" means every socket whose name starts with the rest, in name order.
Addresses are printed as a.b.c.d:port or [v6]:port.

  listen NAME ADDR PORT               listening socket (backlog 512)
  connect NAME DADDR DPORT [SADDR SPORT]
                                      non-blocking connect; optional fixed
                                      source (SO_REUSEADDR, for simultaneous
                                      open); answers "ok NAME LOCAL PEER T"
  connectn PREFIX N DADDR DPORT       N non-blocking connects PREFIX0..N-1;
                                      answers one "NAME LOCAL PEER" per socket
                                      on the same line, separated by " | "
  wait NAME TIMEOUT                   wait until a connect finished; answers
                                      "ok NAME connected", "ok NAME error
                                      ECONNREFUSED" or "ok NAME pending"
  accept LNAME NAME TIMEOUT           accept one connection as NAME
  acceptn LNAME PREFIX N TIMEOUT      accept up to N connections
  send NAME TEXT...                   send TEXT plus a newline
  recv NAME TIMEOUT                   read what has arrived (waits up to
                                      TIMEOUT for the first byte)
  shutdown NAME                       shutdown(SHUT_WR): send FIN, keep reading
  close NAME                          read what is pending (so that close()
                                      sends a FIN, not a RST), then close()
  abort NAME                          SO_LINGER {1, 0} then close(): RST
  forget NAME                         drop our reference without close():
                                      the socket stays open, owned by no one
  state                               list our sockets
  sockopt NAME OPT VALUE              setsockopt: rcvbuf, sndbuf (SO_RCVBUF/
                                      SO_SNDBUF bytes; the kernel doubles
                                      them), keepalive (0/1), keepidle,
                                      keepintvl (s), keepcnt, nodelay (0/1);
                                      on a listener before the SYN arrives,
                                      accepted sockets inherit it
  sendn NAME TOTAL SIZE TIMEOUT       write TOTAL bytes in writes of SIZE
                                      (NAME may be a pattern), as far as the
                                      socket takes them within TIMEOUT;
                                      answers "NAME SENT" per socket
  pump NAME TOTAL SIZE [GAP]          the same in a background thread, one
                                      write of SIZE every GAP s (default 0:
                                      as fast as the socket takes them)
  sink NAME [DELAY [RATE]]            background thread reading NAME after
                                      DELAY s at RATE bytes/s (0 = as fast as
                                      possible) until EOF or close
  bg NAME TIMEOUT                     wait up to TIMEOUT for NAME's
                                      background pump to finish; answers the
                                      bytes pumped and sunk so far
  tcpinfo NAME                        TCP_INFO: state rto_us rtt_us
                                      retransmits probes backoff unacked
Python standard library only.
"""
import errno
import select
import socket
import struct
import sys
import threading
import time

socks = {}  # name -> socket
held = []  # sockets that were "forgotten" but must stay open
bgs = {}  # name -> {"pump": thread, "sink": thread, "sent": n, "got": n}

SOCKOPTS = {
    "rcvbuf": (socket.SOL_SOCKET, socket.SO_RCVBUF),
    "sndbuf": (socket.SOL_SOCKET, socket.SO_SNDBUF),
    "keepalive": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "keepidle": (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
    "keepintvl": (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
    "keepcnt": (socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
    "nodelay": (socket.IPPROTO_TCP, socket.TCP_NODELAY),
}


def fmt(sa):
    if len(sa) >= 4 or ":" in sa[0]:
        return "[%s]:%d" % (sa[0], sa[1])
    return "%s:%d" % (sa[0], sa[1])


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def names(pat):
    if pat.endswith("*"):
        pre = pat[:-1]
        out = sorted((n for n in socks if n.startswith(pre)), key=natkey)
        if not out:
            raise KeyError("no socket matches " + pat)
        return out
    if pat not in socks:
        raise KeyError("no socket " + pat)
    return [pat]


def natkey(name):
    head = name.rstrip("0123456789")
    tail = name[len(head):]
    return (head, int(tail) if tail else -1)


def drain(s):
    """Read whatever is queued without blocking; True if EOF seen."""
    s.setblocking(False)
    try:
        while True:
            try:
                d = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                return False
            if not d:
                return True
    finally:
        s.setblocking(False)


def do_connect(name, daddr, dport, saddr=None, sport=None):
    s = socket.socket(family(daddr), socket.SOCK_STREAM)
    if saddr is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((saddr, int(sport)))
    s.setblocking(False)
    err = s.connect_ex((daddr, int(dport)))
    t = time.time()
    if err not in (0, errno.EINPROGRESS):
        s.close()
        raise OSError(err, errno.errorcode.get(err, str(err)))
    socks[name] = s
    try:
        peer = fmt(s.getpeername())
    except OSError:
        peer = fmt((daddr, int(dport)))
    return "%s %s %s %.6f" % (name, fmt(s.getsockname()), peer, t)


def wait_connected(name, timeout):
    s = socks[name]
    _, w, _ = select.select([], [s], [], timeout)
    if not w:
        return "%s pending" % name
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        return "%s error %s" % (name, errno.errorcode.get(err, str(err)))
    return "%s connected" % name


def do_accept(lname, name, timeout):
    ls = socks[lname]
    r, _, _ = select.select([ls], [], [], timeout)
    if not r:
        return None
    s, _ = ls.accept()
    s.setblocking(False)
    socks[name] = s
    return "%s %s %s" % (name, fmt(s.getsockname()), fmt(s.getpeername()))


def write_n(s, total, size, deadline, gap=0.0, count=None):
    """Write total bytes in writes of size; stop at the deadline (None:
    never). Returns the bytes written; count(n) is called after each write."""
    sent = 0
    chunk = b"x" * size
    while sent < total:
        n = min(size, total - sent)
        buf = memoryview(chunk)[:n]
        while len(buf):
            left = None if deadline is None else deadline - time.time()
            if left is not None and left <= 0:
                return sent
            _, w, _ = select.select([], [s], [], 0.5 if left is None else min(left, 0.5))
            if not w:
                continue
            try:
                k = s.send(buf)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return sent
            buf = buf[k:]
            sent += k
            if count:
                count(k)
        if gap:
            time.sleep(gap)
    return sent


def bgstate(name):
    return bgs.setdefault(name, {"pump": None, "sink": None, "sent": 0, "got": 0,
                                 "eof": False})


def pump(name, s, total, size, gap):
    b = bgstate(name)

    def count(k):
        b["sent"] += k
    write_n(s, total, size, None, gap, count)


def sink(name, s, delay, rate):
    b = bgstate(name)
    time.sleep(delay)
    t0 = time.time()
    while True:
        if rate:
            ahead = b["got"] / rate - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
        try:
            r, _, _ = select.select([s], [], [], 0.5)
        except (OSError, ValueError):
            return
        if not r:
            continue
        try:
            d = s.recv(min(65536, int(rate / 10) or 1) if rate else 65536)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            return
        if not d:
            b["eof"] = True
            return
        b["got"] += len(d)


def handle(words, rest):
    cmd = words[0]
    if cmd == "listen":
        name, addr, port = words[1], words[2], int(words[3])
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family(addr) == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        s.listen(512)
        socks[name] = s
        return "%s %s" % (name, fmt(s.getsockname()))
    if cmd == "connect":
        return do_connect(*words[1:])
    if cmd == "connectn":
        pre, n, daddr, dport = words[1], int(words[2]), words[3], words[4]
        return " | ".join(do_connect("%s%d" % (pre, i), daddr, dport)
                          for i in range(n))
    if cmd == "wait":
        timeout = float(words[2])
        return " | ".join(wait_connected(n, timeout) for n in names(words[1]))
    if cmd == "accept":
        r = do_accept(words[1], words[2], float(words[3]))
        if r is None:
            raise TimeoutError("no connection")
        return r
    if cmd == "acceptn":
        lname, pre, n, timeout = words[1], words[2], int(words[3]), float(words[4])
        out = []
        deadline = time.time() + timeout
        for i in range(n):
            r = do_accept(lname, "%s%d" % (pre, i), max(0.0, deadline - time.time()))
            if r is None:
                break
            out.append(r)
        return " | ".join(out) if out else "none"
    if cmd == "send":
        data = (rest + "\n").encode()
        for n in names(words[1]):
            s = socks[n]
            s.setblocking(True)
            s.settimeout(2.0)
            s.sendall(data)
            s.setblocking(False)
        return "sent %d" % len(data)
    if cmd == "recv":
        timeout = float(words[2])
        out = []
        for n in names(words[1]):
            s = socks[n]
            r, _, _ = select.select([s], [], [], timeout)
            got = b""
            eof = False
            if r:
                s.setblocking(False)
                while True:
                    try:
                        d = s.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as e:
                        out.append("%s error %s" % (n, errno.errorcode.get(e.errno, e)))
                        break
                    if not d:
                        eof = True
                        break
                    got += d
            out.append("%s %d%s" % (n, len(got), " eof" if eof else ""))
        return " | ".join(out)
    if cmd == "shutdown":
        for n in names(words[1]):
            socks[n].shutdown(socket.SHUT_WR)
        return "done"
    if cmd == "close":
        for n in names(words[1]):
            s = socks.pop(n)
            drain(s)
            s.close()
        return "done"
    if cmd == "abort":
        for n in names(words[1]):
            s = socks.pop(n)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        return "done"
    if cmd == "forget":
        for n in names(words[1]):
            held.append(socks.pop(n))
        return "done"
    if cmd == "sockopt":
        level, opt = SOCKOPTS[words[2]]
        for n in names(words[1]):
            socks[n].setsockopt(level, opt, int(words[3]))
        return "%s %s %s" % (words[1], words[2], socks[names(words[1])[0]].getsockopt(level, opt))
    if cmd == "sendn":
        total, size, timeout = int(words[2]), int(words[3]), float(words[4])
        deadline = time.time() + timeout
        return " | ".join("%s %d" % (n, write_n(socks[n], total, size, deadline))
                          for n in names(words[1]))
    if cmd == "pump":
        total, size = int(words[2]), int(words[3])
        gap = float(words[4]) if len(words) > 4 else 0.0
        for n in names(words[1]):
            th = threading.Thread(target=pump, args=(n, socks[n], total, size, gap),
                                  daemon=True)
            bgstate(n)["pump"] = th
            th.start()
        return "started"
    if cmd == "sink":
        delay = float(words[2]) if len(words) > 2 else 0.0
        rate = float(words[3]) if len(words) > 3 else 0.0
        for n in names(words[1]):
            th = threading.Thread(target=sink, args=(n, socks[n], delay, rate), daemon=True)
            bgstate(n)["sink"] = th
            th.start()
        return "started"
    if cmd == "bg":
        deadline = time.time() + float(words[2])
        out = []
        for n in names(words[1]):
            b = bgstate(n)
            if b["pump"] is not None:
                b["pump"].join(max(0.0, deadline - time.time()))
            out.append("%s sent %d got %d%s%s" % (
                n, b["sent"], b["got"], " eof" if b["eof"] else "",
                " pumping" if b["pump"] is not None and b["pump"].is_alive() else ""))
        return " | ".join(out)
    if cmd == "tcpinfo":
        out = []
        for n in names(words[1]):
            ti = socks[n].getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            st, ca, retr, probes, backoff = struct.unpack_from("BBBBB", ti, 0)
            rto, = struct.unpack_from("I", ti, 8)
            unacked, = struct.unpack_from("I", ti, 24)
            rtt, rttvar = struct.unpack_from("II", ti, 68)
            out.append("%s state %d rto_us %d rtt_us %d rttvar_us %d retransmits %d probes %d "
                       "backoff %d unacked %d" % (n, st, rto, rtt, rttvar, retr, probes,
                                                  backoff, unacked))
        return " | ".join(out)
    if cmd == "state":
        out = []
        for n in sorted(socks, key=natkey):
            try:
                out.append("%s %s" % (n, fmt(socks[n].getsockname())))
            except OSError:
                out.append("%s ?" % n)
        return " | ".join(out) if out else "none"
    raise ValueError("unknown command " + cmd)


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        words = line.split()
        # everything after "send NAME " is the payload
        rest = line.split(None, 2)[2] if words[0] == "send" and len(words) > 2 else ""
        if words[0] == "quit":
            break
        try:
            r = handle(words, rest)
            sys.stdout.write("ok %s\n" % r)
        except Exception as e:  # report, keep serving
            sys.stdout.write("err %s: %s\n" % (type(e).__name__, e))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
