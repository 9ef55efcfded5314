// SPDX-License-Identifier: GPL-2.0
/*
 * mdev_bench: micro-benchmarks of one mdev instance through VFIO.
 *
 *   mdev_bench cfg UUID N             config-space read latency (ns)
 *   mdev_bench bar UUID INDEX OFF SIZE N   trapped BAR read latency (ns)
 *   mdev_bench cycle PARENT TYPE SECONDS  create->open->close->remove per s
 *   mdev_bench phases PARENT TYPE N   the same, N cycles, mean ms per step
 *                                     (one line: create open close remove)
 *
 * PARENT is the mdev parent's sysfs directory, TYPE one of its
 * mdev_supported_types (see svf_mdev_create() in svf_sysfs.h).
 *
 * Prints one number on stdout; exit 1 with a message on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svf_sysfs.h"	/* svf_mdev_*(); includes svf_vfio.h */

static double lat(struct svf_vfio *v, unsigned int index, uint64_t off,
		  unsigned int size, long n)
{
	struct vfio_region_info ri;
	uint64_t buf = 0;
	double t0;
	long i;

	if (svf_vfio_region(v, index, &ri))
		return -1;
	for (i = 0; i < 1000; i++)	/* warm up */
		if (pread(v->device, &buf, size, ri.offset + off) != size)
			return -1;
	t0 = svf_now();
	for (i = 0; i < n; i++)
		if (pread(v->device, &buf, size, ri.offset + off) != size)
			return -1;
	return (svf_now() - t0) * 1e9 / n;
}

int main(int argc, char **argv)
{
	struct svf_vfio v;
	char u[48];
	double r, t0;
	long n = 0;

	if (argc >= 4 && !strcmp(argv[1], "cfg")) {
		if (svf_vfio_open(&v, argv[2]))
			return fprintf(stderr, "cannot open %s\n", argv[2]), 1;
		r = lat(&v, VFIO_PCI_CONFIG_REGION_INDEX, 0, 4, atol(argv[3]));
		svf_vfio_close(&v);
	} else if (argc >= 7 && !strcmp(argv[1], "bar")) {
		struct vfio_region_info ri;
		uint16_t cmd = 0x3;	/* I/O and memory decoding on */

		if (svf_vfio_open(&v, argv[2]))
			return fprintf(stderr, "cannot open %s\n", argv[2]), 1;
		if (!svf_vfio_region(&v, VFIO_PCI_CONFIG_REGION_INDEX, &ri) &&
		    pwrite(v.device, &cmd, 2, ri.offset + 4) != 2)
			fprintf(stderr, "command register write failed\n");
		r = lat(&v, atoi(argv[3]), strtoull(argv[4], NULL, 0), atoi(argv[5]),
			atol(argv[6]));
		svf_vfio_close(&v);
	} else if (argc >= 5 && !strcmp(argv[1], "cycle")) {
		double secs = atof(argv[4]);

		t0 = svf_now();
		while (svf_now() - t0 < secs) {
			snprintf(u, sizeof(u), "%08lx-1111-4222-8333-444455556666", n);
			if (svf_mdev_create(argv[2], argv[3], u))
				return fprintf(stderr, "create failed\n"), 1;
			if (svf_vfio_open(&v, u))
				return fprintf(stderr, "open failed\n"), 1;
			svf_vfio_close(&v);
			if (svf_mdev_remove(u))
				return fprintf(stderr, "remove failed\n"), 1;
			n++;
		}
		r = n / (svf_now() - t0);
	} else if (argc >= 5 && !strcmp(argv[1], "phases")) {
		double t[5] = { 0 }, t1;
		long cycles = atol(argv[4]);

		for (n = 0; n < cycles; n++) {
			snprintf(u, sizeof(u), "%08lx-1111-4222-8333-444455556666", n);
			t0 = svf_now();
			if (svf_mdev_create(argv[2], argv[3], u))
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
		printf("%.3f %.3f %.3f %.3f\n", t[0] * 1e3 / cycles,
		       t[1] * 1e3 / cycles, t[2] * 1e3 / cycles,
		       t[3] * 1e3 / cycles);
		return 0;
	} else {
		fprintf(stderr, "usage: see source\n");
		return 2;
	}
	if (r < 0)
		return fprintf(stderr, "access failed\n"), 1;
	printf("%.1f\n", r);
	return 0;
}
