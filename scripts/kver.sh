#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the target kernel release: the newest Debian 12 6.12 LTS kernel
# whose headers are installed, else the newest one apt offers.
# Never the running kernel.
set -eu
pick() { sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12-amd64\)$/\1/p' | sort -V | tail -n 1; }
v=$(ls /usr/src 2>/dev/null | pick)
if [ -z "$v" ] && command -v apt-cache >/dev/null 2>&1; then
	v=$(apt-cache pkgnames linux-headers-6.12. 2>/dev/null | pick)
fi
[ -n "$v" ] || { echo "kver: no linux-headers-6.12.*+deb12-amd64 installed or offered by apt (run 'apt-get update' as root)" >&2; exit 1; }
echo "$v"
