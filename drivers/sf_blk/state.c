// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sf: migration image of the virtio-blk registers and queues.
 *
 * The image is a fixed little-endian structure (struct svf_vblk_state).
 * It names the disk (capacity, block size, serial) but carries none of
 * its data: the disk is the parent's volume, which the destination's
 * parent presents too.  Loading validates everything before applying
 * anything.
 */
#include <linux/kernel.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio_blk.h"

/**
 * svf_vblk_save() - capture registers and queue state
 * @dev: device; the caller has stopped it (no concurrent BAR access
 *	changes the result once the VMM stopped the device, the lock only
 *	orders us against a request still being processed)
 * @st: out: image
 */
void svf_vblk_save(struct svf_vblk_dev *dev, struct svf_vblk_state *st)
{
	u16 i;

	memset(st, 0, sizeof(*st));
	mutex_lock(&dev->lock);
	st->host_features = cpu_to_le64(dev->host_features);
	st->guest_features = cpu_to_le64(dev->guest_features);
	st->capacity = cpu_to_le64(dev->capacity);
	st->block_size = cpu_to_le32(dev->block_size);
	memcpy(st->serial, dev->serial, sizeof(st->serial));
	st->dfselect = cpu_to_le32(dev->dfselect);
	st->gfselect = cpu_to_le32(dev->gfselect);
	st->msix_config = cpu_to_le16(dev->msix_config);
	st->queue_select = cpu_to_le16(dev->queue_select);
	st->nqueues = cpu_to_le16(dev->nqueues);
	st->status = dev->status;
	st->config_gen = dev->config_gen;
	st->isr = dev->isr;
	st->broken = dev->broken;
	for (i = 0; i < dev->nqueues; i++) {
		struct svf_vblk_vq *vq = &dev->vq[i];
		struct svf_vblk_vq_state *q = &st->vq[i];

		q->desc = cpu_to_le64(vq->desc);
		q->avail = cpu_to_le64(vq->avail);
		q->used = cpu_to_le64(vq->used);
		q->size = cpu_to_le16(vq->size);
		q->vector = cpu_to_le16(vq->vector);
		q->last_avail = cpu_to_le16(vq->last_avail);
		q->used_idx = cpu_to_le16(vq->used_idx);
		q->enabled = vq->enabled;
	}
	mutex_unlock(&dev->lock);
}

/**
 * svf_vblk_same_disk() - does @st name the disk @dev presents?
 * @dev: device (its disk fields are constant)
 * @st: image
 *
 * Return: true when capacity, block size and serial match.
 */
bool svf_vblk_same_disk(const struct svf_vblk_dev *dev,
			const struct svf_vblk_state *st)
{
	return le64_to_cpu(st->capacity) == dev->capacity &&
	       le32_to_cpu(st->block_size) == dev->block_size &&
	       !memcmp(st->serial, dev->serial, sizeof(st->serial));
}

static int vblk_check(struct svf_vblk_dev *dev, const struct svf_vblk_state *st)
{
	u16 i;

	if (le16_to_cpu(st->nqueues) != dev->nqueues ||
	    !svf_vblk_same_disk(dev, st) ||
	    le64_to_cpu(st->host_features) != dev->host_features)
		return -EINVAL;
	if (le64_to_cpu(st->guest_features) & ~dev->host_features)
		return -EINVAL;
	for (i = 0; i < dev->nqueues; i++) {
		u16 size = le16_to_cpu(st->vq[i].size);

		if (!is_power_of_2(size) || size > dev->vq[i].max_size)
			return -EINVAL;
	}
	return 0;
}

/**
 * svf_vblk_load() - apply an image saved by svf_vblk_save()
 * @dev: device of the same shape (queues, disk, features)
 * @st: image
 *
 * Return: 0, or -EINVAL (nothing applied) when the image does not fit.
 */
int svf_vblk_load(struct svf_vblk_dev *dev, const struct svf_vblk_state *st)
{
	u16 i;
	int ret;

	mutex_lock(&dev->lock);
	ret = vblk_check(dev, st);
	if (ret)
		goto out;
	dev->guest_features = le64_to_cpu(st->guest_features);
	dev->dfselect = le32_to_cpu(st->dfselect);
	dev->gfselect = le32_to_cpu(st->gfselect);
	dev->msix_config = le16_to_cpu(st->msix_config);
	dev->queue_select = le16_to_cpu(st->queue_select);
	dev->status = st->status;
	dev->config_gen = st->config_gen;
	dev->isr = st->isr;
	dev->broken = st->broken;
	for (i = 0; i < dev->nqueues; i++) {
		struct svf_vblk_vq *vq = &dev->vq[i];
		const struct svf_vblk_vq_state *q = &st->vq[i];

		vq->desc = le64_to_cpu(q->desc);
		vq->avail = le64_to_cpu(q->avail);
		vq->used = le64_to_cpu(q->used);
		vq->size = le16_to_cpu(q->size);
		vq->vector = le16_to_cpu(q->vector);
		vq->last_avail = le16_to_cpu(q->last_avail);
		vq->used_idx = le16_to_cpu(q->used_idx);
		vq->enabled = q->enabled;
	}
	svf_vblk_publish_locked(dev);
out:
	mutex_unlock(&dev->lock);
	return ret;
}
