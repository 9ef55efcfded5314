#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qemu_passthrough.py with QEMU 10 (bookworm-backports) as the VMM.

The same realize checks, plus QEMU 10's version and its view of the
device's migration: query-migrate-capabilities, query-migrate's
blocked-reasons and the vfio-pci property enable-migration (auto), for the
snapvf_pci function and, as a control, for a stock vfio-pci function.
QEMU 10 missing is a failure telling to run make deps, never a skip.
"""
import sys

import qemu_passthrough

if __name__ == "__main__":
    sys.exit(qemu_passthrough.main(qemu10=True))
