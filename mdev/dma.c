// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdev-core: device access to guest memory through the container.
 *
 * Every helper runs under &vmdev_state.dma_sem held for reading and only
 * while the device is open, so VFIO never sees a DMA request for a closed
 * device (vfio_dma_rw() warns on that).
 *
 * Dirty tracking: whatever the device writes is reported to the shared
 * migration layer's DMA logging with svf_dirty_mark().
 */
#include <snapvf/mig.h>
#include "vmdev_priv.h"

static bool dma_allowed(struct vmdev_device *vdev)
{
	return vdev->st->open &&
	       (vmdev_cfg_command(vdev->st) & PCI_COMMAND_MASTER);
}

static int dma_rw(struct vmdev_device *vdev, dma_addr_t iova, void *buf,
		  size_t len, bool write)
{
	struct vmdev_state *st = vdev->st;
	int ret;

	if (!len)
		return 0;
	down_read(&st->dma_sem);
	if (!st->open) {
		ret = -ENODEV;
	} else if (!dma_allowed(vdev)) {
		ret = -EPERM;
	} else {
		ret = vfio_dma_rw(&vdev->vdev, iova, buf, len, write);
		/*
		 * -EPERM means bus mastering off (vmdev.h); the container's
		 * -EPERM (a mapping without that access, its owner's memory
		 * gone) is a fault like an unmapped range.
		 */
		if (ret == -EPERM)
			ret = -EFAULT;
	}
	up_read(&st->dma_sem);
	/* NULL (device without migration) is ignored by the layer. */
	if (!ret && write)
		svf_dirty_mark(svf_mig_from_vdev(&vdev->vdev), iova, len);
	return ret;
}

int vmdev_dma_read(struct vmdev_device *vdev, dma_addr_t iova, void *buf,
		   size_t len)
{
	return dma_rw(vdev, iova, buf, len, false);
}
EXPORT_SYMBOL_GPL(vmdev_dma_read);

int vmdev_dma_write(struct vmdev_device *vdev, dma_addr_t iova,
		    const void *buf, size_t len)
{
	return dma_rw(vdev, iova, (void *)buf, len, true);
}
EXPORT_SYMBOL_GPL(vmdev_dma_write);

void vmdev_dma_unmap(struct vfio_device *core_vdev, u64 iova, u64 length)
{
	struct vmdev_device *vdev = to_vmdev(core_vdev);

	if (vdev->desc->ops->dma_unmap)
		vdev->desc->ops->dma_unmap(vdev, iova, length);
}
EXPORT_SYMBOL_GPL(vmdev_dma_unmap);
