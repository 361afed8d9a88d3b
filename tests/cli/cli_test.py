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


def write_pcap(path, head, recs):
    with open(path, "wb") as f:
        f.write(head)
        for r in recs:
            f.write(r)


def shifted(rec, seconds, end="<"):
    """A record with its time stamp moved on by seconds."""
    sec = struct.unpack(end + "I", rec[:4])[0]
    return struct.pack(end + "I", sec + seconds) + rec[4:]


def tcpdump_flags(tcpfsm, demo, run, check):
    """tcpdump's letters mean what they mean in tcpdump."""
    plain = run("-r", demo).stdout
    for args in (["-nnr", demo], ["-lnr", demo], ["-n", "-r", demo],
                 ["-nn", "-r", demo], ["-l", "-r", demo]):
        r = run(*args)
        check(r.returncode == 0 and r.stdout == plain,
              f"{' '.join(args[:-1])} FILE parses as tcpdump's getopt does")
    r = run("-nn", "-r", "/nonexistent/x")
    check(r.returncode == 1 and b"/nonexistent/x" in r.stderr and
          b"unknown option" not in r.stderr, "-nn -r x: x is the file")
    for args, name in ((["-nX", "-r", demo], b"-X"), (["-K", "-r", demo],
                                                        b"-K"),
                       (["-V"], b"-V"), (["--nosuch"], b"--nosuch")):
        r = run(*args)
        check(r.returncode == 2 and
              r.stderr.startswith(b"tcpfsm: unknown option: " + name +
                                  b" "),
              f"an unknown option is named: {name.decode()}")
    r = run("-r", demo, "-c")
    check(r.returncode == 2 and b"needs a value: -c" in r.stderr,
          "a missing value names the option")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.pcap")
        r = run("-w", out, "-r", demo)
        check(r.returncode == 0 and os.path.getsize(out) > 24 and
              b"ALERT" in r.stdout,
              "-w FILE: the alerted connections' packets, events as usual")
        with open(demo, "rb") as f:
            r = run("-w", out, "-r", "-", stdin=f)
        whole = open(out, "rb").read()
        with open(demo, "rb") as f:
            r = run("-w", out, "-r", "-", stdin=f)
        check(r.returncode == 0 and open(out, "rb").read() == whole,
              "-w from a pipe: the same packets, from the ring")
        # A SYN, a megabyte of other segments (lone RSTs, padded), the
        # SYN again when it alerts: a 64K ring has forgotten the first.
        head = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
        syn = syn_packet(b"\x0a\x01\0\x01", b"\x0a\x02\0\x01", 40000,
                         80, 1)
        recs = [struct.pack("<IIII", 1700000000, 0, len(syn), len(syn)) +
                syn]
        for i in range(1000):
            rst = syn_packet(b"\x0a\x03\0\x01", b"\x0a\x02\0\x01",
                             1024 + i, 80, 5, flags=0x04) + bytes(1000)
            recs.append(struct.pack("<IIII", 1700000000 + i // 400,
                                    100000 + i % 400 * 2000, len(rst),
                                    len(rst)) + rst)
        recs.append(struct.pack("<IIII", 1700000003, 500000, len(syn),
                                len(syn)) + syn)
        big = os.path.join(tmp, "big.pcap")
        write_pcap(big, head, recs)

        def written(*args):
            with open(big, "rb") as f:
                r = run("-w", out, "-r", "-", "-q", *args, stdin=f)
            data = open(out, "rb").read()
            return r.returncode, len(records(out)[1]) if data else -1
        check(written() == (0, 2) and written("--ring-size", "64K") ==
              (0, 1), "-w from a pipe: the ring is bounded (--ring-size)")
        for bad in ("1K", "16X", "-5", ""):
            r = run("-w", out, "-r", demo, "--ring-size", bad)
            check(r.returncode == 2 and b"--ring-size" in r.stderr,
                  f"usage error: --ring-size {bad!r}")
    r = run("-i", "9999")
    check(r.returncode == 2 and b"no interface number 9999" in r.stderr,
          "-i N: a number beyond -D's list is refused")
    r = run("-i", "nosuchif0")
    check(r.returncode == 1 and b"nosuchif0" in r.stderr,
          "-i NAME: an unknown interface is named")

    # -c N: exactly N packets, from a file (read ahead) or a pipe.
    for n in (1, 30, 85):
        js = run("-r", demo, "-c", str(n), "--format", "json").stdout
        stats = json.loads(js.splitlines()[-1])
        with open(demo, "rb") as f:
            piped = run("-r", "-", "-c", str(n), "--format", "json",
                        stdin=f).stdout
        check(stats["packets"] == n and piped == js,
              f"-c {n}: stops after {n} packets ({stats['packets']})")
    check(run("-r", demo, "-c", "0").returncode == 2 and
          run("-r", demo, "-c", "x").returncode == 2,
          "-c takes a packet count from 1")

    check(run("-r", demo, "-s", "0").returncode == 0 and
          run("-r", demo, "-s", "128").returncode == 0 and
          run("-r", demo, "-s", "10").returncode == 2,
          "-s SNAPLEN: 0 or 64 to 262144")

    r = run("-D")
    lines = r.stdout.decode().splitlines()
    check(r.returncode == 0 and lines and
          all(l.startswith(f"{i + 1}.") for i, l in enumerate(lines)),
          "-D lists interfaces, numbered")
    td = subprocess.run(["tcpdump", "-D"], capture_output=True) \
        if os.path.exists("/usr/bin/tcpdump") else None
    if td and td.returncode == 0:
        check(td.stdout == r.stdout, "-D prints what tcpdump -D prints")

    # -t family: the first transition line's stamp.
    def first(*args):
        out = run("-r", demo, *args).stdout.decode().splitlines()
        return out[0], out[1]
    import re
    for args, pattern, what in (
            ([], r"^\d\d:\d\d:\d\d\.\d{6} #1 ", "time of day"),
            (["-t"], r"^#1 ", "-t: no time stamp"),
            (["-tt"], r"^\d{10}\.\d{6} #1 ", "-tt: epoch seconds"),
            (["-ttt"], r"^00:00:00\.000000 #1 ", "-ttt: delta"),
            (["-tttt"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} #1 ",
             "-tttt: date and time"),
            (["-ttttt"], r"^00:00:00\.000000 #1 ",
             "-ttttt: since the first")):
        line, second = first(*args)
        check(re.match(pattern, line) is not None, f"{what}: {line[:30]}")
    _, second = first("-ttt")
    check(second.startswith("00:00:00.000030 "),
          f"-ttt: the second line's delta ({second[:16]})")
    check(run("-r", demo, "-tttttt").returncode == 2, "-tttttt refused")

    v = run("-r", demo, "-v").stdout.decode()
    check(" pkts " in v and "# clients now:" in v and
          "# servers now:" in v, "-v: packets per side and endpoints")
    q = run("-r", demo, "-q").stdout.decode()
    check("ALERT" in q and "->" not in q.replace("-> record", "") and
          " end " not in q and q.rstrip().splitlines()[-1].startswith("#"),
          "-q: alerts and stats only")

    with tempfile.TemporaryDirectory() as tmp:
        ff = os.path.join(tmp, "filter")
        with open(ff, "w") as f:
            f.write("# the stuck one\ntcp port 8080  # and nothing else\n")
        r = run("-r", demo, "-F", ff)
        check(r.returncode == 0 and
              r.stdout == run("-r", demo, "tcp", "port", "8080").stdout and
              b":8080" in r.stdout, "-F FILE: the filter from a file")
        check(run("-r", demo, "-F", ff, "port", "80").returncode == 2,
              "-F FILE and an expression exclude each other")
        cfg = os.path.join(tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("outputs:\n  - type: stdout\n    format: json\n")
        g = run("-g", cfg, "-r", demo)
        check(g.returncode == 0 and g.stdout.startswith(b'{"ts":') and
              g.stdout == run("--config", cfg, "-r", demo).stdout,
              "-g FILE and --config FILE read the configuration")
        old = run("-c", cfg, "-r", demo)
        check(old.returncode == 0 and old.stdout == g.stdout and
              b"-c takes a packet count" in old.stderr,
              "-c FILE, the old spelling, still reads it, with a word")
    old = run("-r", demo, "-F", "json")
    check(old.returncode == 0 and old.stdout ==
          run("-r", demo, "--format", "json").stdout and
          b"--format json" in old.stderr,
          "-F json, the old spelling, still works, with a word")

    helptext = run("--help").stdout.decode()
    missing = [f for f in ("-r,", "-i,", "-c COUNT", "-s,", "-F FILE",
                           "-D,", "-l ", "-n, -nn", "-t ", "-tt ",
                           "-ttt ", "-tttt ", "-ttttt", "-v ", "-q ",
                           "-g, --config", "--format", "--check-config",
                           "--daemon", "--foreground", "--snapshot ",
                           "--color", "--max-connections", "--alert",
                           "--checksums",
                           "-h, --help", "--version")
               if f not in helptext]
    check(not missing, f"--help lists every flag {missing or ''}")


def dates(tcpfsm, demo, run, check):
    """A capture that spans days: the date appears once it matters."""
    head, recs = records(demo)
    with tempfile.TemporaryDirectory() as tmp:
        long = os.path.join(tmp, "days.pcap")
        half = len(recs) // 2
        write_pcap(long, head, recs[:half] +
                   [shifted(r, 2 * 86400) for r in recs[half:]])
        lines = run("-r", long).stdout.decode().splitlines()
        import re
        dated = [bool(re.match(r"\d{4}-\d\d-\d\d \d\d:", l))
                 for l in lines if not l.startswith("#")]
        check(dated and not dated[0] and dated[-1] and
              dated == sorted(dated),
              "more than a day: lines carry the date from then on")
        short = run("-r", demo).stdout.decode().splitlines()
        check(not any(re.match(r"\d{4}-", l) for l in short),
              "within a day: the time of day only")
        always = run("-r", demo, "-tttt").stdout.decode().splitlines()
        check(all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} ",
                           l) for l in always if not l.startswith("#")),
              "-tttt: the date on every line")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def syn_packet(src, dst, sport, dport, seq, flags=0x02, ack=0):
    """An Ethernet frame with a TCP SYN (or flags), checksums right."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6,
                     0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


def stuck_capture(path, n):
    """n clients each sending a SYN, within half a second, to a server of
    its own that never answers, and sending it again 1 s and 2 s later (as
    a stuck host does): n SYN_SENT alerts three seconds on, none folded
    into another's (folding groups by server), far beyond the default rate
    limit (100 a second). A packet 10 s on lets them fire."""
    head = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    t0 = 1700000000
    recs = []
    for again in range(3):
        for i in range(n):
            pkt = syn_packet(bytes([10, 1, i >> 8, i & 255]),
                             bytes([10, 2, i >> 8, i & 255]), 40000, 80, i)
            us = i * 500000 // n
            recs.append(struct.pack("<IIII", t0 + again, us, len(pkt),
                                    len(pkt)) + pkt)
    last = syn_packet(bytes([10, 3, 0, 1]), bytes([10, 4, 0, 1]), 40000, 80,
                      7)
    recs.append(struct.pack("<IIII", t0 + 10, 0, len(last), len(last)) +
                last)
    write_pcap(path, head, recs)


def checksums(tcpfsm, run, check):
    """--checksums: verify by default, ignore on request, nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "bad.pcap")
        head = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
        good = syn_packet(b"\x0a\x01\0\x01", b"\x0a\x02\0\x01", 40000, 80,
                          1)
        bad = good[:-3] + bytes([good[-3] ^ 0xff]) + good[-2:]
        write_pcap(cap, head, [struct.pack("<IIII", 1700000000, i, len(p),
                                           len(p)) + p
                               for i, p in enumerate((good, bad))])

        def stats(*args):
            r = run("-r", cap, "--format", "json", *args)
            return json.loads(r.stdout.splitlines()[-1])
        check(stats()["bad_checksums"] == 1,
              "--checksums verify by default: the damaged SYN counted")
        check(stats("--checksums", "ignore")["bad_checksums"] == 0,
              "--checksums ignore: nothing verified")
        check(b"bad checksums (taken as lost; if the capture spoiled them, "
              b"not the wire: --checksums ignore)" in run("-r", cap).stdout,
              "the summary names --checksums ignore beside bad checksums")
        r = run("-r", cap, "--checksums", "maybe")
        check(r.returncode == 2 and b"--checksums takes verify or ignore"
              in r.stderr, "--checksums maybe: a usage error")


def refusal_first(tcpfsm, run, check):
    """A capture that shows a server's refusal before the SYN it answers
    (two taps merged): the client is refused, and the summary says so."""
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "early-rst.pcap")
        head = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
        a, b = b"\x0a\x01\0\x01", b"\x0a\x02\0\x01"
        rst = syn_packet(b, a, 9, 40000, 0, flags=0x14, ack=1001)
        syn = syn_packet(a, b, 40000, 9, 1000)
        write_pcap(cap, head, [struct.pack("<IIII", 1700000000, 10 + i,
                                           len(p), len(p)) + p
                               for i, p in enumerate((rst, syn))])
        text = run("-r", cap).stdout.decode()
        check("SYN_SENT     -> CLOSED" in text and
              "1 refused, 0 unanswered" in text and
              "1 reordered by the capture" in text,
              "a RST seen before its SYN refuses it")


def never_silent(tcpfsm, run, check):
    """Lone RSTs and link types tcpfsm does not decode are counted and
    reported, never dropped without a word."""
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "rst.pcap")
        head = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
        rsts = [syn_packet(b"\x0a\x01\0\x01", b"\x0a\x02\0\x01", 40000 + i,
                           80, 7, flags=0x04) for i in range(3)]
        write_pcap(cap, head, [struct.pack("<IIII", 1700000000, i, len(p),
                                           len(p)) + p
                               for i, p in enumerate(rsts)])
        r = run("-r", cap, "--format", "json")
        st = json.loads(r.stdout.splitlines()[-1])
        check(r.returncode == 0 and st["lone_rsts"] == 3 and
              st["connections"] == 0,
              "lone RSTs: counted in stats.lone_rsts, no connection made")
        r = run("-r", cap)
        check(b"3 RSTs of no tracked connection" in r.stdout,
              "lone RSTs: the text's counters say how many")
        odd = os.path.join(tmp, "user0.pcap")
        head = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 147)
        write_pcap(odd, head, [struct.pack("<IIII", 1700000000, 0, 40, 40) +
                               bytes(40)])
        r = run("-r", odd)
        said = (r.stdout + r.stderr).decode()
        check("linktype" in said or "link type" in said,
              "an unknown link type: counted or refused, with a word")


def completion(check):
    """The bash completion completes the options and their values. Run
    with stand-ins for bash-completion's helpers, which the test machine
    need not have."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                          "..", "completion", "tcpfsm.bash")
    stubs = (
        "_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; "
        "prev=${COMP_WORDS[COMP_CWORD-1]}; words=(\"${COMP_WORDS[@]}\"); "
        "cword=$COMP_CWORD; }\n"
        "_filedir() { COMPREPLY=(FILES); }\n"
        "_available_interfaces() { COMPREPLY=(IFACES); }\n"
        "compopt() { :; }\n")

    def complete(*words):
        body = (stubs + f"source {script}\n"
                f"COMP_WORDS=(tcpfsm {' '.join(words)}); "
                f"COMP_CWORD={len(words)}; _tcpfsm; "
                "printf '%s\\n' \"${COMPREPLY[@]}\"")
        r = subprocess.run(["bash", "-c", body], capture_output=True,
                           text=True)
        return r.stdout.split()

    check(complete("--form") == ["--format"], "completion: --form -> --format")
    check(complete("--format", "j") == ["json"],
          "completion: --format's values")
    check(complete("-r", "") == ["FILES"] and
          complete("-i", "") == ["IFACES"],
          "completion: -r takes a file, -i an interface")
    check(complete("--only", "alerts,tr") == ["alerts,transitions"],
          "completion: --only, after a comma")
    check("SYN_SENT" in complete("--state", "SYN"),
          "completion: --state's names")


def offline_alerts(tcpfsm, run, check):
    """Reading a file loses no alert to the rate limit."""
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "stuck.pcap")
        stuck_capture(cap, 1000)
        r = run("-r", cap, "--format", "json")
        events = [json.loads(l) for l in r.stdout.splitlines()]
        alerts = [e for e in events if e["type"] == "alert"]
        stats = events[-1] if events else {}
        check(r.returncode == 0 and len(alerts) == 1000 and
              stats.get("alerts_suppressed") == 0,
              f"offline: 1000 stuck clients, 1000 alerts, none suppressed "
              f"({len(alerts)}, {stats.get('alerts_suppressed')} "
              f"suppressed)")
        with open(cap, "rb") as f:
            piped = run("-r", "-", "--format", "json", stdin=f)
        check(piped.stdout == r.stdout, "offline through a pipe: the same")
        cfg = os.path.join(tmp, "rate.yaml")
        with open(cfg, "w") as f:
            f.write("alerts:\n  rate_limit: 10\n")
        r = run("-g", cfg, "-r", cap, "--format", "json")
        n = sum(1 for l in r.stdout.splitlines()
                if json.loads(l)["type"] == "alert")
        check(r.returncode != 0 or n == 1000,
              f"offline: a configured rate limit drops nothing ({n})")


def filters(tcpfsm, run, check):
    """--only, --state, --host, --conn N: what is printed, without YAML or
    grep; the JSON form shows what each line is."""
    cap = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "..", "pcaps", "kernel", "many_fates",
        "capture.pcap")

    def events(*args):
        r = run("-r", cap, "--format", "json", *args)
        return r.returncode, [json.loads(l) for l in r.stdout.splitlines()]

    rc, every = events()
    rc2, alerts = events("--only", "alerts")
    check(rc == rc2 == 0 and alerts and
          {e["type"] for e in alerts} == {"alert"} and
          len(alerts) == sum(e["type"] == "alert" for e in every),
          "--only alerts: every alert and nothing else")
    _, some = events("--only", "transitions,conns")
    check(some and {e["type"] for e in some} == {"transition", "conn"},
          "--only transitions,conns")
    _, syn = events("--state", "SYN_RECEIVED")
    check(syn and all(
        "SYN_RECEIVED" in (e.get("from"), e.get("to"), e.get("state"),
                           e.get("client_state"), e.get("server_state"))
        for e in syn if e["type"] != "stats") and
        len(syn) < len(every), "--state SYN_RECEIVED: events involving it")
    _, host = events("--host", "10.77.2.2:82")
    want = [e for e in every if e["type"] != "stats" and
            "10.77.2.2:82" in (e.get("client"), e.get("server"))]
    check(want and [e for e in host if e["type"] != "stats"] == want,
          "--host ADDR:PORT: that endpoint's connections, all of them")
    _, host = events("--host", "10.77.1.2")
    check(len([e for e in host if e["type"] != "stats"]) ==
          len([e for e in every if e["type"] != "stats" and
               e.get("client", "").startswith("10.77.1.2:")]),
          "--host ADDR: either endpoint, any port")
    _, one = events("--conn", "3")
    check(one and all(e["conn"] == 3 for e in one if e["type"] != "stats"),
          "--conn N in JSON: that connection's events")
    for bad in (["--only", "packets"], ["--state", "OPEN"],
                ["--host", "10.1"], ["--conn", "x:y"]):
        r = run("-r", cap, *bad)
        check(r.returncode == 2 and len(r.stderr.splitlines()) == 1,
              f"usage error, one line, exit 2: {' '.join(bad)}")
    text = run("-r", cap, "--host", "10.77.2.2:82").stdout.decode()
    check("# summary: 3 connections" in text,
          "the summary sums up the connections shown")


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
                       (["-r", demo, "--format", "xml"], "an unknown format"),
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

    whole = run("-r", demo, "--format", "json")
    check(whole.returncode == 0, "reads the demo capture")
    events = [json.loads(line) for line in whole.stdout.splitlines()]
    ones = sum(1 for e in events if e["type"] == "conn" and e["one_sided"])
    check(ones == 1 and events[-1]["type"] == "stats" and
          events[-1]["one_sided"] == ones and events[-1]["active"] == 3,
          "the final stats count the connections the capture's end found "
          "one-sided, and still show them as tracked")
    with open(demo, "rb") as f:
        piped = run("-r", "-", "--format", "json", stdin=f)
    check(piped.stdout == whole.stdout, "-r - reads standard input alike")
    again = run("-r", demo, "--format", "json")
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
            r = run("-r", "-", "--format", "json", stdin=cat.stdout)
            cat.wait()
            return r

        direct, piped = run("-r", big, "--format", "json"), through_pipe(big)
        check(direct.returncode == 0 and direct.stdout.count(b"\n") > 10000
              and direct.stdout == piped.stdout,
              "a 30k-packet file read ahead gives what a pipe gives")
        cut = os.path.join(tmp, "cut.pcap")
        with open(big, "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(os.path.getsize(big) // 2))
        direct, piped = run("-r", cut, "--format", "json"), through_pipe(cut)
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
                run("-r", demo, "--format", "json", "tcp", "port", "8080")
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
    tcpdump_flags(tcpfsm, demo, run, check)
    filters(tcpfsm, run, check)
    offline_alerts(tcpfsm, run, check)
    never_silent(tcpfsm, run, check)
    refusal_first(tcpfsm, run, check)
    completion(check)
    checksums(tcpfsm, run, check)
    dates(tcpfsm, demo, run, check)
    slow_fifo(tcpfsm, demo, check)
    slow_fifo(tcpfsm, demo, check, "--format", "json")
    print(f"{len(checks)} checks, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
