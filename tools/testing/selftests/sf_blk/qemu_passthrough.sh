#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A standard VMM's passthrough device model realizes an instance:
# qemu-system-x86_64 (TCG, -S) inside the guest with
# -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/<uuid>, checked over QMP.
. "$SVF_TOP/tools/vm/guest-lib.sh"
. ./sf_lib.sh
sf_plan 3
u=$(sf_uuid 0x60000000 1)
sf_check "instance created" sf_create 0 $SF_T1 "$u"
if ! command -v qemu-system-x86_64 >/dev/null; then
	sf_fail "qemu-system-x86_64 not installed (Debian package qemu-system-x86)"
	sf_fail "skipped"
	sf_done
fi
sock=/tmp/sf-qmp.sock
out=$(python3 - "$u" "$sock" <<'PY'
import json, os, socket, subprocess, sys, time
uuid, sock = sys.argv[1], sys.argv[2]
q = subprocess.Popen(["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg",
    "-m", "128", "-S", "-nographic", "-nodefaults", "-display", "none",
    "-qmp", "unix:%s,server=on,wait=off" % sock,
    "-device", "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=sf0" % uuid],
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
cmd("quit"); q.wait(10)
sys.exit(0 if found else 1)
PY
)
rc=$?
echo "# $out"
sf_check "qemu realized vfio-pci on the instance ($out)" test $rc -eq 0 -a -n "$(grep '1af4:1042' <<<"$out")"
sf_check "instance removed after qemu quit" sf_remove "$u"
sf_done
