// SPDX-License-Identifier: GPL-2.0
/*
 * data_fd: the stream file of one saving or resuming session.
 *
 * Lifetime
 * --------
 * A session file is created by an arc into PRE_COPY/STOP_COPY (saving) or
 * RESUMING.  It starts with two references: one the vfio core installs as
 * the user's fd, one the engine keeps in mig->save_file/load_file.  When
 * the session ends (the device leaves the states of the session, reset,
 * close_device, withdrawal, uninit) the engine marks the file
 * disconnected under the state lock and drops its reference.  That is the
 * cut-off: every later read, write and VFIO_MIG_GET_PRECOPY_INFO fails
 * with -ENODEV, even if bytes produced before it are still buffered (they
 * are never returned), and whatever the device does next (another open,
 * another session) is out of the file's reach.
 *
 * The file holds no reference on the vfio_device, the driver's module,
 * the parent or the auxiliary device: only on the anchor (the engine's
 * state lock, layer memory) and, through its file operations, on
 * snapvf_mig.  So closing the device fd, removing the device and
 * unloading the driver and the parent all proceed while user space holds
 * the file; its release frees the file's own memory and drops the anchor,
 * and never calls into the driver.
 *
 * Locking
 * -------
 * f->lock serialises the operations of one file and guards the buffer and
 * parser.  Every access to the engine happens with f->lock, then the state
 * lock held, after checking f->disconnected under the state lock
 * (svf_mig_file_enter()); user memory is copied with f->lock only.
 * f->disconnected and f->final are written under the state lock.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "mig_internal.h"

#define SVF_REC_HDR	sizeof(struct svf_stream_rec)

/* Called with the state lock held: cut the file off for good. */
void svf_mig_file_disconnect(struct svf_mig_file *f)
{
	WRITE_ONCE(f->disconnected, true);
}

/*
 * Take the state lock on behalf of @f (f->lock held).  Returns the engine,
 * alive until svf_mig_file_leave(), or NULL if the session was cut off;
 * the state lock is held either way.
 */
static struct svf_mig *svf_mig_file_enter(struct svf_mig_file *f)
{
	svf_mig_anchor_lock(f->anchor);
	if (f->disconnected)
		return NULL;
	return f->anchor->mig;
}

static void svf_mig_file_leave(struct svf_mig_file *f)
{
	svf_mig_anchor_unlock(f->anchor);
}

/* Frame the chunk in f->buf and account for it; f->lock held. */
static void svf_mig_file_frame(struct svf_mig_file *f, u16 type, size_t len)
{
	void *payload = f->buf + SVF_REC_HDR;

	svf_stream_frame(f->buf, type, f->seq, payload, len);
	f->pos = 0;
	f->len = SVF_REC_HDR + len;
	WRITE_ONCE(f->unread, f->len);
	if (type == SVF_REC_END)
		return;
	f->seq++;
	f->bytes += len;
}

static int svf_mig_file_produce(struct svf_mig_file *f)
{
	struct svf_mig_chunk chunk = {
		.buf = f->buf + SVF_REC_HDR,
		.size = f->buf_size - SVF_REC_HDR,
	};
	struct svf_mig *mig;
	bool final = false;
	int ret;

	mig = svf_mig_file_enter(f);
	if (!mig) {
		ret = -ENODEV;
		goto out;
	}
	final = f->final;
	chunk.size = min_t(size_t, chunk.size, mig->cfg.chunk_size);
	ret = mig->cfg.ops->save(mig, final, &chunk);
	/* Once per session: svf_mig_file_refill() latches the -EIO. */
	if (!ret && (chunk.len > chunk.size ||
		     (chunk.len && chunk.type < SVF_MIG_REC_DRIVER))) {
		dev_err(mig->vdev->dev, "migration: bad chunk from driver (type %#x, %zu bytes)\n",
			chunk.type, chunk.len);
		ret = -EIO;
	}
out:
	svf_mig_file_leave(f);
	if (ret)
		return ret;
	if (chunk.len) {
		svf_mig_file_frame(f, chunk.type, chunk.len);
		return 0;
	}
	if (!final)
		return -ENOMSG;
	svf_stream_fill_end(f->buf + SVF_REC_HDR, f->seq, f->bytes);
	svf_mig_file_frame(f, SVF_REC_END, sizeof(struct svf_stream_end));
	f->end_sent = true;
	return 0;
}

/*
 * Make f->buf hold unread bytes.  Returns 0 when it does, 1 at the end of
 * the stream, -ENOMSG at a temporary end (pre-copy), or -errno.
 */
static int svf_mig_file_refill(struct svf_mig_file *f)
{
	int ret;

	if (f->error)
		return f->error;
	if (f->end_sent)
		return 1;
	ret = svf_mig_file_produce(f);
	if (ret && ret != -ENOMSG && ret != -ENODEV)
		f->error = ret;
	return ret;
}

static ssize_t svf_mig_read(struct file *filp, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct svf_mig_file *f = filp->private_data;
	size_t done = 0, n;
	int ret = 0;

	mutex_lock(&f->lock);
	/* Cut off: nothing buffered before the cut is handed out either. */
	if (READ_ONCE(f->disconnected)) {
		ret = -ENODEV;
		goto out;
	}
	while (done < count) {
		if (f->pos == f->len) {
			ret = svf_mig_file_refill(f);
			if (ret)
				break;
		}
		n = min(count - done, f->len - f->pos);
		if (copy_to_user(ubuf + done, f->buf + f->pos, n)) {
			ret = -EFAULT;
			break;
		}
		f->pos += n;
		WRITE_ONCE(f->unread, f->len - f->pos);
		done += n;
	}
out:
	mutex_unlock(&f->lock);
	if (done)
		return done;
	return ret == 1 ? 0 : ret;
}

/* Called with the state lock held, @mig alive: the stream was rejected. */
static void svf_mig_file_reject(struct svf_mig *mig, struct svf_mig_file *f)
{
	if (!f->disconnected && !f->aborted && mig->cfg.ops->load_abort)
		mig->cfg.ops->load_abort(mig);
	f->aborted = true;
}

/* The stream is rejected for good (state lock held, @mig alive). */
static int svf_mig_file_fail(struct svf_mig *mig, struct svf_mig_file *f)
{
	f->error = -EINVAL;
	f->parser.stage = SVF_PARSE_BAD;
	svf_mig_file_reject(mig, f);
	return -EINVAL;
}

/* A verified record: hand it to the device, or finish the stream. */
static int svf_mig_file_deliver(struct svf_mig *mig, struct svf_mig_file *f)
{
	struct svf_stream_parser *p = &f->parser;
	u16 type = le16_to_cpu(p->rec.type);
	u32 len = le32_to_cpu(p->rec.len);
	int ret;

	if (type == SVF_REC_END) {
		f->complete = true;
		p->stage = SVF_PARSE_DONE;
		return 0;
	}
	ret = mig->cfg.ops->load_stage(mig, type, p->payload, len);
	/* Once per session, as every rejection (stream.c): the caller latches it. */
	if (ret) {
		dev_err(mig->vdev->dev,
			"migration stream rejected: record %u (type %#x) refused by the device (%d)\n",
			p->seq, type, ret);
		return -EINVAL;
	}
	p->seq++;
	p->bytes += len;
	p->stage = SVF_PARSE_REC;
	p->have = 0;
	return 0;
}

static int svf_mig_file_payload_done(struct svf_mig *mig,
				     struct svf_mig_file *f)
{
	int ret;

	ret = svf_stream_check_payload(mig, &f->parser);
	if (ret)
		return ret;
	return svf_mig_file_deliver(mig, f);
}

/*
 * The item the parser collected is complete: check it and move on.  Called
 * with the state lock held and @mig alive.
 */
static int svf_mig_file_item_done(struct svf_mig *mig, struct svf_mig_file *f)
{
	struct svf_stream_parser *p = &f->parser;
	int ret;

	switch (p->stage) {
	case SVF_PARSE_HDR:
		ret = svf_stream_check_hdr(mig, &p->hdr);
		if (ret)
			return ret;
		p->stage = SVF_PARSE_REC;
		p->have = 0;
		return 0;
	case SVF_PARSE_REC:
		ret = svf_stream_check_rec(mig, p);
		if (ret)
			return ret;
		p->stage = SVF_PARSE_PAYLOAD;
		p->have = 0;
		if (!p->rec.len)
			return svf_mig_file_payload_done(mig, f);
		return 0;
	case SVF_PARSE_PAYLOAD:
		return svf_mig_file_payload_done(mig, f);
	case SVF_PARSE_DONE:
		dev_err(mig->vdev->dev,
			"migration stream rejected: data after the end record\n");
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

/* Process the completed item (or stray data) under the state lock. */
static int svf_mig_file_advance(struct svf_mig_file *f)
{
	struct svf_mig *mig;
	int ret;

	mig = svf_mig_file_enter(f);
	if (!mig) {
		ret = -ENODEV;
	} else {
		ret = svf_mig_file_item_done(mig, f);
		if (ret == -EINVAL)
			ret = svf_mig_file_fail(mig, f);
	}
	svf_mig_file_leave(f);
	return ret;
}

/* Where the next incoming bytes go and how many the current item needs. */
static void *svf_mig_file_dest(struct svf_stream_parser *p, size_t *want)
{
	switch (p->stage) {
	case SVF_PARSE_HDR:
		*want = sizeof(p->hdr) - p->have;
		return (u8 *)&p->hdr + p->have;
	case SVF_PARSE_REC:
		*want = sizeof(p->rec) - p->have;
		return (u8 *)&p->rec + p->have;
	case SVF_PARSE_PAYLOAD:
		*want = le32_to_cpu(p->rec.len) - p->have;
		return p->payload + p->have;
	default:
		*want = 0;
		return NULL;
	}
}

static ssize_t svf_mig_write_locked(struct svf_mig_file *f,
				    const char __user *ubuf, size_t count)
{
	struct svf_stream_parser *p = &f->parser;
	size_t done = 0, want, n;
	void *dst;
	int ret;

	if (READ_ONCE(f->disconnected))
		return -ENODEV;
	if (f->error)
		return f->error;
	while (done < count) {
		if (p->stage == SVF_PARSE_DONE)
			return svf_mig_file_advance(f);
		dst = svf_mig_file_dest(p, &want);
		n = min(want, count - done);
		if (copy_from_user(dst, ubuf + done, n))
			return -EFAULT;
		p->have += n;
		done += n;
		if (n == want) {
			ret = svf_mig_file_advance(f);
			if (ret)
				return ret;
		}
	}
	return done;
}

static ssize_t svf_mig_write(struct file *filp, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct svf_mig_file *f = filp->private_data;
	ssize_t ret;

	mutex_lock(&f->lock);
	ret = svf_mig_write_locked(f, ubuf, count);
	mutex_unlock(&f->lock);
	return ret;
}

static long svf_mig_precopy_info(struct svf_mig_file *f,
				 struct vfio_precopy_info *info)
{
	struct svf_mig_pending p = {};
	struct svf_mig *mig;
	long ret = 0;

	mutex_lock(&f->lock);
	mig = svf_mig_file_enter(f);
	if (!mig)
		ret = -ENODEV;
	else if (!f->saving)
		ret = -EINVAL;
	else if (mig->state != VFIO_DEVICE_STATE_PRE_COPY &&
		 mig->state != VFIO_DEVICE_STATE_PRE_COPY_P2P)
		ret = -EINVAL;
	else if (mig->cfg.ops->pending)
		ret = mig->cfg.ops->pending(mig, &p);
	svf_mig_file_leave(f);
	if (!ret) {
		info->initial_bytes = p.initial + (f->len - f->pos);
		info->dirty_bytes = p.dirty;
	}
	mutex_unlock(&f->lock);
	return ret;
}

/*
 * VFIO_MIG_GET_PRECOPY_INFO: -ENODEV once cut off (both kinds of file),
 * -EINVAL on a resuming file or outside PRE_COPY(_P2P).
 */
static long svf_mig_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	struct svf_mig_file *f = filp->private_data;
	size_t minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vfio_precopy_info info;
	long ret;

	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	ret = svf_mig_precopy_info(f, &info);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/*
 * The last reference to the file is gone.  The engine dropped its own
 * reference when it cut the session off, so the file is disconnected and
 * nothing here reaches the engine, its device or its driver.
 */
static int svf_mig_release(struct inode *inode, struct file *filp)
{
	struct svf_mig_file *f = filp->private_data;

	WARN_ON_ONCE(!READ_ONCE(f->disconnected));
	kvfree(f->buf);
	kvfree(f->parser.payload);
	mutex_destroy(&f->lock);
	svf_mig_anchor_put(f->anchor);
	kfree(f);
	return 0;
}

static const struct file_operations svf_mig_fops = {
	.owner = THIS_MODULE,
	.read = svf_mig_read,
	.write = svf_mig_write,
	.unlocked_ioctl = svf_mig_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = svf_mig_release,
};

/**
 * svf_mig_file_create() - create the file of a new session
 * @mig: engine, state lock held
 * @saving: saving (read-only file) or resuming (write-only file)
 *
 * A saving file starts with the stream header in its buffer (built here,
 * under the state lock, from the engine's identity).
 *
 * Return: the session with one file reference, or ERR_PTR(-errno).
 */
struct svf_mig_file *svf_mig_file_create(struct svf_mig *mig, bool saving)
{
	struct svf_mig_file *f;
	int ret = -ENOMEM;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return ERR_PTR(-ENOMEM);
	mutex_init(&f->lock);
	f->anchor = mig->anchor;
	f->saving = saving;
	if (saving) {
		f->buf_size = max(SVF_REC_HDR + mig->cfg.chunk_size,
				  sizeof(struct svf_stream_hdr));
		f->buf = kvmalloc(f->buf_size, GFP_KERNEL_ACCOUNT);
		if (!f->buf)
			goto err_free;
		svf_stream_fill_hdr(mig, f->buf);
		f->pos = 0;
		f->len = sizeof(struct svf_stream_hdr);
		f->unread = f->len;
	}
	refcount_inc(&f->anchor->ref);
	f->filp = anon_inode_getfile("[snapvf_mig]", &svf_mig_fops, f,
				     saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(f->filp)) {
		ret = PTR_ERR(f->filp);
		goto err_ref;
	}
	stream_open(f->filp->f_inode, f->filp);
	return f;

err_ref:
	refcount_dec(&f->anchor->ref);	/* the engine holds another one */
	kvfree(f->buf);
err_free:
	mutex_destroy(&f->lock);
	kfree(f);
	return ERR_PTR(ret);
}
