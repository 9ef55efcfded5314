// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_pci: VFIO variant driver for SNAP PCI functions.
 *
 * Everything generic (config space, BARs, INTx/MSI/MSI-X, reset, mmap, the
 * request IRQ) is vfio_pci_core's.  This driver adds what a SNAP function
 * has on top: a parent (device manager) that owns the function's device
 * state, reached through the auxiliary device the parent publishes for it
 * (pair.c), and live migration through the shared snapvf migration layer
 * backed by the parent's ops (mig.c).
 *
 * A function binds only when its parent is present: no silent fallback to
 * a plain vfio-pci device.  Stock vfio-pci can still be bound to the same
 * functions instead (driver_override=vfio-pci).
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <snapvf/compat.h>

#include "snap_pci.h"

/* Every call on a withdrawn device fails the same way. */
static bool svf_pci_gone(struct vfio_device *vdev)
{
	return READ_ONCE(svf_pci_from_vdev(vdev)->withdrawn);
}

static int svf_pci_init_dev(struct vfio_device *vdev)
{
	init_rwsem(&svf_pci_from_vdev(vdev)->bar_fault_lock);
	return vfio_pci_core_init_dev(vdev);
}

/*
 * Last reference gone: no device fd, no hook can run any more (data_fds
 * still held were cut off by svf_mig_close() and reach nothing here).
 */
static void svf_pci_release_dev(struct vfio_device *vdev)
{
	struct svf_pci_dev *sdev = svf_pci_from_vdev(vdev);

	svf_pci_mig_uninit(sdev);
	if (sdev->fn)
		svf_aux_fn_put(sdev->fn);
	vfio_pci_core_release_dev(vdev);
}

/*
 * Open: every user starts from the function's reset state.
 *
 * vfio_pci_core_enable() resets the function when it has a PCI-level
 * reset (reset_works; the parent's part then follows from reset_done).
 * Without one (the simulator's ivshmem functions) nothing on the PCI side
 * would clear what the previous user left in the device, so the parent
 * resets its device state here, after the enable turned memory decoding on
 * (the previous user may have left it off, which the close path's reset
 * cannot undo).  An error fails the open rather than hand the previous
 * user's state to the next; a parent without a reset op keeps no state to
 * reset.  What close_device resets is in svf_pci_close_device().
 *
 * Context: vfio core, dev_set->lock held; no migration lock held.
 */
static int svf_pci_open_device(struct vfio_device *vdev)
{
	struct svf_pci_dev *sdev = svf_pci_from_vdev(vdev);
	int ret;

	if (svf_pci_gone(vdev))
		return -ENODEV;
	ret = vfio_pci_core_enable(&sdev->core);
	if (ret)
		return ret;
	if (!sdev->core.reset_works) {
		ret = svf_aux_fn_reset(sdev->fn);
		if (ret && ret != -EOPNOTSUPP) {
			pci_warn(sdev->core.pdev, "parent could not reset the function for a new user: %d\n",
				 ret);
			vfio_pci_core_disable(&sdev->core);
			return ret;
		}
	}
	vfio_pci_core_finish_enable(&sdev->core);
	return 0;
}

/*
 * Close: nothing of this user may stay behind.  The migration layer cuts
 * off the data_fds, ends any session, leaves ERROR and resets the
 * parent's device state (svf_pci_mig_close()); DMA logging stops.  Then
 * vfio_pci_core tears down interrupts and eventfds (INTx/MSI/MSI-X, error
 * and request), unmaps BARs, restores config space and resets the function
 * if it can.  The next open resets the parent's side once more.
 */
static void svf_pci_close_device(struct vfio_device *vdev)
{
	struct svf_pci_dev *sdev = svf_pci_from_vdev(vdev);

	svf_pci_mig_close(sdev);
	vfio_pci_core_close_device(vdev);
}

/*
 * Functions without a PCI-level reset (reset_works false, e.g. the
 * simulator's ivshmem functions) are reset through their parent: the
 * device state the parent keeps and the migration state machine go back
 * to RUNNING with no session, which is what a VMM needs to recover from
 * the ERROR state.  GET_INFO then advertises VFIO_DEVICE_FLAGS_RESET.
 */
static int svf_pci_parent_reset(struct svf_pci_dev *sdev)
{
	int ret;

	ret = svf_aux_fn_reset(sdev->fn);
	if (!ret && sdev->migratable)
		svf_mig_reset(&sdev->mig);
	return ret;
}

static long svf_pci_get_info(struct svf_pci_dev *sdev, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct vfio_device_info info;
	long ret;

	ret = vfio_pci_core_ioctl(&sdev->core.vdev, VFIO_DEVICE_GET_INFO, arg);
	if (ret || sdev->core.reset_works)
		return ret;
	if (copy_from_user(&info, uarg, offsetofend(struct vfio_device_info, flags)))
		return -EFAULT;
	info.flags |= VFIO_DEVICE_FLAGS_RESET;
	if (copy_to_user(uarg, &info, offsetofend(struct vfio_device_info, flags)))
		return -EFAULT;
	return 0;
}

static long svf_pci_ioctl(struct vfio_device *vdev, unsigned int cmd,
			  unsigned long arg)
{
	struct svf_pci_dev *sdev = svf_pci_from_vdev(vdev);

	if (svf_pci_gone(vdev))
		return -ENODEV;
	if (cmd == VFIO_DEVICE_GET_INFO)
		return svf_pci_get_info(sdev, arg);
	if (cmd == VFIO_DEVICE_RESET && !sdev->core.reset_works)
		return svf_pci_parent_reset(sdev);
	return vfio_pci_core_ioctl(vdev, cmd, arg);
}

static int svf_pci_device_feature(struct vfio_device *vdev, u32 flags,
				  void __user *arg, size_t argsz)
{
	if (svf_pci_gone(vdev))
		return -ENODEV;
	return vfio_pci_core_ioctl_feature(vdev, flags, arg, argsz);
}

static ssize_t svf_pci_read(struct vfio_device *vdev, char __user *buf,
			    size_t count, loff_t *ppos)
{
	if (svf_pci_gone(vdev))
		return -ENODEV;
	return vfio_pci_core_read(vdev, buf, count, ppos);
}

static ssize_t svf_pci_write(struct vfio_device *vdev, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	if (svf_pci_gone(vdev))
		return -ENODEV;
	return vfio_pci_core_write(vdev, buf, count, ppos);
}

/*
 * BAR mappings after withdrawal
 * =============================
 *
 * vfio_pci_core maps a BAR lazily: its fault handler inserts the PFNs, and
 * it zaps them whenever memory decoding goes away (command register,
 * reset, low power), after which a fault gets SIGBUS.  A withdrawal by the
 * parent is no such event, and a mapping keeps the device file - so the
 * device - open after the VMM closed its device fd.  Without more, a
 * mapping made before the withdrawal would keep reaching the function's
 * BARs for as long as the VMM keeps it, while the parent already treats
 * the function as gone (firmware reset, re-assignment, its state handed to
 * someone else).
 *
 * So a withdrawal ends BAR access the way vfio_pci_core ends it when
 * decoding is off: svf_pci_mmap() wraps vfio_pci_core's vm_operations so
 * that a fault on a withdrawn device gets SIGBUS, and
 * svf_pci_zap_withdrawn() removes every PFN inserted before.  From then on
 * every access through an old mapping raises SIGBUS; nothing is ever
 * mapped again for that svf_pci_dev (a function published again is bound
 * to a new one once the mapping is gone).
 *
 * Locking: a fault holds @bar_fault_lock for read across the @withdrawn
 * check and vfio_pci_core's fault (which takes memory_lock for read
 * inside).  The withdrawal sets @withdrawn first, then takes and drops the
 * lock for write, so a fault that saw the old value has inserted its PFN
 * before the zap removes it.  Order: mmap_lock -> bar_fault_lock ->
 * memory_lock; the writer holds only svf_pci_lock, which no fault takes.
 */
static vm_fault_t svf_pci_bar_huge_fault(struct vm_fault *vmf,
					 unsigned int order)
{
	struct vfio_pci_core_device *core = vmf->vma->vm_private_data;
	struct svf_pci_dev *sdev = container_of(core, struct svf_pci_dev, core);
	const struct vm_operations_struct *ops = READ_ONCE(sdev->core_vm_ops);
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&sdev->bar_fault_lock);
	if (READ_ONCE(sdev->withdrawn))
		goto out;
	if (!order)
		ret = ops->fault(vmf);
	else if (ops->huge_fault)
		ret = ops->huge_fault(vmf, order);
	else
		ret = VM_FAULT_FALLBACK;
out:
	up_read(&sdev->bar_fault_lock);
	return ret;
}

static vm_fault_t svf_pci_bar_fault(struct vm_fault *vmf)
{
	return svf_pci_bar_huge_fault(vmf, 0);
}

static const struct vm_operations_struct svf_pci_bar_vm_ops = {
	.fault = svf_pci_bar_fault,
	.huge_fault = svf_pci_bar_huge_fault,
};

static int svf_pci_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct svf_pci_dev *sdev = svf_pci_from_vdev(vdev);
	unsigned int index = vma->vm_pgoff >>
			     (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	int ret;

	if (svf_pci_gone(vdev))
		return -ENODEV;
	ret = vfio_pci_core_mmap(vdev, vma);
	if (ret || index >= VFIO_PCI_ROM_REGION_INDEX)
		return ret;
	/* A BAR: vfio_pci_core's fault handler behind the withdrawal check. */
	if (WARN_ON_ONCE(!vma->vm_ops || !vma->vm_ops->fault ||
			 vma->vm_private_data != &sdev->core))
		return -EINVAL;
	WRITE_ONCE(sdev->core_vm_ops, vma->vm_ops);
	vma->vm_ops = &svf_pci_bar_vm_ops;
	return 0;
}

/**
 * svf_pci_zap_withdrawn() - end BAR access through existing mappings
 * @sdev: a device whose @withdrawn is already set
 *
 * See "BAR mappings after withdrawal" above.
 *
 * Context: process context; sleeps.  The caller may hold svf_pci_lock.
 */
void svf_pci_zap_withdrawn(struct svf_pci_dev *sdev)
{
	struct vfio_device *vdev = &sdev->core.vdev;
	loff_t start = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
	loff_t end = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_ROM_REGION_INDEX);

	/* Wait out faults that read @withdrawn before it was set. */
	down_write(&sdev->bar_fault_lock);
	up_write(&sdev->bar_fault_lock);
	/* vdev->inode is the address_space of every mapping of the device. */
	unmap_mapping_range(vdev->inode->i_mapping, start, end - start, true);
}

/*
 * vfio_device_ops of a SNAP function:
 * vfio_pci_core's ops, each gated on withdrawal (-ENODEV once the parent
 * is gone), plus migration set up at probe (svf_pci_mig_init()).  The
 * request callback is vfio_pci_core's: it relays unbind requests to the
 * VMM's VFIO_PCI_REQ_IRQ_INDEX eventfd.
 */
static const struct vfio_device_ops svf_pci_ops = {
	.name = "snapvf-pci",
	.init = svf_pci_init_dev,
	.release = svf_pci_release_dev,
	.open_device = svf_pci_open_device,
	.close_device = svf_pci_close_device,
	.ioctl = svf_pci_ioctl,
	.device_feature = svf_pci_device_feature,
	.read = svf_pci_read,
	.write = svf_pci_write,
	.mmap = svf_pci_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

static int svf_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct svf_pci_dev *sdev;
	struct svf_aux_fn *fn;
	int ret;

	fn = svf_pci_pair_lookup(pdev);
	if (!fn) {
		pci_info(pdev, "snapvf_pci: no SNAP parent has published this function, not binding (-ENODEV)\n");
		return -ENODEV;
	}

	sdev = vfio_alloc_device(svf_pci_dev, core.vdev, &pdev->dev,
				 &svf_pci_ops);
	if (IS_ERR(sdev)) {
		svf_aux_fn_put(fn);
		return PTR_ERR(sdev);
	}
	/* From here the reference is the device's; release_dev drops it. */
	sdev->fn = fn;

	ret = svf_pci_mig_init(sdev);
	if (ret)
		goto out_put;
	dev_set_drvdata(&pdev->dev, &sdev->core);
	ret = vfio_pci_core_register_device(&sdev->core);
	if (ret)
		goto out_put;
	ret = svf_pci_pair_claim(sdev);
	if (ret) {
		pci_info(pdev, "parent withdrew the function during probe\n");
		goto out_unregister;
	}
	pci_info(pdev, "paired with %s, features 0x%x\n",
		 dev_name(&fn->core.adev.dev), fn->features);
	return 0;

out_unregister:
	vfio_pci_core_unregister_device(&sdev->core);
out_put:
	vfio_put_device(&sdev->core.vdev);
	return ret;
}

static void svf_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct svf_pci_dev *sdev = container_of(core, struct svf_pci_dev, core);

	/* Waits until the VMM closed the device, relaying request IRQs. */
	vfio_pci_core_unregister_device(core);
	svf_pci_pair_release(sdev);
	vfio_put_device(&core->vdev);
}

/*
 * After a function reset (VFIO_DEVICE_RESET, FLR, AER): the migration
 * layer resets its state machine, deferred if its lock is busy.
 */
static void svf_pci_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct svf_pci_dev *sdev = container_of(core, struct svf_pci_dev, core);

	if (sdev->migratable)
		svf_mig_reset(&sdev->mig);
}

static const struct pci_error_handlers svf_pci_err_handlers = {
	.reset_done = svf_pci_reset_done,
	.error_detected = vfio_pci_core_aer_err_detected,
};

/*
 * The vfio override form: these match only through driver_override, and
 * modules.alias gets "vfio_pci:" entries so that tools can pick this
 * driver as the most specific vfio driver for the function.
 */
#define SVF_PCI_VFIO_SUB(vend, dev, subvend)				\
	.vendor = (vend), .device = (dev),				\
	.subvendor = (subvend), .subdevice = PCI_ANY_ID,		\
	.override_only = PCI_ID_F_VFIO_DRIVER_OVERRIDE

static const struct pci_device_id svf_pci_table[] = {
	/* NVMe SNAP function */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_MELLANOX, 0x6001) },
	/* virtio-blk (modern) SNAP function */
	{ SVF_PCI_VFIO_SUB(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1042,
			   PCI_VENDOR_ID_MELLANOX) },
	/* ConnectX family mlx5Gen VF: bound only when snapvf_mlx5 publishes it */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_MELLANOX, 0x101e) },
	/*
	 * ivshmem-plain and QEMU's NVMe controller: the simulator's functions
	 * (also the mlx5 firmware model's), bound only when a parent publishes
	 * them (probe needs the aux device)
	 */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_REDHAT_QUMRANET,
					  0x1110) },
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_REDHAT, 0x0010) },
	{}
};
MODULE_DEVICE_TABLE(pci, svf_pci_table);

struct pci_driver svf_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = svf_pci_table,
	.probe = svf_pci_probe,
	.remove = svf_pci_remove,
	.err_handler = &svf_pci_err_handlers,
	.driver_managed_dma = true,
};

static int __init svf_pci_init(void)
{
	int ret;

	/* Aux side first: functions whose parent is there pair at once. */
	ret = svf_pci_pair_init();
	if (ret)
		return ret;
	ret = pci_register_driver(&svf_pci_driver);
	if (ret) {
		svf_pci_pair_exit();
		svf_pci_pair_drain();
	}
	return ret;
}

static void __exit svf_pci_exit(void)
{
	/* Withdraw first: a VMM holding a device gets its request and ERROR. */
	svf_pci_pair_exit();
	pci_unregister_driver(&svf_pci_driver);
	svf_pci_pair_drain();
}

module_init(svf_pci_init);
module_exit(svf_pci_exit);

SVF_IMPORT_NS(IOMMUFD);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO variant driver for SNAP PCI functions (snapvf)");
