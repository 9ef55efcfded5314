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

#include <linux/version.h>
#include <linux/module.h>

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
 * The vfio core's VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT builds the user
 * bitmap with iova_bitmap, which is compiled only with
 * CONFIG_IOMMUFD_DRIVER (selected by IOMMUFD and by some variant drivers).
 * Without it the iova_bitmap functions are stubs and the core fails every
 * report with -EOPNOTSUPP before a driver is called: Debian 12's 6.12
 * kernel is built that way.  DMA_LOGGING_START/STOP are unaffected.  The
 * layer then offers SVF_DEVICE_FEATURE_DMA_LOGGING_REPORT
 * (include/uapi/snapvf.h), which does not use iova_bitmap.
 */
#define SVF_HAVE_IOVA_BITMAP	IS_ENABLED(CONFIG_IOMMUFD_DRIVER)

#endif /* _SNAPVF_COMPAT_H */
