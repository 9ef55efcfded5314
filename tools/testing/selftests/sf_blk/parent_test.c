// SPDX-License-Identifier: GPL-2.0
/*
 * parent_test: the disk of an SF instance is the parent's.  Reads, writes,
 * flushes and resets reach the parent's SF ops (the simulator's debugfs
 * counters say so); data written through SF 0 reads back through SF 1,
 * which presents the same volume, and not through SF 2's private one; the
 * simulator's injected faults reach the driver as VIRTIO_BLK_S_IOERR with
 * the disk unchanged; volumes outlive SFs, a volume detached under I/O
 * turns every later request into an I/O error, and bad volume requests
 * fail with their errno and one kernel log line each.
 */
#include <pthread.h>

#include "svf_harness.h"
#include "svf_kmsg.h"
#include "sf_test.h"
#include "../../../vblk/vblk.h"

#define TAG	0x60000000
#define SECT	4096ULL		/* sectors the cases below use */

struct two {
	char ua[37], ub[37];
	struct vblk a, b;
	uint8_t buf[VBLK_SLOT_DATA];
};

/* Instances @n on SF @sa and @n + 1 on SF @sb, both opened. */
static int two_open(struct two *t, const char *sa, const char *sb, int n)
{
	int ret;

	sf_uuid(t->ua, TAG, n);
	sf_uuid(t->ub, TAG, n + 1);
	ret = svf_mdev_create(sa, SF_TYPE_1Q, t->ua);
	if (!ret)
		ret = svf_mdev_create(sb, SF_TYPE_1Q, t->ub);
	if (!ret)
		ret = vblk_open(&t->a, t->ua, 1);
	if (!ret)
		ret = vblk_open(&t->b, t->ub, 1);
	return ret;
}

static void two_close(struct two *t)
{
	vblk_close(&t->b);
	vblk_close(&t->a);
	svf_mdev_remove(t->ub);
	svf_mdev_remove(t->ua);
}

static int put(struct vblk *b, uint8_t *buf, uint64_t s, uint64_t seed)
{
	vblk_pattern(buf, 4096, s, seed);
	return vblk_rw(b, 0, VIRTIO_BLK_T_OUT, s, buf, 4096);
}

/* 0 when sectors [@s, @s + 8) hold @seed's pattern, else -EILSEQ / status */
static int check(struct vblk *b, uint8_t *buf, uint64_t s, uint64_t seed)
{
	int ret = vblk_rw(b, 0, VIRTIO_BLK_T_IN, s, buf, 4096);

	if (ret)
		return ret;
	return vblk_check_pattern(buf, 4096, s, seed) < 0 ? 0 : -EILSEQ;
}

static int dbg_write(const char *dir, const char *knob, const char *val)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, knob);
	return svf_sysfs_write(p, val);
}

TEST(data_in_parent)
{
	static struct two t;
	struct vblk c;
	char uc[37];
	long long w0, w1, r1;
	int i;

	ASSERT_EQ(0, two_open(&t, SF_DEV(0), SF_DEV(1), 1));
	w0 = sf_stat(SF_DBG(0), "writes");
	w1 = sf_stat(SF_DBG(1), "writes");
	r1 = sf_stat(SF_DBG(1), "reads");
	ASSERT_LE(0, w0);
	ASSERT_EQ(0, put(&t.a, t.buf, SECT, 21));
	/* the write went to SF 0's parent op, once */
	EXPECT_EQ(w0 + 1, sf_stat(SF_DBG(0), "writes"));
	EXPECT_EQ(w1, sf_stat(SF_DBG(1), "writes"));
	/* SF 1 presents the same volume: B reads A's bytes through SF 1 */
	EXPECT_EQ(0, check(&t.b, t.buf, SECT, 21));
	EXPECT_EQ(r1 + 1, sf_stat(SF_DBG(1), "reads"));
	/* and A reads B's */
	ASSERT_EQ(0, put(&t.b, t.buf, SECT + 8, 22));
	EXPECT_EQ(0, check(&t.a, t.buf, SECT + 8, 22));

	/* SF 2's private volume is another disk: zeroes there. */
	sf_uuid(uc, TAG, 3);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(2), SF_TYPE_1Q, uc));
	ASSERT_EQ(0, vblk_open(&c, uc, 1));
	EXPECT_EQ(1ULL << 20, c.capacity * 512);
	ASSERT_EQ(0, vblk_rw(&c, 0, VIRTIO_BLK_T_IN, SECT / 8, t.buf, 4096));
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(0, t.buf[i]);
	vblk_close(&c);
	EXPECT_EQ(0, svf_mdev_remove(uc));
	two_close(&t);
}

/*
 * fail_io_at: the parent's one-shot -EIO reaches the driver as
 * VIRTIO_BLK_S_IOERR; the failed write changed nothing; the device is not
 * broken (the next request completes); one log line.
 */
TEST(parent_io_error)
{
	static struct two t;
	char at[32];
	int kmsg, i;

	ASSERT_EQ(0, two_open(&t, SF_DEV(0), SF_DEV(1), 4));
	ASSERT_EQ(0, put(&t.a, t.buf, SECT + 64, 31));
	kmsg = svf_kmsg_open();
	ASSERT_LE(0, kmsg);
	snprintf(at, sizeof(at), "%llu", (SECT + 64) * 512 + 100);
	ASSERT_EQ(0, dbg_write(SF_DBG(0), "fail_io_at", at));
	/* the guest's buffer is not written by the failed read */
	memset(vblk_slot_buf(&t.a, 0, 0), 0xaa, 4096);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vblk_rw(&t.a, 0, VIRTIO_BLK_T_IN, SECT + 64,
					     t.buf, 4096));
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(0xaa, t.buf[i]) TH_LOG("byte %d of a failed read written", i);
	EXPECT_EQ(1, svf_kmsg_count(kmsg, "injected I/O error", NULL));
	/* one-shot: disarmed, and the data is intact */
	EXPECT_EQ((unsigned long long)-1, svf_sysfs_u64(SF_DBG(0) "/fail_io_at"));
	EXPECT_EQ(0, check(&t.a, t.buf, SECT + 64, 31));

	ASSERT_EQ(0, dbg_write(SF_DBG(0), "fail_io_at", at));
	vblk_pattern(t.buf, 4096, SECT + 64, 32);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vblk_rw(&t.a, 0, VIRTIO_BLK_T_OUT, SECT + 64,
					     t.buf, 4096));
	/* the failed write did not land, seen through the other SF too */
	EXPECT_EQ(0, check(&t.b, t.buf, SECT + 64, 31));
	EXPECT_EQ(0, check(&t.a, t.buf, SECT + 64, 31));
	close(kmsg);
	two_close(&t);
}

/* FLUSH reaches the parent; its failure is VIRTIO_BLK_S_IOERR. */
TEST(flush_reaches_parent)
{
	static struct two t;
	long long f;

	ASSERT_EQ(0, two_open(&t, SF_DEV(0), SF_DEV(1), 6));
	f = sf_stat(SF_DBG(0), "flushes");
	ASSERT_LE(0, f);
	ASSERT_EQ(0, vblk_rw(&t.a, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0));
	EXPECT_EQ(f + 1, sf_stat(SF_DBG(0), "flushes"));
	ASSERT_EQ(0, dbg_write(SF_DBG(0), "fail_flush", "1"));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vblk_rw(&t.a, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0));
	EXPECT_EQ(f + 1, sf_stat(SF_DBG(0), "flushes"));
	EXPECT_EQ(0, svf_sysfs_u64(SF_DBG(0) "/fail_flush"));
	EXPECT_EQ(0, vblk_rw(&t.a, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0));
	EXPECT_EQ(f + 2, sf_stat(SF_DBG(0), "flushes"));
	two_close(&t);
}

/* VFIO_DEVICE_RESET of an instance reaches the parent's reset op. */
TEST(reset_reaches_parent)
{
	static struct two t;
	long long r, r1;

	ASSERT_EQ(0, two_open(&t, SF_DEV(0), SF_DEV(1), 8));
	r = sf_stat(SF_DBG(0), "resets");
	r1 = sf_stat(SF_DBG(1), "resets");
	ASSERT_LE(0, r);
	ASSERT_EQ(0, svf_vfio_reset(&t.a.v));
	EXPECT_EQ(r + 1, sf_stat(SF_DBG(0), "resets"));
	EXPECT_EQ(r1, sf_stat(SF_DBG(1), "resets"));
	two_close(&t);
}

/*
 * A shared volume outlives an SF presenting it: SF 4 and SF 5 on volume
 * 1; deleting SF 5 (an instance on it) leaves SF 4's data and I/O alone;
 * the volume cannot be deleted while SF 4 presents it (EBUSY), and can
 * once SF 4 is gone.
 */
TEST(volume_outlives_sf)
{
	static uint8_t buf[4096];
	char u4[37], u5[37];
	struct vblk a, b;

	ASSERT_EQ(0, sf_sim_ctl("new_volume", "1 1M"));
	ASSERT_EQ(0, sf_sim_ctl("new_sf", "4 vol:1 1 256 2"));
	ASSERT_EQ(0, sf_sim_ctl("new_sf", "5 vol:1 1 256 2"));
	sf_uuid(u4, TAG, 10);
	sf_uuid(u5, TAG, 11);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(4), SF_TYPE_1Q, u4));
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(5), SF_TYPE_1Q, u5));
	ASSERT_EQ(0, vblk_open(&a, u4, 1));
	ASSERT_EQ(0, vblk_open(&b, u5, 1));
	ASSERT_EQ(0, put(&a, buf, 16, 41));
	EXPECT_EQ(0, check(&b, buf, 16, 41));
	vblk_close(&b);

	ASSERT_EQ(0, sf_sim_ctl("del_sf", "5"));
	EXPECT_FALSE(svf_mdev_exists(u5));
	EXPECT_EQ(0, check(&a, buf, 16, 41));
	ASSERT_EQ(0, put(&a, buf, 24, 42));
	EXPECT_EQ(0, check(&a, buf, 24, 42));
	EXPECT_EQ(-EBUSY, sf_sim_ctl("del_volume", "1"));

	vblk_close(&a);
	EXPECT_EQ(0, svf_mdev_remove(u4));
	ASSERT_EQ(0, sf_sim_ctl("del_sf", "4"));
	EXPECT_EQ(0, sf_sim_ctl("del_volume", "1"));
	EXPECT_EQ(-ENOENT, sf_sim_ctl("del_volume", "1"));
}

struct io_loop {
	struct vblk *b;
	uint8_t buf[4096];
	int ok, ioerr, other;
	volatile int stop;
};

static void *io_loop_fn(void *arg)
{
	struct io_loop *l = arg;
	uint64_t s = 0;
	int st;

	while (!l->stop && l->ok + l->ioerr + l->other < 100000) {
		vblk_pattern(l->buf, 4096, s, 51);
		st = vblk_rw(l->b, 0, s & 8 ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT,
			     s % 2040, l->buf, 4096);
		if (st == VIRTIO_BLK_S_OK)
			l->ok++;
		else if (st == VIRTIO_BLK_S_IOERR)
			l->ioerr++;
		else
			l->other++;
		s += 8;
	}
	return NULL;
}

/*
 * The volume detached while a thread does I/O: every request completes,
 * with OK before and VIRTIO_BLK_S_IOERR after (never another status, never
 * a hang or a broken ring); one log line; the SF and its instance go away
 * cleanly afterwards.
 */
TEST(volume_detached_under_io)
{
	static struct io_loop l;
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	char u[37], vol[32] = "";
	pthread_t th;
	struct vblk a;
	int kmsg;

	ASSERT_EQ(0, sf_sim_ctl("new_sf", "3 1M 1 256 2"));
	sf_uuid(u, TAG, 12);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(3), SF_TYPE_1Q, u));
	ASSERT_EQ(0, vblk_open(&a, u, 1));
	kmsg = svf_kmsg_open();
	ASSERT_LE(0, kmsg);
	l.b = &a;
	ASSERT_EQ(0, pthread_create(&th, NULL, io_loop_fn, &l));
	nanosleep(&ts, NULL);
	EXPECT_EQ(0, dbg_write(SF_DBG(3), "detach", "1"));
	nanosleep(&ts, NULL);
	l.stop = 1;
	pthread_join(th, NULL);
	TH_LOG("%d requests OK, %d I/O errors, %d other", l.ok, l.ioerr, l.other);
	EXPECT_LT(0, l.ok);
	EXPECT_LT(0, l.ioerr);
	EXPECT_EQ(0, l.other);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vblk_rw(&a, 0, VIRTIO_BLK_T_IN, 0, l.buf, 4096));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vblk_rw(&a, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0));
	EXPECT_EQ(1, svf_kmsg_count(kmsg, "has no volume attached", NULL));
	/* a second detach has nothing to detach */
	svf_kmsg_count(kmsg, "", NULL);
	EXPECT_EQ(-ENOENT, dbg_write(SF_DBG(3), "detach", "1"));
	EXPECT_EQ(1, svf_kmsg_count(kmsg, "no volume to detach", NULL));
	ASSERT_EQ(0, svf_sysfs_read(SF_DBG(3) "/volume", vol, sizeof(vol)));
	EXPECT_STREQ("detached", vol);
	close(kmsg);
	vblk_close(&a);
	EXPECT_EQ(0, svf_mdev_remove(u));
	EXPECT_EQ(0, sf_sim_ctl("del_sf", "3"));
}

/* A rejected request: errno @err and one new snapvf_sim log line. */
#define REJECT(err, call)						\
	do {								\
		svf_kmsg_count(kmsg, "", NULL);				\
		EXPECT_EQ(-(err), (call));				\
		EXPECT_EQ(1, svf_kmsg_count(kmsg, "snapvf_sim: ", NULL)) \
			TH_LOG("not one log line for %s", #call);	\
	} while (0)

TEST(volume_bad_input)
{
	int kmsg = svf_kmsg_open();

	ASSERT_LE(0, kmsg);
	REJECT(EINVAL, sf_sim_ctl("new_volume", "x"));
	REJECT(EINVAL, sf_sim_ctl("new_volume", "7 0"));
	REJECT(EINVAL, sf_sim_ctl("new_volume", "7 1000"));
	REJECT(EINVAL, sf_sim_ctl("new_volume", "7 2G"));
	REJECT(EINVAL, sf_sim_ctl("new_volume", "7 1M trailing"));
	REJECT(EINVAL, sf_sim_ctl("new_sf", "6 1M 4q"));
	REJECT(EINVAL, sf_sim_ctl("new_sf", "6 1M 1 256 4 junk"));
	REJECT(EINVAL, sf_sim_ctl("new_sf", "4294967302 1M"));
	REJECT(EINVAL, sf_sim_ctl("new_sf", "6 vol:"));
	REJECT(EEXIST, sf_sim_ctl("new_volume", "0 1M"));
	REJECT(ENOENT, sf_sim_ctl("new_sf", "6 vol:99"));
	REJECT(EINVAL, sf_sim_ctl("new_sf", "6 vol:abc"));
	REJECT(ENOENT, sf_sim_ctl("del_volume", "99"));
	REJECT(EBUSY, sf_sim_ctl("del_volume", "0"));
	REJECT(EINVAL, dbg_write(SF_DBG(0), "fail_io_at", "67108864"));
	REJECT(EINVAL, dbg_write(SF_DBG(0), "fail_io_at", "-2"));
	REJECT(EINVAL, dbg_write(SF_DBG(0), "fail_flush", "2"));
	REJECT(EINVAL, dbg_write(SF_DBG(0), "detach", "0"));
	REJECT(EINVAL, dbg_write(SF_DBG(0), "fail_io_at", "x"));
	REJECT(EINVAL, dbg_write(SF_DBG(0), "fail_flush", "yes"));
	REJECT(EINVAL, dbg_write(SF_DBG(0), "detach", "1 2"));
	REJECT(EINVAL, dbg_write(SF_DBG(0), "surprise_remove", "600000"));
	/* nothing changed: SF 6 and volume 7 do not exist, volume 0 serves */
	EXPECT_FALSE(svf_exists(SF_DEV(6)));
	EXPECT_EQ(SF_VOL0_BYTES, svf_sysfs_u64(SF_DBG(0) "/capacity"));
	EXPECT_EQ((unsigned long long)-1, svf_sysfs_u64(SF_DBG(0) "/fail_io_at"));
	close(kmsg);
}

TEST_HARNESS_MAIN
