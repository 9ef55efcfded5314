// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sf: one mdev instance = one virtio-blk PCI function.
 *
 * vfio-mdev-core owns config space, the MSI-X BAR, interrupts and guest
 * memory access; this file describes the function to it, routes the
 * register BAR to the virtio-blk model and implements the model's host
 * ops with the vmdev DMA and IRQ helpers and the parent's SF data ops
 * (svf_aux_sf_read/write/flush): the disk an instance presents is the
 * SF's, with the SF's capacity, block size and serial, and every
 * instance of one SF presents the same disk.
 *
 * Lifetime: probe() allocates the instance (vmdev_alloc_device() reserves
 * it on the parent), sets up the model, then registers it with VFIO.
 * remove() unregisters (waiting for the user to close the fd after the
 * request interrupt) and puts the device; release() frees the model and
 * then the library state.  No model entry point runs after
 * vmdev_unregister_device() returned, so release needs no lock.  The SF
 * (inst->asf) outlives every instance: the SF's aux remove unregisters
 * the mdev parent, which removes the instances, before it returns.
 */
#include <linux/module.h>
#include <linux/virtio_pci.h>

#include "sf.h"

/* ---- host ops of the model (called with blk.lock held) ---- */

static int svf_sf_dma_read(void *priv, u64 iova, void *buf, size_t len)
{
	struct svf_sf_inst *inst = priv;

	return vmdev_dma_read(&inst->vdev, iova, buf, len);
}

static int svf_sf_dma_write(void *priv, u64 iova, const void *buf, size_t len)
{
	struct svf_sf_inst *inst = priv;

	return vmdev_dma_write(&inst->vdev, iova, buf, len);
}

static int svf_sf_disk_read(void *priv, u64 off, void *buf, size_t len)
{
	struct svf_sf_inst *inst = priv;

	return svf_aux_sf_read(inst->asf, off, buf, len);
}

static int svf_sf_disk_write(void *priv, u64 off, const void *buf,
			     size_t len)
{
	struct svf_sf_inst *inst = priv;

	return svf_aux_sf_write(inst->asf, off, buf, len);
}

static int svf_sf_disk_flush(void *priv)
{
	struct svf_sf_inst *inst = priv;

	return svf_aux_sf_flush(inst->asf);
}

static void svf_sf_raise(void *priv, u16 vector)
{
	struct svf_sf_inst *inst = priv;

	switch (vmdev_irq_type(&inst->vdev)) {
	case VMDEV_IRQ_MSIX:
		if (vector != VIRTIO_MSI_NO_VECTOR)
			vmdev_irq_raise(&inst->vdev, vector);
		break;
	case VMDEV_IRQ_MSI:
	case VMDEV_IRQ_INTX:
		vmdev_irq_raise(&inst->vdev, 0);
		break;
	default:
		break;
	}
}

/*
 * The common configuration is the register BAR's read shadow: the library
 * answers reads of it (drivers poll device_status) without a callback.
 */
static void svf_sf_common_changed(void *priv, const void *image)
{
	struct svf_sf_inst *inst = priv;

	vmdev_bar_shadow_write(&inst->vdev, SVF_SF_REG_BAR, SVF_VBLK_COMMON_OFF,
			       image, SVF_VBLK_COMMON_LEN);
}

static const struct svf_vblk_host_ops svf_sf_host_ops = {
	.dma_read = svf_sf_dma_read,
	.dma_write = svf_sf_dma_write,
	.disk_read = svf_sf_disk_read,
	.disk_write = svf_sf_disk_write,
	.disk_flush = svf_sf_disk_flush,
	.raise = svf_sf_raise,
	.common_changed = svf_sf_common_changed,
};

/* ---- vmdev callbacks ---- */

static int svf_sf_bar_read(struct vmdev_device *vdev, unsigned int bar,
			   u64 off, void *val, unsigned int size)
{
	struct svf_sf_inst *inst = to_inst(vdev);
	int ret;

	if (bar != SVF_SF_REG_BAR) {
		memset(val, 0, size);
		return 0;
	}
	ret = svf_vblk_bar_read(&inst->blk, off, val, size);
	/* Reading the ISR acknowledges a level-triggered INTx. */
	if (!ret && off == SVF_VBLK_ISR_OFF)
		vmdev_intx_lower(vdev);
	return ret;
}

static int svf_sf_bar_write(struct vmdev_device *vdev, unsigned int bar,
			    u64 off, const void *val, unsigned int size)
{
	if (bar != SVF_SF_REG_BAR)
		return 0;
	return svf_vblk_bar_write(&to_inst(vdev)->blk, off, val, size);
}

static void svf_sf_reset(struct vmdev_device *vdev)
{
	struct svf_sf_inst *inst = to_inst(vdev);

	if (!inst->blk_ready)
		return;
	svf_vblk_reset(&inst->blk);
	/* The parent's per-function state; a withdrawn SF has none left. */
	svf_aux_sf_reset(inst->asf);
}

static const struct vmdev_ops svf_sf_vmdev_ops = {
	.bar_read = svf_sf_bar_read,
	.bar_write = svf_sf_bar_write,
	.reset = svf_sf_reset,
};

/* ---- device description, one per type (MSI-X vectors differ) ---- */

static u8 svf_sf_cap_data[4][sizeof(struct virtio_pci_notify_cap)];
static struct vmdev_cap_desc svf_sf_caps[4];
static struct vmdev_desc svf_sf_descs[8];

/**
 * svf_sf_desc_init() - build the per-type device descriptions
 *
 * Called once at module init, before any parent is registered; the
 * descriptions are read-only afterwards.
 *
 * Return: 0, or -EINVAL if the type table outgrew the description table.
 */
int svf_sf_desc_init(void)
{
	static const u8 kinds[] = { VIRTIO_PCI_CAP_COMMON_CFG,
				    VIRTIO_PCI_CAP_NOTIFY_CFG,
				    VIRTIO_PCI_CAP_ISR_CFG,
				    VIRTIO_PCI_CAP_DEVICE_CFG };
	unsigned int i;
	u8 len;

	if (svf_sf_nr_types > ARRAY_SIZE(svf_sf_descs))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		svf_vblk_fill_cap(kinds[i], SVF_SF_REG_BAR, svf_sf_cap_data[i], &len);
		svf_sf_caps[i].data = svf_sf_cap_data[i];
		svf_sf_caps[i].len = len;
	}
	for (i = 0; i < svf_sf_nr_types; i++) {
		struct vmdev_desc *d = &svf_sf_descs[i];

		d->vendor = SVF_SF_VENDOR;
		d->device = SVF_SF_DEVICE;
		d->subsystem_vendor = SVF_SF_SUBVENDOR;
		d->subsystem_device = SVF_SF_SUBDEVICE;
		d->class_code = SVF_SF_CLASS;
		d->revision = 1;
		d->intx = true;
		d->bars[SVF_SF_MSIX_BAR].size = SVF_SF_MSIX_BAR_SIZE;
		d->bars[SVF_SF_REG_BAR].size = SVF_VBLK_BAR_SIZE;
		d->bars[SVF_SF_REG_BAR].flags = VMDEV_BAR_MEM64;
		BUILD_BUG_ON(SVF_VBLK_COMMON_OFF != 0 ||
			     SVF_VBLK_COMMON_LEN > VMDEV_SHADOW_MAX);
		d->bars[SVF_SF_REG_BAR].shadow_len = SVF_VBLK_COMMON_LEN;
		d->msix_vectors = svf_sf_shapes[i].queues + 1;
		d->msix_bar = SVF_SF_MSIX_BAR;
		d->msix_table_offset = 0;
		d->msix_pba_offset = SVF_SF_MSIX_PBA;
		d->pm = true;
		d->pcie = true;
		d->caps = svf_sf_caps;
		d->nr_caps = ARRAY_SIZE(svf_sf_caps);
		d->ops = &svf_sf_vmdev_ops;
	}
	return 0;
}

/* ---- vfio_device_ops ---- */

static void svf_sf_release(struct vfio_device *core_vdev)
{
	struct svf_sf_inst *inst = to_inst(to_vmdev(core_vdev));

	svf_sf_mig_uninit(inst);
	if (inst->blk_ready)
		svf_vblk_fini(&inst->blk);
	vmdev_release_dev(core_vdev);
}

static void svf_sf_close(struct vfio_device *core_vdev)
{
	struct svf_sf_inst *inst = to_inst(to_vmdev(core_vdev));

	/* Ends any migration session before the library resets the device. */
	if (inst->mig_ready)
		svf_mig_close(&inst->mig);
	vmdev_close_device(core_vdev);
}

static long svf_sf_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg)
{
	struct svf_sf_inst *inst = to_inst(to_vmdev(core_vdev));
	long ret = vmdev_ioctl(core_vdev, cmd, arg);

	if (!ret && cmd == VFIO_DEVICE_RESET && inst->mig_ready)
		svf_mig_reset(&inst->mig);
	return ret;
}

static const struct vfio_device_ops svf_sf_vfio_ops = {
	.name = "snapvf-sf-blk",
	.release = svf_sf_release,
	.open_device = vmdev_open_device,
	.close_device = svf_sf_close,
	.ioctl = svf_sf_ioctl,
	.read = vmdev_read,
	.write = vmdev_write,
	.mmap = vmdev_mmap,
	.request = vmdev_request,
	.dma_unmap = vmdev_dma_unmap,
	/*
	 * No .device_feature: the vfio core answers the standard migration
	 * and DMA logging features and -ENOTTY for the rest.
	 */
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

/* ---- mdev driver ---- */

static int svf_sf_probe(struct mdev_device *mdev)
{
	const struct vmdev_type_info *ti = vmdev_mdev_type_info(mdev);
	struct svf_sf *sf = container_of(vmdev_mdev_parent(mdev), struct svf_sf,
					 parent);
	const struct svf_sf_type *shape = &svf_sf_shapes[ti->driver_data];
	struct svf_vblk_disk disk = {
		.capacity = sf->sf->capacity,
		.block_size = sf->sf->block_size,
		.serial = sf->sf->serial,
		.name = dev_name(&mdev->dev),
	};
	struct svf_sf_inst *inst;
	int ret;

	inst = vmdev_alloc_device(struct svf_sf_inst, vdev, mdev,
				  &svf_sf_vfio_ops, &svf_sf_descs[ti->driver_data]);
	if (IS_ERR(inst))
		return PTR_ERR(inst);
	inst->asf = sf->sf;
	ret = svf_vblk_init(&inst->blk, shape->queues,
			    min_t(u32, shape->qsize, sf->sf->max_queue_size),
			    &disk, &svf_sf_host_ops, inst);
	if (ret)
		dev_err(&mdev->dev, "the SF's disk (%llu bytes, block size %u) cannot be presented\n",
			disk.capacity, disk.block_size);
	if (ret)
		goto err_put;
	inst->blk_ready = true;
	ret = svf_sf_mig_init(inst, ti->driver_data);
	if (ret)
		goto err_put;
	ret = vmdev_register_device(&inst->vdev);
	if (ret)
		goto err_put;
	dev_set_drvdata(&mdev->dev, inst);
	return 0;

err_put:
	vfio_put_device(&inst->vdev.vdev);
	return ret;
}

static void svf_sf_remove(struct mdev_device *mdev)
{
	struct svf_sf_inst *inst = dev_get_drvdata(&mdev->dev);

	/* A migration in progress fails (ERROR) rather than outlive us. */
	svf_mig_withdraw(&inst->mig);
	vmdev_unregister_device(&inst->vdev);
	vfio_put_device(&inst->vdev.vdev);
}

/*
 * The mdev driver of every SF parent's instances.
 *
 * get_available and show_description are vfio-mdev-core's; probe/remove
 * create and destroy one virtio-blk function per instance.
 */
struct mdev_driver svf_sf_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = "snapvf_sf",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = svf_sf_probe,
	.remove = svf_sf_remove,
	.get_available = vmdev_mdev_get_available,
	.show_description = vmdev_mdev_show_description,
};
