#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest runs the kernel its lane asked for.  On Debian's target kernel:
# that kernel, without the debug facilities.  On the debug test kernel
# (make check KERNEL=debug; its release ends in -snapvf-debug): KASAN,
# lockdep, kmemleak (no scanning thread), KCOV, UBSAN, IOMMUFD with the
# vfio device cdev are live, so that a clean run of the suite means
# something.
set -u
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
klog() { dmesg | grep -qE "$1"; }

echo "TAP version 13"
rel=$(uname -r)
case "$KVER" in
*-snapvf-debug)
	echo "1..11"
	check "running the requested kernel $KVER" test "$rel" = "$KVER"
	check "KASAN initialised" klog 'KernelAddressSanitizer initialized'
	check "lockdep initialised" klog 'Lock dependency validator'
	check "kmemleak initialised, its debugfs file present" \
		bash -c 'dmesg | grep -q "Kernel memory leak detector initialized" &&
			 test -e /sys/kernel/debug/kmemleak'
	check "kmemleak has no scanning thread (the runner scans)" \
		bash -c '! pgrep -x kmemleak >/dev/null'
	check "KCOV present (/sys/kernel/debug/kcov)" test -e /sys/kernel/debug/kcov
	check "UBSAN built in (ubsan_* symbols)" grep -q ' __ubsan_handle_out_of_bounds$' /proc/kallsyms
	check "IOMMUFD present (/dev/iommu)" test -c /dev/iommu
	check "intel-iommu with interrupt remapping enabled" klog 'DMAR-IR: Enabled IRQ remapping'
	check "vfio device cdev built in vfio" \
		bash -c 'modprobe vfio && grep -q " vfio_device_fops_cdev_open" /proc/kallsyms'
	check "iova_bitmap is real (IOMMUFD_DRIVER)" grep -q ' iova_bitmap_alloc$' /proc/kallsyms
	;;
*)
	echo "1..4"
	check "running the requested kernel $KVER" test "$rel" = "$KVER"
	check "it is Debian's kernel" grep -q 'Debian' /proc/version
	check "intel-iommu with interrupt remapping enabled" klog 'DMAR-IR: Enabled IRQ remapping'
	check "no KASAN (the debug lane's job)" bash -c '! dmesg | grep -q KernelAddressSanitizer'
	;;
esac
exit $((failed > 0))
