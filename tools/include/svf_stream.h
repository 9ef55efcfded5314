/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svf_stream.h - read, build and reseal snapvf migration streams in
 * userspace (header only), from the public definition of the format,
 * <snapvf/mig_stream.h> (include/uapi/snapvf/mig_stream.h; the Makefiles
 * add -I<snapvf>/include/uapi).
 *
 * Every access to a stream copies the fixed-size structures out of (or
 * into) the byte buffer and converts their little-endian fields, as the
 * header asks of a reader: record headers sit at any byte offset.
 *
 * svf_stream_verify() is a reference reader: it applies the framing checks
 * the uapi header lists, in its order, and nothing device-specific
 * (compat_id and features are the device's to judge, and so are record
 * payloads).  A stream it rejects must be rejected by every snapvf device;
 * one it accepts may still be refused by the device.
 *
 * Used by the migration selftests, the mdev_core tests and the fuzzer.
 */
#ifndef _SVF_STREAM_H
#define _SVF_STREAM_H

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <snapvf/mig_stream.h>
#include "svf_vfio.h"	/* svf_crc32c(), SVF_UNUSED */

/* The sizes and CRC coverage the uapi header states as numbers. */
_Static_assert(sizeof(struct svf_stream_hdr) == 32, "stream header size");
_Static_assert(sizeof(struct svf_stream_rec) == 16, "record header size");
_Static_assert(sizeof(struct svf_stream_end) == 16, "end record size");
_Static_assert(offsetof(struct svf_stream_hdr, crc) == SVF_STREAM_HDR_CRC_LEN,
	       "header CRC coverage");
_Static_assert(offsetof(struct svf_stream_rec, crc) == SVF_STREAM_REC_CRC_LEN,
	       "record CRC coverage");
_Static_assert(sizeof(struct vmdev_mig_rec) == 24 + VMDEV_MIG_CFG_LEN,
	       "vfio-mdev-core record size");

#define SVF_HDR_SIZE	sizeof(struct svf_stream_hdr)
#define SVF_REC_SIZE	sizeof(struct svf_stream_rec)

/**
 * svf_stream_crc() - the stream's CRC-32C of @len bytes, as stored
 * @data: bytes
 * @len: how many
 *
 * Return: the value a crc field holds (initial ~0, final inversion).
 */
static SVF_UNUSED uint32_t svf_stream_crc(const void *data, size_t len)
{
	return ~svf_crc32c(~0U, data, len);
}

/**
 * struct svf_rec_info - one record header, in host byte order
 * @off: offset of the record header in the stream
 * @type: record type
 * @flags: record flags
 * @len: payload length
 * @seq: record number
 * @crc: stored CRC
 */
struct svf_rec_info {
	size_t off;
	uint16_t type;
	uint16_t flags;
	uint32_t len;
	uint32_t seq;
	uint32_t crc;
};

/**
 * svf_stream_get_hdr() - copy the stream header out of @s
 * @s: stream bytes
 * @len: bytes in @s
 * @h: out, as in the stream (little endian)
 *
 * Return: 0, or -EINVAL if @s is shorter than a header.
 */
static SVF_UNUSED int svf_stream_get_hdr(const void *s, size_t len,
					 struct svf_stream_hdr *h)
{
	if (len < SVF_HDR_SIZE)
		return -EINVAL;
	memcpy(h, s, SVF_HDR_SIZE);
	return 0;
}

/**
 * svf_stream_get_rec() - decode the record header at @off
 * @s: stream bytes
 * @len: bytes in @s
 * @off: offset of a record header
 * @r: out
 *
 * Return: 0, or -EINVAL if the record header does not fit in @len.
 */
static SVF_UNUSED int svf_stream_get_rec(const void *s, size_t len, size_t off,
					 struct svf_rec_info *r)
{
	struct svf_stream_rec rec;

	if (off > len || len - off < SVF_REC_SIZE)
		return -EINVAL;
	memcpy(&rec, (const uint8_t *)s + off, sizeof(rec));
	r->off = off;
	r->type = le16toh(rec.type);
	r->flags = le16toh(rec.flags);
	r->len = le32toh(rec.len);
	r->seq = le32toh(rec.seq);
	r->crc = le32toh(rec.crc);
	return 0;
}

/**
 * svf_stream_put_rec() - encode @r as the record header at @r->off
 * @s: stream bytes, at least @r->off + SVF_REC_SIZE long
 * @r: the fields (its @crc is written as given; see svf_stream_seal_rec())
 */
static SVF_UNUSED void svf_stream_put_rec(void *s, const struct svf_rec_info *r)
{
	struct svf_stream_rec rec = {
		.type = htole16(r->type),
		.flags = htole16(r->flags),
		.len = htole32(r->len),
		.seq = htole32(r->seq),
		.crc = htole32(r->crc),
	};

	memcpy((uint8_t *)s + r->off, &rec, sizeof(rec));
}

/**
 * svf_stream_seal_hdr() - recompute the header CRC of @s in place
 * @s: stream bytes, at least one header long
 */
static SVF_UNUSED void svf_stream_seal_hdr(void *s)
{
	struct svf_stream_hdr h;

	memcpy(&h, s, sizeof(h));
	h.crc = htole32(svf_stream_crc(&h, SVF_STREAM_HDR_CRC_LEN));
	memcpy(s, &h, sizeof(h));
}

/**
 * svf_stream_rec_crc() - the CRC the record at @off should carry
 * @s: stream bytes
 * @off: offset of the record header; its payload (len from the header)
 *	must be in @s
 *
 * Return: CRC-32C of the header's first SVF_STREAM_REC_CRC_LEN bytes and
 * the payload.
 */
static SVF_UNUSED uint32_t svf_stream_rec_crc(const void *s, size_t off)
{
	const uint8_t *p = (const uint8_t *)s + off;
	struct svf_stream_rec rec;
	uint32_t crc;

	memcpy(&rec, p, sizeof(rec));
	crc = svf_crc32c(~0U, p, SVF_STREAM_REC_CRC_LEN);
	return ~svf_crc32c(crc, p + SVF_REC_SIZE, le32toh(rec.len));
}

/**
 * svf_stream_seal_rec() - recompute the CRC of the record at @off in place
 * @s: stream bytes
 * @off: offset of the record header; its payload must be in @s
 */
static SVF_UNUSED void svf_stream_seal_rec(void *s, size_t off)
{
	uint32_t crc = htole32(svf_stream_rec_crc(s, off));

	memcpy((uint8_t *)s + off + offsetof(struct svf_stream_rec, crc),
	       &crc, sizeof(crc));
}

/**
 * svf_stream_records() - walk the framing of @s (no checks)
 * @s: stream bytes
 * @len: bytes in @s
 * @recs: out, the record headers found, in order
 * @max: room in @recs
 *
 * Follows the @len fields from the first record header on; stops at the
 * first record header that does not fit, and after a record whose payload
 * does not fit (that record is still listed).
 *
 * Return: the number of record headers found (at most @max).
 */
static SVF_UNUSED int svf_stream_records(const void *s, size_t len,
					 struct svf_rec_info *recs, int max)
{
	size_t at = SVF_HDR_SIZE;
	int n = 0;

	while (n < max && !svf_stream_get_rec(s, len, at, &recs[n])) {
		uint32_t rl = recs[n++].len;

		if (rl > len - at - SVF_REC_SIZE)
			break;
		at += SVF_REC_SIZE + rl;
	}
	return n;
}

/**
 * svf_stream_find() - the first record of a type
 * @s: stream bytes
 * @len: bytes in @s
 * @type: record type
 * @r: out
 *
 * Return: 0 if found with its whole payload in @s, else -ENOENT.
 */
static SVF_UNUSED int svf_stream_find(const void *s, size_t len, uint16_t type,
				      struct svf_rec_info *r)
{
	size_t at = SVF_HDR_SIZE;

	while (!svf_stream_get_rec(s, len, at, r)) {
		if (r->len > len - at - SVF_REC_SIZE)
			break;
		if (r->type == type)
			return 0;
		at += SVF_REC_SIZE + r->len;
	}
	return -ENOENT;
}

/**
 * struct svf_stream_summary - what svf_stream_verify() found
 * @compat_id: the header's compatibility id
 * @features: the header's feature bits
 * @nrecords: records before the end record
 * @payload_bytes: their payload bytes
 */
struct svf_stream_summary {
	uint64_t compat_id;
	uint32_t features;
	uint32_t nrecords;
	uint64_t payload_bytes;
};

/**
 * svf_stream_verify() - reference reader: the framing checks of the uapi
 *	header, in its order
 * @s: a complete stream
 * @len: its length
 * @sum: out (may be NULL): what the stream says about itself
 * @why: out (may be NULL): the first failure, as text
 * @whylen: room in @why
 *
 * Checks the header (magic, version, hdr_len, CRC, reserved fields), each
 * record header (seq, flags, type, end record length, length limit), each
 * record CRC, the end record's totals, and that the stream ends exactly
 * after the end record.  Device conditions (compat_id, features, payload
 * contents) are left to the caller.
 *
 * Return: 0 if the framing is valid, -EINVAL otherwise.
 */
static SVF_UNUSED int svf_stream_verify(const void *s, size_t len,
					struct svf_stream_summary *sum,
					char *why, size_t whylen)
{
	struct svf_stream_summary dummy;
	struct svf_stream_hdr h;
	struct svf_stream_end end;
	struct svf_rec_info r;
	uint32_t seq = 0;
	uint64_t bytes = 0;
	size_t at = SVF_HDR_SIZE;
	char tmp[128];	/* the reason, when the caller wants none */

	if (!sum)
		sum = &dummy;
	if (!why) {
		why = tmp;
		whylen = sizeof(tmp);
	}
#define SVF_BAD(...) ({ snprintf(why, whylen, __VA_ARGS__); -EINVAL; })
	if (svf_stream_get_hdr(s, len, &h))
		return SVF_BAD("truncated in the header (%zu bytes)", len);
	if (le32toh(h.magic) != SVF_STREAM_MAGIC)
		return SVF_BAD("bad magic %#x", le32toh(h.magic));
	if (le16toh(h.version) != SVF_STREAM_VERSION)
		return SVF_BAD("unsupported version %u", le16toh(h.version));
	if (le16toh(h.hdr_len) != SVF_HDR_SIZE)
		return SVF_BAD("bad header length %u", le16toh(h.hdr_len));
	if (le32toh(h.crc) != svf_stream_crc(&h, SVF_STREAM_HDR_CRC_LEN))
		return SVF_BAD("header CRC mismatch");
	if (h.reserved || h.reserved2)
		return SVF_BAD("reserved header fields set");
	sum->compat_id = le64toh(h.compat_id);
	sum->features = le32toh(h.features);
	for (;;) {
		if (svf_stream_get_rec(s, len, at, &r))
			return SVF_BAD("truncated before/in record header %u", seq);
		if (r.seq != seq)
			return SVF_BAD("record %u out of order (expected %u)",
				       r.seq, seq);
		if (r.flags)
			return SVF_BAD("record %u has flags %#x", seq, r.flags);
		if (r.type != SVF_REC_END && r.type < SVF_MIG_REC_DRIVER)
			return SVF_BAD("record %u has unknown type %#x", seq,
				       r.type);
		if (r.type == SVF_REC_END && r.len != sizeof(end))
			return SVF_BAD("end record has length %u", r.len);
		if (r.len > SVF_STREAM_REC_LEN_MAX)
			return SVF_BAD("record %u too long (%u bytes)", seq,
				       r.len);
		if (r.len > len - at - SVF_REC_SIZE)
			return SVF_BAD("truncated in record %u payload", seq);
		if (r.crc != svf_stream_rec_crc(s, at))
			return SVF_BAD("record %u CRC mismatch", seq);
		at += SVF_REC_SIZE;
		if (r.type == SVF_REC_END)
			break;
		seq++;
		bytes += r.len;
		at += r.len;
	}
	memcpy(&end, (const uint8_t *)s + at, sizeof(end));
	at += sizeof(end);
	if (le32toh(end.nrecords) != seq ||
	    le64toh(end.payload_bytes) != bytes || end.reserved)
		return SVF_BAD("end record says %u records/%llu bytes, got %u/%llu",
			       le32toh(end.nrecords),
			       (unsigned long long)le64toh(end.payload_bytes),
			       seq, (unsigned long long)bytes);
	if (at != len)
		return SVF_BAD("%zu bytes after the end record", len - at);
#undef SVF_BAD
	sum->nrecords = seq;
	sum->payload_bytes = bytes;
	if (whylen)
		why[0] = 0;
	return 0;
}

/**
 * svf_stream_build() - frame records into a new stream
 * @buf: out, room for the stream: SVF_HDR_SIZE + (@n + 1) * SVF_REC_SIZE +
 *	sizeof(struct svf_stream_end) + the payload lengths
 * @compat_id: header compatibility id
 * @features: header feature bits
 * @types: record types, @n of them
 * @payloads: record payloads
 * @lens: payload lengths
 * @n: records before the end record
 *
 * Builds a stream exactly as a saving data_fd would: header, the records
 * numbered from 0 with their CRCs, and the end record.
 *
 * Return: the stream's length.
 */
static SVF_UNUSED size_t svf_stream_build(void *buf, uint64_t compat_id,
					  uint32_t features,
					  const uint16_t *types,
					  const void *const *payloads,
					  const uint32_t *lens, int n)
{
	struct svf_stream_hdr h = {
		.magic = htole32(SVF_STREAM_MAGIC),
		.version = htole16(SVF_STREAM_VERSION),
		.hdr_len = htole16(SVF_HDR_SIZE),
		.compat_id = htole64(compat_id),
		.features = htole32(features),
	};
	struct svf_stream_end end = { 0 };
	struct svf_rec_info r = { 0 };
	uint8_t *p = buf;
	uint64_t bytes = 0;
	int i;

	memcpy(p, &h, sizeof(h));
	svf_stream_seal_hdr(p);
	r.off = sizeof(h);
	for (i = 0; i <= n; i++) {
		const void *data = i < n ? payloads[i] : &end;

		if (i == n) {
			end.nrecords = htole32(n);
			end.payload_bytes = htole64(bytes);
		}
		r.type = i < n ? types[i] : SVF_REC_END;
		r.len = i < n ? lens[i] : sizeof(end);
		r.seq = i;
		svf_stream_put_rec(p, &r);
		memcpy(p + r.off + SVF_REC_SIZE, data, r.len);
		svf_stream_seal_rec(p, r.off);
		bytes += i < n ? r.len : 0;
		r.off += SVF_REC_SIZE + r.len;
	}
	return r.off;
}

/**
 * svf_stream_read_all() - read a saving data_fd until end of file
 * @fd: the data_fd (STOP_COPY: end of file is the end of the stream)
 * @out: set to a malloc'ed buffer with the stream (caller frees)
 *
 * Return: the stream's length, or -errno (nothing to free then).
 */
static SVF_UNUSED ssize_t svf_stream_read_all(int fd, char **out)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap), *nb;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - len < (1 << 16)) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			free(buf);
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	*out = buf;
	return len;
}

#endif /* _SVF_STREAM_H */
