#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What a snapvf device costs a QEMU 10 migration, in QEMU's own figures.

For each device kind (a SNAP PF on snapvf_pci, an SF virtio-blk mdev on
snapvf_sf) and each flow of the qemu10 tests (live: the destination waits
with -incoming unix:..., the source migrates to it; file: the source
migrates to a file: URI, a destination started with -incoming defer loads
it), SVF_BENCH_ROUNDS (default 5, see vm.conf) alternating rounds migrate
the VM with the device, then the same VM without it.  Recorded per
migration: query-migrate's "downtime" and "total-time" on the source once
it is "completed".  Reported per kind and flow: the median of each side
and the ratio with/without, as a "# BENCH" line; every round's figures
as diagnostics.

The two sides differ only in the -device vfio-pci,...,enable-migration=on
option: the same QEMU 10 binary, machine, -m, traces and qtest socket
(q10lib.Qemu), the same flow, QEMU's default migration parameters
(downtime-limit 300 ms), and the same preparation of the VM as the tests
(pf_migrate.py, sf_migrate.py) do:

PF  a 16 MiB VM (q10lib.PF_MEM) with its RAM above 1 MiB filled with
    data; through qtest BAR2 of slot 4 is programmed, memory decoding
    turned on and a 1 MiB pattern written and read back (without the
    device the same qtest commands reach an empty slot and unassigned
    memory: only with it must the pattern read back).
SF  a 128 MiB VM; 128 known sectors are written to the source instance
    once, before the first round, so its stream carries them as the
    tests' does.

A migration is valid when the source reports "completed" and the
destination loaded it (q10lib.wait_incoming); the destination is not
continued: the figures are the source's.  Any migration that fails or a
QEMU that does not quit cleanly fails the program (that kind's and flow's
remaining rounds are not run); a missing QEMU 10 is a failure too.
"""
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
if "SVF_TOP" not in os.environ:
    print("Bail out! SVF_TOP is not set (run through 'make bench GROUPS=qemu10')")
    sys.exit(1)
# q10lib is the qemu10 tests' library: run-tests runs a group's programs in
# place (nothing is copied) and HELPERS name files of this directory only.
sys.path.insert(0, os.path.join(os.environ["SVF_TOP"], "tools/testing/selftests/qemu10"))
import q10lib as q  # noqa: E402  (after the path is set)

FLOWS = ("live", "file")
ROUNDS_FILE = f"{q.TOP}/build/vm/groups/tools_bench-qemu10/tmp/bench-rounds"
SF_START, SF_COUNT, SF_SEED = 64, 128, "83"


def rounds():
    """SVF_BENCH_ROUNDS: rounds per kind and flow (default 5), from the
    environment or, under run-tests, from what vm.conf left in the group's
    tmp directory."""
    v = os.environ.get("SVF_BENCH_ROUNDS")
    if v is None:
        try:
            v = q.rd(ROUNDS_FILE)
        except OSError:
            v = "5"
    if not v.isdigit() or int(v) < 1:
        q.bail(f"SVF_BENCH_ROUNDS must be a positive integer, not '{v}'")
    return int(v)


class Kind:
    """One device kind: its -device options, its VM and how it is prepared."""

    def __init__(self, name, src_dev, dst_dev, mem, qtest, prep=None):
        self.name = name
        self.src_dev, self.dst_dev = src_dev, dst_dev
        self.mem, self.qtest = mem, qtest
        self.prep = prep or (lambda vm, with_dev: "")


def pf_kind():
    """The PF kind on functions A and B, or (None, why)."""
    fns, why = q.pf_setup()
    if why:
        return None, why
    a, b = fns
    sizes = [q.pf_knob(x, "state_size") for x in fns]
    pattern = q.pf_pattern(1 << 20, 9)

    def prep(vm, with_dev):
        wrote, back = q.pf_fill_bar2(vm, pattern)
        if with_dev and (wrote != "OK" or back != pattern):
            return (f"BAR2 pattern: qtest write {wrote}, read back "
                    f"{'equal' if back == pattern else 'DIFFERENT'}")
        fill = q.ram_fill(vm, q.PF_MEM)
        return "" if fill == "OK" else f"RAM fill: qtest memset {fill}"

    dev = "vfio-pci,host=%s,id=dev0,addr=%#x,enable-migration=on"
    kind = Kind("pf", dev % (a, q.SLOT), dev % (b, q.SLOT), q.PF_MEM, True, prep)
    return kind, (f"SNAP PF A={a} -> B={b} (state_size {sizes[0]}, {sizes[1]}), "
                  f"-m {q.PF_MEM}, RAM filled above 1 MiB, 1 MiB BAR2 pattern")


def sf_kind(uuids):
    """The SF kind on two mdev instances UUIDS, or (None, why)."""
    why = q.sf_setup(uuids)
    if why:
        return None, why
    ok, out = q.vblk(uuids[0], "write", str(SF_START), str(SF_COUNT), SF_SEED)
    if not ok:
        return None, f"svf-vblk write to the source instance: {out}"
    dev = "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=dev0,addr=%#x,enable-migration=on"
    kind = Kind("sf", dev % (uuids[0], q.SLOT), dev % (uuids[1], q.SLOT), 128, False)
    return kind, (f"SF mdev {uuids[0]} -> {uuids[1]} ({q.SF_TYPE}), -m 128, "
                  f"sectors {SF_START}..{SF_START + SF_COUNT - 1} written")


def migrate_once(qemu, kind, flow, with_dev, vms):
    """One migration of KIND's VM by FLOW: (query-migrate reply, error or "").

    The QEMUs started go to VMS (the caller quits them)."""
    src_dev = kind.src_dev if with_dev else None
    dst_dev = kind.dst_dev if with_dev else None
    mig_file, sock = q.mig_paths(f"bench-{kind.name}")
    name = f"bench-{kind.name}"
    src = q.Qemu(qemu, f"{name}-src", src_dev, qtest=kind.qtest, mem=kind.mem)
    vms.append(src)
    if not src.alive() or (kind.qtest and not src.qt):
        return {}, f"source QEMU did not start: {src.errors()[-1500:]}"
    blockers = (src.ret("query-migrate") or {}).get("blocked-reasons", [])
    if blockers:
        return {}, f"migration blocked: {blockers}"
    why = kind.prep(src, with_dev)
    if why:
        return {}, why
    dst = None
    if flow == "live":
        uri = f"unix:{sock}"
        dst = q.Qemu(qemu, f"{name}-dst", dst_dev, qtest=kind.qtest, mem=kind.mem,
                     extra=["-incoming", uri])
        vms.append(dst)
    else:
        uri = f"file:{mig_file}"
    done, mig, diag = q.migrate(src, uri)
    if not done:
        return mig, "\n".join(["migration failed:"] + diag +
                              [f"source output: {src.errors()[-1500:]}"] +
                              ([f"destination output: {dst.errors()[-1500:]}"] if dst else []))
    if flow == "file":
        dst = q.Qemu(qemu, f"{name}-dst", dst_dev, qtest=kind.qtest, mem=kind.mem,
                     extra=["-incoming", "defer"])
        vms.append(dst)
        r = dst.cmd("migrate-incoming", uri=uri)
        if "error" in r:
            return mig, f"migrate-incoming {uri}: {r['error'].get('desc')}"
    ok, diag = q.wait_incoming(dst)
    if not ok:
        return mig, f"destination did not load the migration: {diag}\n{dst.errors()[-1500:]}"
    return mig, ""


def one_round(tap, qemu, kind, flow, with_dev):
    """migrate_once, then both QEMUs quit: (query-migrate reply, error or "")."""
    vms = []
    try:
        mig, why = migrate_once(qemu, kind, flow, with_dev, vms)
    finally:
        rcs = [vm.quit() for vm in vms]
    if not why and any(rc != 0 for rc in rcs):
        why = f"QEMU exit statuses {rcs} (source, destination)"
    odd = [line for vm in vms for line in vm.unexpected()]
    if odd:
        tap.diag("QEMU printed:\n" + "\n".join(odd[-10:]))
    return mig, why


def describe(mig):
    """One migration's figures from its query-migrate reply, in one line."""
    ram = mig.get("ram") or {}
    vfio = mig.get("vfio") or {}
    return (f"downtime {mig.get('downtime')} ms, total {mig.get('total-time')} ms, "
            f"setup {mig.get('setup-time')} ms, RAM {ram.get('transferred')} B "
            f"(dirty-sync-count {ram.get('dirty-sync-count')})" +
            (f", vfio {vfio['transferred']} B" if "transferred" in vfio else ""))


def ratio(a, b):
    """A/B as "2.2x" ("n/a" when B is 0)."""
    return f"{a / b:.1f}x" if b else "n/a"


def bench(tap, qemu, kind, flow, n):
    """N alternating rounds of KIND by FLOW; the TAP result and BENCH line."""
    figs = {True: [], False: []}
    t0 = time.time()
    for i in range(1, n + 1):
        for with_dev in (True, False):
            side = "with the device" if with_dev else "without"
            mig, why = one_round(tap, qemu, kind, flow, with_dev)
            if why:
                # migrate()'s diagnostics include the last query-migrate figures.
                return tap.ok(False, f"{kind.name} {flow}: round {i}/{n} {side} failed", why)
            tap.diag(f"{kind.name} {flow} round {i}/{n} {side}: {describe(mig)}")
            figs[with_dev].append((mig["downtime"], mig["total-time"]))
    med = {s: [statistics.median(f[k] for f in figs[s]) for k in (0, 1)] for s in figs}
    (dw, tw), (dn, tn) = med[True], med[False]
    tap.ok(True, f"{kind.name} {flow}: {n} alternating rounds with and without the "
           f"device migrated ({time.time() - t0:.0f} s)")
    print(f"# BENCH {kind.name} {flow}: downtime {dw:g} ms vs {dn:g} ms without the device "
          f"({ratio(dw, dn)}), total {tw:g} ms vs {tn:g} ms ({ratio(tw, tn)}), "
          f"{n} alternating rounds, {q.limits()}", flush=True)
    return True


def main():
    n = rounds()
    tap = q.Tap(2 * (1 + len(FLOWS)))
    qemu = q.qemu10_or_bail()
    tap.diag(f"qemu={qemu}; {n} rounds per kind and flow")
    t0 = time.time()
    uuids = [q.sf_uuid(0x52000000, 1), q.sf_uuid(0x52000000, 2)]
    for name, setup in (("pf", pf_kind), ("sf", lambda: sf_kind(uuids))):
        kind, what = setup()
        if not tap.ok(kind is not None, f"{name} setup: {what if kind else 'failed'}",
                      "" if kind else what):
            tap.rest([f"{name} {flow}" for flow in FLOWS], "no device")
            continue
        for flow in FLOWS:
            bench(tap, qemu, kind, flow, n)
    why = q.sf_remove(uuids)
    if why:
        tap.diag(f"removing the SF instances: {why}")
    tap.diag(f"{time.time() - t0:.0f} s")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
