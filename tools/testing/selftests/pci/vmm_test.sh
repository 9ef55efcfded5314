#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# svf-vmm, the VMM-like client, against snapvf_pci functions A and B:
# info, BAR access, save to a file and load from it, save | load between
# two processes, and an in-process migration with pre-copy rounds while
# the state changes, verified byte for byte.  Prints TAP.
#
# Every open of a SNAP PF finds it reset, so each run of svf-vmm puts its
# state in (--fill) and looks at it (--hash, --exec reading the simulator's
# state_hash) before it closes the device; a separate run must find the
# function reset, which is checked too.
. "$SVF_TOP/tools/vm/guest-lib.sh"
vmm=$SVF_TOP/tools/vmm/svf-vmm
tmp=$(mktemp -d)
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
# show NAME OUT: OUT as TAP comments
show() { printf '%s\n' "$2" | sed "s/^/# $1: /"; }
# field KEY [PREFIX] < text: the value of KEY=value on the last line that
# starts with PREFIX
field() { grep "^${2:-}" | grep -oE "(^| )$1=[^ ]+" | tail -n 1 | cut -d= -f2; }

echo "TAP version 13"
echo "1..13"
svf_modload snapvf_sim || exit 1
svf_modload snapvf_pci || exit 1
fns=()
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ] &&
		fns+=("${d##*/}")
done
A=${fns[0]} B=${fns[1]}
mgr=$(echo /sys/bus/pci/devices/*/snapvf_sim)
knob() { svf_sim_fn_knob "$1" "$2"; }	# the simulator's knob, in debugfs
for f in "$A" "$B"; do
	[ -e "$(knob "$f" state_size)" ] || echo "$f" > "$mgr/new_function"
	echo snapvf_pci > "/sys/bus/pci/devices/$f/driver_override"
	[ -e "/sys/bus/pci/devices/$f/driver" ] && [ "$(basename "$(readlink "/sys/bus/pci/devices/$f/driver")")" != snapvf_pci ] &&
		echo "$f" > "/sys/bus/pci/devices/$f/driver/unbind"
	[ -e "/sys/bus/pci/devices/$f/driver" ] || echo "$f" > /sys/bus/pci/drivers/snapvf_pci/bind 2>/dev/null
	echo 16M > "$(knob "$f" state_size)"
done
hA=$(knob "$A" state_hash) hB=$(knob "$B" state_hash)

check "--help" bash -c "$vmm --help | grep -q 'usage: svf-vmm'"
out=$("$vmm" info "$A" 2>&1)
show info "$out"
check "info: driver, BAR2, migration flags" bash -c "grep -q driver=snapvf_pci <<<'$out' && grep -q 'region=2 size=0x1000000' <<<'$out' && grep -q 'stop_copy p2p pre_copy' <<<'$out'"

out=$("$vmm" bar-write "$A" 2 0x100 deadbeef 2>&1)
show bar-write "$out"
check "BAR write then read back in one open (trapped)" grep -qx readback=deadbeef <<<"$out"
out=$("$vmm" --mmap bar-write "$A" 2 0x200 cafef00d 2>&1)
show "--mmap bar-write" "$out"
check "trapped BAR write, read back through mmap" grep -qx readback=cafef00d <<<"$out"
out=$("$vmm" bar-read "$A" 2 0x100 4 2>&1; "$vmm" --mmap bar-read "$A" 2 0x200 4 2>&1)
show "next opens: bar-read" "$out"
check "the next open finds A reset: the bytes written read 0" \
	test "$out" = $'00 00 00 00\n00 00 00 00'

# The reset state as the device manager sees it: A right after an open.
ZERO=$("$vmm" --exec "echo reset_state_hash=\$(cat $hA)" info "$A" 2>&1 | field reset_state_hash)
echo "# reset state: state_hash=$ZERO"
out=$("$vmm" --seed 5 --fill 2 --exec "echo filled_state_hash=\$(cat $hA)" hash "$A" 2 2>&1)
show "fill + hash" "$out"
fill5=$(field hash fill <<<"$out")
check "fill then hash in one open: A holds the pattern, not the reset state" eval '
	[ -n "$fill5" ] && [ "$(field hash bar <<<"$out")" = "$fill5" ] &&
	[ "$(field nonzero_bytes <<<"$out")" -gt 0 ] && [ -n "$ZERO" ] &&
	[ "$(field filled_state_hash <<<"$out")" != "$ZERO" ]'
out=$("$vmm" hash "$A" 2 2>&1)
show "next open: hash" "$out"
check "the next open finds all of A's BAR2 reset to 0" grep -q ' nonzero_bytes=0$' <<<"$out"

out=$("$vmm" --seed 5 --fill 2 --exec "echo saved_state_hash=\$(cat $hA)" save "$A" "$tmp/a.state" 2>&1)
rc=$?
show "fill + save" "$out"
saved=$(field saved_state_hash <<<"$out")
check "fill and save A to a file in one open" eval '
	[ $rc = 0 ] && [ "$(field hash fill <<<"$out")" = "$fill5" ] &&
	[ -n "$saved" ] && [ "$saved" != "$ZERO" ]'
out=$("$vmm" --hash 2 --exec "echo loaded_state_hash=\$(cat $hB)" load "$B" "$tmp/a.state" 2>&1)
rc=$?
show load "$out"
check "load the file into B: the state A saved, the pattern in BAR2" eval '
	[ $rc = 0 ] && [ "$(field loaded_state_hash <<<"$out")" = "$saved" ] &&
	[ "$(field hash hash <<<"$out")" = "$fill5" ]'

out=$( { "$vmm" --seed 7 --fill 2 --precopy 2 --exec "echo saved_state_hash=\$(cat $hA)" save "$A" - |
	 "$vmm" --hash 2 --exec "echo loaded_state_hash=\$(cat $hB)" load "$B" - ; } 2>&1)
rc=$?
show "save | load" "$out"
fill7=$(field hash fill <<<"$out")
saved=$(field saved_state_hash <<<"$out")
check "fill + save | load through a pipe: B holds what A saved" eval '
	[ $rc = 0 ] && [ -n "$fill7" ] && [ "$fill7" != "$fill5" ] &&
	[ "$(field hash hash <<<"$out")" = "$fill7" ] &&
	[ -n "$saved" ] && [ "$saved" != "$ZERO" ] &&
	[ "$(field loaded_state_hash <<<"$out")" = "$saved" ]'

out=$("$vmm" --seed 8 --fill 2 --precopy 3 --touch 2 --verify 2 \
	--exec "echo state_hash_A=\$(cat $hA) state_hash_B=\$(cat $hB)" migrate "$A" "$B" 2>&1)
rc=$?
show "fill + migrate" "$out"
check "fill + migrate with pre-copy while in use: identical, not reset state" eval '
	[ $rc = 0 ] && grep -q "^verify bar=2 size=16777216 identical " <<<"$out" &&
	[ "$(field nonzero_bytes <<<"$out")" -gt 0 ] &&
	[ "$(field src_hash <<<"$out")" != "$(field hash fill <<<"$out")" ] &&
	[ "$(field state_hash_A <<<"$out")" = "$(field state_hash_B <<<"$out")" ] &&
	[ "$(field state_hash_B <<<"$out")" != "$ZERO" ]'
check "later pre-copy rounds carry only changes" bash -c "grep -Eq 'precopy_round=2 initial=[0-9]{1,4} dirty=[1-9]' <<<'$out'"
out=$("$vmm" hash "$B" 2 2>&1)
show "next open: hash B" "$out"
check "the next open finds all of B's BAR2 reset to 0" grep -q ' nonzero_bytes=0$' <<<"$out"
rm -rf "$tmp"
exit $((fails > 0))
