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
 * close_device, withdrawal) the engine marks the file disconnected and
 * drops its reference; every later read/write/ioctl fails with -ENODEV.
 * The file pins the vfio_device (get_device) and the driver module, so
 * f->mig stays valid until release, which touches no engine state.
 *
 * Locking
 * -------
 * f->lock serialises the operations of one file and guards the buffer and
 * parser.  A hook is called with f->lock then mig->state_lock held; user
 * memory is copied with f->lock only.  f->disconnected and f->final are
 * written under mig->state_lock and read under it before any hook call.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "mig_internal.h"

#define SVF_REC_HDR	sizeof(struct svf_stream_rec)

/* Called with mig->state_lock held. */
void svf_mig_file_disconnect(struct svf_mig_file *f)
{
	WRITE_ONCE(f->disconnected, true);
}

/* Frame the chunk in f->buf and account for it; f->lock held. */
static void svf_mig_file_frame(struct svf_mig_file *f, u16 type, size_t len)
{
	void *payload = f->buf + SVF_REC_HDR;

	svf_stream_frame(f->buf, type, f->seq, payload, len);
	f->pos = 0;
	f->len = SVF_REC_HDR + len;
	if (type == SVF_REC_END)
		return;
	f->seq++;
	f->bytes += len;
}

static int svf_mig_file_produce(struct svf_mig_file *f)
{
	struct svf_mig *mig = f->mig;
	struct svf_mig_chunk chunk = {
		.buf = f->buf + SVF_REC_HDR,
		.size = mig->cfg.chunk_size,
	};
	bool final;
	int ret;

	svf_mig_lock(mig);
	if (f->disconnected) {
		svf_mig_unlock(mig);
		return -ENODEV;
	}
	final = f->final;
	ret = mig->cfg.ops->save(mig, final, &chunk);
	svf_mig_unlock(mig);
	if (ret)
		return ret;

	if (chunk.len > chunk.size ||
	    (chunk.len && chunk.type < SVF_MIG_REC_DRIVER)) {
		dev_err(mig->vdev->dev, "migration: bad chunk from driver (type %#x, %zu bytes)\n",
			chunk.type, chunk.len);
		return -EIO;
	}
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
	if (!f->hdr_sent) {
		svf_stream_fill_hdr(f->mig, f->buf);
		f->pos = 0;
		f->len = sizeof(struct svf_stream_hdr);
		f->hdr_sent = true;
		return 0;
	}
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
		done += n;
	}
out:
	mutex_unlock(&f->lock);
	if (done)
		return done;
	return ret == 1 ? 0 : ret;
}

/* Called with mig->state_lock held: the stream was rejected. */
void svf_mig_file_reject(struct svf_mig_file *f)
{
	struct svf_mig *mig = f->mig;

	if (!f->disconnected && !f->aborted && mig->cfg.ops->load_abort)
		mig->cfg.ops->load_abort(mig);
	f->aborted = true;
}

static int svf_mig_file_fail(struct svf_mig_file *f)
{
	struct svf_mig *mig = f->mig;

	f->error = -EINVAL;
	f->parser.stage = SVF_PARSE_BAD;
	svf_mig_lock(mig);
	svf_mig_file_reject(f);
	svf_mig_unlock(mig);
	return -EINVAL;
}

/* A verified record: hand it to the device, or finish the stream. */
static int svf_mig_file_deliver(struct svf_mig_file *f)
{
	struct svf_stream_parser *p = &f->parser;
	struct svf_mig *mig = f->mig;
	u16 type = le16_to_cpu(p->rec.type);
	u32 len = le32_to_cpu(p->rec.len);
	int ret = 0;

	svf_mig_lock(mig);
	if (f->disconnected) {
		ret = -ENODEV;
	} else if (type == SVF_REC_END) {
		f->complete = true;
		p->stage = SVF_PARSE_DONE;
	} else {
		ret = mig->cfg.ops->load_stage(mig, type, p->payload, len);
		if (ret) {
			dev_err(mig->vdev->dev,
				"migration stream rejected: record %u (type %#x) refused by the device (%d)\n",
				p->seq, type, ret);
			ret = -EINVAL;
		}
	}
	svf_mig_unlock(mig);
	if (ret || type == SVF_REC_END)
		return ret;
	p->seq++;
	p->bytes += len;
	p->stage = SVF_PARSE_REC;
	p->have = 0;
	return 0;
}

static int svf_mig_file_payload_done(struct svf_mig_file *f)
{
	int ret;

	ret = svf_stream_check_payload(f->mig, &f->parser);
	if (ret)
		return ret;
	return svf_mig_file_deliver(f);
}

/* The item the parser collected is complete: check it and move on. */
static int svf_mig_file_item_done(struct svf_mig_file *f)
{
	struct svf_stream_parser *p = &f->parser;
	int ret;

	switch (p->stage) {
	case SVF_PARSE_HDR:
		ret = svf_stream_check_hdr(f->mig, &p->hdr);
		if (ret)
			return ret;
		p->stage = SVF_PARSE_REC;
		p->have = 0;
		return 0;
	case SVF_PARSE_REC:
		ret = svf_stream_check_rec(f->mig, p);
		if (ret)
			return ret;
		p->stage = SVF_PARSE_PAYLOAD;
		p->have = 0;
		if (!p->rec.len)
			return svf_mig_file_payload_done(f);
		return 0;
	case SVF_PARSE_PAYLOAD:
		return svf_mig_file_payload_done(f);
	default:
		return -EINVAL;
	}
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
		if (p->stage == SVF_PARSE_DONE) {
			dev_err(f->mig->vdev->dev,
				"migration stream rejected: data after the end record\n");
			return svf_mig_file_fail(f);
		}
		dst = svf_mig_file_dest(p, &want);
		n = min(want, count - done);
		if (copy_from_user(dst, ubuf + done, n))
			return -EFAULT;
		p->have += n;
		done += n;
		if (n == want) {
			ret = svf_mig_file_item_done(f);
			if (ret == -EINVAL)
				return svf_mig_file_fail(f);
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
	struct svf_mig *mig = f->mig;
	struct svf_mig_pending p = {};
	u64 unread;
	long ret = 0;

	mutex_lock(&f->lock);
	svf_mig_lock(mig);
	if (f->disconnected)
		ret = -ENODEV;
	else if (mig->state != VFIO_DEVICE_STATE_PRE_COPY &&
		 mig->state != VFIO_DEVICE_STATE_PRE_COPY_P2P)
		ret = -EINVAL;
	else if (mig->cfg.ops->pending)
		mig->cfg.ops->pending(mig, &p);
	svf_mig_unlock(mig);
	unread = f->len - f->pos;
	if (!f->hdr_sent)
		unread += sizeof(struct svf_stream_hdr);
	mutex_unlock(&f->lock);
	if (ret)
		return ret;
	info->initial_bytes = p.initial + unread;
	info->dirty_bytes = p.dirty;
	return 0;
}

static long svf_mig_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	struct svf_mig_file *f = filp->private_data;
	size_t minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vfio_precopy_info info;
	long ret;

	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	if (!f->saving)
		return -EINVAL;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	ret = svf_mig_precopy_info(f, &info);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static int svf_mig_release(struct inode *inode, struct file *filp)
{
	struct svf_mig_file *f = filp->private_data;
	struct vfio_device *vdev = f->vdev;
	struct module *owner = f->owner;

	kvfree(f->buf);
	kvfree(f->parser.payload);
	mutex_destroy(&f->lock);
	kfree(f);
	/* May run the driver's release (svf_mig_uninit); module still pinned. */
	put_device(&vdev->device);
	module_put(owner);
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
	f->mig = mig;
	f->vdev = mig->vdev;
	f->owner = mig->owner;
	f->saving = saving;
	if (saving) {
		f->buf_size = SVF_REC_HDR + mig->cfg.chunk_size;
		f->buf = kvmalloc(f->buf_size, GFP_KERNEL_ACCOUNT);
		if (!f->buf)
			goto err_free;
	}
	if (!try_module_get(f->owner)) {
		ret = -ENODEV;
		goto err_buf;
	}
	get_device(&f->vdev->device);
	f->filp = anon_inode_getfile("[snapvf_mig]", &svf_mig_fops, f,
				     saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(f->filp)) {
		ret = PTR_ERR(f->filp);
		goto err_ref;
	}
	stream_open(f->filp->f_inode, f->filp);
	return f;

err_ref:
	put_device(&f->vdev->device);
	module_put(f->owner);
err_buf:
	kvfree(f->buf);
err_free:
	mutex_destroy(&f->lock);
	kfree(f);
	return ERR_PTR(ret);
}
