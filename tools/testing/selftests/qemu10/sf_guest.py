# SPDX-License-Identifier: GPL-2.0
"""A real guest's own virtio-blk driver writes to an SF mdev while QEMU 10
live-migrates the VM, and verifies every block after.

Two instances of q10lib.SF_TYPE on SF 0 of the simulator.  A nested guest
(QEMU 10 under TCG in the test guest, -m 256) boots Debian's target kernel
(/boot/vmlinuz-<scripts/kver.sh>) with an initramfs built here under
/tmp/svf-q10: the static /bin/busybox, that kernel's virtio_blk.ko (and
what modules.dep says it needs), decompressed, and an init (busybox sh):

 - loads virtio_blk, prints /dev/vda's capacity ("SVFG: vda N sectors");
 - makes IMAGES random images of BLOCKS 4-KiB blocks in RAM;
 - pass p writes slot p % R of the disk (R = capacity / BLOCKS blocks) with
   image p % IMAGES, one 4-KiB O_DIRECT write per block (busybox dd
   oflag=direct), printing "SVFG: pass p start ..." and "... done ..."; a
   failed write prints "SVFG: FAIL pass p" and is counted;
 - after each pass reads its console for one second: a "stop" line ends
   the passes;
 - reads back every slot written (its last writer's image) with
   iflag=direct, compares, prints "SVFG: verify PASS|FAIL: ..." with
   counts, and powers off.

The destination QEMU waits with -incoming unix:... (same kernel, initrd,
append, -m), the source starts running (no -S); both have
-device vfio-pci,sysfsdev=<instance>,enable-migration=on and a serial
chardev socket with a logfile.  After PRE_PASSES passes on the source,
migrate with QEMU's default parameters; the destination runs on by itself.
Once the destination's console shows a pass started and completed there
(writes issued after the switchover succeed), "stop" goes to its serial
port.  Slots written before the migration are read back on the
destination, so the instance's store (carried by the stream) and the
requests in flight at the switchover are checked as well as new writes.

Asserted: the instances are created; the initramfs is built (missing
busybox, kernel or virtio_blk.ko is a failure); the source guest's
virtio_blk bound the instance (capacity line) and wrote PRE_PASSES
passes; the migration completed (QEMU's figures); the destination guest
completed a pass started after the migration, with no failed write; the
guest's read-back found every block as last written and it powered off;
both QEMUs exited with status 0 and printed nothing unexpected
(q10lib.KNOWN); the instances are removed.  Times (boot to first pass,
migration total and downtime, whole test) are printed as diagnostics.

Time limits scale with SVF_TIMEOUT_SCALE.
"""
import os
import re
import shutil
import subprocess
import time

import q10lib as q

CHECKS = [
    "source guest booted and its virtio_blk bound the instance",
    "source guest wrote passes before the migration",
    "migration completed",
    "destination guest completed a pass started after the migration",
    "guest's read-back found every block as last written, guest powered off",
    "both QEMUs exited cleanly",
    "both instances removed",
]
MEM = 256               # MiB of the nested guest
BLOCKS = 64             # 4-KiB blocks per pass (one slot)
IMAGES = 8              # distinct random images, pass p writes image p % IMAGES
PRE_PASSES = 2          # passes completed on the source before migrating
SCALE = int(os.environ.get("SVF_TIMEOUT_SCALE", "1"))
BOOT_WAIT = 400 * SCALE     # QEMU start to the first completed pass
PASS_WAIT = 120 * SCALE     # for further passes
VERIFY_WAIT = 180 * SCALE   # "stop" to the verification line and power-off
APPEND = "console=ttyS0 quiet panic=-1"
PASS = re.compile(r"^SVFG: pass (\d+) (start|done)", re.M)

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "SVFG: $*"; }
die() { say "FAIL $*"; sync; poweroff -f; }
say "init at $(up) s"
for m in $(cat /modules); do
	insmod /lib/$m || die "insmod $m"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
[ -b /dev/vda ] || die "no /dev/vda: virtio_blk did not bind the instance"
sectors=$(cat /sys/block/vda/size)
say "vda $sectors sectors at $(up) s"
N=@BLOCKS@
K=@IMAGES@
R=$((sectors / 8 / N))
[ $R -gt 0 ] || die "vda holds no slot of $N blocks"
k=0
while [ $k -lt $K ]; do
	dd if=/dev/urandom of=/img$k bs=4096 count=$N 2>/dev/null || die "image $k"
	k=$((k + 1))
done
p=0
errs=0
while :; do
	s=$((p % R))
	say "pass $p start slot $s at $(up) s"
	if ! dd if=/img$((p % K)) of=/dev/vda bs=4096 seek=$((s * N)) count=$N \
			oflag=direct conv=notrunc 2>/err; then
		errs=$((errs + 1))
		say "FAIL pass $p: $(tail -n 1 /err)"
	fi
	say "pass $p done at $(up) s"
	p=$((p + 1))
	if read -t 1 cmd; then
		case "$cmd" in *stop*) break ;; esac
	fi
done
last=$((p - 1))
n=$p
[ $n -gt $R ] && n=$R
say "stop after pass $last at $(up) s, reading back $n slots"
s=0
bad=0
while [ $s -lt $n ]; do
	w=$((last - (last - s) % R))
	img=/img$((w % K))
	rm -f /back
	dd if=/dev/vda of=/back bs=4096 skip=$((s * N)) count=$N iflag=direct 2>/err ||
		say "slot $s: read failed: $(tail -n 1 /err)"
	if ! cmp -s /back $img; then
		b=$(cmp -l /back $img 2>/dev/null |
			awk '{ print int(($1 - 1) / 4096) }' | uniq | wc -l)
		[ -s /back ] && [ $(wc -c < /back) -eq $((N * 4096)) ] || b=$N
		[ $b -gt 0 ] || b=$N
		bad=$((bad + b))
		say "slot $s (pass $w): $b of $N blocks differ"
	fi
	s=$((s + 1))
done
if [ $bad -eq 0 ] && [ $errs -eq 0 ]; then
	r=PASS
else
	r=FAIL
fi
say "verify $r: $((n * N)) blocks in $n slots of $p passes read back," \
	"$bad differ, $errs failed writes at $(up) s"
sync
poweroff -f
"""


def target_kernel():
    """Debian's target kernel release (scripts/kver.sh), not the running one."""
    r = subprocess.run([f"{q.TOP}/scripts/kver.sh"], capture_output=True, text=True,
                       check=False)
    return r.stdout.strip(), r.stderr.strip()


def module_dir(kver, view):
    """/lib/modules/KVER; under the debug kernel a tmpfs with only its own
    modules covers /lib/modules, so then the root file system's directory,
    seen through a non-recursive bind mount of / at VIEW.  (dir, diag)."""
    d = f"/lib/modules/{kver}"
    if os.path.isdir(f"{d}/kernel"):
        return d, ""
    os.makedirs(view, exist_ok=True)
    r = subprocess.run(["mount", "--bind", "/", view], capture_output=True, text=True,
                       check=False)
    if r.returncode:
        return None, f"{d} hidden and mount --bind / {view}: {r.stderr.strip()}"
    return f"{view}{d}", f"{d} is covered (another kernel's modules): read below it"


def unpack(src, dst):
    """Copy module SRC to DST, decompressing .xz/.zst/.gz; error text or ""."""
    tools = {".xz": ["xz", "-dc"], ".zst": ["zstd", "-dc"], ".gz": ["gzip", "-dc"]}
    ext = os.path.splitext(src)[1]
    if ext not in tools:
        shutil.copyfile(src, dst)
        return ""
    with open(dst, "wb") as out:
        r = subprocess.run([*tools[ext], src], stdout=out, stderr=subprocess.PIPE,
                           check=False)
    return f"{' '.join(tools[ext])} {src}: {r.stderr.decode().strip()}" if r.returncode else ""


def build_initramfs():
    """The nested guest's kernel and initramfs; (kernel, initrd, diag, why-not)."""
    kver, err = target_kernel()
    if not kver:
        return None, None, "", f"no target kernel: scripts/kver.sh: {err}"
    kernel = f"/boot/vmlinuz-{kver}"
    if not os.access(kernel, os.R_OK):
        return None, None, "", f"{kernel} missing or unreadable (linux-image-{kver})"
    if not os.access("/bin/busybox", os.X_OK):
        return None, None, "", "/bin/busybox missing (busybox-static, make deps)"
    stage = f"{q.TMP}/guest-root"
    view = f"{q.TMP}/rootview"
    shutil.rmtree(stage, ignore_errors=True)
    for d in ("bin", "dev", "proc", "sys", "lib"):
        os.makedirs(f"{stage}/{d}")
    moddir, diag = module_dir(kver, view)
    try:
        if not moddir:
            return None, None, diag, diag
        deps = {}
        try:
            with open(f"{moddir}/modules.dep", encoding="utf-8") as f:
                for line in f:
                    mod, _, rest = line.partition(":")
                    deps[mod] = rest.split()
        except OSError as e:
            return None, None, diag, f"{moddir}/modules.dep: {e.strerror}"
        blk = [m for m in deps if re.search(r"/virtio_blk\.ko(\.\w+)?$", m)]
        if not blk:
            return None, None, diag, f"virtio_blk.ko not in {moddir}/modules.dep"
        order = list(reversed(deps[blk[0]])) + blk
        names = []
        for m in order:
            name = re.sub(r"\.ko\.\w+$", ".ko", os.path.basename(m))
            err = unpack(f"{moddir}/{m}", f"{stage}/lib/{name}")
            if err:
                return None, None, diag, err
            names.append(name)
    finally:
        if moddir and moddir.startswith(view):
            subprocess.run(["umount", view], check=False)
    shutil.copy2("/bin/busybox", f"{stage}/bin/busybox")
    with open(f"{stage}/modules", "w", encoding="utf-8") as f:
        f.write("\n".join(names) + "\n")
    with open(f"{stage}/init", "w", encoding="utf-8") as f:
        f.write(INIT.replace("@BLOCKS@", str(BLOCKS)).replace("@IMAGES@", str(IMAGES)))
    os.chmod(f"{stage}/init", 0o755)
    initrd = f"{q.TMP}/guest-initrd.gz"
    r = subprocess.run(f"cd {stage} && find . | cpio -o -H newc --quiet | gzip -1 > {initrd}",
                       shell=True, capture_output=True, text=True, check=False)
    if r.returncode:
        return None, None, diag, f"cpio/gzip: {r.stderr.strip()}"
    diag = "\n".join(filter(None, [diag, f"kernel {kernel}, modules {' '.join(names)}, "
                                   f"initrd {os.path.getsize(initrd)} bytes"]))
    return kernel, initrd, diag, ""


def passes(text):
    """{pass: set of "start"/"done"} from a console's text."""
    out = {}
    for m in PASS.finditer(text):
        out.setdefault(int(m.group(1)), set()).add(m.group(2))
    return out


def done_passes(text):
    return sorted(p for p, s in passes(text).items() if "done" in s)


def wait_console(vm, cond, timeout):
    """Poll VM's console until COND(text) is true; (result, seconds waited)."""
    t0 = time.time()
    while True:
        text = vm.console_text()
        r = cond(text)
        if r or time.time() - t0 > timeout or vm.proc.poll() is not None:
            return r, time.time() - t0
        time.sleep(0.5)


def tail(vm, n=15):
    lines = vm.console_text().splitlines()
    return f"{vm.name} console (last {n} lines):\n" + "\n".join(lines[-n:])


# On the debug kernel the nested guest reached its first pass 256-386 s
# after QEMU started and the test took 414 s when it passed (measured
# 2026-12-01), too long for every debug-lane run: it runs there only when
# asked (SVF_Q10_GUEST_DEBUG=1, see vm.conf).
DEBUG_FLAG = f"{q.TOP}/build/vm/groups/tools_testing_selftests-qemu10/tmp/q10-guest-debug"


def main():
    t_test = time.time()
    if os.uname().release.endswith("-snapvf-debug") and not on_debug_asked():
        print("TAP version 13\n1..1")
        print("ok 1 # SKIP debug kernel: the nested guest needs 256-386 s to its first pass "
              "and the test about 7 minutes here; it runs on the target kernel "
              "(SVF_Q10_GUEST_DEBUG=1 runs it here)")
        return 0
    tap = q.Tap(2 + len(CHECKS))
    qemu = q.qemu10_or_bail()
    u_src, u_dst = q.sf_uuid(0x54000000, 1), q.sf_uuid(0x54000000, 2)
    why = q.sf_setup([u_src, u_dst])
    if not tap.ok(not why, f"two instances of {q.SF_TYPE} on SF 0", why):
        tap.rest(["initramfs built"] + CHECKS, "no instances")
        return tap.done()
    tap.diag(f"source {u_src} destination {u_dst} qemu={qemu}")
    kernel, initrd, diag, why = build_initramfs()
    if not tap.ok(not why, "nested guest's initramfs built (busybox, virtio_blk.ko, init)",
                  diag if not why else why):
        tap.rest(CHECKS[:-1], "no initramfs")
    else:
        vms = []
        try:
            run(tap, qemu, kernel, initrd, u_src, u_dst, vms)
        finally:
            q.quit_all(tap, vms, CHECKS[5])
    why = q.sf_remove([u_src, u_dst])
    tap.ok(not why, CHECKS[6], why)
    tap.diag(f"whole test: {time.time() - t_test:.1f} s")
    return tap.done()


def on_debug_asked():
    try:
        return q.rd(DEBUG_FLAG) == "1"
    except OSError:
        return False


def run(tap, qemu, kernel, initrd, u_src, u_dst, vms):
    """CHECKS[0] to CHECKS[4]; the QEMUs started go to VMS."""
    _, sock = q.mig_paths("sfg")
    dev = "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=dev0,addr=%#x,enable-migration=on"
    boot = dict(mem=MEM, paused=False, console=True, kernel=kernel, initrd=initrd,
                append=APPEND)
    dst = q.Qemu(qemu, "sfg-dst", dev % (u_dst, q.SLOT),
                 extra=["-no-reboot", "-incoming", f"unix:{sock}"], **boot)
    vms.append(dst)
    src = q.Qemu(qemu, "sfg-src", dev % (u_src, q.SLOT), extra=["-no-reboot"], **boot)
    vms.append(src)
    if not dst.alive() or not src.alive() or not src.con or not dst.con:
        tap.ok(False, CHECKS[0], f"QEMU did not start or no console:\n{dst.errors()[-1500:]}"
               f"\n{src.errors()[-1500:]}")
        tap.rest(CHECKS[1:5], "no VMs")
        return
    cap, secs = wait_console(src, lambda t: re.search(r"SVFG: vda (\d+) sectors at ([\d.]+)", t)
                             and done_passes(t), BOOT_WAIT)
    m = re.search(r"SVFG: vda (\d+) sectors at ([\d.]+) s", src.console_text())
    init = re.search(r"SVFG: init at ([\d.]+) s", src.console_text())
    boot_diag = (f"first pass done {secs:.1f} s after QEMU started (wall); guest uptime at "
                 f"init {init.group(1) if init else '?'} s, at vda {m.group(2) if m else '?'} s"
                 f"; source {src.status()}, console {len(src.console_text())} bytes")
    if not tap.ok(bool(cap) and m and int(m.group(1)) > 0,
                  f"{CHECKS[0]} ({m.group(1) if m else 'no'} sectors)",
                  f"{boot_diag}\n{tail(src)}\n{src.errors()[-1000:]}"):
        tap.rest(CHECKS[1:5], "source guest did not boot to its first pass")
        return
    ok, secs = wait_console(src, lambda t: len(done_passes(t)) >= PRE_PASSES, PASS_WAIT)
    pre = done_passes(src.console_text())
    rate = ""
    times = [float(x) for x in re.findall(r"SVFG: pass \d+ done at ([\d.]+)",
                                          src.console_text())]
    if len(times) >= 2:
        rate = f", {(times[-1] - times[0]) / (len(times) - 1):.1f} s per pass (guest clock)"
    if not tap.ok(ok, f"{CHECKS[1]} ({len(pre)} passes of {BLOCKS} blocks{rate})",
                  tail(src)):
        tap.rest(CHECKS[2:5], "source guest does not write")
        return
    t_mig = time.time()
    done, mig, diag = q.migrate(src, f"unix:{sock}")
    src_text = src.console_text()
    if not tap.ok(done, f"{CHECKS[2]} (live, {q.limits()}: downtime {mig.get('downtime')} ms, "
                  f"total {mig.get('total-time')} ms, setup {mig.get('setup-time')} ms, vfio "
                  f"{(mig.get('vfio') or {}).get('transferred')} B)",
                  "\n".join(diag + [f"source output: {src.errors()[-1500:]}"])):
        tap.rest(CHECKS[3:5], f"migration {mig.get('status')}")
        return
    ok, diag = q.wait_incoming(dst)
    tap.diag(f"{diag}; status {dst.status()}; migration took {time.time() - t_mig:.1f} s "
             "(wall, polling)")
    src_passes = passes(src_text)
    spanned = [p for p, s in src_passes.items() if s == {"start"}]

    def after(text):
        return [p for p, s in passes(text).items() if s == {"start", "done"}]
    new, secs = wait_console(dst, after, PASS_WAIT)
    dtext = dst.console_text()
    fails = re.findall(r"^SVFG: FAIL.*$", src_text + dtext, re.M)
    pdiag = (f"source: passes {min(src_passes)}..{max(src_passes)} started, "
             f"{len(done_passes(src_text))} done there; "
             f"pass(es) {spanned} started on the source and finished on the destination; "
             f"destination: passes {new} started and done after the migration "
             f"({secs:.1f} s waited)")
    if not tap.ok(bool(new) and not fails, f"{CHECKS[3]} ({len(new or [])} passes)",
                  "\n".join([pdiag] + fails + [tail(dst)])):
        tap.rest(CHECKS[4:5], "destination guest does not write")
        return
    # Sent again every 20 s until the guest answers: on the debug kernel
    # (one run) the guest never saw the first "stop" and wrote on.
    sent, t_stop = [], time.time()

    def verified(text):
        if not re.search(r"^SVFG: stop after", text, re.M) and \
                time.time() - t_stop >= 20 * len(sent):
            sent.append(dst.console_send("stop\n"))
        return re.search(r"^SVFG: verify .*$", text, re.M)
    res, secs = wait_console(dst, verified, VERIFY_WAIT)
    rc = dst.wait_exit(30 * SCALE)
    line = res.group(0) if res else "no verify line"
    tap.ok(bool(res) and "verify PASS" in line and rc == 0,
           f"{CHECKS[4]} ({line.removeprefix('SVFG: ')})",
           f"stop sent {len(sent)} times ({all(sent)}); verification {secs:.1f} s after stop; "
           f"destination QEMU exit {rc}\n{tail(dst, 25 if not res or 'PASS' not in line else 4)}")
