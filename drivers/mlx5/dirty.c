// SPDX-License-Identifier: GPL-2.0
/*
 * DMA logging (SVF_AUX_F_DIRTY_TRACKING) over the PAGE_TRACK general object
 * and a provider's report receiver (include/snapvf/mlx5.h, "DMA logging").
 *
 * log_start: the ranges (combined with vfio_combine_iova_ranges() down to
 * what the firmware tracks, then widened to the tracking granule) become
 * one PAGE_TRACK object reporting to a new receiver.
 *
 * log_report: MODIFY_GENERAL_OBJECT puts the object into REPORTING for the
 * window; the firmware sends the window's dirty pages to the receiver and
 * clears them; we take them until the firmware's state is TRACKING again
 * and set them in the iova_bitmap, clipped to the window (a tracking page
 * larger than the VMM's and straddling the window's edge is reported for
 * the part inside only: the firmware has cleared it).  ERROR from the
 * firmware, a failing receiver or a report that does not finish breaks the
 * session: every later report fails with -EIO until log_stop.
 *
 * log_stop, the consumer's close (it calls log_stop), withdrawal and the
 * provider's removal (svf_mlx5_log_free() from the function's teardown)
 * destroy the object and then the receiver.
 *
 * Everything runs under vf->lock, like the other ops of a function.
 */
#include <linux/delay.h>
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <snapvf/compat.h>

#include "priv.h"

/* records taken from the receiver per poll */
#define SVF_MLX5_REP_BATCH	64
/* a report the firmware does not finish in this time breaks the session */
#define SVF_MLX5_REP_TIMEOUT_MS	5000

struct svf_mlx5_log {
	struct svf_mlx5_rep *rep;
	u32 obj_id;
	u64 page_size;
	bool broken;			/* reports fail with -EIO */
	u64 addr[SVF_MLX5_REP_BATCH];
};

static struct svf_mlx5_vf *svf_mlx5_vf(struct svf_aux_fn *afn)
{
	return afn->priv;
}

/**
 * svf_mlx5_log_offered() - can functions of @chan log DMA?
 * @chan: the channel
 *
 * Return: true if the provider has a report path and the firmware tracks
 * pages: then svf_mlx5_vf_add() announces SVF_AUX_F_DIRTY_TRACKING.
 */
bool svf_mlx5_log_offered(const struct svf_mlx5_chan *chan)
{
	const struct svf_mlx5_chan_ops *ops = chan->ops;

	return ops->rep_create && ops->rep_poll && ops->rep_destroy &&
	       chan->track.max_ranges &&
	       chan->track.log_min_page_size >= 12 &&
	       chan->track.log_min_page_size <= chan->track.log_max_page_size;
}

/* Destroy the object, then its receiver.  Return: DESTROY's errno. */
static int svf_mlx5_log_end(struct svf_mlx5_vf *vf)
{
	struct svf_mlx5_log *log = vf->log;
	int ret;

	if (!log)
		return 0;
	ret = svf_mlx5_cmd_track_destroy(vf->chan, &vf->pdev->dev,
					 log->obj_id);
	/*
	 * A failed DESTROY leaves the object to the firmware: nothing to
	 * retry.  Its receiver is then kept (leaked on purpose): the object
	 * may still send reports into it.  A function that is gone (-ENODEV)
	 * has no object left to send.
	 */
	if (!ret || ret == -ENODEV)
		vf->chan->ops->rep_destroy(vf->chan, log->rep);
	else
		svf_mlx5_err_rl(vf, "DMA logging: object %u not destroyed (%d), receiver kept\n",
				log->obj_id, ret);
	kfree(log);
	vf->log = NULL;
	return ret;
}

/**
 * svf_mlx5_log_free() - end DMA logging of a function, if on
 * @vf: the function (vf->lock held, or no op can run any more)
 */
void svf_mlx5_log_free(struct svf_mlx5_vf *vf)
{
	svf_mlx5_log_end(vf);
}

/*
 * The ranges for the firmware: at most @max (the tree is combined in place
 * as vfio does for upstream drivers), each widened to the granule, ranges
 * that then touch merged.  Returns the number of ranges in @r and their
 * total length in *@total.
 */
static u32 svf_mlx5_log_ranges(struct rb_root_cached *ranges, u32 nnodes,
			       u32 max, u64 granule,
			       struct svf_mlx5_track_range *r, u64 *total)
{
	struct interval_tree_node *node;
	u64 start, end;
	u32 n = 0, i;

	if (nnodes > max)
		vfio_combine_iova_ranges(ranges, nnodes, max);
	for (node = interval_tree_iter_first(ranges, 0, ULONG_MAX);
	     node && n < max;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		start = round_down((u64)node->start, granule);
		end = round_up((u64)node->last + 1, granule);
		if (n && start <= r[n - 1].start + r[n - 1].length) {
			r[n - 1].length = end - r[n - 1].start;
			continue;
		}
		r[n].start = start;
		r[n].length = end - start;
		n++;
	}
	*total = 0;
	for (i = 0; i < n; i++)
		*total += r[i].length;
	return n;
}

/**
 * svf_mlx5_log_start() - &svf_aux_fn_ops.log_start
 * @afn: the function
 * @ranges: IOVA ranges (vfio's interval tree: sorted, not overlapping);
 *	combined in place when the firmware tracks fewer
 * @nnodes: number of @ranges
 * @page_size: in: the VMM's granule; out: the tracking granule, the VMM's
 *	or the firmware's largest if that is smaller
 *
 * Return: 0; -EOPNOTSUPP if the channel has no report path (the feature
 * was not announced); -EINVAL for a page size that is not a power of two
 * or below the firmware's smallest granule, an empty, inverted or
 * unbounded range; -EBUSY if logging is on; -E2BIG if the ranges
 * together exceed the firmware's address space; -ENODEV once withdrawn;
 * else the errno of the receiver or of CREATE_GENERAL_OBJECT.
 */
int svf_mlx5_log_start(struct svf_aux_fn *afn, struct rb_root_cached *ranges,
		       u32 nnodes, u64 *page_size)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	const struct svf_mlx5_track_caps *caps = &vf->chan->track;
	struct svf_mlx5_track_params p = {};
	struct svf_mlx5_track_range *r;
	struct interval_tree_node *node;
	struct svf_mlx5_log *log;
	struct svf_mlx5_rep *rep;
	u64 total;
	int ret;

	if (!svf_mlx5_log_offered(vf->chan))
		return -EOPNOTSUPP;
	if (!nnodes || !*page_size || !is_power_of_2(*page_size)) {
		svf_mlx5_err_rl(vf, "DMA logging: no ranges or page size %llu not a power of two\n",
				*page_size);
		return -EINVAL;
	}
	for (node = interval_tree_iter_first(ranges, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		/* also the range vfio makes of iova 0, length 0 */
		if (node->last < node->start || node->last == ULONG_MAX) {
			svf_mlx5_err_rl(vf, "DMA logging: empty or unbounded range at 0x%lx\n",
					node->start);
			return -EINVAL;
		}
	}
	/*
	 * A granule larger than the VMM's page would lose pages: a report
	 * window that starts or ends inside a granule gets only its part,
	 * and the firmware clears all of it.  A smaller one is fine (a
	 * reported granule sets the VMM's page around it).
	 */
	if (ilog2(*page_size) < caps->log_min_page_size) {
		svf_mlx5_err_rl(vf, "DMA logging: page size %llu below the firmware's %lu\n",
				*page_size, 1UL << caps->log_min_page_size);
		return -EINVAL;
	}
	p.log_page_size = min_t(u32, ilog2(*page_size),
				caps->log_max_page_size);
	p.log_msg_size = caps->log_msg_size;

	r = kcalloc(min(nnodes, caps->max_ranges), sizeof(*r), GFP_KERNEL);
	log = kzalloc(sizeof(*log), GFP_KERNEL);
	if (!r || !log) {
		ret = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&vf->lock);
	if (svf_aux_withdrawing(&afn->core)) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (vf->log) {
		svf_mlx5_err_rl(vf, "DMA logging is already on\n");
		ret = -EBUSY;
		goto out_unlock;
	}
	p.nranges = svf_mlx5_log_ranges(ranges, nnodes, caps->max_ranges,
					1ULL << p.log_page_size, r, &total);
	p.ranges = r;
	p.log_addr_space = max_t(u32, order_base_2(total),
				 caps->log_min_addr_space);
	if (p.log_addr_space > caps->log_max_addr_space) {
		svf_mlx5_err_rl(vf, "DMA logging: %llu bytes in ranges, the firmware tracks 2^%u\n",
				total, caps->log_max_addr_space);
		ret = -E2BIG;
		goto out_unlock;
	}
	rep = vf->chan->ops->rep_create(vf->chan);
	if (IS_ERR(rep)) {
		ret = PTR_ERR(rep);
		svf_mlx5_err_rl(vf, "DMA logging: no report receiver (%d)\n",
				ret);
		goto out_unlock;
	}
	p.reporting_qpn = rep->qpn;
	ret = svf_mlx5_cmd_track_create(vf->chan, &vf->pdev->dev, vf->vhca_id,
					&p, &log->obj_id);
	if (ret) {
		vf->chan->ops->rep_destroy(vf->chan, rep);
		goto out_unlock;
	}
	log->rep = rep;
	log->page_size = 1ULL << p.log_page_size;
	vf->log = log;
	log = NULL;
	*page_size = 1ULL << p.log_page_size;
out_unlock:
	mutex_unlock(&vf->lock);
out_free:
	kfree(log);
	kfree(r);
	return ret;
}

/**
 * svf_mlx5_log_stop() - &svf_aux_fn_ops.log_stop
 * @afn: the function
 *
 * Logging is off when this returns, also on error.
 *
 * Return: 0 (also when logging was off), or the errno of DESTROY.
 */
int svf_mlx5_log_stop(struct svf_aux_fn *afn)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	int ret;

	mutex_lock(&vf->lock);
	ret = svf_mlx5_log_end(vf);
	mutex_unlock(&vf->lock);
	return ret;
}

/* Mark [addr, addr + page) inside [iova, iova + length) dirty. */
static void svf_mlx5_log_set(struct iova_bitmap *dirty, u64 addr, u64 page,
			     unsigned long iova, unsigned long length)
{
	u64 start = max_t(u64, addr, iova);
	u64 end = min_t(u64, addr + page, (u64)iova + length);

	if (start < end)
		iova_bitmap_set(dirty, start, end - start);
}

/**
 * svf_mlx5_log_report() - &svf_aux_fn_ops.log_report
 * @afn: the function
 * @iova: first byte of the window
 * @length: bytes of the window
 * @dirty: where the dirty pages go
 *
 * Return: 0; -EINVAL if logging is off or @length is 0; -EIO if the
 * session is broken (the object in ERROR, seen on the receiver or by
 * QUERY after a refused MODIFY; a receiver failure or a report that did
 * not finish, -ETIMEDOUT or the receiver's errno the first time);
 * -ENODEV once withdrawn; else the errno of MODIFY_GENERAL_OBJECT (the
 * session stays usable, nothing was cleared).
 */
int svf_mlx5_log_report(struct svf_aux_fn *afn, unsigned long iova,
			unsigned long length, struct iova_bitmap *dirty)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	unsigned long deadline;
	struct svf_mlx5_log *log;
	u8 state = MLX5_PAGE_TRACK_STATE_REPORTING;
	int ret, n, i;

	mutex_lock(&vf->lock);
	log = vf->log;
	if (!log || !length) {
		ret = -EINVAL;
		goto out;
	}
	if (log->broken) {
		ret = -EIO;
		goto out;
	}
	ret = svf_mlx5_cmd_track_modify(vf->chan, &vf->pdev->dev, log->obj_id,
					iova, length,
					MLX5_PAGE_TRACK_STATE_REPORTING);
	if (ret) {
		/* refused because tracking broke?  Then the session is over. */
		if (!svf_mlx5_cmd_track_query(vf->chan, &vf->pdev->dev,
					      log->obj_id, &state) &&
		    state == MLX5_PAGE_TRACK_STATE_ERROR)
			goto broken;
		goto out;
	}
	deadline = jiffies + msecs_to_jiffies(SVF_MLX5_REP_TIMEOUT_MS);
	for (;;) {
		n = vf->chan->ops->rep_poll(vf->chan, log->rep, log->addr,
					    SVF_MLX5_REP_BATCH, &state);
		if (n < 0) {
			svf_mlx5_err_rl(vf, "DMA logging: report receiver failed (%d)\n",
					n);
			ret = n;
			break;
		}
		for (i = 0; i < n; i++)
			svf_mlx5_log_set(dirty, log->addr[i], log->page_size,
					 iova, length);
		if (state != MLX5_PAGE_TRACK_STATE_REPORTING)
			break;
		if (svf_aux_withdrawing(&afn->core)) {
			ret = -ENODEV;
			goto out;
		}
		if (time_after(jiffies, deadline)) {
			svf_mlx5_err_rl(vf, "DMA logging: report not finished in %u ms\n",
					SVF_MLX5_REP_TIMEOUT_MS);
			ret = -ETIMEDOUT;
			break;
		}
		if (n)
			cond_resched();
		else
			usleep_range(50, 200);
	}
	if (!ret && state != MLX5_PAGE_TRACK_STATE_TRACKING)
		goto broken;
	if (ret)
		log->broken = true;
	goto out;
broken:
	svf_mlx5_err_rl(vf, "DMA logging: the firmware reports tracking state %u\n",
			state);
	log->broken = true;
	ret = -EIO;
out:
	mutex_unlock(&vf->lock);
	return ret;
}

/*
 * iova_bitmap_set() is exported in the IOMMUFD namespace on kernels with
 * CONFIG_IOMMUFD_DRIVER (the debug test kernel); elsewhere it is an inline
 * stub and the import is unused.
 */
SVF_IMPORT_NS(IOMMUFD);
