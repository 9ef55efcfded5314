// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sf: split virtqueue processing and the virtio-blk command set.
 *
 * Everything the driver hands us is untrusted: ring indexes, descriptor
 * chains (which may loop or point outside the memory mapped into the
 * container) and request headers.  A malformed ring puts the device into
 * the NEEDS_RESET state with one rate-limited kernel message; a malformed
 * request inside a well-formed chain just completes with an error status.
 *
 * Every function here runs with dev->lock held (see virtio_blk.h).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "virtio_blk.h"

/* One descriptor of a chain, flattened. */
struct vblk_seg {
	u64 addr;
	u32 len;
	bool write;
};

/* A request's descriptor chain: readable segments first, then writable. */
struct vblk_chain {
	u16 head;
	u16 nsegs;
	u64 rlen;		/* bytes in device-readable segments */
	u64 wlen;		/* bytes in device-writable segments */
	struct vblk_seg seg[SVF_VBLK_SEG_MAX + 2];
};

/*
 * Log policy: the guest controls the rings, so a broken queue logs once
 * per broken state (until the driver resets the device) and, for a guest
 * that breaks and resets in a loop, is rate-limited on top.
 */
static void vblk_fail(struct svf_vblk_dev *dev, u16 qidx, const char *why)
{
	if (!dev->broken)
		pr_warn_ratelimited("snapvf_sf: %s: queue %u: %s, device needs reset\n",
				    dev->name, qidx, why);
	dev->broken = true;
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	svf_vblk_publish_locked(dev);
	dev->isr |= SVF_VBLK_ISR_CONFIG;
	dev->ops->raise(dev->priv, dev->msix_config);
}

static int vblk_read16(struct svf_vblk_dev *dev, u64 iova, u16 *val)
{
	__le16 v;
	int ret = dev->ops->dma_read(dev->priv, iova, &v, sizeof(v));

	*val = le16_to_cpu(v);
	return ret;
}

/* Walks the chain starting at @head into @c. Returns an error string. */
static const char *vblk_walk(struct svf_vblk_dev *dev, struct svf_vblk_vq *vq,
			     u16 head, struct vblk_chain *c)
{
	struct vring_desc d;
	u16 idx = head, n = 0;

	c->head = head;
	c->nsegs = 0;
	c->rlen = 0;
	c->wlen = 0;
	for (;;) {
		u16 flags;

		if (idx >= vq->size)
			return "descriptor index out of range";
		if (++n > vq->size)
			return "descriptor chain loops";
		if (dev->ops->dma_read(dev->priv, vq->desc + (u64)idx * sizeof(d),
				       &d, sizeof(d)))
			return "descriptor table not mapped";
		flags = le16_to_cpu((__force __le16)d.flags);
		if (flags & VRING_DESC_F_INDIRECT)
			return "indirect descriptor not negotiated";
		if (c->nsegs == ARRAY_SIZE(c->seg))
			return "too many segments";
		c->seg[c->nsegs].addr = le64_to_cpu((__force __le64)d.addr);
		c->seg[c->nsegs].len = le32_to_cpu((__force __le32)d.len);
		c->seg[c->nsegs].write = flags & VRING_DESC_F_WRITE;
		if (!c->seg[c->nsegs].write && c->wlen)
			return "readable descriptor after writable one";
		if (c->seg[c->nsegs].write)
			c->wlen += c->seg[c->nsegs].len;
		else
			c->rlen += c->seg[c->nsegs].len;
		c->nsegs++;
		if (!(flags & VRING_DESC_F_NEXT))
			return NULL;
		idx = le16_to_cpu((__force __le16)d.next);
	}
}

/*
 * Moves @len bytes between the chain's bytes [@pos, @pos + @len) of the
 * given direction and the kernel buffer @buf.  Readable bytes go to the
 * device, writable bytes come from it.
 */
static int vblk_xfer(struct svf_vblk_dev *dev, struct vblk_chain *c,
		     bool write, u64 pos, void *buf, u64 len)
{
	u16 i;
	int ret;

	for (i = 0; i < c->nsegs && len; i++) {
		struct vblk_seg *s = &c->seg[i];
		u64 n;

		if (s->write != write)
			continue;
		if (pos >= s->len) {
			pos -= s->len;
			continue;
		}
		n = min_t(u64, s->len - pos, len);
		if (write)
			ret = dev->ops->dma_write(dev->priv, s->addr + pos, buf, n);
		else
			ret = dev->ops->dma_read(dev->priv, s->addr + pos, buf, n);
		if (ret)
			return ret;
		buf += n;
		len -= n;
		pos = 0;
	}
	return len ? -EINVAL : 0;
}

/* Largest piece of a request moved through the bounce buffer at once. */
#define VBLK_BOUNCE	SZ_64K

/*
 * Moves @len bytes between the disk at byte @off and the chain's data
 * (writable bytes from @pos for a read, readable bytes from @pos for a
 * write), through a bounce buffer, in parent calls of up to VBLK_BOUNCE
 * bytes.  Returns the virtio-blk status, or -errno when guest memory is
 * not mapped.  A disk error ends the request with VIRTIO_BLK_S_IOERR; a
 * write may then have reached the disk in part (the chunks before the
 * failed one), as on any disk.
 */
static int vblk_disk_io(struct svf_vblk_dev *dev, struct vblk_chain *c,
			bool read, u64 pos, u64 off, u64 len)
{
	void *bounce;
	int ret = 0;
	u64 n;

	if (!len)
		return VIRTIO_BLK_S_OK;
	/* zeroed: a parent that fills less than it says leaks nothing */
	bounce = kvzalloc(min_t(u64, len, VBLK_BOUNCE), GFP_KERNEL_ACCOUNT);
	if (!bounce)
		return VIRTIO_BLK_S_IOERR;
	for (; len && !ret; pos += n, off += n, len -= n) {
		/* a request may be as large as the disk: let others run */
		cond_resched();
		n = min_t(u64, len, VBLK_BOUNCE);
		if (read) {
			if (dev->ops->disk_read(dev->priv, off, bounce, n)) {
				ret = VIRTIO_BLK_S_IOERR;
				break;
			}
			ret = vblk_xfer(dev, c, true, pos, bounce, n);
		} else {
			ret = vblk_xfer(dev, c, false, pos, bounce, n);
			if (!ret && dev->ops->disk_write(dev->priv, off, bounce, n))
				ret = VIRTIO_BLK_S_IOERR;
		}
	}
	kvfree(bounce);
	return ret;
}

/* A data request's range: whole blocks inside the capacity. */
static bool vblk_range_ok(struct svf_vblk_dev *dev, u64 off, u64 len)
{
	u64 mask = dev->block_size - 1;

	return !(off & mask) && !(len & mask) && off <= dev->capacity &&
	       len <= dev->capacity - off;
}

/* Executes one request. Returns the virtio-blk status, or -errno on DMA. */
static int vblk_exec(struct svf_vblk_dev *dev, struct vblk_chain *c, u32 *written)
{
	struct virtio_blk_outhdr hdr;
	u64 off, len;
	u32 type;
	int ret;

	*written = 0;
	if (c->rlen < sizeof(hdr) || c->wlen < 1)
		return VIRTIO_BLK_S_IOERR;
	ret = vblk_xfer(dev, c, false, 0, &hdr, sizeof(hdr));
	if (ret)
		return ret;
	type = le32_to_cpu((__force __le32)hdr.type);
	/*
	 * A sector whose byte offset does not fit in 64 bits is past any
	 * capacity; wrapped, it would alias a sector near the start.
	 */
	if (check_mul_overflow(le64_to_cpu((__force __le64)hdr.sector),
			       (u64)SVF_VBLK_SECTOR, &off))
		off = U64_MAX;

	switch (type) {
	case VIRTIO_BLK_T_IN:
		len = c->wlen - 1;
		if (!vblk_range_ok(dev, off, len))
			return VIRTIO_BLK_S_IOERR;
		ret = vblk_disk_io(dev, c, true, 0, off, len);
		if (ret == VIRTIO_BLK_S_OK)
			*written = len;
		return ret;
	case VIRTIO_BLK_T_OUT:
		len = c->rlen - sizeof(hdr);
		if (!vblk_range_ok(dev, off, len))
			return VIRTIO_BLK_S_IOERR;
		return vblk_disk_io(dev, c, false, sizeof(hdr), off, len);
	case VIRTIO_BLK_T_FLUSH:
		return dev->ops->disk_flush(dev->priv) ? VIRTIO_BLK_S_IOERR :
		       VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		len = min_t(u64, c->wlen - 1, VIRTIO_BLK_ID_BYTES);
		ret = vblk_xfer(dev, c, true, 0, dev->serial, len);
		*written = len;
		return ret ? ret : VIRTIO_BLK_S_OK;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static int vblk_complete(struct svf_vblk_dev *dev, struct svf_vblk_vq *vq,
			 struct vblk_chain *c, u8 status, u32 written)
{
	struct vring_used_elem e;
	__le16 idx;
	u64 at;
	int ret;

	ret = vblk_xfer(dev, c, true, c->wlen - 1, &status, 1);
	if (ret)
		return ret;
	e.id = (__force __virtio32)cpu_to_le32(c->head);
	e.len = (__force __virtio32)cpu_to_le32(written + 1);
	at = vq->used + offsetof(struct vring_used, ring) +
	     (u64)(vq->used_idx % vq->size) * sizeof(e);
	ret = dev->ops->dma_write(dev->priv, at, &e, sizeof(e));
	if (ret)
		return ret;
	/* The element must be visible before the index that publishes it. */
	smp_wmb();
	vq->used_idx++;
	idx = cpu_to_le16(vq->used_idx);
	return dev->ops->dma_write(dev->priv,
				   vq->used + offsetof(struct vring_used, idx),
				   &idx, sizeof(idx));
}

/* vblk_one()'s answer when bus mastering is off: stop, nothing touched */
static const char vblk_no_master[] = "bus mastering off";

/* Handles the request at the avail ring slot @slot. */
static const char *vblk_one(struct svf_vblk_dev *dev, struct svf_vblk_vq *vq,
			    struct vblk_chain *c)
{
	const char *why;
	u32 written;
	u16 head;
	int st;

	st = vblk_read16(dev, vq->avail + offsetof(struct vring_avail, ring) +
			 (u64)(vq->last_avail % vq->size) * 2, &head);
	if (st == -EPERM)
		return vblk_no_master;
	if (st)
		return "avail ring not mapped";
	why = vblk_walk(dev, vq, head, c);
	if (why)
		return why;
	st = vblk_exec(dev, c, &written);
	if (st < 0)
		return "request buffer not mapped";
	if (vblk_complete(dev, vq, c, st, written))
		return "used ring or status byte not mapped";
	vq->last_avail++;
	dev->reqs++;
	return NULL;
}

/**
 * svf_vblk_process() - consume every available request of one queue
 * @dev: device, lock held
 * @qidx: queue index
 *
 * Completes requests in avail-ring order, publishes them in the used ring
 * and raises the queue's vector once unless the driver suppressed it.
 * With bus mastering off (@dma_read says -EPERM) before a request's
 * descriptor head was read, that request and those after it wait for the
 * next notification or resume, untouched: a function whose guest turned
 * mastering off before its firmware or driver ran (a migrated VM stopped
 * early) keeps its queues.  Mastering turned off under a request whose
 * chain was being read breaks the queue like any DMA error.
 */
void svf_vblk_process(struct svf_vblk_dev *dev, u16 qidx)
{
	struct svf_vblk_vq *vq = &dev->vq[qidx];
	struct vblk_chain *c;
	u16 avail_idx, flags, done = 0;
	const char *why = NULL;
	int ret;

	if (dev->broken || dev->quiesced || !vq->enabled ||
	    !(dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	c = kmalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return;
	ret = vblk_read16(dev, vq->avail + offsetof(struct vring_avail, idx),
			  &avail_idx);
	if (ret == -EPERM) {
		why = vblk_no_master;
		goto out;
	}
	if (ret) {
		why = "avail ring not mapped";
		goto out;
	}
	if ((u16)(avail_idx - vq->last_avail) > vq->size) {
		why = "avail index ahead of ring size";
		goto out;
	}
	while (vq->last_avail != avail_idx && !why) {
		why = vblk_one(dev, vq, c);
		if (!why)
			done++;
	}
out:
	kfree(c);
	if (why && why != vblk_no_master) {
		vblk_fail(dev, qidx, why);
		return;
	}
	if (!done)
		return;
	if (vblk_read16(dev, vq->avail + offsetof(struct vring_avail, flags),
			&flags) || !(flags & VRING_AVAIL_F_NO_INTERRUPT)) {
		dev->isr |= SVF_VBLK_ISR_QUEUE;
		dev->ops->raise(dev->priv, vq->vector);
	}
}
