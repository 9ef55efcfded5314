/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svf_vfio.h - small userspace VFIO helper library (header only).
 *
 * Opens a VFIO device the legacy way (container of type1 + group + device
 * fd) for a PCI function ("0000:00:03.0") or an mdev ("<uuid>" or a sysfs
 * path), and wraps region, interrupt, DMA and v2 migration ioctls.  Every
 * helper returns 0 (or a byte count) on success and -errno on failure, and
 * never prints: callers decide what to report.
 *
 * Used by tools/vmm (svf-vmm), the selftests and the benchmarks.  Builds
 * against Debian 12's 6.1 uAPI headers: the 6.2+ migration additions the
 * target kernel has are defined below when the installed header lacks them.
 */
#ifndef _SVF_VFIO_H
#define _SVF_VFIO_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

/* --- uAPI added in 6.2 (absent from Debian 12's 6.1 userspace headers) --- */
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY		(1 << 2)
#define VFIO_DEVICE_STATE_PRE_COPY	6
#define VFIO_DEVICE_STATE_PRE_COPY_P2P	7
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};
#define VFIO_MIG_GET_PRECOPY_INFO	_IO(VFIO_TYPE, VFIO_BASE + 21)
#endif
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
#endif

#define SVF_UNUSED __attribute__((unused))

/**
 * struct svf_vfio - one opened VFIO device
 * @container: /dev/vfio/vfio fd (type1 IOMMU set once the group is added)
 * @group: /dev/vfio/<n> fd
 * @device: device fd from VFIO_GROUP_GET_DEVICE_FD
 * @group_id: IOMMU group number
 * @name: device name as VFIO knows it (PCI address or mdev uuid)
 * @info: VFIO_DEVICE_GET_INFO result
 * @failed: after svf_vfio_open() failed, the step that did (for a log
 *	message), else NULL
 */
struct svf_vfio {
	int container;
	int group;
	int device;
	int group_id;
	char name[64];
	struct vfio_device_info info;
	const char *failed;
};

static inline int svf_err(void)
{
	return errno ? -errno : -EIO;
}

static inline void svf_strlcpy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Resolve the sysfs directory of @dev: a PCI address, an mdev uuid or a path. */
static SVF_UNUSED int svf_vfio_sysfs_path(const char *dev, char *out, size_t len)
{
	struct stat st;

	if (dev[0] == '/')
		svf_strlcpy(out, dev, len);
	else if (strlen(dev) == 36 && dev[8] == '-')
		snprintf(out, len, "/sys/bus/mdev/devices/%s", dev);
	else if (strchr(dev, ':') && strchr(dev, '.') &&
		 strlen(dev) < 10)	/* "00:03.0": add the domain */
		snprintf(out, len, "/sys/bus/pci/devices/0000:%s", dev);
	else
		snprintf(out, len, "/sys/bus/pci/devices/%s", dev);
	if (stat(out, &st))
		return -ENODEV;
	return 0;
}

/**
 * svf_vfio_group_of() - IOMMU group number of a device
 * @dev: PCI address, mdev uuid or sysfs path
 *
 * Return: the group number, or -errno.
 */
static SVF_UNUSED int svf_vfio_group_of(const char *dev)
{
	char path[PATH_MAX], link[PATH_MAX], *base;
	ssize_t n;
	int ret;

	ret = svf_vfio_sysfs_path(dev, path, sizeof(path));
	if (ret)
		return ret;
	strncat(path, "/iommu_group", sizeof(path) - strlen(path) - 1);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return svf_err();
	link[n] = '\0';
	base = strrchr(link, '/');
	return atoi(base ? base + 1 : link);
}

/**
 * svf_vfio_driver_of() - name of the driver bound to a device
 * @dev: PCI address, mdev uuid or sysfs path
 * @out: buffer for the name ("" if unbound)
 * @len: size of @out
 *
 * Return: 0 or -errno.
 */
static SVF_UNUSED int svf_vfio_driver_of(const char *dev, char *out, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX], *base;
	ssize_t n;
	int ret;

	out[0] = '\0';
	ret = svf_vfio_sysfs_path(dev, path, sizeof(path));
	if (ret)
		return ret;
	strncat(path, "/driver", sizeof(path) - strlen(path) - 1);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : svf_err();
	link[n] = '\0';
	base = strrchr(link, '/');
	svf_strlcpy(out, base ? base + 1 : link, len);
	return 0;
}

/**
 * svf_vfio_open() - open container, group and device fd for @dev
 * @v: state to fill
 * @dev: PCI address ("0000:00:03.0" or "00:03.0"), mdev uuid or sysfs path
 *
 * The container gets the type1 IOMMU.  A group holding several devices
 * works as long as the others are bound to a vfio driver or unbound.
 *
 * Return: 0 or -errno (everything opened so far is closed again; @v->failed
 * names the step that failed).
 */
static SVF_UNUSED int svf_vfio_open(struct svf_vfio *v, const char *dev)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[PATH_MAX], *base;
	int ret;

	memset(v, 0, sizeof(*v));
	v->container = v->group = v->device = -1;
	v->failed = "sysfs device";
	ret = svf_vfio_sysfs_path(dev, path, sizeof(path));
	if (ret)
		return ret;
	base = strrchr(path, '/');
	svf_strlcpy(v->name, base + 1, sizeof(v->name));
	v->failed = "iommu_group link";
	v->group_id = svf_vfio_group_of(path);
	if (v->group_id < 0)
		return v->group_id;

	v->failed = "open /dev/vfio/vfio";
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return svf_err();
	snprintf(path, sizeof(path), "/dev/vfio/%d", v->group_id);
	v->failed = "open /dev/vfio/<group>";
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		goto fail;
	v->failed = "VFIO_GROUP_GET_STATUS";
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs))
		goto fail;
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		v->failed = "group not viable";
		errno = EBUSY;
		goto fail;
	}
	v->failed = "VFIO_GROUP_SET_CONTAINER";
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		goto fail;
	v->failed = "VFIO_SET_IOMMU";
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) &&
	    ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		goto fail;
	v->failed = "VFIO_GROUP_GET_DEVICE_FD";
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->name);
	if (v->device < 0)
		goto fail;
	v->failed = "VFIO_DEVICE_GET_INFO";
	v->info.argsz = sizeof(v->info);
	if (ioctl(v->device, VFIO_DEVICE_GET_INFO, &v->info))
		goto fail;
	v->failed = NULL;
	return 0;
fail:
	ret = svf_err();
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	close(v->container);
	v->container = v->group = v->device = -1;
	return ret;
}

/**
 * svf_vfio_close() - close device, group and container (in that order)
 * @v: opened device; safe on a failed or already closed one
 */
static SVF_UNUSED void svf_vfio_close(struct svf_vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->container = v->group = v->device = -1;
}

/* ------------------------------------------------------------ regions */

/**
 * svf_vfio_region() - VFIO_DEVICE_GET_REGION_INFO for region @index
 * @v: opened device
 * @index: region index (e.g. VFIO_PCI_BAR2_REGION_INDEX)
 * @ri: result (without the capability chain)
 *
 * Return: 0 or -errno.
 */
static SVF_UNUSED int svf_vfio_region(struct svf_vfio *v, unsigned int index,
				      struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, ri) ? svf_err() : 0;
}

/* pread/pwrite of a whole buffer at @off inside region @index (trapped access). */
static SVF_UNUSED ssize_t svf_vfio_rw(struct svf_vfio *v, unsigned int index,
				      uint64_t off, void *buf, size_t len,
				      int write)
{
	struct vfio_region_info ri;
	size_t done = 0;
	ssize_t n;
	int ret;

	ret = svf_vfio_region(v, index, &ri);
	if (ret)
		return ret;
	if (off > ri.size || len > ri.size - off)
		return -EINVAL;
	while (done < len) {
		if (write)
			n = pwrite(v->device, (char *)buf + done, len - done,
				   ri.offset + off + done);
		else
			n = pread(v->device, (char *)buf + done, len - done,
				  ri.offset + off + done);
		if (n <= 0)
			return n < 0 ? svf_err() : -EIO;
		done += n;
	}
	return done;
}

static SVF_UNUSED ssize_t svf_vfio_read(struct svf_vfio *v, unsigned int index,
					uint64_t off, void *buf, size_t len)
{
	return svf_vfio_rw(v, index, off, buf, len, 0);
}

static SVF_UNUSED ssize_t svf_vfio_write(struct svf_vfio *v, unsigned int index,
					 uint64_t off, const void *buf,
					 size_t len)
{
	return svf_vfio_rw(v, index, off, (void *)buf, len, 1);
}

/**
 * svf_vfio_mmap() - map region @index (must have VFIO_REGION_INFO_FLAG_MMAP)
 * @v: opened device
 * @index: region index
 * @size: set to the region size
 *
 * Return: the mapping or NULL with errno set.
 */
static SVF_UNUSED void *svf_vfio_mmap(struct svf_vfio *v, unsigned int index,
				      size_t *size)
{
	struct vfio_region_info ri;
	void *p;

	if (svf_vfio_region(v, index, &ri))
		return NULL;
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || !ri.size) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, v->device,
		 ri.offset);
	if (p == MAP_FAILED)
		return NULL;
	*size = ri.size;
	return p;
}

/* ------------------------------------------------------------ DMA */

/**
 * svf_vfio_dma_map() - allocate @size bytes of anonymous memory, map at @iova
 * @v: opened device (its container)
 * @iova: I/O virtual address
 * @size: bytes, page multiple
 * @vaddr: set to the memory
 *
 * Return: 0 or -errno.
 */
static SVF_UNUSED int svf_vfio_dma_map(struct svf_vfio *v, uint64_t iova,
				       uint64_t size, void **vaddr)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	void *p;
	int ret;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return svf_err();
	m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	m.vaddr = (uintptr_t)p;
	m.iova = iova;
	m.size = size;
	if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m)) {
		ret = svf_err();
		munmap(p, size);
		return ret;
	}
	*vaddr = p;
	return 0;
}

static SVF_UNUSED int svf_vfio_dma_unmap(struct svf_vfio *v, uint64_t iova,
					 uint64_t size, void *vaddr)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u) };
	int ret = 0;

	u.iova = iova;
	u.size = size;
	if (ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u))
		ret = svf_err();
	if (vaddr)
		munmap(vaddr, size);
	return ret;
}

/* ------------------------------------------------------------ interrupts */

static SVF_UNUSED int svf_vfio_irq_info(struct svf_vfio *v, unsigned int index,
					struct vfio_irq_info *ii)
{
	memset(ii, 0, sizeof(*ii));
	ii->argsz = sizeof(*ii);
	ii->index = index;
	return ioctl(v->device, VFIO_DEVICE_GET_IRQ_INFO, ii) ? svf_err() : 0;
}

/**
 * svf_vfio_irq_eventfd() - trigger an eventfd for vector 0 of IRQ @index
 * @v: opened device
 * @index: e.g. VFIO_PCI_REQ_IRQ_INDEX or VFIO_PCI_MSI_IRQ_INDEX
 *
 * Return: the (non-blocking) eventfd, or -errno.
 */
static SVF_UNUSED int svf_vfio_irq_eventfd(struct svf_vfio *v,
					   unsigned int index)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
	int efd, ret;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return svf_err();
	s->argsz = sizeof(buf);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->start = 0;
	s->count = 1;
	memcpy(s->data, &efd, sizeof(int));
	if (ioctl(v->device, VFIO_DEVICE_SET_IRQS, s)) {
		ret = svf_err();
		close(efd);
		return ret;
	}
	return efd;
}

/* Disable every vector of IRQ @index. */
static SVF_UNUSED int svf_vfio_irq_disable(struct svf_vfio *v,
					   unsigned int index)
{
	struct vfio_irq_set s = {
		.argsz = sizeof(s),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
	};

	return ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s) ? svf_err() : 0;
}

/**
 * svf_wait_eventfd() - wait up to @ms milliseconds for @efd to fire
 * @efd: eventfd
 * @ms: timeout, -1 forever
 *
 * Return: the counter value (> 0), 0 on timeout, or -errno.
 */
static SVF_UNUSED int64_t svf_wait_eventfd(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t cnt;
	int ret;

	ret = poll(&p, 1, ms);
	if (ret <= 0)
		return ret < 0 ? svf_err() : 0;
	if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return svf_err();
	return cnt;
}

static SVF_UNUSED int svf_vfio_reset(struct svf_vfio *v)
{
	return ioctl(v->device, VFIO_DEVICE_RESET) ? svf_err() : 0;
}

/* ------------------------------------------------------------ features */

/* VFIO_DEVICE_FEATURE with a payload of @len bytes copied in and out. */
static SVF_UNUSED int svf_vfio_feature(struct svf_vfio *v, uint32_t flags,
				       void *data, size_t len)
{
	struct vfio_device_feature *f;
	int ret = 0;

	f = calloc(1, sizeof(*f) + len);
	if (!f)
		return -ENOMEM;
	f->argsz = sizeof(*f) + len;
	f->flags = flags;
	if (data && len)
		memcpy(f->data, data, len);
	if (ioctl(v->device, VFIO_DEVICE_FEATURE, f))
		ret = svf_err();
	else if (data && len)
		memcpy(data, f->data, len);
	free(f);
	return ret;
}

/* ------------------------------------------------------------ migration */

static SVF_UNUSED const char *svf_mig_state_name(uint32_t s)
{
	static const char * const names[] = {
		"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING",
		"RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/**
 * svf_vfio_mig_flags() - VFIO_DEVICE_FEATURE_MIGRATION flags
 * @v: opened device
 * @flags: set to VFIO_MIGRATION_* bits
 *
 * Return: 0, or -errno (-ENOTTY: the device does not migrate).
 */
static SVF_UNUSED int svf_vfio_mig_flags(struct svf_vfio *v, uint64_t *flags)
{
	struct vfio_device_feature_migration m = { 0 };
	int ret;

	ret = svf_vfio_feature(v, VFIO_DEVICE_FEATURE_GET |
			       VFIO_DEVICE_FEATURE_MIGRATION, &m, sizeof(m));
	if (!ret)
		*flags = m.flags;
	return ret;
}

/**
 * svf_vfio_mig_set() - move the device to @state
 * @v: opened device
 * @state: VFIO_DEVICE_STATE_*
 * @data_fd: if not NULL, set to the new data_fd or -1 when none was created
 *
 * A data_fd returned here belongs to the caller; one the caller did not
 * ask for is closed.
 *
 * Return: 0 or -errno.
 */
static SVF_UNUSED int svf_vfio_mig_set(struct svf_vfio *v, uint32_t state,
				       int *data_fd)
{
	struct vfio_device_feature_mig_state s = { .device_state = state,
						   .data_fd = -1 };
	int ret;

	ret = svf_vfio_feature(v, VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			       &s, sizeof(s));
	if (data_fd)
		*data_fd = ret ? -1 : s.data_fd;
	else if (!ret && s.data_fd >= 0)
		close(s.data_fd);
	return ret;
}

static SVF_UNUSED int svf_vfio_mig_get(struct svf_vfio *v, uint32_t *state)
{
	struct vfio_device_feature_mig_state s = { 0 };
	int ret;

	ret = svf_vfio_feature(v, VFIO_DEVICE_FEATURE_GET |
			       VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			       &s, sizeof(s));
	if (!ret)
		*state = s.device_state;
	return ret;
}

/* VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: estimated STOP_COPY bytes. */
static SVF_UNUSED int svf_vfio_mig_data_size(struct svf_vfio *v,
					     uint64_t *bytes)
{
	struct vfio_device_feature_mig_data_size d = { 0 };
	int ret;

	ret = svf_vfio_feature(v, VFIO_DEVICE_FEATURE_GET |
			       VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
			       &d, sizeof(d));
	if (!ret)
		*bytes = d.stop_copy_length;
	return ret;
}

/* VFIO_MIG_GET_PRECOPY_INFO on a PRE_COPY data_fd. */
static SVF_UNUSED int svf_vfio_precopy_info(int data_fd, uint64_t *initial,
					    uint64_t *dirty)
{
	struct vfio_precopy_info pi = { .argsz = sizeof(pi) };

	if (ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, &pi))
		return svf_err();
	*initial = pi.initial_bytes;
	*dirty = pi.dirty_bytes;
	return 0;
}

static SVF_UNUSED int svf_write_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? svf_err() : -EIO;
		done += n;
	}
	return 0;
}

/**
 * svf_mig_copy() - copy a data stream from @in to @out
 * @in: fd to read (a saving data_fd, a file or a pipe)
 * @out: fd to write (a file, a pipe or a resuming data_fd), -1 to discard
 * @limit: stop after this many bytes (0: until end of file).  A PRE_COPY
 *	data_fd reports end of file (or -ENOMSG) when the current round is
 *	drained; STOP_COPY's end of file is the end of the state.
 * @chunk: read size (e.g. 1 MiB)
 *
 * Return: bytes copied, or -errno.  -ENOMSG from a PRE_COPY data_fd ends the
 * round and is not an error.
 */
static SVF_UNUSED int64_t svf_mig_copy(int in, int out, uint64_t limit,
				       size_t chunk)
{
	int64_t total = 0;
	size_t want;
	ssize_t n;
	char *buf;
	int ret;

	buf = malloc(chunk);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		want = chunk;
		if (limit && limit - total < want)
			want = limit - total;
		if (!want)
			break;
		n = read(in, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOMSG)
			break;
		if (n < 0) {
			total = svf_err();
			break;
		}
		if (n == 0)
			break;
		if (out >= 0) {
			ret = svf_write_all(out, buf, n);
			if (ret) {
				total = ret;
				break;
			}
		}
		total += n;
	}
	free(buf);
	return total;
}

/**
 * svf_crc32c() - CRC-32C (Castagnoli, reflected polynomial 0x82f63b78)
 * @crc: running value; start with ~0U
 * @data: bytes to add
 * @len: how many
 *
 * Bitwise, no table.  No final inversion: the migration stream stores
 * ~svf_crc32c(~0U, ...) (Documentation/migration-stream.rst), which tests
 * that reseal a changed stream compute with this.
 *
 * Return: the updated running value.
 */
static SVF_UNUSED uint32_t svf_crc32c(uint32_t crc, const void *data,
				      size_t len)
{
	const uint8_t *p = data;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return crc;
}

/* ------------------------------------------------------------ DMA logging */

/**
 * svf_kernel_dma_log() - can the running kernel report DMA dirty pages?
 *
 * The vfio core's DMA_LOGGING_REPORT needs iova_bitmap, built only with
 * CONFIG_IOMMUFD_DRIVER; without it snapvf devices offer no DMA logging
 * (include/snapvf/compat.h, SVF_HAVE_IOVA_BITMAP).  Decided here from the
 * running kernel's own config, independently of our modules.
 *
 * Return: 1 if it can, 0 if not, -ENOENT if the config cannot be found.
 */
static SVF_UNUSED int svf_kernel_dma_log(void)
{
	static const char *const fmt[] = {
		"/boot/config-%s", "/lib/modules/%s/build/.config",
	};
	static int known = -1;
	char path[300], line[256];
	struct utsname u;
	unsigned int i;
	FILE *f = NULL;

	if (known >= 0)
		return known;
	if (uname(&u))
		return -errno;
	for (i = 0; i < 2 && !f; i++) {
		snprintf(path, sizeof(path), fmt[i], u.release);
		f = fopen(path, "re");
	}
	if (!f)
		return -ENOENT;
	known = 0;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "CONFIG_IOMMUFD_DRIVER=y\n"))
			known = 1;
	fclose(f);
	return known;
}

/* PROBE of VFIO_DEVICE_FEATURE_DMA_LOGGING_START: 0 if offered, or -errno. */
static SVF_UNUSED int svf_vfio_dma_log_probe(struct svf_vfio *v)
{
	return svf_vfio_feature(v, VFIO_DEVICE_FEATURE_PROBE |
				VFIO_DEVICE_FEATURE_SET |
				VFIO_DEVICE_FEATURE_DMA_LOGGING_START, NULL, 0);
}

/**
 * svf_vfio_dma_log_start_ranges() - VFIO_DEVICE_FEATURE_DMA_LOGGING_START
 * @v: opened device
 * @page_size: in: tracking granularity; out: what the driver took
 * @r: the ranges
 * @n: how many
 *
 * Return: 0 or -errno (-ENOTTY: no DMA logging).
 */
static SVF_UNUSED int
svf_vfio_dma_log_start_ranges(struct svf_vfio *v, uint64_t *page_size,
			      struct vfio_device_feature_dma_logging_range *r,
			      int n)
{
	struct vfio_device_feature_dma_logging_control c = {
		.page_size = *page_size, .num_ranges = n,
		.ranges = (uintptr_t)r,
	};
	int ret;

	ret = svf_vfio_feature(v, VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			       &c, sizeof(c));
	if (!ret)
		*page_size = c.page_size;
	return ret;
}

/**
 * svf_vfio_dma_log_start() - VFIO_DEVICE_FEATURE_DMA_LOGGING_START, one range
 * @v: opened device
 * @iova: start of the range
 * @len: bytes
 * @page_size: tracking granularity
 *
 * Return: 0 or -errno (-ENOTTY: no DMA logging).
 */
static SVF_UNUSED int svf_vfio_dma_log_start(struct svf_vfio *v, uint64_t iova,
					     uint64_t len, uint64_t page_size)
{
	struct vfio_device_feature_dma_logging_range r = { iova, len };

	return svf_vfio_dma_log_start_ranges(v, &page_size, &r, 1);
}

static SVF_UNUSED int svf_vfio_dma_log_stop(struct svf_vfio *v)
{
	return svf_vfio_feature(v, VFIO_DEVICE_FEATURE_SET |
				VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0);
}

/* Read and clear the dirty bitmap of [iova, iova + len) into @bitmap. */
static SVF_UNUSED int svf_vfio_dma_log_report(struct svf_vfio *v,
					      uint64_t iova, uint64_t len,
					      uint64_t page_size,
					      uint64_t *bitmap)
{
	struct vfio_device_feature_dma_logging_report r = {
		.iova = iova, .length = len, .page_size = page_size,
		.bitmap = (uintptr_t)bitmap,
	};

	return svf_vfio_feature(v, VFIO_DEVICE_FEATURE_GET |
				VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
				&r, sizeof(r));
}

/* ------------------------------------------------------------ misc */

static SVF_UNUSED double svf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* _SVF_VFIO_H */
