// SPDX-License-Identifier: GPL-2.0
/*
 * crossuser_test: nothing crosses from one user of a device to the next
 * (issue 13, item 2), for the SNAP PF (snapvf_pci on an ivshmem-plain
 * function managed by snapvf_sim) and the SF virtio-blk mdev (snapvf_sf).
 *
 * User A is a forked child.  It opens the device, leaves behind every kind
 * of state it can reach, hands its migration data_fd to the parent
 * (SCM_RIGHTS, so the file outlives A) and _exit()s without cleaning up:
 *  - DMA logging started, where the kernel can report DMA dirty pages
 *    (CONFIG_IOMMUFD_DRIVER; elsewhere devices offer none, checked as
 *    ENOTTY); on the SF with dirty bits set by the device's own DMA (a
 *    completed read) after A's last report, so the tracker holds
 *    unreported bits (the PF's parent, an ivshmem function, performs no
 *    DMA: it never has dirty bits);
 *  - RAM contents: the PF's BAR2 written inside and beyond the device
 *    state (state_size); the SF's MSI-X table entries programmed;
 *  - config space: command register, BAR registers, MSI-X enable;
 *  - the device model (SF): virtio status DRIVER_OK, queue 0 configured
 *    (addresses, size, vector, enable), requests processed (the device's
 *    avail index moved), one request published but never notified, and
 *    finally a pending device error: an avail index running ahead of the
 *    ring, which sets DEVICE_NEEDS_RESET;
 *  - interrupts: an eventfd (created by the parent before the fork, so
 *    the parent can read its counter afterwards) on every IRQ index that
 *    can be armed at the same time: INTx, error and request on the PF;
 *    every MSI-X vector, error and request on the SF (INTx and MSI are
 *    exclusive with MSI-X);
 *  - a migration session: STOP_COPY with half a stream header read, or
 *    RESUMING with half a header written (the variants).
 *
 * User B (the parent) then opens the same device and checks, with exact
 * values, that it finds the device's reset state and that nothing is
 * blocked:
 *  - device_state RUNNING; A's data_fd answers ENODEV;
 *  - DMA_LOGGING_START succeeds (EBUSY if A's logging survived) and the
 *    first report holds no bit (where DMA logging is offered);
 *  - PF: all of BAR2 reads 0, the simulator's reset value of a managed
 *    function's memory (Documentation/simulator.rst); config space equals
 *    a snapshot taken before A ran;
 *  - SF: config space, the MSI-X table and PBA, and the virtio common
 *    configuration equal a snapshot taken before A ran, and specifically
 *    command 0, MSI-X disabled, status 0, queue 0 disabled with zero
 *    addresses and the maximum size;
 *  - none of A's eventfds ever counts: B runs I/O (its own MSI-X vector
 *    fires) and triggers the request IRQ (its own request eventfd fires);
 *  - a migration session works end to end: STOP_COPY on the device,
 *    RESUMING on a second device, which ends up with B's state.
 *
 * What is not user state: the SF's disk.  The instance's backing store is
 * the volume, as a disk is for the next VM that boots from it: data A
 * wrote to the disk is read back by B, and the test checks that too.
 * The administrator's simulator knobs (state_size, injected faults) are
 * not user state either.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/pci_regs.h>

#include "svf_harness.h"
#include "lifetime_lib.h"
#include "../../../vblk/vblk.h"

#define SNAP_DRV	"snapvf_pci"
#define CU_TIMEOUT	180
#define PG		4096ULL
#define NIRQ		(VFIO_PCI_REQ_IRQ_INDEX + 1)
#define MSIX_MAX	16

/* ------------------------------------------------ shared helpers */

/* A's report to the parent: a number and the data_fd. */
static int cu_send(int sock, int fd, int64_t val)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec io = { .iov_base = &val, .iov_len = sizeof(val) };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, 0) == sizeof(val) ? 0 : -1;
}

static int cu_recv(int sock, int *fd, int64_t *val)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec io = { .iov_base = val, .iov_len = sizeof(*val) };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;

	*fd = -1;
	if (recvmsg(sock, &m, MSG_DONTWAIT) != sizeof(*val))
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

/* Counter of a non-blocking eventfd without waiting: 0 if it never fired. */
static int64_t cu_efd_count(int efd)
{
	uint64_t n;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return errno == EAGAIN ? 0 : -errno;
	return n;
}

/* SET_IRQS trigger eventfds @fds on vectors 0..@n-1 of @index. */
static int cu_set_irqs(struct svf_vfio *v, unsigned int index, const int *fds,
		       int n)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int) * MSIX_MAX];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = sizeof(*s) + sizeof(int) * n;
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->start = 0;
	s->count = n;
	memcpy(s->data, fds, sizeof(int) * n);
	return ioctl(v->device, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

/*
 * Leave a migration session: STOP_COPY with 16 bytes read, or RESUMING
 * (through STOP) with 16 bytes written.  The data_fd, or -errno.
 */
static int cu_leave_session(struct svf_vfio *v, uint32_t state)
{
	int fd, ret;

	if (state == VFIO_DEVICE_STATE_RESUMING) {
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
		if (ret)
			return ret;
	}
	ret = svf_vfio_mig_set(v, state, &fd);
	if (ret)
		return ret;
	if (state == VFIO_DEVICE_STATE_RESUMING)
		ret = lt_fd_write(fd, 16) == 16 ? 0 : -EIO;
	else
		ret = lt_fd_read(fd, 16) == 16 ? 0 : -EIO;
	return ret ? ret : fd;
}

/*
 * Run @fn as user A in a child; it exits with 0 after leaving everything
 * behind, or with the number of the step that failed.  The parent gets
 * A's value and data_fd.
 */
static int cu_user_a(int (*fn)(void *arg, int sock), void *arg, int *fd,
		     int64_t *val)
{
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(sv[0]);
		_exit(fn(arg, sv[1]));
	}
	close(sv[1]);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
	status = cu_recv(sv[0], fd, val);
	close(sv[0]);
	return status ? 254 : 0;
}

/* A's data_fd is cut off, whichever way it was left. */
static void cu_expect_cut(struct __test_metadata *_metadata, int fd,
			  uint32_t state)
{
	ASSERT_LE(0, fd);
	lt_expect_cut(_metadata, fd, state == VFIO_DEVICE_STATE_STOP_COPY);
}

/*
 * Migrate @src to @dst end to end: STOP_COPY on @src read to the end,
 * RESUMING on @dst fed with it, STOP, RUNNING; both back in RUNNING.
 * Bytes moved or -errno.
 */
static int64_t cu_migrate(struct svf_vfio *src, struct svf_vfio *dst)
{
	int sfd = -1, dfd = -1, ret;
	int64_t n;

	ret = svf_vfio_mig_set(src, VFIO_DEVICE_STATE_STOP_COPY, &sfd);
	if (!ret)
		ret = svf_vfio_mig_set(dst, VFIO_DEVICE_STATE_STOP, NULL);
	if (!ret)
		ret = svf_vfio_mig_set(dst, VFIO_DEVICE_STATE_RESUMING, &dfd);
	n = ret ? ret : svf_mig_copy(sfd, dfd, 0, 1 << 20);
	if (n >= 0 && !n)
		n = -ENODATA;
	if (n > 0)
		ret = svf_vfio_mig_set(dst, VFIO_DEVICE_STATE_STOP, NULL) ?:
		      svf_vfio_mig_set(dst, VFIO_DEVICE_STATE_RUNNING, NULL) ?:
		      svf_vfio_mig_set(src, VFIO_DEVICE_STATE_STOP, NULL) ?:
		      svf_vfio_mig_set(src, VFIO_DEVICE_STATE_RUNNING, NULL);
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return ret ? ret : n;
}

/* ------------------------------------------------ SNAP PF */

#define PF_BAR0_INTRMASK	0x0
#define PF_PAT_OFF2		(8u << 20)	/* beyond state_size (1 MiB) */

struct pf_a {
	const char *bdf;
	uint32_t state;
	int efd[NIRQ];
};

static int pf_knob(const char *bdf, const char *knob, char *out, size_t len)
{
	char p[PATH_MAX];

	svf_sim_fn_knob(p, sizeof(p), bdf, knob);
	return svf_sysfs_read(p, out, len);
}

/* User A of the PF: returns 0 or the failed step. */
static int pf_user_a(void *arg, int sock)
{
	struct pf_a *a = arg;
	uint8_t pat[4096];
	struct svf_vfio v;
	struct vfio_irq_info ii;
	uint32_t mask = 0xffffffff, bar;
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	unsigned int i;
	int fd;

	memset(pat, 0xa5, sizeof(pat));
	if (svf_vfio_open(&v, a->bdf))
		return 1;
	/* RAM: the device state and memory beyond it. */
	if (svf_vfio_write(&v, VFIO_PCI_BAR2_REGION_INDEX, 0, pat,
			   sizeof(pat)) != sizeof(pat) ||
	    svf_vfio_write(&v, VFIO_PCI_BAR2_REGION_INDEX, PF_PAT_OFF2, pat,
			   sizeof(pat)) != sizeof(pat))
		return 2;
	/* Registers and config space. */
	if (svf_vfio_write(&v, VFIO_PCI_BAR0_REGION_INDEX, PF_BAR0_INTRMASK,
			   &mask, 4) != 4)
		return 3;
	bar = 0xfe000000;
	if (svf_vfio_write(&v, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd,
			   2) != 2 ||
	    svf_vfio_write(&v, VFIO_PCI_CONFIG_REGION_INDEX, PCI_BASE_ADDRESS_0,
			   &bar, 4) != 4)
		return 4;
	/* DMA logging (the parent's: it never has dirty bits). */
	if (svf_kernel_dma_log() > 0 &&
	    svf_vfio_dma_log_start(&v, 0x100000000ull, 1 << 20, PG))
		return 5;
	/* Every IRQ index that can be armed together: INTx, error, request. */
	for (i = 0; i < NIRQ; i++) {
		if (i == VFIO_PCI_MSI_IRQ_INDEX || i == VFIO_PCI_MSIX_IRQ_INDEX)
			continue;
		/* vfio_pci_core: no error IRQ (-EINVAL) without PCIe. */
		if (svf_vfio_irq_info(&v, i, &ii))
			continue;
		if (!ii.count || !(ii.flags & VFIO_IRQ_INFO_EVENTFD))
			continue;
		if (cu_set_irqs(&v, i, &a->efd[i], 1))
			return 7;
	}
	fd = cu_leave_session(&v, a->state);
	if (fd < 0)
		return 8;
	if (cu_send(sock, fd, 0))
		return 9;
	return 0;	/* _exit: nothing closed, nothing stopped */
}

FIXTURE(pf) {
	char bdf[SVF_BDF_LEN];
	char dst[SVF_BDF_LEN];
	struct svf_vfio v;
	struct svf_vfio w;
	int efd[NIRQ];
	int fd;
	uint8_t cfg_ref[64];
};

FIXTURE_VARIANT(pf) {
	uint32_t state;
};

FIXTURE_VARIANT_ADD(pf, stop_copy) {
	.state = VFIO_DEVICE_STATE_STOP_COPY,
};

FIXTURE_VARIANT_ADD(pf, resuming) {
	.state = VFIO_DEVICE_STATE_RESUMING,
};

FIXTURE_SETUP(pf)
{
	char fns[4][SVF_BDF_LEN];
	int i;

	self->v.container = self->v.group = self->v.device = -1;
	self->w.container = self->w.group = self->w.device = -1;
	self->fd = -1;
	for (i = 0; i < NIRQ; i++)
		self->efd[i] = -1;
	ASSERT_EQ(0, lt_load(SNAP_DRV));
	ASSERT_EQ(2, svf_find_pci(0x1af4, 0x1110, fns, 4));
	svf_strlcpy(self->bdf, fns[0], sizeof(self->bdf));
	svf_strlcpy(self->dst, fns[1], sizeof(self->dst));
	ASSERT_EQ(0, lt_pf_publish_and_bind(self->bdf));
	ASSERT_EQ(0, lt_pf_publish_and_bind(self->dst));
	/* The reset state's config header, before any user. */
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->bdf));
	ASSERT_EQ(sizeof(self->cfg_ref),
		  svf_vfio_read(&self->v, VFIO_PCI_CONFIG_REGION_INDEX, 0,
				self->cfg_ref, sizeof(self->cfg_ref)));
	svf_vfio_close(&self->v);
	for (i = 0; i < NIRQ; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(pf)
{
	const char *failed = "";
	int i;

	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < NIRQ; i++)
		if (self->efd[i] >= 0)
			close(self->efd[i]);
	svf_vfio_close(&self->v);
	svf_vfio_close(&self->w);
	if (lt_unload_ours(&failed))
		TH_LOG("rmmod %s failed", failed);
}

TEST_F_TIMEOUT(pf, next_user_finds_reset_state, CU_TIMEOUT)
{
	struct pf_a a = { .bdf = self->bdf, .state = variant->state };
	uint8_t buf[4096], zero[4096] = { 0 }, cfg[64];
	char unbind[PATH_MAX], knob[64], stats[512];
	uint64_t bm[4] = { 0 }, off;
	uint32_t st = ~0u, mask = ~0u;
	struct lt_bg bg;
	int64_t val, n;
	int i, req, log = svf_kernel_dma_log();

	memcpy(a.efd, self->efd, sizeof(a.efd));
	ASSERT_EQ(0, cu_user_a(pf_user_a, &a, &self->fd, &val))
		TH_LOG("user A failed at the step its exit code names");

	/* B: the open neither fails nor waits for anything of A's. */
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->bdf));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->v, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, st);
	cu_expect_cut(_metadata, self->fd, variant->state);
	ASSERT_EQ(0, pf_knob(self->bdf, "dev_state", knob, sizeof(knob)));
	EXPECT_STREQ("running", knob);
	/* The parent's side: no session, no logging, registers at 0. */
	ASSERT_EQ(0, pf_knob(self->bdf, "stats", stats, sizeof(stats)));
	EXPECT_NE(NULL, strstr(stats, "save_open 0\nload_open 0\nlogging 0"))
		TH_LOG("stats: %s", stats);
	ASSERT_EQ(0, pf_knob(self->bdf, "scratch", knob, sizeof(knob)));
	EXPECT_STREQ("0x0", knob);

	/* RAM: all of BAR2 reads 0 (reset value); A wrote 0xa5 here. */
	ASSERT_EQ(sizeof(buf), svf_vfio_read(&self->v, VFIO_PCI_BAR2_REGION_INDEX,
					     0, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, zero, sizeof(buf)))
		TH_LOG("BAR2[0] = 0x%02x: A's device state survived", buf[0]);
	ASSERT_EQ(sizeof(buf), svf_vfio_read(&self->v, VFIO_PCI_BAR2_REGION_INDEX,
					     PF_PAT_OFF2, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, zero, sizeof(buf)))
		TH_LOG("BAR2[8M] = 0x%02x: A's memory survived", buf[0]);
	/* Registers: ivshmem's interrupt mask resets to 0. */
	ASSERT_EQ(4, svf_vfio_read(&self->v, VFIO_PCI_BAR0_REGION_INDEX,
				   PF_BAR0_INTRMASK, &mask, 4));
	EXPECT_EQ(0, mask);
	/* Config space: what it was before A. */
	ASSERT_EQ(sizeof(cfg), svf_vfio_read(&self->v, VFIO_PCI_CONFIG_REGION_INDEX,
					     0, cfg, sizeof(cfg)));
	for (i = 0; i < (int)sizeof(cfg); i++)
		EXPECT_EQ(self->cfg_ref[i], cfg[i]) TH_LOG("config byte 0x%x", i);

	/* DMA logging: free for B (EBUSY if A's survived), no bit of A's. */
	ASSERT_LE(0, log) TH_LOG("running kernel's config not found");
	if (log) {
		EXPECT_EQ(0, svf_vfio_dma_log_start(&self->v, 0x100000000ull,
						    1 << 20, PG));
		EXPECT_EQ(0, svf_vfio_dma_log_report(&self->v, 0x100000000ull,
						     1 << 20, PG, bm));
		for (i = 0; i < 4; i++)
			EXPECT_EQ(0, bm[i]);
		EXPECT_EQ(0, svf_vfio_dma_log_stop(&self->v));
	} else {
		EXPECT_EQ(-ENOTTY, svf_vfio_dma_log_probe(&self->v));
	}

	/* A new migration session, end to end, carries B's state. */
	memset(buf, 0x3c, sizeof(buf));
	ASSERT_EQ(sizeof(buf), svf_vfio_write(&self->v, VFIO_PCI_BAR2_REGION_INDEX,
					      PG, buf, sizeof(buf)));
	ASSERT_EQ(0, svf_vfio_open(&self->w, self->dst));
	n = cu_migrate(&self->v, &self->w);
	EXPECT_LT(0, n) TH_LOG("migration: %lld", (long long)n);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(sizeof(buf), svf_vfio_read(&self->w, VFIO_PCI_BAR2_REGION_INDEX,
					     PG, buf, sizeof(buf)));
	EXPECT_EQ(0x3c, buf[0]);
	EXPECT_EQ(0x3c, buf[sizeof(buf) - 1]);
	for (off = 0; off < 4096; off++)
		if (buf[off] != 0x3c)
			break;
	EXPECT_EQ(4096, off);
	svf_vfio_close(&self->w);

	/*
	 * Interrupts: B's request eventfd fires on unbind, A's does not (nor
	 * any other of A's).
	 */
	req = svf_vfio_irq_eventfd(&self->v, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_LE(0, req);
	snprintf(unbind, sizeof(unbind), SVF_PCI_DEVICES "/%s/driver/unbind",
		 self->bdf);
	ASSERT_EQ(0, lt_bg_start(&bg, unbind, self->bdf));
	EXPECT_LE(1, svf_wait_eventfd(req, LT_PROMPT_MS)) TH_LOG("no request IRQ");
	for (i = 0; i < NIRQ; i++)
		EXPECT_EQ(0, cu_efd_count(self->efd[i])) TH_LOG("A's IRQ %d", i);
	close(req);
	svf_vfio_close(&self->v);
	EXPECT_EQ(1, lt_bg_wait(&bg, LT_PROMPT_MS));
	EXPECT_EQ(0, lt_bg_join(&bg));
	close(self->fd);
	self->fd = -1;
}

/* ------------------------------------------------ SF virtio-blk mdev */

#define SF_ID		"11"
#define SF_DIR		SVF_AUX_DEVICES "/snapvf_sim.sf." SF_ID
#define SF_TYPE		"snapvf_sf.blk-1q"
#define SF_UUID		"1f1f1f1f-0000-4000-8000-0000000000c1"
#define SF_UUID2	"1f1f1f1f-0000-4000-8000-0000000000c2"
#define SF_REMOVE	SVF_MDEV_DEVICES "/" SF_UUID "/remove"
#define SF_SEED		0xa1
#define SF_MSIX_ADDR	0xfee01000u
#define SF_MSIX_DATA	0x4321u
#define SF_BAR4		0xfe000000u
#define SF_MSIX_PBA	0x800	/* drivers/sf_blk/sf.h SVF_SF_MSIX_PBA */

/**
 * struct sf_snap - what a user can read of the SF without changing it
 * @cfg: config space
 * @common: virtio common configuration (queue_select 0)
 * @msix: MSI-X table (BAR1; the first four vectors)
 * @pba: MSI-X pending bits
 */
struct sf_snap {
	uint8_t cfg[256];
	uint8_t common[VIRTIO_PCI_COMMON_Q_USEDHI + 4];
	uint8_t msix[64];
	uint8_t pba[8];
};

struct sf_a {
	uint32_t state;
	int efd[NIRQ];
	int msix[MSIX_MAX];
};

/* Read @len bytes of region @index at @off as 4-byte accesses. */
static int sf_read32s(struct vblk *b, unsigned int index, uint64_t off,
		      uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 4)
		if (svf_vfio_read(&b->v, index, off + i, buf + i, 4) != 4)
			return -EIO;
	return 0;
}

/*
 * Config space first, as found; then memory decoding on (the BARs answer
 * only with it), queue 0 selected, and the BARs.  0 or the failed part.
 */
static int sf_snapshot(struct vblk *b, struct sf_snap *s)
{
	uint16_t cmd;

	if (sf_read32s(b, VFIO_PCI_CONFIG_REGION_INDEX, 0, s->cfg,
		       sizeof(s->cfg)))
		return 1;
	cmd = (s->cfg[PCI_COMMAND] | s->cfg[PCI_COMMAND + 1] << 8) |
	      PCI_COMMAND_MEMORY;
	if (vblk_cfg_write(b, PCI_COMMAND, &cmd, 2))
		return 2;
	vblk_wr(b, b->common + VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	if (sf_read32s(b, b->bar, b->common, s->common, sizeof(s->common)))
		return 3;
	if (sf_read32s(b, VFIO_PCI_BAR1_REGION_INDEX, 0, s->msix,
		       sizeof(s->msix)))
		return 4;
	if (sf_read32s(b, VFIO_PCI_BAR1_REGION_INDEX, SF_MSIX_PBA, s->pba,
		       sizeof(s->pba)))
		return 5;
	return 0;
}

/* Offset of the MSI-X capability in @cfg, 0 if none. */
static unsigned int sf_msix_cap(const uint8_t *cfg)
{
	unsigned int pos = cfg[PCI_CAPABILITY_LIST], guard = 48;

	while (pos && pos < 256 && guard--) {
		if (cfg[pos] == PCI_CAP_ID_MSIX)
			return pos;
		pos = cfg[pos + 1];
	}
	return 0;
}

static int sf_dirty_report(struct vblk *b, uint64_t *bm)
{
	return svf_vfio_dma_log_report(&b->v, VBLK_IOVA, b->mem_size, PG, bm);
}

static int64_t sf_bits(const uint64_t *bm, uint64_t words)
{
	int64_t n = 0;
	uint64_t i;

	for (i = 0; i < words; i++)
		n += __builtin_popcountll(bm[i]);
	return n;
}

/* User A of the SF: returns 0 or the failed step. */
static int sf_user_a(void *arg, int sock)
{
	struct sf_a *a = arg;
	uint32_t addr = SF_MSIX_ADDR, data = SF_MSIX_DATA, bar = SF_BAR4;
	uint8_t buf[8 * VBLK_SECTOR];
	struct vring_avail *av;
	static struct vblk b;
	uint64_t *bm, words;
	int64_t bits;
	int fd, n, log;

	if (vblk_open(&b, SF_UUID, 1))
		return 1;
	words = (b.mem_size / PG + 63) / 64;
	bm = calloc(words, 8);
	if (!bm)
		return 2;
	/* Interrupts: A's own eventfds (the parent holds them). */
	n = b.msix_vectors < MSIX_MAX ? b.msix_vectors : MSIX_MAX;
	if (!n || cu_set_irqs(&b.v, VFIO_PCI_MSIX_IRQ_INDEX, a->msix, n))
		return 3;
	for (n = VFIO_PCI_ERR_IRQ_INDEX; n <= VFIO_PCI_REQ_IRQ_INDEX; n++) {
		struct vfio_irq_info ii;

		if (svf_vfio_irq_info(&b.v, n, &ii) || !ii.count)
			continue;	/* no error IRQ on this device */
		if (cu_set_irqs(&b.v, n, &a->efd[n], 1))
			return 3;
	}
	/* Dirty tracking with bits set by the device's DMA (if offered). */
	log = svf_kernel_dma_log() > 0;
	if (log && svf_vfio_dma_log_start(&b.v, VBLK_IOVA, b.mem_size, PG))
		return 4;
	/* The volume: a disk write B will read back. */
	vblk_pattern(buf, sizeof(buf), 0, SF_SEED);
	if (vblk_rw(&b, 0, VIRTIO_BLK_T_OUT, 0, buf, sizeof(buf)) != 0)
		return 5;
	if (vblk_rw(&b, 0, VIRTIO_BLK_T_IN, 0, buf, sizeof(buf)) != 0 ||
	    vblk_check_pattern(buf, sizeof(buf), 0, SF_SEED) != -1)
		return 6;
	if (log && (sf_dirty_report(&b, bm) || sf_bits(bm, words) < 1))
		return 7;
	/* Leave unreported bits: another read the device completes. */
	if (vblk_rw(&b, 0, VIRTIO_BLK_T_IN, 0, buf, sizeof(buf)) != 0)
		return 8;
	/* A request published in the avail ring, never notified. */
	if (vblk_submit(&b, 0, 1, VIRTIO_BLK_T_IN, 0, VBLK_SECTOR, false))
		return 9;
	/* MSI-X table entry 0 programmed; a BAR register moved. */
	if (svf_vfio_write(&b.v, VFIO_PCI_BAR1_REGION_INDEX, PCI_MSIX_ENTRY_LOWER_ADDR,
			   &addr, 4) != 4 ||
	    svf_vfio_write(&b.v, VFIO_PCI_BAR1_REGION_INDEX, PCI_MSIX_ENTRY_DATA,
			   &data, 4) != 4 ||
	    vblk_cfg_write(&b, PCI_BASE_ADDRESS_4, &bar, 4))
		return 10;
	/*
	 * The pending device error: an avail index running ahead of the
	 * ring puts the function in DEVICE_NEEDS_RESET.
	 */
	av = (struct vring_avail *)(b.mem + b.q[0].avail);
	av->idx = b.q[0].avail_idx + 2 * b.q[0].size;
	if (vblk_kick(&b, 0))
		return 11;
	for (n = 0; n < 500 && !(vblk_status(&b) & VIRTIO_CONFIG_S_NEEDS_RESET); n++)
		usleep(2000);
	if (!(vblk_status(&b) & VIRTIO_CONFIG_S_NEEDS_RESET))
		return 12;
	fd = cu_leave_session(&b.v, a->state);
	if (fd < 0)
		return 13;
	bits = sf_bits(bm, words);
	if (cu_send(sock, fd, bits))
		return 14;
	return 0;	/* _exit: nothing closed, nothing stopped */
}

FIXTURE(sf) {
	struct vblk b;
	struct vblk w;
	struct sf_snap ref;
	int efd[NIRQ];
	int msix[MSIX_MAX];
	int fd;
};

FIXTURE_VARIANT(sf) {
	uint32_t state;
};

FIXTURE_VARIANT_ADD(sf, stop_copy) {
	.state = VFIO_DEVICE_STATE_STOP_COPY,
};

FIXTURE_VARIANT_ADD(sf, resuming) {
	.state = VFIO_DEVICE_STATE_RESUMING,
};

FIXTURE_SETUP(sf)
{
	int i;

	memset(&self->b, 0, sizeof(self->b));
	memset(&self->w, 0, sizeof(self->w));
	self->b.v.container = self->b.v.group = self->b.v.device = -1;
	self->w.v.container = self->w.v.group = self->w.v.device = -1;
	self->b.cfg_efd = self->w.cfg_efd = -1;
	for (i = 0; i < VBLK_MAX_QUEUES; i++)
		self->b.q[i].efd = self->w.q[i].efd = -1;
	self->fd = -1;
	for (i = 0; i < NIRQ; i++)
		self->efd[i] = -1;
	for (i = 0; i < MSIX_MAX; i++)
		self->msix[i] = -1;
	ASSERT_EQ(0, lt_load("snapvf_sf"));
	if (!svf_exists(SF_DIR))
		ASSERT_EQ(0, lt_sim_ctl("new_sf", SF_ID " 1M 1 64 4"));
	if (!svf_mdev_exists(SF_UUID))
		ASSERT_EQ(0, svf_mdev_create(SF_DIR, SF_TYPE, SF_UUID));
	if (!svf_mdev_exists(SF_UUID2))
		ASSERT_EQ(0, svf_mdev_create(SF_DIR, SF_TYPE, SF_UUID2));
	/* The reset state, as a first user sees it before touching it. */
	ASSERT_EQ(0, vblk_attach(&self->b, SF_UUID));
	ASSERT_EQ(0, sf_snapshot(&self->b, &self->ref));
	vblk_close(&self->b);
	for (i = 0; i < NIRQ; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, self->efd[i]);
	}
	for (i = 0; i < MSIX_MAX; i++) {
		self->msix[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, self->msix[i]);
	}
}

FIXTURE_TEARDOWN(sf)
{
	const char *failed = "";
	int i;

	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < NIRQ; i++)
		if (self->efd[i] >= 0)
			close(self->efd[i]);
	for (i = 0; i < MSIX_MAX; i++)
		if (self->msix[i] >= 0)
			close(self->msix[i]);
	vblk_close(&self->b);
	vblk_close(&self->w);
	if (lt_unload_ours(&failed))
		TH_LOG("rmmod %s failed", failed);
}

static void sf_expect_none_fired(struct __test_metadata *_metadata,
				 FIXTURE_DATA(sf) *self)
{
	int i;

	for (i = 0; i < NIRQ; i++)
		EXPECT_EQ(0, cu_efd_count(self->efd[i])) TH_LOG("A's IRQ index %d", i);
	for (i = 0; i < MSIX_MAX; i++)
		EXPECT_EQ(0, cu_efd_count(self->msix[i])) TH_LOG("A's MSI-X vector %d", i);
}

TEST_F_TIMEOUT(sf, next_user_finds_reset_state, CU_TIMEOUT)
{
	struct sf_a a = { .state = variant->state };
	uint8_t buf[8 * VBLK_SECTOR];
	struct sf_snap now;
	uint64_t *bm, words;
	unsigned int msix, i;
	uint32_t st = ~0u;
	struct svf_mdev_remover rm;
	int64_t bits = 0, n;
	int req, log = svf_kernel_dma_log();

	memcpy(a.efd, self->efd, sizeof(a.efd));
	memcpy(a.msix, self->msix, sizeof(a.msix));
	ASSERT_EQ(0, cu_user_a(sf_user_a, &a, &self->fd, &bits))
		TH_LOG("user A failed at the step its exit code names");
	ASSERT_LE(0, log) TH_LOG("running kernel's config not found");
	if (log)
		ASSERT_LE(1, bits) TH_LOG("A's device DMA set no dirty bit");
	/* A's own I/O signalled its queue vector: start from 0. */
	for (i = 0; i < MSIX_MAX; i++)
		cu_efd_count(self->msix[i]);

	/* B attaches without touching the device state. */
	ASSERT_EQ(0, vblk_attach(&self->b, SF_UUID));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->b.v, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, st);
	cu_expect_cut(_metadata, self->fd, variant->state);

	/* Device model, config space, MSI-X: the reset state, exactly. */
	ASSERT_EQ(0, sf_snapshot(&self->b, &now));
	EXPECT_EQ(0, vblk_status(&self->b));
	EXPECT_EQ(0, now.common[VIRTIO_PCI_COMMON_STATUS]);
	EXPECT_EQ(0, vblk_rd(&self->b, self->b.common + VIRTIO_PCI_COMMON_Q_ENABLE, 2));
	EXPECT_EQ(0, vblk_rd(&self->b, self->b.common + VIRTIO_PCI_COMMON_Q_DESCLO, 4));
	EXPECT_EQ(0, vblk_rd(&self->b, self->b.common + VIRTIO_PCI_COMMON_Q_AVAILLO, 4));
	EXPECT_EQ(0, vblk_rd(&self->b, self->b.common + VIRTIO_PCI_COMMON_Q_USEDLO, 4));
	EXPECT_EQ(VIRTIO_MSI_NO_VECTOR,
		  vblk_rd(&self->b, self->b.common + VIRTIO_PCI_COMMON_Q_MSIX, 2));
	EXPECT_EQ(64, vblk_rd(&self->b, self->b.common + VIRTIO_PCI_COMMON_Q_SIZE, 2));
	EXPECT_EQ(0, now.cfg[PCI_COMMAND] | now.cfg[PCI_COMMAND + 1] << 8);
	msix = sf_msix_cap(now.cfg);
	ASSERT_NE(0, msix);
	/*
	 * MSI-X enable follows the current user's SET_IRQS mode in
	 * vfio-mdev-core, so it reads as B's own (set by vblk_attach()),
	 * as in the reference.  Vector control resets to 0 there, as the
	 * reference shows (compared below); address and data to 0.
	 */
	EXPECT_EQ(self->ref.cfg[msix + PCI_MSIX_FLAGS + 1],
		  now.cfg[msix + PCI_MSIX_FLAGS + 1]);
	EXPECT_EQ(0, now.cfg[PCI_BASE_ADDRESS_4 + 3]);
	for (i = 0; i < 16; i++)
		if (i < PCI_MSIX_ENTRY_VECTOR_CTRL)
			EXPECT_EQ(0, now.msix[i]) TH_LOG("MSI-X entry 0 byte %u", i);
	for (i = 0; i < sizeof(now.cfg); i++)
		EXPECT_EQ(self->ref.cfg[i], now.cfg[i]) TH_LOG("config byte 0x%x", i);
	for (i = 0; i < sizeof(now.common); i++)
		EXPECT_EQ(self->ref.common[i], now.common[i])
			TH_LOG("common config byte 0x%x", i);
	for (i = 0; i < sizeof(now.msix); i++)
		EXPECT_EQ(self->ref.msix[i], now.msix[i]) TH_LOG("MSI-X byte 0x%x", i);
	for (i = 0; i < sizeof(now.pba); i++)
		EXPECT_EQ(self->ref.pba[i], now.pba[i]) TH_LOG("PBA byte 0x%x", i);

	/* DMA logging: free for B, and the first report holds no bit. */
	words = (self->b.mem_size / PG + 63) / 64;
	bm = calloc(words, 8);
	ASSERT_NE(NULL, bm);
	if (log) {
		ASSERT_EQ(0, svf_vfio_dma_log_start(&self->b.v, VBLK_IOVA,
						    self->b.mem_size, PG));
		ASSERT_EQ(0, sf_dirty_report(&self->b, bm));
		EXPECT_EQ(0, sf_bits(bm, words)) TH_LOG("A's dirty bits reached B");
	} else {
		EXPECT_EQ(-ENOTTY, svf_vfio_dma_log_probe(&self->b.v));
	}

	/* B drives the device: the disk is the volume, A's data is there. */
	ASSERT_EQ(0, vblk_init_driver(&self->b, 1));
	ASSERT_EQ(0, vblk_rw(&self->b, 0, VIRTIO_BLK_T_IN, 0, buf, sizeof(buf)));
	/* -1: no mismatch (vblk_check_pattern() returns the bad offset). */
	EXPECT_EQ(-1, vblk_check_pattern(buf, sizeof(buf), 0, SF_SEED));
	EXPECT_LE(1, svf_wait_eventfd(self->b.q[0].efd, 1000))
		TH_LOG("B's queue interrupt did not fire");
	if (log) {
		memset(bm, 0, words * 8);
		ASSERT_EQ(0, sf_dirty_report(&self->b, bm));
		EXPECT_LE(1, sf_bits(bm, words)) TH_LOG("B's own DMA is tracked");
		EXPECT_EQ(0, svf_vfio_dma_log_stop(&self->b.v));
	}
	free(bm);

	/* A new migration session, end to end, into the second instance. */
	ASSERT_EQ(0, vblk_attach(&self->w, SF_UUID2));
	/* Guest RAM moves with the VM: the rings the device state points to. */
	memcpy(self->w.mem, self->b.mem, self->b.mem_size);
	n = cu_migrate(&self->b.v, &self->w.v);
	EXPECT_LT(0, n) TH_LOG("migration: %lld", (long long)n);
	EXPECT_EQ(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK,
		  vblk_status(&self->w));
	vblk_close(&self->w);

	/* The request IRQ reaches B's eventfd, never A's. */
	req = svf_vfio_irq_eventfd(&self->b.v, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_LE(0, req);
	ASSERT_EQ(0, svf_mdev_remove_start(&rm, SF_UUID));
	EXPECT_LE(1, svf_wait_eventfd(req, LT_PROMPT_MS)) TH_LOG("no request IRQ");
	sf_expect_none_fired(_metadata, self);
	close(req);
	vblk_close(&self->b);
	EXPECT_EQ(0, svf_mdev_remove_join(&rm));
	close(self->fd);
	self->fd = -1;
}

TEST_HARNESS_MAIN
