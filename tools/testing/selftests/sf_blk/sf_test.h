/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the sf_blk tests: SF parent and mdev type paths,
 * instance create/remove through the standard mdev sysfs.
 *
 * The setup script (setup.sh) loads snapvf_sim + snapvf_sf and creates
 * SF 0 and SF 1; tests use SF 0 unless they say otherwise.
 */
#ifndef _SF_TEST_H
#define _SF_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SF_DEV(id)	"/sys/bus/auxiliary/devices/snapvf_sim.sf." #id
#define SF_TYPE_1Q	"snapvf_sf.blk-1q-64MiB"
#define SF_TYPE_4Q	"snapvf_sf.blk-4q-256MiB"

static inline int sf_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static inline long sf_read_long(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 0) : -EIO;
}

/* Path of attribute @attr of type @type on SF directory @sf. */
static inline void sf_type_path(char *out, size_t len, const char *sf,
				const char *type, const char *attr)
{
	snprintf(out, len, "%s/mdev_supported_types/%s/%s", sf, type, attr);
}

static inline long sf_available(const char *sf, const char *type)
{
	char p[256];

	sf_type_path(p, sizeof(p), sf, type, "available_instances");
	return sf_read_long(p);
}

/* Deterministic uuid from @n (distinct per test via @tag). */
static inline void sf_uuid(char out[37], unsigned int tag, unsigned int n)
{
	snprintf(out, 37, "%08x-5f5f-4b4b-8c8c-%012x", tag, n);
}

static inline int sf_create(const char *sf, const char *type, const char *uuid)
{
	char p[256];

	sf_type_path(p, sizeof(p), sf, type, "create");
	return sf_write(p, uuid);
}

static inline int sf_remove(const char *uuid)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/bus/mdev/devices/%s/remove", uuid);
	return sf_write(p, "1");
}

static inline int sf_exists(const char *uuid)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/bus/mdev/devices/%s", uuid);
	return access(p, F_OK) == 0;
}

#endif /* _SF_TEST_H */
