/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the migration selftests: the test devices of
 * snapvf_mig_test.ko (platform devices svf_mig_test.N), their sysfs knobs,
 * whole-stream save/load through data_fd, and kernel-log capture.  Their
 * streams are read with svf_stream.h (the uapi <snapvf/mig_stream.h>)
 * and the device's own records with the module's mig_test_stream.h.
 */
#ifndef _MIG_TEST_LIB_H
#define _MIG_TEST_LIB_H

#include "svf_kmsg.h"
#include <stdarg.h>
#include "svf_sysfs.h"	/* sysfs I/O; includes svf_vfio.h */
#include "svf_stream.h"	/* the stream format, <snapvf/mig_stream.h> */
/* the test device's records, shared with the module */
#include "../../modules/mig_test/mig_test_stream.h"

#define MT_SYSFS	"/sys/bus/platform/devices/svf_mig_test.%d"
#define MT_IO		(1 << 20)

/* Write the printf-formatted value to attribute @attr of test device @dev. */
static SVF_UNUSED int mt_attr_write(int dev, const char *attr, const char *fmt, ...)
{
	char path[128], val[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), MT_SYSFS "/%s", dev, attr);
	return svf_sysfs_write(path, val);
}

/*
 * Read attribute @attr of test device @dev as shown (trailing newline
 * kept: dirty_report's lines are compared whole).  Returns 0 or -errno.
 */
static SVF_UNUSED int mt_attr_read(int dev, const char *attr, char *buf, size_t len)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), MT_SYSFS "/%s", dev, attr);
	n = svf_sysfs_read_raw(path, buf, len);
	return n < 0 ? n : 0;
}

static SVF_UNUSED long mt_attr_long(int dev, const char *attr)
{
	char buf[64];

	if (mt_attr_read(dev, attr, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 0);
}

static SVF_UNUSED unsigned long mt_checksum(int dev)
{
	char buf[64];

	if (mt_attr_read(dev, "checksum", buf, sizeof(buf)))
		return ~0UL;
	return strtoul(buf, NULL, 16);
}

/* A named counter from the "counters" attribute. */
static SVF_UNUSED long mt_counter(int dev, const char *name)
{
	char buf[1024], *p;

	if (mt_attr_read(dev, "counters", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, name);
	return p ? strtol(p + strlen(name) + 1, NULL, 10) : -1;
}

static SVF_UNUSED int mt_open(struct svf_vfio *v, int dev)
{
	char path[128];

	snprintf(path, sizeof(path), MT_SYSFS, dev);
	return svf_vfio_open(v, path);
}

/* STOP -> STOP_COPY, read everything, back to STOP. */
static SVF_UNUSED ssize_t mt_save(struct svf_vfio *v, char **out)
{
	ssize_t len;
	int fd, ret;

	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	if (ret)
		return ret;
	len = svf_stream_read_all(fd, out);
	close(fd);
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	return ret ? ret : len;
}

/*
 * RESUMING, write @len bytes of @buf in @io sized writes, then try
 * RESUMING -> STOP.  Returns the first error (write or arc) or 0; the
 * device is left in STOP on success, RESUMING otherwise.
 */
static SVF_UNUSED int mt_load(struct svf_vfio *v, const char *buf, size_t len,
			      size_t io)
{
	size_t done = 0;
	int fd, ret = 0;
	ssize_t n;

	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_RESUMING, &fd);
	if (ret)
		return ret;
	while (done < len) {
		n = write(fd, buf + done, len - done < io ? len - done : io);
		if (n < 0) {
			ret = -errno;
			break;
		}
		done += n;
	}
	if (!ret)
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	close(fd);
	return ret;
}

#endif /* _MIG_TEST_LIB_H */
