#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A standard VMM's passthrough device model accepts a snapvf_pci function.

Runs QEMU (TCG, -S) inside the guest with -device vfio-pci,host=<A> where A
is bound to snapvf_pci, asks QMP query-pci and HMP "info pci", and checks
that the device realized: IDs, class, BARs (regions) and interrupt pin
(config space), the same as stock vfio-pci shows for function C of the same
kind.  Then checks that QEMU quits cleanly and the function is reusable.
Prints TAP.

The VMM is Debian's QEMU 7.2 (/usr/bin/qemu-system-x86_64, v1 migration
only).  qemu10_passthrough.py runs the same checks with QEMU 10 from
bookworm-backports (scripts/qemu10.sh) and adds what QEMU 10 says about
the device's migration.
"""
import json
import os
import subprocess
import sys

TOP = os.environ["SVF_TOP"]
RESULTS = []


def tap(ok, name, diag=""):
    RESULTS.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(RESULTS)} - {name}")
    for line in diag.splitlines():
        print(f"# {line}")


def sh(cmd):
    full = f'. "{TOP}/tools/vm/guest-lib.sh" && {cmd}'
    return subprocess.run(["bash", "-c", full], capture_output=True,
                          text=True, check=False)


def ivshmem_functions():
    out = []
    for d in sorted(os.listdir("/sys/bus/pci/devices")):
        base = f"/sys/bus/pci/devices/{d}"
        with open(f"{base}/vendor") as v, open(f"{base}/device") as dv:
            if v.read().strip() == "0x1af4" and dv.read().strip() == "0x1110":
                out.append(d)
    return out


def driver(bdf):
    link = f"/sys/bus/pci/devices/{bdf}/driver"
    return os.path.basename(os.readlink(link)) if os.path.exists(link) else ""


def bind(bdf, drv):
    if driver(bdf) == drv:
        return True
    if driver(bdf):
        with open(f"/sys/bus/pci/devices/{bdf}/driver/unbind", "w") as f:
            f.write(bdf)
    with open(f"/sys/bus/pci/devices/{bdf}/driver_override", "w") as f:
        f.write(drv)
    try:
        with open(f"/sys/bus/pci/drivers/{drv}/bind", "w") as f:
            f.write(bdf)
    except OSError:
        pass
    return driver(bdf) == drv


# What QEMU 10 is asked besides query-pci and info pci (qemu10_passthrough.py).
MIGRATION_QUERIES = [
    {"execute": "query-version"},
    {"execute": "query-migrate-capabilities"},
    {"execute": "query-migrate"},
    {"execute": "qom-get", "arguments": {"path": "/machine/peripheral/hostdev0",
                                         "property": "enable-migration"}},
]


def kernel_dma_log():
    """Can the running kernel report DMA dirty pages (CONFIG_IOMMUFD_DRIVER)?

    snapvf devices offer DMA logging exactly then (include/snapvf/compat.h).
    """
    rel = os.uname().release
    for path in (f"/boot/config-{rel}", f"/lib/modules/{rel}/build/.config"):
        try:
            with open(path, encoding="utf-8") as f:
                return "CONFIG_IOMMUFD_DRIVER=y\n" in f.readlines()
        except OSError:
            pass
    raise RuntimeError("running kernel's config not found")


def run_qemu(bdf, qemu_bin="qemu-system-x86_64", extra=(), devopts=""):
    """Realize vfio-pci for bdf in a paused QEMU; return (rc, device, info, err).

    devopts is appended to the -device option.  With extra (QMP commands),
    returns a fifth value: their replies in order.
    """
    cmds = [
        {"execute": "qmp_capabilities"},
        {"execute": "query-pci"},
        {"execute": "human-monitor-command",
         "arguments": {"command-line": "info pci"}},
        *extra,
        {"execute": "quit"},
    ]
    qemu = [qemu_bin, "-machine", "q35", "-accel", "tcg",
            "-m", "128", "-nodefaults", "-no-user-config", "-S",
            "-display", "none", "-serial", "none", "-monitor", "none",
            "-device", f"vfio-pci,host={bdf},id=hostdev0{devopts}",
            "-qmp", "stdio"]
    stdin = "".join(json.dumps(c) + "\n" for c in cmds)
    p = subprocess.run(qemu, input=stdin, capture_output=True, text=True,
                       timeout=120, check=False)
    replies = []
    for line in p.stdout.splitlines():
        try:
            replies.append(json.loads(line))
        except ValueError:
            pass
    # Replies in command order (events have no "return" or "error").
    replies = [r for r in replies if "return" in r or "error" in r]
    dev, info = None, ""
    if len(replies) > 2:
        for bus in replies[1].get("return") or []:
            for d in bus.get("devices", []):
                if d.get("qdev_id") == "hostdev0":
                    dev = d
        info = replies[2].get("return") or ""
    if extra:
        answers = replies[3:3 + len(extra)]
        answers += [{}] * (len(extra) - len(answers))
        return p.returncode, dev, info, p.stderr, answers
    return p.returncode, dev, info, p.stderr


def summary(dev):
    """What must match between our driver and stock vfio-pci."""
    if not dev:
        return None
    bars = sorted((b["bar"], b["type"], b.get("size"),
                   b.get("prefetch", False), b.get("mem_type_64", False))
                  for b in dev.get("regions", []))
    return {
        "vendor": dev["id"]["vendor"], "device": dev["id"]["device"],
        "subvendor": dev["id"].get("subsystem-vendor"),
        "class": dev["class_info"]["class"], "irq_pin": dev.get("irq_pin"),
        "bars": bars,
    }


def qemu10_binary():
    """The QEMU 10 wrapper from scripts/qemu10.sh, or (None, why)."""
    r = subprocess.run([f"{TOP}/scripts/qemu10.sh", "path"],
                       capture_output=True, text=True, check=False)
    if r.returncode:
        return None, r.stderr.strip() or \
            "scripts/qemu10.sh path failed: run 'make deps' as root"
    return r.stdout.strip(), ""


def migration_view(answers, err):
    """QEMU 10's view of migration: (version, enable-migration, blockers, diag)."""
    ver, caps, mig, prop = (a.get("return") for a in answers)
    version = ver.get("qemu", {}) if isinstance(ver, dict) else {}
    blockers = (mig or {}).get("blocked-reasons", []) if isinstance(mig, dict) else None
    on = [c["capability"] for c in caps or [] if c.get("state")]
    diag = (f"QEMU {version.get('major')}.{version.get('minor')}.{version.get('micro')} "
            f"({ver.get('package', '') if isinstance(ver, dict) else ''})\n"
            f"enable-migration={prop}\n"
            f"query-migrate-capabilities: {len(caps or [])} capabilities, "
            f"enabled: {', '.join(on) or 'none'}\n"
            f"query-migrate: {json.dumps(mig)}\n"
            f"blocked-reasons: {json.dumps(blockers)}\n"
            f"stderr: {err.strip()[-1500:] or '(nothing)'}")
    return version, prop, blockers, diag


def main(qemu10=False):
    """Run the checks with QEMU 7.2, or with QEMU 10 and its migration view."""
    print("TAP version 13")
    qemu_bin, extra = "qemu-system-x86_64", ()
    if qemu10:
        qemu_bin, why = qemu10_binary()
        if not qemu_bin:
            print(f"Bail out! QEMU 10 missing: {why}")
            return 1
        extra = MIGRATION_QUERIES
    # Without DMA logging, one more QEMU 10 run: enable-migration=on.
    print(("1..10" if kernel_dma_log() else "1..11") if qemu10 else "1..7")
    for m in ("snapvf_sim", "snapvf_pci"):
        r = sh(f"svf_modload {m}")
        if r.returncode:
            print(f"Bail out! cannot load {m}: {r.stderr.strip()}")
            return 1
    sh("modprobe vfio_pci")
    fns = ivshmem_functions()
    if len(fns) < 3:
        print("Bail out! need three ivshmem-plain functions")
        return 1
    a, c = fns[0], fns[2]
    mgr = [d for d in os.listdir("/sys/bus/pci/devices")
           if os.path.isdir(f"/sys/bus/pci/devices/{d}/snapvf_sim")][0]
    if not os.path.exists(f"/sys/bus/auxiliary/devices/snapvf_sim.vfio_pci."
                          f"{int(a[5:7], 16) << 8 | int(a[8:10], 16) << 3 | int(a[11])}"):
        with open(f"/sys/bus/pci/devices/{mgr}/snapvf_sim/new_function", "w") as f:
            f.write(a)
    tap(bind(a, "snapvf_pci") and bind(c, "vfio-pci"),
        f"{a} on snapvf_pci, {c} on stock vfio-pci")

    rc, dev, info, err, *ans = run_qemu(a, qemu_bin, extra)
    tap(rc == 0 and dev is not None,
        "QEMU realized -device vfio-pci on the snapvf_pci function",
        f"{qemu_bin}\nrc={rc}\n{err[-2000:]}")
    if qemu10:
        version, prop, blockers, diag = migration_view(ans[0], err)
        tap(version.get("major") == 10,
            f"the VMM is QEMU 10 ({version.get('major')}.{version.get('minor')}."
            f"{version.get('micro')})", diag.splitlines()[0])
    s_ours = summary(dev)
    tap(bool(s_ours) and s_ours["vendor"] == 0x1af4 and
        s_ours["device"] == 0x1110 and s_ours["class"] == 0x0500,
        "config space: IDs and class as the function has them",
        json.dumps(s_ours))
    tap(bool(s_ours) and any(b[0] == 2 and b[2] == 16 << 20
                             for b in s_ours["bars"]) and
        any(b[0] == 0 for b in s_ours["bars"]),
        "regions: BAR0 registers and the 16 MiB BAR2 are mapped")
    tap("PCI device 1af4:1110" in info and 'id "hostdev0"' in info and
        "BAR2: 64 bit prefetchable memory" in info,
        "HMP info pci lists the device with its BARs", info[:600])

    if qemu10 and kernel_dma_log():
        # The function offers v2 migration and DMA logging (device dirty
        # tracking): with enable-migration=auto QEMU 10 must not block it.
        tap(prop == "auto" and blockers == [],
            "QEMU 10 sees the snapvf_pci function as migratable "
            "(enable-migration=auto, no migration blocker)", diag)
    elif qemu10:
        # No DMA logging on this kernel (it could not report): QEMU 10's
        # auto mode wants device or IOMMU dirty tracking and blocks...
        tap(prop == "auto" and any("dirty tracking" in str(b) for b in blockers),
            "without DMA logging QEMU 10 blocks auto mode for lack of "
            "device dirty tracking", diag)
        # ...and with enable-migration=on it uses the container's.
        rc3, _, _, err3, *ans3 = run_qemu(a, qemu_bin, extra,
                                          ",enable-migration=on")
        _, prop3, blockers3, diag3 = migration_view(ans3[0], err3)
        tap(rc3 == 0 and prop3 == "on" and blockers3 == [] and
            "dirty tracking" in err3,
            "enable-migration=on: QEMU 10 migrates with the container's "
            "dirty tracking (warning, no blocker)", diag3)

    rc2, dev2, _, err2, *ans2 = run_qemu(c, qemu_bin, extra)
    s_stock = summary(dev2)
    tap(rc2 == 0 and s_stock is not None and s_ours == s_stock,
        "same view as stock vfio-pci (IDs, class, BARs, interrupt pin)",
        f"ours={json.dumps(s_ours)}\nstock={json.dumps(s_stock)}\n{err2[-500:]}")
    if qemu10:
        # Control: stock vfio-pci has no migration for this function, so
        # the query above can tell the two apart.
        _, _, blockers2, diag2 = migration_view(ans2[0], err2)
        tap(bool(blockers2),
            "control: QEMU 10 blocks migration of the stock vfio-pci function", diag2)

    r = subprocess.run([f"{TOP}/tools/vmm/svf-vmm", "cfg-read", a, "0", "4"],
                       capture_output=True, text=True, check=False)
    tap(r.returncode == 0 and r.stdout.startswith("f4 1a 10 11"),
        "function reusable after QEMU quit", r.stdout + r.stderr)
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
