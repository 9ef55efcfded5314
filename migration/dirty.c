// SPDX-License-Identifier: GPL-2.0
/*
 * DMA dirty tracking behind vfio_log_ops, fed by svf_dirty_mark().
 *
 * A tracker is a sorted array of IOVA ranges, each with a bitmap of
 * tracking pages.  It is created by DMA_LOGGING_START and destroyed by
 * DMA_LOGGING_STOP, by svf_mig_close() (logging is per open: the next
 * user of the device must neither find it busy nor read the previous
 * user's dirty pages) or by svf_mig_uninit().  Nothing of it is handed to
 * user space beyond the ioctl that reads it: the report copies into the
 * caller's bitmap, so the tracker has no lifetime beyond the engine's.
 *
 * Locking and lifetime
 * --------------------
 * dirty->lock (mutex) serialises start, stop and read-and-clear.  The
 * tracker pointer is published with RCU: svf_dirty_mark() runs in any
 * context (DMA helpers, atomic or IRQ context) under rcu_read_lock() and
 * sets bits atomically; stop unpublishes the tracker and waits a grace
 * period before freeing it.  Reading clears bits atomically one at a time,
 * so a mark racing with a read is reported by this read or the next one.
 */
#include <linux/interval_tree.h>
#include <linux/log2.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <snapvf/compat.h>
#include "mig_internal.h"

#define SVF_DIRTY_DEFAULT_RANGES	256
/* Most tracking pages of one tracker: 32 MiB of bitmap. */
#define SVF_DIRTY_MAX_PAGES		BIT_ULL(28)
#define SVF_DIRTY_MIN_PGSHIFT		12

struct svf_dirty_range {
	u64 start;
	u64 last;
	unsigned long *bits;
};

struct svf_dirty_tracker {
	unsigned int pgshift;
	u32 nr;
	struct svf_dirty_range ranges[] __counted_by(nr);
};

/**
 * struct svf_dirty - dirty tracking state of one engine
 * @lock: serialises start/stop/read
 * @tracker: the active tracker or NULL (RCU)
 * @max_ranges: most ranges START accepts
 */
struct svf_dirty {
	struct mutex lock;	/* start/stop/read */
	struct svf_dirty_tracker __rcu *tracker;
	u32 max_ranges;
};

/* Called from svf_mig_init(). */
int svf_dirty_init(struct svf_mig *mig)
{
	struct svf_dirty *d = kzalloc(sizeof(*d), GFP_KERNEL);

	if (!d)
		return -ENOMEM;
	mutex_init(&d->lock);
	d->max_ranges = mig->cfg.dirty_max_ranges ?: SVF_DIRTY_DEFAULT_RANGES;
	mig->dirty = d;
	return 0;
}

static void svf_dirty_free(struct svf_dirty_tracker *t)
{
	u32 i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++)
		kvfree(t->ranges[i].bits);
	kfree(t);
}

/* Unpublish and free the tracker; dirty->lock held or no other user. */
static void svf_dirty_drop(struct svf_dirty *d)
{
	struct svf_dirty_tracker *t;

	t = rcu_replace_pointer(d->tracker, NULL, true);
	if (!t)
		return;
	synchronize_rcu();
	svf_dirty_free(t);
}

/* Called from svf_mig_uninit() and init unwinding. */
void svf_dirty_destroy(struct svf_mig *mig)
{
	struct svf_dirty *d = mig->dirty;

	if (!d)
		return;
	svf_dirty_drop(d);
	mutex_destroy(&d->lock);
	kfree(d);
	mig->dirty = NULL;
}

/* Called from svf_mig_close(): logging ends with the open. */
void svf_dirty_close(struct svf_mig *mig)
{
	struct svf_dirty *d = mig->dirty;

	if (!d)
		return;
	mutex_lock(&d->lock);
	svf_dirty_drop(d);
	mutex_unlock(&d->lock);
}

static int svf_dirty_pgshift(u64 *page_size)
{
	if (!*page_size || !is_power_of_2(*page_size))
		return -EINVAL;
	if (*page_size < (1ULL << SVF_DIRTY_MIN_PGSHIFT))
		*page_size = 1ULL << SVF_DIRTY_MIN_PGSHIFT;
	return ilog2(*page_size);
}

/* Check the ranges the vfio core built; the core checked alignment. */
static int svf_dirty_check(struct rb_root_cached *ranges, u32 nnodes,
			   u32 max_ranges, unsigned int pgshift)
{
	struct interval_tree_node *n;
	u64 pages = 0;

	if (!nnodes)
		return -EINVAL;
	if (nnodes > max_ranges)
		return -E2BIG;
	for (n = interval_tree_iter_first(ranges, 0, ULONG_MAX); n;
	     n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
		/* A zero length range arrives as last == start - 1. */
		if (n->last < n->start || (!n->start && n->last == ULONG_MAX))
			return -EINVAL;
		pages += (n->last >> pgshift) - (n->start >> pgshift) + 1;
		if (pages > SVF_DIRTY_MAX_PAGES)
			return -E2BIG;
	}
	return 0;
}

static struct svf_dirty_tracker *
svf_dirty_build(struct rb_root_cached *ranges, u32 nnodes, unsigned int pgshift)
{
	struct svf_dirty_tracker *t;
	struct interval_tree_node *n;
	u32 i = 0;

	t = kzalloc(struct_size(t, ranges, nnodes), GFP_KERNEL_ACCOUNT);
	if (!t)
		return NULL;
	t->nr = nnodes;
	t->pgshift = pgshift;
	for (n = interval_tree_iter_first(ranges, 0, ULONG_MAX); n && i < nnodes;
	     n = interval_tree_iter_next(n, 0, ULONG_MAX), i++) {
		struct svf_dirty_range *r = &t->ranges[i];
		u64 npages = (n->last >> pgshift) - (n->start >> pgshift) + 1;

		r->start = n->start;
		r->last = n->last;
		r->bits = kvcalloc(BITS_TO_LONGS(npages), sizeof(long),
				   GFP_KERNEL_ACCOUNT);
		if (!r->bits) {
			svf_dirty_free(t);
			return NULL;
		}
	}
	t->nr = i;
	return t;
}

static int svf_dirty_start(struct vfio_device *vdev,
			   struct rb_root_cached *ranges, u32 nnodes,
			   u64 *page_size)
{
	struct svf_mig *mig = svf_mig_from_vdev(vdev);
	struct svf_dirty_tracker *t;
	struct svf_dirty *d;
	u64 psize = *page_size;
	int shift, ret;

	if (!mig || !mig->dirty)
		return -ENOTTY;
	d = mig->dirty;
	shift = svf_dirty_pgshift(&psize);
	if (shift < 0)
		return shift;
	ret = svf_dirty_check(ranges, nnodes, d->max_ranges, shift);
	if (ret)
		return ret;

	mutex_lock(&d->lock);
	if (rcu_access_pointer(d->tracker)) {
		ret = -EBUSY;
		goto out;
	}
	if (READ_ONCE(mig->withdrawn)) {
		ret = -ENODEV;
		goto out;
	}
	t = svf_dirty_build(ranges, nnodes, shift);
	if (!t) {
		ret = -ENOMEM;
		goto out;
	}
	rcu_assign_pointer(d->tracker, t);
	*page_size = psize;
out:
	mutex_unlock(&d->lock);
	return ret;
}

static int svf_dirty_stop(struct vfio_device *vdev)
{
	struct svf_mig *mig = svf_mig_from_vdev(vdev);

	if (!mig || !mig->dirty)
		return -ENOTTY;
	mutex_lock(&mig->dirty->lock);
	svf_dirty_drop(mig->dirty);
	mutex_unlock(&mig->dirty->lock);
	return 0;
}

/* First range whose end is at or after @iova (ranges are sorted). */
static u32 svf_dirty_first(struct svf_dirty_tracker *t, u64 iova)
{
	u32 lo = 0, hi = t->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (t->ranges[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/**
 * svf_dirty_mark() - record a device write to guest memory
 * @mig: engine of the device (NULL is allowed and ignored)
 * @iova: first byte written
 * @len: bytes written
 *
 * DMA helpers call this for every write they do into guest memory.  Cheap
 * when logging is off (one RCU pointer load).  Bytes outside the logged
 * ranges are ignored.
 *
 * Context: any, including atomic and hard IRQ context.
 */
void svf_dirty_mark(struct svf_mig *mig, u64 iova, u64 len)
{
	struct svf_dirty_tracker *t;
	u64 last;
	u32 i;

	if (!mig || !mig->dirty || !len || check_add_overflow(iova, len - 1, &last))
		return;
	rcu_read_lock();
	t = rcu_dereference(mig->dirty->tracker);
	for (i = t ? svf_dirty_first(t, iova) : 0; t && i < t->nr; i++) {
		struct svf_dirty_range *r = &t->ranges[i];
		u64 a, b, base;

		if (r->start > last)
			break;
		base = r->start >> t->pgshift;
		a = (max(iova, r->start) >> t->pgshift) - base;
		b = (min(last, r->last) >> t->pgshift) - base;
		for (; a <= b; a++)
			set_bit(a, r->bits);
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(svf_dirty_mark);

/* Report and clear the dirty pages of @r inside [iova, last]. */
static void svf_dirty_walk(struct svf_dirty_tracker *t, struct svf_dirty_range *r,
			   u64 iova, u64 last, svf_dirty_fn fn, void *opaque)
{
	unsigned int shift = t->pgshift;
	u64 base = r->start >> shift;
	u64 a = (max(iova, r->start) >> shift) - base;
	u64 b = (min(last, r->last) >> shift) - base;
	u64 run = 0, run_len = 0, bit;

	for (bit = find_next_bit(r->bits, b + 1, a); bit <= b;
	     bit = find_next_bit(r->bits, b + 1, bit + 1)) {
		if (!test_and_clear_bit(bit, r->bits))
			continue;
		if (run_len && bit == run + run_len) {
			run_len++;
			continue;
		}
		if (run_len)
			fn(opaque, (base + run) << shift, run_len << shift);
		run = bit;
		run_len = 1;
	}
	if (run_len)
		fn(opaque, (base + run) << shift, run_len << shift);
}

struct svf_dirty_clip {
	u64 first;
	u64 last;
	svf_dirty_fn fn;
	void *opaque;
};

/* Clip runs of whole tracking pages to the window asked for. */
static void svf_dirty_clip_fn(void *opaque, u64 iova, u64 len)
{
	struct svf_dirty_clip *c = opaque;
	u64 a = max(iova, c->first), b = min(iova + len - 1, c->last);

	if (a <= b)
		c->fn(c->opaque, a, b - a + 1);
}

/**
 * svf_dirty_read_and_clear() - report and clear dirty pages in a window
 * @mig: engine
 * @iova: window start
 * @length: window length
 * @fn: called for each run of dirty bytes inside the window
 * @opaque: passed to @fn
 *
 * The layer's log_read_and_clear uses it with iova_bitmap_set(); a driver
 * may use it to read its own device's log (the test device's dirty_report
 * attribute does).  @fn runs under the tracking
 * mutex: it may sleep but must not touch user memory or call back into
 * the tracker.
 *
 * Context: process context; takes the tracking mutex.
 * Return: 0, -EINVAL when logging is off or @length is 0, -EOVERFLOW.
 */
int svf_dirty_read_and_clear(struct svf_mig *mig, u64 iova, u64 length,
			     svf_dirty_fn fn, void *opaque)
{
	struct svf_dirty_clip clip = { .first = iova, .fn = fn, .opaque = opaque };
	struct svf_dirty_tracker *t;
	struct svf_dirty *d;
	int ret = 0;
	u32 i;

	if (!mig || !mig->dirty || !length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &clip.last))
		return -EOVERFLOW;
	d = mig->dirty;
	mutex_lock(&d->lock);
	t = rcu_dereference_protected(d->tracker, lockdep_is_held(&d->lock));
	if (!t) {
		ret = -EINVAL;
		goto out;
	}
	for (i = svf_dirty_first(t, iova); i < t->nr; i++) {
		if (t->ranges[i].start > clip.last)
			break;
		svf_dirty_walk(t, &t->ranges[i], iova, clip.last,
			       svf_dirty_clip_fn, &clip);
	}
out:
	mutex_unlock(&d->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_dirty_read_and_clear);

static void svf_dirty_to_bitmap(void *opaque, u64 iova, u64 len)
{
	iova_bitmap_set(opaque, iova, len);
}

/*
 * Reached only on kernels with a real iova_bitmap: svf_mig_init() installs
 * svf_mig_log_ops only where SVF_HAVE_IOVA_BITMAP (compat.h).
 */
static int svf_dirty_report(struct vfio_device *vdev, unsigned long iova,
			    unsigned long length, struct iova_bitmap *dirty)
{
	return svf_dirty_read_and_clear(svf_mig_from_vdev(vdev), iova, length,
					svf_dirty_to_bitmap, dirty);
}

/*
 * svf_mig_log_ops: vfio_log_ops of every engine with SVF_MIG_CAP_DIRTY_LOG
 *
 * svf_mig_init() stores it in vfio_device.log_ops where the kernel can
 * report DMA dirty pages (SVF_HAVE_IOVA_BITMAP).  START accepts up to
 * dirty_max_ranges non-empty ranges (more: -E2BIG), a page size that is a
 * power of two (smaller than 4 KiB is raised to 4 KiB and reported back),
 * and fails with -EBUSY while logging is already on.  STOP always succeeds.
 */
const struct vfio_log_ops svf_mig_log_ops = {
	.log_start = svf_dirty_start,
	.log_stop = svf_dirty_stop,
	.log_read_and_clear = svf_dirty_report,
};
