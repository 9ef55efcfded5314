#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# svfctl with the project's own modules in the guest: the simulator
# (manager: pci-testdev) publishes an ivshmem-plain function and an SF; the
# SF driver serves the SF as an mdev parent.  Checks list (aux device and
# parent), pick (snapvf_pci from the tree's vfio_pci: aliases, loaded through
# svf_modload), mdev types/create/remove through sysfs as mdevctl sees it,
# and the mdev bad inputs on a real parent.  TAP.
set -u
. "$SVF_TOP/tools/vm/guest-lib.sh"
S=$SVF_TOP/tools/svfctl/svfctl
AUX=/sys/bus/auxiliary/devices
n=0 rc=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; rc=1; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# expect STATUS DESC CMD...: exit status STATUS and one stderr line
expect() {
	local want=$1 d=$2 err got
	shift 2
	err=$("$@" 2>&1 >/dev/null); got=$?
	if [ "$got" = "$want" ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ]; then
		ok "$d"
	else
		nok "$d (status $got, want $want: $err)"
	fi
}

echo "TAP version 13"
echo "1..12"
tmp=$(mktemp -d)
check "snapvf_sim and snapvf_sf load" eval 'svf_modload snapvf_sim && svf_modload snapvf_sf'
mgr=$(ls -d /sys/bus/pci/drivers/snapvf_sim/0000:* 2>/dev/null | head -n 1)/snapvf_sim
ivs=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")$(cat "$d/device")" = 0x1af40x1110 ] && basename "$d"; done | head -n 1)
echo "# manager $mgr, ivshmem function $ivs"
check "the simulator publishes the ivshmem function" eval "echo $ivs > $mgr/new_function"
check "list --managed shows its aux device and parent" eval \
	"$S list --managed --json | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(not [x for x in r if x[\"address\"] == \"$ivs\" and x[\"parent\"] == \"snapvf_sim\" and x[\"aux\"].startswith(\"snapvf_sim.vfio_pci.\")])'"

# modules.alias as depmod would write it once snapvf_pci is installed
cp "/lib/modules/$(uname -r)/modules.alias" "$tmp/modules.alias"
modinfo -F alias "$(svf_ko snapvf_pci)" | sed 's/^/alias /; s/$/ snapvf_pci/' >> "$tmp/modules.alias"
printf '#!/bin/bash\n. "$SVF_TOP/tools/vm/guest-lib.sh"\nsvf_modload "$1"\n' > "$tmp/modload"
chmod +x "$tmp/modload"
check "pick chooses snapvf_pci for the function and loads it" eval \
	"$S pick $ivs --modules-alias $tmp/modules.alias --modprobe $tmp/modload | grep -q '^$ivs: snapvf_pci' && test -d /sys/module/snapvf_pci"

check "SF 0 published" eval "echo '0 1M 4 256' > $mgr/new_sf"
types=$AUX/snapvf_sim.sf.0/mdev_supported_types
t1=$(ls "$types" 2>/dev/null | grep -- '-1q$' | head -n 1)
t4=$(ls "$types" 2>/dev/null | grep -- '-4q$' | head -n 1)
echo "# types: $t1 $t4"
check "mdev types lists the SF's types with available instances" eval \
	"test -n '$t1' && $S mdev types snapvf_sim.sf.0 --json | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(not [x for x in r if x[\"type\"] == \"$t1\" and x[\"available_instances\"] > 0])'"
u=$($S mdev create snapvf_sim.sf.0 "$t1")
check "mdev create makes /sys/bus/mdev/devices/\$uuid" test -n "$u" -a -e "/sys/bus/mdev/devices/$u"
check "mdevctl list sees the instance" eval "test -n '$u' && mdevctl list | grep -q '$u'"
expect 3 "create of a type that does not exist: status 3" \
	$S mdev create snapvf_sim.sf.0 snapvf_sf-nope
avail=$(cat "$types/$t4/available_instances")
for i in $(seq 1 "$avail"); do $S mdev create snapvf_sim.sf.0 "$t4" >>"$tmp/uuids" 2>&1; done
expect 4 "create beyond available_instances ($avail): status 4" \
	$S mdev create snapvf_sim.sf.0 "$t4"
for x in $u $(cat "$tmp/uuids"); do $S mdev remove "$x" >/dev/null; done
check "mdev remove removes every instance" test -z "$(ls /sys/bus/mdev/devices)"
expect 3 "remove of a removed instance: status 3" $S mdev remove "${u:-8f0c3c2e-1b5d-4c57-9b1e-3a2f7d6e5c4b}"
rm -rf "$tmp"
exit $rc
