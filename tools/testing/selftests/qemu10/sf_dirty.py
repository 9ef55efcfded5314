# SPDX-License-Identifier: GPL-2.0
"""QEMU 10 with default vfio-pci settings migrates an SF mdev while the
device writes guest memory; the device's DMA dirty log brings the pages it
wrote to the destination.

Needs a kernel that can report DMA dirty pages (CONFIG_IOMMUFD_DRIVER, the
debug kernel): snapvf devices offer DMA logging exactly then.  Elsewhere
QEMU's default (enable-migration=auto) refuses to migrate the device,
which sf_blk/qemu10_passthrough.sh asserts, and this program says so and
skips.

main("container"): the device through its VFIO group and type1 container.
main("iommufd"): -object iommufd and the device's vfio cdev.

Live over a unix socket; the source VM stays paused (-S), so only qtest
and the device touch its RAM:
 1. qtest drives the instance as a guest's virtio driver would: BAR4,
    memory and bus mastering, VERSION_1, queue 0 in guest RAM, DRIVER_OK,
    and one read request of a block written before QEMU opened the
    instance, into a buffer page holding a marker; published, not notified;
 2. guest RAM above 1 MiB holds data and the migration's bandwidth is
    capped, so RAM's first pass takes seconds (the device keeps QEMU's
    defaults; the downtime limit stays 300 ms);
 3. once that pass is past the first MiB (the rings and the buffer were
    sent), the request is notified: the device writes the block, the
    status byte and the used ring into pages QEMU already sent;
 4. QEMU started the device's dirty tracking (vfio_device_dirty_tracking_
    start) and the device's reports (vfio_get_dirty_bitmap) named no page
    in the fetches before the notify (at least one) and exactly three pages
    after it;
 5. the destination's buffer holds the block, not the marker, its status
    byte VIRTIO_BLK_S_OK and its used ring the completion: each of the
    three pages was sent again, which only the device's report causes.
"""
import os
import struct
import time

import q10lib as q

CHECKS = [
    "source QEMU 10 realized the instance with default settings, no migration blocker",
    "qtest drove the instance to DRIVER_OK with queue 0 in guest RAM",
    "migration's first RAM pass went past the rings and the buffer",
    "the request notified mid-migration completed with VIRTIO_BLK_S_OK",
    "migration completed",
    "QEMU started the device's dirty tracking and fetched its reports",
    "the reports named the three pages the device wrote, and none before",
    "destination loaded the migration",
    "destination's buffer, status byte and used ring hold the completed request",
    "destination runs after cont",
    "both QEMUs quit cleanly",
    "both instances removed",
]
MEM = 32                # MiB of guest RAM in both VMs
BAR4 = 0xc0000000       # where qtest puts the register BAR
NOTIFY = 0x3000         # SVF_VBLK_NOTIFY_OFF; the multiplier is 4
DESC, AVAIL, USED = 0x10000, 0x11000, 0x12000
HDR, STATUS, BUF = 0x13000, 0x14000, 0x20000
QSIZE = 16
START, COUNT = 64, 8    # sectors written before QEMU opens the instance
MAX_BW = 8 << 20        # bytes/s: RAM's first pass takes seconds
TRACES = ("vfio_device_dirty_tracking_start", "vfio_get_dirty_bitmap",
          "iommufd_backend_get_dirty_bitmap")
WAIT = 30 * int(os.environ.get("SVF_TIMEOUT_SCALE", "1"))


def common(vm, off, size, val=None):
    """Virtio common configuration field at OFF (virtio_pci_common_cfg)."""
    if val is None:
        return vm.mmio_read(BAR4 + off, size)
    return vm.mmio_write(BAR4 + off, size, val)


def drive(vm):
    """A virtio-pci driver up to a published request; (notify GPA, diag)."""
    vm.cfg_write(q.SLOT, 0x20, 4, BAR4 | 0x4)     # BAR4, 64-bit memory
    vm.cfg_write(q.SLOT, 0x24, 4, 0)
    vm.cfg_write(q.SLOT, 0x04, 2, 0x0006)         # memory, bus master
    common(vm, 0x14, 1, 0)                         # status: reset
    common(vm, 0x14, 1, 0x3)                       # ACKNOWLEDGE | DRIVER
    common(vm, 0x00, 4, 1)                         # device features 32..63
    if not (common(vm, 0x04, 4) or 0) & 1:
        return None, "device does not offer VIRTIO_F_VERSION_1"
    common(vm, 0x08, 4, 0)
    common(vm, 0x0c, 4, 0)
    common(vm, 0x08, 4, 1)
    common(vm, 0x0c, 4, 1)                         # VERSION_1 only
    common(vm, 0x14, 1, 0xb)                       # | FEATURES_OK
    if common(vm, 0x14, 1) != 0xb:
        return None, f"FEATURES_OK not kept: status {common(vm, 0x14, 1)}"
    common(vm, 0x16, 2, 0)                         # queue_select 0
    if (common(vm, 0x18, 2) or 0) < QSIZE:
        return None, f"queue 0 size {common(vm, 0x18, 2)} < {QSIZE}"
    common(vm, 0x18, 2, QSIZE)
    common(vm, 0x1a, 2, 0xffff)                    # no MSI-X vector
    for off, gpa in ((0x20, DESC), (0x28, AVAIL), (0x30, USED)):
        common(vm, off, 4, gpa)
        common(vm, off + 4, 4, 0)
    noff = common(vm, 0x1e, 2) or 0                # queue_notify_off
    common(vm, 0x1c, 2, 1)                         # queue_enable
    common(vm, 0x14, 1, 0xf)                       # | DRIVER_OK
    st = common(vm, 0x14, 1)
    if st != 0xf:
        return None, f"status {st} after DRIVER_OK"
    # One IN request: header (type 0, sector START), the buffer, status.
    vm.mem_write(HDR, struct.pack("<IIQ", 0, 0, START))
    vm.mem_write(STATUS, b"\xee")
    vm.qtest(f"memset {BUF:#x} 0x1000 0xee")
    desc = struct.pack("<QIHH", HDR, 16, 1, 1) + \
        struct.pack("<QIHH", BUF, COUNT * 512, 1 | 2, 2) + \
        struct.pack("<QIHH", STATUS, 1, 2, 0)
    vm.mem_write(DESC, desc)
    vm.mem_write(AVAIL, struct.pack("<HHH", 0, 1, 0))   # flags, idx 1, head 0
    return BAR4 + NOTIFY + noff * 4, \
        f"status {st:#x}, queue 0: {QSIZE} entries, notify at +{noff * 4:#x}"


def used_idx(vm):
    d = vm.mem_read(USED + 2, 2)
    return struct.unpack("<H", d)[0] if d else None


def main(backend):
    qemu = q.qemu10_or_bail()
    if not q.kernel_dma_log():
        print("TAP version 13\n1..1")
        print(f"ok 1 # SKIP {backend}: the running kernel cannot report DMA dirty pages "
              "(no CONFIG_IOMMUFD_DRIVER): the device offers no DMA logging and "
              "QEMU's default refuses it (sf_blk/qemu10_passthrough.sh)")
        return 0
    tap = q.Tap(1 + len(CHECKS))
    u_src = q.sf_uuid(0x52000000, 1 if backend == "container" else 3)
    u_dst = q.sf_uuid(0x52000000, 2 if backend == "container" else 4)
    why = q.sf_setup([u_src, u_dst])
    if not why:
        ok, out = q.vblk(u_src, "write", str(START), str(COUNT), "83")
        why = "" if ok else f"svf-vblk write: {out}"
    if not tap.ok(not why, f"two instances of {q.SF_TYPE} on SF 0, sectors "
                  f"{START}..{START + COUNT - 1} written ({backend})", why):
        tap.rest(CHECKS, "no instances")
        return tap.done()
    vms = []
    try:
        run(tap, qemu, backend, u_src, u_dst, vms)
    finally:
        q.quit_all(tap, vms, CHECKS[10])
    why = q.sf_remove([u_src, u_dst])
    tap.ok(not why, CHECKS[11], why)
    return tap.done()


def run(tap, qemu, backend, u_src, u_dst, vms):
    """CHECKS[0] to CHECKS[9]; the QEMUs started go to VMS."""
    _, sock = q.mig_paths("sf")
    dev = "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=dev0,addr=%#x"
    extra = []
    if backend == "iommufd":
        dev += ",iommufd=ifd0"
        extra = ["-object", "iommufd,id=ifd0"]
    src = q.Qemu(qemu, "sfd-src", dev % (u_src, q.SLOT), extra=extra, qtest=True,
                 mem=MEM, trace=TRACES)
    vms.append(src)
    blockers = (src.ret("query-migrate") or {}).get("blocked-reasons", [])
    mode = src.ret("qom-get", path="/machine/peripheral/dev0",
                   property="enable-migration")
    if not tap.ok(src.alive() and src.qt and not blockers and mode == "auto",
                  f"{CHECKS[0]} ({backend}, enable-migration={mode})",
                  f"blocked-reasons {blockers}\n{src.errors()[-1500:]}"):
        tap.rest(CHECKS[1:10], "no source VM")
        return
    notify, diag = drive(src)
    if not tap.ok(notify, CHECKS[1], diag):
        tap.rest(CHECKS[2:10], "no driver")
        return
    q.ram_fill(src, MEM)
    bw = src.cmd("migrate-set-parameters", **{"max-bandwidth": MAX_BW})
    dst = q.Qemu(qemu, "sfd-dst", dev % (u_dst, q.SLOT),
                 extra=extra + ["-incoming", f"unix:{sock}"], qtest=True, mem=MEM,
                 trace=TRACES)
    vms.append(dst)
    r = bw if "error" in bw else src.cmd("migrate", uri=f"unix:{sock}")
    mig, ram, t0 = {}, {}, time.time()
    while time.time() - t0 < WAIT and "error" not in r:
        mig = src.ret("query-migrate") or {}
        ram = mig.get("ram") or {}
        if mig.get("status") not in ("setup", "active") or \
                (ram.get("normal") or 0) >= 256:
            break
        time.sleep(0.05)
    if not tap.ok("error" not in r and mig.get("status") == "active" and
                  (ram.get("normal") or 0) >= 256,
                  f"{CHECKS[2]} ({ram.get('normal')} pages of data sent)",
                  f"max-bandwidth {MAX_BW}, then migrate: {r}\n" +
                  "\n".join(q.figures(mig))):
        tap.rest(CHECKS[3:10], "no mid-migration moment")
        return
    lines = src.output().splitlines()
    before, mark = q.dirty_pages(lines), len(lines)
    src.mmio_write(notify, 2, 0)
    t0 = time.time()
    while used_idx(src) != 1 and time.time() - t0 < WAIT:
        time.sleep(0.05)
    status = src.mem_read(STATUS, 1)
    block = src.mem_read(BUF, COUNT * 512)
    marker = block == b"\xee" * (COUNT * 512)
    tap.ok(used_idx(src) == 1 and status == b"\x00" and block and not marker,
           f"{CHECKS[3]} (used idx {used_idx(src)}, status {status})",
           f"after {time.time() - t0:.1f} s; buffer "
           f"{'still the marker' if marker else 'written'}")
    done, mig, diag = q.migrate_wait(src)
    vfio = (mig.get("vfio") or {}).get("transferred")
    if not tap.ok(done, f"{CHECKS[4]} (downtime {mig.get('downtime')} ms, total "
                  f"{mig.get('total-time')} ms, vfio {vfio} B)",
                  "\n".join(diag + [f"source output: {src.errors()[-1500:]}"])):
        tap.rest(CHECKS[5:10], f"migration {mig.get('status')}")
        return
    out = src.output()
    after = q.dirty_pages(out.splitlines()[mark:])
    tap.ok("vfio_device_dirty_tracking_start" in out and after,
           f"{CHECKS[5]} ({len(before)} reports before the notify, "
           f"{len(after)} after)",
           "\n".join(l for l in out.splitlines() if "dirty_tracking_start" in l))
    tap.ok(before and sum(before) == 0 and sum(after) == 3,
           f"{CHECKS[6]} (dirty pages before {sum(before)}, after {sum(after)})",
           f"before: {before}\nafter: {after}")
    ok, diag = q.wait_incoming(dst)
    if not tap.ok(ok, CHECKS[7], f"{diag}\n{dst.errors()[-1500:]}"):
        tap.rest(CHECKS[8:10], "destination did not load")
        return
    got = dst.mem_read(BUF, COUNT * 512)
    st_dst = dst.mem_read(STATUS, 1)
    tap.ok(got == block and used_idx(dst) == 1 and st_dst == b"\x00", CHECKS[8],
           f"destination buffer {'equals' if got == block else 'DIFFERS from'} the "
           f"source's; used idx {used_idx(dst)}, status byte {st_dst}")
    r = dst.cmd("cont")
    time.sleep(1)
    st = dst.status()
    tap.ok(st == "running", f"{CHECKS[9]} (status {st})", f"cont: {r}")
