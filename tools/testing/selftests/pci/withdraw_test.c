// SPDX-License-Identifier: GPL-2.0
/*
 * Parent withdrawal, unbind and rmmod while a VMM holds a snapvf_pci
 * device: the VMM gets the VFIO request IRQ, migration reports ERROR,
 * every further call fails cleanly, nothing blocks the parent, and the
 * function can be bound again afterwards.  Also mid-STOP_COPY.  For any
 * parent (parent.h: built here with the simulator, and in mlx5/ with
 * snapvf_mlx5 on its firmware model, whose rmmod is the channel
 * provider's, as when mlx5_core's PF goes away).
 */
#include <sys/syscall.h>
#include "mig_lib.h"
#include "svf_harness.h"

FIXTURE(wd) {
	char fn[MAX_FNS][32];
	const char *a;
	struct svf_vfio v;
	int efd;
};

static int publish_and_bind(const char *bdf)
{
	int ret;

	if (!parent_published(bdf)) {
		ret = parent_add(bdf);
		if (ret)
			return ret;
	}
	ret = svf_pci_attr(bdf, "driver_override", SNAP_DRV);
	if (!ret && !svf_pci_is_bound(bdf, SNAP_DRV))
		ret = svf_pci_bind(bdf, SNAP_DRV);
	return ret ? ret : svf_pci_wait_driver(bdf, SNAP_DRV, 5000);
}

FIXTURE_SETUP(wd)
{
	ASSERT_EQ(0, parent_load());
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_GE(svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, self->fn, MAX_FNS), 1);
	self->a = self->fn[0];
	ASSERT_EQ(0, publish_and_bind(self->a));
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->a));
	self->efd = svf_vfio_irq_eventfd(&self->v, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_GE(self->efd, 0);
}

FIXTURE_TEARDOWN(wd)
{
	if (self->efd >= 0)
		close(self->efd);
	svf_vfio_close(&self->v);
}

/* What a VMM sees on a withdrawn device: requests, errors, ERROR. */
static void expect_dead(struct __test_metadata *_metadata, struct svf_vfio *v,
			int efd)
{
	struct vfio_region_info ri;
	uint32_t id, state;
	size_t size;

	EXPECT_GT(svf_wait_eventfd(efd, 5000), 0) TH_LOG("no request IRQ");
	EXPECT_EQ(-ENODEV, svf_vfio_read(v, VFIO_PCI_CONFIG_REGION_INDEX, 0, &id, 4));
	EXPECT_EQ(-ENODEV, svf_vfio_region(v, STATE_BAR, &ri));
	EXPECT_EQ(NULL, svf_vfio_mmap(v, STATE_BAR, &size));
	EXPECT_EQ(ENODEV, errno);
	ASSERT_EQ(0, svf_vfio_mig_get(v, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, state);
	EXPECT_EQ(-ENODEV, svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL));
	EXPECT_EQ(-ENODEV, svf_vfio_reset(v));
}

/* Close the device, see it unbound, publish again, use it again. */
static void expect_reusable(struct __test_metadata *_metadata,
			    FIXTURE_DATA(wd) *self)
{
	struct mig_buf b = { 0 };
	uint32_t id;

	close(self->efd);
	self->efd = -1;
	svf_vfio_close(&self->v);
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, NULL, 5000)) TH_LOG("still bound");
	ASSERT_EQ(0, publish_and_bind(self->a));
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->a));
	ASSERT_EQ(4, svf_vfio_read(&self->v, VFIO_PCI_CONFIG_REGION_INDEX, 0, &id, 4));
	EXPECT_EQ(0x11101af4u, id);
	EXPECT_EQ(0, mig_save(&self->v, &b, 1, NULL, NULL, NULL));
	mig_buf_free(&b);
}

TEST_F(wd, parent_withdraws_idle_fd)
{
	double t0 = svf_now();

	ASSERT_EQ(0, parent_del_nowait(self->a));
	EXPECT_LT(svf_now() - t0, 2.0) TH_LOG("withdrawal must not wait for the VMM");
	expect_dead(_metadata, &self->v, self->efd);
	expect_reusable(_metadata, self);
}

TEST_F(wd, parent_withdraws_mid_stop_copy)
{
	struct mig_buf b = { 0 };
	char chunk[65536];
	uint32_t state;
	int fd;

	ASSERT_EQ(0, parent_set_size(self->a, 8u << 20));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP_COPY, &fd));
	ASSERT_EQ((ssize_t)sizeof(chunk), read(fd, chunk, sizeof(chunk)));
	ASSERT_EQ(0, parent_del_nowait(self->a));
	EXPECT_EQ(-ENODEV, mig_buf_fill(&b, fd, 0)) TH_LOG("data_fd must fail, not end");
	mig_buf_free(&b);
	ASSERT_EQ(0, svf_vfio_mig_get(&self->v, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, state);
	expect_dead(_metadata, &self->v, self->efd);
	close(fd);
	expect_reusable(_metadata, self);
}

TEST_F(wd, rmmod_parent_with_fd)
{
	double t0 = svf_now();

	ASSERT_EQ(0, parent_unload());
	EXPECT_LT(svf_now() - t0, 5.0 * (SVF_TIMEOUT_SCALE))
		TH_LOG("a withdrawal must not wait for the VMM");
	expect_dead(_metadata, &self->v, self->efd);
	ASSERT_EQ(0, parent_load());
	expect_reusable(_metadata, self);
}

/*
 * snapvf_pci is pinned while a VMM holds one of its devices (vfio takes a
 * module reference per open device): rmmod is refused cleanly and the
 * device keeps working; once closed, rmmod and reload work.
 */
TEST_F(wd, rmmod_consumer_with_fd)
{
	uint32_t id;

	/* What rmmod does: delete_module() refuses a module in use. */
	EXPECT_EQ(-1, syscall(__NR_delete_module, SNAP_DRV, O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_TRUE(svf_mod_loaded(SNAP_DRV));
	EXPECT_EQ(0, svf_wait_eventfd(self->efd, 100)) TH_LOG("no request");
	EXPECT_EQ(4, svf_vfio_read(&self->v, VFIO_PCI_CONFIG_REGION_INDEX, 0, &id, 4));
	close(self->efd);
	self->efd = -1;
	svf_vfio_close(&self->v);
	ASSERT_EQ(0, svf_modunload(SNAP_DRV));
	EXPECT_FALSE(svf_pci_is_bound(self->a, NULL));
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_EQ(0, svf_pci_wait_driver(self->a, SNAP_DRV, 5000));
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->a));
}

/* Unbind with the fd open: vfio_pci_core's request path, then rebind. */
TEST_F(wd, unbind_with_fd)
{
	int st;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* the child must not hold the device itself */
		close(self->efd);
		svf_vfio_close(&self->v);
		_exit(svf_pci_unbind(self->a) ? 1 : 0);
	}
	EXPECT_GT(svf_wait_eventfd(self->efd, 5000), 0);
	EXPECT_EQ(0, waitpid(pid, &st, WNOHANG)) TH_LOG("unbind waits for the VMM");
	close(self->efd);
	self->efd = -1;
	svf_vfio_close(&self->v);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_FALSE(svf_pci_is_bound(self->a, NULL));
	ASSERT_EQ(0, svf_pci_bind(self->a, SNAP_DRV));
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->a));
}

TEST_HARNESS_MAIN
