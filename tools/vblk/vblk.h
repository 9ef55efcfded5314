/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vblk.h - a userspace virtio-blk (virtio 1.x, modern PCI, split ring)
 * driver over VFIO.
 *
 * Opens a VFIO device (an SF mdev by uuid, or any virtio-blk PCI function
 * bound to vfio-pci) with tools/include/svf_vfio.h, finds the virtio
 * structures through the vendor capabilities in config space, negotiates
 * VIRTIO_F_VERSION_1, places every queue and every request buffer in one
 * anonymous mapping DMA-mapped into the container ("guest memory"), wires
 * MSI-X vectors to eventfds and runs requests.
 *
 * Guest memory is addressed by offset from vblk.mem, never by pointer, so
 * a migration test can copy the memory to a second device and continue
 * with vblk_adopt().
 *
 * Every function returns 0 (or a positive count/virtio status where
 * stated) on success and -errno on failure; nothing prints.
 */
#ifndef _SVF_VBLK_H
#define _SVF_VBLK_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "svf_vfio.h"

#define VBLK_MAX_QUEUES		8
#define VBLK_QSIZE		256	/* ring entries used by the driver */
#define VBLK_SLOTS		64	/* requests in flight per queue */
#define VBLK_SLOT_DATA		(64 * 1024)
#define VBLK_IOVA		0x10000000ULL
#define VBLK_SECTOR		512

/**
 * struct vblk_queue - driver side of one split virtqueue
 * @size: ring entries
 * @desc: offset of the descriptor table in vblk.mem
 * @avail: offset of the avail ring
 * @used: offset of the used ring
 * @data: offset of this queue's slot area (header, status, data per slot)
 * @avail_idx: next avail index the driver publishes
 * @last_used: next used index the driver consumes
 * @notify: BAR offset of the queue's notify address
 * @efd: eventfd of the queue's MSI-X vector (-1 if none)
 * @busy: bitmap of slots in flight
 * @done: completions consumed so far
 */
struct vblk_queue {
	uint16_t size;
	uint64_t desc, avail, used, data;
	uint16_t avail_idx;
	uint16_t last_used;
	uint32_t notify;
	int efd;
	uint64_t busy;
	uint64_t done;
};

/**
 * struct vblk - one opened virtio-blk function
 * @v: VFIO device
 * @cfg_off: file offset of the config space region
 * @bar: BAR index holding the virtio structures
 * @bar_off: file offset of that BAR's region
 * @common: BAR offset of the common configuration
 * @isr: BAR offset of the ISR byte
 * @devcfg: BAR offset of the device configuration
 * @notify: BAR offset of the notify area
 * @notify_mult: notify_off_multiplier
 * @msix_vectors: MSI-X table size (0: no MSI-X capability)
 * @features: negotiated features
 * @capacity: sectors
 * @nq: queues in use
 * @q: the queues
 * @cfg_efd: eventfd of the config-change vector
 * @mem: guest memory (DMA-mapped at VBLK_IOVA)
 * @mem_size: its size
 */
struct vblk {
	struct svf_vfio v;
	uint64_t cfg_off;
	int bar;
	uint64_t bar_off;
	uint32_t common, isr, devcfg, notify, notify_mult;
	uint16_t msix_vectors;
	uint64_t features;
	uint64_t capacity;
	uint16_t nq;
	struct vblk_queue q[VBLK_MAX_QUEUES];
	int cfg_efd;
	uint8_t *mem;
	uint64_t mem_size;
};

int vblk_open(struct vblk *b, const char *dev, uint16_t nq);
int vblk_attach(struct vblk *b, const char *dev);
int vblk_init_driver(struct vblk *b, uint16_t nq);
void vblk_pci_enable(struct vblk *b);
void vblk_close(struct vblk *b);

int vblk_cfg_read(struct vblk *b, uint32_t off, void *buf, uint32_t len);
int vblk_cfg_write(struct vblk *b, uint32_t off, const void *buf, uint32_t len);
int vblk_bar_read(struct vblk *b, uint32_t off, void *buf, uint32_t len);
int vblk_bar_write(struct vblk *b, uint32_t off, const void *buf, uint32_t len);
uint32_t vblk_rd(struct vblk *b, uint32_t off, uint32_t len);
void vblk_wr(struct vblk *b, uint32_t off, uint32_t val, uint32_t len);
uint8_t vblk_status(struct vblk *b);

void *vblk_slot_buf(struct vblk *b, int q, int slot);
int vblk_submit(struct vblk *b, int q, int slot, uint32_t type,
		uint64_t sector, uint32_t len, bool kick);
int vblk_kick(struct vblk *b, int q);
int vblk_reap(struct vblk *b, int q, int *slot, uint8_t *status, int wait_ms);
int vblk_rw(struct vblk *b, int q, uint32_t type, uint64_t sector,
	    void *buf, uint32_t len);
int vblk_get_id(struct vblk *b, char id[VIRTIO_BLK_ID_BYTES + 1]);

int vblk_push_raw(struct vblk *b, int q, uint16_t head, bool kick);
struct vring_desc *vblk_desc(struct vblk *b, int q, uint16_t i);

void vblk_pattern(void *buf, uint32_t len, uint64_t sector, uint64_t seed);
int vblk_check_pattern(const void *buf, uint32_t len, uint64_t sector,
		       uint64_t seed);

int vblk_adopt(struct vblk *dst, struct vblk *src);

#endif /* _SVF_VBLK_H */
