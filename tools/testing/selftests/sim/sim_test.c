// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sim + snapvf_aux without consumers: aux devices appear and go with
 * the right names, every bad input is refused with its errno and a kernel
 * log line, knobs are validated, surprise removal / hot-unplug / manager
 * unbind / module unload with devices present are clean, add/remove loops.
 * The function knobs and the manager's listings are in debugfs
 * (SVF_SIM_DEBUGFS): its layout, and that a knob file held open across
 * the function's removal fails cleanly, are checked too.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "svf_harness.h"
#include "sim_lib.h"

/* the simulator's SF knobs (debugfs) */
#define SF_DBG_DIR	"/sys/kernel/debug/snapvf_sim"

FIXTURE(sim) {
	char ctl[256];
	char dbg[256];		/* the manager's debugfs directory */
	char mgr[MAX_FNS][32];
	char fn[MAX_FNS][32];
	char edu[MAX_FNS][32];
	int nfn;
	int kmsg;
};

FIXTURE_SETUP(sim)
{
	ASSERT_EQ(0, svf_modload("snapvf_sim")) TH_LOG("loading snapvf_sim failed");
	ASSERT_EQ(1, svf_find_pci(0x1b36, 0x0005, self->mgr, MAX_FNS))
		TH_LOG("one pci-testdev manager expected");
	snprintf(self->ctl, sizeof(self->ctl),
		 "/sys/bus/pci/devices/%s/snapvf_sim", self->mgr[0]);
	ASSERT_TRUE(svf_exists(self->ctl)) TH_LOG("no control dir %s", self->ctl);
	snprintf(self->dbg, sizeof(self->dbg), SVF_SIM_DEBUGFS "/%s",
		 self->mgr[0]);
	ASSERT_TRUE(svf_exists(self->dbg)) TH_LOG("no debugfs dir %s", self->dbg);
	self->nfn = svf_find_pci(0x1af4, 0x1110, self->fn, MAX_FNS);
	ASSERT_EQ(3, self->nfn) TH_LOG("three ivshmem-plain functions expected");
	ASSERT_EQ(1, svf_find_pci(0x1234, 0x11e8, self->edu, MAX_FNS));
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, self->kmsg);
	lseek(self->kmsg, 0, SEEK_END);
}

FIXTURE_TEARDOWN(sim)
{
	char p[PATH_MAX], id[16];
	int i;

	snprintf(p, sizeof(p), "%s/del_function", self->ctl);
	for (i = 0; i < self->nfn; i++)
		svf_sysfs_write(p, self->fn[i]);
	snprintf(p, sizeof(p), "%s/del_sf", self->ctl);
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "%d", i);
		svf_sysfs_write(p, id);
	}
	close(self->kmsg);
}

static int ctl(FIXTURE_DATA(sim) *self, const char *file, const char *val)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/%s", self->ctl, file);
	return svf_sysfs_write(p, val);
}

static void fn_dir(const char *bdf, char *out, size_t len)
{
	snprintf(out, len, AUX_DIR "/snapvf_sim.vfio_pci.%u", svf_fn_id(bdf));
}

/* The function's knobs, in debugfs */
static int knob(const char *bdf, const char *name, const char *val)
{
	char p[PATH_MAX];

	svf_sim_fn_knob(p, sizeof(p), bdf, name);
	return svf_sysfs_write(p, val);
}

static int knob_read(const char *bdf, const char *name, char *buf, size_t len)
{
	char p[PATH_MAX];

	svf_sim_fn_knob(p, sizeof(p), bdf, name);
	return svf_sysfs_read(p, buf, len);
}

static int knobs_present(const char *bdf)
{
	char d[PATH_MAX];

	svf_sim_fn_knob(d, sizeof(d), bdf, NULL);
	return svf_exists(d);
}

static int fn_present(const char *bdf)
{
	char d[PATH_MAX];

	fn_dir(bdf, d, sizeof(d));
	return svf_exists(d);
}

static int sf_present(int id)
{
	char d[PATH_MAX];

	snprintf(d, sizeof(d), AUX_DIR "/snapvf_sim.sf.%d", id);
	return svf_exists(d);
}

/* Lines logged since the last call containing "snapvf_sim". */
static int kmsg_new(FIXTURE_DATA(sim) *self)
{
	char rec[2048];
	ssize_t n;
	int cnt = 0;

	while ((n = read(self->kmsg, rec, sizeof(rec) - 1)) > 0 ||
	       (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		cnt += !!strstr(rec, "snapvf_sim");
	}
	return cnt;
}

/* Poll @present(@arg) until it equals @want, up to @ms milliseconds. */
static int wait_for(int (*present)(const char *), const char *arg, int want,
		    int ms)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (; ms > 0; ms -= 20) {
		if (!!present(arg) == want)
			return 0;
		nanosleep(&ts, NULL);
	}
	return !!present(arg) == want ? 0 : -ETIMEDOUT;
}

static int sf_present_s(const char *id)
{
	return sf_present(atoi(id));
}

/* A rejected write: errno @err and one new snapvf_sim log line. */
#define REJECT(err, call)						\
	do {								\
		kmsg_new(self);						\
		EXPECT_EQ(-(err), (call));				\
		EXPECT_EQ(1, kmsg_new(self)) TH_LOG("not one log line for %s", #call); \
	} while (0)

TEST_F(sim, publish_and_withdraw_fn)
{
	char b[4096], d[PATH_MAX], p[PATH_MAX + 32], want[128];
	const char *a = self->fn[0];

	ASSERT_FALSE(fn_present(a));
	ASSERT_EQ(0, ctl(self, "new_function", a));
	ASSERT_TRUE(fn_present(a));
	fn_dir(a, d, sizeof(d));
	snprintf(p, sizeof(p), "%s/uevent", d);
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_NE(NULL, strstr(b, "MODALIAS=auxiliary:snapvf_sim.vfio_pci"))
		TH_LOG("uevent: %s", b);
	/* The aux library's own attribute: feature names for svfctl. */
	snprintf(p, sizeof(p), "%s/features", d);
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("migration pre_copy p2p dirty_tracking", b);
	EXPECT_EQ(-EACCES, svf_sysfs_write(p, "migration"));
	ASSERT_EQ(0, knob_read(a, "pci_address", b, sizeof(b)));
	EXPECT_STREQ(a, b);
	ASSERT_EQ(0, knob_read(a, "bar_size", b, sizeof(b)));
	EXPECT_EQ(16ull << 20, strtoull(b, NULL, 0));
	ASSERT_EQ(0, knob_read(a, "state_size", b, sizeof(b)));
	EXPECT_EQ(1ull << 20, strtoull(b, NULL, 0));
	ASSERT_EQ(0, knob_read(a, "dev_state", b, sizeof(b)));
	EXPECT_STREQ("running", b);
	snprintf(p, sizeof(p), "%s/functions", self->dbg);
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	snprintf(want, sizeof(want), "%s snapvf_sim.vfio_pci.%u", a, svf_fn_id(a));
	EXPECT_STREQ(want, b);

	ASSERT_EQ(0, ctl(self, "del_function", a));
	EXPECT_FALSE(fn_present(a));
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("", b);
}

TEST_F(sim, three_functions_distinct_names)
{
	char d[3][PATH_MAX];
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, ctl(self, "new_function", self->fn[i]));
		fn_dir(self->fn[i], d[i], sizeof(d[i]));
	}
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(svf_exists(d[i])) TH_LOG("%s missing", d[i]);
	EXPECT_STRNE(d[0], d[1]);
	EXPECT_STRNE(d[1], d[2]);
	/* withdrawing one leaves the others */
	ASSERT_EQ(0, ctl(self, "del_function", self->fn[1]));
	EXPECT_TRUE(svf_exists(d[0]));
	EXPECT_FALSE(svf_exists(d[1]));
	EXPECT_TRUE(svf_exists(d[2]));
}

TEST_F(sim, bad_function_inputs)
{
	const char *a = self->fn[0];

	REJECT(EINVAL, ctl(self, "new_function", "garbage"));
	REJECT(EINVAL, ctl(self, "new_function", "0000:00:04.0 trailing"));
	REJECT(EINVAL, ctl(self, "new_function", "0000:00:20.0"));
	REJECT(EINVAL, ctl(self, "new_function", "10000:00:04.0"));
	REJECT(ENODEV, ctl(self, "new_function", "0000:00:1f.6"));
	REJECT(EINVAL, ctl(self, "new_function", self->edu[0]));
	REJECT(EINVAL, ctl(self, "new_function", self->mgr[0]));
	REJECT(ENOENT, ctl(self, "del_function", a));
	ASSERT_EQ(0, ctl(self, "new_function", a));
	REJECT(EEXIST, ctl(self, "new_function", a));
	EXPECT_TRUE(fn_present(a));
	REJECT(EINVAL, ctl(self, "del_function", "nonsense"));
	EXPECT_TRUE(fn_present(a));
}

TEST_F(sim, state_size_knob)
{
	const char *a = self->fn[0], *c = self->fn[2];
	char b[64];

	ASSERT_EQ(0, ctl(self, "new_function", a));
	ASSERT_EQ(0, ctl(self, "new_function", c));
	EXPECT_EQ(0, knob(a, "state_size", "4096"));
	ASSERT_EQ(0, knob_read(a, "state_size", b, sizeof(b)));
	EXPECT_STREQ("4096", b);
	REJECT(EINVAL, knob(a, "state_size", "4095"));
	REJECT(EINVAL, knob(a, "state_size", "0"));
	REJECT(EINVAL, knob(a, "state_size", "6000"));
	REJECT(EINVAL, knob(a, "state_size", "16781312"));	/* 16M + 4K */
	REJECT(EINVAL, knob(a, "state_size", "lots"));
	EXPECT_EQ(0, knob(a, "state_size", "16M"));
	ASSERT_EQ(0, knob_read(a, "state_size", b, sizeof(b)));
	EXPECT_STREQ("16777216", b);
	/* 256 MiB of device state on the big function */
	EXPECT_EQ(0, knob(c, "state_size", "256M"));
	ASSERT_EQ(0, knob_read(c, "state_size", b, sizeof(b)));
	EXPECT_STREQ("268435456", b);
	REJECT(EINVAL, knob(c, "state_size", "257M"));
}

TEST_F(sim, fault_knobs)
{
	static const char * const offs[] = {
		"fail_save_at", "fail_load_at", "surprise_save_at"
	};
	const char *a = self->fn[0];
	char b[64];
	unsigned int i;

	ASSERT_EQ(0, ctl(self, "new_function", a));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, knob_read(a, offs[i], b, sizeof(b)));
		EXPECT_STREQ("-1", b) TH_LOG("%s not disarmed", offs[i]);
		REJECT(EINVAL, knob(a, offs[i], "-2"));
		REJECT(EINVAL, knob(a, offs[i], "abc"));
		EXPECT_EQ(0, knob(a, offs[i], "12345"));
		ASSERT_EQ(0, knob_read(a, offs[i], b, sizeof(b)));
		EXPECT_STREQ("12345", b);
		EXPECT_EQ(0, knob(a, offs[i], "-1"));
	}
	REJECT(EINVAL, knob(a, "quiesce_delay_ms", "60001"));
	REJECT(EINVAL, knob(a, "quiesce_delay_ms", "-5"));
	EXPECT_EQ(0, knob(a, "quiesce_delay_ms", "50"));
	ASSERT_EQ(0, knob_read(a, "quiesce_delay_ms", b, sizeof(b)));
	EXPECT_STREQ("50", b);
	REJECT(EINVAL, knob(a, "surprise_remove", "70000"));
	REJECT(EINVAL, knob(a, "surprise_remove", "soon"));
	REJECT(EINVAL, knob(a, "scratch", "not-a-number"));
	EXPECT_TRUE(fn_present(a));
}

/*
 * /sys/kernel/debug/snapvf_sim/: the manager's listings in <manager>/,
 * the function's knobs in <aux device name>/ for as long as it is
 * published, none of them left in sysfs.
 */
TEST_F(sim, debugfs_layout)
{
	static const char * const knobs[] = {
		"state_size", "bar_size", "pci_address", "dev_state", "scratch",
		"state_hash", "fail_save_at", "fail_load_at",
		"surprise_save_at", "quiesce_delay_ms", "surprise_remove",
		"stats",
	};
	const char *a = self->fn[0];
	char d[PATH_MAX], p[PATH_MAX + 64], b[512], h[64];
	unsigned int i, n = 0;
	struct dirent *e;
	DIR *dir;

	snprintf(p, sizeof(p), "%s/functions", self->dbg);
	EXPECT_TRUE(svf_exists(p));
	snprintf(p, sizeof(p), "%s/sfs", self->dbg);
	EXPECT_TRUE(svf_exists(p));
	snprintf(p, sizeof(p), "%s/volumes", self->dbg);
	EXPECT_TRUE(svf_exists(p));
	/* sysfs keeps what creates and deletes, and nothing else */
	snprintf(p, sizeof(p), "%s/new_function", self->ctl);
	EXPECT_TRUE(svf_exists(p));
	snprintf(p, sizeof(p), "%s/functions", self->ctl);
	EXPECT_FALSE(svf_exists(p));
	snprintf(p, sizeof(p), "%s/sfs", self->ctl);
	EXPECT_FALSE(svf_exists(p));
	snprintf(p, sizeof(p), "%s/volumes", self->ctl);
	EXPECT_FALSE(svf_exists(p));
	snprintf(p, sizeof(p), "%s/new_volume", self->ctl);
	EXPECT_TRUE(svf_exists(p));

	EXPECT_FALSE(knobs_present(a));
	ASSERT_EQ(0, ctl(self, "new_function", a));
	ASSERT_TRUE(knobs_present(a));
	svf_sim_fn_knob(d, sizeof(d), a, NULL);
	snprintf(b, sizeof(b), SVF_SIM_DEBUGFS "/snapvf_sim.vfio_pci.%u",
		 svf_fn_id(a));
	EXPECT_STREQ(b, d);
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", d, knobs[i]);
		EXPECT_TRUE(svf_exists(p)) TH_LOG("no knob %s", p);
	}
	dir = opendir(d);
	ASSERT_NE(NULL, dir);
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	EXPECT_EQ(sizeof(knobs) / sizeof(knobs[0]), n);
	fn_dir(a, p, sizeof(p));
	strcat(p, "/sim");
	EXPECT_FALSE(svf_exists(p)) TH_LOG("%s is still there", p);

	ASSERT_EQ(0, knob_read(a, "stats", b, sizeof(b)));
	EXPECT_STREQ("saves 0\nloads 0\nrounds 0\nd3_steps 0\npages_sent 0\n"
		     "last_round_pages 0\nsave_open 0\nload_open 0\nlogging 0", b);
	/* read-only knobs take no write, and keep their value */
	ASSERT_EQ(0, knob_read(a, "state_hash", h, sizeof(h)));
	EXPECT_GT(0, knob(a, "state_hash", "0"));
	EXPECT_GT(0, knob(a, "bar_size", "4096"));
	EXPECT_GT(0, knob(a, "stats", "0"));
	ASSERT_EQ(0, knob_read(a, "bar_size", b, sizeof(b)));
	EXPECT_EQ(16ull << 20, strtoull(b, NULL, 0));
	ASSERT_EQ(0, knob_read(a, "state_hash", b, sizeof(b)));
	EXPECT_STREQ(h, b);

	ASSERT_EQ(0, ctl(self, "del_function", a));
	EXPECT_FALSE(knobs_present(a));
}

/*
 * A bad value written to a debugfs knob: the knob's own errno and one
 * log line, the value unchanged.
 */
TEST_F(sim, debugfs_knob_bad_values)
{
	const char *a = self->fn[0];
	char p[PATH_MAX], b[64], lng[200];

	ASSERT_EQ(0, ctl(self, "new_function", a));
	svf_sim_fn_knob(p, sizeof(p), a, "state_size");
	REJECT(EINVAL, svf_sysfs_write(p, "12345"));
	REJECT(EINVAL, svf_sysfs_write(p, "4096 trailing"));
	memset(lng, '1', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	REJECT(EINVAL, svf_sysfs_write(p, lng));	/* longer than any value */
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("1048576", b);
	svf_sim_fn_knob(p, sizeof(p), a, "fail_save_at");
	REJECT(EINVAL, svf_sysfs_write(p, "-7"));
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("-1", b);
	svf_sim_fn_knob(p, sizeof(p), a, "scratch");
	REJECT(EINVAL, svf_sysfs_write(p, "12ab"));
	REJECT(ERANGE, svf_sysfs_write(p, "0x1ffffffffffffffff"));	/* 65 bits */
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("0x0", b);
	svf_sim_fn_knob(p, sizeof(p), a, "surprise_remove");
	REJECT(EINVAL, svf_sysfs_write(p, "60001"));
	EXPECT_TRUE(fn_present(a));
}

/*
 * Knob files held open while the function goes: the removal does not
 * wait for them, they fail with EIO from then on (also once the function
 * is back, with new knobs), they pin the module while open, and closing
 * them is clean.
 */
TEST_F(sim, knob_open_across_removal)
{
	const char *refs = "/sys/module/snapvf_sim/refcnt";
	const char *a = self->fn[0];
	char p[PATH_MAX], b[256];
	unsigned long long ref0;
	int rw, wo, ro;

	ASSERT_EQ(0, ctl(self, "new_function", a));
	ref0 = svf_sysfs_u64(refs);
	ASSERT_NE(~0ull, ref0);
	ASSERT_EQ(0, knob(a, "state_size", "8192"));
	svf_sim_fn_knob(p, sizeof(p), a, "state_size");
	rw = open(p, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, rw);
	svf_sim_fn_knob(p, sizeof(p), a, "surprise_remove");
	wo = open(p, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wo);
	svf_sim_fn_knob(p, sizeof(p), a, "stats");
	ro = open(p, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_LT(0, pread(rw, b, sizeof(b), 0));
	EXPECT_EQ(ref0 + 3, svf_sysfs_u64(refs));

	ASSERT_EQ(0, ctl(self, "del_function", a));
	EXPECT_FALSE(knobs_present(a));
	EXPECT_EQ(-1, pread(rw, b, sizeof(b), 0));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, write(rw, "4096", 4));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, write(wo, "0", 1));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, read(ro, b, sizeof(b)));
	EXPECT_EQ(EIO, errno);

	ASSERT_EQ(0, ctl(self, "new_function", a));
	ASSERT_TRUE(knobs_present(a));
	ASSERT_EQ(0, knob_read(a, "state_size", b, sizeof(b)));
	EXPECT_STREQ("1048576", b) TH_LOG("a new function, new knobs");
	EXPECT_EQ(-1, write(rw, "4096", 4));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, write(wo, "0", 1));
	EXPECT_EQ(EIO, errno);
	close(rw);
	close(wo);
	close(ro);
	EXPECT_EQ(ref0, svf_sysfs_u64(refs));
	EXPECT_TRUE(fn_present(a));
	ASSERT_EQ(0, knob_read(a, "state_size", b, sizeof(b)));
	EXPECT_STREQ("1048576", b);
}

/* The simulator sees exactly state_size bytes of BAR2 plus its registers. */
TEST_F(sim, state_is_bar_plus_registers)
{
	char p[PATH_MAX], h0[64], h1[64], h2[64], h3[64], b[64];
	const char *a = self->fn[0];
	volatile unsigned char *bar;
	int fd;

	ASSERT_EQ(0, ctl(self, "new_function", a));
	ASSERT_EQ(0, knob(a, "state_size", "65536"));
	EXPECT_EQ(0, knob(a, "scratch", "0x1234"));
	ASSERT_EQ(0, knob_read(a, "scratch", b, sizeof(b)));
	EXPECT_STREQ("0x1234", b);

	ASSERT_EQ(0, knob_read(a, "state_hash", h0, sizeof(h0)));
	ASSERT_EQ(0, knob_read(a, "state_hash", h1, sizeof(h1)));
	EXPECT_STREQ(h0, h1);
	EXPECT_EQ(0, knob(a, "scratch", "0x1235"));
	ASSERT_EQ(0, knob_read(a, "state_hash", h1, sizeof(h1)));
	EXPECT_STRNE(h0, h1);

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/resource2", a);
	fd = open(p, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, (void *)bar);
	bar[65536 + 7] ^= 0x5a;		/* outside the state: no change */
	ASSERT_EQ(0, knob_read(a, "state_hash", h2, sizeof(h2)));
	EXPECT_STREQ(h1, h2);
	bar[65535] ^= 0xa5;		/* last state byte */
	ASSERT_EQ(0, knob_read(a, "state_hash", h3, sizeof(h3)));
	EXPECT_STRNE(h2, h3);
	bar[65535] ^= 0xa5;
	ASSERT_EQ(0, knob_read(a, "state_hash", h3, sizeof(h3)));
	EXPECT_STREQ(h2, h3);
	munmap((void *)bar, 1 << 20);
	close(fd);
}

TEST_F(sim, publish_and_withdraw_sf)
{
	char b[256], p[PATH_MAX];

	ASSERT_FALSE(sf_present(5));
	ASSERT_EQ(0, ctl(self, "new_sf", "5 1M 2 128"));
	ASSERT_TRUE(sf_present(5));
	ASSERT_EQ(0, svf_sysfs_read(AUX_DIR "/snapvf_sim.sf.5/uevent", b, sizeof(b)));
	EXPECT_NE(NULL, strstr(b, "MODALIAS=auxiliary:snapvf_sim.sf"))
		TH_LOG("uevent: %s", b);
	ASSERT_EQ(0, svf_sysfs_read(SF_DBG_DIR "/snapvf_sim.sf.5/capacity", b, sizeof(b)));
	EXPECT_STREQ("1048576", b);
	ASSERT_EQ(0, svf_sysfs_read(SF_DBG_DIR "/snapvf_sim.sf.5/instances", b, sizeof(b)));
	EXPECT_STREQ("4", b);	/* the default */
	snprintf(p, sizeof(p), "%s/sfs", self->dbg);
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("5 snapvf_sim.sf.5 1048576", b);
	ASSERT_EQ(0, ctl(self, "new_sf", "6 64K 1 64 1000"));
	EXPECT_TRUE(sf_present(6));
	ASSERT_EQ(0, svf_sysfs_read(SF_DBG_DIR "/snapvf_sim.sf.6/instances", b, sizeof(b)));
	EXPECT_STREQ("1000", b);
	ASSERT_EQ(0, ctl(self, "del_sf", "5"));
	EXPECT_FALSE(sf_present(5));
	EXPECT_TRUE(sf_present(6));
	ASSERT_EQ(0, ctl(self, "del_sf", "6"));
	EXPECT_FALSE(sf_present(6));
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("", b);
}

/* 0 when @line is volume 3's: 128 KiB, serial "sim-" + 16 hex, @users */
static int vol_line(const char *line, unsigned int users)
{
	unsigned int id, u;
	unsigned long long bytes;
	char serial[32];
	int end = 0;

	if (sscanf(line, "%u %llu %31s %u%n", &id, &bytes, serial, &u, &end) != 4 ||
	    line[end] || id != 3 || bytes != 131072 || u != users ||
	    strlen(serial) != 20 || strncmp(serial, "sim-", 4) ||
	    strspn(serial + 4, "0123456789abcdef") != 16)
		return -1;
	return 0;
}

/*
 * Volumes: listed with their users, presented by two SFs (whose capacity
 * and knob "volume" say so), refused deletion while presented, deleted
 * after; a private volume goes with its SF.
 */
TEST_F(sim, volumes)
{
	char b[256], p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/volumes", self->dbg);
	ASSERT_EQ(0, ctl(self, "new_volume", "3 128K"));
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_EQ(0, vol_line(b, 0)) TH_LOG("volumes: %s", b);
	ASSERT_EQ(0, ctl(self, "new_sf", "10 vol:3"));
	ASSERT_EQ(0, ctl(self, "new_sf", "11 vol:3 2 64"));
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_EQ(0, vol_line(b, 2)) TH_LOG("volumes: %s", b);
	ASSERT_EQ(0, svf_sysfs_read(SF_DBG_DIR "/snapvf_sim.sf.11/capacity", b, sizeof(b)));
	EXPECT_STREQ("131072", b);
	ASSERT_EQ(0, svf_sysfs_read(SF_DBG_DIR "/snapvf_sim.sf.11/volume", b, sizeof(b)));
	EXPECT_STREQ("3", b);
	REJECT(EBUSY, ctl(self, "del_volume", "3"));
	ASSERT_EQ(0, ctl(self, "del_sf", "10"));
	REJECT(EBUSY, ctl(self, "del_volume", "3"));
	ASSERT_EQ(0, ctl(self, "del_sf", "11"));
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_EQ(0, vol_line(b, 0)) TH_LOG("volumes: %s", b);
	EXPECT_EQ(0, ctl(self, "del_volume", "3"));
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("", b);
	/* a private volume: listed nowhere, reported "private" */
	ASSERT_EQ(0, ctl(self, "new_sf", "12 64K"));
	ASSERT_EQ(0, svf_sysfs_read(SF_DBG_DIR "/snapvf_sim.sf.12/volume", b, sizeof(b)));
	EXPECT_STREQ("private", b);
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("", b);
	ASSERT_EQ(0, ctl(self, "del_sf", "12"));
	EXPECT_FALSE(svf_exists(SF_DBG_DIR "/snapvf_sim.sf.12"));
	REJECT(EINVAL, ctl(self, "new_volume", "4"));
	REJECT(EINVAL, ctl(self, "new_volume", "4 12K x"));
	REJECT(ENOENT, ctl(self, "new_sf", "13 vol:4"));
	REJECT(ENOENT, ctl(self, "del_volume", "4"));
}

TEST_F(sim, bad_sf_inputs)
{
	const char *k = SF_DBG_DIR "/snapvf_sim.sf.7/fail_io_at";

	REJECT(EINVAL, ctl(self, "new_sf", "abc"));
	REJECT(EINVAL, ctl(self, "new_sf", "1"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 lots"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 0"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 1000"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 2G"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 1M 0"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 1M 65"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 1M 1 100"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 1M 1 1"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 1M 1 64 0"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 1M 1 64 4097"));
	EXPECT_FALSE(sf_present(1));
	ASSERT_EQ(0, ctl(self, "new_sf", "7 1M"));
	REJECT(EEXIST, ctl(self, "new_sf", "7 2M"));
	REJECT(ENOENT, ctl(self, "del_sf", "9"));
	REJECT(EINVAL, ctl(self, "del_sf", "x"));
	REJECT(EINVAL, svf_sysfs_write(k, "1048576"));
	REJECT(EINVAL, svf_sysfs_write(k, "-2"));
	EXPECT_EQ(0, svf_sysfs_write(k, "4096"));
	EXPECT_EQ(0, svf_sysfs_write(k, "-1"));
	REJECT(EINVAL, svf_sysfs_write(SF_DBG_DIR "/snapvf_sim.sf.7/surprise_remove", "x"));
	REJECT(EINVAL, svf_sysfs_write(k, "4096x"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 1M 1 64 4 9"));
	REJECT(EINVAL, ctl(self, "new_sf", "1 1M 2x"));
	EXPECT_TRUE(sf_present(7));
}

TEST_F(sim, surprise_removal)
{
	const char *a = self->fn[0];
	char p[PATH_MAX], b[256];

	ASSERT_EQ(0, ctl(self, "new_function", a));
	ASSERT_EQ(0, ctl(self, "new_sf", "3 1M"));
	/* delayed: still there right after the write, gone later */
	ASSERT_EQ(0, knob(a, "surprise_remove", "400"));
	EXPECT_TRUE(fn_present(a));
	EXPECT_EQ(0, wait_for(fn_present, a, 0, 3000));
	EXPECT_FALSE(knobs_present(a));		/* they go first */
	ASSERT_EQ(0, svf_sysfs_write(SF_DBG_DIR "/snapvf_sim.sf.3/surprise_remove", "0"));
	EXPECT_EQ(0, wait_for(sf_present_s, "3", 0, 3000));
	snprintf(p, sizeof(p), "%s/functions", self->dbg);
	ASSERT_EQ(0, svf_sysfs_read(p, b, sizeof(b)));
	EXPECT_STREQ("", b);
	/* both can come back */
	EXPECT_EQ(0, ctl(self, "new_function", a));
	EXPECT_TRUE(fn_present(a));
	EXPECT_EQ(0, ctl(self, "new_sf", "3 1M"));
	EXPECT_TRUE(sf_present(3));
	/* surprise removal racing an orderly delete of the same function */
	ASSERT_EQ(0, knob(a, "surprise_remove", "0"));
	ctl(self, "del_function", a);
	EXPECT_EQ(0, wait_for(fn_present, a, 0, 3000));
}

TEST_F(sim, add_remove_loops)
{
	const char *a = self->fn[0], *b = self->fn[1];
	int i;

	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, ctl(self, "new_function", a)) TH_LOG("round %d", i);
		ASSERT_EQ(0, ctl(self, "new_sf", "2 64K"));
		ASSERT_EQ(0, ctl(self, "new_function", b));
		ASSERT_TRUE(fn_present(a));
		ASSERT_TRUE(sf_present(2));
		ASSERT_EQ(0, ctl(self, "del_function", a));
		ASSERT_EQ(0, ctl(self, "del_sf", "2"));
		ASSERT_EQ(0, ctl(self, "del_function", b));
		ASSERT_FALSE(fn_present(a));
		ASSERT_FALSE(fn_present(b));
		ASSERT_FALSE(sf_present(2));
	}
}

/* Child loop: publish @id's SF concurrently with a sibling; 0 if clean. */
static int race_sf(FIXTURE_DATA(sim) *self, const char *spec, const char *id)
{
	int i, r;

	for (i = 0; i < 60; i++) {
		r = ctl(self, "new_sf", spec);
		if (r && r != -EEXIST)
			return 1;
		r = ctl(self, "del_sf", id);
		if (r && r != -ENOENT)
			return 2;
	}
	return 0;
}

/* Child loop: publish @bdf, arm an immediate surprise removal, delete it. */
static int race_fn(FIXTURE_DATA(sim) *self, const char *bdf)
{
	int i, r, tries;

	for (i = 0; i < 40; i++) {
		if (wait_for(fn_present, bdf, 0, 3000))
			return 1;
		/* -EEXIST while the last withdrawal finishes */
		for (r = -EEXIST, tries = 0; r == -EEXIST && tries < 100; tries++)
			r = ctl(self, "new_function", bdf);
		if (r)
			return 2;
		knob(bdf, "surprise_remove", "0");	/* may be gone already */
		r = ctl(self, "del_function", bdf);
		if (r && r != -ENOENT)
			return 3;
	}
	return wait_for(fn_present, bdf, 0, 3000) ? 4 : 0;
}

/*
 * Concurrent publishing (the library's duplicate check must not look at a
 * device whose bus name is not set yet) and surprise work queued while a
 * removal is under way (it must be cancelled after withdrawal, not
 * before).  Bugs here oops or leave devices behind; the dmesg scan and the
 * final checks catch them.
 */
TEST_F(sim, concurrent_publish_and_removal)
{
	pid_t pid[4];
	int i, st, bad = 0;

	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (pid[i])
			continue;
		switch (i) {
		case 0:
		case 1:
			_exit(race_sf(self, "7 64K", "7"));
		default:
			_exit(race_fn(self, self->fn[i - 2]));
		}
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &st, 0));
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			bad++;
			TH_LOG("child %d: status 0x%x", i, st);
		}
	}
	EXPECT_EQ(0, bad);
	EXPECT_FALSE(sf_present(7));
	EXPECT_FALSE(fn_present(self->fn[0]));
	EXPECT_FALSE(fn_present(self->fn[1]));
	/* the library is consistent: everything can be published again */
	EXPECT_EQ(0, ctl(self, "new_sf", "7 64K"));
	EXPECT_EQ(0, ctl(self, "new_function", self->fn[0]));
	EXPECT_EQ(-EEXIST, ctl(self, "new_function", self->fn[0]));
}

TEST_F(sim, pci_hot_unplug_withdraws)
{
	const char *b = self->fn[1];
	char p[PATH_MAX];
	int i;

	ASSERT_EQ(0, ctl(self, "new_function", b));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/remove", b);
	ASSERT_EQ(0, svf_sysfs_write(p, "1"));
	EXPECT_FALSE(fn_present(b));
	ASSERT_EQ(0, svf_sysfs_write("/sys/bus/pci/rescan", "1"));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", b);
	for (i = 0; i < 50 && !svf_exists(p); i++)
		usleep(20000);
	ASSERT_TRUE(svf_exists(p));
	EXPECT_EQ(0, ctl(self, "new_function", b));
	EXPECT_TRUE(fn_present(b));
}

TEST_F(sim, manager_unbind_rebind)
{
	const char *a = self->fn[0];

	ASSERT_EQ(0, ctl(self, "new_function", a));
	ASSERT_EQ(0, ctl(self, "new_sf", "4 1M"));
	ASSERT_EQ(0, svf_sysfs_write("/sys/bus/pci/drivers/snapvf_sim/unbind",
				 self->mgr[0]));
	EXPECT_FALSE(svf_exists(self->ctl));
	EXPECT_FALSE(svf_exists(self->dbg));
	EXPECT_FALSE(fn_present(a));
	EXPECT_FALSE(knobs_present(a));
	EXPECT_FALSE(sf_present(4));
	ASSERT_EQ(0, svf_sysfs_write("/sys/bus/pci/drivers/snapvf_sim/bind",
				 self->mgr[0]));
	ASSERT_TRUE(svf_exists(self->ctl));
	ASSERT_TRUE(svf_exists(self->dbg));
	EXPECT_EQ(0, ctl(self, "new_function", a));
	EXPECT_TRUE(fn_present(a));
}

TEST_F(sim, unload_with_devices_present)
{
	ASSERT_EQ(0, ctl(self, "new_function", self->fn[0]));
	ASSERT_EQ(0, ctl(self, "new_function", self->fn[2]));
	ASSERT_EQ(0, ctl(self, "new_sf", "1 4M"));
	ASSERT_EQ(0, svf_modunload("snapvf_sim"));
	EXPECT_FALSE(svf_mod_loaded("snapvf_sim"));
	EXPECT_FALSE(fn_present(self->fn[0]));
	EXPECT_FALSE(fn_present(self->fn[2]));
	EXPECT_FALSE(sf_present(1));
	EXPECT_FALSE(svf_exists(SVF_SIM_DEBUGFS));
	ASSERT_EQ(0, svf_modunload("snapvf_aux"));
	EXPECT_FALSE(svf_mod_loaded("snapvf_aux"));
	ASSERT_EQ(0, svf_modload("snapvf_sim"));
	EXPECT_TRUE(svf_exists(self->ctl));
	EXPECT_TRUE(svf_exists(self->dbg));
	EXPECT_EQ(0, ctl(self, "new_function", self->fn[0]));
	EXPECT_TRUE(fn_present(self->fn[0]));
	EXPECT_TRUE(knobs_present(self->fn[0]));
}

TEST_HARNESS_MAIN
