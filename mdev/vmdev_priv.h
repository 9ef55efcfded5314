/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdev-core internals shared by the files of mdev/.  Not for drivers.
 *
 * Locking, outermost first:
 *  - &vmdev_state.dma_sem (rwsem): readers are the DMA helpers, the writer
 *    is open/close, which flips &vmdev_state.open.  It keeps vfio_dma_rw()
 *    from ever running on a closed device.
 *  - &vmdev_state.irq_mutex: serialises VFIO_DEVICE_SET_IRQS, reset and
 *    close against each other (eventfd setup sleeps).
 *  - &vmdev_state.lock (spinlock, irqsave): the config space bytes, the
 *    MSI-X table and PBA, and all interrupt delivery state, so that
 *    vmdev_irq_raise() can run in any context.  Every section is taken
 *    with vmdev_lock()/vmdev_unlock(), which also bump
 *    &vmdev_state.cfg_seq: the hot read paths (config-space reads, the
 *    command register's decode bits) copy config bytes without the lock
 *    (vmdev_cfg_read()) and retry if a section overlapped, so a trapped
 *    read neither saves/restores the interrupt flag nor waits behind
 *    interrupt delivery.
 * Device callbacks (&struct vmdev_ops) are never called with ->lock held.
 */
#ifndef _VMDEV_PRIV_H
#define _VMDEV_PRIV_H

#include <linux/eventfd.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/seqlock.h>
#include <snapvf/vmdev.h>

#define VMDEV_CFG_SIZE		PCI_CFG_SPACE_SIZE	/* emulated bytes */
#define VMDEV_MAX_CAPS		16
#define VMDEV_MAX_TYPES		16
#define VMDEV_MSIX_ENTRY	PCI_MSIX_ENTRY_SIZE

/**
 * struct vmdev_type - library side of one mdev type of one parent
 * @mtype: the mdev core's type (kobject); sysfs names point into @info
 * @info: the driver's description of the type
 * @parent: owning parent
 * @live: instances counted against the type (under the parent lock)
 */
struct vmdev_type {
	struct mdev_type mtype;
	const struct vmdev_type_info *info;
	struct vmdev_parent *parent;
	unsigned int live;
};

/**
 * struct vmdev_parent_state - accounting of one parent
 * @lock: protects @used and every &vmdev_type.live
 * @capacity: capacity units (0: unlimited)
 * @used: units used by live instances
 * @nr_types: entries in @types and @mtypes
 * @types: the types (freed after mdev_unregister_parent())
 * @mtypes: pointers handed to mdev_register_parent()
 */
struct vmdev_parent_state {
	struct mutex lock;		/* used, types[].live */
	unsigned int capacity;
	unsigned int used;
	unsigned int nr_types;
	struct vmdev_type *types;
	struct mdev_type **mtypes;
};

/**
 * struct vmdev_irq_ctx - one interrupt vector as the user set it up
 * @trigger: eventfd signalled on delivery (NULL: none)
 * @umasked: masked by VFIO_IRQ_SET_ACTION_MASK
 * @pending: latched while masked (MSI and INTx; MSI-X uses the PBA)
 */
struct vmdev_irq_ctx {
	struct eventfd_ctx *trigger;
	bool umasked;
	bool pending;
};

/**
 * struct vmdev_state - library-private per-device state
 * @lock: config bytes, MSI-X table/PBA, interrupt delivery (see top)
 * @cfg_seq: bumped by every @lock section, for lockless @cfg readers
 * @irq_mutex: SET_IRQS, reset, close
 * @dma_sem: DMA helpers vs open/close
 * @open: between open_device and close_device (under @dma_sem)
 * @cfg: emulated config space bytes 0..255 (the rest reads as zero)
 * @init: @cfg as built (reset value)
 * @wmask: guest-writable bits
 * @w1c: write-one-to-clear bits
 * @cfg_size: 256, or 4096 with a PCIe capability
 * @cap_pm: offset of the PM capability, 0 if none
 * @cap_msi: same for MSI
 * @cap_pcie: same for PCIe
 * @cap_msix: same for MSI-X
 * @vcap: offsets of the driver's capabilities
 * @trap_map: config bytes inside trapped capabilities (read-only after build)
 * @bar_ram: memory of RAM BARs
 * @shadow_lock: writers of @shadow; lockless readers use its sequence
 * @shadow: read shadows of trapped BARs (&vmdev_bar_desc.shadow_len),
 *	in the tail
 * @irq_type: mode enabled through SET_IRQS
 * @nr_ctx: vectors enabled in @irq_type
 * @ctx: @nr_ctx contexts (INTx uses ctx[0]); in the tail, room for the
 *	largest mode
 * @intx_ctx: the INTx context (kept apart: INTx state survives mode flips)
 * @intx_asserted: device holds INTx asserted
 * @intx_masked: INTx masked (automask or user)
 * @intx_unmask: virqfd that unmasks INTx from an eventfd
 * @msix_table: MSI-X table, 4 dwords a vector, in the tail
 * @msix_pba: MSI-X pending bits, in the tail
 * @req_trigger: VFIO_PCI_REQ_IRQ_INDEX eventfd
 * @req_warned: logged that the user has no request eventfd
 * @mig_staged: verified library migration record awaiting commit
 *
 * Lives in the allocation vfio_alloc_device() made for the driver's
 * structure, right behind it, followed by its tail (the arrays marked
 * above), so it is freed with the vfio_device, after
 * &vfio_device_ops.release.
 */
struct vmdev_state {
	spinlock_t lock;		/* cfg, MSI-X, delivery state */
	seqcount_spinlock_t cfg_seq;	/* writers hold lock */
	struct mutex irq_mutex;		/* SET_IRQS, reset, close */
	struct rw_semaphore dma_sem;
	bool open;

	u8 cfg[VMDEV_CFG_SIZE] __aligned(8);
	u8 init[VMDEV_CFG_SIZE];
	u8 wmask[VMDEV_CFG_SIZE];
	u8 w1c[VMDEV_CFG_SIZE];
	unsigned int cfg_size;
	u8 cap_pm, cap_msi, cap_pcie, cap_msix;
	u8 vcap[VMDEV_MAX_CAPS];
	DECLARE_BITMAP(trap_map, VMDEV_CFG_SIZE);

	void *bar_ram[PCI_STD_NUM_BARS];
	seqlock_t shadow_lock;		/* shadow contents */
	u8 *shadow[PCI_STD_NUM_BARS];

	enum vmdev_irq_type irq_type;
	unsigned int nr_ctx;
	struct vmdev_irq_ctx *ctx;
	struct vmdev_irq_ctx intx_ctx;
	bool intx_asserted;
	bool intx_masked;
	struct virqfd *intx_unmask;
	__le32 *msix_table;
	unsigned long *msix_pba;
	struct eventfd_ctx *req_trigger;
	bool req_warned;

	void *mig_staged;
};

/* config.c */
int vmdev_config_build(struct vmdev_device *vdev);
int vmdev_config_rw(struct vmdev_device *vdev, unsigned int pos, void *buf,
		    unsigned int count, bool write);
void vmdev_config_reset(struct vmdev_device *vdev);

static inline u16 vmdev_cfg16(struct vmdev_state *st, unsigned int pos)
{
	return st->cfg[pos] | (st->cfg[pos + 1] << 8);
}

static inline void vmdev_cfg_set16(u8 *cfg, unsigned int pos, u16 val)
{
	cfg[pos] = val & 0xff;
	cfg[pos + 1] = val >> 8;
}

static inline u32 vmdev_cfg32(struct vmdev_state *st, unsigned int pos)
{
	return vmdev_cfg16(st, pos) | ((u32)vmdev_cfg16(st, pos + 2) << 16);
}

static inline void vmdev_cfg_set32(u8 *cfg, unsigned int pos, u32 val)
{
	vmdev_cfg_set16(cfg, pos, val & 0xffff);
	vmdev_cfg_set16(cfg, pos + 2, val >> 16);
}

/* Enter a &vmdev_state.lock section; also tells lockless @cfg readers. */
static inline unsigned long vmdev_lock(struct vmdev_state *st)
	__acquires(&st->lock)
{
	unsigned long flags;

	spin_lock_irqsave(&st->lock, flags);
	write_seqcount_begin(&st->cfg_seq);
	return flags;
}

/* Leave a section entered with vmdev_lock(), which returned @flags. */
static inline void vmdev_unlock(struct vmdev_state *st, unsigned long flags)
	__releases(&st->lock)
{
	write_seqcount_end(&st->cfg_seq);
	spin_unlock_irqrestore(&st->lock, flags);
}

/*
 * vmdev_cfg_read() - copy @count (1, 2 or 4) config bytes at @pos without
 * &vmdev_state.lock, consistent with every locked section.  Any context.
 */
static inline void vmdev_cfg_read(struct vmdev_state *st, unsigned int pos,
				  u8 *val, unsigned int count)
{
	unsigned int seq, i;

	do {
		seq = read_seqcount_begin(&st->cfg_seq);
		for (i = 0; i < count; i++)
			val[i] = READ_ONCE(st->cfg[pos + i]);
	} while (read_seqcount_retry(&st->cfg_seq, seq));
}

/* The command register, lockless (vmdev_cfg_read()). */
static inline u16 vmdev_cfg_command(struct vmdev_state *st)
{
	u8 b[2];

	vmdev_cfg_read(st, PCI_COMMAND, b, 2);
	return b[0] | b[1] << 8;
}

/*
 * Does an access to @bar at @off of @size bytes hit the MSI-X table or PBA
 * of @d (which irq.c emulates)?  Inline: every trapped BAR access asks.
 */
static inline bool vmdev_desc_msix_range(const struct vmdev_desc *d,
					 unsigned int bar, u64 off,
					 unsigned int size)
{
	u64 t = d->msix_table_offset, p = d->msix_pba_offset;
	u64 tlen = (u64)d->msix_vectors * VMDEV_MSIX_ENTRY;
	u64 plen = DIV_ROUND_UP(d->msix_vectors, 64) * 8;

	if (!d->msix_vectors || bar != d->msix_bar)
		return false;
	return (off < t + tlen && t < off + size) ||
	       (off < p + plen && p < off + size);
}

static inline bool vmdev_msix_range(struct vmdev_device *vdev,
				    unsigned int bar, u64 off,
				    unsigned int size)
{
	return vmdev_desc_msix_range(vdev->desc, bar, off, size);
}

/*
 * The per-device arrays (interrupt contexts, MSI-X table and PBA, BAR read
 * shadows) live behind &struct vmdev_state, in the same allocation as the
 * driver's structure: vmdev_alloc_device() sizes them from the description
 * with the *_tail_size() helpers below, and the init functions take their
 * share in the same order with vmdev_tail_take().
 */
#define VMDEV_TAIL_ALIGN	8

static inline size_t vmdev_tail_len(size_t len)
{
	return ALIGN(len, VMDEV_TAIL_ALIGN);
}

static inline void *vmdev_tail_take(u8 **tail, size_t len)
{
	void *p = *tail;

	*tail += vmdev_tail_len(len);
	return p;
}

/* regions.c */
int vmdev_bars_check(const struct vmdev_desc *d, struct device *dev);
size_t vmdev_bars_tail_size(const struct vmdev_desc *d);
int vmdev_bars_init(struct vmdev_device *vdev, u8 **tail);
void vmdev_bars_free(struct vmdev_device *vdev);
long vmdev_ioctl_region_info(struct vmdev_device *vdev, void __user *arg);

/* irq.c */
size_t vmdev_irq_tail_size(const struct vmdev_desc *d);
void vmdev_irq_init(struct vmdev_device *vdev, u8 **tail);
long vmdev_ioctl_irq_info(struct vmdev_device *vdev, void __user *arg);
long vmdev_ioctl_set_irqs(struct vmdev_device *vdev, void __user *arg);
void vmdev_irq_disable_all_locked(struct vmdev_device *vdev);
void vmdev_irq_reset(struct vmdev_device *vdev);
int vmdev_msix_rw(struct vmdev_device *vdev, u64 off, void *val,
		  unsigned int size, bool write);
void vmdev_irq_cfg_written_locked(struct vmdev_device *vdev,
				  unsigned int pos, unsigned int size);

void vmdev_irq_after_load_locked(struct vmdev_device *vdev);

/* core.c */
int vmdev_reset_function(struct vmdev_device *vdev);

#endif /* _VMDEV_PRIV_H */
