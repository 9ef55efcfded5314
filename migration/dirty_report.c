// SPDX-License-Identifier: GPL-2.0
/*
 * SVF_DEVICE_FEATURE_DMA_LOGGING_REPORT: the dirty report without
 * iova_bitmap (include/uapi/snapvf.h, include/snapvf/compat.h).
 *
 * The window is handled in chunks of one page of bitmap (32768 bits):
 *  1. the caller's u64s of the chunk are copied into a kernel page (so
 *     bits the caller already set survive: the standard report only sets
 *     bits) and written back unchanged, so that a bitmap that is not
 *     readable and writable faults before anything is cleared;
 *  2. the tracker's dirty runs inside the chunk's IOVA are read and
 *     cleared into that page by svf_dirty_read_and_clear(), under the
 *     tracking mutex, touching kernel memory only;
 *  3. the page is copied back after the mutex was dropped.
 * No lock of the layer is held while user memory is accessed.
 */
#include <linux/log2.h>
#include <linux/uaccess.h>
#include "mig_internal.h"

#define SVF_REPORT_CHUNK_WORDS	(PAGE_SIZE / sizeof(u64))
#define SVF_REPORT_CHUNK_BITS	(SVF_REPORT_CHUNK_WORDS * 64)

static_assert(sizeof(struct svf_dma_logging_report) ==
	      sizeof(struct vfio_device_feature_dma_logging_report));
static_assert(offsetof(struct svf_dma_logging_report, bitmap) ==
	      offsetof(struct vfio_device_feature_dma_logging_report, bitmap));

/**
 * struct svf_report_chunk - one chunk of the bitmap being filled
 * @words: the chunk's u64s, in kernel memory
 * @iova: IOVA of bit 0 of @words
 * @shift: log2 of the report page size
 */
struct svf_report_chunk {
	u64 *words;
	u64 iova;
	unsigned int shift;
};

/* Set bits @first..@last (inclusive) of the u64 array @w. */
static void svf_report_set_bits(u64 *w, u64 first, u64 last)
{
	u64 fw = first / 64, lw = last / 64;
	u64 fmask = ~0ULL << (first % 64);
	u64 lmask = ~0ULL >> (63 - last % 64);

	if (fw == lw) {
		w[fw] |= fmask & lmask;
		return;
	}
	w[fw++] |= fmask;
	for (; fw < lw; fw++)
		w[fw] = ~0ULL;
	w[lw] |= lmask;
}

/* svf_dirty_fn: a dirty run, already clipped to the chunk's window. */
static void svf_report_run(void *opaque, u64 iova, u64 len)
{
	struct svf_report_chunk *c = opaque;

	svf_report_set_bits(c->words, (iova - c->iova) >> c->shift,
			    (iova + len - 1 - c->iova) >> c->shift);
}

/* Validate @r as documented in include/uapi/snapvf.h; set the shift. */
static int svf_report_check(struct svf_mig *mig,
			    const struct svf_dma_logging_report *r,
			    unsigned int *shift)
{
	unsigned int track_shift;
	u64 end;
	int ret;

	if (!r->page_size || !is_power_of_2(r->page_size))
		return -EINVAL;
	if (!r->length || !IS_ALIGNED(r->iova, r->page_size) ||
	    !IS_ALIGNED(r->length, r->page_size))
		return -EINVAL;
	if (check_add_overflow(r->iova, r->length, &end) || end > ULONG_MAX)
		return -EOVERFLOW;
	ret = svf_dirty_window(mig, r->iova, end - 1, &track_shift);
	if (ret)
		return ret;
	if (ilog2(r->page_size) < track_shift)
		return -EINVAL;
	*shift = ilog2(r->page_size);
	if (!access_ok(u64_to_user_ptr(r->bitmap),
		       DIV_ROUND_UP(r->length >> *shift, 64) * sizeof(u64)))
		return -EFAULT;
	return 0;
}

/* Read, fill and write back the chunk starting at bitmap bit @bit. */
static int svf_report_chunk(struct svf_mig *mig,
			    const struct svf_dma_logging_report *r,
			    struct svf_report_chunk *c, u64 bit, u64 nbits)
{
	u64 __user *ubits = u64_to_user_ptr(r->bitmap);
	size_t bytes = DIV_ROUND_UP(nbits, 64) * sizeof(u64);
	int ret;

	/* Read, and prove writable, before clearing anything. */
	if (copy_from_user(c->words, ubits + bit / 64, bytes) ||
	    copy_to_user(ubits + bit / 64, c->words, bytes))
		return -EFAULT;
	c->iova = r->iova + (bit << c->shift);
	ret = svf_dirty_read_and_clear(mig, c->iova, nbits << c->shift,
				       svf_report_run, c);
	if (ret)
		return ret;
	if (copy_to_user(ubits + bit / 64, c->words, bytes))
		return -EFAULT;
	return 0;
}

/**
 * svf_dirty_feature_report() - SVF_DEVICE_FEATURE_DMA_LOGGING_REPORT
 * @mig: engine with dirty tracking
 * @flags: feature flags (GET, or PROBE)
 * @arg: struct svf_dma_logging_report in user memory
 * @argsz: bytes at @arg
 *
 * Context: process context; sleeps.
 * Return: 0, or -EINVAL, -EOVERFLOW, -EFAULT, -ENOMEM (see the uapi
 * header).
 */
int svf_dirty_feature_report(struct svf_mig *mig, u32 flags,
			     void __user *arg, size_t argsz)
{
	struct svf_dma_logging_report r;
	struct svf_report_chunk c;
	u64 bit, nbits;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(r));
	if (ret != 1)
		return ret;
	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	ret = svf_report_check(mig, &r, &c.shift);
	if (ret)
		return ret;

	c.words = (u64 *)__get_free_page(GFP_KERNEL_ACCOUNT);
	if (!c.words)
		return -ENOMEM;
	nbits = r.length >> c.shift;
	for (bit = 0; bit < nbits; bit += SVF_REPORT_CHUNK_BITS) {
		ret = svf_report_chunk(mig, &r, &c, bit,
				       min_t(u64, nbits - bit,
					     SVF_REPORT_CHUNK_BITS));
		if (ret)
			break;
		cond_resched();
	}
	free_page((unsigned long)c.words);
	return ret;
}
