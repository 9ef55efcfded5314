#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install (or check for) everything the build, the tests and the demo need,
# from Debian's own packages.  As root it runs apt-get; otherwise it prints
# the exact command to run and fails.  QEMU 10 comes from Debian's
# bookworm-backports, downloaded and unpacked into a cache directory by
# scripts/qemu10.sh (Debian's QEMU 7.2 stays the installed one).
#
#   deps.sh --install            install what is missing
#   deps.sh --check-or-install   install what is missing if root, else explain
#
# After the packages, the tools we take from linux-source-6.12
# (checkpatch.pl and its data files, the kselftest harness headers) are
# extracted into build/kernel-tools; they are never committed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
tools_dir="$build/kernel-tools"
mode=${1:---check-or-install}

die() { echo "deps: $*" >&2; exit 1; }

# Packages are those of the Debian target kernel: a KVER of another kernel
# (the debug test kernel, with KDIR= its build tree) needs no packages of
# its own.
kver=${KVER:-}
case "$kver" in
''|*+deb12-amd64) ;;
*)
	[ -f "${KDIR:-/nonexistent}/Makefile" ] ||
		die "KVER=$kver is not a Debian 6.12 kernel and KDIR= names no kernel build tree"
	kver= ;;
esac
if [ -z "$kver" ]; then
	kver=$("$top/scripts/kver.sh" 2>/dev/null) || kver=
fi
if [ -z "$kver" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -qq || die "apt-get update failed"
	kver=$("$top/scripts/kver.sh") || die "apt offers no linux-image-6.12.*+deb12-amd64"
fi
[ -n "$kver" ] || die "no target kernel: run 'sudo apt-get update' then 'sudo make deps'"

# package -> a file that proves it is installed
declare -A want=(
	[linux-image-$kver]=/boot/vmlinuz-$kver
	[linux-headers-$kver]=/usr/src/linux-headers-$kver/Makefile
	[linux-source-6.12]=/usr/src/linux-source-6.12.tar.xz
	[qemu-system-x86]=/usr/bin/qemu-system-x86_64
	[busybox-static]=/bin/busybox
	[cpio]=/usr/bin/cpio
	[sparse]=/usr/bin/sparse
	[dwarves]=/usr/bin/pahole
	[xz-utils]=/usr/bin/xz
	[kmod]=/usr/bin/kmod
	[pciutils]=/usr/bin/lspci
	[python3]=/usr/bin/python3
	[gcc]=/usr/bin/gcc
	[make]=/usr/bin/make
	[libc6-dev]=/usr/include/stdio.h
	[util-linux]=/usr/bin/flock
	[perl]=/usr/bin/perl
	[bc]=/usr/bin/bc
	[mdevctl]=/usr/bin/mdevctl
	[driverctl]=/usr/sbin/driverctl
	[file]=/usr/bin/file
	# the debug test kernel (scripts/debug-kernel.sh)
	[flex]=/usr/bin/flex
	[bison]=/usr/bin/bison
	[libelf-dev]=/usr/include/libelf.h
	[libssl-dev]=/usr/include/openssl/ssl.h
	[rsync]=/usr/bin/rsync
)

missing=()
for p in "${!want[@]}"; do
	[ -e "${want[$p]}" ] || missing+=("$p")
done
# busybox-static and busybox share /bin/busybox: insist on the static one,
# the initramfs has no libc.
if [ -e /bin/busybox ] && ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
	if ! ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable'; then
		missing+=(busybox-static)
	fi
fi

# A KVER whose headers are neither installed nor offered by apt is a typo
# or a kernel this project does not target: say so before apt-get does.
if [ ! -e "/usr/src/linux-headers-$kver/Makefile" ] &&
   ! apt-cache show "linux-headers-$kver" >/dev/null 2>&1; then
	die "KVER=$kver: linux-headers-$kver is not installed and apt does not offer it"
fi

if [ ${#missing[@]} -gt 0 ]; then
	cmd="apt-get install -y --no-install-recommends ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		die "missing packages; run as root: apt-get update && $cmd"
	fi
	echo "deps: installing ${missing[*]}"
	# Another apt (a second tree's deps.sh, say) may hold the lock: wait.
	apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive $cmd -o DPkg::Lock::Timeout=600 >"$build/apt.log" 2>&1 ||
		{ tail -n 20 "$build/apt.log" >&2; die "apt-get install failed (log: $build/apt.log)"; }
fi

# QEMU 10, the VMM of the migration tests, from bookworm-backports: both
# QEMUs are the package qemu-system-x86, so Debian's 7.2 stays installed
# (it boots the test guests) and 10 is unpacked into the cache outside the
# clone, never installed; scripts/qemu10.sh says how and why.
if [ "$mode" = --install ] || ! "$top/scripts/qemu10.sh" path >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] ||
		die "QEMU 10 (bookworm-backports) is not in the cache; run as root: make deps"
	"$top/scripts/qemu10.sh" install || exit 1
fi

# Tools from the kernel source package, extracted once.
members=(
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	scripts/kernel-doc
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
)
stamp="$tools_dir/.extracted"
if [ ! -f "$stamp" ]; then
	mkdir -p "$tools_dir"
	tar -C "$tools_dir" --strip-components=1 -xJf /usr/src/linux-source-6.12.tar.xz \
		--wildcards $(printf 'linux-source-6.12/%s ' "${members[@]}") ||
		die "could not extract ${members[*]} from /usr/src/linux-source-6.12.tar.xz"
	touch "$stamp"
fi
exit 0
