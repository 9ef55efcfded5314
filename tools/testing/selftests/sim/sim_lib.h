/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the sim selftests: sysfs I/O returning -errno, finding the
 * guest's functions, loading the tree's modules through guest-lib.sh.
 */
#ifndef SIM_LIB_H
#define SIM_LIB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIM_UNUSED	__attribute__((unused))
#define AUX_DIR		"/sys/bus/auxiliary/devices"
#define MAX_FNS		8

/* Write @val to @path in one write(); 0 or -errno. */
static SIM_UNUSED int sysfs_write(const char *path, const char *val)
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

/* Read @path into @buf (NUL-terminated, trailing newline stripped). */
static SIM_UNUSED int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

static SIM_UNUSED unsigned long long sysfs_read_u64(const char *path)
{
	char b[64];

	if (sysfs_read(path, b, sizeof(b)))
		return ~0ull;
	return strtoull(b, NULL, 0);
}

static SIM_UNUSED int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* PCI addresses of functions @vendor:@device, sorted; returns the count. */
static SIM_UNUSED int find_pci(unsigned int vendor, unsigned int device,
			       char out[][32], int max)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char p[PATH_MAX];
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (sysfs_read_u64(p) != vendor)
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (sysfs_read_u64(p) != device)
			continue;
		snprintf(out[n++], 32, "%.31s", e->d_name);
	}
	closedir(d);
	qsort(out, n, 32, cmp_str);
	return n;
}

/* fn-id of include/snapvf/aux.h: domain << 16 | bus << 8 | devfn */
static SIM_UNUSED unsigned int fn_id(const char *bdf)
{
	unsigned int dom, bus, slot, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
		return ~0u;
	return dom << 16 | bus << 8 | slot << 3 | fn;
}

static SIM_UNUSED int shell(const char *fmt, const char *arg)
{
	char cmd[512], inner[256];

	snprintf(inner, sizeof(inner), fmt, arg);
	snprintf(cmd, sizeof(cmd),
		 "bash -c '. \"$SVF_TOP/tools/vm/guest-lib.sh\" && %s'", inner);
	return system(cmd);
}

static SIM_UNUSED int modload(const char *name)
{
	return shell("svf_modload %s", name) ? -EIO : 0;
}

static SIM_UNUSED int modunload(const char *name)
{
	return shell("svf_modunload %s", name) ? -EIO : 0;
}

static SIM_UNUSED int modloaded(const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/module/%s", name);
	return exists(p);
}

#endif /* SIM_LIB_H */
