#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load snapvf_mig and two test devices (TAP).
. "$SVF_TOP/tools/vm/guest-lib.sh"
echo "1..1"
if modprobe vfio_iommu_type1 && svf_modload snapvf_mig_test ndev=2 &&
   [ -e /sys/bus/platform/devices/svf_mig_test.1/checksum ]; then
	echo "ok 1 load snapvf_mig_test"
else
	echo "not ok 1 load snapvf_mig_test"
fi
