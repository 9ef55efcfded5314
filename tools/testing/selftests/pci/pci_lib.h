/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the pci test group and benchmarks: the simulator's control
 * files, the kernel log (generic sysfs, binding and module helpers are
 * tools/include/svf_sysfs.h).  Everything returns 0 or -errno and prints
 * nothing.
 */
#ifndef _SVF_PCI_LIB_H
#define _SVF_PCI_LIB_H

#include "svf_sysfs.h"
#include "svf_vfio.h"

#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110
#define MGR_VENDOR	0x1b36	/* pci-testdev: the simulator's manager */
#define MGR_DEVICE	0x0005
#define SNAP_DRV	"snapvf_pci"
#define STATE_BAR	VFIO_PCI_BAR2_REGION_INDEX
#define MAX_FNS		8

/* ---- simulator ---- */

/* Control directory of the first simulator manager, "" if none. */
static SVF_UNUSED int sim_dir(char *out, size_t len)
{
	char mgr[MAX_FNS][32];
	int n;

	n = svf_find_pci(MGR_VENDOR, MGR_DEVICE, mgr, MAX_FNS);
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
	return svf_sysfs_write(p, val);
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
		svf_pci_wait_driver(bdf, NULL, 5000);
	return ret;
}

/* sysfs directory of the aux device the simulator published for @bdf */
static SVF_UNUSED int sim_fn_dir(const char *bdf, char *out, size_t len)
{
	snprintf(out, len, "/sys/bus/auxiliary/devices/snapvf_sim.vfio_pci.%u",
		 svf_fn_id(bdf));
	return access(out, F_OK) ? -ENODEV : 0;
}

/*
 * Find the simulator's knob @name of @bdf (in debugfs): -ENODEV if @bdf
 * is not published, -ENOENT if it has no such knob.
 */
static SVF_UNUSED int sim_knob_path(const char *bdf, const char *name,
				    char *out, size_t len)
{
	char d[128];

	if (sim_fn_dir(bdf, d, sizeof(d)))
		return -ENODEV;
	svf_sim_fn_knob(out, len, bdf, name);
	return access(out, F_OK) ? -ENOENT : 0;
}

static SVF_UNUSED int sim_knob(const char *bdf, const char *name,
			       const char *val)
{
	char p[PATH_MAX];
	int ret;

	ret = sim_knob_path(bdf, name, p, sizeof(p));
	return ret ? ret : svf_sysfs_write(p, val);
}

static SVF_UNUSED int sim_knob_read(const char *bdf, const char *name,
				    char *buf, size_t len)
{
	char p[PATH_MAX];
	int ret;

	ret = sim_knob_path(bdf, name, p, sizeof(p));
	return ret ? ret : svf_sysfs_read(p, buf, len);
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
