/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_mlx5 command layer (cmd.c): encodes the VHCA migration commands
 * into the firmware layouts of <linux/mlx5/mlx5_ifc.h>, runs them over a
 * &struct svf_mlx5_chan and decodes the answers.  Knows nothing of the aux
 * bus or of mlx5_core; every failure is logged here, once, rate-limited,
 * on @log (the function the command was for).
 */
#ifndef _SVF_MLX5_CMD_H
#define _SVF_MLX5_CMD_H

#include <snapvf/mlx5.h>

/* Device-side state changes (op_mod of SUSPEND_VHCA / RESUME_VHCA). */
enum svf_mlx5_side {
	SVF_MLX5_INITIATOR,	/* the function's own DMA / P2P initiation */
	SVF_MLX5_RESPONDER,	/* everything else: the function stops */
};

/**
 * struct svf_mlx5_fn_caps - what QUERY_HCA_CAP tells about another function
 * @vhca_id: the function's VHCA id, the target of every migration command
 * @migration: the firmware can migrate the function
 */
struct svf_mlx5_fn_caps {
	u16 vhca_id;
	bool migration;
};

/**
 * struct svf_mlx5_mig_query - answer of QUERY_VHCA_MIGRATION_STATE
 * @required: bytes the next SAVE_VHCA_STATE needs (one chunk in chunk mode)
 * @remaining: bytes of the whole image still to save (chunk mode), else
 *	equal to @required
 */
struct svf_mlx5_mig_query {
	u32 required;
	u64 remaining;
};

/**
 * struct svf_mlx5_save_out - answer of SAVE_VHCA_STATE
 * @actual: bytes the firmware wrote into the buffer
 * @next: bytes the next chunk of this image needs; 0 if it was the last
 */
struct svf_mlx5_save_out {
	u32 actual;
	u32 next;
};

/*
 * PAGE_TRACK fields without a public definition: the values the upstream
 * mlx5 vfio driver (drivers/vfio/pci/mlx5/cmd.c) uses with real firmware.
 */
#define SVF_MLX5_TRACK_TYPE		1	/* page_track.track_type */
/* modify_field_select: state and range (bit meanings not public) */
#define SVF_MLX5_TRACK_SELECT		0x3

/**
 * struct svf_mlx5_track_range - one IOVA range of a PAGE_TRACK object
 * @start: first byte
 * @length: bytes
 */
struct svf_mlx5_track_range {
	u64 start;
	u64 length;
};

/**
 * struct svf_mlx5_track_params - PAGE_TRACK object parameters
 * @log_page_size: tracking granule
 * @log_addr_space: log2 of the tracked address space
 * @log_msg_size: log2 of a report message
 * @reporting_qpn: QP the firmware sends dirty reports to
 * @ranges: tracked ranges
 * @nranges: number of @ranges
 */
struct svf_mlx5_track_params {
	u8 log_page_size;
	u8 log_addr_space;
	u8 log_msg_size;
	u32 reporting_qpn;
	const struct svf_mlx5_track_range *ranges;
	u32 nranges;
};

int svf_mlx5_cmd_query_fn(struct svf_mlx5_chan *chan, struct device *log,
			  u16 function_id, struct svf_mlx5_fn_caps *caps);
int svf_mlx5_cmd_suspend(struct svf_mlx5_chan *chan, struct device *log,
			 u16 vhca_id, enum svf_mlx5_side side);
int svf_mlx5_cmd_resume(struct svf_mlx5_chan *chan, struct device *log,
			u16 vhca_id, enum svf_mlx5_side side);
int svf_mlx5_cmd_query_mig(struct svf_mlx5_chan *chan, struct device *log,
			   u16 vhca_id, bool incremental, bool chunk,
			   struct svf_mlx5_mig_query *q);
int svf_mlx5_cmd_save(struct svf_mlx5_chan *chan, struct device *log,
		      u16 vhca_id, struct svf_mlx5_buf *buf, u32 size,
		      bool incremental, bool track,
		      struct svf_mlx5_save_out *res);
int svf_mlx5_cmd_load(struct svf_mlx5_chan *chan, struct device *log,
		      u16 vhca_id, struct svf_mlx5_buf *buf, u32 size);
int svf_mlx5_cmd_track_create(struct svf_mlx5_chan *chan, struct device *log,
			      u16 vhca_id,
			      const struct svf_mlx5_track_params *p,
			      u32 *obj_id);
int svf_mlx5_cmd_track_modify(struct svf_mlx5_chan *chan, struct device *log,
			      u32 obj_id, u64 iova, u64 length, u8 state);
int svf_mlx5_cmd_track_query(struct svf_mlx5_chan *chan, struct device *log,
			     u32 obj_id, u8 *state);
int svf_mlx5_cmd_track_destroy(struct svf_mlx5_chan *chan,
			       struct device *log, u32 obj_id);
int svf_mlx5_status_errno(u8 status);

#endif /* _SVF_MLX5_CMD_H */
