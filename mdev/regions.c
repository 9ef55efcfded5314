// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdev-core: VFIO regions of an emulated PCI function.
 *
 * Region indexes and fd offsets follow vfio-pci (index << 40): BAR0..5,
 * an empty ROM, config space and an empty VGA region.  A BAR is either
 * RAM (library-owned vmalloc memory, read/written directly, mmap()able
 * when at least a page big) or trapped: each read()/write() is one access
 * of 1, 2, 4 or 8 naturally aligned bytes handed to the device callbacks,
 * except for the MSI-X table and PBA, which irq.c emulates, and reads
 * inside a BAR's read shadow (a copy the device keeps current with
 * vmdev_bar_shadow_write(), for registers drivers poll).
 *
 * BAR accesses through read()/write() need Memory (or I/O) Space enabled
 * in the command register, as vfio-pci requires: -EIO otherwise.
 *
 * Lifetime: RAM BAR memory lives from vmdev_alloc_device() until the
 * vfio_device is released; user mappings hold their own reference on the
 * pages through the vma (remap_vmalloc_range()), and VFIO keeps the device
 * alive while a mapping's file is open.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/vfio_pci_core.h>
#include "vmdev_priv.h"

#define VMDEV_OFFSET_MASK	(VMDEV_INDEX_TO_OFFSET(1) - 1)
#define VMDEV_RAM_BAR_MAX	SZ_256M

/* A read shadow sits at the start of a trapped memory BAR, clear of MSI-X. */
static int shadow_check(const struct vmdev_desc *d, struct device *dev,
			unsigned int i)
{
	const struct vmdev_bar_desc *bar = &d->bars[i];

	if (!bar->shadow_len)
		return 0;
	if (bar->shadow_len > VMDEV_SHADOW_MAX || bar->shadow_len % 4 ||
	    bar->shadow_len > bar->size ||
	    (bar->flags & (VMDEV_BAR_RAM | VMDEV_BAR_IO)) ||
	    vmdev_desc_msix_range(d, i, 0, bar->shadow_len)) {
		dev_err(dev, "vmdev: BAR%u: bad read shadow of %u bytes\n", i,
			bar->shadow_len);
		return -EINVAL;
	}
	return 0;
}

static int bar_check(const struct vmdev_desc *d, struct device *dev,
		     unsigned int i)
{
	const struct vmdev_bar_desc *bar = &d->bars[i];
	u64 min = (bar->flags & VMDEV_BAR_IO) ? 4 : 16;

	if (!bar->size)
		return 0;
	if (bar->size < min || !is_power_of_2(bar->size)) {
		dev_err(dev, "vmdev: BAR%u size %llu is not a power of two >= %llu\n",
			i, bar->size, min);
		return -EINVAL;
	}
	if ((bar->flags & VMDEV_BAR_IO) &&
	    (bar->size > SZ_256 || (bar->flags & ~VMDEV_BAR_IO))) {
		dev_err(dev, "vmdev: BAR%u: I/O BARs are trapped, at most 256 bytes\n",
			i);
		return -EINVAL;
	}
	if (!(bar->flags & VMDEV_BAR_MEM64) && bar->size > SZ_2G) {
		dev_err(dev, "vmdev: BAR%u too big for a 32-bit BAR\n", i);
		return -EINVAL;
	}
	if ((bar->flags & VMDEV_BAR_MEM64) &&
	    (i == PCI_STD_NUM_BARS - 1 || d->bars[i + 1].size)) {
		dev_err(dev, "vmdev: 64-bit BAR%u needs BAR%u empty\n", i, i + 1);
		return -EINVAL;
	}
	if ((bar->flags & VMDEV_BAR_RAM) && bar->size > VMDEV_RAM_BAR_MAX) {
		dev_err(dev, "vmdev: RAM BAR%u larger than 256 MiB\n", i);
		return -EINVAL;
	}
	return shadow_check(d, dev, i);
}

static int msix_check(const struct vmdev_desc *d, struct device *dev)
{
	u64 tlen = (u64)d->msix_vectors * VMDEV_MSIX_ENTRY;
	u64 plen = DIV_ROUND_UP(d->msix_vectors, 64) * 8;
	const struct vmdev_bar_desc *bar;

	if (!d->msix_vectors)
		return 0;
	if (d->msix_vectors > PCI_MSIX_FLAGS_QSIZE + 1 ||
	    d->msix_bar >= PCI_STD_NUM_BARS) {
		dev_err(dev, "vmdev: bad MSI-X vector count or BAR\n");
		return -EINVAL;
	}
	bar = &d->bars[d->msix_bar];
	if (!bar->size || (bar->flags & (VMDEV_BAR_RAM | VMDEV_BAR_IO)) ||
	    (d->msix_table_offset & 7) || (d->msix_pba_offset & 7) ||
	    d->msix_table_offset + tlen > bar->size ||
	    d->msix_pba_offset + plen > bar->size ||
	    (d->msix_table_offset < d->msix_pba_offset + plen &&
	     d->msix_pba_offset < d->msix_table_offset + tlen)) {
		dev_err(dev, "vmdev: MSI-X table/PBA do not fit in trapped memory BAR%u\n",
			d->msix_bar);
		return -EINVAL;
	}
	return 0;
}

int vmdev_bars_check(const struct vmdev_desc *d, struct device *dev)
{
	unsigned int i;
	int ret;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		ret = bar_check(d, dev, i);
		if (ret)
			return ret;
		if (d->bars[i].flags & VMDEV_BAR_MEM64)
			i++;
	}
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		const struct vmdev_bar_desc *bar = &d->bars[i];

		if (bar->size && !(bar->flags & VMDEV_BAR_RAM) &&
		    (!d->ops->bar_read || !d->ops->bar_write) &&
		    !(d->msix_vectors && i == d->msix_bar)) {
			dev_err(dev,
				"vmdev: trapped BAR%u without bar_read/bar_write\n",
				i);
			return -EINVAL;
		}
	}
	return msix_check(d, dev);
}

/*
 * Bytes vmdev_bars_init() takes from the tail of the state: the read
 * shadows, rounded up to 8 (the fast path loads up to 8 bytes).
 */
size_t vmdev_bars_tail_size(const struct vmdev_desc *d)
{
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		len += vmdev_tail_len(d->bars[i].shadow_len);
	return len;
}

/* Read shadows from the (zeroed) tail, RAM BARs from vmalloc. */
int vmdev_bars_init(struct vmdev_device *vdev, u8 **tail)
{
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		const struct vmdev_bar_desc *bar = &vdev->desc->bars[i];

		if (bar->shadow_len)
			vdev->st->shadow[i] = vmdev_tail_take(tail,
							      bar->shadow_len);
	}
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		const struct vmdev_bar_desc *bar = &vdev->desc->bars[i];

		if (!bar->size || !(bar->flags & VMDEV_BAR_RAM))
			continue;
		vdev->st->bar_ram[i] = vmalloc_user(bar->size);
		if (!vdev->st->bar_ram[i])
			return -ENOMEM;
	}
	return 0;
}

void vmdev_bars_free(struct vmdev_device *vdev)
{
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		vfree(vdev->st->bar_ram[i]);
		vdev->st->bar_ram[i] = NULL;
	}
}

void vmdev_bar_shadow_write(struct vmdev_device *vdev, unsigned int bar,
			    unsigned int off, const void *data,
			    unsigned int len)
{
	struct vmdev_state *st = vdev->st;
	unsigned long flags;

	if (WARN_ON_ONCE(bar >= PCI_STD_NUM_BARS || !st->shadow[bar] ||
			 off > vdev->desc->bars[bar].shadow_len ||
			 len > vdev->desc->bars[bar].shadow_len - off))
		return;
	write_seqlock_irqsave(&st->shadow_lock, flags);
	memcpy(st->shadow[bar] + off, data, len);
	write_sequnlock_irqrestore(&st->shadow_lock, flags);
}
EXPORT_SYMBOL_GPL(vmdev_bar_shadow_write);

/* Size of region @index as the user sees it (0: absent). */
static u64 region_size(struct vmdev_device *vdev, unsigned int index)
{
	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		return vdev->desc->bars[index].size;
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return vdev->st->cfg_size;
	return 0;
}

static bool bar_mmappable(struct vmdev_device *vdev, unsigned int index)
{
	return index <= VFIO_PCI_BAR5_REGION_INDEX &&
	       vdev->st->bar_ram[index] &&
	       vdev->desc->bars[index].size >= PAGE_SIZE;
}

long vmdev_ioctl_region_info(struct vmdev_device *vdev, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;

	info.offset = VMDEV_INDEX_TO_OFFSET(info.index);
	info.size = region_size(vdev, info.index);
	info.flags = 0;
	info.cap_offset = 0;
	if (info.size)
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
	if (bar_mmappable(vdev, info.index))
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/*
 * User copies of one 1-, 2-, 4- or 8-byte access.  Each case has a size
 * known at build time, so the usercopy hardening (check_object_size()) is
 * settled by the compiler instead of costing a call per trapped access.
 */
static __always_inline int access_from_user(void *val,
					    const char __user *buf,
					    unsigned int size)
{
	unsigned long left;

	switch (size) {
	case 1:
		left = copy_from_user(val, buf, 1);
		break;
	case 2:
		left = copy_from_user(val, buf, 2);
		break;
	case 4:
		left = copy_from_user(val, buf, 4);
		break;
	default:
		left = copy_from_user(val, buf, 8);
		break;
	}
	return left ? -EFAULT : 0;
}

/*
 * One access's value to the user: loaded in host order from @p (aligned)
 * and stored with the same width, so the user gets the bytes exactly as
 * they sit in memory.  Inline, with no usercopy call: the fast read path
 * below uses the pair too.
 */
static __always_inline u64 load_sized(const u8 *p, unsigned int size)
{
	switch (size) {
	case 1:
		return *p;
	case 2:
		return *(const u16 *)p;
	case 4:
		return *(const u32 *)p;
	default:
		return *(const u64 *)p;
	}
}

static __always_inline bool store_user_sized(char __user *buf, u64 v,
					     unsigned int size)
{
	if (!user_access_begin(buf, size))
		return false;
	switch (size) {
	case 1:
		unsafe_put_user((u8)v, (u8 __user *)buf, fault);
		break;
	case 2:
		unsafe_put_user((u16)v, (u16 __user *)buf, fault);
		break;
	case 4:
		unsafe_put_user((u32)v, (u32 __user *)buf, fault);
		break;
	default:
		unsafe_put_user(v, (u64 __user *)buf, fault);
		break;
	}
	user_access_end();
	return true;
fault:
	user_access_end();
	return false;
}

static ssize_t config_rw(struct vmdev_device *vdev, char __user *buf,
			 size_t count, u64 pos, bool write)
{
	size_t done = 0;
	int ret;

	while (done < count) {
		unsigned int sz = 4, off = pos + done;
		u32 val;

		while (sz > 1 && (off % sz || count - done < sz))
			sz >>= 1;
		if (write && access_from_user(&val, buf + done, sz))
			return -EFAULT;
		ret = vmdev_config_rw(vdev, off, &val, sz, write);
		if (ret)
			return done ? done : ret;
		if (!write &&
		    !store_user_sized(buf + done, load_sized((u8 *)&val, sz), sz))
			return -EFAULT;
		done += sz;
	}
	return done;
}

static ssize_t ram_rw(struct vmdev_device *vdev, unsigned int bar,
		      char __user *buf, size_t count, u64 pos, bool write)
{
	u8 *mem = (u8 *)vdev->st->bar_ram[bar] + pos;
	unsigned long left;

	left = write ? copy_from_user(mem, buf, count) :
		       copy_to_user(buf, mem, count);
	if (left == count)
		return -EFAULT;
	return count - left;
}

static ssize_t trap_rw(struct vmdev_device *vdev, unsigned int bar,
		       char __user *buf, size_t count, u64 pos, bool write)
{
	const struct vmdev_ops *ops = vdev->desc->ops;
	u64 val = 0;
	int ret;

	if ((count != 1 && count != 2 && count != 4 && count != 8) ||
	    pos % count)
		return -EINVAL;
	if (write && access_from_user(&val, buf, count))
		return -EFAULT;
	if (vmdev_msix_range(vdev, bar, pos, count))
		ret = vmdev_msix_rw(vdev, pos, &val, count, write);
	else if (write)
		ret = ops->bar_write(vdev, bar, pos, &val, count);
	else
		ret = ops->bar_read(vdev, bar, pos, &val, count);
	if (ret)
		return ret;
	if (!write && !store_user_sized(buf, load_sized((u8 *)&val, count),
					count))
		return -EFAULT;
	return count;
}

static __always_inline bool decode_enabled(struct vmdev_device *vdev,
					   unsigned int bar)
{
	u16 cmd = vmdev_cfg_command(vdev->st);

	if (vdev->desc->bars[bar].flags & VMDEV_BAR_IO)
		return cmd & PCI_COMMAND_IO;
	return cmd & PCI_COMMAND_MEMORY;
}

/* Inline into vmdev_read() and vmdev_write(): one call less per access. */
static __always_inline ssize_t vmdev_rw(struct vmdev_device *vdev,
					char __user *buf, size_t count,
					loff_t *ppos, bool write)
{
	unsigned int index = *ppos >> VMDEV_OFFSET_SHIFT;
	u64 pos = *ppos & VMDEV_OFFSET_MASK;
	u64 size;
	ssize_t ret;

	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	size = region_size(vdev, index);
	if (pos >= size || !count)
		return -EINVAL;
	count = min_t(u64, count, size - pos);

	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		ret = config_rw(vdev, buf, count, pos, write);
	} else {
		if (!decode_enabled(vdev, index))
			return -EIO;
		if (vdev->st->bar_ram[index])
			ret = ram_rw(vdev, index, buf, count, pos, write);
		else
			ret = trap_rw(vdev, index, buf, count, pos, write);
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

/*
 * The read fast path: one naturally aligned access whose value the library
 * holds itself, i.e. a config register outside the trapped capabilities or
 * a register inside a BAR's read shadow.  It is all inline and the value
 * reaches the user through one unsafe_put_user(), because drivers poll
 * these registers, and under emulation every call and return costs about
 * as much as the rest of the access.  Anything else takes vmdev_rw().
 */
/* Any of @size (1, 2 or 4) config bytes at aligned @pos trapped? */
static __always_inline bool cfg_trapped(const struct vmdev_state *st,
					unsigned int pos, unsigned int size)
{
	return (st->trap_map[BIT_WORD(pos)] >> (pos % BITS_PER_LONG)) &
	       ((1UL << size) - 1);
}

/*
 * Serve a read from the library's copies if it can: true with *@ret set
 * (and *@ppos advanced) when it did, false to take the full path.
 */
static __always_inline bool read_fast(struct vmdev_device *vdev,
				      char __user *buf, size_t count,
				      loff_t *ppos, ssize_t *ret)
{
	unsigned int index = *ppos >> VMDEV_OFFSET_SHIFT;
	u64 pos = *ppos & VMDEV_OFFSET_MASK;
	struct vmdev_state *st = vdev->st;
	unsigned int seq;
	u64 v;

	if ((count != 1 && count != 2 && count != 4 && count != 8) ||
	    (pos & (count - 1)))
		return false;
	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (count == 8 || pos >= VMDEV_CFG_SIZE ||
		    cfg_trapped(st, pos, count))
			return false;
		do {
			seq = read_seqcount_begin(&st->cfg_seq);
			v = load_sized(st->cfg + pos, count);
		} while (read_seqcount_retry(&st->cfg_seq, seq));
	} else if (index <= VFIO_PCI_BAR5_REGION_INDEX) {
		if (pos + count > vdev->desc->bars[index].shadow_len ||
		    !decode_enabled(vdev, index))
			return false;
		do {
			seq = read_seqbegin(&st->shadow_lock);
			v = load_sized(st->shadow[index] + pos, count);
		} while (read_seqretry(&st->shadow_lock, seq));
	} else {
		return false;
	}
	if (!store_user_sized(buf, v, count)) {
		*ret = -EFAULT;
		return true;
	}
	*ppos += count;
	*ret = count;
	return true;
}

ssize_t vmdev_read(struct vfio_device *core_vdev, char __user *buf,
		   size_t count, loff_t *ppos)
{
	struct vmdev_device *vdev = to_vmdev(core_vdev);
	ssize_t ret;

	if (read_fast(vdev, buf, count, ppos, &ret))
		return ret;
	return vmdev_rw(vdev, buf, count, ppos, false);
}
EXPORT_SYMBOL_GPL(vmdev_read);

ssize_t vmdev_write(struct vfio_device *core_vdev, const char __user *buf,
		    size_t count, loff_t *ppos)
{
	return vmdev_rw(to_vmdev(core_vdev), (char __user *)buf, count, ppos,
			true);
}
EXPORT_SYMBOL_GPL(vmdev_write);

int vmdev_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	struct vmdev_device *vdev = to_vmdev(core_vdev);
	unsigned int index = vma->vm_pgoff >> (VMDEV_OFFSET_SHIFT - PAGE_SHIFT);
	unsigned long pgoff, len = vma->vm_end - vma->vm_start;

	if (index >= VFIO_PCI_NUM_REGIONS || !bar_mmappable(vdev, index))
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	pgoff = vma->vm_pgoff &
		((1UL << (VMDEV_OFFSET_SHIFT - PAGE_SHIFT)) - 1);
	if (((u64)pgoff << PAGE_SHIFT) + len > vdev->desc->bars[index].size)
		return -EINVAL;
	return remap_vmalloc_range(vma, vdev->st->bar_ram[index], pgoff);
}
EXPORT_SYMBOL_GPL(vmdev_mmap);
