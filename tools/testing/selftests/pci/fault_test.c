// SPDX-License-Identifier: GPL-2.0
/*
 * Every fault a parent injects into a snapvf_pci migration ends in a
 * clean error and a reusable device, for any parent (parent.h: built here
 * with the simulator, and in mlx5/ with snapvf_mlx5 on its firmware
 * model): a save failing at byte N (in STOP_COPY and in PRE_COPY: EIO,
 * one log line), a load failing at byte N (EINVAL, destination left
 * unchanged, one line: PARENT_LOAD_FAIL_LINE), a slow quiesce, and a
 * surprise removal in the middle of STOP_COPY (request IRQ, ERROR, ENODEV
 * from every call, function rebinds afterwards).  With the simulator
 * only: its quiesce message cannot be made to flood the log by a VMM
 * repeating the arc, and its state_size knob refuses a change (EBUSY)
 * while a save session is open (Documentation/simulator.rst).
 */
#include "mig_lib.h"
#include "svf_harness.h"

#define TEST_STATE	(2u << 20)

FIXTURE(fault) {
	char fn[MAX_FNS][32];
	const char *a, *b;
	struct svf_vfio va, vb;
	struct mig_buf buf;
};

static int setup_fn(const char *bdf)
{
	int ret;

	parent_del(bdf);
	ret = parent_add(bdf);
	if (!ret)
		ret = svf_pci_bind(bdf, SNAP_DRV);
	if (!ret)
		ret = svf_pci_wait_driver(bdf, SNAP_DRV, 5000);
	return ret ? ret : parent_set_size(bdf, TEST_STATE);
}

FIXTURE_SETUP(fault)
{
	ASSERT_EQ(0, parent_load());
	ASSERT_EQ(0, svf_modload(SNAP_DRV));
	ASSERT_GE(svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, self->fn, MAX_FNS), 2);
	self->a = self->fn[0];
	self->b = self->fn[1];
	ASSERT_EQ(0, setup_fn(self->a));
	ASSERT_EQ(0, setup_fn(self->b));
	ASSERT_EQ(0, svf_vfio_open(&self->va, self->a));
	ASSERT_EQ(0, svf_vfio_open(&self->vb, self->b));
	ASSERT_EQ(0, state_fill(&self->va, 0, TEST_STATE, 11));
	ASSERT_EQ(0, state_fill(&self->vb, 0, TEST_STATE, 12));
	memset(&self->buf, 0, sizeof(self->buf));
}

FIXTURE_TEARDOWN(fault)
{
	mig_buf_free(&self->buf);
	svf_vfio_close(&self->va);
	svf_vfio_close(&self->vb);
}

/* After a failure: ERROR (or a clean error), reset, a good migration. */
static void recover_and_migrate(struct __test_metadata *_metadata,
				FIXTURE_DATA(fault) *self)
{
	void *sa, *sb;
	uint32_t state;

	ASSERT_EQ(0, svf_vfio_reset(&self->va));
	ASSERT_EQ(0, svf_vfio_reset(&self->vb));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->va, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, state);
	ASSERT_EQ(0, svf_vfio_mig_get(&self->vb, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, state);
	self->buf.len = 0;
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 1, NULL, NULL, NULL));
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	sa = state_snapshot(&self->va, TEST_STATE);
	sb = state_snapshot(&self->vb, TEST_STATE);
	ASSERT_TRUE(sa && sb);
	EXPECT_EQ(0, memcmp(sa, sb, TEST_STATE));
	free(sa);
	free(sb);
}

/* The device in use between pre-copy rounds: 64 KiB change each round. */
static void touch(void *opaque, int round)
{
	state_fill(opaque, (size_t)(round + 1) * (256u << 10), 64u << 10,
		   200 + round);
}

static void save_fault(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, size_t at, int rounds)
{
	uint32_t state;
	int ret, kfd;

	ASSERT_EQ(0, parent_fail_save_at(self->a, at));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	ret = mig_save(&self->va, &self->buf, rounds, touch, &self->va, NULL);
	EXPECT_EQ(-EIO, ret) TH_LOG("save must fail with the parent's EIO");
	EXPECT_EQ(1, kmsg_count(kfd, PARENT_SAVE_FAIL_LINE, self->a));
	close(kfd);
	/* The data_fd failed; the device stays in the state of the save. */
	ASSERT_EQ(0, svf_vfio_mig_get(&self->va, &state));
	EXPECT_EQ(rounds ? VFIO_DEVICE_STATE_PRE_COPY :
		  VFIO_DEVICE_STATE_STOP_COPY, state)
		TH_LOG("state after the fault: %s", svf_mig_state_name(state));
	ASSERT_EQ(0, parent_fail_save_off(self->a));
	recover_and_migrate(_metadata, self);
}

TEST_F(fault, save_fails_in_stop_copy)
{
	save_fault(_metadata, self, 1000000, 0);
}

/*
 * In round 1, after round 0 carried the whole state: on the data_fd (a
 * parent may produce round 0 in the arc to PRE_COPY, where a failure is
 * the arc's, and ends in ERROR).
 */
TEST_F(fault, save_fails_in_pre_copy)
{
	save_fault(_metadata, self, TEST_STATE + 40000, 2);
}

TEST_F(fault, load_fails)
{
	void *before, *after;
	int kfd;

	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 0, NULL, NULL, NULL));
	before = state_snapshot(&self->vb, TEST_STATE);
	ASSERT_NE(NULL, before);
	ASSERT_EQ(0, parent_fail_load_at(self->b, 500000));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	/* The device refusing a record rejects the stream: EINVAL. */
	EXPECT_EQ(-EINVAL, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	EXPECT_EQ(1, kmsg_count(kfd, PARENT_LOAD_FAIL_LINE, NULL));
	close(kfd);
	after = state_snapshot(&self->vb, TEST_STATE);
	ASSERT_NE(NULL, after);
	EXPECT_EQ(0, memcmp(before, after, TEST_STATE)) TH_LOG("destination unchanged");
	free(before);
	free(after);
	ASSERT_EQ(0, parent_fail_load_off(self->b));
	recover_and_migrate(_metadata, self);
}

TEST_F(fault, slow_quiesce)
{
	struct mig_stats st;

	ASSERT_EQ(0, parent_quiesce_delay(self->a, 400));
	ASSERT_EQ(0, mig_save(&self->va, &self->buf, 1, NULL, NULL, &st));
	EXPECT_GE(st.stopcopy_s, 0.39) TH_LOG("quiesce delay is part of the downtime");
	ASSERT_EQ(0, mig_load(&self->vb, &self->buf, self->buf.len, NULL));
	ASSERT_EQ(0, parent_quiesce_delay(self->a, 0));
}

#if PARENT_SIM	/* the simulator's quiesce message and state_size knob */

/*
 * A parent message on an arc a VMM can repeat is rate-limited
 * (Documentation/driver-api/parent.rst): 1000 quiesces with an injected
 * delay log the first one, then at most the burst (10) per 5 s window.
 */
TEST_F(fault, repeated_arc_message_is_ratelimited)
{
	int kfd, lines, i, fails = 0;
	double t0, secs;

	ASSERT_EQ(0, sim_knob(self->a, "quiesce_delay_ms", "1"));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	t0 = svf_now();
	for (i = 0; i < 1000; i++) {
		fails += !!svf_vfio_mig_set(&self->va,
					    VFIO_DEVICE_STATE_RUNNING_P2P, NULL);
		fails += !!svf_vfio_mig_set(&self->va,
					    VFIO_DEVICE_STATE_RUNNING, NULL);
	}
	secs = svf_now() - t0;
	lines = kmsg_count(kfd, "injected quiesce delay", self->a);
	close(kfd);
	ASSERT_EQ(0, sim_knob(self->a, "quiesce_delay_ms", "0"));
	EXPECT_EQ(0, fails);
	EXPECT_LE(1, lines) TH_LOG("the first quiesce is logged");
	EXPECT_GE(10 * ((int)(secs / 5) + 2), lines)
		TH_LOG("%d lines in %.1f s", lines, secs);
}

/*
 * The simulator's state_size knob (debugfs) refuses a change while the
 * parent has a save session open: EBUSY and one log line, the size kept;
 * once the session ended (reset), the change is taken.
 */
TEST_F(fault, state_size_busy_during_save)
{
	char val[32], want[32];
	int kfd, fd;

	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_STOP_COPY, &fd));
	kfd = kmsg_mark();
	ASSERT_LE(0, kfd);
	EXPECT_EQ(-EBUSY, sim_knob(self->a, "state_size", "1M"));
	EXPECT_EQ(1, kmsg_count(kfd, "a save or load session is open", NULL));
	close(kfd);
	snprintf(want, sizeof(want), "%u", TEST_STATE);
	ASSERT_EQ(0, sim_knob_read(self->a, "state_size", val, sizeof(val)));
	EXPECT_STREQ(want, val);
	close(fd);
	ASSERT_EQ(0, svf_vfio_reset(&self->va));
	EXPECT_EQ(0, sim_knob(self->a, "state_size", "1M"));
	ASSERT_EQ(0, sim_knob_read(self->a, "state_size", val, sizeof(val)));
	EXPECT_STREQ("1048576", val);
	ASSERT_EQ(0, sim_knob(self->a, "state_size", want));
	recover_and_migrate(_metadata, self);
}

#endif

/* The parent vanishes while STOP_COPY data is being read. */
TEST_F(fault, surprise_removal_mid_stop_copy)
{
	uint32_t state;
	int efd, fd;
	int64_t n;

	efd = svf_vfio_irq_eventfd(&self->va, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, parent_surprise_save_at(self->a, 300000));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_STOP_COPY, &fd));
	n = mig_buf_fill(&self->buf, fd, 0);
	EXPECT_EQ(-ENODEV, n) TH_LOG("the stream must end in ENODEV, got %lld",
				     (long long)n);
	EXPECT_GT(svf_wait_eventfd(efd, 5000), 0) TH_LOG("request IRQ");
	/* Withdrawn: the state reads ERROR, every change fails with ENODEV. */
	ASSERT_EQ(0, svf_vfio_mig_get(&self->va, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, state);
	EXPECT_EQ(-ENODEV, svf_vfio_mig_set(&self->va, VFIO_DEVICE_STATE_RUNNING, NULL));
	EXPECT_EQ(-ENODEV, svf_vfio_reset(&self->va));
	close(fd);
	close(efd);
	svf_vfio_close(&self->va);
	EXPECT_EQ(0, svf_pci_wait_driver(self->a, NULL, 5000));
	/* published again: bound again, usable again */
	ASSERT_EQ(0, parent_add(self->a));
	ASSERT_EQ(0, svf_pci_wait_driver(self->a, SNAP_DRV, 5000));
	ASSERT_EQ(0, parent_set_size(self->a, TEST_STATE));
	ASSERT_EQ(0, svf_vfio_open(&self->va, self->a));
	recover_and_migrate(_metadata, self);
}

TEST_HARNESS_MAIN
