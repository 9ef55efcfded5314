// SPDX-License-Identifier: GPL-2.0
/*
 * The migration stream of snapvf_mig.ko between the two test devices:
 * byte-for-byte save -> load (stop-copy only and with pre-copy rounds
 * while the source changes), the saved stream against the public
 * definition of the format (<snapvf/mig_stream.h>: a stream rebuilt from
 * its records with that header is byte-identical and loads), and
 * rejection of damaged streams: every header byte flipped, header fields
 * changed with a valid CRC (compat id, version, features), record and end
 * fields changed with valid CRCs, truncation at every record boundary and
 * inside every record, a bad record CRC, swapped records, data after the
 * end record.  Each damaged stream must fail with EINVAL, leave the
 * destination unchanged (checksum, no commit) and log exactly one line;
 * where the framing is damaged, the reference reader of svf_stream.h
 * (the header's rules) must reject it too, and where only the device can
 * object (compat id, features, a refused record) it must accept it.
 * Offsets and layouts come from the uapi header, never from numbers here.
 */
#include "svf_harness.h"
#include "mig_test_lib.h"
#include "svf_stream.h"

#define STATE_SIZE	(3 << 20)
#define MAX_RECS	64

/* Whose objection a damaged stream meets. */
enum who { FRAMING, DEVICE };

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
			    size_t len, enum who who, const char *what)
{
	unsigned long before = mt_checksum(1);
	long commits = mt_counter(1, "commit");
	int warnings, lines, ret;
	char why[128];

	ret = svf_stream_verify(s, len, NULL, why, sizeof(why));
	if (who == FRAMING) {
		EXPECT_EQ(-EINVAL, ret) TH_LOG("%s: the reference reader accepts it", what);
	} else {
		EXPECT_EQ(0, ret) TH_LOG("%s: the reference reader says: %s", what, why);
	}
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

/*
 * The saved stream is what the uapi header defines: the reference reader
 * accepts it, the header says "SVFM", version 1, the device's compat id
 * and features, the records are the test device's (META first, then
 * PAGES), and a stream built from those records by svf_stream_build()
 * (header, CRCs and end record from the uapi definitions alone) is
 * byte-identical to it and loads.
 */
TEST_F(stream, saved_stream_matches_uapi)
{
	struct svf_rec_info r[MAX_RECS];
	struct svf_stream_summary sum;
	const void *payloads[MAX_RECS];
	uint32_t lens[MAX_RECS];
	uint16_t types[MAX_RECS];
	struct svf_stream_hdr h;
	uint64_t bytes = 0;
	char why[128], *b;
	size_t blen;
	int n, i;

	ASSERT_EQ(0, svf_stream_verify(self->s, self->len, &sum, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, svf_stream_get_hdr(self->s, self->len, &h));
	EXPECT_EQ(0, memcmp(self->s, "SVFM", 4));	/* little endian magic */
	EXPECT_EQ(SVF_STREAM_VERSION, le16toh(h.version));
	EXPECT_EQ(sizeof(struct svf_stream_hdr), le16toh(h.hdr_len));
	EXPECT_EQ(MT_COMPAT_ID, sum.compat_id);
	EXPECT_EQ(MT_STREAM_FEATURES, sum.features);

	n = svf_stream_records(self->s, self->len, r, MAX_RECS);
	ASSERT_LE(4, n);
	ASSERT_GT(MAX_RECS, n);
	EXPECT_EQ(n - 1, sum.nrecords);
	EXPECT_EQ(MT_REC_META, r[0].type);
	EXPECT_EQ(sizeof(struct mt_meta), r[0].len);
	for (i = 0; i < n - 1; i++) {
		EXPECT_EQ(i, r[i].seq);
		EXPECT_EQ(0, r[i].flags);
		if (i) {
			EXPECT_EQ(MT_REC_PAGES, r[i].type) TH_LOG("record %d", i);
		}
		types[i] = r[i].type;
		lens[i] = r[i].len;
		payloads[i] = self->s + r[i].off + SVF_REC_SIZE;
		bytes += r[i].len;
	}
	EXPECT_EQ(bytes, sum.payload_bytes);
	EXPECT_EQ(SVF_REC_END, r[n - 1].type);
	EXPECT_EQ(sizeof(struct svf_stream_end), r[n - 1].len);
	EXPECT_EQ(self->len, r[n - 1].off + SVF_REC_SIZE + r[n - 1].len);

	b = malloc(self->len);
	ASSERT_NE(NULL, b);
	blen = svf_stream_build(b, MT_COMPAT_ID, MT_STREAM_FEATURES, types, payloads,
				lens, n - 1);
	ASSERT_EQ(self->len, blen);
	EXPECT_EQ(0, memcmp(b, self->s, blen)) TH_LOG("rebuilt stream differs");
	ASSERT_EQ(0, mt_load(&self->dst, b, blen, MT_IO));
	EXPECT_EQ(mt_checksum(0), mt_checksum(1));
	free(b);
}

TEST_F(stream, flip_each_header_byte)
{
	char *c = malloc(self->len);
	size_t i;

	ASSERT_NE(NULL, c);
	for (i = 0; i < sizeof(struct svf_stream_hdr); i++) {
		char what[32];

		memcpy(c, self->s, self->len);
		c[i] ^= 0x40;
		snprintf(what, sizeof(what), "header byte %zu", i);
		expect_rejected(_metadata, self, c, self->len, FRAMING, what);
	}
	free(c);
}

#define HDR_AT(field)	offsetof(struct svf_stream_hdr, field)

TEST_F(stream, header_fields_with_valid_crc)
{
	static const struct {
		size_t off; uint8_t val; enum who who; const char *what;
	} f[] = {
		{ HDR_AT(magic), 0xff, FRAMING, "magic" },
		{ HDR_AT(version), 2, FRAMING, "version" },
		{ HDR_AT(hdr_len), 40, FRAMING, "hdr_len" },
		{ HDR_AT(compat_id), 0x01, DEVICE, "compat id" },
		{ HDR_AT(compat_id) + 7, 0x80, DEVICE, "compat id high" },
		{ HDR_AT(features), 0x02, DEVICE, "features" },
		{ HDR_AT(reserved), 1, FRAMING, "reserved" },
		{ HDR_AT(reserved2) + 3, 0x80, FRAMING, "reserved2" },
	};
	char *c = malloc(self->len);
	unsigned int i;

	ASSERT_NE(NULL, c);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		memcpy(c, self->s, self->len);
		c[f[i].off] ^= f[i].val;
		svf_stream_seal_hdr(c);
		expect_rejected(_metadata, self, c, self->len, f[i].who,
				f[i].what);
	}
	free(c);
}

/*
 * Record header and end record fields changed, every CRC recomputed: the
 * framing's own checks (not a CRC) must catch each.
 */
TEST_F(stream, record_fields_with_valid_crc)
{
	struct svf_rec_info r[MAX_RECS], e;
	struct svf_stream_end end;
	char *c = malloc(self->len);
	size_t eoff;
	int n, i;

	ASSERT_NE(NULL, c);
	n = svf_stream_records(self->s, self->len, r, MAX_RECS);
	ASSERT_LE(4, n);
	ASSERT_EQ(SVF_REC_END, r[n - 1].type);
	for (i = 0; i < 9; i++) {
		static const char * const what[] = {
			"record flags", "record seq", "reserved type 0",
			"reserved type 0xff", "end record as record 1",
			"end record nrecords", "end record payload_bytes",
			"end record reserved", "end record seq",
		};
		struct svf_rec_info x;

		memcpy(c, self->s, self->len);
		x = r[1];
		e = r[n - 1];
		eoff = e.off + SVF_REC_SIZE;
		memcpy(&end, c + eoff, sizeof(end));
		switch (i) {
		case 0: x.flags = 1; break;
		case 1: x.seq = 2; break;
		case 2: x.type = 0; break;
		case 3: x.type = SVF_MIG_REC_DRIVER - 1; break;
		case 4: x.type = SVF_REC_END; break;
		case 5: end.nrecords = htole32(le32toh(end.nrecords) + 1); break;
		case 6: end.payload_bytes =
				htole64(le64toh(end.payload_bytes) - 1); break;
		case 7: end.reserved = htole32(1); break;
		case 8: e.seq++; break;
		}
		svf_stream_put_rec(c, &x);
		svf_stream_seal_rec(c, x.off);
		memcpy(c + eoff, &end, sizeof(end));
		svf_stream_put_rec(c, &e);
		svf_stream_seal_rec(c, e.off);
		expect_rejected(_metadata, self, c, self->len, FRAMING, what[i]);
	}
	free(c);
}

/*
 * Record headers announcing impossible lengths are refused as soon as the
 * header is complete, before any payload: more than
 * SVF_STREAM_REC_LEN_MAX, and an end record of another length.
 */
TEST_F(stream, record_length_limits)
{
	struct svf_rec_info r[MAX_RECS], x;
	char *c = malloc(self->len);
	int n;

	ASSERT_NE(NULL, c);
	n = svf_stream_records(self->s, self->len, r, MAX_RECS);
	ASSERT_LE(4, n);
	memcpy(c, self->s, self->len);
	x = r[1];
	x.len = SVF_STREAM_REC_LEN_MAX + 1;
	svf_stream_put_rec(c, &x);
	expect_rejected(_metadata, self, c, x.off + SVF_REC_SIZE, FRAMING,
			"record longer than SVF_STREAM_REC_LEN_MAX");
	memcpy(c, self->s, self->len);
	x = r[n - 1];
	x.len = sizeof(struct svf_stream_end) + 8;
	svf_stream_put_rec(c, &x);
	expect_rejected(_metadata, self, c, x.off + SVF_REC_SIZE, FRAMING,
			"end record of 24 bytes");
	free(c);
}

TEST_F(stream, truncate_everywhere)
{
	struct svf_rec_info r[MAX_RECS];
	int n, i;

	n = svf_stream_records(self->s, self->len, r, MAX_RECS);
	ASSERT_LE(4, n);
	expect_rejected(_metadata, self, self->s, 0, FRAMING, "empty");
	expect_rejected(_metadata, self, self->s, sizeof(struct svf_stream_hdr) / 3,
			FRAMING, "mid header");
	for (i = 0; i < n; i++) {
		char what[64];

		snprintf(what, sizeof(what), "before record %d", i);
		expect_rejected(_metadata, self, self->s, r[i].off, FRAMING, what);
		snprintf(what, sizeof(what), "in record header %d", i);
		expect_rejected(_metadata, self, self->s,
				r[i].off + offsetof(struct svf_stream_rec, seq) - 1,
				FRAMING, what);
		snprintf(what, sizeof(what), "in record %d payload", i);
		expect_rejected(_metadata, self, self->s,
				r[i].off + SVF_REC_SIZE + r[i].len / 2, FRAMING,
				what);
	}
	expect_rejected(_metadata, self, self->s, self->len - 1, FRAMING,
			"last byte");
}

TEST_F(stream, bad_record_crc)
{
	struct svf_rec_info r[MAX_RECS];
	char *c = malloc(self->len);
	int n, i;

	ASSERT_NE(NULL, c);
	n = svf_stream_records(self->s, self->len, r, MAX_RECS);
	for (i = 0; i < n; i++) {
		char what[32];

		memcpy(c, self->s, self->len);
		c[r[i].off + SVF_REC_SIZE + 3] ^= 1;	/* payload (end record too) */
		snprintf(what, sizeof(what), "crc of record %d", i);
		expect_rejected(_metadata, self, c, self->len, FRAMING, what);
	}
	free(c);
}

TEST_F(stream, reordered_records)
{
	struct svf_rec_info r[MAX_RECS];
	char *c = malloc(self->len);
	size_t l1, l2;
	int n;

	ASSERT_NE(NULL, c);
	n = svf_stream_records(self->s, self->len, r, MAX_RECS);
	ASSERT_LE(4, n);
	/* Swap records 1 and 2 (two page records). */
	ASSERT_EQ(MT_REC_PAGES, r[1].type);
	ASSERT_EQ(MT_REC_PAGES, r[2].type);
	l1 = r[2].off - r[1].off;
	l2 = r[3].off - r[2].off;
	memcpy(c, self->s, self->len);
	memcpy(c + r[1].off, self->s + r[2].off, l2);
	memcpy(c + r[1].off + l2, self->s + r[1].off, l1);
	expect_rejected(_metadata, self, c, self->len, FRAMING, "swapped records");
	/* Drop record 1 entirely. */
	memcpy(c, self->s, r[1].off);
	memcpy(c + r[1].off, self->s + r[2].off, self->len - r[2].off);
	expect_rejected(_metadata, self, c, self->len - l1, FRAMING,
			"missing record");
	free(c);
}

TEST_F(stream, data_after_end)
{
	char *c = malloc(self->len + 1);

	ASSERT_NE(NULL, c);
	memcpy(c, self->s, self->len);
	c[self->len] = 0;
	expect_rejected(_metadata, self, c, self->len + 1, FRAMING,
			"trailing byte");
	free(c);
}

TEST_F(stream, device_refuses_record)
{
	ASSERT_EQ(0, mt_attr_write(1, "fault_stage", "2"));
	expect_rejected(_metadata, self, self->s, self->len, DEVICE,
			"refused record");
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
