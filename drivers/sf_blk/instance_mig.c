// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sf: live migration of an instance through the shared layer.
 *
 * The layer (snapvf_mig) runs the VFIO v2 state machine, the data_fd and
 * the stream framing, and DMA logging (vmdev_dma_write() reports every
 * device write to guest memory to it).  This file supplies the device
 * hooks and two record types:
 *
 *  - SVF_SF_REC_PAGES: store pages, { __le64 index; u8 data[PAGE_SIZE] }
 *    repeated.  Pre-copy round 0 carries every written page, later rounds
 *    the pages written since they were sent (SVF_VBLK_UNSENT marks).
 *  - SVF_SF_REC_STATE: struct svf_vblk_state, once, in the final round
 *    after the last pages.
 *  - VMDEV_MIG_REC_STATE: vfio-mdev-core's own record (config space,
 *    MSI-X table and PBA, MSI pending bits, INTx level), once, LAST in
 *    the final round.
 *
 * Why the library's record comes last: it is the state a VMM keeps
 * changing until the device stops (config writes, MSI-X table writes
 * while pre-copy runs), so it can only be produced in the final round;
 * placing it after the device's records makes the stream order the order
 * of application on the destination: load_commit applies the model (the
 * step that can fail) first and then the library state, whose commit
 * may deliver interrupts the restored MSI-X/INTx state leaves pending, by
 * then against a complete model.  A stream without the library record is
 * refused at commit (-EINVAL, nothing applied).
 *
 * What the destination's VMM must do: register its interrupt eventfds
 * with VFIO_DEVICE_SET_IRQS (same index and vectors as on the source),
 * before or after resuming, as QEMU does.  Nothing else: the command
 * register (decoding, bus mastering), BAR registers, MSI/MSI-X capability
 * and the MSI-X table arrive with the stream.  The MSI/MSI-X Enable bits
 * follow the destination's SET_IRQS mode (they read as the source's once
 * the same mode is armed).
 *
 * Quiesce stops request processing (notifications stay in the avail
 * ring); unquiesce and a resumed destination process what is pending.
 *
 * Locking: hooks run one at a time under the layer's state lock and take
 * blk.lock for model state; the BAR path takes blk.lock only, so there
 * is no inversion.
 */
#include <linux/slab.h>
#include <linux/xarray.h>

#include "sf.h"

#define SVF_SF_REC_STATE	(SVF_MIG_REC_DRIVER + 0)
#define SVF_SF_REC_PAGES	(SVF_MIG_REC_DRIVER + 1)
#define SVF_SF_PAGE_REC		(sizeof(__le64) + PAGE_SIZE)
/* chunk size: whole page records only, so a chunk holds this many pages */
#define SVF_SF_CHUNK		SVF_MIG_CHUNK_DEFAULT
#define SVF_SF_CHUNK_PAGES	(SVF_SF_CHUNK / SVF_SF_PAGE_REC)
/*
 * "SFBLK" model, state format 2 (format 1 lacked the library record); the
 * low byte is the type index.
 */
#define SVF_SF_COMPAT		0x5346424c4b000200ULL

static struct svf_sf_inst *mig_inst(struct svf_mig *mig)
{
	return svf_mig_priv(mig);
}

static int svf_sf_quiesce(struct svf_mig *mig)
{
	svf_vblk_quiesce(&mig_inst(mig)->blk, true);
	return 0;
}

static int svf_sf_unquiesce(struct svf_mig *mig)
{
	svf_vblk_quiesce(&mig_inst(mig)->blk, false);
	return 0;
}

static int svf_sf_stop(struct svf_mig *mig)
{
	svf_vblk_quiesce(&mig_inst(mig)->blk, true);
	return 0;
}

static int svf_sf_start(struct svf_mig *mig)
{
	return 0;
}

static int svf_sf_save_begin(struct svf_mig *mig, bool precopy)
{
	struct svf_sf_inst *inst = mig_inst(mig);

	mutex_lock(&inst->blk.lock);
	svf_vblk_store_track(&inst->blk.store, true);
	mutex_unlock(&inst->blk.lock);
	inst->save_pos = 0;
	inst->state_sent = false;
	inst->lib_sent = false;
	return 0;
}

static void svf_sf_save_end(struct svf_mig *mig)
{
	struct svf_sf_inst *inst = mig_inst(mig);

	mutex_lock(&inst->blk.lock);
	svf_vblk_store_track(&inst->blk.store, false);
	mutex_unlock(&inst->blk.lock);
}

/* Fills @c with unsent pages; returns the number of pages copied. */
static size_t svf_sf_save_pages(struct svf_sf_inst *inst,
				struct svf_mig_chunk *c)
{
	struct svf_vblk_store *st = &inst->blk.store;
	size_t n = 0;
	pgoff_t idx = 0;

	while (c->len + SVF_SF_PAGE_REC <= c->size &&
	       svf_vblk_store_next_unsent(st, &idx)) {
		__le64 le = cpu_to_le64(idx);

		memcpy(c->buf + c->len, &le, sizeof(le));
		memcpy(c->buf + c->len + sizeof(le),
		       svf_vblk_store_get_page(st, idx), PAGE_SIZE);
		svf_vblk_store_clear_unsent(st, idx);
		c->len += SVF_SF_PAGE_REC;
		n++;
		idx++;
	}
	return n;
}

static int svf_sf_save(struct svf_mig *mig, bool final,
		       struct svf_mig_chunk *c)
{
	struct svf_sf_inst *inst = mig_inst(mig);
	int ret;

	c->len = 0;
	mutex_lock(&inst->blk.lock);
	if (svf_sf_save_pages(inst, c)) {
		c->type = SVF_SF_REC_PAGES;
		mutex_unlock(&inst->blk.lock);
		return 0;
	}
	mutex_unlock(&inst->blk.lock);
	if (!final || inst->lib_sent)
		return 0;
	if (inst->state_sent) {
		/* Last: vfio-mdev-core's record (see the top of the file). */
		ret = vmdev_mig_save(&inst->vdev, c);
		if (!ret)
			inst->lib_sent = true;
		return ret;
	}
	if (c->size < sizeof(struct svf_vblk_state))
		return -ENOSPC;
	svf_vblk_save(&inst->blk, c->buf);
	c->len = sizeof(struct svf_vblk_state);
	c->type = SVF_SF_REC_STATE;
	inst->state_sent = true;
	return 0;
}

static void svf_sf_pending(struct svf_mig *mig, struct svf_mig_pending *p)
{
	struct svf_sf_inst *inst = mig_inst(mig);
	u64 pages;

	mutex_lock(&inst->blk.lock);
	pages = inst->blk.store.tracking ? inst->blk.store.unsent :
		inst->blk.store.nr_pages;
	mutex_unlock(&inst->blk.lock);
	p->initial = 0;
	p->dirty = pages * SVF_SF_PAGE_REC;
	p->stop_copy = p->dirty + sizeof(struct svf_vblk_state) +
		       vmdev_mig_state_size(&inst->vdev);
	/* chunks of whole page records, then the model's and the library's */
	p->stop_copy_records = DIV_ROUND_UP_ULL(pages, SVF_SF_CHUNK_PAGES) + 2;
}

static void svf_sf_drop_staged(struct svf_sf_inst *inst)
{
	unsigned long idx;
	void *page;

	xa_for_each(&inst->staged_pages, idx, page)
		kfree(page);
	xa_destroy(&inst->staged_pages);
	kfree(inst->staged);
	inst->staged = NULL;
	vmdev_mig_load_abort(&inst->vdev);
	inst->lib_staged = false;
}

static int svf_sf_load_begin(struct svf_mig *mig)
{
	svf_sf_drop_staged(mig_inst(mig));
	return 0;
}

static int svf_sf_stage_pages(struct svf_sf_inst *inst, const void *data,
			      size_t len)
{
	u64 npages = inst->blk.store.capacity >> PAGE_SHIFT;
	void *copy, *old;
	__le64 le;
	u64 idx;

	if (len % SVF_SF_PAGE_REC)
		return -EINVAL;
	for (; len; data += SVF_SF_PAGE_REC, len -= SVF_SF_PAGE_REC) {
		memcpy(&le, data, sizeof(le));
		idx = le64_to_cpu(le);
		if (idx >= npages)
			return -EINVAL;
		copy = kmemdup(data + sizeof(le), PAGE_SIZE, GFP_KERNEL_ACCOUNT);
		if (!copy)
			return -ENOMEM;
		old = xa_store(&inst->staged_pages, idx, copy, GFP_KERNEL_ACCOUNT);
		if (xa_is_err(old)) {
			kfree(copy);
			return xa_err(old);
		}
		kfree(old);
	}
	return 0;
}

static int svf_sf_load_stage(struct svf_mig *mig, u16 type, const void *data,
			     size_t len)
{
	struct svf_sf_inst *inst = mig_inst(mig);
	int ret;

	ret = vmdev_mig_load_stage(&inst->vdev, type, data, len);
	if (ret != -ENOENT) {
		/* The library's record, last in the stream: once. */
		if (!ret && inst->lib_staged)
			ret = -EINVAL;
		inst->lib_staged = !ret;
		return ret;
	}
	if (inst->lib_staged)
		return -EINVAL;	/* nothing may follow the library record */
	switch (type) {
	case SVF_SF_REC_PAGES:
		return svf_sf_stage_pages(inst, data, len);
	case SVF_SF_REC_STATE:
		if (len != sizeof(*inst->staged) || inst->staged)
			return -EINVAL;
		inst->staged = kmemdup(data, len, GFP_KERNEL);
		return inst->staged ? 0 : -ENOMEM;
	}
	return -EINVAL;
}

static int svf_sf_load_commit(struct svf_mig *mig)
{
	struct svf_sf_inst *inst = mig_inst(mig);
	unsigned long idx;
	void *page;
	int ret;

	if (!inst->staged || !inst->lib_staged) {
		ret = -EINVAL;
		goto out;
	}
	ret = svf_vblk_load(&inst->blk, inst->staged);
	if (ret)
		goto out;
	mutex_lock(&inst->blk.lock);
	xa_for_each(&inst->staged_pages, idx, page) {
		ret = svf_vblk_store_put_page(&inst->blk.store, idx, page);
		if (ret)
			break;
	}
	mutex_unlock(&inst->blk.lock);
	if (!ret)
		vmdev_mig_load_commit(&inst->vdev);
out:
	/* Once per session: the commit ends the RESUMING session either way. */
	if (ret)
		dev_warn(&inst->vdev.mdev->dev,
			 "migration stream rejected: %s\n",
			 !inst->staged ? "no device state record" :
			 !inst->lib_staged ? "no vfio-mdev-core record" :
			 "cannot apply state");
	svf_sf_drop_staged(inst);
	return ret;
}

static void svf_sf_load_abort(struct svf_mig *mig)
{
	svf_sf_drop_staged(mig_inst(mig));
}

static void svf_sf_mig_reset(struct svf_mig *mig)
{
	struct svf_sf_inst *inst = mig_inst(mig);

	svf_sf_drop_staged(inst);
	svf_vblk_quiesce(&inst->blk, false);
}

static const struct svf_mig_ops svf_sf_mig_ops = {
	.quiesce = svf_sf_quiesce,
	.unquiesce = svf_sf_unquiesce,
	.stop = svf_sf_stop,
	.start = svf_sf_start,
	.save_begin = svf_sf_save_begin,
	.save = svf_sf_save,
	.save_end = svf_sf_save_end,
	.pending = svf_sf_pending,
	.load_begin = svf_sf_load_begin,
	.load_stage = svf_sf_load_stage,
	.load_commit = svf_sf_load_commit,
	.load_abort = svf_sf_load_abort,
	.reset = svf_sf_mig_reset,
};

/**
 * svf_sf_mig_init() - make an instance migratable
 * @inst: instance, model initialised, not yet registered with VFIO
 * @type: type index (instances migrate only to the same type)
 *
 * Return: 0 or the layer's errno.
 */
int svf_sf_mig_init(struct svf_sf_inst *inst, unsigned int type)
{
	struct svf_mig_config cfg = {
		.ops = &svf_sf_mig_ops,
		.caps = SVF_MIG_CAP_P2P | SVF_MIG_CAP_PRE_COPY |
			SVF_MIG_CAP_DIRTY_LOG,
		.compat_id = SVF_SF_COMPAT | type,
		.chunk_size = SVF_SF_CHUNK,
		.priv = inst,
	};
	int ret;

	xa_init(&inst->staged_pages);
	ret = svf_mig_init(&inst->mig, &inst->vdev.vdev, &cfg);
	if (!ret)
		inst->mig_ready = true;
	return ret;
}

/**
 * svf_sf_mig_uninit() - free migration state (from release)
 * @inst: instance
 */
void svf_sf_mig_uninit(struct svf_sf_inst *inst)
{
	if (!inst->mig_ready)
		return;
	svf_mig_uninit(&inst->mig);
	svf_sf_drop_staged(inst);
	inst->mig_ready = false;
}
