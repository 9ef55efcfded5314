// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdev-core: parents, types, instance accounting and the lifecycle of
 * one emulated PCI function (struct vmdev_device).
 *
 * Instance lifecycle, as seen from the mdev core:
 *   sysfs create -> mdev core checks the UUID (malformed: -EINVAL,
 *   duplicate: -EEXIST) -> driver probe() -> vmdev_alloc_device() reserves
 *   one instance (-EUSERS when none left) -> vmdev_register_device().
 *   sysfs remove / parent unregistration -> driver remove() ->
 *   vmdev_unregister_device() (request IRQ, waits for close) ->
 *   vfio_put_device() -> vmdev_release_dev() returns the reservation.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_core.h>
#include "vmdev_priv.h"

static struct vmdev_type *to_vmdev_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct vmdev_type, mtype);
}

static int vmdev_types_check(const struct vmdev_type_info *types,
			     unsigned int nr_types, unsigned int capacity)
{
	unsigned int i;

	if (!types || !nr_types || nr_types > VMDEV_MAX_TYPES)
		return -EINVAL;
	for (i = 0; i < nr_types; i++) {
		if (!types[i].name || !types[i].name[0])
			return -EINVAL;
		if (!types[i].max_instances &&
		    (!capacity || !types[i].cost))
			return -EINVAL;
		if (types[i].cost > capacity && capacity)
			return -EINVAL;
	}
	return 0;
}

int vmdev_register_parent(struct vmdev_parent *parent, struct device *dev,
			  struct mdev_driver *mdrv,
			  const struct vmdev_type_info *types,
			  unsigned int nr_types, unsigned int capacity)
{
	struct vmdev_parent_state *ps;
	unsigned int i;
	int ret;

	ret = vmdev_types_check(types, nr_types, capacity);
	if (ret) {
		dev_err(dev, "vmdev: invalid type table\n");
		return ret;
	}
	if (mdrv->get_available != vmdev_mdev_get_available)
		return -EINVAL;

	ps = kzalloc(sizeof(*ps), GFP_KERNEL);
	if (!ps)
		return -ENOMEM;
	mutex_init(&ps->lock);
	ps->capacity = capacity;
	ps->nr_types = nr_types;
	ps->types = kcalloc(nr_types, sizeof(*ps->types), GFP_KERNEL);
	ps->mtypes = kcalloc(nr_types, sizeof(*ps->mtypes), GFP_KERNEL);
	if (!ps->types || !ps->mtypes) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < nr_types; i++) {
		struct vmdev_type *t = &ps->types[i];

		t->info = &types[i];
		t->parent = parent;
		t->mtype.sysfs_name = types[i].name;
		t->mtype.pretty_name = types[i].pretty_name;
		ps->mtypes[i] = &t->mtype;
	}
	parent->dev = dev;
	parent->st = ps;

	ret = mdev_register_parent(&parent->mparent, dev, mdrv, ps->mtypes,
				   nr_types);
	if (ret)
		goto err_free;
	return 0;

err_free:
	parent->st = NULL;
	kfree(ps->mtypes);
	kfree(ps->types);
	kfree(ps);
	return ret;
}
EXPORT_SYMBOL_GPL(vmdev_register_parent);

void vmdev_unregister_parent(struct vmdev_parent *parent)
{
	struct vmdev_parent_state *ps = parent->st;

	/*
	 * Removes every instance; each remove() waits for its fd to close.
	 * Instances drop their vfio_device in remove(), so nothing references
	 * the type kobjects once this returns and they can be freed.
	 */
	mdev_unregister_parent(&parent->mparent);
	WARN_ON(ps->used);
	parent->st = NULL;
	kfree(ps->mtypes);
	kfree(ps->types);
	kfree(ps);
}
EXPORT_SYMBOL_GPL(vmdev_unregister_parent);

/* Caller holds the parent lock. */
static unsigned int vmdev_type_available(struct vmdev_type *t)
{
	struct vmdev_parent_state *ps = t->parent->st;
	const struct vmdev_type_info *info = t->info;
	unsigned int avail = UINT_MAX;

	if (info->max_instances)
		avail = info->max_instances - t->live;
	if (ps->capacity && info->cost)
		avail = min(avail, (ps->capacity - ps->used) / info->cost);
	return avail;
}

unsigned int vmdev_mdev_get_available(struct mdev_type *mtype)
{
	struct vmdev_type *t = to_vmdev_type(mtype);
	struct vmdev_parent_state *ps = t->parent->st;
	unsigned int avail;

	mutex_lock(&ps->lock);
	avail = vmdev_type_available(t);
	mutex_unlock(&ps->lock);
	return avail;
}
EXPORT_SYMBOL_GPL(vmdev_mdev_get_available);

ssize_t vmdev_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	const struct vmdev_type_info *info = to_vmdev_type(mtype)->info;

	return sysfs_emit(buf, "%s%smax_instances=%u cost=%u\n",
			  info->description ? info->description : "",
			  info->description ? "\n" : "",
			  info->max_instances, info->cost);
}
EXPORT_SYMBOL_GPL(vmdev_mdev_show_description);

const struct vmdev_type_info *vmdev_mdev_type_info(struct mdev_device *mdev)
{
	return to_vmdev_type(mdev->type)->info;
}
EXPORT_SYMBOL_GPL(vmdev_mdev_type_info);

struct vmdev_parent *vmdev_mdev_parent(struct mdev_device *mdev)
{
	return to_vmdev_type(mdev->type)->parent;
}
EXPORT_SYMBOL_GPL(vmdev_mdev_parent);

static int vmdev_reserve(struct vmdev_type *t)
{
	struct vmdev_parent_state *ps = t->parent->st;
	int ret = -EUSERS;

	mutex_lock(&ps->lock);
	if (vmdev_type_available(t)) {
		t->live++;
		ps->used += t->info->cost;
		ret = 0;
	}
	mutex_unlock(&ps->lock);
	return ret;
}

static void vmdev_unreserve(struct vmdev_type *t)
{
	struct vmdev_parent_state *ps = t->parent->st;

	mutex_lock(&ps->lock);
	t->live--;
	ps->used -= t->info->cost;
	mutex_unlock(&ps->lock);
}

static int vmdev_desc_check(const struct vmdev_desc *d, struct device *dev)
{
	unsigned int i;

	if (!d->ops) {
		dev_err(dev, "vmdev: description has no ops\n");
		return -EINVAL;
	}
	if (d->msi_vectors && (d->msi_vectors > 32 ||
			       !is_power_of_2(d->msi_vectors))) {
		dev_err(dev, "vmdev: bad MSI vector count %u\n", d->msi_vectors);
		return -EINVAL;
	}
	if (d->nr_caps > VMDEV_MAX_CAPS || (d->nr_caps && !d->caps)) {
		dev_err(dev, "vmdev: bad vendor capability table\n");
		return -EINVAL;
	}
	for (i = 0; i < d->nr_caps; i++) {
		if (d->caps[i].len < 3 || d->caps[i].len > 64 ||
		    !d->caps[i].data) {
			dev_err(dev, "vmdev: bad vendor capability %u\n", i);
			return -EINVAL;
		}
	}
	return vmdev_bars_check(d, dev);
}

/* Bytes of the state and its tail, which follow the driver's structure. */
static size_t vmdev_state_size(const struct vmdev_desc *d)
{
	return sizeof(struct vmdev_state) + vmdev_irq_tail_size(d) +
	       vmdev_bars_tail_size(d);
}

static int vmdev_state_init(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	u8 *tail = (u8 *)(st + 1);
	int ret;

	spin_lock_init(&st->lock);
	seqcount_spinlock_init(&st->cfg_seq, &st->lock);
	seqlock_init(&st->shadow_lock);
	mutex_init(&st->irq_mutex);
	init_rwsem(&st->dma_sem);

	ret = vmdev_config_build(vdev);
	if (ret)
		return ret;
	vmdev_irq_init(vdev, &tail);
	ret = vmdev_bars_init(vdev, &tail);
	WARN_ON(tail != (u8 *)st + vmdev_state_size(vdev->desc));
	return ret;
}

/*
 * One allocation per instance: the driver's structure (which embeds the
 * vfio_device), then &struct vmdev_state and its arrays, all zeroed by
 * vfio_alloc_device() and freed by the vfio core after ->release().
 */
struct vmdev_device *_vmdev_alloc_device(size_t size,
					 struct mdev_device *mdev,
					 const struct vfio_device_ops *vops,
					 const struct vmdev_desc *desc)
{
	struct vmdev_type *t = to_vmdev_type(mdev->type);
	size_t head = ALIGN(size, __alignof__(struct vmdev_state));
	struct vfio_device *core_vdev;
	struct vmdev_device *vdev;
	int ret;

	if (WARN_ON(size < sizeof(*vdev) || !desc || !vops || !vops->release))
		return ERR_PTR(-EINVAL);
	ret = vmdev_desc_check(desc, mdev_dev(mdev));
	if (ret)
		return ERR_PTR(ret);

	ret = vmdev_reserve(t);
	if (ret) {
		dev_info(mdev_dev(mdev), "vmdev: no %s instance available\n",
			 t->info->name);
		return ERR_PTR(ret);
	}

	core_vdev = _vfio_alloc_device(head + vmdev_state_size(desc),
				       mdev_dev(mdev), vops);
	if (IS_ERR(core_vdev)) {
		vmdev_unreserve(t);
		return ERR_CAST(core_vdev);
	}
	vdev = to_vmdev(core_vdev);
	vdev->mdev = mdev;
	vdev->parent = t->parent;
	vdev->type = t->info;
	vdev->desc = desc;
	/* From here on release() gives the reservation back. */
	vdev->st = (struct vmdev_state *)((u8 *)core_vdev + head);
	ret = vmdev_state_init(vdev);
	if (ret) {
		vfio_put_device(core_vdev);
		return ERR_PTR(ret);
	}
	return vdev;
}
EXPORT_SYMBOL_GPL(_vmdev_alloc_device);

void vmdev_release_dev(struct vfio_device *core_vdev)
{
	struct vmdev_device *vdev = to_vmdev(core_vdev);
	struct vmdev_state *st = vdev->st;

	/* The state itself goes with the vfio_device, after this returns. */
	vmdev_bars_free(vdev);
	kfree(st->mig_staged);
	vmdev_unreserve(to_vmdev_type(vdev->mdev->type));
}
EXPORT_SYMBOL_GPL(vmdev_release_dev);

int vmdev_register_device(struct vmdev_device *vdev)
{
	return vfio_register_emulated_iommu_dev(&vdev->vdev);
}
EXPORT_SYMBOL_GPL(vmdev_register_device);

void vmdev_unregister_device(struct vmdev_device *vdev)
{
	/* Calls vmdev_request() until the user closes the fd. */
	vfio_unregister_group_dev(&vdev->vdev);
}
EXPORT_SYMBOL_GPL(vmdev_unregister_device);

/*
 * Function level reset: config space and interrupt state back to reset
 * values (eventfds and the enabled mode survive, as they do across a reset
 * of a physical function under vfio-pci), then the device's own reset.
 */
int vmdev_reset_function(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;

	mutex_lock(&st->irq_mutex);
	vmdev_config_reset(vdev);
	vmdev_irq_reset(vdev);
	mutex_unlock(&st->irq_mutex);
	if (vdev->desc->ops->reset)
		vdev->desc->ops->reset(vdev);
	return 0;
}

/*
 * A closed device is in its reset state: vmdev_alloc_device() builds it
 * so, the driver registers it with its own model at reset, close resets it,
 * and nothing reaches a device no one has open.  Open only marks it open.
 */
int vmdev_open_device(struct vfio_device *core_vdev)
{
	struct vmdev_state *st = to_vmdev(core_vdev)->st;

	down_write(&st->dma_sem);
	st->open = true;
	up_write(&st->dma_sem);
	return 0;
}
EXPORT_SYMBOL_GPL(vmdev_open_device);

void vmdev_close_device(struct vfio_device *core_vdev)
{
	struct vmdev_device *vdev = to_vmdev(core_vdev);
	struct vmdev_state *st = vdev->st;

	down_write(&st->dma_sem);
	st->open = false;
	up_write(&st->dma_sem);
	mutex_lock(&st->irq_mutex);
	vmdev_irq_disable_all_locked(vdev);
	vmdev_config_reset(vdev);
	vmdev_irq_reset(vdev);
	mutex_unlock(&st->irq_mutex);
	if (vdev->desc->ops->reset)
		vdev->desc->ops->reset(vdev);
}
EXPORT_SYMBOL_GPL(vmdev_close_device);

static long vmdev_ioctl_get_info(struct vmdev_device *vdev, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

long vmdev_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		 unsigned long arg)
{
	struct vmdev_device *vdev = to_vmdev(core_vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vmdev_ioctl_get_info(vdev, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vmdev_ioctl_region_info(vdev, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vmdev_ioctl_irq_info(vdev, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return vmdev_ioctl_set_irqs(vdev, uarg);
	case VFIO_DEVICE_RESET:
		return vmdev_reset_function(vdev);
	}
	return -ENOTTY;
}
EXPORT_SYMBOL_GPL(vmdev_ioctl);

void vmdev_request(struct vfio_device *core_vdev, unsigned int count)
{
	struct vmdev_device *vdev = to_vmdev(core_vdev);
	struct vmdev_state *st = vdev->st;
	unsigned long flags;

	flags = vmdev_lock(st);
	if (st->req_trigger) {
		if (!count)
			dev_notice(mdev_dev(vdev->mdev),
				   "vmdev: asking the user to release the device\n");
		eventfd_signal(st->req_trigger);
	} else if (!st->req_warned) {
		st->req_warned = true;
		dev_notice(mdev_dev(vdev->mdev),
			   "vmdev: removal blocked until the user closes the device\n");
	}
	vmdev_unlock(st, flags);
}
EXPORT_SYMBOL_GPL(vmdev_request);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-mdev-core: emulated PCI functions as mediated devices");
