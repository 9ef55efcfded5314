// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sf: virtio 1.x modern PCI registers of the virtio-blk model.
 *
 * One BAR holds the four virtio structures at fixed offsets (see
 * virtio_blk.h); the vendor capabilities in config space that point at
 * them are produced by svf_vblk_fill_cap().  Reads may use any naturally
 * aligned width; writes must use the field's natural width (virtio 1.x
 * 4.1.3.1) and are ignored otherwise.
 *
 * Locking: every entry point takes dev->lock; the host ops are called with
 * it held.  Drivers poll the common configuration (device_status above
 * all), so after every change of what it reads the model hands the host a
 * fresh image of it (host_ops->common_changed, svf_vblk_publish_locked()),
 * from which the host answers those reads without entering the model:
 * they never wait behind queue processing.
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio_blk.h"

#define VBLK_FEATURES	(BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |	\
			 BIT_ULL(VIRTIO_BLK_F_BLK_SIZE) |	\
			 BIT_ULL(VIRTIO_BLK_F_FLUSH) |		\
			 BIT_ULL(VIRTIO_F_VERSION_1))

/* Feature bits @sel (0: 0..31, 1: 32..63) of @features; 0 beyond. */
static u32 vblk_feature_word(u64 features, u32 sel)
{
	return sel < 2 ? (u32)(features >> (32 * sel)) : 0;
}

/* The queue-specific dword at @off of the common configuration. */
static u32 vblk_queue_dword(struct svf_vblk_dev *dev, u32 off)
{
	struct svf_vblk_vq *vq;

	if (dev->queue_select >= dev->nqueues)
		return 0;
	vq = &dev->vq[dev->queue_select];
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:		/* + queue_msix_vector */
		return vq->size | (u32)vq->vector << 16;
	case VIRTIO_PCI_COMMON_Q_ENABLE:	/* + queue_notify_off */
		return vq->enabled | (u32)dev->queue_select << 16;
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
 * virtio 1.x layout packs the fields.  Caller holds dev->lock.
 */
static u32 vblk_common_dword(struct svf_vblk_dev *dev, u32 off)
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
static void vblk_put_le(void *buf, u64 v, u32 len)
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

/**
 * svf_vblk_publish_locked() - hand the host the common configuration as
 *	it reads now (&svf_vblk_host_ops.common_changed)
 * @dev: device; the caller holds dev->lock and has just changed a field
 *	the common configuration shows
 */
void svf_vblk_publish_locked(struct svf_vblk_dev *dev)
{
	__le32 image[SVF_VBLK_COMMON_LEN / 4];
	u32 i;

	BUILD_BUG_ON(SVF_VBLK_COMMON_LEN % 4);
	if (!dev->ops->common_changed)
		return;
	for (i = 0; i < ARRAY_SIZE(image); i++)
		image[i] = cpu_to_le32(vblk_common_dword(dev, 4 * i));
	dev->ops->common_changed(dev->priv, image);
}

/* Caller holds dev->lock and publishes the change afterwards. */
static void vblk_reset_locked(struct svf_vblk_dev *dev)
{
	u16 i;

	dev->guest_features = 0;
	dev->dfselect = 0;
	dev->gfselect = 0;
	dev->msix_config = VIRTIO_MSI_NO_VECTOR;
	dev->queue_select = 0;
	dev->status = 0;
	dev->isr = 0;
	dev->broken = false;
	/* A reset ends a migration's stop: nothing is left to process. */
	dev->quiesced = false;
	for (i = 0; i < dev->nqueues; i++) {
		struct svf_vblk_vq *vq = &dev->vq[i];

		vq->size = vq->max_size;
		vq->enabled = false;
		vq->vector = VIRTIO_MSI_NO_VECTOR;
		vq->desc = 0;
		vq->avail = 0;
		vq->used = 0;
		vq->last_avail = 0;
		vq->used_idx = 0;
	}
}

/**
 * svf_vblk_init() - set up a virtio-blk function in its reset state
 * @dev: zeroed device structure
 * @nqueues: request queues (1..SVF_VBLK_MAX_QUEUES)
 * @qsize: maximum ring size (power of two, <= SVF_VBLK_MAX_QSIZE)
 * @disk: the disk it presents (copied)
 * @ops: host callbacks
 * @priv: cookie passed to @ops
 *
 * Return: 0 or -EINVAL.
 */
int svf_vblk_init(struct svf_vblk_dev *dev, u16 nqueues, u16 qsize,
		  const struct svf_vblk_disk *disk,
		  const struct svf_vblk_host_ops *ops, void *priv)
{
	u16 i;

	if (!nqueues || nqueues > SVF_VBLK_MAX_QUEUES || !is_power_of_2(qsize) ||
	    qsize > SVF_VBLK_MAX_QSIZE || !is_power_of_2(disk->block_size) ||
	    disk->block_size < SVF_VBLK_SECTOR || disk->block_size > SZ_4K ||
	    !disk->capacity || disk->capacity % disk->block_size)
		return -EINVAL;
	mutex_init(&dev->lock);
	dev->ops = ops;
	dev->priv = priv;
	dev->nqueues = nqueues;
	dev->nvectors = nqueues + 1;
	dev->host_features = VBLK_FEATURES;
	if (nqueues > 1)
		dev->host_features |= BIT_ULL(VIRTIO_BLK_F_MQ);
	memset(dev->serial, 0, sizeof(dev->serial));
	memcpy(dev->serial, disk->serial, strnlen(disk->serial, sizeof(dev->serial)));
	strscpy(dev->name, disk->name, sizeof(dev->name));
	dev->capacity = disk->capacity;
	dev->block_size = disk->block_size;
	for (i = 0; i < nqueues; i++)
		dev->vq[i].max_size = qsize;
	svf_vblk_reset(dev);
	return 0;
}

/**
 * svf_vblk_fini() - tear down; no entry point may run concurrently
 * @dev: device
 */
void svf_vblk_fini(struct svf_vblk_dev *dev)
{
	mutex_destroy(&dev->lock);
}

/**
 * svf_vblk_reset() - function-level reset (registers and queues; the
 *	disk is the parent's and keeps its contents)
 * @dev: device
 */
void svf_vblk_reset(struct svf_vblk_dev *dev)
{
	mutex_lock(&dev->lock);
	vblk_reset_locked(dev);
	svf_vblk_publish_locked(dev);
	mutex_unlock(&dev->lock);
}

static void vblk_devcfg_snapshot(struct svf_vblk_dev *dev, u8 *b)
{
	memset(b, 0, SVF_VBLK_DEVCFG_LEN);
	put_unaligned_le64(dev->capacity / SVF_VBLK_SECTOR,
			   b + offsetof(struct virtio_blk_config, capacity));
	put_unaligned_le32(SVF_VBLK_SEG_MAX,
			   b + offsetof(struct virtio_blk_config, seg_max));
	put_unaligned_le32(dev->block_size,
			   b + offsetof(struct virtio_blk_config, blk_size));
	put_unaligned_le16(dev->nqueues,
			   b + offsetof(struct virtio_blk_config, num_queues));
}

static bool vblk_in(u32 off, u32 len, u32 base, u32 size)
{
	return off >= base && off - base < size && len <= size - (off - base);
}

/**
 * svf_vblk_bar_read() - read from the register BAR
 * @dev: device
 * @off: BAR offset
 * @buf: destination
 * @len: 1, 2, 4 or 8 bytes, naturally aligned
 *
 * Unimplemented ranges read as zero; the ISR byte is read-to-clear.
 * Context: process context (takes dev->lock).
 *
 * Return: 0 or -EINVAL for an access outside the BAR or unaligned.
 */
int svf_vblk_bar_read(struct svf_vblk_dev *dev, u32 off, void *buf, u32 len)
{
	u8 snap[SVF_VBLK_DEVCFG_LEN];
	u32 rel, first;
	u64 v;

	if (!vblk_in(off, len, 0, SVF_VBLK_BAR_SIZE) || (off & (len - 1)))
		return -EINVAL;
	mutex_lock(&dev->lock);
	if (vblk_in(off, len, SVF_VBLK_COMMON_OFF, SVF_VBLK_COMMON_LEN)) {
		rel = off - SVF_VBLK_COMMON_OFF;
		first = rel & ~3u;
		v = vblk_common_dword(dev, first);
		if (len == 8)
			v |= (u64)vblk_common_dword(dev, first + 4) << 32;
		vblk_put_le(buf, v >> (8 * (rel - first)), len);
	} else if (vblk_in(off, len, SVF_VBLK_DEVCFG_OFF, SVF_VBLK_DEVCFG_LEN)) {
		vblk_devcfg_snapshot(dev, snap);
		memcpy(buf, snap + off - SVF_VBLK_DEVCFG_OFF, len);
	} else {
		memset(buf, 0, len);
		if (off == SVF_VBLK_ISR_OFF) {
			*(u8 *)buf = dev->isr;
			dev->isr = 0;
		}
	}
	mutex_unlock(&dev->lock);
	return 0;
}

static void vblk_set_status(struct svf_vblk_dev *dev, u8 val)
{
	if (!val) {
		vblk_reset_locked(dev);
		return;
	}
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(dev->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((dev->guest_features & ~dev->host_features) ||
	     !(dev->guest_features & BIT_ULL(VIRTIO_F_VERSION_1))))
		val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	/* NEEDS_RESET is the device's to set and only a reset clears it. */
	dev->status = val | (dev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void vblk_queue_enable(struct svf_vblk_dev *dev, struct svf_vblk_vq *vq,
			      u16 val)
{
	if (val != 1 || vq->enabled)
		return;
	if (!is_power_of_2(vq->size) || !vq->desc || !vq->avail || !vq->used)
		return;
	vq->enabled = true;
}

static u16 vblk_vector(struct svf_vblk_dev *dev, u16 val)
{
	return val < dev->nvectors ? val : VIRTIO_MSI_NO_VECTOR;
}

static void vblk_set_addr(u64 *addr, u32 off, u32 val)
{
	if (off & 4)
		*addr = (*addr & 0xffffffffULL) | ((u64)val << 32);
	else
		*addr = (*addr & ~0xffffffffULL) | val;
}

static void vblk_queue_write(struct svf_vblk_dev *dev, u32 off, u32 val)
{
	struct svf_vblk_vq *vq;

	if (dev->queue_select >= dev->nqueues)
		return;
	vq = &dev->vq[dev->queue_select];
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (!vq->enabled && is_power_of_2(val) && val <= vq->max_size)
			vq->size = val;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		vq->vector = vblk_vector(dev, val);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		vblk_queue_enable(dev, vq, val);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO ... VIRTIO_PCI_COMMON_Q_DESCHI:
		if (!vq->enabled)
			vblk_set_addr(&vq->desc, off, val);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO ... VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (!vq->enabled)
			vblk_set_addr(&vq->avail, off, val);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO ... VIRTIO_PCI_COMMON_Q_USEDHI:
		if (!vq->enabled)
			vblk_set_addr(&vq->used, off, val);
		break;
	}
}

/* Natural width of a writable common cfg field, 0 if read-only/absent. */
static u32 vblk_common_width(u32 off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
	case VIRTIO_PCI_COMMON_GFSELECT:
	case VIRTIO_PCI_COMMON_GF:
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return 4;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_Q_SELECT:
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return 2;
	case VIRTIO_PCI_COMMON_STATUS:
		return 1;
	}
	return 0;
}

static void vblk_common_write(struct svf_vblk_dev *dev, u32 off, u32 val)
{
	u64 gf;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		dev->dfselect = val;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		dev->gfselect = val;
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (dev->gfselect >= 2 || (dev->status & VIRTIO_CONFIG_S_FEATURES_OK))
			break;
		gf = (u64)val << (32 * dev->gfselect);
		dev->guest_features &= ~(0xffffffffULL << (32 * dev->gfselect));
		dev->guest_features |= gf;
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		dev->msix_config = vblk_vector(dev, val);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		vblk_set_status(dev, val);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		dev->queue_select = val;
		break;
	default:
		vblk_queue_write(dev, off, val);
	}
}

static u32 vblk_val(const void *buf, u32 len)
{
	switch (len) {
	case 1:
		return *(const u8 *)buf;
	case 2:
		return get_unaligned_le16(buf);
	case 4:
		return get_unaligned_le32(buf);
	}
	return 0;
}

/**
 * svf_vblk_bar_write() - write to the register BAR
 * @dev: device
 * @off: BAR offset
 * @buf: source
 * @len: access width
 *
 * A write to queue N's notify address processes that queue synchronously:
 * the caller is the VMM's write to the region, in process context.
 *
 * Return: 0 or -EINVAL for an access outside the BAR.
 */
int svf_vblk_bar_write(struct svf_vblk_dev *dev, u32 off, const void *buf,
		       u32 len)
{
	u32 rel;

	if (!vblk_in(off, len, 0, SVF_VBLK_BAR_SIZE))
		return -EINVAL;
	mutex_lock(&dev->lock);
	if (off < SVF_VBLK_COMMON_OFF + SVF_VBLK_COMMON_LEN) {
		rel = off - SVF_VBLK_COMMON_OFF;
		if (vblk_common_width(rel) == len) {
			vblk_common_write(dev, rel, vblk_val(buf, len));
			svf_vblk_publish_locked(dev);
		}
	} else if (off >= SVF_VBLK_NOTIFY_OFF && (len == 2 || len == 4)) {
		rel = off - SVF_VBLK_NOTIFY_OFF;
		if (!(rel % SVF_VBLK_NOTIFY_MULT) &&
		    rel / SVF_VBLK_NOTIFY_MULT < dev->nqueues)
			svf_vblk_process(dev, rel / SVF_VBLK_NOTIFY_MULT);
	}
	mutex_unlock(&dev->lock);
	return 0;
}

/**
 * svf_vblk_kick_all() - process every queue, e.g. after resuming
 * @dev: device
 */
void svf_vblk_kick_all(struct svf_vblk_dev *dev)
{
	u16 i;

	mutex_lock(&dev->lock);
	for (i = 0; i < dev->nqueues; i++)
		svf_vblk_process(dev, i);
	mutex_unlock(&dev->lock);
}

/**
 * svf_vblk_quiesce() - stop or restart request processing (migration)
 * @dev: device
 * @on: true: notifications no longer process queues (the device initiates
 *	no DMA); false: process everything that arrived meanwhile
 */
void svf_vblk_quiesce(struct svf_vblk_dev *dev, bool on)
{
	u16 i;

	mutex_lock(&dev->lock);
	dev->quiesced = on;
	for (i = 0; !on && i < dev->nqueues; i++)
		svf_vblk_process(dev, i);
	mutex_unlock(&dev->lock);
}

/**
 * svf_vblk_fill_cap() - body of a virtio vendor capability
 * @cfg_type: VIRTIO_PCI_CAP_{COMMON,NOTIFY,ISR,DEVICE}_CFG
 * @bar: BAR index holding the registers
 * @cap: out: capability bytes (at least sizeof(struct virtio_pci_notify_cap));
 *	the ID and next-pointer bytes are left zero for the config-space
 *	builder to fill
 * @len: out: capability length
 */
void svf_vblk_fill_cap(u8 cfg_type, u8 bar, u8 *cap, u8 *len)
{
	struct virtio_pci_notify_cap *nc = (void *)cap;
	u32 off = 0, size = 0;

	memset(nc, 0, sizeof(*nc));
	switch (cfg_type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		off = SVF_VBLK_COMMON_OFF;
		size = SVF_VBLK_COMMON_LEN;
		break;
	case VIRTIO_PCI_CAP_ISR_CFG:
		off = SVF_VBLK_ISR_OFF;
		size = SVF_VBLK_ISR_LEN;
		break;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		off = SVF_VBLK_DEVCFG_OFF;
		size = SVF_VBLK_DEVCFG_LEN;
		break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		off = SVF_VBLK_NOTIFY_OFF;
		size = SVF_VBLK_BAR_SIZE - SVF_VBLK_NOTIFY_OFF;
		nc->notify_off_multiplier = cpu_to_le32(SVF_VBLK_NOTIFY_MULT);
		break;
	}
	*len = cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG ? sizeof(*nc) :
	       sizeof(nc->cap);
	nc->cap.cap_len = *len;
	nc->cap.cfg_type = cfg_type;
	nc->cap.bar = bar;
	nc->cap.offset = cpu_to_le32(off);
	nc->cap.length = cpu_to_le32(size);
}
