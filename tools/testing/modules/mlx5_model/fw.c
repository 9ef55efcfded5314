// SPDX-License-Identifier: GPL-2.0
/*
 * The firmware model's command processor.  Written from the command
 * semantics (see model.h and Documentation/driver-api/mlx5.rst), not from
 * snapvf_mlx5's encoder: every field is read back here with MLX5_GET() on
 * the mlx5_ifc layouts, so an encoding mistake in snapvf_mlx5 becomes a
 * model error (a status and a MODEL_SYN_* syndrome).
 *
 * VHCA state machine:
 *   RUNNING --SUSPEND(initiator)--> INIT_SUSPENDED
 *   INIT_SUSPENDED --SUSPEND(responder)--> SUSPENDED
 *   SUSPENDED --RESUME(responder)--> INIT_SUSPENDED
 *   INIT_SUSPENDED --RESUME(initiator)--> RUNNING
 * anything else is BAD_RES_STATE.
 *
 * Images (the model's own format, opaque to snapvf_mlx5): a header
 * (struct model_img_hdr) and npages entries of [le32 index, le32 0,
 * 4096 bytes].  A full image holds every page, an incremental one the pages
 * written since the previous save of a tracked VHCA.  With chunks, an image
 * comes as several self-contained images of at most model_chunk_pages
 * pages each; each can be loaded on its own, in order.
 *
 * SAVE_VHCA_STATE without set_track needs a SUSPENDED VHCA; with set_track
 * it may run while the VHCA runs (pre-copy) and tracking continues after it.
 * incremental needs tracking.  QUERY_VHCA_MIGRATION_STATE drops what is
 * left of a partly saved image (its pages stay dirty).  LOAD_VHCA_STATE
 * needs SUSPENDED and an image of the same device type (model_vf.dev_type).
 *
 * PAGE_TRACK objects: CREATE checks what real firmware is known to need
 * (the function, track_type 1, 1..track_max_ranges ranges, page and
 * message sizes within the model's limits, ranges aligned to the page
 * size, ascending and disjoint, their total within log_addr_space_size,
 * a live receiver as reporting_qpn that no other object uses).  A write a
 * simulated DMA of the function makes (model_dma_write()) marks the
 * object's pages it touches inside a tracked range dirty.  MODIFY
 * (modify_field_select 0x3) to REPORTING for a range makes the object
 * send the dirty pages intersecting the range to its receiver, clearing
 * each as it is sent, in address order, as the receiver is polled; once
 * the last one is taken the receiver tells TRACKING and the object is
 * TRACKING again.  An object put into ERROR (model_track_error()) refuses
 * MODIFY (BAD_RES_STATE); one set to fail at its next report accepts the
 * MODIFY and tells ERROR on its receiver.  QUERY tells the object's state
 * and parameters.
 */
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "model.h"

#define MODEL_IMG_MAGIC		0x354c444d	/* "MDL5" */
#define MODEL_IMG_INC		BIT(0)

struct model_img_hdr {
	__le32 magic;
	__le32 dev_type;
	__le32 npages;
	__le32 flags;
};

struct model_img_ent {
	__le32 index;
	__le32 zero;
	u8 data[MODEL_PAGE];
};

struct model_buf {
	struct svf_mlx5_buf buf;
	struct list_head node;		/* model_bufs */
};

struct model_range {
	u64 start;
	u64 len;
};

struct model_rep;

struct model_track {
	struct list_head node;		/* model_tracks */
	u32 obj_id;
	u16 vhca_id;
	u8 state;			/* MLX5_PAGE_TRACK_STATE_* */
	u8 log_page_size;
	u8 log_addr_space;
	u8 log_msg_size;
	u32 nranges;
	struct model_range *ranges;
	struct xarray dirty;		/* page index -> marked */
	struct model_rep *rep;
	/* REPORTING: page indexes [next, last] still to send */
	unsigned long next;
	unsigned long last;
	bool fail_report;		/* ERROR at the next report */
};

/* A report receiver: what a reporting QP is on hardware. */
struct model_rep {
	struct svf_mlx5_rep rep;
	struct list_head node;		/* model_reps */
	struct model_track *track;	/* the object reporting here */
	u8 state;			/* last state delivered */
};

static LIST_HEAD(model_bufs);
static LIST_HEAD(model_tracks);
static LIST_HEAD(model_reps);
static u32 model_next_key = 1;
static u32 model_next_obj = 1;
static u32 model_next_qpn = 0x100;
u32 model_bufs_live;
u32 model_page_tracks_live;
u32 model_reps_live;

static int model_fail(void *out, int outlen, u8 status, u32 syndrome)
{
	if (outlen >= MLX5_ST_SZ_BYTES(general_obj_out_cmd_hdr)) {
		MLX5_SET(general_obj_out_cmd_hdr, out, status, status);
		MLX5_SET(general_obj_out_cmd_hdr, out, syndrome, syndrome);
	}
	return -EREMOTEIO;
}

static struct model_vf *model_vf_by_vhca(u16 vhca_id)
{
	struct model_vf *vf;

	list_for_each_entry(vf, &model_vfs, node)
		if (vf->vhca_id == vhca_id)
			return vf;
	return NULL;
}

static struct model_vf *model_vf_by_function(u16 function_id)
{
	struct model_vf *vf;

	list_for_each_entry(vf, &model_vfs, node)
		if (vf->function_id == function_id)
			return vf;
	return NULL;
}

/* The host memory [va, va + len) behind @mkey, or NULL. */
static void *model_mem(u32 mkey, u64 va, u32 len)
{
	struct model_buf *mb;

	list_for_each_entry(mb, &model_bufs, node) {
		if (mb->buf.mkey != mkey)
			continue;
		if (va < mb->buf.va || va - mb->buf.va > mb->buf.size ||
		    len > mb->buf.size - (va - mb->buf.va))
			return NULL;
		return mb->buf.vaddr + (va - mb->buf.va);
	}
	return NULL;
}

static u32 model_chunk(struct model_vf *vf, u32 pages)
{
	if (model_chunk_pages && pages > model_chunk_pages)
		return model_chunk_pages;
	return pages;
}

static u32 model_img_size(u32 pages)
{
	return sizeof(struct model_img_hdr) +
	       pages * sizeof(struct model_img_ent);
}

static int model_query_hca_cap(const void *in, void *out, int outlen)
{
	struct model_vf *vf;
	void *cap;

	if (MLX5_GET(query_hca_cap_in, in, op_mod) !=
	    (MLX5_SET_HCA_CAP_OP_MOD_GENERAL_DEVICE << 1 |
	     HCA_CAP_OPMOD_GET_CUR) ||
	    !MLX5_GET(query_hca_cap_in, in, other_function))
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_NO_VHCA);
	vf = model_vf_by_function(MLX5_GET(query_hca_cap_in, in,
					   function_id));
	if (!vf)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_NO_VHCA);
	cap = MLX5_ADDR_OF(query_hca_cap_out, out, capability);
	MLX5_SET(cmd_hca_cap, cap, vhca_id, vf->vhca_id);
	MLX5_SET(cmd_hca_cap, cap, migration, vf->migratable);
	return 0;
}

static int model_suspend_resume(struct model_vf *vf, bool suspend, u16 op_mod,
				void *out, int outlen)
{
	enum model_vhca_state from, to;

	if (suspend && op_mod == MLX5_SUSPEND_VHCA_IN_OP_MOD_SUSPEND_INITIATOR) {
		from = MODEL_RUNNING;
		to = MODEL_INIT_SUSPENDED;
	} else if (suspend &&
		   op_mod == MLX5_SUSPEND_VHCA_IN_OP_MOD_SUSPEND_RESPONDER) {
		from = MODEL_INIT_SUSPENDED;
		to = MODEL_SUSPENDED;
	} else if (!suspend &&
		   op_mod == MLX5_RESUME_VHCA_IN_OP_MOD_RESUME_RESPONDER) {
		from = MODEL_SUSPENDED;
		to = MODEL_INIT_SUSPENDED;
	} else if (!suspend &&
		   op_mod == MLX5_RESUME_VHCA_IN_OP_MOD_RESUME_INITIATOR) {
		from = MODEL_INIT_SUSPENDED;
		to = MODEL_RUNNING;
	} else {
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_STATE);
	}
	if (vf->state != from)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_RES_STATE_ERR,
				  MODEL_SYN_STATE);
	vf->state = to;
	return 0;
}

/* Choose the pages of a new image; clears the dirty set. */
static void model_image_begin(struct model_vf *vf, bool inc)
{
	if (inc)
		bitmap_copy(vf->pending, vf->dirty, vf->npages);
	else
		bitmap_fill(vf->pending, vf->npages);
	bitmap_zero(vf->dirty, vf->npages);
	vf->pending_count = bitmap_weight(vf->pending, vf->npages);
	vf->pending_inc = inc;
	vf->saving = true;
}

static int model_query_mig(struct model_vf *vf, const void *in, void *out,
			   int outlen)
{
	bool inc = MLX5_GET(query_vhca_migration_state_in, in, incremental);
	bool chunk = MLX5_GET(query_vhca_migration_state_in, in, chunk);
	u32 pages, first;

	if (inc && !vf->tracking)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_NO_TRACK);
	/*
	 * A query starts a new image: the rest of a partly saved one is
	 * dropped, its pages stay due (dirty) for the next incremental one.
	 */
	if (vf->saving) {
		bitmap_or(vf->dirty, vf->dirty, vf->pending, vf->npages);
		vf->saving = false;
	}
	pages = inc ? bitmap_weight(vf->dirty, vf->npages) : vf->npages;
	first = chunk ? model_chunk(vf, pages) : pages;
	MLX5_SET(query_vhca_migration_state_out, out, required_umem_size,
		 first ? model_img_size(first) : 0);
	if (chunk) {
		u64 total = 0;
		u32 left = pages;

		while (left) {
			u32 n = model_chunk(vf, left);

			total += model_img_size(n);
			left -= n;
		}
		MLX5_SET64(query_vhca_migration_state_out, out,
			   remaining_total_size, total);
	}
	return 0;
}

static int model_save(struct model_vf *vf, const void *in, void *out,
		      int outlen)
{
	bool inc = MLX5_GET(save_vhca_state_in, in, incremental);
	bool track = MLX5_GET(save_vhca_state_in, in, set_track);
	u64 va = MLX5_GET64(save_vhca_state_in, in, va);
	u32 mkey = MLX5_GET(save_vhca_state_in, in, mkey);
	u32 size = MLX5_GET(save_vhca_state_in, in, size);
	struct model_img_hdr *hdr;
	struct model_img_ent *ent;
	u32 n, i, idx;
	void *mem;

	if (!track && vf->state != MODEL_SUSPENDED)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_RES_STATE_ERR,
				  MODEL_SYN_STATE);
	if (!vf->saving) {
		if (inc && !vf->tracking)
			return model_fail(out, outlen,
					  MLX5_CMD_STAT_BAD_PARAM_ERR,
					  MODEL_SYN_NO_TRACK);
		model_image_begin(vf, inc);
		vf->tracking = track;
	}
	n = model_chunk(vf, vf->pending_count);
	if (size < model_img_size(n))
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_SMALL);
	mem = model_mem(mkey, va, model_img_size(n));
	if (!mem)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_MKEY);
	hdr = mem;
	hdr->magic = cpu_to_le32(MODEL_IMG_MAGIC);
	hdr->dev_type = cpu_to_le32(vf->dev_type);
	hdr->npages = cpu_to_le32(n);
	hdr->flags = cpu_to_le32(vf->pending_inc ? MODEL_IMG_INC : 0);
	ent = mem + sizeof(*hdr);
	for (i = 0; i < n; i++, ent++) {
		idx = find_first_bit(vf->pending, vf->npages);
		__clear_bit(idx, vf->pending);
		ent->index = cpu_to_le32(idx);
		ent->zero = 0;
		memcpy(ent->data, vf->mem + (size_t)idx * MODEL_PAGE,
		       MODEL_PAGE);
	}
	vf->pending_count -= n;
	if (!vf->pending_count)
		vf->saving = false;
	MLX5_SET(save_vhca_state_out, out, actual_image_size,
		 model_img_size(n));
	MLX5_SET(save_vhca_state_out, out, next_required_umem_size,
		 vf->pending_count ?
		 model_img_size(model_chunk(vf, vf->pending_count)) : 0);
	return 0;
}

static int model_load(struct model_vf *vf, const void *in, void *out,
		      int outlen)
{
	u64 va = MLX5_GET64(load_vhca_state_in, in, va);
	u32 mkey = MLX5_GET(load_vhca_state_in, in, mkey);
	u32 size = MLX5_GET(load_vhca_state_in, in, size);
	const struct model_img_hdr *hdr;
	const struct model_img_ent *ent;
	u32 n, i, idx;
	const void *mem;

	if (vf->state != MODEL_SUSPENDED)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_RES_STATE_ERR,
				  MODEL_SYN_STATE);
	if (size < sizeof(*hdr))
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_IMAGE);
	mem = model_mem(mkey, va, size);
	if (!mem)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_MKEY);
	hdr = mem;
	if (le32_to_cpu(hdr->magic) != MODEL_IMG_MAGIC)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_IMAGE);
	if (le32_to_cpu(hdr->dev_type) != vf->dev_type)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_DEVTYPE);
	n = le32_to_cpu(hdr->npages);
	if (n > vf->npages || size != model_img_size(n))
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_IMAGE);
	/* validate everything before applying anything */
	ent = mem + sizeof(*hdr);
	for (i = 0; i < n; i++)
		if (le32_to_cpu(ent[i].index) >= vf->npages || ent[i].zero)
			return model_fail(out, outlen,
					  MLX5_CMD_STAT_BAD_PARAM_ERR,
					  MODEL_SYN_IMAGE);
	for (i = 0; i < n; i++) {
		idx = le32_to_cpu(ent[i].index);
		memcpy(vf->mem + (size_t)idx * MODEL_PAGE, ent[i].data,
		       MODEL_PAGE);
	}
	return 0;
}

static struct model_track *model_track_find(u32 obj_id)
{
	struct model_track *t;

	list_for_each_entry(t, &model_tracks, node)
		if (t->obj_id == obj_id)
			return t;
	return NULL;
}

static struct model_rep *model_rep_find(u32 qpn)
{
	struct model_rep *r;

	list_for_each_entry(r, &model_reps, node)
		if (r->rep.qpn == qpn)
			return r;
	return NULL;
}

static void model_track_free(struct model_track *t)
{
	if (t->rep)
		t->rep->track = NULL;
	list_del(&t->node);
	xa_destroy(&t->dirty);
	kfree(t->ranges);
	kfree(t);
	model_page_tracks_live--;
}

/* The ranges of a CREATE: aligned, ascending, disjoint, within the space. */
static bool model_track_ranges_ok(struct model_track *t, const void *obj)
{
	u64 page = 1ULL << t->log_page_size, total = 0, end = 0;
	const void *r = MLX5_ADDR_OF(page_track, obj, track_range);
	u32 i;

	for (i = 0; i < t->nranges; i++) {
		u64 start = MLX5_GET64(page_track_range, r, start_address);
		u64 len = MLX5_GET64(page_track_range, r, length);

		if (!len || !IS_ALIGNED(start, page) || !IS_ALIGNED(len, page) ||
		    start + len < start || (i && start < end))
			return false;
		t->ranges[i].start = start;
		t->ranges[i].len = len;
		end = start + len;
		total += len;
		r += MLX5_ST_SZ_BYTES(page_track_range);
	}
	return total <= 1ULL << t->log_addr_space;
}

static int model_track_create(const void *in, int inlen, void *out,
			      int outlen)
{
	const void *obj = MLX5_ADDR_OF(create_page_track_obj_in, in,
				       obj_context);
	u32 n = MLX5_GET(page_track, obj, num_ranges);
	struct model_track *t;
	struct model_rep *rep;

	if (inlen < MLX5_ST_SZ_BYTES(create_page_track_obj_in) +
		    n * MLX5_ST_SZ_BYTES(page_track_range))
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_INP_LEN_ERR,
				  MODEL_SYN_LEN);
	if (!model_vf_by_vhca(MLX5_GET(page_track, obj, vhca_id)))
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_NO_VHCA);
	rep = model_rep_find(MLX5_GET(page_track, obj, reporting_qpn));
	if (!rep || rep->track)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_QPN);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->vhca_id = MLX5_GET(page_track, obj, vhca_id);
	t->log_page_size = MLX5_GET(page_track, obj, log_page_size);
	t->log_addr_space = MLX5_GET(page_track, obj, log_addr_space_size);
	t->log_msg_size = MLX5_GET(page_track, obj, log_msg_size);
	t->nranges = n;
	xa_init(&t->dirty);
	if (MLX5_GET(page_track, obj, track_type) != 1 || !n ||
	    n > model_track_max_ranges ||
	    t->log_page_size < MODEL_TRACK_LOG_MIN_PAGE ||
	    t->log_page_size > MODEL_TRACK_LOG_MAX_PAGE ||
	    t->log_addr_space < MODEL_TRACK_LOG_MIN_SPACE ||
	    t->log_addr_space > MODEL_TRACK_LOG_MAX_SPACE ||
	    t->log_msg_size < MODEL_TRACK_LOG_MIN_MSG ||
	    t->log_msg_size > MODEL_TRACK_LOG_MAX_MSG) {
		kfree(t);
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_TRACK);
	}
	t->ranges = kcalloc(n, sizeof(*t->ranges), GFP_KERNEL);
	if (!t->ranges) {
		kfree(t);
		return -ENOMEM;
	}
	if (!model_track_ranges_ok(t, obj)) {
		kfree(t->ranges);
		kfree(t);
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_TRACK);
	}
	t->obj_id = model_next_obj++;
	t->state = MLX5_PAGE_TRACK_STATE_TRACKING;
	t->rep = rep;
	rep->track = t;
	rep->state = MLX5_PAGE_TRACK_STATE_TRACKING;
	list_add(&t->node, &model_tracks);
	model_page_tracks_live++;
	MLX5_SET(general_obj_out_cmd_hdr, out, obj_id, t->obj_id);
	return 0;
}

/* MODIFY to REPORTING: send the dirty pages of the range. */
static int model_track_modify(struct model_track *t, const void *in,
			      int inlen, void *out, int outlen)
{
	const void *obj = MLX5_ADDR_OF(modify_page_track_obj_in, in,
				       obj_context);
	u64 start = MLX5_GET64(page_track, obj, range_start_address);
	u64 len = MLX5_GET64(page_track, obj, length);
	struct model_vf *vf;

	if (inlen < MLX5_ST_SZ_BYTES(modify_page_track_obj_in))
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_INP_LEN_ERR,
				  MODEL_SYN_LEN);
	if (MLX5_GET64(page_track, obj, modify_field_select) != 0x3 ||
	    MLX5_GET(page_track, obj, state) !=
	    MLX5_PAGE_TRACK_STATE_REPORTING || !len || start + len < start)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_TRACK);
	if (t->state != MLX5_PAGE_TRACK_STATE_TRACKING)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_RES_STATE_ERR,
				  MODEL_SYN_STATE);
	t->next = start >> t->log_page_size;
	t->last = (start + len - 1) >> t->log_page_size;
	t->state = MLX5_PAGE_TRACK_STATE_REPORTING;
	if (t->fail_report)
		t->state = MLX5_PAGE_TRACK_STATE_ERROR;	/* while reporting */
	vf = model_vf_by_vhca(t->vhca_id);
	if (vf)
		vf->nreported = 0;
	return 0;
}

static int model_obj(const void *in, int inlen, void *out, int outlen,
		     u16 opcode)
{
	struct model_track *t;
	void *o;

	if (MLX5_GET(general_obj_in_cmd_hdr, in, obj_type) !=
	    MLX5_OBJ_TYPE_PAGE_TRACK)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_OBJ);
	if (opcode == MLX5_CMD_OP_CREATE_GENERAL_OBJECT) {
		if (inlen < MLX5_ST_SZ_BYTES(create_page_track_obj_in))
			return model_fail(out, outlen,
					  MLX5_CMD_STAT_BAD_INP_LEN_ERR,
					  MODEL_SYN_LEN);
		return model_track_create(in, inlen, out, outlen);
	}
	t = model_track_find(MLX5_GET(general_obj_in_cmd_hdr, in, obj_id));
	if (!t)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_PARAM_ERR,
				  MODEL_SYN_OBJ);
	switch (opcode) {
	case MLX5_CMD_OP_DESTROY_GENERAL_OBJECT:
		model_track_free(t);
		return 0;
	case MLX5_CMD_OP_MODIFY_GENERAL_OBJECT:
		return model_track_modify(t, in, inlen, out, outlen);
	case MLX5_CMD_OP_QUERY_GENERAL_OBJECT:
		if (outlen < MLX5_ST_SZ_BYTES(query_page_track_obj_out))
			return model_fail(out, outlen,
					  MLX5_CMD_STAT_BAD_OUTP_LEN_ERR,
					  MODEL_SYN_LEN);
		o = MLX5_ADDR_OF(query_page_track_obj_out, out, obj_context);
		MLX5_SET(page_track, o, vhca_id, t->vhca_id);
		MLX5_SET(page_track, o, state, t->state);
		MLX5_SET(page_track, o, track_type, 1);
		MLX5_SET(page_track, o, log_page_size, t->log_page_size);
		MLX5_SET(page_track, o, log_addr_space_size, t->log_addr_space);
		MLX5_SET(page_track, o, log_msg_size, t->log_msg_size);
		MLX5_SET(page_track, o, num_ranges, t->nranges);
		MLX5_SET(page_track, o, reporting_qpn, t->rep ? t->rep->rep.qpn : 0);
		return 0;
	}
	return model_fail(out, outlen, MLX5_CMD_STAT_BAD_OP_ERR,
			  MODEL_SYN_OPCODE);
}

/**
 * model_dma_write() - the function writes [@iova, @iova + @len) by DMA
 * @vf: the function
 * @iova: first byte
 * @len: bytes
 *
 * Every PAGE_TRACK object of the function marks its pages that the write
 * touches inside one of its ranges.
 *
 * Return: 0, -EBUSY if the VHCA does not initiate DMA (suspended), -ENOMEM.
 */
int model_dma_write(struct model_vf *vf, u64 iova, u64 len)
{
	struct model_track *t;
	unsigned long idx;
	u64 s, e;
	int ret = 0;
	u32 i;

	if (!len || iova + len < iova)
		return -EINVAL;
	mutex_lock(&model_lock);
	if (vf->state != MODEL_RUNNING) {
		ret = -EBUSY;
		goto out;
	}
	list_for_each_entry(t, &model_tracks, node) {
		if (t->vhca_id != vf->vhca_id ||
		    t->state == MLX5_PAGE_TRACK_STATE_ERROR)
			continue;
		for (i = 0; i < t->nranges; i++) {
			s = max(iova, t->ranges[i].start);
			e = min(iova + len, t->ranges[i].start + t->ranges[i].len);
			if (s >= e)
				continue;
			for (idx = s >> t->log_page_size;
			     idx <= (e - 1) >> t->log_page_size; idx++) {
				ret = xa_err(xa_store(&t->dirty, idx,
						      xa_mk_value(1),
						      GFP_KERNEL));
				if (ret)
					goto out;
			}
		}
	}
out:
	mutex_unlock(&model_lock);
	return ret;
}

/**
 * model_track_error() - the PAGE_TRACK objects of @vf fail (ERROR)
 * @vf: the function
 * @when: 1: now (MODIFY is refused, QUERY tells ERROR); 2: during the next
 *	report (MODIFY is accepted, the receiver tells ERROR)
 */
void model_track_error(struct model_vf *vf, u32 when)
{
	struct model_track *t;

	mutex_lock(&model_lock);
	list_for_each_entry(t, &model_tracks, node) {
		if (t->vhca_id != vf->vhca_id)
			continue;
		if (when == 1)
			t->state = MLX5_PAGE_TRACK_STATE_ERROR;
		else
			t->fail_report = true;
	}
	mutex_unlock(&model_lock);
}

/* Inbox/outbox sizes the model requires, per opcode (0: not modelled). */
static bool model_sizes(u16 opcode, int *in_min, int *out_min)
{
	switch (opcode) {
	case MLX5_CMD_OP_QUERY_HCA_CAP:
		*in_min = MLX5_ST_SZ_BYTES(query_hca_cap_in);
		*out_min = MLX5_ST_SZ_BYTES(query_hca_cap_out);
		return true;
	case MLX5_CMD_OP_SUSPEND_VHCA:
		*in_min = MLX5_ST_SZ_BYTES(suspend_vhca_in);
		*out_min = MLX5_ST_SZ_BYTES(suspend_vhca_out);
		return true;
	case MLX5_CMD_OP_RESUME_VHCA:
		*in_min = MLX5_ST_SZ_BYTES(resume_vhca_in);
		*out_min = MLX5_ST_SZ_BYTES(resume_vhca_out);
		return true;
	case MLX5_CMD_OP_QUERY_VHCA_MIGRATION_STATE:
		*in_min = MLX5_ST_SZ_BYTES(query_vhca_migration_state_in);
		*out_min = MLX5_ST_SZ_BYTES(query_vhca_migration_state_out);
		return true;
	case MLX5_CMD_OP_SAVE_VHCA_STATE:
		*in_min = MLX5_ST_SZ_BYTES(save_vhca_state_in);
		*out_min = MLX5_ST_SZ_BYTES(save_vhca_state_out);
		return true;
	case MLX5_CMD_OP_LOAD_VHCA_STATE:
		*in_min = MLX5_ST_SZ_BYTES(load_vhca_state_in);
		*out_min = MLX5_ST_SZ_BYTES(load_vhca_state_out);
		return true;
	case MLX5_CMD_OP_CREATE_GENERAL_OBJECT:
	case MLX5_CMD_OP_MODIFY_GENERAL_OBJECT:
	case MLX5_CMD_OP_QUERY_GENERAL_OBJECT:
	case MLX5_CMD_OP_DESTROY_GENERAL_OBJECT:
		*in_min = MLX5_ST_SZ_BYTES(general_obj_in_cmd_hdr);
		*out_min = MLX5_ST_SZ_BYTES(general_obj_out_cmd_hdr);
		return true;
	}
	return false;
}

/* The target VHCA of a migration command; every one has vhca_id here. */
static u16 model_target(const void *in)
{
	return MLX5_GET(suspend_vhca_in, in, vhca_id);
}

static int model_inject(struct model_vf *vf, u16 opcode, void *out,
			int outlen)
{
	if (!vf || !vf->fail_opcode || vf->fail_opcode != opcode)
		return 0;
	if (vf->fail_skip) {
		vf->fail_skip--;
		return 0;
	}
	vf->fail_opcode = 0;
	vf->fail_fired++;
	return model_fail(out, outlen, vf->fail_status ?: 0x1,
			  vf->fail_syndrome);
}

static bool model_vhca_cmd(u16 opcode)
{
	switch (opcode) {
	case MLX5_CMD_OP_SUSPEND_VHCA:
	case MLX5_CMD_OP_RESUME_VHCA:
	case MLX5_CMD_OP_QUERY_VHCA_MIGRATION_STATE:
	case MLX5_CMD_OP_SAVE_VHCA_STATE:
	case MLX5_CMD_OP_LOAD_VHCA_STATE:
		return true;
	}
	return false;
}

/* The injected delay of a VHCA command: slept outside model_lock. */
static void model_delay(u16 opcode, const void *in)
{
	struct model_vf *vf;
	u32 ms = 0;

	if (!model_vhca_cmd(opcode))
		return;
	mutex_lock(&model_lock);
	vf = model_vf_by_vhca(model_target(in));
	if (vf && vf->delay_opcode == opcode)
		ms = vf->delay_ms;
	mutex_unlock(&model_lock);
	if (ms)
		msleep(ms);
}

/*
 * The injected surprise removal: true if the command is not executed
 * because the VF is (now) gone.  Called under model_lock.
 */
static bool model_gone(struct model_vf *vf, u16 opcode)
{
	if (!vf)
		return false;
	if (!vf->gone && vf->surprise_opcode == opcode) {
		if (vf->surprise_skip) {
			vf->surprise_skip--;
			return false;
		}
		vf->surprise_opcode = 0;
		vf->gone = true;
		pci_warn(vf->pdev, "snapvf_mlx5_model: injected surprise removal at command 0x%x\n",
			 opcode);
		model_surprise();
	}
	return vf->gone;
}

/**
 * model_exec() - &svf_mlx5_chan_ops.exec of the model
 * @chan: the model's channel
 * @in: command
 * @inlen: its bytes
 * @out: answer
 * @outlen: its bytes
 *
 * Return: 0, -EREMOTEIO with status and syndrome in @out, -ENOMEM, or
 * -ENODEV for a VHCA whose surprise removal was injected.
 */
int model_exec(struct svf_mlx5_chan *chan, const void *in, int inlen,
	       void *out, int outlen)
{
	struct model_vf *vf = NULL;
	int in_min, out_min, ret;
	u16 opcode;

	if (inlen < 8)
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_INP_LEN_ERR,
				  MODEL_SYN_LEN);
	opcode = MLX5_GET(general_obj_in_cmd_hdr, in, opcode);
	if (!model_sizes(opcode, &in_min, &out_min))
		return model_fail(out, outlen, MLX5_CMD_STAT_BAD_OP_ERR,
				  MODEL_SYN_OPCODE);
	if (inlen < in_min || outlen < out_min)
		return model_fail(out, outlen, inlen < in_min ?
				  MLX5_CMD_STAT_BAD_INP_LEN_ERR :
				  MLX5_CMD_STAT_BAD_OUTP_LEN_ERR,
				  MODEL_SYN_LEN);
	memset(out, 0, outlen);
	model_delay(opcode, in);

	mutex_lock(&model_lock);
	switch (opcode) {
	case MLX5_CMD_OP_QUERY_HCA_CAP:
		vf = model_vf_by_function(MLX5_GET(query_hca_cap_in, in,
						   function_id));
		break;
	case MLX5_CMD_OP_CREATE_GENERAL_OBJECT:
		/* the function the object is for, for counting and faults */
		if (inlen >= MLX5_ST_SZ_BYTES(create_page_track_obj_in))
			vf = model_vf_by_vhca(MLX5_GET(create_page_track_obj_in,
						       in, obj_context.vhca_id));
		break;
	case MLX5_CMD_OP_MODIFY_GENERAL_OBJECT:
	case MLX5_CMD_OP_QUERY_GENERAL_OBJECT:
	case MLX5_CMD_OP_DESTROY_GENERAL_OBJECT: {
		struct model_track *t;

		t = model_track_find(MLX5_GET(general_obj_in_cmd_hdr, in,
					      obj_id));
		if (t)
			vf = model_vf_by_vhca(t->vhca_id);
		break;
	}
	case MLX5_CMD_OP_SUSPEND_VHCA:
	case MLX5_CMD_OP_RESUME_VHCA:
	case MLX5_CMD_OP_QUERY_VHCA_MIGRATION_STATE:
	case MLX5_CMD_OP_SAVE_VHCA_STATE:
	case MLX5_CMD_OP_LOAD_VHCA_STATE:
		vf = model_vf_by_vhca(model_target(in));
		if (!vf) {
			ret = model_fail(out, outlen,
					 MLX5_CMD_STAT_BAD_PARAM_ERR,
					 MODEL_SYN_NO_VHCA);
			goto out;
		}
		break;
	}
	if (model_gone(vf, opcode)) {
		ret = -ENODEV;	/* never reached the firmware */
		goto out;
	}
	if (vf)
		vf->commands++;
	ret = model_inject(vf, opcode, out, outlen);
	if (ret)
		goto out;

	switch (opcode) {
	case MLX5_CMD_OP_QUERY_HCA_CAP:
		ret = model_query_hca_cap(in, out, outlen);
		break;
	case MLX5_CMD_OP_SUSPEND_VHCA:
		ret = model_suspend_resume(vf, true,
					   MLX5_GET(suspend_vhca_in, in, op_mod),
					   out, outlen);
		break;
	case MLX5_CMD_OP_RESUME_VHCA:
		ret = model_suspend_resume(vf, false,
					   MLX5_GET(resume_vhca_in, in, op_mod),
					   out, outlen);
		break;
	case MLX5_CMD_OP_QUERY_VHCA_MIGRATION_STATE:
		ret = model_query_mig(vf, in, out, outlen);
		break;
	case MLX5_CMD_OP_SAVE_VHCA_STATE:
		ret = model_save(vf, in, out, outlen);
		break;
	case MLX5_CMD_OP_LOAD_VHCA_STATE:
		ret = model_load(vf, in, out, outlen);
		break;
	default:
		ret = model_obj(in, inlen, out, outlen, opcode);
		break;
	}
out:
	mutex_unlock(&model_lock);
	return ret;
}

/**
 * model_fn_reset() - &svf_mlx5_chan_ops.fn_reset: what an FLR does to a VHCA
 * @chan: the model's channel
 * @vhca_id: the function
 *
 * Running, not tracked, no image in progress; the device state itself is
 * kept (the tests compare it across resets).
 */
void model_fn_reset(struct svf_mlx5_chan *chan, u16 vhca_id)
{
	struct model_vf *vf;

	mutex_lock(&model_lock);
	vf = model_vf_by_vhca(vhca_id);
	if (vf) {
		vf->state = MODEL_RUNNING;
		vf->tracking = false;
		vf->saving = false;
		bitmap_zero(vf->dirty, vf->npages);
	}
	mutex_unlock(&model_lock);
}

/**
 * model_rep_create() - &svf_mlx5_chan_ops.rep_create: a receiver and a qpn
 * @chan: the model's channel
 *
 * Return: the receiver or ERR_PTR(-ENOMEM).
 */
struct svf_mlx5_rep *model_rep_create(struct svf_mlx5_chan *chan)
{
	struct model_rep *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&model_lock);
	r->rep.qpn = model_next_qpn++ & 0xffffff;
	r->state = MLX5_PAGE_TRACK_STATE_TRACKING;
	list_add(&r->node, &model_reps);
	model_reps_live++;
	mutex_unlock(&model_lock);
	return &r->rep;
}

/**
 * model_rep_poll() - &svf_mlx5_chan_ops.rep_poll
 * @chan: the model's channel
 * @rep: a receiver of model_rep_create()
 * @addr: out: dirty page addresses
 * @max: room in @addr
 * @state: out: the state last delivered
 *
 * Sends (and clears) up to @max dirty pages of the report in progress, in
 * address order; with none left the object is TRACKING again, which is
 * delivered as the state.
 *
 * Return: the number of addresses, or -EIO if @max is 0.
 */
int model_rep_poll(struct svf_mlx5_chan *chan, struct svf_mlx5_rep *rep,
		   u64 *addr, u32 max, u8 *state)
{
	struct model_rep *r = container_of(rep, struct model_rep, rep);
	struct model_track *t;
	struct model_vf *vf;
	unsigned long idx;
	void *entry;
	int n = 0;

	if (!max)
		return -EIO;
	mutex_lock(&model_lock);
	t = r->track;
	if (t && t->state == MLX5_PAGE_TRACK_STATE_ERROR) {
		r->state = MLX5_PAGE_TRACK_STATE_ERROR;
	} else if (t && t->state == MLX5_PAGE_TRACK_STATE_REPORTING) {
		vf = model_vf_by_vhca(t->vhca_id);
		xa_for_each_range(&t->dirty, idx, entry, t->next, t->last) {
			if (n == max)
				break;
			xa_erase(&t->dirty, idx);
			addr[n] = (u64)idx << t->log_page_size;
			if (vf && vf->nreported < MODEL_REPORTED_MAX)
				vf->reported[vf->nreported] = addr[n];
			if (vf)
				vf->nreported++;
			n++;
			t->next = idx + 1;
		}
		if (n < max) {
			/* all sent: the report is complete */
			t->state = MLX5_PAGE_TRACK_STATE_TRACKING;
			r->state = MLX5_PAGE_TRACK_STATE_TRACKING;
		} else {
			r->state = MLX5_PAGE_TRACK_STATE_REPORTING;
		}
	}
	*state = r->state;
	mutex_unlock(&model_lock);
	return n;
}

/**
 * model_rep_destroy() - &svf_mlx5_chan_ops.rep_destroy
 * @chan: the model's channel
 * @rep: a receiver of model_rep_create()
 *
 * An object still reporting here is a bug of the caller (the contract
 * destroys the object first): it is logged and the object goes to ERROR.
 */
void model_rep_destroy(struct svf_mlx5_chan *chan, struct svf_mlx5_rep *rep)
{
	struct model_rep *r = container_of(rep, struct model_rep, rep);

	mutex_lock(&model_lock);
	if (r->track) {
		pr_err_ratelimited("snapvf_mlx5_model: receiver 0x%x destroyed under PAGE_TRACK object %u\n",
				   r->rep.qpn, r->track->obj_id);
		r->track->state = MLX5_PAGE_TRACK_STATE_ERROR;
		r->track->rep = NULL;
	}
	list_del(&r->node);
	model_reps_live--;
	mutex_unlock(&model_lock);
	kfree(r);
}

/**
 * model_buf_alloc() - &svf_mlx5_chan_ops.buf_alloc: plain memory and a key
 * @chan: the model's channel
 * @size: bytes
 *
 * Return: the buffer or ERR_PTR(-ENOMEM / -EINVAL).
 */
struct svf_mlx5_buf *model_buf_alloc(struct svf_mlx5_chan *chan, size_t size)
{
	struct model_buf *mb;

	if (!size)
		return ERR_PTR(-EINVAL);
	mb = kzalloc(sizeof(*mb), GFP_KERNEL);
	if (!mb)
		return ERR_PTR(-ENOMEM);
	mb->buf.vaddr = kvzalloc(size, GFP_KERNEL);
	if (!mb->buf.vaddr) {
		kfree(mb);
		return ERR_PTR(-ENOMEM);
	}
	mb->buf.size = size;
	mutex_lock(&model_lock);
	/* a key byte in the low bits as mlx5 mkeys have, a made-up va */
	mb->buf.mkey = model_next_key << 8 | 0x5a;
	mb->buf.va = (u64)model_next_key << 32;
	model_next_key++;
	list_add(&mb->node, &model_bufs);
	model_bufs_live++;
	mutex_unlock(&model_lock);
	return &mb->buf;
}

/**
 * model_buf_free() - &svf_mlx5_chan_ops.buf_free
 * @chan: the model's channel
 * @buf: a buffer of model_buf_alloc()
 */
void model_buf_free(struct svf_mlx5_chan *chan, struct svf_mlx5_buf *buf)
{
	struct model_buf *mb = container_of(buf, struct model_buf, buf);

	mutex_lock(&model_lock);
	list_del(&mb->node);
	model_bufs_live--;
	mutex_unlock(&model_lock);
	kvfree(mb->buf.vaddr);
	kfree(mb);
}

/**
 * model_fw_exit() - free the objects snapvf_mlx5 left behind (a leak)
 */
void model_fw_exit(void)
{
	struct model_track *t, *tmp;
	struct model_rep *r, *rtmp;

	if (model_bufs_live || model_page_tracks_live || model_reps_live)
		pr_err("snapvf_mlx5_model: %u buffers, %u PAGE_TRACK objects and %u report receivers leaked\n",
		       model_bufs_live, model_page_tracks_live,
		       model_reps_live);
	list_for_each_entry_safe(t, tmp, &model_tracks, node)
		model_track_free(t);
	list_for_each_entry_safe(r, rtmp, &model_reps, node) {
		list_del(&r->node);
		kfree(r);
	}
}
