#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# qemu_passthrough.sh with QEMU 10 (bookworm-backports) as the VMM: the same
# realize checks, plus QEMU 10's version and its view of the instance's
# migration.  QEMU 10 missing is a failure telling to run make deps.
exec bash ./qemu_passthrough.sh qemu10
