/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kselftest harness (tools/testing/selftests/kselftest_harness.h from
 * linux-source-6.12) for snapvf's test programs: include this instead.
 *
 * The harness gives every test a fixed time limit (30 s), a guard against
 * hangs.  The debug test kernel (KASAN, lockdep under TCG) runs the same
 * work several times slower, so the limit scales with SVF_TIMEOUT_SCALE,
 * the factor the runner applies to every other limit of that lane; the
 * test programs of that lane are built with it (tools/testing/selftests/
 * lib.mk passes it, default 1); so does an explicit TEST_F_TIMEOUT().
 */
#ifndef _SVF_HARNESS_H
#define _SVF_HARNESS_H

#include "kselftest_harness.h"

#ifndef SVF_TIMEOUT_SCALE
#define SVF_TIMEOUT_SCALE	1
#endif

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	(30 * (SVF_TIMEOUT_SCALE))

#undef TEST_F_TIMEOUT
#define TEST_F_TIMEOUT(fixture_name, test_name, timeout) \
	__TEST_F_IMPL(fixture_name, test_name, -1, (timeout) * (SVF_TIMEOUT_SCALE))

/*
 * SVF_NEED_DMA_LOG(v): for a test of DMA logging on the opened device @v
 * (struct svf_vfio *; needs svf_vfio.h).  snapvf devices offer DMA logging
 * exactly where the kernel can report it (svf_kernel_dma_log()).  Where
 * it cannot, assert that @v does not offer it (-ENOTTY, so a VMM falls back
 * to its container's tracking) and skip the rest of the test, saying why;
 * where it can, assert that @v offers it.
 */
#define SVF_NEED_DMA_LOG(v) do {					\
	int __svf_k = svf_kernel_dma_log();				\
									\
	ASSERT_LE(0, __svf_k) TH_LOG("running kernel's config not found"); \
	if (!__svf_k) {							\
		ASSERT_EQ(-ENOTTY, svf_vfio_dma_log_probe(v));		\
		SKIP(return, "kernel without CONFIG_IOMMUFD_DRIVER: "	\
		     "no DMA logging offered (checked: ENOTTY)");	\
	}								\
	ASSERT_EQ(0, svf_vfio_dma_log_probe(v));			\
} while (0)

#endif /* _SVF_HARNESS_H */
