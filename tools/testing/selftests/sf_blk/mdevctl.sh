#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mdevctl (Debian package "mdevctl") drives our types: list, define,
# start, stop, undefine.
. "$SVF_TOP/tools/vm/guest-lib.sh"
. ./sf_lib.sh
sf_plan 6
if ! command -v mdevctl >/dev/null; then
	for i in 1 2 3 4 5 6; do sf_fail "mdevctl is not installed (Debian package mdevctl)"; done
	sf_done
fi
parent=snapvf_sim.sf.0
types=$(mdevctl types 2>&1)
echo "$types" | sed 's/^/# /' | head -20
sf_check "mdevctl types lists $SF_T1" grep -q "$SF_T1" <<<"$types"
u=$(sf_uuid 0x50000000 1)
# mdevctl keeps its config in /etc/mdevctl.d, read-only in the guest.
mkdir -p /tmp/mdevctl.d/scripts.d/callouts /tmp/mdevctl.d/scripts.d/notifiers
cp -a /etc/mdevctl.d/. /tmp/mdevctl.d/ 2>/dev/null
mount --bind /tmp/mdevctl.d /etc/mdevctl.d || echo "# cannot bind-mount /etc/mdevctl.d"
sf_check "mdevctl define" mdevctl define -u "$u" -p $parent -t $SF_T1
sf_check "mdevctl start" mdevctl start -u "$u"
sf_check "started instance exists and does I/O" \
	eval '"$VBLK" $u write 0 64 3 >/dev/null && "$VBLK" $u verify 0 64 3 >/dev/null'
sf_check "mdevctl list shows it" eval 'mdevctl list | grep -q $u'
mdevctl stop -u "$u"
mdevctl undefine -u "$u"
sf_check "mdevctl stop removed it" test ! -e /sys/bus/mdev/devices/$u
sf_done
