# SPDX-License-Identifier: GPL-2.0
"""A fake sysfs/procfs tree that reacts to writes the way the kernel does.

Used by the host-independent svfctl tests.  FakeTree builds the tree under a
temporary directory; FakeTree.system_class() returns a subclass of svfctl's
System whose write() applies the kernel's semantics for the files svfctl
touches:

- driver_override: stores the value, "" or "\\n" clears it ("(null)")
- drivers/<d>/unbind: ENODEV unless bound to <d>
- drivers/<d>/bind: EBUSY if bound, ENODEV if <d> does not match, else
  probe (which may fail with the driver's probe errno)
- drivers_probe: if unbound, match (override first, else id table; vfio
  override-only drivers match only by override), probe; a failed probe
  leaves the device unbound and the write still succeeds, as in the kernel
- mdev_supported_types/<t>/create: EINVAL on a bad UUID, EEXIST on a
  duplicate, EUSERS when available_instances is 0
- mdev device remove
and modprobe(): loads "loadable" modules (registers their driver and, for
ordinary drivers, probes matching unbound devices) or fails like modprobe.
"""

import errno
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
SVFCTL = os.path.join(TOP, "tools", "svfctl", "svfctl")


def load_svfctl():
    """Import tools/svfctl/svfctl (a script without .py) as a module."""
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("svfctl", SVFCTL)
    spec = importlib.util.spec_from_loader("svfctl", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


svfctl = load_svfctl()
# The fake kernel answers at once: do not wait long for late probes.
svfctl.PROBE_WAIT = 0.1

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\n?$")


def _w(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _ln(target, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink(target, path)


class FakeTree:
    """A fake /sys, /proc and modules.alias under one temporary directory."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="svfctl-fake-")
        os.chmod(self.base, 0o755)
        self.sys = os.path.join(self.base, "sys")
        self.proc = os.path.join(self.base, "proc")
        self.alias = os.path.join(self.base, "modules.alias")
        self.drivers = {}     # name -> dict(ids, vfio_only, probe_err)
        self.loadable = {}    # module -> dict(driver, ids, vfio_only, ...)
        self.loaded = []      # modules loaded through modprobe()
        self.nonroot = False  # writable() says no, write() fails EACCES
        self.next_group = 100
        os.makedirs(os.path.join(self.sys, "bus", "pci", "devices"))
        os.makedirs(os.path.join(self.sys, "bus", "auxiliary", "devices"))
        os.makedirs(os.path.join(self.sys, "bus", "mdev", "devices"))
        os.makedirs(os.path.join(self.sys, "class", "mdev_bus"))
        os.makedirs(os.path.join(self.sys, "kernel", "iommu_groups"))
        os.makedirs(self.proc)
        _w(os.path.join(self.sys, "bus", "pci", "drivers_probe"), "")
        _w(self.alias, "# fake modules.alias\n")

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)

    # ---- building -------------------------------------------------------
    def s(self, *parts):
        return os.path.join(self.sys, *parts)

    def add_alias(self, pattern, module):
        with open(self.alias, "a") as f:
            f.write("alias %s %s\n" % (pattern, module))

    def add_driver(self, name, module=None, ids=(), vfio_only=False,
                   probe_err=0):
        """Register a PCI driver as loaded (module name default: name)."""
        module = module or name.replace("-", "_")
        self.drivers[name] = {"ids": list(ids), "vfio_only": vfio_only,
                              "probe_err": probe_err, "module": module}
        d = self.s("bus", "pci", "drivers", name)
        for f in ("bind", "unbind", "new_id", "remove_id"):
            _w(os.path.join(d, f), "")
        _ln("../../../bus/pci/drivers/" + name,
            self.s("module", module, "drivers", "pci:" + name))
        _ln("../../../module/" + module, os.path.join(d, "module"))

    def add_loadable(self, module, driver, ids=(), vfio_only=True,
                     probe_err=0, load_err=None):
        self.loadable[module] = {"driver": driver, "ids": list(ids),
                                 "vfio_only": vfio_only,
                                 "probe_err": probe_err,
                                 "load_err": load_err}

    def add_pci(self, bdf, vendor, device, sv=None, sd=None, cls=0x00ff00,
                group="auto", driver=None):
        dom = bdf.split(":")[0]
        ddir = self.s("devices", "pci%s:00" % dom, bdf)
        sv = vendor if sv is None else sv
        sd = device if sd is None else sd
        _w(os.path.join(ddir, "vendor"), "0x%04x\n" % vendor)
        _w(os.path.join(ddir, "device"), "0x%04x\n" % device)
        _w(os.path.join(ddir, "subsystem_vendor"), "0x%04x\n" % sv)
        _w(os.path.join(ddir, "subsystem_device"), "0x%04x\n" % sd)
        _w(os.path.join(ddir, "class"), "0x%06x\n" % cls)
        _w(os.path.join(ddir, "modalias"),
           "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n" %
           (vendor, device, sv, sd, cls >> 16, (cls >> 8) & 0xff, cls & 0xff))
        _w(os.path.join(ddir, "driver_override"), "(null)\n")
        _ln("../../../devices/pci%s:00/%s" % (dom, bdf),
            self.s("bus", "pci", "devices", bdf))
        if group == "auto":
            group = self.new_group()
        if group is not None:
            self.join_group(ddir, bdf, group)
        if driver:
            self._attach(bdf, driver)
        return ddir

    def new_group(self):
        self.next_group += 1
        return self.next_group

    def join_group(self, ddir, name, group):
        gdir = self.s("kernel", "iommu_groups", str(group))
        os.makedirs(os.path.join(gdir, "devices"), exist_ok=True)
        _ln(os.path.relpath(gdir, ddir), os.path.join(ddir, "iommu_group"))
        _ln(os.path.relpath(ddir, os.path.join(gdir, "devices")),
            os.path.join(gdir, "devices", name))

    def add_aux(self, parent_mod, parent_bdf, target_bdf, features=None,
                aux_driver=None):
        ident = svfctl.fn_id(target_bdf)
        name = "%s.vfio_pci.%d" % (parent_mod, ident)
        pdir = os.path.realpath(self.s("bus", "pci", "devices", parent_bdf))
        adir = os.path.join(pdir, name)
        os.makedirs(adir)
        if features is not None:
            _w(os.path.join(adir, "features"), features + "\n")
        if aux_driver:
            ddir = self.s("bus", "auxiliary", "drivers", aux_driver)
            os.makedirs(ddir, exist_ok=True)
            _ln(os.path.relpath(ddir, adir), os.path.join(adir, "driver"))
        _ln(os.path.relpath(adir, self.s("bus", "auxiliary", "devices")),
            self.s("bus", "auxiliary", "devices", name))
        return name

    def add_mdev_parent(self, parent_bdf, types, sf=None):
        """types: {type_id: (name, description, available, device_api)}

        With sf="snapvf_sim.sf.0" the parent is that SF aux device (child
        of the PCI function parent_bdf), as the SF driver registers it.
        """
        pdir = os.path.realpath(self.s("bus", "pci", "devices", parent_bdf))
        if sf:
            pdir = os.path.join(pdir, sf)
            os.makedirs(pdir)
            _ln(os.path.relpath(pdir, self.s("bus", "auxiliary", "devices")),
                self.s("bus", "auxiliary", "devices", sf))
            parent_bdf = sf
        for tid, (name, desc, avail, api) in types.items():
            tdir = os.path.join(pdir, "mdev_supported_types", tid)
            _w(os.path.join(tdir, "name"), name + "\n")
            _w(os.path.join(tdir, "description"), desc + "\n")
            _w(os.path.join(tdir, "available_instances"), "%d\n" % avail)
            _w(os.path.join(tdir, "device_api"), api + "\n")
            _w(os.path.join(tdir, "create"), "")
            os.makedirs(os.path.join(tdir, "devices"), exist_ok=True)
        _ln(os.path.relpath(pdir, self.s("class", "mdev_bus")),
            self.s("class", "mdev_bus", parent_bdf))

    def hold(self, pid, comm, node):
        """A fake process holding node (e.g. /dev/vfio/101) open."""
        _w(os.path.join(self.proc, str(pid), "comm"), comm + "\n")
        _ln(node, os.path.join(self.proc, str(pid), "fd", "7"))

    # ---- inspecting -----------------------------------------------------
    def driver_of(self, bdf):
        try:
            return os.path.basename(os.readlink(
                self.s("bus", "pci", "devices", bdf, "driver")))
        except OSError:
            return None

    def override_of(self, bdf):
        with open(self.s("bus", "pci", "devices", bdf, "driver_override")) as f:
            v = f.read().strip()
        return None if v == "(null)" else v

    def snapshot(self):
        """Every path, link target and file content: to prove 'no change'."""
        out = {}
        for dirpath, dirnames, filenames in os.walk(self.base):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                if os.path.islink(p):
                    out[p] = "-> " + os.readlink(p)
                elif os.path.isfile(p):
                    with open(p) as f:
                        out[p] = f.read()
                else:
                    out[p] = "dir"
        return out

    # ---- kernel behaviour -----------------------------------------------
    def _attach(self, bdf, drv):
        ddir = os.path.realpath(self.s("bus", "pci", "devices", bdf))
        drvdir = self.s("bus", "pci", "drivers", drv)
        _ln(os.path.relpath(drvdir, ddir), os.path.join(ddir, "driver"))
        _ln(os.path.relpath(ddir, drvdir), os.path.join(drvdir, bdf))

    def _detach(self, bdf):
        drv = self.driver_of(bdf)
        ddir = os.path.realpath(self.s("bus", "pci", "devices", bdf))
        os.unlink(os.path.join(ddir, "driver"))
        os.unlink(self.s("bus", "pci", "drivers", drv, bdf))

    def _ids(self, bdf):
        d = self.s("bus", "pci", "devices", bdf)
        with open(os.path.join(d, "vendor")) as f:
            v = int(f.read(), 16)
        with open(os.path.join(d, "device")) as f:
            dv = int(f.read(), 16)
        return v, dv

    def _matches(self, drv, bdf):
        info = self.drivers[drv]
        ov = self.override_of(bdf)
        if ov is not None:
            return ov == drv
        return not info["vfio_only"] and self._ids(bdf) in info["ids"]

    def _probe(self, drv, bdf):
        err = self.drivers[drv]["probe_err"]
        if err:
            return err
        self._attach(bdf, drv)
        return 0

    def kernel_write(self, path, value):
        rel = os.path.relpath(path, self.sys).split(os.sep)
        if rel[:3] == ["bus", "pci", "drivers"] and rel[4:] == ["unbind"]:
            bdf = value.strip()
            if self.driver_of(bdf) != rel[3]:
                raise OSError(errno.ENODEV, os.strerror(errno.ENODEV), path)
            self._detach(bdf)
            return
        if rel[:3] == ["bus", "pci", "drivers"] and rel[4:] == ["bind"]:
            bdf = value.strip()
            if not os.path.exists(self.s("bus", "pci", "devices", bdf)) or \
                    not self._matches(rel[3], bdf):
                raise OSError(errno.ENODEV, os.strerror(errno.ENODEV), path)
            if self.driver_of(bdf):
                raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), path)
            err = self._probe(rel[3], bdf)
            if err:
                raise OSError(err, os.strerror(err), path)
            return
        if rel == ["bus", "pci", "drivers_probe"]:
            bdf = value.strip()
            if not os.path.exists(self.s("bus", "pci", "devices", bdf)):
                raise OSError(errno.ENODEV, os.strerror(errno.ENODEV), path)
            if self.driver_of(bdf):
                return
            for drv in sorted(self.drivers):
                if self._matches(drv, bdf):
                    self._probe(drv, bdf)  # failure leaves it unbound
                    return
            return
        if rel[-1] == "driver_override":
            v = value.split("\n")[0]
            _w(path, (v or "(null)") + "\n")
            return
        if rel[-1] == "create" and "mdev_supported_types" in rel:
            self._mdev_create(os.path.dirname(path), value)
            return
        if rel[:3] == ["bus", "mdev", "devices"] and rel[-1] == "remove":
            self._mdev_remove(rel[3])
            return
        _w(path, value)

    def _mdev_create(self, tdir, value):
        if not UUID_RE.match(value):
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL), tdir)
        u = value.strip().lower()
        if os.path.lexists(self.s("bus", "mdev", "devices", u)):
            raise OSError(errno.EEXIST, os.strerror(errno.EEXIST), tdir)
        apath = os.path.join(tdir, "available_instances")
        with open(apath) as f:
            avail = int(f.read())
        if avail == 0:
            raise OSError(errno.EUSERS, os.strerror(errno.EUSERS), tdir)
        _w(apath, "%d\n" % (avail - 1))
        pdir = os.path.dirname(os.path.dirname(tdir))
        mdir = os.path.join(pdir, u)
        _w(os.path.join(mdir, "remove"), "")
        _ln(os.path.relpath(tdir, mdir), os.path.join(mdir, "mdev_type"))
        _ln(os.path.relpath(mdir, os.path.join(tdir, "devices")),
            os.path.join(tdir, "devices", u))
        self.join_group(mdir, u, self.new_group())
        _ln(os.path.relpath(mdir, self.s("bus", "mdev", "devices")),
            self.s("bus", "mdev", "devices", u))

    def _mdev_remove(self, u):
        link = self.s("bus", "mdev", "devices", u)
        mdir = os.path.realpath(link)
        tdir = os.path.realpath(os.path.join(mdir, "mdev_type"))
        apath = os.path.join(tdir, "available_instances")
        with open(apath) as f:
            avail = int(f.read())
        _w(apath, "%d\n" % (avail + 1))
        os.unlink(os.path.join(tdir, "devices", u))
        os.unlink(link)
        shutil.rmtree(mdir)

    def kernel_modprobe(self, module):
        info = self.loadable.get(module)
        if info is None:
            return ("modprobe: FATAL: Module %s not found in directory "
                    "/lib/modules/6.12.117+deb12-amd64" % module)
        if info["load_err"]:
            return "modprobe: ERROR: could not insert '%s': %s" % (
                module, info["load_err"])
        self.add_driver(info["driver"], module, info["ids"],
                        info["vfio_only"], info["probe_err"])
        self.loaded.append(module)
        # driver registration probes matching unbound devices
        for bdf in os.listdir(self.s("bus", "pci", "devices")):
            if not self.driver_of(bdf) and self._matches(info["driver"], bdf):
                self._probe(info["driver"], bdf)
        return None

    def system_class(self):
        tree = self

        class FakeSystem(svfctl.System):
            def write(self, path, value):
                if tree.nonroot:
                    raise OSError(errno.EACCES, os.strerror(errno.EACCES),
                                  path)
                tree.kernel_write(path, value)

            def writable(self, path):
                return not tree.nonroot and os.access(path, os.W_OK)

            def modprobe(self, module):
                return tree.kernel_modprobe(module)

        return FakeSystem

    def run(self, *argv):
        """Run svfctl in-process; return (rc, stdout, stderr)."""
        import contextlib
        import io
        out, err = io.StringIO(), io.StringIO()
        args = ["--sysfs-root", self.sys, "--proc-root", self.proc,
                "--modules-alias", self.alias] + list(argv)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = svfctl.main(args, system_class=self.system_class())
            except SystemExit as e:  # --help
                rc = e.code
        return rc, out.getvalue(), err.getvalue()


def tap_main(test_case_classes):
    """Run unittest cases, one TAP line each; exit 1 if any failed."""
    import unittest
    loader = unittest.TestLoader()
    tests = []
    for cls in test_case_classes:
        tests += list(loader.loadTestsFromTestCase(cls))
    print("TAP version 13")
    print("1..%d" % len(tests))
    failed = 0
    for n, t in enumerate(tests, 1):
        res = unittest.TestResult()
        t.run(res)
        name = t.id().split(".")[-1]
        doc = t.shortDescription()
        label = "%s%s" % (name, (": " + doc) if doc else "")
        if res.skipped:
            print("ok %d - %s # SKIP %s" % (n, label, res.skipped[0][1]))
        elif res.failures or res.errors:
            failed += 1
            print("not ok %d - %s" % (n, label))
            for _, tb in res.failures + res.errors:
                for line in tb.rstrip().splitlines():
                    print("#   " + line)
        else:
            print("ok %d - %s" % (n, label))
        sys.stdout.flush()
    print("# %d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0
