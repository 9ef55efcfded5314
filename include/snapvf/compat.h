/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel-version differences live.
 *
 * The project targets Debian 12's 6.12 LTS kernel.  Code elsewhere in the
 * tree uses only the helpers below for anything whose spelling changed
 * between kernel releases, so moving to another kernel touches this file
 * alone.
 */
#ifndef _SNAPVF_COMPAT_H
#define _SNAPVF_COMPAT_H

#include <linux/device.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#error "snapvf needs VFIO migration v2 with PRE_COPY and MIG_DATA_SIZE (Linux 6.2+)"
#endif

/*
 * MODULE_IMPORT_NS() took a bare identifier up to 6.12 and a string
 * literal from 6.13 on.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define SVF_IMPORT_NS(ns)	MODULE_IMPORT_NS(ns)
#else
#define SVF_IMPORT_NS(ns)	MODULE_IMPORT_NS(#ns)
#endif

/*
 * Whether the running kernel can report DMA dirty pages.  The vfio core's
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT builds the user bitmap with
 * iova_bitmap, which is compiled only with CONFIG_IOMMUFD_DRIVER (selected
 * by IOMMUFD and by some variant drivers).  Without it the iova_bitmap
 * functions are stubs and the core fails every report with -EOPNOTSUPP
 * before a driver is called, although START and STOP work: Debian's 6.12
 * kernels are built that way.  A device that offered DMA logging there
 * would make QEMU choose device dirty tracking and then fail migration at
 * its first report, so snapvf devices offer DMA logging (vfio_log_ops)
 * only where this is true.  Elsewhere the VMM finds DMA_LOGGING_*
 * absent (-ENOTTY) and uses its IOMMU container's dirty tracking.
 */
#define SVF_HAVE_IOVA_BITMAP	IS_ENABLED(CONFIG_IOMMUFD_DRIVER)

/**
 * svf_driver_override_is() - does @dev's driver_override name @name?
 * @dev: the device
 * @name: a driver name
 *
 * Upstream 6.12 keeps driver_override per bus (e.g. &pci_dev.driver_override,
 * under the device lock).  Debian's 6.12.117 carries the rework that moved
 * it into &struct device as ``driver_override.{name,lock}`` (a spinlock),
 * with device_match_driver_override() as the reader.  That helper uses a
 * scoped guard which sparse cannot follow (context imbalance), so this one
 * takes the spinlock explicitly.  Kernels without the rework (the top
 * Kbuild's probe defines SVF_NO_DEV_DRIVER_OVERRIDE) read the PCI field
 * under the device lock instead.  Process context.
 *
 * Return: true if driver_override is set and equals @name.
 */
#ifndef SVF_NO_DEV_DRIVER_OVERRIDE
static inline bool svf_driver_override_is(struct device *dev, const char *name)
{
	bool ret;

	spin_lock(&dev->driver_override.lock);
	ret = dev->driver_override.name &&
	      !strcmp(dev->driver_override.name, name);
	spin_unlock(&dev->driver_override.lock);
	return ret;
}
#else
static inline bool svf_driver_override_is(struct device *dev, const char *name)
{
	struct pci_dev *pdev;
	bool ret;

	if (!dev_is_pci(dev))
		return false;
	pdev = to_pci_dev(dev);
	device_lock(dev);
	ret = pdev->driver_override && !strcmp(pdev->driver_override, name);
	device_unlock(dev);
	return ret;
}
#endif

#endif /* _SNAPVF_COMPAT_H */
