#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run svf-fuzz against the targets setup.sh listed, with the budget vm.conf
# left in the group's tmp directory.  Its TAP is this test's result.  The
# console log level goes down meanwhile (rejected streams and broken rings
# log one line each); dmesg, which the runner scans, keeps everything.
. "$SVF_TOP/tools/vm/guest-lib.sh"
budget=$SVF_TOP/build/vm/groups/tools_testing_selftests-fuzz/tmp/fuzz-budget
read -r ops secs < "$budget" 2>/dev/null
mapfile -t devs < /tmp/svf-fuzz-devs
if [ ${#devs[@]} = 0 ]; then
	echo "1..1"
	echo "not ok 1 - fuzz: no targets (setup.sh failed)"
	exit 1
fi
seed=${SVF_FUZZ_SEED:-$(date +%s)}
dmesg -n 1
"$SVF_TOP/tools/testing/fuzz/svf-fuzz" --seed "$seed" --ops "${ops:-100000}" \
	--time "${secs:-240}" --op-timeout 60 "${devs[@]}"
rc=$?
dmesg -n 4
exit $rc
