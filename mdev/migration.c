// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdev-core: the library's own migration record.
 *
 * The driver owns the migration engine (struct svf_mig from
 * <snapvf/mig.h>) and its hooks; from them it calls the helpers below so
 * that the state the library owns travels as one record of type
 * VMDEV_MIG_REC_STATE: config space (256 bytes), the MSI-X table and PBA,
 * MSI pending bits and the INTx line.  The eventfds and the SET_IRQS mode
 * are not device state: the destination's user sets them up again.
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
#include "vmdev_priv.h"

#define VMDEV_MIG_MAGIC		0x43444d56	/* "VMDC" */
#define VMDEV_MIG_VERSION	2
#define VMDEV_REC_INTX_ASSERTED	BIT(0)

/**
 * struct vmdev_mig_rec - layout of the library record (little-endian)
 * @magic: VMDEV_MIG_MAGIC
 * @version: VMDEV_MIG_VERSION
 * @cfg_len: bytes of @cfg (256)
 * @vendor: PCI vendor ID of the source
 * @device: PCI device ID of the source
 * @msix_vectors: MSI-X table size; table and PBA follow @cfg
 * @msi_vectors: MSI vectors of the source
 * @flags: VMDEV_REC_*
 * @msi_pending: MSI pending bits
 * @desc_id: fingerprint of the source's device description
 *	(vmdev_desc_id()); a destination built from another description
 *	refuses the record
 * @cfg: config space bytes
 */
struct vmdev_mig_rec {
	__le32 magic;
	__le16 version;
	__le16 cfg_len;
	__le16 vendor;
	__le16 device;
	__le16 msix_vectors;
	u8 msi_vectors;
	u8 flags;
	__le32 msi_pending;
	__le32 desc_id;
	u8 cfg[VMDEV_CFG_SIZE];
} __packed;

static size_t msix_table_len(struct vmdev_device *vdev)
{
	return (size_t)vdev->desc->msix_vectors * VMDEV_MSIX_ENTRY;
}

static size_t msix_pba_len(struct vmdev_device *vdev)
{
	return DIV_ROUND_UP(vdev->desc->msix_vectors, 64) * 8;
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
	unsigned int i;

	if (chunk->size < size)
		return -ENOSPC;
	memset(rec, 0, size);
	rec->magic = cpu_to_le32(VMDEV_MIG_MAGIC);
	rec->version = cpu_to_le16(VMDEV_MIG_VERSION);
	rec->cfg_len = cpu_to_le16(VMDEV_CFG_SIZE);
	rec->vendor = cpu_to_le16(vdev->desc->vendor);
	rec->device = cpu_to_le16(vdev->desc->device);
	rec->msix_vectors = cpu_to_le16(vdev->desc->msix_vectors);
	rec->msi_vectors = vdev->desc->msi_vectors;
	rec->desc_id = cpu_to_le32(vmdev_desc_id(vdev));

	flags = vmdev_lock(st);
	memcpy(rec->cfg, st->cfg, VMDEV_CFG_SIZE);
	for (i = 0; i < vdev->desc->msi_vectors; i++)
		if (st->ctx[i].pending)
			pending |= BIT(i);
	if (st->intx_asserted)
		rec->flags |= VMDEV_REC_INTX_ASSERTED;
	if (vdev->desc->msix_vectors) {
		memcpy(rec + 1, st->msix_table, msix_table_len(vdev));
		bitmap_to_arr64((u64 *)((u8 *)(rec + 1) + msix_table_len(vdev)),
				st->msix_pba, vdev->desc->msix_vectors);
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
	    le16_to_cpu(rec->cfg_len) != VMDEV_CFG_SIZE) {
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
	unsigned long flags;
	unsigned int i;
	u32 pending;

	if (!rec)
		return;
	pending = le32_to_cpu(rec->msi_pending);
	mutex_lock(&st->irq_mutex);
	flags = vmdev_lock(st);
	memcpy(st->cfg, rec->cfg, VMDEV_CFG_SIZE);
	for (i = 0; i < vdev->desc->msi_vectors; i++)
		st->ctx[i].pending = pending & BIT(i);
	st->intx_asserted = rec->flags & VMDEV_REC_INTX_ASSERTED;
	if (vdev->desc->msix_vectors) {
		memcpy(st->msix_table, rec + 1, msix_table_len(vdev));
		bitmap_from_arr64(st->msix_pba,
				  (const u64 *)((const u8 *)(rec + 1) +
						msix_table_len(vdev)),
				  vdev->desc->msix_vectors);
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
