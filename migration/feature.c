// SPDX-License-Identifier: GPL-2.0
/*
 * The layer's vendor VFIO device features (include/uapi/snapvf.h).
 *
 * The vfio core handles the standard features itself and passes the
 * others to vfio_device_ops.device_feature; a driver on the layer calls
 * svf_mig_device_feature() from there before its own features.
 */
#include <snapvf/compat.h>
#include "mig_internal.h"

/**
 * svf_mig_device_feature() - handle the layer's vendor device features
 * @vdev: the device (one without an engine gets -ENOTTY)
 * @flags: vfio_device_feature.flags as given to
 *	vfio_device_ops.device_feature
 * @arg: the feature payload, in user memory
 * @argsz: bytes at @arg
 *
 * Call it first from vfio_device_ops.device_feature and go on with the
 * driver's own features only on -ENOTTY, e.g. a vfio_pci_core driver::
 *
 *	ret = svf_mig_device_feature(vdev, flags, arg, argsz);
 *	if (ret != -ENOTTY)
 *		return ret;
 *	return vfio_pci_core_ioctl_feature(vdev, flags, arg, argsz);
 *
 * Handles SVF_DEVICE_FEATURE_DMA_LOGGING_REPORT for engines with
 * SVF_MIG_CAP_DIRTY_LOG, on every kernel (see include/uapi/snapvf.h and
 * Documentation/driver-api/migration.rst for why it exists).
 *
 * Context: process context; sleeps.  No layer lock is held while @arg is
 * accessed.  Valid while @vdev is registered with vfio, i.e. from any
 * vfio_device_ops callback.
 * Return: 0 on success or for a supported VFIO_DEVICE_FEATURE_PROBE;
 * -ENOTTY for a feature the layer does not handle for @vdev; otherwise
 * -EINVAL, -EOVERFLOW, -EFAULT or -ENOMEM as documented for the feature.
 */
int svf_mig_device_feature(struct vfio_device *vdev, u32 flags,
			   void __user *arg, size_t argsz)
{
	struct svf_mig *mig = svf_mig_from_vdev(vdev);

	if (!mig)
		return -ENOTTY;

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case SVF_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		if (!mig->dirty)
			return -ENOTTY;
		return svf_dirty_feature_report(mig, flags, arg, argsz);
	default:
		return -ENOTTY;
	}
}
EXPORT_SYMBOL_GPL(svf_mig_device_feature);
