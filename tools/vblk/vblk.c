// SPDX-License-Identifier: GPL-2.0
/*
 * vblk.c - userspace virtio-blk driver over VFIO (see vblk.h).
 *
 * Guest memory layout (one mapping at VBLK_IOVA), per queue q:
 *   ring area:  descriptor table, avail ring, used ring (page aligned)
 *   slot area:  VBLK_SLOTS x { 16-byte header, status byte, pad, data }
 * Slot s uses descriptors 3s (header), 3s+1 (data), 3s+2 (status).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>

#include "vblk.h"

#define PAGE		4096ULL
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define SLOT_HDR	64	/* header + status, keeps data 64-byte aligned */
#define SLOT_SIZE	(SLOT_HDR + VBLK_SLOT_DATA)

static inline void wmb_(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void rmb_(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }

static int pio(int fd, uint64_t off, void *buf, uint32_t len, bool write)
{
	ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EIO;
}

int vblk_cfg_read(struct vblk *b, uint32_t off, void *buf, uint32_t len)
{
	return pio(b->v.device, b->cfg_off + off, buf, len, false);
}

int vblk_cfg_write(struct vblk *b, uint32_t off, const void *buf, uint32_t len)
{
	return pio(b->v.device, b->cfg_off + off, (void *)buf, len, true);
}

int vblk_bar_read(struct vblk *b, uint32_t off, void *buf, uint32_t len)
{
	return pio(b->v.device, b->bar_off + off, buf, len, false);
}

int vblk_bar_write(struct vblk *b, uint32_t off, const void *buf, uint32_t len)
{
	return pio(b->v.device, b->bar_off + off, (void *)buf, len, true);
}

/* Little-endian register read of 1, 2 or 4 bytes (x86 host: no swap). */
uint32_t vblk_rd(struct vblk *b, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	if (vblk_bar_read(b, off, &v, len))
		return ~0u;
	return v;
}

void vblk_wr(struct vblk *b, uint32_t off, uint32_t val, uint32_t len)
{
	vblk_bar_write(b, off, &val, len);
}

uint8_t vblk_status(struct vblk *b)
{
	return vblk_rd(b, b->common + VIRTIO_PCI_COMMON_STATUS, 1);
}

/* Walks the capability list for the virtio structures and MSI-X. */
static int vblk_caps(struct vblk *b)
{
	uint8_t cap[20], pos = 0;
	int seen = 0, guard = 48;
	uint16_t status;

	if (vblk_cfg_read(b, PCI_STATUS, &status, 2))
		return -EIO;
	if (!(status & PCI_STATUS_CAP_LIST))
		return -ENODEV;
	vblk_cfg_read(b, PCI_CAPABILITY_LIST, &pos, 1);
	b->bar = -1;
	while (pos && guard--) {
		uint32_t off;

		if (pos < 0x40 || vblk_cfg_read(b, pos & ~3, cap, sizeof(cap)))
			return -EIO;
		if (cap[0] == PCI_CAP_ID_MSIX)
			b->msix_vectors = ((cap[2] | cap[3] << 8) & PCI_MSIX_FLAGS_QSIZE) + 1;
		if (cap[0] == PCI_CAP_ID_VNDR) {
			memcpy(&off, cap + 8, 4);
			switch (cap[3]) {
			case VIRTIO_PCI_CAP_COMMON_CFG:
				b->common = off;
				b->bar = cap[4];
				seen |= 1;
				break;
			case VIRTIO_PCI_CAP_NOTIFY_CFG:
				b->notify = off;
				memcpy(&b->notify_mult, cap + 16, 4);
				seen |= 2;
				break;
			case VIRTIO_PCI_CAP_ISR_CFG:
				b->isr = off;
				seen |= 4;
				break;
			case VIRTIO_PCI_CAP_DEVICE_CFG:
				b->devcfg = off;
				seen |= 8;
				break;
			}
		}
		pos = cap[1];
	}
	return seen == 15 ? 0 : -ENODEV;
}

/* Enables MSI-X in config space and unmasks every table entry. */
static void vblk_msix_enable(struct vblk *b)
{
	uint8_t pos = 0, cap[12];
	uint16_t ctl;
	uint32_t tbl, zero = 0, i;
	int guard = 48;

	vblk_cfg_read(b, PCI_CAPABILITY_LIST, &pos, 1);
	while (pos && guard--) {
		if (vblk_cfg_read(b, pos, cap, sizeof(cap)))
			return;
		if (cap[0] == PCI_CAP_ID_MSIX)
			break;
		pos = cap[1];
	}
	if (!pos || cap[0] != PCI_CAP_ID_MSIX)
		return;
	ctl = (cap[2] | cap[3] << 8) | PCI_MSIX_FLAGS_ENABLE;
	ctl &= ~PCI_MSIX_FLAGS_MASKALL;
	vblk_cfg_write(b, pos + PCI_MSIX_FLAGS, &ctl, 2);
	memcpy(&tbl, cap + PCI_MSIX_TABLE, 4);
	for (i = 0; i < b->msix_vectors; i++) {
		struct vfio_region_info ri;

		if (svf_vfio_region(&b->v, tbl & PCI_MSIX_TABLE_BIR, &ri))
			return;
		pio(b->v.device, ri.offset + (tbl & PCI_MSIX_TABLE_OFFSET) +
		    i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL,
		    &zero, 4, true);
	}
}

/**
 * vblk_pci_enable() - what a guest's driver does to the function first
 * @b: device
 *
 * Memory decoding and bus mastering on, MSI-X enabled with every vector
 * unmasked (e.g. on a migration destination whose source had none set up).
 */
void vblk_pci_enable(struct vblk *b)
{
	uint16_t cmd = 0;

	vblk_cfg_read(b, PCI_COMMAND, &cmd, 2);
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	vblk_cfg_write(b, PCI_COMMAND, &cmd, 2);
	if (b->msix_vectors)
		vblk_msix_enable(b);
}

static int vblk_msix(struct vblk *b)
{
	int n = b->msix_vectors, i, ret;
	char buf[sizeof(struct vfio_irq_set) + sizeof(int) * 16];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
	int *fds = (int *)s->data;

	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++) {
		fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fds[i] < 0)
			return -errno;
	}
	s->argsz = sizeof(*s) + sizeof(int) * n;
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = VFIO_PCI_MSIX_IRQ_INDEX;
	s->start = 0;
	s->count = n;
	ret = ioctl(b->v.device, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
	if (ret) {
		for (i = 0; i < n; i++)
			close(fds[i]);
		return ret;
	}
	b->cfg_efd = fds[0];
	for (i = 1; i < n && i <= VBLK_MAX_QUEUES; i++)
		b->q[i - 1].efd = fds[i];
	for (; i < n; i++)
		close(fds[i]);
	return 0;
}

static uint64_t vblk_layout(struct vblk *b)
{
	uint64_t at = 0;
	int i;

	for (i = 0; i < VBLK_MAX_QUEUES; i++) {
		struct vblk_queue *q = &b->q[i];

		q->size = VBLK_QSIZE;
		q->desc = at;
		q->avail = q->desc + 16 * VBLK_QSIZE;
		q->used = ALIGN_UP(q->avail + 6 + 2 * VBLK_QSIZE, PAGE);
		q->data = ALIGN_UP(q->used + 6 + 8 * VBLK_QSIZE, PAGE);
		at = ALIGN_UP(q->data + (uint64_t)VBLK_SLOTS * SLOT_SIZE, PAGE);
	}
	return at;
}

/**
 * vblk_attach() - open @dev, find its registers, map guest memory, MSI-X
 * @b: state
 * @dev: mdev uuid, PCI address or sysfs path
 *
 * Does not touch the device state: a migration destination attaches,
 * resumes, then adopts the source's driver state with vblk_adopt().
 */
int vblk_attach(struct vblk *b, const char *dev)
{
	struct vfio_region_info ri;
	int ret, i;

	memset(b, 0, sizeof(*b));
	b->cfg_efd = -1;
	for (i = 0; i < VBLK_MAX_QUEUES; i++)
		b->q[i].efd = -1;
	ret = svf_vfio_open(&b->v, dev);
	if (ret)
		return ret;
	ret = svf_vfio_region(&b->v, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (ret)
		goto fail;
	b->cfg_off = ri.offset;
	ret = vblk_caps(b);
	if (ret)
		goto fail;
	ret = svf_vfio_region(&b->v, b->bar, &ri);
	if (ret)
		goto fail;
	b->bar_off = ri.offset;
	b->mem_size = vblk_layout(b);
	ret = svf_vfio_dma_map(&b->v, VBLK_IOVA, b->mem_size, (void **)&b->mem);
	if (ret)
		goto fail;
	/*
	 * Only the eventfds: config space (decoding, bus mastering, MSI-X
	 * enable and table) is device state; a migration destination gets
	 * it from the stream, a fresh device from vblk_init_driver().
	 */
	if (b->msix_vectors) {
		ret = vblk_msix(b);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	vblk_close(b);
	return ret;
}

static int vblk_set_status(struct vblk *b, uint8_t bits)
{
	vblk_wr(b, b->common + VIRTIO_PCI_COMMON_STATUS, vblk_status(b) | bits, 1);
	return (vblk_status(b) & bits) == bits ? 0 : -EIO;
}

static int vblk_setup_queue(struct vblk *b, uint16_t i)
{
	struct vblk_queue *q = &b->q[i];
	uint32_t c = b->common;
	uint64_t a;

	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_SELECT, i, 2);
	if (vblk_rd(b, c + VIRTIO_PCI_COMMON_Q_SIZE, 2) < q->size)
		q->size = vblk_rd(b, c + VIRTIO_PCI_COMMON_Q_SIZE, 2);
	if (q->size < 3)
		return -EINVAL;
	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_SIZE, q->size, 2);
	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_MSIX,
		b->msix_vectors > i + 1 ? i + 1 : VIRTIO_MSI_NO_VECTOR, 2);
	a = VBLK_IOVA + q->desc;
	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_DESCLO, a, 4);
	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_DESCHI, a >> 32, 4);
	a = VBLK_IOVA + q->avail;
	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_AVAILLO, a, 4);
	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_AVAILHI, a >> 32, 4);
	a = VBLK_IOVA + q->used;
	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_USEDLO, a, 4);
	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_USEDHI, a >> 32, 4);
	q->notify = b->notify + b->notify_mult *
		    vblk_rd(b, c + VIRTIO_PCI_COMMON_Q_NOFF, 2);
	vblk_wr(b, c + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	if (vblk_rd(b, c + VIRTIO_PCI_COMMON_Q_ENABLE, 2) != 1)
		return -EIO;
	q->avail_idx = 0;
	q->last_used = 0;
	q->busy = 0;
	memset(b->mem + q->desc, 0, q->data - q->desc);
	return 0;
}

static uint64_t vblk_read_features(struct vblk *b)
{
	uint64_t f;

	vblk_wr(b, b->common + VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	f = vblk_rd(b, b->common + VIRTIO_PCI_COMMON_DF, 4);
	vblk_wr(b, b->common + VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	f |= (uint64_t)vblk_rd(b, b->common + VIRTIO_PCI_COMMON_DF, 4) << 32;
	return f;
}

/**
 * vblk_init_driver() - reset the function and bring it to DRIVER_OK
 * @b: attached device
 * @nq: queues wanted (clamped to what the device offers)
 */
int vblk_init_driver(struct vblk *b, uint16_t nq)
{
	uint64_t want = (1ULL << VIRTIO_F_VERSION_1) |
			(1ULL << VIRTIO_BLK_F_FLUSH) |
			(1ULL << VIRTIO_BLK_F_SEG_MAX) |
			(1ULL << VIRTIO_BLK_F_BLK_SIZE) |
			(1ULL << VIRTIO_BLK_F_MQ);
	uint16_t i, numq;
	int ret;

	vblk_pci_enable(b);
	vblk_wr(b, b->common + VIRTIO_PCI_COMMON_STATUS, 0, 1);
	if (vblk_status(b) != 0)
		return -EIO;
	vblk_set_status(b, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	b->features = vblk_read_features(b) & want;
	if (!(b->features & (1ULL << VIRTIO_F_VERSION_1)))
		return -ENOTSUP;
	vblk_wr(b, b->common + VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	vblk_wr(b, b->common + VIRTIO_PCI_COMMON_GF, (uint32_t)b->features, 4);
	vblk_wr(b, b->common + VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	vblk_wr(b, b->common + VIRTIO_PCI_COMMON_GF, b->features >> 32, 4);
	ret = vblk_set_status(b, VIRTIO_CONFIG_S_FEATURES_OK);
	if (ret)
		return ret;
	numq = vblk_rd(b, b->common + VIRTIO_PCI_COMMON_NUMQ, 2);
	b->nq = nq < numq ? nq : numq;
	if (!b->nq || b->nq > VBLK_MAX_QUEUES)
		return -EINVAL;
	if (b->msix_vectors)
		vblk_wr(b, b->common + VIRTIO_PCI_COMMON_MSIX, 0, 2);
	for (i = 0; i < b->nq; i++) {
		ret = vblk_setup_queue(b, i);
		if (ret)
			return ret;
	}
	b->capacity = vblk_rd(b, b->devcfg, 4) |
		      (uint64_t)vblk_rd(b, b->devcfg + 4, 4) << 32;
	return vblk_set_status(b, VIRTIO_CONFIG_S_DRIVER_OK);
}

int vblk_open(struct vblk *b, const char *dev, uint16_t nq)
{
	int ret = vblk_attach(b, dev);

	if (ret)
		return ret;
	ret = vblk_init_driver(b, nq);
	if (ret)
		vblk_close(b);
	return ret;
}

void vblk_close(struct vblk *b)
{
	int i;

	if (b->mem)
		svf_vfio_dma_unmap(&b->v, VBLK_IOVA, b->mem_size, b->mem);
	b->mem = NULL;
	if (b->cfg_efd >= 0)
		close(b->cfg_efd);
	b->cfg_efd = -1;
	for (i = 0; i < VBLK_MAX_QUEUES; i++) {
		if (b->q[i].efd >= 0)
			close(b->q[i].efd);
		b->q[i].efd = -1;
	}
	svf_vfio_close(&b->v);
}

struct vring_desc *vblk_desc(struct vblk *b, int q, uint16_t i)
{
	return (struct vring_desc *)(b->mem + b->q[q].desc) + i;
}

void *vblk_slot_buf(struct vblk *b, int q, int slot)
{
	return b->mem + b->q[q].data + (uint64_t)slot * SLOT_SIZE + SLOT_HDR;
}

int vblk_kick(struct vblk *b, int q)
{
	uint16_t v = q;

	return vblk_bar_write(b, b->q[q].notify, &v, 2);
}

/**
 * vblk_push_raw() - publish descriptor chain @head in the avail ring
 * @b: device
 * @q: queue
 * @head: first descriptor (the caller filled the table via vblk_desc())
 * @kick: notify the device afterwards
 */
int vblk_push_raw(struct vblk *b, int q, uint16_t head, bool kick)
{
	struct vblk_queue *vq = &b->q[q];
	struct vring_avail *av = (void *)(b->mem + vq->avail);

	av->ring[vq->avail_idx % vq->size] = head;
	wmb_();
	vq->avail_idx++;
	__atomic_store_n(&av->idx, vq->avail_idx, __ATOMIC_RELEASE);
	return kick ? vblk_kick(b, q) : 0;
}

/**
 * vblk_submit() - queue one request in slot @slot
 * @b: device
 * @q: queue
 * @slot: 0..VBLK_SLOTS-1, not in flight; data is in vblk_slot_buf()
 * @type: VIRTIO_BLK_T_*
 * @sector: first sector
 * @len: data bytes (0 for FLUSH)
 * @kick: notify the device
 */
int vblk_submit(struct vblk *b, int q, int slot, uint32_t type,
		uint64_t sector, uint32_t len, bool kick)
{
	struct vblk_queue *vq = &b->q[q];
	uint64_t base = vq->data + (uint64_t)slot * SLOT_SIZE;
	struct virtio_blk_outhdr *h = (void *)(b->mem + base);
	uint16_t d = slot * 3;
	struct vring_desc *dt = vblk_desc(b, q, 0);
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;

	if (slot < 0 || slot >= VBLK_SLOTS || d + 2 >= vq->size ||
	    len > VBLK_SLOT_DATA || (vq->busy & (1ULL << slot)))
		return -EINVAL;
	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	b->mem[base + 16] = 0xff;
	dt[d].addr = VBLK_IOVA + base;
	dt[d].len = sizeof(*h);
	dt[d].flags = VRING_DESC_F_NEXT;
	dt[d].next = d + 1;
	if (len) {
		dt[d + 1].addr = VBLK_IOVA + base + SLOT_HDR;
		dt[d + 1].len = len;
		dt[d + 1].flags = VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0);
		dt[d + 1].next = d + 2;
	} else {
		dt[d].next = d + 2;
	}
	dt[d + 2].addr = VBLK_IOVA + base + 16;
	dt[d + 2].len = 1;
	dt[d + 2].flags = VRING_DESC_F_WRITE;
	dt[d + 2].next = 0;
	vq->busy |= 1ULL << slot;
	return vblk_push_raw(b, q, d, kick);
}

/**
 * vblk_reap() - consume one completion
 * @b: device
 * @q: queue
 * @slot: out: the completed slot
 * @status: out: its virtio-blk status byte
 * @wait_ms: 0 to poll once, else wait on the queue's eventfd up to this
 *
 * Return: 1 when a request completed, 0 when none did, -errno.
 */
int vblk_reap(struct vblk *b, int q, int *slot, uint8_t *status, int wait_ms)
{
	struct vblk_queue *vq = &b->q[q];
	struct vring_used *u = (void *)(b->mem + vq->used);
	uint16_t idx;
	uint32_t id;

	for (;;) {
		idx = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
		if (idx != vq->last_used)
			break;
		if (!wait_ms)
			return 0;
		if (vq->efd < 0) {
			usleep(1000);
			wait_ms = wait_ms > 1 ? wait_ms - 1 : 0;
			continue;
		}
		if (svf_wait_eventfd(vq->efd, wait_ms) <= 0)
			wait_ms = 0;
	}
	rmb_();
	id = u->ring[vq->last_used % vq->size].id;
	vq->last_used++;
	vq->done++;
	if (id % 3 || id / 3 >= VBLK_SLOTS || !(vq->busy & (1ULL << (id / 3))))
		return -EPROTO;
	*slot = id / 3;
	vq->busy &= ~(1ULL << *slot);
	*status = b->mem[vq->data + (uint64_t)*slot * SLOT_SIZE + 16];
	return 1;
}

/**
 * vblk_rw() - one synchronous request through slot 0 of queue @q
 * @b: device
 * @q: queue
 * @type: VIRTIO_BLK_T_IN, _OUT, _FLUSH or _GET_ID
 * @sector: first sector
 * @buf: data (in or out), may be NULL when @len is 0
 * @len: bytes, at most VBLK_SLOT_DATA
 *
 * Return: the virtio-blk status (0 = VIRTIO_BLK_S_OK) or -errno
 * (-ETIMEDOUT: no completion within 5 s).
 */
int vblk_rw(struct vblk *b, int q, uint32_t type, uint64_t sector,
	    void *buf, uint32_t len)
{
	uint8_t st;
	int slot, ret;

	if (type == VIRTIO_BLK_T_OUT && len)
		memcpy(vblk_slot_buf(b, q, 0), buf, len);
	ret = vblk_submit(b, q, 0, type, sector, len, true);
	if (ret)
		return ret;
	ret = vblk_reap(b, q, &slot, &st, 5000);
	if (ret <= 0)
		return ret ? ret : -ETIMEDOUT;
	if ((type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID) && len)
		memcpy(buf, vblk_slot_buf(b, q, 0), len);
	return st;
}

int vblk_get_id(struct vblk *b, char id[VIRTIO_BLK_ID_BYTES + 1])
{
	int ret;

	memset(id, 0, VIRTIO_BLK_ID_BYTES + 1);
	ret = vblk_rw(b, 0, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES);
	id[VIRTIO_BLK_ID_BYTES] = '\0';
	return ret;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* Fill @buf (a multiple of 8 bytes) with the pattern of @sector, @seed. */
void vblk_pattern(void *buf, uint32_t len, uint64_t sector, uint64_t seed)
{
	uint64_t *p = buf;
	uint32_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = mix(seed ^ mix(sector + i / (VBLK_SECTOR / 8)) ^ (i % 64));
}

/* Return -1 when @buf matches, else the byte offset of the first mismatch. */
int vblk_check_pattern(const void *buf, uint32_t len, uint64_t sector,
		       uint64_t seed)
{
	const uint64_t *p = buf;
	uint32_t i;

	for (i = 0; i < len / 8; i++)
		if (p[i] != mix(seed ^ mix(sector + i / (VBLK_SECTOR / 8)) ^ (i % 64)))
			return i * 8;
	return -1;
}

/**
 * vblk_adopt() - continue @src's driver state on @dst after migration
 * @dst: attached destination; its memory already holds @src's contents
 * @src: source; left untouched (close it afterwards)
 *
 * Copies what a guest keeps in its own RAM/CPU (ring indexes, slots in
 * flight, negotiated features, queue layout) - the device state travelled
 * through the migration stream and the memory through the dirty log.
 */
int vblk_adopt(struct vblk *dst, struct vblk *src)
{
	int i;

	if (dst->mem_size != src->mem_size || dst->bar != src->bar)
		return -EINVAL;
	dst->features = src->features;
	dst->capacity = src->capacity;
	dst->nq = src->nq;
	for (i = 0; i < VBLK_MAX_QUEUES; i++) {
		int efd = dst->q[i].efd;

		dst->q[i] = src->q[i];
		dst->q[i].efd = efd;
	}
	return 0;
}
