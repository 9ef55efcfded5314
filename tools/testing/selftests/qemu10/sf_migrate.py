# SPDX-License-Identifier: GPL-2.0
"""QEMU 10 migrates an SF mdev (snapvf_sf virtio-blk) between two instances.

main("file"): the source migrates to a file (file: URI), a destination
started with -incoming defer loads it with migrate-incoming.
main("live"): the destination waits with -incoming unix:..., the source
migrates to it.

Source and destination are two mdev instances of the same type on SF 0 of
the simulator: -device vfio-pci,sysfsdev=...,enable-migration=on in two
QEMU 10 VMs (TCG, -m 128, -nodefaults, -S).  Each instance has a private
backing store, which its migration stream carries (written pages, then
the virtio and config-space state; Documentation/admin-guide/sf-mdev.rst).
Known blocks are written to the source instance with svf-vblk before QEMU
opens it; they are read back from the destination instance after the
destination VM ran (cont) and quit, and must be byte for byte the same.
QEMU's figures from query-migrate are printed; the default downtime limit
stays.
"""
import os
import time

import q10lib as q

CHECKS = [
    "known blocks written to the source instance before QEMU opens it",
    "source QEMU 10 realized the instance with enable-migration=on, no migration blocker",
    "migration completed",
    "destination loaded the migration",
    "destination runs after cont",
    "both QEMUs quit cleanly",
    "the blocks read back from the destination instance",
    "both instances removed",
]
START, COUNT = 64, 128


def main(flow):
    tap = q.Tap(1 + len(CHECKS))
    qemu = q.qemu10_or_bail()
    seed = "81" if flow == "file" else "82"
    u_src = q.sf_uuid(0x51000000, 1 if flow == "file" else 3)
    u_dst = q.sf_uuid(0x51000000, 2 if flow == "file" else 4)
    why = q.sf_setup([u_src, u_dst])
    if not tap.ok(not why, f"two instances of {q.SF_TYPE} on SF 0 ({flow} flow)", why):
        tap.rest(CHECKS, "no instances")
        return tap.done()
    tap.diag(f"source {u_src} destination {u_dst} qemu={qemu}")
    ok, out = q.vblk(u_src, "write", str(START), str(COUNT), seed)
    if ok:
        ok, out2 = q.vblk(u_src, "verify", str(START), str(COUNT), seed)
        out += "\n" + out2
    if not tap.ok(ok, f"{CHECKS[0]} (sectors {START}..{START + COUNT - 1})", out):
        tap.rest(CHECKS[1:], "no data on the source")
        q.sf_remove([u_src, u_dst])
        return tap.done()

    vms = []
    try:
        run_vms(tap, qemu, flow, u_src, u_dst, vms)
    finally:
        q.quit_all(tap, vms, CHECKS[5])
    ok, out = q.vblk(u_dst, "verify", str(START), str(COUNT), seed)
    tap.ok(ok, f"{CHECKS[6]} (sectors {START}..{START + COUNT - 1})", out)
    why = q.sf_remove([u_src, u_dst])
    tap.ok(not why, CHECKS[7], why)
    return tap.done()


def run_vms(tap, qemu, flow, u_src, u_dst, vms):
    """CHECKS[1] to CHECKS[4]; the QEMUs started go to VMS."""
    mig_file, sock = q.mig_paths("sf")
    dev = "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=dev0,addr=%#x,enable-migration=on"
    src = q.Qemu(qemu, "sf-src", dev % (u_src, q.SLOT))
    vms.append(src)
    blockers = (src.ret("query-migrate") or {}).get("blocked-reasons", [])
    if not tap.ok(src.alive() and not blockers and
                  src.ret("qom-get", path="/machine/peripheral/dev0",
                          property="enable-migration") == "on",
                  CHECKS[1], f"blocked-reasons {blockers}\n{src.errors()[-1500:]}"):
        tap.rest(CHECKS[2:5], "no source VM")
        return None
    if flow == "file":
        done, mig, diag = q.migrate(src, f"file:{mig_file}")
        if os.path.exists(mig_file):
            diag.append(f"migration file: {os.path.getsize(mig_file)} bytes")
    else:
        dst = q.Qemu(qemu, "sf-dst", dev % (u_dst, q.SLOT),
                     extra=["-incoming", f"unix:{sock}"])
        vms.append(dst)
        done, mig, diag = q.migrate(src, f"unix:{sock}")
    if not tap.ok(done, f"{CHECKS[2]} ({flow}, {q.limits()}: downtime {mig.get('downtime')} ms, "
                  f"total {mig.get('total-time')} ms, vfio "
                  f"{(mig.get('vfio') or {}).get('transferred')} B)",
                  "\n".join(diag + [f"source output: {src.errors()[-1500:]}"])):
        tap.rest(CHECKS[3:5], f"migration {mig.get('status')}")
        return None
    if flow == "file":
        dst = q.Qemu(qemu, "sf-dst", dev % (u_dst, q.SLOT),
                     extra=["-incoming", "defer"])
        vms.append(dst)
        r = dst.cmd("migrate-incoming", uri=f"file:{mig_file}")
        if "error" in r:
            tap.diag(f"migrate-incoming: {r['error'].get('desc')}")
    ok, diag = q.wait_incoming(dst)
    if not tap.ok(ok, CHECKS[3], f"{diag}\n{dst.errors()[-1500:]}"):
        tap.rest(CHECKS[4:5], "destination did not load")
        return None
    r = dst.cmd("cont")
    time.sleep(1)
    st = dst.status()
    tap.ok(st == "running", f"{CHECKS[4]} (status {st})", f"cont: {r}")
    return None
