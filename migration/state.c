// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO v2 migration state machine, the deferred reset and withdrawal.
 *
 * Locking
 * -------
 * The state lock (a mutex in struct svf_mig_anchor) protects mig->state,
 * mig->save_file, mig->load_file, mig->withdrawn, anchor->mig, the
 * disconnected/final flags of the session files and every call of a
 * driver hook.  It is taken with svf_mig_lock() and dropped with
 * svf_mig_unlock(), which first runs a reset that svf_mig_reset()
 * deferred while the lock was busy.  Nothing copies to or from user
 * memory with it held: the ioctl paths of the vfio core copy outside our
 * callbacks, and the data_fd paths (file.c) copy under the file's own
 * lock only.  Lock order: file lock, then state lock, then reset_lock (a
 * spinlock, innermost).
 *
 * Why the lock has its own allocation
 * -----------------------------------
 * A data_fd must not keep its device alive (see file.c), yet it must be
 * able to ask "was I cut off?" at any time, also after the device and
 * the engine embedded in it are gone.  The anchor holding the state lock
 * is refcounted by the engine and by each file; a file takes the lock,
 * finds itself disconnected and lets go without touching the engine.  A
 * file that is not disconnected is one of the engine's sessions, and
 * svf_mig_uninit() disconnects those under the lock before the engine
 * goes away, so the engine is alive while such a file holds the lock.
 *
 * Deferred reset
 * --------------
 * A driver's reset path (VFIO_DEVICE_RESET, FLR) often runs with locks
 * that a hook also takes, so it must not wait for the state lock.
 * svf_mig_reset() sets deferred_reset under reset_lock and only tries the
 * mutex; whoever holds it sees the flag in svf_mig_unlock() (or
 * svf_mig_anchor_unlock(), from a data_fd) and performs the reset before
 * releasing, unless the engine is gone.  The flag is checked and the
 * mutex released under reset_lock, so a request is never lost.
 */
#include <linux/file.h>
#include <linux/slab.h>
#include "mig_internal.h"

static void svf_mig_do_reset(struct svf_mig *mig);

/**
 * svf_mig_anchor_alloc() - allocate the state lock of @mig
 * @mig: engine being initialised
 *
 * Return: the anchor with the engine's reference, or NULL.
 */
struct svf_mig_anchor *svf_mig_anchor_alloc(struct svf_mig *mig)
{
	struct svf_mig_anchor *a = kzalloc(sizeof(*a), GFP_KERNEL);

	if (!a)
		return NULL;
	mutex_init(&a->lock);
	spin_lock_init(&a->reset_lock);
	a->mig = mig;
	refcount_set(&a->ref, 1);
	return a;
}

/**
 * svf_mig_anchor_put() - drop a reference on an anchor
 * @a: anchor; freed with the last reference
 *
 * Context: process context, state lock not held.
 */
void svf_mig_anchor_put(struct svf_mig_anchor *a)
{
	if (!refcount_dec_and_test(&a->ref))
		return;
	mutex_destroy(&a->lock);
	kfree(a);
}

/**
 * svf_mig_anchor_lock() - take the state lock through the anchor
 * @a: anchor, referenced by the caller
 */
void svf_mig_anchor_lock(struct svf_mig_anchor *a)
{
	mutex_lock(&a->lock);
}

/**
 * svf_mig_anchor_unlock() - run a deferred reset, then drop the state lock
 * @a: anchor, referenced by the caller
 *
 * A deferred reset is performed only while the engine exists; once
 * svf_mig_uninit() cleared @a->mig there is nothing left to reset.
 */
void svf_mig_anchor_unlock(struct svf_mig_anchor *a)
{
again:
	spin_lock(&a->reset_lock);
	if (a->deferred_reset) {
		a->deferred_reset = false;
		spin_unlock(&a->reset_lock);
		if (a->mig)
			svf_mig_do_reset(a->mig);
		goto again;
	}
	mutex_unlock(&a->lock);
	spin_unlock(&a->reset_lock);
}

/**
 * svf_mig_lock() - take the state lock
 * @mig: engine
 */
void svf_mig_lock(struct svf_mig *mig)
{
	svf_mig_anchor_lock(mig->anchor);
}

/**
 * svf_mig_unlock() - run a deferred reset, then drop the state lock
 * @mig: engine
 */
void svf_mig_unlock(struct svf_mig *mig)
{
	svf_mig_anchor_unlock(mig->anchor);
}

/*
 * Called with the state lock held: end the saving and resuming sessions.
 * Their files are disconnected (cut off for good) and the engine drops its
 * file references; a file the user still holds keeps only its anchor.
 */
void svf_mig_end_sessions(struct svf_mig *mig)
{
	struct svf_mig_file *f;

	f = mig->save_file;
	if (f) {
		mig->save_file = NULL;
		svf_mig_file_disconnect(f);
		if (!mig->withdrawn && mig->cfg.ops->save_end)
			mig->cfg.ops->save_end(mig);
		fput(f->filp);
	}
	f = mig->load_file;
	if (f) {
		mig->load_file = NULL;
		svf_mig_file_disconnect(f);
		if (!mig->withdrawn && !f->aborted && mig->cfg.ops->load_abort)
			mig->cfg.ops->load_abort(mig);
		f->aborted = true;
		fput(f->filp);
	}
}

/* Called with the state lock held. */
static void svf_mig_do_reset(struct svf_mig *mig)
{
	svf_mig_end_sessions(mig);
	if (mig->withdrawn) {
		mig->state = VFIO_DEVICE_STATE_ERROR;
		return;
	}
	if (mig->cfg.ops->reset)
		mig->cfg.ops->reset(mig);
	mig->state = VFIO_DEVICE_STATE_RUNNING;
}

/**
 * svf_mig_reset() - the device was reset: migration back to RUNNING
 * @mig: engine
 *
 * Call from the driver's reset path (VFIO_DEVICE_RESET, FLR, the
 * vfio_pci_core reset_done handler), after the device itself was reset.
 * Ends any saving/resuming session (their data_fds fail from then on),
 * calls the reset hook and sets the state to RUNNING, which is also how
 * ERROR is left.  A withdrawn engine stays in ERROR.
 *
 * Context: process context.  Does not wait for the state lock: if it is
 * busy the reset is performed by its holder before it is released, so this
 * may be called with locks held that hooks take.
 */
void svf_mig_reset(struct svf_mig *mig)
{
	struct svf_mig_anchor *a = mig->anchor;

	spin_lock(&a->reset_lock);
	a->deferred_reset = true;
	spin_unlock(&a->reset_lock);
	if (!mutex_trylock(&a->lock))
		return;
	svf_mig_unlock(mig);
}
EXPORT_SYMBOL_GPL(svf_mig_reset);

/**
 * svf_mig_close() - the device fd was closed
 * @mig: engine
 *
 * Call from vfio_device_ops.close_device.  Cuts off every data_fd (their
 * read, write and VFIO_MIG_GET_PRECOPY_INFO fail with -ENODEV from then
 * on, whoever holds them), calls the reset hook, stops DMA logging (the
 * next user of the device starts with a clean tracker and cannot read
 * this one's dirty pages) and leaves the engine in RUNNING for the next
 * open.  After it returns no hook runs on behalf of a data_fd of this
 * open, so the device and its driver may go away while user space still
 * holds such a file.
 *
 * Context: process context; takes the state lock.
 */
void svf_mig_close(struct svf_mig *mig)
{
	svf_mig_lock(mig);
	svf_mig_do_reset(mig);
	svf_mig_unlock(mig);
	svf_dirty_close(mig);
}
EXPORT_SYMBOL_GPL(svf_mig_close);

/**
 * svf_mig_withdraw() - the backing device is gone
 * @mig: engine
 *
 * Call when the function behind the vfio_device disappears (the parent
 * withdrew it: aux remove(), surprise removal).  Waits for a hook in
 * progress, ends every session (save_end/load_abort are the last hooks
 * called), and sets the state to ERROR for good.  Once this returns no
 * hook is called again; open data_fds are cut off (-ENODEV), state changes
 * and size queries fail with -ENODEV, the state reads as ERROR, and a
 * reset does not leave ERROR.  Idempotent.
 *
 * Context: process context; takes the state lock.
 */
void svf_mig_withdraw(struct svf_mig *mig)
{
	svf_mig_lock(mig);
	svf_mig_end_sessions(mig);
	mig->withdrawn = true;
	mig->state = VFIO_DEVICE_STATE_ERROR;
	svf_mig_unlock(mig);
}
EXPORT_SYMBOL_GPL(svf_mig_withdraw);

/* How far a state lets the device run: 2 running, 1 quiesced, 0 stopped. */
static int svf_mig_level(enum vfio_device_mig_state s)
{
	switch (s) {
	case VFIO_DEVICE_STATE_RUNNING:
	case VFIO_DEVICE_STATE_PRE_COPY:
		return 2;
	case VFIO_DEVICE_STATE_RUNNING_P2P:
	case VFIO_DEVICE_STATE_PRE_COPY_P2P:
		return 1;
	default:
		return 0;
	}
}

static bool svf_mig_saving(enum vfio_device_mig_state s)
{
	return s == VFIO_DEVICE_STATE_PRE_COPY ||
	       s == VFIO_DEVICE_STATE_PRE_COPY_P2P ||
	       s == VFIO_DEVICE_STATE_STOP_COPY;
}

static int svf_mig_call(struct svf_mig *mig, int (*hook)(struct svf_mig *))
{
	return hook ? hook(mig) : 0;
}

/* Move the device between running levels @from and @to. */
static int svf_mig_change_level(struct svf_mig *mig, int from, int to)
{
	const struct svf_mig_ops *ops = mig->cfg.ops;
	int ret = 0;

	if (from == 2 && to < 2)
		ret = svf_mig_call(mig, ops->quiesce);
	if (!ret && from >= 1 && to == 0)
		ret = ops->stop(mig);
	if (!ret && from == 0 && to > 0)
		ret = ops->start(mig);
	if (!ret && from < 2 && to == 2)
		ret = svf_mig_call(mig, ops->unquiesce);
	return ret;
}

/*
 * RESUMING -> STOP: apply the stream if it was verified completely.
 * Returns -EINVAL (state unchanged, device untouched) for an incomplete or
 * rejected stream, or the commit hook's own errno (the device -> ERROR).
 */
static int svf_mig_commit(struct svf_mig *mig, bool *keep_state)
{
	struct svf_mig_file *f = mig->load_file;
	int ret;

	if (!f || !f->complete) {
		/*
		 * A VMM may retry this arc on the same session: log once per
		 * session (Documentation/driver-api/migration.rst, "Kernel
		 * log messages"), and not at all after a rejection, which
		 * logged already.
		 */
		if (f && !f->error && !f->told_truncated) {
			f->told_truncated = true;
			dev_err(mig->vdev->dev,
				"migration stream truncated: no end record after %u records\n",
				f->parser.seq);
		}
		*keep_state = true;
		return -EINVAL;
	}
	ret = mig->cfg.ops->load_commit(mig);
	f->aborted = true;	/* committed: nothing left to abort */
	return ret;
}

static int svf_mig_open_session(struct svf_mig *mig, bool saving,
				enum vfio_device_mig_state next,
				struct file **filp)
{
	const struct svf_mig_ops *ops = mig->cfg.ops;
	struct svf_mig_file *f;
	int ret;

	f = svf_mig_file_create(mig, saving);
	if (IS_ERR(f))
		return PTR_ERR(f);
	if (saving) {
		f->final = next == VFIO_DEVICE_STATE_STOP_COPY;
		ret = ops->save_begin ? ops->save_begin(mig, !f->final) : 0;
	} else {
		ret = svf_mig_call(mig, ops->load_begin);
	}
	if (ret) {
		svf_mig_file_disconnect(f);
		fput(f->filp);
		return ret;
	}
	/* One reference for the engine, one handed to the vfio core. */
	get_file(f->filp);
	if (saving)
		mig->save_file = f;
	else
		mig->load_file = f;
	*filp = f->filp;
	return 0;
}

/*
 * Perform one arc of the FSM as computed by vfio_mig_get_next_state().
 * Any legal single arc is the combination of: ending a session, a commit,
 * a change of running level, and starting a session.
 */
static int svf_mig_step(struct svf_mig *mig, enum vfio_device_mig_state next,
			struct file **filp, bool *keep_state)
{
	enum vfio_device_mig_state cur = mig->state;
	int ret;

	if (svf_mig_saving(cur) && !svf_mig_saving(next))
		svf_mig_end_sessions(mig);

	if (cur == VFIO_DEVICE_STATE_RESUMING) {
		ret = svf_mig_commit(mig, keep_state);
		if (ret)
			return ret;
		svf_mig_end_sessions(mig);
	}

	ret = svf_mig_change_level(mig, svf_mig_level(cur), svf_mig_level(next));
	if (ret)
		return ret;

	if (!svf_mig_saving(cur) && svf_mig_saving(next))
		return svf_mig_open_session(mig, true, next, filp);
	if (svf_mig_saving(cur) && next == VFIO_DEVICE_STATE_STOP_COPY &&
	    mig->save_file)
		WRITE_ONCE(mig->save_file->final, true);
	if (next == VFIO_DEVICE_STATE_RESUMING)
		return svf_mig_open_session(mig, false, next, filp);
	return 0;
}

static struct file *svf_mig_set_state(struct vfio_device *vdev,
				      enum vfio_device_mig_state new_state)
{
	struct svf_mig *mig = svf_mig_from_vdev(vdev);
	enum vfio_device_mig_state next;
	struct file *filp = NULL;
	bool keep_state = false;
	int ret = 0;

	if (!mig)
		return ERR_PTR(-ENODEV);

	svf_mig_lock(mig);
	if (mig->withdrawn) {
		ret = -ENODEV;
		goto out;
	}
	/* Only a reset leaves ERROR (the core's table WARNs on it). */
	if (mig->state == VFIO_DEVICE_STATE_ERROR) {
		ret = -EINVAL;
		goto out;
	}
	while (mig->state != new_state) {
		ret = vfio_mig_get_next_state(vdev, mig->state, new_state, &next);
		if (ret)
			break;
		/* Only the last arc of a path may open a data_fd. */
		if (WARN_ON_ONCE(filp)) {
			ret = -EINVAL;
			break;
		}
		ret = svf_mig_step(mig, next, &filp, &keep_state);
		if (ret) {
			if (!keep_state) {
				svf_mig_end_sessions(mig);
				mig->state = VFIO_DEVICE_STATE_ERROR;
			}
			break;
		}
		mig->state = next;
	}
out:
	svf_mig_unlock(mig);
	if (ret) {
		if (filp)
			fput(filp);
		return ERR_PTR(ret);
	}
	return filp;
}

static int svf_mig_get_state_op(struct vfio_device *vdev,
				enum vfio_device_mig_state *state)
{
	struct svf_mig *mig = svf_mig_from_vdev(vdev);

	if (!mig)
		return -ENODEV;
	*state = svf_mig_get_state(mig);
	return 0;
}

static int svf_mig_data_size(struct vfio_device *vdev, unsigned long *len)
{
	struct svf_mig *mig = svf_mig_from_vdev(vdev);
	struct svf_mig_pending p = {};
	u64 chunks, head;
	int ret = 0;

	if (!mig)
		return -ENODEV;
	svf_mig_lock(mig);
	/*
	 * Within a save session the header was produced at its start: it
	 * and whatever else was produced but not read yet are the file's
	 * unread bytes.  Without one a save would start with the header.
	 */
	head = mig->save_file ? READ_ONCE(mig->save_file->unread) :
				sizeof(struct svf_stream_hdr);
	if (mig->withdrawn)
		ret = -ENODEV;
	else if (mig->cfg.ops->pending)
		ret = mig->cfg.ops->pending(mig, &p);
	svf_mig_unlock(mig);
	if (ret)
		return ret;
	/* Framing: one record header per chunk, and the end record. */
	chunks = p.stop_copy_records ?:
		 div_u64(p.stop_copy + mig->cfg.chunk_size - 1, mig->cfg.chunk_size);
	*len = head + p.stop_copy + (chunks + 1) * sizeof(struct svf_stream_rec) +
	       sizeof(struct svf_stream_end);
	return 0;
}

/*
 * svf_mig_vfio_ops: vfio_migration_ops of every engine
 *
 * svf_mig_init() stores it in vfio_device.mig_ops.
 */
const struct vfio_migration_ops svf_mig_vfio_ops = {
	.migration_set_state = svf_mig_set_state,
	.migration_get_state = svf_mig_get_state_op,
	.migration_get_data_size = svf_mig_data_size,
};
