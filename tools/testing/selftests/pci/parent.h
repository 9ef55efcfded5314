/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parent under test, for the snapvf_pci tests that hold for any
 * parent (migrate_test, fault_test, withdraw_test).  snapvf_pci has no
 * code that knows its parent; these tests should not either, beyond the
 * few things only a parent's test interface can do: publish a function,
 * size and reach its device state, inject a fault.
 *
 * Built twice: in pci/ with the simulator (snapvf_sim, whose device state
 * is the function's BAR2, reached through the device fd like a guest
 * would), and in mlx5/ with -DSVF_PARENT_MLX5: snapvf_mlx5 on the test-only
 * firmware model (snapvf_mlx5_model, whose VHCA state is firmware state,
 * reached through the model's debugfs).  A test that needs something only
 * one parent has is built for that parent only and says so at its
 * definition (#if PARENT_SIM).
 *
 * Everything returns 0 or -errno and prints nothing.
 */
#ifndef _SVF_PARENT_H
#define _SVF_PARENT_H

#include "pci_lib.h"

#ifdef SVF_PARENT_MLX5
#define PARENT_SIM	0
#define PARENT_NAME	"snapvf_mlx5"
#define PARENT_MOD	"snapvf_mlx5_model"	/* the channel provider */
#define MODEL_DBG	"/sys/kernel/debug/snapvf_mlx5_model"
/*
 * The one line logged for an injected save failure, and for a stream the
 * device refuses (snapvf_mlx5 loads at commit; the firmware's refusal is
 * its line, the layer adds none).
 */
#define PARENT_SAVE_FAIL_LINE	"SAVE_VHCA_STATE failed"
#define PARENT_LOAD_FAIL_LINE	"LOAD_VHCA_STATE failed"
#else
#define PARENT_SIM	1
#define PARENT_NAME	"snapvf_sim"
#define PARENT_MOD	"snapvf_sim"
#define PARENT_SAVE_FAIL_LINE	"injected save failure"
/* the layer's line for a record the device refused */
#define PARENT_LOAD_FAIL_LINE	"migration stream rejected"
#endif

/* sysfs directory of the aux device the parent published for @bdf */
static SVF_UNUSED int parent_fn_dir(const char *bdf, char *out, size_t len)
{
	snprintf(out, len, SVF_AUX_DEVICES "/" PARENT_NAME ".vfio_pci.%u",
		 svf_fn_id(bdf));
	return access(out, F_OK) ? -ENODEV : 0;
}

static SVF_UNUSED int parent_published(const char *bdf)
{
	char d[PATH_MAX];

	return !parent_fn_dir(bdf, d, sizeof(d));
}

static SVF_UNUSED int parent_load(void)
{
#ifdef SVF_PARENT_MLX5
	/*
	 * The model's parameters are read at load, and svf_modload() leaves
	 * a loaded module alone: a program before (one that failed midway,
	 * say) may have left it without chunks, pre-copy or page tracking.
	 * These tests want its defaults.
	 */
	static const char * const def[][2] = {
		{ "chunk_pages", "4" }, { "pre_copy", "Y" }, { "track_ranges", "4" },
	};
	char p[128], v[16];
	unsigned int i;

	for (i = 0; i < sizeof(def) / sizeof(def[0]); i++) {
		snprintf(p, sizeof(p), "/sys/module/" PARENT_MOD "/parameters/%s",
			 def[i][0]);
		if (!svf_sysfs_read(p, v, sizeof(v)) && strcmp(v, def[i][1])) {
			svf_modunload(PARENT_MOD);
			break;
		}
	}
#endif
	return svf_modload(PARENT_MOD);
}

/* Unloading it withdraws every function it published. */
static SVF_UNUSED int parent_unload(void)
{
	return svf_modunload(PARENT_MOD);
}

#ifdef SVF_PARENT_MLX5

static SVF_UNUSED void model_knob_path(char *p, size_t len, const char *bdf,
				       const char *name)
{
	snprintf(p, len, MODEL_DBG "/%s/%s", bdf, name);
}

static SVF_UNUSED int model_knob(const char *bdf, const char *name,
				 const char *val)
{
	char p[PATH_MAX];

	model_knob_path(p, sizeof(p), bdf, name);
	return svf_sysfs_write(p, val);
}

static SVF_UNUSED int model_knob_u(const char *bdf, const char *name,
				   unsigned long long v)
{
	char val[32];

	snprintf(val, sizeof(val), "%llu", v);
	return model_knob(bdf, name, val);
}

static SVF_UNUSED int model_knob_read(const char *bdf, const char *name,
				      char *buf, size_t len)
{
	char p[PATH_MAX];

	model_knob_path(p, sizeof(p), bdf, name);
	return svf_sysfs_read(p, buf, len);
}

/* A VF of device type 1, migratable: the model publishes it. */
static SVF_UNUSED int parent_add(const char *bdf)
{
	char val[64];

	snprintf(val, sizeof(val), "%s 1 1", bdf);
	return svf_sysfs_write(MODEL_DBG "/add_vf", val);
}

static SVF_UNUSED int parent_del_nowait(const char *bdf)
{
	return svf_sysfs_write(MODEL_DBG "/del_vf", bdf);
}

static SVF_UNUSED int parent_set_size(const char *bdf, size_t size)
{
	return model_knob_u(bdf, "state_size", size);
}

/* The VHCA's state bytes [off, off + len), read or written (debugfs). */
static SVF_UNUSED int parent_state_io(struct svf_vfio *v, size_t off,
				      void *buf, size_t len, int wr)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd;

	model_knob_path(p, sizeof(p), v->name, "state");
	fd = open(p, (wr ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Fail the save about @at bytes into the stream (SAVE_VHCA_STATE). */
static SVF_UNUSED int parent_fail_save_at(const char *bdf, size_t at)
{
	char val[32];
	int ret;

	/* the model's chunks are 4 pages (its default chunk_pages) */
	ret = model_knob_u(bdf, "fail_skip", at / (4 * 4096));
	snprintf(val, sizeof(val), "0x%x", 0x118);
	return ret ? ret : model_knob(bdf, "fail_opcode", val);
}

static SVF_UNUSED int parent_fail_save_off(const char *bdf)
{
	return model_knob(bdf, "fail_opcode", "0");
}

/*
 * The device refuses the load: snapvf_mlx5 loads the staged images at
 * commit, and the firmware refuses the first (BAD_PARAM: EINVAL), so
 * nothing was applied whatever @at.  A refusal after the first image
 * leaves a partial load the commands cannot undo (ERROR, the function
 * refuses to run until reset): mlx5_test load_fails_after_first_image.
 */
static SVF_UNUSED int parent_fail_load_at(const char *bdf, size_t at)
{
	char val[32];
	int ret;

	ret = model_knob_u(bdf, "fail_skip", 0);
	if (!ret)
		ret = model_knob(bdf, "fail_status", "0x3");
	snprintf(val, sizeof(val), "0x%x", 0x119);
	return ret ? ret : model_knob(bdf, "fail_opcode", val);
}

static SVF_UNUSED int parent_fail_load_off(const char *bdf)
{
	int ret = model_knob(bdf, "fail_opcode", "0");

	return ret ? ret : model_knob(bdf, "fail_status", "0");
}

/* The parent withdraws @bdf about @at bytes into a STOP_COPY stream. */
static SVF_UNUSED int parent_surprise_save_at(const char *bdf, size_t at)
{
	char val[32];
	int ret;

	ret = model_knob_u(bdf, "surprise_skip", at / (4 * 4096));
	snprintf(val, sizeof(val), "0x%x", 0x118);
	return ret ? ret : model_knob(bdf, "surprise_opcode", val);
}

/* Make the quiesce (SUSPEND_VHCA) take @ms longer. */
static SVF_UNUSED int parent_quiesce_delay(const char *bdf, unsigned int ms)
{
	char val[32];
	int ret;

	snprintf(val, sizeof(val), "0x%x", 0x115);
	ret = model_knob(bdf, "delay_opcode", ms ? val : "0");
	return ret ? ret : model_knob_u(bdf, "delay_ms", ms);
}

/* Make @bdf's device refuse @src's streams (another device type). */
static SVF_UNUSED int parent_make_incompatible(const char *bdf, size_t size)
{
	return model_knob(bdf, "dev_type", "2");
}

static SVF_UNUSED int parent_make_compatible(const char *bdf, size_t size)
{
	return model_knob(bdf, "dev_type", "1");
}

#else /* the simulator */

static SVF_UNUSED int parent_add(const char *bdf)
{
	return sim_add(bdf);
}

static SVF_UNUSED int parent_del_nowait(const char *bdf)
{
	return sim_ctl("del_function", bdf);
}

static SVF_UNUSED int parent_set_size(const char *bdf, size_t size)
{
	char val[32];

	snprintf(val, sizeof(val), "%zu", size);
	return sim_knob(bdf, "state_size", val);
}

/* The function's state is its BAR2, as the user sees it. */
static SVF_UNUSED int parent_state_io(struct svf_vfio *v, size_t off,
				      void *buf, size_t len, int wr)
{
	ssize_t n = wr ? svf_vfio_write(v, STATE_BAR, off, buf, len) :
			 svf_vfio_read(v, STATE_BAR, off, buf, len);

	return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EIO;
}

static SVF_UNUSED int parent_fail_save_at(const char *bdf, size_t at)
{
	char val[32];

	snprintf(val, sizeof(val), "%zu", at);
	return sim_knob(bdf, "fail_save_at", val);
}

static SVF_UNUSED int parent_fail_save_off(const char *bdf)
{
	return sim_knob(bdf, "fail_save_at", "-1");
}

static SVF_UNUSED int parent_fail_load_at(const char *bdf, size_t at)
{
	char val[32];

	snprintf(val, sizeof(val), "%zu", at);
	return sim_knob(bdf, "fail_load_at", val);
}

static SVF_UNUSED int parent_fail_load_off(const char *bdf)
{
	return sim_knob(bdf, "fail_load_at", "-1");
}

static SVF_UNUSED int parent_surprise_save_at(const char *bdf, size_t at)
{
	char val[32];

	snprintf(val, sizeof(val), "%zu", at);
	return sim_knob(bdf, "surprise_save_at", val);
}

static SVF_UNUSED int parent_quiesce_delay(const char *bdf, unsigned int ms)
{
	char val[32];

	snprintf(val, sizeof(val), "%u", ms);
	return sim_knob(bdf, "quiesce_delay_ms", val);
}

/* Another state size makes the simulator's function refuse the stream. */
static SVF_UNUSED int parent_make_incompatible(const char *bdf, size_t size)
{
	return parent_set_size(bdf, size / 2);
}

static SVF_UNUSED int parent_make_compatible(const char *bdf, size_t size)
{
	return parent_set_size(bdf, size);
}

#endif

/*
 * Publish @bdf unless it is: a registration the parent kept without
 * publishing (a function a test made unmigratable, say) is dropped first.
 */
static SVF_UNUSED int parent_ensure(const char *bdf)
{
	if (parent_published(bdf))
		return 0;
	parent_del_nowait(bdf);
	return parent_add(bdf);
}

/*
 * Withdraw @bdf and wait until snapvf_pci has let the function go (it
 * unbinds withdrawn functions from a work item).
 */
static SVF_UNUSED int parent_del(const char *bdf)
{
	char cur[64];
	int ret;

	svf_vfio_driver_of(bdf, cur, sizeof(cur));
	ret = parent_del_nowait(bdf);
	if (!ret && !strcmp(cur, SNAP_DRV))
		svf_pci_wait_driver(bdf, NULL, 5000);
	return ret;
}

#endif /* _SVF_PARENT_H */
