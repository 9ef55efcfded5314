// SPDX-License-Identifier: GPL-2.0
/*
 * Migration of a SNAP function: device hooks for the shared snapvf
 * migration layer (state machine, data_fd, stream format are the layer's),
 * each one a call of the parent's op through the snapvf_aux wrappers.
 *
 * The parent's saved state is an opaque byte stream; it travels in records
 * of type SVF_PCI_REC_STATE and is handed back to the destination's parent
 * in order.  The layer verifies every record before load_stage() and calls
 * load_commit() only after the end record, so a rejected stream never
 * reaches the parent's commit.
 *
 * DMA logging, when the parent announces SVF_AUX_F_DIRTY_TRACKING and the
 * kernel can report it (SVF_HAVE_IOVA_BITMAP, compat.h), goes straight to
 * the parent (its ops have the vfio_log_ops shape).
 *
 * Locking: the layer calls every hook with its state lock held, one at a
 * time per device, never after svf_mig_withdraw(); the session flags in
 * &struct svf_pci_dev need no other lock.  The hooks that reach the
 * parent's device state (save_begin, save, pending, load_begin,
 * load_stage, load_commit) also hold vfio_pci_core's memory_lock for
 * write around the parent call (svf_pci_mem_lock()), so the parent may
 * turn the function's memory decoding on for it whatever the user left
 * (struct svf_aux_fn_ops).  Order: state lock, then memory_lock; nothing
 * takes them the other way round (reset_done() runs under memory_lock but
 * only try-locks the state lock, svf_mig_reset()).  The reset hook does
 * not take memory_lock: the layer may run it from reset_done().  After the parent withdrew,
 * every wrapper returns -ENODEV, which the layer turns into ERROR.
 */
#include <linux/vfio.h>
#include <snapvf/compat.h>

#include "snap_pci.h"

#define SVF_PCI_REC_STATE	(SVF_MIG_REC_DRIVER + 0)
/* Stream identity: "snapvf_pci" state records, revision 1. */
#define SVF_PCI_STREAM_REV	1

static struct svf_pci_dev *svf_pci_from_mig(struct svf_mig *mig)
{
	return svf_mig_priv(mig);
}

static struct svf_aux_fn *svf_pci_fn(struct svf_mig *mig)
{
	return svf_pci_from_mig(mig)->fn;
}

/* Exclude the user's BAR accesses, mmap faults and command writes. */
static void svf_pci_mem_lock(struct svf_pci_dev *sdev)
{
	down_write(&sdev->core.memory_lock);
}

static void svf_pci_mem_unlock(struct svf_pci_dev *sdev)
{
	up_write(&sdev->core.memory_lock);
}

static int svf_pci_quiesce(struct svf_mig *mig)
{
	struct svf_aux_fn *fn = svf_pci_fn(mig);

	return fn->features & SVF_AUX_F_P2P ? svf_aux_fn_quiesce(fn) : 0;
}

static int svf_pci_unquiesce(struct svf_mig *mig)
{
	struct svf_aux_fn *fn = svf_pci_fn(mig);

	return fn->features & SVF_AUX_F_P2P ? svf_aux_fn_unquiesce(fn) : 0;
}

static int svf_pci_stop(struct svf_mig *mig)
{
	return svf_aux_fn_suspend(svf_pci_fn(mig));
}

static int svf_pci_start(struct svf_mig *mig)
{
	return svf_aux_fn_resume(svf_pci_fn(mig));
}

static int svf_pci_save_begin(struct svf_mig *mig, bool precopy)
{
	struct svf_pci_dev *sdev = svf_pci_from_mig(mig);
	int ret;

	svf_pci_mem_lock(sdev);
	ret = svf_aux_fn_save_start(sdev->fn, precopy ? SVF_AUX_SAVE_PRECOPY : 0);
	svf_pci_mem_unlock(sdev);
	if (ret)
		return ret;
	sdev->saving = true;
	sdev->final_started = false;
	return 0;
}

/*
 * Produce the next chunk of the current round; 0 bytes ends it (the layer
 * then answers ENOMSG in pre-copy).  Pre-copy rounds after the first are
 * started by svf_pci_pending(), i.e. when the VMM asks
 * VFIO_MIG_GET_PRECOPY_INFO, because the parent finds changes only when a
 * round starts.  STOP_COPY starts the final round once; its end is the end
 * of the state.
 */
static int svf_pci_save(struct svf_mig *mig, bool final,
			struct svf_mig_chunk *chunk)
{
	struct svf_pci_dev *sdev = svf_pci_from_mig(mig);
	ssize_t n;
	int ret;

	svf_pci_mem_lock(sdev);
	if (final && !sdev->final_started) {
		ret = svf_aux_fn_save_round(sdev->fn, true);
		if (ret) {
			svf_pci_mem_unlock(sdev);
			return ret;
		}
		sdev->final_started = true;
	}
	n = svf_aux_fn_save_chunk(sdev->fn, chunk->buf, chunk->size);
	svf_pci_mem_unlock(sdev);
	if (n < 0)
		return n;
	chunk->len = n;
	chunk->type = SVF_PCI_REC_STATE;
	return 0;
}

static void svf_pci_save_end(struct svf_mig *mig)
{
	struct svf_pci_dev *sdev = svf_pci_from_mig(mig);

	if (!sdev->saving)
		return;
	svf_aux_fn_save_end(sdev->fn);
	sdev->saving = false;
	sdev->final_started = false;
}

/*
 * Estimates for VFIO_MIG_GET_PRECOPY_INFO and MIG_DATA_SIZE.  In a
 * pre-copy session whose first round has been drained (or that is past
 * it), a new round is started first: it rescans the state, so dirty_bytes
 * reports what changed since the data the VMM already read.  What the
 * previous round had not returned yet stays due in the new one.  A parent
 * that fails to start the round fails the call with its errno (the save
 * session is then unusable, and the VMM learns it before it stops the
 * guest).
 */
static int svf_pci_pending(struct svf_mig *mig, struct svf_mig_pending *out)
{
	struct svf_pci_dev *sdev = svf_pci_from_mig(mig);
	struct svf_aux_pending p;

	int ret;

	memset(out, 0, sizeof(*out));
	svf_pci_mem_lock(sdev);
	ret = svf_aux_fn_save_pending(sdev->fn, &p);
	if (!ret && sdev->saving && !sdev->final_started &&
	    (!p.initial || !p.round_bytes)) {
		ret = svf_aux_fn_save_round(sdev->fn, false);
		if (!ret)
			ret = svf_aux_fn_save_pending(sdev->fn, &p);
	}
	svf_pci_mem_unlock(sdev);
	if (ret)
		return ret;
	if (p.initial) {
		out->initial = p.round_bytes;
		out->dirty = p.dirty_bytes;
	} else {
		out->dirty = p.round_bytes;
	}
	out->stop_copy = p.stop_copy_bytes;
	return 0;
}

static int svf_pci_load_begin(struct svf_mig *mig)
{
	struct svf_pci_dev *sdev = svf_pci_from_mig(mig);
	int ret;

	svf_pci_mem_lock(sdev);
	ret = svf_aux_fn_load_start(sdev->fn);
	svf_pci_mem_unlock(sdev);
	if (!ret)
		sdev->loading = true;
	return ret;
}

static int svf_pci_load_stage(struct svf_mig *mig, u16 type, const void *data,
			      size_t len)
{
	struct svf_pci_dev *sdev = svf_pci_from_mig(mig);
	int ret;

	/*
	 * Log policy: once per session.  The layer rejects the stream on
	 * this refusal and the session's file fails for good after it; only
	 * a new RESUMING arc can bring us here again.
	 */
	if (type != SVF_PCI_REC_STATE) {
		pci_err(sdev->core.pdev, "migration stream: unknown record type 0x%x\n",
			type);
		return -EINVAL;
	}
	svf_pci_mem_lock(sdev);
	ret = svf_aux_fn_load_chunk(sdev->fn, data, len);
	svf_pci_mem_unlock(sdev);
	return ret;
}

static int svf_pci_load_commit(struct svf_mig *mig)
{
	struct svf_pci_dev *sdev = svf_pci_from_mig(mig);
	int ret;

	svf_pci_mem_lock(sdev);
	ret = svf_aux_fn_load_commit(sdev->fn);
	svf_pci_mem_unlock(sdev);
	/* The parent ends the session either way. */
	sdev->loading = false;
	return ret;
}

static void svf_pci_load_abort(struct svf_mig *mig)
{
	struct svf_pci_dev *sdev = svf_pci_from_mig(mig);

	if (!sdev->loading)
		return;
	svf_aux_fn_load_abort(sdev->fn);
	sdev->loading = false;
}

/* Back to RUNNING with no session: end what is open, reset the parent side. */
static void svf_pci_mig_reset(struct svf_mig *mig)
{
	struct svf_pci_dev *sdev = svf_pci_from_mig(mig);

	svf_pci_save_end(mig);
	svf_pci_load_abort(mig);
	/* VFIO_DEVICE_RESET and arcs to RUNNING repeat at will: rate-limited. */
	if (svf_aux_fn_reset(sdev->fn) && !READ_ONCE(sdev->withdrawn))
		dev_warn_ratelimited(&sdev->core.pdev->dev,
				     "parent failed to reset the function's state\n");
}

static const struct svf_mig_ops svf_pci_mig_ops = {
	.quiesce = svf_pci_quiesce,
	.unquiesce = svf_pci_unquiesce,
	.stop = svf_pci_stop,
	.start = svf_pci_start,
	.save_begin = svf_pci_save_begin,
	.save = svf_pci_save,
	.save_end = svf_pci_save_end,
	.pending = svf_pci_pending,
	.load_begin = svf_pci_load_begin,
	.load_stage = svf_pci_load_stage,
	.load_commit = svf_pci_load_commit,
	.load_abort = svf_pci_load_abort,
	.reset = svf_pci_mig_reset,
};

/* DMA logging, forwarded to the parent. */
static int svf_pci_log_start(struct vfio_device *vdev,
			     struct rb_root_cached *ranges, u32 nnodes,
			     u64 *page_size)
{
	struct svf_pci_dev *sdev = svf_pci_from_vdev(vdev);
	int ret;

	ret = svf_aux_fn_log_start(sdev->fn, ranges, nnodes, page_size);
	if (!ret)
		sdev->logging = true;
	return ret;
}

static int svf_pci_log_stop(struct vfio_device *vdev)
{
	struct svf_pci_dev *sdev = svf_pci_from_vdev(vdev);

	sdev->logging = false;
	return svf_aux_fn_log_stop(sdev->fn);
}

static int svf_pci_log_report(struct vfio_device *vdev, unsigned long iova,
			      unsigned long length, struct iova_bitmap *dirty)
{
	return svf_aux_fn_log_report(svf_pci_from_vdev(vdev)->fn, iova, length,
				     dirty);
}

static const struct vfio_log_ops svf_pci_log_ops = {
	.log_start = svf_pci_log_start,
	.log_stop = svf_pci_log_stop,
	.log_read_and_clear = svf_pci_log_report,
};

/* 64-bit FNV-1a of the parent's compatibility string and our revision. */
static u64 svf_pci_compat_id(const struct svf_aux_fn *fn)
{
	u64 h = 0xcbf29ce484222325ULL;
	const char *c;

	for (c = fn->compat; *c; c++)
		h = (h ^ (u8)*c) * 0x100000001b3ULL;
	return (h ^ SVF_PCI_STREAM_REV) * 0x100000001b3ULL;
}

/**
 * svf_pci_mig_init() - set up migration if the parent offers it
 * @sdev: a device not yet registered with vfio, @sdev->fn set
 *
 * Return: 0 (also when the parent has no migration) or -errno.
 */
int svf_pci_mig_init(struct svf_pci_dev *sdev)
{
	struct svf_aux_fn *fn = sdev->fn;
	struct svf_mig_config cfg = {
		.ops = &svf_pci_mig_ops,
		.compat_id = svf_pci_compat_id(fn),
		.stream_features = fn->features,
		.priv = sdev,
	};
	int ret;

	if (!(fn->features & SVF_AUX_F_MIGRATION))
		return 0;
	if (fn->features & SVF_AUX_F_P2P)
		cfg.caps |= SVF_MIG_CAP_P2P;
	if (fn->features & SVF_AUX_F_PRE_COPY)
		cfg.caps |= SVF_MIG_CAP_PRE_COPY;
	ret = svf_mig_init(&sdev->mig, &sdev->core.vdev, &cfg);
	if (ret)
		return ret;
	/* Not where the core cannot report: see SVF_HAVE_IOVA_BITMAP. */
	if ((fn->features & SVF_AUX_F_DIRTY_TRACKING) && SVF_HAVE_IOVA_BITMAP)
		sdev->core.vdev.log_ops = &svf_pci_log_ops;
	sdev->migratable = true;
	return 0;
}

/**
 * svf_pci_mig_close() - the device fd was closed (close_device)
 * @sdev: the device
 *
 * Cuts off every migration data_fd the VMM may still hold (the layer's
 * svf_mig_close(), which also resets the parent's migration side) and
 * stops DMA logging the VMM left on at the parent: logging belongs to one
 * open of the device, so the next user must be able to start it and must
 * not see this one's dirty pages.
 */
void svf_pci_mig_close(struct svf_pci_dev *sdev)
{
	if (!sdev->migratable)
		return;
	svf_mig_close(&sdev->mig);
	if (sdev->logging) {
		/* -ENODEV once withdrawn: the parent's state is gone anyway. */
		svf_aux_fn_log_stop(sdev->fn);
		sdev->logging = false;
	}
}

/**
 * svf_pci_mig_uninit() - undo svf_pci_mig_init() (vfio release)
 * @sdev: the device; no fd or data_fd is open any more
 */
void svf_pci_mig_uninit(struct svf_pci_dev *sdev)
{
	if (!sdev->migratable)
		return;
	svf_mig_uninit(&sdev->mig);
	sdev->migratable = false;
}
