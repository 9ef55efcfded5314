// SPDX-License-Identifier: GPL-2.0
/*
 * Save and load sessions over SAVE_VHCA_STATE / LOAD_VHCA_STATE.
 *
 * Saving: each round asks the firmware for images at its start and keeps
 * them until the consumer has read them (so &svf_aux_pending.round_bytes
 * is exact).  Round 0 of a pre-copy session is a full image with tracking
 * set; later pre-copy rounds are incremental images with tracking kept;
 * the final round is incremental with tracking cleared after pre-copy, a
 * full image without it.  In chunk mode (SVF_MLX5_CAP_CHUNKS) an image
 * comes as several chunks, each loadable on its own in order.  The bytes
 * handed to the consumer are the images behind struct svf_mlx5_rec_hdr
 * and an END header at the end of the final round.
 *
 * Tracking: the firmware tracks the function from the first
 * SAVE_VHCA_STATE with set_track until one without it (or a function
 * reset).  A session records whether it left tracking on
 * (&svf_mlx5_save.tracking); save_end of a session that did (a cancelled
 * or failed pre-copy) stops it with one non-tracking incremental save,
 * which the firmware only takes from a suspended function: a running one
 * is suspended for that command and resumed (svf_mlx5_track_stop()).
 *
 * Loading: the stream is parsed as it arrives, each image staged in a
 * firmware buffer; load_commit checks the staged stream once more (every
 * image complete, the end record seen) and only then loads the images in
 * order.  Malformed, truncated and oversize streams therefore never reach
 * the firmware.  The firmware applies each image when it loads it, so a
 * firmware failure on image 2 or later leaves the function partly
 * loaded: load_commit then fails, logs it once and marks the function
 * (&svf_mlx5_vf.partial) so that it refuses to run again until its reset,
 * which gives the firmware a clean VHCA (include/snapvf/aux.h, load_commit).
 *
 * Limits, both sides derived from the firmware's own sizes: a save takes
 * what QUERY_VHCA_MIGRATION_STATE asks for, at most SVF_MLX5_MAX_IMAGE per
 * image or chunk and SVF_MLX5_MAX_CHUNKS chunks per round; a load asks the
 * destination function the size of its own full image (F) at load_start
 * and stages at most clamp(SVF_MLX5_LOAD_FULLS * F, SVF_MLX5_LOAD_FLOOR,
 * SVF_MLX5_MAX_STAGED) bytes (no image over SVF_MLX5_MAX_IMAGE) in at
 * most SVF_MLX5_MAX_LOAD_IMAGES images per session (-EFBIG beyond, one line;
 * the migration layer turns it into -EINVAL for write()).
 * A round holds all its images in memory at once, a load the whole
 * stream; the commands are synchronous.
 *
 * All functions run with vf->lock held (the ops take it).
 */
#include <linux/math64.h>
#include <linux/slab.h>

#include "priv.h"

struct svf_mlx5_img {
	struct list_head node;
	struct svf_mlx5_buf *buf;
	u32 len;			/* image bytes in @buf */
};

struct svf_mlx5_save {
	bool precopy;
	bool initial;			/* current round is round 0 */
	bool final;			/* final round started */
	bool end_due;			/* END header still to return */
	bool tracking;			/* firmware tracks the function */
	int error;			/* session unusable: its errno */
	struct list_head imgs;		/* unread images, oldest first */
	u32 off;			/* bytes of the head record returned */
	u64 round_bytes;		/* bytes still to return */
};

struct svf_mlx5_load {
	struct svf_mlx5_rec_hdr hdr;
	u32 hdr_got;			/* header bytes of the current record */
	struct svf_mlx5_img *cur;	/* image being received */
	struct list_head imgs;		/* complete images, in order */
	u64 staged;			/* bytes of all images received */
	u32 count;			/* images received */
	u64 max_staged;			/* limits, from the full image size */
	u32 max_images;
	u32 max_image;
	bool end;			/* END seen */
	int error;
};

#define SVF_MLX5_HDR_LEN	sizeof(struct svf_mlx5_rec_hdr)

static struct svf_mlx5_vf *svf_mlx5_vf(struct svf_aux_fn *afn)
{
	return afn->priv;
}

static void svf_mlx5_img_free(struct svf_mlx5_vf *vf, struct svf_mlx5_img *img)
{
	if (img->buf)
		vf->chan->ops->buf_free(vf->chan, img->buf);
	kfree(img);
}

static void svf_mlx5_imgs_free(struct svf_mlx5_vf *vf, struct list_head *l)
{
	struct svf_mlx5_img *img, *tmp;

	list_for_each_entry_safe(img, tmp, l, node) {
		list_del(&img->node);
		svf_mlx5_img_free(vf, img);
	}
}

static struct svf_mlx5_img *svf_mlx5_img_alloc(struct svf_mlx5_vf *vf,
					       u32 size)
{
	struct svf_mlx5_img *img;

	img = kzalloc(sizeof(*img), GFP_KERNEL);
	if (!img)
		return ERR_PTR(-ENOMEM);
	img->buf = vf->chan->ops->buf_alloc(vf->chan, size);
	if (IS_ERR(img->buf)) {
		int ret = PTR_ERR(img->buf);

		kfree(img);
		return ERR_PTR(ret);
	}
	return img;
}

/**
 * svf_mlx5_save_free() - drop a save session and its buffers
 * @vf: the function (vf->lock held, or no op can run any more)
 */
void svf_mlx5_save_free(struct svf_mlx5_vf *vf)
{
	struct svf_mlx5_save *s = vf->save;

	if (!s)
		return;
	svf_mlx5_imgs_free(vf, &s->imgs);
	kfree(s);
	vf->save = NULL;
}

/*
 * Ask the firmware for one image (all its chunks) and queue it.
 * @incremental/@track as in SAVE_VHCA_STATE.
 */
static int svf_mlx5_save_image(struct svf_aux_fn *afn, bool incremental,
			       bool track)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	struct svf_mlx5_save *s = vf->save;
	bool chunk = vf->chan->caps & SVF_MLX5_CAP_CHUNKS;
	struct svf_mlx5_mig_query q;
	struct svf_mlx5_save_out res;
	struct svf_mlx5_img *img;
	u32 size, n = 0;
	int ret;

	ret = svf_mlx5_cmd_query_mig(vf->chan, &vf->pdev->dev, vf->vhca_id,
				     incremental, chunk, &q);
	if (ret)
		return ret;
	size = q.required;
	while (size) {
		if (svf_aux_withdrawing(&afn->core))
			return -ENODEV;
		if (size > SVF_MLX5_MAX_IMAGE || ++n > SVF_MLX5_MAX_CHUNKS) {
			svf_mlx5_err_rl(vf, "firmware asks for %u bytes (chunk %u): too big\n",
					size, n);
			return -EFBIG;
		}
		img = svf_mlx5_img_alloc(vf, size);
		if (IS_ERR(img))
			return PTR_ERR(img);
		ret = svf_mlx5_cmd_save(vf->chan, &vf->pdev->dev, vf->vhca_id,
					img->buf, size, incremental, track,
					&res);
		if (ret) {
			svf_mlx5_img_free(vf, img);
			return ret;
		}
		/* the image's first SAVE sets or clears firmware tracking */
		s->tracking = track;
		size = chunk ? res.next : 0;
		if (!res.actual) {
			/* nothing to carry; the loader refuses empty images */
			svf_mlx5_img_free(vf, img);
			continue;
		}
		img->len = res.actual;
		list_add_tail(&img->node, &s->imgs);
		s->round_bytes += SVF_MLX5_HDR_LEN + img->len;
	}
	return 0;
}

static void svf_mlx5_track_stop(struct svf_aux_fn *afn);

/**
 * svf_mlx5_save_start() - &svf_aux_fn_ops.save_start
 * @afn: the function
 * @flags: SVF_AUX_SAVE_PRECOPY or 0
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_save_start(struct svf_aux_fn *afn, u32 flags)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	bool precopy = flags & SVF_AUX_SAVE_PRECOPY;
	struct svf_mlx5_save *s;
	int ret = 0;

	mutex_lock(&vf->lock);
	if (vf->save || vf->load) {
		svf_mlx5_err_rl(vf, "save: a save or load session is open\n");
		ret = -EBUSY;
		goto out;
	}
	if (!precopy && vf->dstate != SVF_MLX5_STOP) {
		svf_mlx5_err_rl(vf, "save without pre-copy needs a stopped function\n");
		ret = -EINVAL;
		goto out;
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}
	INIT_LIST_HEAD(&s->imgs);
	s->precopy = precopy;
	s->initial = true;
	vf->save = s;
	if (precopy) {
		/* round 0: everything, and track changes from here on */
		ret = svf_mlx5_save_image(afn, false, true);
		if (ret) {
			/*
			 * The chunks saved before the failure turned tracking
			 * on, and no save_end follows a failed start.
			 */
			if (s->tracking && !svf_aux_withdrawing(&afn->core))
				svf_mlx5_track_stop(afn);
			svf_mlx5_save_free(vf);
		}
	}
out:
	mutex_unlock(&vf->lock);
	return ret;
}

/**
 * svf_mlx5_save_round() - &svf_aux_fn_ops.save_round
 * @afn: the function
 * @final: the final round (function stopped)
 *
 * Return: 0 or a negative errno (the session is then unusable).
 */
int svf_mlx5_save_round(struct svf_aux_fn *afn, bool final)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	struct svf_mlx5_save *s;
	int ret;

	mutex_lock(&vf->lock);
	s = vf->save;
	if (!s || s->final || s->error) {
		ret = s && s->error ? s->error : -EINVAL;
		goto out;
	}
	if (final && vf->dstate != SVF_MLX5_STOP) {
		svf_mlx5_err_rl(vf, "final save round needs a stopped function\n");
		ret = -EINVAL;
		goto out;
	}
	if (!final && !s->precopy) {
		ret = -EINVAL;
		goto out;
	}
	s->initial = false;
	/*
	 * After pre-copy the firmware tracks the function: the final image
	 * is incremental and ends tracking.  Without pre-copy it is full.
	 */
	ret = svf_mlx5_save_image(afn, s->precopy, !final);
	if (ret) {
		s->error = ret;
		goto out;
	}
	if (final) {
		s->final = true;
		s->end_due = true;
		s->round_bytes += SVF_MLX5_HDR_LEN;
	}
out:
	mutex_unlock(&vf->lock);
	return ret;
}

/**
 * svf_mlx5_save_chunk() - &svf_aux_fn_ops.save_chunk
 * @afn: the function
 * @buf: destination
 * @len: its size
 *
 * Return: bytes copied, 0 at the end of the round, or a negative errno.
 */
ssize_t svf_mlx5_save_chunk(struct svf_aux_fn *afn, void *buf, size_t len)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	struct svf_mlx5_rec_hdr hdr = {
		.magic = cpu_to_le32(SVF_MLX5_REC_MAGIC),
		.version = cpu_to_le16(SVF_MLX5_REC_VERSION),
	};
	struct svf_mlx5_save *s;
	struct svf_mlx5_img *img;
	size_t done = 0, n;
	ssize_t ret;

	mutex_lock(&vf->lock);
	s = vf->save;
	if (!s) {
		ret = -EINVAL;
		goto out;
	}
	if (s->error) {
		ret = s->error;
		goto out;
	}
	while (done < len) {
		img = list_first_entry_or_null(&s->imgs, struct svf_mlx5_img,
					       node);
		if (img) {
			hdr.type = cpu_to_le16(SVF_MLX5_REC_IMAGE);
			hdr.size = cpu_to_le32(img->len);
		} else if (s->end_due) {
			hdr.type = cpu_to_le16(SVF_MLX5_REC_END);
			hdr.size = 0;
		} else {
			break;
		}
		if (s->off < SVF_MLX5_HDR_LEN) {
			n = min_t(size_t, len - done, SVF_MLX5_HDR_LEN - s->off);
			memcpy(buf + done, (u8 *)&hdr + s->off, n);
		} else {
			n = min_t(size_t, len - done,
				  SVF_MLX5_HDR_LEN + img->len - s->off);
			memcpy(buf + done,
			       img->buf->vaddr + s->off - SVF_MLX5_HDR_LEN, n);
		}
		done += n;
		s->off += n;
		s->round_bytes -= n;
		if (s->off == SVF_MLX5_HDR_LEN + (img ? img->len : 0)) {
			s->off = 0;
			if (img) {
				list_del(&img->node);
				svf_mlx5_img_free(vf, img);
			} else {
				s->end_due = false;
			}
		}
	}
	ret = done;
out:
	mutex_unlock(&vf->lock);
	return ret;
}

/*
 * The stream bytes of the image @q describes: its chunks, each behind a
 * record header.  Chunks are as large as the first (@q->required) but the
 * last, so there are remaining / required of them, rounded up (firmware
 * whose chunks are shorter sends more, and the estimate is one header
 * short per extra chunk); no image at all when nothing is due
 * (save_image sends no empty image).
 */
static u64 svf_mlx5_image_bytes(const struct svf_mlx5_mig_query *q)
{
	u64 rem, chunks;

	if (!q->remaining || !q->required)
		return 0;
	chunks = div64_u64_rem(q->remaining, q->required, &rem) + !!rem;
	return q->remaining + chunks * SVF_MLX5_HDR_LEN;
}

/**
 * svf_mlx5_save_pending() - &svf_aux_fn_ops.save_pending
 * @afn: the function
 * @p: out: estimates
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_save_pending(struct svf_aux_fn *afn, struct svf_aux_pending *p)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	bool chunk = vf->chan->caps & SVF_MLX5_CAP_CHUNKS;
	struct svf_mlx5_save *s;
	struct svf_mlx5_mig_query q = {};
	int ret = 0;

	memset(p, 0, sizeof(*p));
	mutex_lock(&vf->lock);
	s = vf->save;
	if (s && s->error) {
		ret = s->error;
		goto out;
	}
	if (s) {
		p->round_bytes = s->round_bytes;
		p->initial = s->initial;
	}
	if (!s || !s->final) {
		/* what a save started now would carry: incremental if tracked */
		ret = svf_mlx5_cmd_query_mig(vf->chan, &vf->pdev->dev,
					     vf->vhca_id, s && s->precopy,
					     chunk, &q);
		if (ret)
			goto out;
		if (s)
			p->dirty_bytes = svf_mlx5_image_bytes(&q);
		/* and the END header */
		p->stop_copy_bytes = p->round_bytes +
				     svf_mlx5_image_bytes(&q) + SVF_MLX5_HDR_LEN;
	} else {
		p->stop_copy_bytes = p->round_bytes;
	}
out:
	mutex_unlock(&vf->lock);
	return ret;
}

/*
 * One SAVE_VHCA_STATE without set_track: the firmware stops tracking the
 * function.  Incremental (the function is tracked), one chunk in chunk
 * mode; the image is thrown away.  An empty image still needs a buffer.
 */
static int svf_mlx5_track_clear(struct svf_mlx5_vf *vf)
{
	bool chunk = vf->chan->caps & SVF_MLX5_CAP_CHUNKS;
	struct svf_mlx5_mig_query q;
	struct svf_mlx5_save_out res;
	struct svf_mlx5_img *img;
	u32 size;
	int ret;

	ret = svf_mlx5_cmd_query_mig(vf->chan, &vf->pdev->dev, vf->vhca_id,
				     true, chunk, &q);
	if (ret)
		return ret;
	size = max_t(u32, q.required, PAGE_SIZE);
	if (size > SVF_MLX5_MAX_IMAGE)
		return -EFBIG;
	img = svf_mlx5_img_alloc(vf, size);
	if (IS_ERR(img))
		return PTR_ERR(img);
	ret = svf_mlx5_cmd_save(vf->chan, &vf->pdev->dev, vf->vhca_id,
				img->buf, size, true, false, &res);
	svf_mlx5_img_free(vf, img);
	return ret;
}

/*
 * Stop the firmware tracking a session left on.  The firmware takes a
 * non-tracking save from a suspended function only: a running one is
 * suspended for it (a pause of one command's length) and put back where
 * it was.  vf->lock held.
 */
static void svf_mlx5_track_stop(struct svf_aux_fn *afn)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	enum svf_mlx5_dstate was = vf->dstate, cur = vf->dstate;
	struct device *dev = &vf->pdev->dev;
	int ret = 0, back = 0;

	if (cur == SVF_MLX5_RUNNING) {
		ret = svf_mlx5_cmd_suspend(vf->chan, dev, vf->vhca_id,
					   SVF_MLX5_INITIATOR);
		if (!ret)
			cur = SVF_MLX5_P2P;
	}
	if (!ret && cur == SVF_MLX5_P2P) {
		ret = svf_mlx5_cmd_suspend(vf->chan, dev, vf->vhca_id,
					   SVF_MLX5_RESPONDER);
		if (!ret)
			cur = SVF_MLX5_STOP;
	}
	if (!ret)
		ret = svf_mlx5_track_clear(vf);
	if (cur == SVF_MLX5_STOP && was != SVF_MLX5_STOP) {
		back = svf_mlx5_cmd_resume(vf->chan, dev, vf->vhca_id,
					   SVF_MLX5_RESPONDER);
		if (!back)
			cur = SVF_MLX5_P2P;
	}
	if (!back && cur == SVF_MLX5_P2P && was == SVF_MLX5_RUNNING) {
		back = svf_mlx5_cmd_resume(vf->chan, dev, vf->vhca_id,
					   SVF_MLX5_INITIATOR);
		if (!back)
			cur = SVF_MLX5_RUNNING;
	}
	/* the truth: a failed way back leaves the function where it is */
	vf->dstate = cur;
	if (ret || back)
		svf_mlx5_err_rl(vf, "cannot stop firmware tracking (%d, %d)\n",
				ret, back);
}

/**
 * svf_mlx5_save_end() - &svf_aux_fn_ops.save_end
 * @afn: the function
 *
 * Frees the session.  A session that left the firmware tracking the
 * function (pre-copy cancelled before its final round, or failed) stops
 * the tracking first (svf_mlx5_track_stop()); a failure there is logged
 * and the tracking then ends at the function's next reset, which the
 * consumer does after any failed session.
 */
void svf_mlx5_save_end(struct svf_aux_fn *afn)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);

	mutex_lock(&vf->lock);
	if (vf->save && vf->save->tracking &&
	    !svf_aux_withdrawing(&afn->core))
		svf_mlx5_track_stop(afn);
	svf_mlx5_save_free(vf);
	mutex_unlock(&vf->lock);
}

/**
 * svf_mlx5_load_free() - drop a load session and its buffers
 * @vf: the function (vf->lock held, or no op can run any more)
 */
void svf_mlx5_load_free(struct svf_mlx5_vf *vf)
{
	struct svf_mlx5_load *l = vf->load;

	if (!l)
		return;
	if (l->cur)
		svf_mlx5_img_free(vf, l->cur);
	svf_mlx5_imgs_free(vf, &l->imgs);
	kfree(l);
	vf->load = NULL;
}

/*
 * The load limits of a session, from what the destination's firmware
 * says a full save of the function takes now (F): SVF_MLX5_LOAD_FULLS * F
 * bytes in all (pre-copy streams carry round 0 and incremental rounds),
 * but at least SVF_MLX5_LOAD_FLOOR (a destination that has not run yet
 * may hold less state than its source) and at most SVF_MLX5_MAX_STAGED;
 * one image at most that and SVF_MLX5_MAX_IMAGE.  The number of images is
 * not derived: a long pre-copy of a busy function sends one image (or
 * more) per round, as many rounds as the VMM asks for, which the source
 * cannot know the destination's count of; SVF_MLX5_MAX_LOAD_IMAGES bounds
 * it (and the firmware buffers a stream of tiny images takes).
 */
static int svf_mlx5_load_limits(struct svf_mlx5_vf *vf,
				struct svf_mlx5_load *l)
{
	bool chunk = vf->chan->caps & SVF_MLX5_CAP_CHUNKS;
	struct svf_mlx5_mig_query q;
	u64 full;
	int ret;

	ret = svf_mlx5_cmd_query_mig(vf->chan, &vf->pdev->dev, vf->vhca_id,
				     false, chunk, &q);
	if (ret)
		return ret;
	/* bounded first: the product cannot wrap */
	full = clamp_t(u64, q.remaining, PAGE_SIZE, SVF_MLX5_MAX_STAGED);
	l->max_staged = clamp_t(u64, SVF_MLX5_LOAD_FULLS * full,
				SVF_MLX5_LOAD_FLOOR, SVF_MLX5_MAX_STAGED);
	l->max_image = min_t(u64, l->max_staged, SVF_MLX5_MAX_IMAGE);
	l->max_images = SVF_MLX5_MAX_LOAD_IMAGES;
	return 0;
}

/**
 * svf_mlx5_load_start() - &svf_aux_fn_ops.load_start
 * @afn: the function
 *
 * Asks the firmware the size of the function's full image to bound what
 * the session stages (svf_mlx5_load_limits()).
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_load_start(struct svf_aux_fn *afn)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	struct svf_mlx5_load *l;
	int ret = 0;

	mutex_lock(&vf->lock);
	if (vf->save || vf->load) {
		svf_mlx5_err_rl(vf, "load: a save or load session is open\n");
		ret = -EBUSY;
		goto out;
	}
	if (vf->dstate != SVF_MLX5_STOP) {
		svf_mlx5_err_rl(vf, "load needs a stopped function\n");
		ret = -EINVAL;
		goto out;
	}
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l) {
		ret = -ENOMEM;
		goto out;
	}
	INIT_LIST_HEAD(&l->imgs);
	ret = svf_mlx5_load_limits(vf, l);
	if (ret) {
		kfree(l);
		goto out;
	}
	vf->load = l;
out:
	mutex_unlock(&vf->lock);
	return ret;
}

/* A complete header arrived: check it, start an image or end the stream. */
static int svf_mlx5_load_hdr(struct svf_mlx5_vf *vf, struct svf_mlx5_load *l)
{
	u32 size = le32_to_cpu(l->hdr.size);
	u16 type = le16_to_cpu(l->hdr.type);
	struct svf_mlx5_img *img;

	if (le32_to_cpu(l->hdr.magic) != SVF_MLX5_REC_MAGIC ||
	    le16_to_cpu(l->hdr.version) != SVF_MLX5_REC_VERSION) {
		svf_mlx5_err_rl(vf, "load: not a VHCA image stream (magic 0x%08x v%u)\n",
				le32_to_cpu(l->hdr.magic),
				le16_to_cpu(l->hdr.version));
		return -EINVAL;
	}
	if (type == SVF_MLX5_REC_END && !size) {
		l->end = true;
		return 0;
	}
	if (type != SVF_MLX5_REC_IMAGE || !size) {
		svf_mlx5_err_rl(vf, "load: bad record (type %u, %u bytes)\n",
				type, size);
		return -EINVAL;
	}
	if (size > l->max_image || l->count >= l->max_images ||
	    l->staged + size > l->max_staged) {
		svf_mlx5_err_rl(vf, "load: image %u of %u bytes over the limits (%u/%u/%llu)\n",
				l->count + 1, size, l->max_image,
				l->max_images, l->max_staged);
		return -EFBIG;
	}
	l->count++;
	l->staged += size;
	img = svf_mlx5_img_alloc(vf, size);
	if (IS_ERR(img))
		return PTR_ERR(img);
	img->len = 0;
	l->cur = img;
	return 0;
}

/**
 * svf_mlx5_load_chunk() - &svf_aux_fn_ops.load_chunk
 * @afn: the function
 * @buf: stream bytes
 * @len: how many
 *
 * Return: 0 or a negative errno (the session is then only good for abort).
 */
int svf_mlx5_load_chunk(struct svf_aux_fn *afn, const void *buf, size_t len)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	struct svf_mlx5_load *l;
	size_t done = 0, n;
	int ret = 0;

	mutex_lock(&vf->lock);
	l = vf->load;
	if (!l) {
		ret = -EINVAL;
		goto out;
	}
	if (l->error) {
		ret = l->error;
		goto out;
	}
	while (done < len) {
		if (l->end) {
			svf_mlx5_err_rl(vf, "load: data after the end of the stream\n");
			ret = -EINVAL;
			break;
		}
		if (!l->cur) {
			n = min_t(size_t, len - done,
				  SVF_MLX5_HDR_LEN - l->hdr_got);
			memcpy((u8 *)&l->hdr + l->hdr_got, buf + done, n);
			l->hdr_got += n;
			done += n;
			if (l->hdr_got < SVF_MLX5_HDR_LEN)
				continue;
			l->hdr_got = 0;
			ret = svf_mlx5_load_hdr(vf, l);
			if (ret)
				break;
			continue;
		}
		n = min_t(size_t, len - done,
			  le32_to_cpu(l->hdr.size) - l->cur->len);
		memcpy(l->cur->buf->vaddr + l->cur->len, buf + done, n);
		l->cur->len += n;
		done += n;
		if (l->cur->len == le32_to_cpu(l->hdr.size)) {
			list_add_tail(&l->cur->node, &l->imgs);
			l->cur = NULL;
		}
	}
	if (ret)
		l->error = ret;
out:
	mutex_unlock(&vf->lock);
	return ret;
}

/*
 * The staged stream, checked as a whole before the first LOAD_VHCA_STATE:
 * the end record seen, no record or header left open, at least one image,
 * every image complete and within the session's limits.
 */
static int svf_mlx5_load_check(struct svf_mlx5_vf *vf,
			       struct svf_mlx5_load *l)
{
	struct svf_mlx5_img *img;
	u64 bytes = 0;
	u32 n = 0;

	if (!l->end || l->cur || l->hdr_got) {
		svf_mlx5_err_rl(vf, "load: stream truncated\n");
		return -EINVAL;
	}
	if (list_empty(&l->imgs)) {
		svf_mlx5_err_rl(vf, "load: stream holds no image\n");
		return -EINVAL;
	}
	list_for_each_entry(img, &l->imgs, node) {
		if (!img->len || img->len > l->max_image ||
		    img->len > img->buf->size)
			break;
		bytes += img->len;
		n++;
	}
	if (n != l->count || bytes != l->staged) {
		/* the parser's own bookkeeping disagrees: a bug here */
		svf_mlx5_err_rl(vf, "load: staged stream inconsistent (%u/%u, %llu/%llu)\n",
				n, l->count, bytes, l->staged);
		return -EIO;
	}
	return 0;
}

/**
 * svf_mlx5_load_commit() - &svf_aux_fn_ops.load_commit
 * @afn: the function
 *
 * Checks the whole staged stream (svf_mlx5_load_check()) before the first
 * LOAD_VHCA_STATE, then loads the images in order.  A failure of the
 * first load leaves the function as it was (the firmware checks an image
 * before applying it).  A failure on a later image leaves it partly
 * loaded: logged once, and the function refuses to run until its reset
 * (&svf_mlx5_vf.partial).
 *
 * Return: 0 or a negative errno; the session is ended either way.
 */
int svf_mlx5_load_commit(struct svf_aux_fn *afn)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	struct svf_mlx5_load *l;
	struct svf_mlx5_img *img;
	u32 loaded = 0;
	int ret = 0;

	mutex_lock(&vf->lock);
	l = vf->load;
	if (!l) {
		ret = -EINVAL;
		goto out;
	}
	ret = l->error ? l->error : svf_mlx5_load_check(vf, l);
	if (ret)
		goto end;
	list_for_each_entry(img, &l->imgs, node) {
		if (svf_aux_withdrawing(&afn->core)) {
			ret = -ENODEV;
			break;
		}
		ret = svf_mlx5_cmd_load(vf->chan, &vf->pdev->dev, vf->vhca_id,
					img->buf, img->len);
		if (ret)
			break;
		loaded++;
	}
	if (ret && loaded) {
		vf->partial = true;
		svf_mlx5_err_rl(vf, "load: %u of %u images applied: partly loaded, needs a reset\n",
				loaded, l->count);
	}
end:
	svf_mlx5_load_free(vf);
out:
	mutex_unlock(&vf->lock);
	return ret;
}

/**
 * svf_mlx5_load_abort() - &svf_aux_fn_ops.load_abort
 * @afn: the function
 */
void svf_mlx5_load_abort(struct svf_aux_fn *afn)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);

	mutex_lock(&vf->lock);
	svf_mlx5_load_free(vf);
	mutex_unlock(&vf->lock);
}
