#!/usr/bin/env python3
"""tcpfsm's threads under ThreadSanitizer.

Reading a capture file, tcpfsm runs two threads: the tracker, and the
reader that hands it batches of decoded packets. A build instrumented for
data races reads the bundled demo capture and two generated ones (many
connections open at once); each run must end cleanly, with no report, and
write the same JSON as the plain build.

usage: threads_test.py TCPFSM TCPFSM_TSAN GEN DEMO_PCAP
"""
import os
import platform
import subprocess
import sys
import tempfile

TSAN_OPTIONS = "halt_on_error=1 exitcode=66"


def main():
    plain, tsan, gen, demo = map(os.path.abspath, sys.argv[1:5])
    env = dict(os.environ, TSAN_OPTIONS=TSAN_OPTIONS)
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    # ThreadSanitizer needs its fixed address layout; where the kernel
    # randomises mappings over more bits than it expects, it cannot start.
    # Without randomisation it can.
    prefix = []
    for attempt in ([], ["setarch", platform.machine(), "-R"]):
        r = subprocess.run(attempt + [tsan, "--version"], env=env,
                           capture_output=True, text=True)
        if r.returncode == 0:
            prefix = attempt
            break
    else:
        print("ThreadSanitizer cannot start here: skipped\n" + r.stderr)
        return 77
    if prefix:
        print("running without address randomisation (setarch -R)")

    with tempfile.TemporaryDirectory() as tmp:
        captures = [("demo", demo)]
        for name, args in (("mix", ["-p", "mix", "-n", "200k", "-c", "5k"]),
                           ("concurrent", ["-p", "concurrent", "-n", "400k",
                                           "-c", "40k"])):
            path = os.path.join(tmp, name + ".pcap")
            subprocess.run([gen, *args, "-o", path, "--quiet"], check=True)
            captures.append((name, path))

        for name, path in captures:
            want = subprocess.run([plain, "-r", path, "--format", "json"],
                                  capture_output=True, check=True).stdout
            r = subprocess.run(prefix + [tsan, "-r", path, "--format",
                                         "json"], env=env, capture_output=True)
            err = r.stderr.decode(errors="replace")
            check(r.returncode == 0 and "ThreadSanitizer" not in err,
                  f"{name}: no data race (exit {r.returncode})")
            if "ThreadSanitizer" in err:
                print(err[:4000])
            check(r.stdout == want and len(want) > 0,
                  f"{name}: the same {len(want)} bytes of JSON as the plain "
                  "build")

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
