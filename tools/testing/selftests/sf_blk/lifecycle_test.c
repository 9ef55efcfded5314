// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle_test: instance create/remove through the mdev sysfs: bad and
 * duplicate uuids, available_instances accounting (per type and across
 * types), creating beyond the limit, removal while the device fd is open
 * (request interrupt, removal completes on close), and a create/remove
 * stress run (thousands of cycles, two threads) that must leave the
 * accounting where it started.
 */
#include <pthread.h>
#include <sys/ioctl.h>

#include "svf_harness.h"
#include "sf_test.h"
#include "svf_vfio.h"

#define TAG	0x20000000

TEST(bad_uuid)
{
	char u[37];

	EXPECT_EQ(-EINVAL, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, "not-a-uuid"));
	EXPECT_EQ(-EINVAL, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q,
					   "1234567-1234-1234-1234-1234567890123"));
	EXPECT_EQ(-EINVAL, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, "\n"));
	sf_uuid(u, TAG, 1);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, u));
	/* Same uuid again, on the same type, another type and another SF. */
	EXPECT_EQ(-EEXIST, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, u));
	EXPECT_EQ(-EEXIST, svf_mdev_create(SF_DEV(0), SF_TYPE_4Q, u));
	EXPECT_EQ(-EEXIST, svf_mdev_create(SF_DEV(1), SF_TYPE_1Q, u));
	EXPECT_EQ(0, svf_mdev_remove(u));
	EXPECT_FALSE(svf_mdev_exists(u));
	/* Removing twice: the device is gone. */
	EXPECT_EQ(-ENOENT, svf_mdev_remove(u));
}

TEST(available_instances)
{
	long a1 = svf_mdev_available(SF_DEV(1), SF_TYPE_1Q);
	long a4 = svf_mdev_available(SF_DEV(1), SF_TYPE_4Q);
	char u[37];
	long i;

	ASSERT_GT(a1, 0);
	ASSERT_LE(a1, 4096);
	EXPECT_EQ(a1 / 4, a4);
	/* One 4-queue instance costs four 1-queue ones. */
	if (a4 > 0) {
		sf_uuid(u, TAG + 1, 0xffff);
		ASSERT_EQ(0, svf_mdev_create(SF_DEV(1), SF_TYPE_4Q, u));
		EXPECT_EQ(a1 - 4, svf_mdev_available(SF_DEV(1), SF_TYPE_1Q));
		EXPECT_EQ(0, svf_mdev_remove(u));
		EXPECT_EQ(a1, svf_mdev_available(SF_DEV(1), SF_TYPE_1Q));
	}
	for (i = 0; i < a1; i++) {
		sf_uuid(u, TAG + 1, i);
		ASSERT_EQ(0, svf_mdev_create(SF_DEV(1), SF_TYPE_1Q, u));
	}
	EXPECT_EQ(0, svf_mdev_available(SF_DEV(1), SF_TYPE_1Q));
	EXPECT_EQ(0, svf_mdev_available(SF_DEV(1), SF_TYPE_4Q));
	/* No instance left: EUSERS, as the stock mdev core's own count. */
	sf_uuid(u, TAG + 1, a1);
	EXPECT_EQ(-EUSERS, svf_mdev_create(SF_DEV(1), SF_TYPE_1Q, u));
	EXPECT_FALSE(svf_mdev_exists(u));
	sf_uuid(u, TAG + 1, a1 + 1);
	EXPECT_EQ(-EUSERS, svf_mdev_create(SF_DEV(1), SF_TYPE_4Q, u));
	EXPECT_FALSE(svf_mdev_exists(u));
	/* The other SF is not affected. */
	EXPECT_GT(svf_mdev_available(SF_DEV(0), SF_TYPE_1Q), 0);
	for (i = 0; i < a1; i++) {
		sf_uuid(u, TAG + 1, i);
		ASSERT_EQ(0, svf_mdev_remove(u));
	}
	EXPECT_EQ(a1, svf_mdev_available(SF_DEV(1), SF_TYPE_1Q));
}

TEST(remove_while_open)
{
	struct svf_mdev_remover r;
	struct svf_vfio v;
	char uuid[40];
	int efd;

	sf_uuid(uuid, TAG + 2, 1);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, uuid));
	ASSERT_EQ(0, svf_vfio_open(&v, uuid));
	efd = svf_vfio_irq_eventfd(&v, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, svf_mdev_remove_start(&r, uuid));
	/* The "VMM" is asked to release the device ... */
	EXPECT_GE(svf_wait_eventfd(efd, 10000), 1);
	usleep(200 * 1000);
	/* ... and removal waits for it. */
	EXPECT_EQ(0, r.done);
	close(efd);
	svf_vfio_close(&v);
	EXPECT_EQ(0, svf_mdev_remove_join(&r));
	EXPECT_EQ(1, r.done);
	EXPECT_FALSE(svf_mdev_exists(uuid));
}

/* Cycles each racing thread runs; the counts, not the clock, end a run. */
#define STRESS_CYCLES		1000
#define STRESS_THREAD_CYCLES	500

struct cycler {
	unsigned int tag;
	long cycles;
	int err;
};

static void *cycle_thread(void *arg)
{
	struct cycler *c = arg;
	char u[37];

	while (c->cycles < STRESS_THREAD_CYCLES) {
		sf_uuid(u, c->tag, c->cycles % 7);
		c->err = svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, u);
		if (c->err)
			break;
		c->err = svf_mdev_remove(u);
		if (c->err)
			break;
		c->cycles++;
	}
	return NULL;
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

/*
 * Correctness under repetition, not speed: a fixed number of cycles; the
 * harness timeout only catches a hang (speed is tools/bench/mdev's job).
 */
TEST_F_TIMEOUT(stress, create_remove, 240)
{
	long before = svf_mdev_available(SF_DEV(0), SF_TYPE_1Q), seen;
	struct cycler c[2] = {
		{ .tag = TAG + 3 }, { .tag = TAG + 4 },
	};
	double t0 = svf_now();
	pthread_t t[2];
	char u[37];
	long i;

	ASSERT_GT(before, 2);
	/* Single-threaded, with the accounting checked every cycle. */
	for (i = 0; i < STRESS_CYCLES; i++) {
		sf_uuid(u, TAG + 5, i);
		ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, u));
		seen = svf_mdev_available(SF_DEV(0), SF_TYPE_1Q);
		ASSERT_EQ(before - 1, seen);
		ASSERT_EQ(0, svf_mdev_remove(u));
		seen = svf_mdev_available(SF_DEV(0), SF_TYPE_1Q);
		ASSERT_EQ(before, seen);
	}
	ksft_print_msg("%ld single-threaded cycles in %.1f s\n", i, svf_now() - t0);
	/* Two threads racing create/remove on the same parent. */
	t0 = svf_now();
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, cycle_thread, &c[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, c[i].err);
	}
	ksft_print_msg("%ld + %ld concurrent cycles in %.1f s\n",
		       c[0].cycles, c[1].cycles, svf_now() - t0);
	EXPECT_EQ(2 * STRESS_THREAD_CYCLES, c[0].cycles + c[1].cycles);
	EXPECT_EQ(before, svf_mdev_available(SF_DEV(0), SF_TYPE_1Q));
}

TEST_HARNESS_MAIN
