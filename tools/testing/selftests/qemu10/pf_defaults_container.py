#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pf_migrate.py, live, QEMU's default vfio-pci settings through the container backend (debug kernel)."""
import sys

sys.dont_write_bytecode = True
import pf_migrate  # noqa: E402  (after dont_write_bytecode)

if __name__ == "__main__":
    sys.exit(pf_migrate.main("live", "container"))
