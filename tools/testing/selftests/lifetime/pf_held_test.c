// SPDX-License-Identifier: GPL-2.0
/*
 * pf_held_test: a SNAP PF (snapvf_pci on vfio_pci_core, an ivshmem-plain
 * function managed by snapvf_sim) with, held across every teardown, one
 * of (fixture variants):
 *
 *  mmap    a mapping of every mmap-able region (VFIO_REGION_INFO_FLAG_MMAP:
 *          BAR0 and BAR2 of ivshmem-plain); the others must refuse mmap;
 *  irqs    eventfds for every IRQ index offered: REQ only (the guest's
 *          ivshmem-plain has no interrupt pin, no MSI, no MSI-X and is
 *          not PCIe, so no ERR - checked by the inventory case; the SF
 *          rows cover INTx and MSI-X);
 *  dmalog  a DMA-logging session (DMA_LOGGING_START) left running.  Only
 *          on a kernel that can report DMA dirty pages
 *          (CONFIG_IOMMUFD_DRIVER): elsewhere the function offers no DMA
 *          logging, which the setup asserts (ENOTTY) before skipping.
 *
 * Teardowns: closing the device fd, the parent withdrawing the function
 * (del_function), rmmod snapvf_sim, driver unbind, rmmod snapvf_pci, and
 * the withdrawal after the close.  Expectations (held_lib.h):
 *  - a withdrawal (del_function, rmmod snapvf_sim) completes at once
 *    whatever is held; a mapping then raises SIGBUS on every access and
 *    still keeps the device open (snapvf_pci pinned) until the munmap;
 *  - unbind waits until the device fd is closed *and* every mapping is
 *    gone, relaying the request IRQ; meanwhile the mapping reaches the
 *    live device; rmmod snapvf_pci fails at once (EWOULDBLOCK) while
 *    either is held;
 *  - after the last holder let go, no eventfd is signalled any more, also
 *    not when the next user of the function fires its own; the next user
 *    finds no DMA-logging session (REPORT fails, START succeeds) and the
 *    parent's logging off;
 *  - module reference counts return to where they were; all unload.
 */
#include "svf_harness.h"
#include "held_lib.h"

#define SNAP_DRV	"snapvf_pci"

enum held { HELD_MMAP, HELD_IRQ, HELD_LOG };

FIXTURE(pf) {
	char bdf[SVF_BDF_LEN];
	struct svf_vfio v;
	struct hl_maps maps;
	struct hl_irqs irqs;
	struct lt_modsnap snap;
	int req;
};

FIXTURE_VARIANT(pf) {
	enum held held;
	int mode;	/* interrupt mode of HELD_IRQ */
};

FIXTURE_VARIANT_ADD(pf, mmap) {
	.held = HELD_MMAP,
	.mode = -1,
};

FIXTURE_VARIANT_ADD(pf, irqs) {
	.held = HELD_IRQ,
	.mode = -1,
};

FIXTURE_VARIANT_ADD(pf, dmalog) {
	.held = HELD_LOG,
	.mode = -1,
};

/* The parent's "logging" flag of the function (stats knob), or -errno. */
static int pf_parent_logging(const char *bdf)
{
	char p[PATH_MAX], buf[512], *l;

	svf_sim_fn_knob(p, sizeof(p), bdf, "stats");
	if (svf_sysfs_read(p, buf, sizeof(buf)))
		return -ENOENT;
	l = strstr(buf, "logging ");
	return l ? atoi(l + 8) : -EINVAL;
}

FIXTURE_SETUP(pf)
{
	char fns[4][SVF_BDF_LEN];

	memset(&self->v, 0, sizeof(self->v));
	self->v.container = self->v.group = self->v.device = -1;
	memset(&self->maps, 0, sizeof(self->maps));
	memset(&self->irqs, 0, sizeof(self->irqs));
	ASSERT_EQ(0, lt_load(SNAP_DRV));
	ASSERT_GE(svf_find_pci(0x1af4, 0x1110, fns, 4), 1);
	svf_strlcpy(self->bdf, fns[0], sizeof(self->bdf));
	ASSERT_EQ(0, lt_pf_publish_and_bind(self->bdf));
	lt_snapshot(&self->snap);
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->bdf))
		TH_LOG("%s failed", self->v.failed);
	ASSERT_EQ(0, hl_irq_arm(&self->v, &self->irqs, variant->mode));
	self->req = hl_irq_req(&self->irqs);
	ASSERT_LE(0, self->req);
	switch (variant->held) {
	case HELD_MMAP:
		ASSERT_EQ(0, hl_map_all(&self->v, &self->maps));
		ASSERT_LE(1, self->maps.n);
		EXPECT_EQ(self->maps.not_mmap, self->maps.refused)
			TH_LOG("a region without the MMAP flag was mapped");
		hl_expect_live(_metadata, &self->maps);
		break;
	case HELD_IRQ:
		/* Live: the loopback reaches every eventfd. */
		ASSERT_EQ(0, hl_irq_fire(&self->v, &self->irqs));
		ASSERT_EQ(self->irqs.n,
			  hl_irq_fired_within(&self->irqs, LT_PROMPT_MS));
		break;
	case HELD_LOG:
		SVF_NEED_DMA_LOG(&self->v);
		ASSERT_EQ(0, hl_log_start(&self->v));
		EXPECT_EQ(-EBUSY, hl_log_start(&self->v));
		EXPECT_EQ(1, pf_parent_logging(self->bdf));
		break;
	}
}

FIXTURE_TEARDOWN(pf)
{
	hl_unmap_all(&self->maps);
	hl_irq_close(&self->irqs);
	svf_vfio_close(&self->v);
}

static void pf_unbind_path(const char *bdf, char *out, size_t len)
{
	snprintf(out, len, SVF_PCI_DEVICES "/%s/driver/unbind", bdf);
}

/*
 * The last holder lets go (device fd, then the mappings); the eventfds
 * stay open in user space for the checks that follow.
 */
static void pf_let_go(FIXTURE_DATA(pf) *self)
{
	svf_vfio_close(&self->v);
	hl_unmap_all(&self->maps);
}

/*
 * After the teardown, once the last holder let go: the function comes
 * back (published, bound) and a next user opens it.  The old eventfds
 * stay silent while the next user's fire; the next user finds no
 * DMA-logging session; then everything is closed, reference counts are
 * back and all modules unload.
 */
static void pf_next_user(struct __test_metadata *_metadata,
			 FIXTURE_DATA(pf) *self,
			 const FIXTURE_VARIANT(pf) *variant)
{
	const char *failed = "";
	struct hl_irqs q2;
	struct svf_vfio v2;
	int ret;

	memset(&v2, 0, sizeof(v2));
	v2.container = v2.group = v2.device = -1;
	/* Nothing fires after the release, not even with nobody firing. */
	hl_irq_drain(&self->irqs);
	EXPECT_EQ(0, hl_irq_fired_within(&self->irqs, LT_PENDING_MS));
	ASSERT_EQ(0, lt_load(SNAP_DRV));
	ASSERT_EQ(0, lt_pf_publish_and_bind(self->bdf));
	EXPECT_EQ(0, pf_parent_logging(self->bdf))
		TH_LOG("the parent still logs DMA for the previous user");
	ASSERT_EQ(0, svf_vfio_open(&v2, self->bdf))
		TH_LOG("%s failed", v2.failed);
	ASSERT_EQ(0, hl_irq_arm(&v2, &q2, variant->mode));
	hl_expect_silent(_metadata, &self->irqs, LT_PENDING_MS, &v2, &q2);
	if (variant->held == HELD_LOG) {
		ret = hl_log_report(&v2);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("REPORT of the next user");
		EXPECT_EQ(0, hl_log_start(&v2))
			TH_LOG("the previous user's session survived");
		EXPECT_EQ(0, svf_vfio_dma_log_stop(&v2));
	}
	svf_vfio_close(&v2);
	EXPECT_EQ(0, hl_irq_close(&q2));
	EXPECT_EQ(0, hl_irq_close(&self->irqs)) TH_LOG("closing the eventfds");
	lt_expect_refs(_metadata, &self->snap, 0);
	EXPECT_EQ(0, lt_unload_ours(&failed)) TH_LOG("rmmod %s", failed);
}

/*
 * What a holder sees right after a withdrawal: the request IRQ, ENODEV
 * from the device fd, SIGBUS from every mapping; the function stays bound
 * (snapvf_pci pinned) until the last holder lets go, then is unbound.
 */
static void pf_after_withdraw(struct __test_metadata *_metadata,
			      FIXTURE_DATA(pf) *self,
			      const FIXTURE_VARIANT(pf) *variant, int fd_open)
{
	int pci = lt_mod_index(SNAP_DRV);
	struct vfio_region_info ri;

	if (fd_open) {
		EXPECT_GE(svf_wait_eventfd(self->req, LT_PROMPT_MS), 1)
			TH_LOG("no request IRQ");
		EXPECT_EQ(-ENODEV, svf_vfio_region(&self->v, 0, &ri));
		EXPECT_EQ(-ENODEV, hl_irq_fire(&self->v, &self->irqs));
		if (variant->held == HELD_LOG)
			EXPECT_EQ(-ENODEV, hl_log_start(&self->v));
	}
	hl_expect_sigbus(_metadata, &self->maps);
	if (self->maps.n || fd_open) {
		usleep(LT_PENDING_MS * 1000);
		EXPECT_EQ(self->snap.ref[pci] + 1, lt_refcnt(SNAP_DRV))
			TH_LOG("the device must stay open until the last holder lets go");
		EXPECT_EQ(-EWOULDBLOCK, lt_rmmod(SNAP_DRV));
		hl_expect_sigbus(_metadata, &self->maps);
	}
	pf_let_go(self);
	EXPECT_EQ(0, svf_pci_wait_driver(self->bdf, NULL, LT_PROMPT_MS))
		TH_LOG("withdrawn function still bound after the last holder");
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
}

/*
 * The ivshmem-plain function offers exactly REQ, and DMA logging exactly
 * where the kernel can report it.
 */
TEST_F_TIMEOUT(pf, inventory, LT_TIMEOUT)
{
	unsigned int c[VFIO_PCI_NUM_IRQS];
	int can = svf_kernel_dma_log();

	if (variant->held != HELD_IRQ)
		SKIP(return, "once, in the irqs variant");
	ASSERT_LE(0, can) TH_LOG("running kernel's config not found");
	ASSERT_EQ(0, hl_irq_counts(&self->v, c));
	EXPECT_EQ(0, c[VFIO_PCI_INTX_IRQ_INDEX]);
	EXPECT_EQ(0, c[VFIO_PCI_MSI_IRQ_INDEX]);
	EXPECT_EQ(0, c[VFIO_PCI_MSIX_IRQ_INDEX]);
	EXPECT_EQ(0, c[VFIO_PCI_ERR_IRQ_INDEX]);
	EXPECT_EQ(1, c[VFIO_PCI_REQ_IRQ_INDEX]);
	EXPECT_EQ(can ? 0 : -ENOTTY, svf_vfio_dma_log_probe(&self->v));
	pf_let_go(self);
	pf_next_user(_metadata, self, variant);
}

/*
 * Close the device fd.  A mapping keeps the device open and live (the
 * function stays bound, snapvf_pci pinned) until the munmap.
 */
TEST_F_TIMEOUT(pf, close_device, LT_TIMEOUT)
{
	int pci = lt_mod_index(SNAP_DRV);
	char unbind[PATH_MAX];
	double secs;

	svf_vfio_close(&self->v);
	if (self->maps.n) {
		hl_expect_live(_metadata, &self->maps);
		EXPECT_EQ(self->snap.ref[pci] + 1, lt_refcnt(SNAP_DRV));
		EXPECT_EQ(-EWOULDBLOCK, lt_rmmod(SNAP_DRV));
	}
	pf_let_go(self);
	EXPECT_EQ(self->snap.ref[pci], lt_refcnt(SNAP_DRV));
	pf_unbind_path(self->bdf, unbind, sizeof(unbind));
	EXPECT_EQ(0, lt_prompt(unbind, self->bdf, &secs));
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	pf_next_user(_metadata, self, variant);
}

TEST_F_TIMEOUT(pf, withdraw_while_open, LT_TIMEOUT)
{
	char del[PATH_MAX];
	double secs;

	ASSERT_EQ(0, lt_sim_ctl_path("del_function", del, sizeof(del)));
	EXPECT_EQ(0, lt_prompt(del, self->bdf, &secs));
	pf_after_withdraw(_metadata, self, variant, 1);
	pf_next_user(_metadata, self, variant);
}

TEST_F_TIMEOUT(pf, rmmod_sim_while_open, LT_TIMEOUT)
{
	double secs;

	EXPECT_EQ(0, lt_prompt(NULL, "snapvf_sim", &secs));
	pf_after_withdraw(_metadata, self, variant, 1);
	pf_next_user(_metadata, self, variant);
}

/*
 * The device fd closed first: a mapping is then the only holder.  The
 * withdrawal completes at once all the same.
 */
TEST_F_TIMEOUT(pf, close_then_withdraw, LT_TIMEOUT)
{
	char del[PATH_MAX];
	double secs;

	svf_vfio_close(&self->v);
	ASSERT_EQ(0, lt_sim_ctl_path("del_function", del, sizeof(del)));
	EXPECT_EQ(0, lt_prompt(del, self->bdf, &secs));
	pf_after_withdraw(_metadata, self, variant, 0);
	pf_next_user(_metadata, self, variant);
}

/*
 * Driver unbind with the device fd open: request IRQ; it waits for the
 * close of the device fd and then for the munmap; the mapping reaches the
 * live device meanwhile.
 */
TEST_F_TIMEOUT(pf, unbind_while_open, LT_TIMEOUT)
{
	char unbind[PATH_MAX];
	struct lt_bg b;

	pf_unbind_path(self->bdf, unbind, sizeof(unbind));
	ASSERT_EQ(0, lt_bg_start(&b, unbind, self->bdf));
	EXPECT_GE(svf_wait_eventfd(self->req, LT_PROMPT_MS), 1)
		TH_LOG("no request IRQ");
	EXPECT_EQ(0, lt_bg_wait(&b, LT_PENDING_MS))
		TH_LOG("unbind must wait while the device fd is open");
	hl_expect_live(_metadata, &self->maps);
	svf_vfio_close(&self->v);
	if (self->maps.n) {
		EXPECT_EQ(0, lt_bg_wait(&b, LT_PENDING_MS))
			TH_LOG("unbind must wait while a mapping is held");
		hl_expect_live(_metadata, &self->maps);
		hl_unmap_all(&self->maps);
	}
	EXPECT_EQ(1, lt_bg_wait(&b, LT_PROMPT_MS))
		TH_LOG("unbind must complete once the last holder let go");
	EXPECT_EQ(0, lt_bg_join(&b));
	EXPECT_FALSE(svf_pci_is_bound(self->bdf, NULL));
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	pf_next_user(_metadata, self, variant);
}

/*
 * rmmod snapvf_pci fails at once while the device fd or a mapping is held
 * and leaves the held object working; it succeeds after the last holder.
 */
TEST_F_TIMEOUT(pf, rmmod_pci_while_open, LT_TIMEOUT)
{
	EXPECT_EQ(-EWOULDBLOCK, lt_rmmod(SNAP_DRV));
	EXPECT_TRUE(svf_mod_loaded(SNAP_DRV));
	switch (variant->held) {
	case HELD_MMAP:
		hl_expect_live(_metadata, &self->maps);
		svf_vfio_close(&self->v);
		EXPECT_EQ(-EWOULDBLOCK, lt_rmmod(SNAP_DRV));
		hl_expect_live(_metadata, &self->maps);
		break;
	case HELD_IRQ:
		EXPECT_EQ(0, hl_irq_fire(&self->v, &self->irqs));
		EXPECT_EQ(self->irqs.n,
			  hl_irq_fired_within(&self->irqs, LT_PROMPT_MS));
		break;
	case HELD_LOG:
		EXPECT_EQ(-EBUSY, hl_log_start(&self->v));
		EXPECT_EQ(1, pf_parent_logging(self->bdf));
		break;
	}
	pf_let_go(self);
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	EXPECT_FALSE(svf_pci_is_bound(self->bdf, NULL));
	pf_next_user(_metadata, self, variant);
}

TEST_HARNESS_MAIN
