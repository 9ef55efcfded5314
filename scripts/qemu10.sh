#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QEMU 10, the VMM the migration tests run inside the test guests, from
# Debian's bookworm-backports suite, unpacked into a cache directory next to
# Debian 12's own QEMU 7.2 (which stays /usr/bin/qemu-system-x86_64 and
# boots the test guests).
#
#   qemu10.sh install    as root: fetch and unpack QEMU 10 unless the cache
#                        already has one (make deps runs this)
#   qemu10.sh update     as root: refresh the backports index and fetch its
#                        current QEMU if that is not the cached one
#   qemu10.sh path       print the wrapper that runs the cached QEMU 10 with
#                        its own firmware, data and modules (fails, telling
#                        to run make deps, when there is none)
#   qemu10.sh version    print the cached package version
#
# Why not add bookworm-backports to the machine's apt sources: both QEMUs
# are the package qemu-system-x86, so dpkg can hold only one of them, and a
# suite in /etc/apt (even pinned at priority 100, where nothing is upgraded
# to it unasked) stays visible to every apt run on the machine.  Instead
# apt-get runs with a private configuration (its own sources, lists, cache
# and an empty dpkg status, nothing of /etc/apt/sources.list*): it only
# DOWNLOADS qemu-system-x86, qemu-system-common, qemu-system-data and
# seabios, and dpkg-deb -x unpacks them into the cache.  /etc/apt is never
# written; removing the cache directory removes everything.  The libraries
# QEMU 10 links (its Depends) are ordinary bookworm packages and are
# installed with the machine's own apt configuration.
#
# The backports entry is derived from the machine's own Debian entry: the
# first deb entry (deb822 /etc/apt/sources.list.d/*.sources or one-line
# /etc/apt/sources.list, /etc/apt/sources.list.d/*.list) whose suite is
# "bookworm", with the suite replaced by "bookworm-backports" and the
# components by "main"; URIs, Signed-By and other options are kept.
#
# Cache: $SVF_CACHE (default /var/cache/snapvf when writable, else
# ~/.cache/snapvf), as scripts/debug-kernel.sh: apt-backports/ (the
# private apt state), qemu-<package version without epoch>/ (debs/, root/
# the unpacked packages, bin/qemu-system-x86_64 the wrapper, and the
# "complete" stamp), and the symlink qemu10 naming the current one.  The
# test guests see the host's root read-only, so the cache is visible inside
# them at the same path.  Every failure is one line starting "qemu10:" and
# a non-zero exit.
set -euo pipefail

# Overridable to exercise the bad inputs (a directory laid out as /etc/apt).
apt_etc=${SVF_APT_ETC:-/etc/apt}
suite=bookworm
bpo=$suite-backports
pkgs=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
min_major=10
# Bump when the unpacked layout or the wrapper changes.
recipe=1

die() { echo "qemu10: $*" >&2; exit 1; }
. "$(dirname "$0")/cache-lib.sh"


# The cache roots to read from: inside a test guest the root file system
# is read-only, so "writable" cannot pick it there.
read_roots() {
	if [ -n "${SVF_CACHE:-}" ]; then
		echo "$SVF_CACHE"
	else
		echo /var/cache/snapvf
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/snapvf"
	fi
}

stamp_get() { sed -n "s/^$2=//p" "$1/complete" 2>/dev/null; }

# A cached unpack is usable when its stamp is complete for this recipe and
# its files are there.
usable() {
	local d=$1
	[ -f "$d/complete" ] && [ "$(stamp_get "$d" recipe)" = "$recipe" ] &&
		[ -x "$d/bin/qemu-system-x86_64" ] && [ -x "$d/root/usr/bin/qemu-system-x86_64" ]
}

find_cached() {
	local r d
	while read -r r; do
		d=$r/qemu10
		[ -L "$d" ] || continue
		d=$(readlink -f "$d") || continue
		usable "$d" && { echo "$d"; return 0; }
	done < <(read_roots)
	return 1
}

# --- the backports entry, derived from the machine's bookworm entry ------

# deb822: print the first stanza of Types deb, Suites bookworm, main,
# rewritten for bookworm-backports.
derive_deb822() {
	awk -v suite="$suite" -v bpo="$bpo" '
	BEGIN { RS = ""; FS = "\n" }
	function has(list, word,   n, a, i) {
		n = split(list, a, /[ \t]+/)
		for (i = 1; i <= n; i++)
			if (a[i] == word)
				return 1
		return 0
	}
	{
		delete val
		key = ""
		for (i = 1; i <= NF; i++) {
			line = $i
			if (line ~ /^#/)
				continue
			if (line ~ /^[ \t]/ && key != "") {
				val[key] = val[key] " " line
				continue
			}
			if (match(line, /^[A-Za-z0-9-]+:/)) {
				key = tolower(substr(line, 1, RLENGTH - 1))
				val[key] = substr(line, RLENGTH + 1)
			}
		}
		if (!has(val["types"], "deb") || !has(val["suites"], suite) ||
		    !has(val["components"], "main") || tolower(val["enabled"]) ~ /no/)
			next
		out = ""
		skip = 0
		for (i = 1; i <= NF; i++) {
			line = $i
			if (line ~ /^#/)
				continue
			if (line ~ /^[ \t]/) {
				if (!skip)
					out = out line "\n"
				continue
			}
			k = tolower(line)
			sub(/:.*/, "", k)
			skip = 0
			if (k == "types")
				out = out "Types: deb\n"
			else if (k == "suites")
				out = out "Suites: " bpo "\n"
			else if (k == "components")
				out = out "Components: main\n"
			else if (k == "enabled")
				skip = 1
			else
				out = out line "\n"
			if (k == "types" || k == "suites" || k == "components")
				skip = 1
		}
		printf "%s", out
		found = 1
		exit
	}
	END { exit !found }' "$@"
}

# One-line format: print the first "deb [opts] URI bookworm ... main ..."
# line rewritten for bookworm-backports.
derive_oneline() {
	awk -v suite="$suite" -v bpo="$bpo" '
	/^[ \t]*deb[ \t]/ {
		line = $0
		sub(/^[ \t]*deb[ \t]+/, "", line)
		opts = ""
		if (line ~ /^\[/) {
			opts = substr(line, 1, index(line, "]"))
			line = substr(line, index(line, "]") + 1)
			sub(/^[ \t]+/, "", line)
		}
		n = split(line, a, /[ \t]+/)
		if (n < 3 || a[2] != suite)
			next
		for (i = 3; i <= n; i++)
			if (a[i] == "main") {
				print "deb " (opts != "" ? opts " " : "") a[1] " " bpo " main"
				found = 1
				exit
			}
	}
	END { exit !found }' "$@"
}

# Write the derived entry into the private sources dir $1.
write_entry() {
	local dir=$1 f
	rm -f "$dir"/*.list "$dir"/*.sources
	if [ -f "$apt_etc/sources.list" ] &&
	   derive_oneline "$apt_etc/sources.list" > "$dir/$bpo.list"; then
		return 0
	fi
	rm -f "$dir/$bpo.list"
	for f in "$apt_etc"/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		derive_oneline "$f" > "$dir/$bpo.list" && return 0
		rm -f "$dir/$bpo.list"
	done
	for f in "$apt_etc"/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		derive_deb822 "$f" > "$dir/$bpo.sources" && return 0
		rm -f "$dir/$bpo.sources"
	done
	die "cannot derive a $bpo entry: no enabled 'deb' entry with suite '$suite' and component 'main' in $apt_etc/sources.list or $apt_etc/sources.list.d/"
}

# --- fetch, unpack, check -----------------------------------------------

aopt=()
apt_setup() {
	local a=$1
	mkdir -p "$a/sources.list.d" "$a/preferences.d" "$a/lists/partial" \
		"$a/cache/archives/partial" || die "cannot create $a"
	aopt=(-o "Dir::Etc::SourceList=/dev/null"
	      -o "Dir::Etc::SourceParts=$a/sources.list.d"
	      -o "Dir::Etc::Preferences=/dev/null"
	      -o "Dir::Etc::PreferencesParts=$a/preferences.d"
	      -o "Dir::State::Lists=$a/lists"
	      -o "Dir::State::status=/dev/null"
	      -o "Dir::Cache=$a/cache")
	write_entry "$a/sources.list.d"
}

apt_refresh() {
	local a=$1 log=$1/update.log
	apt-get "${aopt[@]}" update >"$log" 2>&1 ||
		die "apt-get update of $bpo failed (entry: $(tr '\n' ' ' < "$a"/sources.list.d/*); log: $log)"
	grep -q '^[EW]:' "$log" &&
		die "apt-get update of $bpo reported errors (log: $log): $(grep -m1 '^[EW]:' "$log")"
	return 0
}

candidate() {
	apt-cache "${aopt[@]}" show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1
}

# Depends of a .deb: the first alternative of each, without versions and
# the packages we unpack ourselves.
lib_depends() {
	dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/[[:space:]]//g' |
		grep -vxE "$(IFS='|'; echo "${pkgs[*]}")" | grep -v '^$' || true
}

install_libs() {
	local dir=$1 deb p missing=()
	for deb in "$dir"/debs/*.deb; do
		for p in $(lib_depends "$deb"); do
			[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] ||
				missing+=("$p")
		done
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	echo "qemu10: installing from $suite what QEMU 10 links: ${missing[*]}"
	apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
		install -y --no-install-recommends "${missing[@]}" \
		>"$dir/apt-libs.log" 2>&1 ||
		die "apt-get install of ${missing[*]} (from $suite) failed (log: $dir/apt-libs.log)"
}

write_wrapper() {
	local dir=$1
	mkdir -p "$dir/bin"
	cat > "$dir/bin/qemu-system-x86_64" <<'EOF'
#!/bin/sh
# QEMU from bookworm-backports, unpacked by scripts/qemu10.sh: its own
# firmware and data (-L, searched before Debian's /usr/share/qemu and
# /usr/share/seabios of QEMU 7.2) and its own modules.
d=$(cd "$(dirname "$0")/.." && pwd)
QEMU_MODULE_DIR=$d/root/usr/lib/x86_64-linux-gnu/qemu
export QEMU_MODULE_DIR
exec "$d/root/usr/bin/qemu-system-x86_64" -L "$d/root/usr/share/qemu" \
	-L "$d/root/usr/share/seabios" "$@"
EOF
	chmod 755 "$dir/bin/qemu-system-x86_64"
}

# The unpacked binary runs, is the version we unpacked, links everything,
# and starts a q35 machine with its own firmware (paused, then quit).
check_unpacked() {
	local dir=$1 ver=$2 up out bin=$1/bin/qemu-system-x86_64
	up=${ver#*:}
	up=${up%%+*}
	up=${up%%-*}
	out=$(ldd "$dir/root/usr/bin/qemu-system-x86_64" 2>&1 | grep 'not found' || true)
	[ -z "$out" ] || die "the unpacked QEMU $ver misses libraries: $(echo "$out" | tr '\n' ' ')"
	out=$("$bin" --version 2>&1 | head -n 1) || die "the unpacked QEMU $ver does not run: $out"
	case "$out" in
	"QEMU emulator version $up "*) ;;
	*) die "the unpacked QEMU says '$out', expected version $up" ;;
	esac
	out=$(printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-version"}' \
		'{"execute":"quit"}' |
		timeout 60 "$bin" -machine q35 -accel tcg -m 64 -nodefaults -no-user-config -S \
			-display none -serial none -monitor none -qmp stdio 2>&1) ||
		die "the unpacked QEMU $ver cannot start a q35 machine: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	echo "$out" | grep -qE "\"major\": ${up%%.*}[,}]" ||
		die "the unpacked QEMU $ver did not answer query-version: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
}

fetch() {
	local root=$1 a=$1/apt-backports ver major dir p
	ver=$(candidate qemu-system-x86)
	[ -n "$ver" ] || die "$bpo offers no qemu-system-x86 (entry: $(tr '\n' ' ' < "$a"/sources.list.d/*))"
	major=${ver#*:}
	major=${major%%.*}
	[ "$major" -ge $min_major ] 2>/dev/null ||
		die "$bpo offers qemu-system-x86 $ver, older than QEMU $min_major"
	dir=$root/qemu-${ver#*:}
	if usable "$dir" && [ "$(stamp_get "$dir" version)" = "$ver" ]; then
		ln -sfn "$(basename "$dir")" "$root/qemu10"
		echo "qemu10: cached QEMU $ver ($dir)"
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	# apt's download sandbox user must be able to write there.
	id _apt >/dev/null 2>&1 && chown _apt "$dir/debs"
	echo "qemu10: downloading ${pkgs[*]} $ver from $bpo"
	(cd "$dir/debs" && apt-get "${aopt[@]}" download "${pkgs[@]}") >"$dir/download.log" 2>&1 ||
		die "download of ${pkgs[*]} from $bpo failed (log: $dir/download.log)"
	for p in "${pkgs[@]}"; do
		ls "$dir/debs/${p}_"*.deb >/dev/null 2>&1 || die "download of $p from $bpo left no .deb (log: $dir/download.log)"
	done
	install_libs "$dir"
	mkdir -p "$dir/root"
	for p in "$dir"/debs/*.deb; do
		dpkg-deb -x "$p" "$dir/root" || die "dpkg-deb -x $p failed"
	done
	write_wrapper "$dir"
	check_unpacked "$dir" "$ver"
	{
		echo "recipe=$recipe"
		echo "version=$ver"
		for p in "$dir"/debs/*.deb; do
			echo "deb=$(dpkg-deb -f "$p" Package) $(dpkg-deb -f "$p" Version) $(sha256sum < "$p" | cut -c1-64)"
		done
		echo "entry=$(tr '\n' ' ' < "$a"/sources.list.d/*)"
	} > "$dir/complete"
	ln -sfn "$(basename "$dir")" "$root/qemu10"
	echo "qemu10: QEMU $ver in $dir ($("$dir/bin/qemu-system-x86_64" --version | head -n 1))"
}

install() {
	local refresh=$1 root d
	[ "$(id -u)" = 0 ] || die "fetching QEMU $min_major needs root: run 'make deps' as root"
	root=$(svf_cache_root)
	mkdir -p "$root" || die "cannot create the cache directory $root"
	exec 9>"$root/.qemu10.lock"
	flock 9
	if [ "$refresh" = 0 ] && d=$(find_cached); then
		echo "qemu10: cached QEMU $(stamp_get "$d" version) ($d)"
		return 0
	fi
	apt_setup "$root/apt-backports"
	apt_refresh "$root/apt-backports"
	fetch "$root"
}

case "${1:-}" in
install) install 0 ;;
update) install 1 ;;
path)
	d=$(find_cached) ||
		die "QEMU $min_major (bookworm-backports) is not in the cache ($(read_roots | paste -sd ' ')): run 'make deps' as root"
	echo "$d/bin/qemu-system-x86_64" ;;
version)
	d=$(find_cached) || die "QEMU $min_major is not in the cache: run 'make deps' as root"
	stamp_get "$d" version ;;
*) die "usage: qemu10.sh install|update|path|version" ;;
esac
