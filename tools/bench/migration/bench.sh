#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load the layer with two 256 MiB test devices and run the benchmark.
. "$SVF_TOP/tools/vm/guest-lib.sh"
cd "$(dirname "$0")" || exit 1
modprobe vfio_iommu_type1 || exit 1
svf_modload snapvf_mig_test ndev=2 state_size=$((256 << 20)) || exit 1
echo "# stream CRC32C implementation chosen by snapvf_mig: $(cat /sys/module/snapvf_mig/parameters/crc_impl)"
dmesg | grep -o "snapvf_mig: stream CRC32C.*" | sed 's/^/# /'
./mig_bench
rc=$?
svf_modunload snapvf_mig_test snapvf_mig || rc=1
exit $rc
