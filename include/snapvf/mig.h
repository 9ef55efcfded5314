/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf shared region + live-migration layer (snapvf_mig.ko).
 *
 * Three services for any struct vfio_device, written once so that every
 * consumer (the SNAP PCI variant driver on vfio_pci_core, vfio-mdev-core
 * instances) only supplies device work:
 *
 *  - device-specific regions with capability chains (struct svf_region_set)
 *    for drivers that answer their own region ioctls (on vfio_pci_core,
 *    vfio_pci_core_register_dev_region() does this job);
 *  - the VFIO v2 migration state machine, data_fd stream files, pre-copy
 *    info and the stop-copy size estimate (struct svf_mig);
 *  - DMA dirty tracking behind vfio_log_ops, fed by svf_dirty_mark().
 *
 * The stream framing (header, records, CRC32C, end record) belongs to the
 * layer; drivers produce and consume typed chunks only.  Its public,
 * normative definition is <snapvf/mig_stream.h>
 * (include/uapi/snapvf/mig_stream.h); see also
 * Documentation/driver-api/migration.rst and
 * Documentation/migration-stream.rst.
 */
#ifndef _SNAPVF_MIG_H
#define _SNAPVF_MIG_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/vfio.h>
#include <snapvf/mig_stream.h>

/* ------------------------------------------------------------------ */
/* Regions                                                             */
/* ------------------------------------------------------------------ */

/*
 * Offsets on the device fd of a region set: region index in the bits
 * above SVF_REGION_OFFSET_SHIFT, offset inside the region below.  The
 * shift equals vfio-pci's, so an emulated PCI function can keep the usual
 * layout for its BARs and config space and put device-specific regions
 * after VFIO_PCI_NUM_REGIONS.
 */
#define SVF_REGION_OFFSET_SHIFT	40
#define SVF_REGION_OFFSET_MASK	((1ULL << SVF_REGION_OFFSET_SHIFT) - 1)
#define SVF_REGION_INDEX(off)	((unsigned int)((off) >> SVF_REGION_OFFSET_SHIFT))
#define SVF_REGION_TO_OFFSET(index) ((u64)(index) << SVF_REGION_OFFSET_SHIFT)

/* Most regions one region set holds. */
#define SVF_REGION_MAX		8

struct svf_region;

/**
 * struct svf_region_ops - callbacks of one device-specific region
 * @rw: read (@iswrite false) or write @count bytes at @off inside the
 *	region from/to the user buffer @buf.  The layer has checked that
 *	@off lies inside the region and clipped @count to its end.  Return
 *	bytes done or -errno.  Optional: without it rw returns -EINVAL.
 * @add_caps: add capabilities (e.g. sparse mmap) to the region's info
 *	chain with vfio_info_add_capability().  The type/subtype capability
 *	is added by the layer and must not be added here.  Optional.
 *
 * Called in process context without layer locks held; a callback may
 * sleep.  The callbacks are never called after svf_region_set_destroy()
 * returns.
 */
struct svf_region_ops {
	ssize_t (*rw)(struct svf_region *region, char __user *buf,
		      size_t count, u64 off, bool iswrite);
	int (*add_caps)(struct svf_region *region, struct vfio_info_cap *caps);
};

/**
 * struct svf_region - one device-specific region, owned by the driver
 * @type: VFIO_REGION_TYPE_* reported in the type capability
 * @subtype: subtype reported in the type capability
 * @flags: VFIO_REGION_INFO_FLAG_READ and/or _WRITE, reported as given
 *	(the layer maps no region: a driver that adds _MMAP serves it in its
 *	own vfio_device_ops.mmap)
 * @size: size in bytes
 * @ops: callbacks
 * @priv: driver data, untouched by the layer
 * @index: region index on the device fd, set by svf_region_add()
 *
 * The driver allocates (or embeds) the region and keeps it alive until the
 * region set is destroyed.
 */
struct svf_region {
	u32 type;
	u32 subtype;
	u32 flags;
	u64 size;
	const struct svf_region_ops *ops;
	void *priv;
	unsigned int index;
};

/**
 * struct svf_region_set - the device-specific regions of one vfio_device
 * @vdev: the device
 * @first_index: index of the first region of the set
 * @nr: number of regions added
 * @regions: the regions, in index order
 *
 * The driver answers VFIO_DEVICE_GET_REGION_INFO, read and write by
 * calling svf_region_get_info() and svf_region_rw() for indexes from
 * @first_index on (svf_region_count() of them).
 *
 * Locking: regions are added before the device is registered (or at least
 * before it is opened); afterwards the set is read-only and needs no lock.
 */
struct svf_region_set {
	struct vfio_device *vdev;
	unsigned int first_index;
	unsigned int nr;
	struct svf_region *regions[SVF_REGION_MAX];
};

void svf_region_set_init(struct svf_region_set *set, struct vfio_device *vdev,
			 unsigned int first_index);
int svf_region_add(struct svf_region_set *set, struct svf_region *region);
void svf_region_set_destroy(struct svf_region_set *set);
unsigned int svf_region_count(struct svf_region_set *set);
long svf_region_get_info(struct svf_region_set *set, void __user *arg);
ssize_t svf_region_rw(struct svf_region_set *set, char __user *buf,
		      size_t count, loff_t *ppos, bool iswrite);

/* ------------------------------------------------------------------ */
/* Migration                                                           */
/* ------------------------------------------------------------------ */

/* Capability flags of struct svf_mig_config::caps (STOP_COPY is implied). */
#define SVF_MIG_CAP_P2P		BIT(0)	/* RUNNING_P2P: quiesce/unquiesce */
#define SVF_MIG_CAP_PRE_COPY	BIT(1)	/* PRE_COPY(_P2P) rounds */
#define SVF_MIG_CAP_DIRTY_LOG	BIT(2)	/* DMA logging through log_ops */

/*
 * Record types below SVF_MIG_REC_DRIVER belong to the stream format; a
 * driver's chunk types are SVF_MIG_REC_DRIVER..0xffff, except
 * VMDEV_MIG_REC_STATE (vfio-mdev-core's).  Both come from the stream's
 * public definition, <snapvf/mig_stream.h>.
 */

/* Default most bytes per produced chunk. */
#define SVF_MIG_CHUNK_DEFAULT	SZ_1M
/* Largest chunk a driver may ask for (stream format limit). */
#define SVF_MIG_CHUNK_MAX	SVF_STREAM_REC_LEN_MAX

struct svf_mig;
struct svf_mig_file;
struct svf_dirty;

/**
 * struct svf_mig_chunk - one chunk of device state being produced
 * @buf: layer buffer to fill (in)
 * @size: capacity of @buf (in)
 * @len: bytes written to @buf (out); 0 means "nothing more this round"
 * @type: chunk type, >= SVF_MIG_REC_DRIVER (out)
 */
struct svf_mig_chunk {
	void *buf;
	size_t size;
	size_t len;
	u16 type;
};

/**
 * struct svf_mig_pending - estimate of state still to be produced
 * @initial: bytes of the first (initial) image not produced yet
 * @dirty: bytes changed since they were produced
 * @stop_copy: bytes a final (STOP_COPY) round would produce now
 * @stop_copy_records: chunks (each becomes one stream record) that round
 *	would produce, for a driver that fills chunks partly or changes
 *	record type between them; 0 lets the layer assume @stop_copy packed
 *	into full chunks.  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE adds one record
 *	header per chunk, so an undercount undercounts the stream.
 */
struct svf_mig_pending {
	u64 initial;
	u64 dirty;
	u64 stop_copy;
	u64 stop_copy_records;
};

/**
 * struct svf_mig_ops - device hooks of a migratable device
 * @quiesce: RUNNING -> RUNNING_P2P: stop initiating DMA and peer accesses,
 *	keep answering MMIO.  Optional; also called on RUNNING -> STOP when
 *	the device lacks P2P.
 * @unquiesce: RUNNING_P2P -> RUNNING.  Optional.
 * @stop: RUNNING_P2P -> STOP: stop the device entirely; its state must not
 *	change afterwards.  Required.
 * @start: STOP -> RUNNING_P2P.  Required.
 * @save_begin: a saving session starts; @precopy is true when it starts in
 *	PRE_COPY (device running: start tracking state changes).  Optional.
 * @save: produce the next chunk into @chunk.  @final is false for
 *	pre-copy rounds (device may be running) and true once the device is
 *	stopped (STOP_COPY).  Return 0 and set @chunk->len (0: nothing more
 *	for now; in the final round: the state is complete), or -errno.
 *	A save that returns -errno makes the data_fd fail with that error.
 *	Required.
 * @save_end: the saving session ended (left the saving states, reset,
 *	close, withdrawal).  Optional.
 * @pending: fill @p with the current estimate.  Called in pre-copy for
 *	VFIO_MIG_GET_PRECOPY_INFO and any time for
 *	VFIO_DEVICE_FEATURE_MIG_DATA_SIZE.  Return 0, or -errno: that call
 *	then fails with it (a device that could not start its next pre-copy
 *	round says so while the guest still runs, rather than reporting
 *	nothing dirty and failing the read after the VMM stopped it).
 *	Optional (estimates 0).
 * @load_begin: a resume session starts (STOP -> RESUMING).  Optional.
 * @load_stage: stage one verified record: copy what is needed out of
 *	@data; do not change the running device.  Return -EINVAL for a
 *	record the device does not accept.  Required.
 * @load_commit: the whole stream including its end record is verified:
 *	apply the staged state (RESUMING -> STOP).  Failure puts the state
 *	machine in ERROR.  Required.
 * @load_abort: discard staged state (the stream was rejected, or the
 *	session ended without commit).  Optional.
 * @reset: migration reset: drop every save/load resource and return the
 *	device's migration side to RUNNING (called after svf_mig_reset() and
 *	from svf_mig_close()).  Optional.
 *
 * Every hook is called with the layer's state lock held, from process
 * context, one at a time per device, and never after svf_mig_withdraw()
 * has returned.  Hooks may sleep; they must not call back into the layer
 * except svf_dirty_mark().
 */
struct svf_mig_ops {
	int (*quiesce)(struct svf_mig *mig);
	int (*unquiesce)(struct svf_mig *mig);
	int (*stop)(struct svf_mig *mig);
	int (*start)(struct svf_mig *mig);
	int (*save_begin)(struct svf_mig *mig, bool precopy);
	int (*save)(struct svf_mig *mig, bool final, struct svf_mig_chunk *chunk);
	void (*save_end)(struct svf_mig *mig);
	int (*pending)(struct svf_mig *mig, struct svf_mig_pending *p);
	int (*load_begin)(struct svf_mig *mig);
	int (*load_stage)(struct svf_mig *mig, u16 type, const void *data,
			  size_t len);
	int (*load_commit)(struct svf_mig *mig);
	void (*load_abort)(struct svf_mig *mig);
	void (*reset)(struct svf_mig *mig);
};

/**
 * struct svf_mig_config - what a driver tells the layer at init
 * @ops: device hooks
 * @caps: SVF_MIG_CAP_* flags
 * @compat_id: device compatibility id written into and checked against
 *	the stream header; a stream from a device with another id is
 *	rejected.  Encode model and state-format revision in it.
 * @stream_features: device feature bits written into the header; a
 *	destination rejects a stream carrying bits it does not have.
 * @chunk_size: most bytes per produced chunk, 0 for
 *	SVF_MIG_CHUNK_DEFAULT, at most SVF_MIG_CHUNK_MAX.
 * @dirty_max_ranges: most ranges DMA_LOGGING_START accepts (-E2BIG
 *	beyond), 0 for the default (256).
 * @priv: driver data, see svf_mig_priv().
 */
struct svf_mig_config {
	const struct svf_mig_ops *ops;
	u32 caps;
	u64 compat_id;
	u32 stream_features;
	u32 chunk_size;
	u32 dirty_max_ranges;
	void *priv;
};

struct svf_mig_anchor;

/**
 * struct svf_mig - migration engine of one vfio_device
 *
 * Embed it in the driver's device structure (or allocate it) and keep it
 * alive until svf_mig_uninit(), which belongs in the vfio_device's release
 * callback.  All fields are private to the layer.
 *
 * Lifetime of what the engine hands out: a data_fd holds no reference on
 * the vfio_device, the driver module or anything behind them.  Closing
 * the device (svf_mig_close()), withdrawing it (svf_mig_withdraw()), a
 * reset, leaving the session's states, and svf_mig_uninit() cut the file
 * off: from then on its read, write and VFIO_MIG_GET_PRECOPY_INFO fail
 * with -ENODEV and its release frees only the file's own memory.  The
 * state lock lives in a small object shared with the files (the anchor)
 * so that a file can take it, see that it was cut off and let go without
 * touching the engine.
 *
 * Locking: the anchor's mutex is the state lock; it serialises state
 * changes, hook calls and the session pointers and is never held across
 * copy_to_user()/copy_from_user().  The anchor's spinlock guards the
 * deferred reset, see svf_mig_reset().  Dirty tracking has its own locks
 * (struct svf_dirty).
 */
struct svf_mig {
	/* private: */
	struct vfio_device *vdev;
	struct svf_mig_config cfg;
	struct hlist_node node;
	struct svf_mig_anchor *anchor;	/* state lock, shared with data_fds */
	bool withdrawn;
	enum vfio_device_mig_state state;
	struct svf_mig_file *save_file;
	struct svf_mig_file *load_file;
	struct svf_dirty *dirty;
};

int svf_mig_init(struct svf_mig *mig, struct vfio_device *vdev,
		 const struct svf_mig_config *cfg);
void svf_mig_uninit(struct svf_mig *mig);
void svf_mig_close(struct svf_mig *mig);
void svf_mig_reset(struct svf_mig *mig);
void svf_mig_withdraw(struct svf_mig *mig);
struct svf_mig *svf_mig_from_vdev(struct vfio_device *vdev);
enum vfio_device_mig_state svf_mig_get_state(struct svf_mig *mig);

/**
 * svf_mig_priv() - driver data given in struct svf_mig_config
 * @mig: engine
 *
 * Return: @cfg->priv as passed to svf_mig_init().
 */
static inline void *svf_mig_priv(struct svf_mig *mig)
{
	return mig->cfg.priv;
}

/**
 * svf_mig_vdev() - the vfio_device of an engine
 * @mig: engine
 *
 * Return: the device passed to svf_mig_init().
 */
static inline struct vfio_device *svf_mig_vdev(struct svf_mig *mig)
{
	return mig->vdev;
}

/* ------------------------------------------------------------------ */
/* Dirty tracking                                                      */
/* ------------------------------------------------------------------ */

void svf_dirty_mark(struct svf_mig *mig, u64 iova, u64 len);

/**
 * typedef svf_dirty_fn - receives one run of dirty IOVA
 * @opaque: caller's cookie
 * @iova: first dirty byte (tracking-page aligned)
 * @len: length of the run in bytes
 */
typedef void (*svf_dirty_fn)(void *opaque, u64 iova, u64 len);

int svf_dirty_read_and_clear(struct svf_mig *mig, u64 iova, u64 length,
			     svf_dirty_fn fn, void *opaque);

#endif /* _SNAPVF_MIG_H */
