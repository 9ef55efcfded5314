/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private declarations shared by the files of snapvf_mig.ko.
 */
#ifndef _SVF_MIG_INTERNAL_H
#define _SVF_MIG_INTERNAL_H

#include <linux/fs.h>
#include <linux/refcount.h>
#include <snapvf/mig.h>
#include <snapvf/mig_stream.h>

/*
 * ---- stream.c: the wire format.  Magic, version, record types and the
 * header, record and end layouts are public: <snapvf/mig_stream.h>
 * (include/uapi/snapvf/mig_stream.h) is their normative definition.
 */

enum svf_parse_stage {
	SVF_PARSE_HDR,
	SVF_PARSE_REC,
	SVF_PARSE_PAYLOAD,
	SVF_PARSE_DONE,
	SVF_PARSE_BAD,
};

/**
 * struct svf_stream_parser - incremental parser of an incoming stream
 * @stage: what is being collected
 * @have: bytes of the current item collected so far
 * @hdr: stream header being collected
 * @rec: record header being collected
 * @payload: payload buffer (kvmalloc, grows to the largest record)
 * @payload_size: allocated size of @payload
 * @seq: next expected record number
 * @bytes: payload bytes verified so far
 */
struct svf_stream_parser {
	enum svf_parse_stage stage;
	size_t have;
	struct svf_stream_hdr hdr;
	struct svf_stream_rec rec;
	void *payload;
	size_t payload_size;
	u32 seq;
	u64 bytes;
};

void svf_stream_fill_hdr(struct svf_mig *mig, struct svf_stream_hdr *hdr);
void svf_stream_frame(struct svf_stream_rec *rec, u16 type, u32 seq,
		      const void *payload, u32 len);
void svf_stream_fill_end(struct svf_stream_end *end, u32 nrecords, u64 bytes);
int svf_stream_check_hdr(struct svf_mig *mig, const struct svf_stream_hdr *h);
int svf_stream_check_rec(struct svf_mig *mig, struct svf_stream_parser *p);
int svf_stream_check_payload(struct svf_mig *mig, struct svf_stream_parser *p);

/* ---- crc.c */

int svf_crc_init(void);
u32 svf_crc32c(u32 crc, const void *p, size_t len);

/* ---- state.c: the state lock and its anchor */

/**
 * struct svf_mig_anchor - the state lock of an engine, shared with its files
 * @lock: the state lock: mig->state, the session pointers, every hook
 *	call, @mig, and each session file's @disconnected and @final
 * @reset_lock: guards @deferred_reset and the release of @lock (see
 *	svf_mig_unlock())
 * @deferred_reset: a reset was requested while @lock was busy
 * @mig: the engine; cleared under @lock by svf_mig_uninit()
 * @ref: one reference for the engine (svf_mig_init() .. svf_mig_uninit())
 *	and one per data_fd (svf_mig_file_create() .. the file's release)
 *
 * The only engine object a data_fd may reach after its device is gone:
 * it is layer memory, freed by the last svf_mig_anchor_put() from
 * snapvf_mig's own code (the data_fd's file operations keep the module).
 */
struct svf_mig_anchor {
	struct mutex lock;	/* the state lock, see above */
	spinlock_t reset_lock;	/* deferred_reset */
	bool deferred_reset;
	struct svf_mig *mig;
	refcount_t ref;
};

struct svf_mig_anchor *svf_mig_anchor_alloc(struct svf_mig *mig);
void svf_mig_anchor_put(struct svf_mig_anchor *a);
void svf_mig_anchor_lock(struct svf_mig_anchor *a);
void svf_mig_anchor_unlock(struct svf_mig_anchor *a);
void svf_mig_lock(struct svf_mig *mig);
void svf_mig_unlock(struct svf_mig *mig);
void svf_mig_end_sessions(struct svf_mig *mig);

/* ---- file.c: data_fd */

/**
 * struct svf_mig_file - one data_fd (saving or resuming session)
 * @filp: the anon_inode file
 * @anchor: the engine's state lock, referenced until release.  The file
 *	holds nothing else of the engine, its device or its driver
 * @lock: serialises read/write/ioctl on this file and guards everything
 *	below except @disconnected and @final
 * @saving: saving (true) or resuming (false) session
 * @disconnected: set under the state lock when the session ended (state
 *	change, reset, close, withdrawal, uninit); never cleared.  While it
 *	is clear the file is the engine's save_file or load_file, so the
 *	engine (anchor->mig) is alive for as long as the state lock is held.
 *	Once set every operation fails with -ENODEV
 * @final: saving only, set under the state lock on entering STOP_COPY
 * @error: sticky error of the session (0 while healthy)
 * @buf: saving: framed bytes waiting to be read
 * @buf_size: allocated size of @buf
 * @pos: saving: read cursor in @buf
 * @len: saving: valid bytes in @buf
 * @unread: saving: @len - @pos, produced (so no longer in the driver's
 *	estimate) but not read yet.  Written under @lock with WRITE_ONCE;
 *	MIG_DATA_SIZE reads it under the state lock only (READ_ONCE)
 * @end_sent: saving: end record produced (EOF after it drains)
 * @seq: saving: records produced
 * @bytes: saving: payload bytes produced
 * @parser: resuming: incoming stream state
 * @complete: resuming: end record verified (set with @lock and the state
 *	lock both held, so either lock reads it stably)
 * @aborted: resuming: load_abort already called for this session
 * @told_truncated: resuming: the truncated-stream line was logged (once per
 *	session however often RESUMING -> STOP is retried; state lock)
 */
struct svf_mig_file {
	struct file *filp;
	struct svf_mig_anchor *anchor;
	struct mutex lock;	/* see above */
	bool saving;
	bool disconnected;
	bool final;
	int error;
	void *buf;
	size_t buf_size;
	size_t pos;
	size_t len;
	size_t unread;
	bool end_sent;
	u32 seq;
	u64 bytes;
	struct svf_stream_parser parser;
	bool complete;
	bool aborted;
	bool told_truncated;
};

struct svf_mig_file *svf_mig_file_create(struct svf_mig *mig, bool saving);
void svf_mig_file_disconnect(struct svf_mig_file *f);

/* ---- dirty.c */

void svf_dirty_destroy(struct svf_mig *mig);
void svf_dirty_close(struct svf_mig *mig);
int svf_dirty_init(struct svf_mig *mig);

/* vfio_log_ops of every engine with SVF_MIG_CAP_DIRTY_LOG (dirty.c) */
extern const struct vfio_log_ops svf_mig_log_ops;

/* vfio_migration_ops of every engine (state.c) */
extern const struct vfio_migration_ops svf_mig_vfio_ops;

#endif /* _SVF_MIG_INTERNAL_H */
