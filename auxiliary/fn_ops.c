// SPDX-License-Identifier: GPL-2.0
/*
 * Gated wrappers around a PCI function's device-state ops.
 *
 * Each wrapper enters @fn's SRCU gate, returns -ENODEV if withdrawal has
 * started, else calls the parent op (-EOPNOTSUPP if the parent has none)
 * and leaves the gate.  Withdrawal waits for the gate to drain, so an op
 * never runs after svf_aux_fn_withdraw() returned.  The caller must hold
 * @fn valid (bound consumer or own reference) and may sleep.
 */
#include "aux_priv.h"

/**
 * svf_aux_fn_quiesce() - RUNNING -> RUNNING_P2P, see &svf_aux_fn_ops.quiesce
 * @fn: the function
 *
 * Return: 0, -ENODEV once withdrawing, -EOPNOTSUPP or the parent's error.
 */
int svf_aux_fn_quiesce(struct svf_aux_fn *fn)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->quiesce ? fn->ops->quiesce(fn) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_quiesce);

/**
 * svf_aux_fn_unquiesce() - RUNNING_P2P -> RUNNING
 * @fn: the function
 *
 * Return: as svf_aux_fn_quiesce().
 */
int svf_aux_fn_unquiesce(struct svf_aux_fn *fn)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->unquiesce ? fn->ops->unquiesce(fn) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_unquiesce);

/**
 * svf_aux_fn_suspend() - RUNNING_P2P -> STOP
 * @fn: the function
 *
 * Return: as svf_aux_fn_quiesce().
 */
int svf_aux_fn_suspend(struct svf_aux_fn *fn)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->suspend ? fn->ops->suspend(fn) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_suspend);

/**
 * svf_aux_fn_resume() - STOP -> RUNNING_P2P
 * @fn: the function
 *
 * Return: as svf_aux_fn_quiesce().
 */
int svf_aux_fn_resume(struct svf_aux_fn *fn)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->resume ? fn->ops->resume(fn) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_resume);

/**
 * svf_aux_fn_save_start() - begin a save session
 * @fn: the function
 * @flags: %SVF_AUX_SAVE_PRECOPY or 0
 *
 * Return: 0, -EBUSY if a session is open, -ENODEV, or the parent's error.
 */
int svf_aux_fn_save_start(struct svf_aux_fn *fn, u32 flags)
{
	int idx, ret = -ENODEV;

	if (flags & ~SVF_AUX_SAVE_PRECOPY)
		return -EINVAL;
	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->save_start ?
		      fn->ops->save_start(fn, flags) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_save_start);

/**
 * svf_aux_fn_save_round() - start the next save round
 * @fn: the function
 * @final: final round (device stopped): everything left plus end of stream
 *
 * Return: 0, -ENODEV, or the parent's error.
 */
int svf_aux_fn_save_round(struct svf_aux_fn *fn, bool final)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->save_round ?
		      fn->ops->save_round(fn, final) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_save_round);

/**
 * svf_aux_fn_save_chunk() - next bytes of the current round
 * @fn: the function
 * @buf: kernel buffer
 * @len: its size
 *
 * Return: bytes stored in @buf, 0 at the end of the round, or a negative
 * errno (-ENODEV once withdrawing).
 */
ssize_t svf_aux_fn_save_chunk(struct svf_aux_fn *fn, void *buf, size_t len)
{
	ssize_t ret = -ENODEV;
	int idx;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->save_chunk ?
		      fn->ops->save_chunk(fn, buf, len) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_save_chunk);

/**
 * svf_aux_fn_save_pending() - size estimates (of a save started now if none is open)
 * @fn: the function
 * @p: filled in
 *
 * Return: 0, -ENODEV, or the parent's error.
 */
int svf_aux_fn_save_pending(struct svf_aux_fn *fn, struct svf_aux_pending *p)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->save_pending ?
		      fn->ops->save_pending(fn, p) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_save_pending);

/**
 * svf_aux_fn_save_end() - close the save session
 * @fn: the function
 *
 * Does nothing once withdrawing (the parent cleans up then).
 */
void svf_aux_fn_save_end(struct svf_aux_fn *fn)
{
	int idx = svf_aux_enter(&fn->core);

	if (svf_aux_live(&fn->core) && fn->ops->save_end)
		fn->ops->save_end(fn);
	svf_aux_leave(&fn->core, idx);
}
EXPORT_SYMBOL_GPL(svf_aux_fn_save_end);

/**
 * svf_aux_fn_load_start() - begin staging an incoming stream
 * @fn: the function (stopped)
 *
 * Return: 0, -EBUSY if a load is open, -ENODEV, or the parent's error.
 */
int svf_aux_fn_load_start(struct svf_aux_fn *fn)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->load_start ?
		      fn->ops->load_start(fn) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_load_start);

/**
 * svf_aux_fn_load_chunk() - stage the next bytes of the stream
 * @fn: the function
 * @buf: kernel buffer
 * @len: bytes in @buf
 *
 * Return: 0, -EINVAL for a malformed stream, -ENODEV, or another error.
 */
int svf_aux_fn_load_chunk(struct svf_aux_fn *fn, const void *buf, size_t len)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->load_chunk ?
		      fn->ops->load_chunk(fn, buf, len) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_load_chunk);

/**
 * svf_aux_fn_load_commit() - validate and apply the staged stream
 * @fn: the function
 *
 * Return: 0 (applied), or an error with nothing applied and the load ended.
 */
int svf_aux_fn_load_commit(struct svf_aux_fn *fn)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->load_commit ?
		      fn->ops->load_commit(fn) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_load_commit);

/**
 * svf_aux_fn_load_abort() - drop the staged stream
 * @fn: the function
 *
 * Does nothing once withdrawing.
 */
void svf_aux_fn_load_abort(struct svf_aux_fn *fn)
{
	int idx = svf_aux_enter(&fn->core);

	if (svf_aux_live(&fn->core) && fn->ops->load_abort)
		fn->ops->load_abort(fn);
	svf_aux_leave(&fn->core, idx);
}
EXPORT_SYMBOL_GPL(svf_aux_fn_load_abort);

/**
 * svf_aux_fn_log_start() - start DMA logging
 * @fn: the function
 * @ranges: IOVA ranges (interval tree), as given to vfio_log_ops
 * @nnodes: number of nodes in @ranges
 * @page_size: in: requested tracking granule; out: the one used
 *
 * Return: 0, -EOPNOTSUPP, -ENODEV, or the parent's error.
 */
int svf_aux_fn_log_start(struct svf_aux_fn *fn, struct rb_root_cached *ranges,
			 u32 nnodes, u64 *page_size)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core) && !fn->ops->log_start)
		ret = -EOPNOTSUPP;
	else if (svf_aux_live(&fn->core))
		ret = fn->ops->log_start(fn, ranges, nnodes, page_size);
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_log_start);

/**
 * svf_aux_fn_log_stop() - stop DMA logging
 * @fn: the function
 *
 * Return: 0, -EOPNOTSUPP, -ENODEV, or the parent's error.
 */
int svf_aux_fn_log_stop(struct svf_aux_fn *fn)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->log_stop ? fn->ops->log_stop(fn) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_log_stop);

/**
 * svf_aux_fn_log_report() - report and clear DMA-dirtied pages
 * @fn: the function
 * @iova: start of the range
 * @length: its length
 * @dirty: bitmap to set bits in
 *
 * Return: 0, -EOPNOTSUPP, -ENODEV, or the parent's error.
 */
int svf_aux_fn_log_report(struct svf_aux_fn *fn, unsigned long iova,
			  unsigned long length, struct iova_bitmap *dirty)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core) && !fn->ops->log_report)
		ret = -EOPNOTSUPP;
	else if (svf_aux_live(&fn->core))
		ret = fn->ops->log_report(fn, iova, length, dirty);
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_log_report);

/**
 * svf_aux_fn_reset() - reset the parent's state of the function
 * @fn: the function
 *
 * Return: 0, -EOPNOTSUPP, -ENODEV, or the parent's error.
 */
int svf_aux_fn_reset(struct svf_aux_fn *fn)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&fn->core);
	if (svf_aux_live(&fn->core))
		ret = fn->ops->reset ? fn->ops->reset(fn) : -EOPNOTSUPP;
	svf_aux_leave(&fn->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_reset);
