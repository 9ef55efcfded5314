#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load vfio_mdev_core and the vmdev_test parent (TAP).
. "$SVF_TOP/tools/vm/guest-lib.sh"
echo "TAP version 13"
echo "1..1"
modprobe vfio_iommu_type1 2>/dev/null
if svf_modload vmdev_test && [ -d /sys/class/vmdev_test/vmdev_test0/mdev_supported_types ]; then
	echo "ok 1 load vfio_mdev_core + vmdev_test"
else
	echo "not ok 1 load vfio_mdev_core + vmdev_test"
	exit 1
fi
