#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run svf-fuzz against the targets setup.sh listed, with the budget vm.conf
# left in the group's tmp directory ("OPS SECONDS WORKERS SEED"), in
# WORKERS processes at once (the guest has two vCPUs), each on its own
# devices.  Test 1: no worker found a contract violation; test 2: every
# device works after the run; test 3: no kernel splat during the run.
# The workers' reports follow as comments, then the sums: operations per
# surface and the union of the PCs reached (svf-fuzz --coverage).
#
# The run makes our modules log one line per rejected stream or broken
# ring, enough to push early lines out of the kernel's ring buffer before
# the runner reads it at the end: the whole log is followed (dmesg -w,
# which survives the reader falling behind) into a file and scanned here.  The console log level
# goes down for the run (the serial console is slow under TCG).
. "$SVF_TOP/tools/vm/guest-lib.sh"
budget=$SVF_TOP/build/vm/groups/tools_testing_selftests-fuzz/tmp/fuzz-budget
read -r ops secs workers seed < "$budget" 2>/dev/null
ops=${ops:-100000} secs=${secs:-360} workers=${workers:-2}
[ "$seed" = - ] && seed=
seed=${seed:-$(date +%s)}
mapfile -t devs < /tmp/svf-fuzz-devs
if [ ${#devs[@]} = 0 ]; then
	echo "1..1"
	echo "not ok 1 - fuzz: no targets (setup.sh failed)"
	exit 1
fi
[ "$workers" -gt ${#devs[@]} ] && workers=${#devs[@]}
echo "TAP version 13"
echo "1..3"
echo "# seed $seed, $workers workers, $ops operations, at most $secs s"
fz=$SVF_TOP/tools/testing/fuzz/svf-fuzz
log=/tmp/svf-fuzz-kmsg

dmesg -w > $log 2>/dev/null &
kmsg_pid=$!
dmesg -n 1
# Worker w fuzzes devices w, w + workers, ... (one of each kind with two
# workers: setup.sh lists the kinds in pairs) with seed + w; the workers
# share the operation budget (a counter in a file), so the faster one does
# more and they stop together.  Each replays alone with the command printed
# after the run.
pids=()
workers_devs=()
rm -f /tmp/svf-fuzz-ops /tmp/svf-fuzz-pcs.* /tmp/svf-fuzz-out.*
for ((w = 0; w < workers; w++)); do
	mine=()
	for ((i = w; i < ${#devs[@]}; i += workers)); do mine+=("${devs[i]}"); done
	workers_devs+=("${mine[*]}")
	"$fz" --seed $((seed + w)) --ops "$ops" --shared-ops /tmp/svf-fuzz-ops --time "$secs" \
		--op-timeout 60 --pcs-out /tmp/svf-fuzz-pcs.$w "${mine[@]}" \
		> /tmp/svf-fuzz-out.$w 2>&1 &
	pids+=($!)
done
rc=0
for ((w = 0; w < workers; w++)); do
	wait "${pids[w]}" || rc=1
	sed "s/^# //; s/^/# worker $w: /" /tmp/svf-fuzz-out.$w
	done_ops=$(sed -nE 's/^# ([0-9]+) operations in .*/\1/p' /tmp/svf-fuzz-out.$w)
	echo "# worker $w: replay: svf-fuzz --seed $((seed + w)) --ops ${done_ops:-?} ${workers_devs[w]}"
done
dmesg -n 4
sleep 1
kill $kmsg_pid
wait $kmsg_pid 2>/dev/null

# The workers together: operations per surface, and the union of the PCs.
cat /tmp/svf-fuzz-out.* | awk '
	/^# [0-9]+ operations in / { ops += $2; if ($5 > secs) secs = $5 }
	/^#   [a-zA-Z_\/ -]+ +[0-9]+$/ && !/PCs$/ {
		name = $0; sub(/^#   /, "", name); sub(/ +[0-9]+$/, "", name)
		if (!(name in count)) order[++k] = name
		count[name] += $NF
	}
	END {
		printf "# all workers: %d operations in %.1f s: %.0f ops/s\n", ops, secs, secs ? ops / secs : 0
		for (i = 1; i <= k; i++) printf "#   %-24s %10d\n", order[i], count[order[i]]
	}'
if ls /tmp/svf-fuzz-pcs.* > /dev/null 2>&1; then
	"$fz" --coverage /tmp/svf-fuzz-pcs.* | sed 's/^# coverage:/# all workers, coverage:/'
fi
# The operations that ran: fewer than the budget when the time limit ended
# the run first (said in the result, not a failure: the machine's speed).
done_all=$(cat /tmp/svf-fuzz-out.* | sed -nE 's/^# ([0-9]+) operations in .*/\1/p' |
	awk '{ n += $1 } END { print n + 0 }')
short=
[ "$done_all" -lt "$ops" ] && short=" (the $secs s limit came first)"
for t in 1 2; do
	bad=$(grep -l "^not ok $t " /tmp/svf-fuzz-out.* | xargs -r -n1 basename | tr '\n' ' ')
	good=$(grep -c "^ok $t " /tmp/svf-fuzz-out.* | awk -F: '$2 > 0' | wc -l)
	what=$([ $t = 1 ] && echo "fuzz: $done_all of $ops operations$short, no contract violation" ||
		echo "devices work after the run")
	if [ -z "$bad" ] && [ "$good" = "$workers" ]; then
		echo "ok $t - $what"
	else
		echo "not ok $t - $what (failed in: ${bad:-a worker that did not finish})"
		rc=1
	fi
done
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
