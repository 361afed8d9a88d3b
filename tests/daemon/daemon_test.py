#!/usr/bin/env python3
"""The daemon on a live interface: pidfile, privilege drop, a snapshot on
SIGUSR1, log rotation on SIGHUP without losing an event, everything flushed on SIGTERM, records to
syslog with the configured facility, the Prometheus textfile, and refusing
to run as root when no user is set.

Needs root (network namespaces, dropping to 'nobody'); exits 77 without.
"""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from netns_pair import PY, NetnsPair, in_ns, sh  # noqa: E402

PAIR = NetnsPair("tfd", "10.89.0")
NS_C, NS_S = PAIR.client_ns, PAIR.server_ns
C, S = PAIR.client_ip, PAIR.server_ip

setup, teardown = PAIR.setup, PAIR.teardown


SERVER = r"""
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", 80)); s.listen(64); s.settimeout(20)
try:
    while True:
        c, _ = s.accept(); c.recv(10); c.sendall(b"ok"); c.close()
except OSError:
    pass
""" % S

CLIENT = r"""
import socket, sys, time
for i in range(int(sys.argv[1])):
    c = socket.create_connection(("%s", 80), timeout=5)
    c.sendall(b"hi"); c.recv(10); c.close(); time.sleep(0.05)
""" % S


def connections(path):
    """Connections whose client was seen sending its SYN, by client address."""
    seen = set()
    if not os.path.exists(path):
        return seen, []
    lines = open(path).read().splitlines()
    events = [json.loads(line) for line in lines]
    for e in events:
        if e["type"] == "transition" and e["to"] == "SYN_SENT":
            seen.add(e["client"])
    return seen, events


def wait_for(cond, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def refusals(tcpfsm, tmp, check):
    """Whatever can be checked is checked before detaching: a message on
    stderr, a non-zero exit, and no daemon left behind. The loopback
    interface is enough: none of these gets as far as capturing."""
    pidfile = os.path.join(tmp, "refused.pid")
    locked = os.path.join(tmp, "locked")
    os.mkdir(locked, 0o755)  # root's: 'nobody' cannot create files in it
    cases = (
        ("no daemon.user, as root", "capture:\n  interface: lo\n",
         "refusing to run as root"),
        ("an unknown daemon.user",
         "capture:\n  interface: lo\ndaemon:\n  user: nosuchuser0\n",
         "unknown user 'nosuchuser0'"),
        ("a pidfile in a missing directory",
         "capture:\n  interface: lo\ndaemon:\n  user: nobody\n"
         "  pidfile: /nonexistent-dir/tcpfsm.pid\n", "/nonexistent-dir"),
        ("an output file the daemon user cannot write",
         f"capture:\n  interface: lo\ndaemon:\n  user: nobody\n"
         f"outputs:\n  - type: file\n    path: {locked}/events.json\n",
         f"{locked}/events.json: Permission denied"),
        ("a metrics textfile in a directory it cannot write",
         f"capture:\n  interface: lo\ndaemon:\n  user: nobody\n"
         f"metrics:\n  textfile: {locked}/tcpfsm.prom\n",
         f"{locked}/tcpfsm.prom"),
        ("an interface that does not exist",
         "capture:\n  interface: nosuchif0\ndaemon:\n  user: nobody\n",
         "nosuchif0"),
        ("a filter that does not compile",
         "capture:\n  interface: lo\n  filter: \"tcp port\"\n"
         "daemon:\n  user: nobody\n", "tcp port"),
    )
    for what, text, says in cases:
        cfg = os.path.join(tmp, "refused.yaml")
        with open(cfg, "w") as f:
            f.write(text.replace("daemon:\n", f"daemon:\n  pidfile: "
                                 f"{pidfile}\n", 1)
                    if "pidfile" not in text else text)
        rc = subprocess.run([tcpfsm, "-c", cfg, "--daemon"],
                            capture_output=True, text=True, timeout=10)
        time.sleep(0.2)
        left = os.path.exists(pidfile)
        if left:  # a daemon got away: stop it
            try:
                os.kill(int(open(pidfile).read()), signal.SIGTERM)
            except (ValueError, OSError):
                pass
            os.unlink(pidfile)
        check(rc.returncode != 0 and says in rc.stderr and not left,
              f"--daemon refuses before detaching: {what} (exit "
              f"{rc.returncode}: {rc.stderr.strip()})")
    check(os.listdir(locked) == [], "the output checks leave no file behind")

    # --check-config asks libpcap too, and points at the key.
    for what, text, says in (
            ("a filter that does not compile",
             "capture:\n  interface: lo\n  filter: \"tcp port\"\n",
             ":3:3: capture.filter 'tcp port'"),
            ("an interface that does not exist",
             "capture:\n  interface: nosuchif0\n",
             ":2:3: capture.interface: no such interface 'nosuchif0'")):
        cfg = os.path.join(tmp, "check.yaml")
        with open(cfg, "w") as f:
            f.write(text)
        rc = subprocess.run([tcpfsm, "-c", cfg, "--check-config"],
                            capture_output=True, text=True, timeout=10)
        check(rc.returncode == 2 and (cfg + says) in rc.stderr and
              not rc.stdout, f"--check-config: {what}, FILE:LINE:COLUMN "
              f"(exit {rc.returncode}: {rc.stderr.strip()})")


def main():
    tcpfsm = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("needs root and iproute2: skipped")
        return 77
    nobody = pwd.getpwnam("nobody")
    tmp = tempfile.mkdtemp(prefix="tcpfsm-daemon-")
    os.chmod(tmp, 0o777)  # the dropped user writes its logs here
    failures, checks = [], []
    syslog_sock = None

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        checks.append(what)
        if not ok:
            failures.append(what)

    try:
        refusals(tcpfsm, tmp, check)
        setup()
        log = os.path.join(tmp, "events.json")
        pidfile = os.path.join(tmp, "tcpfsm.pid")
        prom = os.path.join(tmp, "tcpfsm.prom")
        cfg = os.path.join(tmp, "tcpfsm.yaml")
        # Syslog: with no syslog daemon on the machine, the test plays one
        # on /dev/log; with one, that part is skipped (not ours to read).
        syslog_sock = None
        if not os.path.exists("/dev/log"):
            syslog_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            syslog_sock.bind("/dev/log")
            os.chmod("/dev/log", 0o666)
            syslog_sock.settimeout(0.2)
        with open(cfg, "w") as f:
            f.write(f"""capture:
  interface: tfds
  filter: tcp
outputs:
  - type: file
    path: {log}
    format: json
  - type: file
    path: {tmp}/conn.log
    format: zeek
  - type: syslog
    facility: local3
    format: json
    events: [conn]
daemon:
  pidfile: {pidfile}
  user: nobody
metrics:
  textfile: {prom}
  interval: 1s
stats:
  interval: 1s
""")
        # In the namespace that has the interface: it is checked too.
        check(sh(*in_ns(NS_S, tcpfsm, "-c", cfg, "--check-config"),
                 check=False).returncode == 0,
              "--check-config accepts the file")
        srv = subprocess.Popen(in_ns(NS_S, PY, "-c", SERVER))
        rc = subprocess.run(in_ns(NS_S, tcpfsm, "-c", cfg, "--daemon"),
                            capture_output=True, text=True, timeout=10)
        check(rc.returncode == 0, f"--daemon detaches (exit {rc.returncode}"
              f"{': ' + rc.stderr.strip() if rc.stderr else ''})")
        check(wait_for(lambda: os.path.exists(pidfile)), "pidfile written")
        pid = int(open(pidfile).read())

        def uid_line():
            status = open(f"/proc/{pid}/status").read()
            return [l for l in status.splitlines() if l.startswith("Uid:")][0]

        # The pidfile is written as root, just before root is given up.
        check(wait_for(lambda: uid_line().split()[1:] ==
                       [str(nobody.pw_uid)] * 4, timeout=5),
              f"runs as nobody after start ({uid_line().strip()})")

        time.sleep(0.5)
        sh(*in_ns(NS_C, PY, "-c", CLIENT, "5"))
        check(wait_for(lambda: os.path.exists(prom)),
              "Prometheus textfile written")
        # SIGUSR1: a snapshot of what is open (the five in TIME_WAIT).
        os.kill(pid, signal.SIGUSR1)

        def snapshot_rows():
            _, ev = connections(log)
            return [e for e in ev if e["type"] == "snapshot"]
        check(wait_for(lambda: len(snapshot_rows()) == 5),
              f"SIGUSR1 writes a snapshot ({len(snapshot_rows())} rows)")
        # logrotate: move the file away, then SIGHUP.
        time.sleep(1.2)  # a stats tick flushes the first five
        os.rename(log, log + ".1")
        conn_log = os.path.join(tmp, "conn.log")
        os.rename(conn_log, conn_log + ".1")
        os.kill(pid, signal.SIGHUP)
        check(wait_for(lambda: os.path.exists(log)),
              "SIGHUP reopens the log under its name")
        sh(*in_ns(NS_C, PY, "-c", CLIENT, "5"))
        os.kill(pid, signal.SIGTERM)
        check(wait_for(lambda: not os.path.exists(f"/proc/{pid}")),
              "SIGTERM stops it")

        before, ev1 = connections(log + ".1")
        after, ev2 = connections(log)
        check(len(before) == 5, f"5 connections before the rotation "
              f"({len(before)})")
        check(len(after) == 5 and not (before & after),
              f"5 other connections after it ({len(after)})")
        check(bool(ev2) and ev2[-1]["type"] == "stats",
              "final stats flushed on SIGTERM")
        ends = [e for e in ev1 + ev2 if e["type"] == "conn"]
        check(len(ends) == 10, f"a conn record for each ({len(ends)})")
        old_log = open(conn_log + ".1").read().splitlines()
        new_log = open(conn_log).read().splitlines() \
            if os.path.exists(conn_log) else []
        rows = [l for l in old_log + new_log if not l.startswith("#")]
        check(old_log[:1] == new_log[:1] == ["#separator \\x09"] and
              new_log[-1].startswith("#close") and len(rows) == 10,
              f"conn.log: a header in each file after rotation, "
              f"{len(rows)} rows, #close at the end")
        text = open(prom).read() if os.path.exists(prom) else ""
        check("tcpfsm_packets_total" in text and
              'tcpfsm_endpoints{side="client",state="TIME_WAIT"}' in text,
              "metrics carry packets and endpoints by state")

        if syslog_sock:
            msgs = []
            try:
                while True:
                    msgs.append(syslog_sock.recv(65536).decode())
            except socket.timeout:
                pass
            # <PRI>: facility local3 (19) * 8 + info (6) = 158.
            conns = [m for m in msgs if m.startswith("<158>") and
                     "tcpfsm[" in m and '"type":"conn"' in m]
            check(len(conns) == 10, f"conn records to syslog, facility "
                  f"local3 ({len(conns)} of {len(msgs)} messages)")
        else:
            print("skip syslog: /dev/log belongs to a syslog daemon here")

        # No user configured: a daemon refuses to stay root.
        cfg2 = os.path.join(tmp, "root.yaml")
        with open(cfg2, "w") as f:
            f.write("capture:\n  interface: tfds\n")
        rc = subprocess.run(in_ns(NS_S, tcpfsm, "-c", cfg2, "--daemon",
                                  "--foreground"),
                            capture_output=True, text=True, timeout=10)
        check(rc.returncode == 1 and "refusing to run as root" in rc.stderr,
              "refuses to run as root without daemon.user")
        srv.kill()
    finally:
        teardown()
        shutil.rmtree(tmp, ignore_errors=True)
        if syslog_sock:
            syslog_sock.close()
            os.unlink("/dev/log")
    print(f"{len(checks)} checks, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
