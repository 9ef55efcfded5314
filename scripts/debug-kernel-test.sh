#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel's bad inputs (TAP), each one clear line and a non-zero
# exit, never a fall back to the other kernel: no linux-source package, a
# kernel not built, a stale cache whose key does not match, a required
# option that does not stick after olddefconfig, a failed kernel build,
# and a guest that hangs on the debug kernel.  Run by 'make lint
# KERNEL=debug', after the debug kernel is built: the configuration cases
# reuse its extracted source (a throwaway cache links to it and configures
# into its own directory, about 30 s each); nothing touches the real cache.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dk=$top/scripts/debug-kernel.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }

# expect NAME RC PATTERN -- CMD...: CMD exits with RC and its stderr has a
# line matching PATTERN (the one that names the problem).
expect() {
	local name=$1 want=$2 pat=$3 rc
	shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		nok "$name: exit $rc (wanted $want): $(tail -n 3 "$tmp/err" | tr '\n' '|')"
	elif ! grep -qE "$pat" "$tmp/err"; then
		nok "$name: no line matching '$pat' on stderr: $(tail -n 3 "$tmp/err" | tr '\n' '|')"
	else
		ok "$name: $(grep -E "$pat" "$tmp/err" | head -n 1)"
	fi
}

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null)
real=$(eval "$("$dk" env)" && echo "${KDIR%/obj}") || real=
echo "TAP version 13"
echo "1..6"

expect "no linux-source package" 1 '^debug-kernel: linux-source-6.12 is not installed' -- \
	env SVF_LINUX_SOURCE="$tmp/none.tar.xz" SVF_CACHE="$tmp/c1" "$dk" build

mkdir -p "$tmp/c2"
expect "not built" 1 '^debug-kernel: the debug kernel is not built' -- \
	env SVF_CACHE="$tmp/c2" "$dk" env

mkdir -p "$tmp/c3/debug-kernel/$srcver/obj/arch/x86/boot"
echo x > "$tmp/c3/debug-kernel/$srcver/obj/arch/x86/boot/bzImage"
printf 'key=%s-0123456789ab\n' "$srcver" > "$tmp/c3/debug-kernel/$srcver/complete"
expect "stale cache" 1 "^debug-kernel: stale cache .*built for key $srcver-0123456789ab, the fragment now gives $("$dk" key)" -- \
	env SVF_CACHE="$tmp/c3" "$dk" env

# A cache whose source is the real one's (already extracted).
fake_cache() {
	mkdir -p "$tmp/$1/debug-kernel/$srcver"
	ln -s "$real/src" "$tmp/$1/debug-kernel/$srcver/src"
}
if [ -z "$real" ] || [ ! -f "$real/src/.extracted" ]; then
	nok "option did not stick: no built debug kernel to borrow the source from (run make debug-kernel)"
	nok "failed kernel build: no built debug kernel to borrow the source from"
else
	# KASAN_SW_TAGS depends on arm64: olddefconfig drops it.
	awk '/^# SVF-BEST-EFFORT/ { print "CONFIG_KASAN_SW_TAGS=y" } { print }' \
		"$top/scripts/debug-kernel.config" > "$tmp/frag"
	fake_cache c4
	expect "option did not stick" 1 '^debug-kernel: option did not stick: CONFIG_KASAN_SW_TAGS ' -- \
		env SVF_CACHE="$tmp/c4" SVF_DEBUG_FRAGMENT="$tmp/frag" "$dk" build

	# A make that configures but fails the build itself.
	mkdir -p "$tmp/bin"
	cat > "$tmp/bin/make" <<-'MAKE'
	#!/bin/bash
	for a in "$@"; do
		[ "$a" = bzImage ] && { echo "fake.c:1: error: injected by debug-kernel-test.sh" >&2; exit 2; }
	done
	exec /usr/bin/make "$@"
	MAKE
	chmod +x "$tmp/bin/make"
	fake_cache c5
	expect "failed kernel build" 1 '^debug-kernel: kernel build failed \(log: ' -- \
		env PATH="$tmp/bin:$PATH" SVF_CACHE="$tmp/c5" "$dk" build
fi

# A guest that hangs on the debug kernel: vm-run kills it and says so.
if [ -n "$real" ]; then
	eval "$("$dk" env)"
	expect "guest hangs on the debug kernel" 125 '^vm-run: guest hung: killed after 60 s' -- \
		env SVF_KIMAGE="$SVF_KIMAGE" SVF_KMODS="$SVF_KMODS" KVER="$KVER" KDIR="$KDIR" \
		SVF_TIMEOUT_SCALE=1 VM_TMP="$tmp" "$top/tools/vm/vm-run" --quiet --timeout 60 \
		--out "$tmp/vm" -- sleep 3600
else
	nok "guest hangs on the debug kernel: no built debug kernel"
fi
[ $n = 6 ] || echo "# $n results for a plan of 6"
exit $((fails > 0 || n != 6))
