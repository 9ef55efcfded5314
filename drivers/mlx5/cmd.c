// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_mlx5 command layer: the VHCA migration commands, encoded with
 * MLX5_SET() into the layouts of <linux/mlx5/mlx5_ifc.h>, run over a
 * &struct svf_mlx5_chan, decoded with MLX5_GET().
 *
 * Semantics relied on (from the public command layouts and the behaviour
 * the vfio/mlx5 uAPI needs; see Documentation/driver-api/mlx5.rst):
 *
 * - SUSPEND_VHCA op_mod INITIATOR stops the function initiating DMA and
 *   peer traffic, op_mod RESPONDER then stops it entirely; RESUME_VHCA
 *   undoes them in the opposite order.
 * - QUERY_VHCA_MIGRATION_STATE tells how big the next SAVE_VHCA_STATE
 *   must be (one chunk when ``chunk`` is set, with the size of the whole
 *   image in remaining_total_size).
 * - SAVE_VHCA_STATE writes an image (or its next chunk) into host memory
 *   through ``mkey``/``va``; ``set_track`` keeps the firmware tracking
 *   changes after it, ``incremental`` asks only for what changed since the
 *   previous save of a tracked function.  The answer carries the bytes
 *   written and, in chunk mode, the size of the next chunk (0: done).
 * - LOAD_VHCA_STATE reads one saved image (or chunk) back in, in order.
 *
 * Every command that fails is logged once here (rate-limited per command,
 * on the function it was for) with the firmware status and syndrome.
 */
#include <linux/mlx5/device.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "cmd.h"

/**
 * svf_mlx5_status_errno() - the errno for a firmware command status
 * @status: MLX5_CMD_STAT_*
 *
 * Return: 0 for MLX5_CMD_STAT_OK, else a negative errno.
 */
int svf_mlx5_status_errno(u8 status)
{
	switch (status) {
	case MLX5_CMD_STAT_OK:
		return 0;
	case MLX5_CMD_STAT_BAD_OP_ERR:
		return -EOPNOTSUPP;
	case MLX5_CMD_STAT_BAD_PARAM_ERR:
	case MLX5_CMD_STAT_BAD_RES_ERR:
	case MLX5_CMD_STAT_BAD_RES_STATE_ERR:
	case MLX5_CMD_STAT_BAD_QP_STATE_ERR:
	case MLX5_CMD_STAT_BAD_PKT_ERR:
	case MLX5_CMD_STAT_BAD_SIZE_OUTS_CQES_ERR:
		return -EINVAL;
	case MLX5_CMD_STAT_RES_BUSY:
		return -EBUSY;
	case MLX5_CMD_STAT_NOT_READY:
		return -EAGAIN;
	case MLX5_CMD_STAT_LIM_ERR:
	case MLX5_CMD_STAT_IX_ERR:
	case MLX5_CMD_STAT_NO_RES_ERR:
		return -ENOSPC;
	default:	/* INT_ERR, BAD_SYS_STATE, BAD_INP/OUTP_LEN, unknown */
		return -EIO;
	}
}

/*
 * Run one command.  Every command's output starts with status and
 * syndrome in the same place, which general_obj_out_cmd_hdr describes.
 * Returns the errno; *status is the firmware's status, or 0xff if the
 * command never reached the firmware.
 */
static int __svf_mlx5_run(struct svf_mlx5_chan *chan, const void *in,
			  int inlen, void *out, int outlen, u8 *status,
			  u32 *syndrome)
{
	int ret;

	*status = 0xff;
	*syndrome = 0;
	ret = chan->ops->exec(chan, in, inlen, out, outlen);
	if (ret != -EREMOTEIO)
		return ret;
	*status = MLX5_GET(general_obj_out_cmd_hdr, out, status);
	*syndrome = MLX5_GET(general_obj_out_cmd_hdr, out, syndrome);
	ret = svf_mlx5_status_errno(*status);
	return ret ? ret : -EIO;	/* -EREMOTEIO with status OK */
}

/*
 * Log policy: one line per failed command, rate-limited per call site,
 * i.e. per command (and per op_mod for SUSPEND/RESUME): a VMM retrying
 * one failing arc cannot hide another command's failure.
 */
#define svf_mlx5_run(chan, log, what, in, inlen, out, outlen)		\
({									\
	struct device *__log = (log);					\
	const char *__what = (what);					\
	u32 __syn;							\
	u8 __st;							\
	int __ret = __svf_mlx5_run(chan, in, inlen, out, outlen,	\
				   &__st, &__syn);			\
	if (__ret && __st == 0xff)					\
		dev_err_ratelimited(__log,				\
				    "snapvf_mlx5: %s not executed: %d\n", \
				    __what, __ret);			\
	else if (__ret)							\
		dev_err_ratelimited(__log,				\
				    "snapvf_mlx5: %s failed: status 0x%x syndrome 0x%08x (%d)\n", \
				    __what, __st, __syn, __ret);	\
	__ret;								\
})

/**
 * svf_mlx5_cmd_query_fn() - QUERY_HCA_CAP (general, current) of a function
 * @chan: channel of the function's PF
 * @log: device to log on
 * @function_id: the function as the PF addresses it (VF number + 1)
 * @caps: out: its VHCA id and whether it can migrate
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_cmd_query_fn(struct svf_mlx5_chan *chan, struct device *log,
			  u16 function_id, struct svf_mlx5_fn_caps *caps)
{
	u32 in[MLX5_ST_SZ_DW(query_hca_cap_in)] = {};
	void *out;
	int ret;

	out = kzalloc(MLX5_ST_SZ_BYTES(query_hca_cap_out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	MLX5_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	MLX5_SET(query_hca_cap_in, in, op_mod,
		 MLX5_SET_HCA_CAP_OP_MOD_GENERAL_DEVICE << 1 |
		 HCA_CAP_OPMOD_GET_CUR);
	MLX5_SET(query_hca_cap_in, in, other_function, 1);
	MLX5_SET(query_hca_cap_in, in, function_id, function_id);
	ret = svf_mlx5_run(chan, log, "QUERY_HCA_CAP", in, sizeof(in), out,
			   MLX5_ST_SZ_BYTES(query_hca_cap_out));
	if (!ret) {
		caps->vhca_id = MLX5_GET(query_hca_cap_out, out,
					 capability.cmd_hca_cap.vhca_id);
		caps->migration = MLX5_GET(query_hca_cap_out, out,
					   capability.cmd_hca_cap.migration);
	}
	kfree(out);
	return ret;
}

/**
 * svf_mlx5_cmd_suspend() - SUSPEND_VHCA
 * @chan: channel
 * @log: device to log on
 * @vhca_id: target function
 * @side: %SVF_MLX5_INITIATOR (RUNNING -> RUNNING_P2P) or
 *	%SVF_MLX5_RESPONDER (RUNNING_P2P -> STOP)
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_cmd_suspend(struct svf_mlx5_chan *chan, struct device *log,
			 u16 vhca_id, enum svf_mlx5_side side)
{
	u32 out[MLX5_ST_SZ_DW(suspend_vhca_out)] = {};
	u32 in[MLX5_ST_SZ_DW(suspend_vhca_in)] = {};

	MLX5_SET(suspend_vhca_in, in, opcode, MLX5_CMD_OP_SUSPEND_VHCA);
	MLX5_SET(suspend_vhca_in, in, op_mod,
		 side == SVF_MLX5_INITIATOR ?
		 MLX5_SUSPEND_VHCA_IN_OP_MOD_SUSPEND_INITIATOR :
		 MLX5_SUSPEND_VHCA_IN_OP_MOD_SUSPEND_RESPONDER);
	MLX5_SET(suspend_vhca_in, in, vhca_id, vhca_id);
	if (side == SVF_MLX5_INITIATOR)
		return svf_mlx5_run(chan, log, "SUSPEND_VHCA(initiator)", in,
				    sizeof(in), out, sizeof(out));
	return svf_mlx5_run(chan, log, "SUSPEND_VHCA(responder)", in,
			    sizeof(in), out, sizeof(out));
}

/**
 * svf_mlx5_cmd_resume() - RESUME_VHCA
 * @chan: channel
 * @log: device to log on
 * @vhca_id: target function
 * @side: %SVF_MLX5_RESPONDER (STOP -> RUNNING_P2P) or
 *	%SVF_MLX5_INITIATOR (RUNNING_P2P -> RUNNING)
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_cmd_resume(struct svf_mlx5_chan *chan, struct device *log,
			u16 vhca_id, enum svf_mlx5_side side)
{
	u32 out[MLX5_ST_SZ_DW(resume_vhca_out)] = {};
	u32 in[MLX5_ST_SZ_DW(resume_vhca_in)] = {};

	MLX5_SET(resume_vhca_in, in, opcode, MLX5_CMD_OP_RESUME_VHCA);
	MLX5_SET(resume_vhca_in, in, op_mod,
		 side == SVF_MLX5_INITIATOR ?
		 MLX5_RESUME_VHCA_IN_OP_MOD_RESUME_INITIATOR :
		 MLX5_RESUME_VHCA_IN_OP_MOD_RESUME_RESPONDER);
	MLX5_SET(resume_vhca_in, in, vhca_id, vhca_id);
	if (side == SVF_MLX5_INITIATOR)
		return svf_mlx5_run(chan, log, "RESUME_VHCA(initiator)", in,
				    sizeof(in), out, sizeof(out));
	return svf_mlx5_run(chan, log, "RESUME_VHCA(responder)", in,
			    sizeof(in), out, sizeof(out));
}

/**
 * svf_mlx5_cmd_query_mig() - QUERY_VHCA_MIGRATION_STATE
 * @chan: channel
 * @log: device to log on
 * @vhca_id: target function
 * @incremental: size of an incremental image (the function is tracked)
 * @chunk: the caller saves in chunks
 * @q: out: sizes
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_cmd_query_mig(struct svf_mlx5_chan *chan, struct device *log,
			   u16 vhca_id, bool incremental, bool chunk,
			   struct svf_mlx5_mig_query *q)
{
	u32 out[MLX5_ST_SZ_DW(query_vhca_migration_state_out)] = {};
	u32 in[MLX5_ST_SZ_DW(query_vhca_migration_state_in)] = {};
	int ret;

	MLX5_SET(query_vhca_migration_state_in, in, opcode,
		 MLX5_CMD_OP_QUERY_VHCA_MIGRATION_STATE);
	MLX5_SET(query_vhca_migration_state_in, in, vhca_id, vhca_id);
	MLX5_SET(query_vhca_migration_state_in, in, incremental, incremental);
	MLX5_SET(query_vhca_migration_state_in, in, chunk, chunk);
	ret = svf_mlx5_run(chan, log, "QUERY_VHCA_MIGRATION_STATE", in,
			   sizeof(in), out, sizeof(out));
	if (ret)
		return ret;
	q->required = MLX5_GET(query_vhca_migration_state_out, out,
			       required_umem_size);
	q->remaining = chunk ? MLX5_GET64(query_vhca_migration_state_out, out,
					  remaining_total_size) : q->required;
	return 0;
}

/**
 * svf_mlx5_cmd_save() - SAVE_VHCA_STATE into @buf
 * @chan: channel
 * @log: device to log on
 * @vhca_id: target function
 * @buf: where the firmware writes, through its mkey
 * @size: bytes the firmware may write (<= @buf->size)
 * @incremental: only what changed since the previous save
 * @track: keep tracking changes after this save (pre-copy)
 * @res: out: bytes written, size of the next chunk
 *
 * Return: 0 or a negative errno; -EPROTO if the firmware claims to have
 * written more than @size.
 */
int svf_mlx5_cmd_save(struct svf_mlx5_chan *chan, struct device *log,
		      u16 vhca_id, struct svf_mlx5_buf *buf, u32 size,
		      bool incremental, bool track,
		      struct svf_mlx5_save_out *res)
{
	u32 out[MLX5_ST_SZ_DW(save_vhca_state_out)] = {};
	u32 in[MLX5_ST_SZ_DW(save_vhca_state_in)] = {};
	int ret;

	if (size > buf->size)
		return -EINVAL;
	MLX5_SET(save_vhca_state_in, in, opcode, MLX5_CMD_OP_SAVE_VHCA_STATE);
	MLX5_SET(save_vhca_state_in, in, vhca_id, vhca_id);
	MLX5_SET(save_vhca_state_in, in, incremental, incremental);
	MLX5_SET(save_vhca_state_in, in, set_track, track);
	MLX5_SET64(save_vhca_state_in, in, va, buf->va);
	MLX5_SET(save_vhca_state_in, in, mkey, buf->mkey);
	MLX5_SET(save_vhca_state_in, in, size, size);
	ret = svf_mlx5_run(chan, log, "SAVE_VHCA_STATE", in, sizeof(in), out,
			   sizeof(out));
	if (ret)
		return ret;
	res->actual = MLX5_GET(save_vhca_state_out, out, actual_image_size);
	res->next = MLX5_GET(save_vhca_state_out, out,
			     next_required_umem_size);
	if (res->actual > size) {
		dev_err_ratelimited(log, "snapvf_mlx5: SAVE_VHCA_STATE wrote %u bytes into a %u byte buffer\n",
				    res->actual, size);
		return -EPROTO;
	}
	return 0;
}

/**
 * svf_mlx5_cmd_load() - LOAD_VHCA_STATE from @buf
 * @chan: channel
 * @log: device to log on
 * @vhca_id: target function
 * @buf: the image (or chunk), read by the firmware through its mkey
 * @size: bytes of the image (<= @buf->size)
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_cmd_load(struct svf_mlx5_chan *chan, struct device *log,
		      u16 vhca_id, struct svf_mlx5_buf *buf, u32 size)
{
	u32 out[MLX5_ST_SZ_DW(load_vhca_state_out)] = {};
	u32 in[MLX5_ST_SZ_DW(load_vhca_state_in)] = {};

	if (size > buf->size)
		return -EINVAL;
	MLX5_SET(load_vhca_state_in, in, opcode, MLX5_CMD_OP_LOAD_VHCA_STATE);
	MLX5_SET(load_vhca_state_in, in, vhca_id, vhca_id);
	MLX5_SET64(load_vhca_state_in, in, va, buf->va);
	MLX5_SET(load_vhca_state_in, in, mkey, buf->mkey);
	MLX5_SET(load_vhca_state_in, in, size, size);
	return svf_mlx5_run(chan, log, "LOAD_VHCA_STATE", in, sizeof(in), out,
			    sizeof(out));
}

/**
 * svf_mlx5_cmd_track_create() - create a PAGE_TRACK general object
 * @chan: channel
 * @log: device to log on
 * @vhca_id: the function whose DMA writes are tracked
 * @p: parameters and ranges (at least one)
 * @obj_id: out: the object id
 *
 * Reports arrive on the receiver @p->reporting_qpn (include/snapvf/mlx5.h)
 * once asked for with svf_mlx5_cmd_track_modify().  The ranges must not
 * overlap; @p->log_addr_space must cover their total length.
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_cmd_track_create(struct svf_mlx5_chan *chan, struct device *log,
			      u16 vhca_id,
			      const struct svf_mlx5_track_params *p,
			      u32 *obj_id)
{
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	void *in, *obj, *range;
	size_t inlen;
	u32 i;
	int ret;

	if (!p->nranges || p->nranges > 255)
		return -EINVAL;
	inlen = size_add(MLX5_ST_SZ_BYTES(create_page_track_obj_in),
			 size_mul(p->nranges,
				  MLX5_ST_SZ_BYTES(page_track_range)));
	in = kzalloc(inlen, GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	MLX5_SET(general_obj_in_cmd_hdr, in, opcode,
		 MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type,
		 MLX5_OBJ_TYPE_PAGE_TRACK);
	obj = MLX5_ADDR_OF(create_page_track_obj_in, in, obj_context);
	MLX5_SET(page_track, obj, vhca_id, vhca_id);
	/* the value the upstream mlx5 vfio driver uses; not documented */
	MLX5_SET(page_track, obj, track_type, SVF_MLX5_TRACK_TYPE);
	MLX5_SET(page_track, obj, log_addr_space_size, p->log_addr_space);
	MLX5_SET(page_track, obj, log_page_size, p->log_page_size);
	MLX5_SET(page_track, obj, log_msg_size, p->log_msg_size);
	MLX5_SET(page_track, obj, reporting_qpn, p->reporting_qpn);
	MLX5_SET(page_track, obj, num_ranges, p->nranges);
	range = MLX5_ADDR_OF(page_track, obj, track_range);
	for (i = 0; i < p->nranges; i++) {
		MLX5_SET64(page_track_range, range, start_address,
			   p->ranges[i].start);
		MLX5_SET64(page_track_range, range, length,
			   p->ranges[i].length);
		range += MLX5_ST_SZ_BYTES(page_track_range);
	}
	ret = svf_mlx5_run(chan, log, "CREATE_GENERAL_OBJECT(PAGE_TRACK)", in,
			   inlen, out, sizeof(out));
	if (!ret)
		*obj_id = MLX5_GET(general_obj_out_cmd_hdr, out, obj_id);
	kfree(in);
	return ret;
}

/**
 * svf_mlx5_cmd_track_modify() - MODIFY_GENERAL_OBJECT of a PAGE_TRACK object
 * @chan: channel
 * @log: device to log on
 * @obj_id: the object
 * @iova: first byte of the range
 * @length: bytes of the range
 * @state: new state; MLX5_PAGE_TRACK_STATE_REPORTING asks the firmware to
 *	send the dirty pages of the range to the object's receiver and to
 *	clear them
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_cmd_track_modify(struct svf_mlx5_chan *chan, struct device *log,
			      u32 obj_id, u64 iova, u64 length, u8 state)
{
	u32 in[MLX5_ST_SZ_DW(modify_page_track_obj_in)] = {};
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	void *hdr, *obj;

	hdr = MLX5_ADDR_OF(modify_page_track_obj_in, in,
			   general_obj_in_cmd_hdr);
	MLX5_SET(general_obj_in_cmd_hdr, hdr, opcode,
		 MLX5_CMD_OP_MODIFY_GENERAL_OBJECT);
	MLX5_SET(general_obj_in_cmd_hdr, hdr, obj_type,
		 MLX5_OBJ_TYPE_PAGE_TRACK);
	MLX5_SET(general_obj_in_cmd_hdr, hdr, obj_id, obj_id);
	obj = MLX5_ADDR_OF(modify_page_track_obj_in, in, obj_context);
	MLX5_SET64(page_track, obj, modify_field_select, SVF_MLX5_TRACK_SELECT);
	MLX5_SET64(page_track, obj, range_start_address, iova);
	MLX5_SET64(page_track, obj, length, length);
	MLX5_SET(page_track, obj, state, state);
	return svf_mlx5_run(chan, log, "MODIFY_GENERAL_OBJECT(PAGE_TRACK)",
			    in, sizeof(in), out, sizeof(out));
}

/**
 * svf_mlx5_cmd_track_query() - query a PAGE_TRACK object's state
 * @chan: channel
 * @log: device to log on
 * @obj_id: the object
 * @state: out: MLX5_PAGE_TRACK_STATE_*
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_cmd_track_query(struct svf_mlx5_chan *chan, struct device *log,
			     u32 obj_id, u8 *state)
{
	u32 out[MLX5_ST_SZ_DW(query_page_track_obj_out)] = {};
	u32 in[MLX5_ST_SZ_DW(general_obj_in_cmd_hdr)] = {};
	void *obj;
	int ret;

	MLX5_SET(general_obj_in_cmd_hdr, in, opcode,
		 MLX5_CMD_OP_QUERY_GENERAL_OBJECT);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type,
		 MLX5_OBJ_TYPE_PAGE_TRACK);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, obj_id);
	ret = svf_mlx5_run(chan, log, "QUERY_GENERAL_OBJECT(PAGE_TRACK)", in,
			   sizeof(in), out, sizeof(out));
	if (ret)
		return ret;
	obj = MLX5_ADDR_OF(query_page_track_obj_out, out, obj_context);
	*state = MLX5_GET(page_track, obj, state);
	return 0;
}

/**
 * svf_mlx5_cmd_track_destroy() - destroy a PAGE_TRACK object
 * @chan: channel
 * @log: device to log on
 * @obj_id: the object
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_cmd_track_destroy(struct svf_mlx5_chan *chan,
			       struct device *log, u32 obj_id)
{
	u32 out[MLX5_ST_SZ_DW(general_obj_out_cmd_hdr)] = {};
	u32 in[MLX5_ST_SZ_DW(general_obj_in_cmd_hdr)] = {};

	MLX5_SET(general_obj_in_cmd_hdr, in, opcode,
		 MLX5_CMD_OP_DESTROY_GENERAL_OBJECT);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_type,
		 MLX5_OBJ_TYPE_PAGE_TRACK);
	MLX5_SET(general_obj_in_cmd_hdr, in, obj_id, obj_id);
	return svf_mlx5_run(chan, log, "DESTROY_GENERAL_OBJECT(PAGE_TRACK)",
			    in, sizeof(in), out, sizeof(out));
}
