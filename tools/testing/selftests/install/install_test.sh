#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP test of the top Makefile's install and uninstall targets.
set -u
. "$SVF_TOP/tools/vm/guest-lib.sh"

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

stage=/tmp/inst
moddir=$stage/lib/modules/$KVER/updates/snapvf
# Kernel modules the tree builds (test-only modules excluded).
mapfile -t built < <(sed -e 's/\.o$//' -e 's/\.ko$//' "$SVF_TOP/modules.order")

echo "TAP version 13"
echo "1..$(( ${#built[@]} + 10 ))"

# depmod -b needs the kernel modules ours depend on; link just those (and
# their dependencies) into the staging root: depmod over all of them reads
# thousands of files over 9p, which takes minutes under TCG.
mkdir -p "$stage/lib/modules/$KVER"
for f in /lib/modules/"$KVER"/modules.{order,builtin,builtin.modinfo}; do
	ln -s "$f" "$stage/lib/modules/$KVER/"
done
for m in vfio_pci_core mdev vfio_iommu_type1 libcrc32c crc32c_generic; do
	modprobe --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | sort -u | while read -r f; do
	rel=${f#/lib/modules/$KVER/}
	mkdir -p "$stage/lib/modules/$KVER/$(dirname "$rel")"
	ln -s "$f" "$stage/lib/modules/$KVER/$rel"
done

out=$(make -s -C "$SVF_TOP" install INSTALL_MOD_PATH=$stage KVER="$KVER" 2>&1)
rc=$?
check "make install exits 0" test $rc -eq 0
[ $rc -eq 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'

for m in "${built[@]}"; do
	check "installed $(basename "$m")" test -n "$(find "$moddir" -name "$(basename "$m").ko*" 2>/dev/null)"
done

check "depmod indexed updates/snapvf" grep -q "^updates/snapvf/" "$stage/lib/modules/$KVER/modules.dep"

if printf '%s\n' "${built[@]}" | grep -q snapvf_pci; then
	check "modules.alias has the SNAP consumer's vfio_pci: entries" \
		grep -qE '^alias vfio_pci:v000015B3d00006001.* snapvf_pci$' "$stage/lib/modules/$KVER/modules.alias"
else
	echo "ok $((n += 1)) - modules.alias has the SNAP consumer's vfio_pci: entries # SKIP snapvf_pci is not built in this tree"
fi

deps=$(modprobe -d "$stage" --show-depends snapvf_mig 2>&1)
check "modprobe resolves snapvf_mig and its kernel dependency vfio from the install" \
	bash -c 'grep -q "updates/snapvf/.*snapvf_mig.ko" <<< "$1" &&
		 grep -q "kernel/drivers/vfio/vfio.ko" <<< "$1"' deps "$deps"

out=$(make -s -C "$SVF_TOP" uninstall INSTALL_MOD_PATH=$stage KVER="$KVER" 2>&1)
check "make uninstall removes updates/snapvf" test ! -e "$moddir"
check "depmod no longer lists our modules" bash -c "! grep -q '^updates/snapvf/' '$stage/lib/modules/$KVER/modules.dep'"
out=$(make -s -C "$SVF_TOP" uninstall INSTALL_MOD_PATH=$stage KVER="$KVER" 2>&1)
rc=$?
check "a second uninstall fails with a clear message" bash -c "[ $rc -ne 0 ] && grep -q 'nothing to uninstall' <<< '$out'"
# The userspace API header: installed where a compiler finds it, usable on
# its own (userspace C, nothing but <linux/types.h>), removed again.
hdr=/tmp/hdr
out=$(make -s -C "$SVF_TOP" headers_install INSTALL_HDR_PATH=$hdr 2>&1)
check "make headers_install puts <snapvf/mig_stream.h> under include/snapvf" \
	test -f $hdr/include/snapvf/mig_stream.h
[ -f $hdr/include/snapvf/mig_stream.h ] || echo "$out" | tail -n 5 | sed 's/^/# /'
check "the installed header compiles on its own (C99, -Wall -Werror)" \
	bash -c 'printf "#include <snapvf/mig_stream.h>\nint main(void) { return sizeof(struct svf_stream_hdr) != 32; }\n" |
		 gcc -std=c99 -Wall -Werror -I"$1/include" -x c -o /tmp/hdr-test - && /tmp/hdr-test' hdr "$hdr"
out=$(make -s -C "$SVF_TOP" headers_uninstall INSTALL_HDR_PATH=$hdr 2>&1)
check "make headers_uninstall removes it" test ! -e $hdr/include/snapvf
exit $(( failed > 0 ))
