// SPDX-License-Identifier: GPL-2.0
/*
 * Races against snapvf_mig.ko on test device 0: a state change while
 * another thread reads the data_fd, closing the data_fd mid-transfer,
 * closing the device mid-migration, a reset during STOP_COPY while a
 * reader runs, and PRE_COPY reads racing state changes of the device and
 * PRECOPY_INFO.  Nothing may hang, and the device must be usable after.
 */
#include <pthread.h>
#include "svf_harness.h"
#include "mig_test_lib.h"

#define LOOPS 20

struct reader {
	int fd;
	int err;
	size_t bytes;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(65536);
	ssize_t n;

	for (;;) {
		n = read(r->fd, buf, 65536);
		if (n > 0) {
			r->bytes += n;
			continue;
		}
		if (n < 0 && errno == ENOMSG)
			continue;
		r->err = n < 0 ? errno : 0;
		break;
	}
	free(buf);
	return NULL;
}

FIXTURE(race) {
	struct svf_vfio v;
};

FIXTURE_SETUP(race)
{
	ASSERT_EQ(0, mt_attr_write(0, "size", "%d", 8 << 20));
	ASSERT_EQ(0, mt_open(&self->v, 0));
	ASSERT_EQ(0, svf_vfio_reset(&self->v));
}

FIXTURE_TEARDOWN(race)
{
	svf_vfio_close(&self->v);
}

static void usable(struct __test_metadata *_metadata, struct svf_vfio *v)
{
	char *s = NULL;
	uint32_t st;

	ASSERT_EQ(0, svf_vfio_reset(v));
	ASSERT_EQ(0, svf_vfio_mig_get(v, &st));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, st);
	ASSERT_EQ(0, svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL));
	EXPECT_LT(8 << 20, mt_save(v, &s));
	free(s);
	ASSERT_EQ(0, svf_vfio_mig_set(v, VFIO_DEVICE_STATE_RUNNING, NULL));
}

TEST_F(race, state_change_vs_read)
{
	struct reader r;
	pthread_t t;
	int i;

	for (i = 0; i < LOOPS; i++) {
		memset(&r, 0, sizeof(r));
		ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP_COPY, &r.fd));
		ASSERT_EQ(0, pthread_create(&t, NULL, read_loop, &r));
		usleep(i * 300);
		ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_RUNNING, NULL));
		pthread_join(t, NULL);
		EXPECT_TRUE(r.err == 0 || r.err == ENODEV) TH_LOG("err %d", r.err);
		close(r.fd);
	}
	usable(_metadata, &self->v);
}

TEST_F(race, close_data_fd_mid_transfer)
{
	char buf[100000];
	int fd, i;

	for (i = 0; i < LOOPS; i++) {
		ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP_COPY, &fd));
		ASSERT_EQ(sizeof(buf), read(fd, buf, sizeof(buf)));
		close(fd);
		ASSERT_EQ(0, svf_vfio_mig_set(&self->v, i & 1 ?
			  VFIO_DEVICE_STATE_STOP : VFIO_DEVICE_STATE_RUNNING, NULL));
		ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_RESUMING, &fd));
		ASSERT_EQ(10, write(fd, buf, 10));
		close(fd);
		ASSERT_EQ(0, svf_vfio_reset(&self->v));
	}
	usable(_metadata, &self->v);
}

TEST_F(race, device_close_mid_migration)
{
	struct svf_vfio v2;
	char buf[4096];
	uint32_t st;
	int fd, rfd;

	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP_COPY, &fd));
	ASSERT_EQ(sizeof(buf), read(fd, buf, sizeof(buf)));
	svf_vfio_close(&self->v);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODEV, errno);
	ASSERT_EQ(0, mt_open(&v2, 0));
	ASSERT_EQ(0, svf_vfio_mig_get(&v2, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, st);
	EXPECT_EQ(2, mt_attr_long(0, "level"));
	ASSERT_EQ(0, svf_vfio_mig_set(&v2, VFIO_DEVICE_STATE_RESUMING, &rfd));
	svf_vfio_close(&v2);
	EXPECT_EQ(-1, write(rfd, buf, 16));
	EXPECT_EQ(ENODEV, errno);
	close(fd);
	close(rfd);
	ASSERT_EQ(0, mt_open(&self->v, 0));
	usable(_metadata, &self->v);
}

TEST_F(race, reset_during_stop_copy)
{
	struct reader r;
	pthread_t t;
	uint32_t st;
	int i;

	for (i = 0; i < LOOPS; i++) {
		memset(&r, 0, sizeof(r));
		ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP_COPY, &r.fd));
		ASSERT_EQ(0, pthread_create(&t, NULL, read_loop, &r));
		usleep(i * 300);
		ASSERT_EQ(0, svf_vfio_reset(&self->v));
		pthread_join(t, NULL);
		EXPECT_TRUE(r.err == 0 || r.err == ENODEV) TH_LOG("err %d", r.err);
		ASSERT_EQ(0, svf_vfio_mig_get(&self->v, &st));
		EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, st);
		close(r.fd);
	}
	usable(_metadata, &self->v);
}

TEST_F(race, precopy_reads_vs_changes)
{
	struct reader r = { 0 };
	uint64_t a, b;
	pthread_t t;
	int i;

	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_PRE_COPY, &r.fd));
	ASSERT_EQ(0, pthread_create(&t, NULL, read_loop, &r));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, mt_attr_write(0, "poke", "%d 4096 %d", (i * 8192) % (8 << 20), i));
		EXPECT_EQ(0, svf_vfio_precopy_info(r.fd, &a, &b));
		if (i % 50 == 25) {
			ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_PRE_COPY_P2P, NULL));
			ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_PRE_COPY, NULL));
		}
	}
	/*
	 * The reader runs on to STOP_COPY's end of stream (read() == 0), so it
	 * has read all of it however far behind it was: a flag stopping it
	 * here made the byte count depend on the machine's load.
	 */
	ASSERT_EQ(0, svf_vfio_mig_set(&self->v, VFIO_DEVICE_STATE_STOP_COPY, NULL));
	pthread_join(t, NULL);
	EXPECT_EQ(0, r.err);
	EXPECT_LT(8 << 20, r.bytes);
	close(r.fd);
	usable(_metadata, &self->v);
}

TEST_HARNESS_MAIN
