#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A standard VMM's passthrough device model accepts a snapvf_pci function.

Runs QEMU (TCG, -S) inside the guest with -device vfio-pci,host=<A> where A
is bound to snapvf_pci, asks QMP query-pci and HMP "info pci", and checks
that the device realized: IDs, class, BARs (regions) and interrupt pin
(config space), the same as stock vfio-pci shows for function C of the same
kind.  Then checks that QEMU quits cleanly and the function is reusable.
Prints TAP.
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


def run_qemu(bdf):
    """Realize vfio-pci for bdf in a paused QEMU; return (rc, device, info, err)."""
    cmds = [
        {"execute": "qmp_capabilities"},
        {"execute": "query-pci"},
        {"execute": "human-monitor-command",
         "arguments": {"command-line": "info pci"}},
        {"execute": "quit"},
    ]
    qemu = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg",
            "-m", "128", "-nodefaults", "-no-user-config", "-S",
            "-display", "none", "-serial", "none", "-monitor", "none",
            "-device", f"vfio-pci,host={bdf},id=hostdev0", "-qmp", "stdio"]
    stdin = "".join(json.dumps(c) + "\n" for c in cmds)
    p = subprocess.run(qemu, input=stdin, capture_output=True, text=True,
                       timeout=120, check=False)
    replies = []
    for line in p.stdout.splitlines():
        try:
            replies.append(json.loads(line))
        except ValueError:
            pass
    dev, info = None, ""
    for r in replies:
        ret = r.get("return")
        if isinstance(ret, list):
            for bus in ret:
                for d in bus.get("devices", []):
                    if d.get("qdev_id") == "hostdev0":
                        dev = d
        elif isinstance(ret, str):
            info = ret
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


def main():
    print("TAP version 13")
    print("1..7")
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

    rc, dev, info, err = run_qemu(a)
    tap(rc == 0 and dev is not None,
        "QEMU realized -device vfio-pci on the snapvf_pci function",
        f"rc={rc}\n{err[-2000:]}")
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

    rc2, dev2, _, err2 = run_qemu(c)
    s_stock = summary(dev2)
    tap(rc2 == 0 and s_stock is not None and s_ours == s_stock,
        "same view as stock vfio-pci (IDs, class, BARs, interrupt pin)",
        f"ours={json.dumps(s_ours)}\nstock={json.dumps(s_stock)}\n{err2[-500:]}")

    r = subprocess.run([f"{TOP}/tools/vmm/svf-vmm", "cfg-read", a, "0", "4"],
                       capture_output=True, text=True, check=False)
    tap(r.returncode == 0 and r.stdout.startswith("f4 1a 10 11"),
        "function reusable after QEMU quit", r.stdout + r.stderr)
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
