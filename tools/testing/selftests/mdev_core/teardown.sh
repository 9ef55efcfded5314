#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unload in dependency order; the parent goes away with live instances.
. "$SVF_TOP/tools/vm/guest-lib.sh"
echo "TAP version 13"
echo "1..2"
u=5e1f0000-0000-4000-8000-0000000000ee
echo $u > /sys/class/vmdev_test/vmdev_test0/mdev_supported_types/vmdev_test-small/create
if [ -d /sys/bus/mdev/devices/$u ]; then echo "ok 1 instance alive before unload"; else echo "not ok 1 instance alive before unload"; fi
if svf_modunload vmdev_test vfio_mdev_core && [ ! -d /sys/bus/mdev/devices/$u ]; then
	echo "ok 2 unload with a live instance"
else
	echo "not ok 2 unload with a live instance"
fi
