// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdev-core: the library's own migration record.
 *
 * The driver owns the migration engine (struct svf_mig from
 * <snapvf/mig.h>) and its hooks; from them it calls the helpers below so
 * that the state the library owns travels as one record of type
 * VMDEV_MIG_REC_STATE: config space (256 bytes), the MSI-X table and PBA,
 * MSI pending bits and the INTx line.  Its layout is public:
 * struct vmdev_mig_rec in <snapvf/mig_stream.h>
 * (include/uapi/snapvf/mig_stream.h) is the normative definition.  The
 * eventfds and the SET_IRQS mode are not device state: the destination's
 * user sets them up again.
 *
 * Loading is two-phase as the layer requires: vmdev_mig_load_stage()
 * checks the record against this device (same IDs, vector counts, sizes
 * and description fingerprint) and keeps a copy; vmdev_mig_load_commit()
 * applies it under the interrupt locks; vmdev_mig_load_abort() drops it.  The staged copy is
 * owned by the device (&vmdev_state.mig_staged) and protected by the
 * layer's state lock, which serialises the hooks that call these helpers.
 */
#include <linux/crc32.h>
#include <linux/slab.h>
#include <snapvf/mig.h>
#include <snapvf/mig_stream.h>
#include "vmdev_priv.h"

/*
 * The record's layout (struct vmdev_mig_rec, VMDEV_MIG_*) is public and
 * defined in <snapvf/mig_stream.h>; these hold it to the library's own
 * sizes.
 */
static_assert(sizeof(struct vmdev_mig_rec) == 280);
static_assert(VMDEV_MIG_CFG_LEN == VMDEV_CFG_SIZE);
static_assert(VMDEV_MIG_MSIX_ENTRY_LEN == VMDEV_MSIX_ENTRY);

static size_t msix_table_len(struct vmdev_device *vdev)
{
	return VMDEV_MIG_MSIX_TABLE_LEN((size_t)vdev->desc->msix_vectors);
}

static size_t msix_pba_len(struct vmdev_device *vdev)
{
	return VMDEV_MIG_MSIX_PBA_LEN((size_t)vdev->desc->msix_vectors);
}

/*
 * The PBA of the record in @buf, after the MSI-X table: __le64 words,
 * vector n is bit n % 64 of word n / 64.  8-byte aligned in @buf.
 */
static __le64 *rec_pba(struct vmdev_device *vdev, void *buf)
{
	return buf + sizeof(struct vmdev_mig_rec) + msix_table_len(vdev);
}

/*
 * CRC32 over what the description made of the function: reset values,
 * write and write-one-to-clear masks of config space (IDs, BAR sizing,
 * capability layout, MSI/MSI-X geometry, vendor capabilities), the BAR
 * kinds (RAM or trapped) and the config space size.  Two devices with
 * equal fingerprints interpret a record's bytes the same way.
 */
static u32 vmdev_desc_id(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	__le32 word;
	unsigned int i;
	u32 crc;

	crc = crc32_le(~0U, st->init, VMDEV_CFG_SIZE);
	crc = crc32_le(crc, st->wmask, VMDEV_CFG_SIZE);
	crc = crc32_le(crc, st->w1c, VMDEV_CFG_SIZE);
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		word = cpu_to_le32(vdev->desc->bars[i].flags);
		crc = crc32_le(crc, (const u8 *)&word, sizeof(word));
	}
	word = cpu_to_le32(st->cfg_size);
	return ~crc32_le(crc, (const u8 *)&word, sizeof(word));
}

size_t vmdev_mig_state_size(struct vmdev_device *vdev)
{
	return sizeof(struct vmdev_mig_rec) + msix_table_len(vdev) +
	       msix_pba_len(vdev);
}
EXPORT_SYMBOL_GPL(vmdev_mig_state_size);

int vmdev_mig_save(struct vmdev_device *vdev, struct svf_mig_chunk *chunk)
{
	size_t size = vmdev_mig_state_size(vdev);
	struct vmdev_state *st = vdev->st;
	struct vmdev_mig_rec *rec = chunk->buf;
	unsigned long flags;
	u32 pending = 0;
	__le64 *pba;
	unsigned int i;

	if (chunk->size < size)
		return -ENOSPC;
	memset(rec, 0, size);
	rec->magic = cpu_to_le32(VMDEV_MIG_MAGIC);
	rec->version = cpu_to_le16(VMDEV_MIG_VERSION);
	rec->cfg_len = cpu_to_le16(VMDEV_MIG_CFG_LEN);
	rec->vendor = cpu_to_le16(vdev->desc->vendor);
	rec->device = cpu_to_le16(vdev->desc->device);
	rec->msix_vectors = cpu_to_le16(vdev->desc->msix_vectors);
	rec->msi_vectors = vdev->desc->msi_vectors;
	rec->desc_id = cpu_to_le32(vmdev_desc_id(vdev));

	flags = vmdev_lock(st);
	memcpy(rec->cfg, st->cfg, VMDEV_MIG_CFG_LEN);
	for (i = 0; i < vdev->desc->msi_vectors; i++)
		if (st->ctx[i].pending)
			pending |= BIT(i);
	if (st->intx_asserted)
		rec->flags |= VMDEV_MIG_F_INTX_ASSERTED;
	if (vdev->desc->msix_vectors) {
		memcpy(rec + 1, st->msix_table, msix_table_len(vdev));
		pba = rec_pba(vdev, rec);	/* zeroed above */
		for_each_set_bit(i, st->msix_pba, vdev->desc->msix_vectors)
			pba[i / 64] |= cpu_to_le64(BIT_ULL(i % 64));
	}
	vmdev_unlock(st, flags);
	rec->msi_pending = cpu_to_le32(pending);

	chunk->len = size;
	chunk->type = VMDEV_MIG_REC_STATE;
	return 0;
}
EXPORT_SYMBOL_GPL(vmdev_mig_save);

/*
 * Log policy: once per session.  A refused record makes the migration
 * layer reject the whole stream, and that session's data_fd fails without
 * reaching us again; only a new RESUMING arc can.
 */
static int rec_check(struct vmdev_device *vdev, const void *data, size_t len)
{
	const struct vmdev_mig_rec *rec = data;
	struct device *dev = mdev_dev(vdev->mdev);

	if (len != vmdev_mig_state_size(vdev) || len < sizeof(*rec)) {
		dev_err(dev, "vmdev: migration record has %zu bytes, want %zu\n",
			len, vmdev_mig_state_size(vdev));
		return -EINVAL;
	}
	if (le32_to_cpu(rec->magic) != VMDEV_MIG_MAGIC ||
	    le16_to_cpu(rec->version) != VMDEV_MIG_VERSION ||
	    le16_to_cpu(rec->cfg_len) != VMDEV_MIG_CFG_LEN) {
		dev_err(dev, "vmdev: migration record has a bad magic/version\n");
		return -EINVAL;
	}
	if (le16_to_cpu(rec->vendor) != vdev->desc->vendor ||
	    le16_to_cpu(rec->device) != vdev->desc->device ||
	    le16_to_cpu(rec->msix_vectors) != vdev->desc->msix_vectors ||
	    rec->msi_vectors != vdev->desc->msi_vectors) {
		dev_err(dev, "vmdev: migration record is for another function\n");
		return -EINVAL;
	}
	if (le32_to_cpu(rec->desc_id) != vmdev_desc_id(vdev)) {
		dev_err(dev, "vmdev: migration record is from another device description\n");
		return -EINVAL;
	}
	return 0;
}

int vmdev_mig_load_stage(struct vmdev_device *vdev, u16 type,
			 const void *data, size_t len)
{
	struct vmdev_state *st = vdev->st;
	void *copy;
	int ret;

	if (type != VMDEV_MIG_REC_STATE)
		return -ENOENT;
	ret = rec_check(vdev, data, len);
	if (ret)
		return ret;
	copy = kmemdup(data, len, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	kfree(st->mig_staged);
	st->mig_staged = copy;
	return 0;
}
EXPORT_SYMBOL_GPL(vmdev_mig_load_stage);

void vmdev_mig_load_commit(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	const struct vmdev_mig_rec *rec = st->mig_staged;
	const __le64 *pba;
	unsigned long flags;
	unsigned int i;
	u32 pending;

	if (!rec)
		return;
	pending = le32_to_cpu(rec->msi_pending);
	mutex_lock(&st->irq_mutex);
	flags = vmdev_lock(st);
	memcpy(st->cfg, rec->cfg, VMDEV_MIG_CFG_LEN);
	for (i = 0; i < vdev->desc->msi_vectors; i++)
		st->ctx[i].pending = pending & BIT(i);
	st->intx_asserted = rec->flags & VMDEV_MIG_F_INTX_ASSERTED;
	if (vdev->desc->msix_vectors) {
		memcpy(st->msix_table, rec + 1, msix_table_len(vdev));
		pba = rec_pba(vdev, st->mig_staged);
		bitmap_zero(st->msix_pba, vdev->desc->msix_vectors);
		for (i = 0; i < vdev->desc->msix_vectors; i++)
			if (le64_to_cpu(pba[i / 64]) & BIT_ULL(i % 64))
				__set_bit(i, st->msix_pba);
	}
	vmdev_irq_after_load_locked(vdev);
	vmdev_unlock(st, flags);
	mutex_unlock(&st->irq_mutex);
	vmdev_mig_load_abort(vdev);
}
EXPORT_SYMBOL_GPL(vmdev_mig_load_commit);

void vmdev_mig_load_abort(struct vmdev_device *vdev)
{
	kfree(vdev->st->mig_staged);
	vdev->st->mig_staged = NULL;
}
EXPORT_SYMBOL_GPL(vmdev_mig_load_abort);
