/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_mlx5 internals shared by main.c (functions, aux ops), fn_mig.c
 * (save and load sessions) and hw.c (the mlx5_core provider).
 *
 * Objects and lifetimes:
 * - struct svf_mlx5_chan: owned by a provider (include/snapvf/mlx5.h).
 * - struct svf_mlx5_vf: one per function added with svf_mlx5_vf_add(), on
 *   chan->vfs under chan->lock from publishing until the remover unlinks
 *   it.  Only the path that unlinked it withdraws its aux device and frees
 *   it (with its sessions and their firmware buffers), after
 *   svf_aux_fn_withdraw() returned, so no op ever sees it freed.
 * - vf->lock serialises the ops of one function and protects its device
 *   state and sessions; withdrawal never takes it.
 */
#ifndef _SVF_MLX5_PRIV_H
#define _SVF_MLX5_PRIV_H

#include <linux/mutex.h>
#include <snapvf/aux.h>
#include <snapvf/mlx5.h>

#include "cmd.h"

/* Log policy as in the simulator: op paths are rate-limited per site. */
#define svf_mlx5_err_rl(vf, fmt, ...)					\
	dev_err_ratelimited(&(vf)->pdev->dev, "snapvf_mlx5: " fmt,	\
			    ##__VA_ARGS__)

/*
 * The byte stream this parent produces inside the consumer's records: a
 * sequence of firmware images (or chunks), each behind a record header,
 * then an END header.  The image bytes are the firmware's, opaque here.
 */
#define SVF_MLX5_REC_MAGIC	0x4d355649	/* "IV5M" little-endian */
#define SVF_MLX5_REC_VERSION	1
#define SVF_MLX5_REC_IMAGE	1
#define SVF_MLX5_REC_END	2
/* largest image or chunk we stage for LOAD_VHCA_STATE */
#define SVF_MLX5_MAX_IMAGE	SZ_256M
/* most SAVE_VHCA_STATE commands (chunks) one round may take */
#define SVF_MLX5_MAX_CHUNKS	4096
/*
 * What a load session stages (a VMM writes the stream: bound it): derived
 * from the destination's own full image size in fn_mig.c
 * (svf_mlx5_load_limits()), within these fixed caps.
 */
#define SVF_MLX5_MAX_LOAD_IMAGES	(4 * SVF_MLX5_MAX_CHUNKS)
#define SVF_MLX5_MAX_STAGED	((u64)SZ_1G)
/* full images' worth a load may stage */
#define SVF_MLX5_LOAD_FULLS	8
/* staged bytes allowed whatever the destination's own size */
#define SVF_MLX5_LOAD_FLOOR	((u64)SZ_64M)

/**
 * struct svf_mlx5_rec_hdr - header in front of each image in the stream
 * @magic: SVF_MLX5_REC_MAGIC
 * @version: SVF_MLX5_REC_VERSION
 * @type: SVF_MLX5_REC_IMAGE or SVF_MLX5_REC_END
 * @size: image bytes that follow (0 for END)
 * @reserved: 0
 */
struct svf_mlx5_rec_hdr {
	__le32 magic;
	__le16 version;
	__le16 type;
	__le32 size;
	__le32 reserved;
};

enum svf_mlx5_dstate {
	SVF_MLX5_RUNNING,
	SVF_MLX5_P2P,
	SVF_MLX5_STOP,
};

struct svf_mlx5_save;
struct svf_mlx5_load;
struct svf_mlx5_log;

struct svf_mlx5_vf {
	struct list_head node;		/* chan->vfs; empty once unlinked */
	struct svf_mlx5_chan *chan;
	struct pci_dev *pdev;		/* reference held */
	struct svf_aux_fn *afn;
	u16 function_id;
	u16 vhca_id;

	struct mutex lock;		/* everything below */
	enum svf_mlx5_dstate dstate;
	/*
	 * A load failed after applying part of its stream: the function
	 * refuses to resume until reset (svf_mlx5_reset() clears it).
	 */
	bool partial;
	struct svf_mlx5_save *save;
	struct svf_mlx5_load *load;
	struct svf_mlx5_log *log;	/* DMA logging (dirty.c) */
};

/* fn_mig.c */
int svf_mlx5_save_start(struct svf_aux_fn *afn, u32 flags);
int svf_mlx5_save_round(struct svf_aux_fn *afn, bool final);
ssize_t svf_mlx5_save_chunk(struct svf_aux_fn *afn, void *buf, size_t len);
int svf_mlx5_save_pending(struct svf_aux_fn *afn, struct svf_aux_pending *p);
void svf_mlx5_save_end(struct svf_aux_fn *afn);
void svf_mlx5_save_free(struct svf_mlx5_vf *vf);
int svf_mlx5_load_start(struct svf_aux_fn *afn);
int svf_mlx5_load_chunk(struct svf_aux_fn *afn, const void *buf, size_t len);
int svf_mlx5_load_commit(struct svf_aux_fn *afn);
void svf_mlx5_load_abort(struct svf_aux_fn *afn);
void svf_mlx5_load_free(struct svf_mlx5_vf *vf);

/* dirty.c */
bool svf_mlx5_log_offered(const struct svf_mlx5_chan *chan);
int svf_mlx5_log_start(struct svf_aux_fn *afn, struct rb_root_cached *ranges,
		       u32 nnodes, u64 *page_size);
int svf_mlx5_log_stop(struct svf_aux_fn *afn);
int svf_mlx5_log_report(struct svf_aux_fn *afn, unsigned long iova,
			unsigned long length, struct iova_bitmap *dirty);
void svf_mlx5_log_free(struct svf_mlx5_vf *vf);

/* hw.c, built only against a kernel with mlx5_core */
#if IS_ENABLED(CONFIG_MLX5_CORE)
int svf_mlx5_hw_init(void);
void svf_mlx5_hw_exit(void);
#else
static inline int svf_mlx5_hw_init(void)
{
	return 0;
}

static inline void svf_mlx5_hw_exit(void)
{
}
#endif

#endif /* _SVF_MLX5_PRIV_H */
