#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The "vm" console blocks of the admin docs, on the guest's real sysfs.
exec python3 ./svfctl_docs_test.py --vm
