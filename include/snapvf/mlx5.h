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
 *
 * DMA logging (the PAGE_TRACK object and its report path)
 * =======================================================
 *
 * The firmware tracks the pages a function writes by DMA in a PAGE_TRACK
 * general object (CREATE/MODIFY/QUERY/DESTROY_GENERAL_OBJECT) and delivers
 * what it found to a *report receiver* named by the object's
 * ``reporting_qpn``: on hardware a QP (with its CQ and receive buffers) in
 * host memory of the PF.  A report is asked for with MODIFY_GENERAL_OBJECT
 * (``modify_field_select`` 0x3: state and range) setting the state to
 * REPORTING for an IOVA range; the firmware then sends the dirty page
 * addresses of that range (``page_track_report_entry`` records), clears
 * them, and finally tells the new state: TRACKING when the report is
 * complete, ERROR if tracking broke.  The receiver is a provider object
 * because setting up a QP is the provider's business; snapvf_mlx5 drives
 * it through three optional ops:
 *
 * - @rep_create makes a receiver and tells its number (the qpn snapvf_mlx5
 *   puts into the PAGE_TRACK object).  One per logging session.
 * - @rep_poll takes the records delivered so far, oldest first, as plain
 *   addresses, and the object state the firmware last delivered on it.
 * - @rep_destroy frees it, with anything still undelivered; snapvf_mlx5
 *   destroys the PAGE_TRACK object first.
 *
 * A provider without them (the hardware binding, which does not set up a
 * reporting QP) gets no DMA logging: snapvf_mlx5 then does not announce
 * %SVF_AUX_F_DIRTY_TRACKING for its functions.  &svf_mlx5_chan.track says
 * what the firmware's PAGE_TRACK accepts (on hardware the
 * ADV_VIRTUALIZATION capabilities ``pg_track_*``).
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
 * struct svf_mlx5_rep - a report receiver (see "DMA logging" above)
 * @qpn: the number the firmware sends reports to (``reporting_qpn``)
 * @priv: the provider's bookkeeping
 */
struct svf_mlx5_rep {
	u32 qpn;
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
 * @rep_create: optional (all three report ops or none): make a report
 *	receiver for one PAGE_TRACK object.  Returns it, with
 *	&svf_mlx5_rep.qpn set, or an ERR_PTR().
 * @rep_poll: take at most @max records the firmware delivered on @rep,
 *	oldest first, into @addr (each the first byte of a dirty page of
 *	the object's page size).  *@state receives the PAGE_TRACK state the
 *	firmware delivered last on @rep (MLX5_PAGE_TRACK_STATE_*): REPORTING
 *	while a report asked for by MODIFY_GENERAL_OBJECT is under way,
 *	TRACKING once every record of it has been taken, ERROR if tracking
 *	failed.  Returns the number of records taken (0 if none arrived
 *	yet: poll again) or a negative errno (-EIO: the receiver itself
 *	failed, -ENODEV: the device is gone).  Does not sleep for long: a
 *	caller that sees REPORTING and no records waits and polls again.
 * @rep_destroy: free @rep and whatever it still held.  Called after the
 *	PAGE_TRACK object that reported to it was destroyed (or its
 *	creation failed).
 */
struct svf_mlx5_chan_ops {
	int (*exec)(struct svf_mlx5_chan *chan, const void *in, int inlen,
		    void *out, int outlen);
	struct svf_mlx5_buf *(*buf_alloc)(struct svf_mlx5_chan *chan,
					  size_t size);
	void (*buf_free)(struct svf_mlx5_chan *chan, struct svf_mlx5_buf *buf);
	void (*fn_reset)(struct svf_mlx5_chan *chan, u16 vhca_id);

	struct svf_mlx5_rep *(*rep_create)(struct svf_mlx5_chan *chan);
	int (*rep_poll)(struct svf_mlx5_chan *chan, struct svf_mlx5_rep *rep,
			u64 *addr, u32 max, u8 *state);
	void (*rep_destroy)(struct svf_mlx5_chan *chan,
			    struct svf_mlx5_rep *rep);
};

/* Channel capabilities (&svf_mlx5_chan.caps). */
/** define SVF_MLX5_CAP_CHUNKS - firmware saves images in chunks */
#define SVF_MLX5_CAP_CHUNKS		BIT(0)
/** define SVF_MLX5_CAP_PRE_COPY - incremental saves while running */
#define SVF_MLX5_CAP_PRE_COPY		BIT(1)

/**
 * struct svf_mlx5_track_caps - what the firmware's PAGE_TRACK accepts
 * @max_ranges: most ranges one object tracks (``pg_track_max_num_range``);
 *	0: no page tracking.  More ranges are combined (the smallest gaps
 *	first, vfio_combine_iova_ranges()), so pages in a closed gap may be
 *	reported too.
 * @log_min_page_size: smallest tracking granule, log2 (at least 12)
 * @log_max_page_size: largest tracking granule, log2
 * @log_min_addr_space: smallest ``log_addr_space_size``, log2
 * @log_max_addr_space: largest: the tracked bytes of all ranges together,
 *	rounded up to a power of two, may not exceed it
 * @log_msg_size: report message size to ask for, log2
 *	(``pg_track_log_min_msg_size`` .. ``pg_track_log_max_msg_size``)
 */
struct svf_mlx5_track_caps {
	u32 max_ranges;
	u8 log_min_page_size;
	u8 log_max_page_size;
	u8 log_min_addr_space;
	u8 log_max_addr_space;
	u8 log_msg_size;
};

/**
 * struct svf_mlx5_chan - a provider's command channel
 * @ops: the provider's ops, valid until svf_mlx5_chan_remove_all() returns
 * @dev: the device the published aux devices hang below (the PF on
 *	hardware) and the one the channel's own messages name
 * @caps: SVF_MLX5_CAP_* bits the firmware behind the channel has
 * @track: what PAGE_TRACK accepts; used only with the report ops
 * @priv: the provider's data
 * @lock: snapvf_mlx5 private: protects @vfs
 * @vfs: snapvf_mlx5 private: functions added on this channel
 */
struct svf_mlx5_chan {
	const struct svf_mlx5_chan_ops *ops;
	struct device *dev;
	u32 caps;
	struct svf_mlx5_track_caps track;
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
