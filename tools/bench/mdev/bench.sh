#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mdev path benchmarks in one VM run: config-space and BAR trap latency and
# create->open->close->remove rate against the upstream mtty sample (built
# at benchmark time into build/bench-mtty), virtio-blk 4 KiB IOPS through
# an SF instance, kernel memory per instance with 1,000 instances alive.
. "$SVF_TOP/tools/vm/guest-lib.sh"
. "$SVF_TOP/tools/testing/selftests/sf_blk/sf_lib.sh"
B=./mdev_bench
sf_plan 6
mtty_ko=$SVF_TOP/build/bench-mtty/mtty.ko
svf_modload snapvf_sim && svf_modload snapvf_sf && sf_new 0 || { sf_fail "setup"; sf_done; }
modprobe mdev && insmod "$mtty_ko" || { sf_fail "mtty peer loads ($mtty_ko)"; sf_done; }
mtp=/sys/devices/virtual/mtty/mtty; mt=$mtp/mdev_supported_types/mtty-1
us=$(sf_uuid 0x70000000 1); um=$(sf_uuid 0x70000000 2)
sf_create 0 $SF_T1 "$us" && echo "$um" > $mt/create || { sf_fail "instances"; sf_done; }

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b if b else 0))" "$1" "$2"; }
bench() { # metric unit ours peer goal
	echo "# BENCH $1: ours=$3 $2 peer=$4 $2 ratio=$(ratio "$3" "$4") goal=$5"
}

# Latencies: "ours peer", medians of batches alternating between the two.
r=$($B cfg "$us" "$um") && o=${r% *} p=${r#* } || o= p=
[ -n "$o" ] && [ -n "$p" ] && { bench config_read_latency ns "$o" "$p" "ratio<=1.0"; sf_ok "config-space read latency"; } || sf_fail "config-space read latency"
# One-byte register reads on both sides (mtty's UART registers are bytes):
# virtio device_status (common config 0x14 in BAR4) vs mtty's IER (BAR0+1).
r=$($B bar "$us" 4 0x14 1 "$um" 0 1 1) && o=${r% *} p=${r#* } || o= p=
[ -n "$o" ] && [ -n "$p" ] && { bench bar_trap_latency ns "$o" "$p" "ratio<=1.0"; sf_ok "BAR trap latency"; } || sf_fail "BAR trap latency"
sf_remove "$us"; echo 1 > /sys/bus/mdev/devices/$um/remove
# 7 rounds of 1.5 s per side, alternating; medians.
r=$($B cycle "$SF_AUX/snapvf_sim.sf.0" "$SF_T1" "$mtp" mtty-1 7 1.5) && o=${r% *} p=${r#* } || o= p=
[ -n "$o" ] && [ -n "$p" ] && { bench create_open_close_remove cycles/s "$o" "$p" "ratio>=1.0"; sf_ok "lifecycle rate"; } || sf_fail "lifecycle rate"
# Where a cycle goes, for the record: mean ms per step (create open close
# remove), 2 x 150 cycles a side in ABBA order so that drift cancels; most
# of each step is vfio/mdev core code both sides share.
ph_o() { $B phases "$SF_AUX/snapvf_sim.sf.0" "$SF_T1" 150; }
ph_p() { $B phases "$mtp" mtty-1 150; }
mean2() { echo "$1 $2" | awk '{ for (i = 1; i <= 4; i++) printf "%.3f ", ($i + $(i + 4)) / 2 }'; }
a=$(ph_o); b=$(ph_p); c=$(ph_p); d=$(ph_o)
echo "# phases ms (create open close remove): ours $(mean2 "$a" "$d")mtty $(mean2 "$b" "$c")"

sf_create 0 $SF_T1 "$us"
r=$("$VBLK" "$us" iops 5 16 read | sed -n 's/^iops=\([0-9]*\).*/\1/p')
w=$("$VBLK" "$us" iops 5 16 write | sed -n 's/^iops=\([0-9]*\).*/\1/p')
if [ -n "$r" ] && [ -n "$w" ]; then
	echo "# BENCH virtio_blk_4k_randread_qd16: ours=$r IOPS peer=n/a ratio=n/a goal=report"
	echo "# BENCH virtio_blk_4k_randwrite_qd16: ours=$w IOPS peer=n/a ratio=n/a goal=report"
	sf_ok "virtio-blk IOPS"
else
	sf_fail "virtio-blk IOPS"
fi
sf_remove "$us"

# 1,000 instances on one SF (new_sf's 5th field: instances).
sf_new 100 64K 1 64 1000 || sf_fail "SF with 1000 instances"
free_kb() { sync; echo 3 > /proc/sys/vm/drop_caches; awk '/^MemFree:/ {print $2}' /proc/meminfo; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
f0=$(free_kb); s0=$(slab_kb); made=0
for i in $(seq 0 999); do
	sf_create 100 $SF_T1 "$(sf_uuid 0x71000000 $i)" 2>/dev/null && made=$((made + 1))
done
f1=$(free_kb); s1=$(slab_kb)
per=$(( (f0 - f1) / (made ? made : 1) )); pslab=$(( (s1 - s0) / (made ? made : 1) ))
echo "# $made instances: MemFree -$((f0 - f1)) KiB, Slab +$((s1 - s0)) KiB"
echo "# BENCH kernel_memory_per_instance: ours=$per KiB peer=n/a ratio=n/a goal=<=64KiB (slab part $pslab KiB)"
sf_check "1,000 instances alive ($made) within 64 KiB each ($per KiB)" test $made -ge 1000 -a $per -le 64
for i in $(seq 0 999); do sf_remove "$(sf_uuid 0x71000000 $i)" 2>/dev/null; done
sf_check "all removed, modules unload" eval 'test -z "$(ls /sys/bus/mdev/devices)" && rmmod mtty && svf_modunload snapvf_sf snapvf_sim'
sf_done
