/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the lifetime matrix's held-object rows (pf_held_test,
 * sf_held_test): what a VMM holds besides a data_fd - an mmap of every
 * mmap-able region, eventfds of every IRQ index the device offers, an open
 * DMA-logging session - and how to probe each after a teardown.
 * Everything returns 0 or -errno and prints nothing; the assertions are at
 * the end, for the harness.
 *
 * The rules checked (Documentation/testing.rst, "The lifetime matrix"):
 *  - a BAR mapping of a SNAP PF keeps the device open (vfio: the vma holds
 *    the device file); once the parent withdrew the function every access
 *    through it raises SIGBUS, as vfio_pci_core answers a fault with
 *    memory decoding off; until then it reaches the live device;
 *  - eventfds given with VFIO_DEVICE_SET_IRQS are released by the close of
 *    the device (the last holder); nothing signals them afterwards, also
 *    not the next user of the device, and closing them is clean;
 *  - a DMA-logging session ends with the close: the next user's REPORT
 *    fails (-EINVAL: not started) and its START succeeds.  Only where the
 *    kernel can report DMA dirty pages; elsewhere devices offer no DMA
 *    logging (SVF_NEED_DMA_LOG).
 */
#ifndef _SVF_HELD_LIB_H
#define _SVF_HELD_LIB_H

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include "lifetime_lib.h"

/* DMA-logging window of the held sessions. */
#define HL_DIRTY_IOVA	0x100000000ull
#define HL_DIRTY_LEN	(1ull << 20)
#define HL_DIRTY_PAGE	4096ull

/* ------------------------------------------------ mappings */

#define HL_MAX_MAPS	8

/**
 * struct hl_maps - every mmap-able region of a device, mapped
 * @n: mappings
 * @index: region index of each
 * @addr: the mapping (MAP_SHARED, read/write)
 * @size: its length (the region's size)
 * @not_mmap: regions with a size but without VFIO_REGION_INFO_FLAG_MMAP
 * @refused: of those, how many refused mmap() with EINVAL as they must
 */
struct hl_maps {
	int n;
	unsigned int index[HL_MAX_MAPS];
	void *addr[HL_MAX_MAPS];
	size_t size[HL_MAX_MAPS];
	int not_mmap;
	int refused;
};

/*
 * Map every region whose info has VFIO_REGION_INFO_FLAG_MMAP, and try
 * mmap() on every other region that has a size (it must fail, EINVAL).
 * 0 or -errno; @m->n may be 0 (a device without mmap-able regions).
 */
static SVF_UNUSED int hl_map_all(struct svf_vfio *v, struct hl_maps *m)
{
	struct vfio_region_info ri;
	unsigned int i;
	void *p;
	int ret;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < v->info.num_regions; i++) {
		ret = svf_vfio_region(v, i, &ri);
		if (ret == -EINVAL)
			continue;	/* index not implemented */
		if (ret)
			return ret;
		if (!ri.size)
			continue;
		p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 v->device, ri.offset);
		if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
			m->not_mmap++;
			if (p == MAP_FAILED && errno == EINVAL)
				m->refused++;
			else if (p != MAP_FAILED)
				munmap(p, ri.size);
			continue;
		}
		if (p == MAP_FAILED)
			return -errno;
		if (m->n == HL_MAX_MAPS) {
			munmap(p, ri.size);
			return -E2BIG;
		}
		m->index[m->n] = i;
		m->addr[m->n] = p;
		m->size[m->n] = ri.size;
		m->n++;
	}
	return 0;
}

/* munmap everything still mapped; 0 or the first -errno. */
static SVF_UNUSED int hl_unmap_all(struct hl_maps *m)
{
	int i, ret = 0;

	for (i = 0; i < m->n; i++) {
		if (m->addr[i] && munmap(m->addr[i], m->size[i]) && !ret)
			ret = -errno;
		m->addr[i] = NULL;
	}
	m->n = 0;
	return ret;
}

static sigjmp_buf hl_sig_jmp;

static void hl_sig_handler(int sig)
{
	siglongjmp(hl_sig_jmp, sig);
}

/*
 * One access through a mapping: read the byte at @p into *@val (@write 0)
 * or write *@val there.  0, or the signal it raised (SIGBUS, SIGSEGV).
 */
static SVF_UNUSED int hl_touch(volatile uint8_t *p, uint8_t *val, int write)
{
	struct sigaction sa, obus, osegv;
	volatile int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hl_sig_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	sig = sigsetjmp(hl_sig_jmp, 1);
	if (!sig) {
		if (write)
			*p = *val;
		else
			*val = *p;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return sig;
}

/* ------------------------------------------------ IRQ eventfds */

#define HL_MAX_EFDS	16

/**
 * struct hl_irqs - eventfds given to the device with VFIO_DEVICE_SET_IRQS
 * @n: eventfds
 * @index: IRQ index of each
 * @efd: the (non-blocking) eventfd, -1 once closed
 * @count: vectors of each index (VFIO_DEVICE_GET_IRQ_INFO)
 */
struct hl_irqs {
	int n;
	unsigned int index[HL_MAX_EFDS];
	int efd[HL_MAX_EFDS];
	unsigned int count[VFIO_PCI_NUM_IRQS];
};

/* Vector count of every IRQ index of the device (0: not offered). */
static SVF_UNUSED int hl_irq_counts(struct svf_vfio *v,
				    unsigned int count[VFIO_PCI_NUM_IRQS])
{
	struct vfio_irq_info ii;
	unsigned int i;
	int ret;

	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		count[i] = 0;
		if (i >= v->info.num_irqs)
			continue;
		ret = svf_vfio_irq_info(v, i, &ii);
		/* vfio_pci_core: EINVAL for ERR of a conventional PCI function */
		if (ret == -EINVAL)
			continue;
		if (ret)
			return ret;
		if (ii.flags & VFIO_IRQ_INFO_EVENTFD)
			count[i] = ii.count;
	}
	return 0;
}

/* An eventfd for each vector of @index, in one VFIO_DEVICE_SET_IRQS. */
static SVF_UNUSED int hl_irq_arm_index(struct svf_vfio *v, struct hl_irqs *q,
				       unsigned int index)
{
	char buf[sizeof(struct vfio_irq_set) + HL_MAX_EFDS * sizeof(int)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
	unsigned int i, cnt = q->count[index];
	int *fds = (int *)s->data;

	if (!cnt)
		return -ENODEV;
	if (q->n + cnt > HL_MAX_EFDS)
		return -E2BIG;
	for (i = 0; i < cnt; i++) {
		fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fds[i] < 0)
			return -errno;
		q->index[q->n] = index;
		q->efd[q->n++] = fds[i];
	}
	s->argsz = sizeof(*s) + cnt * sizeof(int);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->start = 0;
	s->count = cnt;
	return ioctl(v->device, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

/*
 * Arm interrupt mode @mode (INTx, MSI or MSI-X: one at a time, as vfio-pci
 * allows; -1 for none) and every other index the device offers (ERR,
 * REQ).  0 or -errno (-ENODEV: @mode not offered).
 */
static SVF_UNUSED int hl_irq_arm(struct svf_vfio *v, struct hl_irqs *q,
				 int mode)
{
	unsigned int i;
	int ret;

	memset(q, 0, sizeof(*q));
	ret = hl_irq_counts(v, q->count);
	if (ret)
		return ret;
	if (mode >= 0) {
		ret = hl_irq_arm_index(v, q, mode);
		if (ret)
			return ret;
	}
	for (i = VFIO_PCI_MSIX_IRQ_INDEX + 1; i < VFIO_PCI_NUM_IRQS; i++) {
		if (!q->count[i])
			continue;
		ret = hl_irq_arm_index(v, q, i);
		if (ret)
			return ret;
	}
	return 0;
}

/* The REQ eventfd of @q, or -1. */
static SVF_UNUSED int hl_irq_req(const struct hl_irqs *q)
{
	int i;

	for (i = 0; i < q->n; i++)
		if (q->index[i] == VFIO_PCI_REQ_IRQ_INDEX)
			return q->efd[i];
	return -1;
}

/*
 * Loopback: VFIO_DEVICE_SET_IRQS with DATA_NONE | ACTION_TRIGGER makes the
 * device signal every eventfd armed for each index @q holds.
 */
static SVF_UNUSED int hl_irq_fire(struct svf_vfio *v, const struct hl_irqs *q)
{
	struct vfio_irq_set s = {
		.argsz = sizeof(s),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	};
	unsigned int i;
	int j;

	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		for (j = 0; j < q->n && q->index[j] != i; j++)
			;
		if (j == q->n)
			continue;
		s.index = i;
		s.start = 0;
		s.count = q->count[i];
		if (ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s))
			return -errno;
	}
	return 0;
}

/* Read (and so reset) every counter; how many eventfds had fired. */
static SVF_UNUSED int hl_irq_drain(const struct hl_irqs *q)
{
	uint64_t cnt;
	int i, fired = 0;

	for (i = 0; i < q->n; i++)
		if (q->efd[i] >= 0 &&
		    read(q->efd[i], &cnt, sizeof(cnt)) == sizeof(cnt))
			fired++;
	return fired;
}

/* How many eventfds fire within @ms (poll, then drain). */
static SVF_UNUSED int hl_irq_fired_within(const struct hl_irqs *q, int ms)
{
	struct pollfd p[HL_MAX_EFDS];
	int i;

	for (i = 0; i < q->n; i++) {
		p[i].fd = q->efd[i];
		p[i].events = POLLIN;
		p[i].revents = 0;
	}
	if (poll(p, q->n, ms) < 0)
		return -errno;
	return hl_irq_drain(q);
}

/* Close every eventfd; 0 or the first -errno. */
static SVF_UNUSED int hl_irq_close(struct hl_irqs *q)
{
	int i, ret = 0;

	for (i = 0; i < q->n; i++) {
		if (q->efd[i] >= 0 && close(q->efd[i]) && !ret)
			ret = -errno;
		q->efd[i] = -1;
	}
	return ret;
}

/* ------------------------------------------------ DMA logging */

static SVF_UNUSED int hl_log_start(struct svf_vfio *v)
{
	return svf_vfio_dma_log_start(v, HL_DIRTY_IOVA, HL_DIRTY_LEN,
				      HL_DIRTY_PAGE);
}

/* The standard VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT of the window. */
static SVF_UNUSED int hl_log_report(struct svf_vfio *v)
{
	uint64_t bitmap[(HL_DIRTY_LEN / HL_DIRTY_PAGE + 63) / 64] = { 0 };

	return svf_vfio_dma_log_report(v, HL_DIRTY_IOVA, HL_DIRTY_LEN,
				       HL_DIRTY_PAGE, bitmap);
}

/* ------------------------------------------------ assertions */

#ifdef __KSELFTEST_HARNESS_H

/* Every mapping raises SIGBUS on a read and on a write. */
static SVF_UNUSED void hl_expect_sigbus(struct __test_metadata *_metadata,
					const struct hl_maps *m)
{
	uint8_t val = 0x5a;
	int i;

	for (i = 0; i < m->n; i++) {
		EXPECT_EQ(SIGBUS, hl_touch(m->addr[i], &val, 0))
			TH_LOG("read of region %u after withdrawal", m->index[i]);
		EXPECT_EQ(SIGBUS, hl_touch((uint8_t *)m->addr[i] +
					   m->size[i] - 1, &val, 1))
			TH_LOG("write of region %u after withdrawal",
			       m->index[i]);
	}
}

/* Every mapping still reaches the device (no signal). */
static SVF_UNUSED void hl_expect_live(struct __test_metadata *_metadata,
				      const struct hl_maps *m)
{
	uint8_t val;
	int i;

	for (i = 0; i < m->n; i++)
		EXPECT_EQ(0, hl_touch(m->addr[i], &val, 0))
			TH_LOG("read of region %u", m->index[i]);
}

/*
 * After the device let go of @q (the close of its last holder): nothing
 * fires within @ms, also when the next user @v2 (opened, or NULL) fires
 * its own eventfds @q2 for the same indexes, which must fire.
 */
static SVF_UNUSED void hl_expect_silent(struct __test_metadata *_metadata,
					const struct hl_irqs *q, int ms,
					struct svf_vfio *v2, struct hl_irqs *q2)
{
	hl_irq_drain(q);
	if (v2) {
		ASSERT_EQ(0, hl_irq_fire(v2, q2));
		EXPECT_EQ(q2->n, hl_irq_fired_within(q2, LT_PROMPT_MS))
			TH_LOG("the next user's eventfds must fire");
	}
	EXPECT_EQ(0, hl_irq_fired_within(q, ms))
		TH_LOG("a released eventfd was signalled");
}

#endif /* __KSELFTEST_HARNESS_H */

#endif /* _SVF_HELD_LIB_H */
