#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: the kernel-side quality gates, zero findings allowed.
#  1. a full rebuild of every module (tree + test-only) with W=1 and
#     sparse (C=2): any compiler or sparse warning in our files fails;
#  2. checkpatch.pl --strict over our kernel sources; exceptions live in
#     scripts/checkpatch.exceptions, each with its reason;
#  3. kernel-doc: every comment parses (kernel-doc -none -Wall), every
#     EXPORT_SYMBOL*() and every "struct *_ops" in include/ is documented;
#  4. uapi headers (include/uapi/): each compiles on its own as userspace
#     C90 (-pedantic) and C++, and uses no kernel-only type or include;
#  5. the test runner: its self-test (canned TAP through its verdict
#     rules), every file of a test group accounted for in its vm.conf
#     (TESTS, HELPERS, HOST_TESTS), and every rule in
#     tools/testing/todo-allowed and tools/vm/dmesg-suppress has a reason.
set -uo pipefail
# --no-build: only checkpatch and kernel-doc (quick, for iterating).

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kver=${KVER:-$(scripts/kver.sh)} || exit 1
kdir=${KDIR:-/usr/src/linux-headers-$kver}
kt=build/kernel-tools/scripts
fail=0
mkdir -p build

# Kernel sources of the project (userspace under tools/ is not kernel code,
# except the test-only modules).
# Outside a git checkout of its own (the debug lane's copy of the tree,
# make check KERNEL=debug) the same files are found by name.
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	mapfile -t srcs < <(git ls-files --cached --others --exclude-standard -- \
		'migration/*.[ch]' 'auxiliary/*.[ch]' 'drivers/*.[ch]' 'mdev/*.[ch]' \
		'include/*.h' 'tools/testing/modules/*.[ch]' | sort -u)
else
	mapfile -t srcs < <(find migration auxiliary drivers mdev include tools/testing/modules \
		-name '*.[ch]' ! -name '*.mod.c' | sort -u)
fi

if [ "${1:-}" = --no-build ]; then
	echo "lint: skipping the W=1 + sparse rebuild (--no-build)"
else
echo "lint: W=1 + sparse (C=2) rebuild"
log=build/lint-build.log
# One lock over both builds: the test modules link against the
# Module.symvers the first build writes.
flock build/.build.lock bash -c '
	make -B -C "$1" M="$2" W=1 C=2 modules &&
	if [ -f "$2/tools/testing/modules/Kbuild" ]; then
		make -B -C "$1" M="$2/tools/testing/modules" W=1 C=2 \
			KBUILD_EXTRA_SYMBOLS="$2/Module.symvers" modules
	fi' lint "$kdir" "$top" >"$log" 2>&1
rc=$?
# gcc diagnostics (they end in [-Wxxx]) count wherever they point: in a
# kernel header they were still triggered by our code.  sparse findings
# count when they are in our files.
findings=$( { grep -E ": (warning|error): .*\[-W[^]]*\]$" "$log"
	      grep -E "^$top/[^ :]+:[0-9]+(:[0-9]+)?: (warning|error): " "$log"; } | sort -u || true)
modpost=$(grep -E '^(WARNING|ERROR): modpost' "$log" || true)
if [ $rc -ne 0 ] || [ -n "$findings$modpost" ]; then
	echo "lint: build/sparse findings (full log: $log):"
	{ [ -n "$findings" ] && echo "$findings"; [ -n "$modpost" ] && echo "$modpost"
	  [ $rc -ne 0 ] && tail -n 20 "$log"; } | sed 's/^/    /'
	fail=1
fi
fi

# Exceptions granted per file in scripts/checkpatch.exceptions.
ignores_for() {
	local f=$1 glob types reason acc=
	while read -r glob types reason; do
		case "$glob" in ''|'#'*) continue ;; esac
		[ -n "$reason" ] || { echo "lint: exception '$glob $types' has no reason" >&2; exit 1; }
		# shellcheck disable=SC2254
		case "$f" in $glob) acc+="${acc:+,}$types" ;; esac
	done < scripts/checkpatch.exceptions
	[ -n "$acc" ] && echo "--ignore=$acc"
}

echo "lint: checkpatch --strict (${#srcs[@]} files)"
for f in "${srcs[@]}"; do
	# shellcheck disable=SC2046
	out=$(perl "$kt/checkpatch.pl" --strict --no-tree --quiet --no-summary \
		--show-types $(ignores_for "$f") -f "$f" 2>&1)
	if [ -n "$out" ]; then
		echo "$out" | sed 's/^/    /'
		fail=1
	fi
done

echo "lint: kernel-doc"
for f in "${srcs[@]}"; do
	out=$(perl "$kt/kernel-doc" -none -Wall "$f" 2>&1)
	if [ -n "$out" ]; then
		echo "$out" | sed 's/^/    /'
		fail=1
	fi
done
# Every exported symbol has a kernel-doc comment somewhere in our sources.
# Two forms stand in for it: a __name() behind a documented name() wrapper
# macro is covered by the macro's comment, and exported data (which 6.12's
# kernel-doc cannot parse) needs a comment whose first line names it.
documented() {
	grep -qzP "/\*\*\s*\n\s*\*\s*$1\s*(\(\))?\s*-" "${srcs[@]}"
}
for sym in $(grep -hoE 'EXPORT_SYMBOL(_GPL|_NS|_NS_GPL)?\(\s*\w+' "${srcs[@]}" 2>/dev/null |
	     sed -E 's/.*\(\s*//' | sort -u); do
	documented "$sym" && continue
	documented "${sym#_}" && continue
	documented "${sym#__}" && continue
	if grep -qE "^(const )?struct \w+ $sym\b" "${srcs[@]}" &&
	   grep -qzP "/\*\*?\s*\n\s*\*\s*$sym\b" "${srcs[@]}"; then
		continue
	fi
	echo "    exported symbol $sym has no kernel-doc comment"
	fail=1
done
# Every ops structure declared in include/ has a kernel-doc comment.
for s in $(grep -hoE '^struct \w+_ops \{' include/snapvf/*.h 2>/dev/null | awk '{print $2}'); do
	if ! grep -qzP "/\*\*\s*\n\s*\*\s*struct ${s}\s*-" include/snapvf/*.h; then
		echo "    struct $s has no kernel-doc comment"
		fail=1
	fi
done

# Every exported symbol has a user outside its module (a driver, another
# library module or a test module), or is listed in scripts/exports-unused
# with its reason; a listed symbol that gained a user must leave the list.
# A __name() or _name() behind a name() wrapper macro is used through it.
echo "lint: exports without a user outside their module"
module_of() {
	case "$1" in
	drivers/*|tools/testing/modules/*) dirname "$1" ;;
	include/*) echo include ;;
	*) echo "${1%%/*}" ;;
	esac
}
declare -A unused_ok=() exported=()
while read -r sym reason; do
	case "$sym" in ''|'#'*) continue ;; esac
	[ -n "$reason" ] || { echo "    scripts/exports-unused: $sym has no reason"; fail=1; }
	unused_ok[$sym]=1
done < scripts/exports-unused
declare -A modof=()
cfiles=()
for f in "${srcs[@]}"; do
	[[ $f == *.c ]] || continue
	modof[$f]=$(module_of "$f")
	cfiles+=("$f")
done
for f in "${cfiles[@]}"; do
	others=()
	for u in "${cfiles[@]}"; do
		[ "${modof[$u]}" != "${modof[$f]}" ] && others+=("$u")
	done
	for sym in $(grep -hoE 'EXPORT_SYMBOL(_GPL|_NS|_NS_GPL)?\(\s*\w+' "$f" | sed -E 's/.*\(\s*//'); do
		exported[$sym]=1
		users=0
		grep -qwE "$sym|${sym#_}|${sym#__}" "${others[@]}" && users=1
		if [ $users = 0 ] && [ -z "${unused_ok[$sym]:-}" ]; then
			echo "    $sym ($f) has no user outside ${modof[$f]}"
			fail=1
		elif [ $users = 1 ] && [ -n "${unused_ok[$sym]:-}" ]; then
			echo "    $sym has a user now: remove it from scripts/exports-unused"
			fail=1
		fi
	done
done
for sym in "${!unused_ok[@]}"; do
	[ -n "${exported[$sym]:-}" ] && continue
	echo "    $sym is listed in scripts/exports-unused but not exported: remove it"
	fail=1
done

# Userspace API headers: userspace compiles them as they are (make
# headers_install copies them unchanged), so nothing of the kernel's may
# appear: only <linux/...>/<asm/...> uapi includes, only the __u8..__le64
# types, no __packed/__aligned, no __KERNEL__ sections.
echo "lint: uapi headers (userspace C90 and C++, no kernel-only names)"
while read -r h; do
	rel=${h#include/uapi/}
	for lang in "c -std=c90 -pedantic" "c++"; do
		# shellcheck disable=SC2086
		if ! out=$(printf '#include <%s>\n' "$rel" |
			   gcc -x $lang -Wall -Wextra -Werror -fsyntax-only \
			       -I include/uapi - 2>&1); then
			echo "    $h does not compile on its own as userspace ${lang%% *}:"
			echo "$out" | sed 's/^/      /'
			fail=1
		fi
	done
	if out=$(grep -nP '\b(u8|u16|u32|u64|s8|s16|s32|s64|__packed|__aligned|__KERNEL__)\b|^\s*#\s*include\s*<(?!linux/|asm/)' "$h"); then
		echo "    $h uses kernel-only names or includes:"
		echo "$out" | sed 's/^/      /'
		fail=1
	fi
done < <(find include/uapi -name '*.h' 2>/dev/null | sort)

echo "lint: test runner (run-tests --self-test, --lint)"
if ! out=$(tools/testing/run-tests --self-test 2>&1); then
	echo "$out" | sed 's/^/    /'
	fail=1
fi
if ! out=$(tools/testing/run-tests --lint 2>&1); then
	echo "$out"
	fail=1
fi

if [ $fail -ne 0 ]; then
	echo "lint: FAILED"
	exit 1
fi
echo "lint: clean"
