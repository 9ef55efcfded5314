// SPDX-License-Identifier: GPL-2.0
/*
 * svf-fuzz: the VFIO v2 migration surfaces - state arcs in any order
 * (also from two threads at once), data_fd reads and writes, PRECOPY_INFO,
 * MIG_DATA_SIZE, and resuming from a captured STOP_COPY stream after
 * mutating it (corrupted, truncated, extended, reordered, replayed,
 * fields changed with valid CRCs).  Streams are read and resealed with
 * the public definition of the format, <snapvf/mig_stream.h>
 * (svf_stream.h), and judged by its reference reader: a stream that
 * reader rejects must be rejected by the device as well.
 *
 * Bookkeeping: fz_dev.mig_state is what the fuzzer believes; every arc
 * checks the device agrees after a successful one; after a failed one the
 * device may be anywhere on the path or in ERROR, from which a reset
 * recovers.
 */
#include <errno.h>

#include "fuzz.h"
#include "svf_stream.h"

#define STREAM_MAX	(64 << 20)
#define MAX_RECS	1024	/* records mutate() looks at */

uint8_t *fz_capture;
size_t fz_capture_len;
int fz_capture_dev = -1;

void fz_hold_data_fd(struct fz_dev *d, int fd)
{
	int i;

	for (i = 0; i < FZ_MAX_FDS; i++) {
		if (d->data_fd[i] < 0) {
			d->data_fd[i] = fd;
			return;
		}
	}
	/* evict the oldest: it may belong to a session that ended */
	close(d->data_fd[0]);
	memmove(d->data_fd, d->data_fd + 1, (FZ_MAX_FDS - 1) * sizeof(int));
	d->data_fd[FZ_MAX_FDS - 1] = fd;
}

static int get_state(struct fz_dev *d, uint32_t *st)
{
	return svf_vfio_mig_get(d->v, st);
}

/*
 * One arc with bookkeeping.  @data_fd: NULL to hold any returned data_fd
 * in the device's table.  Returns 0 or -errno of the SET.
 */
int fz_mig_set(struct fz_dev *d, uint32_t state, int *data_fd)
{
	uint32_t now = ~0u;
	int fd = -1, ret;

	if (state == VFIO_DEVICE_STATE_RESUMING)
		d->vb_ready = false;	/* the guest driver's view is replaced */
	ret = svf_vfio_mig_set(d->v, state, &fd);
	if (get_state(d, &now))
		return ret;
	if (!ret) {
		if (now != state)
			fz_bug("arc %s -> %s succeeded but the device is in %s",
			       svf_mig_state_name(d->mig_state),
			       svf_mig_state_name(state), svf_mig_state_name(now));
		if (fd >= 0 && state != VFIO_DEVICE_STATE_STOP_COPY &&
		    state != VFIO_DEVICE_STATE_RESUMING &&
		    state != VFIO_DEVICE_STATE_PRE_COPY &&
		    state != VFIO_DEVICE_STATE_PRE_COPY_P2P)
			fz_bug("arc to %s returned a data_fd", svf_mig_state_name(state));
	}
	/*
	 * A failed arc may leave the device anywhere on the path or in
	 * ERROR (uAPI): nothing to check but that GET answers.
	 */
	d->mig_state = now;
	if (data_fd)
		*data_fd = fd;
	else if (fd >= 0)
		fz_hold_data_fd(d, fd);
	return ret;
}

/* Back to RUNNING by an arc, else by a reset. */
int fz_mig_recover(struct fz_dev *d)
{
	if (!d->mig_flags)
		return 0;
	if (d->mig_state == VFIO_DEVICE_STATE_RUNNING)
		return 0;
	if (!fz_mig_set(d, VFIO_DEVICE_STATE_RUNNING, NULL))
		return 0;
	if (ioctl(d->v->device, VFIO_DEVICE_RESET))
		return -errno;
	d->vb_ready = false;
	return get_state(d, &d->mig_state);
}

static uint32_t any_state(struct fz_rng *r)
{
	return fz_chance(r, 95) ? fz_below(r, 8) : (uint32_t)fz_magic64(r);
}

static void op_mig_set(struct fz_dev *d, struct fz_rng *r)
{
	fz_mig_set(d, any_state(r), NULL);
	if (d->mig_state == VFIO_DEVICE_STATE_ERROR || fz_chance(r, 5))
		fz_mig_recover(d);
}

static void op_mig_query(struct fz_dev *d, struct fz_rng *r)
{
	uint64_t flags, bytes;
	uint32_t st;

	switch (fz_below(r, 3)) {
	case 0:
		if (!svf_vfio_mig_flags(d->v, &flags) && flags != d->mig_flags)
			fz_bug("migration flags changed %#llx -> %#llx",
			       (unsigned long long)d->mig_flags,
			       (unsigned long long)flags);
		break;
	case 1:
		if (!get_state(d, &st) && st != d->mig_state)
			fz_bug("device in %s, expected %s", svf_mig_state_name(st),
			       svf_mig_state_name(d->mig_state));
		break;
	default:
		svf_vfio_mig_data_size(d->v, &bytes);
		break;
	}
}

static int pick_fd(struct fz_dev *d, struct fz_rng *r)
{
	return d->data_fd[fz_below(r, FZ_MAX_FDS)];
}

static void op_data_read(struct fz_dev *d, struct fz_rng *r)
{
	static const size_t lens[] = { 1, 7, 16, 31, 32, 33, 4096, 65536, 1 << 20 };
	int fd = pick_fd(d, r);
	size_t len = lens[fz_below(r, sizeof(lens) / sizeof(lens[0]))];
	uint8_t *buf;
	ssize_t n;

	if (fd < 0)
		return;
	buf = malloc(len + 16);
	if (!buf)
		return;
	memset(buf, 0x5a, len + 16);
	if (fz_chance(r, 3))
		n = read(fd, (void *)(uintptr_t)fz_magic64(r), len);	/* -EFAULT */
	else
		n = read(fd, buf, len);
	if (n > (ssize_t)len)
		fz_bug("data_fd read of %zu returned %zd", len, n);
	if (buf[len] != 0x5a)
		fz_bug("data_fd read of %zu wrote past the buffer", len);
	free(buf);
}

static void op_data_write(struct fz_dev *d, struct fz_rng *r)
{
	int fd = pick_fd(d, r);
	size_t len = fz_below(r, 4096) + 1, i;
	uint8_t *buf;
	ssize_t n;

	if (fd < 0)
		return;
	buf = malloc(len);
	if (!buf)
		return;
	if (fz_capture && fz_chance(r, 70)) {
		size_t off = fz_below(r, fz_capture_len);

		if (len > fz_capture_len - off)
			len = fz_capture_len - off;
		memcpy(buf, fz_capture + off, len);
	} else {
		for (i = 0; i < len; i++)
			buf[i] = fz_next(r);
	}
	n = write(fd, buf, len);
	if (n > (ssize_t)len)
		fz_bug("data_fd write of %zu returned %zd", len, n);
	free(buf);
}

static void op_precopy_info(struct fz_dev *d, struct fz_rng *r)
{
	struct {
		struct vfio_precopy_info pi;
		uint8_t room[64];
	} b;
	uint32_t before = ~0u, after = ~0u;
	int fd = pick_fd(d, r), ret;

	if (fd < 0)
		return;
	memset(&b, 0, sizeof(b));
	b.pi.argsz = fz_chance(r, 80) ? sizeof(b.pi) :
		     (uint32_t)fz_below(r, sizeof(b));
	b.pi.flags = fz_chance(r, 10) ? fz_next(r) : 0;
	get_state(d, &before);
	ret = ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &b);
	get_state(d, &after);
	if (ret)
		return;
	if (b.pi.argsz < offsetofend(struct vfio_precopy_info, dirty_bytes))
		fz_bug("PRECOPY_INFO accepted argsz %u", b.pi.argsz);
	if (before != VFIO_DEVICE_STATE_PRE_COPY &&
	    before != VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	    after != VFIO_DEVICE_STATE_PRE_COPY &&
	    after != VFIO_DEVICE_STATE_PRE_COPY_P2P)
		fz_bug("PRECOPY_INFO succeeded in state %s",
		       svf_mig_state_name(after));
}

/* Read a saving data_fd until EOF into fz_capture. */
static void op_capture(struct fz_dev *d, struct fz_rng *r)
{
	size_t cap = 1 << 20, len = 0;
	uint8_t *buf;
	int fd;
	ssize_t n;

	if (fz_mig_set(d, VFIO_DEVICE_STATE_STOP, NULL))
		goto out;
	if (fz_mig_set(d, VFIO_DEVICE_STATE_STOP_COPY, &fd) || fd < 0)
		goto out;
	buf = malloc(cap);
	while (buf) {
		if (cap - len < 65536) {
			uint8_t *nb = cap < STREAM_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, 65536);
		if (n <= 0)
			break;
		if (n > 65536)
			fz_bug("data_fd read of 65536 returned %zd", n);
		len += n;
	}
	close(fd);
	if (buf && len >= SVF_HDR_SIZE) {
		free(fz_capture);
		fz_capture = buf;
		fz_capture_len = len;
		fz_capture_dev = d - fz_devs;
	} else {
		free(buf);
	}
out:
	fz_mig_recover(d);
}

enum mut {
	MUT_NONE,	/* must load into its own device */
	MUT_FLIP,	/* one byte changed: must be rejected */
	MUT_TRUNC,	/* must be rejected */
	MUT_REPLAY,	/* the stream twice: must be rejected */
	MUT_SWAP,	/* two records swapped: must be rejected */
	MUT_DROP,	/* one record dropped: must be rejected */
	MUT_RESEAL,	/* a checked field changed, CRCs valid: must be rejected */
	MUT_RANDOM,	/* random bytes (with the real header sometimes) */
	MUT_FIELD,	/* a record field set to a magic value, unchecked */
	MUT_NR,
};

static const char * const mut_name[] = {
	"none", "flip", "truncate", "replay", "swap", "drop", "reseal",
	"random", "field",
};

/*
 * Change one field the framing checks (never a device's compat_id or
 * features) to another value and recompute the CRCs that cover it, so
 * that only the check of that field can catch it.  @recs: the records of
 * @s, @nr of them.  Returns false if @s has no end record to work on.
 */
static bool reseal(struct fz_rng *r, uint8_t *s, size_t n,
		   const struct svf_rec_info *recs, int nr)
{
	struct svf_rec_info x;
	struct svf_stream_hdr h;
	struct svf_stream_end end;
	size_t eoff;

	if (nr < 1 || recs[nr - 1].type != SVF_REC_END ||
	    recs[nr - 1].off + SVF_REC_SIZE + sizeof(end) > n)
		return false;
	x = recs[fz_below(r, nr)];
	eoff = recs[nr - 1].off + SVF_REC_SIZE;
	memcpy(&h, s, sizeof(h));
	memcpy(&end, s + eoff, sizeof(end));
	switch (fz_below(r, 9)) {
	case 0:
		h.version = htole16(le16toh(h.version) ^ (1 + fz_below(r, 0xffff)));
		break;
	case 1:
		h.reserved = htole32(1U << fz_below(r, 32));
		break;
	case 2:
		h.reserved2 = htole32((uint32_t)fz_magic64(r) | 1);
		break;
	case 3:
		h.hdr_len = htole16(le16toh(h.hdr_len) ^ (1 + fz_below(r, 0xffff)));
		break;
	case 4:
		x.flags ^= 1 + fz_below(r, 0xffff);
		break;
	case 5:
		x.seq ^= 1 + fz_below(r, 0xffffffff);
		break;
	case 6:		/* 0 or 0x0002..0x00ff: reserved for the framing */
		x.type = fz_chance(r, 20) ? 0 : 2 + fz_below(r, SVF_MIG_REC_DRIVER - 2);
		break;
	case 7:
		end.nrecords = htole32(le32toh(end.nrecords) ^ (1 + fz_below(r, 0xffff)));
		break;
	default:
		if (fz_chance(r, 50))
			end.payload_bytes ^= htole64(1ULL << fz_below(r, 64));
		else
			end.reserved = htole32(1U << fz_below(r, 32));
		break;
	}
	memcpy(s, &h, sizeof(h));
	svf_stream_seal_hdr(s);
	memcpy(s + eoff, &end, sizeof(end));
	svf_stream_seal_rec(s, recs[nr - 1].off);
	svf_stream_put_rec(s, &x);
	svf_stream_seal_rec(s, x.off);
	return true;
}

static uint8_t *mutate(struct fz_rng *r, enum mut m, size_t *len)
{
	size_t n = fz_capture_len, off[MAX_RECS], i;
	struct svf_rec_info recs[MAX_RECS];
	uint8_t *s = malloc(2 * n + 4096);
	int nr, k;

	if (!s)
		return NULL;
	memcpy(s, fz_capture, n);
	nr = svf_stream_records(s, n, recs, MAX_RECS);
	for (k = 0; k < nr; k++)
		off[k] = recs[k].off;
	switch (m) {
	case MUT_FLIP:
		i = fz_below(r, n);
		s[i] ^= 1 + fz_below(r, 255);
		break;
	case MUT_TRUNC:
		n = fz_chance(r, 50) ? fz_below(r, n) : n - 1 - fz_below(r, 16 < n ? 16 : n);
		break;
	case MUT_REPLAY:
		if (fz_chance(r, 50)) {
			memcpy(s + n, fz_capture, n);
			n *= 2;
		} else {
			size_t extra = 1 + fz_below(r, 4096);

			for (i = 0; i < extra; i++)
				s[n + i] = fz_next(r);
			n += extra;
		}
		break;
	case MUT_SWAP:
	case MUT_DROP:
		if (nr < 2) {
			s[fz_below(r, n)] ^= 0x80;	/* degrade to a flip */
			break;
		}
		{
			int a = fz_below(r, nr - 1), b = a + 1;	/* adjacent */
			size_t la = off[b] - off[a];
			size_t lb = (b + 1 < nr ? off[b + 1] : fz_capture_len) - off[b];
			uint8_t *tmp = malloc(la + lb);

			if (!tmp)
				break;
			if (m == MUT_SWAP) {
				memcpy(tmp, fz_capture + off[b], lb);
				memcpy(tmp + lb, fz_capture + off[a], la);
				memcpy(s + off[a], tmp, la + lb);
			} else {
				memmove(s + off[a], s + off[b], n - off[b]);
				n -= la;
			}
			free(tmp);
		}
		break;
	case MUT_RESEAL:
		if (!reseal(r, s, n, recs, nr))
			s[fz_below(r, n)] ^= 0x80;	/* degrade to a flip */
		break;
	case MUT_RANDOM:
		for (i = fz_chance(r, 50) ? SVF_HDR_SIZE : 0; i < n; i++)
			s[i] = fz_next(r);
		n = fz_below(r, n + 1);
		break;
	case MUT_FIELD:	/* type+flags, len, seq or crc */
		if (nr) {
			size_t at = off[fz_below(r, nr)] +
				    sizeof(uint32_t) * fz_below(r, SVF_REC_SIZE / 4);
			uint32_t v = fz_magic64(r);

			memcpy(s + at, &v, 4);
		}
		break;
	default:
		break;
	}
	*len = n;
	return s;
}

/* Was the mutation a no-op (same bytes)? */
static bool unchanged(const uint8_t *s, size_t len)
{
	return len == fz_capture_len && !memcmp(s, fz_capture, len);
}

/* A PCI function whose memory decoding is off (COMMAND bit 1 clear)? */
static bool decoding_off(struct fz_dev *d)
{
	uint16_t cmd = 0;

	if (!d->cfg_id)
		return false;
	if (pread(d->v->device, &cmd, 2,
		  d->ri[VFIO_PCI_CONFIG_REGION_INDEX].offset + 4) != 2)
		return true;
	return !(cmd & 2);
}

static void op_resume(struct fz_dev *d, struct fz_rng *r)
{
	enum mut m = fz_below(r, MUT_NR);
	bool same_dev = fz_capture_dev == d - fz_devs;
	size_t len, done = 0;
	int fd, wret = 0, aret;
	char why[128];
	uint8_t *s;

	if (!fz_capture)
		return;
	s = mutate(r, m, &len);
	if (!s)
		return;
	if (m != MUT_NONE && unchanged(s, len))
		m = MUT_NONE;
	if (fz_mig_set(d, VFIO_DEVICE_STATE_STOP, NULL) ||
	    fz_mig_set(d, VFIO_DEVICE_STATE_RESUMING, &fd) || fd < 0)
		goto out;
	while (done < len) {
		size_t chunk = fz_chance(r, 30) ? 1 + fz_below(r, 64) :
			       fz_chance(r, 50) ? len - done : 1 + fz_below(r, 65536);
		ssize_t n;

		if (chunk > len - done)
			chunk = len - done;
		n = write(fd, s + done, chunk);
		if (n < 0) {
			wret = -errno;
			break;
		}
		if (n == 0 || n > (ssize_t)chunk) {
			fz_bug("data_fd write of %zu returned %zd", chunk, n);
			break;
		}
		done += n;
	}
	aret = fz_mig_set(d, VFIO_DEVICE_STATE_STOP, NULL);
	close(fd);
	/*
	 * A SNAP PF's state lives in its BAR: with memory decoding turned
	 * off (a config write of ours) the load cannot be applied (-EIO).
	 */
	if (m == MUT_NONE && same_dev && (wret || aret) && !decoding_off(d))
		fz_bug("own unmodified stream (%zu bytes) refused: write %d, arc %d",
		       len, wret, aret);
	if (m >= MUT_FLIP && m <= MUT_RESEAL && !wret && !aret)
		fz_bug("%s-mutated stream (%zu of %zu bytes) accepted",
		       mut_name[m], len, fz_capture_len);
	/* Whatever the mutation: what the format's definition rejects. */
	if (!wret && !aret &&
	    svf_stream_verify(s, len, NULL, why, sizeof(why)))
		fz_bug("%s-mutated stream (%zu of %zu bytes) accepted, but the uapi reference reader rejects it: %s",
		       mut_name[m], len, fz_capture_len, why);
out:
	free(s);
	fz_mig_recover(d);
}

/* ------------------------------------------------------------------ race */

/*
 * Two threads drive the same device's state machine and data_fds at once.
 * The second thread is persistent (its own KCOV handle); a race op hands
 * it a job and runs the same kind of work itself.
 */
struct race_job {
	struct fz_dev *d;
	uint64_t seed;
	int iters;
};

static pthread_t racer;
static pthread_mutex_t race_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t race_cv = PTHREAD_COND_INITIALIZER;
static struct race_job job;
static int job_state;	/* 0 idle, 1 posted, 2 done */
static bool racer_up;

static void race_work(struct fz_dev *d, uint64_t seed, int iters)
{
	struct fz_rng r;
	char buf[512];
	int i, fd;

	fz_seed(&r, seed);
	for (i = 0; i < iters; i++) {
		switch (fz_below(&r, 4)) {
		case 0:
		case 1:
			fd = -1;
			if (!svf_vfio_mig_set(d->v, any_state(&r), &fd) && fd >= 0) {
				if (read(fd, buf, fz_below(&r, sizeof(buf))) > (ssize_t)sizeof(buf))
					fz_bug("racing data_fd read too long");
				close(fd);
			}
			break;
		case 2:
			ioctl(d->v->device, VFIO_DEVICE_RESET);
			break;
		default: {
			uint32_t st = 0;

			if (!svf_vfio_mig_get(d->v, &st) &&
			    st > VFIO_DEVICE_STATE_PRE_COPY_P2P)
				fz_bug("racing GET returned state %u", st);
			break;
		}
		}
	}
}

static void *racer_main(void *arg)
{
	kcov_thread_start();
	pthread_mutex_lock(&race_lock);
	for (;;) {
		while (job_state != 1)
			pthread_cond_wait(&race_cv, &race_lock);
		pthread_mutex_unlock(&race_lock);
		kcov_begin();
		race_work(job.d, job.seed, job.iters);
		kcov_end();
		pthread_mutex_lock(&race_lock);
		job_state = 2;
		pthread_cond_broadcast(&race_cv);
	}
	return NULL;
}

static void op_race(struct fz_dev *d, struct fz_rng *r)
{
	int iters = 2 + fz_below(r, 7);

	if (!racer_up) {
		if (pthread_create(&racer, NULL, racer_main, NULL))
			return;
		racer_up = true;
	}
	pthread_mutex_lock(&race_lock);
	job.d = d;
	job.seed = fz_next(r);
	job.iters = iters;
	job_state = 1;
	pthread_cond_broadcast(&race_cv);
	pthread_mutex_unlock(&race_lock);

	race_work(d, fz_next(r), iters);

	pthread_mutex_lock(&race_lock);
	while (job_state != 2)
		pthread_cond_wait(&race_cv, &race_lock);
	job_state = 0;
	pthread_mutex_unlock(&race_lock);
	/* nobody knows where the two threads left it */
	get_state(d, &d->mig_state);
	d->vb_ready = false;
	fz_mig_recover(d);
}

/* weights: see "Operation weights" in fuzz.h */
const struct fz_kind fz_mig_kinds[] = {
	{ "mig_set", FZ_S_MIG, op_mig_set, 24, false, true },
	{ "mig_query", FZ_S_MIG, op_mig_query, 16, false, true },
	{ "data_read", FZ_S_DATAFD, op_data_read, 32, false, true },
	{ "data_write", FZ_S_DATAFD, op_data_write, 24, false, true },
	{ "precopy_info", FZ_S_DATAFD, op_precopy_info, 16, false, true },
	{ "capture", FZ_S_STREAM, op_capture, 1, false, true },
	{ "resume", FZ_S_STREAM, op_resume, 2, false, true },
	{ "race", FZ_S_RACE, op_race, 1, false, true },
};
const unsigned int fz_mig_nkinds = sizeof(fz_mig_kinds) / sizeof(fz_mig_kinds[0]);
