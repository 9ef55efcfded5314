// SPDX-License-Identifier: GPL-2.0
/*
 * svf-vmm - a small VMM-like VFIO client.
 *
 * Opens the group, a type1 container and the device fd of a PCI function
 * or an mdev, maps DMA memory, reads and writes BARs and config space, and
 * runs the VFIO v2 migration protocol: save to a file or pipe (optionally
 * with PRE_COPY rounds first), resume from a file or pipe, or migrate
 * directly from one function to another.  Prints key=value lines so that
 * scripts can parse them.
 *
 * Every open of a SNAP PF finds it reset (nothing of one user reaches
 * the next), so state written in one run is gone in the next: --fill puts
 * state in before the command, --hash and --exec look at it afterwards,
 * all while the device is still open.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>
#include "svf_vfio.h"

#define MIB (1024.0 * 1024.0)

static struct {
	uint64_t dma_size;	/* --dma: bytes of DMA memory mapped at iova 0 */
	int precopy;		/* --precopy: PRE_COPY rounds before STOP_COPY */
	int touch_bar;		/* --touch BAR: change BAR memory between rounds */
	int verify_bar;		/* --verify BAR: compare src and dst BARs */
	size_t chunk;		/* --chunk: data_fd read size */
	int use_mmap;		/* --mmap: BAR access through mmap, not pread */
	int timeout;		/* --timeout: seconds for watch-req */
	uint64_t seed;		/* --seed: pattern seed for fill */
	int fill_bar;		/* --fill BAR: fill it before the command */
	int hash_bar;		/* --hash BAR: hash it after the command */
	const char *exec;	/* --exec CMD: run it after the command */
	int stream_stdout;	/* save to "-": stdout carries the stream */
} opt = { .verify_bar = -1, .touch_bar = -1, .chunk = 1 << 20,
	  .timeout = 30, .seed = 1, .fill_bar = -1, .hash_bar = -1 };

static void usage(FILE *f)
{
	fputs(
"usage: svf-vmm [options] COMMAND DEV [ARGS]\n"
"  DEV is a PCI address (0000:00:03.0), an mdev uuid or a sysfs path.\n"
"  Every open of a SNAP PF finds it reset: what one run writes there is\n"
"  gone in the next.  Use --fill, --hash and --exec to act on it in one run.\n"
"commands:\n"
"  info DEV                     device, regions, IRQs, migration flags/state\n"
"  cfg-read DEV OFF [LEN]       read config space (trapped), hex dump\n"
"  bar-read DEV BAR OFF LEN     read a BAR (pread, or --mmap), hex dump\n"
"  bar-write DEV BAR OFF HEX    write bytes given as hex (e.g. deadbeef,\n"
"                               trapped), read them back (pread, or --mmap)\n"
"  fill DEV BAR                 fill a BAR with a pattern from --seed\n"
"  hash DEV BAR                 print an FNV-1a hash of a BAR's contents\n"
"                               and how many of its bytes are not zero\n"
"  save DEV FILE|-              RUNNING -> [PRE_COPY rounds] -> STOP_COPY ->\n"
"                               STOP, state written to FILE or stdout\n"
"  load DEV FILE|-              RESUMING <- FILE or stdin, -> STOP -> RUNNING\n"
"  migrate SRC DST              save SRC straight into DST (no file)\n"
"  watch-req DEV                hold the fd, wait for the VFIO request IRQ,\n"
"                               then show that further calls fail\n"
"  bench-cfg DEV N              N trapped 4-byte config reads, ns per read\n"
"  bench-bar DEV BAR N          N trapped 4-byte BAR reads, ns per read\n"
"options:\n"
"  --dma SIZE      map SIZE bytes of DMA memory at iova 0 (e.g. 64M)\n"
"  --precopy N     N PRE_COPY rounds before STOP_COPY (save, migrate)\n"
"  --touch BAR     rewrite part of BAR between PRE_COPY rounds\n"
"  --verify BAR    migrate: compare SRC and DST BAR byte for byte\n"
"  --chunk SIZE    data_fd read size (default 1M)\n"
"  --mmap          access BARs through mmap instead of pread/pwrite\n"
"  --seed N        pattern seed for fill/--fill/--touch (default 1)\n"
"  --fill BAR      fill DEV's BAR with the --seed pattern right after\n"
"                  opening it, before COMMAND (save, migrate, hash...)\n"
"  --hash BAR      after COMMAND, hash DEV's BAR (migrate: SRC's and DST's)\n"
"  --exec CMD      after COMMAND, run CMD with sh -c while the device(s)\n"
"                  are still open (stdout: stderr if it carries a stream);\n"
"                  svf-vmm fails if CMD does\n"
"  --timeout S     watch-req timeout in seconds (default 30)\n"
"  -h, --help      this text\n", f);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'g': case 'G':
		v <<= 10;
		/* fall through */
	case 'm': case 'M':
		v <<= 10;
		/* fall through */
	case 'k': case 'K':
		v <<= 10;
	}
	return v;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "svf-vmm: %s: %s\n", what, strerror(-err));
	return 1;
}

static void hexdump(const uint8_t *p, size_t len, uint64_t base)
{
	size_t i;

	for (i = 0; i < len; i++)
		printf("%s%02x%s", i % 16 ? "" : "", p[i],
		       (i % 16 == 15 || i + 1 == len) ? "\n" : " ");
	(void)base;
}

static uint64_t fnv1a(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void pattern(void *p, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1, *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		q[i] = x;
	}
}

/* Read (or write) part of a BAR through mmap or pread/pwrite. */
static int bar_range(struct svf_vfio *v, int bar, uint64_t off, void *buf,
		     size_t len, int write)
{
	size_t size;
	uint8_t *m;
	ssize_t n;

	if (opt.use_mmap) {
		m = svf_vfio_mmap(v, bar, &size);
		if (!m)
			return svf_err();
		if (off > size || len > size - off) {
			munmap(m, size);
			return -EINVAL;
		}
		if (write)
			memcpy(m + off, buf, len);
		else
			memcpy(buf, m + off, len);
		munmap(m, size);
		return 0;
	}
	n = svf_vfio_rw(v, bar, off, buf, len, write);
	return n < 0 ? (int)n : 0;
}

/* Read (or write) a whole BAR through mmap or pread/pwrite. */
static int bar_io(struct svf_vfio *v, int bar, void *buf, size_t len,
		  int write)
{
	return bar_range(v, bar, 0, buf, len, write);
}

static int bar_size(struct svf_vfio *v, int bar, size_t *size)
{
	struct vfio_region_info ri;
	int ret;

	ret = svf_vfio_region(v, bar, &ri);
	if (ret)
		return ret;
	if (!ri.size)
		return -ENOENT;
	*size = ri.size;
	return 0;
}

static int cmd_info(struct svf_vfio *v, const char *dev)
{
	struct vfio_region_info ri;
	struct vfio_irq_info ii;
	char drv[64];
	uint64_t flags, size;
	uint32_t state;
	unsigned int i;

	svf_vfio_driver_of(dev, drv, sizeof(drv));
	printf("device=%s group=%d driver=%s flags=0x%x regions=%u irqs=%u\n",
	       v->name, v->group_id, drv, v->info.flags, v->info.num_regions,
	       v->info.num_irqs);
	for (i = 0; i < v->info.num_regions; i++) {
		if (svf_vfio_region(v, i, &ri) || !ri.size)
			continue;
		printf("region=%u size=0x%llx offset=0x%llx flags=0x%x%s\n", i,
		       (unsigned long long)ri.size,
		       (unsigned long long)ri.offset, ri.flags,
		       ri.flags & VFIO_REGION_INFO_FLAG_MMAP ? " mmap" : "");
	}
	for (i = 0; i < v->info.num_irqs; i++) {
		if (svf_vfio_irq_info(v, i, &ii))
			continue;
		printf("irq=%u count=%u flags=0x%x\n", i, ii.count, ii.flags);
	}
	if (svf_vfio_mig_flags(v, &flags)) {
		printf("migration=none\n");
		return 0;
	}
	printf("migration=0x%" PRIx64 "%s%s%s\n", flags,
	       flags & VFIO_MIGRATION_STOP_COPY ? " stop_copy" : "",
	       flags & VFIO_MIGRATION_P2P ? " p2p" : "",
	       flags & VFIO_MIGRATION_PRE_COPY ? " pre_copy" : "");
	if (!svf_vfio_mig_get(v, &state))
		printf("mig_state=%s\n", svf_mig_state_name(state));
	if (!svf_vfio_mig_data_size(v, &size))
		printf("mig_data_size=%" PRIu64 "\n", size);
	return 0;
}

static int cmd_cfg_read(struct svf_vfio *v, int argc, char **argv)
{
	uint64_t off = argc > 0 ? strtoull(argv[0], NULL, 0) : 0;
	size_t len = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	uint8_t buf[4096];
	ssize_t n;

	if (len > sizeof(buf))
		len = sizeof(buf);
	n = svf_vfio_read(v, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len);
	if (n < 0)
		return fail("config read", n);
	hexdump(buf, len, off);
	return 0;
}

static int cmd_bar_read(struct svf_vfio *v, int argc, char **argv)
{
	int bar, ret;
	uint64_t off;
	size_t len, size;
	uint8_t *buf;

	if (argc < 3)
		return fail("bar-read needs BAR OFF LEN", -EINVAL);
	bar = atoi(argv[0]);
	off = strtoull(argv[1], NULL, 0);
	len = parse_size(argv[2]);
	ret = bar_size(v, bar, &size);
	if (ret)
		return fail("bar", ret);
	if (off > size || len > size - off)
		return fail("range", -EINVAL);
	buf = malloc(len ? len : 1);
	if (!buf)
		return fail("malloc", -ENOMEM);
	ret = bar_range(v, bar, off, buf, len, 0);
	if (!ret)
		hexdump(buf, len, off);
	free(buf);
	return ret ? fail("bar read", ret) : 0;
}

/*
 * Write bytes (trapped), then read them back in the same open (pread, or
 * --mmap): the next open of a SNAP function finds it reset, so a second
 * run could not read them.
 */
static int cmd_bar_write(struct svf_vfio *v, int argc, char **argv)
{
	uint8_t buf[256], back[256];
	uint64_t off;
	size_t len, i;
	ssize_t n;
	int bar, ret;

	if (argc < 3 || strlen(argv[2]) % 2 || strlen(argv[2]) / 2 > sizeof(buf))
		return fail("bar-write needs BAR OFF HEXBYTES", -EINVAL);
	bar = atoi(argv[0]);
	off = strtoull(argv[1], NULL, 0);
	len = strlen(argv[2]) / 2;
	for (i = 0; i < len; i++)
		sscanf(argv[2] + 2 * i, "%2hhx", &buf[i]);
	n = svf_vfio_write(v, bar, off, buf, len);
	if (n < 0)
		return fail("bar write", n);
	printf("written=%zd\n", n);
	ret = bar_range(v, bar, off, back, len, 0);
	if (ret)
		return fail("bar read back", ret);
	printf("readback=");
	for (i = 0; i < len; i++)
		printf("%02x", back[i]);
	printf("\n");
	return 0;
}

static size_t nonzero_bytes(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t n = 0;

	while (len--)
		n += !!*b++;
	return n;
}

/*
 * Fill a whole BAR with the --seed pattern, or hash it.  Prints
 * "[PREFIX]bar=N size=S hash=H" (hash: and nonzero_bytes=K) to @f.
 */
static int fill_hash(struct svf_vfio *v, int bar, int fill, FILE *f,
		     const char *prefix)
{
	size_t size;
	void *buf;
	int ret;

	ret = bar_size(v, bar, &size);
	if (ret)
		return fail("bar", ret);
	buf = malloc(size);
	if (!buf)
		return fail("malloc", -ENOMEM);
	if (fill)
		pattern(buf, size, opt.seed);
	ret = bar_io(v, bar, buf, size, fill);
	if (!ret && fill)
		fprintf(f, "%sbar=%d size=%zu hash=%016" PRIx64 "\n", prefix,
			bar, size, fnv1a(buf, size));
	else if (!ret)
		fprintf(f, "%sbar=%d size=%zu hash=%016" PRIx64
			" nonzero_bytes=%zu\n", prefix, bar, size,
			fnv1a(buf, size), nonzero_bytes(buf, size));
	free(buf);
	return ret ? fail("bar io", ret) : 0;
}

/* the fill and hash commands */
static int cmd_fill_hash(struct svf_vfio *v, int argc, char **argv, int fill)
{
	if (argc < 1)
		return fail("needs BAR", -EINVAL);
	return fill_hash(v, atoi(argv[0]), fill, stdout, "");
}

/* Change a slice of a BAR between pre-copy rounds (the device "in use"). */
static void touch(struct svf_vfio *v, int round)
{
	size_t size, len;
	void *buf;

	if (opt.touch_bar < 0 || bar_size(v, opt.touch_bar, &size))
		return;
	len = size / 8 < 65536 ? size / 8 : 65536;
	buf = malloc(len);
	if (!buf)
		return;
	pattern(buf, len, opt.seed + 1000 + round);
	svf_vfio_write(v, opt.touch_bar, (round * len) % size, buf, len);
	free(buf);
}

/**
 * do_save() - run the source side of the protocol
 * @v: source device (RUNNING)
 * @out: fd receiving the stream (-1: discard)
 *
 * Prints per-round sizes, the STOP_COPY size and the downtime (from leaving
 * RUNNING/PRE_COPY until STOP).  Leaves the device in STOP.
 */
static int do_save(struct svf_vfio *v, int out)
{
	uint64_t flags, initial, dirty, total = 0;
	double t0, t_stop, t_end;
	int fd = -1, r, ret;
	int64_t n;

	ret = svf_vfio_mig_flags(v, &flags);
	if (ret)
		return fail("migration feature", ret);
	t0 = svf_now();
	if (opt.precopy && (flags & VFIO_MIGRATION_PRE_COPY)) {
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_PRE_COPY, &fd);
		if (ret)
			return fail("-> PRE_COPY", ret);
		for (r = 0; r < opt.precopy; r++) {
			ret = svf_vfio_precopy_info(fd, &initial, &dirty);
			if (ret)
				goto out_err;
			n = svf_mig_copy(fd, out, initial + dirty, opt.chunk);
			if (n < 0) {
				ret = n;
				goto out_err;
			}
			total += n;
			fprintf(stderr, "precopy_round=%d initial=%" PRIu64
				" dirty=%" PRIu64 " bytes=%" PRId64 "\n", r,
				initial, dirty, n);
			touch(v, r);
		}
	} else if (opt.precopy) {
		fprintf(stderr, "svf-vmm: device has no PRE_COPY, skipping\n");
	}
	t_stop = svf_now();
	if (fd < 0)
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	else
		ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP_COPY, NULL);
	if (ret)
		goto out_err;
	n = svf_mig_copy(fd, out, 0, opt.chunk);
	if (n < 0) {
		ret = n;
		goto out_err;
	}
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	if (ret)
		goto out_err;
	t_end = svf_now();
	close(fd);
	total += n;
	fprintf(stderr, "stop_copy_bytes=%" PRId64 " total_bytes=%" PRIu64
		" downtime_ms=%.3f total_ms=%.3f MBps=%.1f\n", n, total,
		(t_end - t_stop) * 1e3, (t_end - t0) * 1e3,
		total / MIB / (t_end - t0));
	return 0;
out_err:
	if (fd >= 0)
		close(fd);
	return fail("save", ret);
}

static int do_load(struct svf_vfio *v, int in)
{
	double t0, t1;
	int fd, ret;
	int64_t n;

	t0 = svf_now();
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_RESUMING, &fd);
	if (ret)
		return fail("-> RESUMING", ret);
	n = svf_mig_copy(in, fd, 0, opt.chunk);
	close(fd);
	if (n < 0)
		return fail("load stream", n);
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	if (ret)
		return fail("RESUMING -> STOP", ret);
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_RUNNING, NULL);
	if (ret)
		return fail("STOP -> RUNNING", ret);
	t1 = svf_now();
	fprintf(stderr, "loaded_bytes=%" PRId64 " load_ms=%.3f\n", n,
		(t1 - t0) * 1e3);
	return 0;
}

static int open_file(const char *name, int write)
{
	if (!strcmp(name, "-"))
		return write ? 1 : 0;
	return open(name, write ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY,
		    0644);
}

static int verify(struct svf_vfio *a, struct svf_vfio *b, int bar)
{
	size_t sa, sb;
	void *ba, *bb;
	int ret;

	if (bar_size(a, bar, &sa) || bar_size(b, bar, &sb) || sa != sb)
		return fail("verify: BAR sizes differ", -EINVAL);
	ba = malloc(sa);
	bb = malloc(sb);
	ret = (!ba || !bb) ? -ENOMEM : bar_io(a, bar, ba, sa, 0);
	if (!ret)
		ret = bar_io(b, bar, bb, sb, 0);
	if (!ret) {
		ret = memcmp(ba, bb, sa) ? -EILSEQ : 0;
		printf("verify bar=%d size=%zu %s src_hash=%016" PRIx64
		       " dst_hash=%016" PRIx64 " nonzero_bytes=%zu\n", bar, sa,
		       ret ? "MISMATCH" : "identical", fnv1a(ba, sa),
		       fnv1a(bb, sb), nonzero_bytes(ba, sa));
	} else {
		printf("verify bar=%d size=%zu unreadable\n", bar, sa);
	}
	free(ba);
	free(bb);
	return ret ? 1 : 0;
}

/*
 * After a successful command, with the device(s) still open: --hash, then
 * --exec.  The next open would find a SNAP function reset.
 */
static int after_command(struct svf_vfio *v, struct svf_vfio *dst)
{
	FILE *f = opt.stream_stdout ? stderr : stdout;
	int ret, status;
	pid_t pid;

	if (opt.hash_bar >= 0) {
		ret = fill_hash(v, opt.hash_bar, 0, f, dst ? "hash src " : "hash ");
		if (!ret && dst)
			ret = fill_hash(dst, opt.hash_bar, 0, f, "hash dst ");
		if (ret)
			return ret;
	}
	if (!opt.exec)
		return 0;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return fail("fork", svf_err());
	if (pid == 0) {
		/* CMD gets no VFIO fd: the devices close when svf-vmm exits */
		if (opt.stream_stdout)
			dup2(2, 1);
		closefrom(3);
		execl("/bin/sh", "sh", "-c", opt.exec, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return fail("--exec", svf_err());
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "svf-vmm: --exec: %s: status 0x%x\n", opt.exec,
			status);
		return 1;
	}
	return 0;
}

static int cmd_migrate(struct svf_vfio *src, const char *dst_name)
{
	struct svf_vfio dst;
	int p[2], ret, dfd, status;
	pid_t pid;

	ret = svf_vfio_open(&dst, dst_name);
	if (ret)
		return fail(dst_name, ret);
	if (pipe(p)) {
		svf_vfio_close(&dst);
		return fail("pipe", svf_err());
	}
	/* The destination consumes the stream as it is produced. */
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(do_load(&dst, p[0]));
	}
	close(p[0]);
	ret = do_save(src, p[1]);
	close(p[1]);
	waitpid(pid, &status, 0);
	if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = fail("destination", -EIO);
	dfd = ret;
	if (!ret && opt.verify_bar >= 0)
		ret = verify(src, &dst, opt.verify_bar);
	if (!ret)
		ret = after_command(src, &dst);
	svf_vfio_close(&dst);
	return dfd ? dfd : ret;
}

static int cmd_watch_req(struct svf_vfio *v)
{
	uint8_t cfg[4];
	uint32_t state;
	int efd, ret;
	int64_t cnt;

	efd = svf_vfio_irq_eventfd(v, VFIO_PCI_REQ_IRQ_INDEX);
	if (efd < 0)
		return fail("request irq", efd);
	printf("waiting\n");
	fflush(stdout);
	cnt = svf_wait_eventfd(efd, opt.timeout * 1000);
	printf("request=%" PRId64 "\n", cnt);
	ret = svf_vfio_read(v, VFIO_PCI_CONFIG_REGION_INDEX, 0, cfg, 4);
	printf("config_read=%d\n", ret < 0 ? ret : 0);
	ret = svf_vfio_mig_get(v, &state);
	printf("mig_get=%d state=%s\n", ret, ret ? "-" :
	       svf_mig_state_name(state));
	ret = svf_vfio_mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	printf("mig_set_stop=%d\n", ret);
	close(efd);
	return cnt > 0 ? 0 : 1;
}

static int cmd_bench(struct svf_vfio *v, int index, uint64_t off, long n)
{
	struct vfio_region_info ri;
	uint32_t val;
	double t0, t1;
	long i;
	int ret;

	ret = svf_vfio_region(v, index, &ri);
	if (ret)
		return fail("region", ret);
	t0 = svf_now();
	for (i = 0; i < n; i++)
		if (pread(v->device, &val, 4, ri.offset + off) != 4)
			return fail("pread", svf_err());
	t1 = svf_now();
	printf("ns_per_read=%.1f reads=%ld\n", (t1 - t0) * 1e9 / n, n);
	return 0;
}

static int command(const char *cmd, struct svf_vfio *v, const char *dev,
		   int argc, char **argv)
{
	int fd, ret;

	if (!strcmp(cmd, "info"))
		return cmd_info(v, dev);
	if (!strcmp(cmd, "cfg-read"))
		return cmd_cfg_read(v, argc, argv);
	if (!strcmp(cmd, "bar-read"))
		return cmd_bar_read(v, argc, argv);
	if (!strcmp(cmd, "bar-write"))
		return cmd_bar_write(v, argc, argv);
	if (!strcmp(cmd, "fill") || !strcmp(cmd, "hash"))
		return cmd_fill_hash(v, argc, argv, cmd[0] == 'f');
	if (!strcmp(cmd, "save") || !strcmp(cmd, "load")) {
		if (argc < 1)
			return fail(cmd, -EINVAL);
		fd = open_file(argv[0], cmd[0] == 's');
		if (fd < 0)
			return fail(argv[0], svf_err());
		ret = cmd[0] == 's' ? do_save(v, fd) : do_load(v, fd);
		if (fd > 1)
			close(fd);
		return ret;
	}
	if (!strcmp(cmd, "migrate"))
		return argc < 1 ? fail("migrate needs DST", -EINVAL) :
		       cmd_migrate(v, argv[0]);
	if (!strcmp(cmd, "watch-req"))
		return cmd_watch_req(v);
	if (!strcmp(cmd, "bench-cfg"))
		return cmd_bench(v, VFIO_PCI_CONFIG_REGION_INDEX, 0,
				 argc ? atol(argv[0]) : 100000);
	if (!strcmp(cmd, "bench-bar"))
		return argc < 1 ? fail("bench-bar needs BAR", -EINVAL) :
		       cmd_bench(v, atoi(argv[0]), 0,
				 argc > 1 ? atol(argv[1]) : 100000);
	fprintf(stderr, "svf-vmm: unknown command %s\n", cmd);
	usage(stderr);
	return 2;
}

/* --fill, COMMAND, then --hash and --exec (migrate: before DST closes) */
static int run(const char *cmd, struct svf_vfio *v, const char *dev,
	       int argc, char **argv)
{
	int ret;

	opt.stream_stdout = !strcmp(cmd, "save") && argc > 0 &&
			    !strcmp(argv[0], "-");
	if (opt.fill_bar >= 0) {
		ret = fill_hash(v, opt.fill_bar, 1,
				opt.stream_stdout ? stderr : stdout, "fill ");
		if (ret)
			return ret;
		fflush(stdout);		/* before the command's stderr lines */
	}
	ret = command(cmd, v, dev, argc, argv);
	if (ret || !strcmp(cmd, "migrate"))
		return ret;
	return after_command(v, NULL);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dma", 1, NULL, 'd' }, { "precopy", 1, NULL, 'p' },
		{ "touch", 1, NULL, 't' }, { "verify", 1, NULL, 'v' },
		{ "chunk", 1, NULL, 'c' }, { "mmap", 0, NULL, 'm' },
		{ "seed", 1, NULL, 's' }, { "timeout", 1, NULL, 'T' },
		{ "fill", 1, NULL, 'f' }, { "hash", 1, NULL, 'H' },
		{ "exec", 1, NULL, 'x' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct svf_vfio v;
	void *dma = NULL;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': opt.dma_size = parse_size(optarg); break;
		case 'p': opt.precopy = atoi(optarg); break;
		case 't': opt.touch_bar = atoi(optarg); break;
		case 'v': opt.verify_bar = atoi(optarg); break;
		case 'c': opt.chunk = parse_size(optarg); break;
		case 'm': opt.use_mmap = 1; break;
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 'T': opt.timeout = atoi(optarg); break;
		case 'f': opt.fill_bar = atoi(optarg); break;
		case 'H': opt.hash_bar = atoi(optarg); break;
		case 'x': opt.exec = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ret = svf_vfio_open(&v, argv[optind + 1]);
	if (ret)
		return fail(argv[optind + 1], ret);
	if (opt.dma_size) {
		ret = svf_vfio_dma_map(&v, 0, opt.dma_size, &dma);
		if (ret) {
			svf_vfio_close(&v);
			return fail("dma map", ret);
		}
	}
	ret = run(argv[optind], &v, argv[optind + 1], argc - optind - 2,
		  argv + optind + 2);
	if (dma)
		svf_vfio_dma_unmap(&v, 0, opt.dma_size, dma);
	svf_vfio_close(&v);
	return ret;
}
