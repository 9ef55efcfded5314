// SPDX-License-Identifier: GPL-2.0
/*
 * Per-function knobs: /sys/bus/auxiliary/devices/snapvf_sim.vfio_pci.<id>/sim/.
 * Documented in Documentation/simulator.rst.  They live on the aux device,
 * so withdrawal deletes them (waiting for running callbacks) before the
 * sim_fn is freed.  Every rejected write returns an errno and logs a line.
 */
#include <linux/xxhash.h>

#include "sim.h"

static struct sim_fn *sim_fn_of_dev(struct device *dev)
{
	return sim_fn_of(svf_aux_fn_from_adev(to_auxiliary_dev(dev)));
}

static ssize_t state_size_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct sim_fn *fn = sim_fn_of_dev(dev);

	return sysfs_emit(buf, "%llu\n", READ_ONCE(fn->state_size));
}

static ssize_t state_size_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct sim_fn *fn = sim_fn_of_dev(dev);
	char *end;
	u64 size;
	int ret = 0;

	size = memparse(buf, &end);
	if ((*end && *end != '\n') || size < SIM_PAGE_SIZE ||
	    size % SIM_PAGE_SIZE || size > fn->bar_len) {
		dev_err(dev, "snapvf_sim: state_size must be a multiple of %u from %u to %llu\n",
			SIM_PAGE_SIZE, SIM_PAGE_SIZE, fn->bar_len);
		return -EINVAL;
	}
	mutex_lock(&fn->lock);
	if (fn->save || fn->load)
		ret = -EBUSY;
	else
		WRITE_ONCE(fn->state_size, size);
	mutex_unlock(&fn->lock);
	if (ret)
		dev_err(dev, "snapvf_sim: state_size: a save or load session is open\n");
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(state_size);

static ssize_t bar_size_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", sim_fn_of_dev(dev)->bar_len);
}
static DEVICE_ATTR_RO(bar_size);

static ssize_t pci_address_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", pci_name(sim_fn_of_dev(dev)->pdev));
}
static DEVICE_ATTR_RO(pci_address);

static ssize_t dev_state_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct sim_fn *fn = sim_fn_of_dev(dev);
	const char *s;

	mutex_lock(&fn->lock);
	s = sim_dstate_name(fn->dstate);
	mutex_unlock(&fn->lock);
	return sysfs_emit(buf, "%s\n", s);
}
static DEVICE_ATTR_RO(dev_state);

static ssize_t scratch_show(struct device *dev,
			    struct device_attribute *attr, char *buf)
{
	struct sim_fn *fn = sim_fn_of_dev(dev);
	u64 v;

	mutex_lock(&fn->lock);
	v = le64_to_cpu(fn->regs.scratch);
	mutex_unlock(&fn->lock);
	return sysfs_emit(buf, "0x%llx\n", v);
}

static ssize_t scratch_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct sim_fn *fn = sim_fn_of_dev(dev);
	u64 v;
	int ret;

	ret = kstrtou64(buf, 0, &v);
	if (ret) {
		dev_err(dev, "snapvf_sim: scratch wants a 64-bit number\n");
		return ret;
	}
	mutex_lock(&fn->lock);
	fn->regs.scratch = cpu_to_le64(v);
	le64_add_cpu(&fn->regs.writes, 1);
	mutex_unlock(&fn->lock);
	return count;
}
static DEVICE_ATTR_RW(scratch);

/* A byte offset knob: -1 disarms, else the fault fires once at that byte. */
static ssize_t sim_show_s64(struct device *dev, char *buf, s64 *knob)
{
	struct sim_fn *fn = sim_fn_of_dev(dev);
	s64 v;

	mutex_lock(&fn->lock);
	v = *knob;
	mutex_unlock(&fn->lock);
	return sysfs_emit(buf, "%lld\n", v);
}

static ssize_t sim_store_s64(struct device *dev, const char *buf,
			     size_t count, s64 *knob, const char *name)
{
	struct sim_fn *fn = sim_fn_of_dev(dev);
	s64 v;

	if (kstrtos64(buf, 0, &v) || v < -1) {
		dev_err(dev, "snapvf_sim: %s wants a byte offset >= 0, or -1 to disarm\n",
			name);
		return -EINVAL;
	}
	mutex_lock(&fn->lock);
	*knob = v;
	mutex_unlock(&fn->lock);
	return count;
}

static ssize_t fail_save_at_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sim_show_s64(dev, buf, &sim_fn_of_dev(dev)->fail_save_at);
}

static ssize_t fail_save_at_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	return sim_store_s64(dev, buf, count, &sim_fn_of_dev(dev)->fail_save_at,
			     "fail_save_at");
}
static DEVICE_ATTR_RW(fail_save_at);

static ssize_t fail_load_at_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sim_show_s64(dev, buf, &sim_fn_of_dev(dev)->fail_load_at);
}

static ssize_t fail_load_at_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	return sim_store_s64(dev, buf, count, &sim_fn_of_dev(dev)->fail_load_at,
			     "fail_load_at");
}
static DEVICE_ATTR_RW(fail_load_at);

static ssize_t surprise_save_at_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sim_show_s64(dev, buf, &sim_fn_of_dev(dev)->surprise_save_at);
}

static ssize_t surprise_save_at_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	return sim_store_s64(dev, buf, count, &sim_fn_of_dev(dev)->surprise_save_at,
			     "surprise_save_at");
}
static DEVICE_ATTR_RW(surprise_save_at);

static int sim_parse_ms(struct device *dev, const char *buf, const char *name,
			u32 *ms)
{
	if (kstrtou32(buf, 0, ms) || *ms > SIM_MAX_DELAY_MS) {
		dev_err(dev, "snapvf_sim: %s wants milliseconds from 0 to %u\n",
			name, SIM_MAX_DELAY_MS);
		return -EINVAL;
	}
	return 0;
}

static ssize_t quiesce_delay_ms_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(sim_fn_of_dev(dev)->quiesce_delay_ms));
}

static ssize_t quiesce_delay_ms_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	u32 ms;
	int ret = sim_parse_ms(dev, buf, "quiesce_delay_ms", &ms);

	if (ret)
		return ret;
	WRITE_ONCE(sim_fn_of_dev(dev)->quiesce_delay_ms, ms);
	return count;
}
static DEVICE_ATTR_RW(quiesce_delay_ms);

static ssize_t surprise_remove_store(struct device *dev,
				     struct device_attribute *attr,
				     const char *buf, size_t count)
{
	u32 ms;
	int ret = sim_parse_ms(dev, buf, "surprise_remove", &ms);

	if (ret)
		return ret;
	sim_fn_surprise(sim_fn_of_dev(dev), ms);
	return count;
}
static DEVICE_ATTR_WO(surprise_remove);

static ssize_t stats_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct sim_fn *fn = sim_fn_of_dev(dev);
	ssize_t len;

	mutex_lock(&fn->lock);
	len = sysfs_emit(buf, "saves %llu\nloads %llu\nrounds %llu\n",
			 fn->saves, fn->loads, fn->rounds);
	len += sysfs_emit_at(buf, len, "pages_sent %llu\nlast_round_pages %llu\n",
			     fn->pages_sent, fn->last_round_pages);
	len += sysfs_emit_at(buf, len, "save_open %d\nload_open %d\nlogging %d\n",
			     !!fn->save, !!fn->load, fn->logging);
	mutex_unlock(&fn->lock);
	return len;
}
static DEVICE_ATTR_RO(stats);

/* xxh64 of the whole device state: BAR state bytes, then the registers. */
static ssize_t state_hash_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct sim_fn *fn = sim_fn_of_dev(dev);
	struct xxh64_state st;
	u8 *page;
	u64 off;
	int ret;

	page = kmalloc(SIM_PAGE_SIZE, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	mutex_lock(&fn->lock);
	ret = sim_fn_access_ok(fn);
	if (!ret) {
		xxh64_reset(&st, 0);
		for (off = 0; off < fn->state_size; off += SIM_PAGE_SIZE) {
			memcpy_fromio(page, fn->bar + off, SIM_PAGE_SIZE);
			xxh64_update(&st, page, SIM_PAGE_SIZE);
			cond_resched();
		}
		xxh64_update(&st, &fn->regs, sizeof(fn->regs));
	}
	mutex_unlock(&fn->lock);
	kfree(page);
	return ret ? ret : sysfs_emit(buf, "%016llx\n", xxh64_digest(&st));
}
static DEVICE_ATTR_RO(state_hash);

static struct attribute *sim_fn_attrs[] = {
	&dev_attr_state_size.attr,
	&dev_attr_bar_size.attr,
	&dev_attr_pci_address.attr,
	&dev_attr_dev_state.attr,
	&dev_attr_scratch.attr,
	&dev_attr_fail_save_at.attr,
	&dev_attr_fail_load_at.attr,
	&dev_attr_surprise_save_at.attr,
	&dev_attr_quiesce_delay_ms.attr,
	&dev_attr_surprise_remove.attr,
	&dev_attr_stats.attr,
	&dev_attr_state_hash.attr,
	NULL
};

static const struct attribute_group sim_fn_group = {
	.name = "sim",
	.attrs = sim_fn_attrs,
};

const struct attribute_group *sim_fn_groups[] = {
	&sim_fn_group,
	NULL
};
