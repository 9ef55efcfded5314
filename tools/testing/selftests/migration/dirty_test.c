// SPDX-License-Identifier: GPL-2.0
/*
 * DMA logging (vfio_log_ops of snapvf_mig.ko) on test device 0: range
 * validation of DMA_LOGGING_START (no ranges, zero length, overlap, too
 * many ranges, page sizes), START/STOP pairing, and reporting: marks made
 * by the device's DMA helper (a real vfio_dma_rw into a type1 mapping)
 * and by svf_dirty_mark() come back once, clipped to the logged ranges.
 *
 * Debian's 6.12 is built without CONFIG_IOMMUFD_DRIVER, whose iova_bitmap
 * the core's DMA_LOGGING_REPORT needs: there REPORT fails with EOPNOTSUPP
 * before any driver is asked, so the tracker is also read through the
 * test device's dirty_report attribute (svf_dirty_read_and_clear()).
 */
#include "kselftest_harness.h"
#include "mig_test_lib.h"

static int log_start(struct svf_vfio *v, uint64_t *page_size,
		     struct vfio_device_feature_dma_logging_range *r, int n)
{
	struct vfio_device_feature_dma_logging_control c = {
		.page_size = *page_size, .num_ranges = n,
		.ranges = (uintptr_t)r,
	};
	int ret;

	ret = svf_vfio_feature(v, VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			       &c, sizeof(c));
	if (!ret)
		*page_size = c.page_size;
	return ret;
}

static void report(int dev, const char *req, char *out, size_t len)
{
	mt_attr_write(dev, "dirty_report", "%s", req);
	mt_attr_read(dev, "dirty_report", out, len);
}

FIXTURE(dirty) {
	struct svf_vfio v;
	struct vfio_device_feature_dma_logging_range r[80];
};

FIXTURE_SETUP(dirty)
{
	int i;

	ASSERT_EQ(0, mt_open(&self->v, 0));
	svf_vfio_dma_log_stop(&self->v);
	for (i = 0; i < 80; i++) {
		self->r[i].iova = 0x100000ULL * (i + 1);
		self->r[i].length = 0x10000;
	}
}

FIXTURE_TEARDOWN(dirty)
{
	svf_vfio_dma_log_stop(&self->v);
	svf_vfio_close(&self->v);
}

TEST_F(dirty, range_validation)
{
	uint64_t ps = 4096;
	struct vfio_device_feature_dma_logging_range bad[2];

	EXPECT_EQ(-EINVAL, log_start(&self->v, &ps, self->r, 0));
	bad[0].iova = 0x100000;
	bad[0].length = 0;
	EXPECT_EQ(-EINVAL, log_start(&self->v, &ps, bad, 1)) TH_LOG("zero length");
	bad[0].length = 0x2000;
	bad[1].iova = 0x101000;
	bad[1].length = 0x2000;
	EXPECT_EQ(-EINVAL, log_start(&self->v, &ps, bad, 2)) TH_LOG("overlap");
	EXPECT_EQ(-E2BIG, log_start(&self->v, &ps, self->r, 65)) TH_LOG("65 ranges");
	ps = 3 * 4096;
	bad[0].iova = 0;
	bad[0].length = 3 * 4096;
	EXPECT_EQ(-EINVAL, log_start(&self->v, &ps, bad, 1)) TH_LOG("page size 12K");
	ps = 4096;
	EXPECT_EQ(0, log_start(&self->v, &ps, self->r, 64));
	EXPECT_EQ(4096, ps);
	EXPECT_EQ(-EBUSY, log_start(&self->v, &ps, self->r, 1)) TH_LOG("second start");
	EXPECT_EQ(0, svf_vfio_dma_log_stop(&self->v));
	EXPECT_EQ(0, svf_vfio_dma_log_stop(&self->v));
	ps = 512;
	EXPECT_EQ(0, log_start(&self->v, &ps, self->r, 2));
	EXPECT_EQ(4096, ps) TH_LOG("512 raised to the tracking minimum");
}

TEST_F(dirty, marks_reported_once)
{
	uint64_t ps = 4096;
	char out[4096];

	/* Not logging: reading fails. */
	EXPECT_EQ(-EINVAL, mt_attr_write(0, "dirty_report", "100000 10000"));
	ASSERT_EQ(0, log_start(&self->v, &ps, self->r, 2));
	ASSERT_EQ(0, mt_attr_write(0, "dirty_mark", "100800 2001"));
	ASSERT_EQ(0, mt_attr_write(0, "dirty_mark", "10f000 4000"));  /* crosses range end */
	ASSERT_EQ(0, mt_attr_write(0, "dirty_mark", "500000 1000"));  /* not logged */
	report(0, "0 1000000", out, sizeof(out));
	EXPECT_STREQ("100000 3000\n10f000 1000\n", out);
	report(0, "0 1000000", out, sizeof(out));
	EXPECT_STREQ("", out);
	/* A window clips the report and clears only inside it. */
	ASSERT_EQ(0, mt_attr_write(0, "dirty_mark", "200000 10000"));
	report(0, "204000 2000", out, sizeof(out));
	EXPECT_STREQ("204000 2000\n", out);
	report(0, "200000 10000", out, sizeof(out));
	EXPECT_STREQ("200000 4000\n206000 a000\n", out);
}

TEST_F(dirty, dma_write_and_uapi_report)
{
	size_t len = 1 << 20;
	uint64_t ps = 4096, bitmap[4] = { 0 };
	struct vfio_device_feature_dma_logging_range r = { 0x1000000, 1 << 20 };
	char out[4096];
	uint8_t *mem;
	int ret;

	ASSERT_EQ(0, svf_vfio_dma_map(&self->v, 0x1000000, len, (void **)&mem));
	memset(mem, 0, len);
	ASSERT_EQ(0, log_start(&self->v, &ps, &r, 1));
	ASSERT_EQ(0, mt_attr_write(0, "dma_write", "1003000 1800"));
	EXPECT_EQ(0xa5, mem[0x3000]);
	EXPECT_EQ(0xa5, mem[0x47ff]);
	EXPECT_EQ(0, mem[0x4800]);
	ret = svf_vfio_dma_log_report(&self->v, 0x1000000, 1 << 20, 4096, bitmap);
	if (ret == -EOPNOTSUPP) {
		TH_LOG("kernel without CONFIG_IOMMUFD_DRIVER: REPORT unavailable");
		report(0, "1000000 100000", out, sizeof(out));
		EXPECT_STREQ("1003000 2000\n", out);
	} else {
		EXPECT_EQ(0, ret);
		EXPECT_EQ(0x18ULL, bitmap[0]);
	}
	svf_vfio_dma_unmap(&self->v, 0x1000000, len, mem);
}

TEST_HARNESS_MAIN
