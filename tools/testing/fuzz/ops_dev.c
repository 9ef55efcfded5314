// SPDX-License-Identifier: GPL-2.0
/*
 * svf-fuzz: generic device surfaces - info ioctls, SET_IRQS, RESET,
 * VFIO_DEVICE_FEATURE (incl. DMA logging and unknown feature numbers),
 * region reads/writes, mmap and closing/reopening the device fd.
 *
 * Arguments start from what the device reported at open time (fz_dev.ri,
 * irq_count, mig_flags) and are then bent: argsz below/at/above the
 * minimum, reserved flag bits, indexes at and past the counts, offsets at
 * every edge of a region.
 */
#include <signal.h>

#include "fuzz.h"

uint64_t fz_magic64(struct fz_rng *r)
{
	static const uint64_t m[] = {
		0, 1, 2, 3, 4, 7, 8, 0xff, 0x100, 0xfff, 0x1000, 0x1001,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xfffffffffffff000ULL, 0xffffffffffffffffULL,
		0xfffffffffffffffeULL, 1ULL << 40, (1ULL << 40) - 1,
		0x0080000000000000ULL,	/* * 512 wraps to 0 */
	};
	uint64_t v;

	switch (fz_below(r, 4)) {
	case 0:
		return m[fz_below(r, sizeof(m) / sizeof(m[0]))];
	case 1:
		v = 1ULL << fz_below(r, 64);
		return v + fz_below(r, 3) - 1;
	case 2:
		return fz_below(r, 0x10000);
	default:
		return fz_next(r);
	}
}

uint64_t fz_len(struct fz_rng *r, uint64_t typical)
{
	switch (fz_below(r, 8)) {
	case 0:
		return 0;
	case 1:
		return 1 + fz_below(r, 8);
	case 2:
		return typical ? typical - 1 : 0;
	case 3:
		return typical + 1;
	case 4:
		return fz_magic64(r);
	default:
		return typical;
	}
}

/* argsz for a structure whose minimum is @min: mostly valid */
static uint32_t fz_argsz(struct fz_rng *r, uint32_t min, uint32_t room)
{
	switch (fz_below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return min - 1 - fz_below(r, min);
	case 2:
		return 0xffffffffu - fz_below(r, 16);
	case 3:
		return min + fz_below(r, 64);
	default:
		return room ? room : min;
	}
}

/* ------------------------------------------------------------- ioctls */

static void op_get_info(struct fz_dev *d, struct fz_rng *r)
{
	struct {
		struct vfio_device_info i;
		uint8_t room[256];
	} b;

	memset(&b, 0, sizeof(b));
	b.i.argsz = fz_argsz(r, offsetofend(struct vfio_device_info, num_irqs),
			     sizeof(b) - (uint32_t)fz_below(r, 200));
	if (b.i.argsz > sizeof(b) && fz_chance(r, 80))
		b.i.argsz = sizeof(b);
	b.i.flags = fz_chance(r, 20) ? fz_next(r) : 0;
	if (ioctl(d->v->device, VFIO_DEVICE_GET_INFO, &b))
		return;
	if (b.i.num_regions != d->info.num_regions ||
	    b.i.num_irqs != d->info.num_irqs)
		fz_bug("GET_INFO changed: %u regions %u irqs, was %u %u",
		       b.i.num_regions, b.i.num_irqs, d->info.num_regions,
		       d->info.num_irqs);
}

/* Walk a region info capability chain inside @buf of @len bytes. */
static void check_caps(struct fz_dev *d, struct vfio_region_info *ri,
		       uint32_t len)
{
	uint32_t off = ri->cap_offset, seen = 0;

	if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return;
	if (ri->argsz > len)	/* chain did not fit: kernel asks for more */
		return;
	while (off) {
		struct vfio_info_cap_header *h = (void *)((uint8_t *)ri + off);

		if (off < sizeof(*ri) || off > len - sizeof(*h) || off % 4) {
			fz_bug("region %u: capability at %u outside the %u bytes returned",
			       ri->index, off, len);
			return;
		}
		if (++seen > 64) {
			fz_bug("region %u: capability chain loops", ri->index);
			return;
		}
		if (h->next && h->next <= off) {
			fz_bug("region %u: capability %u points back to %u",
			       ri->index, off, h->next);
			return;
		}
		off = h->next;
	}
}

static void op_region_info(struct fz_dev *d, struct fz_rng *r)
{
	uint32_t bufsz = 4096;
	struct vfio_region_info *ri = calloc(1, bufsz);
	uint32_t min = offsetofend(struct vfio_region_info, offset), want;

	if (!ri)
		return;
	ri->index = fz_chance(r, 85) ? fz_below(r, d->info.num_regions + 1) :
		    (uint32_t)fz_magic64(r);
	want = fz_chance(r, 30) ? sizeof(*ri) : bufsz;
	ri->argsz = fz_argsz(r, min, want);
	if (ri->argsz > bufsz && fz_chance(r, 90))
		ri->argsz = bufsz;
	ri->flags = fz_chance(r, 10) ? fz_next(r) : 0;
	want = ri->argsz;
	if (!ioctl(d->v->device, VFIO_DEVICE_GET_REGION_INFO, ri)) {
		if (ri->index < FZ_MAX_REGIONS && ri->index < d->nregions &&
		    (ri->size != d->ri[ri->index].size ||
		     ri->offset != d->ri[ri->index].offset))
			fz_bug("region %u info changed: size %llu offset %#llx",
			       ri->index, (unsigned long long)ri->size,
			       (unsigned long long)ri->offset);
		check_caps(d, ri, want < bufsz ? want : bufsz);
	}
	free(ri);
}

static void op_irq_info(struct fz_dev *d, struct fz_rng *r)
{
	struct vfio_irq_info ii = { 0 };

	ii.index = fz_chance(r, 85) ? fz_below(r, d->info.num_irqs + 2) :
		   (uint32_t)fz_magic64(r);
	ii.argsz = fz_argsz(r, sizeof(ii), sizeof(ii));
	if (ii.argsz > sizeof(ii))
		ii.argsz = sizeof(ii);
	if (ioctl(d->v->device, VFIO_DEVICE_GET_IRQ_INFO, &ii))
		return;
	if (ii.index >= d->info.num_irqs)
		fz_bug("GET_IRQ_INFO accepted index %u of %u", ii.index,
		       d->info.num_irqs);
	else if (ii.index < 16 && ii.count != d->irq_count[ii.index])
		fz_bug("IRQ %u count changed %u -> %u", ii.index,
		       d->irq_count[ii.index], ii.count);
}

static const uint32_t irq_data[] = {
	VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD,
};
static const uint32_t irq_action[] = {
	VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
	VFIO_IRQ_SET_ACTION_TRIGGER,
};

static void op_set_irqs(struct fz_dev *d, struct fz_rng *r)
{
	static int devnull = -1;
	uint32_t idx, n, count, i, hdr = sizeof(struct vfio_irq_set);
	struct vfio_irq_set *s;
	int fds[64];
	size_t room;

	idx = fz_chance(r, 90) ? fz_below(r, d->info.num_irqs + 1) :
	      (uint32_t)fz_magic64(r);
	n = idx < 16 && idx < d->info.num_irqs ? d->irq_count[idx] : 1;
	room = hdr + 64 * sizeof(int);
	s = calloc(1, room);
	if (!s)
		return;
	s->index = idx;
	s->flags = irq_data[fz_below(r, 3)] | irq_action[fz_below(r, 3)];
	if (fz_chance(r, 8))
		s->flags |= 1u << fz_below(r, 32);
	if (fz_chance(r, 3))
		s->flags = fz_next(r);
	s->start = fz_chance(r, 80) ? fz_below(r, n + 1) : (uint32_t)fz_magic64(r);
	count = fz_chance(r, 80) ? fz_below(r, n + 2) : (uint32_t)fz_magic64(r);
	if (fz_chance(r, 10))
		count = 0;
	s->count = count;
	for (i = 0; i < 64; i++)
		fds[i] = -1;
	if (s->flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		for (i = 0; i < count && i < 64; i++) {
			switch (fz_below(r, 6)) {
			case 0:
				break;	/* -1: de-assign */
			case 1:
				if (devnull < 0)
					devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
				((int *)s->data)[i] = devnull;	/* not an eventfd */
				continue;
			case 2:
				((int *)s->data)[i] = (int)fz_magic64(r);
				continue;
			default:
				fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
				break;
			}
			((int *)s->data)[i] = fds[i];
		}
		s->argsz = hdr + (count < 64 ? count : 64) * sizeof(int);
	} else if (s->flags & VFIO_IRQ_SET_DATA_BOOL) {
		for (i = 0; i < 64 * sizeof(int); i++)
			s->data[i] = fz_chance(r, 50);
		s->argsz = hdr + (count < 256 ? count : 256);
	} else {
		s->argsz = hdr;
	}
	if (fz_chance(r, 10))
		s->argsz = fz_argsz(r, hdr, s->argsz);
	if (s->argsz > room && fz_chance(r, 95))
		s->argsz = room;
	ioctl(d->v->device, VFIO_DEVICE_SET_IRQS, s);
	/* the kernel holds its own references: ours can go */
	for (i = 0; i < 64; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(s);
}

static void op_reset(struct fz_dev *d, struct fz_rng *r)
{
	if (!ioctl(d->v->device, VFIO_DEVICE_RESET)) {
		/* a reset takes migration back to RUNNING (vfio v2 contract) */
		if (d->mig_flags)
			d->mig_state = VFIO_DEVICE_STATE_RUNNING;
		d->vb_ready = false;
	}
}

/* ------------------------------------------------------------ features */

static const uint32_t feat_ids[] = {
	VFIO_DEVICE_FEATURE_MIGRATION, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
	VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
	VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
	0xf500, 0xf508, 0xf5ff, 0, 1, 2, 3, 4, 5, 10, 11, 0xffff,
};

/*
 * Raw VFIO_DEVICE_FEATURE: any id, any GET/SET/PROBE combination, hostile
 * argsz, random payload (but never the MIG_DEVICE_STATE SET, which
 * op_mig_set does with bookkeeping).
 */
static void op_feature_raw(struct fz_dev *d, struct fz_rng *r)
{
	uint8_t buf[sizeof(struct vfio_device_feature) + 256];
	struct vfio_device_feature *f = (void *)buf;
	uint32_t id, flags, i;

	id = fz_chance(r, 85) ? feat_ids[fz_below(r, sizeof(feat_ids) / 4)] :
	     fz_below(r, 0x10000);
	flags = 0;
	if (fz_chance(r, 60))
		flags |= VFIO_DEVICE_FEATURE_GET;
	if (fz_chance(r, 40))
		flags |= VFIO_DEVICE_FEATURE_SET;
	if (fz_chance(r, 30))
		flags |= VFIO_DEVICE_FEATURE_PROBE;
	if (fz_chance(r, 5))
		flags |= 1u << (16 + fz_below(r, 16));
	if ((id == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE ||
	     id == VFIO_DEVICE_FEATURE_DMA_LOGGING_START ||
	     id == VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT) &&
	    !(flags & VFIO_DEVICE_FEATURE_PROBE))
		flags &= ~VFIO_DEVICE_FEATURE_SET;	/* structured ops do these */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = fz_chance(r, 70) ? 0 : fz_next(r);
	if (id == VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT)
		flags &= ~VFIO_DEVICE_FEATURE_GET;	/* payload has a pointer */
	f->flags = id | flags;
	f->argsz = fz_argsz(r, sizeof(*f), sizeof(*f) + fz_below(r, 65));
	if (f->argsz > sizeof(buf))
		f->argsz = fz_chance(r, 90) ? sizeof(buf) : f->argsz;
	if (!ioctl(d->v->device, VFIO_DEVICE_FEATURE, f) &&
	    id == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE &&
	    (flags & VFIO_DEVICE_FEATURE_GET) &&
	    !(flags & VFIO_DEVICE_FEATURE_PROBE)) {
		uint32_t st = ((struct vfio_device_feature_mig_state *)f->data)->device_state;

		if (st > VFIO_DEVICE_STATE_PRE_COPY_P2P)
			fz_bug("MIG_DEVICE_STATE GET returned state %u", st);
	}
}

/* --------------------------------------------------------- DMA logging */

/* A bitmap buffer followed by a PROT_NONE guard page. */
static uint64_t *guarded_bitmap(size_t bytes, void **base, size_t *maplen)
{
	size_t pg = 4096, len = (bytes + pg - 1) / pg * pg + pg;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	mprotect(p + len - pg, pg, PROT_NONE);
	*base = p;
	*maplen = len;
	/* end the usable bytes right at the guard page */
	return (uint64_t *)(p + len - pg - ((bytes + 7) & ~7UL));
}

static uint64_t fz_page_size(struct fz_rng *r)
{
	switch (fz_below(r, 6)) {
	case 0:
		return fz_magic64(r);
	case 1:
		return 1ULL << fz_below(r, 64);
	case 2:
		return 4096 + 1;
	default:
		return 4096ULL << fz_below(r, 4);
	}
}

/*
 * A report that succeeded must have obeyed the vfio core's rules: a
 * power-of-two page size of at least 4 KiB and a window that does not
 * wrap; iova_bitmap takes any window and page size beyond that (a finer
 * page than the tracker's over-reports, which the uAPI allows).  And it
 * can only have succeeded where the kernel can report at all.
 */
static void check_report(const struct vfio_device_feature_dma_logging_report *rep)
{
	uint64_t ps = rep->page_size, end;
	const char *why = NULL;

	if (svf_kernel_dma_log() != 1)
		why = "the kernel cannot report DMA dirty pages";
	else if (!ps || (ps & (ps - 1)))
		why = "page size not a power of two";
	else if (ps < 4096)
		why = "page size below 4 KiB";
	else if (__builtin_add_overflow(rep->iova, rep->length, &end))
		why = "window wraps";
	if (why)
		fz_bug("DMA logging report accepted: %s (iova %#llx length %#llx page %#llx)",
		       why, (unsigned long long)rep->iova,
		       (unsigned long long)rep->length, (unsigned long long)ps);
}

static void op_dma_log(struct fz_dev *d, struct fz_rng *r)
{
	struct vfio_device_feature_dma_logging_range rg[8];
	uint64_t iova = 0x10000000ULL, span = 64 << 20;
	unsigned int i, n;

	switch (fz_below(r, 4)) {
	case 0: {
		struct vfio_device_feature_dma_logging_control c = { 0 };

		n = fz_chance(r, 90) ? 1 + fz_below(r, 8) : 0;
		for (i = 0; i < 8; i++) {
			rg[i].iova = fz_chance(r, 70) ? iova + fz_below(r, 16) * 0x100000 :
				     fz_magic64(r);
			rg[i].length = fz_chance(r, 70) ? 0x100000 * (1 + fz_below(r, 8)) :
				       fz_magic64(r);
		}
		c.page_size = fz_page_size(r);
		c.num_ranges = fz_chance(r, 95) ? n : (uint32_t)fz_magic64(r);
		c.ranges = fz_chance(r, 95) ? (uintptr_t)rg : fz_magic64(r);
		if (!svf_vfio_feature(d->v, VFIO_DEVICE_FEATURE_SET |
				      VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
				      &c, sizeof(c))) {
			d->log_pgsize = c.page_size;	/* what the device tracks at */
			if (svf_kernel_dma_log() != 1)
				fz_bug("DMA logging started on a kernel that cannot report it");
		}
		break;
	}
	case 1:
		svf_vfio_dma_log_stop(d->v);
		break;
	default: {
		struct vfio_device_feature_dma_logging_report rep;
		uint64_t *bm, bits;
		size_t maplen = 0, bytes;
		void *base = NULL;
		bool short_bm;
		int ret;

		rep.page_size = fz_page_size(r);
		rep.iova = fz_chance(r, 70) ? iova + fz_below(r, 8) * 0x100000 :
			   fz_magic64(r);
		rep.length = fz_chance(r, 70) ? 0x100000 * (1 + fz_below(r, 8)) :
			     fz_magic64(r);
		if (fz_chance(r, 30) && rep.page_size && rep.page_size < span)
			rep.length = rep.page_size * (1 + fz_below(r, 512));
		bits = rep.page_size ? rep.length / rep.page_size : 0;
		bytes = (bits + 63) / 64 * 8;
		if (bytes > (1 << 20))
			bytes = 8;
		short_bm = fz_chance(r, 15) && bytes > 8;
		if (short_bm)
			bytes -= 8;	/* one u64 short: must fault, not overrun */
		bm = guarded_bitmap(bytes ? bytes : 8, &base, &maplen);
		rep.bitmap = fz_chance(r, 95) ? (uintptr_t)bm : fz_magic64(r);
		ret = svf_vfio_feature(d->v, VFIO_DEVICE_FEATURE_GET |
				       VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
				       &rep, sizeof(rep));
		if (!ret)
			check_report(&rep);
		if (bm)
			munmap(base, maplen);
		break;
	}
	}
}

/* ------------------------------------------------------------- regions */

/* An offset inside/around region @ri for an access of @len bytes. */
static uint64_t region_off(struct fz_rng *r, uint64_t size, uint64_t len)
{
	switch (fz_below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return size ? size - 1 : 0;
	case 2:
		return size;			/* at the end */
	case 3:
		return size > len ? size - len + 1 + fz_below(r, len ? len : 1) : 0;	/* straddle */
	case 4:
		return size + fz_below(r, 4096);	/* past the end */
	case 5:
		return fz_magic64(r) & ((1ULL << 40) - 1);
	case 6:
		return (fz_below(r, size ? size : 1) | 1);	/* unaligned */
	default:
		return fz_below(r, size ? size : 1) & ~(uint64_t)(len ? len - 1 : 0);
	}
}

static void op_region_rw(struct fz_dev *d, struct fz_rng *r)
{
	static const uint64_t lens[] = { 1, 2, 4, 8, 3, 5, 6, 7, 16, 64, 256, 4096, 65536 };
	uint8_t *buf;
	struct vfio_region_info *ri = NULL;
	uint64_t base, size = 0, off, len;
	unsigned int idx;
	bool write = fz_chance(r, 40);
	ssize_t n;

	idx = fz_below(r, d->nregions + 1);
	if (idx < d->nregions) {
		ri = &d->ri[idx];
		base = ri->offset;
		size = d->ri_ok[idx] ? ri->size : 0;
	} else {
		base = fz_chance(r, 50) ? (uint64_t)idx << 40 : fz_magic64(r);
	}
	len = lens[fz_below(r, sizeof(lens) / 8)];
	if (fz_chance(r, 5))
		len = 1 + fz_below(r, 1 << 20);
	off = region_off(r, size, len);
	if (ri && idx == VFIO_PCI_CONFIG_REGION_INDEX && write && off < 0x40 &&
	    d->kind == FZ_DEV_VBLK && fz_chance(r, 80))
		write = false;	/* keep the header mostly intact: fewer dead devices */
	buf = malloc(len + 64);
	if (!buf)
		return;
	memset(buf, 0xa5, len + 64);
	if (write)
		for (uint64_t i = 0; i < len && i < 64; i++)
			buf[i] = fz_next(r);
	if (write && d->kind == FZ_DEV_VBLK)
		d->vb_ready = false;	/* registers changed under the driver */
	if (write)
		n = pwrite(d->v->device, buf, len, base + off);
	else
		n = pread(d->v->device, buf, len, base + off);
	if (n > (ssize_t)len)
		fz_bug("%s of %llu bytes at region %u + %#llx returned %zd",
		       write ? "write" : "read", (unsigned long long)len, idx,
		       (unsigned long long)off, n);
	if (ri && n > 0 && (off >= size || (uint64_t)n > size - off))
		fz_bug("%s at region %u + %#llx (size %#llx) moved %zd bytes past the end",
		       write ? "write" : "read", idx, (unsigned long long)off,
		       (unsigned long long)size, n);
	if (!write && n >= 0 && buf[len] != 0xa5)
		fz_bug("read of %llu bytes wrote past the buffer",
		       (unsigned long long)len);
	free(buf);
}

/* ----------------------------------------------------------------- mmap */

static void op_mmap(struct fz_dev *d, struct fz_rng *r)
{
	unsigned int idx = fz_below(r, d->nregions + 1), slot;
	uint64_t size = idx < d->nregions && d->ri_ok[idx] ? d->ri[idx].size : 0;
	uint64_t base = idx < d->nregions ? d->ri[idx].offset : (uint64_t)idx << 40;
	uint64_t off, len;
	int prot = PROT_READ | (fz_chance(r, 70) ? PROT_WRITE : 0);
	int flags = fz_chance(r, 90) ? MAP_SHARED : MAP_PRIVATE;
	uint8_t *p;

	slot = fz_below(r, FZ_MAX_MAPS);
	if (d->map[slot]) {
		munmap(d->map[slot], d->map_len[slot]);
		d->map[slot] = NULL;
	}
	if (fz_chance(r, 30))
		return;		/* just the unmap */
	switch (fz_below(r, 6)) {
	case 0:
		off = 0, len = size;
		break;
	case 1:
		off = size, len = 4096;
		break;
	case 2:
		off = size >= 4096 ? size - 4096 : 0, len = 8192;
		break;
	case 3:
		off = 4096 * fz_below(r, 16), len = 4096 * (1 + fz_below(r, 16));
		break;
	case 4:
		off = 0, len = fz_len(r, size);
		break;
	default:
		off = fz_below(r, size + 1) & ~4095ULL, len = 4096;
		break;
	}
	if (!len || len > (1ULL << 32))
		len = 4096;
	p = mmap(NULL, len, prot, flags, d->v->device, base + off);
	if (p == MAP_FAILED)
		return;
	if (idx >= d->nregions || !(d->ri[idx].flags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    off + ((len + 4095) & ~4095ULL) > ((size + 4095) & ~4095ULL))
		fz_bug("mmap of region %u [%#llx, +%#llx) succeeded (size %#llx, flags %#x)",
		       idx, (unsigned long long)off, (unsigned long long)len,
		       (unsigned long long)size,
		       idx < d->nregions ? d->ri[idx].flags : 0);
	fz_probe_mem(p, false);
	if (prot & PROT_WRITE && fz_chance(r, 50))
		fz_probe_mem(p + (len - 1) / 8 * 8, true);
	d->map[slot] = p;
	d->map_len[slot] = len;
}

/* --------------------------------------------------------------- reopen */

static void op_reopen(struct fz_dev *d, struct fz_rng *r)
{
	int i, old[FZ_MAX_FDS];
	bool closes = true;
	char b[8];

	for (i = 0; i < FZ_MAX_FDS; i++)
		old[i] = d->data_fd[i];
	if (fz_chance(r, 50))
		fz_dev_drop_maps(d);	/* else mappings outlive the fd */
	for (i = 0; i < FZ_MAX_MAPS; i++)
		closes = closes && !d->map[i];
	if (fz_dev_reopen(d, closes))
		return;
	/*
	 * A data_fd of the closed device is cut off: it must not produce
	 * stream bytes any more (design.md: "returns errors from then on").
	 */
	for (i = 0; i < FZ_MAX_FDS; i++) {
		ssize_t n;

		if (old[i] < 0)
			continue;
		n = read(old[i], b, sizeof(b));
		if (n > 0 && closes)
			fz_bug("data_fd read returned %zd bytes after the device was closed", n);
		if (fz_chance(r, 50)) {
			close(old[i]);
			d->data_fd[i] = -1;
		}
	}
}

/* weights: see "Operation weights" in fuzz.h */
const struct fz_kind fz_dev_kinds[] = {
	{ "get_info", FZ_S_IOCTL, op_get_info, 8, false, false },
	{ "region_info", FZ_S_IOCTL, op_region_info, 20, false, false },
	{ "irq_info", FZ_S_IOCTL, op_irq_info, 12, false, false },
	{ "reset", FZ_S_IOCTL, op_reset, 4, false, false },
	{ "set_irqs", FZ_S_IRQ, op_set_irqs, 16, false, false },
	{ "feature", FZ_S_FEATURE, op_feature_raw, 32, false, false },
	{ "dma_log", FZ_S_DMALOG, op_dma_log, 12, false, false },
	{ "region_rw", FZ_S_REGION, op_region_rw, 64, false, false },
	{ "mmap", FZ_S_MMAP, op_mmap, 12, false, false },
	{ "reopen", FZ_S_REOPEN, op_reopen, 1, false, false },
};
const unsigned int fz_dev_nkinds = sizeof(fz_dev_kinds) / sizeof(fz_dev_kinds[0]);
