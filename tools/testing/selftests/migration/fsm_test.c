// SPDX-License-Identifier: GPL-2.0
/*
 * The v2 migration state machine of snapvf_mig.ko, through the test
 * device svf_mig_test.0: every arc between the eight states (legal ones
 * end in the target state with the device's run level right, illegal
 * ones fail with EINVAL and change nothing), ERROR on a failed step and
 * recovery by VFIO_DEVICE_RESET, data_fd rules, PRE_COPY info, the
 * stop-copy size, and withdrawal.
 */
#include "svf_harness.h"
#include "mig_test_lib.h"

#define NSTATES 8

static const int level_of[NSTATES] = {
	[VFIO_DEVICE_STATE_STOP] = 0, [VFIO_DEVICE_STATE_RUNNING] = 2,
	[VFIO_DEVICE_STATE_STOP_COPY] = 0, [VFIO_DEVICE_STATE_RESUMING] = 0,
	[VFIO_DEVICE_STATE_RUNNING_P2P] = 1, [VFIO_DEVICE_STATE_PRE_COPY] = 2,
	[VFIO_DEVICE_STATE_PRE_COPY_P2P] = 1,
};

static bool arc_legal(int from, int to)
{
	if (to == VFIO_DEVICE_STATE_ERROR || from == VFIO_DEVICE_STATE_ERROR)
		return false;
	return !(from == VFIO_DEVICE_STATE_STOP_COPY &&
		 (to == VFIO_DEVICE_STATE_PRE_COPY ||
		  to == VFIO_DEVICE_STATE_PRE_COPY_P2P));
}

FIXTURE(fsm) {
	struct svf_vfio v;
	char *stream;
	ssize_t stream_len;
};

FIXTURE_SETUP(fsm)
{
	ASSERT_EQ(0, mt_attr_write(0, "size", "%d", 1 << 20));
	ASSERT_EQ(0, mt_open(&self->v, 0));
	ASSERT_EQ(0, svf_vfio_reset(&self->v));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP, NULL));
	self->stream_len = mt_save(&self->v, &self->stream);
	ASSERT_LT(0, self->stream_len);
	ASSERT_EQ(0, svf_vfio_reset(&self->v));
}

FIXTURE_TEARDOWN(fsm)
{
	free(self->stream);
	svf_vfio_close(&self->v);
}

/* Enter @state from RUNNING; keep the data_fd open in *fd. */
static int enter(struct svf_vfio *v, int state, const char *stream,
		 size_t len, int *fd)
{
	int ret = svf_vfio_mig_set(v, state, fd);

	if (!ret && state == VFIO_DEVICE_STATE_RESUMING)
		ret = svf_write_all(*fd, stream, len);
	return ret;
}

TEST_F(fsm, flags)
{
	uint64_t flags;

	ASSERT_EQ(0, svf_vfio_mig_flags(&self->v, &flags));
	EXPECT_EQ(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
		  VFIO_MIGRATION_PRE_COPY, flags);
}

TEST_F(fsm, every_arc)
{
	int from, to, fd, fd2, ret, checked = 0;
	uint32_t st;

	for (from = 1; from < NSTATES; from++) {
		for (to = 0; to < NSTATES; to++) {
			if (from == to)
				continue;
			ASSERT_EQ(0, svf_vfio_reset(&self->v));
			fd = fd2 = -1;
			ASSERT_EQ(0, enter(&self->v, from, self->stream,
					   self->stream_len, &fd))
				TH_LOG("enter %s", svf_mig_state_name(from));
			ret = svf_vfio_mig_set(&self->v, to, &fd2);
			ASSERT_EQ(0, svf_vfio_mig_get(&self->v, &st));
			if (arc_legal(from, to)) {
				EXPECT_EQ(0, ret) TH_LOG("%s -> %s",
					svf_mig_state_name(from), svf_mig_state_name(to));
				EXPECT_EQ(to, st);
				EXPECT_EQ(level_of[to], mt_attr_long(0, "level"))
					TH_LOG("%s -> %s level", svf_mig_state_name(from),
					       svf_mig_state_name(to));
				/* A data_fd exactly when a session starts. */
				bool starts = (to == VFIO_DEVICE_STATE_RESUMING) ||
					((to == VFIO_DEVICE_STATE_PRE_COPY ||
					  to == VFIO_DEVICE_STATE_PRE_COPY_P2P ||
					  to == VFIO_DEVICE_STATE_STOP_COPY) &&
					 !(from == VFIO_DEVICE_STATE_PRE_COPY ||
					   from == VFIO_DEVICE_STATE_PRE_COPY_P2P ||
					   from == VFIO_DEVICE_STATE_STOP_COPY));
				EXPECT_EQ(starts, fd2 >= 0) TH_LOG("%s -> %s fd",
					svf_mig_state_name(from), svf_mig_state_name(to));
			} else {
				EXPECT_EQ(-EINVAL, ret) TH_LOG("%s -> %s",
					svf_mig_state_name(from), svf_mig_state_name(to));
				EXPECT_EQ(from, st);
			}
			if (fd >= 0)
				close(fd);
			if (fd2 >= 0)
				close(fd2);
			checked++;
		}
	}
	EXPECT_EQ(7 * 7, checked);
}

TEST_F(fsm, error_and_reset)
{
	uint32_t st;

	ASSERT_EQ(0, mt_attr_write(0, "fault_stop", "1"));
	EXPECT_EQ(-EIO, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->v, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, st);
	/* Nothing leaves ERROR but a reset. */
	EXPECT_EQ(-EINVAL, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_RUNNING, NULL));
	EXPECT_EQ(-EINVAL, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, svf_vfio_reset(&self->v));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->v, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, st);
	EXPECT_EQ(2, mt_attr_long(0, "level"));
	EXPECT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP, NULL));
}

TEST_F(fsm, resuming_needs_end_record)
{
	uint32_t st;
	int fd;

	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_RESUMING, &fd));
	ASSERT_EQ(0, svf_write_all(fd, self->stream, self->stream_len - 1));
	EXPECT_EQ(-EINVAL, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->v, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_RESUMING, st);
	close(fd);
}

TEST_F(fsm, data_fd_rules)
{
	char buf[64];
	uint64_t a, b;
	int fd;

	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_PRE_COPY, &fd));
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));	/* a read-only file */
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &a, &b));
	EXPECT_LT(1024 * 1024 - 1, a);
	EXPECT_EQ(0, b);
	EXPECT_EQ(sizeof(buf), read(fd, buf, sizeof(buf)));
	/* The whole initial image, then the temporary end of stream. */
	EXPECT_LT(0, svf_mig_copy(fd, -1, 0, MT_IO));
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &a, &b));
	EXPECT_EQ(0, a);
	EXPECT_EQ(0, b);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENOMSG, errno);
	/* Dirty state shows up as dirty bytes. */
	ASSERT_EQ(0, mt_attr_write(0, "poke", "8192 100 7"));
	ASSERT_EQ(0, svf_vfio_precopy_info(fd, &a, &b));
	EXPECT_EQ(4096, b);
	/* PRE_COPY -> STOP_COPY keeps the same fd, then EOF. */
	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP_COPY, NULL));
	EXPECT_EQ(-EINVAL, svf_vfio_precopy_info(fd, &a, &b));
	EXPECT_LT(4096, svf_mig_copy(fd, -1, 0, MT_IO));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	/* Leaving the state that created it kills the fd. */
	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP, NULL));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODEV, errno);
	close(fd);
}

TEST_F(fsm, data_size)
{
	uint64_t size;

	ASSERT_EQ(0, svf_vfio_mig_data_size(&self->v, &size));
	EXPECT_LT(1024 * 1024, size);
	EXPECT_GT(1024 * 1024 + 4096, size);
}

TEST_F(fsm, reset_in_stop_copy)
{
	char buf[4096];
	uint32_t st;
	int fd;

	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP_COPY, &fd));
	EXPECT_EQ(sizeof(buf), read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, svf_vfio_reset(&self->v));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->v, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, st);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODEV, errno);
	close(fd);
}

TEST_F(fsm, save_fault)
{
	char buf[MT_IO];
	int fd;
	ssize_t n;

	ASSERT_EQ(0, mt_attr_write(0, "fault_save_at", "100000"));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP_COPY, &fd));
	do {
		n = read(fd, buf, sizeof(buf));
	} while (n > 0);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EIO, errno);
	close(fd);
}

TEST(withdraw)
{
	struct svf_vfio v;
	char buf[64];
	uint32_t st;
	int fd;

	/* Device 1 is withdrawn for good: run this last against it. */
	ASSERT_EQ(0, mt_open(&v, 1));
	ASSERT_EQ(0, svf_vfio_mig_set(&v, VFIO_DEVICE_STATE_STOP_COPY, &fd));
	ASSERT_EQ(sizeof(buf), read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, mt_attr_write(1, "withdraw", "1"));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODEV, errno);
	ASSERT_EQ(0, svf_vfio_mig_get(&v, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, st);
	EXPECT_EQ(-ENODEV, svf_vfio_mig_set(&v, VFIO_DEVICE_STATE_STOP, NULL));
	EXPECT_EQ(0, svf_vfio_reset(&v));
	ASSERT_EQ(0, svf_vfio_mig_get(&v, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, st);
	close(fd);
	svf_vfio_close(&v);
	EXPECT_EQ(0, mt_counter(1, "after_withdraw"));
}

TEST_HARNESS_MAIN
