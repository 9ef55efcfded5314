// SPDX-License-Identifier: GPL-2.0
/*
 * migration_test: live migration of an SF virtio-blk instance with I/O
 * running, through VFIO v2 migration (PRE_COPY rounds, STOP_COPY,
 * RESUMING) and DMA logging, into a second instance on another SF that
 * presents the same volume (the disk is the parent's: the stream carries
 * device state only, and its size does not depend on what was written).
 *
 * This program is the VMM and the guest at once.  Guest RAM is the
 * userspace driver's DMA mapping; "migrating RAM" is copying pages from
 * the source mapping to a separate destination mapping.  Pages the guest
 * CPU wrote are tracked here (as KVM would); pages the device wrote must
 * come from the device's DMA log (standard DMA_LOGGING_REPORT): reads
 * completed during pre-copy land in slot pages the CPU never touches, and
 * are checked on the destination; only CPU-dirty and reported pages are
 * re-sent.  A kernel without CONFIG_IOMMUFD_DRIVER cannot report, and
 * there the device offers no DMA logging (checked: ENOTTY): then every
 * page is re-sent each round, as a VMM whose IOMMU container reports the
 * whole mapping dirty would.  Requests kicked while the
 * source is quiesced, and more kicked once it is in STOP_COPY, to the
 * same blocks, are completed by the destination, each exactly once and
 * in order.  Every sector written anywhere is verified on the destination
 * at the end.
 *
 * The destination's "VMM" only registers eventfds (SET_IRQS): its config
 * space and MSI-X table must equal the source's after resume and its
 * interrupts must fire.
 */
#include <sys/mman.h>
#include <linux/pci_regs.h>

#include "svf_harness.h"
#include "svf_kmsg.h"
#include "svf_stream.h"
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
	uint64_t sent_pages;		/* pages re-sent after the first copy */
	bool log;			/* the device offers DMA logging */
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

/* The device's DMA log of the whole guest RAM, or all pages without one. */
static int dirty_report(struct mig *m, uint64_t *bm)
{
	if (!m->log) {
		memset(bm, 0xff, (m->npages + 63) / 64 * 8);
		return 0;
	}
	return svf_vfio_dma_log_report(&m->a.v, VBLK_IOVA, m->a.mem_size, PG,
				       bm);
}

/*
 * RAM migration step, as a VMM does it: the pages the guest CPU dirtied
 * plus the pages the device reports written; nothing else is re-sent.
 */
static int sync_ram(struct mig *m)
{
	uint64_t words = (m->npages + 63) / 64, *bm, p;
	int ret;

	bm = calloc(words, 8);
	if (!bm)
		return -ENOMEM;
	ret = dirty_report(m, bm);
	for (p = 0; !ret && p < m->npages; p++) {
		if (bm[p / 64] & (1ULL << (p % 64))) {
			copy_page(m, p);
			m->dev_pages += m->log;
			m->sent_pages++;
		} else if (m->cpu_dirty[p]) {
			copy_page(m, p);
			m->sent_pages++;
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

/* ---- PCI state as a VMM sees it (config space, MSI-X table) ---- */

#define MSIX_MAX	16

struct pci_snap {
	uint8_t cfg[256];
	uint32_t msix[MSIX_MAX * 4];
	unsigned int nvec;
	uint8_t msix_cap;
};

static uint8_t find_cap(const uint8_t *cfg, uint8_t id)
{
	uint8_t pos = cfg[PCI_CAPABILITY_LIST];
	int guard = 48;

	while (pos >= 0x40 && guard--) {
		if (cfg[pos] == id)
			return pos;
		pos = cfg[pos + 1];
	}
	return 0;
}

/* File offset of MSI-X table entry @v, dword @dw (decoding must be on). */
static int64_t msix_off(struct vblk *b, const struct pci_snap *s,
			unsigned int v, unsigned int dw)
{
	struct vfio_region_info ri;
	uint32_t tbl;

	memcpy(&tbl, s->cfg + s->msix_cap + PCI_MSIX_TABLE, 4);
	if (svf_vfio_region(&b->v, tbl & PCI_MSIX_TABLE_BIR, &ri))
		return -1;
	return ri.offset + (tbl & PCI_MSIX_TABLE_OFFSET) +
	       v * PCI_MSIX_ENTRY_SIZE + dw * 4;
}

static int snap_pci(struct vblk *b, struct pci_snap *s)
{
	unsigned int v, dw;
	uint16_t ctl;

	memset(s, 0, sizeof(*s));
	if (vblk_cfg_read(b, 0, s->cfg, sizeof(s->cfg)))
		return -EIO;
	s->msix_cap = find_cap(s->cfg, PCI_CAP_ID_MSIX);
	if (!s->msix_cap)
		return -ENODEV;
	memcpy(&ctl, s->cfg + s->msix_cap + PCI_MSIX_FLAGS, 2);
	s->nvec = (ctl & PCI_MSIX_FLAGS_QSIZE) + 1;
	if (s->nvec > MSIX_MAX)
		s->nvec = MSIX_MAX;
	for (v = 0; v < s->nvec; v++)
		for (dw = 0; dw < 4; dw++)
			if (pread(b->v.device, &s->msix[v * 4 + dw], 4,
				  msix_off(b, s, v, dw)) != 4)
				return -EIO;
	return 0;
}

static uint16_t snap16(const struct pci_snap *s, unsigned int pos)
{
	return s->cfg[pos] | s->cfg[pos + 1] << 8;
}

/*
 * What a guest does besides the virtio driver: BAR addresses (BAR1 32-bit
 * MSI-X BAR, BAR4 64-bit register BAR) and MSI-X messages, distinct per
 * @seed so that equality on a destination means they travelled.
 */
static int program_pci(struct vblk *b, uint32_t seed)
{
	uint32_t bar1 = 0xfe000000 + (seed << 16), bar4 = 0x40000000, hi = seed;
	struct pci_snap s;
	unsigned int v;
	uint32_t msg[3];

	if (vblk_cfg_write(b, PCI_BASE_ADDRESS_1, &bar1, 4) ||
	    vblk_cfg_write(b, PCI_BASE_ADDRESS_4, &bar4, 4) ||
	    vblk_cfg_write(b, PCI_BASE_ADDRESS_5, &hi, 4) || snap_pci(b, &s))
		return -EIO;
	for (v = 0; v < s.nvec; v++) {
		msg[0] = 0xfee00000 | (v << 12) | (seed << 4);
		msg[1] = 0;
		msg[2] = 0x4020 + v + (seed << 8);
		/* The MSI-X BAR takes 4- and 8-byte accesses. */
		if (pwrite(b->v.device, &msg[0], 4, msix_off(b, &s, v, 0)) != 4 ||
		    pwrite(b->v.device, &msg[1], 4, msix_off(b, &s, v, 1)) != 4 ||
		    pwrite(b->v.device, &msg[2], 4, msix_off(b, &s, v, 2)) != 4)
			return -EIO;
	}
	return 0;
}

/* Drain @efd, run one write on queue 0, return what @efd then reports. */
static int64_t irq_on_io(struct vblk *b, uint64_t sector)
{
	int efd = b->q[0].efd, slot;
	int64_t fired;
	uint8_t st;

	svf_wait_eventfd(efd, 0);
	vblk_pattern(vblk_slot_buf(b, 0, 0), 4096, sector, 6);
	if (vblk_submit(b, 0, 0, VIRTIO_BLK_T_OUT, sector, 4096, true))
		return -EIO;
	fired = svf_wait_eventfd(efd, 2000);
	if (vblk_reap(b, 0, &slot, &st, 2000) != 1 || st)
		return -EIO;
	return fired;
}

static uint8_t seed_of(struct mig *m, uint64_t blk)
{
	return m->written[blk];
}

TEST(precopy_with_io)
{
	char src[37], dst[37];
	struct mig m = { 0 };
	uint64_t flags = 0, blk, initial, dirty, est0, used_src;
	int fd, stream, i, slot, ret, pending[4], done[64] = { 0 };
	static uint8_t buf[RD_LEN], big[16 * 4096];
	uint8_t st;
	int64_t n, total = 0;
	uint32_t state;
	struct pci_snap ps, pd;
	int can = svf_kernel_dma_log();

	sf_uuid(src, TAG, 1);
	sf_uuid(dst, TAG, 2);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, src));
	/* The destination presents the same volume through another SF. */
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(1), SF_TYPE_1Q, dst));
	ASSERT_EQ(0, vblk_open(&m.a, src, 1));
	ASSERT_EQ(0, program_pci(&m.a, 1));
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
	ASSERT_LE(0, can) TH_LOG("running kernel's config not found");
	m.log = can;
	if (m.log) {
		ASSERT_EQ(0, svf_vfio_dma_log_start(&m.a.v, VBLK_IOVA,
						    m.a.mem_size, PG));
	} else {
		ASSERT_EQ(-ENOTTY, svf_vfio_dma_log_probe(&m.a.v))
			TH_LOG("DMA logging offered on a kernel that cannot report");
	}
	ksft_print_msg("DMA logging %s\n", m.log ? "offered: RAM re-sent from the log" :
		       "not offered (no CONFIG_IOMMUFD_DRIVER): all RAM re-sent");
	memcpy(m.b.mem, m.a.mem, m.a.mem_size);
	memset(m.cpu_dirty, 0, m.npages);

	fd = memfd_create("sf-mig", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, svf_vfio_mig_set(&m.a.v, VFIO_DEVICE_STATE_PRE_COPY, &stream));
	ASSERT_LE(0, stream);
	ASSERT_EQ(0, svf_vfio_precopy_info(stream, &initial, &dirty));
	ASSERT_EQ(0, svf_vfio_mig_data_size(&m.a.v, &est0));
	ksft_print_msg("pre-copy start: initial=%llu dirty=%llu, STOP_COPY estimate %llu\n",
		       (unsigned long long)initial, (unsigned long long)dirty,
		       (unsigned long long)est0);
	/*
	 * 4 MiB written before, more below: none of it is device state.
	 * Pre-copy carries the stream's header only.
	 */
	EXPECT_EQ(SVF_HDR_SIZE, initial);
	EXPECT_EQ(0, dirty);
	for (i = 0; i < 4; i++) {
		n = svf_mig_copy(stream, fd, 0, 1 << 20);
		ASSERT_LE(0, n);
		total += n;
		ksft_print_msg("round %d: %lld bytes\n", i, (long long)n);
		EXPECT_EQ(i ? 0 : SVF_HDR_SIZE, n);
		ASSERT_EQ(0, workload(&m, i));
		ASSERT_EQ(0, sync_ram(&m));
		ASSERT_EQ(0, svf_vfio_precopy_info(stream, &initial, &dirty));
		EXPECT_EQ(0, dirty) TH_LOG("round %d: writes counted as device state", i);
	}
	/* The log reports what the device wrote, not everything. */
	if (m.log) {
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
	/*
	 * More writes kicked in STOP_COPY, to the same blocks (seed 10): they
	 * stay in the avail ring behind the first four, and only the
	 * destination's in-order execution leaves seed 10 on the disk.
	 */
	for (i = 0; i < 4; i++) {
		vblk_pattern(vblk_slot_buf(&m.a, 0, 56 + i), WR_SECTORS * VBLK_SECTOR,
			     pending[i] * WR_SECTORS, 10);
		mark_submit(&m, 56 + i, true);
		ASSERT_EQ(0, vblk_submit(&m.a, 0, 56 + i, VIRTIO_BLK_T_OUT,
					 pending[i] * WR_SECTORS,
					 WR_SECTORS * VBLK_SECTOR, true));
	}
	ASSERT_EQ(0, vblk_reap(&m.a, 0, &slot, &st, 0));
	used_src = ((struct vring_used *)(m.a.mem + m.a.q[0].used))->idx;
	n = svf_mig_copy(stream, fd, 0, 1 << 20);
	ASSERT_LT(0, n);
	total += n;
	close(stream);
	/* The stream is the estimate made before 4 MiB and more were written. */
	EXPECT_EQ((int64_t)est0, total);
	ASSERT_EQ(0, sync_ram(&m));
	ASSERT_EQ(0, svf_vfio_mig_set(&m.a.v, VFIO_DEVICE_STATE_STOP, NULL));
	if (m.log)
		ASSERT_EQ(0, svf_vfio_dma_log_stop(&m.a.v));
	ASSERT_EQ(0, snap_pci(&m.a, &ps));
	ksft_print_msg("stream %lld bytes; RAM re-sent: %llu of %llu pages, %llu from the DMA log\n",
		       (long long)total, (unsigned long long)m.sent_pages,
		       (unsigned long long)m.npages, (unsigned long long)m.dev_pages);
	if (m.log)
		EXPECT_LT(m.sent_pages, m.npages);

	/* Destination: resume the stream. */
	ASSERT_EQ(0, svf_vfio_mig_set(&m.b.v, VFIO_DEVICE_STATE_RESUMING, &stream));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(total, svf_mig_copy(fd, stream, 0, 1 << 20));
	close(stream);
	ASSERT_EQ(0, svf_vfio_mig_set(&m.b.v, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(0, svf_vfio_mig_get(&m.b.v, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, state);
	ASSERT_EQ(0, vblk_adopt(&m.b, &m.a));

	/*
	 * The destination's user only registered eventfds (vblk_attach()):
	 * config space and the MSI-X table came with the stream.
	 */
	ASSERT_EQ(0, snap_pci(&m.b, &pd));
	EXPECT_EQ(snap16(&ps, PCI_COMMAND), snap16(&pd, PCI_COMMAND));
	EXPECT_TRUE(snap16(&pd, PCI_COMMAND) & PCI_COMMAND_MASTER);
	EXPECT_EQ(0, memcmp(ps.cfg + PCI_BASE_ADDRESS_0, pd.cfg + PCI_BASE_ADDRESS_0, 24));
	EXPECT_EQ(0xfe010000, *(uint32_t *)(pd.cfg + PCI_BASE_ADDRESS_1) & ~0xfU);
	EXPECT_EQ(snap16(&ps, ps.msix_cap + PCI_MSIX_FLAGS),
		  snap16(&pd, pd.msix_cap + PCI_MSIX_FLAGS));
	EXPECT_TRUE(snap16(&pd, pd.msix_cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE);
	ASSERT_EQ(ps.nvec, pd.nvec);
	EXPECT_EQ(0, memcmp(ps.msix, pd.msix, ps.nvec * 16));
	EXPECT_EQ(0xfee01010, pd.msix[4]);
	EXPECT_EQ(0, memcmp(ps.cfg, pd.cfg, sizeof(ps.cfg)))
		ksft_print_msg("config space differs beyond the fields above\n");

	/*
	 * The eight writes in flight complete on the destination, each once
	 * (no ninth completion, used index advanced by exactly eight), and
	 * in order: the STOP_COPY ones' seed is what the blocks hold.
	 */
	for (i = 0; i < 8; i++) {
		ret = vblk_reap(&m.b, 0, &slot, &st, 2000);
		ASSERT_EQ(1, ret);
		EXPECT_EQ(0, st);
		ASSERT_TRUE(slot >= 56 && slot < 64);
		EXPECT_EQ(0, done[slot]++) TH_LOG("slot %d completed twice", slot);
	}
	EXPECT_EQ(0, vblk_reap(&m.b, 0, &slot, &st, 200));
	EXPECT_EQ((uint16_t)(used_src + 8),
		  ((struct vring_used *)(m.b.mem + m.b.q[0].used))->idx);
	for (i = 0; i < 4; i++)
		m.written[pending[i]] = 10;
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
	/* A completion on the destination fires the queue's eventfd. */
	EXPECT_LT(0, irq_on_io(&m.b, 100008));

	/* And I/O continues. */
	vblk_pattern(buf, 4096, 100000, 5);
	ASSERT_EQ(0, vblk_rw(&m.b, 0, VIRTIO_BLK_T_OUT, 100000, buf, 4096));
	ASSERT_EQ(0, vblk_rw(&m.b, 0, VIRTIO_BLK_T_IN, 100000, buf, 4096));
	EXPECT_GT(0, vblk_check_pattern(buf, 4096, 100000, 5));

	/*
	 * The destination's guest rewrites the blocks of the requests that
	 * were in flight; then the source's VMM closes the source's device
	 * fd with its guest RAM still mapped, as QEMU does when it exits
	 * after a migration.  The source must not execute its stale avail
	 * entries now: the blocks keep the destination's data.
	 */
	for (i = 0; i < 4; i++) {
		vblk_pattern(buf, WR_SECTORS * VBLK_SECTOR, pending[i] * WR_SECTORS, 12);
		ASSERT_EQ(0, vblk_rw(&m.b, 0, VIRTIO_BLK_T_OUT, pending[i] * WR_SECTORS,
				     buf, WR_SECTORS * VBLK_SECTOR));
	}
	close(m.a.v.device);
	m.a.v.device = -1;
	vblk_close(&m.a);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, vblk_rw(&m.b, 0, VIRTIO_BLK_T_IN, pending[i] * WR_SECTORS,
				     buf, WR_SECTORS * VBLK_SECTOR));
		EXPECT_GT(0, vblk_check_pattern(buf, WR_SECTORS * VBLK_SECTOR,
						pending[i] * WR_SECTORS, 12))
			TH_LOG("block %d: the closed source replayed a request", pending[i]);
	}

	close(fd);
	vblk_close(&m.b);
	EXPECT_EQ(0, svf_mdev_remove(src));
	EXPECT_EQ(0, svf_mdev_remove(dst));
}

/*
 * What a VMM is told the final phase will send, against what it then
 * sends.  QEMU switches over once MIG_DATA_SIZE fits its downtime budget:
 * an estimate below the STOP_COPY stream overruns the downtime, and one
 * far above it keeps QEMU from ever switching over.  Four points of a
 * pre-copy session: nothing read yet; 4 KiB read (the rest of a produced
 * chunk waits); every round read and nothing changed since; every round
 * read and then @nblk 4 KiB blocks written.  In each MIG_DATA_SIZE, asked
 * before and after PRECOPY_INFO (QEMU asks in that order), must be exactly
 * the stream; the blocks written are on the parent's volume, not device
 * state, so PRECOPY_INFO reports nothing dirty and the stream is the same
 * size at every point.
 */

struct size_point {
	uint64_t estimate;	/* MIG_DATA_SIZE just before STOP_COPY */
	uint64_t again;		/* the same, after PRECOPY_INFO */
	uint64_t dirty;		/* PRECOPY_INFO dirty_bytes, same moment */
	int64_t sent;		/* bytes STOP_COPY then produced */
};

/* @read: bytes read before the estimate, 0 none, ~0 every round */
static int size_point(struct vblk *b, uint64_t read, int nblk, struct size_point *pt)
{
	static uint8_t blk[4096];
	uint64_t initial;
	int stream, fd2, i, ret;
	int64_t n;

	ret = svf_vfio_mig_set(&b->v, VFIO_DEVICE_STATE_PRE_COPY, &stream);
	if (ret)
		return ret;
	n = read ? svf_mig_copy(stream, -1, read == ~0ULL ? 0 : read, 1 << 20) : 0;
	ret = n < 0 ? n : 0;
	for (i = 0; !ret && i < nblk; i++) {
		vblk_pattern(blk, sizeof(blk), 64 * i, 11);
		ret = vblk_rw(b, 0, VIRTIO_BLK_T_OUT, 64 * i, blk, sizeof(blk));
	}
	if (!ret)
		ret = svf_vfio_mig_data_size(&b->v, &pt->estimate);
	if (!ret)
		ret = svf_vfio_precopy_info(stream, &initial, &pt->dirty);
	if (!ret)
		ret = svf_vfio_mig_data_size(&b->v, &pt->again);
	if (!ret)
		ret = svf_vfio_mig_set(&b->v, VFIO_DEVICE_STATE_STOP_COPY, &fd2);
	if (!ret) {
		if (fd2 >= 0) {
			close(stream);
			stream = fd2;
		}
		pt->sent = svf_mig_copy(stream, -1, 0, 1 << 20);
		ret = pt->sent < 0 ? pt->sent : 0;
	}
	close(stream);
	i = svf_vfio_mig_set(&b->v, VFIO_DEVICE_STATE_RUNNING, NULL);
	return ret ? ret : i;
}

TEST(size_matches_stop_copy)
{
	static const struct { uint64_t read; int nblk; const char *what; } c[] = {
		{ 0, 0, "nothing read" },
		{ 4096, 0, "4 KiB read" },
		{ ~0ULL, 0, "drained, unchanged" },
		{ ~0ULL, 16, "drained, 16 blocks written" },
	};
	static uint8_t big[16 * 4096];
	struct size_point pt;
	int64_t first = -1;
	char id[37];
	struct vblk a;
	unsigned int i;
	int blk;

	sf_uuid(id, TAG, 8);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, id));
	ASSERT_EQ(0, vblk_open(&a, id, 1));
	for (blk = 0; blk < 256; blk += 16) {
		vblk_pattern(big, sizeof(big), blk * WR_SECTORS, 3);
		ASSERT_EQ(0, vblk_rw(&a, 0, VIRTIO_BLK_T_OUT, blk * WR_SECTORS,
				     big, sizeof(big)));
	}
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&pt, 0, sizeof(pt));
		ASSERT_EQ(0, size_point(&a, c[i].read, c[i].nblk, &pt)) TH_LOG("%s", c[i].what);
		ksft_print_msg("%s: MIG_DATA_SIZE %llu, STOP_COPY sent %lld, dirty_bytes %llu\n",
			       c[i].what, (unsigned long long)pt.estimate,
			       (long long)pt.sent, (unsigned long long)pt.dirty);
		EXPECT_EQ(pt.estimate, (uint64_t)pt.sent) TH_LOG("%s", c[i].what);
		EXPECT_EQ(pt.estimate, pt.again) TH_LOG("%s", c[i].what);
		/* Disk writes are not device state: nothing dirty, same size. */
		EXPECT_EQ(0, pt.dirty) TH_LOG("%s", c[i].what);
		/* once the header was read, the same bytes at every point */
		if (c[i].read && first < 0)
			first = pt.sent;
		if (c[i].read)
			EXPECT_EQ(first, pt.sent) TH_LOG("%s: the stream grew", c[i].what);
	}
	vblk_close(&a);
	EXPECT_EQ(0, svf_mdev_remove(id));
}

TEST(reject_other_type)
{
	char src[37], dst[37];
	struct vblk a, b;
	int stream, fd;
	int64_t n;

	sf_uuid(src, TAG, 3);
	sf_uuid(dst, TAG, 4);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, src));
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(1), SF_TYPE_4Q, dst));
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
	/*
	 * The type is part of the stream's compat id: the header is refused
	 * (EINVAL), and leaving RESUMING fails the same way afterwards.
	 */
	EXPECT_EQ(-EINVAL, n);
	EXPECT_EQ(-EINVAL, svf_vfio_mig_set(&b.v, VFIO_DEVICE_STATE_STOP, NULL));
	close(fd);
	vblk_close(&b);
	vblk_close(&a);
	EXPECT_EQ(0, svf_mdev_remove(src));
	EXPECT_EQ(0, svf_mdev_remove(dst));
}

/* ---- stream surgery (include/uapi/snapvf/mig_stream.h) ---- */

/* Save @b's complete state (STOP_COPY) into a malloc'ed buffer. */
static int64_t save_all(struct vblk *b, uint8_t **out)
{
	int stream, fd = memfd_create("sf-mig", 0);
	int64_t n;

	if (fd < 0)
		return -errno;
	n = svf_vfio_mig_set(&b->v, VFIO_DEVICE_STATE_STOP_COPY, &stream);
	if (!n) {
		n = svf_mig_copy(stream, fd, 0, 1 << 20);
		close(stream);
	}
	*out = n > 0 ? malloc(n) : NULL;
	if (n > 0 && (!*out || pread(fd, *out, n, 0) != n))
		n = -EIO;
	close(fd);
	return n;
}

/* Feed @st to @b in RESUMING; return the write's result (0 or -errno). */
static int resume_from(struct vblk *b, const uint8_t *st, size_t len)
{
	int stream, ret;

	ret = svf_vfio_mig_set(&b->v, VFIO_DEVICE_STATE_RESUMING, &stream);
	if (ret)
		return ret;
	ret = svf_write_all(stream, st, len);
	close(stream);
	return ret;
}

/*
 * A destination whose disk is another volume refuses the stream when it
 * leaves RESUMING (EINVAL) with one kernel log line naming both disks,
 * and stays as it was: (a) SF 2, a private 1 MiB volume; (b) SF 6 on
 * volume 5, as large as volume 0 with the same block size, so only the
 * serial tells the disks apart.
 */
TEST(reject_other_disk)
{
	char src[37], dst[37], serial[64], needle[96];
	const char *sfs[] = { SF_DEV(2), SF_DEV(6) };
	struct pci_snap before, after;
	struct vblk a, b;
	uint8_t *sa;
	int64_t na;
	int kmsg, k;

	ASSERT_EQ(0, sf_sim_ctl("new_volume", "5 64M"));
	ASSERT_EQ(0, sf_sim_ctl("new_sf", "6 vol:5 4 256 4"));
	ASSERT_EQ(SF_VOL0_BYTES, svf_sysfs_u64(SF_DBG(6) "/capacity"));
	ASSERT_EQ(0, sf_serial(SF_DBG(0), serial, sizeof(serial)));
	snprintf(needle, sizeof(needle), "source disk %s", serial);
	sf_uuid(src, TAG, 9);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, src));
	ASSERT_EQ(0, vblk_open(&a, src, 1));
	ASSERT_EQ(0, program_pci(&a, 5));
	na = save_all(&a, &sa);
	ASSERT_LT(0, na);
	kmsg = svf_kmsg_open();
	ASSERT_LE(0, kmsg);
	for (k = 0; k < 2; k++) {
		sf_uuid(dst, TAG, 10 + k);
		ASSERT_EQ(0, svf_mdev_create(sfs[k], SF_TYPE_1Q, dst));
		ASSERT_EQ(0, vblk_open(&b, dst, 1));
		ASSERT_EQ(0, program_pci(&b, 6));
		ASSERT_EQ(0, snap_pci(&b, &before));
		svf_kmsg_count(kmsg, "", NULL);
		EXPECT_EQ(0, resume_from(&b, sa, na));
		EXPECT_EQ(-EINVAL, svf_vfio_mig_set(&b.v, VFIO_DEVICE_STATE_STOP, NULL))
			TH_LOG("%s", sfs[k]);
		EXPECT_EQ(1, svf_kmsg_count(kmsg, needle, NULL)) TH_LOG("%s", sfs[k]);
		ASSERT_EQ(0, snap_pci(&b, &after));
		EXPECT_EQ(0, memcmp(&before, &after, sizeof(before))) TH_LOG("%s", sfs[k]);
		vblk_close(&b);
		EXPECT_EQ(0, svf_mdev_remove(dst));
	}
	close(kmsg);
	free(sa);
	vblk_close(&a);
	EXPECT_EQ(0, svf_mdev_remove(src));
	EXPECT_EQ(0, sf_sim_ctl("del_sf", "6"));
	EXPECT_EQ(0, sf_sim_ctl("del_volume", "5"));
}

/*
 * A stream whose vfio-mdev-core record comes from another device
 * description is refused with EINVAL and leaves the destination as it
 * was: (a) a 1-queue instance's stream relabelled (header compat id) for
 * a 4-queue destination, so only the library record can tell; (b) a
 * same-type stream whose library record carries another description
 * fingerprint (as a description differing in, e.g., one BAR would).
 */
TEST(reject_other_description)
{
	char src[37], dst[37], dst2[37];
	struct vblk a, b, c;
	struct pci_snap before, after;
	uint8_t *sa, *sb, *sc, sig[64];
	int64_t na, nb, nc;
	struct svf_rec_info r;
	size_t rec, desc_id;
	static uint8_t buf[4096];

	sf_uuid(src, TAG, 5);
	sf_uuid(dst, TAG, 6);
	sf_uuid(dst2, TAG, 7);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, src));
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(1), SF_TYPE_4Q, dst));
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, dst2));
	ASSERT_EQ(0, vblk_open(&a, src, 1));
	ASSERT_EQ(0, vblk_open(&b, dst, 1));
	ASSERT_EQ(0, vblk_open(&c, dst2, 1));
	ASSERT_EQ(0, program_pci(&a, 2));
	ASSERT_EQ(0, program_pci(&b, 3));
	ASSERT_EQ(0, program_pci(&c, 4));
	vblk_pattern(buf, sizeof(buf), 64, 3);
	ASSERT_EQ(0, vblk_rw(&a, 0, VIRTIO_BLK_T_OUT, 64, buf, sizeof(buf)));
	vblk_pattern(buf, sizeof(buf), 64, 4);
	ASSERT_EQ(0, vblk_rw(&b, 0, VIRTIO_BLK_T_OUT, 64, buf, sizeof(buf)));
	ASSERT_EQ(0, vblk_rw(&c, 0, VIRTIO_BLK_T_OUT, 64, buf, sizeof(buf)));

	na = save_all(&a, &sa);
	ASSERT_LT(SVF_HDR_SIZE, na);
	ASSERT_EQ(0, svf_stream_find(sa, na, VMDEV_MIG_REC_STATE, &r));
	rec = r.off;
	desc_id = rec + SVF_REC_SIZE + offsetof(struct vmdev_mig_rec, desc_id);
	/* The library's record is the last one before the end record. */
	EXPECT_EQ(na - SVF_REC_SIZE - sizeof(struct svf_stream_end),
		  rec + SVF_REC_SIZE + r.len);

	/* (a) header says 4-queue type: the library record refuses it. */
	nb = save_all(&b, &sb);
	ASSERT_LT(SVF_HDR_SIZE, nb);
	ASSERT_EQ(0, svf_vfio_mig_set(&b.v, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, snap_pci(&b, &before));
	memcpy(sig, sa, SVF_HDR_SIZE);
	memcpy(sa + offsetof(struct svf_stream_hdr, compat_id),
	       sb + offsetof(struct svf_stream_hdr, compat_id),
	       sizeof(((struct svf_stream_hdr *)0)->compat_id));
	svf_stream_seal_hdr(sa);
	EXPECT_EQ(-EINVAL, resume_from(&b, sa, na));
	EXPECT_EQ(-EINVAL, svf_vfio_mig_set(&b.v, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, snap_pci(&b, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	memcpy(sa, sig, SVF_HDR_SIZE);

	/* (b) same type, other description fingerprint. */
	nc = save_all(&c, &sc);
	ASSERT_LT(SVF_HDR_SIZE, nc);
	free(sc);
	ASSERT_EQ(0, svf_vfio_mig_set(&c.v, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, snap_pci(&c, &before));
	sa[desc_id] ^= 0x01;
	svf_stream_seal_rec(sa, rec);
	EXPECT_EQ(-EINVAL, resume_from(&c, sa, na));
	EXPECT_EQ(-EINVAL, svf_vfio_mig_set(&c.v, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, snap_pci(&c, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));

	/* The untouched stream is accepted by the same destination. */
	sa[desc_id] ^= 0x01;
	svf_stream_seal_rec(sa, rec);
	ASSERT_EQ(0, svf_vfio_reset(&c.v));
	EXPECT_EQ(0, resume_from(&c, sa, na));
	EXPECT_EQ(0, svf_vfio_mig_set(&c.v, VFIO_DEVICE_STATE_STOP, NULL));

	/* Destination (a) works after a reset; it reads the shared disk. */
	ASSERT_EQ(0, svf_vfio_reset(&b.v));
	ASSERT_EQ(0, vblk_init_driver(&b, 1));
	ASSERT_EQ(0, vblk_rw(&b, 0, VIRTIO_BLK_T_IN, 64, buf, sizeof(buf)));
	EXPECT_GT(0, vblk_check_pattern(buf, sizeof(buf), 64, 4));

	free(sa);
	free(sb);
	vblk_close(&c);
	vblk_close(&b);
	vblk_close(&a);
	EXPECT_EQ(0, svf_mdev_remove(src));
	EXPECT_EQ(0, svf_mdev_remove(dst));
	EXPECT_EQ(0, svf_mdev_remove(dst2));
}

/*
 * Migration does not depend on what the guest did to the function: the
 * source's guest turned memory decoding and bus mastering off and put the
 * function in D3hot, and its VMM has no interrupt set up.  It saves, and a
 * destination restores: the destination's config space is the source's,
 * D3hot and all.  Its guest brings the function back to D0 and turns
 * decoding on: a request notified while mastering is still off waits,
 * untouched, without breaking the queue; once mastering and interrupts
 * are on, the next notification completes it, and the queues the source's
 * driver set up serve I/O (blocks written before the migration read back,
 * a completion fires the eventfd).
 */
TEST(asleep_and_off)
{
	char src[37], dst[37];
	static uint8_t buf[WR_SECTORS * VBLK_SECTOR];
	struct pci_snap ps, pd;
	uint16_t cmd, pmcsr;
	struct vblk a, b;
	uint8_t *sa, pm, st;
	int64_t na;
	int blk, slot;

	sf_uuid(src, TAG, 12);
	sf_uuid(dst, TAG, 13);
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(0), SF_TYPE_1Q, src));
	ASSERT_EQ(0, svf_mdev_create(SF_DEV(1), SF_TYPE_1Q, dst));
	ASSERT_EQ(0, vblk_open(&a, src, 1));
	ASSERT_EQ(0, vblk_attach(&b, dst));
	for (blk = 0; blk < 8; blk++) {
		vblk_pattern(buf, sizeof(buf), 120000 + blk * WR_SECTORS, 14);
		ASSERT_EQ(0, vblk_rw(&a, 0, VIRTIO_BLK_T_OUT, 120000 + blk * WR_SECTORS,
				     buf, sizeof(buf)));
	}
	ASSERT_EQ(0, snap_pci(&a, &ps));
	pm = find_cap(ps.cfg, PCI_CAP_ID_PM);
	ASSERT_NE(0, pm);

	/* The guest: decoding and mastering off, then D3hot; no IRQs. */
	cmd = snap16(&ps, PCI_COMMAND) & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ASSERT_EQ(0, vblk_cfg_write(&a, PCI_COMMAND, &cmd, 2));
	pmcsr = 3;	/* D3hot */
	ASSERT_EQ(0, vblk_cfg_write(&a, pm + PCI_PM_CTRL, &pmcsr, 2));
	ASSERT_EQ(0, svf_vfio_irq_disable(&a.v, VFIO_PCI_MSIX_IRQ_INDEX));
	ASSERT_EQ(0, vblk_cfg_read(&a, 0, ps.cfg, sizeof(ps.cfg)));
	ASSERT_EQ(3, ps.cfg[pm + PCI_PM_CTRL] & PCI_PM_CTRL_STATE_MASK);
	ASSERT_EQ(0, snap16(&ps, PCI_COMMAND) & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));

	na = save_all(&a, &sa);
	ASSERT_LT(0, na);
	ASSERT_EQ(0, resume_from(&b, sa, na));
	ASSERT_EQ(0, svf_vfio_mig_set(&b.v, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(0, vblk_cfg_read(&b, 0, pd.cfg, sizeof(pd.cfg)));
	EXPECT_EQ(3, pd.cfg[pm + PCI_PM_CTRL] & PCI_PM_CTRL_STATE_MASK);
	/*
	 * Equal but for MSI-X Enable, which follows each VMM's SET_IRQS
	 * (none on the source, vblk_attach()'s vectors here).
	 */
	EXPECT_EQ(0, ps.cfg[ps.msix_cap + PCI_MSIX_FLAGS + 1] & 0x80);
	ps.cfg[ps.msix_cap + PCI_MSIX_FLAGS + 1] |= 0x80;
	EXPECT_EQ(0, memcmp(ps.cfg, pd.cfg, sizeof(ps.cfg)))
		TH_LOG("the destination's config space is not the source's");

	/* The destination's guest wakes the function and uses its queues. */
	memcpy(b.mem, a.mem, a.mem_size);
	ASSERT_EQ(0, vblk_adopt(&b, &a));
	pmcsr = 0;	/* D0 */
	ASSERT_EQ(0, vblk_cfg_write(&b, pm + PCI_PM_CTRL, &pmcsr, 2));
	cmd |= PCI_COMMAND_MEMORY;
	ASSERT_EQ(0, vblk_cfg_write(&b, PCI_COMMAND, &cmd, 2));
	vblk_pattern(vblk_slot_buf(&b, 0, 5), sizeof(buf), 120200, 15);
	ASSERT_EQ(0, vblk_submit(&b, 0, 5, VIRTIO_BLK_T_OUT, 120200, sizeof(buf), true));
	EXPECT_EQ(0, vblk_reap(&b, 0, &slot, &st, 300))
		TH_LOG("a request completed with bus mastering off");
	EXPECT_EQ(VIRTIO_CONFIG_S_DRIVER_OK,
		  vblk_status(&b) & (VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_NEEDS_RESET));
	vblk_pci_enable(&b);
	ASSERT_EQ(0, vblk_kick(&b, 0));
	ASSERT_EQ(1, vblk_reap(&b, 0, &slot, &st, 2000));
	EXPECT_EQ(5, slot);
	EXPECT_EQ(0, st);
	EXPECT_EQ(VIRTIO_CONFIG_S_DRIVER_OK,
		  vblk_status(&b) & (VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_NEEDS_RESET));
	ASSERT_EQ(0, vblk_rw(&b, 0, VIRTIO_BLK_T_IN, 120200, buf, sizeof(buf)));
	EXPECT_GT(0, vblk_check_pattern(buf, sizeof(buf), 120200, 15));
	for (blk = 0; blk < 8; blk++) {
		ASSERT_EQ(0, vblk_rw(&b, 0, VIRTIO_BLK_T_IN, 120000 + blk * WR_SECTORS,
				     buf, sizeof(buf)));
		EXPECT_GT(0, vblk_check_pattern(buf, sizeof(buf),
						120000 + blk * WR_SECTORS, 14))
			TH_LOG("block %d wrong on the destination", blk);
	}
	EXPECT_LT(0, irq_on_io(&b, 120100));

	free(sa);
	vblk_close(&b);
	vblk_close(&a);
	EXPECT_EQ(0, svf_mdev_remove(src));
	EXPECT_EQ(0, svf_mdev_remove(dst));
}

TEST_HARNESS_MAIN
