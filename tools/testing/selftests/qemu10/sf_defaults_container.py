#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""sf_dirty.py, container backend: QEMU's defaults migrate an SF mdev whose DMA writes reach the destination through its dirty log."""
import sys

sys.dont_write_bytecode = True
import sf_dirty  # noqa: E402  (after dont_write_bytecode)

if __name__ == "__main__":
    sys.exit(sf_dirty.main("container"))
