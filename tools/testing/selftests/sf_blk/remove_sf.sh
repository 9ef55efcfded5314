#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Withdrawals under live instances: the SF (del_sf), the SF driver
# (rmmod snapvf_sf) and the parent (simulator manager unbound).  Users
# holding a device fd get the request interrupt; removal completes when
# they close; nothing else is left behind.  Runs last: it removes SF 0/1.
. "$SVF_TOP/tools/vm/guest-lib.sh"
. ./sf_lib.sh
sf_plan 10
tmp=$(mktemp -d)

# holder UUID LOG: keep the device open until asked to release it.
holder() { "$VBLK" "$1" hold 30 > "$2" 2>&1 & }

mgr=$(sf_mgr)
sf_new 7 || sf_fail "SF 7 published"
u1=$(sf_uuid 0x40000000 1); u2=$(sf_uuid 0x40000000 2); u3=$(sf_uuid 0x40000000 3)
sf_create 7 $SF_T1 "$u1" && sf_create 7 $SF_T1 "$u2" && sf_create 7 $SF_T1 "$u3"
sf_check "three instances on SF 7" test -e /sys/bus/mdev/devices/$u3
holder "$u1" "$tmp/h1"
hp=$!
sleep 1
grep -q holding "$tmp/h1" || echo "# holder: $(cat "$tmp/h1")"
t0=$(date +%s)
echo 7 > "$mgr/del_sf"; rc=$?
wait $hp; hrc=$?
sf_check "del_sf with an open instance completes (rc $rc)" test $rc -eq 0
sf_check "the holder got the request interrupt and released" \
	grep -q "request received" "$tmp/h1"
sf_check "SF 7 and its instances are gone" \
	test ! -e $SF_AUX/snapvf_sim.sf.7 -a ! -e /sys/bus/mdev/devices/$u1 \
	-a ! -e /sys/bus/mdev/devices/$u2 -a ! -e /sys/bus/mdev/devices/$u3
echo "# del_sf took $(( $(date +%s) - t0 )) s, holder rc $hrc"

# The SF driver: pinned while a device fd is open (VFIO holds a module
# reference), removable with live but closed instances.
sf_new 8
u4=$(sf_uuid 0x40000000 4)
sf_create 8 $SF_T1 "$u4"
holder "$u4" "$tmp/h2"
hp=$!
sleep 1
# Refused for the reason asked about (kmod: "Module snapvf_sf is in use").
in_use() { test "$1" -ne 0 && printf '%s\n' "$2" | grep -q 'snapvf_sf is in use'; }
err=$(rmmod snapvf_sf 2>&1); rc=$?
sf_check "rmmod snapvf_sf refused while an instance is open (rc $rc: $err)" \
	in_use "$rc" "$err"
kill $hp; wait $hp
svf_modunload snapvf_sf; rc=$?
sf_check "rmmod snapvf_sf with a live closed instance (rc $rc), instance gone" \
	test $rc -eq 0 -a ! -e /sys/bus/mdev/devices/$u4
sf_check "snapvf_sf loads again and serves the remaining SFs" \
	eval 'svf_modload snapvf_sf && test -d $SF_AUX/snapvf_sim.sf.8/mdev_supported_types'

# The parent goes away: unbind the simulator manager.
u5=$(sf_uuid 0x40000000 5)
sf_create 8 $SF_T1 "$u5"
holder "$u5" "$tmp/h3"
hp=$!
sleep 1
bdf=$(basename "$(dirname "$mgr")")
echo "$bdf" > /sys/bus/pci/drivers/snapvf_sim/unbind; rc=$?
wait $hp
sf_check "unbinding the parent with an open instance (rc $rc)" test $rc -eq 0
sf_check "every SF and instance is gone" \
	test -z "$(ls /sys/bus/mdev/devices/ 2>/dev/null)" -a ! -e $SF_AUX/snapvf_sim.sf.8
echo "$bdf" > /sys/bus/pci/drivers/snapvf_sim/bind
sf_check "modules unload cleanly afterwards" svf_modunload snapvf_sf snapvf_sim
rm -rf "$tmp"
sf_done
