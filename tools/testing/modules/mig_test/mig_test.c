// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_mig_test.ko: a minimal vfio_device with a synthetic state, driven
 * through snapvf_mig.ko, for the migration selftests and the benchmark.
 * Test-only, never installed.
 *
 * Each device is a platform device "svf_mig_test.N" registered with an
 * emulated IOMMU (a type1 container works with it).  Its state is a byte
 * array whose contents derive from a seed; sysfs attributes on the
 * platform device change it, compare it and inject faults:
 *
 *   size        state size in bytes (page multiple); writing reallocates
 *   seed        write: regenerate the whole state from a seed
 *   poke        write "OFF LEN VAL": memset part of the state
 *   checksum    CRC32C of the state bytes
 *   state       (binary attribute) all state bytes
 *   level       2 running, 1 quiesced (P2P), 0 stopped
 *   counters    hook call counters, commits, hooks called after withdrawal
 *   fault_*     fault_stop, fault_commit: fail that hook once;
 *               fault_save_at: fail save once N bytes were produced;
 *               fault_stage: refuse record number N (-1 off)
 *   withdraw    write 1: svf_mig_withdraw() (as a parent's remove would)
 *   dirty_mark  write "IOVA LEN": svf_dirty_mark()
 *   dirty_report write "IOVA LEN", then read "iova len" lines
 *   dma_write   write "IOVA LEN": vfio_dma_rw() a pattern, mark dirty
 *
 * Record types: META (size check) and PAGES ([le64 offset][page data]),
 * defined with the compat id and feature bits in mig_test_stream.h, which
 * the selftests share; the framing is <snapvf/mig_stream.h>.
 *
 * Locking: dev->lock protects the state, the buffers, the send/staged
 * bitmaps and the knobs.  Hooks run under the layer's state lock and take
 * dev->lock inside it; sysfs handlers take dev->lock only, and the reset
 * ioctl calls svf_mig_reset() without it.
 */
#include <linux/crc32c.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>
#include <snapvf/compat.h>
#include <snapvf/mig.h>
#include <snapvf/mig_stream.h>
#include "mig_test_stream.h"

#define MT_NAME		"svf_mig_test"
#define MT_CHUNK	(SZ_1M + 64)
#define MT_REGION_SIZE	4096

static unsigned int ndev = 2;
module_param(ndev, uint, 0444);
MODULE_PARM_DESC(ndev, "number of test devices");
static unsigned long state_size = 1 << 20;
module_param(state_size, ulong, 0444);
MODULE_PARM_DESC(state_size, "initial state size in bytes");
static unsigned int caps = SVF_MIG_CAP_P2P | SVF_MIG_CAP_PRE_COPY |
			   SVF_MIG_CAP_DIRTY_LOG;
module_param(caps, uint, 0444);
MODULE_PARM_DESC(caps, "SVF_MIG_CAP_* flags (1 P2P, 2 PRE_COPY, 4 DIRTY_LOG)");
static ulong compat_id = MT_COMPAT_ID;
module_param(compat_id, ulong, 0444);
MODULE_PARM_DESC(compat_id, "stream compatibility id");

struct mt_dev {
	struct vfio_device vdev;
	struct svf_mig mig;
	struct svf_region_set regions;
	struct svf_region region;
	u8 region_mem[MT_REGION_SIZE];
	struct platform_device *pdev;
	struct mutex lock;	/* everything below */
	u8 *state;
	u8 *stage;
	size_t size;
	unsigned long npages;
	unsigned long *tosend;	/* pages still to send this session */
	unsigned long *staged;	/* pages staged by the resume session */
	unsigned long cursor;
	unsigned long tosend_count;
	bool pass1_done;
	bool saving;
	bool meta_sent;
	bool meta_ok;
	u64 produced;
	int level;
	/* knobs and counters */
	long fault_save_at;
	long fault_stage;
	int fault_stop;
	int fault_commit;
	u32 stage_seq;
	bool withdrawn;
	unsigned long n_quiesce, n_unquiesce, n_stop, n_start, n_save;
	unsigned long n_stage, n_commit, n_abort, n_reset, n_after_withdraw;
	char report[PAGE_SIZE];
};

static struct mt_dev *mig_to_mt(struct svf_mig *mig)
{
	return container_of(mig, struct mt_dev, mig);
}

static void mt_hook(struct mt_dev *d, unsigned long *counter)
{
	(*counter)++;
	if (d->withdrawn)
		d->n_after_withdraw++;
}

static void mt_fill(u8 *buf, size_t size, u32 seed)
{
	u32 x = seed * 2654435761U + 1;
	size_t i;

	for (i = 0; i < size; i += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memcpy(buf + i, &x, min_t(size_t, 4, size - i));
	}
}

/* Mark pages dirty for a running save session; dev->lock held. */
static void mt_touch(struct mt_dev *d, size_t off, size_t len)
{
	unsigned long p;

	if (!d->saving || !len)
		return;
	for (p = off >> PAGE_SHIFT; p <= (off + len - 1) >> PAGE_SHIFT; p++)
		if (!__test_and_set_bit(p, d->tosend))
			d->tosend_count++;
}

static void mt_free_state(struct mt_dev *d)
{
	vfree(d->state);
	vfree(d->stage);
	bitmap_free(d->tosend);
	bitmap_free(d->staged);
	d->state = NULL;
	d->stage = NULL;
	d->tosend = NULL;
	d->staged = NULL;
}

/* dev->lock held, no session active. */
static int mt_alloc_state(struct mt_dev *d, size_t size)
{
	mt_free_state(d);
	d->size = size;
	d->npages = size >> PAGE_SHIFT;
	d->state = vmalloc(size);
	d->stage = vmalloc(size);
	d->tosend = bitmap_zalloc(d->npages, GFP_KERNEL);
	d->staged = bitmap_zalloc(d->npages, GFP_KERNEL);
	if (!d->state || !d->stage || !d->tosend || !d->staged) {
		mt_free_state(d);
		d->size = 0;
		d->npages = 0;
		return -ENOMEM;
	}
	mt_fill(d->state, size, 0);
	memset(d->stage, 0, size);
	return 0;
}

/* ---- migration hooks ---- */

static int mt_quiesce(struct svf_mig *mig)
{
	struct mt_dev *d = mig_to_mt(mig);

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_quiesce);
	d->level = 1;
	mutex_unlock(&d->lock);
	return 0;
}

static int mt_unquiesce(struct svf_mig *mig)
{
	struct mt_dev *d = mig_to_mt(mig);

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_unquiesce);
	d->level = 2;
	mutex_unlock(&d->lock);
	return 0;
}

static int mt_stop(struct svf_mig *mig)
{
	struct mt_dev *d = mig_to_mt(mig);
	int ret = 0;

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_stop);
	if (d->fault_stop) {
		d->fault_stop = 0;
		ret = -EIO;
	} else {
		d->level = 0;
	}
	mutex_unlock(&d->lock);
	return ret;
}

static int mt_start(struct svf_mig *mig)
{
	struct mt_dev *d = mig_to_mt(mig);

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_start);
	d->level = 1;
	mutex_unlock(&d->lock);
	return 0;
}

static int mt_save_begin(struct svf_mig *mig, bool precopy)
{
	struct mt_dev *d = mig_to_mt(mig);

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_save);
	bitmap_fill(d->tosend, d->npages);
	d->tosend_count = d->npages;
	d->cursor = 0;
	d->pass1_done = false;
	d->meta_sent = false;
	d->produced = 0;
	d->saving = true;
	mutex_unlock(&d->lock);
	return 0;
}

/* Next run of pages to send, at most @max pages; dev->lock held. */
static unsigned long mt_next_run(struct mt_dev *d, unsigned long max,
				 unsigned long *first)
{
	unsigned long p, n = 0;

	p = find_next_bit(d->tosend, d->npages, d->cursor);
	if (p >= d->npages) {
		d->pass1_done = true;
		p = find_first_bit(d->tosend, d->npages);
		if (p >= d->npages)
			return 0;
	}
	while (n < max && p + n < d->npages && test_bit(p + n, d->tosend)) {
		__clear_bit(p + n, d->tosend);
		n++;
	}
	d->tosend_count -= n;
	d->cursor = p + n;
	*first = p;
	return n;
}

static int mt_save_locked(struct mt_dev *d, struct svf_mig_chunk *c)
{
	unsigned long first, n;
	__le64 off;

	if (d->fault_save_at >= 0 && d->produced >= d->fault_save_at) {
		d->fault_save_at = -1;
		return -EIO;
	}
	if (!d->meta_sent) {
		struct mt_meta meta = { .size = cpu_to_le64(d->size) };

		memcpy(c->buf, &meta, sizeof(meta));
		c->len = sizeof(meta);
		c->type = MT_REC_META;
		d->meta_sent = true;
		return 0;
	}
	n = mt_next_run(d, (c->size - sizeof(off)) >> PAGE_SHIFT, &first);
	if (!n)
		return 0;
	off = cpu_to_le64((u64)first << PAGE_SHIFT);
	memcpy(c->buf, &off, sizeof(off));
	memcpy(c->buf + sizeof(off), d->state + (first << PAGE_SHIFT),
	       n << PAGE_SHIFT);
	c->len = sizeof(off) + (n << PAGE_SHIFT);
	c->type = MT_REC_PAGES;
	d->produced += c->len;
	return 0;
}

static int mt_save(struct svf_mig *mig, bool final, struct svf_mig_chunk *c)
{
	struct mt_dev *d = mig_to_mt(mig);
	int ret;

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_save);
	ret = mt_save_locked(d, c);
	mutex_unlock(&d->lock);
	return ret;
}

static void mt_save_end(struct svf_mig *mig)
{
	struct mt_dev *d = mig_to_mt(mig);

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_save);
	d->saving = false;
	mutex_unlock(&d->lock);
}

static int mt_pending(struct svf_mig *mig, struct svf_mig_pending *p)
{
	struct mt_dev *d = mig_to_mt(mig);
	u64 initial;

	mutex_lock(&d->lock);
	if (!d->saving) {
		p->stop_copy = d->size + sizeof(struct mt_meta);
		goto out;
	}
	initial = d->pass1_done ? 0 : d->npages - d->cursor;
	p->initial = initial << PAGE_SHIFT;
	p->dirty = (d->tosend_count - initial) << PAGE_SHIFT;
	p->stop_copy = (u64)d->tosend_count << PAGE_SHIFT;
	if (!d->meta_sent)
		p->initial += sizeof(struct mt_meta);
out:
	mutex_unlock(&d->lock);
	return 0;
}

static int mt_load_begin(struct svf_mig *mig)
{
	struct mt_dev *d = mig_to_mt(mig);

	mutex_lock(&d->lock);
	bitmap_zero(d->staged, d->npages);
	d->meta_ok = false;
	d->stage_seq = 0;
	mutex_unlock(&d->lock);
	return 0;
}

static int mt_stage_locked(struct mt_dev *d, u16 type, const void *data,
			   size_t len)
{
	u64 off;

	if (d->fault_stage >= 0 && d->stage_seq++ == d->fault_stage) {
		d->fault_stage = -1;
		return -EINVAL;
	}
	if (type == MT_REC_META) {
		const struct mt_meta *m = data;

		if (len != sizeof(*m) || le64_to_cpu(m->size) != d->size)
			return -EINVAL;
		d->meta_ok = true;
		return 0;
	}
	if (type != MT_REC_PAGES || !d->meta_ok || len < sizeof(__le64) ||
	    (len - sizeof(__le64)) % PAGE_SIZE)
		return -EINVAL;
	off = get_unaligned_le64(data);
	len -= sizeof(__le64);
	if (off % PAGE_SIZE || off > d->size || len > d->size - off)
		return -EINVAL;
	memcpy(d->stage + off, data + sizeof(__le64), len);
	bitmap_set(d->staged, off >> PAGE_SHIFT, len >> PAGE_SHIFT);
	return 0;
}

static int mt_load_stage(struct svf_mig *mig, u16 type, const void *data,
			 size_t len)
{
	struct mt_dev *d = mig_to_mt(mig);
	int ret;

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_stage);
	ret = mt_stage_locked(d, type, data, len);
	mutex_unlock(&d->lock);
	return ret;
}

static int mt_load_commit(struct svf_mig *mig)
{
	struct mt_dev *d = mig_to_mt(mig);
	unsigned long p;
	int ret = 0;

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_commit);
	if (d->fault_commit) {
		d->fault_commit = 0;
		ret = -EIO;
	} else if (!d->meta_ok) {
		ret = -EINVAL;
	} else if (bitmap_full(d->staged, d->npages)) {
		swap(d->state, d->stage);
	} else {
		for_each_set_bit(p, d->staged, d->npages)
			memcpy(d->state + (p << PAGE_SHIFT),
			       d->stage + (p << PAGE_SHIFT), PAGE_SIZE);
	}
	bitmap_zero(d->staged, d->npages);
	mutex_unlock(&d->lock);
	return ret;
}

static void mt_load_abort(struct svf_mig *mig)
{
	struct mt_dev *d = mig_to_mt(mig);

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_abort);
	bitmap_zero(d->staged, d->npages);
	mutex_unlock(&d->lock);
}

static void mt_reset(struct svf_mig *mig)
{
	struct mt_dev *d = mig_to_mt(mig);

	mutex_lock(&d->lock);
	mt_hook(d, &d->n_reset);
	d->saving = false;
	d->level = 2;
	bitmap_zero(d->staged, d->npages);
	mutex_unlock(&d->lock);
}

static const struct svf_mig_ops mt_mig_ops = {
	.quiesce = mt_quiesce,
	.unquiesce = mt_unquiesce,
	.stop = mt_stop,
	.start = mt_start,
	.save_begin = mt_save_begin,
	.save = mt_save,
	.save_end = mt_save_end,
	.pending = mt_pending,
	.load_begin = mt_load_begin,
	.load_stage = mt_load_stage,
	.load_commit = mt_load_commit,
	.load_abort = mt_load_abort,
	.reset = mt_reset,
};

/* ---- a small device-specific region (exercises the region API) ---- */

static ssize_t mt_region_rw(struct svf_region *r, char __user *buf,
			    size_t count, u64 off, bool iswrite)
{
	struct mt_dev *d = r->priv;
	unsigned long left;

	mutex_lock(&d->lock);
	if (iswrite)
		left = copy_from_user(d->region_mem + off, buf, count);
	else
		left = copy_to_user(buf, d->region_mem + off, count);
	mutex_unlock(&d->lock);
	return left ? -EFAULT : count;
}

static int mt_region_caps(struct svf_region *r, struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	size_t size = struct_size(sparse, areas, 1);
	int ret;

	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = 1;
	sparse->areas[0].offset = 0;
	sparse->areas[0].size = MT_REGION_SIZE / 2;
	ret = vfio_info_add_capability(caps, &sparse->header, size);
	kfree(sparse);
	return ret;
}

static const struct svf_region_ops mt_region_ops = {
	.rw = mt_region_rw,
	.add_caps = mt_region_caps,
};

/* ---- vfio_device ---- */

static int mt_vinit(struct vfio_device *vdev)
{
	struct mt_dev *d = container_of(vdev, struct mt_dev, vdev);
	struct svf_mig_config cfg = {
		.ops = &mt_mig_ops,
		.caps = caps,
		.compat_id = compat_id,
		.stream_features = MT_STREAM_FEATURES,
		.chunk_size = MT_CHUNK,
		.dirty_max_ranges = 64,
		.priv = d,
	};
	int ret;

	mutex_init(&d->lock);
	d->fault_save_at = -1;
	d->fault_stage = -1;
	d->level = 2;
	ret = mt_alloc_state(d, state_size);
	if (ret)
		goto err_lock;
	svf_region_set_init(&d->regions, vdev, VFIO_PCI_NUM_REGIONS);
	d->region.type = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1af4;
	d->region.subtype = 1;
	d->region.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	d->region.size = MT_REGION_SIZE;
	d->region.ops = &mt_region_ops;
	d->region.priv = d;
	ret = svf_region_add(&d->regions, &d->region);
	if (ret < 0)
		goto err_state;
	ret = svf_mig_init(&d->mig, vdev, &cfg);
	if (ret)
		goto err_state;
	return 0;

err_state:
	mt_free_state(d);
err_lock:
	mutex_destroy(&d->lock);
	return ret;
}

static void mt_release(struct vfio_device *vdev)
{
	struct mt_dev *d = container_of(vdev, struct mt_dev, vdev);

	svf_mig_uninit(&d->mig);
	svf_region_set_destroy(&d->regions);
	mt_free_state(d);
	mutex_destroy(&d->lock);
}

static void mt_close(struct vfio_device *vdev)
{
	struct mt_dev *d = container_of(vdev, struct mt_dev, vdev);

	svf_mig_close(&d->mig);
}

static long mt_get_info(struct mt_dev *d, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PLATFORM | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS + svf_region_count(&d->regions);
	info.num_irqs = 0;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long mt_ioctl(struct vfio_device *vdev, unsigned int cmd,
		     unsigned long arg)
{
	struct mt_dev *d = container_of(vdev, struct mt_dev, vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return mt_get_info(d, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return svf_region_get_info(&d->regions, uarg);
	case VFIO_DEVICE_RESET:
		mutex_lock(&d->lock);
		d->level = 2;
		mutex_unlock(&d->lock);
		svf_mig_reset(&d->mig);
		return 0;
	default:
		return -ENOTTY;
	}
}

static ssize_t mt_read(struct vfio_device *vdev, char __user *buf,
		       size_t count, loff_t *ppos)
{
	struct mt_dev *d = container_of(vdev, struct mt_dev, vdev);

	return svf_region_rw(&d->regions, buf, count, ppos, false);
}

static ssize_t mt_write(struct vfio_device *vdev, const char __user *buf,
			size_t count, loff_t *ppos)
{
	struct mt_dev *d = container_of(vdev, struct mt_dev, vdev);

	return svf_region_rw(&d->regions, (char __user *)buf, count, ppos, true);
}

static void mt_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
}

static const struct vfio_device_ops mt_vfio_ops = {
	.name = MT_NAME,
	.init = mt_vinit,
	.release = mt_release,
	.close_device = mt_close,
	.ioctl = mt_ioctl,
	.read = mt_read,
	.write = mt_write,
	.dma_unmap = mt_dma_unmap,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

/* ---- sysfs knobs ---- */

static struct mt_dev *dev_to_mt(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t size_show(struct device *dev, struct device_attribute *a,
			 char *buf)
{
	struct mt_dev *d = dev_to_mt(dev);

	return sysfs_emit(buf, "%zu\n", d->size);
}

static ssize_t size_store(struct device *dev, struct device_attribute *a,
			  const char *buf, size_t count)
{
	struct mt_dev *d = dev_to_mt(dev);
	unsigned long size;
	int ret;

	ret = kstrtoul(buf, 0, &size);
	if (ret)
		return ret;
	if (!size || size % PAGE_SIZE || size > SZ_1G)
		return -EINVAL;
	if (svf_mig_get_state(&d->mig) != VFIO_DEVICE_STATE_RUNNING)
		return -EBUSY;
	mutex_lock(&d->lock);
	ret = d->saving ? -EBUSY : mt_alloc_state(d, size);
	mutex_unlock(&d->lock);
	return ret ?: count;
}
static DEVICE_ATTR_RW(size);

static ssize_t seed_store(struct device *dev, struct device_attribute *a,
			  const char *buf, size_t count)
{
	struct mt_dev *d = dev_to_mt(dev);
	u32 seed;
	int ret;

	ret = kstrtou32(buf, 0, &seed);
	if (ret)
		return ret;
	mutex_lock(&d->lock);
	mt_fill(d->state, d->size, seed);
	mt_touch(d, 0, d->size);
	mutex_unlock(&d->lock);
	return count;
}
static DEVICE_ATTR_WO(seed);

static ssize_t poke_store(struct device *dev, struct device_attribute *a,
			  const char *buf, size_t count)
{
	struct mt_dev *d = dev_to_mt(dev);
	unsigned long off, len;
	unsigned int val;
	int ret = 0;

	if (sscanf(buf, "%lu %lu %u", &off, &len, &val) != 3)
		return -EINVAL;
	mutex_lock(&d->lock);
	if (off > d->size || len > d->size - off) {
		ret = -EINVAL;
	} else {
		memset(d->state + off, val, len);
		mt_touch(d, off, len);
	}
	mutex_unlock(&d->lock);
	return ret ?: count;
}
static DEVICE_ATTR_WO(poke);

static ssize_t checksum_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	struct mt_dev *d = dev_to_mt(dev);
	u32 crc;

	mutex_lock(&d->lock);
	crc = crc32c(0, d->state, d->size);
	mutex_unlock(&d->lock);
	return sysfs_emit(buf, "%08x\n", crc);
}
static DEVICE_ATTR_RO(checksum);

static ssize_t level_show(struct device *dev, struct device_attribute *a,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", dev_to_mt(dev)->level);
}
static DEVICE_ATTR_RO(level);

static ssize_t counters_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	struct mt_dev *d = dev_to_mt(dev);

	return sysfs_emit(buf,
			  "quiesce %lu\nunquiesce %lu\nstop %lu\nstart %lu\nsave %lu\nstage %lu\ncommit %lu\nabort %lu\nreset %lu\nafter_withdraw %lu\n",
			  d->n_quiesce, d->n_unquiesce, d->n_stop, d->n_start,
			  d->n_save, d->n_stage, d->n_commit, d->n_abort,
			  d->n_reset, d->n_after_withdraw);
}
static DEVICE_ATTR_RO(counters);

#define MT_KNOB(name, type, parse)					\
static ssize_t name##_store(struct device *dev, struct device_attribute *a, \
			    const char *buf, size_t count)		\
{									\
	struct mt_dev *d = dev_to_mt(dev);				\
	type v;								\
	int ret = parse(buf, 0, &v);					\
									\
	if (ret)							\
		return ret;						\
	mutex_lock(&d->lock);						\
	d->name = v;							\
	mutex_unlock(&d->lock);						\
	return count;							\
}									\
static DEVICE_ATTR_WO(name)

MT_KNOB(fault_save_at, long, kstrtol);
MT_KNOB(fault_stage, long, kstrtol);
MT_KNOB(fault_stop, int, kstrtoint);
MT_KNOB(fault_commit, int, kstrtoint);

static ssize_t withdraw_store(struct device *dev, struct device_attribute *a,
			      const char *buf, size_t count)
{
	struct mt_dev *d = dev_to_mt(dev);

	svf_mig_withdraw(&d->mig);
	mutex_lock(&d->lock);
	d->withdrawn = true;
	mutex_unlock(&d->lock);
	return count;
}
static DEVICE_ATTR_WO(withdraw);

static ssize_t dirty_mark_store(struct device *dev, struct device_attribute *a,
				const char *buf, size_t count)
{
	u64 iova, len;

	if (sscanf(buf, "%llx %llx", &iova, &len) != 2)
		return -EINVAL;
	svf_dirty_mark(&dev_to_mt(dev)->mig, iova, len);
	return count;
}
static DEVICE_ATTR_WO(dirty_mark);

static void mt_report_fn(void *opaque, u64 iova, u64 len)
{
	struct mt_dev *d = opaque;
	size_t used = strlen(d->report);

	if (used < sizeof(d->report) - 40)
		scnprintf(d->report + used, sizeof(d->report) - used,
			  "%llx %llx\n", iova, len);
}

static ssize_t dirty_report_store(struct device *dev,
				  struct device_attribute *a,
				  const char *buf, size_t count)
{
	struct mt_dev *d = dev_to_mt(dev);
	u64 iova, len;
	int ret;

	if (sscanf(buf, "%llx %llx", &iova, &len) != 2)
		return -EINVAL;
	mutex_lock(&d->lock);
	d->report[0] = 0;
	ret = svf_dirty_read_and_clear(&d->mig, iova, len, mt_report_fn, d);
	mutex_unlock(&d->lock);
	return ret ?: count;
}

static ssize_t dirty_report_show(struct device *dev,
				 struct device_attribute *a, char *buf)
{
	struct mt_dev *d = dev_to_mt(dev);
	ssize_t ret;

	mutex_lock(&d->lock);
	ret = sysfs_emit(buf, "%s", d->report);
	mutex_unlock(&d->lock);
	return ret;
}
static DEVICE_ATTR_RW(dirty_report);

static ssize_t dma_write_store(struct device *dev, struct device_attribute *a,
			       const char *buf, size_t count)
{
	struct mt_dev *d = dev_to_mt(dev);
	u64 iova, len;
	void *data;
	int ret;

	if (sscanf(buf, "%llx %llx", &iova, &len) != 2 || !len || len > SZ_1M)
		return -EINVAL;
	data = kvmalloc(len, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	memset(data, 0xa5, len);
	ret = vfio_dma_rw(&d->vdev, iova, data, len, true);
	if (!ret)
		svf_dirty_mark(&d->mig, iova, len);
	kvfree(data);
	return ret ?: count;
}
static DEVICE_ATTR_WO(dma_write);

static ssize_t state_read(struct file *filp, struct kobject *kobj,
			  struct bin_attribute *attr, char *buf, loff_t off,
			  size_t count)
{
	struct mt_dev *d = dev_to_mt(kobj_to_dev(kobj));

	mutex_lock(&d->lock);
	if (off >= d->size)
		count = 0;
	else
		count = min_t(size_t, count, d->size - off);
	memcpy(buf, d->state + off, count);
	mutex_unlock(&d->lock);
	return count;
}
static BIN_ATTR_RO(state, 0);

static struct attribute *mt_attrs[] = {
	&dev_attr_size.attr,
	&dev_attr_seed.attr,
	&dev_attr_poke.attr,
	&dev_attr_checksum.attr,
	&dev_attr_level.attr,
	&dev_attr_counters.attr,
	&dev_attr_fault_save_at.attr,
	&dev_attr_fault_stage.attr,
	&dev_attr_fault_stop.attr,
	&dev_attr_fault_commit.attr,
	&dev_attr_withdraw.attr,
	&dev_attr_dirty_mark.attr,
	&dev_attr_dirty_report.attr,
	&dev_attr_dma_write.attr,
	NULL,
};

static struct bin_attribute *mt_bin_attrs[] = {
	&bin_attr_state,
	NULL,
};

static const struct attribute_group mt_group = {
	.attrs = mt_attrs,
	.bin_attrs = mt_bin_attrs,
};

/* ---- module ---- */

/*
 * The vfio core pins the module of the device's driver on open, so the
 * platform devices are bound to a platform driver whose probe creates the
 * vfio_device.
 */
static int mt_probe(struct platform_device *pdev)
{
	struct mt_dev *d;
	int ret;

	d = vfio_alloc_device(mt_dev, vdev, &pdev->dev, &mt_vfio_ops);
	if (IS_ERR(d))
		return PTR_ERR(d);
	d->pdev = pdev;
	dev_set_drvdata(&pdev->dev, d);
	ret = vfio_register_emulated_iommu_dev(&d->vdev);
	if (ret)
		goto err_put;
	ret = sysfs_create_group(&pdev->dev.kobj, &mt_group);
	if (ret)
		goto err_unreg;
	return 0;

err_unreg:
	vfio_unregister_group_dev(&d->vdev);
err_put:
	vfio_put_device(&d->vdev);
	return ret;
}

static void mt_remove(struct platform_device *pdev)
{
	struct mt_dev *d = dev_get_drvdata(&pdev->dev);

	sysfs_remove_group(&pdev->dev.kobj, &mt_group);
	vfio_unregister_group_dev(&d->vdev);
	vfio_put_device(&d->vdev);
}

static struct platform_driver mt_driver = {
	.probe = mt_probe,
	.remove = mt_remove,
	.driver = {
		.name = MT_NAME,
	},
};

static struct platform_device **mt_pdevs;

static void mt_destroy_all(unsigned int n)
{
	while (n--)
		platform_device_unregister(mt_pdevs[n]);
	kfree(mt_pdevs);
	platform_driver_unregister(&mt_driver);
}

static int __init mt_module_init(void)
{
	unsigned int i;
	int ret;

	if (!ndev || ndev > 16 || !state_size || state_size % PAGE_SIZE)
		return -EINVAL;
	ret = platform_driver_register(&mt_driver);
	if (ret)
		return ret;
	mt_pdevs = kcalloc(ndev, sizeof(*mt_pdevs), GFP_KERNEL);
	if (!mt_pdevs) {
		platform_driver_unregister(&mt_driver);
		return -ENOMEM;
	}
	for (i = 0; i < ndev; i++) {
		mt_pdevs[i] = platform_device_register_simple(MT_NAME, i, NULL, 0);
		if (IS_ERR(mt_pdevs[i])) {
			ret = PTR_ERR(mt_pdevs[i]);
			mt_destroy_all(i);
			return ret;
		}
		if (!dev_get_drvdata(&mt_pdevs[i]->dev)) {
			mt_destroy_all(i + 1);
			return -ENODEV;
		}
	}
	return 0;
}

static void __exit mt_module_exit(void)
{
	mt_destroy_all(ndev);
}

module_init(mt_module_init);
module_exit(mt_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("snapvf migration layer test device (test only)");
