# SPDX-License-Identifier: GPL-2.0
#
# Shell helpers of the sf_blk tests (source after tools/vm/guest-lib.sh).
# TAP: sf_plan N, sf_ok "desc", sf_fail "desc" (sets sf_rc=1), sf_check
# CMD... (ok/not ok by exit status), sf_done (exits with sf_rc).

SF_AUX=/sys/bus/auxiliary/devices
SF_T1=snapvf_sf.blk-1q
SF_T4=snapvf_sf.blk-4q
SF_DBG=/sys/kernel/debug/snapvf_sim
VBLK="$SVF_TOP/tools/vblk/svf-vblk"
sf_n=0
sf_rc=0

sf_plan() { echo "TAP version 13"; echo "1..$1"; }
sf_ok() { sf_n=$((sf_n + 1)); echo "ok $sf_n - $*"; }
sf_fail() { sf_n=$((sf_n + 1)); echo "not ok $sf_n - $*"; sf_rc=1; }
sf_check() {
	local d=$1
	shift
	if "$@"; then sf_ok "$d"; else sf_fail "$d"; fi
}
sf_done() { exit $sf_rc; }

# The bound simulator manager's control directory (<pci dev>/snapvf_sim).
sf_mgr() {
	local d
	for d in /sys/bus/pci/drivers/snapvf_sim/0000:*; do
		[ -e "$d/snapvf_sim/new_sf" ] && { echo "$d/snapvf_sim"; return 0; }
	done
	echo "sf_lib: no snapvf_sim manager (is -device pci-testdev in vm.conf?)" >&2
	return 1
}

# The manager's debugfs directory (its listings: functions, sfs, volumes).
sf_mgr_dbg() {
	local mgr
	mgr=$(sf_mgr) || return 1
	mgr=${mgr%/snapvf_sim}
	echo "$SF_DBG/${mgr##*/}"
}

# sf_vol ID SIZE: create the simulator's volume ID unless it exists.
sf_vol() {
	local mgr
	mgr=$(sf_mgr) || return 1
	grep -q "^$1 " "$(sf_mgr_dbg)/volumes" && return 0
	echo "$1 $2" > "$mgr/new_volume"
}

# sf_new ID [SIZE|vol:VOLUME QUEUES QSIZE INSTANCES]: publish SF ID unless
# it exists (SIZE: a private volume; vol:VOLUME: a shared one).
sf_new() {
	local id=$1 mgr
	[ -e "$SF_AUX/snapvf_sim.sf.$id" ] && return 0
	mgr=$(sf_mgr) || return 1
	echo "$id ${2:-1M} ${3:-4} ${4:-256} ${5:-4}" > "$mgr/new_sf" || return 1
	[ -d "$SF_AUX/snapvf_sim.sf.$id/mdev_supported_types" ]
}

sf_uuid() { printf '%08x-7e7e-4d4d-9a9a-%012x\n' "$1" "$2"; }

sf_create() { echo "$3" > "$SF_AUX/snapvf_sim.sf.$1/mdev_supported_types/$2/create"; }
sf_remove() { echo 1 > "/sys/bus/mdev/devices/$1/remove"; }
sf_avail() { cat "$SF_AUX/snapvf_sim.sf.$1/mdev_supported_types/$2/available_instances"; }
