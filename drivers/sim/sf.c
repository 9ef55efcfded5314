// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated scalable functions and the volumes behind them.
 *
 * A volume is a vmalloc'ed RAM disk.  An SF presents one volume, chosen
 * when the SF is added: a listed volume (new_volume, may be attached to
 * several SFs, so an instance on another SF reaches the same data, as a
 * migration destination does) or a private one made for the SF.  The SF
 * is published as <snapvf_sim>.sf.<id>; its capacity, block size and
 * serial are the volume's.  Knobs: /sys/kernel/debug/snapvf_sim/<aux
 * device name>/ (Documentation/simulator.rst).
 *
 * Reads and writes copy to and from the volume under the SF's vol_sem
 * (read side); sf->lock is only taken around the fault check and the
 * counters, not the copy: concurrent I/O to one block has no defined
 * order on a disk either.  Detaching (the "detach" knob) takes
 * the write side, so it waits for the copies in progress, and every data
 * op after it fails with -EIO.  Lifetime and removal of SFs follow the
 * rules of managed functions (sim.h); a volume is freed only without
 * users (sim.h, struct sim_vol).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "sim.h"

#define SIM_SF_MAX_CAPACITY	SZ_1G
#define SIM_SF_MAX_QUEUES	64
#define SIM_SF_MAX_QSIZE	32768
#define SIM_SF_MAX_INSTANCES	4096
#define SIM_VOL_BLOCK		512

/* ---- volumes ---- */

/*
 * Serials name the storage: two SFs give the same serial only when they
 * present the same volume, which is what a migration destination checks.
 * A random 64-bit number keeps a re-created volume, or volume N of
 * another manager, from passing for this one.
 */
static struct sim_vol *sim_vol_alloc(struct device *dev, u32 id, u64 capacity)
{
	struct sim_vol *vol;

	if (!capacity || capacity % SIM_PAGE_SIZE ||
	    capacity > SIM_SF_MAX_CAPACITY) {
		dev_err(dev, "snapvf_sim: volume size must be a multiple of %u up to %u bytes\n",
			SIM_PAGE_SIZE, SIM_SF_MAX_CAPACITY);
		return ERR_PTR(-EINVAL);
	}
	vol = kzalloc(sizeof(*vol), GFP_KERNEL);
	if (!vol)
		return ERR_PTR(-ENOMEM);
	vol->store = __vmalloc(capacity, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!vol->store) {
		dev_err(dev, "snapvf_sim: no memory for a %llu byte volume\n",
			capacity);
		kfree(vol);
		return ERR_PTR(-ENOMEM);
	}
	INIT_LIST_HEAD(&vol->node);
	vol->id = id;
	vol->capacity = capacity;
	snprintf(vol->serial, sizeof(vol->serial), "sim-%016llx",
		 get_random_u64());
	return vol;
}

static void sim_vol_free(struct sim_vol *vol)
{
	vfree(vol->store);
	kfree(vol);
}

/**
 * sim_vol_find() - the listed volume @id
 * @mgr: the manager; its lock held
 * @id: volume number
 *
 * Return: the volume or NULL.
 */
struct sim_vol *sim_vol_find(struct sim_mgr *mgr, u32 id)
{
	struct sim_vol *vol;

	lockdep_assert_held(&mgr->lock);
	list_for_each_entry(vol, &mgr->vols, node)
		if (vol->id == id)
			return vol;
	return NULL;
}

/**
 * sim_vol_add() - create listed volume @id
 * @mgr: the manager
 * @id: volume number (unique per manager, not SIM_VOL_PRIVATE)
 * @capacity: bytes
 *
 * Return: 0 or a negative errno (logged).
 */
int sim_vol_add(struct sim_mgr *mgr, u32 id, u64 capacity)
{
	struct device *dev = &mgr->pdev->dev;
	struct sim_vol *vol;
	bool exists;
	int ret = 0;

	if (id == SIM_VOL_PRIVATE) {
		dev_err(dev, "snapvf_sim: volume id %u is reserved\n", id);
		return -EINVAL;
	}
	/* checked again under the lock; this spares a big allocation */
	mutex_lock(&mgr->lock);
	exists = sim_vol_find(mgr, id);
	mutex_unlock(&mgr->lock);
	if (exists) {
		dev_err(dev, "snapvf_sim: volume %u exists\n", id);
		return -EEXIST;
	}
	vol = sim_vol_alloc(dev, id, capacity);
	if (IS_ERR(vol))
		return PTR_ERR(vol);
	mutex_lock(&mgr->lock);
	if (mgr->dying)
		ret = -ENODEV;
	else if (sim_vol_find(mgr, id))
		ret = -EEXIST;
	else
		list_add_tail(&vol->node, &mgr->vols);
	mutex_unlock(&mgr->lock);
	if (ret) {
		if (ret == -EEXIST)
			dev_err(dev, "snapvf_sim: volume %u exists\n", id);
		sim_vol_free(vol);
		return ret;
	}
	dev_info(dev, "snapvf_sim: volume %u, %llu bytes\n", id, capacity);
	return 0;
}

/**
 * sim_vol_del() - delete listed volume @id
 * @mgr: the manager
 * @id: volume number
 *
 * Return: 0, -ENOENT, or -EBUSY while an SF presents it (logged).
 */
int sim_vol_del(struct sim_mgr *mgr, u32 id)
{
	struct device *dev = &mgr->pdev->dev;
	struct sim_vol *vol;
	unsigned int users = 0;

	mutex_lock(&mgr->lock);
	vol = sim_vol_find(mgr, id);
	if (vol) {
		users = vol->users;
		if (!users)
			list_del_init(&vol->node);
	}
	mutex_unlock(&mgr->lock);
	if (!vol) {
		dev_err(dev, "snapvf_sim: no volume %u\n", id);
		return -ENOENT;
	}
	if (users) {
		dev_err(dev, "snapvf_sim: volume %u is attached to %u SF(s)\n",
			id, users);
		return -EBUSY;
	}
	sim_vol_free(vol);
	return 0;
}

/**
 * sim_vol_del_all() - free the listed volumes of a dying manager
 * @mgr: the manager, its SFs already gone
 */
void sim_vol_del_all(struct sim_mgr *mgr)
{
	struct sim_vol *vol, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&mgr->lock);
	list_splice_init(&mgr->vols, &gone);
	mutex_unlock(&mgr->lock);
	list_for_each_entry_safe(vol, tmp, &gone, node) {
		/* users left would be a bug: leak rather than free under them */
		if (!WARN_ON(vol->users))
			sim_vol_free(vol);
	}
}

/* Drops @sf's volume, freeing it if private; false if it had none. */
static bool sim_sf_detach(struct sim_sf *sf)
{
	struct sim_mgr *mgr = sf->mgr;
	struct sim_vol *vol;
	bool free_it = false;

	down_write(&sf->vol_sem);
	vol = sf->vol;
	sf->vol = NULL;
	up_write(&sf->vol_sem);
	if (!vol)
		return false;
	mutex_lock(&mgr->lock);
	vol->users--;
	free_it = !vol->users && vol->id == SIM_VOL_PRIVATE;
	mutex_unlock(&mgr->lock);
	if (free_it)
		sim_vol_free(vol);
	return true;
}

/* ---- the SF's parent ops ---- */

static struct sim_sf *sim_sf_of(struct svf_aux_sf *asf)
{
	return asf->priv;
}

/*
 * Injected I/O fault: one-shot -EIO for an access covering fail_io_at.
 * Otherwise counts the access in @count.
 */
static int sim_sf_fault(struct sim_sf *sf, u64 offset, size_t len, u64 *count)
{
	int ret = 0;

	mutex_lock(&sf->lock);
	if (sf->fail_io_at >= 0 && sf->fail_io_at >= offset &&
	    sf->fail_io_at < offset + len) {
		dev_err(&sf->asf->core.adev.dev,
			"snapvf_sim: injected I/O error at byte %lld\n",
			sf->fail_io_at);
		sf->fail_io_at = -1;
		ret = -EIO;
	} else {
		(*count)++;
	}
	mutex_unlock(&sf->lock);
	return ret;
}

/* With vol_sem held for read: the volume, or NULL (logged once per SF). */
static struct sim_vol *sim_sf_vol(struct sim_sf *sf)
{
	if (!sf->vol && !xchg(&sf->vol_gone_logged, true))
		dev_err(&sf->asf->core.adev.dev,
			"snapvf_sim: SF %u has no volume attached: I/O errors from now on\n",
			sf->id);
	return sf->vol;
}

static int sim_sf_read(struct svf_aux_sf *asf, u64 offset, void *buf,
		       size_t len)
{
	struct sim_sf *sf = sim_sf_of(asf);
	struct sim_vol *vol;
	int ret;

	down_read(&sf->vol_sem);
	vol = sim_sf_vol(sf);
	ret = vol ? sim_sf_fault(sf, offset, len, &sf->reads) : -EIO;
	if (!ret)
		memcpy(buf, vol->store + offset, len);
	up_read(&sf->vol_sem);
	return ret;
}

static int sim_sf_write(struct svf_aux_sf *asf, u64 offset, const void *buf,
			size_t len)
{
	struct sim_sf *sf = sim_sf_of(asf);
	struct sim_vol *vol;
	int ret;

	down_read(&sf->vol_sem);
	vol = sim_sf_vol(sf);
	ret = vol ? sim_sf_fault(sf, offset, len, &sf->writes) : -EIO;
	if (!ret)
		memcpy(vol->store + offset, buf, len);
	up_read(&sf->vol_sem);
	return ret;
}

/* The volume is memory: a flush only counts, and fails when armed. */
static int sim_sf_flush(struct svf_aux_sf *asf)
{
	struct sim_sf *sf = sim_sf_of(asf);
	int ret;

	down_read(&sf->vol_sem);
	ret = sim_sf_vol(sf) ? 0 : -EIO;
	mutex_lock(&sf->lock);
	if (!ret && sf->fail_flush) {
		sf->fail_flush = false;
		dev_err(&asf->core.adev.dev, "snapvf_sim: injected flush error\n");
		ret = -EIO;
	}
	if (!ret)
		sf->flushes++;
	mutex_unlock(&sf->lock);
	up_read(&sf->vol_sem);
	return ret;
}

/* No per-function state beyond the knobs: a reset is counted. */
static int sim_sf_reset(struct svf_aux_sf *asf)
{
	struct sim_sf *sf = sim_sf_of(asf);

	mutex_lock(&sf->lock);
	sf->resets++;
	mutex_unlock(&sf->lock);
	return 0;
}

static const struct svf_aux_sf_ops sim_sf_ops = {
	.read = sim_sf_read,
	.write = sim_sf_write,
	.flush = sim_sf_flush,
	.reset = sim_sf_reset,
};

/* ---- knobs: /sys/kernel/debug/snapvf_sim/<aux device>/ ---- */

/*
 * A knob file's read and write: the value is one signed decimal number;
 * anything else, like a value the setter refuses, is -EINVAL and one
 * kernel line.
 */
static ssize_t sim_sf_knob_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos, s64 val)
{
	char b[24];
	int n = scnprintf(b, sizeof(b), "%lld\n", val);

	return simple_read_from_buffer(ubuf, count, ppos, b, n);
}

static ssize_t sim_sf_knob_write(struct file *file, const char __user *ubuf,
				 size_t count, const char *name,
				 int (*set)(struct sim_sf *sf, s64 val))
{
	struct sim_sf *sf = file->private_data;
	s64 val;
	int ret;

	if (kstrtos64_from_user(ubuf, count, 0, &val)) {
		dev_err(&sf->asf->core.adev.dev,
			"snapvf_sim: %s wants a number\n", name);
		return -EINVAL;
	}
	ret = set(sf, val);
	return ret ? ret : count;
}

static s64 sim_sf_fail_io_at_get(struct sim_sf *sf)
{
	s64 v;

	mutex_lock(&sf->lock);
	v = sf->fail_io_at;
	mutex_unlock(&sf->lock);
	return v;
}

static int sim_sf_fail_io_at_set(struct sim_sf *sf, s64 v)
{
	if (v < -1 || (v >= 0 && v >= sf->capacity)) {
		dev_err(&sf->asf->core.adev.dev,
			"snapvf_sim: fail_io_at wants a byte offset below %llu, or -1\n",
			sf->capacity);
		return -EINVAL;
	}
	mutex_lock(&sf->lock);
	sf->fail_io_at = v;
	mutex_unlock(&sf->lock);
	return 0;
}

static s64 sim_sf_fail_flush_get(struct sim_sf *sf)
{
	s64 v;

	mutex_lock(&sf->lock);
	v = sf->fail_flush;
	mutex_unlock(&sf->lock);
	return v;
}

static int sim_sf_fail_flush_set(struct sim_sf *sf, s64 v)
{
	if (v != 0 && v != 1) {
		dev_err(&sf->asf->core.adev.dev,
			"snapvf_sim: fail_flush wants 0 or 1\n");
		return -EINVAL;
	}
	mutex_lock(&sf->lock);
	sf->fail_flush = v;
	mutex_unlock(&sf->lock);
	return 0;
}

static int sim_sf_detach_set(struct sim_sf *sf, s64 v)
{
	if (v != 1) {
		dev_err(&sf->asf->core.adev.dev,
			"snapvf_sim: detach wants 1\n");
		return -EINVAL;
	}
	if (!sim_sf_detach(sf)) {
		dev_err(&sf->asf->core.adev.dev,
			"snapvf_sim: SF %u has no volume to detach\n", sf->id);
		return -ENOENT;
	}
	dev_info(&sf->asf->core.adev.dev, "snapvf_sim: SF %u volume detached\n",
		 sf->id);
	return 0;
}

static int sim_sf_surprise_set(struct sim_sf *sf, s64 v)
{
	if (v < 0 || v > SIM_MAX_DELAY_MS) {
		dev_err(&sf->asf->core.adev.dev,
			"snapvf_sim: surprise_remove wants milliseconds from 0 to %u\n",
			SIM_MAX_DELAY_MS);
		return -EINVAL;
	}
	queue_delayed_work(sim_wq, &sf->surprise, msecs_to_jiffies(v));
	return 0;
}

/* Read-write knob NAME: sim_sf_NAME_get() and sim_sf_NAME_set(). */
#define SIM_SF_KNOB_RW(name)						\
static ssize_t sim_sf_##name##_read(struct file *f, char __user *u,	\
				    size_t n, loff_t *pos)		\
{									\
	return sim_sf_knob_read(f, u, n, pos,				\
				sim_sf_##name##_get(f->private_data));	\
}									\
static ssize_t sim_sf_##name##_write(struct file *f,			\
				     const char __user *u, size_t n,	\
				     loff_t *pos)			\
{									\
	return sim_sf_knob_write(f, u, n, #name, sim_sf_##name##_set);	\
}									\
static const struct file_operations sim_sf_##name##_fops = {		\
	.owner = THIS_MODULE,						\
	.open = simple_open,						\
	.read = sim_sf_##name##_read,					\
	.write = sim_sf_##name##_write,					\
	.llseek = default_llseek,					\
}

/* Write-only knob NAME: sim_sf_NAME_set(). */
#define SIM_SF_KNOB_WO(name, setter)					\
static ssize_t sim_sf_##name##_write(struct file *f,			\
				     const char __user *u, size_t n,	\
				     loff_t *pos)			\
{									\
	return sim_sf_knob_write(f, u, n, #name, setter);		\
}									\
static const struct file_operations sim_sf_##name##_fops = {		\
	.owner = THIS_MODULE,						\
	.open = simple_open,						\
	.write = sim_sf_##name##_write,					\
	.llseek = noop_llseek,						\
}

SIM_SF_KNOB_RW(fail_io_at);
SIM_SF_KNOB_RW(fail_flush);
SIM_SF_KNOB_WO(detach, sim_sf_detach_set);
SIM_SF_KNOB_WO(surprise_remove, sim_sf_surprise_set);

static int sim_sf_stats_show(struct seq_file *m, void *v)
{
	struct sim_sf *sf = m->private;

	mutex_lock(&sf->lock);
	seq_printf(m, "reads %llu\nwrites %llu\nflushes %llu\nresets %llu\n",
		   sf->reads, sf->writes, sf->flushes, sf->resets);
	mutex_unlock(&sf->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_sf_stats);

static int sim_sf_volume_show(struct seq_file *m, void *v)
{
	struct sim_sf *sf = m->private;

	down_read(&sf->vol_sem);
	if (!sf->vol)
		seq_puts(m, "detached\n");
	else if (sf->vol->id == SIM_VOL_PRIVATE)
		seq_puts(m, "private\n");
	else
		seq_printf(m, "%u\n", sf->vol->id);
	up_read(&sf->vol_sem);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_sf_volume);

static int sim_sf_serial_show(struct seq_file *m, void *v)
{
	struct sim_sf *sf = m->private;

	seq_printf(m, "%.*s\n", (int)sizeof(sf->asf->serial), sf->asf->serial);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_sf_serial);

static void sim_sf_debugfs_add(struct sim_sf *sf)
{
	struct dentry *d;

	d = debugfs_create_dir(dev_name(&sf->asf->core.adev.dev), sim_dbg_root);
	sf->dbg = d;
	debugfs_create_u64("capacity", 0400, d, &sf->capacity);
	debugfs_create_u32("instances", 0400, d, &sf->asf->max_instances);
	debugfs_create_file("volume", 0400, d, sf, &sim_sf_volume_fops);
	debugfs_create_file("serial", 0400, d, sf, &sim_sf_serial_fops);
	debugfs_create_file("stats", 0400, d, sf, &sim_sf_stats_fops);
	debugfs_create_file("fail_io_at", 0600, d, sf, &sim_sf_fail_io_at_fops);
	debugfs_create_file("fail_flush", 0600, d, sf, &sim_sf_fail_flush_fops);
	debugfs_create_file("detach", 0200, d, sf, &sim_sf_detach_fops);
	debugfs_create_file("surprise_remove", 0200, d, sf,
			    &sim_sf_surprise_remove_fops);
}

/* ---- add and remove ---- */

static void sim_sf_free(struct sim_sf *sf)
{
	sim_sf_detach(sf);
	mutex_destroy(&sf->lock);
	kfree(sf);
}

/*
 * Knobs first (debugfs waits for the calls in progress), then the aux
 * device (waits for the data ops), then the surprise work a knob may have
 * queued meanwhile (without waiting when it is that work), then the
 * volume.
 */
static void sim_sf_destroy(struct sim_sf *sf, bool in_work)
{
	debugfs_remove_recursive(sf->dbg);
	svf_aux_sf_withdraw(sf->asf);
	if (in_work)
		cancel_delayed_work(&sf->surprise);
	else
		cancel_delayed_work_sync(&sf->surprise);
	dev_info(&sf->mgr->pdev->dev, "snapvf_sim: SF %u withdrawn\n", sf->id);
	sim_sf_free(sf);
}

static void sim_sf_surprise_work(struct work_struct *work)
{
	struct sim_sf *sf = container_of(to_delayed_work(work), struct sim_sf,
					 surprise);
	struct sim_mgr *mgr = sf->mgr;
	bool mine;

	mutex_lock(&mgr->lock);
	mine = !list_empty(&sf->node);
	list_del_init(&sf->node);
	mutex_unlock(&mgr->lock);
	if (mine)
		sim_sf_destroy(sf, true);
}

static int sim_sf_check(struct device *dev, u32 queues, u32 qsize,
			u32 instances)
{
	if (!queues || queues > SIM_SF_MAX_QUEUES || qsize < 2 ||
	    qsize > SIM_SF_MAX_QSIZE || !is_power_of_2(qsize)) {
		dev_err(dev, "snapvf_sim: SF queues 1..%u, queue size a power of two 2..%u\n",
			SIM_SF_MAX_QUEUES, SIM_SF_MAX_QSIZE);
		return -EINVAL;
	}
	if (!instances || instances > SIM_SF_MAX_INSTANCES) {
		dev_err(dev, "snapvf_sim: SF instances 1..%u\n",
			SIM_SF_MAX_INSTANCES);
		return -EINVAL;
	}
	return 0;
}

static bool sim_sf_exists(struct sim_mgr *mgr, u32 id)
{
	struct sim_sf *sf;
	bool found = false;

	mutex_lock(&mgr->lock);
	list_for_each_entry(sf, &mgr->sfs, node)
		found |= sf->id == id;
	mutex_unlock(&mgr->lock);
	return found;
}

/* Attaches listed volume @vol_id, or a new private one of @capacity. */
static int sim_sf_attach(struct sim_sf *sf, u32 vol_id, u64 capacity)
{
	struct sim_mgr *mgr = sf->mgr;
	struct device *dev = &mgr->pdev->dev;
	struct sim_vol *vol;

	if (vol_id == SIM_VOL_PRIVATE) {
		vol = sim_vol_alloc(dev, SIM_VOL_PRIVATE, capacity);
		if (IS_ERR(vol))
			return PTR_ERR(vol);
		vol->users = 1;
	} else {
		mutex_lock(&mgr->lock);
		vol = sim_vol_find(mgr, vol_id);
		if (vol)
			vol->users++;
		mutex_unlock(&mgr->lock);
		if (!vol) {
			dev_err(dev, "snapvf_sim: no volume %u\n", vol_id);
			return -ENOENT;
		}
	}
	sf->vol = vol;
	sf->capacity = vol->capacity;
	return 0;
}

/**
 * sim_sf_add() - create and publish SF @id
 * @mgr: the manager
 * @id: SF number (unique among snapvf_sim SFs)
 * @vol_id: listed volume to present, or SIM_VOL_PRIVATE for a new
 *	private volume of @capacity bytes
 * @capacity: private volume bytes (ignored for a listed volume)
 * @queues: queues per instance
 * @queue_size: entries per queue
 * @instances: consumer instances the SF supports (its max_instances)
 *
 * Return: 0 or a negative errno (logged).
 */
int sim_sf_add(struct sim_mgr *mgr, u32 id, u32 vol_id, u64 capacity,
	       u32 queues, u32 queue_size, u32 instances)
{
	struct device *dev = &mgr->pdev->dev;
	struct svf_aux_sf_info info = {
		.sf_id = id,
		.block_size = SIM_VOL_BLOCK,
		.max_queues = queues,
		.max_queue_size = queue_size,
		.max_instances = instances,
	};
	struct sim_sf *sf;
	bool dying;
	int ret;

	ret = sim_sf_check(dev, queues, queue_size, instances);
	if (ret)
		return ret;
	if (sim_sf_exists(mgr, id)) {
		dev_err(dev, "snapvf_sim: SF %u exists\n", id);
		return -EEXIST;
	}
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	sf->mgr = mgr;
	sf->id = id;
	sf->fail_io_at = -1;
	INIT_LIST_HEAD(&sf->node);
	INIT_DELAYED_WORK(&sf->surprise, sim_sf_surprise_work);
	init_rwsem(&sf->vol_sem);
	mutex_init(&sf->lock);
	ret = sim_sf_attach(sf, vol_id, capacity);
	if (ret) {
		sim_sf_free(sf);
		return ret;
	}
	info.capacity = sf->capacity;
	info.serial = sf->vol->serial;

	sf->asf = svf_aux_sf_add(dev, &info, &sim_sf_ops, sf);
	if (IS_ERR(sf->asf)) {
		/* svf_aux_sf_add() logged why: one line per bad input. */
		ret = PTR_ERR(sf->asf);
		sim_sf_free(sf);
		return ret;
	}
	/* Logged first: once listed, another path may remove it. */
	dev_info(dev, "snapvf_sim: SF %u published as %s, %llu bytes (volume %s)\n",
		 id, dev_name(&sf->asf->core.adev.dev), sf->capacity,
		 sf->vol->serial);
	sim_sf_debugfs_add(sf);
	mutex_lock(&mgr->lock);
	dying = mgr->dying;
	if (!dying)
		list_add_tail(&sf->node, &mgr->sfs);
	mutex_unlock(&mgr->lock);
	if (dying) {
		sim_sf_destroy(sf, false);
		return -ENODEV;
	}
	return 0;
}

static void sim_sf_remove(struct sim_sf *sf)
{
	sim_sf_destroy(sf, false);
}

/**
 * sim_sf_del() - withdraw SF @id
 * @mgr: the manager
 * @id: SF number
 *
 * Return: 0 or -ENOENT (logged).
 */
int sim_sf_del(struct sim_mgr *mgr, u32 id)
{
	struct sim_sf *sf, *found = NULL;

	mutex_lock(&mgr->lock);
	list_for_each_entry(sf, &mgr->sfs, node) {
		if (sf->id == id) {
			list_del_init(&sf->node);
			found = sf;
			break;
		}
	}
	mutex_unlock(&mgr->lock);
	if (!found) {
		dev_err(&mgr->pdev->dev, "snapvf_sim: no SF %u\n", id);
		return -ENOENT;
	}
	sim_sf_remove(found);
	return 0;
}

/**
 * sim_sf_del_all() - withdraw every SF of a dying manager
 * @mgr: the manager
 */
void sim_sf_del_all(struct sim_mgr *mgr)
{
	struct sim_sf *sf;

	for (;;) {
		mutex_lock(&mgr->lock);
		sf = list_first_entry_or_null(&mgr->sfs, struct sim_sf, node);
		if (sf)
			list_del_init(&sf->node);
		mutex_unlock(&mgr->lock);
		if (!sf)
			break;
		sim_sf_remove(sf);
	}
}
