// SPDX-License-Identifier: GPL-2.0
/*
 * vmdev_test: test-only driver for vfio-mdev-core (never installed).
 *
 * One parent (a device of class "vmdev_test", so types are named
 * "vmdev_test-<type>") with capacity 8 and two types:
 *   small: cost 1, limited by capacity only;
 *   big:   cost 4, at most 1 instance.
 * Each instance is a function 1234:beef with
 *   BAR0  4 KiB trapped registers (see VT_* below); VT_ID and VT_SCRATCH
 *         are its read shadow, kept current by vt_shadow_sync()
 *   BAR2  64 KiB 64-bit prefetchable RAM (mmap)
 *   BAR4  8 KiB trapped: MSI-X table at 0, PBA at 0x1000 (8 vectors)
 *   BAR5  32-byte I/O BAR reading 0xa5
 * INTx, 4 maskable MSI vectors, PM, PCIe and one trapped vendor capability
 * (8 bytes: byte 4..5 writable, byte 6 reads the number of cap reads).
 *
 * Lifetime: one vt_dev per instance, from probe() to the vfio release;
 * regs_lock serialises register accesses and the DMA engine.
 */
#include <linux/module.h>
#include <linux/device.h>
#include <linux/slab.h>
#include <linux/vfio_pci_core.h>
#include <snapvf/vmdev.h>

#define VT_ID		0x00	/* RO "VMDV" */
#define VT_SCRATCH	0x04	/* RW */
#define VT_DMA_LO	0x08
#define VT_DMA_HI	0x0c
#define VT_DMA_LEN	0x10
#define VT_DMA_PAT	0x14	/* pattern byte */
#define VT_DMA_GO	0x18	/* 1: write pattern, 2: read and sum */
#define VT_DMA_STATUS	0x1c	/* errno of the last DMA (s32) */
#define VT_IRQ		0x20	/* write: raise this vector */
#define VT_IRQ_RET	0x24	/* result of the last raise (s32) */
#define VT_INTX_LOWER	0x28	/* write: deassert INTx */
#define VT_RESETS	0x30	/* RO: number of device resets */
#define VT_DMA_SUM	0x34	/* RO: byte sum of the last DMA read */
#define VT_BAR_READS	0x38	/* RO: BAR0 reads that reached vt_bar_read() */
#define VT_SHADOW_LEN	8	/* VT_ID, VT_SCRATCH */
#define VT_ID_VALUE	0x56444d56

#define VT_MSIX_VECS	8

struct vt_dev {
	struct vmdev_device vmdev;	/* first: vmdev_alloc_device() */
	struct mutex regs_lock;		/* regs[] and the DMA engine */
	u32 regs[64];
	u32 cap_reads;
	u32 bar_reads;
};

static struct vt_dev *to_vt(struct vmdev_device *v)
{
	return container_of(v, struct vt_dev, vmdev);
}

static void vt_dma(struct vt_dev *vt, u32 op)
{
	u64 iova = vt->regs[VT_DMA_LO / 4] |
		   ((u64)vt->regs[VT_DMA_HI / 4] << 32);
	u32 len = vt->regs[VT_DMA_LEN / 4], i, sum = 0;
	u8 *buf;
	int ret;

	if (!len || len > SZ_64K) {
		vt->regs[VT_DMA_STATUS / 4] = (u32)-EINVAL;
		return;
	}
	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf) {
		vt->regs[VT_DMA_STATUS / 4] = (u32)-ENOMEM;
		return;
	}
	if (op == 1) {
		memset(buf, vt->regs[VT_DMA_PAT / 4] & 0xff, len);
		ret = vmdev_dma_write(&vt->vmdev, iova, buf, len);
	} else {
		ret = vmdev_dma_read(&vt->vmdev, iova, buf, len);
		for (i = 0; !ret && i < len; i++)
			sum += buf[i];
		vt->regs[VT_DMA_SUM / 4] = sum;
	}
	vt->regs[VT_DMA_STATUS / 4] = (u32)ret;
	kvfree(buf);
}

static int vt_bar_read(struct vmdev_device *v, unsigned int bar, u64 off,
		       void *val, unsigned int size)
{
	struct vt_dev *vt = to_vt(v);
	u32 word;

	if (bar == 5) {
		memset(val, 0xa5, size);
		return 0;
	}
	if (bar != 0 || size != 4) {
		memset(val, 0, size);
		return bar == 0 ? -EINVAL : 0;
	}
	if (off >= sizeof(vt->regs)) {
		memset(val, 0, size);
		return 0;
	}
	mutex_lock(&vt->regs_lock);
	vt->bar_reads++;
	if (off == VT_ID)
		word = VT_ID_VALUE;
	else if (off == VT_BAR_READS)
		word = vt->bar_reads;
	else
		word = vt->regs[off / 4];
	mutex_unlock(&vt->regs_lock);
	*(__le32 *)val = cpu_to_le32(word);
	return 0;
}

/* Publish what BAR0's shadowed registers read now; regs_lock held. */
static void vt_shadow_sync(struct vt_dev *vt)
{
	__le32 shadow[VT_SHADOW_LEN / 4] = {
		cpu_to_le32(VT_ID_VALUE), cpu_to_le32(vt->regs[VT_SCRATCH / 4])
	};

	vmdev_bar_shadow_write(&vt->vmdev, 0, 0, shadow, sizeof(shadow));
}

static int vt_bar_write(struct vmdev_device *v, unsigned int bar, u64 off,
			const void *val, unsigned int size)
{
	struct vt_dev *vt = to_vt(v);
	u32 word;

	if (bar != 0)
		return 0;
	if (size != 4)
		return -EINVAL;
	if (off >= sizeof(vt->regs) || off == VT_ID || off == VT_RESETS ||
	    off == VT_BAR_READS)
		return 0;
	word = le32_to_cpu(*(const __le32 *)val);
	mutex_lock(&vt->regs_lock);
	vt->regs[off / 4] = word;
	if (off == VT_SCRATCH)
		vt_shadow_sync(vt);
	else if (off == VT_DMA_GO)
		vt_dma(vt, word);
	else if (off == VT_IRQ)
		vt->regs[VT_IRQ_RET / 4] = (u32)vmdev_irq_raise(v, word);
	else if (off == VT_INTX_LOWER)
		vmdev_intx_lower(v);
	mutex_unlock(&vt->regs_lock);
	return 0;
}

static int vt_cap_read(struct vmdev_device *v, unsigned int idx,
		       unsigned int off, void *val, unsigned int size)
{
	struct vt_dev *vt = to_vt(v);
	u8 *b = val;
	unsigned int i;

	mutex_lock(&vt->regs_lock);
	vt->cap_reads++;
	for (i = 0; i < size; i++)
		if (off + i == 6)
			b[i] = vt->cap_reads & 0xff;
	mutex_unlock(&vt->regs_lock);
	return 0;
}

static void vt_reset(struct vmdev_device *v)
{
	struct vt_dev *vt = to_vt(v);
	u32 resets;

	mutex_lock(&vt->regs_lock);
	resets = vt->regs[VT_RESETS / 4] + 1;
	memset(vt->regs, 0, sizeof(vt->regs));
	vt->regs[VT_RESETS / 4] = resets;
	vt_shadow_sync(vt);
	mutex_unlock(&vt->regs_lock);
}

static const struct vmdev_ops vt_vmdev_ops = {
	.bar_read = vt_bar_read,
	.bar_write = vt_bar_write,
	.cap_read = vt_cap_read,
	.reset = vt_reset,
};

static const u8 vt_cap_data[8] = { 0, 0, 8, 0x42, 0x11, 0x22, 0, 0x99 };
static const u8 vt_cap_wmask[8] = { 0, 0, 0, 0, 0xff, 0x0f, 0, 0 };
static const struct vmdev_cap_desc vt_caps[] = {
	{ .data = vt_cap_data, .len = 8, .wmask = vt_cap_wmask, .trap = true },
};

static const struct vmdev_desc vt_desc = {
	.vendor = 0x1234,
	.device = 0xbeef,
	.subsystem_vendor = 0x1234,
	.subsystem_device = 0x0001,
	.class_code = 0xff0000,
	.revision = 1,
	.intx = true,
	.bars = {
		[0] = { .size = SZ_4K, .shadow_len = VT_SHADOW_LEN },
		[2] = { .size = SZ_64K,
			.flags = VMDEV_BAR_MEM64 | VMDEV_BAR_PREFETCH |
				 VMDEV_BAR_RAM },
		[4] = { .size = SZ_8K },
		[5] = { .size = 32, .flags = VMDEV_BAR_IO },
	},
	.msi_vectors = 4,
	.msi_maskable = true,
	.msix_vectors = VT_MSIX_VECS,
	.msix_bar = 4,
	.msix_table_offset = 0,
	.msix_pba_offset = 0x1000,
	.pm = true,
	.pcie = true,
	.caps = vt_caps,
	.nr_caps = ARRAY_SIZE(vt_caps),
	.ops = &vt_vmdev_ops,
};

static const struct vfio_device_ops vt_vfio_ops = {
	.name = "vmdev_test",
	.release = vmdev_release_dev,
	.open_device = vmdev_open_device,
	.close_device = vmdev_close_device,
	.ioctl = vmdev_ioctl,
	.read = vmdev_read,
	.write = vmdev_write,
	.mmap = vmdev_mmap,
	.request = vmdev_request,
	.dma_unmap = vmdev_dma_unmap,
	/* NULL without CONFIG_IOMMUFD; required by the vfio core with it. */
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

static const struct vmdev_type_info vt_types[] = {
	{ .name = "small", .pretty_name = "vmdev test small",
	  .description = "test function, 1 capacity unit", .cost = 1 },
	{ .name = "big", .pretty_name = "vmdev test big",
	  .description = "test function, 4 capacity units", .cost = 4,
	  .max_instances = 1 },
};

static int vt_probe(struct mdev_device *mdev)
{
	struct vt_dev *vt;
	int ret;

	vt = vmdev_alloc_device(struct vt_dev, vmdev, mdev, &vt_vfio_ops,
				&vt_desc);
	if (IS_ERR(vt))
		return PTR_ERR(vt);
	mutex_init(&vt->regs_lock);
	vt_shadow_sync(vt);
	ret = vmdev_register_device(&vt->vmdev);
	if (ret) {
		vfio_put_device(&vt->vmdev.vdev);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, vt);
	return 0;
}

static void vt_remove(struct mdev_device *mdev)
{
	struct vt_dev *vt = dev_get_drvdata(&mdev->dev);

	vmdev_unregister_device(&vt->vmdev);
	vfio_put_device(&vt->vmdev.vdev);
}

static struct mdev_driver vt_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = "vmdev_test",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = vt_probe,
	.remove = vt_remove,
	.get_available = vmdev_mdev_get_available,
	.show_description = vmdev_mdev_show_description,
};

static const struct class vt_class = { .name = "vmdev_test" };
static struct device vt_parent_dev;
static struct vmdev_parent vt_parent;

static void vt_parent_release(struct device *dev)
{
}

static int __init vt_init(void)
{
	int ret;

	ret = mdev_register_driver(&vt_mdev_driver);
	if (ret)
		return ret;
	ret = class_register(&vt_class);
	if (ret)
		goto err_driver;
	device_initialize(&vt_parent_dev);
	vt_parent_dev.class = &vt_class;
	vt_parent_dev.release = vt_parent_release;
	dev_set_name(&vt_parent_dev, "vmdev_test0");
	ret = device_add(&vt_parent_dev);
	if (ret)
		goto err_put;
	ret = vmdev_register_parent(&vt_parent, &vt_parent_dev,
				    &vt_mdev_driver, vt_types,
				    ARRAY_SIZE(vt_types), 8);
	if (ret)
		goto err_del;
	return 0;

err_del:
	device_del(&vt_parent_dev);
err_put:
	put_device(&vt_parent_dev);
	class_unregister(&vt_class);
err_driver:
	mdev_unregister_driver(&vt_mdev_driver);
	return ret;
}

static void __exit vt_exit(void)
{
	vmdev_unregister_parent(&vt_parent);
	device_unregister(&vt_parent_dev);
	class_unregister(&vt_class);
	mdev_unregister_driver(&vt_mdev_driver);
}

module_init(vt_init);
module_exit(vt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-mdev-core test driver (test only)");
