#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Register snapvf with DKMS so every kernel the host installs gets the
# modules rebuilt (dkms.conf at the top says how).
#
#   install-dkms.sh [--dry-run] [KVER]      copy the kernel sources to
#                                           /usr/src/snapvf-<version>, then
#                                           dkms add, build, install (for
#                                           KVER, default: the target kernel)
#   install-dkms.sh [--dry-run] --remove    dkms remove --all, delete the copy
#   install-dkms.sh --stage DIR             only copy the sources to DIR
#                                           (used by the tests)
#
# --dry-run prints the commands instead of running them.  Everything but
# --stage and --dry-run needs root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "install-dkms: $*" >&2; exit 1; }

# What DKMS needs to build the modules: kbuild files, headers, layers.
src_paths=(Kbuild Kconfig Makefile dkms.conf include migration auxiliary drivers mdev scripts)

version=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$top/dkms.conf")
[ -n "$version" ] || die "no PACKAGE_VERSION in $top/dkms.conf"
name=snapvf
dest=/usr/src/$name-$version

stage() {
	local to=$1 p have=()
	for p in "${src_paths[@]}"; do
		[ -e "$top/$p" ] && have+=("$p")
	done
	mkdir -p "$to"
	tar -C "$top" --exclude-vcs --exclude='*.o' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude='*.a' --exclude=modules.order --exclude=Module.symvers \
		-cf - "${have[@]}" | tar -C "$to" -xf -
}

dry=0
mode=install
kver=
while [ $# -gt 0 ]; do
	case "$1" in
	--dry-run) dry=1 ;;
	--remove) mode=remove ;;
	--stage) [ $# -ge 2 ] || die "--stage needs a directory"
		 stage "$2"; exit 0 ;;
	-h|--help) sed -n '3,/^set /p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) kver=$1 ;;
	esac
	shift
done

run() {
	if [ $dry = 1 ]; then
		echo "$*"
	else
		"$@"
	fi
}

if [ $dry = 0 ]; then
	[ "$(id -u)" = 0 ] || die "needs root (or use --dry-run)"
	command -v dkms >/dev/null || die "dkms is not installed (apt-get install dkms)"
fi

if [ $mode = remove ]; then
	run dkms remove "$name/$version" --all
	run rm -rf "$dest"
	exit 0
fi

if [ -z "$kver" ]; then
	kver=$("$top/scripts/kver.sh") || die "no target kernel; give KVER"
fi
if [ $dry = 1 ]; then
	echo "copy $top/{${src_paths[*]}} to $dest"
else
	[ -f "/lib/modules/$kver/build/Makefile" ] ||
		die "no headers for $kver (apt-get install linux-headers-$kver)"
	if ls /lib/modules/"$kver"/updates/snapvf/*.ko* >/dev/null 2>&1; then
		echo "install-dkms: note: 'make install' modules are in /lib/modules/$kver/updates/snapvf; run 'make uninstall' so only one copy remains" >&2
	fi
	if dkms status "$name/$version" 2>/dev/null | grep -q .; then
		dkms remove "$name/$version" --all
	fi
	rm -rf "$dest"
	stage "$dest"
fi
run dkms add "$name/$version"
run dkms build "$name/$version" -k "$kver"
run dkms install "$name/$version" -k "$kver"
