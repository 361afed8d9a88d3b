#!/usr/bin/env python3
"""install_test.py - libtcpfsm as another program sees it once installed.

Installs the build into a scratch DESTDIR, checks what went there (the
shared library with its soname, the archive, the header, the pkg-config
file), that the shared library exports the tcpfsm_* API and nothing else and
that the installed header includes no header of its own, then builds
examples/transitions.c against the installed copy with
`pkg-config --cflags --libs tcpfsm` (PKG_CONFIG_PATH and
PKG_CONFIG_SYSROOT_DIR point into the scratch tree), once against the shared
library and once against the archive, and runs both on the demo capture.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit("FAIL: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--libdir", required=True)
    ap.add_argument("--includedir", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--soversion", required=True)
    ap.add_argument("--example", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--cc", required=True)
    a = ap.parse_args()

    dest = tempfile.mkdtemp(prefix="tcpfsm-install-")
    try:
        run(["meson", "install", "-C", a.build, "--no-rebuild", "--quiet",
             "--destdir", dest])
        root = dest + a.prefix
        libdir = os.path.join(root, a.libdir)
        incdir = os.path.join(root, a.includedir)

        so = os.path.join(libdir, "libtcpfsm.so." + a.version)
        for path in (so, os.path.join(libdir, "libtcpfsm.so"),
                     os.path.join(libdir, "libtcpfsm.so." + a.soversion),
                     os.path.join(libdir, "libtcpfsm.a"),
                     os.path.join(incdir, "tcpfsm.h"),
                     os.path.join(libdir, "pkgconfig", "tcpfsm.pc")):
            if not os.path.exists(path):
                sys.exit("FAIL: not installed: " + path)
        soname = re.search(r"SONAME.*\[(.*)\]",
                           run(["readelf", "-d", so]))
        if not soname or soname.group(1) != "libtcpfsm.so." + a.soversion:
            sys.exit("FAIL: soname %s" % (soname and soname.group(1)))

        exported = [l.split()[-1] for l in
                    run(["nm", "-D", "--defined-only", so]).splitlines()]
        stray = [s for s in exported if not s.startswith("tcpfsm_")]
        if stray or not exported:
            sys.exit("FAIL: exported beyond the API: %s" % stray)
        header = open(os.path.join(incdir, "tcpfsm.h")).read()
        includes = re.findall(r'#\s*include\s*[<"]([^>"]+)', header)
        if set(includes) - {"stddef.h", "stdint.h"}:
            sys.exit("FAIL: the public header includes %s" % includes)

        env = dict(os.environ,
                   PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"),
                   PKG_CONFIG_SYSROOT_DIR=dest)
        env.pop("PKG_CONFIG_LIBDIR", None)
        flags = run(["pkg-config", "--cflags", "--libs", "tcpfsm"],
                    env=env).split()
        static = run(["pkg-config", "--static", "--cflags", "--libs",
                      "tcpfsm"], env=env).split()
        static = [f if f != "-ltcpfsm" else os.path.join(libdir, "libtcpfsm.a")
                  for f in static]
        out = {}
        for kind, fl in (("shared", flags), ("static", static)):
            exe = os.path.join(dest, "transitions-" + kind)
            run([a.cc, "-Wall", "-Wextra", "-Werror", "-o", exe,
                 a.example] + fl + ["-lpcap"], env=env)
            out[kind] = run([exe, a.pcap],
                            env=dict(os.environ, LD_LIBRARY_PATH=libdir))
            if kind == "shared" and libdir not in run(
                    ["ldd", exe],
                    env=dict(os.environ, LD_LIBRARY_PATH=libdir)):
                sys.exit("FAIL: the example did not load the installed "
                         "shared library")
        if out["shared"] != out["static"]:
            sys.exit("FAIL: shared and static builds differ")
        if " -> " not in out["shared"] or "libtcpfsm " + a.version not in \
                out["shared"]:
            sys.exit("FAIL: unexpected output:\n" + out["shared"])
        print(out["shared"].splitlines()[-1])
    finally:
        shutil.rmtree(dest, ignore_errors=True)


if __name__ == "__main__":
    main()
