// SPDX-License-Identifier: GPL-2.0
/*
 * svf-fuzz - fuzz every surface a hostile VMM reaches on snapvf's devices.
 *
 * usage: svf-fuzz [options] DEV...
 *   DEV             a VFIO device: PCI address, mdev uuid or sysfs path
 *                   (its IOMMU group is found through sysfs); "vblk:DEV"
 *                   for an SF virtio-blk mdev, which adds the guest-side
 *                   virtio-blk surface (tools/vblk drives it)
 *   --seed N        replay the run of seed N (default: time-based, printed)
 *   --ops N         stop after N operations (default 100000)
 *   --time S        stop after S seconds (default: no limit)
 *   --only K,K      only these operation kinds (names as in the summary)
 *   --prog D:K:S,.. run exactly these operations (device index, kind name,
 *                   seed) and the final checks: a minimised finding
 *   --op-timeout S  watchdog per operation (default 20 s x SVF_TIMEOUT_SCALE)
 *   --pcs-out FILE  with KCOV, save the unique PCs reached to FILE
 *   --shared-ops FILE
 *                   --ops is the budget of every process given FILE
 *                   together (parallel workers; a counter in FILE)
 *   --coverage FILE...
 *                   no fuzzing: the per-module coverage of the union of
 *                   the PCs saved by --pcs-out runs (parallel workers)
 *   -v              print every operation
 *
 * Output is TAP: "1..2", then whether any operation produced a result that
 * proves a bug, then whether every device still works after the run
 * (reset, close/reopen, a known config register, a migration round trip,
 * virtio-blk I/O).  Exit status 0 only when both are ok.
 *
 * With KCOV (/sys/kernel/debug/kcov, the debug test kernel) the loop keeps
 * programs (short operation lists) that reached new PCs and mutates them;
 * without it every program is fresh random.  A run is a function of its
 * seed and, with KCOV, of the coverage the kernel reports.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>

#include "fuzz.h"

struct fz_dev fz_devs[FZ_MAX_DEVS];
int fz_ndevs;
struct fz_kind fz_kinds[FZ_MAX_KINDS];
unsigned int fz_nkinds;
volatile int fz_bugs;
int fz_verbose;

const char * const fz_surface_names[FZ_S_NR] = {
	[FZ_S_IOCTL] = "info/reset ioctls",
	[FZ_S_IRQ] = "SET_IRQS",
	[FZ_S_FEATURE] = "DEVICE_FEATURE",
	[FZ_S_DMALOG] = "DMA logging",
	[FZ_S_REGION] = "region read/write",
	[FZ_S_MMAP] = "mmap",
	[FZ_S_MIG] = "migration arcs",
	[FZ_S_DATAFD] = "data_fd/PRECOPY_INFO",
	[FZ_S_STREAM] = "stream capture/resume",
	[FZ_S_RACE] = "concurrent arcs",
	[FZ_S_REOPEN] = "device close/reopen",
	[FZ_S_VBLK] = "virtio-blk guest side",
};

/* ------------------------------------------------------- current op */

static struct fz_op cur_op;
static uint64_t cur_index;
static volatile double op_started;	/* 0: between operations */
static double op_timeout = 20;

void fz_bug(const char *fmt, ...)
{
	va_list ap;

	printf("# BUG: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n#   in operation %llu: --prog %u:%s:%llu (device %s)\n",
	       (unsigned long long)cur_index, cur_op.dev,
	       cur_op.kind < fz_nkinds ? fz_kinds[cur_op.kind].name : "?",
	       (unsigned long long)cur_op.seed,
	       cur_op.dev < fz_ndevs ? fz_devs[cur_op.dev].name : "?");
	fflush(stdout);
	__atomic_add_fetch(&fz_bugs, 1, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------- watchdog */

static void *watchdog(void *arg)
{
	for (;;) {
		double t = op_started;

		sleep(1);
		if (t && t == op_started && svf_now() - t > op_timeout) {
			printf("# BUG: operation %llu (--prog %u:%s:%llu) still running after %.0f s\n",
			       (unsigned long long)cur_index, cur_op.dev,
			       fz_kinds[cur_op.kind].name,
			       (unsigned long long)cur_op.seed, op_timeout);
			printf("not ok 1 - fuzz: hang\nnot ok 2 - devices work after the run # not reached\n");
			fflush(stdout);
			_exit(1);
		}
	}
	return NULL;
}

/* ------------------------------------------------------- memory probes */

static __thread sigjmp_buf probe_jmp;
static __thread volatile int probing;

static void probe_fault(int sig)
{
	if (probing)
		siglongjmp(probe_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Touch one byte of a device mapping; SIGBUS/SIGSEGV are allowed answers. */
bool fz_probe_mem(volatile const uint8_t *p, bool write)
{
	bool ok = false;

	if (!sigsetjmp(probe_jmp, 1)) {
		probing = 1;
		if (write)
			*(volatile uint8_t *)p = *p;
		else
			(void)*p;
		ok = true;
	}
	probing = 0;
	return ok;
}

/* ------------------------------------------------------------- devices */

void fz_dev_drop_fds(struct fz_dev *d)
{
	int i;

	for (i = 0; i < FZ_MAX_FDS; i++) {
		if (d->data_fd[i] >= 0)
			close(d->data_fd[i]);
		d->data_fd[i] = -1;
	}
}

void fz_dev_drop_maps(struct fz_dev *d)
{
	int i;

	for (i = 0; i < FZ_MAX_MAPS; i++) {
		if (d->map[i])
			munmap(d->map[i], d->map_len[i]);
		d->map[i] = NULL;
	}
}

/* Read what the device reports: info, regions, IRQs, migration. */
static int dev_probe(struct fz_dev *d)
{
	unsigned int i;
	uint32_t id = 0;

	d->info = d->v->info;
	d->nregions = d->info.num_regions < FZ_MAX_REGIONS ?
		      d->info.num_regions : FZ_MAX_REGIONS;
	for (i = 0; i < d->nregions; i++) {
		d->ri_ok[i] = !svf_vfio_region(d->v, i, &d->ri[i]);
		if (!d->ri_ok[i])	/* vfio-pci's layout: index << 40 */
			d->ri[i].offset = (uint64_t)i << 40;
	}
	for (i = 0; i < d->info.num_irqs && i < 16; i++) {
		struct vfio_irq_info ii;

		if (!svf_vfio_irq_info(d->v, i, &ii))
			d->irq_count[i] = ii.count;
	}
	d->mig_flags = 0;
	svf_vfio_mig_flags(d->v, &d->mig_flags);
	d->mig_state = VFIO_DEVICE_STATE_RUNNING;
	if (d->mig_flags)
		svf_vfio_mig_get(d->v, &d->mig_state);
	d->cfg_id = 0;
	if ((d->info.flags & VFIO_DEVICE_FLAGS_PCI) &&
	    d->nregions > VFIO_PCI_CONFIG_REGION_INDEX &&
	    pread(d->v->device, &id, 4,
		  d->ri[VFIO_PCI_CONFIG_REGION_INDEX].offset) == 4)
		d->cfg_id = id;
	return 0;
}

static int dev_open(struct fz_dev *d)
{
	int ret, i;

	for (i = 0; i < FZ_MAX_FDS; i++)
		d->data_fd[i] = -1;
	if (d->kind == FZ_DEV_VBLK) {
		ret = vblk_attach(&d->vb, d->name);
		d->v = &d->vb.v;
		d->vb_ready = false;
	} else {
		ret = svf_vfio_open(&d->own, d->name);
		d->v = &d->own;
	}
	return ret ? ret : dev_probe(d);
}

static void dev_close(struct fz_dev *d)
{
	fz_dev_drop_fds(d);
	fz_dev_drop_maps(d);
	if (d->kind == FZ_DEV_VBLK)
		vblk_close(&d->vb);
	else
		svf_vfio_close(&d->own);
}

/*
 * Close the device fd and open it again (the group and container stay
 * for a generic device; a vblk device is detached and attached whole,
 * guest memory included).  Held data_fds are left to the caller.
 * @closes: no mapping of the device fd is left, so the close really ends
 * the open (a mapping holds the file: then nothing is reset).
 */
int fz_dev_reopen(struct fz_dev *d, bool closes)
{
	int fd;

	if (d->kind == FZ_DEV_VBLK) {
		int saved[FZ_MAX_FDS], i, ret;

		memcpy(saved, d->data_fd, sizeof(saved));
		for (i = 0; i < FZ_MAX_FDS; i++)
			d->data_fd[i] = -1;
		vblk_close(&d->vb);
		ret = vblk_attach(&d->vb, d->name);
		memcpy(d->data_fd, saved, sizeof(saved));
		d->vb_ready = false;
		d->mig_state = VFIO_DEVICE_STATE_RUNNING;
		if (ret) {
			fz_bug("reopening %s failed: %s", d->name, strerror(-ret));
			return ret;
		}
		return 0;
	}
	close(d->v->device);
	fd = ioctl(d->v->group, VFIO_GROUP_GET_DEVICE_FD, d->v->name);
	d->v->device = fd;
	if (fd < 0) {
		fz_bug("reopening %s failed: %s", d->name, strerror(errno));
		return -errno;
	}
	/* a fresh open starts in RUNNING (close_device resets migration) */
	d->mig_state = VFIO_DEVICE_STATE_RUNNING;
	if (d->mig_flags && !svf_vfio_mig_get(d->v, &d->mig_state) &&
	    closes && d->mig_state != VFIO_DEVICE_STATE_RUNNING)
		fz_bug("reopened device is in %s, not RUNNING",
		       svf_mig_state_name(d->mig_state));
	return 0;
}

/* ----------------------------------------------------------- op table */

static void add_kinds(const struct fz_kind *k, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && fz_nkinds < FZ_MAX_KINDS; i++)
		fz_kinds[fz_nkinds++] = k[i];
}

static bool kind_ok(const struct fz_dev *d, const struct fz_kind *k)
{
	if (!k->weight)
		return false;
	if (k->vblk_only && d->kind != FZ_DEV_VBLK)
		return false;
	if (k->mig_only && !d->mig_flags)
		return false;
	return true;
}

static void gen_op(struct fz_rng *r, struct fz_op *op)
{
	unsigned int total = 0, i, pick;
	struct fz_dev *d;

	op->dev = fz_below(r, fz_ndevs);
	d = &fz_devs[op->dev];
	for (i = 0; i < fz_nkinds; i++)
		total += kind_ok(d, &fz_kinds[i]) ? fz_kinds[i].weight : 0;
	pick = fz_below(r, total);
	for (i = 0; i < fz_nkinds; i++) {
		if (!kind_ok(d, &fz_kinds[i]))
			continue;
		if (pick < fz_kinds[i].weight)
			break;
		pick -= fz_kinds[i].weight;
	}
	op->kind = i < fz_nkinds ? i : 0;
	op->seed = fz_next(r);
}

static uint64_t kind_count[FZ_MAX_KINDS];
static double kind_time[FZ_MAX_KINDS];
static uint64_t surface_count[FZ_S_NR];
static uint64_t total_ops;

/* Can @op run here (a mutated program may name a kind its device lacks)? */
static bool op_runnable(const struct fz_op *op)
{
	return op->dev < fz_ndevs && op->kind < fz_nkinds &&
	       kind_ok(&fz_devs[op->dev], &fz_kinds[op->kind]);
}

/* Does any operation kind apply to any device? */
static bool any_runnable(void)
{
	struct fz_op op;

	for (op.dev = 0; op.dev < fz_ndevs; op.dev++)
		for (op.kind = 0; op.kind < fz_nkinds; op.kind++)
			if (op_runnable(&op))
				return true;
	return false;
}

/* --only K,K: every other kind gets weight 0; an unknown name is an error. */
static int restrict_kinds(const char *only)
{
	bool keep[FZ_MAX_KINDS] = { false };
	const char *p = only;
	unsigned int i;
	size_t l;

	while (*p) {
		l = strcspn(p, ",");
		for (i = 0; i < fz_nkinds; i++)
			if (strlen(fz_kinds[i].name) == l && !strncmp(p, fz_kinds[i].name, l))
				break;
		if (i == fz_nkinds) {
			fprintf(stderr, "svf-fuzz: --only: no operation kind '%.*s'\n", (int)l, p);
			return -EINVAL;
		}
		keep[i] = true;
		p += l + (p[l] == ',');
	}
	for (i = 0; i < fz_nkinds; i++)
		if (!keep[i])
			fz_kinds[i].weight = 0;
	return 0;
}

/* Run one runnable operation; returns the new PCs it reached (0 without KCOV). */
static unsigned int run_op(const struct fz_op *op)
{
	const struct fz_kind *k = &fz_kinds[op->kind];
	struct fz_dev *d = &fz_devs[op->dev];
	struct fz_rng r;
	unsigned int fresh;

	cur_op = *op;
	cur_index = total_ops;
	if (fz_verbose)
		printf("# op %llu: %u:%s:%llu\n", (unsigned long long)total_ops,
		       op->dev, k->name, (unsigned long long)op->seed);
	fz_seed(&r, op->seed);
	op_started = svf_now();
	kcov_begin();
	k->fn(d, &r);
	fresh = kcov_end();
	kind_time[op->kind] += svf_now() - op_started;
	op_started = 0;
	kind_count[op->kind]++;
	surface_count[k->surface]++;
	total_ops++;
	return fresh;
}

/*
 * The operation budget, optionally shared by parallel workers: a counter
 * in a file every worker maps; each claims one operation before running
 * it, so the faster worker takes a larger share and all stop together.
 */
static uint64_t *shared_ops;

static int share_ops(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	void *p;

	if (fd < 0 || ftruncate(fd, sizeof(uint64_t))) {
		fprintf(stderr, "svf-fuzz: %s: %s\n", path, strerror(errno));
		return -1;
	}
	p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "svf-fuzz: mmap %s: %s\n", path, strerror(errno));
		return -1;
	}
	shared_ops = p;
	return 0;
}

/* May one more operation run?  Claims it from the shared budget. */
static bool claim_op(uint64_t max_ops)
{
	if (!shared_ops)
		return total_ops < max_ops;
	if (__atomic_fetch_add(shared_ops, 1, __ATOMIC_RELAXED) < max_ops)
		return true;
	return false;
}

/* ------------------------------------------------------------- corpus */

struct prog {
	unsigned int n;
	struct fz_op op[FZ_PROG_LEN];
};

#define CORPUS_MAX	4096
static struct prog *corpus;
static unsigned int ncorpus;

static void mutate(struct fz_rng *r, struct prog *p)
{
	unsigned int i, rounds = 1 + fz_below(r, 3);

	while (rounds--) {
		i = fz_below(r, p->n);
		switch (fz_below(r, 7)) {
		case 0:		/* a fresh seed */
			p->op[i].seed = fz_next(r);
			break;
		case 1:		/* a nearby seed: small change of the arguments */
			p->op[i].seed ^= 1ULL << fz_below(r, 64);
			break;
		case 2:		/* insert a fresh op */
			if (p->n < FZ_PROG_LEN) {
				memmove(&p->op[i + 1], &p->op[i], (p->n - i) * sizeof(p->op[0]));
				gen_op(r, &p->op[i]);
				p->n++;
			}
			break;
		case 3:		/* delete */
			if (p->n > 1) {
				memmove(&p->op[i], &p->op[i + 1], (p->n - i - 1) * sizeof(p->op[0]));
				p->n--;
			}
			break;
		case 4:		/* duplicate (repeat an op: replays, double closes) */
			if (p->n < FZ_PROG_LEN) {
				memmove(&p->op[i + 1], &p->op[i], (p->n - i) * sizeof(p->op[0]));
				p->n++;
			}
			break;
		case 5:		/* splice in the tail of another program */
			if (ncorpus) {
				const struct prog *o = &corpus[fz_below(r, ncorpus)];
				unsigned int j = fz_below(r, o->n);

				while (j < o->n && i < FZ_PROG_LEN)
					p->op[i++] = o->op[j++];
				if (i > p->n)
					p->n = i;
			}
			break;
		default:	/* another device */
			p->op[i].dev = fz_below(r, fz_ndevs);
			break;
		}
	}
}

/* ------------------------------------------------------- final checks */

/* Every device still works: reset, reopen, config id, migration, I/O. */
static int sanity(void)
{
	int i, bad = 0;

	for (i = 0; i < fz_ndevs; i++) {
		struct fz_dev *d = &fz_devs[i];
		struct vfio_device_info info = { .argsz = sizeof(info) };
		uint32_t id = 0;
		const char *why = NULL;

		fz_dev_drop_fds(d);
		fz_dev_drop_maps(d);
		if (fz_mig_recover(d))
			why = "cannot return to RUNNING";
		else if ((d->info.flags & VFIO_DEVICE_FLAGS_RESET) &&
			 ioctl(d->v->device, VFIO_DEVICE_RESET))
			why = "VFIO_DEVICE_RESET fails";
		else if (fz_dev_reopen(d, true))
			why = "close/reopen fails";
		else if (ioctl(d->v->device, VFIO_DEVICE_GET_INFO, &info) ||
			 info.num_regions != d->info.num_regions)
			why = "GET_INFO fails or changed";
		else if (d->cfg_id &&
			 (pread(d->v->device, &id, 4,
				d->ri[VFIO_PCI_CONFIG_REGION_INDEX].offset) != 4 ||
			  id != d->cfg_id))
			why = "config space vendor/device id changed";
		if (!why && d->mig_flags) {
			uint8_t *keep = fz_capture;
			size_t keep_len = fz_capture_len;
			int keep_dev = fz_capture_dev, fd = -1;
			ssize_t n;

			fz_capture = NULL;
			fz_capture_len = 0;
			/* a save of the device loads back into it */
			if (fz_mig_set(d, VFIO_DEVICE_STATE_STOP, NULL) ||
			    fz_mig_set(d, VFIO_DEVICE_STATE_STOP_COPY, &fd) || fd < 0) {
				why = "cannot start a STOP_COPY session";
			} else {
				size_t cap = 1 << 20, len = 0;
				uint8_t *s = malloc(cap);

				while (s && (n = read(fd, s + len, cap - len)) > 0) {
					len += n;
					if (len == cap) {
						uint8_t *ns = realloc(s, cap * 2);

						if (!ns)
							break;
						s = ns;
						cap *= 2;
					}
				}
				close(fd);
				fd = -1;
				if (!s || n < 0 || len < 32) {
					why = "STOP_COPY read fails";
				} else if (fz_mig_set(d, VFIO_DEVICE_STATE_STOP, NULL) ||
					   fz_mig_set(d, VFIO_DEVICE_STATE_RESUMING, &fd) ||
					   fd < 0 || svf_write_all(fd, s, len) ||
					   fz_mig_set(d, VFIO_DEVICE_STATE_STOP, NULL) ||
					   fz_mig_set(d, VFIO_DEVICE_STATE_RUNNING, NULL)) {
					why = "its own saved state does not load back";
				}
				if (fd >= 0)
					close(fd);
				free(s);
			}
			free(fz_capture);
			fz_capture = keep;
			fz_capture_len = keep_len;
			fz_capture_dev = keep_dev;
		}
		if (!why && d->kind == FZ_DEV_VBLK) {
			char idstr[VIRTIO_BLK_ID_BYTES + 1];
			uint8_t *buf = malloc(4096);

			d->vb_ready = false;
			if (!buf || fz_vblk_up(d)) {
				why = "virtio-blk driver init fails";
			} else {
				vblk_pattern(buf, 4096, 8, 77);
				if (vblk_rw(&d->vb, 0, VIRTIO_BLK_T_OUT, 8, buf, 4096) ||
				    (memset(buf, 0, 4096),
				     vblk_rw(&d->vb, 0, VIRTIO_BLK_T_IN, 8, buf, 4096)) ||
				    vblk_check_pattern(buf, 4096, 8, 77) >= 0)
					why = "virtio-blk write/read back fails";
				else if (vblk_get_id(&d->vb, idstr))
					why = "virtio-blk GET_ID fails";
			}
			free(buf);
		}
		if (why) {
			printf("# device %s: %s\n", d->name, why);
			bad++;
		}
	}
	return bad;
}

/* ---------------------------------------------------------------- main */

static int parse_prog(const char *s, struct prog *p)
{
	char name[64];
	unsigned int dev, i;
	unsigned long long seed;
	int used;

	p->n = 0;
	while (*s && p->n < FZ_PROG_LEN) {
		if (sscanf(s, "%u:%63[^:]:%llu%n", &dev, name, &seed, &used) != 3)
			return -EINVAL;
		for (i = 0; i < fz_nkinds && strcmp(fz_kinds[i].name, name); i++)
			;
		if (i == fz_nkinds)
			return -EINVAL;
		p->op[p->n].dev = dev;
		p->op[p->n].kind = i;
		p->op[p->n].seed = seed;
		p->n++;
		s += used;
		if (*s == ',')
			s++;
	}
	return p->n ? 0 : -EINVAL;
}

static void usage(void)
{
	fprintf(stderr, "usage: svf-fuzz [--seed N] [--ops N] [--time S] [--only K,..] [--prog D:K:S,..] [--op-timeout S] [--pcs-out FILE] [--shared-ops FILE] [-v] DEV|vblk:DEV...\n"
			"       svf-fuzz --coverage FILE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "time", required_argument, NULL, 't' },
		{ "only", required_argument, NULL, 'o' },
		{ "prog", required_argument, NULL, 'p' },
		{ "op-timeout", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "pcs-out", required_argument, NULL, 'P' },
		{ "shared-ops", required_argument, NULL, 'S' },
		{ "coverage", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 0, max_ops = 100000;
	double max_time = 0, start, elapsed;
	const char *only = NULL, *progarg = NULL, *scale, *pcs_out = NULL;
	bool have_seed = false, coverage = false;
	struct fz_rng r;
	struct prog p;
	pthread_t wd;
	unsigned int i;
	int c, bad;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			have_seed = true;
			break;
		case 'n':
			max_ops = strtoull(optarg, NULL, 0);
			break;
		case 't':
			max_time = atof(optarg);
			break;
		case 'o':
			only = optarg;
			break;
		case 'p':
			progarg = optarg;
			break;
		case 'w':
			op_timeout = atof(optarg);
			break;
		case 'v':
			fz_verbose = 1;
			break;
		case 'P':
			pcs_out = optarg;
			break;
		case 'S':
			if (share_ops(optarg))
				return 1;
			break;
		case 'C':
			coverage = true;
			break;
		default:
			usage();
		}
	}
	if (coverage) {
		if (optind == argc)
			usage();
		for (; optind < argc; optind++) {
			c = kcov_load(argv[optind]);
			if (c) {
				fprintf(stderr, "svf-fuzz: %s: %s\n", argv[optind], strerror(-c));
				return 1;
			}
		}
		kcov_report();
		return 0;
	}
	if (optind == argc || argc - optind > FZ_MAX_DEVS)
		usage();
	scale = getenv("SVF_TIMEOUT_SCALE");
	if (scale && atoi(scale) > 0)
		op_timeout *= atoi(scale);
	if (!have_seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

	add_kinds(fz_dev_kinds, fz_dev_nkinds);
	add_kinds(fz_mig_kinds, fz_mig_nkinds);
	add_kinds(fz_vblk_kinds, fz_vblk_nkinds);
	if (only && restrict_kinds(only))
		return 2;

	printf("TAP version 13\n1..2\n");
	printf("# seed %llu (replay: --seed %llu)\n", (unsigned long long)seed,
	       (unsigned long long)seed);
	signal(SIGBUS, probe_fault);
	signal(SIGSEGV, probe_fault);
	signal(SIGPIPE, SIG_IGN);

	for (; optind < argc; optind++) {
		struct fz_dev *d = &fz_devs[fz_ndevs];
		const char *a = argv[optind];
		int ret;

		d->kind = strncmp(a, "vblk:", 5) ? FZ_DEV_GENERIC : FZ_DEV_VBLK;
		d->name = d->kind == FZ_DEV_VBLK ? a + 5 : a;
		ret = dev_open(d);
		if (ret) {
			printf("not ok 1 - fuzz: cannot open %s: %s\n", a, strerror(-ret));
			printf("not ok 2 - devices work after the run # not reached\n");
			return 1;
		}
		printf("# device %d: %s%s: %u regions, %u irqs, migration flags %#llx, group %d\n",
		       fz_ndevs, d->kind == FZ_DEV_VBLK ? "virtio-blk " : "", d->name,
		       d->info.num_regions, d->info.num_irqs,
		       (unsigned long long)d->mig_flags, d->v->group_id);
		fz_ndevs++;
	}

	if (!progarg && !any_runnable()) {
		printf("not ok 1 - fuzz: no operation kind applies to the devices given\n"
		       "not ok 2 - devices work after the run # not reached\n");
		return 1;
	}
	if (kcov_init() == 0 && kcov_thread_start() == 0)
		printf("# KCOV: on, coverage-guided (corpus of operation programs)\n");
	else
		printf("# KCOV: not available, pure random operations (no coverage feedback)\n");
	corpus = calloc(CORPUS_MAX, sizeof(*corpus));
	if (!corpus)
		return 1;
	pthread_create(&wd, NULL, watchdog, NULL);

	fz_seed(&r, seed);
	start = svf_now();
	if (progarg) {
		if (parse_prog(progarg, &p)) {
			printf("not ok 1 - fuzz: bad --prog\nnot ok 2 - devices work after the run # not reached\n");
			return 1;
		}
		for (i = 0; i < p.n; i++) {
			if (!op_runnable(&p.op[i])) {
				printf("not ok 1 - fuzz: --prog operation %u does not apply to its device\n"
				       "not ok 2 - devices work after the run # not reached\n", i);
				return 1;
			}
			run_op(&p.op[i]);
		}
	}
	while (!progarg && (shared_ops ? *(volatile uint64_t *)shared_ops < max_ops :
					  total_ops < max_ops) &&
	       (!max_time || svf_now() - start < max_time)) {
		unsigned int fresh = 0;

		if (kcov_on() && ncorpus && fz_chance(&r, 80)) {
			p = corpus[fz_below(&r, ncorpus)];
			mutate(&r, &p);
		} else {
			p.n = 1 + fz_below(&r, FZ_PROG_LEN);
			for (i = 0; i < p.n; i++)
				gen_op(&r, &p.op[i]);
		}
		/* only operations that run take from the budget */
		for (i = 0; i < p.n; i++) {
			if (!op_runnable(&p.op[i]))
				continue;
			if (!claim_op(max_ops))
				break;
			fresh += run_op(&p.op[i]);
		}
		if (fresh) {
			if (ncorpus < CORPUS_MAX)
				corpus[ncorpus++] = p;
			else
				corpus[fz_below(&r, CORPUS_MAX)] = p;
		}
	}
	elapsed = svf_now() - start;

	printf("# %llu operations in %.1f s: %.0f ops/s\n",
	       (unsigned long long)total_ops, elapsed,
	       elapsed > 0 ? total_ops / elapsed : 0.0);
	for (i = 0; i < FZ_S_NR; i++)
		if (surface_count[i])
			printf("#   %-24s %10llu\n", fz_surface_names[i],
			       (unsigned long long)surface_count[i]);
	printf("# per operation kind (count, mean time):\n");
	for (i = 0; i < fz_nkinds; i++)
		if (kind_count[i])
			printf("#   %-14s %9llu %8.0f us\n", fz_kinds[i].name,
			       (unsigned long long)kind_count[i],
			       1e6 * kind_time[i] / kind_count[i]);
	if (kcov_on())
		printf("# corpus: %u programs\n", ncorpus);
	kcov_report();
	if (pcs_out && kcov_on()) {
		c = kcov_save(pcs_out);
		if (c)
			printf("# cannot save the PCs to %s: %s\n", pcs_out, strerror(-c));
	}

	if (fz_bugs)
		printf("not ok 1 - fuzz: %d results that prove a bug (seed %llu)\n",
		       fz_bugs, (unsigned long long)seed);
	else if (!total_ops && max_ops)
		printf("not ok 1 - fuzz: no operation ran\n");
	else
		printf("ok 1 - fuzz: %llu operations, no contract violation\n",
		       (unsigned long long)total_ops);
	c = fz_bugs;
	cur_op.kind = 0;
	op_started = svf_now();
	bad = sanity() + (fz_bugs - c);	/* contract violations count too */
	op_started = 0;
	if (bad)
		printf("not ok 2 - devices work after the run (%d problems)\n", bad);
	else
		printf("ok 2 - devices work after the run\n");
	for (c = 0; c < fz_ndevs; c++)
		dev_close(&fz_devs[c]);
	kcov_thread_stop();
	return fz_bugs || bad ? 1 : 0;
}
