/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the pci test group and benchmarks: sysfs binding, modules,
 * the simulator's control files, the kernel log.  Everything returns 0 or
 * -errno and prints nothing.
 */
#ifndef _SVF_PCI_LIB_H
#define _SVF_PCI_LIB_H

#include <dirent.h>
#include <stdarg.h>
#include <sys/wait.h>
#include "svf_vfio.h"

#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110
#define MGR_VENDOR	0x1b36	/* pci-testdev: the simulator's manager */
#define MGR_DEVICE	0x0005
#define SNAP_DRV	"snapvf_pci"
#define STATE_BAR	VFIO_PCI_BAR2_REGION_INDEX
#define MAX_FNS		8

static SVF_UNUSED int sysfs_write(const char *path, const char *s)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static SVF_UNUSED int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static SVF_UNUSED unsigned long sysfs_hex(const char *dir, const char *name)
{
	char p[PATH_MAX + 64], buf[64];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (sysfs_read(p, buf, sizeof(buf)))
		return ~0UL;
	return strtoul(buf, NULL, 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* All functions vendor:device, sorted by address.  Return: how many. */
static SVF_UNUSED int find_pci(unsigned int vendor, unsigned int device,
			       char out[][32], int max)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	char p[512];
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", e->d_name);
		if (sysfs_hex(p, "vendor") != vendor ||
		    sysfs_hex(p, "device") != device)
			continue;
		svf_strlcpy(out[n++], e->d_name, 32);
	}
	closedir(d);
	qsort(out, n, 32, cmp_str);
	return n;
}

static SVF_UNUSED int pci_attr(const char *bdf, const char *attr,
			       const char *val)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	return sysfs_write(p, val);
}

static SVF_UNUSED int pci_is_bound(const char *bdf, const char *drv)
{
	char cur[64];

	svf_vfio_driver_of(bdf, cur, sizeof(cur));
	return drv ? !strcmp(cur, drv) : cur[0] != '\0';
}

static SVF_UNUSED int pci_unbind(const char *bdf)
{
	if (!pci_is_bound(bdf, NULL))
		return 0;
	return pci_attr(bdf, "driver/unbind", bdf);
}

/*
 * Give @bdf to driver @drv the way an admin does: unbind, driver_override,
 * then "bind" on the driver.  Return: what the bind write returned.
 */
static SVF_UNUSED int pci_bind(const char *bdf, const char *drv)
{
	char p[PATH_MAX];
	int ret;

	if (pci_is_bound(bdf, drv))
		return 0;
	ret = pci_unbind(bdf);
	if (ret)
		return ret;
	ret = pci_attr(bdf, "driver_override", drv);
	if (ret)
		return ret;
	snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", drv);
	ret = sysfs_write(p, bdf);
	/* snapvf_pci may have attached it by itself meanwhile */
	if (ret == -EBUSY && pci_is_bound(bdf, drv))
		ret = 0;
	return ret;
}

/* Poll until @bdf is bound to @drv (NULL: unbound).  Return: 0 or -ETIMEDOUT. */
static SVF_UNUSED int pci_wait_driver(const char *bdf, const char *drv, int ms)
{
	char cur[64];

	for (; ms >= 0; ms -= 20) {
		svf_vfio_driver_of(bdf, cur, sizeof(cur));
		if (drv ? !strcmp(cur, drv) : !cur[0])
			return 0;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

/* Run a shell command with the guest library sourced.  Return: exit code. */
static SVF_UNUSED int shell(const char *fmt, ...)
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

static SVF_UNUSED int mod_loaded(const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/module/%s/initstate", name);
	return access(p, F_OK) == 0;
}

static SVF_UNUSED int modload(const char *name)
{
	return shell("svf_modload %s", name) ? -EIO : 0;
}

static SVF_UNUSED int modunload(const char *name)
{
	return shell("svf_modunload %s", name) ? -EIO : 0;
}

/* ---- simulator ---- */

/* Control directory of the first simulator manager, "" if none. */
static SVF_UNUSED int sim_dir(char *out, size_t len)
{
	char mgr[MAX_FNS][32];
	int n;

	n = find_pci(MGR_VENDOR, MGR_DEVICE, mgr, MAX_FNS);
	if (n <= 0)
		return -ENODEV;
	snprintf(out, len, "/sys/bus/pci/devices/%s/snapvf_sim", mgr[0]);
	return access(out, F_OK) ? -ENODEV : 0;
}

static SVF_UNUSED int sim_ctl(const char *file, const char *val)
{
	char d[PATH_MAX], p[PATH_MAX + 32];
	int ret;

	ret = sim_dir(d, sizeof(d));
	if (ret)
		return ret;
	snprintf(p, sizeof(p), "%s/%s", d, file);
	return sysfs_write(p, val);
}

static SVF_UNUSED int sim_add(const char *bdf)
{
	return sim_ctl("new_function", bdf);
}

/*
 * Withdraw @bdf from the simulator and wait until snapvf_pci has let the
 * function go (it unbinds withdrawn functions from a work item).
 */
static SVF_UNUSED int sim_del(const char *bdf)
{
	char cur[64];
	int ret;

	svf_vfio_driver_of(bdf, cur, sizeof(cur));
	ret = sim_ctl("del_function", bdf);
	if (!ret && !strcmp(cur, SNAP_DRV))
		pci_wait_driver(bdf, NULL, 5000);
	return ret;
}

/* fn-id of aux.h: domain << 16 | bus << 8 | devfn */
static SVF_UNUSED unsigned int fn_id(const char *bdf)
{
	unsigned int dom, bus, slot, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
		return ~0u;
	return dom << 16 | bus << 8 | slot << 3 | fn;
}

/* sysfs directory of the aux device the simulator published for @bdf */
static SVF_UNUSED int sim_fn_dir(const char *bdf, char *out, size_t len)
{
	snprintf(out, len, "/sys/bus/auxiliary/devices/snapvf_sim.vfio_pci.%u",
		 fn_id(bdf));
	return access(out, F_OK) ? -ENODEV : 0;
}

/* Find knob @name of @bdf's aux device (directly or in a subdirectory). */
static SVF_UNUSED int sim_knob_path(const char *bdf, const char *name,
				    char *out, size_t len)
{
	static const char * const sub[] = { "", "snapvf_sim/", "sim/" };
	char d[128];
	unsigned int i;

	if (sim_fn_dir(bdf, d, sizeof(d)))
		return -ENODEV;
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(out, len, "%s/%s%s", d, sub[i], name);
		if (!access(out, F_OK))
			return 0;
	}
	return -ENOENT;
}

static SVF_UNUSED int sim_knob(const char *bdf, const char *name,
			       const char *val)
{
	char p[PATH_MAX];
	int ret;

	ret = sim_knob_path(bdf, name, p, sizeof(p));
	return ret ? ret : sysfs_write(p, val);
}

static SVF_UNUSED int sim_knob_read(const char *bdf, const char *name,
				    char *buf, size_t len)
{
	char p[PATH_MAX];
	int ret;

	ret = sim_knob_path(bdf, name, p, sizeof(p));
	return ret ? ret : sysfs_read(p, buf, len);
}

/* ---- kernel log ---- */

/* Open /dev/kmsg positioned at its end: later reads see new lines only. */
static SVF_UNUSED int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Lines logged since kmsg_mark() that contain all of @a and @b (b may be NULL). */
static SVF_UNUSED int kmsg_count(int fd, const char *a, const char *b)
{
	char rec[2048];
	ssize_t n;
	int cnt = 0;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, a) && (!b || strstr(rec, b)))
			cnt++;
	}
	return cnt;
}

/* ---- device state helpers ---- */

static SVF_UNUSED void fill_pattern(void *p, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1, *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		q[i] = x;
	}
}

#endif /* _SVF_PCI_LIB_H */
