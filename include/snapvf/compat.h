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

#endif /* _SNAPVF_COMPAT_H */
