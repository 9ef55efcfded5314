// SPDX-License-Identifier: GPL-2.0
/*
 * Baseline: a VMM's view of QEMU's "edu" PCI function through the stock
 * vfio-pci driver.  Binds the function to vfio-pci, opens group, type1
 * container and device fd, reads config space, mmaps BAR0, makes the edu
 * DMA engine move data through the IOMMU, and takes an MSI via eventfd.
 *
 * edu register map (QEMU docs/specs/edu.txt): 0x00 id (0x010000ed),
 * 0x04 liveness (reads back ~value), 0x24 irq status, 0x60 raise irq,
 * 0x64 ack irq, 0x80 DMA src, 0x88 DMA dst, 0x90 DMA count, 0x98 DMA cmd
 * (bit0 start, bit1 edu->RAM, bit2 irq when done); internal buffer at
 * 0x40000 (4 KiB).  Its DMA mask is 28 bits, so IOVAs stay below 256 MiB.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "svf_harness.h"
#include "svf_sysfs.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_ID		0x00
#define EDU_LIVE	0x04
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_BUF		0x40000
#define EDU_DMA_START	0x1
#define EDU_DMA_TO_RAM	0x2
#define EDU_DMA_IRQ	0x4
#define IOVA_SRC	0x100000ULL
#define IOVA_DST	0x200000ULL
#define BUF_SIZE	4096
/* QEMU 7.2's edu rejects a transfer that ends exactly at its buffer's end. */
#define DMA_LEN		2048

/* Bind @bdf to vfio-pci (idempotent) and return its IOMMU group number. */
static int bind_vfio_pci(const char *bdf)
{
	int ret;

	if (system("modprobe vfio_pci") != 0)
		return -ENOENT;
	ret = svf_pci_bind(bdf, "vfio-pci");
	return ret ? ret : svf_vfio_group_of(bdf);
}

/* The first edu function into @bdf. */
static int find_edu(char bdf[SVF_BDF_LEN])
{
	char all[1][SVF_BDF_LEN];

	if (svf_find_pci(EDU_VENDOR, EDU_DEVICE, all, 1) != 1)
		return -ENODEV;
	memcpy(bdf, all[0], SVF_BDF_LEN);
	return 0;
}

FIXTURE(edu) {
	char bdf[32];
	int container, group, device;
	struct vfio_region_info cfg, bar0;
	volatile uint32_t *regs;
	uint8_t *src, *dst;
};

FIXTURE_SETUP(edu)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	char path[64];
	int grp;

	ASSERT_EQ(0, find_edu(self->bdf)) TH_LOG("no edu function in the guest");
	grp = bind_vfio_pci(self->bdf);
	ASSERT_GE(grp, 0) TH_LOG("binding %s to vfio-pci failed: %d", self->bdf, grp);

	self->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_GE(self->container, 0);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->container, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));

	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	self->group = open(path, O_RDWR);
	ASSERT_GE(self->group, 0) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_TRUE(status.flags & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_SET_CONTAINER, &self->container));
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));

	self->device = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->bdf);
	ASSERT_GE(self->device, 0) TH_LOG("GET_DEVICE_FD %s: %s", self->bdf, strerror(errno));

	self->cfg.argsz = sizeof(self->cfg);
	self->cfg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_REGION_INFO, &self->cfg));
	self->bar0.argsz = sizeof(self->bar0);
	self->bar0.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_REGION_INFO, &self->bar0));
	ASSERT_TRUE(self->bar0.flags & VFIO_REGION_INFO_FLAG_MMAP);
	self->regs = mmap(NULL, self->bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->device, self->bar0.offset);
	ASSERT_NE(MAP_FAILED, self->regs);

	self->src = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	self->dst = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	ASSERT_NE(MAP_FAILED, self->dst);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.size = BUF_SIZE;
	map.vaddr = (uintptr_t)self->src;
	map.iova = IOVA_SRC;
	ASSERT_EQ(0, ioctl(self->container, VFIO_IOMMU_MAP_DMA, &map));
	map.vaddr = (uintptr_t)self->dst;
	map.iova = IOVA_DST;
	ASSERT_EQ(0, ioctl(self->container, VFIO_IOMMU_MAP_DMA, &map));
}

FIXTURE_TEARDOWN(edu)
{
	if (self->regs && self->regs != MAP_FAILED)
		munmap((void *)self->regs, self->bar0.size);
	if (self->device >= 0)
		close(self->device);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
}

static uint16_t cfg_read16(struct __test_metadata *_metadata, FIXTURE_DATA(edu) *self, off_t off)
{
	uint16_t v = 0;

	EXPECT_EQ(2, pread(self->device, &v, 2, self->cfg.offset + off));
	return v;
}

/* Turn on memory decoding and bus mastering in the (virtualized) command register. */
static void enable_master(struct __test_metadata *_metadata, FIXTURE_DATA(edu) *self)
{
	uint16_t cmd = cfg_read16(_metadata, self, PCI_COMMAND);

	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ASSERT_EQ(2, pwrite(self->device, &cmd, 2, self->cfg.offset + PCI_COMMAND));
}

static int wait_dma(volatile uint32_t *regs)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (!(regs[EDU_DMA_CMD / 4] & EDU_DMA_START))
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static void edu_dma(volatile uint32_t *regs, uint64_t src, uint64_t dst, uint32_t cnt, uint32_t cmd)
{
	*(volatile uint64_t *)&regs[EDU_DMA_SRC / 4] = src;
	*(volatile uint64_t *)&regs[EDU_DMA_DST / 4] = dst;
	*(volatile uint64_t *)&regs[EDU_DMA_CNT / 4] = cnt;
	regs[EDU_DMA_CMD / 4] = cmd | EDU_DMA_START;
}

TEST_F(edu, config_space_ids)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_GE(info.num_regions, VFIO_PCI_CONFIG_REGION_INDEX + 1);
	EXPECT_EQ(EDU_VENDOR, cfg_read16(_metadata, self, PCI_VENDOR_ID));
	EXPECT_EQ(EDU_DEVICE, cfg_read16(_metadata, self, PCI_DEVICE_ID));
	EXPECT_EQ(1 << 20, self->bar0.size);
}

TEST_F(edu, bar0_mmap_registers)
{
	EXPECT_EQ(0x010000edu, self->regs[EDU_ID / 4]);
	self->regs[EDU_LIVE / 4] = 0x12345678;
	EXPECT_EQ(~0x12345678u, self->regs[EDU_LIVE / 4]);
}

TEST_F(edu, bar0_trapped_access)
{
	uint32_t v = 0, w = 0xa5a5f00d;

	/* The same registers through read()/write() on the region. */
	ASSERT_EQ(4, pread(self->device, &v, 4, self->bar0.offset + EDU_ID));
	EXPECT_EQ(0x010000edu, v);
	ASSERT_EQ(4, pwrite(self->device, &w, 4, self->bar0.offset + EDU_LIVE));
	ASSERT_EQ(4, pread(self->device, &v, 4, self->bar0.offset + EDU_LIVE));
	EXPECT_EQ(~w, v);
}

TEST_F(edu, dma_through_iommu)
{
	int i;

	enable_master(_metadata, self);
	for (i = 0; i < BUF_SIZE; i++)
		self->src[i] = (uint8_t)(i * 7 + 3);
	memset(self->dst, 0, BUF_SIZE);

	edu_dma(self->regs, IOVA_SRC, EDU_BUF, DMA_LEN, 0);
	ASSERT_EQ(0, wait_dma(self->regs));
	edu_dma(self->regs, EDU_BUF, IOVA_DST, DMA_LEN, EDU_DMA_TO_RAM);
	ASSERT_EQ(0, wait_dma(self->regs));
	EXPECT_EQ(0, memcmp(self->src, self->dst, DMA_LEN));
	/* Bytes past the transfer were not written. */
	EXPECT_EQ(0, self->dst[DMA_LEN]);
}

TEST_F(edu, msi_through_eventfd)
{
	char irqbuf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)irqbuf;
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = VFIO_PCI_MSI_IRQ_INDEX };
	struct pollfd pfd;
	uint64_t count;
	int efd;

	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	ASSERT_GE(irq.count, 1);
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_GE(efd, 0);

	set->argsz = sizeof(irqbuf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_SET_IRQS, set));
	enable_master(_metadata, self);

	/* No interrupt before the device raises one. */
	EXPECT_EQ(-1, read(efd, &count, sizeof(count)));
	EXPECT_EQ(EAGAIN, errno);

	self->regs[EDU_IRQ_RAISE / 4] = 0x5;
	pfd.fd = efd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("no MSI within 5 s");
	ASSERT_EQ(sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_GE(count, 1);
	EXPECT_EQ(0x5, self->regs[EDU_IRQ_STATUS / 4] & 0x5);
	self->regs[EDU_IRQ_ACK / 4] = 0x5;
	EXPECT_EQ(0, self->regs[EDU_IRQ_STATUS / 4] & 0x5);

	set->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->count = 0;
	set->argsz = sizeof(*set);
	EXPECT_EQ(0, ioctl(self->device, VFIO_DEVICE_SET_IRQS, set));
	close(efd);
}

TEST_F(edu, dma_outside_mapping_is_blocked)
{
	/*
	 * An IOVA that is not mapped in the container must not reach memory:
	 * the IOMMU faults the transfer and the destination stays untouched.
	 */
	enable_master(_metadata, self);
	memset(self->dst, 0x5a, BUF_SIZE);
	edu_dma(self->regs, EDU_BUF, IOVA_DST + 0x800000, DMA_LEN, EDU_DMA_TO_RAM);
	ASSERT_EQ(0, wait_dma(self->regs));
	for (int i = 0; i < BUF_SIZE; i++)
		ASSERT_EQ(0x5a, self->dst[i]);
}

TEST(group_without_container_has_no_device)
{
	char bdf[32], path[64];
	int grp, group, dev;

	ASSERT_EQ(0, find_edu(bdf));
	grp = bind_vfio_pci(bdf);
	ASSERT_GE(grp, 0);
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	group = open(path, O_RDWR);
	ASSERT_GE(group, 0);
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	EXPECT_EQ(-1, dev);
	EXPECT_EQ(EINVAL, errno);	/* vfio_df_group_open(): no IOMMU */
	if (dev >= 0)
		close(dev);
	close(group);
}

TEST_HARNESS_MAIN
