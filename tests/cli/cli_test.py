#!/usr/bin/env python3
"""The command line as a user meets it: exit statuses and their messages,
--help and --version, standard input, filter expressions, output formats.
"""
import json
import os
import subprocess
import sys
import tempfile


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
    print(f"{len(checks)} checks, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
