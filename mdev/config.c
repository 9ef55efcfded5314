// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdev-core: PCI configuration space emulation.
 *
 * The first 256 bytes are emulated byte by byte from three arrays built
 * once from the device description: the current value (cfg), the bits a
 * write may change (wmask) and the bits a write of one clears (w1c).  A
 * PCIe function reports 4 KiB of config space; its extended space holds no
 * capability and reads as zero (a zero header ends the extended list).
 *
 * Locking: the arrays are read and written under &vmdev_state.lock, which
 * the interrupt code also holds when it updates the read-only status and
 * MSI pending bits it owns.  Callbacks into the driver (trapped vendor
 * capabilities, FLR) run after the lock is dropped.
 */
#include <linux/pci.h>
#include <linux/string.h>
#include "vmdev_priv.h"

#define VMDEV_CAP_START		0x40
#define VMDEV_MSI_LEN_MASK	24	/* 64-bit address, mask and pending */
#define VMDEV_MSI_LEN		16	/* 64-bit address, 14 bytes rounded */
#define VMDEV_PM_LEN		PCI_PM_SIZEOF
#define VMDEV_MSIX_LEN		PCI_CAP_MSIX_SIZEOF
#define VMDEV_PCIE_LEN		PCI_CAP_EXP_ENDPOINT_SIZEOF_V2

struct vmdev_cfg_builder {
	struct vmdev_state *st;
	unsigned int next;	/* where the next capability goes */
	unsigned int prev_next;	/* offset of the previous "next" byte */
};

static void wm16(struct vmdev_state *st, unsigned int pos, u16 mask)
{
	vmdev_cfg_set16(st->wmask, pos, mask);
}

static void wm32(struct vmdev_state *st, unsigned int pos, u32 mask)
{
	vmdev_cfg_set32(st->wmask, pos, mask);
}

/* Reserve @len bytes for a capability with @id; return its offset or 0. */
static unsigned int cap_add(struct vmdev_cfg_builder *b, u8 id,
			    unsigned int len)
{
	unsigned int pos = b->next;

	if (pos + len > VMDEV_CFG_SIZE)
		return 0;
	b->st->cfg[b->prev_next] = pos;
	b->st->cfg[pos] = id;
	b->st->cfg[pos + PCI_CAP_LIST_NEXT] = 0;
	b->prev_next = pos + PCI_CAP_LIST_NEXT;
	b->next = ALIGN(pos + len, 4);
	return pos;
}

static void build_header(struct vmdev_device *vdev)
{
	const struct vmdev_desc *d = vdev->desc;
	struct vmdev_state *st = vdev->st;
	u16 cmd_mask = PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
		       PCI_COMMAND_SERR;
	unsigned int i;

	vmdev_cfg_set16(st->cfg, PCI_VENDOR_ID, d->vendor);
	vmdev_cfg_set16(st->cfg, PCI_DEVICE_ID, d->device);
	st->cfg[PCI_REVISION_ID] = d->revision;
	st->cfg[PCI_CLASS_PROG] = d->class_code & 0xff;
	vmdev_cfg_set16(st->cfg, PCI_CLASS_DEVICE, d->class_code >> 8);
	st->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	vmdev_cfg_set16(st->cfg, PCI_SUBSYSTEM_VENDOR_ID, d->subsystem_vendor);
	vmdev_cfg_set16(st->cfg, PCI_SUBSYSTEM_ID, d->subsystem_device);

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!d->bars[i].size)
			continue;
		if (d->bars[i].flags & VMDEV_BAR_IO)
			cmd_mask |= PCI_COMMAND_IO;
		else
			cmd_mask |= PCI_COMMAND_MEMORY;
	}
	if (d->intx) {
		cmd_mask |= PCI_COMMAND_INTX_DISABLE;
		st->cfg[PCI_INTERRUPT_PIN] = 1;
	}
	wm16(st, PCI_COMMAND, cmd_mask);
	/* Error bits of the status register are write-one-to-clear. */
	vmdev_cfg_set16(st->w1c, PCI_STATUS,
			PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
			PCI_STATUS_REC_TARGET_ABORT |
			PCI_STATUS_REC_MASTER_ABORT |
			PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
	st->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	st->wmask[PCI_INTERRUPT_LINE] = 0xff;
	if (!d->pcie)
		st->wmask[PCI_LATENCY_TIMER] = 0xff;
}

/*
 * BAR sizing: the address bits below the size are read-only zero, so
 * writing all ones reads back ~(size - 1) plus the read-only type bits.
 */
static void build_bars(struct vmdev_device *vdev)
{
	const struct vmdev_desc *d = vdev->desc;
	struct vmdev_state *st = vdev->st;
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		const struct vmdev_bar_desc *bar = &d->bars[i];
		unsigned int pos = PCI_BASE_ADDRESS_0 + 4 * i;
		u32 type = 0;

		if (!bar->size)
			continue;
		if (bar->flags & VMDEV_BAR_IO) {
			vmdev_cfg_set32(st->cfg, pos, PCI_BASE_ADDRESS_SPACE_IO);
			wm32(st, pos, ~(u32)(bar->size - 1) &
				      PCI_BASE_ADDRESS_IO_MASK);
			continue;
		}
		if (bar->flags & VMDEV_BAR_PREFETCH)
			type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
		if (bar->flags & VMDEV_BAR_MEM64)
			type |= PCI_BASE_ADDRESS_MEM_TYPE_64;
		vmdev_cfg_set32(st->cfg, pos, type);
		wm32(st, pos, ~(u32)(bar->size - 1) & PCI_BASE_ADDRESS_MEM_MASK);
		if (bar->flags & VMDEV_BAR_MEM64) {
			wm32(st, pos + 4, ~(u32)((bar->size - 1) >> 32));
			i++;
		}
	}
}

static int build_pm(struct vmdev_cfg_builder *b)
{
	struct vmdev_state *st = b->st;
	unsigned int pos = cap_add(b, PCI_CAP_ID_PM, VMDEV_PM_LEN);

	if (!pos)
		return -ENOSPC;
	st->cap_pm = pos;
	/* Version 3, D0 and D3hot only, no PME; state kept over D3hot. */
	vmdev_cfg_set16(st->cfg, pos + PCI_PM_PMC, 3);
	vmdev_cfg_set16(st->cfg, pos + PCI_PM_CTRL, PCI_PM_CTRL_NO_SOFT_RESET);
	wm16(st, pos + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK);
	return 0;
}

static int build_msi(struct vmdev_device *vdev, struct vmdev_cfg_builder *b)
{
	const struct vmdev_desc *d = vdev->desc;
	struct vmdev_state *st = b->st;
	unsigned int len = d->msi_maskable ? VMDEV_MSI_LEN_MASK : VMDEV_MSI_LEN;
	unsigned int pos = cap_add(b, PCI_CAP_ID_MSI, len);
	u16 flags = PCI_MSI_FLAGS_64BIT | (ilog2(d->msi_vectors) << 1);

	if (!pos)
		return -ENOSPC;
	st->cap_msi = pos;
	if (d->msi_maskable)
		flags |= PCI_MSI_FLAGS_MASKBIT;
	vmdev_cfg_set16(st->cfg, pos + PCI_MSI_FLAGS, flags);
	wm16(st, pos + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	wm32(st, pos + PCI_MSI_ADDRESS_LO, ~3U);
	wm32(st, pos + PCI_MSI_ADDRESS_HI, ~0U);
	wm16(st, pos + PCI_MSI_DATA_64, 0xffff);
	if (d->msi_maskable)
		wm32(st, pos + PCI_MSI_MASK_64,
		     d->msi_vectors == 32 ? ~0U : BIT(d->msi_vectors) - 1);
	return 0;
}

static int build_pcie(struct vmdev_cfg_builder *b)
{
	struct vmdev_state *st = b->st;
	unsigned int pos = cap_add(b, PCI_CAP_ID_EXP, VMDEV_PCIE_LEN);

	if (!pos)
		return -ENOSPC;
	st->cap_pcie = pos;
	vmdev_cfg_set16(st->cfg, pos + PCI_EXP_FLAGS,
			2 | (PCI_EXP_TYPE_ENDPOINT << 4));
	vmdev_cfg_set32(st->cfg, pos + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR);
	/* Error reporting enables, relaxed ordering, payload, no snoop... */
	wm16(st, pos + PCI_EXP_DEVCTL, 0x7fff);
	vmdev_cfg_set16(st->cfg, pos + PCI_EXP_DEVCTL,
			PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN |
			(2 << 12));	/* 512-byte max read request */
	vmdev_cfg_set16(st->w1c, pos + PCI_EXP_DEVSTA, 0x000f);
	vmdev_cfg_set32(st->cfg, pos + PCI_EXP_LNKCAP,
			PCI_EXP_LNKCAP_SLS_2_5GB | (1 << 4));
	wm16(st, pos + PCI_EXP_LNKCTL, 0x00c3);
	vmdev_cfg_set16(st->cfg, pos + PCI_EXP_LNKSTA,
			PCI_EXP_LNKSTA_CLS_2_5GB | (1 << 4));
	vmdev_cfg_set32(st->cfg, pos + PCI_EXP_LNKCAP2,
			PCI_EXP_LNKCAP2_SLS_2_5GB);
	vmdev_cfg_set16(st->cfg, pos + PCI_EXP_LNKCTL2, 1);
	st->cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	return 0;
}

static int build_msix(struct vmdev_device *vdev, struct vmdev_cfg_builder *b)
{
	const struct vmdev_desc *d = vdev->desc;
	struct vmdev_state *st = b->st;
	unsigned int pos = cap_add(b, PCI_CAP_ID_MSIX, VMDEV_MSIX_LEN);

	if (!pos)
		return -ENOSPC;
	st->cap_msix = pos;
	vmdev_cfg_set16(st->cfg, pos + PCI_MSIX_FLAGS, d->msix_vectors - 1);
	wm16(st, pos + PCI_MSIX_FLAGS,
	     PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	vmdev_cfg_set32(st->cfg, pos + PCI_MSIX_TABLE,
			d->msix_table_offset | d->msix_bar);
	vmdev_cfg_set32(st->cfg, pos + PCI_MSIX_PBA,
			d->msix_pba_offset | d->msix_bar);
	return 0;
}

static int build_vendor_caps(struct vmdev_device *vdev,
			     struct vmdev_cfg_builder *b)
{
	const struct vmdev_desc *d = vdev->desc;
	struct vmdev_state *st = b->st;
	unsigned int i, pos;

	for (i = 0; i < d->nr_caps; i++) {
		const struct vmdev_cap_desc *c = &d->caps[i];

		pos = cap_add(b, PCI_CAP_ID_VNDR, c->len);
		if (!pos)
			return -ENOSPC;
		st->vcap[i] = pos;
		if (c->trap)
			bitmap_set(st->trap_map, pos + 2, c->len - 2);
		memcpy(&st->cfg[pos + 2], (const u8 *)c->data + 2, c->len - 2);
		if (c->wmask)
			memcpy(&st->wmask[pos + 2],
			       (const u8 *)c->wmask + 2, c->len - 2);
	}
	return 0;
}

static int build_caps(struct vmdev_device *vdev)
{
	const struct vmdev_desc *d = vdev->desc;
	struct vmdev_cfg_builder b = {
		.st = vdev->st,
		.next = VMDEV_CAP_START,
		.prev_next = PCI_CAPABILITY_LIST,
	};
	int ret = 0;

	if (d->pm)
		ret = build_pm(&b);
	if (!ret && d->msi_vectors)
		ret = build_msi(vdev, &b);
	if (!ret && d->pcie)
		ret = build_pcie(&b);
	if (!ret && d->msix_vectors)
		ret = build_msix(vdev, &b);
	if (!ret)
		ret = build_vendor_caps(vdev, &b);
	if (ret)
		return ret;
	if (vdev->st->cfg[PCI_CAPABILITY_LIST])
		vmdev_cfg_set16(vdev->st->cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
	return 0;
}

int vmdev_config_build(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	int ret;

	st->cfg_size = PCI_CFG_SPACE_SIZE;
	build_header(vdev);
	build_bars(vdev);
	ret = build_caps(vdev);
	if (ret) {
		dev_err(mdev_dev(vdev->mdev),
			"vmdev: capabilities do not fit in config space\n");
		return ret;
	}
	memcpy(st->init, st->cfg, sizeof(st->init));
	return 0;
}

void vmdev_config_reset(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	unsigned long flags;

	flags = vmdev_lock(st);
	memcpy(st->cfg, st->init, sizeof(st->cfg));
	vmdev_unlock(st, flags);
}

/* Index of the trapped vendor capability holding @pos, or -1. */
static int trapped_cap(struct vmdev_device *vdev, unsigned int pos)
{
	const struct vmdev_desc *d = vdev->desc;
	unsigned int i;

	if (!test_bit(pos, vdev->st->trap_map))
		return -1;
	for (i = 0; i < d->nr_caps; i++) {
		unsigned int start = vdev->st->vcap[i];

		if (d->caps[i].trap && pos >= start + 2 &&
		    pos < start + d->caps[i].len)
			return i;
	}
	return -1;
}

static bool overlaps(unsigned int pos, unsigned int count,
		     unsigned int start, unsigned int len)
{
	return start && pos < start + len && start < pos + count;
}

/* Side effects of a write that need the register's old value. */
static void write_fixups_locked(struct vmdev_device *vdev, unsigned int pos,
				unsigned int count, const u8 *old)
{
	struct vmdev_state *st = vdev->st;
	unsigned int pm = st->cap_pm + PCI_PM_CTRL;

	/* D1 and D2 are not supported: such writes leave the state alone. */
	if (st->cap_pm && overlaps(pos, count, pm, 1)) {
		u8 state = st->cfg[pm] & PCI_PM_CTRL_STATE_MASK;

		if (state == 1 || state == 2) {
			st->cfg[pm] &= ~PCI_PM_CTRL_STATE_MASK;
			st->cfg[pm] |= old[pm - pos] & PCI_PM_CTRL_STATE_MASK;
		}
	}
	vmdev_irq_cfg_written_locked(vdev, pos, count);
}

static bool flr_requested(struct vmdev_device *vdev, unsigned int pos,
			  unsigned int count, const u8 *val)
{
	unsigned int ctl = vdev->st->cap_pcie + PCI_EXP_DEVCTL + 1;

	/* Initiate FLR is bit 15: bit 7 of the register's high byte. */
	return vdev->st->cap_pcie && overlaps(pos, count, ctl, 1) &&
	       (val[ctl - pos] & (PCI_EXP_DEVCTL_BCR_FLR >> 8));
}

static void config_write(struct vmdev_device *vdev, unsigned int pos,
			 const u8 *val, unsigned int count)
{
	struct vmdev_state *st = vdev->st;
	unsigned long flags;
	u8 old[4];
	unsigned int i;
	int cap;

	flags = vmdev_lock(st);
	memcpy(old, &st->cfg[pos], count);
	for (i = 0; i < count; i++) {
		u8 wm = st->wmask[pos + i], b;

		b = (st->cfg[pos + i] & ~wm) | (val[i] & wm);
		b &= ~(val[i] & st->w1c[pos + i]);
		st->cfg[pos + i] = b;
	}
	write_fixups_locked(vdev, pos, count, old);
	vmdev_unlock(st, flags);

	cap = trapped_cap(vdev, pos);
	if (cap >= 0 && vdev->desc->ops->cap_write)
		vdev->desc->ops->cap_write(vdev, cap, pos - st->vcap[cap],
					   val, count);
	if (flr_requested(vdev, pos, count, val))
		vmdev_reset_function(vdev);
}

static int config_read(struct vmdev_device *vdev, unsigned int pos, u8 *val,
		       unsigned int count)
{
	struct vmdev_state *st = vdev->st;
	int cap;

	vmdev_cfg_read(st, pos, val, count);

	cap = trapped_cap(vdev, pos);
	if (cap >= 0 && vdev->desc->ops->cap_read)
		return vdev->desc->ops->cap_read(vdev, cap,
						 pos - st->vcap[cap], val,
						 count);
	return 0;
}

/**
 * vmdev_config_rw - one naturally aligned config access of 1, 2 or 4 bytes
 * @vdev: the device
 * @pos: offset, below &vmdev_state.cfg_size
 * @buf: value, little-endian
 * @count: 1, 2 or 4
 * @write: direction
 *
 * Return: 0 or the error of a trapped capability's read callback.
 */
int vmdev_config_rw(struct vmdev_device *vdev, unsigned int pos, void *buf,
		    unsigned int count, bool write)
{
	if (pos >= VMDEV_CFG_SIZE) {
		/* Extended space: no capabilities, reads zero. */
		if (!write)
			memset(buf, 0, count);
		return 0;
	}
	if (write) {
		config_write(vdev, pos, buf, count);
		return 0;
	}
	return config_read(vdev, pos, buf, count);
}
