/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the mdev_core tests: the vmdev_test parent's sysfs and the
 * test function's registers (see tools/testing/modules/vmdev_test).
 */
#ifndef _VMDEV_LIB_H
#define _VMDEV_LIB_H

#include <pthread.h>
#include "svf_sysfs.h"	/* sysfs I/O, svf_mdev_*(); includes svf_vfio.h */
#include "svf_stream.h"	/* the stream format, <snapvf/mig_stream.h> */

/* The vmdev_test parent: instances via svf_mdev_create(VT_PARENT, type, ..) */
#define VT_PARENT	"/sys/class/vmdev_test/vmdev_test0"
#define VT_TYPES	VT_PARENT "/mdev_supported_types"
#define VT_SMALL	"vmdev_test-small"
#define VT_BIG		"vmdev_test-big"
#define VT_CAPACITY	8

#define VT_ID		0x00
#define VT_SCRATCH	0x04
#define VT_DMA_LO	0x08
#define VT_DMA_HI	0x0c
#define VT_DMA_LEN	0x10
#define VT_DMA_PAT	0x14
#define VT_DMA_GO	0x18
#define VT_DMA_STATUS	0x1c
#define VT_IRQ		0x20
#define VT_IRQ_RET	0x24
#define VT_INTX_LOWER	0x28
#define VT_RESETS	0x30
#define VT_DMA_SUM	0x34
#define VT_BAR_READS	0x38
#define VT_ID_VALUE	0x56444d56
#define VT_MSIX_VECS	8
#define VT_NREGS	64

/*
 * The test function's migration stream: its compat id and its own record
 * (the BAR0 registers, VT_NREGS __le32), before vfio-mdev-core's
 * VMDEV_MIG_REC_STATE record.
 */
#define VT_COMPAT_ID	0x564d445654455354ULL	/* "VMDVTEST" */
#define VT_REC_REGS	(SVF_MIG_REC_DRIVER + 0)

static inline void vt_uuid(char *buf, unsigned int n)
{
	sprintf(buf, "5e1f0000-0000-4000-8000-%012x", n);
}

static inline uint32_t cfg_rd(struct svf_vfio *v, unsigned int off, int size)
{
	uint32_t val = 0;

	if (svf_vfio_read(v, VFIO_PCI_CONFIG_REGION_INDEX, off, &val, size) != size)
		return 0xdeadbeef;
	return val;
}

static inline int cfg_wr(struct svf_vfio *v, unsigned int off, uint32_t val,
			 int size)
{
	return svf_vfio_write(v, VFIO_PCI_CONFIG_REGION_INDEX, off, &val,
			      size) == size ? 0 : -1;
}

/* One pread/pwrite on a region: returns bytes or -errno. */
static inline ssize_t reg_io(struct svf_vfio *v, unsigned int index,
			     uint64_t off, void *buf, size_t len, int write)
{
	uint64_t pos = ((uint64_t)index << 40) + off;
	ssize_t n = write ? pwrite(v->device, buf, len, pos) :
			    pread(v->device, buf, len, pos);

	return n < 0 ? -errno : n;
}

static inline uint32_t bar0_rd(struct svf_vfio *v, unsigned int off)
{
	uint32_t val = 0xdeadbeef;

	reg_io(v, VFIO_PCI_BAR0_REGION_INDEX, off, &val, 4, 0);
	return val;
}

static inline void bar0_wr(struct svf_vfio *v, unsigned int off, uint32_t val)
{
	reg_io(v, VFIO_PCI_BAR0_REGION_INDEX, off, &val, 4, 1);
}

/* Find capability @id in the standard list; 0 if absent. */
static inline unsigned int cap_find(struct svf_vfio *v, uint8_t id)
{
	unsigned int pos = cfg_rd(v, 0x34, 1), guard = 0;

	while (pos && guard++ < 48) {
		if ((cfg_rd(v, pos, 1) & 0xff) == id)
			return pos;
		pos = cfg_rd(v, pos + 1, 1) & 0xff;
	}
	return 0;
}

/* SET_IRQS with @count eventfds (or -1s) at @start. */
static inline int set_irq_fds(struct svf_vfio *v, unsigned int index,
			      unsigned int start, unsigned int count,
			      const int *fds)
{
	char buf[sizeof(struct vfio_irq_set) + 64 * sizeof(int)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = sizeof(*s) + count * sizeof(int);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->start = start;
	s->count = count;
	memcpy(s->data, fds, count * sizeof(int));
	return ioctl(v->device, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

/* SET_IRQS with no data (DATA_NONE) or bools. */
static inline int set_irq_act(struct svf_vfio *v, unsigned int index,
			      uint32_t action, unsigned int start,
			      unsigned int count, const uint8_t *bools)
{
	char buf[sizeof(struct vfio_irq_set) + 64];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = sizeof(*s) + (bools ? count : 0);
	s->flags = action | (bools ? VFIO_IRQ_SET_DATA_BOOL :
				     VFIO_IRQ_SET_DATA_NONE);
	s->index = index;
	s->start = start;
	s->count = count;
	if (bools)
		memcpy(s->data, bools, count);
	return ioctl(v->device, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

static inline int new_efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

#endif
