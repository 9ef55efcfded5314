# SPDX-License-Identifier: GPL-2.0
#
# Helpers for commands that run inside the test guest (source this file).
#
#   svf_modload NAME [PARAM=VALUE...]   load the tree's module NAME (kernel
#                                       modules it depends on via modprobe,
#                                       tree modules it depends on first)
#   svf_modunload NAME...               unload, in the order given
#   svf_ko NAME                         print the path of the tree's NAME.ko
#   svf_kernel_dma_log                  can the kernel report DMA dirty pages?
#   svf_fn_id BDF                       fn-id of PCI function BDF (aux.h)
#   svf_sim_fn_knob BDF [NAME]          path of the simulator's knob NAME of
#                                       function BDF (no NAME: its directory)
#
# The simulator's knobs are in debugfs ($SVF_SIM_DEBUGFS, mounted by
# tools/vm/guest-init; Documentation/simulator.rst).
#
# Module files are looked up in the layer directories of $SVF_TOP and in
# tools/testing/modules.  Every failure prints one line naming the module.

: "${SVF_TOP:?SVF_TOP is not set (run inside vm-run)}"

svf_ko() {
	local name=$1 f
	for f in "$SVF_TOP"/migration/"$name".ko "$SVF_TOP"/auxiliary/"$name".ko \
		 "$SVF_TOP"/mdev/"$name".ko "$SVF_TOP"/drivers/*/"$name".ko \
		 "$SVF_TOP"/tools/testing/modules/*/"$name".ko; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	echo "svf_ko: no module $name.ko in the tree (not built?)" >&2
	return 1
}

# svf_kernel_dma_log: success if the running kernel can report DMA dirty
# pages (CONFIG_IOMMUFD_DRIVER); snapvf devices offer DMA logging exactly
# then (include/snapvf/compat.h).  Status 2 if its config is not found.
svf_kernel_dma_log() {
	local c
	for c in "/boot/config-$(uname -r)" "/lib/modules/$(uname -r)/build/.config"; do
		[ -r "$c" ] || continue
		grep -qx 'CONFIG_IOMMUFD_DRIVER=y' "$c"
		return
	done
	echo "svf_kernel_dma_log: the running kernel's config is not found" >&2
	return 2
}

SVF_SIM_DEBUGFS=/sys/kernel/debug/snapvf_sim

svf_fn_id() {
	local dom=${1%%:*} rest=${1#*:} bus slot
	bus=${rest%%:*} rest=${rest#*:}
	slot=${rest%%.*}
	echo $(( 0x$dom << 16 | 0x$bus << 8 | 0x$slot << 3 | ${rest#*.} ))
}

svf_sim_fn_knob() {
	echo "$SVF_SIM_DEBUGFS/snapvf_sim.vfio_pci.$(svf_fn_id "$1")${2:+/$2}"
}

svf_modloaded() {
	[ -d "/sys/module/${1//-/_}" ] && [ -e "/sys/module/${1//-/_}/initstate" ]
}

svf_modload() {
	local name=$1 ko dep
	shift
	svf_modloaded "$name" && return 0
	ko=$(svf_ko "$name") || return 1
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		svf_modloaded "$dep" && continue
		if svf_ko "$dep" >/dev/null 2>&1; then
			svf_modload "$dep" || return 1
		else
			modprobe "$dep" || { echo "svf_modload: modprobe $dep (needed by $name) failed" >&2; return 1; }
		fi
	done
	insmod "$ko" "$@" || { echo "svf_modload: insmod $ko failed" >&2; return 1; }
}

svf_modunload() {
	local name
	for name in "$@"; do
		svf_modloaded "$name" || continue
		rmmod "$name" || { echo "svf_modunload: rmmod $name failed" >&2; return 1; }
	done
}

# svf_stage_modules: make the tree's kernel modules look installed in the
# guest (whose root is read-only): mounts the module directory that
# tools/vm/stage-modules prepared on the host (the kernel's modules plus
# ours under updates/snapvf, indexed by depmod) over /lib/modules/$KVER.
# Afterwards modprobe, modinfo and modules.alias (vfio_pci: entries
# included) see our modules exactly as after "make install".
svf_stage_modules() {
	local orig=/run/svf-modules.orig
	local stage=$SVF_TOP/build/vm/modroot/lib/modules/$KVER
	[ -d "$orig/kernel" ] && return 0
	[ -f "$stage/modules.dep.bin" ] || { echo "svf_stage_modules: $stage not prepared (vm-run does it)" >&2; return 1; }
	mkdir -p "$orig" && mount --bind "/lib/modules/$KVER" "$orig" &&
		mount --bind "$stage" "/lib/modules/$KVER" ||
		{ echo "svf_stage_modules: cannot mount $stage" >&2; return 1; }
}
