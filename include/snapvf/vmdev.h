/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdev-core: emulated PCI functions served as mediated devices.
 *
 * What vfio_pci_core is for physical functions, this library is for
 * emulated ones.  A driver
 *
 *  1. registers an mdev parent with a set of types
 *     (vmdev_register_parent()), plugging vmdev_mdev_get_available() and
 *     vmdev_mdev_show_description() into its &struct mdev_driver;
 *  2. in its mdev probe() allocates one &struct vmdev_device per instance
 *     from a device description (vmdev_alloc_device()), sets up its own
 *     state and calls vmdev_register_device(); in remove() it calls
 *     vmdev_unregister_device() and vfio_put_device();
 *  3. fills its own &struct vfio_device_ops with the vmdev_*() helpers
 *     below (open/close/ioctl/read/write/mmap/request/dma_unmap/release).
 *     There is no shim between VFIO and the driver: it may wrap any helper.
 *
 * The library emulates the PCI configuration space (type-0 header, BAR
 * sizing, capability list with PM, MSI, MSI-X, PCIe and vendor-specific
 * capabilities, extended config space), routes BAR accesses to device
 * callbacks or to library-owned memory, implements INTx/MSI/MSI-X and the
 * request interrupt through VFIO_DEVICE_SET_IRQS, reads and writes guest
 * memory through the container for the device and resets the function.
 *
 * See Documentation/driver-api/vfio-mdev-core.rst.
 */
#ifndef _SNAPVF_VMDEV_H
#define _SNAPVF_VMDEV_H

#include <linux/types.h>
#include <linux/mdev.h>
#include <linux/vfio.h>
#include <linux/pci_regs.h>
#include <linux/spinlock.h>
#include <snapvf/mig_stream.h>

struct vmdev_device;
struct vmdev_state;
struct vmdev_parent_state;

/* ------------------------------------------------------------------ */
/* Parents and types                                                   */
/* ------------------------------------------------------------------ */

/**
 * struct vmdev_type_info - what a driver says about one mdev type
 * @name: sysfs name; the type directory is "<driver name>-<name>"
 * @pretty_name: the "name" attribute (defaults to @name when NULL)
 * @description: the "description" attribute (may be NULL)
 * @max_instances: instances of this type one parent can hold at once;
 *	0 means "limited by the parent's capacity only"
 * @cost: units of the parent's capacity one instance uses (0: none)
 * @driver_data: free for the driver (e.g. an index into its own tables)
 *
 * The array of type infos passed to vmdev_register_parent() is only read
 * by the library and may be shared by any number of parents (a static
 * const table is the usual case).  It must stay valid until
 * vmdev_unregister_parent() returns.
 */
struct vmdev_type_info {
	const char *name;
	const char *pretty_name;
	const char *description;
	unsigned int max_instances;
	unsigned int cost;
	unsigned long driver_data;
};

/**
 * struct vmdev_parent - an mdev parent served by vfio-mdev-core
 * @mparent: the mdev core's parent; embedded, owned by the mdev core
 * @dev: the parent device (the one "mdev_supported_types" appears under)
 * @st: library-private accounting and types; not for drivers
 *
 * Embedded by the driver in its per-parent structure.  Lifetime: from
 * vmdev_register_parent() until vmdev_unregister_parent() returns; the
 * latter removes every instance first (waiting for open device fds to be
 * closed after sending them the request interrupt).
 *
 * Accounting: available_instances of a type is
 * min(max_instances - live instances of the type,
 * (capacity - used capacity) / cost), evaluated under one parent lock.
 * An instance is counted from vmdev_alloc_device() until its vfio_device
 * is released, so concurrent create/remove can never exceed the limits
 * and available_instances only rises once an instance is really gone.
 */
struct vmdev_parent {
	struct mdev_parent mparent;
	struct device *dev;
	struct vmdev_parent_state *st;
};

/**
 * vmdev_register_parent - register @dev as an mdev parent with types
 * @parent: the driver's embedded &struct vmdev_parent (needs no init)
 * @dev: the parent device; the caller holds a reference on it until
 *	vmdev_unregister_parent() returned
 * @mdrv: the driver's registered &struct mdev_driver; its get_available
 *	and show_description members must be vmdev_mdev_get_available() and
 *	vmdev_mdev_show_description(), device_api VFIO_DEVICE_API_PCI_STRING
 * @types: @nr_types type infos (see &struct vmdev_type_info)
 * @nr_types: 1..16
 * @capacity: capacity units shared by all types (0: unlimited, then every
 *	type needs a non-zero max_instances)
 *
 * Context: process, may sleep.
 * Return: 0 or a negative errno (-EINVAL for a bad type table).
 */
int vmdev_register_parent(struct vmdev_parent *parent, struct device *dev,
			  struct mdev_driver *mdrv,
			  const struct vmdev_type_info *types,
			  unsigned int nr_types, unsigned int capacity);
/**
 * vmdev_unregister_parent - remove all instances and the types of a parent
 * @parent: a parent registered with vmdev_register_parent()
 *
 * Blocks until every instance is removed; instances whose device fd is
 * open get the VFIO request interrupt and are removed once it is closed.
 * Context: process, may sleep; not from an instance's own callbacks.
 */
void vmdev_unregister_parent(struct vmdev_parent *parent);

/**
 * vmdev_mdev_get_available - &mdev_driver.get_available for vmdev parents
 * @mtype: an mdev type of a vmdev parent
 *
 * Return: instances of @mtype that can be created right now.
 */
unsigned int vmdev_mdev_get_available(struct mdev_type *mtype);
/**
 * vmdev_mdev_show_description - &mdev_driver.show_description for vmdev
 * @mtype: an mdev type of a vmdev parent
 * @buf: sysfs buffer
 *
 * Prints the type's description followed by its limits.
 * Return: bytes written to @buf.
 */
ssize_t vmdev_mdev_show_description(struct mdev_type *mtype, char *buf);

/**
 * vmdev_mdev_type_info - the type info an mdev instance was created with
 * @mdev: an instance of a vmdev parent (e.g. in the driver's probe())
 *
 * Return: the entry of the parent's type table.
 */
const struct vmdev_type_info *vmdev_mdev_type_info(struct mdev_device *mdev);
/**
 * vmdev_mdev_parent - the vmdev parent of an mdev instance
 * @mdev: an instance of a vmdev parent
 *
 * Return: the parent (use container_of() to reach the driver's structure).
 */
struct vmdev_parent *vmdev_mdev_parent(struct mdev_device *mdev);

/* ------------------------------------------------------------------ */
/* Device description                                                  */
/* ------------------------------------------------------------------ */

/**
 * enum vmdev_bar_flags - kind of a BAR in &struct vmdev_bar_desc
 * @VMDEV_BAR_IO: I/O space BAR (accesses go to the callbacks)
 * @VMDEV_BAR_MEM64: 64-bit memory BAR; uses this slot and the next one,
 *	which must then be left empty
 * @VMDEV_BAR_PREFETCH: prefetchable memory BAR
 * @VMDEV_BAR_RAM: the BAR is plain memory allocated and zeroed by the
 *	library: reads and writes go to it directly and it can be mmap()ed
 *	by the user; no device callback sees these accesses.  Without this
 *	flag every access goes to &vmdev_ops.bar_read/bar_write.
 */
enum vmdev_bar_flags {
	VMDEV_BAR_IO		= 1U << 0,
	VMDEV_BAR_MEM64		= 1U << 1,
	VMDEV_BAR_PREFETCH	= 1U << 2,
	VMDEV_BAR_RAM		= 1U << 3,
};

/**
 * struct vmdev_bar_desc - one base address register
 * @size: size in bytes, a power of two, at least 16 (memory) or 4 (I/O);
 *	0 means the BAR is not implemented
 * @flags: &enum vmdev_bar_flags
 * @shadow_len: for a trapped memory BAR, the first @shadow_len bytes
 *	(a multiple of 4, at most %VMDEV_SHADOW_MAX) are read from a copy
 *	the library keeps and the device updates with
 *	vmdev_bar_shadow_write(): a naturally aligned read inside it is
 *	answered without calling &vmdev_ops.bar_read.  Meant for registers
 *	that drivers poll and whose reads have no side effect; writes still
 *	go to &vmdev_ops.bar_write.  The shadow reads as zero until written.
 *	0: no shadow.
 */
struct vmdev_bar_desc {
	u64 size;
	u32 flags;
	u32 shadow_len;
};

#define VMDEV_SHADOW_MAX	256

/**
 * struct vmdev_cap_desc - a driver-supplied (vendor-specific) capability
 * @data: the whole capability as it reads at reset, starting with the
 *	capability ID byte.  Bytes 0 (ID) and 1 (next pointer) are filled
 *	in by the library (ID PCI_CAP_ID_VNDR, next as laid out).
 * @len: length in bytes, 3..64 (vendor capabilities carry it in byte 2)
 * @wmask: optional per-byte mask of guest-writable bits, @len bytes;
 *	NULL means read-only.  Bytes 0 and 1 are never writable.
 * @trap: when true, reads of the capability go to &vmdev_ops.cap_read
 *	and writes, once stored through @wmask, to &vmdev_ops.cap_write
 *	(e.g. the virtio PCI configuration access window)
 *
 * Capabilities are placed in the order given, after the library's own
 * (PM, MSI, PCIe, MSI-X), each at a 4-byte aligned offset.
 */
struct vmdev_cap_desc {
	const void *data;
	u8 len;
	const void *wmask;
	bool trap;
};

/**
 * struct vmdev_ops - device callbacks
 * @bar_read: read @size (1, 2, 4 or 8, naturally aligned) bytes at @off
 *	of a non-RAM BAR into @val (little-endian, as on the bus).  Return 0
 *	or a negative errno passed to the user.  Not called for the MSI-X
 *	table and PBA, which the library emulates.  May sleep.
 * @bar_write: the write counterpart of @bar_read
 * @cap_read: read of a trapped vendor capability number @idx (index in
 *	&vmdev_desc.caps) at offset @off within it; @val holds the emulated
 *	bytes on entry and may be changed.  Optional.
 * @cap_write: a guest write to trapped capability @idx has been stored
 *	(through its write mask); @val is what the guest wrote.  Optional.
 * @reset: device-level reset (function level reset semantics): called on
 *	VFIO_DEVICE_RESET, FLR and close of the device, after the library
 *	reset its own state; with no config-space lock held.  Open does not
 *	reset: a closed device is at reset (see vmdev_register_device()).
 *	Optional.
 * @dma_unmap: the user unmapped [@iova, @iova + @len) from the container:
 *	drop any reference to it.  Optional.
 *
 * Callbacks may run concurrently with each other and with device code;
 * the device serialises its own state.  None is called after
 * vmdev_unregister_device() returned.
 */
struct vmdev_ops {
	int (*bar_read)(struct vmdev_device *vdev, unsigned int bar, u64 off,
			void *val, unsigned int size);
	int (*bar_write)(struct vmdev_device *vdev, unsigned int bar, u64 off,
			 const void *val, unsigned int size);
	int (*cap_read)(struct vmdev_device *vdev, unsigned int idx,
			unsigned int off, void *val, unsigned int size);
	void (*cap_write)(struct vmdev_device *vdev, unsigned int idx,
			  unsigned int off, const void *val, unsigned int size);
	void (*reset)(struct vmdev_device *vdev);
	void (*dma_unmap)(struct vmdev_device *vdev, u64 iova, u64 len);
};

/**
 * struct vmdev_desc - description of an emulated PCI function
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 * @subsystem_vendor: subsystem vendor ID
 * @subsystem_device: subsystem ID
 * @class_code: 24-bit class code (base class << 16 | sub << 8 | prog-if)
 * @revision: revision ID
 * @intx: the function has an INTx pin (INTA)
 * @bars: the six BARs; a 64-bit BAR takes two slots
 * @msi_vectors: 0 for no MSI capability, else 1, 2, 4, 8, 16 or 32
 * @msi_maskable: MSI capability with per-vector mask and pending bits
 * @msix_vectors: 0 for no MSI-X capability, else 1..2048
 * @msix_bar: BAR (non-RAM) holding the MSI-X table and PBA
 * @msix_table_offset: table offset in @msix_bar, 8-byte aligned
 * @msix_pba_offset: PBA offset in @msix_bar, 8-byte aligned; table and
 *	PBA must not overlap each other and must fit in the BAR
 * @pm: add a power management capability (D0/D3hot, no PME)
 * @pcie: add a PCI Express capability (v2, RC-integrated-endpoint-less
 *	plain endpoint, FLR advertised) and a 4 KiB config space
 * @caps: driver-supplied vendor-specific capabilities
 * @nr_caps: number of entries in @caps
 * @ops: device callbacks
 *
 * The description is only read; it must stay valid while any device
 * allocated from it exists (a static const is the usual case).
 * vmdev_alloc_device() checks it and fails with -EINVAL and one dmesg line
 * saying what is wrong.
 */
struct vmdev_desc {
	u16 vendor;
	u16 device;
	u16 subsystem_vendor;
	u16 subsystem_device;
	u32 class_code;
	u8 revision;
	bool intx;
	struct vmdev_bar_desc bars[PCI_STD_NUM_BARS];
	unsigned int msi_vectors;
	bool msi_maskable;
	unsigned int msix_vectors;
	unsigned int msix_bar;
	u32 msix_table_offset;
	u32 msix_pba_offset;
	bool pm;
	bool pcie;
	const struct vmdev_cap_desc *caps;
	unsigned int nr_caps;
	const struct vmdev_ops *ops;
};

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

/**
 * struct vmdev_device - one emulated PCI function (one mdev instance)
 * @vdev: the VFIO device; must be the first member (vfio_alloc_device())
 * @mdev: the mdev instance this device serves
 * @parent: the vmdev parent of @mdev
 * @type: the type info @mdev was created with
 * @desc: the device description
 * @st: library-private state; not for drivers
 *
 * Embedded as the first member of the driver's per-instance structure.
 * Lifetime: allocated by vmdev_alloc_device(), freed when the last
 * reference to @vdev is put (vfio_put_device()); the driver's
 * &vfio_device_ops.release must call vmdev_release_dev() (or be it).
 */
struct vmdev_device {
	struct vfio_device vdev;
	struct mdev_device *mdev;
	struct vmdev_parent *parent;
	const struct vmdev_type_info *type;
	const struct vmdev_desc *desc;
	struct vmdev_state *st;
};

struct vmdev_device *_vmdev_alloc_device(size_t size,
					 struct mdev_device *mdev,
					 const struct vfio_device_ops *vops,
					 const struct vmdev_desc *desc);

/**
 * vmdev_alloc_device - allocate a driver structure embedding a vmdev_device
 * @dev_struct: the driver's structure type
 * @member: name of its &struct vmdev_device member, which must come first
 * @mdev: the mdev instance being probed
 * @vops: the driver's vfio_device_ops (built from the vmdev_*() helpers)
 * @desc: the device description
 *
 * Reserves one instance of @mdev's type on its parent (fails with -EUSERS
 * when none is available), allocates the structure zeroed and builds the
 * config space, BAR memory and interrupt state from @desc.
 *
 * The member is first, so the returned pointer (or ERR_PTR()) converts
 * directly to the driver's structure.
 *
 * Return: pointer to the driver's structure or an ERR_PTR().  Undo with
 * vfio_put_device(&p->member.vdev).
 */
#define vmdev_alloc_device(dev_struct, member, mdev, vops, desc)		\
	((typeof(dev_struct) *)_vmdev_alloc_device(sizeof(dev_struct) +	\
					   BUILD_BUG_ON_ZERO(offsetof(	\
						dev_struct, member)),	\
					   mdev, vops, desc))

/**
 * vmdev_register_device - make a device allocated with vmdev_alloc_device()
 *	visible to VFIO (an emulated-IOMMU vfio_device)
 * @vdev: the device, with the driver's own state set up
 *
 * From here on the user can open it and every callback may run.  The
 * driver's device state must be its reset state (what &vmdev_ops.reset
 * leaves): the library keeps every closed device at reset, by resetting
 * on close, and so does not reset again on open.
 * Context: process, may sleep.
 * Return: 0 or the error of vfio_register_emulated_iommu_dev(); on error
 * the caller puts the device (vfio_put_device()).
 */
int vmdev_register_device(struct vmdev_device *vdev);
/**
 * vmdev_unregister_device - withdraw a device from VFIO
 * @vdev: a registered device
 *
 * If the device fd is open the user is sent the request interrupt
 * (repeatedly, as VFIO does) and this waits until it is closed.  On
 * return no callback runs any more and the device is closed; the caller
 * then stops its own device code and calls vfio_put_device().
 * Context: process, may sleep.
 */
void vmdev_unregister_device(struct vmdev_device *vdev);

static inline struct vmdev_device *to_vmdev(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vmdev_device, vdev);
}

/* Ready-made vfio_device_ops members. */
/**
 * vmdev_release_dev - &vfio_device_ops.release: free library state
 * @core_vdev: the vfio_device being released
 *
 * Frees RAM BAR memory and returns the instance to the parent's
 * accounting; the rest of the library state shares the driver
 * structure's allocation and goes with it when this returns.  A driver
 * with its own release calls this last.  Safe on a partially set up
 * device.
 */
void vmdev_release_dev(struct vfio_device *core_vdev);
/**
 * vmdev_open_device - &vfio_device_ops.open_device
 * @core_vdev: the device
 *
 * Marks the device open for the DMA helpers; the function is already at
 * reset (see vmdev_register_device()).  A driver wrapping it calls it
 * first.
 * Return: 0 or a negative errno.
 */
int vmdev_open_device(struct vfio_device *core_vdev);
/**
 * vmdev_close_device - &vfio_device_ops.close_device
 * @core_vdev: the device
 *
 * Disables all interrupts, releases their eventfds and resets the
 * function.
 */
void vmdev_close_device(struct vfio_device *core_vdev);
/**
 * vmdev_ioctl - &vfio_device_ops.ioctl
 * @core_vdev: the device
 * @cmd: VFIO_DEVICE_GET_INFO, _GET_REGION_INFO, _GET_IRQ_INFO, _SET_IRQS
 *	or _RESET
 * @arg: user pointer
 *
 * Return: 0 or a negative errno; -ENOTTY for other commands, so a driver
 * may handle its own commands first and fall back to this.
 */
long vmdev_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		 unsigned long arg);
/**
 * vmdev_read - &vfio_device_ops.read: config space and BAR reads
 * @core_vdev: the device
 * @buf: user buffer
 * @count: bytes; for a callback BAR one access of 1, 2, 4 or 8 bytes,
 *	naturally aligned, else -EINVAL; any size for config space and RAM
 * @ppos: region index << VMDEV_OFFSET_SHIFT | offset
 *
 * Return: bytes read (short at the end of a region) or -EINVAL for an
 * unknown region or an offset past its end, -EFAULT for a bad buffer.
 */
ssize_t vmdev_read(struct vfio_device *core_vdev, char __user *buf,
		   size_t count, loff_t *ppos);
/**
 * vmdev_write - &vfio_device_ops.write: config space and BAR writes
 * @core_vdev: the device
 * @buf: user buffer
 * @count: as for vmdev_read()
 * @ppos: as for vmdev_read()
 *
 * Return: bytes written or a negative errno as for vmdev_read().
 */
ssize_t vmdev_write(struct vfio_device *core_vdev, const char __user *buf,
		    size_t count, loff_t *ppos);
/**
 * vmdev_mmap - &vfio_device_ops.mmap: map a RAM BAR
 * @core_vdev: the device
 * @vma: the mapping; vm_pgoff encodes the region offset as for read()
 *
 * Return: 0, or -EINVAL for a region that is not a RAM BAR or a range
 * past its end.
 */
int vmdev_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma);
/**
 * vmdev_request - &vfio_device_ops.request: ask the user to release
 * @core_vdev: the device
 * @count: how many times VFIO has asked so far
 *
 * Signals the VFIO_PCI_REQ_IRQ_INDEX eventfd if the user set one, else
 * logs once that the device is waiting for its user.
 */
void vmdev_request(struct vfio_device *core_vdev, unsigned int count);
/**
 * vmdev_dma_unmap - &vfio_device_ops.dma_unmap
 * @core_vdev: the device
 * @iova: start of the unmapped range
 * @length: its length
 *
 * Calls &vmdev_ops.dma_unmap if the device has one.
 */
void vmdev_dma_unmap(struct vfio_device *core_vdev, u64 iova, u64 length);

/* Region offsets in the device fd, as vfio-pci lays them out. */
#define VMDEV_OFFSET_SHIFT	40
#define VMDEV_INDEX_TO_OFFSET(index)	((u64)(index) << VMDEV_OFFSET_SHIFT)

/* ------------------------------------------------------------------ */
/* Device-side helpers                                                 */
/* ------------------------------------------------------------------ */

/**
 * vmdev_bar_shadow_write - update the read shadow of a trapped BAR
 * @vdev: the device
 * @bar: BAR number with a &vmdev_bar_desc.shadow_len
 * @off: offset in the BAR
 * @data: the bytes as the registers now read (little-endian registers)
 * @len: bytes; [@off, @off + @len) must lie inside the shadow
 *
 * Call after every change of what the shadowed registers read, including
 * at setup, reset and after loading migrated state: the library serves
 * reads from this copy alone.  A concurrent read sees all @len bytes
 * either before or after the update, never a mix, so a device that
 * writes its whole shadow in one call gives readers a consistent
 * snapshot.  Out-of-range arguments are refused with a warning.
 *
 * Context: any (takes a spinlock with interrupts disabled).
 */
void vmdev_bar_shadow_write(struct vmdev_device *vdev, unsigned int bar,
			    unsigned int off, const void *data,
			    unsigned int len);

/**
 * enum vmdev_irq_type - interrupt mode the user enabled via SET_IRQS
 * @VMDEV_IRQ_NONE: no interrupts enabled
 * @VMDEV_IRQ_INTX: INTx
 * @VMDEV_IRQ_MSI: MSI
 * @VMDEV_IRQ_MSIX: MSI-X
 */
enum vmdev_irq_type {
	VMDEV_IRQ_NONE,
	VMDEV_IRQ_INTX,
	VMDEV_IRQ_MSI,
	VMDEV_IRQ_MSIX,
};

/**
 * vmdev_irq_raise - deliver an interrupt from device code
 * @vdev: the device
 * @vector: MSI/MSI-X vector; ignored (0) for INTx
 *
 * Delivers through whatever the user enabled with SET_IRQS: signals the
 * vector's eventfd unless it is masked (MSI-X vector control or function
 * mask, MSI mask bit, SET_IRQS mask, INTx automask or Interrupt Disable),
 * in which case the pending bit is set and the interrupt is delivered on
 * unmask.  INTx is level triggered: it stays asserted until
 * vmdev_intx_lower().
 *
 * Context: any (takes a spinlock with interrupts disabled).
 * Return: 0 when signalled, -EAGAIN when left pending (masked), -EINVAL
 * when interrupts are off or @vector is not enabled (dropped).
 */
int vmdev_irq_raise(struct vmdev_device *vdev, unsigned int vector);
/**
 * vmdev_intx_lower - deassert INTx
 * @vdev: the device
 *
 * Context: any.
 */
void vmdev_intx_lower(struct vmdev_device *vdev);
/**
 * vmdev_irq_type - interrupt mode the user enabled
 * @vdev: the device
 *
 * Return: &enum vmdev_irq_type.
 */
enum vmdev_irq_type vmdev_irq_type(struct vmdev_device *vdev);

/**
 * vmdev_dma_read - read guest memory through the container
 * @vdev: an open device
 * @iova: I/O virtual address
 * @buf: kernel buffer
 * @len: bytes
 *
 * Context: process (may fault in user memory of the DMA owner).
 * Return: 0, -EPERM if bus mastering is off (only then), -ENODEV if the
 * device is not open, or the error of vfio_dma_rw() (-EFAULT/-EINVAL for
 * unmapped ranges; its -EPERM for a mapping without read access becomes
 * -EFAULT).
 */
int vmdev_dma_read(struct vmdev_device *vdev, dma_addr_t iova, void *buf,
		   size_t len);
/**
 * vmdev_dma_write - write guest memory and mark it dirty
 * @vdev: an open device
 * @iova: I/O virtual address
 * @buf: kernel buffer
 * @len: bytes
 *
 * As vmdev_dma_read(); on success the range is reported dirty to the
 * shared migration layer's DMA logging.
 * Return: as vmdev_dma_read().
 */
int vmdev_dma_write(struct vmdev_device *vdev, dma_addr_t iova,
		    const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Migration (with the shared layer, <snapvf/mig.h>)                    */
/* ------------------------------------------------------------------ */

struct svf_mig_chunk;

/*
 * The library's own record: chunk type VMDEV_MIG_REC_STATE, payload
 * struct vmdev_mig_rec with the MSI-X table and PBA after it, all defined
 * in <snapvf/mig_stream.h> (the stream's public definition).  The type
 * lies in the drivers' chunk space of the stream (>= SVF_MIG_REC_DRIVER);
 * drivers must not use it for their own records.
 */

/**
 * vmdev_mig_state_size - bytes of the library's migration record
 * @vdev: the device
 *
 * Return: the size, for &svf_mig_ops.pending estimates.
 */
size_t vmdev_mig_state_size(struct vmdev_device *vdev);

/**
 * vmdev_mig_save - produce the library's record into a chunk
 * @vdev: the device, stopped (call it from the final &svf_mig_ops.save
 *	round, as one of the chunks)
 * @chunk: chunk from the layer; gets type VMDEV_MIG_REC_STATE
 *
 * Saves config space, the MSI-X table and PBA, MSI pending bits and the
 * INTx line level.
 * Return: 0, or -ENOSPC if the chunk is smaller than
 * vmdev_mig_state_size().
 */
int vmdev_mig_save(struct vmdev_device *vdev, struct svf_mig_chunk *chunk);

/**
 * vmdev_mig_load_stage - check and stage the library's record
 * @vdev: the device
 * @type: chunk type from &svf_mig_ops.load_stage
 * @data: chunk data
 * @len: chunk length
 *
 * Call it first from the driver's load_stage hook.
 * Return: -ENOENT if @type is not the library's (the driver's chunk),
 * 0 when staged, -EINVAL (one dmesg line) for a record of another
 * function, version or size or from another device description (the
 * record carries a fingerprint of the source's description), -ENOMEM.
 */
int vmdev_mig_load_stage(struct vmdev_device *vdev, u16 type,
			 const void *data, size_t len);

/**
 * vmdev_mig_load_commit - apply the staged record
 * @vdev: the device
 *
 * From the driver's load_commit hook; a no-op if nothing was staged.  The
 * SET_IRQS mode and eventfds of this side are kept: a destination's user
 * re-registers eventfds (before or after resuming) and nothing else; the
 * MSI/MSI-X Enable bits follow its SET_IRQS mode.
 */
void vmdev_mig_load_commit(struct vmdev_device *vdev);

/**
 * vmdev_mig_load_abort - drop a staged record
 * @vdev: the device
 *
 * From the driver's load_abort hook (and reset).
 */
void vmdev_mig_load_abort(struct vmdev_device *vdev);

#endif /* _SNAPVF_VMDEV_H */
