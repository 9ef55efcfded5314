// SPDX-License-Identifier: GPL-2.0
/*
 * The manager's control files: /sys/bus/pci/devices/<manager>/snapvf_sim/
 * (adding and removing functions and SFs), and its read-only listings in
 * /sys/kernel/debug/snapvf_sim/<manager>/.  Documented in
 * Documentation/simulator.rst.  Every rejected write returns an errno and
 * logs one line on the manager device.
 *
 * Lifetime of the debugfs directory (mgr->dbg): created at the end of
 * probe, removed first thing in remove, before the manager is freed;
 * debugfs_remove_recursive() waits for listing callbacks in flight, which
 * take mgr->lock, so remove holds no lock while calling it.
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "sim.h"

static struct sim_mgr *sim_mgr_of(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static bool sim_rest_blank(const char *s)
{
	while (*s && isspace(*s))
		s++;
	return !*s;
}

/* Parse "DDDD:BB:SS.F" and return a referenced pci_dev or an ERR_PTR. */
static struct pci_dev *sim_parse_pci(struct device *dev, const char *buf)
{
	unsigned int dom, bus, slot, func;
	struct pci_dev *pdev;
	int n = 0;

	if (sscanf(buf, "%x:%x:%x.%x%n", &dom, &bus, &slot, &func, &n) != 4 ||
	    !sim_rest_blank(buf + n) || dom > 0xffff || bus > 0xff ||
	    slot > 0x1f || func > 7) {
		dev_err(dev, "snapvf_sim: '%.32s' is not a PCI address DDDD:BB:SS.F\n",
			buf);
		return ERR_PTR(-EINVAL);
	}
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, func));
	if (!pdev) {
		dev_err(dev, "snapvf_sim: no PCI function %04x:%02x:%02x.%x\n",
			dom, bus, slot, func);
		return ERR_PTR(-ENODEV);
	}
	return pdev;
}

/* Parse a PCI address written to @dev's control file and apply @op to it. */
static ssize_t sim_fn_store(struct device *dev, const char *buf, size_t count,
			    int (*op)(struct sim_mgr *mgr, struct pci_dev *pdev))
{
	struct pci_dev *pdev = sim_parse_pci(dev, buf);
	int ret;

	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	ret = op(sim_mgr_of(dev), pdev);
	pci_dev_put(pdev);
	return ret ? ret : count;
}

static ssize_t new_function_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	return sim_fn_store(dev, buf, count, sim_fn_add);
}
static DEVICE_ATTR_WO(new_function);

static ssize_t del_function_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	return sim_fn_store(dev, buf, count, sim_fn_del);
}
static DEVICE_ATTR_WO(del_function);

/*
 * Splits a copy of @buf into at most @max words at @w; returns how many,
 * or -EINVAL for more words than @max or a line longer than @len.
 */
static int sim_words(const char *buf, char *copy, size_t len, char **w,
		     int max)
{
	char *p = copy, *word;
	int n = 0;

	if (strscpy(copy, buf, len) < 0)
		return -EINVAL;
	while ((word = strsep(&p, " \t\n"))) {
		if (!*word)
			continue;
		if (n == max)
			return -EINVAL;
		w[n++] = word;
	}
	return n;
}

/*
 * "ID SIZE|vol:VOLUME [QUEUES [QUEUE_SIZE [INSTANCES]]]": SIZE (memparse
 * suffixes) makes a private volume for the SF; vol:VOLUME presents listed
 * volume VOLUME (new_volume).  INSTANCES defaults to 4.
 */
static ssize_t new_sf_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	u32 id, queues = 1, qsize = 256, instances = 4, vol = SIM_VOL_PRIVATE;
	u32 *opt[] = { &queues, &qsize, &instances };
	char copy[128], *w[5], *end;
	u64 capacity = 0;
	int n, i, ret;

	n = sim_words(buf, copy, sizeof(copy), w, ARRAY_SIZE(w));
	if (n < 2 || kstrtou32(w[0], 10, &id))
		goto bad;
	for (i = 2; i < n; i++)
		if (kstrtou32(w[i], 10, opt[i - 2]))
			goto bad;
	if (!strncmp(w[1], "vol:", 4)) {
		if (kstrtou32(w[1] + 4, 10, &vol) || vol == SIM_VOL_PRIVATE)
			goto bad;
	} else {
		capacity = memparse(w[1], &end);
		if (*end || end == w[1])
			goto bad;
	}
	ret = sim_sf_add(sim_mgr_of(dev), id, vol, capacity, queues, qsize,
			 instances);
	return ret ? ret : count;
bad:
	dev_err(dev, "snapvf_sim: new_sf wants 'ID SIZE|vol:VOLUME [QUEUES [QUEUE_SIZE [INSTANCES]]]' (decimal numbers)\n");
	return -EINVAL;
}
static DEVICE_ATTR_WO(new_sf);

static ssize_t del_sf_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	u32 id;
	int ret;

	ret = kstrtou32(buf, 0, &id);
	if (ret) {
		dev_err(dev, "snapvf_sim: del_sf wants an SF id\n");
		return ret;
	}
	ret = sim_sf_del(sim_mgr_of(dev), id);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(del_sf);

/* "ID SIZE", SIZE with memparse suffixes */
static ssize_t new_volume_store(struct device *dev,
				struct device_attribute *attr, const char *buf,
				size_t count)
{
	char copy[64], *w[2], *end;
	u64 capacity;
	u32 id;
	int ret;

	if (sim_words(buf, copy, sizeof(copy), w, ARRAY_SIZE(w)) != 2 ||
	    kstrtou32(w[0], 10, &id))
		goto bad;
	capacity = memparse(w[1], &end);
	if (*end || end == w[1])
		goto bad;
	ret = sim_vol_add(sim_mgr_of(dev), id, capacity);
	return ret ? ret : count;
bad:
	dev_err(dev, "snapvf_sim: new_volume wants 'ID SIZE'\n");
	return -EINVAL;
}
static DEVICE_ATTR_WO(new_volume);

static ssize_t del_volume_store(struct device *dev,
				struct device_attribute *attr, const char *buf,
				size_t count)
{
	u32 id;
	int ret;

	ret = kstrtou32(buf, 0, &id);
	if (ret) {
		dev_err(dev, "snapvf_sim: del_volume wants a volume id\n");
		return ret;
	}
	ret = sim_vol_del(sim_mgr_of(dev), id);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(del_volume);

static struct attribute *sim_mgr_attrs[] = {
	&dev_attr_new_function.attr,
	&dev_attr_del_function.attr,
	&dev_attr_new_sf.attr,
	&dev_attr_del_sf.attr,
	&dev_attr_new_volume.attr,
	&dev_attr_del_volume.attr,
	NULL
};

static const struct attribute_group sim_mgr_group = {
	.name = "snapvf_sim",
	.attrs = sim_mgr_attrs,
};

const struct attribute_group *sim_mgr_groups[] = {
	&sim_mgr_group,
	NULL
};

/* ---- listings: /sys/kernel/debug/snapvf_sim/<manager>/ ---- */

static int functions_show(struct seq_file *m, void *unused)
{
	struct sim_mgr *mgr = m->private;
	struct sim_fn *fn;

	mutex_lock(&mgr->lock);
	list_for_each_entry(fn, &mgr->fns, node)
		seq_printf(m, "%s %s\n", pci_name(fn->pdev),
			   dev_name(&fn->afn->core.adev.dev));
	mutex_unlock(&mgr->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(functions);

static int sfs_show(struct seq_file *m, void *unused)
{
	struct sim_mgr *mgr = m->private;
	struct sim_sf *sf;

	mutex_lock(&mgr->lock);
	list_for_each_entry(sf, &mgr->sfs, node)
		seq_printf(m, "%u %s %llu\n", sf->id,
			   dev_name(&sf->asf->core.adev.dev), sf->capacity);
	mutex_unlock(&mgr->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sfs);

/* One line per listed volume: "ID BYTES SERIAL USERS". */
static int volumes_show(struct seq_file *m, void *unused)
{
	struct sim_mgr *mgr = m->private;
	struct sim_vol *vol;

	mutex_lock(&mgr->lock);
	list_for_each_entry(vol, &mgr->vols, node)
		seq_printf(m, "%u %llu %s %u\n", vol->id, vol->capacity,
			   vol->serial, vol->users);
	mutex_unlock(&mgr->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(volumes);

/**
 * sim_mgr_dbg_add() - create the manager's debugfs directory
 * @mgr: the manager, at the end of probe
 *
 * As for every debugfs user, failing to create it is not an error.
 */
void sim_mgr_dbg_add(struct sim_mgr *mgr)
{
	mgr->dbg = debugfs_create_dir(pci_name(mgr->pdev), sim_dbg_root);
	debugfs_create_file("functions", 0444, mgr->dbg, mgr, &functions_fops);
	debugfs_create_file("sfs", 0444, mgr->dbg, mgr, &sfs_fops);
	debugfs_create_file("volumes", 0444, mgr->dbg, mgr, &volumes_fops);
}

/**
 * sim_mgr_dbg_del() - remove the manager's debugfs directory
 * @mgr: the manager, at the start of remove (no lock held)
 */
void sim_mgr_dbg_del(struct sim_mgr *mgr)
{
	debugfs_remove_recursive(mgr->dbg);
	mgr->dbg = NULL;
}
