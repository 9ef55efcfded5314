// SPDX-License-Identifier: GPL-2.0
/*
 * mdev_bench: micro-benchmarks of one mdev instance through VFIO.
 *
 *   mdev_bench cfg OURS PEER          config-space read latency (ns)
 *   mdev_bench bar OURS INDEX OFF SIZE PEER INDEX OFF SIZE
 *                                     trapped BAR read latency (ns)
 *   mdev_bench cycle PARENT TYPE PEER_PARENT PEER_TYPE ROUNDS SECONDS
 *                                     create->open->close->remove per s
 *   mdev_bench phases PARENT TYPE N   the same, N cycles, mean ms per step
 *                                     (one line: create open close remove)
 *
 * PARENT is the mdev parent's sysfs directory, TYPE one of its
 * mdev_supported_types (see svf_mdev_create() in svf_sysfs.h).  Both
 * parents are resolved to their canonical /sys/devices paths first, so
 * that each create walks an equally long path whatever link the caller
 * named the parent by (a /sys/bus/.../devices link costs a dozen more
 * lookups per create, ~3% of a cycle under TCG).
 *
 * OURS and PEER are mdev uuids.  The latency and cycle commands print
 * "ours peer", the medians of batches (rounds) that alternate between the
 * two sides (svf_bench.h); phases prints its own line.  Exit 1 with a message on
 * failure.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "svf_bench.h"
#include "svf_sysfs.h"	/* svf_mdev_*(); includes svf_vfio.h */

#define BATCHES		41
#define PER_BATCH	4000

/* Decoding on (I/O and memory), so that trapped BAR reads reach the device. */
static int decode_on(struct svf_vfio *v)
{
	struct vfio_region_info ri;
	uint16_t cmd = 0x3;

	if (svf_vfio_region(v, VFIO_PCI_CONFIG_REGION_INDEX, &ri) ||
	    pwrite(v->device, &cmd, 2, ri.offset + PCI_COMMAND) != 2)
		return fprintf(stderr, "command register write failed\n"), -1;
	return 0;
}

/* "ours peer": median ns per access, svf_bench.h's interleaved batches */
static int compare(struct svf_lat_access *o, const char *ours,
		   struct svf_lat_access *p, const char *peer, int bar)
{
	static struct svf_vfio vo, vp;
	double no, np;
	int ret = 1;

	if (svf_vfio_open(&vo, ours))
		return fprintf(stderr, "cannot open %s\n", ours), 1;
	if (svf_vfio_open(&vp, peer)) {
		fprintf(stderr, "cannot open %s\n", peer);
		goto close_ours;
	}
	o->v = &vo;
	p->v = &vp;
	if (bar && (decode_on(&vo) || decode_on(&vp)))
		goto close_peer;
	if (svf_lat_compare(o, p, BATCHES, PER_BATCH, &no, &np)) {
		fprintf(stderr, "access failed\n");
		goto close_peer;
	}
	printf("%.1f %.1f\n", no, np);
	ret = 0;
close_peer:
	svf_vfio_close(&vp);
close_ours:
	svf_vfio_close(&vo);
	return ret;
}

/* @path's canonical form in @out (256 bytes), or NULL. */
static const char *canon_parent(const char *path, char *out)
{
	char r[PATH_MAX];

	if (!realpath(path, r) || strlen(r) >= 256) {
		fprintf(stderr, "cannot resolve %s\n", path);
		return NULL;
	}
	return strcpy(out, r);
}

static long uuid_seq;	/* instances created so far, for unique uuids */

/* create->open->close->remove cycles per second on @parent/@type */
static double cycle_rate(const char *parent, const char *type, double secs)
{
	struct svf_vfio v;
	double t0 = svf_now();
	long n = 0;
	char u[48];

	while (svf_now() - t0 < secs) {
		snprintf(u, sizeof(u), "%08lx-1111-4222-8333-444455556666",
			 uuid_seq++);
		if (svf_mdev_create(parent, type, u))
			return fprintf(stderr, "create failed\n"), -1;
		if (svf_vfio_open(&v, u))
			return fprintf(stderr, "open failed\n"), -1;
		svf_vfio_close(&v);
		if (svf_mdev_remove(u))
			return fprintf(stderr, "remove failed\n"), -1;
		n++;
	}
	return n / (svf_now() - t0);
}

/*
 * "ours peer": median cycle rates over @rounds rounds of @secs per side,
 * the peer going first every other round (as svf_lat_compare() does).
 */
static int cycles(const char *op, const char *ot, const char *pp,
		  const char *pt, int rounds, double secs)
{
	char ro[256], rp[256];
	double o[64], p[64];
	int i;

	if (rounds < 1 || rounds > 64)
		return fprintf(stderr, "1..64 rounds\n"), 1;
	op = canon_parent(op, ro);
	pp = canon_parent(pp, rp);
	if (!op || !pp)
		return 1;
	for (i = 0; i < rounds; i++) {
		if (i & 1) {
			p[i] = cycle_rate(pp, pt, secs);
			o[i] = cycle_rate(op, ot, secs);
		} else {
			o[i] = cycle_rate(op, ot, secs);
			p[i] = cycle_rate(pp, pt, secs);
		}
		if (o[i] < 0 || p[i] < 0)
			return 1;
	}
	qsort(o, rounds, sizeof(double), svf_lat_cmp_double);
	qsort(p, rounds, sizeof(double), svf_lat_cmp_double);
	printf("%.1f %.1f\n", o[rounds / 2], p[rounds / 2]);
	return 0;
}

/* mean ms per step over @n cycles: "create open close remove" */
static int phases(const char *parent, const char *type, long n)
{
	double t[4] = { 0 }, t0, t1;
	char u[48], rpath[256];
	struct svf_vfio v;
	long i;

	parent = canon_parent(parent, rpath);
	if (!parent)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(u, sizeof(u), "%08lx-1111-4222-8333-444455556666",
			 uuid_seq++);
		t0 = svf_now();
		if (svf_mdev_create(parent, type, u))
			return fprintf(stderr, "create failed\n"), 1;
		t1 = svf_now();
		t[0] += t1 - t0;
		if (svf_vfio_open(&v, u))
			return fprintf(stderr, "open failed\n"), 1;
		t0 = svf_now();
		t[1] += t0 - t1;
		svf_vfio_close(&v);
		t1 = svf_now();
		t[2] += t1 - t0;
		if (svf_mdev_remove(u))
			return fprintf(stderr, "remove failed\n"), 1;
		t[3] += svf_now() - t1;
	}
	printf("%.3f %.3f %.3f %.3f\n", t[0] * 1e3 / n, t[1] * 1e3 / n,
	       t[2] * 1e3 / n, t[3] * 1e3 / n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "cfg")) {
		struct svf_lat_access o = { NULL, VFIO_PCI_CONFIG_REGION_INDEX,
					    0, 4, 0 };
		struct svf_lat_access p = o;

		return compare(&o, argv[2], &p, argv[3], 0);
	}
	if (argc >= 10 && !strcmp(argv[1], "bar")) {
		struct svf_lat_access o = { NULL, atoi(argv[3]),
					    strtoull(argv[4], NULL, 0),
					    atoi(argv[5]), 0 };
		struct svf_lat_access p = { NULL, atoi(argv[7]),
					    strtoull(argv[8], NULL, 0),
					    atoi(argv[9]), 0 };

		return compare(&o, argv[2], &p, argv[6], 1);
	}
	if (argc >= 8 && !strcmp(argv[1], "cycle"))
		return cycles(argv[2], argv[3], argv[4], argv[5], atoi(argv[6]),
			      atof(argv[7]));
	if (argc >= 5 && !strcmp(argv[1], "phases"))
		return phases(argv[2], argv[3], atol(argv[4]));
	fprintf(stderr, "usage: see the top of mdev_bench.c\n");
	return 2;
}
