// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdev-core: device access to guest memory through the container.
 *
 * Every helper runs under &vmdev_state.dma_sem held for reading and only
 * while the device is open, so VFIO never sees a DMA request for a closed
 * device (vfio_dma_rw()/vfio_pin_pages() warn on that).  Pinned ranges are
 * tracked on &vmdev_state.pins (under pin_lock) so that a dma_unmap from
 * the user and close_device unpin what the device still holds.
 *
 * Dirty tracking: whatever the device writes is reported to the shared
 * migration layer's DMA logging via vmdev_dma_mark_dirty().
 */
#include <linux/iommu.h>
#include <linux/slab.h>
#include <snapvf/mig.h>
#include "vmdev_priv.h"

static bool dma_allowed(struct vmdev_device *vdev)
{
	return vdev->st->open &&
	       (vmdev_pci_command(vdev) & PCI_COMMAND_MASTER);
}

static int dma_rw(struct vmdev_device *vdev, dma_addr_t iova, void *buf,
		  size_t len, bool write)
{
	struct vmdev_state *st = vdev->st;
	int ret;

	if (!len)
		return 0;
	down_read(&st->dma_sem);
	if (!st->open)
		ret = -ENODEV;
	else if (!dma_allowed(vdev))
		ret = -EPERM;
	else
		ret = vfio_dma_rw(&vdev->vdev, iova, buf, len, write);
	up_read(&st->dma_sem);
	if (!ret && write)
		vmdev_dma_mark_dirty(vdev, iova, len);
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

int vmdev_dma_pin(struct vmdev_device *vdev, dma_addr_t iova, int npage,
		  int prot, struct page **pages)
{
	struct vmdev_state *st = vdev->st;
	struct vmdev_pin *pin;
	int ret;

	if (npage <= 0 || npage > VFIO_PIN_PAGES_MAX_ENTRIES ||
	    !PAGE_ALIGNED(iova) || !(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	pin = kzalloc(sizeof(*pin), GFP_KERNEL);
	if (!pin)
		return -ENOMEM;
	pin->iova = iova;
	pin->npage = npage;

	down_read(&st->dma_sem);
	if (!st->open) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (!dma_allowed(vdev)) {
		ret = -EPERM;
		goto out_unlock;
	}
	ret = vfio_pin_pages(&vdev->vdev, iova, npage, prot, pages);
	if (ret == npage) {
		/*
		 * Not under pin_lock while pinning: type1 calls dma_unmap
		 * (which takes pin_lock) and retries until pins are gone, so
		 * a racing unmap finds this entry on its next round.
		 */
		mutex_lock(&st->pin_lock);
		list_add(&pin->node, &st->pins);
		mutex_unlock(&st->pin_lock);
		pin = NULL;
		ret = 0;
	} else if (ret >= 0) {
		if (ret)
			vfio_unpin_pages(&vdev->vdev, iova, ret);
		ret = -EFAULT;
	}
out_unlock:
	up_read(&st->dma_sem);
	kfree(pin);
	return ret;
}
EXPORT_SYMBOL_GPL(vmdev_dma_pin);

void vmdev_dma_unpin(struct vmdev_device *vdev, dma_addr_t iova, int npage)
{
	struct vmdev_state *st = vdev->st;
	struct vmdev_pin *pin, *found = NULL;

	mutex_lock(&st->pin_lock);
	list_for_each_entry(pin, &st->pins, node) {
		if (pin->iova == iova && pin->npage == npage) {
			list_del(&pin->node);
			found = pin;
			break;
		}
	}
	mutex_unlock(&st->pin_lock);
	if (!found)
		return;
	vfio_unpin_pages(&vdev->vdev, iova, npage);
	kfree(found);
}
EXPORT_SYMBOL_GPL(vmdev_dma_unpin);

/* Unpin every tracked range overlapping [iova, iova + len). */
static void unpin_range(struct vmdev_device *vdev, u64 iova, u64 len)
{
	struct vmdev_state *st = vdev->st;
	struct vmdev_pin *pin, *tmp;
	LIST_HEAD(victims);

	mutex_lock(&st->pin_lock);
	list_for_each_entry_safe(pin, tmp, &st->pins, node) {
		u64 end = pin->iova + ((u64)pin->npage << PAGE_SHIFT);

		if (pin->iova < iova + len && iova < end)
			list_move(&pin->node, &victims);
	}
	mutex_unlock(&st->pin_lock);
	list_for_each_entry_safe(pin, tmp, &victims, node) {
		vfio_unpin_pages(&vdev->vdev, pin->iova, pin->npage);
		kfree(pin);
	}
}

void vmdev_dma_unmap(struct vfio_device *core_vdev, u64 iova, u64 length)
{
	struct vmdev_device *vdev = to_vmdev(core_vdev);

	if (vdev->desc->ops->dma_unmap)
		vdev->desc->ops->dma_unmap(vdev, iova, length);
	unpin_range(vdev, iova, length);
}
EXPORT_SYMBOL_GPL(vmdev_dma_unmap);

void vmdev_dma_unpin_all(struct vmdev_device *vdev)
{
	unpin_range(vdev, 0, U64_MAX);
}

void vmdev_dma_mark_dirty(struct vmdev_device *vdev, dma_addr_t iova,
			  size_t len)
{
	/* NULL (device without migration) is ignored by the layer. */
	svf_dirty_mark(svf_mig_from_vdev(&vdev->vdev), iova, len);
}
EXPORT_SYMBOL_GPL(vmdev_dma_mark_dirty);
