# SPDX-License-Identifier: GPL-2.0
# Sourced by scripts/debug-kernel.sh and scripts/qemu10.sh: where snapvf's
# build caches (debug kernel, QEMU 10) live.
#
# svf_cache_root: the cache root to write to: $SVF_CACHE if set, else
# /var/cache/snapvf when it can be created and written, else the user's
# cache directory.
svf_cache_root() {
	if [ -n "${SVF_CACHE:-}" ]; then
		echo "$SVF_CACHE"
	elif mkdir -p /var/cache/snapvf 2>/dev/null && [ -w /var/cache/snapvf ]; then
		echo /var/cache/snapvf
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/snapvf"
	fi
}
