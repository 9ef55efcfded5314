// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle_test: vmdev_test parent types and instance lifecycle through
 * the standard mdev sysfs: type attributes, available_instances accounting
 * (shared capacity, per-type limit) also under concurrent create/remove,
 * malformed and duplicate UUIDs, create beyond available_instances,
 * create/remove stress, and remove while the device fd is open (request
 * IRQ, then completion on close).
 */
#include "svf_harness.h"
#include "vmdev_lib.h"

static void remove_all(void)
{
	char uuid[40];
	unsigned int i;

	for (i = 0; i < 64; i++) {
		vt_uuid(uuid, i);
		if (svf_mdev_exists(uuid))
			svf_mdev_remove(uuid);
	}
}

TEST(type_attributes)
{
	char buf[256];

	ASSERT_EQ(0, svf_sysfs_read(VT_TYPES "/" VT_SMALL "/name", buf,
				    sizeof(buf)));
	EXPECT_STREQ("vmdev test small", buf);
	ASSERT_EQ(0, svf_sysfs_read(VT_TYPES "/" VT_SMALL "/device_api", buf,
				    sizeof(buf)));
	EXPECT_STREQ("vfio-pci", buf);
	ASSERT_EQ(0, svf_sysfs_read(VT_TYPES "/" VT_BIG "/description", buf,
				    sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "4 capacity units"));
	EXPECT_NE(NULL, strstr(buf, "max_instances=1 cost=4"));
	EXPECT_EQ(VT_CAPACITY, svf_mdev_available(VT_PARENT, VT_SMALL));
	EXPECT_EQ(1, svf_mdev_available(VT_PARENT, VT_BIG));
}

TEST(accounting_and_limits)
{
	char uuid[40], big[40];
	unsigned int i;

	remove_all();
	vt_uuid(big, 40);
	ASSERT_EQ(0, svf_mdev_create(VT_PARENT, VT_BIG, big));
	EXPECT_EQ(VT_CAPACITY - 4, svf_mdev_available(VT_PARENT, VT_SMALL));
	EXPECT_EQ(0, svf_mdev_available(VT_PARENT, VT_BIG));
	/* Per-type limit. */
	vt_uuid(uuid, 41);
	EXPECT_EQ(-EUSERS, svf_mdev_create(VT_PARENT, VT_BIG, uuid));
	EXPECT_FALSE(svf_mdev_exists(uuid));
	for (i = 0; i < VT_CAPACITY - 4; i++) {
		vt_uuid(uuid, i);
		ASSERT_EQ(0, svf_mdev_create(VT_PARENT, VT_SMALL, uuid));
		EXPECT_EQ(VT_CAPACITY - 5 - i, svf_mdev_available(VT_PARENT, VT_SMALL));
	}
	/* Shared capacity exhausted. */
	vt_uuid(uuid, 30);
	EXPECT_EQ(-EUSERS, svf_mdev_create(VT_PARENT, VT_SMALL, uuid));
	EXPECT_FALSE(svf_mdev_exists(uuid));
	ASSERT_EQ(0, svf_mdev_remove(big));
	EXPECT_EQ(4, svf_mdev_available(VT_PARENT, VT_SMALL));
	/* Big needs 4 units: one small instance in the way. */
	ASSERT_EQ(0, svf_mdev_create(VT_PARENT, VT_SMALL, uuid));
	EXPECT_EQ(0, svf_mdev_available(VT_PARENT, VT_BIG));
	EXPECT_EQ(-EUSERS, svf_mdev_create(VT_PARENT, VT_BIG, big));
	remove_all();
	EXPECT_EQ(VT_CAPACITY, svf_mdev_available(VT_PARENT, VT_SMALL));
	EXPECT_EQ(1, svf_mdev_available(VT_PARENT, VT_BIG));
}

TEST(bad_uuids)
{
	char uuid[40];

	remove_all();
	EXPECT_EQ(-EINVAL, svf_mdev_create(VT_PARENT, VT_SMALL, "not-a-uuid"));
	EXPECT_EQ(-EINVAL, svf_mdev_create(VT_PARENT, VT_SMALL,
					   "5e1f0000-0000-4000-8000-00000000000g"));
	/* Too short, too long (the stock mdev core takes 36 chars + one). */
	EXPECT_EQ(-EINVAL, svf_mdev_create(VT_PARENT, VT_SMALL,
					   "5e1f0000-0000-4000-8000-00000000000"));
	EXPECT_EQ(-EINVAL, svf_mdev_create(VT_PARENT, VT_SMALL,
					   "5e1f0000-0000-4000-8000-0000000000000x"));
	EXPECT_EQ(-EINVAL, svf_mdev_create(VT_PARENT, VT_SMALL, "x"));
	EXPECT_EQ(VT_CAPACITY, svf_mdev_available(VT_PARENT, VT_SMALL));
	vt_uuid(uuid, 1);
	ASSERT_EQ(0, svf_mdev_create(VT_PARENT, VT_SMALL, uuid));
	EXPECT_EQ(-EEXIST, svf_mdev_create(VT_PARENT, VT_SMALL, uuid));
	EXPECT_EQ(-EEXIST, svf_mdev_create(VT_PARENT, VT_BIG, uuid));
	EXPECT_EQ(VT_CAPACITY - 1, svf_mdev_available(VT_PARENT, VT_SMALL));
	EXPECT_EQ(1, svf_mdev_available(VT_PARENT, VT_BIG));
	ASSERT_EQ(0, svf_mdev_remove(uuid));
	/* Gone: its "remove" attribute with it. */
	EXPECT_EQ(-ENOENT, svf_mdev_remove(uuid));
	EXPECT_EQ(VT_CAPACITY, svf_mdev_available(VT_PARENT, VT_SMALL));
}

#define NTHREADS	12
#define ROUNDS		40

static int live, max_live, bad_err, avail_bad;
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

static void *churn(void *arg)
{
	unsigned int id = (uintptr_t)arg, r;
	char uuid[40];
	long a;

	vt_uuid(uuid, id);
	for (r = 0; r < ROUNDS; r++) {
		int ret = svf_mdev_create(VT_PARENT, id % 5 ? VT_SMALL : VT_BIG, uuid);

		a = svf_mdev_available(VT_PARENT, VT_SMALL);
		pthread_mutex_lock(&live_lock);
		if (a < 0 || a > VT_CAPACITY)
			avail_bad++;
		if (!ret) {
			live += id % 5 ? 1 : 4;
			if (live > max_live)
				max_live = live;
		} else if (ret != -EUSERS) {
			bad_err++;
		}
		pthread_mutex_unlock(&live_lock);
		if (ret)
			continue;
		pthread_mutex_lock(&live_lock);
		live -= id % 5 ? 1 : 4;
		pthread_mutex_unlock(&live_lock);
		/* Count down before the remove so live never undercounts. */
		if (svf_mdev_remove(uuid))
			__atomic_add_fetch(&bad_err, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST(concurrent_create_remove)
{
	pthread_t th[NTHREADS];
	uintptr_t i;

	remove_all();
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, churn, (void *)i));
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(0, bad_err);
	EXPECT_EQ(0, avail_bad);
	EXPECT_LE(max_live, VT_CAPACITY);
	EXPECT_GT(max_live, 1);
	EXPECT_EQ(VT_CAPACITY, svf_mdev_available(VT_PARENT, VT_SMALL));
	EXPECT_EQ(1, svf_mdev_available(VT_PARENT, VT_BIG));
	TH_LOG("max capacity in use at once: %d of %d", max_live, VT_CAPACITY);
}

TEST(create_remove_stress)
{
	char uuid[40];
	unsigned int i, n = 1000, errs = 0;
	double t0 = svf_now();

	remove_all();
	vt_uuid(uuid, 50);
	for (i = 0; i < n; i++) {
		errs += svf_mdev_create(VT_PARENT, VT_SMALL, uuid) != 0;
		errs += svf_mdev_available(VT_PARENT, VT_SMALL) != VT_CAPACITY - 1;
		errs += svf_mdev_remove(uuid) != 0;
		errs += svf_mdev_available(VT_PARENT, VT_SMALL) != VT_CAPACITY;
	}
	EXPECT_EQ(0, errs);
	TH_LOG("%u create/remove cycles in %.2f s", n, svf_now() - t0);
}

TEST(remove_while_open)
{
	struct svf_mdev_remover r;
	struct svf_vfio v, o;
	char uuid[40], other[40];
	int req;
	uint32_t val = 0;

	remove_all();
	vt_uuid(uuid, 60);
	vt_uuid(other, 61);
	ASSERT_EQ(0, svf_mdev_create(VT_PARENT, VT_SMALL, uuid));
	ASSERT_EQ(0, svf_mdev_create(VT_PARENT, VT_SMALL, other));
	ASSERT_EQ(0, svf_vfio_open(&v, uuid));
	req = svf_vfio_irq_eventfd(&v, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_LE(0, req);
	ASSERT_EQ(0, svf_mdev_remove_start(&r, uuid));
	/* The user is asked to release the device... */
	EXPECT_LT(0, svf_wait_eventfd(req, 5000));
	/* ...and removal waits for the close. */
	usleep(200000);
	EXPECT_EQ(0, r.done);
	EXPECT_EQ(VT_CAPACITY - 2, svf_mdev_available(VT_PARENT, VT_SMALL));
	/* Another instance is unaffected meanwhile. */
	ASSERT_EQ(0, svf_vfio_open(&o, other));
	EXPECT_EQ(4, reg_io(&o, VFIO_PCI_CONFIG_REGION_INDEX, 0, &val, 4, 0));
	EXPECT_EQ(0xbeef1234, val);
	svf_vfio_close(&o);
	svf_vfio_close(&v);
	EXPECT_EQ(0, svf_mdev_remove_join(&r));
	EXPECT_EQ(1, r.done);
	EXPECT_FALSE(svf_mdev_exists(uuid));
	EXPECT_EQ(VT_CAPACITY - 1, svf_mdev_available(VT_PARENT, VT_SMALL));
	close(req);
	remove_all();
}

TEST_HARNESS_MAIN
