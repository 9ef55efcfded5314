/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_sf: the virtio-blk device model behind every SF mdev instance.
 *
 * The model is self-contained: it knows the virtio 1.x modern PCI register
 * layout of one BAR, split virtqueues and the virtio-blk command set, and
 * talks to the rest of the driver through struct svf_vblk_host_ops only
 * (guest-memory access, the disk, interrupt delivery).  The glue in
 * instance.c routes vfio-mdev-core's BAR callbacks here and implements the
 * host ops with vfio-mdev-core's DMA and IRQ helpers and the parent's SF
 * data ops: the disk is the parent's volume, the model keeps no data.
 */
#ifndef _SVF_SF_VIRTIO_BLK_H
#define _SVF_SF_VIRTIO_BLK_H

#include <linux/mutex.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/virtio_pci.h>

/* Layout of the virtio structures inside the device's register BAR. */
#define SVF_VBLK_BAR_SIZE	0x4000
#define SVF_VBLK_COMMON_OFF	0x0000
#define SVF_VBLK_COMMON_LEN	0x0040
#define SVF_VBLK_ISR_OFF	0x1000
#define SVF_VBLK_ISR_LEN	0x0004
#define SVF_VBLK_DEVCFG_OFF	0x2000
#define SVF_VBLK_DEVCFG_LEN	0x0040
#define SVF_VBLK_NOTIFY_OFF	0x3000
#define SVF_VBLK_NOTIFY_MULT	4

#define SVF_VBLK_MAX_QUEUES	8
#define SVF_VBLK_MAX_QSIZE	1024
#define SVF_VBLK_SEG_MAX	128
#define SVF_VBLK_SECTOR		512

/* ISR bits (virtio 1.x 4.1.4.5). */
#define SVF_VBLK_ISR_QUEUE	0x1
#define SVF_VBLK_ISR_CONFIG	0x2

/**
 * struct svf_vblk_host_ops - what the device model needs from its host
 * @dma_read: copy @len bytes of guest memory at @iova into @buf.  Returns 0,
 *	-EPERM when the function may not master the bus (bus mastering off
 *	in its command register), or another negative errno when any byte
 *	is not mapped; may sleep.
 * @dma_write: copy @len bytes from @buf to guest memory at @iova and mark
 *	the pages dirty.  Same return convention; may sleep.
 * @disk_read: copy @len bytes of the disk at byte @off into @buf; @off and
 *	@len are multiples of the block size and inside the capacity.
 *	Returns 0 or a negative errno (the request completes with
 *	VIRTIO_BLK_S_IOERR); may sleep.
 * @disk_write: copy @len bytes from @buf to the disk at byte @off; same
 *	rules.  Visible to every later read once it returned 0.
 * @disk_flush: make completed writes durable; 0 or a negative errno.
 * @raise: deliver interrupt vector @vector (an MSI-X vector number, or
 *	VIRTIO_MSI_NO_VECTOR when the function has no vector for the
 *	source and INTx is the only way).  Must not sleep on a lock held by
 *	the caller's BAR path.
 * @common_changed: optional; the common configuration now reads as
 *	@image (%SVF_VBLK_COMMON_LEN bytes, little-endian, as at
 *	%SVF_VBLK_COMMON_OFF).  Called after every change of it, from
 *	svf_vblk_init() on, so a host can answer reads of it from a copy
 *	without calling svf_vblk_bar_read(); must not sleep.
 *
 * All of them are called with &svf_vblk_dev.lock held.
 */
struct svf_vblk_host_ops {
	int (*dma_read)(void *priv, u64 iova, void *buf, size_t len);
	int (*dma_write)(void *priv, u64 iova, const void *buf, size_t len);
	int (*disk_read)(void *priv, u64 off, void *buf, size_t len);
	int (*disk_write)(void *priv, u64 off, const void *buf, size_t len);
	int (*disk_flush)(void *priv);
	void (*raise)(void *priv, u16 vector);
	void (*common_changed)(void *priv, const void *image);
};

/**
 * struct svf_vblk_vq - one split virtqueue as the device sees it
 * @size: negotiated ring size (power of two, <= @max_size)
 * @max_size: ring size offered by the device
 * @enabled: queue_enable was written 1 with a valid configuration
 * @vector: MSI-X vector for used-buffer notifications
 * @desc: guest address of the descriptor table
 * @avail: guest address of the driver (avail) ring
 * @used: guest address of the device (used) ring
 * @last_avail: next avail ring index the device will consume
 * @used_idx: next used ring index the device will produce
 */
struct svf_vblk_vq {
	u16 size;
	u16 max_size;
	bool enabled;
	u16 vector;
	u64 desc;
	u64 avail;
	u64 used;
	u16 last_avail;
	u16 used_idx;
};

/**
 * struct svf_vblk_dev - state of one virtio-blk function
 * @lock: serialises register writes, queue processing, reset and state
 *	save/load; the host ops are called with it held
 * @ops: host callbacks; @priv is passed back to them
 * @priv: host cookie
 * @nqueues: number of request queues
 * @nvectors: MSI-X vectors the function has (config + one per queue)
 * @host_features: offered feature bits
 * @guest_features: bits the driver wrote
 * @dfselect: device_feature_select
 * @gfselect: driver_feature_select
 * @msix_config: vector for configuration-change notifications
 * @queue_select: queue addressed by the per-queue common cfg fields
 * @status: device_status
 * @config_gen: config_generation
 * @isr: pending ISR bits (read-to-clear)
 * @broken: the driver handed us something invalid; NEEDS_RESET is set and
 *	queues are not processed until the driver resets the device
 * @quiesced: migration stopped the device: notifications are left in the
 *	avail ring and processed by svf_vblk_quiesce(dev, false)
 * @serial: VIRTIO_BLK_T_GET_ID answer (the parent's, NUL padded)
 * @name: the function's name in kernel messages
 * @capacity: disk bytes (the parent's), a multiple of @block_size
 * @block_size: logical block size (the parent's); requests not aligned to
 *	it complete with VIRTIO_BLK_S_IOERR
 * @vq: the request queues
 * @reqs: completed requests (statistics)
 */
struct svf_vblk_dev {
	struct mutex lock;	/* see above: all state below */
	const struct svf_vblk_host_ops *ops;
	void *priv;
	u16 nqueues;
	u16 nvectors;
	u64 host_features;
	u64 guest_features;
	u32 dfselect;
	u32 gfselect;
	u16 msix_config;
	u16 queue_select;
	u8 status;
	u8 config_gen;
	u8 isr;
	bool broken;
	bool quiesced;
	char serial[20];
	char name[40];
	u64 capacity;
	u32 block_size;
	struct svf_vblk_vq vq[SVF_VBLK_MAX_QUEUES];
	u64 reqs;
};

/**
 * struct svf_vblk_vq_state - migration image of one queue (little endian)
 * @desc: descriptor table guest address
 * @avail: avail ring guest address
 * @used: used ring guest address
 * @size: ring size the driver set
 * @vector: MSI-X vector of the queue
 * @last_avail: next avail index the device consumes
 * @used_idx: next used index the device publishes
 * @enabled: queue_enable
 * @pad: zero
 */
struct svf_vblk_vq_state {
	__le64 desc;
	__le64 avail;
	__le64 used;
	__le16 size;
	__le16 vector;
	__le16 last_avail;
	__le16 used_idx;
	u8 enabled;
	u8 pad[7];
};

/**
 * struct svf_vblk_state - migration image of the registers and queues
 * @host_features: features the device offers
 * @guest_features: features the driver accepted
 * @capacity: disk size in bytes (the destination's disk must match)
 * @dfselect: device_feature_select
 * @gfselect: driver_feature_select
 * @msix_config: config-change MSI-X vector
 * @queue_select: queue_select
 * @nqueues: queues of the device
 * @status: device status
 * @config_gen: config_generation
 * @isr: ISR status bits
 * @broken: the device flagged itself broken (NEEDS_RESET)
 * @pad: zero
 * @block_size: logical block size (must match)
 * @serial: the disk's serial (must match: the same volume)
 * @vq: the queues
 *
 * No disk contents: the disk is the parent's volume, which the
 * destination's parent presents as well.
 */
struct svf_vblk_state {
	__le64 host_features;
	__le64 guest_features;
	__le64 capacity;
	__le32 dfselect;
	__le32 gfselect;
	__le16 msix_config;
	__le16 queue_select;
	__le16 nqueues;
	u8 status;
	u8 config_gen;
	u8 isr;
	u8 broken;
	u8 pad[6];
	__le32 block_size;
	u8 serial[20];
	struct svf_vblk_vq_state vq[SVF_VBLK_MAX_QUEUES];
};

/**
 * struct svf_vblk_disk - what the model presents as its disk
 * @capacity: bytes, a non-zero multiple of @block_size
 * @block_size: power of two from 512 to 4096
 * @serial: GET_ID answer, up to 20 bytes, need not be NUL-terminated
 * @name: the function's name in kernel messages
 */
struct svf_vblk_disk {
	u64 capacity;
	u32 block_size;
	const char *serial;
	const char *name;
};

int svf_vblk_init(struct svf_vblk_dev *dev, u16 nqueues, u16 qsize,
		  const struct svf_vblk_disk *disk,
		  const struct svf_vblk_host_ops *ops, void *priv);
void svf_vblk_fini(struct svf_vblk_dev *dev);
void svf_vblk_reset(struct svf_vblk_dev *dev);
int svf_vblk_bar_read(struct svf_vblk_dev *dev, u32 off, void *buf, u32 len);
int svf_vblk_bar_write(struct svf_vblk_dev *dev, u32 off, const void *buf,
		       u32 len);
void svf_vblk_publish_locked(struct svf_vblk_dev *dev);
void svf_vblk_kick_all(struct svf_vblk_dev *dev);
void svf_vblk_quiesce(struct svf_vblk_dev *dev, bool on);
void svf_vblk_fill_cap(u8 cfg_type, u8 bar, u8 *cap, u8 *len);

void svf_vblk_save(struct svf_vblk_dev *dev, struct svf_vblk_state *st);
int svf_vblk_load(struct svf_vblk_dev *dev, const struct svf_vblk_state *st);
bool svf_vblk_same_disk(const struct svf_vblk_dev *dev,
			const struct svf_vblk_state *st);

/* vring.c: split virtqueue processing, called with dev->lock held. */
void svf_vblk_process(struct svf_vblk_dev *dev, u16 qidx);

#endif /* _SVF_SF_VIRTIO_BLK_H */
