/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_sf: register reads of the virtio-blk model, inline.
 *
 * Drivers poll the common configuration (device_status above all), so its
 * reads are served inline in the caller, without dev->lock and without a
 * call into virtio_blk.c: the value is computed from the device's fields
 * under dev->regs_seq (see virtio_blk.c for the writers' side).  Every
 * other register read goes to svf_vblk_bar_read_slow().
 */
#ifndef _SVF_SF_REGS_H
#define _SVF_SF_REGS_H

#include <linux/build_bug.h>
#include <linux/unaligned.h>
#include <linux/virtio_pci.h>

#include "virtio_blk.h"

/* Feature bits @sel (0: 0..31, 1: 32..63) of @features; 0 beyond. */
static inline u32 vblk_feature_word(u64 features, u32 sel)
{
	return sel < 2 ? (u32)(features >> (32 * sel)) : 0;
}

/*
 * The queue-specific dword at @off of the common configuration.  Runs
 * without dev->lock: queue_select is read once, so the bound check holds
 * for the index used.
 */
static inline u32 vblk_queue_dword(struct svf_vblk_dev *dev, u32 off)
{
	u16 sel = READ_ONCE(dev->queue_select);
	struct svf_vblk_vq *vq;

	if (sel >= dev->nqueues)
		return 0;
	vq = &dev->vq[sel];
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:		/* + queue_msix_vector */
		return vq->size | (u32)vq->vector << 16;
	case VIRTIO_PCI_COMMON_Q_ENABLE:	/* + queue_notify_off */
		return vq->enabled | (u32)sel << 16;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		return off & 4 ? upper_32_bits(vq->desc) : lower_32_bits(vq->desc);
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		return off & 4 ? upper_32_bits(vq->avail) : lower_32_bits(vq->avail);
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return off & 4 ? upper_32_bits(vq->used) : lower_32_bits(vq->used);
	}
	return 0;
}

/*
 * The dword at @off (a multiple of 4) of the common configuration, as the
 * virtio 1.x layout packs the fields; computed per access instead of
 * building the whole structure, since drivers poll some of it.
 */
static __always_inline u32 vblk_common_dword(struct svf_vblk_dev *dev,
					     u32 off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return dev->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		return vblk_feature_word(dev->host_features, dev->dfselect);
	case VIRTIO_PCI_COMMON_GFSELECT:
		return dev->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return vblk_feature_word(dev->guest_features, dev->gfselect);
	case VIRTIO_PCI_COMMON_MSIX:		/* + num_queues */
		return dev->msix_config | (u32)dev->nqueues << 16;
	case VIRTIO_PCI_COMMON_STATUS:	/* + config_generation, queue_select */
		return dev->status | (u32)dev->config_gen << 8 |
		       (u32)dev->queue_select << 16;
	}
	return vblk_queue_dword(dev, off);
}

/* Store the @len low bytes of @v at @buf, little-endian. */
static inline void vblk_put_le(void *buf, u64 v, u32 len)
{
	switch (len) {
	case 1:
		*(u8 *)buf = v;
		break;
	case 2:
		put_unaligned_le16(v, buf);
		break;
	case 4:
		put_unaligned_le32(v, buf);
		break;
	default:
		put_unaligned_le64(v, buf);
		break;
	}
}

/*
 * svf_vblk_common_read() - a naturally aligned read at @off of the common
 * configuration, without dev->lock: a consistent view under dev->regs_seq.
 */
static inline void svf_vblk_common_read(struct svf_vblk_dev *dev, u32 off,
					void *buf, u32 len)
{
	u32 first = off & ~3u;
	unsigned int seq;
	u64 v;

	do {
		seq = read_seqcount_begin(&dev->regs_seq);
		v = vblk_common_dword(dev, first);
		if (len == 8)
			v |= (u64)vblk_common_dword(dev, first + 4) << 32;
	} while (read_seqcount_retry(&dev->regs_seq, seq));
	vblk_put_le(buf, v >> (8 * (off - first)), len);
}

int svf_vblk_bar_read_slow(struct svf_vblk_dev *dev, u32 off, void *buf,
			   u32 len);

/**
 * svf_vblk_bar_read() - read from the register BAR
 * @dev: device
 * @off: BAR offset
 * @buf: destination
 * @len: 1, 2, 4 or 8 bytes, naturally aligned
 *
 * Unimplemented ranges read as zero; the ISR byte is read-to-clear.
 * Context: process context (may take dev->lock).
 *
 * Return: 0 or -EINVAL for an access outside the BAR or unaligned.
 */
static inline int svf_vblk_bar_read(struct svf_vblk_dev *dev, u32 off,
				    void *buf, u32 len)
{
	BUILD_BUG_ON(SVF_VBLK_COMMON_OFF != 0);
	if (off < SVF_VBLK_COMMON_LEN && len <= SVF_VBLK_COMMON_LEN - off &&
	    (len == 1 || len == 2 || len == 4 || len == 8) &&
	    !(off & (len - 1))) {
		svf_vblk_common_read(dev, off, buf, len);
		return 0;
	}
	return svf_vblk_bar_read_slow(dev, off, buf, len);
}

#endif /* _SVF_SF_REGS_H */
