#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# svf-vmm, the VMM-like client, against snapvf_pci functions A and B:
# info, BAR access, save to a file and load from it, save | load between
# two processes, and an in-process migration with pre-copy rounds while
# the state changes, verified byte for byte.  Prints TAP.
. "$SVF_TOP/tools/vm/guest-lib.sh"
vmm=$SVF_TOP/tools/vmm/svf-vmm
tmp=$(mktemp -d)
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }

echo "TAP version 13"
echo "1..9"
svf_modload snapvf_sim || exit 1
svf_modload snapvf_pci || exit 1
fns=()
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ] &&
		fns+=("${d##*/}")
done
A=${fns[0]} B=${fns[1]}
mgr=$(echo /sys/bus/pci/devices/*/snapvf_sim)
knob() { echo "/sys/bus/auxiliary/devices/snapvf_sim.vfio_pci.$(( 0x${1:5:2} << 8 | 0x${1:8:2} << 3 | ${1:11:1} ))/sim/$2"; }
for f in "$A" "$B"; do
	[ -e "$(knob "$f" state_size)" ] || echo "$f" > "$mgr/new_function"
	echo snapvf_pci > "/sys/bus/pci/devices/$f/driver_override"
	[ -e "/sys/bus/pci/devices/$f/driver" ] && [ "$(basename "$(readlink "/sys/bus/pci/devices/$f/driver")")" != snapvf_pci ] &&
		echo "$f" > "/sys/bus/pci/devices/$f/driver/unbind"
	[ -e "/sys/bus/pci/devices/$f/driver" ] || echo "$f" > /sys/bus/pci/drivers/snapvf_pci/bind 2>/dev/null
	echo 16M > "$(knob "$f" state_size)"
done
same_state() { [ "$(cat "$(knob "$A" state_hash)")" = "$(cat "$(knob "$B" state_hash)")" ]; }

check "--help" bash -c "$vmm --help | grep -q 'usage: svf-vmm'"
out=$("$vmm" info "$A" 2>&1)
echo "$out" | sed 's/^/# /'
check "info: driver, BAR2, migration flags" bash -c "grep -q driver=snapvf_pci <<<'$out' && grep -q 'region=2 size=0x1000000' <<<'$out' && grep -q 'stop_copy p2p pre_copy' <<<'$out'"
"$vmm" bar-write "$A" 2 0x100 deadbeef >/dev/null
check "BAR write then read (trapped)" bash -c "$vmm bar-read $A 2 0x100 4 | grep -q 'de ad be ef'"
check "BAR read through mmap" bash -c "$vmm --mmap bar-read $A 2 0x100 4 | grep -q 'de ad be ef'"

"$vmm" --seed 5 fill "$A" 2 >/dev/null
"$vmm" --seed 6 fill "$B" 2 >/dev/null
check "save to a file" "$vmm" save "$A" "$tmp/a.state"
check "load from the file, state equal" bash -c "$vmm load $B $tmp/a.state && [ \"\$(cat $(knob "$A" state_hash))\" = \"\$(cat $(knob "$B" state_hash))\" ]"

"$vmm" --seed 7 fill "$A" 2 >/dev/null
check "save | load through a pipe, state equal" bash -c "$vmm --precopy 2 save $A - | $vmm load $B - && [ \"\$(cat $(knob "$A" state_hash))\" = \"\$(cat $(knob "$B" state_hash))\" ]"

"$vmm" --seed 8 fill "$A" 2 >/dev/null
out=$("$vmm" --precopy 3 --touch 2 --verify 2 migrate "$A" "$B" 2>&1)
echo "$out" | sed 's/^/# /'
check "migrate with pre-copy while in use: identical" grep -q "verify bar=2 size=16777216 identical" <<<"$out"
check "later pre-copy rounds carry only changes" bash -c "grep -Eq 'precopy_round=2 initial=[0-9]{1,4} dirty=[1-9]' <<<'$out'"
rm -rf "$tmp"
exit $((fails > 0))
