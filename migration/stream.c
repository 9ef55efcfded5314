// SPDX-License-Identifier: GPL-2.0
/*
 * The migration stream format: building and verifying headers and records.
 * include/uapi/snapvf/mig_stream.h is the normative definition (layouts,
 * byte order, CRC coverage, the order of the checks a reader makes) and
 * Documentation/migration-stream.rst explains it; this file, that header
 * and that page change together.
 *
 * Every check that rejects a stream prints exactly one dev_err line naming
 * what was wrong and returns -EINVAL; the caller then refuses every later
 * byte of that stream silently.
 *
 * Log policy: a VMM reaches these checks at will, so they are once per
 * session, not rate-limited: the rejection latches in the session's file
 * (svf_mig_file_fail()), and only a new RESUMING arc, which needs the
 * device's state machine, can log again.  Rate-limiting would drop the
 * one line an admin needs to see why a migration failed.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include "mig_internal.h"

/* The uapi header states sizes and CRC coverage as numbers: hold them. */
static_assert(sizeof(struct svf_stream_hdr) == 32);
static_assert(sizeof(struct svf_stream_rec) == 16);
static_assert(sizeof(struct svf_stream_end) == 16);
static_assert(offsetof(struct svf_stream_hdr, crc) == SVF_STREAM_HDR_CRC_LEN);
static_assert(offsetof(struct svf_stream_rec, crc) == SVF_STREAM_REC_CRC_LEN);

static u32 svf_crc_rec(const struct svf_stream_rec *rec, const void *payload,
		       u32 len)
{
	u32 crc = svf_crc32c(~0U, rec, SVF_STREAM_REC_CRC_LEN);

	return ~svf_crc32c(crc, payload, len);
}

/**
 * svf_stream_fill_hdr() - build the stream header of @mig's device
 * @mig: engine
 * @hdr: out
 */
void svf_stream_fill_hdr(struct svf_mig *mig, struct svf_stream_hdr *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = cpu_to_le32(SVF_STREAM_MAGIC);
	hdr->version = cpu_to_le16(SVF_STREAM_VERSION);
	hdr->hdr_len = cpu_to_le16(sizeof(*hdr));
	hdr->compat_id = cpu_to_le64(mig->cfg.compat_id);
	hdr->features = cpu_to_le32(mig->cfg.stream_features);
	hdr->crc = cpu_to_le32(~svf_crc32c(~0U, hdr, SVF_STREAM_HDR_CRC_LEN));
}

/**
 * svf_stream_frame() - fill the record header in front of a payload
 * @rec: record header to fill
 * @type: record type
 * @seq: record number
 * @payload: the payload (already in place)
 * @len: payload length
 */
void svf_stream_frame(struct svf_stream_rec *rec, u16 type, u32 seq,
		      const void *payload, u32 len)
{
	rec->type = cpu_to_le16(type);
	rec->flags = 0;
	rec->len = cpu_to_le32(len);
	rec->seq = cpu_to_le32(seq);
	rec->crc = cpu_to_le32(svf_crc_rec(rec, payload, len));
}

/**
 * svf_stream_fill_end() - build the payload of the end record
 * @end: out
 * @nrecords: records before the end record
 * @bytes: their total payload length
 */
void svf_stream_fill_end(struct svf_stream_end *end, u32 nrecords, u64 bytes)
{
	end->nrecords = cpu_to_le32(nrecords);
	end->reserved = 0;
	end->payload_bytes = cpu_to_le64(bytes);
}

#define svf_reject(mig, fmt, ...)					\
	({								\
		dev_err((mig)->vdev->dev, "migration stream rejected: " fmt "\n", \
			##__VA_ARGS__);					\
		-EINVAL;						\
	})

/**
 * svf_stream_check_hdr() - verify a received stream header
 * @mig: destination engine
 * @h: the header
 *
 * Return: 0, or -EINVAL after one dev_err line.
 */
int svf_stream_check_hdr(struct svf_mig *mig, const struct svf_stream_hdr *h)
{
	u32 crc = ~svf_crc32c(~0U, h, SVF_STREAM_HDR_CRC_LEN);
	u32 extra;

	if (le32_to_cpu(h->magic) != SVF_STREAM_MAGIC)
		return svf_reject(mig, "bad magic %#x", le32_to_cpu(h->magic));
	if (le16_to_cpu(h->version) != SVF_STREAM_VERSION)
		return svf_reject(mig, "unsupported version %u",
				  le16_to_cpu(h->version));
	if (le16_to_cpu(h->hdr_len) != sizeof(*h))
		return svf_reject(mig, "bad header length %u",
				  le16_to_cpu(h->hdr_len));
	if (le32_to_cpu(h->crc) != crc)
		return svf_reject(mig, "header CRC mismatch");
	if (h->reserved || h->reserved2)
		return svf_reject(mig, "reserved header fields set");
	if (le64_to_cpu(h->compat_id) != mig->cfg.compat_id)
		return svf_reject(mig, "incompatible device: stream id %#llx, device id %#llx",
				  le64_to_cpu(h->compat_id), mig->cfg.compat_id);
	extra = le32_to_cpu(h->features) & ~mig->cfg.stream_features;
	if (extra)
		return svf_reject(mig, "unsupported device features %#x", extra);
	return 0;
}

/**
 * svf_stream_check_rec() - verify a received record header
 * @mig: destination engine
 * @p: parser holding the header in @p->rec
 *
 * Makes room for the payload in @p->payload.
 *
 * Return: 0, -ENOMEM, or -EINVAL after one dev_err line.
 */
int svf_stream_check_rec(struct svf_mig *mig, struct svf_stream_parser *p)
{
	u16 type = le16_to_cpu(p->rec.type);
	u32 len = le32_to_cpu(p->rec.len);
	u32 seq = le32_to_cpu(p->rec.seq);

	if (seq != p->seq)
		return svf_reject(mig, "record %u out of order (expected %u)",
				  seq, p->seq);
	if (p->rec.flags)
		return svf_reject(mig, "record %u has flags %#x", seq,
				  le16_to_cpu(p->rec.flags));
	if (type != SVF_REC_END && type < SVF_MIG_REC_DRIVER)
		return svf_reject(mig, "record %u has unknown type %#x", seq,
				  type);
	if (type == SVF_REC_END && len != sizeof(struct svf_stream_end))
		return svf_reject(mig, "end record has length %u", len);
	if (len > SVF_STREAM_REC_LEN_MAX)
		return svf_reject(mig, "record %u too long (%u bytes)", seq,
				  len);
	if (len > p->payload_size) {
		size_t size = max_t(size_t, len, PAGE_SIZE);

		kvfree(p->payload);
		p->payload_size = 0;
		p->payload = kvmalloc(size, GFP_KERNEL_ACCOUNT);
		if (!p->payload)
			return -ENOMEM;
		p->payload_size = size;
	}
	return 0;
}

/**
 * svf_stream_check_payload() - verify a received record's CRC and, for the
 * end record, the totals
 * @mig: destination engine
 * @p: parser holding the record
 *
 * Return: 0, or -EINVAL after one dev_err line.
 */
int svf_stream_check_payload(struct svf_mig *mig, struct svf_stream_parser *p)
{
	u32 len = le32_to_cpu(p->rec.len);
	const struct svf_stream_end *end = p->payload;

	if (svf_crc_rec(&p->rec, p->payload, len) != le32_to_cpu(p->rec.crc))
		return svf_reject(mig, "record %u CRC mismatch", p->seq);
	if (le16_to_cpu(p->rec.type) != SVF_REC_END)
		return 0;
	if (le32_to_cpu(end->nrecords) != p->seq ||
	    le64_to_cpu(end->payload_bytes) != p->bytes || end->reserved)
		return svf_reject(mig, "end record says %u records/%llu bytes, got %u/%llu",
				  le32_to_cpu(end->nrecords),
				  le64_to_cpu(end->payload_bytes),
				  p->seq, p->bytes);
	return 0;
}
