// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sf: live migration of an instance through the shared layer.
 *
 * The layer (snapvf_mig) runs the VFIO v2 state machine, the data_fd and
 * the stream framing, and DMA logging (vmdev_dma_write() reports every
 * device write to guest memory to it).  This file supplies the device
 * hooks and one record type:
 *
 *  - SVF_SF_REC_STATE: struct svf_vblk_state, once, in the final round.
 *    It names the disk (capacity, block size, serial) and carries no
 *    data: the disk is the parent's volume, and the destination's parent
 *    presents the same volume (another SF attached to it).  A destination
 *    whose disk differs refuses the stream at commit (-EINVAL, one line).
 *  - VMDEV_MIG_REC_STATE: vfio-mdev-core's own record (config space,
 *    MSI-X table and PBA, MSI pending bits, INTx level), once, LAST in
 *    the final round.
 *
 * So the stream's size does not depend on what the guest wrote: pre-copy
 * rounds send nothing, and STOP_COPY sends the two records.  PRE_COPY is
 * still offered, so a VMM can overlap RAM with the device running.
 *
 * Requests in flight: the model completes a request (disk I/O, used ring,
 * status byte) under its lock, so when quiesce returns every request is
 * either completed, with its used element in guest RAM and its data on
 * the volume, or still in the avail ring past last_avail, which the state
 * record carries.  The destination processes those once it runs; the
 * source never will: it stays quiesced until it goes back to RUNNING
 * (the migration was abandoned, the destination never ran) or is reset,
 * and a reset, including the one at close, resets the model instead of
 * restarting it (svf_sf_mig_reset()).  Each request is thus executed
 * exactly once, on one side.

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

#include "sf.h"

#define SVF_SF_REC_STATE	(SVF_MIG_REC_DRIVER + 0)
/* a chunk holds one record: the model's (< 1 KiB) or the library's */
#define SVF_SF_CHUNK		SZ_64K
/*
 * "SFBLK" model, state format 3 (format 1 lacked the library record,
 * format 2 carried the disk's pages); the low byte is the type index.
 */
#define SVF_SF_COMPAT		0x5346424c4b000300ULL

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

	inst->state_sent = false;
	inst->lib_sent = false;
	return 0;
}

static void svf_sf_save_end(struct svf_mig *mig)
{
}

static int svf_sf_save(struct svf_mig *mig, bool final,
		       struct svf_mig_chunk *c)
{
	struct svf_sf_inst *inst = mig_inst(mig);
	int ret;

	c->len = 0;
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

/*
 * Nothing before the final round; then the model's and the library's
 * records, less what the final round has produced already.
 */
static int svf_sf_pending(struct svf_mig *mig, struct svf_mig_pending *p)
{
	struct svf_sf_inst *inst = mig_inst(mig);

	p->initial = 0;
	p->dirty = 0;
	p->stop_copy = 0;
	p->stop_copy_records = 0;
	if (!inst->state_sent) {
		p->stop_copy += sizeof(struct svf_vblk_state);
		p->stop_copy_records++;
	}
	if (!inst->lib_sent) {
		p->stop_copy += vmdev_mig_state_size(&inst->vdev);
		p->stop_copy_records++;
	}
	return 0;
}

static void svf_sf_drop_staged(struct svf_sf_inst *inst)
{
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
	if (type != SVF_SF_REC_STATE || len != sizeof(*inst->staged) ||
	    inst->staged)
		return -EINVAL;
	inst->staged = kmemdup(data, len, GFP_KERNEL);
	return inst->staged ? 0 : -ENOMEM;
}

static int svf_sf_load_commit(struct svf_mig *mig)
{
	struct svf_sf_inst *inst = mig_inst(mig);
	const struct svf_vblk_state *st = inst->staged;
	struct svf_vblk_dev *blk = &inst->blk;
	int ret = -EINVAL;

	/* Once per session: the commit ends the RESUMING session either way. */
	if (!st || !inst->lib_staged) {
		dev_warn_ratelimited(&inst->vdev.mdev->dev,
				     "migration stream rejected: no %s record\n",
				     !st ? "device state" : "vfio-mdev-core");
	} else if (!blk->serial[0]) {
		/* Without a serial the parent gives no way to tell its disks. */
		dev_warn_ratelimited(&inst->vdev.mdev->dev,
				     "migration stream rejected: the SF's disk has no serial to check it against\n");
	} else if (!svf_vblk_same_disk(blk, st)) {
		dev_warn_ratelimited(&inst->vdev.mdev->dev,
				     "migration stream rejected: source disk %*pE (%llu bytes, block %u) is not this instance's %*pE (%llu bytes, block %u)\n",
				     (int)strnlen(st->serial, sizeof(st->serial)),
				     st->serial, le64_to_cpu(st->capacity),
				     le32_to_cpu(st->block_size),
				     (int)strnlen(blk->serial, sizeof(blk->serial)),
				     blk->serial, blk->capacity, blk->block_size);
	} else {
		ret = svf_vblk_load(blk, st);
		if (ret)
			dev_warn_ratelimited(&inst->vdev.mdev->dev,
					     "migration stream rejected: cannot apply state\n");
		else
			vmdev_mig_load_commit(&inst->vdev);
	}
	svf_sf_drop_staged(inst);
	return ret;
}

static void svf_sf_load_abort(struct svf_mig *mig)
{
	svf_sf_drop_staged(mig_inst(mig));
}

/*
 * VFIO_DEVICE_RESET or close: the model is reset (which also ends the
 * quiesce), never restarted.  Restarting would execute the requests a
 * migrated-away source left in its avail ring, which the destination
 * executed already on the same disk.
 */
static void svf_sf_mig_reset(struct svf_mig *mig)
{
	struct svf_sf_inst *inst = mig_inst(mig);

	svf_sf_drop_staged(inst);
	svf_vblk_reset(&inst->blk);
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
