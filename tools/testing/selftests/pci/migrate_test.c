// SPDX-License-Identifier: GPL-2.0
/*
 * Live migration through snapvf_pci from function A to function B, for
 * any parent (parent.h: built here with the simulator, and in mlx5/ with
 * snapvf_mlx5 on its firmware model): STOP_COPY, PRE_COPY with the state
 * changing between rounds, P2P arcs, the size estimate, and rejected
 * streams (incompatible, corrupt, truncated) leaving the destination
 * unchanged and reusable; the reference reader of the format's public
 * definition (<snapvf/mig_stream.h>, svf_stream.h) agrees with each
 * verdict.  Destination state must equal the source's byte for byte, also
 * when the user turned memory decoding and bus mastering off on both
 * functions (as QEMU's reset does before the guest's firmware runs).
 * With the simulator only: its registers travel (registers), and both
 * functions in D3hot (d3hot, on its QEMU NVMe functions: ivshmem-plain has
 * no PM capability, and the model's VFs have no power states of their own).
 */
#include <linux/pci_regs.h>

#include "mig_lib.h"
#include "svf_harness.h"
#include "svf_stream.h"

#define TEST_STATE	(4u << 20)

FIXTURE(mig) {
	char fn[MAX_FNS][32];
	const char *a, *b;
	struct svf_vfio va, vb;
	size_t size;
	struct mig_buf buf;
};

static int setup_fn(const char *bdf, size_t size)
{
	int ret;

	if (!svf_pci_is_bound(bdf, SNAP_DRV) || !parent_published(bdf)) {
		parent_del(bdf);
		ret = parent_add(bdf);
		if (ret)
			return ret;
		ret = svf_pci_bind(bdf, SNAP_DRV);
		if (ret)
			return ret;
	}
	return parent_set_size(bdf, size);
}

FIXTURE_SETUP(mig)
{
	ASSERT_EQ(0, parent_load());
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_GE(svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, self->fn, MAX_FNS), 2);
	self->a = self->fn[0];
	self->b = self->fn[1];
	self->size = TEST_STATE;
	ASSERT_EQ(0, setup_fn(self->a, self->size));
	ASSERT_EQ(0, setup_fn(self->b, self->size));
	ASSERT_EQ(0, svf_vfio_open(&self->va, self->a));
	ASSERT_EQ(0, svf_vfio_open(&self->vb, self->b));
	ASSERT_EQ(0, state_fill(&self->va, 0, self->size, 1));
	ASSERT_EQ(0, state_fill(&self->vb, 0, self->size, 2));
	memset(&self->buf, 0, sizeof(self->buf));
}

FIXTURE_TEARDOWN(mig)
{
	mig_buf_free(&self->buf);
	svf_vfio_close(&self->va);
	svf_vfio_close(&self->vb);
}

/* A's state (now stopped) equals B's, byte for byte. */
static int same_state(struct svf_vfio *a, struct svf_vfio *b, size_t size)
{
	void *sa = state_snapshot(a, size), *sb = state_snapshot(b, size);
	int ret = sa && sb && !memcmp(sa, sb, size);

	free(sa);
	free(sb);
	return ret;
}

TEST_F(mig, stop_copy)
{
	struct mig_stats st;
	uint32_t state;

	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 0, NULL, NULL, &st));
	EXPECT_GE(st.stop_bytes, self->size);
	ASSERT_EQ(0, svf_vfio_mig_get(&self->va, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_STOP, state);
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, &st));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->vb, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, state);
	EXPECT_TRUE(same_state(&self->va, &self->vb, self->size));
	TH_LOG("stream %zu bytes, stop-copy %.1f ms, load %.1f ms",
	       self->buf.len, st.stopcopy_s * 1e3, st.load_s * 1e3);
}

struct touch_ctx {
	struct svf_vfio *v;
	int fails;
};

/* The device "in use": change 64 KiB at a different place each round. */
static void touch_state(void *opaque, int round)
{
	struct touch_ctx *t = opaque;

	if (state_fill(t->v, (size_t)(round + 1) * (256u << 10), 64u << 10,
		       100 + round))
		t->fails++;
}

TEST_F(mig, pre_copy)
{
	struct touch_ctx t = { .v = &self->va };
	struct mig_stats st;

	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 3, touch_state, &t, &st));
	EXPECT_EQ(0, t.fails);
	EXPECT_EQ(3, st.rounds);
	EXPECT_GE(st.precopy_bytes, self->size) TH_LOG("round 0 carries it all");
	EXPECT_GT(st.last_dirty, 0) TH_LOG("changes between rounds are dirty");
	EXPECT_LT(st.stop_bytes, self->size / 4)
		TH_LOG("stop-copy carries only what changed: %llu bytes",
		       (unsigned long long)st.stop_bytes);
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_TRUE(same_state(&self->va, &self->vb, self->size));
}

static int set_command(struct svf_vfio *v, uint16_t cmd)
{
	return svf_vfio_write(v, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND,
			      &cmd, 2) == 2 ? 0 : -EIO;
}

/* @len bytes at @off of the function's own config space (not vfio's view) */
static int hw_config(const char *bdf, unsigned int off, void *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* The function's own command register (vfio virtualizes the user's view). */
static int hw_command(const char *bdf, uint16_t *cmd)
{
	return hw_config(bdf, PCI_COMMAND, cmd, 2);
}

/*
 * Memory decoding and bus mastering off on both sides: pre-copy,
 * stop-copy and the load still carry the state (the parent reaches it
 * whatever the user did), and both command registers are as the user
 * left them afterwards.
 */
TEST_F(mig, decoding_off)
{
	void *ref = state_snapshot(&self->va, self->size), *got;
	uint16_t cmd = 0xffff;
	uint8_t byte;

	ASSERT_NE(NULL, ref);
	ASSERT_EQ(0, set_command(&self->va, 0));
	ASSERT_EQ(0, set_command(&self->vb, 0));
	ASSERT_EQ(0, hw_command(self->a, &cmd));
	ASSERT_EQ(0, cmd & PCI_COMMAND_MEMORY) TH_LOG("decoding still on");
	EXPECT_EQ(-EIO, svf_vfio_read(&self->va, STATE_BAR, 0, &byte, 1))
		TH_LOG("the user's own BAR access must fail with decoding off");
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 2, NULL, NULL, NULL));
	EXPECT_GE(self->buf.len, self->size);
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	ASSERT_EQ(0, hw_command(self->a, &cmd));
	EXPECT_EQ(0, cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
		TH_LOG("source's command register 0x%x", cmd);
	ASSERT_EQ(0, hw_command(self->b, &cmd));
	EXPECT_EQ(0, cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
		TH_LOG("destination's command register 0x%x", cmd);
	ASSERT_EQ(0, set_command(&self->vb, PCI_COMMAND_MEMORY));
	got = state_snapshot(&self->vb, self->size);
	ASSERT_NE(NULL, got);
	EXPECT_EQ(0, memcmp(ref, got, self->size)) TH_LOG("destination differs");
	free(ref);
	free(got);
}

/* PRE_COPY info: all initial at first, nothing left after a full read. */
TEST_F(mig, precopy_info)
{
	uint64_t initial, dirty;
	int fd;

	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_PRE_COPY, &fd));
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &initial, &dirty));
	EXPECT_GE(initial, self->size);
	ASSERT_GT(mig_buf_fill(&self->buf, fd, 0), 0);
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &initial, &dirty));
	EXPECT_EQ(0, initial);
	ASSERT_EQ(0, state_fill(&self->va, 0, 8192, 7));
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &initial, &dirty));
	EXPECT_GE(dirty, 8192);
	/* Drained, and nothing changed since: nothing is due, not even the
	 * registers, which were sent already. */
	ASSERT_GT(mig_buf_fill(&self->buf, fd, 0), 0);
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &initial, &dirty));
	EXPECT_EQ(0, initial);
	EXPECT_EQ(0, dirty) TH_LOG("a round without changes reports %llu bytes",
				   (unsigned long long)dirty);
	close(fd);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING, NULL));
}

TEST_F(mig, data_size_and_arcs)
{
	static const uint32_t path[] = {
		VFIO_DEVICE_STATE_RUNNING_P2P, VFIO_DEVICE_STATE_STOP,
		VFIO_DEVICE_STATE_RUNNING_P2P, VFIO_DEVICE_STATE_RUNNING,
		VFIO_DEVICE_STATE_STOP, VFIO_DEVICE_STATE_RUNNING,
	};
	uint64_t size = 0, initial, dirty;
	uint32_t state;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, svf_vfio_mig_data_size(&self->va, &size));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_PRE_COPY, &fd));
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &initial, &dirty));
	ASSERT_EQ(0, svf_vfio_mig_data_size(&self->va, &size));
	EXPECT_GE(size, self->size);
	close(fd);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING, NULL));
	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		ASSERT_EQ(0, svf_vfio_mig_set(&self->va, path[i], NULL))
			TH_LOG("-> %s", svf_mig_state_name(path[i]));
		ASSERT_EQ(0, svf_vfio_mig_get(&self->va, &state));
		EXPECT_EQ(path[i], state);
	}
}

/*
 * MIG_DATA_SIZE without a save session (RUNNING, then STOP): the parent
 * estimates a complete save, so a VMM can size its STOP_COPY budget before
 * it starts; and the estimate covers what STOP_COPY then really produces.
 */
TEST_F(mig, data_size_without_session)
{
	uint64_t running = 0, stopped = 0;
	int fd;

	ASSERT_EQ(0, svf_vfio_mig_data_size(&self->va, &running));
	EXPECT_GE(running, self->size) TH_LOG("RUNNING estimate %llu",
					       (unsigned long long)running);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, svf_vfio_mig_data_size(&self->va, &stopped));
	EXPECT_EQ(running, stopped);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_STOP_COPY, &fd));
	ASSERT_GT(mig_buf_fill(&self->buf, fd, 0), 0);
	close(fd);
	EXPECT_EQ(stopped, self->buf.len) TH_LOG("estimate %llu, stream %zu",
						 (unsigned long long)stopped,
						 self->buf.len);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING, NULL));
}

/*
 * What a VMM is told the final phase will send, against what it then
 * sends.  QEMU switches over once MIG_DATA_SIZE fits its downtime budget:
 * an estimate below the STOP_COPY stream overruns the downtime, and one
 * far above it keeps QEMU from ever switching over.  Four points of a
 * pre-copy session: nothing read yet; 4 KiB read (the rest of a produced
 * chunk is waiting); every round read and nothing changed since; every
 * round read and then 64 KiB of state changed.  In each MIG_DATA_SIZE,
 * asked before and after PRECOPY_INFO (QEMU asks in that order), is
 * exactly the stream, and PRECOPY_INFO covers the changed state.
 */
TEST_F(mig, size_matches_stop_copy)
{
	static const struct { uint64_t read; size_t touch; const char *what; } c[] = {
		{ 0, 0, "nothing read" },
		{ 4096, 0, "4 KiB read" },
		{ ~0ULL, 0, "drained, unchanged" },
		{ ~0ULL, 64u << 10, "drained, 64 KiB changed" },
	};
	uint64_t estimate, again, initial, dirty;
	unsigned int i;
	int64_t sent;
	int fd;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_PRE_COPY, &fd));
		if (c[i].read) {
			ASSERT_LE(0, svf_mig_copy(fd, -1, c[i].read == ~0ULL ? 0 : c[i].read,
						  1 << 20));
		}
		if (c[i].touch) {
			ASSERT_EQ(0, state_fill(&self->va, 1u << 20, c[i].touch, 40 + i));
		}
		ASSERT_EQ(0, svf_vfio_mig_data_size(&self->va, &estimate));
		ASSERT_EQ(0, svf_vfio_precopy_info(fd, &initial, &dirty));
		ASSERT_EQ(0, svf_vfio_mig_data_size(&self->va, &again));
		EXPECT_EQ(estimate, again) TH_LOG("%s", c[i].what);
		ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_STOP_COPY, NULL));
		sent = svf_mig_copy(fd, -1, 0, 1 << 20);
		close(fd);
		ASSERT_LT(0, sent) TH_LOG("%s", c[i].what);
		ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING, NULL));
		ksft_print_msg("%s: MIG_DATA_SIZE %llu, STOP_COPY sent %lld, dirty_bytes %llu\n",
			       c[i].what, (unsigned long long)estimate, (long long)sent,
			       (unsigned long long)dirty);
		EXPECT_EQ(estimate, (uint64_t)sent) TH_LOG("%s", c[i].what);
		if (c[i].touch) {
			EXPECT_GE(dirty, c[i].touch) TH_LOG("%s", c[i].what);
		}
	}
}

#if PARENT_SIM	/* the simulator's registers (its scratch knob) */
TEST_F(mig, registers)
{
	char val[64];

	ASSERT_EQ(0, sim_knob(self->a, "scratch", "0x5eed1234"));
	ASSERT_EQ(0, sim_knob(self->b, "scratch", "0"));
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 0, NULL, NULL, NULL));
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	ASSERT_EQ(0, sim_knob_read(self->b, "scratch", val, sizeof(val)));
	EXPECT_EQ(0x5eed1234ULL, strtoull(val, NULL, 0));
}
#endif

/* Each bad stream: load fails, B unchanged, then a good stream loads. */
static void bad_stream(struct __test_metadata *_metadata,
		       FIXTURE_DATA(mig) *self, int how)
{
	void *before, *after;
	size_t len;
	uint32_t state;
	int kfd;

	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 0, NULL, NULL, NULL));
	before = state_snapshot(&self->vb, self->size);
	ASSERT_NE(NULL, before);
	len = self->buf.len;
	if (how == 0)
		len -= 100;			/* truncated */
	else if (how == 1)
		self->buf.data[len / 2] ^= 0x40;	/* corrupt */
	/*
	 * The format's definition agrees: truncated and corrupt streams break
	 * the framing; an incompatible one is only the device's to refuse.
	 */
	EXPECT_EQ(how == 2 ? 0 : -EINVAL,
		  svf_stream_verify(self->buf.data, len, NULL, NULL, 0));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	/*
	 * stream_test's contract: EINVAL, nothing applied, one log line; the
	 * layer's for a broken stream, the parent's for one its device
	 * refuses.
	 */
	EXPECT_EQ(-EINVAL, mig_load(&self->vb, &self->buf, len, NULL));
	EXPECT_EQ(1, kmsg_count(kfd, how == 2 ? PARENT_LOAD_FAIL_LINE :
				"migration stream", NULL));
	close(kfd);
	after = state_snapshot(&self->vb, self->size);
	ASSERT_NE(NULL, after);
	EXPECT_EQ(0, memcmp(before, after, self->size)) TH_LOG("nothing applied");
	free(before);
	free(after);
	/* reusable: reset, then the intact stream goes in */
	if (how == 1)
		self->buf.data[self->buf.len / 2] ^= 0x40;
	ASSERT_EQ(0, svf_vfio_reset(&self->vb));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->vb, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, state);
	if (how == 2)	/* incompatible: make B compatible again */
		ASSERT_EQ(0, parent_make_compatible(self->b, self->size));
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_TRUE(same_state(&self->va, &self->vb, self->size));
}

TEST_F(mig, truncated_stream)
{
	bad_stream(_metadata, self, 0);
}

TEST_F(mig, corrupt_stream)
{
	bad_stream(_metadata, self, 1);
}

TEST_F(mig, incompatible_stream)
{
	ASSERT_EQ(0, parent_make_incompatible(self->b, self->size));
	bad_stream(_metadata, self, 2);
}

#if PARENT_SIM
/* ---- D3hot: the simulator's PM-capable functions (QEMU NVMe) ---- */

#define NVME_VENDOR	0x1b36
#define NVME_DEVICE	0x0010
#define NVME_STATE_SIZE	0x100000	/* vm.conf: cmb_size_mb=1 */

static uint8_t pm_cap(const uint8_t cfg[256])
{
	uint8_t pos = cfg[PCI_CAPABILITY_LIST];
	int guard = 48;

	while (pos >= 0x40 && guard--) {
		if (cfg[pos] == PCI_CAP_ID_PM)
			return pos;
		pos = cfg[pos + 1];
	}
	return 0;
}

/* The function's power state (PMCSR) as the hardware holds it, or -1. */
static int hw_pstate(const char *bdf, uint8_t pm)
{
	uint8_t cfg[256];

	if (hw_config(bdf, 0, cfg, 256))
		return -1;
	return cfg[pm + PCI_PM_CTRL] & PCI_PM_CTRL_STATE_MASK;
}

static int set_pstate(struct svf_vfio *v, uint8_t pm, uint16_t state)
{
	return svf_vfio_write(v, VFIO_PCI_CONFIG_REGION_INDEX, pm + PCI_PM_CTRL,
			      &state, 2) == 2 ? 0 : -EIO;
}

/* The simulator's count of save/load steps that took @bdf out of D3hot. */
static long long d3_steps(const char *bdf)
{
	char buf[512], *p;

	if (sim_knob_read(bdf, "stats", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "d3_steps ");
	return p ? strtoll(p + 9, NULL, 10) : -1;
}

/*
 * The user of both functions put them in D3hot (vfio_pci_core moves the
 * function there), which alone makes the user's own BAR access fail, and
 * turned decoding and bus mastering off.  Pre-copy, stop-copy and the load
 * still carry the state, each step taking the function to D0 and back
 * (the simulator counts them); afterwards both are in D3hot with their
 * command registers as left, and once the destination is back in D0 its
 * state is the source's byte for byte.
 */
TEST(d3hot)
{
	struct mig_buf buf = { 0 };
	char fn[MAX_FNS][32];
	long long steps[2];
	struct svf_vfio v[2];
	uint8_t cfg[256], pm, byte;
	void *ref, *got;
	uint16_t cmd;
	int i;

	ASSERT_EQ(0, svf_modload("snapvf_sim"));
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_GE(svf_find_pci(NVME_VENDOR, NVME_DEVICE, fn, MAX_FNS), 2)
		TH_LOG("vm.conf gives the group two QEMU NVMe functions");
	ASSERT_EQ(0, hw_config(fn[0], 0, cfg, 256));
	pm = pm_cap(cfg);
	ASSERT_NE(0, pm);
	ASSERT_TRUE(cfg[pm + PCI_PM_CTRL] & PCI_PM_CTRL_NO_SOFT_RESET);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, setup_fn(fn[i], NVME_STATE_SIZE));
		ASSERT_EQ(0, svf_vfio_open(&v[i], fn[i]));
		ASSERT_EQ(0, state_fill(&v[i], 0, NVME_STATE_SIZE, 21 + i));
	}
	ref = state_snapshot(&v[0], NVME_STATE_SIZE);
	ASSERT_NE(NULL, ref);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, set_pstate(&v[i], pm, 3));
		ASSERT_EQ(3, hw_pstate(fn[i], pm)) TH_LOG("%s not in D3hot", fn[i]);
		EXPECT_EQ(-EIO, svf_vfio_read(&v[i], STATE_BAR, 0, &byte, 1))
			TH_LOG("%s: the user's BAR access must fail in D3hot", fn[i]);
		ASSERT_EQ(0, set_command(&v[i], 0));
		steps[i] = d3_steps(fn[i]);
		ASSERT_LE(0, steps[i]);
	}

	ASSERT_EQ(0, mig_save(&v[0], &buf, 2, NULL, NULL, NULL));
	EXPECT_GE(buf.len, NVME_STATE_SIZE);
	ASSERT_EQ(0, mig_load(&v[1], &buf, buf.len, NULL));
	for (i = 0; i < 2; i++) {
		EXPECT_LT(steps[i], d3_steps(fn[i])) TH_LOG("%s never left D3hot", fn[i]);
		EXPECT_EQ(3, hw_pstate(fn[i], pm)) TH_LOG("%s left D3hot", fn[i]);
		ASSERT_EQ(0, hw_command(fn[i], &cmd));
		EXPECT_EQ(0, cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
			TH_LOG("%s: command register 0x%x", fn[i], cmd);
	}

	/* The destination's user brings it back. */
	ASSERT_EQ(0, set_pstate(&v[1], pm, 0));
	ASSERT_EQ(0, set_command(&v[1], PCI_COMMAND_MEMORY));
	got = state_snapshot(&v[1], NVME_STATE_SIZE);
	ASSERT_NE(NULL, got);
	EXPECT_EQ(0, memcmp(ref, got, NVME_STATE_SIZE)) TH_LOG("destination differs");
	free(ref);
	free(got);
	mig_buf_free(&buf);
	svf_vfio_close(&v[0]);
	svf_vfio_close(&v[1]);
}

#endif /* PARENT_SIM: d3hot */

TEST_HARNESS_MAIN
