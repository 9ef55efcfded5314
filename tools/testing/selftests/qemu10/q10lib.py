# SPDX-License-Identifier: GPL-2.0
"""Helpers of the qemu10 tests and bench: QEMU 10 as the VMM migrates snapvf devices.

TAP output, QEMU 10 processes with QMP (and qtest) over unix sockets, the
migration flows (to a file, live over a unix socket) with QEMU's own
figures, and the setup of both device kinds: SNAP PFs (snapvf_pci on the
simulator's ivshmem-plain functions) and SF mdevs (snapvf_sf).

Environment: SVF_Q10_TIMEOUT (seconds a migration may take, default 120,
times SVF_TIMEOUT_SCALE),
SVF_Q10_DOWNTIME_MS (sets downtime-limit before migrating: for manual
runs only; the group keeps QEMU's default of 300 ms),
SVF_Q10_PF_MEM (MiB of RAM of a SNAP PF's VMs, default 16).
"""
import base64
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

TOP = os.environ["SVF_TOP"]
TMP = "/tmp/svf-q10"
MIG_TIMEOUT = float(os.environ.get("SVF_Q10_TIMEOUT", "120")) * \
    int(os.environ.get("SVF_TIMEOUT_SCALE", "1"))
DOWNTIME_MS = os.environ.get("SVF_Q10_DOWNTIME_MS")
AUX = "/sys/bus/auxiliary/devices"
SIM_DEBUGFS = "/sys/kernel/debug/snapvf_sim"   # the simulator's knobs
SF_TYPE = "snapvf_sf.blk-1q"
# Where the source VM's BAR2 of the PF is put (guest physical, below the
# q35 MMCONFIG window's end and above 128 MiB of RAM), and its slot.
BAR2_GPA = 0xc0000000
SLOT = 4
# Guest RAM of a SNAP PF's VMs (MiB): with the type1 container's dirty
# tracking a passed-through PF's VM re-sends all of its RAM every round.
PF_MEM = int(os.environ.get("SVF_Q10_PF_MEM", "16"))


class Tap:
    """TAP 13 with a plan, one line per result, diagnostics as comments."""

    def __init__(self, plan):
        self.n = 0
        self.failed = 0
        print("TAP version 13")
        print(f"1..{plan}", flush=True)

    def ok(self, cond, name, diag=""):
        self.n += 1
        if not cond:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {name}")
        for line in str(diag).splitlines():
            print(f"# {line}")
        sys.stdout.flush()
        return cond

    def diag(self, text):
        for line in str(text).splitlines():
            print(f"# {line}")
        sys.stdout.flush()

    def rest(self, names, why):
        """Fail every remaining check, each saying why it could not run."""
        for name in names:
            self.ok(False, f"{name}: not reached ({why})")

    def done(self):
        return 1 if self.failed else 0


def bail(msg):
    print(f"Bail out! {msg}", flush=True)
    sys.exit(1)


def qemu10_or_bail():
    """The QEMU 10 wrapper (scripts/qemu10.sh path); missing is a failure."""
    r = subprocess.run([f"{TOP}/scripts/qemu10.sh", "path"],
                       capture_output=True, text=True, check=False)
    path = r.stdout.strip()
    if r.returncode or not path or not os.access(path, os.X_OK):
        why = r.stderr.strip() or "scripts/qemu10.sh path failed"
        if "make deps" not in why:
            why += ": run 'make deps' as root"
        bail(f"QEMU 10 missing: {why}")
    return path


def sh(cmd):
    """Run CMD in bash with tools/vm/guest-lib.sh sourced."""
    full = f'. "{TOP}/tools/vm/guest-lib.sh" && {cmd}'
    return subprocess.run(["bash", "-c", full], capture_output=True,
                          text=True, check=False)


def rd(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def wr(path, val):
    with open(path, "w", encoding="utf-8") as f:
        f.write(val)


def modload(*names):
    for m in names:
        r = sh(f"svf_modload {m}")
        if r.returncode:
            bail(f"cannot load {m}: {(r.stderr + r.stdout).strip()}")


def sim_mgr():
    for d in sorted(os.listdir("/sys/bus/pci/devices")):
        p = f"/sys/bus/pci/devices/{d}/snapvf_sim"
        if os.path.isdir(p):
            return p
    bail("no snapvf_sim manager (pci-testdev in vm.conf, snapvf_sim loaded?)")
    return None


# ---- SNAP PF -------------------------------------------------------------

def ivshmem_functions():
    out = []
    for d in sorted(os.listdir("/sys/bus/pci/devices")):
        base = f"/sys/bus/pci/devices/{d}"
        if rd(f"{base}/vendor") == "0x1af4" and rd(f"{base}/device") == "0x1110":
            out.append(d)
    return out


def fn_aux(bdf):
    """The simulator's aux device directory of PCI function BDF."""
    dom, bus, rest = bdf.split(":")
    dev, fn = rest.split(".")
    fid = int(dom, 16) << 16 | int(bus, 16) << 8 | int(dev, 16) << 3 | int(fn)
    return f"{AUX}/snapvf_sim.vfio_pci.{fid}"


def driver(bdf):
    link = f"/sys/bus/pci/devices/{bdf}/driver"
    return os.path.basename(os.readlink(link)) if os.path.exists(link) else ""


def pf_setup():
    """Two SNAP PFs A and B on snapvf_pci; returns ([A, B], why-not or "")."""
    modload("snapvf_sim", "snapvf_pci")
    fns = ivshmem_functions()
    if len(fns) < 2:
        return fns, f"need two ivshmem-plain functions, found {len(fns)}"
    mgr = sim_mgr()
    for bdf in fns[:2]:
        if not os.path.exists(fn_aux(bdf)):
            wr(f"{mgr}/new_function", bdf)
        # snapvf_pci may bind the function by itself once its aux device
        # appears (probe order does not matter), racing the bind below.
        err = ""
        for _ in range(20):
            if driver(bdf) == "snapvf_pci":
                break
            try:
                if driver(bdf):
                    wr(f"/sys/bus/pci/devices/{bdf}/driver/unbind", bdf)
                wr(f"/sys/bus/pci/devices/{bdf}/driver_override", "snapvf_pci")
                wr("/sys/bus/pci/drivers/snapvf_pci/bind", bdf)
            except OSError as e:
                err = f" (last error: {e})"
            time.sleep(0.25)
        if driver(bdf) != "snapvf_pci":
            return fns, f"{bdf} is on '{driver(bdf)}', not snapvf_pci{err}"
    return fns[:2], ""


def fn_knob(bdf, name):
    """Path of the simulator's knob NAME of PCI function BDF (debugfs)."""
    return f"{SIM_DEBUGFS}/{os.path.basename(fn_aux(bdf))}/{name}"


def pf_knob(bdf, name):
    try:
        return rd(fn_knob(bdf, name))
    except OSError as e:
        return f"<{name}: {e.strerror}>"


def pf_fill_bar2(vm, pattern):
    """Through VM's qtest: BAR2 of the function at SLOT to BAR2_GPA (64-bit
    BAR: 0x18, 0x1c), memory decoding on, PATTERN written there and read
    back.  Returns (qtest's reply to the write, the bytes read back)."""
    vm.cfg_write(SLOT, 0x18, 4, BAR2_GPA)
    vm.cfg_write(SLOT, 0x1c, 4, 0)
    vm.cfg_write(SLOT, 0x04, 2, 0x0002)
    wrote = vm.mem_write(BAR2_GPA, pattern)
    return wrote, vm.mem_read(BAR2_GPA, len(pattern))


def ram_fill(vm, mem_mib, byte=0x5a):
    """Fill VM's RAM above 1 MiB with BYTE through qtest; qtest's reply.

    A real guest's RAM holds data: all-zero pages cost QEMU a few bytes
    each to send, which skews its bandwidth estimate."""
    return vm.qtest(f"memset 0x100000 {(mem_mib - 1) << 20:#x} {byte:#x}")


def pf_pattern(size, seed):
    """SIZE bytes of a pattern from SEED (64-bit words of an LCG)."""
    out = bytearray(size)
    x = seed * 0x9e3779b97f4a7c15 & (2**64 - 1)
    for i in range(0, size, 8):
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        out[i:i + 8] = x.to_bytes(8, "little")
    return bytes(out)


# ---- SF mdev -------------------------------------------------------------

def sf_uuid(a, b):
    return "%08x-7e7e-4d4d-9a9a-%012x" % (a, b)


def sf_setup(uuids):
    """SF 0 of the simulator, served by snapvf_sf, with the mdevs UUIDS."""
    modload("snapvf_sim", "snapvf_sf")
    sf = f"{AUX}/snapvf_sim.sf.0"
    if not os.path.exists(sf):
        wr(f"{sim_mgr()}/new_sf", "0 1M 4 256 4")
    types = f"{sf}/mdev_supported_types/{SF_TYPE}"
    if not os.path.isdir(types):
        return f"{types} missing (is snapvf_sf serving SF 0?)"
    for u in uuids:
        if os.path.exists(f"/sys/bus/mdev/devices/{u}"):
            continue
        try:
            wr(f"{types}/create", u)
        except OSError as e:
            return f"create mdev {u} of {SF_TYPE}: {e}"
    return ""


def sf_remove(uuids):
    errs = []
    for u in uuids:
        try:
            wr(f"/sys/bus/mdev/devices/{u}/remove", "1")
        except OSError as e:
            errs.append(f"{u}: {e}")
    return "; ".join(errs)


def kernel_dma_log():
    """Can the running kernel report DMA dirty pages (svf_kernel_dma_log)?"""
    r = sh("svf_kernel_dma_log")
    if r.returncode not in (0, 1):
        bail(f"running kernel's config not found: {r.stderr.strip()}")
    return r.returncode == 0


def vblk(*args):
    r = subprocess.run([f"{TOP}/tools/vblk/svf-vblk", *args],
                       capture_output=True, text=True, check=False, timeout=120)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


# ---- QEMU 10 -------------------------------------------------------------

TRACE = re.compile(r"^(\d+@[\d.]+:)?(vfio|iommufd)_\w+\s")
# What QEMU 10 prints for these devices on the target kernel and is not a
# failure: no device dirty tracking (enable-migration=on uses the
# container's), and a BAR mapped into the VM cannot be DMA-mapped for
# peer-to-peer by type1 or iommufd (the VM's view of the BAR works); an
# mdev has no error IRQ for QEMU's error recovery.
KNOWN = [r"VFIO device doesn't support device and IOMMU dirty tracking",
         r"Could not enable error recovery for the device",
         r"warning: vfio_container_dma_map\(.*\) = -14 \(Bad address\)",
         r"PCI peer-to-peer transactions on BARs are not supported",
         r"warning: IOMMU_IOAS_MAP failed: Bad address, PCI BAR\?"]


class Qemu:
    """A QEMU 10 process with QMP (and optionally qtest) on unix sockets."""

    def __init__(self, binary, name, device, extra=(), qtest=False, mem=128,
                 trace=(), paused=True, console=False, kernel=None, initrd=None,
                 append=None):
        """DEVICE is the -device option's value; None leaves -device out
        (the same VM without the device, e.g. a benchmark's baseline).
        PAUSED passes -S (the VM starts stopped).  CONSOLE attaches the
        serial port to a chardev socket (console_send() writes to the
        guest) with a logfile (console_text() reads what the guest wrote);
        otherwise there is no serial port.  KERNEL, INITRD, APPEND boot a
        Linux kernel directly (-kernel, -initrd, -append)."""
        os.makedirs(TMP, exist_ok=True)
        self.name = name
        self.qmp_path = f"{TMP}/{name}.qmp"
        self.qtest_path = f"{TMP}/{name}.qtest" if qtest else None
        self.log_path = f"{TMP}/{name}.log"
        self.con_path = f"{TMP}/{name}.con" if console else None
        self.con_log = f"{TMP}/{name}.console" if console else None
        for p in (self.qmp_path, self.qtest_path, self.con_path, self.con_log):
            if p and os.path.exists(p):
                os.unlink(p)
        serial = ["-serial", "none"]
        if console:
            serial = ["-chardev", f"socket,id=con0,path={self.con_path},server=on,"
                      f"wait=off,logfile={self.con_log},logappend=off",
                      "-serial", "chardev:con0"]
        boot = [a for o, v in (("-kernel", kernel), ("-initrd", initrd),
                               ("-append", append)) if v for a in (o, v)]
        args = [binary, "-machine", "q35", "-accel", "tcg", "-m", str(mem),
                "-nodefaults", "-no-user-config", "-display", "none",
                *serial, "-monitor", "none", *(("-S",) if paused else ()),
                "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
                # vfio's view of pending device data, for the figures
                "-trace", "enable=vfio_state_pending*",
                "-trace", "enable=vfio_migration_state_notifier",
                *[a for t in trace for a in ("-trace", f"enable={t}")],
                *boot, *(("-device", device) if device else ()), *extra]
        if qtest:
            args += ["-qtest", f"unix:{self.qtest_path},server=on,wait=off",
                     "-qtest-log", "/dev/null"]
        self.cmdline = " ".join(args)
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.events = []
        self.qmp = self._connect(self.qmp_path)
        if self.qmp:
            self.qmp.readline()     # greeting
            self.cmd("qmp_capabilities")
        self.qt = self._connect(self.qtest_path) if qtest and self.qmp else None
        # The console's client end, drained by a thread so that the guest
        # never waits for us; what the guest wrote is in the logfile.
        self.con = self._connect(self.con_path, raw=True) \
            if console and self.qmp else None
        if self.con:
            threading.Thread(target=self._drain, daemon=True).start()

    def _connect(self, path, raw=False):
        deadline = time.time() + 60
        while time.time() < deadline and self.proc.poll() is None:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                return s if raw else s.makefile("rw", encoding="utf-8")
            except OSError:
                s.close()
                time.sleep(0.2)
        return None

    def _drain(self):
        try:
            while self.con.recv(65536):
                pass
        except OSError:
            pass

    def console_send(self, text):
        """Write TEXT to the guest's serial port; False if not connected."""
        try:
            self.con.sendall(text.encode())
            return True
        except (OSError, AttributeError):
            return False

    def console_text(self):
        """What the guest wrote to its serial port so far (the logfile)."""
        try:
            with open(self.con_log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def wait_exit(self, timeout):
        """Wait up to TIMEOUT s for QEMU to exit; its status, None if running."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def alive(self):
        return self.qmp is not None and self.proc.poll() is None

    def cmd(self, name, **args):
        """One QMP command; its reply ({"return": ...} or {"error": ...})."""
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        try:
            self.qmp.write(json.dumps(msg) + "\n")
            self.qmp.flush()
            while True:
                line = self.qmp.readline()
                if not line:
                    return {"error": {"desc": "QMP connection closed"}}
                r = json.loads(line)
                if "event" in r:
                    self.events.append(r)
                    continue
                return r
        except (OSError, ValueError, AttributeError) as e:
            return {"error": {"desc": f"QMP: {e}"}}

    def ret(self, name, **args):
        return self.cmd(name, **args).get("return")

    def qtest(self, line):
        self.qt.write(line + "\n")
        self.qt.flush()
        while True:
            r = self.qt.readline().strip()
            if not r.startswith("IRQ"):
                return r

    def cfg_write(self, slot, off, size, val):
        self.qtest(f"outl 0xcf8 {0x80000000 | slot << 11 | (off & ~3):#x}")
        port = 0xcfc + (off & 3)
        self.qtest(f"out{'bwl'[size // 2]} {port:#x} {val:#x}")

    def cfg_read(self, slot, off, size):
        self.qtest(f"outl 0xcf8 {0x80000000 | slot << 11 | (off & ~3):#x}")
        port = 0xcfc + (off & 3)
        r = self.qtest(f"in{'bwl'[size // 2]} {port:#x}")
        return int(r.split()[1], 16) if r.startswith("OK ") else None

    def mem_write(self, gpa, data):
        for off in range(0, len(data), 65536):
            chunk = data[off:off + 65536]
            r = self.qtest(f"b64write {gpa + off:#x} {len(chunk):#x} "
                           f"{base64.b64encode(chunk).decode()}")
            if r != "OK":
                return r
        return "OK"

    def mmio_write(self, gpa, size, val):
        """A SIZE-byte (1, 2, 4) write to guest physical GPA, as the CPU does."""
        return self.qtest(f"write{'bwl'[size // 2]} {gpa:#x} {val:#x}")

    def mmio_read(self, gpa, size):
        r = self.qtest(f"read{'bwl'[size // 2]} {gpa:#x}")
        return int(r.split()[1], 16) if r.startswith("OK ") else None

    def mem_read(self, gpa, size):
        out = b""
        for off in range(0, size, 65536):
            n = min(65536, size - off)
            r = self.qtest(f"b64read {gpa + off:#x} {n:#x}")
            if not r.startswith("OK "):
                return None
            out += base64.b64decode(r[3:])
        return out

    def status(self):
        r = self.ret("query-status")
        return r.get("status") if isinstance(r, dict) else None

    def output(self):
        self.log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def errors(self):
        """QEMU's output without the trace lines."""
        return "\n".join(l for l in self.output().splitlines()
                         if not TRACE.match(l))

    def unexpected(self):
        """QEMU's output lines that are neither traces nor known warnings."""
        return [f"{self.name}: {l}" for l in self.errors().splitlines()
                if l.strip() and not any(re.search(k, l) for k in KNOWN)]

    def quit(self, timeout=30):
        """quit over QMP; returns QEMU's exit status (None: it was killed)."""
        if self.proc.poll() is None:
            if self.qmp:
                self.cmd("quit")
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def quit_all(tap, vms, name, want=2):
    """Quit the QEMUs VMS; one TAP result NAME: WANT of them ran, each
    exited 0, and none printed more than traces and known warnings."""
    rcs = [x.quit() for x in vms]
    errs = [l for x in vms for l in x.unexpected()]
    return tap.ok(len(rcs) == want and rcs == [0] * want and not errs,
                  f"{name} (exit {rcs})", "\n".join(errs[-20:]))


def dirty_pages(lines):
    """dirty_pages of the vfio_get_dirty_bitmap traces among LINES (of a
    QEMU's output): the pages each dirty bitmap QEMU fetched named."""
    return [int(m.group(1)) for line in lines
            for m in [re.search(r"vfio_get_dirty_bitmap .*dirty_pages=(\d+)", line)] if m]


def last_pending(q):
    """The last vfio_state_pending_{estimate,exact} trace lines of Q."""
    out = {}
    for line in q.output().splitlines():
        m = re.search(r"(vfio_state_pending_(?:estimate|exact))\s+(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return [f"{k}: {v}" for k, v in sorted(out.items())]


def figures(mig):
    """QEMU's own figures from a query-migrate reply, one per line."""
    ram = mig.get("ram", {}) or {}
    vfio = mig.get("vfio", {}) or {}
    lines = [f"status: {mig.get('status')}"]
    for k in ("total-time", "setup-time", "downtime", "expected-downtime"):
        if k in mig:
            lines.append(f"{k}: {mig[k]} ms")
    if ram:
        lines.append("ram: transferred %s, remaining %s, total %s, duplicate %s, "
                     "normal %s, dirty-sync-count %s, mbps %s, "
                     "dirty-pages-rate %s" % tuple(
                         ram.get(k) for k in ("transferred", "remaining", "total",
                                              "duplicate", "normal",
                                              "dirty-sync-count", "mbps",
                                              "dirty-pages-rate")))
    lines.append(f"vfio: transferred {vfio.get('transferred')}" if vfio
                 else "vfio: (not reported)")
    if mig.get("error-desc"):
        lines.append(f"error-desc: {mig['error-desc']}")
    return lines


def limits():
    """How the migration checks are named: QEMU's defaults, or what is set."""
    return (f"downtime-limit {DOWNTIME_MS} ms (SVF_Q10_DOWNTIME_MS)" if DOWNTIME_MS
            else "QEMU's defaults")


def bar_addr(q, slot, bar):
    """The VM's address of BAR (query-pci), or None if unmapped."""
    for bus in q.ret("query-pci") or []:
        for d in bus.get("devices", []):
            if d.get("slot") == slot:
                for r in d.get("regions", []):
                    if r.get("bar") == bar and r.get("address") not in (None, 0, -1) \
                            and r["address"] < 2**63:
                        return r["address"]
    return None


def mig_paths(kind):
    """The migration file and unix socket of @kind ("pf", "sf"), unlinked."""
    paths = (f"{TMP}/{kind}.mig", f"{TMP}/{kind}-mig.sock")
    for p in paths:
        if os.path.exists(p):
            os.unlink(p)
    return paths


def migrate(src, uri, timeout=MIG_TIMEOUT):
    """migrate SRC to URI and wait; returns (completed, last reply, diag)."""
    diag = []
    params = src.ret("query-migrate-parameters") or {}
    diag.append(f"downtime-limit {params.get('downtime-limit')} ms, "
                f"max-bandwidth {params.get('max-bandwidth')} B/s "
                f"(QEMU's defaults unless SVF_Q10_DOWNTIME_MS)")
    if DOWNTIME_MS:
        r = src.cmd("migrate-set-parameters", **{"downtime-limit": int(DOWNTIME_MS)})
        diag.append(f"SVF_Q10_DOWNTIME_MS: downtime-limit {DOWNTIME_MS} ms: {r}")
    r = src.cmd("migrate", uri=uri)
    if "error" in r:
        return False, {}, diag + [f"migrate {uri}: {r['error'].get('desc')}"]
    done, mig, more = migrate_wait(src, timeout)
    return done, mig, diag + more


def migrate_wait(src, timeout=MIG_TIMEOUT):
    """Wait for SRC's migration to end; returns (completed, last reply, diag)."""
    diag = []
    t0 = time.time()
    mig = {}
    while time.time() - t0 < timeout:
        mig = src.ret("query-migrate") or {}
        if mig.get("status") in ("completed", "failed", "cancelled"):
            break
        if not src.alive():
            diag.append("source QEMU exited while migrating")
            break
        time.sleep(0.5)
    secs = time.time() - t0
    done = mig.get("status") == "completed"
    if not done:
        diag.append(f"not completed after {secs:.1f} s (limit {timeout:.0f} s)")
        diag += figures(mig)
        diag += last_pending(src)
        if mig.get("status") not in ("failed", "cancelled"):
            src.cmd("migrate_cancel")
    else:
        diag.append(f"completed after {secs:.1f} s (wall clock, polling)")
        diag += figures(mig)
    return done, mig, diag


def wait_incoming(dst, timeout=MIG_TIMEOUT):
    """Wait until DST has loaded the incoming migration; (ok, diag)."""
    t0 = time.time()
    st, mig = None, {}
    while time.time() - t0 < timeout and dst.alive():
        st = dst.status()
        mig = dst.ret("query-migrate") or {}
        if st != "inmigrate" and mig.get("status") in ("completed", "failed", None):
            break
        time.sleep(0.5)
    ok = dst.alive() and st not in ("inmigrate", None) and \
        mig.get("status") == "completed"
    return ok, (f"destination status {st}, incoming migration "
                f"{mig.get('status')} after {time.time() - t0:.1f} s")
