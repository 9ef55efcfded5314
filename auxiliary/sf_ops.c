// SPDX-License-Identifier: GPL-2.0
/*
 * Gated wrappers around a scalable function's ops; same gate as fn_ops.c.
 * Bounds are checked here so a parent's read/write only sees ranges
 * inside the backing store.
 */
#include "aux_priv.h"

static bool svf_aux_sf_range_ok(struct svf_aux_sf *sf, u64 offset, size_t len)
{
	u64 mask = sf->block_size - 1;

	return !(offset & mask) && !(len & mask) && offset <= sf->capacity &&
	       len <= sf->capacity - offset;
}

/**
 * svf_aux_sf_read() - read from the SF's backing store
 * @sf: the SF
 * @offset: byte offset, block aligned
 * @buf: kernel buffer
 * @len: bytes, block multiple
 *
 * Return: 0, -EINVAL (range), -ENODEV once withdrawing, or the parent's
 * error (-EIO for an injected fault).
 */
int svf_aux_sf_read(struct svf_aux_sf *sf, u64 offset, void *buf, size_t len)
{
	int idx, ret = -ENODEV;

	if (!svf_aux_sf_range_ok(sf, offset, len))
		return -EINVAL;
	idx = svf_aux_enter(&sf->core);
	if (svf_aux_live(&sf->core))
		ret = sf->ops->read ?
		      sf->ops->read(sf, offset, buf, len) : -EOPNOTSUPP;
	svf_aux_leave(&sf->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_sf_read);

/**
 * svf_aux_sf_write() - write to the SF's backing store
 * @sf: the SF
 * @offset: byte offset, block aligned
 * @buf: kernel buffer
 * @len: bytes, block multiple
 *
 * Return: as svf_aux_sf_read().
 */
int svf_aux_sf_write(struct svf_aux_sf *sf, u64 offset, const void *buf,
		     size_t len)
{
	int idx, ret = -ENODEV;

	if (!svf_aux_sf_range_ok(sf, offset, len))
		return -EINVAL;
	idx = svf_aux_enter(&sf->core);
	if (svf_aux_live(&sf->core))
		ret = sf->ops->write ?
		      sf->ops->write(sf, offset, buf, len) : -EOPNOTSUPP;
	svf_aux_leave(&sf->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_sf_write);

/**
 * svf_aux_sf_flush() - make completed writes durable
 * @sf: the SF
 *
 * Return: 0 (also when the parent has no flush op), -ENODEV, or an error.
 */
int svf_aux_sf_flush(struct svf_aux_sf *sf)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&sf->core);
	if (svf_aux_live(&sf->core))
		ret = sf->ops->flush ? sf->ops->flush(sf) : 0;
	svf_aux_leave(&sf->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_sf_flush);

/**
 * svf_aux_sf_reset() - reset the SF's per-function state
 * @sf: the SF
 *
 * Return: 0 (also without a reset op), -ENODEV, or the parent's error.
 */
int svf_aux_sf_reset(struct svf_aux_sf *sf)
{
	int idx, ret = -ENODEV;

	idx = svf_aux_enter(&sf->core);
	if (svf_aux_live(&sf->core))
		ret = sf->ops->reset ? sf->ops->reset(sf) : 0;
	svf_aux_leave(&sf->core, idx);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_aux_sf_reset);
