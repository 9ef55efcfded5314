/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svf_sysfs.h - sysfs, PCI binding and module helpers for snapvf's tests,
 * benchmarks and tools.  Header-only; every function returns 0 or -errno
 * (unless documented otherwise) and prints nothing.
 *
 * Builds on svf_vfio.h (the VFIO side), which it includes.
 */
#ifndef _SVF_SYSFS_H
#define _SVF_SYSFS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "svf_vfio.h"	/* svf_vfio_driver_of(), SVF_UNUSED */

#define SVF_PCI_DEVICES	"/sys/bus/pci/devices"
#define SVF_AUX_DEVICES	"/sys/bus/auxiliary/devices"
#define SVF_BDF_LEN	32

/* svf_sysfs_write() - write @val to @path in one write() */
static SVF_UNUSED int svf_sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

/*
 * svf_sysfs_read_raw() - read @path into @buf (@len >= 2 bytes incl. the
 * NUL) exactly as the attribute shows it, trailing newline included, in
 * one read().  Return: the bytes read, or -errno.
 */
static SVF_UNUSED ssize_t svf_sysfs_read_raw(const char *path, char *buf,
					     size_t len)
{
	ssize_t n;
	int fd;

	if (len < 2)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	return n;
}

/*
 * svf_sysfs_read() - read @path into @buf (@len bytes incl. the NUL),
 * trailing white space stripped
 */
static SVF_UNUSED int svf_sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n = svf_sysfs_read_raw(path, buf, len);
	size_t end;

	if (n < 0)
		return n;
	for (end = n; end && (buf[end - 1] == '\n' || buf[end - 1] == ' '); end--)
		;
	buf[end] = '\0';
	return 0;
}

/* svf_sysfs_u64() - a number (any base strtoull accepts); ~0 on error */
static SVF_UNUSED unsigned long long svf_sysfs_u64(const char *path)
{
	char b[64];

	if (svf_sysfs_read(path, b, sizeof(b)))
		return ~0ull;
	return strtoull(b, NULL, 0);
}

/* svf_exists() - 1 if @path exists, else 0 */
static SVF_UNUSED int svf_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static SVF_UNUSED int svf_cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * svf_find_pci() - PCI functions @vendor:@device, sorted by address
 * @out: up to @max addresses ("DDDD:BB:SS.F")
 *
 * Return: how many were found, or -errno.
 */
static SVF_UNUSED int svf_find_pci(unsigned int vendor, unsigned int device,
				   char out[][SVF_BDF_LEN], int max)
{
	DIR *d = opendir(SVF_PCI_DEVICES);
	struct dirent *e;
	char p[PATH_MAX];
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), SVF_PCI_DEVICES "/%s/vendor", e->d_name);
		if (svf_sysfs_u64(p) != vendor)
			continue;
		snprintf(p, sizeof(p), SVF_PCI_DEVICES "/%s/device", e->d_name);
		if (svf_sysfs_u64(p) != device)
			continue;
		snprintf(out[n++], SVF_BDF_LEN, "%.31s", e->d_name);
	}
	closedir(d);
	qsort(out, n, SVF_BDF_LEN, svf_cmp_bdf);
	return n;
}

/* svf_pci_attr() - write @val to /sys/bus/pci/devices/@bdf/@attr */
static SVF_UNUSED int svf_pci_attr(const char *bdf, const char *attr,
				   const char *val)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), SVF_PCI_DEVICES "/%s/%s", bdf, attr);
	return svf_sysfs_write(p, val);
}

/* svf_pci_is_bound() - bound to @drv (NULL: to any driver)?  1 or 0 */
static SVF_UNUSED int svf_pci_is_bound(const char *bdf, const char *drv)
{
	char cur[64];

	svf_vfio_driver_of(bdf, cur, sizeof(cur));
	return drv ? !strcmp(cur, drv) : cur[0] != '\0';
}

/*
 * svf_pci_is_vfio_driver() - does PCI driver @drv register vfio devices?
 * (its module is a holder of vfio.ko, as vfio-pci and snapvf_pci are)
 */
static SVF_UNUSED int svf_pci_is_vfio_driver(const char *drv)
{
	char p[PATH_MAX], link[NAME_MAX + 64], *mod;
	ssize_t n;

	snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/module", drv);
	n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	mod = strrchr(link, '/');
	snprintf(p, sizeof(p), "/sys/module/vfio/holders/%s",
		 mod ? mod + 1 : link);
	return svf_exists(p);
}

/* svf_has_vfio_dev() - is a vfio device registered for @bdf (vfio-dev/)? */
static SVF_UNUSED int svf_has_vfio_dev(const char *bdf)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int ret = 0;

	snprintf(p, sizeof(p), SVF_PCI_DEVICES "/%s/vfio-dev", bdf);
	d = opendir(p);
	if (!d)
		return 0;
	while (!ret && (e = readdir(d)))
		ret = !strncmp(e->d_name, "vfio", 4);
	closedir(d);
	return ret;
}

/*
 * svf_pci_settle() - wait for a probe of @bdf by @drv in flight to end
 *
 * Return: 1 if @bdf is then bound to @drv (the probe succeeded), else 0.
 *
 * Nothing in sysfs tells when a probe returned.  The driver core creates
 * <dev>/driver before it calls probe(), and a vfio driver's probe shows
 * <dev>/vfio-dev/vfioN and the group's /dev/vfio/N while it is still
 * running: the 6.12 vfio core adds the vfio device (vfio_device_add()) and
 * only then puts it on its group's device list, the list
 * VFIO_GROUP_GET_DEVICE_FD searches (-ENODEV until then; __vfio_register_dev()
 * in drivers/vfio/vfio_main.c), and snapvf_pci's probe pairs the function
 * with its parent after that.  An asynchronous attach (a parent publishing
 * a function makes snapvf_pci attach it from a work item) may be anywhere
 * in there when a test looks.
 *
 * The driver core holds the device lock across probe(), and so does a
 * write to @drv's "bind": the write waits for a probe in flight and then
 * fails with -EBUSY if the function is bound, i.e. that probe succeeded.
 * Had it failed meanwhile, the write probes once more itself, which is
 * what a caller waiting for @drv wants anyway.  Where @drv no longer
 * matches @bdf (driver_override changed since) the write takes no lock;
 * then the vfio device's presence is all there is to go by.
 *
 * Blocks for as long as a probe or a remove of @bdf runs: not for use
 * while this process holds a device fd of @bdf that a pending unbind waits
 * for.
 */
static SVF_UNUSED int svf_pci_settle(const char *bdf, const char *drv)
{
	char p[PATH_MAX];
	int ret;

	if (!drv || !svf_pci_is_bound(bdf, drv))
		return 0;
	snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", drv);
	ret = svf_sysfs_write(p, bdf);
	if (!svf_pci_is_bound(bdf, drv))
		return 0;
	if (!ret || ret == -EBUSY)
		return 1;
	return !svf_pci_is_vfio_driver(drv) || svf_has_vfio_dev(bdf);
}

/*
 * svf_pci_probed() - is @bdf bound to @drv with its probe finished?
 * (see svf_pci_settle(); this waits for a probe in flight)
 *
 * A vfio driver's device must be registered (<dev>/vfio-dev/vfioN) before
 * the probe is waited for, so that a poll loop does not keep the device
 * lock busy early in the probe.
 */
static SVF_UNUSED int svf_pci_probed(const char *bdf, const char *drv)
{
	if (!svf_pci_is_bound(bdf, drv))
		return 0;
	if (svf_pci_is_vfio_driver(drv) && !svf_has_vfio_dev(bdf))
		return 0;
	return svf_pci_settle(bdf, drv);
}

/*
 * svf_pci_unbind() - unbind @bdf from whatever driver it has, if any.
 * Also from a driver that attached it by itself a moment ago: to give a
 * function to a driver, use svf_pci_bind().
 */
static SVF_UNUSED int svf_pci_unbind(const char *bdf)
{
	if (!svf_pci_is_bound(bdf, NULL))
		return 0;
	return svf_pci_attr(bdf, "driver/unbind", bdf);
}

/*
 * svf_pci_wait_driver() - poll until @bdf is bound to @drv and probed
 * (svf_pci_probed()), or with @drv NULL until it is unbound
 */
static SVF_UNUSED int svf_pci_wait_driver(const char *bdf, const char *drv,
					  int ms)
{
	for (; ms >= 0; ms -= 20) {
		if (drv ? svf_pci_probed(bdf, drv) : !svf_pci_is_bound(bdf, NULL))
			return 0;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

/*
 * svf_pci_bind() - give @bdf to @drv as an admin does: release it from
 * another driver, set driver_override, write the driver's "bind", and
 * return once the probe finished (svf_pci_probed()).
 *
 * Never unbinds @drv itself: a driver may attach the function by itself
 * at any moment (snapvf_pci does, from a work item, when a parent
 * publishes it), so "is it bound to @drv?  no: unbind, bind" could
 * release a device that @drv attached between the check and the unbind
 * (silently: the driver just sees a remove).  Another driver is released
 * through its own "unbind", which acts only if the function is still
 * bound to that driver.  A bind that finds the function bound to @drv
 * (-EBUSY) waited for that probe to end (svf_pci_settle()): success.
 */
static SVF_UNUSED int svf_pci_bind(const char *bdf, const char *drv)
{
	char p[PATH_MAX], cur[64];
	int ret;

	svf_vfio_driver_of(bdf, cur, sizeof(cur));
	if (cur[0] && strcmp(cur, drv)) {
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/unbind", cur);
		ret = svf_sysfs_write(p, bdf);
		/* -ENODEV: no longer bound to it */
		if (ret && ret != -ENODEV)
			return ret;
	}
	ret = svf_pci_attr(bdf, "driver_override", drv);
	if (ret)
		return ret;
	snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", drv);
	ret = svf_sysfs_write(p, bdf);
	if (ret == -EBUSY && svf_pci_is_bound(bdf, drv))
		ret = 0;
	return ret ? ret : svf_pci_wait_driver(bdf, drv, 5000);
}

/* svf_fn_id() - fn-id of include/snapvf/aux.h, ~0 for a bad address */
static SVF_UNUSED unsigned int svf_fn_id(const char *bdf)
{
	unsigned int dom, bus, slot, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
		return ~0u;
	return dom << 16 | bus << 8 | slot << 3 | fn;
}

/*
 * The simulator's debugfs (Documentation/simulator.rst): one directory per
 * manager (its PCI address) and one per published aux device, named after
 * it, holding its knobs.
 */
#define SVF_SIM_DEBUGFS	"/sys/kernel/debug/snapvf_sim"

/*
 * svf_sim_fn_knob() - path of knob @name (NULL or "": the directory) of
 * the simulator's managed function @bdf
 */
static SVF_UNUSED void svf_sim_fn_knob(char *out, size_t len, const char *bdf,
				       const char *name)
{
	snprintf(out, len, SVF_SIM_DEBUGFS "/snapvf_sim.vfio_pci.%u%s%s",
		 svf_fn_id(bdf), name && *name ? "/" : "", name ? name : "");
}

/*
 * svf_shell() - run a command in the guest with tools/vm/guest-lib.sh
 * sourced (needs $SVF_TOP), its stdout sent to stderr.
 * Return: its exit code, 128 if it did not exit.
 */
static SVF_UNUSED __attribute__((format(printf, 1, 2)))
int svf_shell(const char *fmt, ...)
{
	char cmd[1024], full[1200];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full),
		 "bash -c '. \"$SVF_TOP/tools/vm/guest-lib.sh\" && %s' >&2", cmd);
	st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* svf_modload() - load the tree's module @name (and its dependencies) */
static SVF_UNUSED int svf_modload(const char *name)
{
	return svf_shell("svf_modload %s", name) ? -EIO : 0;
}

/* svf_modunload() - unload module @name */
static SVF_UNUSED int svf_modunload(const char *name)
{
	return svf_shell("svf_modunload %s", name) ? -EIO : 0;
}

/* svf_mod_loaded() - 1 if module @name is loaded, else 0 */
static SVF_UNUSED int svf_mod_loaded(const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/module/%s", name);
	return svf_exists(p);
}

/* ------------------------------------------------------------ mdev */

/*
 * The standard mdev sysfs: a parent device directory (a sysfs path, e.g.
 * /sys/bus/auxiliary/devices/snapvf_sim.sf.0) has
 * mdev_supported_types/<type>/{create,available_instances,...}; an
 * instance is /sys/bus/mdev/devices/<uuid> with a "remove" attribute.
 */
#define SVF_MDEV_DEVICES	"/sys/bus/mdev/devices"

/* svf_mdev_type_attr() - path of attribute @attr of mdev type @type of @parent */
static SVF_UNUSED void svf_mdev_type_attr(char *out, size_t len,
					  const char *parent, const char *type,
					  const char *attr)
{
	snprintf(out, len, "%s/mdev_supported_types/%s/%s", parent, type, attr);
}

/*
 * svf_mdev_create() - create instance @uuid of type @type on @parent
 * Return: 0 or the -errno the kernel gave the write (-EINVAL, -EEXIST, ...).
 */
static SVF_UNUSED int svf_mdev_create(const char *parent, const char *type,
				      const char *uuid)
{
	char p[PATH_MAX];

	svf_mdev_type_attr(p, sizeof(p), parent, type, "create");
	return svf_sysfs_write(p, uuid);
}

/* svf_mdev_remove() - remove instance @uuid ("1" to its "remove") */
static SVF_UNUSED int svf_mdev_remove(const char *uuid)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), SVF_MDEV_DEVICES "/%s/remove", uuid);
	return svf_sysfs_write(p, "1");
}

/**
 * struct svf_mdev_remover - an instance removed from a background thread
 * @uuid: the instance
 * @ret: svf_mdev_remove()'s result, once @done
 * @done: set when the removal returned (removal waits while the device
 *	fd is open, so a test can check it is still pending)
 * @thread: the thread
 */
struct svf_mdev_remover {
	char uuid[40];
	int ret;
	volatile int done;
	pthread_t thread;
};

static SVF_UNUSED void *svf_mdev_remover_fn(void *arg)
{
	struct svf_mdev_remover *r = arg;

	r->ret = svf_mdev_remove(r->uuid);
	r->done = 1;
	return NULL;
}

/* svf_mdev_remove_start() - start removing @uuid in the background; 0/-errno */
static SVF_UNUSED int svf_mdev_remove_start(struct svf_mdev_remover *r,
					    const char *uuid)
{
	memset(r, 0, sizeof(*r));
	svf_strlcpy(r->uuid, uuid, sizeof(r->uuid));
	return -pthread_create(&r->thread, NULL, svf_mdev_remover_fn, r);
}

/* svf_mdev_remove_join() - wait for the removal; its result */
static SVF_UNUSED int svf_mdev_remove_join(struct svf_mdev_remover *r)
{
	pthread_join(r->thread, NULL);
	return r->ret;
}

/* svf_mdev_exists() - 1 if instance @uuid exists, else 0 */
static SVF_UNUSED int svf_mdev_exists(const char *uuid)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), SVF_MDEV_DEVICES "/%s", uuid);
	return svf_exists(p);
}

/*
 * svf_mdev_available() - available_instances of type @type on @parent
 * Return: the count (decimal in sysfs), or -errno.
 */
static SVF_UNUSED long svf_mdev_available(const char *parent, const char *type)
{
	char p[PATH_MAX], b[64];
	int ret;

	svf_mdev_type_attr(p, sizeof(p), parent, type, "available_instances");
	ret = svf_sysfs_read(p, b, sizeof(b));
	return ret ? ret : strtol(b, NULL, 10);
}

#endif /* _SVF_SYSFS_H */
