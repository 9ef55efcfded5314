/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svf-fuzz: a fuzzer of every surface a hostile VMM reaches through VFIO
 * on snapvf's devices (usage: the comment at the top of main.c).
 *
 * Structure
 * ---------
 * An *operation* is (device, kind, seed): the handler of @kind derives all
 * its arguments from @seed with its own PRNG, starting from what the device
 * reported (region/IRQ info, migration flags) and then bending them, so
 * most calls get past the first check.  A *program* is a short list of
 * operations; the corpus keeps programs that reached new kernel PCs (KCOV)
 * and the main loop mutates them.  Devices keep their state from one
 * operation to the next (open data_fds, mappings, virtqueues), as a VMM's
 * would.
 *
 * Oracles: a handler calls fz_bug() when a result proves a kernel bug (a
 * length larger than requested, data after an error contract, a rejected
 * stream accepted, ...).  The run then fails.  Kernel splats are the test
 * runner's to see in the guest's kernel log.
 */
#ifndef _SVF_FUZZ_H
#define _SVF_FUZZ_H

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svf_vfio.h"
#include "vblk.h"

#ifndef offsetofend
#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))
#endif

#define FZ_MAX_DEVS	8
#define FZ_MAX_FDS	4	/* data_fds held per device */
#define FZ_MAX_MAPS	4	/* live mmaps per device */
#define FZ_MAX_REGIONS	16
#define FZ_PROG_LEN	16	/* operations per program */

/* ---------------------------------------------------------------- PRNG */

/* xorshift64*: small, fast, and the same on every build */
struct fz_rng {
	uint64_t s;
};

static inline void fz_seed(struct fz_rng *r, uint64_t seed)
{
	r->s = seed * 0x9e3779b97f4a7c15ULL + 0x1234567;
	if (!r->s)
		r->s = 1;
}

static inline uint64_t fz_next(struct fz_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

/* uniform-ish in [0, n); n == 0 gives 0 */
static inline uint64_t fz_below(struct fz_rng *r, uint64_t n)
{
	return n ? fz_next(r) % n : 0;
}

static inline bool fz_chance(struct fz_rng *r, unsigned int pct)
{
	return fz_below(r, 100) < pct;
}

/* An "interesting" 64-bit value: edges, powers of two, near-overflow. */
uint64_t fz_magic64(struct fz_rng *r);
/* A byte count near @typical: 0, 1, odd, exact, +-1, huge */
uint64_t fz_len(struct fz_rng *r, uint64_t typical);

/* ------------------------------------------------------------- devices */

enum fz_dev_kind {
	FZ_DEV_GENERIC,		/* any vfio device: ioctls, regions, mmap */
	FZ_DEV_VBLK,		/* SF virtio-blk mdev: also the guest side */
};

/**
 * struct fz_dev - one target device
 * @name: as given on the command line
 * @kind: FZ_DEV_*
 * @v: the open VFIO device (for a vblk device: &vb.v)
 * @vb: the userspace virtio-blk driver state (FZ_DEV_VBLK)
 * @vb_ready: vb brought up to DRIVER_OK and not known broken
 * @info: VFIO_DEVICE_GET_INFO as first read
 * @ri: region info per index (no capability chains)
 * @ri_ok: GET_REGION_INFO succeeded for that index (else the region is
 *	absent, e.g. VGA on a non-VGA function, and any access must fail)
 * @nregions: entries of @ri (info.num_regions, capped)
 * @irq_count: GET_IRQ_INFO count per index
 * @mig_flags: VFIO_DEVICE_FEATURE_MIGRATION flags, 0 if none
 * @mig_state: state the fuzzer believes the device is in
 * @data_fd: data_fds held (-1 = empty), current or of ended sessions
 * @maps: live mmaps (address, length; NULL = empty)
 * @log_pgsize: page size the last successful DMA_LOGGING_START returned
 * @cfg_id: config space dword 0 (vendor/device) as first read, 0 if none
 */
struct fz_dev {
	const char *name;
	enum fz_dev_kind kind;
	struct svf_vfio *v;
	struct svf_vfio own;
	struct vblk vb;
	bool vb_ready;
	struct vfio_device_info info;
	struct vfio_region_info ri[FZ_MAX_REGIONS];
	bool ri_ok[FZ_MAX_REGIONS];
	unsigned int nregions;
	uint32_t irq_count[16];
	uint64_t mig_flags;
	uint32_t mig_state;
	int data_fd[FZ_MAX_FDS];
	void *map[FZ_MAX_MAPS];
	size_t map_len[FZ_MAX_MAPS];
	uint64_t log_pgsize;
	uint32_t cfg_id;
};

extern struct fz_dev fz_devs[FZ_MAX_DEVS];
extern int fz_ndevs;

/* ---------------------------------------------------------- operations */

/* Surfaces: what the per-surface counts at the end are grouped by. */
enum fz_surface {
	FZ_S_IOCTL,
	FZ_S_IRQ,
	FZ_S_FEATURE,
	FZ_S_DMALOG,
	FZ_S_REGION,
	FZ_S_MMAP,
	FZ_S_MIG,
	FZ_S_DATAFD,
	FZ_S_STREAM,
	FZ_S_RACE,
	FZ_S_REOPEN,
	FZ_S_VBLK,
	FZ_S_NR,
};

struct fz_op {
	uint8_t dev;
	uint8_t kind;
	uint64_t seed;
};

/* An operation handler: @d is the device, @r seeded from the op's seed. */
typedef void (*fz_op_fn)(struct fz_dev *d, struct fz_rng *r);

/*
 * Operation weights.  A kind's weight is its relative frequency among the
 * operations a fresh program draws for a device that supports it.  The
 * weights follow cost as well as interest: on the debug kernel under TCG
 * (make fuzz, per-kind mean times it prints) an ioctl, a region access or
 * a data_fd read costs 0.1-1 ms, a synchronous virtio-blk request or a
 * migration arc 3-9 ms, and a whole-stream capture or resume, two racing
 * threads or a close and reopen 19-30 ms.  The expensive kinds keep
 * weight 1-2 so every surface is still exercised thousands of times in a
 * 20-minute run, while the cheap ones, where most hostile argument
 * combinations live, get most of the budget.  With equal-cost weights
 * (before 2026-12) the 20-minute run did 650,314 operations; the kinds
 * that found new coverage are kept in the corpus whatever their weight.
 */
struct fz_kind {
	const char *name;
	enum fz_surface surface;
	fz_op_fn fn;
	unsigned int weight;	/* relative frequency in fresh programs */
	bool vblk_only;
	bool mig_only;
};

/* every kind, the per-family tables concatenated at start-up (main.c) */
#define FZ_MAX_KINDS	64
extern struct fz_kind fz_kinds[FZ_MAX_KINDS];
extern unsigned int fz_nkinds;
extern const char * const fz_surface_names[FZ_S_NR];

/* Per-family operation tables (ops_dev.c, ops_mig.c, ops_vblk.c). */
extern const struct fz_kind fz_dev_kinds[];
extern const unsigned int fz_dev_nkinds;
extern const struct fz_kind fz_mig_kinds[];
extern const unsigned int fz_mig_nkinds;
extern const struct fz_kind fz_vblk_kinds[];
extern const unsigned int fz_vblk_nkinds;

/* -------------------------------------------------------------- oracle */

/*
 * A result that proves a bug: print it (with the operation being run)
 * and remember that the run failed.  Does not stop the run: the final
 * report and sanity checks still run unless it is fatal.
 */
void fz_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern volatile int fz_bugs;
extern int fz_verbose;

/* mmap'ed memory may SIGBUS/SIGSEGV: touch it under fz_probe_mem() */
bool fz_probe_mem(volatile const uint8_t *p, bool write);

/* ---------------------------------------------------------- shared bits */

int fz_dev_reopen(struct fz_dev *d, bool closes);
void fz_dev_drop_fds(struct fz_dev *d);
void fz_dev_drop_maps(struct fz_dev *d);
int fz_mig_recover(struct fz_dev *d);
int fz_vblk_up(struct fz_dev *d);
void fz_hold_data_fd(struct fz_dev *d, int fd);
int fz_mig_set(struct fz_dev *d, uint32_t state, int *data_fd);

/* a captured STOP_COPY stream (ops_mig.c) and its source device */
extern uint8_t *fz_capture;
extern size_t fz_capture_len;
extern int fz_capture_dev;

/* ---------------------------------------------------------------- KCOV */

int kcov_init(void);			/* 0: KCOV usable */
bool kcov_on(void);
int kcov_thread_start(void);		/* per thread */
void kcov_thread_stop(void);
void kcov_begin(void);
unsigned int kcov_end(void);		/* new unique PCs since begin */
void kcov_report(void);
uint64_t kcov_total(void);
int kcov_save(const char *path);	/* the unique PCs, for --coverage */
int kcov_load(const char *path);

#endif /* _SVF_FUZZ_H */
