// SPDX-License-Identifier: GPL-2.0
/*
 * pf_lifetime_test: a SNAP PF (snapvf_pci on vfio_pci_core, an
 * ivshmem-plain function managed by snapvf_sim) whose migration data_fd,
 * obtained in PRE_COPY, STOP_COPY or RESUMING, is held across every
 * teardown: closing the device fd, the parent withdrawing the function
 * (del_function), driver unbind, rmmod snapvf_pci and rmmod snapvf_sim,
 * in the orders that matter.
 *
 * Expectations (see lifetime_lib.h for the data_fd contract):
 *  - with the device fd closed, unbind, rmmod snapvf_pci and rmmod
 *    snapvf_sim complete at once (LT_PROMPT_MS) although the data_fd is
 *    still open;
 *  - with the device fd open, a withdrawal (del_function, rmmod
 *    snapvf_sim) completes at once, sends the request IRQ and cuts the
 *    data_fd off; snapvf_pci unbinds the function once the device fd is
 *    closed.  Driver unbind sends the request IRQ and waits until the
 *    device fd is closed (vfio_pci_core_unregister_device()); the session
 *    ends with the close.  rmmod snapvf_pci fails at once with EWOULDBLOCK
 *    (vfio pins the driver of an open device) and the data_fd keeps
 *    working;
 *  - a cut-off data_fd answers ENODEV, also after the device is reopened
 *    and a new session runs; closing it is clean; module reference counts
 *    return to where they were and every module unloads;
 *  - a withdrawal racing a VMM thread that keeps using the data_fd,
 *    VFIO_DEVICE_RESET and the migration state completes at once, and
 *    every call the thread starts after it answers ENODEV (the state
 *    reads ERROR, as withdraw_test documents).
 *
 * Each case ends by unloading all snapvf modules; the next one loads them.
 */
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "svf_harness.h"
#include "lifetime_lib.h"

#define SNAP_DRV	"snapvf_pci"
#define DIRTY_IOVA	0x100000000ull

FIXTURE(pf) {
	char bdf[SVF_BDF_LEN];
	struct svf_vfio v;
	int efd;
	int fd;
	struct lt_modsnap snap;
};

FIXTURE_VARIANT(pf) {
	uint32_t state;
	int saving;
};

FIXTURE_VARIANT_ADD(pf, pre_copy) {
	.state = VFIO_DEVICE_STATE_PRE_COPY,
	.saving = 1,
};

FIXTURE_VARIANT_ADD(pf, stop_copy) {
	.state = VFIO_DEVICE_STATE_STOP_COPY,
	.saving = 1,
};

FIXTURE_VARIANT_ADD(pf, resuming) {
	.state = VFIO_DEVICE_STATE_RESUMING,
	.saving = 0,
};

FIXTURE_SETUP(pf)
{
	char fns[4][SVF_BDF_LEN];

	memset(&self->v, 0, sizeof(self->v));
	self->v.container = self->v.group = self->v.device = -1;
	self->efd = self->fd = -1;
	ASSERT_EQ(0, lt_load(SNAP_DRV));
	ASSERT_GE(svf_find_pci(0x1af4, 0x1110, fns, 4), 1);
	svf_strlcpy(self->bdf, fns[0], sizeof(self->bdf));
	ASSERT_EQ(0, lt_pf_publish_and_bind(self->bdf));
	lt_snapshot(&self->snap);
	ASSERT_EQ(0, lt_hold(&self->v, self->bdf, variant->state,
			     variant->saving, &self->fd));
	self->efd = svf_vfio_irq_eventfd(&self->v, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(pf)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->efd >= 0)
		close(self->efd);
	svf_vfio_close(&self->v);
}

static void pf_close_dev(FIXTURE_DATA(pf) *self)
{
	if (self->efd >= 0)
		close(self->efd);
	self->efd = -1;
	svf_vfio_close(&self->v);
}

static void pf_unbind_path(const char *bdf, char *out, size_t len)
{
	snprintf(out, len, SVF_PCI_DEVICES "/%s/driver/unbind", bdf);
}

/* Close the device fd: cut off; unbind and rmmod with the fd still held. */
TEST_F_TIMEOUT(pf, close_unbind_rmmod, LT_TIMEOUT)
{
	char unbind[PATH_MAX];
	double secs;

	pf_unbind_path(self->bdf, unbind, sizeof(unbind));
	pf_close_dev(self);
	lt_expect_cut(_metadata, self->fd, variant->saving);
	lt_expect_refs(_metadata, &self->snap, 1);
	EXPECT_EQ(0, lt_prompt(unbind, self->bdf, &secs));
	EXPECT_FALSE(svf_pci_is_bound(self->bdf, NULL));
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	EXPECT_EQ(0, lt_prompt(NULL, "snapvf_sim", &secs));
	lt_expect_cut(_metadata, self->fd, variant->saving);
	lt_finish(_metadata, &self->fd, &self->snap);
}

/* Close the device fd, then the parent goes first, then the driver. */
TEST_F_TIMEOUT(pf, close_rmmod_sim_rmmod_pci, LT_TIMEOUT)
{
	double secs;

	pf_close_dev(self);
	lt_expect_cut(_metadata, self->fd, variant->saving);
	EXPECT_EQ(0, lt_prompt(NULL, "snapvf_sim", &secs));
	EXPECT_EQ(0, svf_pci_wait_driver(self->bdf, NULL, LT_PROMPT_MS));
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	lt_expect_cut(_metadata, self->fd, variant->saving);
	lt_finish(_metadata, &self->fd, &self->snap);
}

/*
 * A withdrawal with the device fd open completes at once and cuts the
 * data_fd off; the function is unbound once the device fd is closed.
 */
static void pf_withdraw_open(struct __test_metadata *_metadata,
			     FIXTURE_DATA(pf) *self,
			     const FIXTURE_VARIANT(pf) *variant,
			     const char *path, const char *val)
{
	double secs;

	EXPECT_EQ(0, lt_prompt(path, val, &secs));
	EXPECT_GE(svf_wait_eventfd(self->efd, LT_PROMPT_MS), 1)
		TH_LOG("no request IRQ");
	lt_expect_cut(_metadata, self->fd, variant->saving);
	pf_close_dev(self);
	EXPECT_EQ(0, svf_pci_wait_driver(self->bdf, NULL, LT_PROMPT_MS))
		TH_LOG("withdrawn function still bound after the close");
	lt_expect_cut(_metadata, self->fd, variant->saving);
}

TEST_F_TIMEOUT(pf, withdraw_while_open, LT_TIMEOUT)
{
	char del[PATH_MAX];

	ASSERT_EQ(0, lt_sim_ctl_path("del_function", del, sizeof(del)));
	pf_withdraw_open(_metadata, self, variant, del, self->bdf);
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	lt_finish(_metadata, &self->fd, &self->snap);
}

/* A VMM thread that keeps going while the function is withdrawn. */
struct pf_racer {
	struct svf_vfio *v;
	int fd, saving;
	int withdrawn;		/* set once the withdrawal returned */
	int stop;
	long before, after;	/* calls started before / after it */
	long bad;		/* calls after it that broke the contract */
	long last_bad;		/* the last such result */
};

static void pf_race_one(struct pf_racer *r, int i, int after)
{
	uint32_t st;
	long ret;

	switch (i % 3) {
	case 0:
		ret = r->saving ? lt_fd_read(r->fd, 64) : lt_fd_write(r->fd, 64);
		break;
	case 1:
		ret = ioctl(r->v->device, VFIO_DEVICE_RESET) ? -errno : 0;
		break;
	default:
		ret = svf_vfio_mig_get(r->v, &st);
		/* Withdrawn: GET succeeds with ERROR (encoded as ENODEV here). */
		if (!ret && st == VFIO_DEVICE_STATE_ERROR)
			ret = -ENODEV;
		break;
	}
	if (after && ret != -ENODEV) {
		r->bad++;
		r->last_bad = ret;
	}
}

static void *pf_race(void *arg)
{
	struct pf_racer *r = arg;
	int i, after;

	for (i = 0; !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); i++) {
		after = __atomic_load_n(&r->withdrawn, __ATOMIC_ACQUIRE);
		pf_race_one(r, i, after);
		if (after)
			r->after++;
		else
			r->before++;
	}
	return NULL;
}

TEST_F_TIMEOUT(pf, withdraw_racing_vmm, LT_TIMEOUT)
{
	struct pf_racer r = {
		.v = &self->v, .fd = self->fd, .saving = variant->saving,
	};
	char del[PATH_MAX];
	pthread_t t;
	double secs;

	ASSERT_EQ(0, lt_sim_ctl_path("del_function", del, sizeof(del)));
	ASSERT_EQ(0, pthread_create(&t, NULL, pf_race, &r));
	usleep(100 * 1000);
	EXPECT_EQ(0, lt_prompt(del, self->bdf, &secs));
	__atomic_store_n(&r.withdrawn, 1, __ATOMIC_RELEASE);
	usleep(100 * 1000);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	EXPECT_LT(0, r.before) TH_LOG("the thread never ran before the withdrawal");
	EXPECT_LT(0, r.after) TH_LOG("the thread never ran after the withdrawal");
	EXPECT_EQ(0, r.bad) TH_LOG("%ld of %ld calls after the withdrawal gave neither ENODEV nor state ERROR (last %ld)",
				   r.bad, r.after, r.last_bad);
	TH_LOG("withdrawal in %.3f s; %ld calls before, %ld after", secs,
	       r.before, r.after);
	lt_expect_cut(_metadata, self->fd, variant->saving);
	pf_close_dev(self);
	EXPECT_EQ(0, svf_pci_wait_driver(self->bdf, NULL, LT_PROMPT_MS))
		TH_LOG("withdrawn function still bound after the close");
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	lt_finish(_metadata, &self->fd, &self->snap);
}

TEST_F_TIMEOUT(pf, rmmod_sim_while_open, LT_TIMEOUT)
{
	pf_withdraw_open(_metadata, self, variant, NULL, "snapvf_sim");
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	lt_finish(_metadata, &self->fd, &self->snap);
}

/*
 * Driver unbind with the device fd open: request IRQ, waits for the
 * close; the session lives until then and is cut off by the close.
 */
TEST_F_TIMEOUT(pf, unbind_while_open, LT_TIMEOUT)
{
	char unbind[PATH_MAX];
	struct lt_bg b;

	pf_unbind_path(self->bdf, unbind, sizeof(unbind));
	ASSERT_EQ(0, lt_bg_start(&b, unbind, self->bdf));
	EXPECT_GE(svf_wait_eventfd(self->efd, LT_PROMPT_MS), 1)
		TH_LOG("no request IRQ");
	EXPECT_EQ(0, lt_bg_wait(&b, LT_PENDING_MS))
		TH_LOG("unbind must wait while the device fd is open");
	if (variant->saving)
		EXPECT_EQ(1, lt_fd_read(self->fd, 1));
	pf_close_dev(self);
	EXPECT_EQ(1, lt_bg_wait(&b, LT_PROMPT_MS))
		TH_LOG("unbind must complete once the device fd is closed");
	EXPECT_EQ(0, lt_bg_join(&b));
	EXPECT_FALSE(svf_pci_is_bound(self->bdf, NULL));
	lt_expect_cut(_metadata, self->fd, variant->saving);
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	lt_finish(_metadata, &self->fd, &self->snap);
}

/*
 * rmmod snapvf_pci with the device fd open fails at once and leaves the
 * session alone; after the close it succeeds with the data_fd held.
 */
TEST_F_TIMEOUT(pf, rmmod_pci_while_open, LT_TIMEOUT)
{
	EXPECT_EQ(-EWOULDBLOCK, lt_rmmod(SNAP_DRV));
	EXPECT_TRUE(svf_mod_loaded(SNAP_DRV));
	if (variant->saving)
		EXPECT_EQ(1, lt_fd_read(self->fd, 1));
	pf_close_dev(self);
	lt_expect_cut(_metadata, self->fd, variant->saving);
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	EXPECT_FALSE(svf_pci_is_bound(self->bdf, NULL));
	lt_expect_cut(_metadata, self->fd, variant->saving);
	lt_finish(_metadata, &self->fd, &self->snap);
}

/*
 * A cut-off data_fd never reaches the next session of the device, and DMA
 * logging left on at the parent by the first user ends with its close.
 */
TEST_F_TIMEOUT(pf, reopen_new_session, LT_TIMEOUT)
{
	int fd2 = -1, log = svf_kernel_dma_log();

	/* DMA logging only where the kernel can report it (else ENOTTY). */
	ASSERT_LE(0, log) TH_LOG("running kernel's config not found");
	ASSERT_EQ(log ? 0 : -ENOTTY,
		  svf_vfio_dma_log_start(&self->v, DIRTY_IOVA, 1 << 20, 4096));
	pf_close_dev(self);
	lt_expect_cut(_metadata, self->fd, variant->saving);
	ASSERT_EQ(0, lt_hold(&self->v, self->bdf, variant->state,
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
	pf_close_dev(self);
	lt_finish(_metadata, &self->fd, &self->snap);
}

/*
 * A BAR mapping keeps the device file (so the device) open after the
 * device fd is closed: the session lives on until the munmap; a
 * withdrawal meanwhile cuts it off at once, and the device stays open
 * (snapvf_pci pinned by vfio) until the munmap, after which the function
 * is unbound.  (The driver core removes the "driver" link before remove()
 * runs, so the module reference is what shows the device still open.)
 */
TEST_F_TIMEOUT(pf, held_mmap_withdraw, LT_TIMEOUT)
{
	int pci = lt_mod_index(SNAP_DRV);
	char del[PATH_MAX];
	size_t size = 0;
	double secs;
	void *bar;

	bar = svf_vfio_mmap(&self->v, VFIO_PCI_BAR2_REGION_INDEX, &size);
	ASSERT_NE(NULL, bar);
	close(self->efd);
	self->efd = -1;
	svf_vfio_close(&self->v);
	EXPECT_EQ(self->snap.ref[pci] + 1, lt_refcnt(SNAP_DRV))
		TH_LOG("the mapping keeps the device open");
	if (variant->saving)
		EXPECT_EQ(1, lt_fd_read(self->fd, 1));
	ASSERT_EQ(0, lt_sim_ctl_path("del_function", del, sizeof(del)));
	EXPECT_EQ(0, lt_prompt(del, self->bdf, &secs));
	lt_expect_cut(_metadata, self->fd, variant->saving);
	usleep(LT_PENDING_MS * 1000);
	EXPECT_EQ(self->snap.ref[pci] + 1, lt_refcnt(SNAP_DRV))
		TH_LOG("the device must stay open until the munmap");
	EXPECT_EQ(-EWOULDBLOCK, lt_rmmod(SNAP_DRV));
	EXPECT_EQ(0, munmap(bar, size));
	EXPECT_EQ(self->snap.ref[pci], lt_refcnt(SNAP_DRV));
	EXPECT_EQ(0, svf_pci_wait_driver(self->bdf, NULL, LT_PROMPT_MS));
	lt_expect_cut(_metadata, self->fd, variant->saving);
	EXPECT_EQ(0, lt_rmmod(SNAP_DRV));
	lt_finish(_metadata, &self->fd, &self->snap);
}

TEST_HARNESS_MAIN
