// SPDX-License-Identifier: GPL-2.0
/*
 * Device-specific regions with capability chains, for any vfio_device.
 *
 * A region set is either standalone (the driver forwards GET_REGION_INFO,
 * read/write and mmap for the indexes the set owns) or bound to a
 * vfio_pci_core_device (svf_region_set_open() hands the regions to
 * vfio_pci_core_register_dev_region() and vfio_pci_core answers for them;
 * the set's first_index is then VFIO_PCI_NUM_REGIONS plus the regions the
 * core already had).  The driver's svf_region_ops serve both cases.
 *
 * Lifetime: the driver owns each struct svf_region and keeps it until
 * svf_region_set_destroy(); the set does not copy them.  Locking: regions
 * are added before the device can be opened, then the set is read-only.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_core.h>
#include "mig_internal.h"

/**
 * svf_region_set_init() - prepare an empty region set
 * @set: the set (embedded in the driver's device)
 * @vdev: the device the regions belong to
 * @pcore: the vfio_pci_core_device when @vdev is one (regions go through
 *	vfio_pci_core), NULL for a standalone set
 * @first_index: index of the first region of a standalone set on the
 *	device fd (e.g. VFIO_PCI_NUM_REGIONS for an emulated PCI function);
 *	ignored with @pcore
 */
void svf_region_set_init(struct svf_region_set *set, struct vfio_device *vdev,
			 struct vfio_pci_core_device *pcore,
			 unsigned int first_index)
{
	memset(set, 0, sizeof(*set));
	set->vdev = vdev;
	set->pcore = pcore;
	set->first_index = pcore ? VFIO_PCI_NUM_REGIONS : first_index;
}
EXPORT_SYMBOL_GPL(svf_region_set_init);

/**
 * svf_region_add() - add a region to a set
 * @set: the set
 * @region: the region, filled in by the driver; kept until the set is
 *	destroyed
 *
 * Sets @region->index (for a PCI set: the index it gets if no other
 * device-specific region was registered with vfio_pci_core before).
 *
 * Context: process context, before the device is opened.
 * Return: the region's index, -ENOSPC when the set is full, -EINVAL for a
 * region without size or ops.
 */
int svf_region_add(struct svf_region_set *set, struct svf_region *region)
{
	if (!region->size || !region->ops)
		return -EINVAL;
	if (set->nr >= SVF_REGION_MAX)
		return -ENOSPC;
	region->index = set->first_index + set->nr;
	set->regions[set->nr++] = region;
	return region->index;
}
EXPORT_SYMBOL_GPL(svf_region_add);

static struct svf_region *svf_region_find(struct svf_region_set *set,
					  unsigned int index)
{
	if (index < set->first_index || index - set->first_index >= set->nr)
		return NULL;
	return set->regions[index - set->first_index];
}

/**
 * svf_region_owns() - whether a region index belongs to a standalone set
 * @set: the set
 * @index: region index from the user
 *
 * Return: true if the driver should forward this index to the set.
 */
bool svf_region_owns(struct svf_region_set *set, unsigned int index)
{
	return !set->pcore && svf_region_find(set, index);
}
EXPORT_SYMBOL_GPL(svf_region_owns);

/**
 * svf_region_count() - regions of a set
 * @set: the set
 *
 * Return: the number of regions, for VFIO_DEVICE_GET_INFO's num_regions.
 */
unsigned int svf_region_count(struct svf_region_set *set)
{
	return set->nr;
}
EXPORT_SYMBOL_GPL(svf_region_count);

/* ---- PCI: regions through vfio_pci_core ---- */

static struct svf_region *svf_pci_region(struct vfio_pci_core_device *pcore,
					 loff_t pos)
{
	unsigned int i = VFIO_PCI_OFFSET_TO_INDEX(pos) - VFIO_PCI_NUM_REGIONS;

	return pcore->region[i].data;
}

static ssize_t svf_region_do_rw(struct svf_region *r, char __user *buf,
				size_t count, u64 off, bool iswrite)
{
	if (!r->ops->rw || off >= r->size)
		return -EINVAL;
	if (iswrite ? !(r->flags & VFIO_REGION_INFO_FLAG_WRITE) :
		      !(r->flags & VFIO_REGION_INFO_FLAG_READ))
		return -EINVAL;
	count = min_t(u64, count, r->size - off);
	return r->ops->rw(r, buf, count, off, iswrite);
}

static int svf_region_do_mmap(struct svf_region *r, struct vm_area_struct *vma)
{
	u64 off = svf_region_vma_offset(vma);
	u64 len = vma->vm_end - vma->vm_start;

	if (!r->ops->mmap || !(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -EINVAL;
	if (off >= r->size || len > r->size - off)
		return -EINVAL;
	return r->ops->mmap(r, vma);
}

static ssize_t svf_pci_rw(struct vfio_pci_core_device *pcore, char __user *buf,
			  size_t count, loff_t *ppos, bool iswrite)
{
	struct svf_region *r = svf_pci_region(pcore, *ppos);
	ssize_t ret;

	ret = svf_region_do_rw(r, buf, count, *ppos & VFIO_PCI_OFFSET_MASK,
			       iswrite);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static void svf_pci_release(struct vfio_pci_core_device *pcore,
			    struct vfio_pci_region *region)
{
	/* The driver owns the svf_region; nothing to free here. */
}

static int svf_pci_mmap(struct vfio_pci_core_device *pcore,
			struct vfio_pci_region *region,
			struct vm_area_struct *vma)
{
	return svf_region_do_mmap(region->data, vma);
}

static int svf_pci_add_caps(struct vfio_pci_core_device *pcore,
			    struct vfio_pci_region *region,
			    struct vfio_info_cap *caps)
{
	struct svf_region *r = region->data;

	return r->ops->add_caps ? r->ops->add_caps(r, caps) : 0;
}

static const struct vfio_pci_regops svf_pci_regops = {
	.rw = svf_pci_rw,
	.release = svf_pci_release,
	.mmap = svf_pci_mmap,
	.add_capability = svf_pci_add_caps,
};

/**
 * svf_region_set_open() - publish the regions for an open of the device
 * @set: the set
 *
 * For a PCI set, call from open_device after vfio_pci_core_enable() and
 * before vfio_pci_core_finish_enable(): vfio_pci_core forgets
 * device-specific regions on every close, so they are registered again on
 * every open.  Updates each region's index to the one vfio_pci_core gave
 * it.  For a standalone set this does nothing, so a driver may call it in
 * both cases.
 *
 * Context: process context.
 * Return: 0 or -errno from vfio_pci_core_register_dev_region().
 */
int svf_region_set_open(struct svf_region_set *set)
{
	struct vfio_pci_core_device *pcore = set->pcore;
	unsigned int i;
	int ret;

	if (!pcore)
		return 0;
	set->first_index = VFIO_PCI_NUM_REGIONS + pcore->num_regions;
	for (i = 0; i < set->nr; i++) {
		struct svf_region *r = set->regions[i];

		ret = vfio_pci_core_register_dev_region(pcore, r->type,
							r->subtype,
							&svf_pci_regops,
							r->size, r->flags, r);
		if (ret)
			return ret;
		r->index = set->first_index + i;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(svf_region_set_open);

/**
 * svf_region_set_destroy() - forget every region of a set
 * @set: the set
 *
 * The regions themselves belong to the driver.  For a PCI set call it
 * after the device was unregistered (vfio_pci_core drops its references
 * on close).
 */
void svf_region_set_destroy(struct svf_region_set *set)
{
	set->nr = 0;
}
EXPORT_SYMBOL_GPL(svf_region_set_destroy);

/* ---- standalone ---- */

static int svf_region_fill_caps(struct svf_region *r, struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_type cap_type = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
		.type = r->type,
		.subtype = r->subtype,
	};
	int ret;

	ret = vfio_info_add_capability(caps, &cap_type.header, sizeof(cap_type));
	if (ret)
		return ret;
	return r->ops->add_caps ? r->ops->add_caps(r, caps) : 0;
}

/* Put the capability chain after @info in the user buffer, or ask for room. */
static int svf_region_put_caps(struct vfio_region_info *info,
			       struct vfio_info_cap *caps, void __user *arg)
{
	if (!caps->size)
		return 0;
	info->flags |= VFIO_REGION_INFO_FLAG_CAPS;
	if (info->argsz < sizeof(*info) + caps->size) {
		info->argsz = sizeof(*info) + caps->size;
		info->cap_offset = 0;
		return 0;
	}
	vfio_info_cap_shift(caps, sizeof(*info));
	if (copy_to_user(arg + sizeof(*info), caps->buf, caps->size))
		return -EFAULT;
	info->cap_offset = sizeof(*info);
	return 0;
}

/**
 * svf_region_get_info() - answer VFIO_DEVICE_GET_REGION_INFO
 * @set: a standalone set
 * @arg: the ioctl's user argument (struct vfio_region_info)
 *
 * Handles the whole ioctl for an index the set owns: offset, size, flags,
 * the type capability and the region's own capabilities, with the argsz
 * protocol for a too small buffer.
 *
 * Context: process context.
 * Return: 0, -EFAULT, -EINVAL for an index the set does not own, -ENOMEM.
 */
long svf_region_get_info(struct svf_region_set *set, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = {};
	struct vfio_region_info info;
	struct svf_region *r;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	r = set->pcore ? NULL : svf_region_find(set, info.index);
	if (!r)
		return -EINVAL;

	info.offset = SVF_REGION_TO_OFFSET(info.index);
	info.size = r->size;
	info.flags = r->flags & ~VFIO_REGION_INFO_FLAG_CAPS;
	info.cap_offset = 0;
	ret = svf_region_fill_caps(r, &caps);
	if (!ret)
		ret = svf_region_put_caps(&info, &caps, arg);
	kfree(caps.buf);
	if (ret)
		return ret;
	if (info.argsz < sizeof(info))
		minsz = info.argsz;
	else
		minsz = sizeof(info);
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(svf_region_get_info);

/**
 * svf_region_rw() - read or write a region of a standalone set
 * @set: the set
 * @buf: user buffer
 * @count: bytes
 * @ppos: device fd offset (index << SVF_REGION_OFFSET_SHIFT | offset);
 *	advanced by the bytes done
 * @iswrite: direction
 *
 * Context: process context.
 * Return: bytes done or -errno (-EINVAL outside the set or the region,
 * or when the region lacks the READ/WRITE flag).
 */
ssize_t svf_region_rw(struct svf_region_set *set, char __user *buf,
		      size_t count, loff_t *ppos, bool iswrite)
{
	struct svf_region *r;
	ssize_t ret;

	r = set->pcore ? NULL : svf_region_find(set, SVF_REGION_INDEX(*ppos));
	if (!r)
		return -EINVAL;
	ret = svf_region_do_rw(r, buf, count, *ppos & SVF_REGION_OFFSET_MASK,
			       iswrite);
	if (ret > 0)
		*ppos += ret;
	return ret;
}
EXPORT_SYMBOL_GPL(svf_region_rw);

/**
 * svf_region_vma_offset() - offset inside its region of a region mmap
 * @vma: the mapping passed to svf_region_ops.mmap
 *
 * Return: the byte offset inside the region where @vma starts.
 */
u64 svf_region_vma_offset(struct vm_area_struct *vma)
{
	return ((u64)vma->vm_pgoff << PAGE_SHIFT) & SVF_REGION_OFFSET_MASK;
}
EXPORT_SYMBOL_GPL(svf_region_vma_offset);

/**
 * svf_region_mmap() - mmap a region of a standalone set
 * @set: the set
 * @vma: the mapping; vm_pgoff encodes index and offset like read/write
 *
 * Context: process context (mmap_lock held by the caller).
 * Return: 0 or -errno (-EINVAL outside the set or the region, or when the
 * region lacks VFIO_REGION_INFO_FLAG_MMAP).
 */
int svf_region_mmap(struct svf_region_set *set, struct vm_area_struct *vma)
{
	u64 pos = (u64)vma->vm_pgoff << PAGE_SHIFT;
	struct svf_region *r;

	r = set->pcore ? NULL : svf_region_find(set, SVF_REGION_INDEX(pos));
	if (!r)
		return -EINVAL;
	return svf_region_do_mmap(r, vma);
}
EXPORT_SYMBOL_GPL(svf_region_mmap);
