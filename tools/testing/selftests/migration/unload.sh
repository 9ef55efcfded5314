#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unload the test device and the layer (TAP): nothing may stay pinned.
. "$SVF_TOP/tools/vm/guest-lib.sh"
echo "1..1"
if svf_modunload snapvf_mig_test snapvf_mig; then
	echo "ok 1 unload snapvf_mig_test snapvf_mig"
else
	echo "not ok 1 unload snapvf_mig_test snapvf_mig"
fi
