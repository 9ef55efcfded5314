#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Set up the fuzzer's targets (TAP) and list them in /tmp/svf-fuzz-devs,
# one svf-fuzz device argument per line:
#   - svf_mig_test.0/1: the migration layer's test devices, small states
#   - two SF virtio-blk mdevs (4 queues and 1 queue) on SF 0
#   - the ivshmem-plain functions as SNAP PFs on snapvf_pci, small states
#     (the simulator's state_size knob, 64 KiB)
. "$SVF_TOP/tools/vm/guest-lib.sh"
devs=/tmp/svf-fuzz-devs
: > $devs
n=0 rc=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; rc=1; }
echo "TAP version 13"
echo "1..3"

if modprobe vfio_iommu_type1 && svf_modload snapvf_mig_test ndev=2 state_size=65536 &&
   [ -e /sys/bus/platform/devices/svf_mig_test.1 ]; then
	echo /sys/bus/platform/devices/svf_mig_test.0 >> $devs
	echo /sys/bus/platform/devices/svf_mig_test.1 >> $devs
	ok "migration test devices"
else
	fail "migration test devices"
fi

aux=/sys/bus/auxiliary/devices
mgr=
if svf_modload snapvf_sim && svf_modload snapvf_sf; then
	for d in /sys/bus/pci/drivers/snapvf_sim/0000:*; do
		[ -e "$d/snapvf_sim/new_sf" ] && mgr=$d/snapvf_sim
	done
fi
t=$aux/snapvf_sim.sf.0/mdev_supported_types
u4=f0220000-5f5f-4b4b-8c8c-000000000004
u1=f0220000-5f5f-4b4b-8c8c-000000000001
if [ -n "$mgr" ] && echo "0 1M 4 256 8" > "$mgr/new_sf" &&
   echo $u4 > $t/snapvf_sf.blk-4q/create &&
   echo $u1 > $t/snapvf_sf.blk-1q/create; then
	echo "vblk:$u4" >> $devs
	echo "vblk:$u1" >> $devs
	ok "SF virtio-blk mdevs"
else
	fail "SF virtio-blk mdevs (manager '${mgr}')"
fi

pf=0
if [ -n "$mgr" ] && svf_modload snapvf_pci; then
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor)" = 0x1af4 ] && [ "$(cat $d/device)" = 0x1110 ] || continue
		bdf=${d##*/}
		echo "$bdf" > "$mgr/new_function" || continue
		[ -e "$d/driver" ] && echo "$bdf" > "$d/driver/unbind"
		echo snapvf_pci > "$d/driver_override"
		echo "$bdf" > /sys/bus/pci/drivers/snapvf_pci/bind || continue
		# the simulator's knob (debugfs); a function without it is no target
		echo 65536 > "$(svf_sim_fn_knob "$bdf" state_size)" || continue
		echo "$bdf" >> $devs
		pf=$((pf + 1))
	done
fi
if [ $pf -ge 2 ]; then ok "$pf SNAP PFs on snapvf_pci"; else fail "SNAP PFs on snapvf_pci ($pf bound)"; fi
sed 's/^/# target: /' $devs
exit $rc
