#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""svfctl on the guest's real sysfs (run by vm.conf inside the test VM).

Needs two edu functions at 0000:00:10.0 and 0000:00:11.0 and a PCIe root
port at 0000:00:12.0 (see vm.conf), root, and the Debian kernel's
modules.alias (vfio_pci is the only vfio_pci: alias there).  Prints TAP.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesys  # noqa: E402

SVFCTL = fakesys.SVFCTL
A = "0000:00:10.0"
B = "0000:00:11.0"
PORT = "0000:00:12.0"
PCI = "/sys/bus/pci/devices"


def sysread(path, default=None):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def driver(bdf):
    try:
        return os.path.basename(os.readlink(os.path.join(PCI, bdf, "driver")))
    except OSError:
        return None


def override(bdf):
    v = sysread(os.path.join(PCI, bdf, "driver_override"))
    return None if v == "(null)" else v


def group(bdf):
    return os.path.basename(os.readlink(os.path.join(PCI, bdf, "iommu_group")))


def state():
    return {b: (driver(b), override(b)) for b in (A, B, PORT)}


def reset(bdf):
    """Back to boot state: no override, no driver."""
    with open(os.path.join(PCI, bdf, "driver_override"), "w") as f:
        f.write("\n")
    d = driver(bdf)
    if d:
        with open("/sys/bus/pci/drivers/%s/unbind" % d, "w") as f:
            f.write(bdf)


def svf(*argv, user=None, env=None):
    cmd = [SVFCTL] + list(argv)
    if user:
        cmd = ["setpriv", "--reuid", user, "--regid", user, "--clear-groups",
               "--"] + cmd
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, check=False, env=env)


class Holder:
    """A helper process that keeps a device node open, like a VMM."""

    def __init__(self, node):
        self.p = subprocess.Popen(
            [sys.executable, "-c",
             "import os,sys,time\n"
             "fd = os.open(sys.argv[1], os.O_RDWR)\n"
             "print('ready', flush=True)\n"
             "time.sleep(120)\n", node],
            stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError("holder could not open %s" % node)

    def close(self):
        self.p.kill()
        self.p.wait()


class VmTests(unittest.TestCase):
    def setUp(self):
        for b in (A, B):
            reset(b)

    def run_ok(self, *argv):
        r = svf(*argv)
        self.assertEqual(r.returncode, 0, "svfctl %s: %s" % (argv, r.stderr))
        return r.stdout

    def run_err(self, code, *argv, match=None, user=None):
        before = state()
        r = svf(*argv, user=user)
        self.assertEqual(r.returncode, code, "svfctl %s: rc=%d %s" %
                         (argv, r.returncode, r.stderr))
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        if match:
            self.assertIn(match, r.stderr)
        self.assertEqual(state(), before, "state changed by a failed command")
        return r.stderr

    def test_00_pick_loads_vfio_pci(self):
        """pick: only vfio_pci matches an edu; it gets loaded"""
        r = json.loads(self.run_ok("pick", "--json", A))
        self.assertEqual(r["module"], "vfio_pci")
        self.assertEqual(r["driver"], "vfio-pci")
        self.assertTrue(os.path.isdir("/sys/bus/pci/drivers/vfio-pci"))

    def test_01_bind_unbind(self):
        """bind sets the driver link and override; unbind restores none"""
        out = self.run_ok("bind", A)
        self.assertIn("bound to vfio-pci (was unbound)", out)
        self.assertEqual(driver(A), "vfio-pci")
        self.assertEqual(override(A), "vfio-pci")
        self.assertTrue(os.path.exists("/dev/vfio/%s" % group(A)))
        self.assertIsNone(driver(B))
        out = self.run_ok("unbind", A)
        self.assertIn("no driver (was vfio-pci)", out)
        self.assertIsNone(driver(A))
        self.assertIsNone(override(A))

    def test_02_list(self):
        """list shows the edu functions with driver and IOMMU group"""
        self.run_ok("bind", A, "--driver", "vfio-pci")
        rows = {r["address"]: r for r in json.loads(self.run_ok("list",
                                                                "--json"))}
        self.assertEqual(rows[A]["vendor_device"], "1234:11e8")
        self.assertEqual(rows[A]["driver"], "vfio-pci")
        self.assertEqual(rows[A]["iommu_group"], group(A))
        self.assertEqual(rows[A]["best_vfio_driver"], "vfio_pci")
        self.assertIsNone(rows[B]["driver"])
        self.assertNotIn(PORT, rows)

    def test_03_dry_run(self):
        """bind/unbind --dry-run change nothing"""
        before = state()
        out = self.run_ok("bind", "--dry-run", A)
        self.assertIn("would write 'vfio-pci'", out)
        self.assertEqual(state(), before)
        self.run_ok("bind", B)
        before = state()
        self.run_ok("unbind", "--dry-run", B)
        self.assertEqual(state(), before)

    def test_04_restore_on_failure(self):
        """a driver whose probe fails: previous driver is restored"""
        self.run_ok("bind", A)
        err = self.run_err(1, "bind", A, "--driver", "virtio-pci",
                           match="restored previous driver vfio-pci")
        self.assertIn("did not bind", err)
        self.assertEqual(driver(A), "vfio-pci")
        self.assertEqual(override(A), "vfio-pci")

    def test_05_restore_unbound(self):
        """failed bind of an unbound function leaves it clean and unbound"""
        self.run_err(1, "bind", B, "--driver", "virtio-pci",
                     match="restored previous driver (none: unbound)")

    def test_06_held_by_vmm(self):
        """bind/unbind refused while /dev/vfio/<group> is open"""
        self.run_ok("bind", B)
        h = Holder("/dev/vfio/%s" % group(B))
        try:
            self.run_err(4, "unbind", B, match="pid %d" % h.p.pid)
            self.run_err(4, "bind", B, "--driver", "pci-stub", match="in use")
        finally:
            h.close()
        self.run_ok("unbind", B)
        self.assertIsNone(driver(B))

    def test_07_unknown_address(self):
        """unknown PCI address: exit 3; malformed: exit 2"""
        self.run_err(3, "bind", "0000:00:1e.7", match="no PCI device")
        self.run_err(2, "bind", "00:1e", match="not a PCI address")

    def test_08_no_vfio_driver(self):
        """no vfio driver: a bridge, and an alias file without vfio_pci"""
        self.run_err(6, "bind", PORT, match="bridge")
        with tempfile.NamedTemporaryFile("w", suffix=".alias") as f:
            f.write("alias pci:v*d*sv*sd*bc*sc*i* nothing\n")
            f.flush()
            self.run_err(6, "bind", A, "--modules-alias", f.name,
                         match="no vfio driver")

    def test_09_module_load_failure(self):
        """module load failure: exit 6, nothing changed"""
        self.run_ok("bind", A)
        self.run_err(6, "bind", A, "--driver", "svf_no_such_module",
                     match="cannot load module svf_no_such_module")
        with tempfile.NamedTemporaryFile("w", suffix=".alias") as f:
            f.write("alias vfio_pci:v00001234d000011E8sv*sd*bc*sc*i* "
                    "svf_missing_vfio\n")
            f.flush()
            self.run_err(6, "bind", B, "--modules-alias", f.name,
                         match="svf_missing_vfio")

    def test_10_non_root(self):
        """non-root bind/unbind/mdev create: exit 5, nothing changed"""
        self.run_ok("bind", A)
        self.run_err(5, "bind", B, user="65534", match="needs root")
        self.run_err(5, "unbind", A, user="65534", match="needs root")
        r = svf("list", "--json", user="65534")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_11_driverctl_sees_it(self):
        """driverctl list-devices shows svfctl's override ([*])"""
        if not os.path.exists("/usr/sbin/driverctl"):
            self.skipTest("driverctl not installed")
        self.run_ok("bind", A)
        r = subprocess.run(["driverctl", "list-devices"], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           check=False)
        line = [x for x in r.stdout.splitlines() if x.startswith(A)]
        self.assertEqual(len(line), 1, r.stdout + r.stderr)
        self.assertIn("vfio-pci [*]", line[0])

    def test_12_mdev_no_parent(self):
        """mdev on a host without parents: empty lists, unknown parent 3"""
        subprocess.run(["modprobe", "mdev"], check=False)
        self.assertEqual(json.loads(self.run_ok("mdev", "types", "--json")),
                         [])
        self.assertEqual(json.loads(self.run_ok("mdev", "list", "--json")),
                         [])
        self.run_err(3, "mdev", "create", "nope", "t1",
                     match="no mdev parent 'nope'")
        self.run_err(3, "mdev", "remove",
                     "8f0c3c2e-1b5d-4c57-9b1e-3a2f7d6e5c4b", match="no mdev")


if __name__ == "__main__":
    if os.geteuid() != 0 or not os.path.isdir(os.path.join(PCI, A)):
        print("TAP version 13\n1..0 # SKIP needs root and the vm.conf "
              "devices (run in the test VM)")
        sys.exit(0)
    rc = fakesys.tap_main([VmTests])
    for b in (A, B):
        reset(b)
    sys.exit(rc)
