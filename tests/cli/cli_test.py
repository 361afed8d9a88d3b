#!/usr/bin/env python3
"""The command line as a user meets it: exit statuses and their messages,
--help and --version, standard input, filter expressions, output formats.
"""
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import time


def records(path):
    """A classic pcap file as its global header and its records' bytes."""
    data = open(path, "rb").read()
    head, off, out = data[:24], 24, []
    end = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        out.append(data[off:off + 16 + caplen])
        off += 16 + caplen
    return head, out


def lines_within(proc, seconds):
    """What proc wrote on stdout within seconds (it may not have ended)."""
    got, end = b"", time.time() + seconds
    fd = proc.stdout.fileno()
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        got += chunk
        if b"SYN_SENT" in got:
            break
    return got


def slow_fifo(tcpfsm, demo, check, *args):
    """A capture arriving through a FIFO a packet at a time, as from
    `ssh router tcpdump -U -w -`: each packet's events come out while the
    writer still holds the FIFO open, not when it closes."""
    head, recs = records(demo)
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "capture.fifo")
        os.mkfifo(fifo)
        proc = subprocess.Popen([tcpfsm, "-r", fifo, *args],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        with open(fifo, "wb", buffering=0) as w:
            w.write(head)
            early = b""
            for i, rec in enumerate(recs):
                w.write(rec)
                time.sleep(0.01)
                if i < 20:  # the first SYN is among them
                    early += lines_within(proc, 0.05)
                if b"SYN_SENT" in early:
                    break
            early += lines_within(proc, 3)
            rest = recs[i + 1:]
            for rec in rest:
                w.write(rec)
        out, err = proc.communicate(timeout=30)
    whole = subprocess.run([tcpfsm, "-r", demo, *args],
                           capture_output=True).stdout
    check(b"SYN_SENT" in early,
          f"a FIFO fed slowly: the first transition comes out before the "
          f"writer closes {' '.join(args)}".rstrip())
    check(proc.returncode == 0 and early + out == whole,
          f"a FIFO fed slowly: the same events as the file "
          f"{' '.join(args)}".rstrip())


def main():
    tcpfsm, pcaps = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    gen = os.path.abspath(sys.argv[3])
    demo = os.path.join(pcaps, "demo.pcap")
    failures, checks = [], []

    def run(*args, stdin=None):
        return subprocess.run([tcpfsm, *args], capture_output=True,
                              stdin=stdin, env={"PATH": "/usr/bin:/bin"})

    def check(ok, what):
        checks.append(what)
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    r = run("--help")
    check(r.returncode == 0 and b"-r, --read FILE" in r.stdout, "--help")
    r = run("--version")
    check(r.returncode == 0 and r.stdout.startswith(b"tcpfsm "), "--version")

    for args, what in ((["--bogus"], "an unknown option"),
                       (["-r"], "a missing value"),
                       ([], "nothing to read"),
                       (["-r", demo, "-F", "xml"], "an unknown format"),
                       (["-r", demo, "--alert", "ESTABLISHED=3s"],
                        "an alert on a state that cannot be stuck"),
                       (["-r", demo, "--max-connections", "0"],
                        "a zero table bound")):
        r = run(*args)
        lines = r.stderr.decode().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and not r.stdout,
              f"usage error, one line, exit 2: {what}")

    r = run("-r", "/nonexistent/x.pcap")
    check(r.returncode == 1 and b"/nonexistent/x.pcap" in r.stderr,
          "unreadable file: exit 1, names the file")
    with tempfile.NamedTemporaryFile(suffix=".pcap") as bad:
        bad.write(b"this is not a capture file at all")
        bad.flush()
        r = run("-r", bad.name)
        check(r.returncode == 1 and bad.name.encode() in r.stderr,
              "not a capture: exit 1, names the file")
        r = run("-r", demo, "port 80 and and")
        check(r.returncode == 1 and b"filter" in r.stderr,
              "bad filter expression: exit 1, says so")

    whole = run("-r", demo, "-F", "json")
    check(whole.returncode == 0, "reads the demo capture")
    with open(demo, "rb") as f:
        piped = run("-r", "-", "-F", "json", stdin=f)
    check(piped.stdout == whole.stdout, "-r - reads standard input alike")
    again = run("-r", demo, "-F", "json")
    check(again.stdout == whole.stdout, "same file, same output")

    # A file is read ahead on a second thread, a pipe is not: the same
    # events either way, over many of the reader's blocks and when the
    # file is cut mid-record.
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "mix.pcap")
        subprocess.run([gen, "-p", "mix", "-n", "30k", "-c", "500", "-o",
                        big, "--quiet"], check=True)

        def through_pipe(path):
            cat = subprocess.Popen(["cat", path], stdout=subprocess.PIPE)
            r = run("-r", "-", "-F", "json", stdin=cat.stdout)
            cat.wait()
            return r

        direct, piped = run("-r", big, "-F", "json"), through_pipe(big)
        check(direct.returncode == 0 and direct.stdout.count(b"\n") > 10000
              and direct.stdout == piped.stdout,
              "a 30k-packet file read ahead gives what a pipe gives")
        cut = os.path.join(tmp, "cut.pcap")
        with open(big, "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(os.path.getsize(big) // 2))
        direct, piped = run("-r", cut, "-F", "json"), through_pipe(cut)
        msg = direct.stderr.decode()
        check(direct.returncode == 1 and piped.returncode == 1 and
              "after record" in msg and cut in msg and
              direct.stderr.replace(cut.encode(), b"-") ==
              piped.stderr.replace(b"standard input", b"-"),
              "a file cut mid-record: exit 1, says after which record")
        check(direct.stdout == piped.stdout and
              direct.stdout.count(b"\n") > 1000,
              "a file cut mid-record: every packet before the cut tracked")

    events = [json.loads(l) for l in whole.stdout.splitlines()]
    check(all("ts" in e and "type" in e for e in events),
          "every JSON line is an object with ts and type")
    ports = {e["server"] for e in events if e["type"] == "transition"}
    filtered = [json.loads(l) for l in
                run("-r", demo, "-F", "json", "tcp", "port", "8080")
                .stdout.splitlines()]
    fports = {e["server"] for e in filtered if e["type"] == "transition"}
    check(len(ports) > 1 and fports and
          all(p.endswith(":8080") for p in fports),
          "trailing words are a pcap filter")

    text = run("-r", demo).stdout.decode()
    check("\033[" not in text and "-> SYN_SENT" in text,
          "text output, no colour when not on a terminal")
    colour = run("-r", demo, "--color", "always").stdout.decode()
    check("\033[" in colour, "--color always colours")
    snap = run("-r", demo, "--snapshot").stdout.decode()
    check("connections open at" in snap and "LISTEN" in snap,
          "--snapshot lists open connections and listeners")
    slow_fifo(tcpfsm, demo, check)
    slow_fifo(tcpfsm, demo, check, "--format", "json")
    print(f"{len(checks)} checks, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
