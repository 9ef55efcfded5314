// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel log cannot be flooded through the migration layer: a VMM
 * repeating the same rejection 1000 times gets the error every time and
 * one log line per session (Documentation/driver-api/migration.rst,
 * "Kernel log messages").  The first rejection of every session is
 * logged; the destination never changes.  Streams are cut and damaged
 * with the layouts of <snapvf/mig_stream.h> (svf_stream.h).
 */
#include "svf_harness.h"
#include "mig_test_lib.h"

#define STATE_SIZE	(64 << 10)
#define REPEAT		1000

FIXTURE(log) {
	struct svf_vfio src, dst;
	char *s;
	ssize_t len;
	int kmsg;
	unsigned long before;
	long commits;
};

FIXTURE_SETUP(log)
{
	ASSERT_EQ(0, mt_open(&self->src, 0));
	ASSERT_EQ(0, mt_open(&self->dst, 1));
	ASSERT_EQ(0, svf_vfio_reset(&self->src));
	ASSERT_EQ(0, svf_vfio_reset(&self->dst));
	ASSERT_EQ(0, mt_attr_write(0, "size", "%d", STATE_SIZE));
	ASSERT_EQ(0, mt_attr_write(1, "size", "%d", STATE_SIZE));
	ASSERT_EQ(0, mt_attr_write(0, "seed", "7"));
	ASSERT_EQ(0, mt_attr_write(1, "seed", "8"));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->src, VFIO_DEVICE_STATE_STOP, NULL));
	self->len = mt_save(&self->src, &self->s);
	ASSERT_LT(SVF_HDR_SIZE + 2 * SVF_REC_SIZE, self->len);
	self->before = mt_checksum(1);
	self->commits = mt_counter(1, "commit");
	ASSERT_LE(0, self->commits);
	self->kmsg = svf_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(log)
{
	free(self->s);
	close(self->kmsg);
	svf_vfio_close(&self->src);
	svf_vfio_close(&self->dst);
}

/* Lines since the last call that name a migration stream; no splats. */
static int stream_lines(struct __test_metadata *_metadata,
			FIXTURE_DATA(log) *self)
{
	int warnings, lines;

	lines = svf_kmsg_count(self->kmsg, "migration stream", &warnings);
	EXPECT_EQ(0, warnings);
	return lines;
}

static void expect_unchanged(struct __test_metadata *_metadata,
			     FIXTURE_DATA(log) *self)
{
	EXPECT_EQ(self->before, mt_checksum(1)) TH_LOG("destination changed");
	EXPECT_EQ(self->commits, mt_counter(1, "commit")) TH_LOG("committed");
}

/* One session, a bad header, then the same bad bytes 999 more times. */
TEST_F(log, rejected_writes_once_per_session)
{
	char bad[sizeof(struct svf_stream_hdr)];
	int fd, i, fails = 0;

	memcpy(bad, self->s, sizeof(bad));
	bad[offsetof(struct svf_stream_hdr, magic)] ^= 0x40;
	ASSERT_EQ(0, svf_vfio_mig_set(&self->dst, VFIO_DEVICE_STATE_RESUMING, &fd));
	for (i = 0; i < REPEAT; i++) {
		errno = 0;
		if (write(fd, bad, sizeof(bad)) == -1 && errno == EINVAL)
			fails++;
	}
	close(fd);
	EXPECT_EQ(REPEAT, fails) TH_LOG("every write fails with EINVAL");
	EXPECT_EQ(1, stream_lines(_metadata, self));
	expect_unchanged(_metadata, self);
	ASSERT_EQ(0, svf_vfio_reset(&self->dst));
}

/*
 * A truncated stream (header and first record only): RESUMING -> STOP
 * retried 1000 times fails with EINVAL each time, the device stays in
 * RESUMING, and the log has one "truncated" line.
 */
TEST_F(log, truncated_commit_retried_once_per_session)
{
	struct svf_rec_info r;
	uint32_t st;
	size_t cut;
	int fd, i, fails = 0;

	ASSERT_EQ(0, svf_stream_get_rec(self->s, self->len, SVF_HDR_SIZE, &r));
	ASSERT_EQ(MT_REC_META, r.type);
	cut = r.off + SVF_REC_SIZE + r.len;
	ASSERT_LT(cut, (size_t)self->len);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->dst, VFIO_DEVICE_STATE_RESUMING, &fd));
	ASSERT_EQ(0, svf_write_all(fd, self->s, cut));
	for (i = 0; i < REPEAT; i++)
		fails += svf_vfio_mig_set(&self->dst, VFIO_DEVICE_STATE_STOP,
					  NULL) == -EINVAL;
	EXPECT_EQ(REPEAT, fails) TH_LOG("every commit fails with EINVAL");
	ASSERT_EQ(0, svf_vfio_mig_get(&self->dst, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_RESUMING, st);
	EXPECT_EQ(1, svf_kmsg_count(self->kmsg, "migration stream truncated", NULL));
	close(fd);
	expect_unchanged(_metadata, self);
	ASSERT_EQ(0, svf_vfio_reset(&self->dst));
}

/*
 * Every new session logs its first rejection (the admin sees each failed
 * migration), and only that: the stream after the rejection, the retried
 * commit and writes after it add nothing.
 */
TEST_F(log, each_session_logs_its_first_rejection)
{
	char *c = malloc(self->len);
	struct svf_rec_info r;
	int fd, round, i;

	ASSERT_NE(NULL, c);
	memcpy(c, self->s, self->len);
	ASSERT_EQ(0, svf_stream_get_rec(c, self->len, SVF_HDR_SIZE, &r));
	c[r.off + SVF_REC_SIZE + 3] ^= 1;	/* first record's payload */
	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, svf_vfio_mig_set(&self->dst,
					      VFIO_DEVICE_STATE_RESUMING, &fd));
		EXPECT_EQ(-1, write(fd, c, self->len));
		EXPECT_EQ(EINVAL, errno);
		for (i = 0; i < 10; i++) {
			EXPECT_EQ(-1, write(fd, c, SVF_HDR_SIZE));
			EXPECT_EQ(EINVAL, errno);
			EXPECT_EQ(-EINVAL,
				  svf_vfio_mig_set(&self->dst,
						   VFIO_DEVICE_STATE_STOP, NULL));
		}
		close(fd);
		EXPECT_EQ(1, stream_lines(_metadata, self))
			TH_LOG("session %d", round);
		expect_unchanged(_metadata, self);
		ASSERT_EQ(0, svf_vfio_reset(&self->dst));
	}
	free(c);
}

TEST_HARNESS_MAIN
