// SPDX-License-Identifier: GPL-2.0
/*
 * Device-specific regions with capability chains, for any vfio_device.
 *
 * The driver forwards VFIO_DEVICE_GET_REGION_INFO and read/write to the
 * set (svf_region_get_info(), svf_region_rw()), which answers for the
 * indexes it holds through the driver's svf_region_ops.
 *
 * Lifetime: the driver owns each struct svf_region and keeps it until
 * svf_region_set_destroy(); the set does not copy them.  Locking: regions
 * are added before the device can be opened, then the set is read-only.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "mig_internal.h"

/**
 * svf_region_set_init() - prepare an empty region set
 * @set: the set (embedded in the driver's device)
 * @vdev: the device the regions belong to
 * @first_index: index of the first region of the set on the device fd
 *	(e.g. VFIO_PCI_NUM_REGIONS for an emulated PCI function)
 */
void svf_region_set_init(struct svf_region_set *set, struct vfio_device *vdev,
			 unsigned int first_index)
{
	memset(set, 0, sizeof(*set));
	set->vdev = vdev;
	set->first_index = first_index;
}
EXPORT_SYMBOL_GPL(svf_region_set_init);

/**
 * svf_region_add() - add a region to a set
 * @set: the set
 * @region: the region, filled in by the driver; kept until the set is
 *	destroyed
 *
 * Sets @region->index.
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

/**
 * svf_region_set_destroy() - forget every region of a set
 * @set: the set
 *
 * The regions themselves belong to the driver.  Call it once no ioctl,
 * read or write of the device can run any more (vfio_device_ops.release).
 */
void svf_region_set_destroy(struct svf_region_set *set)
{
	set->nr = 0;
}
EXPORT_SYMBOL_GPL(svf_region_set_destroy);

/* ---- GET_REGION_INFO, read and write ---- */

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
 * @set: the set
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
	r = svf_region_find(set, info.index);
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
 * svf_region_rw() - read or write a region of a set
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

	r = svf_region_find(set, SVF_REGION_INDEX(*ppos));
	if (!r)
		return -EINVAL;
	ret = svf_region_do_rw(r, buf, count, *ppos & SVF_REGION_OFFSET_MASK,
			       iswrite);
	if (ret > 0)
		*ppos += ret;
	return ret;
}
EXPORT_SYMBOL_GPL(svf_region_rw);
