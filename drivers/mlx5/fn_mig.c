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
 * Loading: the stream is parsed as it arrives, each image staged in a
 * firmware buffer; load_commit loads them in order.  The firmware applies
 * an image when it loads it: a failure in the middle of load_commit
 * leaves the destination partly loaded (the consumer reports ERROR; it
 * must reset the function before using it).
 *
 * Phase-1 limits: a round holds all its images in memory at once
 * (bounded by SVF_MLX5_MAX_IMAGE per chunk and SVF_MLX5_MAX_CHUNKS); a
 * load stages the whole stream (at most SVF_MLX5_MAX_STAGED bytes in
 * SVF_MLX5_MAX_LOAD_IMAGES images, -EFBIG beyond); the commands are
 * synchronous.
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
		if (ret)
			svf_mlx5_save_free(vf);
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
 * last, so there are remaining / required of them, rounded up; no image
 * at all when nothing is due (save_image sends no empty image).
 */
static u64 svf_mlx5_image_bytes(const struct svf_mlx5_mig_query *q)
{
	u64 chunks;

	if (!q->remaining || !q->required)
		return 0;
	chunks = div64_u64(q->remaining + q->required - 1, q->required);
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

/**
 * svf_mlx5_save_end() - &svf_aux_fn_ops.save_end
 * @afn: the function
 *
 * A pre-copy session that ends before its final round leaves the firmware
 * tracking the function; the next save session's first SAVE_VHCA_STATE
 * (full, set_track) starts over.
 */
void svf_mlx5_save_end(struct svf_aux_fn *afn)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);

	mutex_lock(&vf->lock);
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

/**
 * svf_mlx5_load_start() - &svf_aux_fn_ops.load_start
 * @afn: the function
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
	if (type != SVF_MLX5_REC_IMAGE || !size ||
	    size > SVF_MLX5_MAX_IMAGE) {
		svf_mlx5_err_rl(vf, "load: bad record (type %u, %u bytes)\n",
				type, size);
		return -EINVAL;
	}
	if (l->count >= SVF_MLX5_MAX_LOAD_IMAGES ||
	    l->staged + size > SVF_MLX5_MAX_STAGED) {
		svf_mlx5_err_rl(vf, "load: stream over %u images or %u MiB\n",
				SVF_MLX5_MAX_LOAD_IMAGES,
				(u32)(SVF_MLX5_MAX_STAGED >> 20));
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

/**
 * svf_mlx5_load_commit() - &svf_aux_fn_ops.load_commit
 * @afn: the function
 *
 * Return: 0 or a negative errno; the session is ended either way.
 */
int svf_mlx5_load_commit(struct svf_aux_fn *afn)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	struct svf_mlx5_load *l;
	struct svf_mlx5_img *img;
	int ret = 0;

	mutex_lock(&vf->lock);
	l = vf->load;
	if (!l) {
		ret = -EINVAL;
		goto out;
	}
	if (l->error) {
		ret = l->error;
		goto end;
	}
	if (!l->end || l->cur || l->hdr_got) {
		svf_mlx5_err_rl(vf, "load: stream truncated\n");
		ret = -EINVAL;
		goto end;
	}
	if (list_empty(&l->imgs)) {
		svf_mlx5_err_rl(vf, "load: stream holds no image\n");
		ret = -EINVAL;
		goto end;
	}
	list_for_each_entry(img, &l->imgs, node) {
		if (svf_aux_withdrawing(&afn->core)) {
			ret = -ENODEV;
			break;
		}
		ret = svf_mlx5_cmd_load(vf->chan, &vf->pdev->dev, vf->vhca_id,
					img->buf, img->len);
		if (ret)
			break;
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
