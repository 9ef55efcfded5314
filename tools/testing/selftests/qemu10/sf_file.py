#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""sf_migrate.py, file flow: QEMU 10 migrates an SF mdev through a file (file: URI, -incoming defer)."""
import sys

sys.dont_write_bytecode = True
import sf_migrate  # noqa: E402  (after dont_write_bytecode)

if __name__ == "__main__":
    sys.exit(sf_migrate.main("file"))
