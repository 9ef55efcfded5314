/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Migration helpers for the pci tests and benchmarks: save a device's
 * state into memory (optionally with PRE_COPY rounds and a callback that
 * changes the device between rounds), load it into another device, and
 * compare device state.  Return 0 or -errno; print nothing.
 */
#ifndef _SVF_MIG_LIB_H
#define _SVF_MIG_LIB_H

#include "parent.h"

#define MIG_CHUNK	(1u << 20)

struct mig_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/**
 * struct mig_stats - what one migration cost
 * @precopy_s: time in PRE_COPY (device running)
 * @stopcopy_s: RUNNING/PRE_COPY -> STOP_COPY -> all data read -> STOP
 * @load_s: RESUMING -> data written -> STOP -> RUNNING on the destination
 * @precopy_bytes: bytes read during PRE_COPY
 * @stop_bytes: bytes read in STOP_COPY
 * @rounds: PRE_COPY rounds done
 * @last_dirty: dirty_bytes reported by the last GET_PRECOPY_INFO
 */
struct mig_stats {
	double precopy_s, stopcopy_s, load_s;
	uint64_t precopy_bytes, stop_bytes;
	int rounds;
	uint64_t last_dirty;
};

typedef void (*mig_touch_fn)(void *opaque, int round);

static SVF_UNUSED void mig_buf_free(struct mig_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Append what @fd yields until EOF, ENOMSG or @limit bytes (0: no limit). */
static SVF_UNUSED int64_t mig_buf_fill(struct mig_buf *b, int fd,
				       uint64_t limit)
{
	int64_t total = 0;
	size_t want;
	ssize_t n;
	void *p;

	for (;;) {
		if (b->cap - b->len < MIG_CHUNK) {
			p = realloc(b->data, b->cap * 2 + MIG_CHUNK);
			if (!p)
				return -ENOMEM;
			b->data = p;
			b->cap = b->cap * 2 + MIG_CHUNK;
		}
		want = MIG_CHUNK;
		if (limit && limit - total < want)
			want = limit - total;
		if (!want)
			break;
		n = read(fd, b->data + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOMSG)
			break;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		b->len += n;
		total += n;
	}
	return total;
}

/**
 * mig_save() - source side: [PRE_COPY rounds ->] STOP_COPY -> STOP
 * @v: running source device
 * @b: receives the stream
 * @rounds: PRE_COPY rounds (0: straight to STOP_COPY)
 * @touch: called after each round (may change device state), or NULL
 * @opaque: for @touch
 * @st: filled with times and sizes (may be NULL)
 *
 * On failure the data_fd is closed and the device left where it failed.
 */
static SVF_UNUSED int mig_save(struct svf_vfio *v, struct mig_buf *b,
			       int rounds, mig_touch_fn touch, void *opaque,
			       struct mig_stats *st)
{
	struct mig_stats dummy;
	uint64_t initial, dirty;
	int fd = -1, r, ret;
	double t0, t1;
	int64_t n;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	t0 = svf_now();
	if (rounds) {
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_PRE_COPY, &fd);
		if (ret)
			return ret;
		for (r = 0; r < rounds; r++) {
			ret = svf_vfio_precopy_info(fd, &initial, &dirty);
			if (ret)
				goto out;
			st->last_dirty = dirty;
			n = mig_buf_fill(b, fd, initial + dirty);
			if (n < 0) {
				ret = n;
				goto out;
			}
			st->precopy_bytes += n;
			st->rounds++;
			if (touch)
				touch(opaque, r);
		}
	}
	t1 = svf_now();
	st->precopy_s = t1 - t0;
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP_COPY,
			       fd < 0 ? &fd : NULL);
	if (ret)
		goto out;
	n = mig_buf_fill(b, fd, 0);
	if (n < 0) {
		ret = n;
		goto out;
	}
	st->stop_bytes = n;
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	st->stopcopy_s = svf_now() - t1;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/**
 * mig_load() - destination side: RESUMING <- @b, -> STOP -> RUNNING
 * @v: destination device (RUNNING)
 * @b: the stream
 * @len: bytes of @b to write (e.g. b->len, or less to truncate)
 * @st: load_s is set (may be NULL)
 *
 * Return: 0, or the first error (a write or the RESUMING -> STOP arc).
 */
static SVF_UNUSED int mig_load(struct svf_vfio *v, const struct mig_buf *b,
			       size_t len, struct mig_stats *st)
{
	size_t done = 0, want;
	double t0 = svf_now();
	int fd, ret;
	ssize_t n;

	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_RESUMING, &fd);
	if (ret)
		return ret;
	while (done < len) {
		want = len - done < MIG_CHUNK ? len - done : MIG_CHUNK;
		n = write(fd, b->data + done, want);
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			close(fd);
			return ret;
		}
		done += n;
	}
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	close(fd);
	if (ret)
		return ret;
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_RUNNING, NULL);
	if (st)
		st->load_s = svf_now() - t0;
	return ret;
}

/* Copy of the first @len bytes of @v's device state (parent.h). */
static SVF_UNUSED void *state_snapshot(struct svf_vfio *v, size_t len)
{
	void *buf = malloc(len);

	if (buf && parent_state_io(v, 0, buf, len, 0)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Write a pattern over [off, off + len) of @v's device state. */
static SVF_UNUSED int state_fill(struct svf_vfio *v, size_t off, size_t len,
				 uint64_t seed)
{
	void *buf = malloc(len);
	int ret;

	if (!buf)
		return -ENOMEM;
	fill_pattern(buf, len, seed);
	ret = parent_state_io(v, off, buf, len, 1);
	free(buf);
	return ret;
}

#endif /* _SVF_MIG_LIB_H */
