// SPDX-License-Identifier: GPL-2.0
/*
 * io_test: data path of an SF virtio-blk instance through the userspace
 * driver (tools/vblk): write/read/verify, GET_ID, FLUSH, MSI-X, multiple
 * queues, error statuses, malformed rings (outside mapped memory, loops,
 * runaway avail index) and recovery by reset, with a neighbour instance
 * that must stay unaffected; a guest repeating a broken ring gets its log
 * lines rate-limited.
 */
#include <sys/ioctl.h>
#include <time.h>

#include "svf_harness.h"
#include "svf_kmsg.h"
#include "sf_test.h"
#include "../../../vblk/vblk.h"

#define TAG	0x10000001

FIXTURE(inst) {
	char uuid[37];
	struct vblk b;
	uint8_t buf[VBLK_SLOT_DATA];
};

FIXTURE_SETUP(inst)
{
	sf_uuid(self->uuid, TAG, 1);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, self->uuid));
	ASSERT_EQ(0, vblk_open(&self->b, self->uuid, 1));
}

FIXTURE_TEARDOWN(inst)
{
	vblk_close(&self->b);
	EXPECT_EQ(0, svf_mdev_remove(self->uuid));
}

static int write_range(struct vblk *b, uint8_t *buf, uint64_t s, uint32_t n,
		       uint64_t seed)
{
	vblk_pattern(buf, n * VBLK_SECTOR, s, seed);
	return vblk_rw(b, 0, VIRTIO_BLK_T_OUT, s, buf, n * VBLK_SECTOR);
}

static int verify_range(struct vblk *b, uint8_t *buf, uint64_t s, uint32_t n,
			uint64_t seed)
{
	int ret = vblk_rw(b, 0, VIRTIO_BLK_T_IN, s, buf, n * VBLK_SECTOR);

	if (ret)
		return ret;
	return vblk_check_pattern(buf, n * VBLK_SECTOR, s, seed) < 0 ? 0 : -EILSEQ;
}

TEST_F(inst, identity)
{
	uint16_t vid, did, svid;
	uint8_t cls[3];

	ASSERT_EQ(0, vblk_cfg_read(&self->b, 0, &vid, 2));
	ASSERT_EQ(0, vblk_cfg_read(&self->b, 2, &did, 2));
	ASSERT_EQ(0, vblk_cfg_read(&self->b, 0x2c, &svid, 2));
	ASSERT_EQ(0, vblk_cfg_read(&self->b, 9, cls, 3));
	EXPECT_EQ(0x1af4, vid);
	EXPECT_EQ(0x1042, did);
	EXPECT_EQ(0x15b3, svid);
	EXPECT_EQ(0x01, cls[2]);
	EXPECT_EQ(0x80, cls[1]);
	EXPECT_EQ(2, self->b.msix_vectors);
	/* The disk is the SF's: volume 0's size. */
	EXPECT_EQ(SF_VOL0_BYTES / 512, self->b.capacity);
	EXPECT_EQ(SF_VOL0_BYTES, svf_sysfs_u64(SF_DBG(0) "/capacity"));
}

TEST_F(inst, write_read_verify)
{
	uint64_t last = self->b.capacity - 128, s;

	for (s = 0; s < 8192; s += 128)
		ASSERT_EQ(0, write_range(&self->b, self->buf, s, 128, 7));
	ASSERT_EQ(0, write_range(&self->b, self->buf, last, 128, 7));
	for (s = 0; s < 8192; s += 128)
		ASSERT_EQ(0, verify_range(&self->b, self->buf, s, 128, 7));
	ASSERT_EQ(0, verify_range(&self->b, self->buf, last, 128, 7));
	/* Different seed must not verify: the check can fail. */
	ASSERT_EQ(-EILSEQ, verify_range(&self->b, self->buf, 0, 8, 8));
	/* Never-written sectors read back as zeroes. */
	ASSERT_EQ(0, vblk_rw(&self->b, 0, VIRTIO_BLK_T_IN, 65536, self->buf, 4096));
	for (s = 0; s < 4096; s++)
		ASSERT_EQ(0, self->buf[s]);
}

TEST_F(inst, get_id_flush_irq)
{
	char id[VIRTIO_BLK_ID_BYTES + 1], serial[64];
	int64_t n;

	svf_wait_eventfd(self->b.q[0].efd, 0);
	ASSERT_EQ(0, vblk_get_id(&self->b, id));
	/* the parent's serial: volume 0's, "sim-" and 16 hex digits */
	ASSERT_EQ(0, sf_serial(SF_DBG(0), serial, sizeof(serial)));
	EXPECT_EQ(20, strlen(serial));
	EXPECT_STREQ(serial, id);
	ASSERT_EQ(0, vblk_rw(&self->b, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0));
	n = svf_wait_eventfd(self->b.q[0].efd, 1000);
	EXPECT_GE(n, 1);
}

TEST_F(inst, error_statuses)
{
	/* Past the end, partial sector, unknown command: error status, no reset. */
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vblk_rw(&self->b, 0, VIRTIO_BLK_T_IN,
					      self->b.capacity, self->buf, 512));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vblk_rw(&self->b, 0, VIRTIO_BLK_T_OUT,
					      self->b.capacity - 1, self->buf, 1024));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, vblk_rw(&self->b, 0, VIRTIO_BLK_T_OUT,
					      0, self->buf, 100));
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, vblk_rw(&self->b, 0, 77, 0, self->buf, 512));
	EXPECT_EQ(0, vblk_status(&self->b) & VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_EQ(0, write_range(&self->b, self->buf, 0, 8, 3));
}

/*
 * Sectors whose byte offset (sector * 512) does not fit in 64 bits are
 * past the end, not aliases of the sectors they wrap to (found by
 * svf-fuzz: 2^55 wrapped to sector 0 and completed OK).
 */
TEST_F(inst, sector_offset_overflow)
{
	static const uint64_t bad[] = {
		1ULL << 55, (1ULL << 55) + 1, ~0ULL / 512 + 1, ~0ULL,
	};
	unsigned int i;

	EXPECT_EQ(0, write_range(&self->b, self->buf, 0, 2, 11));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(self->buf, 0, 1024);
		EXPECT_EQ(VIRTIO_BLK_S_IOERR,
			  vblk_rw(&self->b, 0, VIRTIO_BLK_T_IN, bad[i], self->buf, 1024))
			TH_LOG("read at sector %#llx", (unsigned long long)bad[i]);
		EXPECT_EQ(VIRTIO_BLK_S_IOERR,
			  vblk_rw(&self->b, 0, VIRTIO_BLK_T_OUT, bad[i], self->buf, 512))
			TH_LOG("write at sector %#llx", (unsigned long long)bad[i]);
	}
	/* nothing landed on the sectors the offsets wrap to */
	EXPECT_EQ(0, verify_range(&self->b, self->buf, 0, 2, 11));
	EXPECT_EQ(0, vblk_status(&self->b) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* Put the device in NEEDS_RESET by @how, check, then recover by reset. */
static void broken_ring(struct __test_metadata *_metadata, struct vblk *b,
			uint8_t *buf, int how)
{
	struct vring_desc *d = vblk_desc(b, 0, 0);
	struct vring_avail *av = (void *)(b->mem + b->q[0].avail);
	struct vring_used *u = (void *)(b->mem + b->q[0].used);
	uint16_t used_before = u->idx;

	switch (how) {
	case 0:		/* descriptor data outside the mapped memory */
		ASSERT_EQ(0, vblk_submit(b, 0, 0, VIRTIO_BLK_T_OUT, 0, 512, false));
		d[0].addr = 0x7f0000000000ULL;
		ASSERT_EQ(0, vblk_kick(b, 0));
		break;
	case 1:		/* descriptor chain that loops */
		ASSERT_EQ(0, vblk_submit(b, 0, 0, VIRTIO_BLK_T_OUT, 0, 512, false));
		d[2].flags |= VRING_DESC_F_NEXT;
		d[2].next = 0;
		ASSERT_EQ(0, vblk_kick(b, 0));
		break;
	case 2:		/* avail index far beyond the ring size */
		av->idx = b->q[0].avail_idx + 1000;
		ASSERT_EQ(0, vblk_kick(b, 0));
		break;
	case 3:		/* head index out of range */
		ASSERT_EQ(0, vblk_push_raw(b, 0, 4000, true));
		break;
	}
	EXPECT_NE(0, vblk_status(b) & VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_EQ(used_before, u->idx);
	/* Further kicks are ignored until reset. */
	ASSERT_EQ(0, vblk_kick(b, 0));
	EXPECT_EQ(used_before, u->idx);
	/* The driver resets and re-initialises; data written before survives. */
	ASSERT_EQ(0, vblk_init_driver(b, 1));
	EXPECT_EQ(0, vblk_status(b) & VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_EQ(0, verify_range(b, buf, 1024, 8, 5));
}

TEST_F(inst, bad_rings_recover)
{
	char other[37];
	struct vblk o;
	int how;

	sf_uuid(other, TAG, 2);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, other));
	ASSERT_EQ(0, vblk_open(&o, other, 1));
	ASSERT_EQ(0, write_range(&o, self->buf, 0, 64, 9));
	ASSERT_EQ(0, write_range(&self->b, self->buf, 1024, 8, 5));
	for (how = 0; how < 4; how++) {
		broken_ring(_metadata, &self->b, self->buf, how);
		/* The neighbour keeps working. */
		EXPECT_EQ(0, verify_range(&o, self->buf, 0, 64, 9));
	}
	vblk_close(&o);
	EXPECT_EQ(0, svf_mdev_remove(other));
}

/*
 * A guest can break its ring, reset and break it again at will: every
 * break logs at most through the kernel's rate limit (printk_ratelimit
 * defaults: 10 lines per 5 s), not a line each.  The earlier cases may
 * have used up the current burst, so the flood starts after a full
 * interval and must log at least once.
 */
TEST_F(inst, broken_ring_flood_ratelimited)
{
	const int rounds = 200;
	struct timespec t0, t1;
	int kmsg, i, lines, broke = 0;
	double secs;

	sleep(6);
	kmsg = svf_kmsg_open();
	ASSERT_LE(0, kmsg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < rounds; i++) {
		struct vring_avail *av = (void *)(self->b.mem + self->b.q[0].avail);

		av->idx = self->b.q[0].avail_idx + 1000;
		ASSERT_EQ(0, vblk_kick(&self->b, 0));
		broke += !!(vblk_status(&self->b) & VIRTIO_CONFIG_S_NEEDS_RESET);
		ASSERT_EQ(0, vblk_init_driver(&self->b, 1));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	lines = svf_kmsg_count(kmsg, "snapvf_sf:", NULL);
	close(kmsg);
	EXPECT_EQ(rounds, broke) TH_LOG("every round must break the ring");
	EXPECT_LE(1, lines) TH_LOG("a broken ring must be logged");
	EXPECT_GE(10 * ((int)(secs / 5) + 1), lines)
		TH_LOG("%d lines for %d broken rings in %.1f s", lines, rounds, secs);
	TH_LOG("%d broken rings in %.1f s: %d log lines", rounds, secs, lines);
}

TEST_F(inst, device_reset_keeps_data)
{
	ASSERT_EQ(0, write_range(&self->b, self->buf, 4096, 64, 11));
	ASSERT_EQ(0, svf_vfio_reset(&self->b.v));
	ASSERT_EQ(0, vblk_init_driver(&self->b, 1));
	EXPECT_EQ(0, verify_range(&self->b, self->buf, 4096, 64, 11));
}

TEST_F(inst, bad_region_access)
{
	uint64_t v = 0;
	uint8_t big[16];

	/* Unaligned and oversized BAR accesses, offset past the BAR: EINVAL. */
	EXPECT_EQ(-1, pread(self->b.v.device, &v, 4, self->b.bar_off + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(self->b.v.device, big, 16, self->b.bar_off));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(self->b.v.device, &v, 4, self->b.bar_off + 0x100000));
	EXPECT_EQ(EINVAL, errno);
	/* A region index that does not exist. */
	EXPECT_EQ(-1, pread(self->b.v.device, &v, 4, 15ULL << 40));
	EXPECT_EQ(EINVAL, errno);
	/* The device still works. */
	EXPECT_EQ(0, write_range(&self->b, self->buf, 0, 8, 1));
}

TEST(multiqueue)
{
	static uint8_t buf[VBLK_SLOT_DATA];
	char uuid[37];
	struct vblk b;
	int q, slot, i;
	uint8_t st;

	sf_uuid(uuid, TAG, 3);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_4Q, uuid));
	ASSERT_EQ(0, vblk_open(&b, uuid, 4));
	EXPECT_EQ(4, b.nq);
	EXPECT_EQ(5, b.msix_vectors);
	for (q = 0; q < 4; q++) {
		/* Several requests in flight per queue, one kick. */
		for (i = 0; i < 8; i++) {
			vblk_pattern(vblk_slot_buf(&b, q, i), 4096, (q * 8 + i) * 8, 21);
			ASSERT_EQ(0, vblk_submit(&b, q, i, VIRTIO_BLK_T_OUT,
						 (q * 8 + i) * 8, 4096, i == 7));
		}
		for (i = 0; i < 8; i++) {
			ASSERT_EQ(1, vblk_reap(&b, q, &slot, &st, 1000));
			EXPECT_EQ(0, st);
		}
		EXPECT_GE(svf_wait_eventfd(b.q[q].efd, 1000), 1);
	}
	for (i = 0; i < 32; i++) {
		ASSERT_EQ(0, vblk_rw(&b, i % 4, VIRTIO_BLK_T_IN, i * 8, buf, 4096));
		EXPECT_GT(0, vblk_check_pattern(buf, 4096, i * 8, 21));
	}
	vblk_close(&b);
	EXPECT_EQ(0, svf_mdev_remove(uuid));
}

TEST_HARNESS_MAIN
