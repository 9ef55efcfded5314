// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_mlx5's DMA logging over the PAGE_TRACK object, on the firmware
 * model: the model's function "writes by DMA" (debugfs dma_write), its
 * PAGE_TRACK object marks the tracked pages, and a report sends them to
 * the model's report receiver, which snapvf_mlx5 drains.
 *
 * Two entries into the same aux ops:
 *
 * - the vfio uAPI (VFIO_DEVICE_FEATURE_DMA_LOGGING_START/REPORT/STOP on
 *   snapvf_pci's device fd), tests uapi_*: only where the kernel can
 *   report (CONFIG_IOMMUFD_DRIVER, the debug test kernel); on Debian's
 *   kernel snapvf_pci offers no DMA logging at all and they check that
 *   (ENOTTY) and skip (SVF_NEED_DMA_LOG);
 * - the model's test hook (debugfs "log": svf_aux_fn_log_start/stop/
 *   report() called directly, as snapvf_pci calls them), tests hook_*:
 *   start and stop everywhere; reports only where the kernel's
 *   iova_bitmap is a stub (Debian's kernel), the model recording which
 *   addresses snapvf_mlx5 took from the receiver ("reported").
 *
 * What the bitmap receives (iova_bitmap_set() clipped to the window) is
 * therefore checked only by the uapi_* tests.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#define SVF_PARENT_MLX5		/* parent.h: the model's knobs */
#include "../pci/mig_lib.h"
#include "svf_harness.h"

#define MODEL		"snapvf_mlx5_model"
#define STATE_PAGES	512		/* as mlx5_test loads the model */
#define OP_CREATE_OBJ	0xa00		/* MLX5_CMD_OP_CREATE_GENERAL_OBJECT */
#define OP_MODIFY_OBJ	0xa01		/* MLX5_CMD_OP_MODIFY_GENERAL_OBJECT */
#define PS		0x1000ULL
#define R1		0x100000ULL	/* range 1: 16 pages */
#define R1_LEN		0x10000ULL
#define R2		0x400000ULL	/* range 2: 4 pages */
#define R2_LEN		0x4000ULL

static int model_load(void)
{
	return svf_shell("svf_modload %s state_pages=%d", MODEL, STATE_PAGES) ?
	       -EIO : 0;
}

static int knob(const char *bdf, const char *name, const char *fmt, ...)
{
	char p[PATH_MAX], val[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(p, sizeof(p), MODEL_DBG "/%s/%s", bdf, name);
	return svf_sysfs_write(p, val);
}

/* The model's function writes [iova, iova + len) by DMA. */
static int dma_write(const char *bdf, uint64_t iova, uint64_t len)
{
	return knob(bdf, "dma_write", "%llx %llx", (unsigned long long)iova,
		    (unsigned long long)len);
}

/*
 * What the last report sent, sorted as the model sends (ascending):
 * returns the count (which may exceed @max) or -1.
 */
static int reported(const char *bdf, uint64_t *addr, int max)
{
	char buf[8192], *line, *save = NULL;
	int n = -1, i = 0;

	if (model_knob_read(bdf, "reported", buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (n < 0)
			n = atoi(line);
		else if (i < max)
			addr[i++] = strtoull(line, NULL, 16);
	}
	return n;
}

/* "<buffers> <PAGE_TRACK objects> <report receivers>" alive, as one number each */
static int alive(unsigned int *bufs, unsigned int *tracks, unsigned int *reps)
{
	char buf[64];

	if (svf_sysfs_read(MODEL_DBG "/bufs", buf, sizeof(buf)) ||
	    sscanf(buf, "%u %u %u", bufs, tracks, reps) != 3)
		return -1;
	return 0;
}

static unsigned int tracks_alive(void)
{
	unsigned int b, t, r;

	if (alive(&b, &t, &r))
		return ~0u;
	return t + r;
}

static int aux_has_feature(const char *bdf, const char *feature)
{
	char p[PATH_MAX], buf[256];

	snprintf(p, sizeof(p), SVF_AUX_DEVICES "/snapvf_mlx5.vfio_pci.%u/features",
		 svf_fn_id(bdf));
	if (svf_sysfs_read(p, buf, sizeof(buf)))
		return -1;
	return strstr(buf, feature) != NULL;
}

static int setup_fn(const char *bdf)
{
	int ret = parent_ensure(bdf);

	return ret ? ret : svf_pci_bind(bdf, SNAP_DRV);
}

/* The test hook: svf_aux_fn_log_*() on the published function. */
static int hook(const char *bdf, const char *fmt, ...)
{
	char p[PATH_MAX], val[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(p, sizeof(p), MODEL_DBG "/%s/log", bdf);
	return svf_sysfs_write(p, val);
}

static uint64_t hook_page_size(const char *bdf)
{
	char buf[64];

	if (model_knob_read(bdf, "log_page_size", buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 0);
}

/*
 * Can the hook report here?  Only where iova_bitmap is a stub (else the
 * model refuses, -EOPNOTSUPP, and the uAPI reports).  Asserts the model
 * says so too.
 */
#define HOOK_NEED_REPORT(bdf) do {					\
	int __k = svf_kernel_dma_log();					\
									\
	ASSERT_LE(0, __k);						\
	if (__k) {							\
		ASSERT_EQ(-EOPNOTSUPP, hook(bdf, "report 0 1000"));	\
		SKIP(return, "the kernel reports through the vfio uAPI "\
		     "(uapi_* tests); the hook does not report here");	\
	}								\
} while (0)

static int hook_start2(const char *bdf, uint64_t ps)
{
	return hook(bdf, "start %llx %llx %llx %llx %llx",
		    (unsigned long long)ps, R1, R1_LEN, R2, R2_LEN);
}

FIXTURE(dl) {
	char fn[MAX_FNS][32];
	const char *a;
	struct svf_vfio v;
};

FIXTURE_SETUP(dl)
{
	self->v.device = self->v.group = self->v.container = -1;
	ASSERT_EQ(0, model_load());
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_GE(svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, self->fn, MAX_FNS), 1);
	self->a = self->fn[0];
	if (tracks_alive()) {
		/* a previous test leaked (and failed for it): start clean */
		ASSERT_EQ(0, svf_modunload(MODEL));
		svf_pci_wait_driver(self->a, NULL, 5000);
		ASSERT_EQ(0, model_load());
	}
	ASSERT_EQ(0, setup_fn(self->a));
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->a));
	ASSERT_EQ(0, tracks_alive());
}

/* Whatever a test left on, stop frees it all. */
FIXTURE_TEARDOWN(dl)
{
	if (parent_published(self->a))
		hook(self->a, "stop");
	svf_vfio_close(&self->v);
	knob(self->a, "fail_opcode", "0");
	EXPECT_EQ(0, tracks_alive()) TH_LOG("PAGE_TRACK object or receiver left");
}

/*
 * The model's functions announce dirty tracking; the device fd offers DMA
 * logging exactly where the kernel can report it.
 */
TEST_F(dl, announced)
{
	int k = svf_kernel_dma_log();

	EXPECT_EQ(1, aux_has_feature(self->a, "dirty_tracking"));
	ASSERT_LE(0, k) TH_LOG("running kernel's config not found");
	EXPECT_EQ(k ? 0 : -ENOTTY, svf_vfio_dma_log_probe(&self->v));
}

/*
 * Pages the function writes inside the ranges are sent exactly once, in
 * order, each page of a write that crosses pages; writes before start,
 * outside the ranges or partly outside (only the inside page) are not.
 */
TEST_F(dl, hook_reports_exact)
{
	static const uint64_t want[] = {
		R1, R1 + 0x1000, R1 + 0x3000, R1 + 0x4000, R2 + 0x3000,
	};
	uint64_t got[16];
	unsigned int i;

	HOOK_NEED_REPORT(self->a);
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x8000, 8)) TH_LOG("before start");
	ASSERT_EQ(0, hook_start2(self->a, PS));
	EXPECT_EQ(PS, hook_page_size(self->a));
	EXPECT_EQ(2, tracks_alive()) TH_LOG("one object, one receiver");
	ASSERT_EQ(0, dma_write(self->a, R1 - 0x10, 0x20));	/* page R1 only */
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x1000, 0x10));
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x3ff0, 0x20));	/* 2 pages */
	ASSERT_EQ(0, dma_write(self->a, 0x200000, 0x1000));	/* outside */
	ASSERT_EQ(0, dma_write(self->a, R2 + 0x3000, 1));
	ASSERT_EQ(0, dma_write(self->a, R2 + R2_LEN, 0x1000));	/* just after */
	ASSERT_EQ(0, hook(self->a, "report 0 1000000"));
	ASSERT_EQ(5, reported(self->a, got, 16));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(want[i], got[i]) TH_LOG("record %u", i);
	/* reported pages were cleared */
	ASSERT_EQ(0, hook(self->a, "report 0 1000000"));
	EXPECT_EQ(0, reported(self->a, got, 16));
	/* and a page written again is reported again */
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x1000, 0x10));
	ASSERT_EQ(0, hook(self->a, "report 0 1000000"));
	ASSERT_EQ(1, reported(self->a, got, 16));
	EXPECT_EQ(R1 + 0x1000, got[0]);
	EXPECT_EQ(0, hook(self->a, "stop"));
	EXPECT_EQ(0, tracks_alive());
}

/* A report covers its window only; the rest stays dirty for later. */
TEST_F(dl, hook_report_window)
{
	uint64_t got[16];

	HOOK_NEED_REPORT(self->a);
	ASSERT_EQ(0, hook_start2(self->a, PS));
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x2000, 1));
	ASSERT_EQ(0, dma_write(self->a, R2, 1));
	ASSERT_EQ(0, hook(self->a, "report %llx %llx", R2, R2_LEN));
	ASSERT_EQ(1, reported(self->a, got, 16));
	EXPECT_EQ(R2, got[0]);
	ASSERT_EQ(0, hook(self->a, "report %llx %llx", R1, R2 + R2_LEN - R1));
	ASSERT_EQ(1, reported(self->a, got, 16));
	EXPECT_EQ(R1 + 0x2000, got[0]) TH_LOG("the first report cleared it");
}

/*
 * The page size: one below the firmware's smallest granule (4 KiB) is
 * refused, EINVAL (a larger granule would lose the pages of a report
 * window's edges); a larger one is taken down to the model's 2 MiB (ranges
 * widened to it, pages reported at 2 MiB granularity); zero or not a power
 * of two: EINVAL.
 */
TEST_F(dl, hook_page_size)
{
	uint64_t got[4];

	EXPECT_EQ(-EINVAL, hook_start2(self->a, 0));
	EXPECT_EQ(-EINVAL, hook_start2(self->a, 0x3000));
	EXPECT_EQ(0, tracks_alive());
	EXPECT_EQ(-EINVAL, hook_start2(self->a, 0x200));
	EXPECT_EQ(0, tracks_alive());
	ASSERT_EQ(0, hook_start2(self->a, 1ULL << 30));
	EXPECT_EQ(0x200000, hook_page_size(self->a));
	HOOK_NEED_REPORT(self->a);
	/*
	 * R1 lies in the 2 MiB page at 0, R2 in the one at 4 MiB: the ranges
	 * are widened to them, so writes near R1 and R2 count.
	 */
	ASSERT_EQ(0, dma_write(self->a, 0x10000, 1));
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x5000, 1));
	ASSERT_EQ(0, dma_write(self->a, R2 + 0x100000, 1));
	ASSERT_EQ(0, dma_write(self->a, 0x200000, 1));	/* between: no */
	ASSERT_EQ(0, hook(self->a, "report 0 1000000"));
	ASSERT_EQ(2, reported(self->a, got, 4));
	EXPECT_EQ(0, got[0]);
	EXPECT_EQ(0x400000, got[1]) TH_LOG("R2's 2 MiB page");
}

/* A second start while logging: EBUSY, and the first session stays. */
TEST_F(dl, hook_start_twice)
{
	ASSERT_EQ(0, hook_start2(self->a, PS));
	EXPECT_EQ(-EBUSY, hook_start2(self->a, PS));
	EXPECT_EQ(2, tracks_alive());
	EXPECT_EQ(0, hook(self->a, "stop"));
	EXPECT_EQ(0, hook(self->a, "stop")) TH_LOG("stop when off succeeds");
	EXPECT_EQ(0, tracks_alive());
	ASSERT_EQ(0, hook_start2(self->a, PS)) TH_LOG("and it starts again");
}

/* After stop a report fails with EINVAL (as the migration layer's). */
TEST_F(dl, hook_report_after_stop)
{
	HOOK_NEED_REPORT(self->a);
	EXPECT_EQ(-EINVAL, hook(self->a, "report 0 1000")) TH_LOG("never started");
	ASSERT_EQ(0, hook_start2(self->a, PS));
	ASSERT_EQ(0, hook(self->a, "stop"));
	EXPECT_EQ(-EINVAL, hook(self->a, "report 0 1000"));
}

/*
 * More ranges than the firmware tracks (model: 4) are combined, smallest
 * gaps first (vfio_combine_iova_ranges): every range's pages are
 * reported, a page in a closed gap may be too, one in a gap left open
 * is not.  Ranges beyond the firmware's address space: E2BIG.
 */
TEST_F(dl, hook_ranges_combined)
{
	static const uint64_t r[] = {
		0x100000, 0x102000, 0x104000, 0x10000000, 0x20000000, 0x30000000,
	};
	uint64_t got[16];
	unsigned int i;

	ASSERT_EQ(0, hook(self->a, "start 1000 %llx 1000 %llx 1000 %llx 1000 %llx 1000 %llx 1000 %llx 1000",
			  r[0], r[1], r[2], r[3], r[4], r[5]));
	HOOK_NEED_REPORT(self->a);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, dma_write(self->a, r[i], 1));
	ASSERT_EQ(0, dma_write(self->a, 0x101000, 1));	/* closed gap */
	ASSERT_EQ(0, dma_write(self->a, 0x18000000, 1));	/* open gap */
	ASSERT_EQ(0, hook(self->a, "report 0 40000000"));
	ASSERT_EQ(7, reported(self->a, got, 16));
	EXPECT_EQ(r[0], got[0]);
	EXPECT_EQ(0x101000, got[1]);
	EXPECT_EQ(r[1], got[2]);
	EXPECT_EQ(r[2], got[3]);
	EXPECT_EQ(r[3], got[4]);
	EXPECT_EQ(r[4], got[5]);
	EXPECT_EQ(r[5], got[6]);
	ASSERT_EQ(0, hook(self->a, "stop"));
	/* 64 GiB + 4 KiB tracked: over the model's 2^36 */
	EXPECT_EQ(-E2BIG, hook(self->a, "start 1000 0 1000000000 2000000000 1000"));
	EXPECT_EQ(0, tracks_alive());
}

/*
 * CREATE_GENERAL_OBJECT(PAGE_TRACK) fails: start fails with the status's
 * errno (RES_BUSY: EBUSY), one kernel line names the command and
 * syndrome, and neither an object nor a receiver is left.
 */
TEST_F(dl, hook_create_fails)
{
	char fired[16];
	int kfd;

	ASSERT_EQ(0, knob(self->a, "fail_opcode", "0x%x", OP_CREATE_OBJ));
	ASSERT_EQ(0, knob(self->a, "fail_status", "0x6"));
	ASSERT_EQ(0, knob(self->a, "fail_syndrome", "0x5a5a0a00"));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	EXPECT_EQ(-EBUSY, hook_start2(self->a, PS));
	EXPECT_EQ(1, kmsg_count(kfd, "snapvf_mlx5", NULL)) TH_LOG("one line in all");
	close(kfd);
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, knob(self->a, "fail_opcode", "0x%x", OP_CREATE_OBJ));
	EXPECT_EQ(-EBUSY, hook_start2(self->a, PS));
	EXPECT_EQ(1, kmsg_count(kfd, "CREATE_GENERAL_OBJECT(PAGE_TRACK) failed",
				"syndrome 0x5a5a0a00"));
	close(kfd);
	ASSERT_EQ(0, model_knob_read(self->a, "fail_fired", fired, sizeof(fired)));
	EXPECT_STREQ("2", fired);
	EXPECT_EQ(0, tracks_alive());
	EXPECT_EQ(0, hook_start2(self->a, PS)) TH_LOG("works once the fault is gone");
}

/*
 * MODIFY (asking for a report) fails: the report fails with its errno,
 * nothing is lost (the pages are reported by the next report).
 */
TEST_F(dl, hook_modify_fails)
{
	uint64_t got[4];

	HOOK_NEED_REPORT(self->a);
	ASSERT_EQ(0, hook_start2(self->a, PS));
	ASSERT_EQ(0, dma_write(self->a, R1, 1));
	ASSERT_EQ(0, knob(self->a, "fail_opcode", "0x%x", OP_MODIFY_OBJ));
	ASSERT_EQ(0, knob(self->a, "fail_status", "0x3"));
	EXPECT_EQ(-EINVAL, hook(self->a, "report 0 1000000"));
	ASSERT_EQ(0, hook(self->a, "report 0 1000000"));
	ASSERT_EQ(1, reported(self->a, got, 4));
	EXPECT_EQ(R1, got[0]);
}

/*
 * The firmware's tracking fails, seen when it refuses the report (MODIFY
 * refused, QUERY says ERROR: "1") or on the receiver in the middle of it
 * ("2"): the report fails with EIO, logged once, and so does every later
 * one until stop; stop frees everything and logging starts again.
 */
TEST_F(dl, hook_tracking_error)
{
	static const char *const when[] = { "1", "2" };
	uint64_t got[4];
	unsigned int i;
	int kfd;

	HOOK_NEED_REPORT(self->a);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, hook_start2(self->a, PS));
		ASSERT_EQ(0, dma_write(self->a, R1, 1));
		ASSERT_EQ(0, knob(self->a, "track_error", when[i]));
		kfd = kmsg_mark();
		ASSERT_LE(0, kfd);
		EXPECT_EQ(-EIO, hook(self->a, "report 0 1000000")) TH_LOG("case %s", when[i]);
		EXPECT_EQ(-EIO, hook(self->a, "report 0 1000000"));
		EXPECT_EQ(1, kmsg_count(kfd, "snapvf_mlx5", "tracking state 2"))
			TH_LOG("case %s", when[i]);
		close(kfd);
		EXPECT_EQ(0, hook(self->a, "stop"));
		EXPECT_EQ(0, tracks_alive());
	}
	ASSERT_EQ(0, hook_start2(self->a, PS));
	ASSERT_EQ(0, dma_write(self->a, R2, 1));
	ASSERT_EQ(0, hook(self->a, "report 0 1000000"));
	ASSERT_EQ(1, reported(self->a, got, 4));
	EXPECT_EQ(R2, got[0]);
}

/*
 * The function is withdrawn (its PF, the model, removes it) while
 * logging: the object and receiver are destroyed at the withdrawal.
 */
TEST_F(dl, hook_withdrawn_while_logging)
{
	ASSERT_EQ(0, hook_start2(self->a, PS));
	EXPECT_EQ(2, tracks_alive());
	ASSERT_EQ(0, svf_sysfs_write(MODEL_DBG "/del_vf", self->a));
	EXPECT_FALSE(parent_published(self->a));
	EXPECT_EQ(0, tracks_alive()) TH_LOG("object or receiver left");
	svf_vfio_close(&self->v);
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, NULL, 5000));
	ASSERT_EQ(0, setup_fn(self->a));
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->a));
	EXPECT_EQ(0, hook_start2(self->a, PS));
}

/* ---- through the vfio uAPI (kernels that can report) ---- */

static int ustart2(struct svf_vfio *v, uint64_t ps)
{
	struct vfio_device_feature_dma_logging_range r[2] = {
		{ R1, R1_LEN }, { R2, R2_LEN },
	};

	return svf_vfio_dma_log_start_ranges(v, &ps, r, 2);
}

/*
 * The bitmap of [R1, R2 + R2_LEN) at 4 KiB holds exactly the pages the
 * function wrote inside the ranges after start; a second report is empty.
 */
TEST_F(dl, uapi_reports_exact)
{
	/* (R2 + R2_LEN - R1) / 4 KiB = 772 pages: 13 u64 */
	uint64_t bm[13], want[13];

	SVF_NEED_DMA_LOG(&self->v);
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x8000, 8)) TH_LOG("before start");
	ASSERT_EQ(0, ustart2(&self->v, PS));
	ASSERT_EQ(0, dma_write(self->a, R1 - 0x10, 0x20));
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x3ff0, 0x20));
	ASSERT_EQ(0, dma_write(self->a, 0x200000, 0x1000));
	ASSERT_EQ(0, dma_write(self->a, R2 + 0x3000, 1));
	memset(want, 0, sizeof(want));
	want[0] = 1ULL << 0 | 1ULL << 3 | 1ULL << 4;
	want[(R2 - R1) / PS / 64] |= 1ULL << ((R2 - R1) / PS % 64 + 3);
	memset(bm, 0, sizeof(bm));
	ASSERT_EQ(0, svf_vfio_dma_log_report(&self->v, R1, R2 + R2_LEN - R1, PS, bm));
	EXPECT_EQ(0, memcmp(want, bm, sizeof(bm)))
		TH_LOG("bitmap[0] %llx want %llx", (unsigned long long)bm[0],
		       (unsigned long long)want[0]);
	memset(bm, 0, sizeof(bm));
	memset(want, 0, sizeof(want));
	ASSERT_EQ(0, svf_vfio_dma_log_report(&self->v, R1, R2 + R2_LEN - R1, PS, bm));
	EXPECT_EQ(0, memcmp(want, bm, sizeof(bm))) TH_LOG("second report not empty");
	EXPECT_EQ(0, svf_vfio_dma_log_stop(&self->v));
	EXPECT_EQ(0, tracks_alive());
}

/* uAPI errnos: start twice EBUSY, bad page size EINVAL, report after stop EINVAL. */
TEST_F(dl, uapi_errnos)
{
	uint64_t bm[1] = { 0 };

	SVF_NEED_DMA_LOG(&self->v);
	EXPECT_EQ(-EINVAL, ustart2(&self->v, 0x3000));
	ASSERT_EQ(0, ustart2(&self->v, PS));
	EXPECT_EQ(-EBUSY, ustart2(&self->v, PS));
	ASSERT_EQ(0, svf_vfio_dma_log_stop(&self->v));
	EXPECT_EQ(-EINVAL, svf_vfio_dma_log_report(&self->v, R1, 64 * PS, PS, bm));
	EXPECT_EQ(0, tracks_alive());
}

/* An injected CREATE failure through the uAPI: errno, one line, nothing left. */
TEST_F(dl, uapi_create_fails)
{
	int kfd;

	SVF_NEED_DMA_LOG(&self->v);
	ASSERT_EQ(0, knob(self->a, "fail_opcode", "0x%x", OP_CREATE_OBJ));
	ASSERT_EQ(0, knob(self->a, "fail_status", "0x6"));
	ASSERT_EQ(0, knob(self->a, "fail_syndrome", "0x5a5a0a01"));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	EXPECT_EQ(-EBUSY, ustart2(&self->v, PS));
	EXPECT_EQ(1, kmsg_count(kfd, "snapvf_mlx5", "syndrome 0x5a5a0a01"));
	close(kfd);
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, knob(self->a, "fail_opcode", "0x%x", OP_CREATE_OBJ));
	EXPECT_EQ(-EBUSY, ustart2(&self->v, PS));
	EXPECT_EQ(1, kmsg_count(kfd, "snapvf_mlx5", NULL)) TH_LOG("one line in all");
	close(kfd);
	EXPECT_EQ(0, tracks_alive());
}

/*
 * A report of a window inside a range: only the window's pages come back
 * (the bitmap starts at the window), and the page outside it is still
 * due: the next report of the whole range has it, and only it.
 */
TEST_F(dl, uapi_report_window)
{
	uint64_t bm[1];

	SVF_NEED_DMA_LOG(&self->v);
	ASSERT_EQ(0, ustart2(&self->v, PS));
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x2000, 1));
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x5000, 1));
	memset(bm, 0, sizeof(bm));
	ASSERT_EQ(0, svf_vfio_dma_log_report(&self->v, R1 + 0x4000, 0x4000, PS, bm));
	EXPECT_EQ(1ULL << 1, bm[0]) TH_LOG("window bitmap %llx", (unsigned long long)bm[0]);
	memset(bm, 0, sizeof(bm));
	ASSERT_EQ(0, svf_vfio_dma_log_report(&self->v, R1, R1_LEN, PS, bm));
	EXPECT_EQ(1ULL << 2, bm[0]) TH_LOG("range bitmap %llx", (unsigned long long)bm[0]);
	EXPECT_EQ(0, svf_vfio_dma_log_stop(&self->v));
	EXPECT_EQ(0, tracks_alive());
}

/*
 * Through the uAPI: a refused MODIFY fails the report with its errno and
 * loses nothing; broken firmware tracking (refused report, then on the
 * receiver mid-report) fails every report with EIO, one line, until stop,
 * which frees everything.
 */
TEST_F(dl, uapi_report_errors)
{
	static const char *const when[] = { "1", "2" };
	uint64_t bm[1];
	unsigned int i;
	int kfd;

	SVF_NEED_DMA_LOG(&self->v);
	ASSERT_EQ(0, ustart2(&self->v, PS));
	ASSERT_EQ(0, dma_write(self->a, R1 + 0x3000, 1));
	ASSERT_EQ(0, knob(self->a, "fail_opcode", "0x%x", OP_MODIFY_OBJ));
	ASSERT_EQ(0, knob(self->a, "fail_status", "0x3"));
	memset(bm, 0, sizeof(bm));
	EXPECT_EQ(-EINVAL, svf_vfio_dma_log_report(&self->v, R1, R1_LEN, PS, bm));
	memset(bm, 0, sizeof(bm));
	ASSERT_EQ(0, svf_vfio_dma_log_report(&self->v, R1, R1_LEN, PS, bm));
	EXPECT_EQ(1ULL << 3, bm[0]) TH_LOG("the page came back: %llx",
					  (unsigned long long)bm[0]);
	ASSERT_EQ(0, svf_vfio_dma_log_stop(&self->v));
	ASSERT_EQ(0, knob(self->a, "fail_status", "0"));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ustart2(&self->v, PS));
		ASSERT_EQ(0, dma_write(self->a, R1, 1));
		ASSERT_EQ(0, knob(self->a, "track_error", when[i]));
		kfd = kmsg_mark();
		ASSERT_LE(0, kfd);
		EXPECT_EQ(-EIO, svf_vfio_dma_log_report(&self->v, R1, R1_LEN, PS, bm))
			TH_LOG("case %s", when[i]);
		EXPECT_EQ(-EIO, svf_vfio_dma_log_report(&self->v, R1, R1_LEN, PS, bm));
		EXPECT_EQ(1, kmsg_count(kfd, "snapvf_mlx5", "tracking state 2"))
			TH_LOG("case %s", when[i]);
		close(kfd);
		EXPECT_EQ(0, svf_vfio_dma_log_stop(&self->v));
		EXPECT_EQ(0, tracks_alive());
	}
}

/* Closing the device fd while logging stops it: nothing left. */
TEST_F(dl, uapi_close_while_logging)
{
	SVF_NEED_DMA_LOG(&self->v);
	ASSERT_EQ(0, ustart2(&self->v, PS));
	EXPECT_EQ(2, tracks_alive());
	svf_vfio_close(&self->v);
	EXPECT_EQ(0, tracks_alive()) TH_LOG("close left logging on");
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->a));
	EXPECT_EQ(0, ustart2(&self->v, PS)) TH_LOG("the next user starts it");
}

/* Withdrawn while logging through the uAPI: nothing left, reports ENODEV. */
TEST_F(dl, uapi_withdrawn_while_logging)
{
	uint64_t bm[1] = { 0 };

	SVF_NEED_DMA_LOG(&self->v);
	ASSERT_EQ(0, ustart2(&self->v, PS));
	ASSERT_EQ(0, svf_sysfs_write(MODEL_DBG "/del_vf", self->a));
	EXPECT_EQ(0, tracks_alive());
	EXPECT_EQ(-ENODEV, svf_vfio_dma_log_report(&self->v, R1, 64 * PS, PS, bm));
	svf_vfio_close(&self->v);
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, NULL, 5000));
	ASSERT_EQ(0, setup_fn(self->a));
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->a));
}

/*
 * The provider (the PF: here the model module) goes away while a
 * function logs: the object and receiver are destroyed before it does
 * (the model reports leaks at unload); firmware without page tracking
 * (track_ranges=0) gets no dirty_tracking feature.
 */
TEST(provider_removed_while_logging)
{
	char fn[MAX_FNS][32], p[PATH_MAX];
	int kfd, i;

	ASSERT_EQ(0, model_load());
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_GE(svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, fn, MAX_FNS), 1);
	ASSERT_EQ(0, setup_fn(fn[0]));
	ASSERT_EQ(0, hook_start2(fn[0], PS));
	EXPECT_EQ(2, tracks_alive());
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, svf_modunload(MODEL));
	EXPECT_EQ(0, kmsg_count(kfd, "leaked", NULL)) TH_LOG("the model saw leaks");
	close(kfd);
	for (i = 0; i < 2; i++)
		svf_pci_wait_driver(fn[i], NULL, 5000);

	ASSERT_EQ(0, svf_shell("svf_modload %s state_pages=%d track_ranges=0",
			       MODEL, STATE_PAGES));
	ASSERT_EQ(0, setup_fn(fn[0]));
	EXPECT_EQ(0, aux_has_feature(fn[0], "dirty_tracking"));
	EXPECT_EQ(1, aux_has_feature(fn[0], "migration"));
	EXPECT_EQ(-EOPNOTSUPP, hook_start2(fn[0], PS)) TH_LOG("no feature, no op");
	ASSERT_EQ(0, svf_modunload(MODEL));
	for (i = 0; i < 2; i++)
		svf_pci_wait_driver(fn[i], NULL, 5000);
	ASSERT_EQ(0, model_load());
	snprintf(p, sizeof(p), MODEL_DBG "/bufs");
	EXPECT_TRUE(svf_exists(p));
}

TEST_HARNESS_MAIN
