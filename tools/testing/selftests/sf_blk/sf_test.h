/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the sf_blk tests: SF parent paths, mdev type names
 * and test uuids.  Instances are created and removed through the standard
 * mdev sysfs with svf_sysfs.h's svf_mdev_*().
 *
 * The setup script (setup.sh) loads snapvf_sim + snapvf_sf and creates
 * SF 0 and SF 1; tests use SF 0 unless they say otherwise.
 */
#ifndef _SF_TEST_H
#define _SF_TEST_H

#include <stdio.h>

#include "svf_sysfs.h"	/* svf_mdev_create/remove/exists/available() */

/* SF @id's directory: the mdev parent of svf_mdev_*() */
#define SF_DEV(id)	SVF_AUX_DEVICES "/snapvf_sim.sf." #id
#define SF_TYPE_1Q	"snapvf_sf.blk-1q-64MiB"
#define SF_TYPE_4Q	"snapvf_sf.blk-4q-256MiB"

/* Deterministic uuid from @n (distinct per test via @tag). */
static inline void sf_uuid(char out[37], unsigned int tag, unsigned int n)
{
	snprintf(out, 37, "%08x-5f5f-4b4b-8c8c-%012x", tag, n);
}

#endif /* _SF_TEST_H */
