#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""svfctl against a fake sysfs + modules.alias: host-independent, TAP output.

Runs anywhere (host or guest): python3 svfctl_fake_test.py
The fake tree (fakesys.py) answers writes as the kernel would, so bind,
restore-on-failure and mdev create/remove are exercised end to end.
"""

import json
import os
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesys  # noqa: E402

EDU = "0000:00:03.0"      # managed by the simulator, no driver
EDU2 = "0000:00:04.0"     # not managed, no driver
NVME = "0000:00:05.0"     # NVMe SNAP 15b3:6001, default driver nvme
VIRTIO = "0000:00:06.0"   # virtio SNAP 1af4:1042 sv 15b3, virtio-pci
BRIDGE = "0000:00:1c.0"
NOGROUP = "0000:00:1f.0"
DOM1 = "0001:02:00.1"     # second PCI domain, managed
MGR = "0000:00:01.0"      # the simulator's manager function
U1 = "8f0c3c2e-1b5d-4c57-9b1e-3a2f7d6e5c4b"


def build(mdev=True):
    t = fakesys.FakeTree()
    t.add_driver("vfio-pci", "vfio_pci", vfio_only=True)
    t.add_driver("nvme", ids=[(0x15b3, 0x6001)])
    t.add_driver("virtio-pci", "virtio_pci", ids=[(0x1af4, 0x1042)])
    t.add_driver("pcieport", "pcieport")
    t.add_driver("snapvf_sim", ids=[(0x1b36, 0x0005)])
    t.add_loadable("snapvf_pci", "snapvf-pci")
    t.add_pci(MGR, 0x1b36, 0x0005, driver="snapvf_sim")
    t.add_pci(EDU, 0x1234, 0x11e8, 0x1af4, 0x1100)
    t.add_pci(EDU2, 0x1234, 0x11e8, 0x1af4, 0x1100)
    t.add_pci(NVME, 0x15b3, 0x6001, cls=0x010802, driver="nvme")
    t.add_pci(VIRTIO, 0x1af4, 0x1042, 0x15b3, 0x0001, cls=0x010000,
              driver="virtio-pci")
    t.add_pci(BRIDGE, 0x8086, 0x29c0, cls=0x060400, driver="pcieport")
    t.add_pci(NOGROUP, 0x8086, 0x2918, cls=0x060100, group=None)
    t.add_pci(DOM1, 0x1234, 0x11e8)
    t.add_aux("snapvf_sim", MGR, EDU, features="migration pre_copy",
              aux_driver="snapvf_pci")
    t.add_aux("snapvf_sim", MGR, DOM1)
    t.add_alias("vfio_pci:v*d*sv*sd*bc*sc*i*", "vfio_pci")
    t.add_alias("vfio_pci:v000015B3d00006001sv*sd*bc*sc*i*", "snapvf_pci")
    t.add_alias("vfio_pci:v00001AF4d00001042sv000015B3sd*bc*sc*i*",
                "snapvf_pci")
    t.add_alias("vfio_pci:v00001234d000011E8sv*sd*bc*sc*i*", "snapvf_pci")
    t.add_alias("pci:v00001234d000011E8sv*sd*bc*sc*i*", "not_vfio")
    if not mdev:
        return t
    t.add_mdev_parent(MGR, {
        "snapvf_sf-blk1": ("blk-1q", "virtio-blk, 1 queue, 64 MiB", 2,
                           "vfio-pci"),
        "snapvf_sf-blk4": ("blk-4q", "virtio-blk, 4 queues, 256 MiB", 0,
                           "vfio-pci"),
    })
    return t


class Base(unittest.TestCase):
    def setUp(self):
        self.t = build()

    def tearDown(self):
        self.t.cleanup()

    def ok(self, *argv):
        rc, out, err = self.t.run(*argv)
        self.assertEqual(rc, 0, "svfctl %s: rc=%s err=%s" % (argv, rc, err))
        self.assertEqual(err, "")
        return out

    def js(self, *argv):
        return json.loads(self.ok("--json", *argv))

    def fails(self, code, *argv, match=None):
        """An error: the given status, exactly one stderr line, no stdout."""
        rc, out, err = self.t.run(*argv)
        self.assertEqual(rc, code, "svfctl %s: rc=%s err=%r" % (argv, rc, err))
        self.assertEqual(out, "")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "want one stderr line: %r" % err)
        self.assertTrue(lines[0].startswith("svfctl: "), lines[0])
        if match:
            self.assertIn(match, lines[0])
        return lines[0]

    def unchanged(self, code, *argv, match=None):
        """An error that leaves the fake system exactly as it was."""
        before = self.t.snapshot()
        msg = self.fails(code, *argv, match=match)
        self.assertEqual(self.t.snapshot(), before, "tree changed")
        self.assertEqual(self.t.loaded, [])
        return msg


class ListTests(Base):
    def test_list_columns(self):
        """list: ids, driver, group, aux, parent, migration, best driver"""
        rows = {r["address"]: r for r in self.js("list")}
        e = rows[EDU]
        self.assertEqual(e["vendor_device"], "1234:11e8")
        self.assertEqual(e["subsystem"], "1af4:1100")
        self.assertIsNone(e["driver"])
        self.assertEqual(e["iommu_group"], "102")
        self.assertEqual(e["aux"], "snapvf_sim.vfio_pci.24")
        self.assertEqual(e["parent"], "snapvf_sim")
        self.assertEqual(e["parent_device"], MGR)
        self.assertEqual(e["aux_driver"], "snapvf_pci")
        self.assertIs(e["migration"], True)
        self.assertEqual(e["best_vfio_driver"], "snapvf_pci")
        self.assertEqual(rows[NVME]["driver"], "nvme")
        self.assertIsNone(rows[EDU2]["aux"])
        self.assertIs(rows[EDU2]["migration"], False)

    def test_list_filters(self):
        """list hides bridges and group-less functions unless --all"""
        rows = [r["address"] for r in self.js("list")]
        self.assertNotIn(BRIDGE, rows)
        self.assertNotIn(NOGROUP, rows)
        self.assertIn(VIRTIO, rows)
        rows = [r["address"] for r in self.js("list", "--all")]
        self.assertIn(BRIDGE, rows)
        self.assertIn(NOGROUP, rows)
        rows = [r["address"] for r in self.js("list", "--managed")]
        self.assertEqual(sorted(rows), [EDU, DOM1])

    def test_list_domain_fn_id(self):
        """aux fn-id is domain<<16|bus<<8|devfn (second domain)"""
        rows = {r["address"]: r for r in self.js("list", DOM1)}
        self.assertEqual(rows[DOM1]["aux"], "snapvf_sim.vfio_pci.%d" %
                         (1 << 16 | 2 << 8 | 1))
        self.assertIsNone(rows[DOM1]["migration"])

    def test_list_text(self):
        """list text output: a header and one row per function"""
        out = self.ok("list", EDU, NVME)
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("ADDRESS"))
        self.assertEqual(len(lines), 3)
        self.assertIn("snapvf_sim.vfio_pci.24 (%s)" % MGR, lines[1])
        self.assertIn("yes", lines[1])

    def test_json_position(self):
        """--json and --sysfs-root work before and after the subcommand"""
        a = json.loads(self.t.run("--json", "list", EDU)[1])
        b = json.loads(self.t.run("list", "--json", EDU)[1])
        self.assertEqual(a, b)


class PickTests(Base):
    def test_most_specific(self):
        """pick: v+d+sv beats v+d; generic vfio_pci ranks last"""
        r = self.js("pick", VIRTIO)
        self.assertEqual(r["module"], "snapvf_pci")
        self.assertEqual(r["driver"], "snapvf-pci")
        self.assertEqual(r["fields"], ["v", "d", "sv"])
        self.assertEqual([c["module"] for c in r["candidates"]],
                         ["snapvf_pci", "vfio_pci"])
        self.assertIn("generic vfio_pci ranks last", r["reason"])
        self.assertEqual(self.t.loaded, ["snapvf_pci"])

    def test_generic_only(self):
        """pick: only plain vfio_pci matches -> vfio_pci, nothing loaded"""
        r = self.js("pick", "--no-load", "0000:00:01.0")
        self.assertEqual(r["module"], "vfio_pci")
        self.assertEqual(r["driver"], "vfio-pci")
        self.assertEqual(r["reason"], "only the generic vfio_pci matches")
        self.assertEqual(self.t.loaded, [])

    def test_tie_field_priority(self):
        """pick: equal counts -> the one exact in the earlier field wins"""
        self.t.add_alias("vfio_pci:v00001234d*sv*sd*bc00sc*i*", "aaa_vfio")
        self.t.add_alias("vfio_pci:v00001234d000011E8sv*sd*bc*sc*i*",
                         "zzz_vfio")
        self.t.add_alias("vfio_pci:v00001234d000011E8sv*sd*bc*sc*i*",
                         "bbb_vfio")
        r = self.js("pick", "--dry-run", EDU2)
        mods = [c["module"] for c in r["candidates"]]
        # snapvf_pci, bbb_vfio, zzz_vfio: v,d; aaa_vfio: v,bc
        self.assertEqual(mods, ["bbb_vfio", "snapvf_pci", "zzz_vfio",
                                "aaa_vfio", "vfio_pci"])
        self.assertIn("alphabetical", r["reason"])
        self.assertEqual(self.t.loaded, [])

    def test_tie_reason_field(self):
        """pick: tie reason names the deciding field"""
        t = self.t
        with open(t.alias, "w") as f:
            f.write("alias vfio_pci:v00001234d*sv*sd*bc00sc*i* aaa_vfio\n"
                    "alias vfio_pci:v00001234d000011E8sv*sd*bc*sc*i* zzz\n")
        r = self.js("pick", "--dry-run", EDU2)
        self.assertEqual(r["module"], "zzz")
        self.assertIn("'d' is exact", r["reason"])

    def test_pick_text(self):
        """pick text output names the module, driver and candidates"""
        out = self.ok("pick", NVME)
        self.assertTrue(out.startswith("%s: snapvf_pci (driver snapvf-pci)"
                                       % NVME), out)
        self.assertIn("candidate vfio_pci", out)

    def test_no_load(self):
        """pick --no-load with the module not loaded is an error"""
        self.unchanged(6, "pick", "--no-load", NVME, match="not loaded")

    def test_short_address(self):
        """pick accepts BB:SS.F for domain 0"""
        self.assertEqual(self.js("pick", "--dry-run", "00:05.0")["device"],
                         NVME)

    def test_unknown_device(self):
        """pick of an unknown PCI address: exit 3, one line"""
        self.unchanged(3, "pick", "0000:00:09.0", match="no PCI device")

    def test_malformed_address(self):
        """pick of a malformed address: exit 2"""
        self.unchanged(2, "pick", "00:3.9", match="not a PCI address")

    def test_no_vfio_driver(self):
        """pick with no matching vfio_pci: alias: exit 6"""
        with open(self.t.alias, "w") as f:
            f.write("alias pci:v*d*sv*sd*bc*sc*i* something\n")
        self.unchanged(6, "pick", EDU2, match="no vfio driver")

    def test_bridge(self):
        """pick of a bridge: exit 6 (vfio binds endpoints only)"""
        self.unchanged(6, "pick", BRIDGE, match="bridge")

    def test_missing_alias_file(self):
        """pick with a missing modules.alias: exit 3"""
        os.unlink(self.t.alias)
        self.fails(3, "pick", EDU2, match="cannot read")


class BindTests(Base):
    def test_bind_unbound(self):
        """bind an unbound function: driver link + override, exit 0"""
        out = self.ok("bind", EDU2, "--driver", "vfio-pci")
        self.assertEqual(self.t.driver_of(EDU2), "vfio-pci")
        self.assertEqual(self.t.override_of(EDU2), "vfio-pci")
        self.assertIn("bound to vfio-pci (was unbound)", out)

    def test_bind_pick_and_load(self):
        """bind without --driver picks, loads and binds the variant driver"""
        r = self.js("bind", NVME)
        self.assertEqual(r["driver"], "snapvf-pci")
        self.assertEqual(r["previous"], "nvme")
        self.assertEqual(self.t.driver_of(NVME), "snapvf-pci")
        self.assertEqual(self.t.loaded, ["snapvf_pci"])
        self.assertIn("picked snapvf_pci", r["reason"])

    def test_unbind_restores_default(self):
        """unbind clears the override and the default driver comes back"""
        self.ok("bind", NVME, "--driver", "vfio-pci")
        self.assertEqual(self.t.driver_of(NVME), "vfio-pci")
        r = self.js("unbind", NVME)
        self.assertEqual(r["previous"], "vfio-pci")
        self.assertEqual(r["driver"], "nvme")
        self.assertEqual(self.t.driver_of(NVME), "nvme")
        self.assertIsNone(self.t.override_of(NVME))

    def test_unbind_no_default(self):
        """unbind of a function with no default driver leaves it unbound"""
        self.ok("bind", EDU2, "--driver", "vfio-pci")
        out = self.ok("unbind", EDU2)
        self.assertIn("no driver (was vfio-pci)", out)
        self.assertIsNone(self.t.driver_of(EDU2))

    def test_dry_run(self):
        """bind --dry-run prints every step and changes nothing"""
        before = self.t.snapshot()
        out = self.ok("bind", "--dry-run", NVME)
        self.assertEqual(self.t.snapshot(), before)
        self.assertEqual(self.t.loaded, [])
        for want in ("would load module snapvf_pci",
                     "would write 'snapvf-pci' to",
                     "would write '%s' to %s" % (NVME, self.t.s(
                         "bus", "pci", "drivers", "nvme", "unbind")),
                     "drivers_probe", "else restore nvme"):
            self.assertIn(want, out)

    def test_unbind_dry_run(self):
        """unbind --dry-run changes nothing"""
        before = self.t.snapshot()
        out = self.ok("unbind", "--dry-run", NVME)
        self.assertEqual(self.t.snapshot(), before)
        self.assertIn("would unbind from nvme", out)

    def test_restore_on_probe_failure(self):
        """probe fails -> previous driver and override restored, exit 1"""
        self.t.drivers["vfio-pci"]["probe_err"] = 19
        msg = self.fails(1, "bind", NVME, "--driver", "vfio-pci",
                         match="restored previous driver nvme")
        self.assertIn("did not bind", msg)
        self.assertEqual(self.t.driver_of(NVME), "nvme")
        self.assertIsNone(self.t.override_of(NVME))

    def test_restore_previous_override(self):
        """a failed bind puts back an earlier override (vfio-pci)"""
        self.ok("bind", NVME, "--driver", "vfio-pci")
        self.t.add_loadable("snapvf_pci", "snapvf-pci", probe_err=19)
        self.fails(1, "bind", NVME, match="restored previous driver vfio-pci")
        self.assertEqual(self.t.driver_of(NVME), "vfio-pci")
        self.assertEqual(self.t.override_of(NVME), "vfio-pci")

    def test_restore_unbound(self):
        """a failed bind of an unbound function leaves it unbound, clean"""
        self.t.drivers["vfio-pci"]["probe_err"] = 22
        self.fails(1, "bind", EDU2, "--driver", "vfio-pci",
                   match="restored previous driver (none: unbound)")
        self.assertIsNone(self.t.driver_of(EDU2))
        self.assertIsNone(self.t.override_of(EDU2))

    def test_already_bound(self):
        """bind to the driver it already has: exit 0, no reprobe"""
        self.ok("bind", EDU2, "--driver", "vfio-pci")
        out = self.ok("bind", EDU2, "--driver", "vfio-pci")
        self.assertIn("already bound to vfio-pci", out)

    def test_bind_driver_by_module_name(self):
        """--driver accepts a module name and loads it"""
        self.ok("bind", EDU2, "--driver", "snapvf_pci")
        self.assertEqual(self.t.driver_of(EDU2), "snapvf-pci")

    def test_held_by_vmm(self):
        """bind while a VMM holds /dev/vfio/<group>: exit 4, no change"""
        self.ok("bind", EDU2, "--driver", "vfio-pci")
        group = os.path.basename(os.readlink(
            self.t.s("bus", "pci", "devices", EDU2, "iommu_group")))
        self.t.hold(4242, "qemu-system-x86", "/dev/vfio/" + group)
        self.unchanged(4, "bind", EDU2, match="pid 4242 (qemu-system-x86)")
        self.unchanged(4, "unbind", EDU2, match="in use")
        rc, out, err = self.t.run("unbind", "--force", EDU2)
        self.assertEqual(rc, 0)
        self.assertIn("--force", err)
        self.assertIsNone(self.t.driver_of(EDU2))

    def test_held_not_ours(self):
        """a process holding another group does not block the bind"""
        self.t.hold(4243, "qemu", "/dev/vfio/999")
        self.ok("bind", NVME, "--driver", "vfio-pci")

    def test_module_load_failure(self):
        """module load failure: exit 6, nothing changed"""
        self.t.add_loadable("snapvf_pci", "snapvf-pci",
                            load_err="Invalid argument")
        self.unchanged(6, "bind", NVME, match="cannot load module snapvf_pci")
        self.unchanged(6, "bind", NVME, "--driver", "no_such_drv",
                       match="Module no_such_drv not found")

    def test_no_vfio_driver(self):
        """bind with no vfio driver available: exit 6, nothing changed"""
        with open(self.t.alias, "w") as f:
            f.write("alias vfio_pci:v00009999d*sv*sd*bc*sc*i* other\n")
        self.unchanged(6, "bind", EDU2, match="no vfio driver")
        self.unchanged(6, "bind", BRIDGE, match="bridge")

    def test_unknown_device(self):
        """bind/unbind of an unknown address: exit 3"""
        self.unchanged(3, "bind", "0000:00:09.0")
        self.unchanged(3, "unbind", "0000:00:09.0")

    def test_non_root(self):
        """non-root bind/unbind: exit 5, nothing changed, nothing loaded"""
        self.t.nonroot = True
        self.unchanged(5, "bind", NVME, match="needs root")
        self.unchanged(5, "bind", EDU2, "--driver", "vfio-pci")
        self.unchanged(5, "unbind", NVME, match="needs root")
        # dry-run is read-only and allowed
        self.ok("bind", "--dry-run", NVME)


class MdevTests(Base):
    def test_types(self):
        """mdev types lists name, description, available, api"""
        ts = self.js("mdev", "types")
        self.assertEqual([t["type"] for t in ts],
                         ["snapvf_sf-blk1", "snapvf_sf-blk4"])
        self.assertEqual(ts[0]["available_instances"], 2)
        self.assertEqual(ts[0]["name"], "blk-1q")
        self.assertEqual(ts[0]["device_api"], "vfio-pci")
        self.assertIn("64 MiB", ts[0]["description"])
        self.assertEqual(len(self.js("mdev", "types", MGR)), 2)
        self.assertIn("snapvf_sf-blk4", self.ok("mdev", "types", MGR))

    def test_unknown_parent(self):
        """mdev types/create on an unknown parent: exit 3"""
        self.unchanged(3, "mdev", "types", "nope", match="no mdev parent")
        self.unchanged(3, "mdev", "create", "nope", "snapvf_sf-blk1")

    def test_create_remove(self):
        """create with a UUID, list it, available drops; remove restores"""
        self.assertEqual(self.ok("mdev", "create", MGR, "snapvf_sf-blk1",
                                 "--uuid", U1).strip(), U1)
        ls = self.js("mdev", "list")
        self.assertEqual(len(ls), 1)
        self.assertEqual(ls[0]["uuid"], U1)
        self.assertEqual(ls[0]["parent"], MGR)
        self.assertEqual(ls[0]["type"], "snapvf_sf-blk1")
        self.assertEqual(self.js("mdev", "types", MGR)[0]
                         ["available_instances"], 1)
        self.assertIn("%s: removed" % U1, self.ok("mdev", "remove", U1))
        self.assertEqual(self.js("mdev", "list"), [])
        self.assertEqual(self.js("mdev", "types", MGR)[0]
                         ["available_instances"], 2)

    def test_create_generated_uuid(self):
        """create without --uuid prints a fresh uuid4; by type name too"""
        u = self.ok("mdev", "create", MGR, "blk-1q").strip()
        self.assertEqual(uuid.UUID(u).version, 4)
        self.assertTrue(os.path.islink(self.t.s("bus", "mdev", "devices", u)))

    def test_bad_uuid(self):
        """create/remove with a malformed UUID: exit 2, nothing changed"""
        self.unchanged(2, "mdev", "create", MGR, "snapvf_sf-blk1", "--uuid",
                       "1234", match="not a UUID")
        self.unchanged(2, "mdev", "create", MGR, "snapvf_sf-blk1", "--uuid",
                       U1.replace("-", ""), match="canonical")
        self.unchanged(2, "mdev", "remove", "xyz")

    def test_unknown_type(self):
        """create of a type that does not exist: exit 3, nothing changed"""
        self.unchanged(3, "mdev", "create", MGR, "snapvf_sf-nope",
                       match="no mdev type 'snapvf_sf-nope'")

    def test_beyond_available(self):
        """create beyond available_instances: exit 4, nothing changed"""
        self.unchanged(4, "mdev", "create", MGR, "snapvf_sf-blk4",
                       match="available_instances is 0")
        self.ok("mdev", "create", MGR, "snapvf_sf-blk1")
        self.ok("mdev", "create", MGR, "snapvf_sf-blk1")
        self.unchanged(4, "mdev", "create", MGR, "snapvf_sf-blk1")

    def test_duplicate_uuid(self):
        """create with a UUID in use: exit 4"""
        self.ok("mdev", "create", MGR, "snapvf_sf-blk1", "--uuid", U1)
        self.unchanged(4, "mdev", "create", MGR, "snapvf_sf-blk1", "--uuid",
                       U1, match="already exists")

    def test_remove_unknown(self):
        """remove of an unknown instance: exit 3"""
        self.unchanged(3, "mdev", "remove", U1, match="no mdev")

    def test_remove_held(self):
        """remove while a VMM holds the instance's group: exit 4"""
        self.ok("mdev", "create", MGR, "snapvf_sf-blk1", "--uuid", U1)
        group = self.js("mdev", "list")[0]["iommu_group"]
        self.t.hold(777, "qemu-system-x86", "/dev/vfio/%s" % group)
        self.unchanged(4, "mdev", "remove", U1, match="pid 777")

    def test_dry_run(self):
        """mdev create/remove --dry-run change nothing"""
        before = self.t.snapshot()
        self.assertIn("would write '%s'" % U1,
                      self.ok("mdev", "create", "--dry-run", MGR,
                              "snapvf_sf-blk1", "--uuid", U1))
        self.assertEqual(self.t.snapshot(), before)

    def test_non_root(self):
        """non-root mdev create/remove: exit 5, nothing changed"""
        self.ok("mdev", "create", MGR, "snapvf_sf-blk1", "--uuid", U1)
        self.t.nonroot = True
        self.unchanged(5, "mdev", "create", MGR, "snapvf_sf-blk1",
                       match="needs root")
        self.unchanged(5, "mdev", "remove", U1, match="needs root")


class CliTests(Base):
    """The installed script as a separate process."""

    def cli(self, *argv, user=None):
        cmd = [fakesys.SVFCTL, "--sysfs-root", self.t.sys, "--proc-root",
               self.t.proc, "--modules-alias", self.t.alias] + list(argv)
        if user:
            cmd = ["setpriv", "--reuid", user, "--regid", user,
                   "--clear-groups", "--"] + cmd
        return subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, check=False)

    def test_help_everywhere(self):
        """--help on the tool and every subcommand: exit 0, usage shown"""
        for sub in ([], ["list"], ["pick"], ["bind"], ["unbind"], ["mdev"],
                    ["mdev", "types"], ["mdev", "list"], ["mdev", "create"],
                    ["mdev", "remove"]):
            r = self.cli(*(sub + ["--help"]))
            self.assertEqual(r.returncode, 0, sub)
            self.assertIn("usage: svfctl", r.stdout)
            self.assertEqual(r.stderr, "")

    def test_usage_errors(self):
        """bad usage: exit 2 and one stderr line"""
        for argv in (["frob"], ["bind"], ["mdev"], ["list", "--bogus"]):
            r = self.cli(*argv)
            self.assertEqual(r.returncode, 2, argv)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    def test_cli_list_json(self):
        """the script reads the tree given by --sysfs-root"""
        r = self.cli("list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(EDU, [x["address"] for x in json.loads(r.stdout)])

    def test_real_non_root(self):
        """as uid 65534, mutating commands fail (exit 5), tree unchanged"""
        if os.geteuid() != 0:
            self.skipTest("needs root to drop to another uid")
        before = self.t.snapshot()
        for argv in (["bind", EDU2, "--driver", "vfio-pci"],
                     ["unbind", NVME],
                     ["mdev", "create", MGR, "snapvf_sf-blk1"]):
            r = self.cli(*argv, user="65534")
            self.assertEqual(r.returncode, 5, "%s: %s" % (argv, r.stderr))
            self.assertEqual(len(r.stderr.splitlines()), 1)
            self.assertIn("needs root", r.stderr)
        self.assertEqual(self.t.snapshot(), before)
        r = self.cli("list", "--json", user="65534")
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    sys.exit(fakesys.tap_main([ListTests, PickTests, BindTests, MdevTests,
                               CliTests]))
