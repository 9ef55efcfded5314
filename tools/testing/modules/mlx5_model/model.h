/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_mlx5_model internals.
 *
 * The model plays the firmware behind a PF: it executes the mlx5 commands
 * snapvf_mlx5 sends over its channel (fw.c), decoding them on its own with
 * MLX5_GET() from the <linux/mlx5/mlx5_ifc.h> layouts, and keeps for each
 * of its functions a VHCA: a migration state machine, a device state of
 * state_size bytes (pages), dirty tracking, and the image being saved.
 *
 * Locking: model_lock (a mutex) protects everything: the function list,
 * every VHCA, the buffer list, the PAGE_TRACK objects and report receivers
 * and the injection knobs' effect.  Command
 * execution and the debugfs files take it; it is never held across a call
 * into snapvf_mlx5 (whose withdrawal waits for commands in flight).
 */
#ifndef _SVF_MLX5_MODEL_H
#define _SVF_MLX5_MODEL_H

#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <snapvf/mlx5.h>

#define MODEL_PAGE		4096u

/* addresses of the last report the model remembers per function */
#define MODEL_REPORTED_MAX		256

/* PAGE_TRACK limits of the model's "firmware" (its pg_track_* caps) */
#define MODEL_TRACK_LOG_MIN_PAGE	12
#define MODEL_TRACK_LOG_MAX_PAGE	21
#define MODEL_TRACK_LOG_MIN_SPACE	12
#define MODEL_TRACK_LOG_MAX_SPACE	36
#define MODEL_TRACK_LOG_MIN_MSG		6
#define MODEL_TRACK_LOG_MAX_MSG		16

enum model_vhca_state {
	MODEL_RUNNING,
	MODEL_INIT_SUSPENDED,	/* initiator side stopped: RUNNING_P2P */
	MODEL_SUSPENDED,
};

/* Syndromes of the model's own failures (the real firmware's differ). */
#define MODEL_SYN_STATE		0x5e000001	/* wrong VHCA state */
#define MODEL_SYN_NO_VHCA	0x5e000002	/* unknown vhca_id/function */
#define MODEL_SYN_NO_TRACK	0x5e000003	/* incremental, not tracked */
#define MODEL_SYN_MKEY		0x5e000004	/* bad mkey or va range */
#define MODEL_SYN_SMALL		0x5e000005	/* buffer too small */
#define MODEL_SYN_IMAGE		0x5e000006	/* malformed image */
#define MODEL_SYN_DEVTYPE	0x5e000007	/* image of another type */
#define MODEL_SYN_LEN		0x5e000008	/* bad inbox/outbox length */
#define MODEL_SYN_OBJ		0x5e000009	/* bad general object */
#define MODEL_SYN_OPCODE	0x5e00000a	/* opcode not modelled */
#define MODEL_SYN_TRACK		0x5e00000b	/* bad PAGE_TRACK parameters */
#define MODEL_SYN_QPN		0x5e00000c	/* no such report receiver */

struct model_vf {
	struct list_head node;		/* model_vfs */
	struct pci_dev *pdev;		/* reference held */
	u16 function_id;		/* VF number + 1 */
	u16 vhca_id;
	bool migratable;
	bool published;			/* svf_mlx5_vf_add() succeeded */
	struct dentry *dbg;

	enum model_vhca_state state;
	u8 *mem;			/* device state, npages pages */
	u32 npages;
	bool tracking;
	unsigned long *dirty;
	/* the image being saved in chunks: pages still to send */
	unsigned long *pending;
	u32 pending_count;
	bool pending_inc;
	bool saving;

	/* injected failure: next command with this opcode (after skip) */
	u32 dev_type;
	u32 fail_opcode;
	u32 fail_status;
	u32 fail_syndrome;
	u32 fail_skip;
	u32 fail_fired;
	u32 commands;

	/* injected delay: sleep before each command with this opcode */
	u32 delay_opcode;
	u32 delay_ms;
	/*
	 * injected surprise removal: the next command with this opcode
	 * (after surprise_skip of them) and every later one of this VHCA is
	 * not executed (-ENODEV, as a PF gone from the bus), and the VF is
	 * withdrawn and forgotten from a work item (model_surprise()).
	 */
	u32 surprise_opcode;
	u32 surprise_skip;
	bool gone;
	/* the test hook "log" (model.c) and what the last report sent */
	u64 log_page_size;
	u64 reported[MODEL_REPORTED_MAX];
	u32 nreported;			/* may exceed MODEL_REPORTED_MAX */
};

extern struct mutex model_lock;
extern struct list_head model_vfs;
extern u32 model_chunk_pages;
extern u32 model_track_max_ranges;
extern u32 model_bufs_live;
extern u32 model_page_tracks_live;
extern u32 model_reps_live;

int model_exec(struct svf_mlx5_chan *chan, const void *in, int inlen,
	       void *out, int outlen);
struct svf_mlx5_buf *model_buf_alloc(struct svf_mlx5_chan *chan, size_t size);
void model_buf_free(struct svf_mlx5_chan *chan, struct svf_mlx5_buf *buf);
void model_fn_reset(struct svf_mlx5_chan *chan, u16 vhca_id);
struct svf_mlx5_rep *model_rep_create(struct svf_mlx5_chan *chan);
int model_rep_poll(struct svf_mlx5_chan *chan, struct svf_mlx5_rep *rep,
		   u64 *addr, u32 max, u8 *state);
void model_rep_destroy(struct svf_mlx5_chan *chan, struct svf_mlx5_rep *rep);
int model_dma_write(struct model_vf *vf, u64 iova, u64 len);
void model_track_error(struct model_vf *vf, u32 when);
void model_fw_exit(void);
void model_surprise(void);

#endif /* _SVF_MLX5_MODEL_H */
