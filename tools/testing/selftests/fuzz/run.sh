#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run svf-fuzz against the targets setup.sh listed, with the budget vm.conf
# left in the group's tmp directory.  Its TAP (tests 1 and 2) is this
# test's result, plus test 3: no kernel splat during the run.
#
# The run makes our modules log one line per rejected stream or broken
# ring, enough to push early lines out of the kernel's ring buffer before
# the runner reads it at the end: the whole log is followed (dmesg -w,
# which survives the reader falling behind) into a file and scanned here.  The console log level
# goes down for the run (the serial console is slow under TCG).
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
log=/tmp/svf-fuzz-kmsg

dmesg -w > $log 2>/dev/null &
kmsg_pid=$!
dmesg -n 1
"$SVF_TOP/tools/testing/fuzz/svf-fuzz" --seed "$seed" --ops "${ops:-100000}" \
	--time "${secs:-360}" --op-timeout 60 "${devs[@]}" | sed -u '/^1\.\.2$/s//1..3/'
rc=${PIPESTATUS[0]}
dmesg -n 4
sleep 1
kill $kmsg_pid
wait $kmsg_pid 2>/dev/null
echo "# kernel log during the run: $(wc -l < $log) lines"
# The runner's own findings scanner (tools/vm/kernel_log.py): the same
# patterns and suppression rules as every other program's kernel log.
if ! python3 - "$log" <<'EOF'
import os
import sys
sys.path.insert(0, os.path.join(os.environ["SVF_TOP"], "tools/vm"))
import kernel_log
lines = open(sys.argv[1], errors="replace").read().splitlines()
rules, errors = kernel_log.load_suppressions()
real = errors or [f.describe() for f in kernel_log.scan(lines, rules) if not f.rule]
for line in real[:40]:
    print("# " + line)
sys.exit(1 if real else 0)
EOF
then
	echo "not ok 3 - no kernel splat during the run"
	rc=1
else
	echo "ok 3 - no kernel splat during the run"
fi
exit $rc
