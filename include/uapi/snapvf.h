/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * snapvf userspace API: vendor VFIO device features.
 *
 * Used through the standard VFIO_DEVICE_FEATURE ioctl of a device fd whose
 * driver is built on snapvf_mig (the SNAP PCI variant driver, the SF mdev
 * driver, the test device).  Kernel code includes it as <uapi/snapvf.h>;
 * userspace adds -I<snapvf>/include/uapi and includes <snapvf.h>.
 *
 * Feature numbers
 * ---------------
 * The vfio core numbers its features sequentially from 0 (6.12 stops at
 * VFIO_DEVICE_FEATURE_BUS_MASTER = 10) and handles several of them itself
 * before a driver sees the ioctl; VFIO_DEVICE_FEATURE_MASK allows 0..0xffff.
 * snapvf's features live in 0xf500..0xf5ff, far above anything upstream
 * will allocate for years, so the core never intercepts them.  The low
 * byte mirrors the number of the standard feature a vendor feature stands
 * in for, when there is one.
 */
#ifndef _UAPI_SNAPVF_H
#define _UAPI_SNAPVF_H

#include <linux/types.h>

#define SVF_DEVICE_FEATURE_BASE			0xf500

/*
 * SVF_DEVICE_FEATURE_DMA_LOGGING_REPORT
 *
 * Same payload and meaning as VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT
 * (struct vfio_device_feature_dma_logging_report): with
 * VFIO_DEVICE_FEATURE_GET, read and clear the device's DMA dirty log for
 * [iova, iova + length) and set bit (addr - iova) / page_size of the u64
 * array at @bitmap for every dirty page_size unit.  Bits are only set,
 * never cleared (the caller zeroes the bitmap); the bitmap spans
 * DIV_ROUND_UP(length / page_size, 64) u64s.
 *
 * It exists because the vfio core implements the standard report with
 * iova_bitmap, which is a stub returning -EOPNOTSUPP on kernels built
 * without CONFIG_IOMMUFD_DRIVER (Debian 12's 6.12 kernel among them).
 * DMA_LOGGING_START and STOP work there and are used unchanged; only the
 * report needs this feature.  The feature reads the same tracker as the
 * standard report, so a VMM may use either where both work.
 *
 * VFIO_DEVICE_FEATURE_PROBE (with GET) succeeds on every snapvf device
 * that supports DMA logging, whether or not the standard report works.
 *
 * Rules, checked before anything is cleared:
 *  - page_size a power of two, at least the tracking page size that
 *    DMA_LOGGING_START reported back (-EINVAL);
 *  - iova and length multiples of page_size, length not 0 (-EINVAL);
 *  - iova + length does not wrap (-EOVERFLOW, as the standard report);
 *  - [iova, iova + length) covered by the ranges given to START, and
 *    logging started (-EINVAL);
 *  - the bitmap readable and writable (-EFAULT; each part of the bitmap
 *    is read and written back before the matching dirty bits are
 *    cleared, so a bad bitmap loses nothing).
 * If the caller changes its mappings during the call, or -ENOMEM, part of
 * the window may have been cleared: then treat the log as lost, as the
 * standard report's documentation says for any error.
 */
#define SVF_DEVICE_FEATURE_DMA_LOGGING_REPORT	(SVF_DEVICE_FEATURE_BASE + 8)

/**
 * struct svf_dma_logging_report - payload of
 *	SVF_DEVICE_FEATURE_DMA_LOGGING_REPORT
 * @iova: first byte of the window, page_size aligned
 * @length: window length in bytes, page_size aligned
 * @page_size: bytes per bitmap bit, a power of two
 * @bitmap: user pointer to the u64 bitmap
 *
 * Layout identical to struct vfio_device_feature_dma_logging_report.
 */
struct svf_dma_logging_report {
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 bitmap;
};

#endif /* _UAPI_SNAPVF_H */
