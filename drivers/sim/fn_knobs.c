// SPDX-License-Identifier: GPL-2.0
/*
 * Per-function knobs: /sys/kernel/debug/snapvf_sim/<aux device name>/, e.g.
 * .../snapvf_sim/snapvf_sim.vfio_pci.32/.  Documented in
 * Documentation/simulator.rst.  Every rejected write returns an errno and
 * logs one line on the aux device.
 *
 * Lifetime of the directory (fn->dbg):
 * - sim_fn_dbg_add() creates it once svf_aux_fn_add() returned, before the
 *   function is listed on its manager, so every path that can destroy the
 *   function finds it created.
 * - sim_fn_destroy() calls sim_fn_dbg_del() first, before withdrawal and
 *   long before the sim_fn is freed.  debugfs_remove_recursive() waits for
 *   knob callbacks in flight and cuts off files still open (their reads
 *   and writes fail with -EIO from then on), so a callback never sees a
 *   freed sim_fn, and fn->afn (the aux device the callbacks log on) is
 *   still published while they run.
 * - Callbacks take fn->lock at most, and surprise_remove only queues the
 *   surprise work: the removal may run from that work without deadlock.
 * - The directory goes before the aux device, so its name is free in
 *   debugfs whenever it is free on the auxiliary bus: adding the function
 *   again never meets the old directory.
 * Knob files hold a reference on this module while open (fops owner).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/xxhash.h>

#include "sim.h"

/* Longest value a knob takes, terminating NUL included. */
#define SIM_KNOB_MAX	64

static struct device *sim_fn_dev(struct sim_fn *fn)
{
	return &fn->afn->core.adev.dev;
}

/* The sim_fn of a knob opened through single_open(). */
static struct sim_fn *sim_knob_fn(struct file *file)
{
	return ((struct seq_file *)file->private_data)->private;
}

/*
 * Copy a write to knob @name into @buf as a string.  Return: 0, -EINVAL
 * (longer than any valid value; logged) or -EFAULT.
 */
static int sim_knob_input(struct sim_fn *fn, const char *name,
			  const char __user *ubuf, size_t count,
			  char buf[SIM_KNOB_MAX])
{
	if (count >= SIM_KNOB_MAX) {
		dev_err(sim_fn_dev(fn), "snapvf_sim: %s: value longer than %u bytes\n",
			name, SIM_KNOB_MAX - 1);
		return -EINVAL;
	}
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	return 0;
}

static int state_size_show(struct seq_file *m, void *unused)
{
	struct sim_fn *fn = m->private;

	seq_printf(m, "%llu\n", READ_ONCE(fn->state_size));
	return 0;
}

static ssize_t state_size_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct sim_fn *fn = sim_knob_fn(file);
	char buf[SIM_KNOB_MAX], *end;
	u64 size;
	int ret;

	ret = sim_knob_input(fn, "state_size", ubuf, count, buf);
	if (ret)
		return ret;
	size = memparse(buf, &end);
	if ((*end && *end != '\n') || size < SIM_PAGE_SIZE ||
	    size % SIM_PAGE_SIZE || size > fn->bar_len) {
		dev_err(sim_fn_dev(fn), "snapvf_sim: state_size must be a multiple of %u from %u to %llu\n",
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
		dev_err(sim_fn_dev(fn), "snapvf_sim: state_size: a save or load session is open\n");
	return ret ? ret : count;
}
DEFINE_SHOW_STORE_ATTRIBUTE(state_size);

static int pci_address_show(struct seq_file *m, void *unused)
{
	struct sim_fn *fn = m->private;

	seq_printf(m, "%s\n", pci_name(fn->pdev));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pci_address);

static int dev_state_show(struct seq_file *m, void *unused)
{
	struct sim_fn *fn = m->private;
	const char *s;

	mutex_lock(&fn->lock);
	s = sim_dstate_name(fn->dstate);
	mutex_unlock(&fn->lock);
	seq_printf(m, "%s\n", s);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dev_state);

static int scratch_show(struct seq_file *m, void *unused)
{
	struct sim_fn *fn = m->private;
	u64 v;

	mutex_lock(&fn->lock);
	v = le64_to_cpu(fn->regs.scratch);
	mutex_unlock(&fn->lock);
	seq_printf(m, "0x%llx\n", v);
	return 0;
}

static ssize_t scratch_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct sim_fn *fn = sim_knob_fn(file);
	char buf[SIM_KNOB_MAX];
	u64 v;
	int ret;

	ret = sim_knob_input(fn, "scratch", ubuf, count, buf);
	if (ret)
		return ret;
	ret = kstrtou64(buf, 0, &v);
	if (ret) {
		dev_err(sim_fn_dev(fn), "snapvf_sim: scratch wants a 64-bit number\n");
		return ret;
	}
	mutex_lock(&fn->lock);
	fn->regs.scratch = cpu_to_le64(v);
	le64_add_cpu(&fn->regs.writes, 1);
	mutex_unlock(&fn->lock);
	return count;
}
DEFINE_SHOW_STORE_ATTRIBUTE(scratch);

/* A byte offset knob: -1 disarms, else the fault fires once at that byte. */
static int sim_show_s64(struct seq_file *m, s64 *knob)
{
	struct sim_fn *fn = m->private;
	s64 v;

	mutex_lock(&fn->lock);
	v = *knob;
	mutex_unlock(&fn->lock);
	seq_printf(m, "%lld\n", v);
	return 0;
}

static ssize_t sim_write_s64(struct sim_fn *fn, const char __user *ubuf,
			     size_t count, s64 *knob, const char *name)
{
	char buf[SIM_KNOB_MAX];
	s64 v;
	int ret;

	ret = sim_knob_input(fn, name, ubuf, count, buf);
	if (ret)
		return ret;
	if (kstrtos64(buf, 0, &v) || v < -1) {
		dev_err(sim_fn_dev(fn), "snapvf_sim: %s wants a byte offset >= 0, or -1 to disarm\n",
			name);
		return -EINVAL;
	}
	mutex_lock(&fn->lock);
	*knob = v;
	mutex_unlock(&fn->lock);
	return count;
}

static int fail_save_at_show(struct seq_file *m, void *unused)
{
	return sim_show_s64(m, &((struct sim_fn *)m->private)->fail_save_at);
}

static ssize_t fail_save_at_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct sim_fn *fn = sim_knob_fn(file);

	return sim_write_s64(fn, ubuf, count, &fn->fail_save_at,
			     "fail_save_at");
}
DEFINE_SHOW_STORE_ATTRIBUTE(fail_save_at);

static int fail_load_at_show(struct seq_file *m, void *unused)
{
	return sim_show_s64(m, &((struct sim_fn *)m->private)->fail_load_at);
}

static ssize_t fail_load_at_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct sim_fn *fn = sim_knob_fn(file);

	return sim_write_s64(fn, ubuf, count, &fn->fail_load_at,
			     "fail_load_at");
}
DEFINE_SHOW_STORE_ATTRIBUTE(fail_load_at);

static int surprise_save_at_show(struct seq_file *m, void *unused)
{
	return sim_show_s64(m,
			    &((struct sim_fn *)m->private)->surprise_save_at);
}

static ssize_t surprise_save_at_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	struct sim_fn *fn = sim_knob_fn(file);

	return sim_write_s64(fn, ubuf, count, &fn->surprise_save_at,
			     "surprise_save_at");
}
DEFINE_SHOW_STORE_ATTRIBUTE(surprise_save_at);

static int sim_parse_ms(struct sim_fn *fn, const char __user *ubuf,
			size_t count, const char *name, u32 *ms)
{
	char buf[SIM_KNOB_MAX];
	int ret;

	ret = sim_knob_input(fn, name, ubuf, count, buf);
	if (ret)
		return ret;
	if (kstrtou32(buf, 0, ms) || *ms > SIM_MAX_DELAY_MS) {
		dev_err(sim_fn_dev(fn), "snapvf_sim: %s wants milliseconds from 0 to %u\n",
			name, SIM_MAX_DELAY_MS);
		return -EINVAL;
	}
	return 0;
}

static int quiesce_delay_ms_show(struct seq_file *m, void *unused)
{
	struct sim_fn *fn = m->private;

	seq_printf(m, "%u\n", READ_ONCE(fn->quiesce_delay_ms));
	return 0;
}

static ssize_t quiesce_delay_ms_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	struct sim_fn *fn = sim_knob_fn(file);
	u32 ms;
	int ret = sim_parse_ms(fn, ubuf, count, "quiesce_delay_ms", &ms);

	if (ret)
		return ret;
	WRITE_ONCE(fn->quiesce_delay_ms, ms);
	return count;
}
DEFINE_SHOW_STORE_ATTRIBUTE(quiesce_delay_ms);

/* Write-only: opened with simple_open(), private_data is the sim_fn. */
static ssize_t surprise_remove_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct sim_fn *fn = file->private_data;
	u32 ms;
	int ret = sim_parse_ms(fn, ubuf, count, "surprise_remove", &ms);

	if (ret)
		return ret;
	sim_fn_surprise(fn, ms);
	return count;
}

static const struct file_operations surprise_remove_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = surprise_remove_write,
};

static int stats_show(struct seq_file *m, void *unused)
{
	struct sim_fn *fn = m->private;

	mutex_lock(&fn->lock);
	seq_printf(m, "saves %llu\nloads %llu\nrounds %llu\nd3_steps %llu\n",
		   fn->saves, fn->loads, fn->rounds, fn->d3_steps);
	seq_printf(m, "pages_sent %llu\nlast_round_pages %llu\n",
		   fn->pages_sent, fn->last_round_pages);
	seq_printf(m, "save_open %d\nload_open %d\nlogging %d\n",
		   !!fn->save, !!fn->load, fn->logging);
	mutex_unlock(&fn->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* xxh64 of the whole device state: BAR state bytes, then the registers. */
static int state_hash_show(struct seq_file *m, void *unused)
{
	struct sim_fn *fn = m->private;
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
	if (ret)
		return ret;
	seq_printf(m, "%016llx\n", xxh64_digest(&st));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state_hash);

/**
 * sim_fn_dbg_add() - create the function's knob directory
 * @fn: a function svf_aux_fn_add() published, not yet listed
 *
 * Like all debugfs users, the simulator works on without its knobs when
 * debugfs cannot create them (no debugfs, no memory).
 */
void sim_fn_dbg_add(struct sim_fn *fn)
{
	struct dentry *d;

	d = debugfs_create_dir(dev_name(sim_fn_dev(fn)), sim_dbg_root);
	fn->dbg = d;
	debugfs_create_file("state_size", 0644, d, fn, &state_size_fops);
	debugfs_create_u64("bar_size", 0444, d, &fn->bar_len);
	debugfs_create_file("pci_address", 0444, d, fn, &pci_address_fops);
	debugfs_create_file("dev_state", 0444, d, fn, &dev_state_fops);
	debugfs_create_file("scratch", 0644, d, fn, &scratch_fops);
	debugfs_create_file("fail_save_at", 0644, d, fn, &fail_save_at_fops);
	debugfs_create_file("fail_load_at", 0644, d, fn, &fail_load_at_fops);
	debugfs_create_file("surprise_save_at", 0644, d, fn,
			    &surprise_save_at_fops);
	debugfs_create_file("quiesce_delay_ms", 0644, d, fn,
			    &quiesce_delay_ms_fops);
	debugfs_create_file("surprise_remove", 0200, d, fn,
			    &surprise_remove_fops);
	debugfs_create_file("stats", 0444, d, fn, &stats_fops);
	debugfs_create_file("state_hash", 0444, d, fn, &state_hash_fops);
}

/**
 * sim_fn_dbg_del() - remove the function's knob directory
 * @fn: the function, before withdrawal
 *
 * Returns once no knob callback runs any more; see the lifetime rules at
 * the top of this file.
 */
void sim_fn_dbg_del(struct sim_fn *fn)
{
	debugfs_remove_recursive(fn->dbg);
	fn->dbg = NULL;
}
