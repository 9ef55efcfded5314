/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the sim selftests; the generic sysfs, PCI and module helpers
 * are tools/include/svf_sysfs.h.
 */
#ifndef SIM_LIB_H
#define SIM_LIB_H

#include "svf_sysfs.h"

#define AUX_DIR		SVF_AUX_DEVICES
#define MAX_FNS		8

#endif /* SIM_LIB_H */
