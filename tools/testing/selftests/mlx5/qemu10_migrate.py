#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""QEMU 10 migrates a VF of snapvf_mlx5 (on the firmware model) live.

The VMM is a real one: QEMU 10 (bookworm-backports) with -device
vfio-pci,host=A,enable-migration=on on snapvf_pci, A being a VF the
firmware model publishes through snapvf_mlx5; the destination QEMU holds B
and waits with -incoming unix:.  A's VHCA state (the model's debugfs
"state", firmware state no BAR shows) is seeded with a pattern after the
source QEMU opened A (an open resets the function); B's with another.
After the migration and cont on the destination: B's VHCA state equals
A's, B's VHCA runs and A's is suspended, QEMU carried vfio data, and once
both QEMUs quit no firmware buffer, PAGE_TRACK object or report receiver
is left in the model.  Debian's kernel offers no device DMA logging, so
QEMU (enable-migration=on) takes all guest RAM as dirty each round; the
RAM is filled with data as in the qemu10 group's PF tests.
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../qemu10"))
import q10lib as q  # noqa: E402  (after the path)

MODEL = "snapvf_mlx5_model"
DBG = f"/sys/kernel/debug/{MODEL}"
STATE = 64 << 10        # the VHCA state the test sizes both VFs to

CHECKS = [
    "source QEMU 10 realized A with enable-migration=on, no migration blocker",
    "A's and B's VHCA states seeded differently after QEMU opened A",
    "live migration completed with vfio data",
    "destination loaded the migration and runs after cont",
    "B's VHCA state equals A's; B's VHCA runs, A's is suspended",
    "both QEMUs quit cleanly, no firmware object left in the model",
]


def state(bdf, data=None):
    """Read (or write DATA into) the model's VHCA state of BDF."""
    p = f"{DBG}/{bdf}/state"
    with open(p, "r+b" if data is not None else "rb", buffering=0) as f:
        if data is not None:
            f.write(data)
            return data
        return f.read(STATE)


def setup():
    """Two model VFs A and B published by snapvf_mlx5, on snapvf_pci."""
    q.modload(MODEL, "snapvf_pci")
    fns = q.ivshmem_functions()
    if len(fns) < 2:
        return fns, f"need two ivshmem-plain functions, found {len(fns)}"
    for bdf in fns[:2]:
        fid = q.fn_aux(bdf).rsplit(".", 1)[1]
        if not os.path.exists(f"{q.AUX}/snapvf_mlx5.vfio_pci.{fid}"):
            try:
                q.wr(f"{DBG}/del_vf", bdf)
            except OSError:
                pass
            q.wr(f"{DBG}/add_vf", f"{bdf} 1 1")
        q.wr(f"{DBG}/{bdf}/state_size", str(STATE))
        for _ in range(20):
            if q.driver(bdf) == "snapvf_pci":
                break
            try:
                if q.driver(bdf):
                    q.wr(f"/sys/bus/pci/devices/{bdf}/driver/unbind", bdf)
                q.wr(f"/sys/bus/pci/devices/{bdf}/driver_override", "snapvf_pci")
                q.wr("/sys/bus/pci/drivers/snapvf_pci/bind", bdf)
            except OSError:
                pass
            time.sleep(0.25)
        if q.driver(bdf) != "snapvf_pci":
            return fns, f"{bdf} is on '{q.driver(bdf)}', not snapvf_pci"
    return fns[:2], ""


def main():
    qemu = q.qemu10_or_bail()
    tap = q.Tap(1 + len(CHECKS))
    fns, why = setup()
    if not tap.ok(not why, "A and B are snapvf_mlx5 VFs on snapvf_pci", why):
        tap.rest(CHECKS, "no functions")
        return tap.done()
    a, b = fns
    tap.diag(f"A={a} B={b} qemu={qemu}")
    _, sock = q.mig_paths("mlx5")
    dev = "vfio-pci,host=%s,id=dev0,addr=%#x,enable-migration=on"
    src = q.Qemu(qemu, "m5-src", dev % (a, q.SLOT), qtest=True, mem=q.PF_MEM)
    dst = None
    try:
        blockers = (src.ret("query-migrate") or {}).get("blocked-reasons", [])
        if not tap.ok(src.alive() and not blockers, CHECKS[0],
                      f"blocked-reasons {blockers}\n{src.errors()[-1500:]}"):
            tap.rest(CHECKS[1:], "no source VM")
            return tap.done()
        want = q.pf_pattern(STATE, 11)
        other = q.pf_pattern(STATE, 12)
        state(a, want)
        state(b, other)
        tap.ok(state(a) == want and state(b) == other and want != other, CHECKS[1])
        # Guest RAM holds data, as a real guest's does: with no dirty
        # tracking QEMU resends all of it each round, and zero pages would
        # make its bandwidth estimate too low to ever switch over.
        tap.diag(f"guest RAM {q.PF_MEM} MiB filled above 1 MiB: {q.ram_fill(src, q.PF_MEM)}")

        dst = q.Qemu(qemu, "m5-dst", dev % (b, q.SLOT), mem=q.PF_MEM,
                     extra=["-incoming", f"unix:{sock}"])
        done, mig, diag = q.migrate(src, f"unix:{sock}")
        vfio = (mig.get("vfio") or {}).get("transferred") or 0
        if not tap.ok(done and vfio >= STATE,
                      f"{CHECKS[2]} ({q.limits()}: downtime {mig.get('downtime')} ms, "
                      f"total {mig.get('total-time')} ms, vfio {vfio} B)",
                      "\n".join(diag + [f"source output: {src.errors()[-1500:]}"])):
            tap.rest(CHECKS[3:], f"migration {mig.get('status')}")
            return tap.done()
        ok, diag = q.wait_incoming(dst)
        r = dst.cmd("cont") if ok else {}
        time.sleep(1)
        st = dst.status() if ok else None
        tap.ok(ok and st == "running", f"{CHECKS[3]} (status {st})",
               f"{diag}\ncont: {r}\n{dst.errors()[-1500:]}")
        got = state(b)
        vhca_b = q.rd(f"{DBG}/{b}/vhca_state")
        vhca_a = q.rd(f"{DBG}/{a}/vhca_state")
        tap.ok(got == want and vhca_b == "running" and vhca_a == "suspended", CHECKS[4],
               f"B's state {'equals' if got == want else 'DIFFERS from'} A's; "
               f"VHCA B {vhca_b}, A {vhca_a}")
    finally:
        rcs = [x.quit() for x in (src, dst) if x]
    errs = [l for x in (src, dst) if x for l in x.unexpected()]
    left = q.rd(f"{DBG}/bufs")
    tap.ok(rcs == [0, 0] and not errs and left.split() == ["0", "0", "0"],
           f"{CHECKS[5]} (exit {rcs}, model bufs '{left}')", "\n".join(errs[-20:]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
