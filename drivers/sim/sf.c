// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated scalable functions: a vmalloc'ed backing store published as
 * <snapvf_sim>.sf.<id>, with knobs in .../snapvf_sim.sf.<id>/sim/.
 * Lifetime and removal follow the same rules as managed functions (sim.h).
 *
 * Reads and writes copy to and from the store without a lock: the store
 * is a RAM disk, concurrent I/O to one block has no defined order anyway,
 * and the store is freed only after withdrawal drained the ops.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "sim.h"

#define SIM_SF_MAX_CAPACITY	SZ_1G
#define SIM_SF_MAX_QUEUES	64
#define SIM_SF_MAX_QSIZE	32768
#define SIM_SF_MAX_INSTANCES	4096

static struct sim_sf *sim_sf_of(struct svf_aux_sf *asf)
{
	return asf->priv;
}

/* Injected I/O fault: one-shot -EIO for an access covering fail_io_at. */
static int sim_sf_fault(struct sim_sf *sf, u64 offset, size_t len)
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
	}
	mutex_unlock(&sf->lock);
	return ret;
}

static int sim_sf_read(struct svf_aux_sf *asf, u64 offset, void *buf,
		       size_t len)
{
	struct sim_sf *sf = sim_sf_of(asf);
	int ret = sim_sf_fault(sf, offset, len);

	if (ret)
		return ret;
	memcpy(buf, sf->store + offset, len);
	WRITE_ONCE(sf->reads, sf->reads + 1);
	return 0;
}

static int sim_sf_write(struct svf_aux_sf *asf, u64 offset, const void *buf,
			size_t len)
{
	struct sim_sf *sf = sim_sf_of(asf);
	int ret = sim_sf_fault(sf, offset, len);

	if (ret)
		return ret;
	memcpy(sf->store + offset, buf, len);
	WRITE_ONCE(sf->writes, sf->writes + 1);
	return 0;
}

static const struct svf_aux_sf_ops sim_sf_ops = {
	.read = sim_sf_read,
	.write = sim_sf_write,
};

static void sim_sf_free(struct sim_sf *sf)
{
	vfree(sf->store);
	mutex_destroy(&sf->lock);
	kfree(sf);
}

static void sim_sf_destroy(struct sim_sf *sf)
{
	svf_aux_sf_withdraw(sf->asf);
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
		sim_sf_destroy(sf);
}

static int sim_sf_check(struct device *dev, u64 capacity, u32 queues,
			u32 qsize, u32 instances)
{
	if (!capacity || capacity % SIM_PAGE_SIZE ||
	    capacity > SIM_SF_MAX_CAPACITY) {
		dev_err(dev, "snapvf_sim: SF capacity must be a multiple of %u up to %u bytes\n",
			SIM_PAGE_SIZE, SIM_SF_MAX_CAPACITY);
		return -EINVAL;
	}
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

/**
 * sim_sf_add() - create and publish SF @id
 * @mgr: the manager
 * @id: SF number (unique among snapvf_sim SFs)
 * @capacity: backing store bytes
 * @queues: queues per instance
 * @queue_size: entries per queue
 * @instances: consumer instances the SF supports (its max_instances)
 *
 * Return: 0 or a negative errno (logged).
 */
int sim_sf_add(struct sim_mgr *mgr, u32 id, u64 capacity, u32 queues,
	       u32 queue_size, u32 instances)
{
	struct device *dev = &mgr->pdev->dev;
	struct svf_aux_sf_info info = {
		.sf_id = id,
		.capacity = capacity,
		.block_size = 512,
		.max_queues = queues,
		.max_queue_size = queue_size,
		.max_instances = instances,
		.groups = sim_sf_groups,
	};
	char serial[SVF_AUX_SERIAL_LEN + 1];
	struct sim_sf *sf;
	bool dying;
	int ret;

	ret = sim_sf_check(dev, capacity, queues, queue_size, instances);
	if (ret)
		return ret;
	if (sim_sf_exists(mgr, id)) {
		dev_err(dev, "snapvf_sim: SF %u exists\n", id);
		return -EEXIST;
	}
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	sf->store = vzalloc(capacity);
	if (!sf->store) {
		dev_err(dev, "snapvf_sim: no memory for a %llu byte SF\n",
			capacity);
		kfree(sf);
		return -ENOMEM;
	}
	sf->mgr = mgr;
	sf->id = id;
	sf->capacity = capacity;
	sf->fail_io_at = -1;
	INIT_LIST_HEAD(&sf->node);
	INIT_DELAYED_WORK(&sf->surprise, sim_sf_surprise_work);
	mutex_init(&sf->lock);
	snprintf(serial, sizeof(serial), "snapvf-sim-sf-%u", id);
	info.serial = serial;

	sf->asf = svf_aux_sf_add(dev, &info, &sim_sf_ops, sf);
	if (IS_ERR(sf->asf)) {
		/* svf_aux_sf_add() logged why: one line per bad input. */
		ret = PTR_ERR(sf->asf);
		sim_sf_free(sf);
		return ret;
	}
	mutex_lock(&mgr->lock);
	dying = mgr->dying;
	if (!dying)
		list_add_tail(&sf->node, &mgr->sfs);
	mutex_unlock(&mgr->lock);
	if (dying) {
		sim_sf_destroy(sf);
		return -ENODEV;
	}
	dev_info(dev, "snapvf_sim: SF %u published as %s, %llu bytes\n", id,
		 dev_name(&sf->asf->core.adev.dev), capacity);
	return 0;
}

static void sim_sf_remove(struct sim_sf *sf)
{
	cancel_delayed_work_sync(&sf->surprise);
	sim_sf_destroy(sf);
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

/* ---- knobs: .../snapvf_sim.sf.<id>/sim/ ---- */

static struct sim_sf *sim_sf_of_dev(struct device *dev)
{
	return sim_sf_of(svf_aux_sf_from_adev(to_auxiliary_dev(dev)));
}

static ssize_t capacity_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", sim_sf_of_dev(dev)->capacity);
}
static DEVICE_ATTR_RO(capacity);

static ssize_t instances_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct svf_aux_sf *asf = svf_aux_sf_from_adev(to_auxiliary_dev(dev));

	return sysfs_emit(buf, "%u\n", asf->max_instances);
}
static DEVICE_ATTR_RO(instances);

static ssize_t fail_io_at_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct sim_sf *sf = sim_sf_of_dev(dev);
	s64 v;

	mutex_lock(&sf->lock);
	v = sf->fail_io_at;
	mutex_unlock(&sf->lock);
	return sysfs_emit(buf, "%lld\n", v);
}

static ssize_t fail_io_at_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct sim_sf *sf = sim_sf_of_dev(dev);
	s64 v;

	if (kstrtos64(buf, 0, &v) || v < -1 || (v >= 0 && v >= sf->capacity)) {
		dev_err(dev, "snapvf_sim: fail_io_at wants a byte offset below %llu, or -1\n",
			sf->capacity);
		return -EINVAL;
	}
	mutex_lock(&sf->lock);
	sf->fail_io_at = v;
	mutex_unlock(&sf->lock);
	return count;
}
static DEVICE_ATTR_RW(fail_io_at);

static ssize_t surprise_remove_store(struct device *dev,
				     struct device_attribute *attr,
				     const char *buf, size_t count)
{
	u32 ms;

	if (kstrtou32(buf, 0, &ms) || ms > SIM_MAX_DELAY_MS) {
		dev_err(dev, "snapvf_sim: surprise_remove wants milliseconds from 0 to %u\n",
			SIM_MAX_DELAY_MS);
		return -EINVAL;
	}
	queue_delayed_work(sim_wq, &sim_sf_of_dev(dev)->surprise,
			   msecs_to_jiffies(ms));
	return count;
}
static DEVICE_ATTR_WO(surprise_remove);

static ssize_t stats_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct sim_sf *sf = sim_sf_of_dev(dev);

	return sysfs_emit(buf, "reads %llu\nwrites %llu\n",
			  READ_ONCE(sf->reads), READ_ONCE(sf->writes));
}
static DEVICE_ATTR_RO(stats);

static struct attribute *sim_sf_attrs[] = {
	&dev_attr_capacity.attr,
	&dev_attr_instances.attr,
	&dev_attr_fail_io_at.attr,
	&dev_attr_surprise_remove.attr,
	&dev_attr_stats.attr,
	NULL
};

static const struct attribute_group sim_sf_group = {
	.name = "sim",
	.attrs = sim_sf_attrs,
};

const struct attribute_group *sim_sf_groups[] = {
	&sim_sf_group,
	NULL
};
