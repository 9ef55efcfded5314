#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A standard VMM's passthrough device model realizes an instance:
# qemu-system-x86_64 (TCG, -S) inside the guest with
# -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/<uuid>, checked over QMP.
#
# qemu_passthrough.sh          Debian's QEMU 7.2 (/usr/bin/qemu-system-x86_64)
# qemu_passthrough.sh qemu10   QEMU 10 from bookworm-backports (scripts/qemu10.sh),
#                              plus its version and its view of the
#                              instance's migration (query-migrate-capabilities,
#                              query-migrate's blocked-reasons, enable-migration)
#                              and, where the kernel cannot report DMA dirty
#                              pages (so the instance offers no DMA logging),
#                              a second run with enable-migration=on
. "$SVF_TOP/tools/vm/guest-lib.sh"
. ./sf_lib.sh
qemu10=0
[ "${1:-}" = qemu10 ] && qemu10=1
svf_kernel_dma_log; dma_log=$?
[ $dma_log -le 1 ] || { echo "Bail out! kernel config not found"; exit 1; }
if [ $qemu10 = 1 ]; then
	sf_plan $((dma_log ? 6 : 5))
	if ! qemu=$("$SVF_TOP/scripts/qemu10.sh" path 2>&1); then
		echo "Bail out! QEMU 10 missing: $qemu"
		exit 1
	fi
	u=$(sf_uuid 0x60000000 2)
else
	sf_plan 3
	qemu="qemu-system-x86_64"
	u=$(sf_uuid 0x60000000 1)
fi
sf_check "instance created" sf_create 0 $SF_T1 "$u"
if ! command -v "$qemu" >/dev/null; then
	sf_fail "$qemu not installed (Debian package qemu-system-x86)"
	sf_fail "skipped"
	sf_done
fi
sock=/tmp/sf-qmp.sock
# qemu_view DEVOPTS: realize the instance in a paused QEMU, print its view.
qemu_view() {
python3 - "$u" "$sock" "$qemu" "$qemu10" "$1" <<'PY'
import json, os, socket, subprocess, sys, time
uuid, sock, qemu, qemu10 = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
q = subprocess.Popen([qemu, "-machine", "q35", "-accel", "tcg",
    "-m", "128", "-S", "-nographic", "-nodefaults", "-display", "none",
    "-qmp", "unix:%s,server=on,wait=off" % sock,
    "-device", "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=sf0%s" % (uuid, sys.argv[5])],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
s = None
for _ in range(200):
    if q.poll() is not None:
        break
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sock); break
    except OSError:
        s = None; time.sleep(0.1)
if s is None:
    print("qemu exited:", q.stdout.read().decode(errors="replace")[-400:]); sys.exit(1)
f = s.makefile("rw")
def cmd(c, **a):
    f.write(json.dumps({"execute": c, "arguments": a}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
f.readline(); cmd("qmp_capabilities")
r = cmd("query-pci")
found = [d for b in r["return"] for d in b["devices"]
         if d.get("qdev_id") == "sf0"]
if found:
    d = found[0]
    print("realized %04x:%04x class %04x" % (d["id"]["vendor"], d["id"]["device"],
                                             d["class_info"]["class"]))
else:
    print("not found in query-pci")
if qemu10:
    ver = cmd("query-version").get("return", {})
    caps = cmd("query-migrate-capabilities").get("return", [])
    mig = cmd("query-migrate").get("return")
    prop = cmd("qom-get", path="/machine/peripheral/sf0",
               property="enable-migration").get("return")
    v = ver.get("qemu", {})
    print("version %s.%s.%s (%s)" % (v.get("major"), v.get("minor"), v.get("micro"),
                                     ver.get("package")))
    print("enable-migration %s" % prop)
    print("query-migrate-capabilities: %d capabilities, enabled: %s" %
          (len(caps), ", ".join(c["capability"] for c in caps if c.get("state")) or "none"))
    print("query-migrate %s" % json.dumps(mig))
    print("blocked-reasons %s" % json.dumps((mig or {}).get("blocked-reasons", [])))
cmd("quit")
rest = q.stdout.read().decode(errors="replace").strip()
q.wait(10)
print("qemu output: %s" % (rest or "(nothing)"))
sys.exit(0 if found else 1)
PY
}
out=$(qemu_view "")
rc=$?
echo "$out" | sed 's/^/# /'
sf_check "qemu realized vfio-pci on the instance ($(head -n 1 <<<"$out"))" \
	test $rc -eq 0 -a -n "$(grep '1af4:1042' <<<"$out")"
if [ $qemu10 = 1 ]; then
	sf_check "the VMM is QEMU 10 ($(sed -n 's/^version //p' <<<"$out"))" \
		grep -q '^version 10\.' <<<"$out"
	if [ $dma_log = 0 ]; then
		# The instance offers v2 migration and DMA logging (device dirty
		# tracking): with enable-migration=auto QEMU 10 must not block it.
		sf_check "QEMU 10 sees the instance as migratable (enable-migration=auto, no migration blocker)" \
			eval 'grep -qx "enable-migration auto" <<<"$out" && grep -qx "blocked-reasons \[\]" <<<"$out"'
	else
		# No DMA logging on this kernel (it could not report): auto mode
		# wants device or IOMMU dirty tracking and blocks; with
		# enable-migration=on QEMU uses the container's tracking.
		sf_check "without DMA logging QEMU 10 blocks auto mode for lack of device dirty tracking" \
			eval 'grep -qx "enable-migration auto" <<<"$out" && grep "^blocked-reasons" <<<"$out" | grep -q "dirty tracking"'
		out2=$(qemu_view ",enable-migration=on")
		rc2=$?
		echo "$out2" | sed 's/^/# on: /'
		sf_check "enable-migration=on: QEMU 10 migrates with the container's dirty tracking (warning, no blocker)" \
			eval '[ $rc2 = 0 ] && grep -qx "enable-migration on" <<<"$out2" && grep -qx "blocked-reasons \[\]" <<<"$out2" && grep -q "dirty tracking" <<<"$out2"'
	fi
fi
sf_check "instance removed after qemu quit" sf_remove "$u"
sf_done
