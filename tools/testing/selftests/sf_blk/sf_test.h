/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the sf_blk tests: SF parent paths, mdev type names
 * and test uuids.  Instances are created and removed through the standard
 * mdev sysfs with svf_sysfs.h's svf_mdev_*().
 *
 * The setup script (setup.sh) loads snapvf_sim + snapvf_sf, creates the
 * simulator's volume 0 (SF_VOL0_BYTES) and SF 0 and SF 1 presenting it
 * (a migration destination on SF 1 sees SF 0's data), and SF 2 with a
 * private 1 MiB volume and one queue; tests use SF 0 unless they say
 * otherwise.
 */
#ifndef _SF_TEST_H
#define _SF_TEST_H

#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "svf_sysfs.h"	/* svf_mdev_create/remove/exists/available() */

/* SF @id's directory: the mdev parent of svf_mdev_*() */
#define SF_DEV(id)	SVF_AUX_DEVICES "/snapvf_sim.sf." #id
#define SF_TYPE_1Q	"snapvf_sf.blk-1q"
#define SF_TYPE_4Q	"snapvf_sf.blk-4q"
/* SF @id's knobs in the simulator's debugfs */
#define SF_DBG(id)	"/sys/kernel/debug/snapvf_sim/snapvf_sim.sf." #id
#define SF_VOL0_BYTES	(64ULL << 20)

/* Write @val to the simulator manager's control file @file. */
static inline int sf_sim_ctl(const char *file, const char *val)
{
	char p[512];
	glob_t g;
	int ret;

	if (glob("/sys/bus/pci/drivers/snapvf_sim/0000:*/snapvf_sim", 0, NULL, &g))
		return -ENODEV;
	snprintf(p, sizeof(p), "%s/%s", g.gl_pathv[0], file);
	globfree(&g);
	ret = svf_sysfs_write(p, val);
	return ret;
}

/* SF @dbg's serial (its volume's) into @out, or -errno. */
static inline int sf_serial(const char *dbg, char *out, size_t len)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/serial", dbg);
	return svf_sysfs_read(p, out, len);
}

/* The count @what ("reads", "flushes", ...) in SF @dir's debugfs stats. */
static inline long long sf_stat(const char *dbg, const char *what)
{
	char p[256], b[256], *at;

	snprintf(p, sizeof(p), "%s/stats", dbg);
	if (svf_sysfs_read(p, b, sizeof(b)))
		return -1;
	at = strstr(b, what);
	return at ? strtoll(at + strlen(what), NULL, 10) : -1;
}

/* Deterministic uuid from @n (distinct per test via @tag). */
static inline void sf_uuid(char out[37], unsigned int tag, unsigned int n)
{
	snprintf(out, 37, "%08x-5f5f-4b4b-8c8c-%012x", tag, n);
}

#endif /* _SF_TEST_H */
