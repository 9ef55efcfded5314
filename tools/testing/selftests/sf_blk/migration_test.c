// SPDX-License-Identifier: GPL-2.0
/*
 * migration_test: live migration of an SF virtio-blk instance with I/O
 * running, through VFIO v2 migration (PRE_COPY rounds, STOP_COPY,
 * RESUMING) and DMA logging, into a second instance.
 *
 * This program is the VMM and the guest at once.  Guest RAM is the
 * userspace driver's DMA mapping; "migrating RAM" is copying pages from
 * the source mapping to a separate destination mapping.  Pages the guest
 * CPU wrote are tracked here (as KVM would); pages the device wrote must
 * come from the device's DMA log: reads completed during pre-copy land in
 * slot pages the CPU never touches, and are checked on the destination.
 * Requests kicked while the source is quiesced are completed by the
 * destination.  Every sector written anywhere is verified on the
 * destination at the end.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "sf_test.h"
#include "../../../vblk/vblk.h"

#define TAG		0x30000000
#define PG		4096ULL
#define RD_LEN		(16 * 1024)
#define WR_SECTORS	8

struct mig {
	struct vblk a, b;
	uint8_t *cpu_dirty;		/* one byte per guest page */
	uint64_t npages;
	uint8_t *written;		/* per 8-sector block: seed (0: never) */
	uint64_t nblocks;
	int rd_sector[VBLK_SLOTS];	/* sector read into slot, -1 none */
	uint64_t dev_pages;		/* pages copied because of the DMA log */
	bool no_report;			/* kernel cannot report the log */
};

static void mark_cpu(struct mig *m, uint64_t off, uint64_t len)
{
	uint64_t p;

	for (p = off / PG; p <= (off + len - 1) / PG; p++)
		m->cpu_dirty[p] = 1;
}

/* Guest-CPU writes of a submit: descriptors, avail ring, header page. */
static void mark_submit(struct mig *m, int slot, bool out)
{
	struct vblk_queue *q = &m->a.q[0];
	uint8_t *hdr = (uint8_t *)vblk_slot_buf(&m->a, 0, slot) - 64;

	mark_cpu(m, q->desc, q->used - q->desc);
	mark_cpu(m, hdr - m->a.mem, 64);
	if (out)
		mark_cpu(m, hdr - m->a.mem, 64 + WR_SECTORS * VBLK_SECTOR);
}

static void copy_page(struct mig *m, uint64_t p)
{
	memcpy(m->b.mem + p * PG, m->a.mem + p * PG, PG);
}

/* RAM migration step: CPU-dirty pages plus what the device logged. */
static int sync_ram(struct mig *m)
{
	uint64_t words = (m->npages + 63) / 64, *bm, p;
	int ret;

	bm = calloc(words, 8);
	if (!bm)
		return -ENOMEM;
	ret = svf_vfio_dma_log_report(&m->a.v, VBLK_IOVA, m->a.mem_size, PG, bm);
	if (ret == -EOPNOTSUPP) {
		/*
		 * The kernel's iova_bitmap is a stub (CONFIG_IOMMUFD_DRIVER=n,
		 * Debian 12's 6.12): VFIO cannot report a DMA log at all.
		 * Fall back to copying everything, as a VMM must.
		 */
		if (!m->no_report)
			ksft_print_msg("DMA_LOGGING_REPORT unsupported by this kernel (iova_bitmap stub): copying all RAM\n");
		m->no_report = true;
		memset(bm, 0xff, words * 8);
		ret = 0;
	}
	for (p = 0; !ret && p < m->npages; p++) {
		if (m->no_report) {
			copy_page(m, p);
		} else if (bm[p / 64] & (1ULL << (p % 64))) {
			copy_page(m, p);
			m->dev_pages++;
		} else if (m->cpu_dirty[p]) {
			copy_page(m, p);
		}
		m->cpu_dirty[p] = 0;
	}
	free(bm);
	return ret;
}

/* Some guest I/O on the source: writes (new seed) and reads into slots. */
static int workload(struct mig *m, int round)
{
	uint8_t st;
	int i, slot, ret;

	for (i = 0; i < 16; i++) {
		/* Blocks 0..127 stay seed 1: the reads below check them. */
		uint64_t blk = 128 + (round * 37 + i * 11) % (m->nblocks - 128);
		uint8_t seed = round + 2;

		vblk_pattern(vblk_slot_buf(&m->a, 0, 0), WR_SECTORS * VBLK_SECTOR,
			     blk * WR_SECTORS, seed);
		mark_submit(m, 0, true);
		ret = vblk_submit(&m->a, 0, 0, VIRTIO_BLK_T_OUT, blk * WR_SECTORS,
				  WR_SECTORS * VBLK_SECTOR, true);
		if (ret || vblk_reap(&m->a, 0, &slot, &st, 2000) != 1 || st)
			return -EIO;
		m->written[blk] = seed;
	}
	for (i = 1; i < 8; i++) {
		int s = 1 + (round * 7 + i) % 59;	/* 60..63: in flight */
		uint64_t blk = (round * 13 + i * 5) % 64;	/* seed-1 area */

		mark_submit(m, s, false);
		ret = vblk_submit(&m->a, 0, s, VIRTIO_BLK_T_IN, blk * WR_SECTORS,
				  RD_LEN, true);
		if (ret || vblk_reap(&m->a, 0, &slot, &st, 2000) != 1 || st)
			return -EIO;
		m->rd_sector[s] = blk * WR_SECTORS;
	}
	return 0;
}

static uint8_t seed_of(struct mig *m, uint64_t blk)
{
	return m->written[blk];
}

TEST(precopy_with_io)
{
	char src[37], dst[37];
	struct mig m = { 0 };
	uint64_t flags = 0, blk, initial, dirty;
	int fd, stream, i, slot, ret, pending[4];
	static uint8_t buf[RD_LEN], big[16 * 4096];
	uint8_t st;
	int64_t n, total = 0;
	uint32_t state;

	sf_uuid(src, TAG, 1);
	sf_uuid(dst, TAG, 2);
	ASSERT_EQ(0, sf_create(SF_DEV(0), SF_TYPE_1Q, src));
	ASSERT_EQ(0, sf_create(SF_DEV(0), SF_TYPE_1Q, dst));
	ASSERT_EQ(0, vblk_open(&m.a, src, 1));
	ASSERT_EQ(0, svf_vfio_mig_flags(&m.a.v, &flags));
	ASSERT_TRUE(flags & VFIO_MIGRATION_STOP_COPY);
	ASSERT_TRUE(flags & VFIO_MIGRATION_PRE_COPY);
	ASSERT_TRUE(flags & VFIO_MIGRATION_P2P);
	m.npages = m.a.mem_size / PG;
	m.cpu_dirty = calloc(m.npages, 1);
	m.nblocks = 4096;	/* 16 MiB of the disk in 4 KiB blocks */
	m.written = calloc(m.nblocks, 1);
	memset(m.rd_sector, -1, sizeof(m.rd_sector));

	/* Initial disk contents: blocks 0..1023 with seed 1. */
	for (blk = 0; blk < 1024; blk += 16) {
		vblk_pattern(big, sizeof(big), blk * WR_SECTORS, 1);
		ASSERT_EQ(0, vblk_rw(&m.a, 0, VIRTIO_BLK_T_OUT, blk * WR_SECTORS,
				     big, sizeof(big)));
		memset(m.written + blk, 1, 16);
	}

	/* Destination attached; the whole "RAM" copied once. */
	ASSERT_EQ(0, vblk_attach(&m.b, dst));
	ASSERT_EQ(0, svf_vfio_dma_log_start(&m.a.v, VBLK_IOVA, m.a.mem_size, PG));
	memcpy(m.b.mem, m.a.mem, m.a.mem_size);
	memset(m.cpu_dirty, 0, m.npages);

	fd = memfd_create("sf-mig", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, svf_vfio_mig_set(&m.a.v, VFIO_DEVICE_STATE_PRE_COPY, &stream));
	ASSERT_LE(0, stream);
	ASSERT_EQ(0, svf_vfio_precopy_info(stream, &initial, &dirty));
	ksft_print_msg("pre-copy start: initial=%llu dirty=%llu\n",
		       (unsigned long long)initial, (unsigned long long)dirty);
	for (i = 0; i < 4; i++) {
		n = svf_mig_copy(stream, fd, 0, 1 << 20);
		ASSERT_LE(0, n);
		total += n;
		ksft_print_msg("round %d: %lld bytes\n", i, (long long)n);
		if (i == 0)
			EXPECT_GE(n, 1024 * 4096);
		ASSERT_EQ(0, workload(&m, i));
		ASSERT_EQ(0, sync_ram(&m));
	}
	/* The log reports what the device wrote, not everything. */
	if (!m.no_report) {
		EXPECT_GT(m.dev_pages, 0);
		EXPECT_LT(m.dev_pages, m.npages / 2);
	}

	/* Quiesce, then requests kicked now stay in flight on the source. */
	ASSERT_EQ(0, svf_vfio_mig_set(&m.a.v, VFIO_DEVICE_STATE_PRE_COPY_P2P, NULL));
	for (i = 0; i < 4; i++) {
		pending[i] = 2000 + i;
		vblk_pattern(vblk_slot_buf(&m.a, 0, 60 + i), WR_SECTORS * VBLK_SECTOR,
			     pending[i] * WR_SECTORS, 9);
		mark_submit(&m, 60 + i, true);
		ASSERT_EQ(0, vblk_submit(&m.a, 0, 60 + i, VIRTIO_BLK_T_OUT,
					 pending[i] * WR_SECTORS,
					 WR_SECTORS * VBLK_SECTOR, true));
	}
	ASSERT_EQ(0, vblk_reap(&m.a, 0, &slot, &st, 0));

	/* PRE_COPY_P2P -> STOP_COPY keeps the pre-copy data_fd. */
	ASSERT_EQ(0, svf_vfio_mig_set(&m.a.v, VFIO_DEVICE_STATE_STOP_COPY, &i));
	if (i >= 0) {
		close(stream);
		stream = i;
	}
	n = svf_mig_copy(stream, fd, 0, 1 << 20);
	ASSERT_LT(0, n);
	total += n;
	close(stream);
	ASSERT_EQ(0, sync_ram(&m));
	ASSERT_EQ(0, svf_vfio_mig_set(&m.a.v, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, svf_vfio_dma_log_stop(&m.a.v));
	ksft_print_msg("stream %lld bytes, %llu pages from the DMA log\n",
		       (long long)total, (unsigned long long)m.dev_pages);

	/* Destination: resume the stream. */
	ASSERT_EQ(0, svf_vfio_mig_set(&m.b.v, VFIO_DEVICE_STATE_RESUMING, &stream));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(total, svf_mig_copy(fd, stream, 0, 1 << 20));
	close(stream);
	ASSERT_EQ(0, svf_vfio_mig_set(&m.b.v, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(0, svf_vfio_mig_get(&m.b.v, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, state);
	ASSERT_EQ(0, vblk_adopt(&m.b, &m.a));

	/* The four in-flight writes complete on the destination. */
	for (i = 0; i < 4; i++) {
		ret = vblk_reap(&m.b, 0, &slot, &st, 2000);
		ASSERT_EQ(1, ret);
		EXPECT_EQ(0, st);
		m.written[pending[slot - 60]] = 9;
	}
	/* Reads done during pre-copy are in the destination's RAM. */
	for (i = 1; i < VBLK_SLOTS; i++) {
		if (m.rd_sector[i] < 0)
			continue;
		EXPECT_GT(0, vblk_check_pattern(vblk_slot_buf(&m.b, 0, i), RD_LEN,
						m.rd_sector[i],
						seed_of(&m, m.rd_sector[i] / WR_SECTORS)))
			ksft_print_msg("slot %d (sector %d) stale on destination\n",
				       i, m.rd_sector[i]);
	}
	/* Every block ever written reads back from the destination. */
	for (blk = 0; blk < m.nblocks; blk++) {
		if (!m.written[blk])
			continue;
		ASSERT_EQ(0, vblk_rw(&m.b, 0, VIRTIO_BLK_T_IN, blk * WR_SECTORS,
				     buf, WR_SECTORS * VBLK_SECTOR));
		ASSERT_GT(0, vblk_check_pattern(buf, WR_SECTORS * VBLK_SECTOR,
						blk * WR_SECTORS, m.written[blk]))
			ksft_print_msg("block %llu wrong on destination\n",
				       (unsigned long long)blk);
	}
	/* And I/O continues. */
	vblk_pattern(buf, 4096, 100000, 5);
	ASSERT_EQ(0, vblk_rw(&m.b, 0, VIRTIO_BLK_T_OUT, 100000, buf, 4096));
	ASSERT_EQ(0, vblk_rw(&m.b, 0, VIRTIO_BLK_T_IN, 100000, buf, 4096));
	EXPECT_GT(0, vblk_check_pattern(buf, 4096, 100000, 5));

	close(fd);
	vblk_close(&m.b);
	vblk_close(&m.a);
	EXPECT_EQ(0, sf_remove(src));
	EXPECT_EQ(0, sf_remove(dst));
}

TEST(reject_other_type)
{
	char src[37], dst[37];
	struct vblk a, b;
	int stream, fd;
	int64_t n;

	sf_uuid(src, TAG, 3);
	sf_uuid(dst, TAG, 4);
	ASSERT_EQ(0, sf_create(SF_DEV(0), SF_TYPE_1Q, src));
	ASSERT_EQ(0, sf_create(SF_DEV(1), SF_TYPE_4Q, dst));
	ASSERT_EQ(0, vblk_open(&a, src, 1));
	ASSERT_EQ(0, vblk_attach(&b, dst));
	fd = memfd_create("sf-mig", 0);
	ASSERT_EQ(0, svf_vfio_mig_set(&a.v, VFIO_DEVICE_STATE_STOP_COPY, &stream));
	n = svf_mig_copy(stream, fd, 0, 1 << 20);
	ASSERT_LT(0, n);
	close(stream);
	ASSERT_EQ(0, svf_vfio_mig_set(&b.v, VFIO_DEVICE_STATE_RESUMING, &stream));
	lseek(fd, 0, SEEK_SET);
	n = svf_mig_copy(fd, stream, 0, 1 << 20);
	close(stream);
	/* The incompatible stream is refused at the latest on leaving RESUMING. */
	if (n >= 0)
		EXPECT_NE(0, svf_vfio_mig_set(&b.v, VFIO_DEVICE_STATE_STOP, NULL));
	close(fd);
	vblk_close(&b);
	vblk_close(&a);
	EXPECT_EQ(0, sf_remove(src));
	EXPECT_EQ(0, sf_remove(dst));
}

TEST_HARNESS_MAIN
