#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug test kernel: built once from Debian's linux-source-6.12 (the
# target kernel's patch level) with scripts/debug-kernel.config, cached
# outside the clone.
#
#   debug-kernel.sh build   build it unless the cache already has it
#   debug-kernel.sh env     print KVER=, KDIR=, SVF_KIMAGE=, SVF_KMODS= for
#                           a built kernel (fails if it is not built)
#
# Cache: $SVF_CACHE (default /var/cache/snapvf when writable, else
# ~/.cache/snapvf), one build tree per source package version
# (debug-kernel/<version>: src, obj, modroot), whose "complete" stamp
# records the key it was built for: "<source package version>-<hash of the
# fragment and the recipe>".  build reuses a tree whose stamp has the key;
# one built for another key (the fragment changed) is reconfigured and
# rebuilt in place, so kbuild redoes only what the changed options touch; an
# interrupted build resumes.  env refuses a tree whose stamp has another
# key, naming both.  Every failure is one line starting "debug-kernel:" and
# a non-zero exit; there is no fall back to another kernel.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# Overridable for scripts/debug-kernel-test.sh only (its bad-input cases).
frag=${SVF_DEBUG_FRAGMENT:-$top/scripts/debug-kernel.config}
tarball=${SVF_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
# Bump when the procedure below changes what gets built.
recipe=1

die() { echo "debug-kernel: $*" >&2; exit 1; }
. "$top/scripts/cache-lib.sh"


[ -f "$tarball" ] || die "linux-source-6.12 is not installed ($tarball missing): run 'make deps' as root"
[ -f "$frag" ] || die "config fragment $frag missing"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
	die "cannot read the version of the linux-source-6.12 package"
# The source must be the target kernel's patch level (6.12.N of both).
kver=${TARGET_KVER:-$("$top/scripts/kver.sh")} || die "no target kernel (run make deps)"
src_upstream=${srcver%%-*}
tgt_upstream=${kver%%+*}
tgt_upstream=${tgt_upstream%%-*}
[ "$src_upstream" = "$tgt_upstream" ] ||
	die "linux-source-6.12 is $srcver but the target kernel is $kver: install matching packages (make deps)"

hash=$( { echo "recipe=$recipe"; cat "$frag"; } | sha256sum | cut -c1-12)
key="$srcver-$hash"
root=$(svf_cache_root)
dir="$root/debug-kernel/$srcver"
obj="$dir/obj"
stamp="$dir/complete"

# 0: built for this key; 1: not built; 2: built for another key.
check_cache() {
	[ -f "$stamp" ] || return 1
	local k
	k=$(sed -n 's/^key=//p' "$stamp")
	[ "$k" = "$key" ] || return 2
	[ -s "$obj/arch/x86/boot/bzImage" ] || die "cache $dir is complete but has no bzImage (remove the directory)"
	return 0
}

stamp_key() { sed -n 's/^key=//p' "$stamp"; }

print_env() {
	local st=0
	check_cache || st=$?
	[ $st -ne 2 ] || die "stale cache $dir: built for key $(stamp_key), the fragment now gives $key (run: make debug-kernel)"
	[ $st -eq 0 ] || die "the debug kernel is not built (run: make debug-kernel)"
	local rel
	rel=$(cat "$dir/kernelrelease")
	echo "KVER=$rel"
	echo "KDIR=$obj"
	echo "SVF_KIMAGE=$obj/arch/x86/boot/bzImage"
	echo "SVF_KMODS=$dir/modroot/lib/modules/$rel"
}

# The options the fragment requires (above its best-effort marker), each
# as the line .config must contain.
required() {
	sed -n '/^# SVF-BEST-EFFORT/q;/^CONFIG_/p;/^# CONFIG_.* is not set$/p' "$frag"
}

build() {
	local st=0
	check_cache || st=$?
	if [ $st -eq 0 ]; then
		echo "debug-kernel: cached $(cat "$dir/kernelrelease") ($dir)"
		return 0
	fi
	for t in flex bison bc gcc make perl; do
		command -v "$t" >/dev/null || die "$t is not installed: run 'make deps' as root"
	done
	[ -e /usr/include/libelf.h ] || die "libelf-dev is not installed: run 'make deps' as root"
	[ -e /usr/include/openssl/ssl.h ] || die "libssl-dev is not installed: run 'make deps' as root"
	mkdir -p "$dir" || die "cannot create the cache directory $dir"
	exec 9>"$dir/.lock"
	flock 9
	st=0
	check_cache || st=$?
	if [ $st -eq 0 ]; then
		echo "debug-kernel: cached by a concurrent build ($dir)"
		return 0
	elif [ $st -eq 2 ]; then
		echo "debug-kernel: $dir was built for key $(stamp_key); rebuilding for $key (incremental)"
		rm -f "$stamp" "$dir/kernelrelease"
	fi

	local start log src
	start=$(date +%s)
	log=$dir/build.log
	src=$dir/src
	echo "debug-kernel: building $key in $dir (from scratch about 25 minutes on 2 cores; log: $log)"
	if [ ! -f "$src/.extracted" ]; then
		rm -rf "$src" && mkdir -p "$src"
		tar -C "$src" --strip-components=1 -xJf "$tarball" ||
			die "cannot extract $tarball into $src"
		touch "$src/.extracted"
	fi
	mkdir -p "$obj"
	{
		make -C "$src" O="$obj" x86_64_defconfig &&
		"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
			"$src/kernel/configs/kvm_guest.config" "$frag" &&
		make -C "$src" O="$obj" olddefconfig
	} >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "kernel configuration failed (log: $log)"; }

	local missing=() line opt
	while IFS= read -r line; do
		grep -qxF "$line" "$obj/.config" && continue
		opt=$(echo "$line" | sed -E 's/^# (CONFIG_[A-Z0-9_]+) is not set$/\1/; s/=.*//')
		missing+=("$opt (wanted '$line', got '$(grep -E "^(# )?$opt[= ]" "$obj/.config" || echo 'absent')')")
	done < <(required)
	if [ ${#missing[@]} -gt 0 ]; then
		for m in "${missing[@]}"; do echo "debug-kernel: option did not stick: $m" >&2; done
		die "${#missing[@]} required option(s) did not stick after olddefconfig"
	fi

	make -C "$src" O="$obj" -j"$(nproc)" bzImage modules >>"$log" 2>&1 ||
		{ grep -E 'error|Error' "$log" | tail -n 20 >&2; die "kernel build failed (log: $log)"; }
	local rel
	rel=$(make -s -C "$src" O="$obj" kernelrelease 2>/dev/null) || die "cannot read the kernel release"
	rm -rf "$dir/modroot"
	make -C "$src" O="$obj" INSTALL_MOD_PATH="$dir/modroot" INSTALL_MOD_STRIP=1 \
		modules_install >>"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "modules_install failed (log: $log)"; }
	echo "$rel" > "$dir/kernelrelease"
	local secs=$(( $(date +%s) - start ))
	printf 'key=%s\nrelease=%s\nbuild_seconds=%s\n' "$key" "$rel" "$secs" > "$stamp"
	echo "debug-kernel: built $rel in $secs s ($dir)"
}

case "${1:-}" in
build) build ;;
env) print_env ;;
key) echo "$key" ;;
*) die "usage: debug-kernel.sh build|env|key" ;;
esac
