#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo's story, run inside the test guest by tools/demo/demo.  Every
# step is a command an admin or a VMM would run; any failure stops the demo
# with the step and the command that failed.
set -uo pipefail
. "$SVF_TOP/tools/vm/guest-lib.sh"

SVFCTL=$SVF_TOP/tools/svfctl/svfctl
VMM=$SVF_TOP/tools/vmm/svf-vmm
VBLK=$SVF_TOP/tools/vblk/svf-vblk
AUX=/sys/bus/auxiliary/devices
STEPS=9
n=0
summary=()

step() {
	n=$((n + 1))
	printf '\n==> [%d/%d] %s\n' "$n" "$STEPS" "$*"
}

fail() {
	printf '\n*** demo FAILED in step %d: %s\n' "$n" "$*"
	exit 1
}

# show_cmd CMD...: print the command as a shell would take it (an argument
# with spaces or shell characters in single quotes).
show_cmd() {
	local a line=
	for a; do
		[[ $a =~ [^A-Za-z0-9_./:=,@%+-] ]] && a="'${a//\'/\'\\\'\'}'"
		line+=" $a"
	done
	printf '    $%s\n' "$line"
}

# run CMD...: show the command and its output; stop the demo if it fails.
# The output is kept in $OUT for parsing.
run() {
	show_cmd "$@"
	OUT=$("$@" 2>&1)
	local rc=$?
	[ -n "$OUT" ] && printf '%s\n' "$OUT" | sed 's/^/      /'
	[ $rc -eq 0 ] || fail "$* (exit $rc)"
}

# sh_run "shell text": the same, for a line with redirections.
sh_run() {
	printf '    $ %s\n' "$1"
	OUT=$(bash -c "$1" 2>&1)
	local rc=$?
	[ -n "$OUT" ] && printf '%s\n' "$OUT" | sed 's/^/      /'
	[ $rc -eq 0 ] || fail "$1 (exit $rc)"
}

# field KEY: the value of KEY=value in $OUT (last occurrence).
field() { printf '%s\n' "$OUT" | grep -oE "(^| )$1=[^ ]+" | tail -n 1 | cut -d= -f2; }

pci_of() {	# pci_of VENDOR DEVICE: addresses of matching functions
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] && basename "$d"
	done
}

echo "snapvf demo on $(uname -r): SNAP-style PCI functions and scalable functions"
echo "through VFIO, with live migration, driven by a simulated device manager."

# ---------------------------------------------------------------------------
step "Install the modules and load the simulated device manager"
svf_stage_modules || fail "staging the tree's modules"
echo "    (the tree's modules are visible to modprobe as after 'make install')"
run modprobe snapvf_sim
MGR=$(pci_of 0x1b36 0x0005 | head -n 1)
[ -n "$MGR" ] || fail "no pci-testdev manager function"
M=/sys/bus/pci/devices/$MGR/snapvf_sim
[ -d "$M" ] || fail "the simulator did not bind the manager $MGR"
echo "    manager function $MGR, control directory $M"
MD=$SVF_SIM_DEBUGFS/$MGR
echo "    its listings, and the knobs of what it publishes, in debugfs: $SVF_SIM_DEBUGFS"

# ---------------------------------------------------------------------------
step "The device manager publishes two SNAP functions and two scalable functions on one volume"
mapfile -t FNS < <(pci_of 0x1af4 0x1110)
[ ${#FNS[@]} -ge 2 ] || fail "expected two ivshmem-plain functions"
A=${FNS[0]} B=${FNS[1]}
sh_run "echo $A > $M/new_function"
sh_run "echo $B > $M/new_function"
sh_run "echo '1 256M' > $M/new_volume"		# the storage: the manager's
sh_run "echo '1 vol:1 4 256' > $M/new_sf"	# "source host" SF
sh_run "echo '2 vol:1 4 256' > $M/new_sf"	# "destination host" SF, same volume
sh_run "cat $MD/volumes"
for f in "$A" "$B"; do
	adev=$(awk -v a="$f" '$1 == a { print $2 }' "$MD/functions")
	[ -n "$adev" ] || fail "no aux device for $f"
	sh_run "echo 64M > $SVF_SIM_DEBUGFS/$adev/state_size"
done
ADEV_A=$(awk -v a="$A" '$1 == a { print $2 }' "$MD/functions")
ADEV_B=$(awk -v a="$B" '$1 == a { print $2 }' "$MD/functions")
run ls "$AUX"

# ---------------------------------------------------------------------------
step "Discover vfio-capable functions (svfctl list)"
run "$SVFCTL" list --managed

# ---------------------------------------------------------------------------
step "Pick the most specific vfio driver from modules.alias and bind atomically"
run "$SVFCTL" pick "$A"
printf '%s\n' "$OUT" | grep -q snapvf_pci || fail "svfctl did not pick snapvf_pci for $A"
run "$SVFCTL" bind "$A"
run "$SVFCTL" bind "$B"
for f in "$A" "$B"; do
	drv=$(basename "$(readlink "/sys/bus/pci/devices/$f/driver")")
	[ "$drv" = snapvf_pci ] || fail "$f is bound to $drv, not snapvf_pci"
	echo "    $f -> $drv (IOMMU group $(basename "$(readlink "/sys/bus/pci/devices/$f/iommu_group")"))"
done

# ---------------------------------------------------------------------------
step "PCI: a VMM session writes 64 MiB of device state into function A; the next session finds A reset"
SA=$SVF_SIM_DEBUGFS/$ADEV_A SB=$SVF_SIM_DEBUGFS/$ADEV_B
echo "    (every open of a SNAP PF resets it: nothing of one VMM reaches the next."
echo "    --exec runs a command while svf-vmm still holds the device, here to read"
echo "    the device manager's hash of the state)"
run "$VMM" --seed 7 --fill 2 --hash 2 --exec "echo state_hash=\$(cat $SA/state_hash)" info "$A"
FILL=$(printf '%s\n' "$OUT" | grep '^fill ' | grep -oE ' hash=[0-9a-f]+' | cut -d= -f2)
SEEN=$(printf '%s\n' "$OUT" | grep '^hash ' | grep -oE ' hash=[0-9a-f]+' | cut -d= -f2)
HASH_A=$(field state_hash)
[ -n "$FILL" ] && [ "$SEEN" = "$FILL" ] || fail "A's BAR2 does not hold the pattern written (fill $FILL, read $SEEN)"
echo "    A's BAR2 holds the pattern while this VMM has A open: svf-vmm hash=$SEEN"
echo "    device-manager view of A meanwhile: state_hash=$HASH_A"
run "$VMM" --exec "echo state_hash=\$(cat $SA/state_hash)" hash "$A" 2
[ "$(field nonzero_bytes)" = 0 ] || fail "the next VMM session found A's BAR2 not reset"
ZERO=$(field state_hash)
[ -n "$ZERO" ] && [ "$ZERO" != "$HASH_A" ] || fail "the device manager reports A's old state to its next user"
echo "    the next VMM finds A reset: all of BAR2 reads 0, state_hash=$ZERO"

# ---------------------------------------------------------------------------
step "PCI: one VMM session fills A and live-migrates it to B (2 pre-copy rounds, state changing between rounds)"
run "$VMM" --seed 7 --fill 2 --precopy 2 --touch 2 --verify 2 \
	--exec "echo state_hash_A=\$(cat $SA/state_hash) state_hash_B=\$(cat $SB/state_hash)" migrate "$A" "$B"
printf '%s\n' "$OUT" | grep -q '^verify bar=2 .* identical ' || fail "A and B differ after migration"
[ "$(field nonzero_bytes)" -gt 0 ] || fail "the migrated BAR2 is all zero"
PCI_BYTES=$(field total_bytes) PCI_DOWN=$(field downtime_ms) PCI_MS=$(field total_ms)
SRC=$(field src_hash) DST=$(field dst_hash)
HA=$(field state_hash_A) HB=$(field state_hash_B)
[ "$SRC" != "$FILL" ] || fail "the pre-copy rounds did not change A"
echo "    svf-vmm's hash of BAR2 at the end, A (stopped)=$SRC B (running)=$DST"
echo "      (the pattern it wrote: $FILL; pre-copy rounds changed A meanwhile)"
echo "    device-manager view while the VMM still holds both: state_hash A=$HA B=$HB"
[ -n "$HA" ] && [ "$HA" = "$HB" ] || fail "device manager reports different state on A and B"
[ "$HB" != "$ZERO" ] || fail "device manager reports B in its reset state"
summary+=("PCI SNAP function|function A -> B|2|$PCI_BYTES|$PCI_DOWN|byte-identical (64 MiB), state_hash equal")

# ---------------------------------------------------------------------------
step "SF: a virtio-blk mdev instance on each scalable function"
SF=snapvf_sim.sf.1 SF2=snapvf_sim.sf.2
run modprobe snapvf_sf
run "$SVFCTL" mdev types "$SF"
TYPE=$(printf '%s\n' "$OUT" | grep -oE 'snapvf_sf\.blk-1q\b' | head -n 1)
[ -n "$TYPE" ] || fail "no 1-queue virtio-blk type on $SF"
U1=5f0e0c2a-0001-4d6e-9a1b-000000000001
U2=5f0e0c2a-0001-4d6e-9a1b-000000000002
run "$SVFCTL" mdev create "$SF" "$TYPE" --uuid "$U1"
run "$SVFCTL" mdev create "$SF2" "$TYPE" --uuid "$U2"
run mdevctl list
run "$VBLK" "$U1" info

# ---------------------------------------------------------------------------
step "SF: virtio-blk I/O on instance 1 (its disk is the parent's), live-migrate it to instance 2, verify there"
SECTORS=8192		# 4 MiB
R0=$(awk '/^writes/ { print $2 }' "$SVF_SIM_DEBUGFS/$SF/stats")
run "$VBLK" "$U1" write 0 $SECTORS 42
run "$VBLK" "$U1" verify 0 $SECTORS 42
sh_run "cat $SVF_SIM_DEBUGFS/$SF/stats"
R1=$(awk '/^writes/ { print $2 }' "$SVF_SIM_DEBUGFS/$SF/stats")
[ $((R1 - R0)) -ge 64 ] || fail "the writes did not reach the parent ($R0 -> $R1 write calls)"
echo "    the 4 MiB went to the device manager's volume: $((R1 - R0)) write calls of up to 64 KiB"
run "$VMM" --precopy 2 migrate "$U1" "$U2"
SF_BYTES=$(field total_bytes) SF_DOWN=$(field downtime_ms)
[ -n "$SF_BYTES" ] && [ "$SF_BYTES" -lt 4096 ] ||
	fail "the SF's migration stream carried $SF_BYTES bytes: device state only should be under 4 KiB"
echo "    $SF_BYTES bytes of device state moved; the 4 MiB stayed on the volume both SFs present"
run "$VBLK" "$U2" verify 0 $SECTORS 42
run "$VBLK" "$U2" write $SECTORS 2048 43
run "$VBLK" "$U2" verify $SECTORS 2048 43
summary+=("SF virtio-blk mdev|instance 1 -> 2|2|$SF_BYTES|$SF_DOWN|device state only; 4 MiB verified, I/O continues")

# ---------------------------------------------------------------------------
step "Tear down: remove instances, restore drivers, withdraw, unload in any order"
run "$SVFCTL" mdev remove "$U1"
run "$SVFCTL" mdev remove "$U2"
run "$SVFCTL" unbind "$A"
run "$SVFCTL" unbind "$B"
sh_run "echo 1 > $M/del_sf"
sh_run "echo 2 > $M/del_sf"
sh_run "echo 1 > $M/del_volume"
run modprobe -r snapvf_sim
run modprobe -r snapvf_sf snapvf_pci vfio_mdev_core snapvf_mig snapvf_aux
if lsmod | grep -q snapvf; then fail "modules left loaded: $(lsmod | grep snapvf)"; fi
echo "    all snapvf modules unloaded"

# ---------------------------------------------------------------------------
printf '\n==> Summary\n'
printf '    %-20s %-16s %-10s %-12s %-12s %s\n' "what" "migrated" "pre-copy" "bytes moved" "downtime" "result"
for row in "${summary[@]}"; do
	IFS='|' read -r what path rounds bytes down result <<< "$row"
	printf '    %-20s %-16s %-10s %-12s %-12s %s\n' "$what" "$path" "$rounds rounds" \
		"$( [ "$bytes" -lt 10240 ] && echo "$bytes B" || echo "$(( bytes / 1024 )) KiB")" \
		"$down ms" "$result"
done
echo
echo "demo: all $STEPS steps passed"
