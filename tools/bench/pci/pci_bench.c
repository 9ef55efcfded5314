// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_pci benchmarks, one guest run:
 *
 *  - trapped config-space read and trapped BAR accesses (pread/pwrite on
 *    the region, not mmap) through snapvf_pci (function A, managed by the
 *    simulator) vs stock vfio-pci (function C, same kind): ns per access,
 *    ratio, goal <= 1.05.  Batches alternate between the two drivers and
 *    the median batch counts, so drift in the emulator hits both alike.
 *  - migration A -> B of 4 KiB, 64 MiB and 256 MiB states, without
 *    pre-copy and with two pre-copy rounds while the device changes
 *    64 KiB between rounds: throughput (stream bytes over stop-copy plus
 *    load time) against an in-guest memcpy of the state size, and downtime
 *    (STOP_COPY entry to destination RUNNING) with vs without pre-copy.
 *    Each migration is checked byte for byte (the simulator's state_hash).
 *
 * Prints "# BENCH" lines and TAP.
 */
#include "mig_lib.h"
#include "svf_bench.h"
#include "kselftest.h"

#define MIB_D		(1024.0 * 1024.0)
#define BATCHES		41
#define PER_BATCH	4000

static const char *a, *b, *c;
static struct svf_vfio va, vb, vc;

static void latency(const char *name, unsigned int index, uint64_t off,
		    int write)
{
	struct svf_lat_access o = { &va, index, off, 4, write };
	struct svf_lat_access p = { &vc, index, off, 4, write };
	double ours, peer, r;

	if (svf_lat_compare(&o, &p, BATCHES, PER_BATCH, &ours, &peer)) {
		ksft_test_result_fail("%s: access failed\n", name);
		return;
	}
	r = ours / peer;
	ksft_print_msg("BENCH %s: ours=%.0f ns peer=%.0f ns ratio=%.3f goal=<=1.05 (snapvf_pci vs vfio-pci, median of %d x %d)\n",
		       name, ours, peer, r, BATCHES, PER_BATCH);
	ksft_test_result(1, "%s measured (ratio %.3f %s goal)\n", name, r,
			 r <= 1.05 ? "meets" : "misses");
}

static double memcpy_mbps(size_t size)
{
	char *s = malloc(size), *d = malloc(size);
	double t0, t;

	if (!s || !d) {
		free(s);
		free(d);
		return 0;
	}
	memset(s, 1, size);
	memset(d, 2, size);
	t0 = svf_now();
	memcpy(d, s, size);
	__asm__ volatile("" : : "r"(d) : "memory");	/* keep the copy */
	t = svf_now() - t0;
	free(s);
	free(d);
	return size / MIB_D / (t > 0 ? t : 1e-9);
}

struct touch {
	void *bar;
	size_t size;
};

static void touch_state(void *opaque, int round)
{
	struct touch *t = opaque;
	size_t len = 64u << 10;

	if (t->size >= 2 * len)
		fill_pattern((char *)t->bar + (round + 1) * len % (t->size - len),
			     len, 500 + round);
	else
		fill_pattern(t->bar, t->size, 500 + round);
}

static int same_hash(void)
{
	char ha[64], hb[64];

	return !sim_knob_read(a, "state_hash", ha, sizeof(ha)) &&
	       !sim_knob_read(b, "state_hash", hb, sizeof(hb)) &&
	       !strcmp(ha, hb);
}

/* Move what @in has for now (up to @limit bytes, 0: all) into @out. */
static int64_t pump(int in, int out, uint64_t limit)
{
	return svf_mig_copy(in, out, limit, 1u << 20);
}

/*
 * One live migration A -> B as a VMM does it: the destination is RESUMING
 * from the start and receives pre-copy data while the source runs; the
 * downtime runs from the source entering STOP_COPY to the destination
 * RUNNING (final data, commit of the staged state, restart).
 * Returns the downtime in ms (< 0: -errno); *mbps is the stream bytes over
 * the whole migration time.
 */
static double migrate(size_t size, int rounds, void *bar_a, double *mbps)
{
	struct touch t = { bar_a, size };
	uint64_t initial, dirty, total = 0;
	int sfd = -1, dfd = -1, r, ret;
	double t0, t_stop = 0, t_end = 0;
	int64_t n;

	fill_pattern(bar_a, size, size + rounds);
	t0 = svf_now();
	ret = svf_vfio_mig_set(&vb, VFIO_DEVICE_STATE_RESUMING, &dfd);
	if (ret)
		return ret;
	if (rounds) {
		ret = svf_vfio_mig_set(&va, VFIO_DEVICE_STATE_PRE_COPY, &sfd);
		for (r = 0; !ret && r < rounds; r++) {
			ret = svf_vfio_precopy_info(sfd, &initial, &dirty);
			n = ret ? 0 : pump(sfd, dfd, initial + dirty);
			if (n < 0)
				ret = n;
			total += n > 0 ? n : 0;
			touch_state(&t, r);
		}
		if (ret)
			goto out;
	}
	t_stop = svf_now();
	ret = svf_vfio_mig_set(&va, VFIO_DEVICE_STATE_STOP_COPY,
			       sfd < 0 ? &sfd : NULL);
	if (ret)
		goto out;
	n = pump(sfd, dfd, 0);
	if (n < 0) {
		ret = n;
		goto out;
	}
	total += n;
	ret = svf_vfio_mig_set(&va, VFIO_DEVICE_STATE_STOP, NULL);
	if (!ret)
		ret = svf_vfio_mig_set(&vb, VFIO_DEVICE_STATE_STOP, NULL);
	if (!ret)
		ret = svf_vfio_mig_set(&vb, VFIO_DEVICE_STATE_RUNNING, NULL);
	t_end = svf_now();
	if (!ret && !same_hash())
		ret = -EILSEQ;
	*mbps = total / MIB_D / (t_end - t0);
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	/* back to RUNNING for the next run */
	svf_vfio_mig_set(&va, VFIO_DEVICE_STATE_RUNNING, NULL);
	if (ret) {
		svf_vfio_reset(&vb);
		return ret;
	}
	return (t_end - t_stop) * 1e3;
}

static void mig_bench(const char *label, size_t size)
{
	double d_plain, d_pre, mb_plain, mb_pre, mc;
	char val[32];
	size_t barsz;
	void *bar;

	snprintf(val, sizeof(val), "%zu", size);
	if (sim_knob(a, "state_size", val) || sim_knob(b, "state_size", val)) {
		ksft_test_result_skip("migration %s: state_size not accepted\n", label);
		return;
	}
	bar = svf_vfio_mmap(&va, STATE_BAR, &barsz);
	if (!bar) {
		ksft_test_result_fail("migration %s: mmap\n", label);
		return;
	}
	d_plain = migrate(size, 0, bar, &mb_plain);
	d_pre = migrate(size, 2, bar, &mb_pre);
	munmap(bar, barsz);
	if (d_plain < 0 || d_pre < 0) {
		ksft_test_result_fail("migration %s failed or differs (%.0f, %.0f)\n",
				      label, d_plain, d_pre);
		return;
	}
	mc = memcpy_mbps(size);
	ksft_print_msg("BENCH mig_%s_throughput: ours=%.1f MB/s peer=%.1f MB/s ratio=%.3f goal=informational (stream bytes over migration time without pre-copy, vs in-guest memcpy)\n",
		       label, mb_plain, mc, mc > 0 ? mb_plain / mc : 0);
	ksft_print_msg("BENCH mig_%s_downtime: ours=%.1f ms peer=%.1f ms ratio=%.3f goal=informational (STOP_COPY to destination RUNNING, with 2 pre-copy rounds vs without; 64 KiB dirtied per round)\n",
		       label, d_pre, d_plain, d_plain > 0 ? d_pre / d_plain : 0);
	ksft_test_result(1, "migration %s: identical state both ways\n", label);
}

static int bind_all(void)
{
	char fn[MAX_FNS][32];
	char dir[PATH_MAX];

	if (svf_modload("snapvf_sim") || svf_modload(SNAP_DRV) ||
	    system("modprobe vfio_pci"))
		return -EIO;
	if (svf_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, fn, MAX_FNS) < 3)
		return -ENODEV;
	a = strdup(fn[0]);
	b = strdup(fn[1]);
	c = strdup(fn[2]);
	if ((sim_fn_dir(a, dir, sizeof(dir)) && sim_add(a)) ||
	    (sim_fn_dir(b, dir, sizeof(dir)) && sim_add(b)))
		return -EIO;
	if (svf_pci_bind(a, SNAP_DRV) || svf_pci_bind(b, SNAP_DRV) ||
	    svf_pci_bind(c, "vfio-pci"))
		return -EIO;
	if (svf_vfio_open(&va, a) || svf_vfio_open(&vb, b) ||
	    svf_vfio_open(&vc, c))
		return -EIO;
	return 0;
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(7);
	if (bind_all())
		ksft_exit_fail_msg("setup: modules, simulator or binding failed\n");
	latency("cfg_read", VFIO_PCI_CONFIG_REGION_INDEX, 0, 0);
	latency("bar0_read", VFIO_PCI_BAR0_REGION_INDEX, 0, 0);
	latency("bar2_read", VFIO_PCI_BAR2_REGION_INDEX, 64, 0);
	latency("bar2_write", VFIO_PCI_BAR2_REGION_INDEX, 64, 1);
	mig_bench("4K", 4096);
	mig_bench("64M", 64u << 20);
	mig_bench("256M", 256u << 20);
	svf_vfio_close(&va);
	svf_vfio_close(&vb);
	svf_vfio_close(&vc);
	ksft_finished();
}
