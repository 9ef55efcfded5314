/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the lifetime matrix: a migration data_fd held across every
 * teardown the interfaces allow.  Module reference counts, rmmod without
 * waiting, teardown steps run in the background, and what a cut-off
 * data_fd must answer.  Everything returns 0 or -errno and prints nothing.
 *
 * The contract under test (Documentation/driver-api/migration.rst,
 * "Lifetime of a data_fd"): a data_fd holds nothing of its device.  Once
 * the device fd is closed or the device is withdrawn/removed, every
 * read(), write() and VFIO_MIG_GET_PRECOPY_INFO on it fails with ENODEV
 * (read on a resuming fd and write on a saving fd fail with EBADF in the
 * VFS, before the layer sees them), and closing it is clean.  The only
 * module it keeps is snapvf_mig, whose file operations it uses.
 */
#ifndef _SVF_LIFETIME_LIB_H
#define _SVF_LIFETIME_LIB_H

#include <pthread.h>
#include <sys/syscall.h>

#include "svf_sysfs.h"
#include "svf_vfio.h"

/*
 * Harness timeout of one case (setup included): the first case loads the
 * kernel's vfio/mdev modules through modprobe, slow under TCG on a loaded
 * host; the others take about a second.
 */
#define LT_TIMEOUT	120
/*
 * How long a teardown that must not wait for userspace may take (TCG),
 * times the lane's factor (the debug kernel's KASAN and lockdep slow
 * module unloads several times): a hang guard, not a speed claim.  That a
 * teardown waits for its holder is shown by LT_PENDING_MS instead.
 */
#define LT_PROMPT_MS	(5000 * (SVF_TIMEOUT_SCALE))
/* How long a teardown that waits for the device fd is watched pending. */
#define LT_PENDING_MS	300

/*
 * The modules whose reference counts the matrix watches: ours.  (vfio's
 * own count also follows the vfio groups that exist, which come and go
 * with the devices a teardown removes.)
 */
static const char * const lt_mods[] = {
	"snapvf_sf", "snapvf_pci", "snapvf_sim", "vfio_mdev_core",
	"snapvf_mig", "snapvf_aux",
};
#define LT_NMODS	(int)(sizeof(lt_mods) / sizeof(lt_mods[0]))
/* Ours, in an order rmmod accepts. */
static const char * const lt_ours[] = {
	"snapvf_sf", "snapvf_pci", "snapvf_sim", "vfio_mdev_core",
	"snapvf_mig", "snapvf_aux",
};
#define LT_NOURS	(int)(sizeof(lt_ours) / sizeof(lt_ours[0]))

/**
 * struct lt_modsnap - reference counts and holders of lt_mods[]
 * @ref: refcnt, -1 when the module is not loaded
 * @holders: for each module, a bitmap of lt_mods[] indexes holding it
 */
struct lt_modsnap {
	long ref[LT_NMODS];
	unsigned int holders[LT_NMODS];
};

static SVF_UNUSED int lt_mod_index(const char *name)
{
	int i;

	for (i = 0; i < LT_NMODS; i++)
		if (!strcmp(lt_mods[i], name))
			return i;
	return -1;
}

/* /sys/module/@name/refcnt, or -1 when @name is not loaded */
static SVF_UNUSED long lt_refcnt(const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/module/%s/refcnt", name);
	if (!svf_exists(p))
		return -1;
	return (long)svf_sysfs_u64(p);
}

static SVF_UNUSED void lt_snapshot(struct lt_modsnap *s)
{
	char p[PATH_MAX];
	struct dirent *e;
	int i, h;
	DIR *d;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < LT_NMODS; i++) {
		s->ref[i] = lt_refcnt(lt_mods[i]);
		snprintf(p, sizeof(p), "/sys/module/%s/holders", lt_mods[i]);
		d = opendir(p);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			h = lt_mod_index(e->d_name);
			if (h >= 0)
				s->holders[i] |= 1u << h;
		}
		closedir(d);
	}
}

/*
 * What module @i's refcnt must be now if nothing but the module
 * dependencies that went away changed since @s: each loaded holder
 * counts one reference (ref_module()), an unloaded one none.
 */
static SVF_UNUSED long lt_expected(const struct lt_modsnap *s, int i)
{
	long ref = s->ref[i];
	int h;

	if (ref < 0 || lt_refcnt(lt_mods[i]) < 0)
		return -1;
	for (h = 0; h < LT_NMODS; h++)
		if ((s->holders[i] & (1u << h)) && lt_refcnt(lt_mods[h]) < 0)
			ref--;
	return ref;
}

/* rmmod that never waits: 0, or -EWOULDBLOCK/-EBUSY while in use */
static SVF_UNUSED int lt_rmmod(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/* Where the tree keeps module @name, relative to $SVF_TOP. */
static SVF_UNUSED const char *lt_ko_path(const char *name)
{
	static const char * const map[][2] = {
		{ "snapvf_aux", "auxiliary/snapvf_aux.ko" },
		{ "snapvf_sim", "drivers/sim/snapvf_sim.ko" },
		{ "snapvf_mig", "migration/snapvf_mig.ko" },
		{ "vfio_mdev_core", "mdev/vfio_mdev_core.ko" },
		{ "snapvf_sf", "drivers/sf_blk/snapvf_sf.ko" },
		{ "snapvf_pci", "drivers/snap_pci/snapvf_pci.ko" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], name))
			return map[i][1];
	return NULL;
}

/* finit_module() of the tree's @name; 0 when loaded (or already was) */
static SVF_UNUSED int lt_insmod(const char *name)
{
	const char *top = getenv("SVF_TOP"), *rel = lt_ko_path(name);
	char p[PATH_MAX];
	int fd, ret = 0;

	if (svf_mod_loaded(name))
		return 0;
	if (!top || !rel)
		return -ENOENT;
	snprintf(p, sizeof(p), "%s/%s", top, rel);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(__NR_finit_module, fd, "", 0) && errno != EEXIST)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Load the consumer @top (snapvf_sf or snapvf_pci) and the simulator.
 * Our modules are loaded directly, in dependency order; only when that
 * fails (the kernel's own vfio/mdev modules are not loaded yet, the first
 * time) does it fall back to svf_modload(), which modprobes them.
 */
static SVF_UNUSED int lt_load(const char *top)
{
	static const char * const chain[] = {
		"snapvf_aux", "snapvf_sim", "snapvf_mig", "vfio_mdev_core",
	};
	unsigned int i;
	int ret = 0;

	/* The kernel modules ours need (modinfo -F depends). */
	if (!svf_mod_loaded("vfio_pci_core") || !svf_mod_loaded("libcrc32c") ||
	    (strcmp(top, "snapvf_pci") && !svf_mod_loaded("mdev")))
		return svf_modload("snapvf_sim") ?: svf_modload(top);
	for (i = 0; !ret && i < sizeof(chain) / sizeof(chain[0]); i++) {
		if (!strcmp(top, "snapvf_pci") &&
		    !strcmp(chain[i], "vfio_mdev_core"))
			continue;
		ret = lt_insmod(chain[i]);
	}
	if (!ret)
		ret = lt_insmod(top);
	if (ret)
		ret = svf_modload("snapvf_sim") ?: svf_modload(top);
	return ret;
}

/* Unload every module of ours that is loaded; 0 or the first -errno. */
static SVF_UNUSED int lt_unload_ours(const char **failed)
{
	int i, ret;

	for (i = 0; i < LT_NOURS; i++) {
		if (!svf_mod_loaded(lt_ours[i]))
			continue;
		ret = lt_rmmod(lt_ours[i]);
		if (ret) {
			*failed = lt_ours[i];
			return ret;
		}
	}
	return 0;
}

/* ------------------------------------------------ background teardown */

/**
 * struct lt_bg - one teardown step run from a thread
 * @path: sysfs attribute to write, or NULL for @mod
 * @val: value written to @path
 * @mod: module to remove (delete_module, non-blocking: it fails rather
 *	than wait for references, but its exit may wait for users)
 * @ret: 0 or -errno, once @done
 * @done: the step returned
 * @secs: how long it took
 * @thread: the thread
 */
struct lt_bg {
	char path[PATH_MAX];
	char val[64];
	char mod[64];
	int ret;
	volatile int done;
	double secs;
	pthread_t thread;
};

static SVF_UNUSED void *lt_bg_fn(void *arg)
{
	struct lt_bg *b = arg;
	double t0 = svf_now();

	if (b->mod[0])
		b->ret = lt_rmmod(b->mod);
	else
		b->ret = svf_sysfs_write(b->path, b->val);
	b->secs = svf_now() - t0;
	__sync_synchronize();
	b->done = 1;
	return NULL;
}

/* Start writing @val to @path (@path NULL: removing module @val). */
static SVF_UNUSED int lt_bg_start(struct lt_bg *b, const char *path,
				  const char *val)
{
	memset(b, 0, sizeof(*b));
	if (path) {
		svf_strlcpy(b->path, path, sizeof(b->path));
		svf_strlcpy(b->val, val, sizeof(b->val));
	} else {
		svf_strlcpy(b->mod, val, sizeof(b->mod));
	}
	return -pthread_create(&b->thread, NULL, lt_bg_fn, b);
}

/* Wait up to @ms for the step; 1 when it returned. */
static SVF_UNUSED int lt_bg_wait(struct lt_bg *b, int ms)
{
	for (; ms > 0 && !b->done; ms -= 10)
		usleep(10000);
	return b->done;
}

/* Wait for the step to return; its result. */
static SVF_UNUSED int lt_bg_join(struct lt_bg *b)
{
	pthread_join(b->thread, NULL);
	return b->ret;
}

/* Run a step that must complete at once (LT_PROMPT_MS); its result. */
static SVF_UNUSED int lt_prompt(const char *path, const char *val,
				double *secs)
{
	struct lt_bg b;
	int ret;

	ret = lt_bg_start(&b, path, val);
	if (ret)
		return ret;
	if (!lt_bg_wait(&b, LT_PROMPT_MS)) {
		/* Leave the thread blocked; the test fails on the timeout. */
		*secs = LT_PROMPT_MS / 1000.0;
		return -ETIMEDOUT;
	}
	*secs = b.secs;
	return lt_bg_join(&b);
}

/* ------------------------------------------------ data_fd probes */

/* read() of a saving data_fd: bytes or -errno */
static SVF_UNUSED ssize_t lt_fd_read(int fd, size_t len)
{
	char buf[4096];
	ssize_t n;

	if (len > sizeof(buf))
		len = sizeof(buf);
	n = read(fd, buf, len);
	return n < 0 ? -errno : n;
}

/* write() of @len zero bytes to a resuming data_fd: bytes or -errno */
static SVF_UNUSED ssize_t lt_fd_write(int fd, size_t len)
{
	char buf[4096] = { 0 };
	ssize_t n;

	if (len > sizeof(buf))
		len = sizeof(buf);
	n = write(fd, buf, len);
	return n < 0 ? -errno : n;
}

/* VFIO_MIG_GET_PRECOPY_INFO: 0 or -errno */
static SVF_UNUSED int lt_fd_precopy(int fd)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };

	return ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &info) ? -errno : 0;
}

/*
 * Open device @dev (a PCI address or an mdev UUID) and obtain a data_fd in
 * @state (through STOP for RESUMING), with a partial item in its buffer:
 * half a stream header read (@saving) or written.  PRE_COPY also asks for
 * the precopy info once.  0 or -errno.
 */
static SVF_UNUSED int lt_hold(struct svf_vfio *v, const char *dev,
			      uint32_t state, int saving, int *fd)
{
	ssize_t n;
	int ret;

	*fd = -1;
	ret = svf_vfio_open(v, dev);
	if (ret)
		return ret;
	if (state == VFIO_DEVICE_STATE_RESUMING) {
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
		if (ret)
			return ret;
	}
	ret = svf_vfio_mig_set(v, state, fd);
	if (ret)
		return ret;
	if (*fd < 0)
		return -EBADF;
	n = saving ? lt_fd_read(*fd, 16) : lt_fd_write(*fd, 16);
	if (n != 16)
		return n < 0 ? n : -EIO;
	if (state == VFIO_DEVICE_STATE_PRE_COPY)
		return lt_fd_precopy(*fd);
	return 0;
}

/* ------------------------------------------------ simulator manager */

/* Control directory of the first simulator manager (pci-testdev). */
static SVF_UNUSED int lt_sim_dir(char *out, size_t len)
{
	char mgr[4][SVF_BDF_LEN];
	int n;

	n = svf_find_pci(0x1b36, 0x0005, mgr, 4);
	if (n <= 0)
		return -ENODEV;
	snprintf(out, len, SVF_PCI_DEVICES "/%s/snapvf_sim", mgr[0]);
	return svf_exists(out) ? 0 : -ENODEV;
}

/* Path of manager control file @file. */
static SVF_UNUSED int lt_sim_ctl_path(const char *file, char *out, size_t len)
{
	char d[PATH_MAX - 64];
	int ret;

	ret = lt_sim_dir(d, sizeof(d));
	if (!ret)
		snprintf(out, len, "%s/%s", d, file);
	return ret;
}

static SVF_UNUSED int lt_sim_ctl(const char *file, const char *val)
{
	char p[PATH_MAX];
	int ret;

	ret = lt_sim_ctl_path(file, p, sizeof(p));
	return ret ? ret : svf_sysfs_write(p, val);
}

/*
 * lt_pf_publish_and_bind() - have the simulator publish @bdf as a SNAP
 * function (unless it already does) and bind it to snapvf_pci, waiting
 * for the probe to end.  0 or -errno.
 */
static SVF_UNUSED int lt_pf_publish_and_bind(const char *bdf)
{
	char d[PATH_MAX];
	int ret;

	snprintf(d, sizeof(d), SVF_AUX_DEVICES "/snapvf_sim.vfio_pci.%u",
		 svf_fn_id(bdf));
	if (!svf_exists(d)) {
		ret = lt_sim_ctl("new_function", bdf);
		if (ret)
			return ret;
	}
	ret = svf_pci_attr(bdf, "driver_override", "snapvf_pci");
	if (!ret && !svf_pci_is_bound(bdf, "snapvf_pci"))
		ret = svf_pci_bind(bdf, "snapvf_pci");
	return ret ? ret : svf_pci_wait_driver(bdf, "snapvf_pci", 5000);
}

/* ------------------------------------------------ assertions */

#ifdef __KSELFTEST_HARNESS_H

/*
 * The data_fd is cut off: ENODEV from everything the layer answers, also
 * where bytes produced before the cut are still buffered in the file.
 */
static SVF_UNUSED void lt_expect_cut(struct __test_metadata *_metadata,
				     int fd, int saving)
{
	if (saving) {
		EXPECT_EQ(-ENODEV, lt_fd_read(fd, 64));
	} else {
		EXPECT_EQ(-ENODEV, lt_fd_write(fd, 64));
	}
	EXPECT_EQ(-ENODEV, lt_fd_precopy(fd));
}

/*
 * Every watched module that is loaded has the reference count @s
 * predicts, snapvf_mig @mig_extra more (one per data_fd still open: its
 * file operations are the layer's).
 */
static SVF_UNUSED void lt_expect_refs(struct __test_metadata *_metadata,
				      const struct lt_modsnap *s, long mig_extra)
{
	long want, got;
	int i;

	for (i = 0; i < LT_NMODS; i++) {
		want = lt_expected(s, i);
		if (want < 0)
			continue;
		if (!strcmp(lt_mods[i], "snapvf_mig"))
			want += mig_extra;
		got = lt_refcnt(lt_mods[i]);
		EXPECT_EQ(want, got) TH_LOG("refcnt of %s", lt_mods[i]);
	}
}

/*
 * End of every case: the held data_fd pins only snapvf_mig; closing it
 * is clean and returns every count; then all our modules unload.
 */
static SVF_UNUSED void lt_finish(struct __test_metadata *_metadata, int *fd,
				 const struct lt_modsnap *s)
{
	const char *failed = "";

	lt_expect_refs(_metadata, s, 1);
	EXPECT_EQ(0, close(*fd));
	*fd = -1;
	lt_expect_refs(_metadata, s, 0);
	EXPECT_EQ(0, lt_unload_ours(&failed)) TH_LOG("rmmod %s", failed);
}

#endif /* __KSELFTEST_HARNESS_H */

#endif /* _SVF_LIFETIME_LIB_H */
