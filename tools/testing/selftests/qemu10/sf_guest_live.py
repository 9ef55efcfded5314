#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""sf_guest.py: a nested guest's virtio_blk writes to an SF mdev while QEMU 10 migrates it live."""
import sys

sys.dont_write_bytecode = True
import sf_guest  # noqa: E402  (after dont_write_bytecode)

if __name__ == "__main__":
    sys.exit(sf_guest.main())
