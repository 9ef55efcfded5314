// SPDX-License-Identifier: GPL-2.0
/*
 * sf_held_test: an SF mdev (snapvf_sf on vfio-mdev-core, parent
 * snapvf_sim) with, held across every teardown, one of (fixture
 * variants):
 *
 *  intx    eventfds for INTx and REQ;
 *  msix    eventfds for every MSI-X vector and REQ (the SF offers INTx,
 *          MSI-X and REQ; no MSI, no ERR - checked by the inventory case;
 *          INTx and MSI-X cannot be enabled at once);
 *  dmalog  a DMA-logging session: DMA_LOGGING_START left running, its
 *          REPORT working.  Only on a kernel that can report DMA dirty
 *          pages (CONFIG_IOMMUFD_DRIVER): elsewhere the device offers no
 *          DMA logging, which the setup asserts (ENOTTY) before skipping.
 *
 * The SF has no mmap-able region (its BARs are trapped: virtio registers
 * and the MSI-X table): the inventory case checks that no region has
 * VFIO_REGION_INFO_FLAG_MMAP and that mmap() of each fails with EINVAL, so
 * the matrix has no mapping row for this kind.
 *
 * Teardowns: closing the device fd (then mdev remove, del_sf, rmmod
 * snapvf_sim and rmmod snapvf_sf complete at once), and with the device
 * fd open: mdev remove, del_sf, rmmod snapvf_sim (request IRQ, pending
 * until the close, then complete) and rmmod snapvf_sf (EWOULDBLOCK, the
 * held object keeps working).  After the last holder let go no eventfd is
 * signalled any more, also not by the next instance's user firing its own;
 * the next user finds no DMA-logging session (REPORT fails, START
 * succeeds); reference counts return; all modules unload.
 */
#include "svf_harness.h"
#include "held_lib.h"

#define SF_ID		"9"
#define SF_DIR		SVF_AUX_DEVICES "/snapvf_sim.sf." SF_ID
#define SF_TYPE		"snapvf_sf.blk-1q"
#define SF_UUID		"1f1f1f1f-0000-4000-8000-00000000000b"
#define SF_REMOVE	SVF_MDEV_DEVICES "/" SF_UUID "/remove"

enum held { HELD_IRQ, HELD_LOG };

FIXTURE(sf) {
	struct svf_vfio v;
	struct hl_irqs irqs;
	struct lt_modsnap snap;
	int req;
};

FIXTURE_VARIANT(sf) {
	enum held held;
	int mode;
};

FIXTURE_VARIANT_ADD(sf, intx) {
	.held = HELD_IRQ,
	.mode = VFIO_PCI_INTX_IRQ_INDEX,
};

FIXTURE_VARIANT_ADD(sf, msix) {
	.held = HELD_IRQ,
	.mode = VFIO_PCI_MSIX_IRQ_INDEX,
};

FIXTURE_VARIANT_ADD(sf, dmalog) {
	.held = HELD_LOG,
	.mode = -1,
};

/* Load, create the SF and the instance (whatever is missing). */
static int sf_bring_up(void)
{
	int ret;

	ret = lt_load("snapvf_sf");
	if (!ret && !svf_exists(SF_DIR))
		ret = lt_sim_ctl("new_sf", SF_ID " 1M 1 64 4");
	if (!ret && !svf_mdev_exists(SF_UUID))
		ret = svf_mdev_create(SF_DIR, SF_TYPE, SF_UUID);
	return ret;
}

FIXTURE_SETUP(sf)
{
	memset(&self->v, 0, sizeof(self->v));
	self->v.container = self->v.group = self->v.device = -1;
	memset(&self->irqs, 0, sizeof(self->irqs));
	ASSERT_EQ(0, sf_bring_up());
	lt_snapshot(&self->snap);
	ASSERT_EQ(0, svf_vfio_open(&self->v, SF_UUID));
	ASSERT_EQ(0, hl_irq_arm(&self->v, &self->irqs, variant->mode));
	self->req = hl_irq_req(&self->irqs);
	ASSERT_LE(0, self->req);
	switch (variant->held) {
	case HELD_IRQ:
		ASSERT_EQ(0, hl_irq_fire(&self->v, &self->irqs));
		ASSERT_EQ(self->irqs.n,
			  hl_irq_fired_within(&self->irqs, LT_PROMPT_MS));
		break;
	case HELD_LOG:
		SVF_NEED_DMA_LOG(&self->v);
		ASSERT_EQ(0, hl_log_start(&self->v));
		EXPECT_EQ(-EBUSY, hl_log_start(&self->v));
		EXPECT_EQ(0, hl_log_report(&self->v));
		break;
	}
}

FIXTURE_TEARDOWN(sf)
{
	hl_irq_close(&self->irqs);
	svf_vfio_close(&self->v);
}

/*
 * After the last holder let go: the instance comes back if it went, a
 * next user opens it; the old eventfds stay silent while the next user's
 * fire; no DMA-logging session is left; counts return; all unload.
 */
static void sf_next_user(struct __test_metadata *_metadata,
			 FIXTURE_DATA(sf) *self,
			 const FIXTURE_VARIANT(sf) *variant)
{
	const char *failed = "";
	struct hl_irqs q2;
	struct svf_vfio v2;
	int ret;

	memset(&v2, 0, sizeof(v2));
	v2.container = v2.group = v2.device = -1;
	hl_irq_drain(&self->irqs);
	EXPECT_EQ(0, hl_irq_fired_within(&self->irqs, LT_PENDING_MS));
	ASSERT_EQ(0, sf_bring_up());
	ASSERT_EQ(0, svf_vfio_open(&v2, SF_UUID));
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
 * With the device fd open, a step that removes the instance: request IRQ,
 * pending while the device fd is open, complete right after the close.
 */
static void sf_pending_step(struct __test_metadata *_metadata,
			    FIXTURE_DATA(sf) *self, const char *path,
			    const char *val)
{
	struct lt_bg b;

	ASSERT_EQ(0, lt_bg_start(&b, path, val));
	EXPECT_GE(svf_wait_eventfd(self->req, LT_PROMPT_MS), 1)
		TH_LOG("no request IRQ");
	EXPECT_EQ(0, lt_bg_wait(&b, LT_PENDING_MS))
		TH_LOG("must wait while the device fd is open");
	svf_vfio_close(&self->v);
	EXPECT_EQ(1, lt_bg_wait(&b, LT_PROMPT_MS))
		TH_LOG("must complete once the device fd is closed");
	EXPECT_EQ(0, lt_bg_join(&b));
	EXPECT_FALSE(svf_mdev_exists(SF_UUID));
}

/*
 * INTx, MSI-X and REQ; no MSI, no ERR; nothing mmap-able; DMA logging
 * exactly where the kernel can report it.
 */
TEST_F_TIMEOUT(sf, inventory, LT_TIMEOUT)
{
	unsigned int c[VFIO_PCI_NUM_IRQS];
	struct hl_maps m;
	int can = svf_kernel_dma_log();

	if (variant->mode != VFIO_PCI_INTX_IRQ_INDEX)
		SKIP(return, "once, in the intx variant");
	ASSERT_LE(0, can) TH_LOG("running kernel's config not found");
	ASSERT_EQ(0, hl_irq_counts(&self->v, c));
	EXPECT_EQ(1, c[VFIO_PCI_INTX_IRQ_INDEX]);
	EXPECT_EQ(0, c[VFIO_PCI_MSI_IRQ_INDEX]);
	EXPECT_LE(2, c[VFIO_PCI_MSIX_IRQ_INDEX]);
	EXPECT_GE(HL_MAX_EFDS - 1, c[VFIO_PCI_MSIX_IRQ_INDEX]);
	EXPECT_EQ(0, c[VFIO_PCI_ERR_IRQ_INDEX]);
	EXPECT_EQ(1, c[VFIO_PCI_REQ_IRQ_INDEX]);
	EXPECT_EQ(can ? 0 : -ENOTTY, svf_vfio_dma_log_probe(&self->v));
	ASSERT_EQ(0, hl_map_all(&self->v, &m));
	EXPECT_EQ(0, m.n) TH_LOG("the SF has no RAM BAR");
	EXPECT_LE(2, m.not_mmap);
	EXPECT_EQ(m.not_mmap, m.refused);
	hl_unmap_all(&m);
	svf_vfio_close(&self->v);
	sf_next_user(_metadata, self, variant);
}

/*
 * Close the device fd: the held objects are released with it; every
 * teardown then completes at once.
 */
TEST_F_TIMEOUT(sf, close_remove_del_rmmod, LT_TIMEOUT)
{
	char del[PATH_MAX];
	double secs;

	ASSERT_EQ(0, lt_sim_ctl_path("del_sf", del, sizeof(del)));
	svf_vfio_close(&self->v);
	hl_irq_drain(&self->irqs);
	EXPECT_EQ(0, hl_irq_fired_within(&self->irqs, LT_PENDING_MS));
	EXPECT_EQ(0, lt_prompt(SF_REMOVE, "1", &secs));
	EXPECT_EQ(0, lt_prompt(del, SF_ID, &secs));
	EXPECT_EQ(0, lt_prompt(NULL, "snapvf_sim", &secs));
	EXPECT_EQ(0, lt_rmmod("snapvf_sf"));
	sf_next_user(_metadata, self, variant);
}

/* Close, then the next user of the same instance (nothing removed). */
TEST_F_TIMEOUT(sf, close_reopen, LT_TIMEOUT)
{
	svf_vfio_close(&self->v);
	sf_next_user(_metadata, self, variant);
}

TEST_F_TIMEOUT(sf, remove_while_open, LT_TIMEOUT)
{
	sf_pending_step(_metadata, self, SF_REMOVE, "1");
	sf_next_user(_metadata, self, variant);
}

TEST_F_TIMEOUT(sf, del_sf_while_open, LT_TIMEOUT)
{
	char del[PATH_MAX];

	ASSERT_EQ(0, lt_sim_ctl_path("del_sf", del, sizeof(del)));
	sf_pending_step(_metadata, self, del, SF_ID);
	EXPECT_FALSE(svf_exists(SF_DIR));
	sf_next_user(_metadata, self, variant);
}

TEST_F_TIMEOUT(sf, rmmod_sim_while_open, LT_TIMEOUT)
{
	sf_pending_step(_metadata, self, NULL, "snapvf_sim");
	EXPECT_FALSE(svf_mod_loaded("snapvf_sim"));
	sf_next_user(_metadata, self, variant);
}

/*
 * rmmod snapvf_sf fails at once while the device fd is open and leaves
 * the held object working; after the close it succeeds.
 */
TEST_F_TIMEOUT(sf, rmmod_sf_while_open, LT_TIMEOUT)
{
	EXPECT_EQ(-EWOULDBLOCK, lt_rmmod("snapvf_sf"));
	EXPECT_TRUE(svf_mod_loaded("snapvf_sf"));
	if (variant->held == HELD_IRQ) {
		EXPECT_EQ(0, hl_irq_fire(&self->v, &self->irqs));
		EXPECT_EQ(self->irqs.n,
			  hl_irq_fired_within(&self->irqs, LT_PROMPT_MS));
	} else {
		EXPECT_EQ(0, hl_log_report(&self->v));
		EXPECT_EQ(-EBUSY, hl_log_start(&self->v));
	}
	svf_vfio_close(&self->v);
	EXPECT_EQ(0, lt_rmmod("snapvf_sf"));
	EXPECT_FALSE(svf_mdev_exists(SF_UUID));
	sf_next_user(_metadata, self, variant);
}

TEST_HARNESS_MAIN
