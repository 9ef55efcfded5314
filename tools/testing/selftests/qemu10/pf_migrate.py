# SPDX-License-Identifier: GPL-2.0
"""QEMU 10 migrates a SNAP PF (snapvf_pci) from function A to function B.

main("file"): the source migrates to a file (file: URI), a destination
started with -incoming defer loads it with migrate-incoming.
main("live"): the destination waits with -incoming unix:..., the source
migrates to it.
main("live", "container" or "iommufd"): live, with QEMU's default vfio-pci
settings (enable-migration=auto) through the type1 container or
-object iommufd and the vfio cdev; only where the kernel can report DMA
dirty pages (the debug kernel), since QEMU's default needs device dirty
tracking.

Both VMs: TCG, -m 16, -nodefaults, -S, -device vfio-pci,host=...,
enable-migration=on unless a backend is named (the target kernel cannot
report DMA dirty pages, so the device offers no DMA logging and QEMU uses
the type1 container's dirty tracking).  Every open of a SNAP PF resets it, so A's state is put in
through the source VM after QEMU opened A: qtest programs BAR2 and turns
memory decoding on in the VM's config space, writes a 1 MiB pattern into
BAR2 and reads it back; the simulator's scratch register is set through
its knob.  The simulator's state_hash (BAR2 state bytes and registers) of
A then must be B's after the destination ran (cont), read while the
destination still holds B.  QEMU's figures from query-migrate are printed;
the default downtime limit stays.
"""
import os
import time

import q10lib as q

CHECKS = [
    "source QEMU 10 realized A with {mode}, no migration blocker",
    "A's state filled through the source VM (1 MiB BAR2 pattern, scratch)",
    "migration completed",
    "destination loaded the migration",
    "destination runs after cont",
    "B's device state equals A's (state_hash, scratch; BAR2 bytes via the VM)",
    "both QEMUs quit cleanly",
]
# With QEMU's defaults (a kernel that can report DMA dirty pages).
DIRTY = "QEMU started A's dirty tracking and fetched its reports, which name no page"
SCRATCH = "0x5eed0000c0ffee01"


def knob_when_decoding(bdf, name, secs=20):
    """A knob that needs memory decoding, retried while the VM turns it on."""
    deadline = time.time() + secs
    while True:
        v = q.pf_knob(bdf, name)
        if not v.startswith("<") or time.time() > deadline:
            return v
        time.sleep(0.5)


def bar2_via_vm(vm, want, secs=20 * int(os.environ.get("SVF_TIMEOUT_SCALE", "1"))):
    """B's BAR2 as the running VM sees it, until it reads @want.

    The destination's firmware runs after cont and may move the BAR
    between reading its address and reading through it, so a read is
    retried until it shows @want or @secs pass.
    """
    deadline = time.time() + secs
    data, where = None, "(BAR2 never mapped)"
    while time.time() < deadline:
        addr = q.bar_addr(vm, q.SLOT, 2)
        if addr is not None:
            data = vm.mem_read(addr, len(want))
            where = f"at {addr:#x}"
            if data == want:
                break
        time.sleep(0.5)
    return data, where


def main(flow, backend=None):
    """BACKEND None: enable-migration=on, on any kernel.  "container" or
    "iommufd": QEMU's default vfio-pci settings through that backend, where
    the kernel can report DMA dirty pages; then QEMU must also have started
    the device's dirty tracking and fetched its reports, which name no page
    (the simulated function does no DMA)."""
    qemu = q.qemu10_or_bail()
    if backend and not q.kernel_dma_log():
        print("TAP version 13\n1..1")
        print(f"ok 1 # SKIP {backend}: the running kernel cannot report DMA dirty pages "
              "(no CONFIG_IOMMUFD_DRIVER): the device offers no DMA logging and "
              "QEMU's default refuses it (pci/qemu10_passthrough.py)")
        return 0
    checks = CHECKS + ([DIRTY] if backend else [])
    checks[0] = checks[0].format(mode=f"enable-migration={'auto' if backend else 'on'}")
    tap = q.Tap(1 + len(checks))
    fns, why = q.pf_setup()
    ok = not why
    if ok:
        a, b = fns
        sizes = [q.pf_knob(x, "state_size") for x in (a, b)]
        ok = sizes[0] == sizes[1] == str(1 << 20)
        why = f"state_size A {sizes[0]}, B {sizes[1]} (both must be 1 MiB)"
    if not tap.ok(ok, f"A and B on snapvf_pci, state_size 1 MiB ({flow} flow)", why):
        tap.rest(checks, "no functions")
        return tap.done()
    tap.diag(f"A={a} B={b} qemu={qemu}")
    mig_file, sock = q.mig_paths("pf")
    dev = "vfio-pci,host=%s,id=dev0,addr=%#x"
    extra, trace, mode = [], (), "on"
    if not backend:
        dev += ",enable-migration=on"
    else:
        trace, mode = ("vfio_device_dirty_tracking_start", "vfio_get_dirty_bitmap"), "auto"
    if backend == "iommufd":
        dev += ",iommufd=ifd0"
        extra = ["-object", "iommufd,id=ifd0"]
    src = q.Qemu(qemu, "pf-src", dev % (a, q.SLOT), extra=extra, qtest=True, mem=q.PF_MEM,
                 trace=trace)
    dst = None
    try:
        blockers = (src.ret("query-migrate") or {}).get("blocked-reasons", [])
        got = src.ret("qom-get", path="/machine/peripheral/dev0",
                      property="enable-migration")
        if not tap.ok(src.alive() and src.qt and not blockers and got == mode,
                      checks[0] +
                      f" ({backend or 'container'})",
                      f"blocked-reasons {blockers}\n{src.errors()[-1500:]}"):
            tap.rest(checks[1:], "no source VM")
            return tap.done()

        pattern = q.pf_pattern(1 << 20, 7 if flow == "file" else 8)
        t0 = time.time()
        wr, back = q.pf_fill_bar2(src, pattern)
        secs = time.time() - t0
        q.wr(q.fn_knob(a, "scratch"), SCRATCH)
        hash_a = knob_when_decoding(a, "state_hash", 2)
        scratch_a = q.pf_knob(a, "scratch")
        if not tap.ok(wr == "OK" and back == pattern and not hash_a.startswith("<") and
                      int(scratch_a, 16) == int(SCRATCH, 16), checks[1],
                      f"qtest write {wr}, read back {'equal' if back == pattern else 'DIFFERENT'}"
                      f" ({secs:.1f} s); A state_hash {hash_a} scratch {scratch_a}"):
            tap.rest(checks[2:], "A's state could not be filled")
            return tap.done()

        # Guest RAM holds data, as a real guest's does.
        fill = q.ram_fill(src, q.PF_MEM)
        tap.diag(f"guest RAM {q.PF_MEM} MiB filled with 0x5a above 1 MiB: {fill}")
        if flow == "file":
            done, mig, diag = q.migrate(src, f"file:{mig_file}")
            if os.path.exists(mig_file):
                diag.append(f"migration file: {os.path.getsize(mig_file)} bytes")
        else:
            dst = q.Qemu(qemu, "pf-dst", dev % (b, q.SLOT), qtest=True, mem=q.PF_MEM,
                         extra=extra + ["-incoming", f"unix:{sock}"])
            done, mig, diag = q.migrate(src, f"unix:{sock}")
        if not tap.ok(done, f"{checks[2]} ({flow}, {q.limits()}: downtime "
                      f"{mig.get('downtime')} ms, total {mig.get('total-time')} ms, vfio "
                      f"{(mig.get('vfio') or {}).get('transferred')} B)",
                      "\n".join(diag + [f"source output: {src.errors()[-1500:]}"])):
            tap.rest(checks[3:], f"migration {mig.get('status')}")
            return tap.done()

        if flow == "file":
            dst = q.Qemu(qemu, "pf-dst", dev % (b, q.SLOT), qtest=True, mem=q.PF_MEM,
                         extra=extra + ["-incoming", "defer"])
            r = dst.cmd("migrate-incoming", uri=f"file:{mig_file}")
            if "error" in r:
                tap.diag(f"migrate-incoming: {r['error'].get('desc')}")
        ok, diag = q.wait_incoming(dst)
        if not tap.ok(ok, checks[3], f"{diag}\n{dst.errors()[-1500:]}"):
            tap.rest(checks[4:], "destination did not load")
            return tap.done()
        r = dst.cmd("cont")
        time.sleep(1)
        st = dst.status()
        tap.ok(st == "running", f"{checks[4]} (status {st})", f"cont: {r}")
        # Read while the destination holds B: its close resets B.
        hash_b = knob_when_decoding(b, "state_hash")
        scratch_b = q.pf_knob(b, "scratch")
        back_b, where = bar2_via_vm(dst, pattern)
        tap.ok(hash_b == hash_a and scratch_b == scratch_a and back_b == pattern,
               checks[5], f"A state_hash {hash_a} scratch {scratch_a}\n"
               f"B state_hash {hash_b} scratch {scratch_b}\n"
               f"B's BAR2 read through the running destination VM {where}: "
               f"{'equal' if back_b == pattern else 'DIFFERENT'} to the pattern")
    finally:
        rcs = [x.quit() for x in (src, dst) if x]
    errs = [l for x in (src, dst) if x for l in x.unexpected()]
    tap.ok(rcs == [0, 0] and not errs, f"{checks[6]} (exit {rcs})",
           "\n".join(errs[-20:]))
    if backend:
        out = src.output()
        pages = q.dirty_pages(out.splitlines())
        tap.ok("vfio_device_dirty_tracking_start" in out and pages and not sum(pages),
               f"{checks[7]} ({len(pages)} reports, {sum(pages)} pages)",
               "\n".join(l for l in out.splitlines() if "dirty_tracking_start" in l))
    return tap.done()
