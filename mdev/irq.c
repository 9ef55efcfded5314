// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdev-core: interrupts of an emulated PCI function.
 *
 * The user picks one mode with VFIO_DEVICE_SET_IRQS (INTx, MSI or MSI-X,
 * as with vfio-pci) and gives an eventfd per vector; device code calls
 * vmdev_irq_raise() and the library signals the eventfd unless the vector
 * is masked, latching it pending otherwise:
 *  - INTx is level triggered and automasked: a delivery masks it until the
 *    user unmasks (SET_IRQS UNMASK, or the unmask eventfd through virqfd);
 *    an asserted line is delivered again on unmask.  Interrupt Disable in
 *    the command register holds it back; Interrupt Status reflects it.
 *  - MSI honours the per-vector mask bits of the capability (pending bits
 *    read back in the capability) and SET_IRQS MASK/UNMASK.
 *  - MSI-X keeps the table and PBA here, emulated inside the descriptor's
 *    BAR.  A vector is masked by its Vector Control bit, by the Function
 *    Mask or by SET_IRQS MASK.  Like the host kernel enabling a vector of
 *    a physical function, arming a vector through SET_IRQS clears its
 *    Vector Control mask; disabling masks it again.
 * The MSI/MSI-X Enable bits in config space follow the SET_IRQS mode.
 *
 * Locking: &vmdev_state.irq_mutex serialises SET_IRQS, reset and close;
 * &vmdev_state.lock (irqsave) covers every field used for delivery, so
 * vmdev_irq_raise() works from any context.  eventfds are taken before and
 * released after the spinlocked section.
 */
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_core.h>
#include "vmdev_priv.h"

#define CTRL_DW		(PCI_MSIX_ENTRY_VECTOR_CTRL / 4)

static unsigned int max_ctx(const struct vmdev_desc *d)
{
	return max3(d->msi_vectors, d->msix_vectors, 1U);
}

/* Bytes vmdev_irq_init() takes from the tail of the state. */
size_t vmdev_irq_tail_size(const struct vmdev_desc *d)
{
	return vmdev_tail_len(max_ctx(d) * sizeof(struct vmdev_irq_ctx)) +
	       vmdev_tail_len(d->msix_vectors * VMDEV_MSIX_ENTRY) +
	       vmdev_tail_len(BITS_TO_LONGS(d->msix_vectors) *
			      sizeof(unsigned long));
}

/* Point the arrays into the (zeroed) tail; MSI-X vectors start masked. */
void vmdev_irq_init(struct vmdev_device *vdev, u8 **tail)
{
	const struct vmdev_desc *d = vdev->desc;
	struct vmdev_state *st = vdev->st;
	unsigned int i;

	st->ctx = vmdev_tail_take(tail, max_ctx(d) * sizeof(*st->ctx));
	st->msix_table = vmdev_tail_take(tail, d->msix_vectors *
					 VMDEV_MSIX_ENTRY);
	st->msix_pba = vmdev_tail_take(tail, BITS_TO_LONGS(d->msix_vectors) *
				       sizeof(unsigned long));
	for (i = 0; i < d->msix_vectors; i++)
		st->msix_table[i * 4 + CTRL_DW] =
			cpu_to_le32(PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static unsigned int index_count(struct vmdev_device *vdev, unsigned int index)
{
	const struct vmdev_desc *d = vdev->desc;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return d->intx ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		return d->msi_vectors;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return d->msix_vectors;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	}
	return 0;
}

long vmdev_ioctl_irq_info(struct vmdev_device *vdev, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.count = index_count(vdev, info.index);
	info.flags = info.count ? VFIO_IRQ_INFO_EVENTFD : 0;
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX && info.count)
		info.flags |= VFIO_IRQ_INFO_MASKABLE |
			      VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.count && info.index != VFIO_PCI_REQ_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_NORESIZE;
	else if (info.count)
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/* ---- delivery (all under st->lock) ---- */

static bool intx_deliverable(struct vmdev_state *st)
{
	return st->irq_type == VMDEV_IRQ_INTX && st->intx_ctx.trigger &&
	       !st->intx_masked &&
	       !(vmdev_cfg16(st, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
}

static void intx_fire_locked(struct vmdev_state *st)
{
	eventfd_signal(st->intx_ctx.trigger);
	st->intx_masked = true;
}

static bool msix_masked(struct vmdev_state *st, unsigned int v)
{
	u16 flags = vmdev_cfg16(st, st->cap_msix + PCI_MSIX_FLAGS);

	return st->ctx[v].umasked || (flags & PCI_MSIX_FLAGS_MASKALL) ||
	       (le32_to_cpu(st->msix_table[v * 4 + CTRL_DW]) &
		PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static unsigned int msi_mask_pos(struct vmdev_device *vdev)
{
	return vdev->desc->msi_maskable ?
		vdev->st->cap_msi + PCI_MSI_MASK_64 : 0;
}

static bool msi_masked(struct vmdev_device *vdev, unsigned int v)
{
	struct vmdev_state *st = vdev->st;
	unsigned int pos = msi_mask_pos(vdev);

	return st->ctx[v].umasked || (pos && (vmdev_cfg32(st, pos) & BIT(v)));
}

static void msi_set_pending(struct vmdev_device *vdev, unsigned int v,
			    bool pending)
{
	struct vmdev_state *st = vdev->st;
	unsigned int pos = msi_mask_pos(vdev);
	u32 pend;

	st->ctx[v].pending = pending;
	if (!pos)
		return;
	pos += PCI_MSI_PENDING_64 - PCI_MSI_MASK_64;
	pend = vmdev_cfg32(st, pos);
	pend = pending ? pend | BIT(v) : pend & ~BIT(v);
	vmdev_cfg_set32(st->cfg, pos, pend);
}

static void set_intx_status(struct vmdev_state *st, bool on)
{
	u16 status = vmdev_cfg16(st, PCI_STATUS);

	status = on ? status | PCI_STATUS_INTERRUPT :
		      status & ~PCI_STATUS_INTERRUPT;
	vmdev_cfg_set16(st->cfg, PCI_STATUS, status);
}

/* Deliver whatever became deliverable after an unmask of any kind. */
static void deliver_pending_locked(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	unsigned int v;

	switch (st->irq_type) {
	case VMDEV_IRQ_INTX:
		if (st->intx_asserted && intx_deliverable(st))
			intx_fire_locked(st);
		break;
	case VMDEV_IRQ_MSI:
		for (v = 0; v < st->nr_ctx; v++) {
			if (st->ctx[v].pending && st->ctx[v].trigger &&
			    !msi_masked(vdev, v)) {
				msi_set_pending(vdev, v, false);
				eventfd_signal(st->ctx[v].trigger);
			}
		}
		break;
	case VMDEV_IRQ_MSIX:
		for (v = 0; v < st->nr_ctx; v++) {
			if (test_bit(v, st->msix_pba) && st->ctx[v].trigger &&
			    !msix_masked(st, v)) {
				clear_bit(v, st->msix_pba);
				eventfd_signal(st->ctx[v].trigger);
			}
		}
		break;
	default:
		break;
	}
}

static int raise_locked(struct vmdev_device *vdev, unsigned int v)
{
	struct vmdev_state *st = vdev->st;

	switch (st->irq_type) {
	case VMDEV_IRQ_INTX:
		st->intx_asserted = true;
		set_intx_status(st, true);
		if (!intx_deliverable(st))
			return -EAGAIN;
		intx_fire_locked(st);
		return 0;
	case VMDEV_IRQ_MSI:
		if (v >= st->nr_ctx || !st->ctx[v].trigger)
			return -EINVAL;
		if (msi_masked(vdev, v)) {
			msi_set_pending(vdev, v, true);
			return -EAGAIN;
		}
		eventfd_signal(st->ctx[v].trigger);
		return 0;
	case VMDEV_IRQ_MSIX:
		if (v >= st->nr_ctx || !st->ctx[v].trigger)
			return -EINVAL;
		if (msix_masked(st, v)) {
			set_bit(v, st->msix_pba);
			return -EAGAIN;
		}
		eventfd_signal(st->ctx[v].trigger);
		return 0;
	default:
		/* Level of the line is device state even when INTx is off. */
		if (vdev->desc->intx) {
			st->intx_asserted = true;
			set_intx_status(st, true);
		}
		return -EINVAL;
	}
}

int vmdev_irq_raise(struct vmdev_device *vdev, unsigned int vector)
{
	struct vmdev_state *st = vdev->st;
	unsigned long flags;
	int ret;

	flags = vmdev_lock(st);
	ret = raise_locked(vdev, vector);
	vmdev_unlock(st, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(vmdev_irq_raise);

void vmdev_intx_lower(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	unsigned long flags;

	flags = vmdev_lock(st);
	st->intx_asserted = false;
	set_intx_status(st, false);
	vmdev_unlock(st, flags);
}
EXPORT_SYMBOL_GPL(vmdev_intx_lower);

enum vmdev_irq_type vmdev_irq_type(struct vmdev_device *vdev)
{
	return READ_ONCE(vdev->st->irq_type);
}
EXPORT_SYMBOL_GPL(vmdev_irq_type);

void vmdev_irq_cfg_written_locked(struct vmdev_device *vdev,
				  unsigned int pos, unsigned int size)
{
	/* Cheap enough to re-check on any config write. */
	deliver_pending_locked(vdev);
}

/* ---- MSI-X table and PBA in the BAR ---- */

static int msix_table_rw(struct vmdev_device *vdev, u64 off, void *val,
			 unsigned int size, bool write)
{
	struct vmdev_state *st = vdev->st;
	unsigned int dw = off / 4, n = size / 4, i;
	__le32 *buf = val;

	for (i = 0; i < n; i++) {
		if (!write) {
			buf[i] = st->msix_table[dw + i];
			continue;
		}
		st->msix_table[dw + i] = buf[i];
	}
	if (write)
		deliver_pending_locked(vdev);
	return 0;
}

/**
 * vmdev_msix_rw - access to the MSI-X table or PBA through the BAR
 * @vdev: the device
 * @off: BAR offset (inside the table or the PBA)
 * @val: value, little-endian
 * @size: 4 or 8, naturally aligned, not straddling table and PBA
 * @write: direction; PBA writes are ignored
 *
 * Return: 0, or -EINVAL for other sizes or a straddling access.
 */
int vmdev_msix_rw(struct vmdev_device *vdev, u64 off, void *val,
		  unsigned int size, bool write)
{
	const struct vmdev_desc *d = vdev->desc;
	struct vmdev_state *st = vdev->st;
	u64 t = d->msix_table_offset, p = d->msix_pba_offset;
	u64 tlen = (u64)d->msix_vectors * VMDEV_MSIX_ENTRY;
	u64 plen = DIV_ROUND_UP(d->msix_vectors, 64) * 8;
	unsigned long flags;
	int ret = 0;

	if (size != 4 && size != 8)
		return -EINVAL;
	flags = vmdev_lock(st);
	if (off >= t && off + size <= t + tlen) {
		ret = msix_table_rw(vdev, off - t, val, size, write);
	} else if (off >= p && off + size <= p + plen) {
		if (!write) {
			u64 word = 0;
			unsigned int bit, first = (off - p) * 8;

			for (bit = 0; bit < size * 8; bit++)
				if (first + bit < d->msix_vectors &&
				    test_bit(first + bit, st->msix_pba))
					word |= 1ULL << bit;
			if (size == 8)
				*(__le64 *)val = cpu_to_le64(word);
			else
				*(__le32 *)val = cpu_to_le32((u32)word);
		}
	} else {
		ret = -EINVAL;
	}
	vmdev_unlock(st, flags);
	return ret;
}

/* ---- mode changes (under irq_mutex) ---- */

static void mode_bits_locked(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	unsigned int pos;
	u16 flags;

	if (st->cap_msi) {
		pos = st->cap_msi + PCI_MSI_FLAGS;
		flags = vmdev_cfg16(st, pos) &
			~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
		if (st->irq_type == VMDEV_IRQ_MSI)
			flags |= PCI_MSI_FLAGS_ENABLE |
				 (order_base_2(st->nr_ctx) << 4);
		vmdev_cfg_set16(st->cfg, pos, flags);
	}
	if (st->cap_msix) {
		pos = st->cap_msix + PCI_MSIX_FLAGS;
		flags = vmdev_cfg16(st, pos) & ~PCI_MSIX_FLAGS_ENABLE;
		if (st->irq_type == VMDEV_IRQ_MSIX)
			flags |= PCI_MSIX_FLAGS_ENABLE;
		vmdev_cfg_set16(st->cfg, pos, flags);
	}
}

/* Vector Control follows arming: armed vectors unmasked, others masked. */
static void msix_arm_locked(struct vmdev_device *vdev, unsigned int v)
{
	struct vmdev_state *st = vdev->st;
	bool armed = st->irq_type == VMDEV_IRQ_MSIX && v < st->nr_ctx &&
		     st->ctx[v].trigger;

	st->msix_table[v * 4 + CTRL_DW] =
		cpu_to_le32(armed ? 0 : PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void put_ctxs(struct eventfd_ctx **old, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (old[i])
			eventfd_ctx_put(old[i]);
}

/* Tear the current mode down; the caller holds irq_mutex. */
static void disable_mode(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	struct eventfd_ctx **old;
	unsigned int i, n = max_ctx(vdev->desc) + 1;
	unsigned long flags;

	if (st->irq_type == VMDEV_IRQ_INTX)
		vfio_virqfd_disable(&st->intx_unmask);
	old = kcalloc(n, sizeof(*old), GFP_KERNEL | __GFP_NOFAIL);
	flags = vmdev_lock(st);
	for (i = 0; i < st->nr_ctx; i++) {
		old[i] = st->ctx[i].trigger;
		st->ctx[i] = (struct vmdev_irq_ctx){};
	}
	old[n - 1] = st->intx_ctx.trigger;
	st->intx_ctx.trigger = NULL;
	st->intx_masked = false;
	st->irq_type = VMDEV_IRQ_NONE;
	st->nr_ctx = 0;
	for (i = 0; i < vdev->desc->msix_vectors; i++)
		msix_arm_locked(vdev, i);
	bitmap_zero(st->msix_pba, vdev->desc->msix_vectors);
	mode_bits_locked(vdev);
	vmdev_unlock(st, flags);
	put_ctxs(old, n);
	kfree(old);
}

/*
 * Install eventfds for vectors [start, start + count) of mode @type,
 * enabling the mode with start + count vectors if nothing is enabled.
 */
static int set_triggers(struct vmdev_device *vdev, enum vmdev_irq_type type,
			unsigned int start, unsigned int count,
			const s32 *fds)
{
	struct vmdev_state *st = vdev->st;
	struct eventfd_ctx **new;
	unsigned long flags;
	unsigned int i;
	int ret = 0;

	if (st->irq_type != VMDEV_IRQ_NONE &&
	    (st->irq_type != type || start + count > st->nr_ctx))
		return -EINVAL;
	new = kcalloc(count, sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		if (fds[i] < 0)
			continue;
		new[i] = eventfd_ctx_fdget(fds[i]);
		if (IS_ERR(new[i])) {
			ret = PTR_ERR(new[i]);
			new[i] = NULL;
			goto out_put;
		}
	}

	flags = vmdev_lock(st);
	if (st->irq_type == VMDEV_IRQ_NONE) {
		st->irq_type = type;
		st->nr_ctx = type == VMDEV_IRQ_INTX ? 1 : start + count;
	}
	for (i = 0; i < count; i++) {
		struct eventfd_ctx **slot = type == VMDEV_IRQ_INTX ?
			&st->intx_ctx.trigger : &st->ctx[start + i].trigger;

		swap(*slot, new[i]);
		if (type == VMDEV_IRQ_MSIX)
			msix_arm_locked(vdev, start + i);
	}
	mode_bits_locked(vdev);
	deliver_pending_locked(vdev);
	vmdev_unlock(st, flags);
out_put:
	/* Now holds the replaced eventfds (or the new ones on error). */
	put_ctxs(new, count);
	kfree(new);
	return ret;
}

static void fire(struct vmdev_device *vdev, unsigned int start,
		 unsigned int count, const u8 *bools)
{
	struct vmdev_state *st = vdev->st;
	unsigned long flags;
	unsigned int i;

	flags = vmdev_lock(st);
	for (i = 0; i < count; i++) {
		struct eventfd_ctx *t;

		if (bools && !bools[i])
			continue;
		if (st->irq_type == VMDEV_IRQ_INTX) {
			if (st->intx_ctx.trigger)
				intx_fire_locked(st);
			continue;
		}
		t = start + i < st->nr_ctx ? st->ctx[start + i].trigger : NULL;
		if (t)
			eventfd_signal(t);
	}
	vmdev_unlock(st, flags);
}

static void set_masks(struct vmdev_device *vdev, unsigned int start,
		      unsigned int count, const u8 *bools, bool mask)
{
	struct vmdev_state *st = vdev->st;
	unsigned long flags;
	unsigned int i;

	flags = vmdev_lock(st);
	for (i = 0; i < count; i++) {
		if (bools && !bools[i])
			continue;
		if (st->irq_type == VMDEV_IRQ_INTX)
			st->intx_masked = mask;
		else if (start + i < st->nr_ctx)
			st->ctx[start + i].umasked = mask;
	}
	if (!mask)
		deliver_pending_locked(vdev);
	vmdev_unlock(st, flags);
}

static void intx_unmask_thread(void *opaque, void *data)
{
	set_masks(opaque, 0, 1, NULL, false);
}

static int set_intx_unmask_fd(struct vmdev_device *vdev, s32 fd)
{
	struct vmdev_state *st = vdev->st;

	vfio_virqfd_disable(&st->intx_unmask);
	if (fd < 0)
		return 0;
	return vfio_virqfd_enable(vdev, NULL, intx_unmask_thread, NULL,
				  &st->intx_unmask, fd);
}

static enum vmdev_irq_type index_type(unsigned int index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return VMDEV_IRQ_INTX;
	case VFIO_PCI_MSI_IRQ_INDEX:
		return VMDEV_IRQ_MSI;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return VMDEV_IRQ_MSIX;
	}
	return VMDEV_IRQ_NONE;
}

static void req_swap(struct vmdev_state *st, struct eventfd_ctx *ctx)
{
	unsigned long flags;

	flags = vmdev_lock(st);
	swap(st->req_trigger, ctx);
	vmdev_unlock(st, flags);
	if (ctx)
		eventfd_ctx_put(ctx);
}

static int set_req(struct vmdev_device *vdev, struct vfio_irq_set *hdr,
		   const void *data)
{
	u32 dtype = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	struct vmdev_state *st = vdev->st;
	struct eventfd_ctx *ctx = NULL;
	unsigned long flags;
	s32 fd;

	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (!hdr->count) {
		if (dtype != VFIO_IRQ_SET_DATA_NONE)
			return -EINVAL;
		req_swap(st, NULL);
		return 0;
	}
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		fd = *(const s32 *)data;
		if (fd < -1)
			return -EINVAL;
		if (fd >= 0) {
			ctx = eventfd_ctx_fdget(fd);
			if (IS_ERR(ctx))
				return PTR_ERR(ctx);
		}
		req_swap(st, ctx);
		return 0;
	}
	if (dtype == VFIO_IRQ_SET_DATA_BOOL && !*(const u8 *)data)
		return 0;
	flags = vmdev_lock(st);
	if (st->req_trigger)
		eventfd_signal(st->req_trigger);
	vmdev_unlock(st, flags);
	return 0;
}

static int set_trigger(struct vmdev_device *vdev, struct vfio_irq_set *hdr,
		       const void *data)
{
	enum vmdev_irq_type type = index_type(hdr->index);
	u32 dtype = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	struct vmdev_state *st = vdev->st;
	unsigned int i;

	if (!hdr->count) {
		if (dtype != VFIO_IRQ_SET_DATA_NONE)
			return -EINVAL;
		if (st->irq_type == type)
			disable_mode(vdev);
		return 0;
	}
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		const s32 *fds = data;

		for (i = 0; i < hdr->count; i++)
			if (fds[i] < -1)
				return -EINVAL;
		return set_triggers(vdev, type, hdr->start, hdr->count, fds);
	}
	if (st->irq_type != type)
		return -EINVAL;
	fire(vdev, hdr->start, hdr->count,
	     dtype == VFIO_IRQ_SET_DATA_BOOL ? data : NULL);
	return 0;
}

static int set_mask(struct vmdev_device *vdev, struct vfio_irq_set *hdr,
		    const void *data, bool mask)
{
	enum vmdev_irq_type type = index_type(hdr->index);
	u32 dtype = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	if (vdev->st->irq_type != type || !hdr->count)
		return -EINVAL;
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		/* Only INTx can be unmasked from an eventfd (resamplefd). */
		if (mask || type != VMDEV_IRQ_INTX)
			return -ENOTTY;
		return set_intx_unmask_fd(vdev, *(const s32 *)data);
	}
	set_masks(vdev, hdr->start, hdr->count,
		  dtype == VFIO_IRQ_SET_DATA_BOOL ? data : NULL, mask);
	return 0;
}

static int set_irqs(struct vmdev_device *vdev, struct vfio_irq_set *hdr,
		    const void *data)
{
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;

	if (hdr->index == VFIO_PCI_REQ_IRQ_INDEX)
		return set_req(vdev, hdr, data);
	switch (action) {
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		return set_trigger(vdev, hdr, data);
	case VFIO_IRQ_SET_ACTION_MASK:
		return set_mask(vdev, hdr, data, true);
	case VFIO_IRQ_SET_ACTION_UNMASK:
		return set_mask(vdev, hdr, data, false);
	}
	return -EINVAL;
}

long vmdev_ioctl_set_irqs(struct vmdev_device *vdev, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u32 action;
	void *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr,
						 index_count(vdev, hdr.index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	/* Exactly one action. */
	action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	if (hweight32(action) != 1 ||
	    hweight32(hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) != 1)
		return -EINVAL;
	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	mutex_lock(&vdev->st->irq_mutex);
	ret = set_irqs(vdev, &hdr, data);
	mutex_unlock(&vdev->st->irq_mutex);
	kfree(data);
	return ret;
}

/* Close (irq_mutex held): every mode and the request eventfd released. */
void vmdev_irq_disable_all_locked(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;

	lockdep_assert_held(&st->irq_mutex);
	/* Both only change under irq_mutex (SET_IRQS). */
	if (st->irq_type != VMDEV_IRQ_NONE || st->intx_ctx.trigger)
		disable_mode(vdev);
	if (st->req_trigger)
		req_swap(st, NULL);
	st->req_warned = false;
}

/*
 * After a config space reset (irq_mutex held): MSI-X table and pending
 * state back to reset values, the line deasserted, the SET_IRQS mode and
 * its eventfds kept and reflected again in config space.
 */
void vmdev_irq_reset(struct vmdev_device *vdev)
{
	struct vmdev_state *st = vdev->st;
	unsigned long flags;
	unsigned int i;

	flags = vmdev_lock(st);
	for (i = 0; i < max_ctx(vdev->desc); i++) {
		st->ctx[i].pending = false;
		st->ctx[i].umasked = false;
	}
	st->intx_asserted = false;
	st->intx_masked = false;
	for (i = 0; i < vdev->desc->msix_vectors; i++) {
		st->msix_table[i * 4] = 0;
		st->msix_table[i * 4 + 1] = 0;
		st->msix_table[i * 4 + 2] = 0;
		msix_arm_locked(vdev, i);
	}
	bitmap_zero(st->msix_pba, vdev->desc->msix_vectors);
	mode_bits_locked(vdev);
	vmdev_unlock(st, flags);
}

/*
 * A migration record replaced config space and the MSI-X table (lock
 * held): make the enable bits follow this side's SET_IRQS mode again and
 * deliver what the restored state allows.
 */
void vmdev_irq_after_load_locked(struct vmdev_device *vdev)
{
	mode_bits_locked(vdev);
	deliver_pending_locked(vdev);
}
