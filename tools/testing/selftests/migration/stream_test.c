// SPDX-License-Identifier: GPL-2.0
/*
 * The migration stream of snapvf_mig.ko between the two test devices:
 * byte-for-byte save -> load (stop-copy only and with pre-copy rounds
 * while the source changes), and rejection of damaged streams: every
 * header byte flipped, header fields changed with a valid CRC (compat id,
 * version, features), truncation at every record boundary and inside
 * every record, a bad record CRC, swapped records, data after the end
 * record.  Each damaged stream must fail with EINVAL, leave the
 * destination unchanged (checksum, no commit) and log exactly one line.
 */
#include "svf_harness.h"
#include "mig_test_lib.h"

#define STATE_SIZE	(3 << 20)
#define HDR_LEN		32
#define REC_LEN		16

static void fix_hdr_crc(char *s)
{
	uint32_t crc = ~svf_crc32c(~0U, s, 28);

	memcpy(s + 28, &crc, 4);
}

/* Offsets of the record headers in a stream; returns the count. */
static int records(const char *s, size_t len, size_t *off, int max)
{
	size_t pos = HDR_LEN;
	uint32_t rlen;
	int n = 0;

	while (pos + REC_LEN <= len && n < max) {
		off[n++] = pos;
		memcpy(&rlen, s + pos + 4, 4);
		pos += REC_LEN + rlen;
	}
	return n;
}

FIXTURE(stream) {
	struct svf_vfio src, dst;
	char *s;
	ssize_t len;
	int kmsg;
};

FIXTURE_SETUP(stream)
{
	uint32_t st;

	ASSERT_EQ(0, mt_open(&self->src, 0));
	ASSERT_EQ(0, mt_open(&self->dst, 1));
	ASSERT_EQ(0, svf_vfio_reset(&self->src));
	ASSERT_EQ(0, svf_vfio_reset(&self->dst));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->dst, &st));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, st);
	ASSERT_EQ(0, mt_attr_write(0, "size", "%d", STATE_SIZE));
	ASSERT_EQ(0, mt_attr_write(1, "size", "%d", STATE_SIZE));
	ASSERT_EQ(0, mt_attr_write(0, "seed", "1234"));
	ASSERT_EQ(0, mt_attr_write(1, "seed", "99"));
	ASSERT_NE(mt_checksum(0), mt_checksum(1));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->src, VFIO_DEVICE_STATE_STOP, NULL));
	self->len = mt_save(&self->src, &self->s);
	ASSERT_LT(STATE_SIZE, self->len);
	self->kmsg = svf_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(stream)
{
	free(self->s);
	close(self->kmsg);
	svf_vfio_close(&self->src);
	svf_vfio_close(&self->dst);
}

/* Load a damaged stream into dst; check it was refused without effect. */
static void expect_rejected(struct __test_metadata *_metadata,
			    FIXTURE_DATA(stream) *self, const char *s,
			    size_t len, const char *what)
{
	unsigned long before = mt_checksum(1);
	long commits = mt_counter(1, "commit");
	int warnings, lines, ret;

	svf_kmsg_count(self->kmsg, "", NULL);	/* drain */
	ret = mt_load(&self->dst, s, len, MT_IO);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("%s: load returned %d", what, ret);
	EXPECT_EQ(before, mt_checksum(1)) TH_LOG("%s: destination changed", what);
	EXPECT_EQ(commits, mt_counter(1, "commit")) TH_LOG("%s: committed", what);
	lines = svf_kmsg_count(self->kmsg, "migration stream", &warnings);
	EXPECT_EQ(1, lines) TH_LOG("%s: %d log lines", what, lines);
	EXPECT_EQ(0, warnings) TH_LOG("%s", what);
	ASSERT_EQ(0, svf_vfio_reset(&self->dst));
}

TEST_F(stream, save_load_identical)
{
	char a[4096], b[4096];
	int fa, fb;
	ssize_t n;

	ASSERT_EQ(0, mt_load(&self->dst, self->s, self->len, MT_IO));
	EXPECT_EQ(mt_checksum(0), mt_checksum(1));
	fa = open("/sys/bus/platform/devices/svf_mig_test.0/state", O_RDONLY);
	fb = open("/sys/bus/platform/devices/svf_mig_test.1/state", O_RDONLY);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	size_t total = 0;

	while ((n = read(fa, a, sizeof(a))) > 0) {
		ASSERT_EQ(n, read(fb, b, sizeof(b)));
		ASSERT_EQ(0, memcmp(a, b, n)) TH_LOG("differs at %zu", total);
		total += n;
	}
	EXPECT_EQ(STATE_SIZE, total);
	close(fa);
	close(fb);
}

TEST_F(stream, odd_write_sizes)
{
	ASSERT_EQ(0, mt_load(&self->dst, self->s, self->len, 4093));
	EXPECT_EQ(mt_checksum(0), mt_checksum(1));
}

TEST_F(stream, precopy_with_changes)
{
	char *s2 = malloc(2 * STATE_SIZE + (1 << 20));
	size_t len = 0;
	int fd, dfd, round;
	int64_t n;

	ASSERT_NE(NULL, s2);
	ASSERT_EQ(0, svf_vfio_reset(&self->src));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->src, VFIO_DEVICE_STATE_PRE_COPY, &fd));
	for (round = 0; round < 3; round++) {
		ssize_t r;

		while ((r = read(fd, s2 + len, MT_IO)) > 0)
			len += r;
		ASSERT_EQ(-1, r);
		ASSERT_EQ(ENOMSG, errno);
		ASSERT_EQ(0, mt_attr_write(0, "poke", "%d 5000 %d",
					   round * 65536 + 100, round + 1));
	}
	ASSERT_EQ(0, svf_vfio_mig_set(&self->src, VFIO_DEVICE_STATE_STOP_COPY, NULL));
	do {
		n = read(fd, s2 + len, MT_IO);
		if (n > 0)
			len += n;
	} while (n > 0);
	ASSERT_EQ(0, n);
	close(fd);
	ASSERT_EQ(0, svf_vfio_mig_set(&self->src, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->dst, VFIO_DEVICE_STATE_RESUMING, &dfd));
	ASSERT_EQ(0, svf_write_all(dfd, s2, len));
	ASSERT_EQ(0, svf_vfio_mig_set(&self->dst, VFIO_DEVICE_STATE_RUNNING, NULL));
	close(dfd);
	EXPECT_EQ(mt_checksum(0), mt_checksum(1));
	free(s2);
}

TEST_F(stream, flip_each_header_byte)
{
	char *c = malloc(self->len);
	int i;

	ASSERT_NE(NULL, c);
	for (i = 0; i < HDR_LEN; i++) {
		char what[32];

		memcpy(c, self->s, self->len);
		c[i] ^= 0x40;
		snprintf(what, sizeof(what), "header byte %d", i);
		expect_rejected(_metadata, self, c, self->len, what);
	}
	free(c);
}

TEST_F(stream, header_fields_with_valid_crc)
{
	static const struct { int off; uint8_t val; const char *what; } f[] = {
		{ 0, 0x00, "magic" }, { 4, 2, "version" }, { 6, 40, "hdr_len" },
		{ 8, 0x01, "compat id" }, { 15, 0x80, "compat id high" },
		{ 16, 0x02, "features" }, { 20, 1, "reserved" },
	};
	char *c = malloc(self->len);
	unsigned int i;

	ASSERT_NE(NULL, c);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		memcpy(c, self->s, self->len);
		c[f[i].off] ^= f[i].val ? f[i].val : 0xff;
		fix_hdr_crc(c);
		expect_rejected(_metadata, self, c, self->len, f[i].what);
	}
	free(c);
}

TEST_F(stream, truncate_everywhere)
{
	size_t off[64];
	int n, i;

	n = records(self->s, self->len, off, 64);
	ASSERT_LE(4, n);
	expect_rejected(_metadata, self, self->s, 0, "empty");
	expect_rejected(_metadata, self, self->s, 10, "mid header");
	for (i = 0; i < n; i++) {
		uint32_t rlen;
		char what[64];

		memcpy(&rlen, self->s + off[i] + 4, 4);
		snprintf(what, sizeof(what), "before record %d", i);
		expect_rejected(_metadata, self, self->s, off[i], what);
		snprintf(what, sizeof(what), "in record header %d", i);
		expect_rejected(_metadata, self, self->s, off[i] + 7, what);
		snprintf(what, sizeof(what), "in record %d payload", i);
		expect_rejected(_metadata, self, self->s,
				off[i] + REC_LEN + rlen / 2, what);
	}
	expect_rejected(_metadata, self, self->s, self->len - 1, "last byte");
}

TEST_F(stream, bad_record_crc)
{
	size_t off[64];
	char *c = malloc(self->len);
	int n, i;

	ASSERT_NE(NULL, c);
	n = records(self->s, self->len, off, 64);
	for (i = 0; i < n; i++) {
		char what[32];

		memcpy(c, self->s, self->len);
		c[off[i] + REC_LEN + 3] ^= 1;	/* payload (end record too) */
		snprintf(what, sizeof(what), "crc of record %d", i);
		expect_rejected(_metadata, self, c, self->len, what);
	}
	free(c);
}

TEST_F(stream, reordered_records)
{
	size_t off[64], l1, l2;
	char *c = malloc(self->len);
	int n;

	ASSERT_NE(NULL, c);
	n = records(self->s, self->len, off, 64);
	ASSERT_LE(4, n);
	/* Swap records 1 and 2 (two page records). */
	l1 = off[2] - off[1];
	l2 = off[3] - off[2];
	memcpy(c, self->s, self->len);
	memcpy(c + off[1], self->s + off[2], l2);
	memcpy(c + off[1] + l2, self->s + off[1], l1);
	expect_rejected(_metadata, self, c, self->len, "swapped records");
	/* Drop record 1 entirely. */
	memcpy(c, self->s, off[1]);
	memcpy(c + off[1], self->s + off[2], self->len - off[2]);
	expect_rejected(_metadata, self, c, self->len - l1, "missing record");
	free(c);
}

TEST_F(stream, data_after_end)
{
	char *c = malloc(self->len + 1);

	ASSERT_NE(NULL, c);
	memcpy(c, self->s, self->len);
	c[self->len] = 0;
	expect_rejected(_metadata, self, c, self->len + 1, "trailing byte");
	free(c);
}

TEST_F(stream, device_refuses_record)
{
	ASSERT_EQ(0, mt_attr_write(1, "fault_stage", "2"));
	expect_rejected(_metadata, self, self->s, self->len, "refused record");
	ASSERT_EQ(0, mt_attr_write(1, "fault_stage", "-1"));
}

TEST_F(stream, commit_failure_is_error)
{
	uint32_t st;

	ASSERT_EQ(0, mt_attr_write(1, "fault_commit", "1"));
	EXPECT_EQ(-EIO, mt_load(&self->dst, self->s, self->len, MT_IO));
	ASSERT_EQ(0, svf_vfio_mig_get(&self->dst, &st));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, st);
	ASSERT_EQ(0, svf_vfio_reset(&self->dst));
}

TEST_HARNESS_MAIN
