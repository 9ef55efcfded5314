// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C of the migration stream, implementation chosen at module load.
 *
 * crc32c() (libcrc32c) runs the highest-priority "crc32c" crypto driver:
 * on x86 crc32c-intel (the SSE4.2 crc32 instruction, PCLMUL folding for
 * long buffers), several times faster than the table-driven __crc32c_le()
 * (slice-by-8, built into the kernel, what crc32c-generic wraps) on
 * hardware.  Under instruction emulation the order flips: QEMU TCG runs
 * the crc32 instruction as a bit-at-a-time helper, and in such a guest
 * crc32c-intel does 98-130 MB/s against 380-450 MB/s for the table code
 * (tools/bench/migration/crc_impls.py).  The CRC is most of the cost of
 * saving and loading, so, as lib/raid6 and crypto/xor do, the layer times
 * both once at load and keeps the faster.  Both compute the same CRC, so
 * the stream format does not depend on the choice.
 *
 * Module parameter crc_impl: "auto" (default), "lib" (crc32c()) or
 * "table" (__crc32c_le()) at load; reading it gives the one in use.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/crc32c.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/vmalloc.h>
#include "mig_internal.h"

enum svf_crc_impl { SVF_CRC_AUTO, SVF_CRC_LIB, SVF_CRC_TABLE };

static const char * const svf_crc_names[] = { "auto", "lib", "table" };

/* Written before the module's files exist (load), read-only afterwards. */
static enum svf_crc_impl svf_crc_impl;

#define SVF_CRC_PROBE_BYTES	SZ_64K
#define SVF_CRC_PROBE_ROUNDS	4

/**
 * svf_crc32c() - CRC32C update with the implementation chosen at load
 * @crc: running CRC (no inversion applied)
 * @p: data
 * @len: bytes
 *
 * Return: the updated CRC, as crc32c() would compute it.
 */
u32 svf_crc32c(u32 crc, const void *p, size_t len)
{
	if (svf_crc_impl == SVF_CRC_TABLE)
		return __crc32c_le(crc, p, len);
	return crc32c(crc, p, len);
}

static int svf_crc_param_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(svf_crc_names, val);

	if (i < 0)
		return i;
	svf_crc_impl = i;
	return 0;
}

static int svf_crc_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", svf_crc_names[svf_crc_impl]);
}

static const struct kernel_param_ops svf_crc_param_ops = {
	.set = svf_crc_param_set,
	.get = svf_crc_param_get,
};
module_param_cb(crc_impl, &svf_crc_param_ops, NULL, 0444);
MODULE_PARM_DESC(crc_impl, "stream CRC32C: auto (time both at load), lib (crc32c()), table (__crc32c_le())");

/* Best time in ns of @impl over @buf; sets *@crc to its result. */
static u64 svf_crc_time(enum svf_crc_impl impl, const u8 *buf, u32 *crc)
{
	u64 best = U64_MAX, t;
	int i;

	for (i = 0; i < SVF_CRC_PROBE_ROUNDS; i++) {
		t = ktime_get_ns();
		*crc = impl == SVF_CRC_TABLE ?
			__crc32c_le(~0U, buf, SVF_CRC_PROBE_BYTES) :
			crc32c(~0U, buf, SVF_CRC_PROBE_BYTES);
		best = min(best, ktime_get_ns() - t);
	}
	return best ?: 1;
}

/**
 * svf_crc_init() - pick the CRC32C implementation (module load)
 *
 * Context: process context, before any engine exists.
 * Return: 0 or -ENOMEM.
 */
int svf_crc_init(void)
{
	u64 t_lib, t_table;
	u32 c_lib, c_table;
	u8 *buf;
	int i;

	if (svf_crc_impl != SVF_CRC_AUTO)
		goto out;
	buf = vmalloc(SVF_CRC_PROBE_BYTES);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < SVF_CRC_PROBE_BYTES; i++)
		buf[i] = i * 131 + (i >> 8);
	t_lib = svf_crc_time(SVF_CRC_LIB, buf, &c_lib);
	t_table = svf_crc_time(SVF_CRC_TABLE, buf, &c_table);
	vfree(buf);
	if (c_lib != c_table) {
		pr_err("crc32c() and __crc32c_le() disagree, using crc32c()\n");
		svf_crc_impl = SVF_CRC_LIB;
		goto out;
	}
	svf_crc_impl = t_table < t_lib ? SVF_CRC_TABLE : SVF_CRC_LIB;
	pr_info("stream CRC32C: crc32c() %llu MB/s, __crc32c_le() %llu MB/s\n",
		SVF_CRC_PROBE_BYTES * 1000ULL / t_lib,
		SVF_CRC_PROBE_BYTES * 1000ULL / t_table);
out:
	pr_info("stream CRC32C implementation: %s\n",
		svf_crc_names[svf_crc_impl]);
	return 0;
}
