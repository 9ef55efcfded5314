// SPDX-License-Identifier: GPL-2.0
/*
 * device_test: one vmdev_test instance opened through group/container
 * (type1) and VFIO_GROUP_GET_DEVICE_FD(uuid): config space semantics,
 * region info, region reads/writes incl. bad offsets and sizes, the
 * SET_IRQS matrix, MSI/MSI-X/INTx delivery, DMA through the container,
 * reset, and migration to a second instance: vfio-mdev-core's own record
 * read and changed through its public layout (<snapvf/mig_stream.h>, via
 * svf_stream.h).
 */
#include "svf_harness.h"
#include "svf_kmsg.h"
#include "vmdev_lib.h"

#define IOVA	0x100000ULL
#define DMA_SZ	0x10000ULL

FIXTURE(dev) {
	char uuid[40];
	struct svf_vfio v;
};

FIXTURE_SETUP(dev)
{
	vt_uuid(self->uuid, 0xd0 + getpid() % 1000);
	ASSERT_EQ(0, svf_mdev_create(VT_PARENT, VT_SMALL, self->uuid));
	ASSERT_EQ(0, svf_vfio_open(&self->v, self->uuid));
}

FIXTURE_TEARDOWN(dev)
{
	svf_vfio_close(&self->v);
	svf_mdev_remove(self->uuid);
}

static void enable_mem(struct svf_vfio *v, uint16_t extra)
{
	cfg_wr(v, 0x04, 0x0002 | extra, 2);
}

TEST_F(dev, device_info)
{
	struct vfio_irq_info ii;

	EXPECT_TRUE(self->v.info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_TRUE(self->v.info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, self->v.info.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, self->v.info.num_irqs);

	ASSERT_EQ(0, svf_vfio_irq_info(&self->v, VFIO_PCI_INTX_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_TRUE(ii.flags & VFIO_IRQ_INFO_AUTOMASKED);
	ASSERT_EQ(0, svf_vfio_irq_info(&self->v, VFIO_PCI_MSI_IRQ_INDEX, &ii));
	EXPECT_EQ(4, ii.count);
	ASSERT_EQ(0, svf_vfio_irq_info(&self->v, VFIO_PCI_MSIX_IRQ_INDEX, &ii));
	EXPECT_EQ(VT_MSIX_VECS, ii.count);
	EXPECT_TRUE(ii.flags & VFIO_IRQ_INFO_EVENTFD);
	ASSERT_EQ(0, svf_vfio_irq_info(&self->v, VFIO_PCI_ERR_IRQ_INDEX, &ii));
	EXPECT_EQ(0, ii.count);
	ASSERT_EQ(0, svf_vfio_irq_info(&self->v, VFIO_PCI_REQ_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_EQ(-EINVAL, svf_vfio_irq_info(&self->v, VFIO_PCI_NUM_IRQS, &ii));
}

TEST_F(dev, region_info)
{
	static const struct { unsigned int idx; uint64_t size; int mmap; } r[] = {
		{ VFIO_PCI_BAR0_REGION_INDEX, 4096, 0 },
		{ VFIO_PCI_BAR1_REGION_INDEX, 0, 0 },
		{ VFIO_PCI_BAR2_REGION_INDEX, 65536, 1 },
		{ VFIO_PCI_BAR3_REGION_INDEX, 0, 0 },
		{ VFIO_PCI_BAR4_REGION_INDEX, 8192, 0 },
		{ VFIO_PCI_BAR5_REGION_INDEX, 32, 0 },
		{ VFIO_PCI_ROM_REGION_INDEX, 0, 0 },
		{ VFIO_PCI_CONFIG_REGION_INDEX, 4096, 0 },
		{ VFIO_PCI_VGA_REGION_INDEX, 0, 0 },
	};
	struct vfio_region_info ri;
	unsigned int i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		ASSERT_EQ(0, svf_vfio_region(&self->v, r[i].idx, &ri));
		EXPECT_EQ(r[i].size, ri.size) TH_LOG("region %u", r[i].idx);
		EXPECT_EQ((uint64_t)r[i].idx << 40, ri.offset);
		EXPECT_EQ(r[i].mmap, !!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP));
		EXPECT_EQ(!!r[i].size, !!(ri.flags & VFIO_REGION_INFO_FLAG_READ));
	}
	EXPECT_EQ(-EINVAL, svf_vfio_region(&self->v, VFIO_PCI_NUM_REGIONS, &ri));
	ri.argsz = 8;
	ri.index = 0;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, config_header)
{
	struct svf_vfio *v = &self->v;

	EXPECT_EQ(0xbeef1234, cfg_rd(v, 0x00, 4));
	EXPECT_EQ(0xff000001, cfg_rd(v, 0x08, 4));
	EXPECT_EQ(0, cfg_rd(v, 0x0e, 1));
	EXPECT_EQ(0x00011234, cfg_rd(v, 0x2c, 4));
	EXPECT_EQ(1, cfg_rd(v, 0x3d, 1));
	/* Read-only IDs. */
	ASSERT_EQ(0, cfg_wr(v, 0x00, 0x12345678, 4));
	EXPECT_EQ(0xbeef1234, cfg_rd(v, 0x00, 4));
	/* Command: only implemented bits stick. */
	ASSERT_EQ(0, cfg_wr(v, 0x04, 0xffff, 2));
	EXPECT_EQ(0x0547, cfg_rd(v, 0x04, 2));
	/* Status: capability list bit set, writes of ones clear nothing. */
	ASSERT_EQ(0, cfg_wr(v, 0x06, 0xffff, 2));
	EXPECT_EQ(0x0010, cfg_rd(v, 0x06, 2));
	ASSERT_EQ(0, cfg_wr(v, 0x3c, 0xab, 1));
	EXPECT_EQ(0xab, cfg_rd(v, 0x3c, 1));
	/* Unaligned 4-byte config reads are split, not refused. */
	EXPECT_EQ(0xef1234u >> 0, cfg_rd(v, 0x00, 3) & 0xffffff);
	/* Extended space: 4 KiB, no extended capability. */
	EXPECT_EQ(0, cfg_rd(v, 0x100, 4));
	EXPECT_EQ(0, cfg_rd(v, 0xffc, 4));
}

TEST_F(dev, config_bar_sizing)
{
	struct svf_vfio *v = &self->v;
	unsigned int i;

	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, cfg_wr(v, 0x10 + 4 * i, 0xffffffff, 4));
	EXPECT_EQ(0xfffff000, cfg_rd(v, 0x10, 4));	/* 4K mem32 */
	EXPECT_EQ(0, cfg_rd(v, 0x14, 4));		/* absent */
	EXPECT_EQ(0xffff000c, cfg_rd(v, 0x18, 4));	/* 64K mem64 pref */
	EXPECT_EQ(0xffffffff, cfg_rd(v, 0x1c, 4));	/* upper half */
	EXPECT_EQ(0xffffe000, cfg_rd(v, 0x20, 4));	/* 8K */
	EXPECT_EQ(0xffffffe1, cfg_rd(v, 0x24, 4));	/* 32-byte I/O */
	ASSERT_EQ(0, cfg_wr(v, 0x30, 0xffffffff, 4));
	EXPECT_EQ(0, cfg_rd(v, 0x30, 4));		/* no ROM */
	/* An address sticks, the type bits stay. */
	ASSERT_EQ(0, cfg_wr(v, 0x18, 0xfe012340, 4));
	EXPECT_EQ(0xfe01000c, cfg_rd(v, 0x18, 4));
	ASSERT_EQ(0, cfg_wr(v, 0x1c, 0x1, 4));
	EXPECT_EQ(1, cfg_rd(v, 0x1c, 4));
}

TEST_F(dev, config_caps)
{
	struct svf_vfio *v = &self->v;
	unsigned int pm, msi, exp, msix, vndr;
	uint32_t c6;

	pm = cap_find(v, 0x01);
	msi = cap_find(v, 0x05);
	exp = cap_find(v, 0x10);
	msix = cap_find(v, 0x11);
	vndr = cap_find(v, 0x09);
	ASSERT_TRUE(pm && msi && exp && msix && vndr);
	EXPECT_EQ(0, pm % 4);
	/* PM: D3hot sticks, D1 is refused, D0 back. */
	ASSERT_EQ(0, cfg_wr(v, pm + 4, 3, 2));
	EXPECT_EQ(3, cfg_rd(v, pm + 4, 2) & 3);
	ASSERT_EQ(0, cfg_wr(v, pm + 4, 1, 2));
	EXPECT_EQ(3, cfg_rd(v, pm + 4, 2) & 3);
	ASSERT_EQ(0, cfg_wr(v, pm + 4, 0, 2));
	EXPECT_EQ(0, cfg_rd(v, pm + 4, 2) & 3);
	/* MSI: 64-bit, maskable, 4 vectors; MMC read-only. */
	EXPECT_EQ(0x0184, cfg_rd(v, msi + 2, 2));
	ASSERT_EQ(0, cfg_wr(v, msi + 2, 0xffff, 2));
	EXPECT_EQ(0x01f5, cfg_rd(v, msi + 2, 2));
	ASSERT_EQ(0, cfg_wr(v, msi + 2, 0, 2));
	ASSERT_EQ(0, cfg_wr(v, msi + 4, 0xffffffff, 4));
	EXPECT_EQ(0xfffffffc, cfg_rd(v, msi + 4, 4));
	ASSERT_EQ(0, cfg_wr(v, msi + 16, 0xffffffff, 4));
	EXPECT_EQ(0xf, cfg_rd(v, msi + 16, 4));
	/* PCIe endpoint v2 with FLR. */
	EXPECT_EQ(0x0002, cfg_rd(v, exp + 2, 2));
	EXPECT_TRUE(cfg_rd(v, exp + 4, 4) & (1u << 28));
	/* MSI-X: 8 vectors, table in BAR4 at 0, PBA at 0x1000. */
	EXPECT_EQ(7, cfg_rd(v, msix + 2, 2) & 0x7ff);
	EXPECT_EQ(0x4, cfg_rd(v, msix + 4, 4));
	EXPECT_EQ(0x1004, cfg_rd(v, msix + 8, 4));
	ASSERT_EQ(0, cfg_wr(v, msix + 4, 0, 4));
	EXPECT_EQ(0x4, cfg_rd(v, msix + 4, 4));
	/* Vendor capability: length, RO bytes, write mask, trap. */
	EXPECT_EQ(8, cfg_rd(v, vndr + 2, 1));
	EXPECT_EQ(0x42, cfg_rd(v, vndr + 3, 1));
	ASSERT_EQ(0, cfg_wr(v, vndr + 4, 0xffff, 2));
	EXPECT_EQ(0x2fff, cfg_rd(v, vndr + 4, 2));
	ASSERT_EQ(0, cfg_wr(v, vndr + 2, 0x55, 1));
	EXPECT_EQ(8, cfg_rd(v, vndr + 2, 1));
	EXPECT_EQ(0x99, cfg_rd(v, vndr + 7, 1));
	c6 = cfg_rd(v, vndr + 6, 1);
	EXPECT_EQ((c6 + 1) & 0xff, cfg_rd(v, vndr + 6, 1));
	/* A wider read covering trapped bytes goes to the callback too. */
	c6 = cfg_rd(v, vndr + 6, 1);
	EXPECT_EQ((c6 + 1) & 0xff, (cfg_rd(v, vndr + 4, 4) >> 16) & 0xff);
	/* The list ends. */
	EXPECT_EQ(0, cfg_rd(v, vndr + 1, 1));
}

TEST_F(dev, region_rw)
{
	struct svf_vfio *v = &self->v;
	uint8_t buf[64], big[4096];
	uint32_t val = 0;
	size_t msz;
	uint8_t *map;

	/* Memory decoding off: BAR accesses fail. */
	EXPECT_EQ(-EIO, reg_io(v, 0, VT_ID, &val, 4, 0));
	enable_mem(v, 0x1);
	EXPECT_EQ(VT_ID_VALUE, bar0_rd(v, VT_ID));
	bar0_wr(v, VT_SCRATCH, 0xcafef00d);
	EXPECT_EQ(0xcafef00d, bar0_rd(v, VT_SCRATCH));
	/* Trapped BAR: one naturally aligned 1/2/4/8-byte access only. */
	EXPECT_EQ(-EINVAL, reg_io(v, 0, 2, &val, 4, 0));
	EXPECT_EQ(-EINVAL, reg_io(v, 0, 0, buf, 3, 0));
	EXPECT_EQ(-EINVAL, reg_io(v, 0, 0, buf, 16, 0));
	EXPECT_EQ(-EINVAL, reg_io(v, 0, 0, buf, 16, 1));
	/* Out of range offsets and regions. */
	EXPECT_EQ(-EINVAL, reg_io(v, 0, 4096, &val, 4, 0));
	EXPECT_EQ(-EINVAL, reg_io(v, 0, 1ULL << 39, &val, 4, 0));
	EXPECT_EQ(-EINVAL, reg_io(v, 1, 0, &val, 4, 0));
	EXPECT_EQ(-EINVAL, reg_io(v, 6, 0, &val, 4, 0));
	EXPECT_EQ(-EINVAL, reg_io(v, 12, 0, &val, 4, 0));
	EXPECT_EQ(-EINVAL, reg_io(v, 7, 4096, &val, 4, 0));
	/* I/O BAR needs I/O decoding (enabled above) and reads 0xa5. */
	EXPECT_EQ(1, reg_io(v, 5, 3, buf, 1, 0));
	EXPECT_EQ(0xa5, buf[0]);
	/* RAM BAR: any size, short at the end; mmap sees the same bytes. */
	memset(big, 0x3c, sizeof(big));
	EXPECT_EQ(4096, reg_io(v, 2, 4096, big, 4096, 1));
	EXPECT_EQ(16, reg_io(v, 2, 65536 - 16, buf, 64, 0));
	map = svf_vfio_mmap(v, 2, &msz);
	ASSERT_NE(NULL, map);
	EXPECT_EQ(65536, msz);
	EXPECT_EQ(0x3c, map[4096 + 17]);
	map[100] = 0x77;
	EXPECT_EQ(1, reg_io(v, 2, 100, buf, 1, 0));
	EXPECT_EQ(0x77, buf[0]);
	munmap(map, msz);
	/* Trapped BARs cannot be mapped. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   v->device, 0));
	/* A whole config space read works. */
	EXPECT_EQ(256, reg_io(v, 7, 0, big, 256, 0));
	EXPECT_EQ(0x34, big[0]);
}

/*
 * BAR0's first 8 bytes (VT_ID, VT_SCRATCH) are its read shadow: every
 * aligned read there is answered by the library, never by vt_bar_read()
 * (which counts its calls in VT_BAR_READS), and sees each device update.
 */
TEST_F(dev, read_shadow)
{
	struct svf_vfio *v = &self->v;
	uint64_t q = 0;
	uint32_t reads, val = 0;
	uint16_t h = 0;
	uint8_t b = 0;

	EXPECT_EQ(-EIO, reg_io(v, 0, VT_SCRATCH, &val, 4, 0));
	enable_mem(v, 0);
	reads = bar0_rd(v, VT_BAR_READS);
	EXPECT_EQ(VT_ID_VALUE, bar0_rd(v, VT_ID));
	EXPECT_EQ(2, reg_io(v, 0, VT_ID + 2, &h, 2, 0));
	EXPECT_EQ(VT_ID_VALUE >> 16, h);
	EXPECT_EQ(1, reg_io(v, 0, VT_ID + 1, &b, 1, 0));
	EXPECT_EQ((VT_ID_VALUE >> 8) & 0xff, b);
	bar0_wr(v, VT_SCRATCH, 0x89abcdef);
	EXPECT_EQ(0x89abcdef, bar0_rd(v, VT_SCRATCH));
	EXPECT_EQ(8, reg_io(v, 0, VT_ID, &q, 8, 0));
	EXPECT_EQ(0x89abcdef00000000ULL | VT_ID_VALUE, q);
	/* Misaligned: refused as on any trapped BAR. */
	EXPECT_EQ(-EINVAL, reg_io(v, 0, VT_ID + 2, &val, 4, 0));
	/* One callback since: the second VT_BAR_READS read itself. */
	EXPECT_EQ(reads + 1, bar0_rd(v, VT_BAR_READS));
	/* Reset: the device republishes its reset values. */
	ASSERT_EQ(0, svf_vfio_reset(v));
	enable_mem(v, 0);
	EXPECT_EQ(0, bar0_rd(v, VT_SCRATCH));
	EXPECT_EQ(VT_ID_VALUE, bar0_rd(v, VT_ID));
}

TEST_F(dev, set_irqs_bad_input)
{
	struct svf_vfio *v = &self->v;
	struct vfio_irq_set s = { .argsz = sizeof(s) };
	int fds[9], devnull, efd = new_efd(), i;

	for (i = 0; i < 9; i++)
		fds[i] = -1;
	/* argsz too small, bad index, bad flags, counts past the end. */
	s.argsz = 4;
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	s.argsz = sizeof(s);
	s.index = VFIO_PCI_NUM_IRQS;
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	s.index = VFIO_PCI_MSIX_IRQ_INDEX;
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
		  VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK |
		  VFIO_IRQ_SET_ACTION_UNMASK;
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	s.flags = 1u << 12 | VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, 9, fds));
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 8, 1, fds));
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_MSI_IRQ_INDEX, 0, 5, fds));
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_INTX_IRQ_INDEX, 0, 2, fds));
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, fds));
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_REQ_IRQ_INDEX, 0, 2, fds));
	/* Data shorter than count says. */
	s.argsz = sizeof(s) + 2;
	s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.start = 0;
	s.count = 1;
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	/* Bad eventfds: not a file, not an eventfd, below -1. */
	fds[0] = 999;
	EXPECT_EQ(-EBADF, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds));
	devnull = open("/dev/null", O_RDONLY);
	fds[0] = efd;
	fds[1] = devnull;
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds));
	fds[1] = -5;
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds));
	/* Nothing got enabled by the failures: MSI can be enabled. */
	fds[1] = -1;
	EXPECT_EQ(0, set_irq_fds(v, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, fds));
	/* Another mode while MSI is on; more vectors than enabled. */
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds));
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, fds));
	EXPECT_EQ(-EINVAL, set_irq_fds(v, VFIO_PCI_MSI_IRQ_INDEX, 0, 2, fds));
	/* Mask/unmask of a mode that is off; eventfd masking of MSI. */
	EXPECT_EQ(-EINVAL, set_irq_act(v, VFIO_PCI_MSIX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_MASK, 0, 1, NULL));
	EXPECT_EQ(-EINVAL, set_irq_act(v, VFIO_PCI_REQ_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_MASK, 0, 1, NULL));
	/* Disable needs DATA_NONE. */
	s.argsz = sizeof(s);
	s.index = VFIO_PCI_MSI_IRQ_INDEX;
	s.count = 0;
	s.flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, svf_vfio_irq_disable(v, VFIO_PCI_MSI_IRQ_INDEX));
	EXPECT_EQ(0, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds));
	EXPECT_EQ(0, svf_vfio_irq_disable(v, VFIO_PCI_MSIX_IRQ_INDEX));
	close(devnull);
	close(efd);
}

static int32_t raise_vec(struct svf_vfio *v, unsigned int vec)
{
	bar0_wr(v, VT_IRQ, vec);
	return (int32_t)bar0_rd(v, VT_IRQ_RET);
}

TEST_F(dev, msix_delivery)
{
	struct svf_vfio *v = &self->v;
	int fds[VT_MSIX_VECS], i, msix = cap_find(v, 0x11);
	uint8_t bools[2] = { 1, 0 };
	uint32_t ctrl, pba = 0;

	enable_mem(v, 0);
	for (i = 0; i < VT_MSIX_VECS; i++)
		fds[i] = new_efd();
	EXPECT_EQ(-EINVAL, raise_vec(v, 0));	/* nothing enabled */
	ASSERT_EQ(0, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, VT_MSIX_VECS, fds));
	/* Enable bit follows SET_IRQS; armed vectors are unmasked. */
	EXPECT_TRUE(cfg_rd(v, msix + 2, 2) & 0x8000);
	ctrl = 1;
	EXPECT_EQ(4, reg_io(v, 4, 5 * 16 + 12, &ctrl, 4, 0));
	EXPECT_EQ(0, ctrl);
	for (i = 0; i < VT_MSIX_VECS; i++) {
		EXPECT_EQ(0, raise_vec(v, i));
		EXPECT_EQ(1, svf_wait_eventfd(fds[i], 1000)) TH_LOG("vec %d", i);
	}
	EXPECT_EQ(-EINVAL, raise_vec(v, VT_MSIX_VECS));
	/* Loopback: DATA_NONE and DATA_BOOL. */
	ASSERT_EQ(0, set_irq_act(v, VFIO_PCI_MSIX_IRQ_INDEX,
				 VFIO_IRQ_SET_ACTION_TRIGGER, 3, 1, NULL));
	EXPECT_EQ(1, svf_wait_eventfd(fds[3], 1000));
	ASSERT_EQ(0, set_irq_act(v, VFIO_PCI_MSIX_IRQ_INDEX,
				 VFIO_IRQ_SET_ACTION_TRIGGER, 4, 2, bools));
	EXPECT_EQ(1, svf_wait_eventfd(fds[4], 1000));
	EXPECT_EQ(0, svf_wait_eventfd(fds[5], 50));
	/* SET_IRQS mask: pending in the PBA, delivered on unmask. */
	ASSERT_EQ(0, set_irq_act(v, VFIO_PCI_MSIX_IRQ_INDEX,
				 VFIO_IRQ_SET_ACTION_MASK, 2, 1, NULL));
	EXPECT_EQ(-EAGAIN, raise_vec(v, 2));
	EXPECT_EQ(0, svf_wait_eventfd(fds[2], 50));
	EXPECT_EQ(4, reg_io(v, 4, 0x1000, &pba, 4, 0));
	EXPECT_EQ(1u << 2, pba);
	ASSERT_EQ(0, set_irq_act(v, VFIO_PCI_MSIX_IRQ_INDEX,
				 VFIO_IRQ_SET_ACTION_UNMASK, 2, 1, NULL));
	EXPECT_EQ(1, svf_wait_eventfd(fds[2], 1000));
	EXPECT_EQ(4, reg_io(v, 4, 0x1000, &pba, 4, 0));
	EXPECT_EQ(0, pba);
	/* Vector Control mask in the table. */
	ctrl = 1;
	ASSERT_EQ(4, reg_io(v, 4, 1 * 16 + 12, &ctrl, 4, 1));
	EXPECT_EQ(-EAGAIN, raise_vec(v, 1));
	EXPECT_EQ(0, svf_wait_eventfd(fds[1], 50));
	ctrl = 0;
	ASSERT_EQ(4, reg_io(v, 4, 1 * 16 + 12, &ctrl, 4, 1));
	EXPECT_EQ(1, svf_wait_eventfd(fds[1], 1000));
	/* Function mask in the capability. */
	ASSERT_EQ(0, cfg_wr(v, msix + 2, 0xc000, 2));
	EXPECT_EQ(-EAGAIN, raise_vec(v, 6));
	EXPECT_EQ(0, svf_wait_eventfd(fds[6], 50));
	ASSERT_EQ(0, cfg_wr(v, msix + 2, 0x8000, 2));
	EXPECT_EQ(1, svf_wait_eventfd(fds[6], 1000));
	/* Table accesses: 4 or 8 bytes; the PBA is read-only. */
	EXPECT_EQ(-EINVAL, reg_io(v, 4, 0, &ctrl, 2, 0));
	pba = 0xff;
	EXPECT_EQ(4, reg_io(v, 4, 0x1000, &pba, 4, 1));
	EXPECT_EQ(4, reg_io(v, 4, 0x1000, &pba, 4, 0));
	EXPECT_EQ(0, pba);
	/* Unassign one vector, then disable all. */
	fds[0] = -1;
	ASSERT_EQ(0, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds));
	EXPECT_EQ(-EINVAL, raise_vec(v, 0));
	ASSERT_EQ(0, svf_vfio_irq_disable(v, VFIO_PCI_MSIX_IRQ_INDEX));
	EXPECT_EQ(-EINVAL, raise_vec(v, 1));
	EXPECT_FALSE(cfg_rd(v, msix + 2, 2) & 0x8000);
	for (i = 1; i < VT_MSIX_VECS; i++)
		close(fds[i]);
}

TEST_F(dev, msi_delivery)
{
	struct svf_vfio *v = &self->v;
	int fds[2] = { new_efd(), new_efd() }, msi = cap_find(v, 0x05);

	enable_mem(v, 0);
	ASSERT_EQ(0, set_irq_fds(v, VFIO_PCI_MSI_IRQ_INDEX, 0, 2, fds));
	EXPECT_EQ(0x0195, cfg_rd(v, msi + 2, 2));	/* enabled, 2 vectors */
	EXPECT_EQ(0, raise_vec(v, 1));
	EXPECT_EQ(1, svf_wait_eventfd(fds[1], 1000));
	EXPECT_EQ(-EINVAL, raise_vec(v, 2));
	/* Per-vector mask bit and pending bit in the capability. */
	ASSERT_EQ(0, cfg_wr(v, msi + 16, 0x1, 4));
	EXPECT_EQ(-EAGAIN, raise_vec(v, 0));
	EXPECT_EQ(0x1, cfg_rd(v, msi + 20, 4));
	EXPECT_EQ(0, svf_wait_eventfd(fds[0], 50));
	ASSERT_EQ(0, cfg_wr(v, msi + 16, 0x0, 4));
	EXPECT_EQ(1, svf_wait_eventfd(fds[0], 1000));
	EXPECT_EQ(0, cfg_rd(v, msi + 20, 4));
	ASSERT_EQ(0, svf_vfio_irq_disable(v, VFIO_PCI_MSI_IRQ_INDEX));
	EXPECT_EQ(0x0184, cfg_rd(v, msi + 2, 2));
	close(fds[0]);
	close(fds[1]);
}

TEST_F(dev, intx_delivery)
{
	struct svf_vfio *v = &self->v;
	int efd = new_efd(), ufd = new_efd();
	uint64_t one = 1;

	enable_mem(v, 0);
	ASSERT_EQ(0, set_irq_fds(v, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd));
	EXPECT_EQ(0, raise_vec(v, 0));
	EXPECT_EQ(1, svf_wait_eventfd(efd, 1000));
	EXPECT_TRUE(cfg_rd(v, 0x06, 2) & 0x8);		/* Interrupt Status */
	/* Automasked: a second raise stays pending. */
	EXPECT_EQ(-EAGAIN, raise_vec(v, 0));
	EXPECT_EQ(0, svf_wait_eventfd(efd, 50));
	/* Unmask with the line still asserted fires again. */
	ASSERT_EQ(0, set_irq_act(v, VFIO_PCI_INTX_IRQ_INDEX,
				 VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, NULL));
	EXPECT_EQ(1, svf_wait_eventfd(efd, 1000));
	bar0_wr(v, VT_INTX_LOWER, 1);
	EXPECT_FALSE(cfg_rd(v, 0x06, 2) & 0x8);
	ASSERT_EQ(0, set_irq_act(v, VFIO_PCI_INTX_IRQ_INDEX,
				 VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, NULL));
	EXPECT_EQ(0, svf_wait_eventfd(efd, 50));
	/* Interrupt Disable holds it back until cleared. */
	cfg_wr(v, 0x04, 0x0402, 2);
	EXPECT_EQ(-EAGAIN, raise_vec(v, 0));
	EXPECT_EQ(0, svf_wait_eventfd(efd, 50));
	cfg_wr(v, 0x04, 0x0002, 2);
	EXPECT_EQ(1, svf_wait_eventfd(efd, 1000));
	bar0_wr(v, VT_INTX_LOWER, 1);
	/* Unmask through an eventfd (resamplefd). */
	{
		char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
		struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

		s->argsz = sizeof(buf);
		s->flags = VFIO_IRQ_SET_DATA_EVENTFD |
			   VFIO_IRQ_SET_ACTION_UNMASK;
		s->index = VFIO_PCI_INTX_IRQ_INDEX;
		s->start = 0;
		s->count = 1;
		memcpy(s->data, &ufd, sizeof(int));
		ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_SET_IRQS, s));
		s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK;
		EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_SET_IRQS, s));
		EXPECT_EQ(ENOTTY, errno);
	}
	EXPECT_EQ(-EAGAIN, raise_vec(v, 0));	/* still masked */
	ASSERT_EQ(8, write(ufd, &one, 8));
	EXPECT_EQ(1, svf_wait_eventfd(efd, 2000));
	ASSERT_EQ(0, svf_vfio_irq_disable(v, VFIO_PCI_INTX_IRQ_INDEX));
	close(efd);
	close(ufd);
}

TEST_F(dev, dma_to_container)
{
	struct svf_vfio *v = &self->v;
	uint8_t *mem;
	unsigned int i, bad = 0;

	ASSERT_EQ(0, svf_vfio_dma_map(v, IOVA, DMA_SZ, (void **)&mem));
	memset(mem, 0, DMA_SZ);
	enable_mem(v, 0);
	bar0_wr(v, VT_DMA_LO, (uint32_t)(IOVA + 0x1000 + 8));
	bar0_wr(v, VT_DMA_HI, 0);
	bar0_wr(v, VT_DMA_LEN, 0x2000);
	bar0_wr(v, VT_DMA_PAT, 0x5a);
	/* Bus mastering off: the device may not DMA. */
	bar0_wr(v, VT_DMA_GO, 1);
	EXPECT_EQ(-EPERM, (int32_t)bar0_rd(v, VT_DMA_STATUS));
	EXPECT_EQ(0, mem[0x1008]);
	enable_mem(v, 0x4);
	bar0_wr(v, VT_DMA_GO, 1);
	ASSERT_EQ(0, (int32_t)bar0_rd(v, VT_DMA_STATUS));
	for (i = 0; i < DMA_SZ; i++) {
		uint8_t want = (i >= 0x1008 && i < 0x3008) ? 0x5a : 0;

		bad += mem[i] != want;
	}
	EXPECT_EQ(0, bad);
	/* The device reads what the "guest" wrote. */
	memset(mem + 0x1008, 2, 0x2000);
	bar0_wr(v, VT_DMA_GO, 2);
	EXPECT_EQ(0, (int32_t)bar0_rd(v, VT_DMA_STATUS));
	EXPECT_EQ(2 * 0x2000, bar0_rd(v, VT_DMA_SUM));
	/*
	 * Partly outside the mapping, or not mapped at all: no oops, and the
	 * helper passes type1's vfio_dma_rw() error through (EINVAL: no
	 * mapping at that IOVA).
	 */
	bar0_wr(v, VT_DMA_LO, (uint32_t)(IOVA + DMA_SZ - 0x100));
	bar0_wr(v, VT_DMA_GO, 1);
	EXPECT_EQ(-EINVAL, (int32_t)bar0_rd(v, VT_DMA_STATUS));
	bar0_wr(v, VT_DMA_LO, 0x7000000);
	bar0_wr(v, VT_DMA_GO, 2);
	EXPECT_EQ(-EINVAL, (int32_t)bar0_rd(v, VT_DMA_STATUS));
	EXPECT_EQ(0, svf_vfio_dma_unmap(v, IOVA, DMA_SZ, mem));
}

TEST_F(dev, reset)
{
	struct svf_vfio *v = &self->v;
	int fds[VT_MSIX_VECS], i, msix = cap_find(v, 0x11);
	uint32_t resets;

	for (i = 0; i < VT_MSIX_VECS; i++)
		fds[i] = new_efd();
	enable_mem(v, 0);
	ASSERT_EQ(0, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, VT_MSIX_VECS, fds));
	bar0_wr(v, VT_SCRATCH, 0x1234);
	cfg_wr(v, 0x3c, 0x77, 1);
	resets = bar0_rd(v, VT_RESETS);
	ASSERT_EQ(0, svf_vfio_reset(v));
	/* Config back to reset values (memory decoding off). */
	EXPECT_EQ(0, cfg_rd(v, 0x04, 2));
	EXPECT_EQ(0, cfg_rd(v, 0x3c, 1));
	enable_mem(v, 0);
	EXPECT_EQ(0, bar0_rd(v, VT_SCRATCH));
	EXPECT_EQ(resets + 1, bar0_rd(v, VT_RESETS));
	/* Interrupt setup survives, as across a vfio-pci reset. */
	EXPECT_TRUE(cfg_rd(v, msix + 2, 2) & 0x8000);
	EXPECT_EQ(0, raise_vec(v, 3));
	EXPECT_EQ(1, svf_wait_eventfd(fds[3], 1000));
	/* FLR through the PCIe capability resets too. */
	bar0_wr(v, VT_SCRATCH, 0x1);
	cfg_wr(v, cap_find(v, 0x10) + 8, 0x8000, 2);
	EXPECT_EQ(0, cfg_rd(v, 0x04, 2));
	enable_mem(v, 0);
	EXPECT_EQ(0, bar0_rd(v, VT_SCRATCH));
	for (i = 0; i < VT_MSIX_VECS; i++)
		close(fds[i]);
}

/* ------------------------------------------------------------ migration */

/* RUNNING -> STOP -> STOP_COPY, the whole stream, -> STOP. */
static ssize_t vt_save(struct svf_vfio *v, char **out)
{
	ssize_t len;
	int fd, ret;

	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	if (!ret)
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	if (ret)
		return ret;
	len = svf_stream_read_all(fd, out);
	close(fd);
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	if (ret && len >= 0)
		free(*out);
	return ret ? ret : len;
}

/*
 * RUNNING -> STOP -> RESUMING, write the stream, -> STOP -> RUNNING.
 * Returns the first error (the device stays where it failed) or 0.
 */
static int vt_load(struct svf_vfio *v, const void *s, size_t len)
{
	int fd, ret;

	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	if (!ret)
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_RESUMING, &fd);
	if (ret)
		return ret;
	ret = svf_write_all(fd, s, len);
	close(fd);
	if (!ret)
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	if (!ret)
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_RUNNING, NULL);
	return ret;
}

/* Config space header (0x00..0x3f) as VFIO reads it. */
static void cfg_header(struct svf_vfio *v, uint32_t hdr[16])
{
	int i;

	for (i = 0; i < 16; i++)
		hdr[i] = cfg_rd(v, 4 * i, 4);
}

/* MSI-X table entry @n, first three dwords (address low/high, data). */
static void msix_entry_rd(struct svf_vfio *v, unsigned int n, uint32_t e[3])
{
	int i;

	for (i = 0; i < 3; i++)
		reg_io(v, VFIO_PCI_BAR4_REGION_INDEX, n * 16 + 4 * i, &e[i], 4, 0);
}

/* Payload of the record @r of stream @s. */
#define PAYLOAD(s, r)	((s) + (r).off + SVF_REC_SIZE)

/*
 * Source state the library owns (config header, an MSI-X table entry, a
 * pending MSI-X vector) and the device's own (BAR0 scratch) travel: the
 * stream is valid by the uapi header's rules, vfio-mdev-core's record
 * sits last with the layout, byte order and values <snapvf/mig_stream.h>
 * documents (struct vmdev_mig_rec, then the MSI-X table and a __le64
 * PBA), and a second instance resumed from it reads back the same.
 */
TEST_F(dev, migrate_library_record)
{
	static const uint32_t entry[3] = { 0xfee01000, 0, 0x4025 };
	struct svf_vfio *v = &self->v, dst;
	uint32_t hs[16], hd[16], got[3], pba = 0, scratch;
	int fds[VT_MSIX_VECS], i, msix = cap_find(v, 0x11);
	struct svf_stream_summary sum;
	struct svf_rec_info regs, lib;
	struct vmdev_mig_rec rec;
	const char *table;
	char uuid[40], why[128], *s;
	uint64_t pba64;
	__le32 le;
	ssize_t len;

	enable_mem(v, 0x4);
	ASSERT_EQ(0, cfg_wr(v, 0x3c, 0x5a, 1));
	bar0_wr(v, VT_SCRATCH, 0xabcd1234);
	for (i = 0; i < VT_MSIX_VECS; i++)
		fds[i] = new_efd();
	ASSERT_EQ(0, set_irq_fds(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, VT_MSIX_VECS, fds));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(4, reg_io(v, VFIO_PCI_BAR4_REGION_INDEX, 5 * 16 + 4 * i,
				    (void *)&entry[i], 4, 1));
	ASSERT_EQ(0, set_irq_act(v, VFIO_PCI_MSIX_IRQ_INDEX,
				 VFIO_IRQ_SET_ACTION_MASK, 2, 1, NULL));
	EXPECT_EQ(-EAGAIN, raise_vec(v, 2));
	ASSERT_EQ(4, reg_io(v, VFIO_PCI_BAR4_REGION_INDEX, 0x1000, &pba, 4, 0));
	ASSERT_EQ(1u << 2, pba);
	cfg_header(v, hs);
	EXPECT_EQ(0x5a, hs[15] & 0xff);
	EXPECT_TRUE(cfg_rd(v, msix + 2, 2) & 0x8000);

	len = vt_save(v, &s);
	ASSERT_LT(0, len) TH_LOG("save: %zd", len);
	ASSERT_EQ(0, svf_stream_verify(s, len, &sum, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(VT_COMPAT_ID, sum.compat_id);
	EXPECT_EQ(2, sum.nrecords);
	ASSERT_EQ(0, svf_stream_find(s, len, VT_REC_REGS, &regs));
	ASSERT_EQ(0, svf_stream_find(s, len, VMDEV_MIG_REC_STATE, &lib));
	EXPECT_EQ(0, regs.seq);
	EXPECT_EQ(1, lib.seq);

	/* The driver's record: its registers, little endian. */
	ASSERT_EQ(VT_NREGS * sizeof(le), regs.len);
	memcpy(&le, PAYLOAD(s, regs) + VT_SCRATCH, sizeof(le));
	EXPECT_EQ(0xabcd1234, le32toh(le));

	/* The library's record, as the uapi header lays it out. */
	ASSERT_EQ(sizeof(rec) + VMDEV_MIG_MSIX_TABLE_LEN(VT_MSIX_VECS) +
		  VMDEV_MIG_MSIX_PBA_LEN(VT_MSIX_VECS), lib.len);
	memcpy(&rec, PAYLOAD(s, lib), sizeof(rec));
	EXPECT_EQ(0, memcmp(&rec.magic, "VMDC", 4));
	EXPECT_EQ(VMDEV_MIG_MAGIC, le32toh(rec.magic));
	EXPECT_EQ(VMDEV_MIG_VERSION, le16toh(rec.version));
	EXPECT_EQ(VMDEV_MIG_CFG_LEN, le16toh(rec.cfg_len));
	EXPECT_EQ(0x1234, le16toh(rec.vendor));
	EXPECT_EQ(0xbeef, le16toh(rec.device));
	EXPECT_EQ(VT_MSIX_VECS, le16toh(rec.msix_vectors));
	EXPECT_EQ(4, rec.msi_vectors);
	EXPECT_EQ(0, rec.flags);		/* INTx not asserted */
	EXPECT_EQ(0, le32toh(rec.msi_pending));
	EXPECT_EQ(0, memcmp(rec.cfg, hs, sizeof(hs)));	/* config is LE */
	table = PAYLOAD(s, lib) + sizeof(rec);
	for (i = 0; i < 3; i++) {
		memcpy(&le, table + 5 * VMDEV_MIG_MSIX_ENTRY_LEN + 4 * i, 4);
		EXPECT_EQ(entry[i], le32toh(le)) TH_LOG("table dword %d", i);
	}
	memcpy(&pba64, table + VMDEV_MIG_MSIX_TABLE_LEN(VT_MSIX_VECS), 8);
	EXPECT_EQ(1ULL << 2, le64toh(pba64));

	/* A second instance resumes from it. */
	vt_uuid(uuid, 0x1000 + getpid() % 1000);
	ASSERT_EQ(0, svf_mdev_create(VT_PARENT, VT_SMALL, uuid));
	ASSERT_EQ(0, svf_vfio_open(&dst, uuid));
	EXPECT_NE(0x5a, cfg_rd(&dst, 0x3c, 1));		/* fresh instance */
	ASSERT_EQ(0, vt_load(&dst, s, len));
	cfg_header(&dst, hd);
	EXPECT_EQ(0, memcmp(hs, hd, sizeof(hs))) TH_LOG("config header differs");
	scratch = bar0_rd(&dst, VT_SCRATCH);
	EXPECT_EQ(0xabcd1234, scratch);
	msix_entry_rd(&dst, 5, got);
	EXPECT_EQ(0, memcmp(entry, got, sizeof(got))) TH_LOG("table entry 5");
	pba = 0;
	ASSERT_EQ(4, reg_io(&dst, VFIO_PCI_BAR4_REGION_INDEX, 0x1000, &pba, 4, 0));
	EXPECT_EQ(1u << 2, pba);
	svf_vfio_close(&dst);
	EXPECT_EQ(0, svf_mdev_remove(uuid));
	for (i = 0; i < VT_MSIX_VECS; i++)
		close(fds[i]);
	free(s);
}

/*
 * vfio-mdev-core refuses a record of another layout or function at stage
 * time: each field of struct vmdev_mig_rec changed (record CRC resealed,
 * so the framing is valid and only the library can object), and a record
 * one PBA word short (stream rebuilt with svf_stream_build()).  The load
 * fails with EINVAL, the destination keeps its own state, and the log has
 * the library's line and the layer's, nothing else.
 */
TEST_F(dev, library_record_refused)
{
	static const struct { size_t off; uint8_t x; const char *what; } f[] = {
		{ offsetof(struct vmdev_mig_rec, magic), 0x01, "magic" },
		{ offsetof(struct vmdev_mig_rec, version), 0x03, "version" },
		{ offsetof(struct vmdev_mig_rec, cfg_len), 0x01, "cfg_len" },
		{ offsetof(struct vmdev_mig_rec, vendor), 0x01, "vendor" },
		{ offsetof(struct vmdev_mig_rec, device) + 1, 0x80, "device" },
		{ offsetof(struct vmdev_mig_rec, msix_vectors), 0x0f, "msix_vectors" },
		{ offsetof(struct vmdev_mig_rec, msi_vectors), 0x06, "msi_vectors" },
		{ offsetof(struct vmdev_mig_rec, desc_id) + 2, 0x10, "desc_id" },
		{ 0, 0, "one PBA word short" },
	};
	struct svf_vfio *v = &self->v, dst;
	struct svf_rec_info r[4];
	const void *payloads[3];
	uint16_t types[3];
	uint32_t lens[3], st;
	char uuid[40], why[128], *s, *c;
	int kmsg, n, i, j, warnings;
	ssize_t len;
	size_t clen;

	enable_mem(v, 0);
	bar0_wr(v, VT_SCRATCH, 0x5150);
	len = vt_save(v, &s);
	ASSERT_LT(0, len);
	n = svf_stream_records(s, len, r, 4);
	ASSERT_EQ(3, n);
	ASSERT_EQ(VMDEV_MIG_REC_STATE, r[1].type);
	c = malloc(len);
	ASSERT_NE(NULL, c);
	vt_uuid(uuid, 0x1000 + getpid() % 1000);
	ASSERT_EQ(0, svf_mdev_create(VT_PARENT, VT_SMALL, uuid));
	ASSERT_EQ(0, svf_vfio_open(&dst, uuid));
	kmsg = svf_kmsg_open();
	ASSERT_LE(0, kmsg);
	/* The unchanged stream loads: the refusals below are the changes'. */
	ASSERT_EQ(0, vt_load(&dst, s, len));
	EXPECT_EQ(0x5150, bar0_rd(&dst, VT_SCRATCH));

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		ASSERT_EQ(0, svf_vfio_reset(&dst));
		enable_mem(&dst, 0);
		ASSERT_EQ(0, cfg_wr(&dst, 0x3c, 0x11, 1));
		bar0_wr(&dst, VT_SCRATCH, 0x77);
		if (f[i].x) {
			memcpy(c, s, len);
			PAYLOAD(c, r[1])[f[i].off] ^= f[i].x;
			svf_stream_seal_rec(c, r[1].off);
			clen = len;
		} else {
			for (j = 0; j < 2; j++) {
				types[j] = r[j].type;
				lens[j] = r[j].len;
				payloads[j] = PAYLOAD(s, r[j]);
			}
			lens[1] -= 8;
			clen = svf_stream_build(c, VT_COMPAT_ID, 0, types,
						payloads, lens, 2);
			ASSERT_EQ(len - 8, clen);
		}
		EXPECT_EQ(0, svf_stream_verify(c, clen, NULL, why, sizeof(why)))
			TH_LOG("%s: %s", f[i].what, why);
		svf_kmsg_count(kmsg, "", NULL);		/* drain */
		EXPECT_EQ(-EINVAL, vt_load(&dst, c, clen)) TH_LOG("%s", f[i].what);
		ASSERT_EQ(0, svf_vfio_mig_get(&dst, &st));
		EXPECT_EQ(VFIO_DEVICE_STATE_RESUMING, st) TH_LOG("%s", f[i].what);
		EXPECT_EQ(0x11, cfg_rd(&dst, 0x3c, 1)) TH_LOG("%s", f[i].what);
		EXPECT_EQ(0x77, bar0_rd(&dst, VT_SCRATCH)) TH_LOG("%s", f[i].what);
		/* "vmdev: migration record ..." and "migration stream rejected" */
		EXPECT_EQ(2, svf_kmsg_count(kmsg, "migration ", &warnings))
			TH_LOG("%s", f[i].what);
		EXPECT_EQ(0, warnings);
	}
	close(kmsg);
	svf_vfio_close(&dst);
	EXPECT_EQ(0, svf_mdev_remove(uuid));
	free(c);
	free(s);
}

TEST_HARNESS_MAIN
