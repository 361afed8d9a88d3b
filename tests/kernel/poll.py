#!/usr/bin/python3
"""poll.py - what `ss` shows in this network namespace, every 100 ms.

Runs inside the client or server namespace for the whole recording. Every
INTERVAL seconds it runs `ss -tanH` and prints one JSON line:
    {"t": <time.time() at the middle of the ss run>, "d": <ss run time>,
     "rows": [[ss state, local, peer], ...]}
With --tick ADDR PORT it also sends a small UDP datagram to ADDR:PORT every
TICK seconds (the recording's "clock tick": it crosses the capture point, so
the tracker's clock advances even when TCP is silent, and the capture's last
packet is at the end of the recording).

It stops when stdin reaches EOF: one last poll, one last tick, then a
{"end": t} line. Python standard library only.
"""
import argparse
import json
import socket
import subprocess
import sys
import threading
import time


def ss_rows():
    out = subprocess.run(["ss", "-tanH"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 5:
            rows.append([f[0], f[3], f[4]])
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--tick", nargs=2, metavar=("ADDR", "PORT"))
    ap.add_argument("--tick-interval", type=float, default=0.25)
    a = ap.parse_args()

    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()

    tick_sock = None
    seq = 0
    if a.tick:
        fam = socket.AF_INET6 if ":" in a.tick[0] else socket.AF_INET
        tick_sock = socket.socket(fam, socket.SOCK_DGRAM)
        tick_dst = (a.tick[0], int(a.tick[1]))

    def tick():
        nonlocal seq
        seq += 1
        try:
            tick_sock.sendto(b"tick %d" % seq, tick_dst)
        except OSError:
            pass  # e.g. ICMP error reported on the socket: harmless

    def poll():
        t0 = time.time()
        rows = ss_rows()
        t1 = time.time()
        sys.stdout.write(json.dumps({"t": round((t0 + t1) / 2, 6),
                                     "d": round(t1 - t0, 6), "rows": rows}) + "\n")
        sys.stdout.flush()

    now = time.time()
    next_poll = now
    next_tick = now
    while not stop.is_set():
        now = time.time()
        if now >= next_poll:
            poll()
            next_poll += a.interval
            if next_poll < time.time():  # fell behind: skip, stay on the grid
                next_poll = time.time() + a.interval
        if tick_sock is not None and now >= next_tick:
            tick()
            next_tick += a.tick_interval
        wake = next_poll if tick_sock is None else min(next_poll, next_tick)
        stop.wait(max(0.0, wake - time.time()))
    poll()
    if tick_sock is not None:
        tick()
    sys.stdout.write(json.dumps({"end": round(time.time(), 6)}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
