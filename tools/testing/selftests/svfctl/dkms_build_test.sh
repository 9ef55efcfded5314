#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (not in vm.conf: it compiles, ~1 min): register the tree with a
# private DKMS tree exactly as scripts/install-dkms.sh stages it, build for
# the target kernel with dkms.conf's MAKE, and check every BUILT_MODULE came
# out.  Needs root (dkms signs modules with /var/lib/dkms/mok.*) and dkms.
# Run: bash tools/testing/selftests/svfctl/dkms_build_test.sh
set -u
top=$(cd "$(dirname "$0")/../../../.." && pwd)
echo "TAP version 13"
if ! command -v dkms >/dev/null || [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root and dkms (apt-get install dkms)"
	exit 0
fi
kver=${KVER:-$("$top/scripts/kver.sh")}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
mapfile -t mods < <(bash -c 'source "$1"; printf "%s\n" "${BUILT_MODULE_NAME[@]}"' x "$top/dkms.conf")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..$(( ${#mods[@]} + 4 ))"
n=0 failed=0
check() { local what=$1; shift; n=$((n + 1));
	if "$@"; then echo "ok $n - $what"; else echo "not ok $n - $what"; failed=$((failed + 1)); fi; }

check "install-dkms.sh --stage copies the sources" "$top/scripts/install-dkms.sh" --stage "$tmp/src/snapvf-$ver"
mkdir -p "$tmp/dkms"
opts=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms")
check "dkms add snapvf/$ver" dkms add "snapvf/$ver" "${opts[@]}" -q
dkms build "snapvf/$ver" -k "$kver" "${opts[@]}" --kernelsourcedir "/usr/src/linux-headers-$kver" >"$tmp/build.log" 2>&1
rc=$?
check "dkms build snapvf/$ver -k $kver" test $rc -eq 0 || sed 's/^/# /' "$tmp/build.log" | tail -20
for m in "${mods[@]}"; do
	check "built $m.ko" test -n "$(find "$tmp/dkms/snapvf/$ver/$kver" -name "$m.ko*" 2>/dev/null)"
done
check "dkms status shows built" bash -c "dkms status snapvf ${opts[*]} | grep -q '$kver.*: built'"
echo "# $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
