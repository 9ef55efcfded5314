#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load the simulator and the SF driver, create volume 0, publish SF 0 and
# SF 1 on it and SF 2 on a private volume, check the mdev types they offer.
. "$SVF_TOP/tools/vm/guest-lib.sh"
. ./sf_lib.sh
sf_plan 7
sf_check "modules load (snapvf_sim, snapvf_sf)" svf_modload snapvf_sim
svf_modload snapvf_sf || sf_fail "snapvf_sf loads"
sf_check "volume 0 (64 MiB); SF 0 on it, served as an mdev parent" \
	eval 'sf_vol 0 64M && sf_new 0 vol:0'
sf_check "SF 1 on volume 0 as well, SF 2 (1 queue only) on a private volume" \
	eval 'sf_new 1 vol:0 && sf_new 2 1M 1 64'

t=$SF_AUX/snapvf_sim.sf.0/mdev_supported_types
sf_check "SF 0 lists both types" test -d "$t/$SF_T1" -a -d "$t/$SF_T4"
sf_check "SF 2 (1 queue) lists only the 1-queue type" \
	test -d "$SF_AUX/snapvf_sim.sf.2/mdev_supported_types/$SF_T1" -a \
	! -e "$SF_AUX/snapvf_sim.sf.2/mdev_supported_types/$SF_T4"
v=$(grep '^0 ' "$(sf_mgr_dbg)/volumes")
echo "$v" | grep -qE '^0 67108864 sim-[0-9a-f]{16} 2$' && sf_ok "volume 0 is attached to two SFs" ||
	sf_fail "volume 0 is attached to two SFs (volumes: '$v')"
api=$(cat "$t/$SF_T1/device_api" 2>/dev/null)
[ "$api" = vfio-pci ] && sf_ok "device_api is vfio-pci" || sf_fail "device_api is vfio-pci (got '$api')"
for f in name description available_instances; do
	echo "# $SF_T1/$f: $(cat "$t/$SF_T1/$f" | tr '\n' ' ')"
done
sf_done
