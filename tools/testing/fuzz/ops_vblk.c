// SPDX-License-Identifier: GPL-2.0
/*
 * svf-fuzz: the guest side of an SF virtio-blk mdev (drivers/sf_blk), as a
 * hostile guest driver would drive it through the mdev's BARs and guest
 * memory DMA-mapped with VFIO_IOMMU_MAP_DMA (tools/vblk does the normal
 * driver work: capabilities, feature negotiation, queue setup, MSI-X).
 *
 * Requests: valid chains with sectors at and past the capacity (also
 * values whose byte offset overflows 64 bits), odd lengths, unknown types.
 * Rings: chains that loop, index past the queue size, point outside the
 * mapped memory or wrap 64-bit address arithmetic; avail indexes far
 * ahead; notifies on unconfigured queues; common-config writes racing
 * with I/O from a second thread; guest memory unmapped under the device.
 *
 * Descriptors 0..191 belong to vblk's request slots; hostile chains are
 * built from descriptors 192 and up.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "fuzz.h"

#define HOSTILE_DESC	192
#define SECTOR		512ULL
#define NOTIFY_OFF	0x3000	/* SVF_VBLK_NOTIFY_OFF, from the notify cap */

int fz_vblk_up(struct fz_dev *d)
{
	int ret;

	if (d->kind != FZ_DEV_VBLK)
		return -EINVAL;
	/* a stopped device does not process its queues: RUNNING first */
	if (fz_mig_recover(d))
		return -EIO;
	if (d->vb_ready)
		return 0;
	ret = vblk_init_driver(&d->vb, VBLK_MAX_QUEUES);
	d->vb_ready = !ret;
	return ret;
}

/* The device flagged NEEDS_RESET (or stopped answering): re-init later. */
static void vb_check_broken(struct fz_dev *d)
{
	if (vblk_status(&d->vb) & VIRTIO_CONFIG_S_NEEDS_RESET)
		d->vb_ready = false;
}

static uint64_t hostile_sector(struct fz_rng *r, uint64_t cap)
{
	switch (fz_below(r, 10)) {
	case 0:
		return cap;
	case 1:
		return cap + 1;
	case 2:
		return cap - 1;
	case 3:
		return 1ULL << 55;		/* * 512 == 2^64: wraps to 0 */
	case 4:
		return (1ULL << 55) + fz_below(r, 8);
	case 5:
		return ~0ULL / SECTOR + 1 + fz_below(r, 4);
	case 6:
		return fz_magic64(r);
	default:
		return fz_below(r, cap);
	}
}

/* Is [sector*512, +len) outside a store of @cap sectors?  128-bit math. */
static bool beyond(uint64_t sector, uint64_t len, uint64_t cap)
{
	unsigned __int128 end = (unsigned __int128)sector * SECTOR + len;

	return end > (unsigned __int128)cap * SECTOR;
}

static void op_vb_io(struct fz_dev *d, struct fz_rng *r)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
		VIRTIO_BLK_T_GET_ID, 2, 0xffffffff,
	};
	struct vblk *b = &d->vb;
	uint32_t type, len;
	uint64_t sector;
	int q, slot, got, ret;
	uint8_t st;

	if (fz_vblk_up(d))
		return;
	q = fz_below(r, b->nq);
	type = types[fz_below(r, 4 + (fz_chance(r, 10) ? 2 : 0))];
	sector = hostile_sector(r, b->capacity);
	len = fz_chance(r, 85) ? SECTOR * (1 + fz_below(r, 16)) :
	      1 + fz_below(r, VBLK_SLOT_DATA);
	if (type == VIRTIO_BLK_T_FLUSH)
		len = 0;
	if (type == VIRTIO_BLK_T_OUT)
		vblk_pattern(vblk_slot_buf(b, q, 0), len & ~7u, sector, d->v->device);
	if (b->q[q].busy & 1)
		return;
	ret = vblk_submit(b, q, 0, type, sector, len, true);
	if (ret)
		return;
	ret = vblk_reap(b, q, &slot, &st, 0);
	if (ret == -EPROTO)
		fz_bug("used ring names a head the driver never submitted");
	if (ret <= 0) {
		vb_check_broken(d);
		if (d->vb_ready && !ret)
			fz_bug("request (type %u sector %#llx len %u) not completed by its notify",
			       type, (unsigned long long)sector, len);
		d->vb_ready = false;
		return;
	}
	if ((type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT) &&
	    st == VIRTIO_BLK_S_OK && (beyond(sector, len, b->capacity) || len % SECTOR))
		fz_bug("%s of %u bytes at sector %#llx (capacity %#llx sectors) completed OK",
		       type == VIRTIO_BLK_T_IN ? "read" : "write", len,
		       (unsigned long long)sector, (unsigned long long)b->capacity);
	if (type == VIRTIO_BLK_T_OUT && st == VIRTIO_BLK_S_OK && fz_chance(r, 30)) {
		/* what was written reads back */
		got = vblk_submit(b, q, 0, VIRTIO_BLK_T_IN, sector, len, true);
		if (got || vblk_reap(b, q, &slot, &st, 0) <= 0) {
			vb_check_broken(d);
			return;
		}
		if (st == VIRTIO_BLK_S_OK &&
		    vblk_check_pattern(vblk_slot_buf(b, q, 0), len & ~7u, sector,
				       d->v->device) >= 0)
			fz_bug("sector %#llx does not read back what was written",
			       (unsigned long long)sector);
	}
}

/* A hostile descriptor chain from HOSTILE_DESC on, published and kicked. */
static void op_vb_chain(struct fz_dev *d, struct fz_rng *r)
{
	struct vblk *b = &d->vb;
	uint64_t iova_end = VBLK_IOVA + b->mem_size;
	struct vring_used *u;
	struct vring_desc *dt;
	uint16_t head, used_before, qs, i, n;
	int q, kind;
	bool ring_bad = false;

	if (fz_vblk_up(d))
		return;
	q = fz_below(r, b->nq);
	qs = b->q[q].size;
	if (qs <= HOSTILE_DESC + 8)
		return;
	dt = vblk_desc(b, q, 0);
	u = (void *)(b->mem + b->q[q].used);
	head = HOSTILE_DESC + fz_below(r, 8);
	n = 2 + fz_below(r, 6);
	/* start from a plausible request: header, data, status */
	for (i = 0; i < n; i++) {
		struct vring_desc *x = &dt[head + i];

		x->addr = VBLK_IOVA + b->q[q].data + fz_below(r, 8) * 512;
		x->len = i == 0 ? 16 : i == n - 1 ? 1 : 512;
		x->flags = (i < n - 1 ? VRING_DESC_F_NEXT : 0) |
			   (i == n - 1 || fz_chance(r, 30) ? VRING_DESC_F_WRITE : 0);
		x->next = head + i + 1;
	}
	kind = fz_below(r, 10);
	i = fz_below(r, n);
	switch (kind) {
	case 0:		/* loop back */
		dt[head + n - 1].flags |= VRING_DESC_F_NEXT;
		dt[head + n - 1].next = head + fz_below(r, n);
		ring_bad = true;
		break;
	case 1:		/* next past the queue */
		dt[head + i].flags |= VRING_DESC_F_NEXT;
		dt[head + i].next = qs + fz_below(r, 0x10000 - qs);
		ring_bad = true;
		break;
	case 2:		/* outside the mapped memory */
		dt[head + i].addr = fz_chance(r, 50) ? iova_end + fz_below(r, 1 << 20) :
				    fz_below(r, VBLK_IOVA);
		break;
	case 3:		/* addr + len wraps */
		dt[head + i].addr = ~0ULL - fz_below(r, 4096);
		dt[head + i].len = 4096 + fz_below(r, 1 << 20);
		break;
	case 4:		/* straddles the end of the mapping */
		dt[head + i].addr = iova_end - fz_below(r, 512) - 1;
		dt[head + i].len = 1024;
		break;
	case 5:		/* huge lengths */
		dt[head + i].len = 0xffffffff - fz_below(r, 2);
		break;
	case 6:		/* indirect (not negotiated) */
		dt[head + i].flags |= VRING_DESC_F_INDIRECT;
		ring_bad = true;
		break;
	case 7: {	/* more segments than SEG_MAX + 2, chained over the table */
		uint16_t k;

		for (k = HOSTILE_DESC; k < qs - 1; k++) {
			dt[k].addr = VBLK_IOVA + b->q[q].data;
			dt[k].len = 512;
			dt[k].flags = VRING_DESC_F_NEXT;
			dt[k].next = k + 1;
		}
		dt[qs - 1].flags = VRING_DESC_F_WRITE;
		dt[qs - 1].len = 1;
		head = HOSTILE_DESC;
		break;
	}
	case 8:		/* readable after writable */
		dt[head].flags |= VRING_DESC_F_WRITE;
		break;
	default:	/* a random field */
		switch (fz_below(r, 4)) {
		case 0:
			dt[head + i].addr = fz_magic64(r);
			break;
		case 1:
			dt[head + i].len = fz_magic64(r);
			break;
		case 2:
			dt[head + i].flags = fz_next(r);
			ring_bad = dt[head + i].flags & VRING_DESC_F_INDIRECT;
			break;
		default:
			dt[head + i].next = fz_next(r);
			break;
		}
		if (kind == 9 && !(dt[head + i].flags & VRING_DESC_F_NEXT))
			ring_bad = false;
		break;
	}
	used_before = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
	vblk_push_raw(b, q, head, true);
	if (ring_bad && __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) != used_before &&
	    kind <= 1 && u->ring[used_before % qs].id == head)
		fz_bug("malformed chain (kind %d) at head %u completed", kind, head);
	/* the driver's own bookkeeping no longer matches: start over */
	d->vb_ready = false;
}

static void op_vb_avail(struct fz_dev *d, struct fz_rng *r)
{
	struct vblk *b = &d->vb;
	struct vring_avail *av;
	struct vblk_queue *vq;
	int q;

	if (fz_vblk_up(d))
		return;
	q = fz_below(r, b->nq);
	vq = &b->q[q];
	av = (void *)(b->mem + vq->avail);
	if (fz_chance(r, 50)) {
		/* index too far ahead of what the device consumed */
		av->idx = vq->avail_idx + vq->size + 1 + fz_below(r, 0x8000);
	} else {
		/* a head past the table */
		av->ring[vq->avail_idx % vq->size] = vq->size + fz_below(r, 0x10000 - vq->size);
		vq->avail_idx++;
		__atomic_store_n(&av->idx, vq->avail_idx, __ATOMIC_RELEASE);
	}
	vblk_kick(b, q);
	d->vb_ready = false;
}

static void op_vb_notify(struct fz_dev *d, struct fz_rng *r)
{
	struct vblk *b = &d->vb;
	uint64_t v = fz_magic64(r);
	uint32_t off, len = 1u << fz_below(r, 4);

	switch (fz_below(r, 3)) {
	case 0:		/* queue index beyond the configured ones */
		off = b->notify + b->notify_mult * (b->nq + fz_below(r, 64));
		break;
	case 1:		/* anywhere in the notify area, any alignment */
		off = b->notify + fz_below(r, 0x1000);
		break;
	default:	/* a configured queue, before or after DRIVER_OK */
		off = b->notify + b->notify_mult * fz_below(r, VBLK_MAX_QUEUES);
		break;
	}
	vblk_bar_write(b, off, &v, len);
	vb_check_broken(d);
}

/* One random common-config or device-config access. */
static void vb_cfg_one(struct vblk *b, struct fz_rng *r)
{
	uint32_t off = fz_below(r, 0x40), len = 1u << fz_below(r, 3);
	uint64_t v = fz_chance(r, 50) ? fz_magic64(r) : fz_below(r, 16);

	if (fz_chance(r, 20)) {
		vblk_bar_read(b, b->devcfg + fz_below(r, 0x40), &v, len);
		return;
	}
	if (fz_chance(r, 30))
		off &= ~(len - 1);
	if (fz_chance(r, 30))
		vblk_bar_read(b, b->common + off, &v, len);
	else
		vblk_bar_write(b, b->common + off, &v, len);
}

static void op_vb_cfg(struct fz_dev *d, struct fz_rng *r)
{
	int i, n = 1 + fz_below(r, 8);

	for (i = 0; i < n; i++)
		vb_cfg_one(&d->vb, r);
	d->vb_ready = false;
}

struct cfg_racer {
	struct vblk *b;
	uint64_t seed;
	int iters;
};

static void *cfg_race_main(void *arg)
{
	struct cfg_racer *c = arg;
	struct fz_rng r;
	int i;

	fz_seed(&r, c->seed);
	for (i = 0; i < c->iters; i++) {
		if (fz_chance(&r, 20)) {
			uint8_t zero = 0;	/* device reset under the I/O */

			vblk_bar_write(c->b, c->b->common + VIRTIO_PCI_COMMON_STATUS, &zero, 1);
		} else {
			vb_cfg_one(c->b, &r);
		}
	}
	return NULL;
}

/* Config writes from a second thread while this one submits I/O. */
static void op_vb_race(struct fz_dev *d, struct fz_rng *r)
{
	struct cfg_racer c = { &d->vb, fz_next(r), 4 + fz_below(r, 12) };
	struct vblk *b = &d->vb;
	pthread_t t;
	int i, slot;
	uint8_t st;

	if (fz_vblk_up(d))
		return;
	if (pthread_create(&t, NULL, cfg_race_main, &c))
		return;
	for (i = 0; i < c.iters; i++) {
		int q = fz_below(r, b->nq), s = 1 + fz_below(r, 8);

		if (b->q[q].busy & (1ULL << s))
			vblk_reap(b, q, &slot, &st, 0);
		else
			vblk_submit(b, q, s, fz_chance(r, 50) ? VIRTIO_BLK_T_IN :
				    VIRTIO_BLK_T_OUT, fz_below(r, b->capacity - 8),
				    SECTOR * (1 + fz_below(r, 8)), true);
	}
	pthread_join(t, NULL);
	d->vb_ready = false;
}

/* Unmap guest memory under a pending request, kick, map it again. */
static void op_vb_unmap(struct fz_dev *d, struct fz_rng *r)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	struct vblk *b = &d->vb;
	int q;

	if (fz_vblk_up(d))
		return;
	q = fz_below(r, b->nq);
	if (!(b->q[q].busy & 2))
		vblk_submit(b, q, 1, VIRTIO_BLK_T_OUT, 0, SECTOR, false);
	if (svf_vfio_dma_unmap(&b->v, VBLK_IOVA, b->mem_size, NULL))
		return;
	vblk_kick(b, q);
	m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	m.vaddr = (uintptr_t)b->mem;
	m.iova = VBLK_IOVA;
	m.size = b->mem_size;
	if (ioctl(b->v.container, VFIO_IOMMU_MAP_DMA, &m))
		fz_bug("guest memory could not be mapped again: %s", strerror(errno));
	d->vb_ready = false;
}

/* weights: see "Operation weights" in fuzz.h */
const struct fz_kind fz_vblk_kinds[] = {
	{ "vb_io", FZ_S_VBLK, op_vb_io, 16, true, false },
	{ "vb_chain", FZ_S_VBLK, op_vb_chain, 12, true, false },
	{ "vb_avail", FZ_S_VBLK, op_vb_avail, 2, true, false },
	{ "vb_notify", FZ_S_VBLK, op_vb_notify, 12, true, false },
	{ "vb_cfg", FZ_S_VBLK, op_vb_cfg, 12, true, false },
	{ "vb_race", FZ_S_VBLK, op_vb_race, 1, true, false },
	{ "vb_unmap", FZ_S_VBLK, op_vb_unmap, 1, true, false },
};
const unsigned int fz_vblk_nkinds = sizeof(fz_vblk_kinds) / sizeof(fz_vblk_kinds[0]);
