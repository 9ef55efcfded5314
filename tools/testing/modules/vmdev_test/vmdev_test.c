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
 * Migration (STOP_COPY only) through snapvf_mig, so that the library's
 * record is tested on its own: the final round sends the BAR0 registers
 * (VT_REC_REGS: 64 __le32) and then vfio-mdev-core's record
 * (VMDEV_MIG_REC_STATE, struct vmdev_mig_rec of <snapvf/mig_stream.h>);
 * a destination stages both and applies them only when both arrived.
 *
 * Lifetime: one vt_dev per instance, from probe() to the vfio release;
 * regs_lock serialises register accesses and the DMA engine.  Migration
 * hooks run under the layer's state lock and take regs_lock inside it;
 * the BAR path takes regs_lock only.
 */
#include <linux/module.h>
#include <linux/device.h>
#include <linux/slab.h>
#include <linux/vfio_pci_core.h>
#include <snapvf/mig.h>
#include <snapvf/mig_stream.h>
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
#define VT_NREGS	64

/* Stream: the registers, then the library's record; "VMDVTEST". */
#define VT_REC_REGS	(SVF_MIG_REC_DRIVER + 0)
#define VT_COMPAT_ID	0x564d445654455354ULL

/**
 * struct vt_dev - one instance
 * @vmdev: the library's device (first: vmdev_alloc_device())
 * @regs_lock: regs[] and the DMA engine
 * @regs: BAR0 registers
 * @cap_reads: reads of the vendor capability
 * @bar_reads: BAR0 reads that reached vt_bar_read()
 * @mig: migration engine
 * @mig_ready: @mig initialised
 * @regs_sent: saving: VT_REC_REGS produced this session
 * @lib_sent: saving: the library record produced this session
 * @staged_regs: resuming: VT_REC_REGS staged (@staged holds it)
 * @lib_staged: resuming: the library record staged
 * @staged: resuming: the staged registers
 */
struct vt_dev {
	struct vmdev_device vmdev;
	struct mutex regs_lock;		/* see above */
	u32 regs[VT_NREGS];
	u32 cap_reads;
	u32 bar_reads;
	struct svf_mig mig;
	bool mig_ready;
	bool regs_sent;
	bool lib_sent;
	bool staged_regs;
	bool lib_staged;
	__le32 staged[VT_NREGS];
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

/* ---- migration ---- */

static struct vt_dev *mig_vt(struct svf_mig *mig)
{
	return svf_mig_priv(mig);
}

static int vt_mig_stop(struct svf_mig *mig)
{
	return 0;
}

static int vt_mig_start(struct svf_mig *mig)
{
	return 0;
}

static int vt_mig_save_begin(struct svf_mig *mig, bool precopy)
{
	struct vt_dev *vt = mig_vt(mig);

	vt->regs_sent = false;
	vt->lib_sent = false;
	return 0;
}

/* Final round only: the registers, then the library's record, then done. */
static int vt_mig_save(struct svf_mig *mig, bool final, struct svf_mig_chunk *c)
{
	struct vt_dev *vt = mig_vt(mig);
	__le32 *out = c->buf;
	unsigned int i;
	int ret;

	c->len = 0;
	if (!final || vt->lib_sent)
		return 0;
	if (vt->regs_sent) {
		ret = vmdev_mig_save(&vt->vmdev, c);
		vt->lib_sent = !ret;
		return ret;
	}
	if (c->size < sizeof(vt->staged))
		return -ENOSPC;
	mutex_lock(&vt->regs_lock);
	for (i = 0; i < VT_NREGS; i++)
		out[i] = cpu_to_le32(vt->regs[i]);
	mutex_unlock(&vt->regs_lock);
	c->len = sizeof(vt->staged);
	c->type = VT_REC_REGS;
	vt->regs_sent = true;
	return 0;
}

static int vt_mig_pending(struct svf_mig *mig, struct svf_mig_pending *p)
{
	struct vt_dev *vt = mig_vt(mig);

	p->stop_copy = sizeof(vt->staged) + vmdev_mig_state_size(&vt->vmdev);
	p->stop_copy_records = 2;
	return 0;
}

static void vt_mig_drop_staged(struct vt_dev *vt)
{
	vmdev_mig_load_abort(&vt->vmdev);
	vt->staged_regs = false;
	vt->lib_staged = false;
}

static int vt_mig_load_begin(struct svf_mig *mig)
{
	vt_mig_drop_staged(mig_vt(mig));
	return 0;
}

/* The library decides on its record; the registers once, before it. */
static int vt_mig_load_stage(struct svf_mig *mig, u16 type, const void *data,
			     size_t len)
{
	struct vt_dev *vt = mig_vt(mig);
	int ret;

	ret = vmdev_mig_load_stage(&vt->vmdev, type, data, len);
	if (ret != -ENOENT) {
		if (!ret && vt->lib_staged)
			ret = -EINVAL;
		vt->lib_staged = !ret;
		return ret;
	}
	if (type != VT_REC_REGS || len != sizeof(vt->staged) ||
	    vt->staged_regs || vt->lib_staged)
		return -EINVAL;
	memcpy(vt->staged, data, len);
	vt->staged_regs = true;
	return 0;
}

static int vt_mig_load_commit(struct svf_mig *mig)
{
	struct vt_dev *vt = mig_vt(mig);
	unsigned int i;

	if (!vt->staged_regs || !vt->lib_staged) {
		vt_mig_drop_staged(vt);
		return -EINVAL;
	}
	mutex_lock(&vt->regs_lock);
	for (i = 0; i < VT_NREGS; i++)
		vt->regs[i] = le32_to_cpu(vt->staged[i]);
	vt_shadow_sync(vt);
	mutex_unlock(&vt->regs_lock);
	vmdev_mig_load_commit(&vt->vmdev);
	vt_mig_drop_staged(vt);
	return 0;
}

static void vt_mig_load_abort(struct svf_mig *mig)
{
	vt_mig_drop_staged(mig_vt(mig));
}

static void vt_mig_reset(struct svf_mig *mig)
{
	vt_mig_drop_staged(mig_vt(mig));
}

static const struct svf_mig_ops vt_mig_ops = {
	.stop = vt_mig_stop,
	.start = vt_mig_start,
	.save_begin = vt_mig_save_begin,
	.save = vt_mig_save,
	.pending = vt_mig_pending,
	.load_begin = vt_mig_load_begin,
	.load_stage = vt_mig_load_stage,
	.load_commit = vt_mig_load_commit,
	.load_abort = vt_mig_load_abort,
	.reset = vt_mig_reset,
};

static void vt_release(struct vfio_device *core_vdev)
{
	struct vt_dev *vt = to_vt(to_vmdev(core_vdev));

	if (vt->mig_ready) {
		svf_mig_uninit(&vt->mig);
		vt_mig_drop_staged(vt);
	}
	vmdev_release_dev(core_vdev);
}

static void vt_close(struct vfio_device *core_vdev)
{
	struct vt_dev *vt = to_vt(to_vmdev(core_vdev));

	/* Ends any migration session before the library resets the device. */
	svf_mig_close(&vt->mig);
	vmdev_close_device(core_vdev);
}

static long vt_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		     unsigned long arg)
{
	struct vt_dev *vt = to_vt(to_vmdev(core_vdev));
	long ret = vmdev_ioctl(core_vdev, cmd, arg);

	if (!ret && cmd == VFIO_DEVICE_RESET)
		svf_mig_reset(&vt->mig);
	return ret;
}

static const struct vfio_device_ops vt_vfio_ops = {
	.name = "vmdev_test",
	.release = vt_release,
	.open_device = vmdev_open_device,
	.close_device = vt_close,
	.ioctl = vt_ioctl,
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
	struct svf_mig_config mig_cfg = {
		.ops = &vt_mig_ops,
		.compat_id = VT_COMPAT_ID,
	};
	struct vt_dev *vt;
	int ret;

	vt = vmdev_alloc_device(struct vt_dev, vmdev, mdev, &vt_vfio_ops,
				&vt_desc);
	if (IS_ERR(vt))
		return PTR_ERR(vt);
	mutex_init(&vt->regs_lock);
	vt_shadow_sync(vt);
	mig_cfg.priv = vt;
	ret = svf_mig_init(&vt->mig, &vt->vmdev.vdev, &mig_cfg);
	if (ret)
		goto err_put;
	vt->mig_ready = true;
	ret = vmdev_register_device(&vt->vmdev);
	if (ret)
		goto err_put;
	dev_set_drvdata(&mdev->dev, vt);
	return 0;

err_put:
	vfio_put_device(&vt->vmdev.vdev);
	return ret;
}

static void vt_remove(struct mdev_device *mdev)
{
	struct vt_dev *vt = dev_get_drvdata(&mdev->dev);

	/* A migration in progress fails (ERROR) rather than outlive us. */
	svf_mig_withdraw(&vt->mig);
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
