// SPDX-License-Identifier: GPL-2.0
/*
 * sf_lifetime_test: an SF mdev (snapvf_sf on vfio-mdev-core, parent
 * snapvf_sim) whose migration data_fd, obtained in PRE_COPY, STOP_COPY or
 * RESUMING, is held across every teardown: closing the device fd, mdev
 * remove, SF del, rmmod of the simulator and of snapvf_sf, in the orders
 * that matter.
 *
 * Expectations (see lifetime_lib.h for the data_fd contract):
 *  - with the device fd closed, mdev remove, del_sf, rmmod snapvf_sim and
 *    rmmod snapvf_sf complete at once (LT_PROMPT_MS) although the data_fd
 *    is still open;
 *  - with the device fd open, mdev remove, del_sf and rmmod snapvf_sim
 *    send the request IRQ, cut the data_fd off at once and then wait until
 *    the device fd is closed (vfio_unregister_group_dev()); rmmod
 *    snapvf_sf fails at once with EWOULDBLOCK (vfio pins the driver of an
 *    open device) and the data_fd keeps working;
 *  - a cut-off data_fd answers ENODEV, also after the device is reopened
 *    and a new session runs; closing it is clean; module reference counts
 *    return to where they were and every module unloads.
 *
 * Each case ends by unloading all snapvf modules; the next one loads them.
 */
#include "svf_harness.h"
#include "lifetime_lib.h"

#define SF_ID		"9"
#define SF_DIR		SVF_AUX_DEVICES "/snapvf_sim.sf." SF_ID
#define SF_TYPE		"snapvf_sf.blk-1q"
#define SF_UUID		"1f1f1f1f-0000-4000-8000-00000000000a"
#define SF_REMOVE	SVF_MDEV_DEVICES "/" SF_UUID "/remove"
#define DIRTY_IOVA	0x100000000ull

FIXTURE(sf) {
	struct svf_vfio v;
	int efd;
	int fd;
	struct lt_modsnap snap;
};

FIXTURE_VARIANT(sf) {
	uint32_t state;
	int saving;
};

FIXTURE_VARIANT_ADD(sf, pre_copy) {
	.state = VFIO_DEVICE_STATE_PRE_COPY,
	.saving = 1,
};

FIXTURE_VARIANT_ADD(sf, stop_copy) {
	.state = VFIO_DEVICE_STATE_STOP_COPY,
	.saving = 1,
};

FIXTURE_VARIANT_ADD(sf, resuming) {
	.state = VFIO_DEVICE_STATE_RESUMING,
	.saving = 0,
};

FIXTURE_SETUP(sf)
{
	memset(&self->v, 0, sizeof(self->v));
	self->v.container = self->v.group = self->v.device = -1;
	self->efd = self->fd = -1;
	ASSERT_EQ(0, lt_load("snapvf_sf"));
	if (!svf_exists(SF_DIR))
		ASSERT_EQ(0, lt_sim_ctl("new_sf", SF_ID " 1M 1 64 4"));
	if (!svf_mdev_exists(SF_UUID))
		ASSERT_EQ(0, svf_mdev_create(SF_DIR, SF_TYPE, SF_UUID));
	lt_snapshot(&self->snap);
	ASSERT_EQ(0, lt_hold(&self->v, SF_UUID, variant->state, variant->saving,
			     &self->fd));
	self->efd = svf_vfio_irq_eventfd(&self->v, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(sf)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->efd >= 0)
		close(self->efd);
	svf_vfio_close(&self->v);
}

/* The user lets go of the device: request eventfd, then the device fd. */
static void sf_close_dev(FIXTURE_DATA(sf) *self)
{
	if (self->efd >= 0)
		close(self->efd);
	self->efd = -1;
	svf_vfio_close(&self->v);
}

/*
 * With the device fd open, a teardown step that removes the instance:
 * request IRQ, data_fd cut off at once, the step waits for the close.
 */
static void sf_pending_step(struct __test_metadata *_metadata,
			    FIXTURE_DATA(sf) *self,
			    const FIXTURE_VARIANT(sf) *variant,
			    const char *path, const char *val)
{
	struct lt_bg b;

	ASSERT_EQ(0, lt_bg_start(&b, path, val));
	EXPECT_GE(svf_wait_eventfd(self->efd, LT_PROMPT_MS), 1)
		TH_LOG("no request IRQ");
	/* Withdrawal precedes the wait for the user. */
	lt_expect_cut(_metadata, self->fd, variant->saving);
	EXPECT_EQ(0, lt_bg_wait(&b, LT_PENDING_MS))
		TH_LOG("must wait while the device fd is open");
	sf_close_dev(self);
	EXPECT_EQ(1, lt_bg_wait(&b, LT_PROMPT_MS))
		TH_LOG("must complete once the device fd is closed");
	EXPECT_EQ(0, lt_bg_join(&b));
	EXPECT_FALSE(svf_mdev_exists(SF_UUID));
	lt_expect_cut(_metadata, self->fd, variant->saving);
}

/* Close the device fd: cut off; snapvf_sf unloads with the fd still held. */
TEST_F_TIMEOUT(sf, close_device, LT_TIMEOUT)
{
	sf_close_dev(self);
	lt_expect_cut(_metadata, self->fd, variant->saving);
	lt_expect_refs(_metadata, &self->snap, 1);
	EXPECT_EQ(0, lt_rmmod("snapvf_sf"));
	lt_expect_cut(_metadata, self->fd, variant->saving);
	lt_finish(_metadata, &self->fd, &self->snap);
}

/*
 * The reported sequence: close the device fd, remove the mdev, delete the
 * SF, unload the simulator, then close the data_fd (it used to release the
 * vfio_device last and oops in vmdev_release_dev()).
 */
TEST_F_TIMEOUT(sf, close_remove_del_rmmod_sim, LT_TIMEOUT)
{
	char del[PATH_MAX];
	double secs;

	ASSERT_EQ(0, lt_sim_ctl_path("del_sf", del, sizeof(del)));
	sf_close_dev(self);
	lt_expect_cut(_metadata, self->fd, variant->saving);
	EXPECT_EQ(0, lt_prompt(SF_REMOVE, "1", &secs));
	EXPECT_FALSE(svf_mdev_exists(SF_UUID));
	EXPECT_EQ(0, lt_prompt(del, SF_ID, &secs));
	EXPECT_FALSE(svf_exists(SF_DIR));
	EXPECT_EQ(0, lt_prompt(NULL, "snapvf_sim", &secs));
	lt_expect_cut(_metadata, self->fd, variant->saving);
	lt_finish(_metadata, &self->fd, &self->snap);
}

/* mdev remove with the device fd open. */
TEST_F_TIMEOUT(sf, remove_while_open, LT_TIMEOUT)
{
	sf_pending_step(_metadata, self, variant, SF_REMOVE, "1");
	lt_finish(_metadata, &self->fd, &self->snap);
}

/* The parent withdraws the SF with the device fd open. */
TEST_F_TIMEOUT(sf, del_sf_while_open, LT_TIMEOUT)
{
	char del[PATH_MAX];

	ASSERT_EQ(0, lt_sim_ctl_path("del_sf", del, sizeof(del)));
	sf_pending_step(_metadata, self, variant, del, SF_ID);
	EXPECT_FALSE(svf_exists(SF_DIR));
	lt_finish(_metadata, &self->fd, &self->snap);
}

/* rmmod of the parent with the device fd open. */
TEST_F_TIMEOUT(sf, rmmod_sim_while_open, LT_TIMEOUT)
{
	sf_pending_step(_metadata, self, variant, NULL, "snapvf_sim");
	EXPECT_FALSE(svf_mod_loaded("snapvf_sim"));
	lt_finish(_metadata, &self->fd, &self->snap);
}

/*
 * rmmod snapvf_sf with the device fd open fails at once (the open device
 * pins its driver) and leaves the session alone; once the device fd is
 * closed it succeeds although the data_fd is still open.
 */
TEST_F_TIMEOUT(sf, rmmod_sf_while_open, LT_TIMEOUT)
{
	EXPECT_EQ(-EWOULDBLOCK, lt_rmmod("snapvf_sf"));
	EXPECT_TRUE(svf_mod_loaded("snapvf_sf"));
	if (variant->saving)
		EXPECT_EQ(1, lt_fd_read(self->fd, 1));
	sf_close_dev(self);
	lt_expect_cut(_metadata, self->fd, variant->saving);
	EXPECT_EQ(0, lt_rmmod("snapvf_sf"));
	EXPECT_FALSE(svf_mdev_exists(SF_UUID));
	lt_finish(_metadata, &self->fd, &self->snap);
}

/*
 * A cut-off data_fd never reaches the next session of the device: close,
 * reopen, start a new session in the same state; the old fd still answers
 * ENODEV, the new one works.  DMA logging left on by the first user does
 * not survive the close either: the next user can start it.
 */
TEST_F_TIMEOUT(sf, reopen_new_session, LT_TIMEOUT)
{
	int fd2 = -1, log = svf_kernel_dma_log();

	/* DMA logging only where the kernel can report it (else ENOTTY). */
	ASSERT_LE(0, log) TH_LOG("running kernel's config not found");
	ASSERT_EQ(log ? 0 : -ENOTTY,
		  svf_vfio_dma_log_start(&self->v, DIRTY_IOVA, 1 << 20, 4096));
	sf_close_dev(self);
	lt_expect_cut(_metadata, self->fd, variant->saving);
	ASSERT_EQ(0, lt_hold(&self->v, SF_UUID, variant->state,
			     variant->saving, &fd2));
	lt_expect_cut(_metadata, self->fd, variant->saving);
	/* The new session goes on where lt_hold() left it. */
	if (variant->saving) {
		EXPECT_EQ(1, lt_fd_read(fd2, 1));
	} else {
		EXPECT_EQ(1, lt_fd_write(fd2, 1));
	}
	EXPECT_EQ(log ? 0 : -ENOTTY,
		  svf_vfio_dma_log_start(&self->v, DIRTY_IOVA, 1 << 20, 4096))
		TH_LOG("DMA logging of the previous user survived the close");
	EXPECT_EQ(0, close(fd2));
	sf_close_dev(self);
	lt_finish(_metadata, &self->fd, &self->snap);
}

TEST_HARNESS_MAIN
