/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_mlx5: command channels and function providers.
 *
 * snapvf_mlx5 speaks the mlx5 VHCA migration commands (SUSPEND/RESUME_VHCA,
 * QUERY_VHCA_MIGRATION_STATE, SAVE/LOAD_VHCA_STATE, QUERY_HCA_CAP of another
 * function, the PAGE_TRACK object) in the firmware's own layouts
 * (<linux/mlx5/mlx5_ifc.h>).  It does not care who executes them: a
 * *provider* hands it a &struct svf_mlx5_chan, a command channel with a way
 * to allocate memory the firmware can read and write, and then adds the
 * PCI functions behind that channel with svf_mlx5_vf_add().
 *
 * Two providers exist: the hardware binding inside snapvf_mlx5
 * (drivers/mlx5/hw.c, over mlx5_core's exports, one channel per VF) and
 * the firmware model used by the tests (tools/testing/modules/mlx5_model).
 *
 * Lifetimes and locking
 * =====================
 *
 * - The provider owns the &struct svf_mlx5_chan memory.  It fills in @ops,
 *   @dev and @priv, calls svf_mlx5_chan_init() once and may then add
 *   functions.  svf_mlx5_chan_remove_all() withdraws every function still
 *   added on the channel; when it returns no op of the channel is called
 *   any more and the channel memory may be freed.
 * - svf_mlx5_vf_add() publishes ``snapvf_mlx5.vfio_pci.<fn-id>`` for the
 *   function if the firmware reports it migration capable; the channel's
 *   ops are called from inside it.  svf_mlx5_vf_remove() withdraws it:
 *   when it returns, no op runs for that function any more and every
 *   firmware buffer the function used is freed.
 * - All four calls sleep; the provider must not hold a lock its own
 *   &struct svf_mlx5_chan_ops take (withdrawal waits for ops in flight).
 *   The channel ops are called concurrently for different functions of one
 *   channel, serialised per function.
 */
#ifndef _SNAPVF_MLX5_H
#define _SNAPVF_MLX5_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/types.h>

struct svf_mlx5_chan;

/**
 * struct svf_mlx5_buf - memory the firmware reads or writes
 * @vaddr: the CPU's view, @size bytes, virtually contiguous
 * @size: usable bytes (the provider may round the allocation up)
 * @va: the address the firmware uses for byte 0 (command field ``va``)
 * @mkey: the memory key the firmware uses (command field ``mkey``)
 * @priv: the provider's bookkeeping
 *
 * A save command makes the firmware write the image into the buffer
 * through @mkey at @va; a load command makes it read from there.  The CPU
 * reads and writes @vaddr between commands only.
 */
struct svf_mlx5_buf {
	void *vaddr;
	size_t size;
	u64 va;
	u32 mkey;
	void *priv;
};

/**
 * struct svf_mlx5_chan_ops - a command channel to mlx5 firmware
 *
 * All ops sleep and are called in process context.
 *
 * @exec: execute one command.  @in holds @inlen bytes in the firmware's
 *	big-endian layout, @out receives @outlen bytes.  Returns 0 when the
 *	firmware answered with status OK, -EREMOTEIO when it answered with
 *	another status (then the status and syndrome are in @out), or
 *	another negative errno when the command never reached the firmware
 *	(-ENODEV: the function is gone, -ETIMEDOUT, -ENOMEM).
 * @buf_alloc: allocate a buffer of at least @size bytes the firmware can
 *	reach through an mkey (hardware: pages mapped for DMA through the PF
 *	and an MTT mkey; model: plain memory and a key it looks up).
 *	Returns the buffer or an ERR_PTR().
 * @buf_free: free a buffer of @buf_alloc, with its mkey and mappings.
 * @fn_reset: optional: the function @vhca_id was reset by its user (VFIO
 *	reset).  Real firmware sees the function-level reset itself and
 *	returns the VHCA to running with no migration in progress; a provider
 *	whose firmware cannot see it (the model: its functions are not mlx5
 *	functions) does the same here.  NULL on hardware.
 */
struct svf_mlx5_chan_ops {
	int (*exec)(struct svf_mlx5_chan *chan, const void *in, int inlen,
		    void *out, int outlen);
	struct svf_mlx5_buf *(*buf_alloc)(struct svf_mlx5_chan *chan,
					  size_t size);
	void (*buf_free)(struct svf_mlx5_chan *chan, struct svf_mlx5_buf *buf);
	void (*fn_reset)(struct svf_mlx5_chan *chan, u16 vhca_id);
};

/* Channel capabilities (&svf_mlx5_chan.caps). */
/** define SVF_MLX5_CAP_CHUNKS - firmware saves images in chunks */
#define SVF_MLX5_CAP_CHUNKS		BIT(0)
/** define SVF_MLX5_CAP_PRE_COPY - incremental saves while running */
#define SVF_MLX5_CAP_PRE_COPY		BIT(1)

/**
 * struct svf_mlx5_chan - a provider's command channel
 * @ops: the provider's ops, valid until svf_mlx5_chan_remove_all() returns
 * @dev: the device the published aux devices hang below (the PF on
 *	hardware) and the one the channel's own messages name
 * @caps: SVF_MLX5_CAP_* bits the firmware behind the channel has
 * @priv: the provider's data
 * @lock: snapvf_mlx5 private: protects @vfs
 * @vfs: snapvf_mlx5 private: functions added on this channel
 */
struct svf_mlx5_chan {
	const struct svf_mlx5_chan_ops *ops;
	struct device *dev;
	u32 caps;
	void *priv;
	struct mutex lock;		/* protects @vfs */
	struct list_head vfs;
};

void svf_mlx5_chan_init(struct svf_mlx5_chan *chan);
void svf_mlx5_chan_remove_all(struct svf_mlx5_chan *chan);
int svf_mlx5_vf_add(struct svf_mlx5_chan *chan, struct pci_dev *pdev,
		    u16 function_id);
void svf_mlx5_vf_remove(struct svf_mlx5_chan *chan, struct pci_dev *pdev);

#endif /* _SNAPVF_MLX5_H */
