#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run every command shown in the admin docs, so the docs cannot rot.

Every ``.. code-block:: console`` in Documentation/admin-guide/binding.rst
and install.rst is preceded by a reST comment that says how it is tested:

  .. svfctl-test: fake     svfctl commands run, in order, against the fake
                           sysfs of svfctl_fake_test.py (plus one SF mdev
                           parent); the output shown must match exactly
                           (the fake root is printed as /sys)
  .. svfctl-test: vm       run as shown on the test VM's real sysfs (edu
                           functions at 0000:00:10.0/11.0); exit 0 wanted
  .. svfctl-test: install  make / scripts/install-dkms.sh / dkms commands,
                           run in their no-change form (make -n,
                           --dry-run, dkms status) and checked

Lines starting with "# " (root) or "$ " are commands, the rest output; a
last output line "[exit N]" says the command must fail with status N.
A console block without a marker, or a command no rule covers, fails.

  svfctl_docs_test.py            fake + install blocks (TAP)
  svfctl_docs_test.py --vm       vm blocks (in the guest; TAP)
  svfctl_docs_test.py --print F  print fake output for doc file F
"""

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesys  # noqa: E402
import svfctl_fake_test  # noqa: E402

TOP = fakesys.TOP
DOCS = [os.path.join(TOP, "Documentation", "admin-guide", f)
        for f in ("binding.rst", "install.rst")]
MARK = re.compile(r"^\.\. svfctl-test:\s*(\S+)\s*$")
BLOCK = re.compile(r"^\.\. code-block::\s*console\s*$")


def parse(path):
    """[(line, scenario, [(cmd, [output lines])])] of a reST file."""
    with open(path) as f:
        lines = f.read().splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        if not BLOCK.match(lines[i]):
            i += 1
            continue
        start = i + 1
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        m = MARK.match(lines[j]) if j >= 0 else None
        scen = m.group(1) if m else None
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        body = []
        while i < len(lines) and (not lines[i].strip() or
                                  lines[i].startswith("   ")):
            body.append(lines[i][3:])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        cmds = []
        for b in body:
            if b.startswith("# ") or b.startswith("$ "):
                cmds.append((b[2:].strip(), []))
            elif cmds:
                cmds[-1][1].append(b.rstrip())
        blocks.append((start, scen, cmds))
    return blocks


def doc_tree():
    t = svfctl_fake_test.build(mdev=False)
    t.add_mdev_parent(svfctl_fake_test.MGR, {
        "snapvf_sf.blk-1q": ("virtio-blk 1 queue",
                             "virtio-blk function on the SF's disk: 1 request queue of 256", 4,
                             "vfio-pci"),
        "snapvf_sf.blk-4q": ("virtio-blk 4 queues",
                             "virtio-blk function on the SF's disk: 4 request queues of 256", 1,
                             "vfio-pci"),
    }, sf="snapvf_sim.sf.0")
    return t


def run_fake(tree, cmd):
    argv = shlex.split(cmd)
    if argv[0] != "svfctl":
        return None, "not an svfctl command"
    rc, out, err = tree.run(*argv[1:])
    out = out.replace(tree.sys, "/sys")
    return rc, (out + err.replace(tree.sys, "/sys")).rstrip("\n")


def check_install(cmd):
    """Run an install command in its no-change form; return an error."""
    argv = shlex.split(cmd)
    if argv and argv[0] == "sudo":
        argv = argv[1:]
    env = dict(os.environ)
    if argv[0] == "make":
        r = subprocess.run(["make", "-n", "-C", TOP] + argv[1:],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, check=False, env=env)
        if r.returncode != 0:
            return "make -n exit %d: %s" % (r.returncode, r.stdout[-300:])
        goal = [a for a in argv[1:] if "=" not in a] or ["all"]
        need = {"install": ["modules_install", "INSTALL_MOD_DIR=updates",
                            "depmod"],
                "uninstall": ["depmod"],
                "headers_install": ["include/uapi/snapvf/mig_stream.h",
                                    "/include/snapvf/"],
                "headers_uninstall": ["rm -f", "/include/snapvf/mig_stream.h"],
                "modules": ["modules"], "all": ["modules"]}.get(goal[0], [])
        for w in need:
            if w not in r.stdout:
                return "'%s' not in make -n %s output" % (w, goal[0])
        return None
    if argv[0] == "scripts/install-dkms.sh":
        r = subprocess.run([os.path.join(TOP, argv[0]), "--dry-run"] +
                           argv[1:], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, check=False)
        if r.returncode != 0:
            return "exit %d: %s" % (r.returncode, r.stdout)
        want = ["dkms remove"] if "--remove" in argv else \
            ["dkms add", "dkms build", "dkms install"]
        for w in want:
            if w not in r.stdout:
                return "'%s' not printed" % w
        return None
    if argv[0] == "dkms" and argv[1:2] == ["status"]:
        if not os.path.exists("/usr/sbin/dkms"):
            return "SKIP dkms is not installed (Debian package dkms)"
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, check=False)
        return None if r.returncode == 0 else r.stdout
    return "no rule tests '%s'" % cmd


def tap(results):
    print("TAP version 13")
    print("1..%d" % len(results))
    bad = skipped = 0
    for n, (name, err) in enumerate(results, 1):
        if err is None:
            print("ok %d - %s" % (n, name))
        elif err.startswith("SKIP"):
            skipped += 1
            print("ok %d - %s # %s" % (n, name, err))
        else:
            bad += 1
            print("not ok %d - %s" % (n, name))
            for line in err.splitlines():
                print("#   " + line)
    print("# %d passed, %d failed, %d skipped"
          % (len(results) - bad - skipped, bad, skipped))
    return 1 if bad else 0


def host_tests():
    results = []
    for path in DOCS:
        rel = os.path.relpath(path, TOP)
        if not os.path.exists(path):
            results.append((rel, "missing"))
            continue
        tree = doc_tree()
        try:
            for line, scen, cmds in parse(path):
                where = "%s:%d" % (rel, line)
                if scen is None:
                    results.append((where, "console block without "
                                    ".. svfctl-test: marker"))
                    continue
                if not cmds:
                    results.append((where, "console block without commands"))
                    continue
                for cmd, want in cmds:
                    name = "%s [%s] %s" % (where, scen, cmd)
                    if scen == "fake":
                        rc, got = run_fake(tree, cmd)
                        err = None
                        code = 0
                        m = re.match(r"^\[exit (\d+)\]$", want[-1]) \
                            if want else None
                        if m:
                            code = int(m.group(1))
                            want = want[:-1]
                        if rc is None:
                            err = got
                        elif rc != code:
                            err = "exit %d, want %d: %s" % (rc, code, got)
                        elif got.splitlines() != want:
                            err = "output differs; got:\n" + got
                        results.append((name, err))
                    elif scen == "install":
                        results.append((name, check_install(cmd)))
                    elif scen == "vm":
                        pass  # --vm
                    else:
                        results.append((name, "unknown marker " + scen))
        finally:
            tree.cleanup()
    return tap(results)


def vm_tests():
    results = []
    if os.geteuid() != 0 or not os.path.isdir(
            "/sys/bus/pci/devices/0000:00:10.0"):
        print("TAP version 13\n1..0 # SKIP run in the test VM")
        return 0
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(fakesys.SVFCTL) + ":" + env.get("PATH", "")
    for path in DOCS:
        rel = os.path.relpath(path, TOP)
        for line, scen, cmds in parse(path):
            if scen != "vm":
                continue
            for cmd, _ in cmds:
                r = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True,
                                   env=env, check=False)
                err = None if r.returncode == 0 else \
                    "exit %d: %s" % (r.returncode, r.stdout)
                results.append(("%s:%d [vm] %s" % (rel, line, cmd), err))
    # leave the edu functions as the other tests expect them
    subprocess.run([fakesys.SVFCTL, "unbind", "0000:00:10.0"],
                   stdout=subprocess.DEVNULL, check=False)
    return tap(results)


def print_outputs(path):
    """Print the fake blocks' commands with today's output (to write docs)."""
    tree = doc_tree()
    try:
        for line, scen, cmds in parse(path):
            if scen != "fake":
                continue
            print(".. line %d" % line)
            for cmd, _ in cmds:
                rc, got = run_fake(tree, cmd)
                print("   # " + cmd)
                for g in got.splitlines():
                    print(("   " + g).rstrip())
                if rc:
                    print("   [exit %d]" % rc)
    finally:
        tree.cleanup()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--vm"]:
        sys.exit(vm_tests())
    if sys.argv[1:2] == ["--print"]:
        print_outputs(sys.argv[2])
        sys.exit(0)
    sys.exit(host_tests())
