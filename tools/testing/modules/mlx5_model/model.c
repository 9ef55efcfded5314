// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_mlx5_model.ko: a test-only mlx5 firmware model.  It provides one
 * command channel to snapvf_mlx5 (include/snapvf/mlx5.h) and plays the
 * firmware behind it (fw.c).  Any PCI function of the guest (the tests use
 * ivshmem-plain functions, which snapvf_pci binds) can be made one of its
 * "VFs": the model then keeps a VHCA for it and snapvf_mlx5 publishes
 * ``snapvf_mlx5.vfio_pci.<fn-id>`` for it.  The model never touches the
 * function itself.  Test-only, never installed.
 *
 * Module parameters (read at load): chunk_pages (pages per saved chunk,
 * 0: images in one piece and no chunk capability), pre_copy (offer
 * PRE_COPY), state_pages (pages of device state per VHCA), track_ranges
 * (ranges one PAGE_TRACK object takes, 0: no page tracking, no report
 * receivers, so no DMA logging).
 *
 * debugfs, /sys/kernel/debug/snapvf_mlx5_model/:
 *   add_vf       write "DDDD:BB:DD.F [dev_type [migratable]]": model the
 *                function, with a new vhca_id, and publish it
 *   del_vf       write "DDDD:BB:DD.F": withdraw it and forget it
 *   bufs         "<firmware buffers (mkeys)> <PAGE_TRACK objects>
 *                <report receivers>" alive now
 *   <DDDD:BB:DD.F>/
 *     state      the VHCA's device state bytes (read/write; writes mark
 *                the written pages dirty while tracked)
 *     vhca_state running | initiator_suspended | suspended
 *     vhca_id    the VHCA id (read)
 *     tracking   Y while the firmware tracks changes (a SAVE_VHCA_STATE
 *                with set_track started it; one without it, or a
 *                function reset, stopped it), else N
 *     dev_type   device type written into images and checked on load
 *     fail_opcode, fail_status, fail_syndrome, fail_skip: fail the next
 *                command with that opcode (after skipping fail_skip of
 *                them) with that status (default 0x1) and syndrome; the
 *                knob disarms itself
 *     fail_fired injected failures so far
 *     commands   commands executed for this VHCA
 *     state_size bytes of device state (a multiple of 4096, at most
 *                16 MiB); a change needs a running, untracked VHCA with
 *                no image being saved (else EBUSY), keeps the common
 *                prefix and zeroes the rest
 *     delay_opcode, delay_ms: sleep delay_ms before every command with
 *                that opcode (a slow firmware)
 *     surprise_opcode, surprise_skip: the next command with that opcode
 *                (after skipping surprise_skip) and every later one of
 *                the VHCA fail as never executed (-ENODEV), and the
 *                function is withdrawn and forgotten, as when its PF
 *                leaves the bus mid-command
 *     dma_write  write "IOVA LEN": the function writes those bytes by DMA
 *                (its PAGE_TRACK objects mark the pages; -EBUSY while the
 *                VHCA is suspended)
 *     track_error write 1: the function's PAGE_TRACK objects fail (ERROR)
 *                now, 2: during their next report
 *     reported   addresses the last report of the function's objects sent
 *                (a count line, then one hex address per line, at most
 *                MODEL_REPORTED_MAX)
 *     log        test hook, a consumer's calls without vfio: write
 *                "start PAGE_SIZE IOVA LEN [IOVA LEN]..." (hex, at most 16
 *                ranges), "stop" or "report IOVA LEN" to call
 *                svf_aux_fn_log_start/stop/report() on the published
 *                function; the write fails with the op's errno.  Reports
 *                go to no bitmap (the model's "reported" shows what the
 *                driver took), so "report" is refused (-EOPNOTSUPP) on
 *                kernels whose iova_bitmap is real (CONFIG_IOMMUFD_DRIVER):
 *                there the vfio uAPI reports.  log_page_size: the page
 *                size the last start returned.
 *
 * Locking: model.h.  Add and delete run under model_ctl_lock (one at a
 * time), which no command path takes; so does the surprise-removal work,
 * which a command only queues.
 */
#include <linux/interval_tree.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <snapvf/aux.h>

#include "model.h"

static unsigned int chunk_pages = 4;
module_param(chunk_pages, uint, 0444);
MODULE_PARM_DESC(chunk_pages, "pages per saved chunk (0: no chunks)");
static bool pre_copy = true;
module_param(pre_copy, bool, 0444);
MODULE_PARM_DESC(pre_copy, "offer PRE_COPY (incremental saves)");
static unsigned int state_pages = 16;
module_param(state_pages, uint, 0444);
MODULE_PARM_DESC(state_pages, "pages of device state per VHCA (1..4096)");
static unsigned int track_ranges = 4;
module_param(track_ranges, uint, 0444);
MODULE_PARM_DESC(track_ranges, "ranges per PAGE_TRACK object (0: no page tracking, 1..255)");

/* everything of the model: see model.h */
DEFINE_MUTEX(model_lock);
LIST_HEAD(model_vfs);
u32 model_chunk_pages;
u32 model_track_max_ranges;

static DEFINE_MUTEX(model_ctl_lock);
static struct device *model_dev;
static struct dentry *model_dbg;
static u16 model_next_vhca = 0x10;
static u16 model_next_function = 1;
static bool model_exiting;		/* under model_lock */
static void model_surprise_fn(struct work_struct *work);
static DECLARE_WORK(model_surprise_work, model_surprise_fn);

static const struct svf_mlx5_chan_ops model_chan_ops = {
	.exec = model_exec,
	.buf_alloc = model_buf_alloc,
	.buf_free = model_buf_free,
	.fn_reset = model_fn_reset,
	.rep_create = model_rep_create,
	.rep_poll = model_rep_poll,
	.rep_destroy = model_rep_destroy,
};

/* Without page tracking: no report path either. */
static const struct svf_mlx5_chan_ops model_chan_ops_notrack = {
	.exec = model_exec,
	.buf_alloc = model_buf_alloc,
	.buf_free = model_buf_free,
	.fn_reset = model_fn_reset,
};

static struct svf_mlx5_chan model_chan = {
	.ops = &model_chan_ops,
};

static ssize_t model_state_read(struct file *file, char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct model_vf *vf = file->private_data;
	size_t size = (size_t)vf->npages * MODEL_PAGE;
	void *tmp;
	ssize_t ret;

	if (*ppos < 0)
		return -EINVAL;
	if (*ppos >= size)
		return 0;
	len = min_t(size_t, len, size - *ppos);
	tmp = kvmalloc(len, GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	mutex_lock(&model_lock);
	memcpy(tmp, vf->mem + *ppos, len);
	mutex_unlock(&model_lock);
	ret = len - copy_to_user(ubuf, tmp, len);
	kvfree(tmp);
	if (!ret)
		return -EFAULT;
	*ppos += ret;
	return ret;
}

static ssize_t model_state_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct model_vf *vf = file->private_data;
	size_t size = (size_t)vf->npages * MODEL_PAGE;
	void *tmp;
	u32 p;

	if (*ppos < 0 || *ppos >= size)
		return -ENOSPC;
	len = min_t(size_t, len, size - *ppos);
	if (!len)
		return 0;
	tmp = memdup_user(ubuf, len);
	if (IS_ERR(tmp))
		return PTR_ERR(tmp);
	mutex_lock(&model_lock);
	memcpy(vf->mem + *ppos, tmp, len);
	if (vf->tracking)
		for (p = *ppos / MODEL_PAGE; p <= (*ppos + len - 1) / MODEL_PAGE;
		     p++)
			__set_bit(p, vf->dirty);
	mutex_unlock(&model_lock);
	kfree(tmp);
	*ppos += len;
	return len;
}

static const struct file_operations model_state_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = model_state_read,
	.write = model_state_write,
	.llseek = default_llseek,
};

static int model_vhca_state_show(struct seq_file *m, void *unused)
{
	static const char * const names[] = {
		[MODEL_RUNNING] = "running",
		[MODEL_INIT_SUSPENDED] = "initiator_suspended",
		[MODEL_SUSPENDED] = "suspended",
	};
	struct model_vf *vf = m->private;

	mutex_lock(&model_lock);
	seq_printf(m, "%s\n", names[vf->state]);
	mutex_unlock(&model_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(model_vhca_state);

static int model_size_show(struct seq_file *m, void *unused)
{
	struct model_vf *vf = m->private;

	mutex_lock(&model_lock);
	seq_printf(m, "%zu\n", (size_t)vf->npages * MODEL_PAGE);
	mutex_unlock(&model_lock);
	return 0;
}

static int model_size_open(struct inode *inode, struct file *file)
{
	return single_open(file, model_size_show, inode->i_private);
}

/* Resize a VHCA's state: only while nothing of it is being saved. */
static ssize_t model_size_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct model_vf *vf = ((struct seq_file *)file->private_data)->private;
	unsigned long *dirty, *pending, *old_dirty, *old_pending;
	u8 *mem, *old_mem;
	u64 bytes;
	u32 npages;
	int ret;

	ret = kstrtou64_from_user(ubuf, len, 0, &bytes);
	if (ret)
		return ret;
	if (!bytes || bytes % MODEL_PAGE || bytes / MODEL_PAGE > 4096)
		return -EINVAL;
	npages = bytes / MODEL_PAGE;
	mem = kvzalloc(bytes, GFP_KERNEL);
	dirty = bitmap_zalloc(npages, GFP_KERNEL);
	pending = bitmap_zalloc(npages, GFP_KERNEL);
	if (!mem || !dirty || !pending) {
		ret = -ENOMEM;
		goto out;
	}
	mutex_lock(&model_lock);
	if (vf->state != MODEL_RUNNING || vf->tracking || vf->saving) {
		mutex_unlock(&model_lock);
		ret = -EBUSY;
		goto out;
	}
	memcpy(mem, vf->mem, (size_t)min(npages, vf->npages) * MODEL_PAGE);
	old_mem = vf->mem;
	old_dirty = vf->dirty;
	old_pending = vf->pending;
	vf->mem = mem;
	vf->dirty = dirty;
	vf->pending = pending;
	vf->npages = npages;
	mutex_unlock(&model_lock);
	mem = old_mem;
	dirty = old_dirty;
	pending = old_pending;
	ret = len;
out:
	kvfree(mem);
	bitmap_free(dirty);
	bitmap_free(pending);
	return ret;
}

static const struct file_operations model_size_fops = {
	.owner = THIS_MODULE,
	.open = model_size_open,
	.read = seq_read,
	.write = model_size_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static ssize_t model_dma_write_write(struct file *file,
				     const char __user *ubuf, size_t len,
				     loff_t *ppos)
{
	struct model_vf *vf = file->private_data;
	unsigned long long iova, n;
	char buf[64];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%llx %llx", &iova, &n) != 2)
		return -EINVAL;
	ret = model_dma_write(vf, iova, n);
	return ret ? ret : len;
}

static const struct file_operations model_dma_write_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = model_dma_write_write,
};

static ssize_t model_track_error_write(struct file *file,
				       const char __user *ubuf, size_t len,
				       loff_t *ppos)
{
	u32 when;
	int ret;

	ret = kstrtou32_from_user(ubuf, len, 0, &when);
	if (ret)
		return ret;
	if (when != 1 && when != 2)
		return -EINVAL;
	model_track_error(file->private_data, when);
	return len;
}

static const struct file_operations model_track_error_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = model_track_error_write,
};

static int model_reported_show(struct seq_file *m, void *unused)
{
	struct model_vf *vf = m->private;
	u32 i;

	mutex_lock(&model_lock);
	seq_printf(m, "%u\n", vf->nreported);
	for (i = 0; i < min_t(u32, vf->nreported, MODEL_REPORTED_MAX); i++)
		seq_printf(m, "%llx\n", vf->reported[i]);
	mutex_unlock(&model_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(model_reported);

static int model_match_fn(struct device *dev, void *data)
{
	struct svf_aux_fn *fn = svf_aux_fn_from_adev(to_auxiliary_dev(dev));

	return fn && fn->pdev == data;
}

#define MODEL_LOG_RANGES	16

/* "start PS IOVA LEN ...": the ranges as vfio's core hands them over. */
static int model_log_start(struct svf_aux_fn *fn, struct model_vf *vf,
			   char *args)
{
	struct interval_tree_node *nodes;
	struct rb_root_cached root = RB_ROOT_CACHED;
	unsigned long long ps, iova, len;
	u32 n = 0;
	int used, ret;

	if (sscanf(args, "%llx%n", &ps, &used) != 1)
		return -EINVAL;
	args += used;
	nodes = kcalloc(MODEL_LOG_RANGES, sizeof(*nodes), GFP_KERNEL);
	if (!nodes)
		return -ENOMEM;
	while (sscanf(args, "%llx %llx%n", &iova, &len, &used) == 2) {
		args += used;
		/* what vfio checks of a VMM's ranges: no wrap, unsigned long */
		if (n == MODEL_LOG_RANGES || !len || iova + len - 1 < iova ||
		    iova + len - 1 > ULONG_MAX ||
		    interval_tree_iter_first(&root, iova, iova + len - 1)) {
			ret = -EINVAL;
			goto out;
		}
		nodes[n].start = iova;
		nodes[n].last = iova + len - 1;
		interval_tree_insert(&nodes[n], &root);
		n++;
	}
	ret = svf_aux_fn_log_start(fn, &root, n, &ps);
	if (!ret)
		vf->log_page_size = ps;
out:
	kfree(nodes);
	return ret;
}

static ssize_t model_log_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct model_vf *vf = file->private_data;
	unsigned long long iova, n;
	struct svf_aux_fn *fn;
	struct device *dev;
	char *buf;
	int ret;

	if (len > 1024)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	dev = device_find_child(model_dev, vf->pdev, model_match_fn);
	if (!dev) {
		ret = -ENODEV;
		goto out;
	}
	fn = svf_aux_fn_from_adev(to_auxiliary_dev(dev));
	if (!strncmp(buf, "start ", 6)) {
		ret = model_log_start(fn, vf, buf + 6);
	} else if (sysfs_streq(buf, "stop")) {
		ret = svf_aux_fn_log_stop(fn);
	} else if (sscanf(buf, "report %llx %llx", &iova, &n) == 2) {
		/* iova_bitmap_set() does nothing without IOMMUFD_DRIVER */
		ret = IS_ENABLED(CONFIG_IOMMUFD_DRIVER) ? -EOPNOTSUPP :
		      svf_aux_fn_log_report(fn, iova, n, NULL);
	} else {
		ret = -EINVAL;
	}
	put_device(dev);
out:
	kfree(buf);
	return ret ? ret : len;
}

static const struct file_operations model_log_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = model_log_write,
};

static void model_vf_free(struct model_vf *vf)
{
	bitmap_free(vf->dirty);
	bitmap_free(vf->pending);
	kvfree(vf->mem);
	pci_dev_put(vf->pdev);
	kfree(vf);
}

static struct model_vf *model_vf_find(struct pci_dev *pdev)
{
	struct model_vf *vf;

	list_for_each_entry(vf, &model_vfs, node)
		if (vf->pdev == pdev)
			return vf;
	return NULL;
}

static int model_add(struct pci_dev *pdev, u32 dev_type, bool migratable)
{
	struct model_vf *vf;
	struct dentry *d;
	int ret;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;
	vf->pdev = pci_dev_get(pdev);
	vf->npages = state_pages;
	vf->mem = kvzalloc((size_t)vf->npages * MODEL_PAGE, GFP_KERNEL);
	vf->dirty = bitmap_zalloc(vf->npages, GFP_KERNEL);
	vf->pending = bitmap_zalloc(vf->npages, GFP_KERNEL);
	if (!vf->mem || !vf->dirty || !vf->pending) {
		model_vf_free(vf);
		return -ENOMEM;
	}
	vf->dev_type = dev_type;
	vf->migratable = migratable;
	vf->state = MODEL_RUNNING;

	mutex_lock(&model_lock);
	if (model_vf_find(pdev)) {
		mutex_unlock(&model_lock);
		model_vf_free(vf);
		return -EEXIST;
	}
	vf->vhca_id = model_next_vhca++;
	vf->function_id = model_next_function++;
	list_add_tail(&vf->node, &model_vfs);
	mutex_unlock(&model_lock);

	d = debugfs_create_dir(pci_name(pdev), model_dbg);
	vf->dbg = d;
	debugfs_create_file("state", 0600, d, vf, &model_state_fops);
	debugfs_create_file("vhca_state", 0400, d, vf, &model_vhca_state_fops);
	debugfs_create_x16("vhca_id", 0400, d, &vf->vhca_id);
	/* a bool read without model_lock: one byte, a snapshot */
	debugfs_create_bool("tracking", 0400, d, &vf->tracking);
	debugfs_create_u32("dev_type", 0600, d, &vf->dev_type);
	debugfs_create_x32("fail_opcode", 0600, d, &vf->fail_opcode);
	debugfs_create_x32("fail_status", 0600, d, &vf->fail_status);
	debugfs_create_x32("fail_syndrome", 0600, d, &vf->fail_syndrome);
	debugfs_create_u32("fail_skip", 0600, d, &vf->fail_skip);
	debugfs_create_u32("fail_fired", 0400, d, &vf->fail_fired);
	debugfs_create_u32("commands", 0400, d, &vf->commands);
	debugfs_create_file("state_size", 0600, d, vf, &model_size_fops);
	debugfs_create_x32("delay_opcode", 0600, d, &vf->delay_opcode);
	debugfs_create_u32("delay_ms", 0600, d, &vf->delay_ms);
	debugfs_create_x32("surprise_opcode", 0600, d, &vf->surprise_opcode);
	debugfs_create_u32("surprise_skip", 0600, d, &vf->surprise_skip);
	debugfs_create_file("dma_write", 0200, d, vf, &model_dma_write_fops);
	debugfs_create_file("track_error", 0200, d, vf,
			    &model_track_error_fops);
	debugfs_create_file("reported", 0400, d, vf, &model_reported_fops);
	debugfs_create_file("log", 0200, d, vf, &model_log_fops);
	debugfs_create_x64("log_page_size", 0400, d, &vf->log_page_size);

	/* not under model_lock: snapvf_mlx5 runs commands from inside */
	ret = svf_mlx5_vf_add(&model_chan, pdev, vf->function_id);
	vf->published = !ret;
	/* a refused function stays modelled (a test may inspect it) */
	return ret;
}

static void model_del(struct model_vf *vf)
{
	if (vf->published)
		svf_mlx5_vf_remove(&model_chan, vf->pdev);
	debugfs_remove_recursive(vf->dbg);
	mutex_lock(&model_lock);
	list_del(&vf->node);
	mutex_unlock(&model_lock);
	model_vf_free(vf);
}

/* Withdraw and forget every VF whose surprise removal was injected. */
static void model_surprise_fn(struct work_struct *work)
{
	struct model_vf *vf, *it;

	mutex_lock(&model_ctl_lock);
	for (;;) {
		vf = NULL;
		mutex_lock(&model_lock);
		list_for_each_entry(it, &model_vfs, node) {
			if (it->gone) {
				vf = it;
				break;
			}
		}
		mutex_unlock(&model_lock);
		if (!vf)
			break;
		model_del(vf);
	}
	mutex_unlock(&model_ctl_lock);
}

/**
 * model_surprise() - have the VFs marked gone withdrawn (not now: the
 * caller is a command, which their withdrawal waits for)
 *
 * Context: model_lock held.
 */
void model_surprise(void)
{
	lockdep_assert_held(&model_lock);
	if (!model_exiting)
		schedule_work(&model_surprise_work);
}

static struct pci_dev *model_parse_pdev(const char *s, int *consumed)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(s, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, consumed) != 4 ||
	    dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return NULL;
	return pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
}

static ssize_t model_add_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	unsigned int dev_type = 1, migratable = 1;
	struct pci_dev *pdev;
	char buf[64];
	int n = 0, ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	pdev = model_parse_pdev(buf, &n);
	if (!pdev)
		return -ENODEV;
	if (sscanf(buf + n, "%u %u", &dev_type, &migratable) < 0)
		dev_type = 1;
	mutex_lock(&model_ctl_lock);
	ret = model_add(pdev, dev_type, migratable);
	mutex_unlock(&model_ctl_lock);
	pci_dev_put(pdev);
	return ret ? ret : len;
}

static ssize_t model_del_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct pci_dev *pdev;
	struct model_vf *vf;
	char buf[64];
	int n = 0;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	pdev = model_parse_pdev(buf, &n);
	if (!pdev)
		return -ENODEV;
	mutex_lock(&model_ctl_lock);
	mutex_lock(&model_lock);
	vf = model_vf_find(pdev);
	mutex_unlock(&model_lock);
	if (vf)
		model_del(vf);
	mutex_unlock(&model_ctl_lock);
	pci_dev_put(pdev);
	return vf ? len : -ENOENT;
}

static const struct file_operations model_add_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = model_add_write,
};

static const struct file_operations model_del_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = model_del_write,
};

static int model_bufs_show(struct seq_file *m, void *unused)
{
	mutex_lock(&model_lock);
	seq_printf(m, "%u %u %u\n", model_bufs_live, model_page_tracks_live,
		   model_reps_live);
	mutex_unlock(&model_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(model_bufs);

static int __init model_init(void)
{
	if (!state_pages || state_pages > 4096 || track_ranges > 255)
		return -EINVAL;
	model_chunk_pages = chunk_pages;
	model_track_max_ranges = track_ranges;
	if (track_ranges) {
		/* as the ADV_VIRTUALIZATION capabilities would say */
		model_chan.track = (struct svf_mlx5_track_caps) {
			.max_ranges = track_ranges,
			.log_min_page_size = MODEL_TRACK_LOG_MIN_PAGE,
			.log_max_page_size = MODEL_TRACK_LOG_MAX_PAGE,
			.log_min_addr_space = MODEL_TRACK_LOG_MIN_SPACE,
			.log_max_addr_space = MODEL_TRACK_LOG_MAX_SPACE,
			.log_msg_size = 12,
		};
	} else {
		model_chan.ops = &model_chan_ops_notrack;
	}
	model_dev = root_device_register("snapvf_mlx5_model");
	if (IS_ERR(model_dev))
		return PTR_ERR(model_dev);
	model_chan.dev = model_dev;
	if (chunk_pages)
		model_chan.caps |= SVF_MLX5_CAP_CHUNKS;
	if (pre_copy)
		model_chan.caps |= SVF_MLX5_CAP_PRE_COPY;
	svf_mlx5_chan_init(&model_chan);
	model_dbg = debugfs_create_dir("snapvf_mlx5_model", NULL);
	debugfs_create_file("add_vf", 0200, model_dbg, NULL, &model_add_fops);
	debugfs_create_file("del_vf", 0200, model_dbg, NULL, &model_del_fops);
	debugfs_create_file("bufs", 0400, model_dbg, NULL, &model_bufs_fops);
	return 0;
}

static void __exit model_exit(void)
{
	struct model_vf *vf;

	/* no surprise work from here on (and none running) */
	mutex_lock(&model_lock);
	model_exiting = true;
	mutex_unlock(&model_lock);
	cancel_work_sync(&model_surprise_work);
	/* the control files first: no add or delete runs after this */
	debugfs_remove_recursive(model_dbg);
	svf_mlx5_chan_remove_all(&model_chan);
	for (;;) {
		mutex_lock(&model_lock);
		vf = list_first_entry_or_null(&model_vfs, struct model_vf,
					      node);
		if (vf)
			list_del(&vf->node);
		mutex_unlock(&model_lock);
		if (!vf)
			break;
		model_vf_free(vf);
	}
	model_fw_exit();
	root_device_unregister(model_dev);
}

module_init(model_init);
module_exit(model_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("snapvf test-only mlx5 firmware model (command channel provider)");
