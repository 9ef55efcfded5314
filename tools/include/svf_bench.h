/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svf_bench.h - side-by-side latency of trapped VFIO region accesses, for
 * the benchmarks under tools/bench/.
 *
 * One access is a pread()/pwrite() of 1, 2, 4 or 8 bytes at a fixed
 * offset of a region (never mmap).  svf_lat_compare() runs batches that
 * alternate between "ours" and the peer, the peer going first every other
 * time, and reports the median batch of each, so drift in the emulator or
 * load on the host hits both sides alike.
 */
#ifndef SVF_BENCH_H
#define SVF_BENCH_H

#include <stdlib.h>

#include "svf_vfio.h"	/* struct svf_vfio, svf_vfio_region(), svf_now() */

/**
 * struct svf_lat_access - the access one side of a comparison repeats
 * @v: open device
 * @index: VFIO region index
 * @off: offset in the region
 * @size: bytes per access (1, 2, 4 or 8)
 * @write: pwrite() instead of pread()
 */
struct svf_lat_access {
	struct svf_vfio *v;
	unsigned int index;
	uint64_t off;
	unsigned int size;
	int write;
};

/* svf_lat_batch() - ns per access over @n accesses, -1 if one failed */
static SVF_UNUSED double svf_lat_batch(const struct svf_lat_access *a, long n)
{
	struct vfio_region_info ri;
	uint64_t val = 0;
	double t0;
	long i;

	if (svf_vfio_region(a->v, a->index, &ri))
		return -1;
	t0 = svf_now();
	for (i = 0; i < n; i++) {
		ssize_t r = a->write ?
			pwrite(a->v->device, &val, a->size, ri.offset + a->off) :
			pread(a->v->device, &val, a->size, ri.offset + a->off);

		if (r != (ssize_t)a->size)
			return -1;
	}
	return (svf_now() - t0) * 1e9 / n;
}

static SVF_UNUSED int svf_lat_cmp_double(const void *x, const void *y)
{
	double d = *(const double *)x - *(const double *)y;

	return d < 0 ? -1 : d > 0;
}

/**
 * svf_lat_compare() - median ns per access of two sides, interleaved
 * @ours: our access
 * @peer: the stock peer's access
 * @batches: number of batches per side (odd gives a true median)
 * @per_batch: accesses per batch
 * @o: median of ours
 * @p: median of the peer
 *
 * Return: 0, or -1 if an access failed.
 */
static SVF_UNUSED int svf_lat_compare(const struct svf_lat_access *ours,
				      const struct svf_lat_access *peer,
				      int batches, long per_batch,
				      double *o, double *p)
{
	double *so = calloc(batches, sizeof(double));
	double *sp = calloc(batches, sizeof(double));
	int i, ret = -1;

	if (!so || !sp)
		goto out;
	/* warm up both paths */
	if (svf_lat_batch(ours, per_batch) < 0 ||
	    svf_lat_batch(peer, per_batch) < 0)
		goto out;
	for (i = 0; i < batches; i++) {
		if (i & 1) {
			sp[i] = svf_lat_batch(peer, per_batch);
			so[i] = svf_lat_batch(ours, per_batch);
		} else {
			so[i] = svf_lat_batch(ours, per_batch);
			sp[i] = svf_lat_batch(peer, per_batch);
		}
		if (so[i] < 0 || sp[i] < 0)
			goto out;
	}
	qsort(so, batches, sizeof(double), svf_lat_cmp_double);
	qsort(sp, batches, sizeof(double), svf_lat_cmp_double);
	*o = so[batches / 2];
	*p = sp[batches / 2];
	ret = 0;
out:
	free(so);
	free(sp);
	return ret;
}

#endif /* SVF_BENCH_H */
