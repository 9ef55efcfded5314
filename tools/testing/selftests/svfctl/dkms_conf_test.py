#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""dkms.conf against the tree, so it cannot rot.  TAP output; no root.

- dkms.conf is read by bash itself (as dkms does), with dkms's variables set;
- every BUILT_MODULE_NAME has an obj-m entry in BUILT_MODULE_LOCATION/Kbuild,
  and that directory is reached from the top Kbuild;
- every installable module (obj-m in a Kbuild outside tools/) is listed;
- when the tree is built, modules.order names exactly the listed modules;
- MAKE builds for ${kernelver} with the kernel's build directory, every
  module goes to /updates, AUTOINSTALL is on.
"""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesys  # noqa: E402

TOP = fakesys.TOP
CONF = os.path.join(TOP, "dkms.conf")
WANT = {  # the modules issue 6 names (and issue 16's mlx5 parent)
    "snapvf_mig": "migration/", "snapvf_aux": "auxiliary/",
    "snapvf_sim": "drivers/sim/", "snapvf_pci": "drivers/snap_pci/",
    "vfio_mdev_core": "mdev/", "snapvf_sf": "drivers/sf_blk/",
    "snapvf_mlx5": "drivers/mlx5/",
}


def read_conf():
    """dkms.conf's arrays and scalars, as bash sees them."""
    script = r'''
kernelver=KVER kernel_source_dir=/KSRC dkms_tree=/DKMS arch=x86_64
source "$1" || exit 1
for i in "${!BUILT_MODULE_NAME[@]}"; do
  printf 'M\t%s\t%s\t%s\t%s\n' "$i" "${BUILT_MODULE_NAME[$i]}" \
    "${BUILT_MODULE_LOCATION[$i]}" "${DEST_MODULE_LOCATION[$i]}"
done
printf 'S\tPACKAGE_NAME\t%s\n' "$PACKAGE_NAME"
printf 'S\tPACKAGE_VERSION\t%s\n' "$PACKAGE_VERSION"
printf 'S\tMAKE\t%s\n' "${MAKE[0]}"
printf 'S\tCLEAN\t%s\n' "$CLEAN"
printf 'S\tAUTOINSTALL\t%s\n' "$AUTOINSTALL"
printf 'S\tCOUNTS\t%s %s %s\n' "${#BUILT_MODULE_NAME[@]}" \
  "${#BUILT_MODULE_LOCATION[@]}" "${#DEST_MODULE_LOCATION[@]}"
'''
    out = subprocess.run(["bash", "-c", script, "conf", CONF], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    mods, scal = [], {}
    for line in out.splitlines():
        f = line.split("\t")
        if f[0] == "M":
            mods.append({"name": f[2], "loc": f[3], "dest": f[4]})
        else:
            scal[f[1]] = f[2]
    return mods, scal


OBJ_RE = re.compile(r"^\s*obj-(?:m|\$\([A-Z0-9_]+\))\s*[:+]?=\s*(.*)$")


def kbuild_objs(path):
    """Module names (x.o) in a Kbuild's obj-m / obj-$(CONFIG_..) lines."""
    names = []
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        m = OBJ_RE.match(line)
        if m:
            names += [t[:-2] for t in m.group(1).split() if t.endswith(".o")]
    return names


def installable():
    """{module: dir/} for every obj-m outside tools/ (test-only modules)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(TOP):
        rel = os.path.relpath(dirpath, TOP)
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and
                       not (rel == "." and d in ("tools", "build"))]
        if "Kbuild" in filenames:
            loc = "" if rel == "." else rel + "/"
            for n in kbuild_objs(os.path.join(dirpath, "Kbuild")):
                found[n] = loc
    return found


def layer_reached(loc):
    """Is loc reached from the top Kbuild through the layer lists?"""
    parts = loc.strip("/").split("/")
    parent = TOP
    for p in parts:
        with open(os.path.join(parent, "Kbuild")) as f:
            text = f.read()
        if not re.search(r"(^|[\s=])%s/(\s|$)" % re.escape(p), text, re.M):
            return False
        parent = os.path.join(parent, p)
    return True


class DkmsConf(unittest.TestCase):
    def setUp(self):
        self.mods, self.scal = read_conf()

    def test_package(self):
        """PACKAGE_NAME=snapvf, a version, AUTOINSTALL=yes"""
        self.assertEqual(self.scal["PACKAGE_NAME"], "snapvf")
        self.assertRegex(self.scal["PACKAGE_VERSION"], r"^\d+(\.\d+)+$")
        self.assertEqual(self.scal["AUTOINSTALL"], "yes")

    def test_arrays_line_up(self):
        """one NAME, LOCATION and DEST per module, indices 0..n-1"""
        n, l, d = self.scal["COUNTS"].split()
        self.assertEqual(n, l)
        self.assertEqual(n, d)
        self.assertEqual(len(self.mods), int(n))

    def test_make(self):
        """MAKE builds against ${kernelver}'s build directory, in the tree"""
        make = self.scal["MAKE"]
        self.assertIn("-C /KSRC", make)
        self.assertIn("M=/DKMS/snapvf/%s/build" %
                      self.scal["PACKAGE_VERSION"], make)
        self.assertIn("KVER=KVER", make)
        self.assertTrue(make.rstrip().endswith(" modules"), make)
        self.assertIn("clean", self.scal["CLEAN"])

    def test_dest(self):
        """every module installs to /updates"""
        for m in self.mods:
            self.assertEqual(m["dest"], "/updates", m["name"])

    def test_issue_modules(self):
        """the modules of the design, at their directories"""
        got = {m["name"]: m["loc"] for m in self.mods}
        self.assertEqual(got, WANT)

    def test_built_have_kbuild(self):
        """every BUILT_MODULE has an obj-m entry in its directory's Kbuild"""
        for m in self.mods:
            kb = os.path.join(TOP, m["loc"], "Kbuild")
            self.assertTrue(os.path.isfile(kb), "%s: no %s" % (m["name"], kb))
            self.assertIn(m["name"], kbuild_objs(kb), kb)
            self.assertTrue(layer_reached(m["loc"]),
                            "%s not reached from the top Kbuild" % m["loc"])

    def test_installable_listed(self):
        """every installable module (Kbuild outside tools/) is in dkms.conf"""
        got = {m["name"]: m["loc"] for m in self.mods}
        for name, loc in installable().items():
            self.assertEqual(got.get(name), loc,
                             "%s%s.ko is not in dkms.conf" % (loc, name))

    def test_modules_order(self):
        """a built tree's modules.order names exactly dkms.conf's modules"""
        order = os.path.join(TOP, "modules.order")
        if not os.path.exists(order):
            self.skipTest("tree not built (no modules.order)")
        with open(order) as f:
            built = {os.path.relpath(line.strip(), TOP)
                     if line.startswith("/") else line.strip()
                     for line in f if line.strip()}
        want = {m["loc"] + m["name"] + ".o" for m in self.mods}
        self.assertEqual(built, want)


if __name__ == "__main__":
    sys.exit(fakesys.tap_main([DkmsConf]))
