/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf parent <-> consumer contract on the auxiliary bus (snapvf_aux.ko).
 *
 * A parent (device manager: the simulator, later a real firmware backend)
 * publishes one auxiliary device per vfio-capable PCI function and one per
 * scalable function (SF).  Consumers (the SNAP PCI variant driver, the SF
 * mdev driver) bind those devices with an ordinary auxiliary_driver and
 * reach the parent only through the svf_aux_*() wrappers declared here.
 *
 * Names
 * =====
 *
 * Devices follow the auxiliary bus rule ``modname.devname.id``:
 *
 * - ``<parent modname>.vfio_pci.<fn-id>`` for a PCI function.  The fn-id is
 *   svf_aux_pci_fn_id(): ``domain << 16 | bus << 8 | devfn``, unique across
 *   PCI domains 0..0xffff (functions in larger domains are refused with
 *   -ERANGE).  0000:00:04.0 is ``snapvf_sim.vfio_pci.32``.
 * - ``<parent modname>.sf.<sf-id>`` for an SF; the parent picks sf-id.
 *
 * The modname is the KBUILD_MODNAME of the module that calls
 * svf_aux_fn_add() / svf_aux_sf_add() (both are macros, like
 * auxiliary_device_add()).  A consumer's id table therefore lists one entry
 * per parent it supports, e.g. SVF_AUX_ID("snapvf_sim", SVF_AUX_FN_NAME).
 *
 * Lifecycle (who may do what, when)
 * =================================
 *
 * The library allocates and frees every &struct svf_aux_fn and
 * &struct svf_aux_sf; the device release callback lives in snapvf_aux.ko,
 * so a reference held by anyone may outlive the parent module safely.
 *
 * Parent:
 *
 * 1. svf_aux_fn_add() / svf_aux_sf_add() allocate, initialise and publish
 *    the device (auxiliary_device_init() + auxiliary_device_add()).  The
 *    device is on the bus when the call returns.  Consumer probe may run
 *    before it returns.
 * 2. The parent's ops may be called from that moment on, concurrently, from
 *    any sleeping context, until withdrawal.  They must not take a lock the
 *    parent holds around svf_aux_fn_withdraw() (that would deadlock the
 *    wait for in-flight calls).  Long-running ops should poll
 *    svf_aux_withdrawing() and bail out with -ENODEV.
 * 3. svf_aux_fn_withdraw() / svf_aux_sf_withdraw() may be called at any
 *    time (hot-unplug, firmware reset, rmmod), from process context, at most
 *    once per device, and never from an op or from a sysfs attribute of the
 *    device itself.  In order, it:
 *
 *    a. marks the device dead: every wrapper called afterwards returns
 *       -ENODEV without calling the parent;
 *    b. waits for every op call already in flight to return (SRCU);
 *    c. deletes the auxiliary device, which runs the consumer's remove();
 *    d. drops the parent's reference.
 *
 *    When it returns, no op of this device is ever called again and the
 *    parent must not touch the &struct svf_aux_fn pointer any more; its
 *    ops table and @priv may be freed and its module unloaded.
 *
 * Consumer:
 *
 * - Binds with an auxiliary_driver, gets its &struct svf_aux_fn with
 *   svf_aux_fn_from_adev() (or svf_aux_sf_from_adev()).  The pointer is
 *   valid from probe() until remove() returns, with no reference taken.
 * - Calls the parent only through the svf_aux_fn_*() / svf_aux_sf_*()
 *   wrappers, from sleeping context; any of them may return -ENODEV at any
 *   moment (the parent is withdrawing): treat it as "device gone"
 *   (migration state ERROR, I/O error), never as a retryable error.
 * - remove() must stop all use before it returns: no wrapper call started
 *   after remove() returns, no pointer into the device kept - unless the
 *   consumer took its own reference with svf_aux_fn_get(), in which case the
 *   memory stays valid until svf_aux_fn_put() and the wrappers keep
 *   returning -ENODEV.  remove() runs after step (b): the ops are already
 *   dead when it is called, so it must not expect them to succeed (e.g. it
 *   cannot save state any more).
 * - Wrappers must not be called from within the consumer's own remove()
 *   path of a *different* device while holding a lock an op needs; they
 *   never take consumer locks themselves.
 *
 * Pairing a PCI function with its aux device (probe order independent)
 * =====================================================================
 *
 * The aux device names its PCI function (&svf_aux_fn.pdev).  A consumer
 * that also drives the PCI function pairs the two itself: its
 * auxiliary_driver probe records the function, and a pci_driver that
 * probed first without a partner is attached again once the aux device
 * arrives, e.g. with device_attach() from a work item (snapvf_pci does
 * this in drivers/snap_pci/pair.c).
 *
 * Locking: the library holds no lock while it calls a parent op; ops run
 * under SRCU read-side only.
 */
#ifndef _SNAPVF_AUX_H
#define _SNAPVF_AUX_H

#include <linux/auxiliary_bus.h>
#include <linux/pci.h>
#include <linux/rbtree.h>
#include <linux/srcu.h>
#include <linux/types.h>

struct iova_bitmap;

/** define SVF_AUX_FN_NAME - auxiliary devname of a vfio-capable PCI function */
#define SVF_AUX_FN_NAME		"vfio_pci"
/** define SVF_AUX_SF_NAME - auxiliary devname of a scalable function */
#define SVF_AUX_SF_NAME		"sf"

/**
 * SVF_AUX_ID() - auxiliary_device_id name for a consumer's id table
 * @parent: the parent module's name, a string literal ("snapvf_sim")
 * @devname: SVF_AUX_FN_NAME or SVF_AUX_SF_NAME
 */
#define SVF_AUX_ID(parent, devname)	{ .name = parent "." devname }

/**
 * enum svf_aux_kind - what an svf aux device represents
 * @SVF_AUX_KIND_FN: a PCI function (&struct svf_aux_fn)
 * @SVF_AUX_KIND_SF: a scalable function (&struct svf_aux_sf)
 */
enum svf_aux_kind {
	SVF_AUX_KIND_FN = 1,
	SVF_AUX_KIND_SF,
};

/**
 * struct svf_aux_dev - common head of every svf aux device
 * @adev: the auxiliary device; its refcount is the object's refcount
 * @kind: %SVF_AUX_KIND_FN or %SVF_AUX_KIND_SF
 * @gate: SRCU protecting op calls against withdrawal (library private)
 * @dead: set once withdrawal started (library private; read it with
 *	svf_aux_withdrawing())
 * @node: entry in the library's list of published devices (library
 *	private)
 * @modname: the publishing module's name, for duplicate checks while
 *	listed (library private)
 *
 * Consumers and parents read @adev and @kind; everything else belongs to
 * snapvf_aux.
 */
struct svf_aux_dev {
	struct auxiliary_device adev;
	enum svf_aux_kind kind;
	struct srcu_struct gate;
	bool dead;
	struct list_head node;
	const char *modname;
};

/* Feature bits of a PCI function (&svf_aux_fn.features). */
/** define SVF_AUX_F_MIGRATION - STOP_COPY save/load (save and load ops) */
#define SVF_AUX_F_MIGRATION		BIT(0)
/** define SVF_AUX_F_PRE_COPY - save rounds while running (needs MIGRATION) */
#define SVF_AUX_F_PRE_COPY		BIT(1)
/** define SVF_AUX_F_DIRTY_TRACKING - DMA logging (log_start/stop/report) */
#define SVF_AUX_F_DIRTY_TRACKING	BIT(2)
/** define SVF_AUX_F_P2P - quiesce/unquiesce (RUNNING_P2P state) */
#define SVF_AUX_F_P2P			BIT(3)

/* Flags of svf_aux_fn_save_start(). */
/** define SVF_AUX_SAVE_PRECOPY - session starts while the function runs */
#define SVF_AUX_SAVE_PRECOPY		BIT(0)

/**
 * struct svf_aux_pending - how much save data is left (estimates)
 * @round_bytes: bytes still to be returned by save_chunk in the current
 *	round (exact)
 * @initial: true while the current round is the first one of the session
 *	(everything not yet sent): VFIO's "initial_bytes"
 * @dirty_bytes: estimate of what a next round would carry if started now
 *	(VFIO's "dirty_bytes"); 0 if unknown
 * @stop_copy_bytes: estimate of everything a final round started now would
 *	carry, including @round_bytes (VFIO_DEVICE_FEATURE_MIG_DATA_SIZE)
 */
struct svf_aux_pending {
	u64 round_bytes;
	bool initial;
	u64 dirty_bytes;
	u64 stop_copy_bytes;
};

struct svf_aux_fn;

/**
 * struct svf_aux_fn_ops - parent operations on a PCI function's device state
 *
 * Every op is called through the matching svf_aux_fn_*() wrapper only, in
 * process context, and may sleep.  The library serialises nothing: the
 * consumer serialises the state-changing ops of one function (it holds its
 * migration state lock around them); the parent must tolerate any op being
 * called concurrently with withdrawal and return -ENODEV if it notices
 * svf_aux_withdrawing().  Buffers are kernel memory.  Ops a feature bit
 * does not announce may be NULL; the wrapper then returns -EOPNOTSUPP.
 *
 * Device states, as VFIO names them: RUNNING --quiesce--> RUNNING_P2P
 * --suspend--> STOP; resume and unquiesce go back.
 *
 * Saving and loading do not depend on what the function's user did to
 * it: the consumer calls @save_start, @save_round, @save_chunk,
 * @save_pending, @load_start, @load_chunk and @load_commit with the
 * function's memory access excluded (vfio_pci_core's memory_lock held for
 * write, as the core itself holds it to change the command register or
 * the power state), so a parent that reaches the device state through the
 * function's BARs may turn memory decoding on for the call and must put
 * the command register back before returning.  A parent with its own path
 * to the device state (a device manager's commands) needs neither.
 * @reset is called without that exclusion (also from under the core's
 * own reset, which holds memory_lock) and must not depend on decoding.
 *
 * @quiesce: stop initiating DMA and peer-to-peer traffic; the device keeps
 *	responding to accesses (RUNNING -> RUNNING_P2P).  %SVF_AUX_F_P2P.
 * @unquiesce: undo @quiesce (RUNNING_P2P -> RUNNING).
 * @suspend: stop the device so its state no longer changes by itself
 *	(RUNNING_P2P -> STOP; RUNNING -> STOP without %SVF_AUX_F_P2P).
 * @resume: let the device run again (STOP -> RUNNING_P2P; STOP -> RUNNING
 *	without %SVF_AUX_F_P2P).
 * @save_start: begin a save session; at most one per function.  With
 *	%SVF_AUX_SAVE_PRECOPY the device may be running and the session
 *	starts with round 0 (everything); without it the device is stopped and
 *	the consumer goes straight to a final round.  The parent starts
 *	tracking state changes here.
 * @save_round: start the next round.  A non-final round carries what
 *	changed since the previous round started (round 0 needs no call).
 *	@final requires the device stopped and carries everything still
 *	unsent or changed plus the end of the stream; after a final round no
 *	further round may be started.  Whatever the previous round had not
 *	returned yet stays due and is carried by the new round.
 * @save_chunk: copy up to @len bytes of the current round into @buf,
 *	all @len unless the round ends sooner: each call becomes one stream
 *	record, and the size estimate counts the records as full ones.
 *	Returns the number of bytes copied, 0 when the round is exhausted, or
 *	a negative errno (the session is then unusable: call @save_end).
 * @save_pending: fill a &struct svf_aux_pending; cheap, no side effect.
 *	Also without an open session: then @round_bytes and @dirty_bytes are
 *	0 and @stop_copy_bytes estimates a complete save started now
 *	(VFIO_DEVICE_FEATURE_MIG_DATA_SIZE in RUNNING or STOP).
 * @save_end: end the session (after success or failure), free its memory
 *	and stop tracking: when it returns, no tracking the session started
 *	is left on in the device, also after a pre-copy cancelled before its
 *	final round (a parent whose device stops tracking only while stopped
 *	may stop it briefly for that, and puts it back in the state it was
 *	in).  Must succeed (a parent that fails to stop tracking logs it;
 *	@reset ends it then); called once per successful
 *	@save_start, also when the consumer gives up - unless the function was
 *	withdrawn first: the wrapper of a void op does nothing once
 *	withdrawing, so the parent frees any open session itself after
 *	svf_aux_fn_withdraw() returns.
 * @load_start: begin staging an incoming stream; the device is stopped.
 *	Nothing is applied to the device until @load_commit.
 * @load_chunk: stage @len bytes of the stream, which arrive in order but
 *	split at arbitrary boundaries.  Returns 0 or a negative errno
 *	(-EINVAL: malformed or incompatible stream; -EFBIG: more than the
 *	parent stages for this function; the load is then only good for
 *	@load_abort).  Nothing reaches the device before @load_commit.
 * @load_commit: check the whole staged stream is complete and consistent
 *	before applying any of it, apply it and end the load session (on
 *	error too, as by @load_abort).  A stream that fails the check (-EINVAL
 *	for a truncated or malformed one) leaves the device untouched.  Once
 *	the check passed, a parent whose device applies state in several
 *	steps (firmware loading image after image) may fail after applying
 *	part of it: it then returns the errno of the failing step, logs that
 *	the device is partly loaded, and refuses @resume and @unquiesce
 *	(-EIO) until @reset, which must leave no partial state behind.  The
 *	consumer puts the migration state machine in ERROR on any error of
 *	this op, so from the VMM's view a failed commit always needs a reset.
 * @load_abort: drop everything staged and end the load session.
 * @log_start: start DMA logging for @ranges (@nnodes interval tree nodes of
 *	IOVA ranges as in &struct vfio_log_ops); the parent may round
 *	*@page_size.  %SVF_AUX_F_DIRTY_TRACKING.
 * @log_stop: stop DMA logging.
 * @log_report: set in @dirty the pages the function wrote by DMA within
 *	[@iova, @iova + @length) since the last report, and clear them.
 * @reset: function-level reset of the state the parent keeps for the
 *	function; ends any save or load session.
 */
struct svf_aux_fn_ops {
	int (*quiesce)(struct svf_aux_fn *fn);
	int (*unquiesce)(struct svf_aux_fn *fn);
	int (*suspend)(struct svf_aux_fn *fn);
	int (*resume)(struct svf_aux_fn *fn);

	int (*save_start)(struct svf_aux_fn *fn, u32 flags);
	int (*save_round)(struct svf_aux_fn *fn, bool final);
	ssize_t (*save_chunk)(struct svf_aux_fn *fn, void *buf, size_t len);
	int (*save_pending)(struct svf_aux_fn *fn, struct svf_aux_pending *p);
	void (*save_end)(struct svf_aux_fn *fn);

	int (*load_start)(struct svf_aux_fn *fn);
	int (*load_chunk)(struct svf_aux_fn *fn, const void *buf, size_t len);
	int (*load_commit)(struct svf_aux_fn *fn);
	void (*load_abort)(struct svf_aux_fn *fn);

	int (*log_start)(struct svf_aux_fn *fn, struct rb_root_cached *ranges,
			 u32 nnodes, u64 *page_size);
	int (*log_stop)(struct svf_aux_fn *fn);
	int (*log_report)(struct svf_aux_fn *fn, unsigned long iova,
			  unsigned long length, struct iova_bitmap *dirty);

	int (*reset)(struct svf_aux_fn *fn);
};

/** define SVF_AUX_COMPAT_LEN - size of &svf_aux_fn.compat incl. the NUL */
#define SVF_AUX_COMPAT_LEN	32

/**
 * struct svf_aux_fn - a vfio-capable PCI function published by a parent
 * @core: common head (the auxiliary device)
 * @pdev: the PCI function; the library holds a reference until release
 * @fn_id: svf_aux_pci_fn_id(@pdev), also the auxiliary device id
 * @features: SVF_AUX_F_* bits
 * @compat: device compatibility string for migration stream headers: two
 *	functions may migrate to each other only if it matches (e.g.
 *	"snapvf_sim/ivshmem/1")
 * @ops: the parent's ops (library and parent use; consumers call wrappers)
 * @priv: the parent's private data (consumers must not touch it)
 *
 * All fields are constant from svf_aux_fn_add() until release.
 */
struct svf_aux_fn {
	struct svf_aux_dev core;
	struct pci_dev *pdev;
	u32 fn_id;
	u32 features;
	char compat[SVF_AUX_COMPAT_LEN];
	const struct svf_aux_fn_ops *ops;
	void *priv;
};

/**
 * struct svf_aux_fn_info - what a parent tells svf_aux_fn_add()
 * @pdev: the PCI function (a reference is taken)
 * @features: SVF_AUX_F_* bits; each needs its ops
 * @compat: compatibility string, copied (at most SVF_AUX_COMPAT_LEN - 1)
 * @groups: optional sysfs attribute groups for the auxiliary device (the
 *	parent's own knobs); their callbacks run until withdrawal deletes the
 *	device and may use &svf_aux_fn.priv
 */
struct svf_aux_fn_info {
	struct pci_dev *pdev;
	u32 features;
	const char *compat;
	const struct attribute_group **groups;
};

struct svf_aux_sf;

/**
 * struct svf_aux_sf_ops - parent operations of a scalable function
 *
 * Same calling rules as &struct svf_aux_fn_ops: through the svf_aux_sf_*()
 * wrappers only, process context, may sleep, -ENODEV once withdrawing, may
 * be called concurrently (the parent serialises what needs it).
 *
 * @read: copy @len bytes at byte @offset of the backing store into @buf.
 *	@offset and @len are multiples of &svf_aux_sf.block_size and within
 *	&svf_aux_sf.capacity (the wrapper checks, -EINVAL otherwise).
 * @write: copy @len bytes from @buf to byte @offset of the backing store;
 *	same rules as @read.  The data is visible to later reads at once.
 * @flush: make completed writes durable (the simulator's store is memory,
 *	so this only reports injected faults).  May be NULL.
 * @reset: reset the SF's per-function state (not the backing data).
 *	May be NULL.
 */
struct svf_aux_sf_ops {
	int (*read)(struct svf_aux_sf *sf, u64 offset, void *buf, size_t len);
	int (*write)(struct svf_aux_sf *sf, u64 offset, const void *buf,
		     size_t len);
	int (*flush)(struct svf_aux_sf *sf);
	int (*reset)(struct svf_aux_sf *sf);
};

/** define SVF_AUX_SERIAL_LEN - virtio-blk serial size (not NUL-terminated) */
#define SVF_AUX_SERIAL_LEN	20

/**
 * struct svf_aux_sf - a scalable function published by a parent
 * @core: common head (the auxiliary device)
 * @sf_id: the parent's SF number, also the auxiliary device id
 * @capacity: backing-store size in bytes, a multiple of @block_size
 * @block_size: logical block size in bytes (power of two, >= 512)
 * @max_queues: number of I/O queues an instance of this SF may expose
 * @max_queue_size: maximum entries per queue (power of two)
 * @max_instances: how many consumer instances (mdevs) the SF supports
 * @serial: device serial, NUL padded (virtio-blk GET_ID).  It names the
 *	storage: two SFs give the same serial only if they present the same
 *	data (a migration destination checks it)
 * @ops: the parent's ops (consumers call the wrappers)
 * @priv: the parent's private data (consumers must not touch it)
 *
 * All fields are constant from svf_aux_sf_add() until release.
 */
struct svf_aux_sf {
	struct svf_aux_dev core;
	u32 sf_id;
	u64 capacity;
	u32 block_size;
	u32 max_queues;
	u32 max_queue_size;
	u32 max_instances;
	char serial[SVF_AUX_SERIAL_LEN];
	const struct svf_aux_sf_ops *ops;
	void *priv;
};

/**
 * struct svf_aux_sf_info - what a parent tells svf_aux_sf_add()
 * @sf_id: SF number, unique per parent module (else -EEXIST)
 * @capacity: bytes, a non-zero multiple of @block_size
 * @block_size: 0 for 512, else a power of two from 512 to 4096
 * @max_queues: >= 1
 * @max_queue_size: power of two >= 2
 * @max_instances: >= 1
 * @serial: NUL-terminated serial (truncated to SVF_AUX_SERIAL_LEN); optional,
 *	but an SF without one cannot be a migration destination
 * @groups: optional sysfs attribute groups (as in &struct svf_aux_fn_info)
 */
struct svf_aux_sf_info {
	u32 sf_id;
	u64 capacity;
	u32 block_size;
	u32 max_queues;
	u32 max_queue_size;
	u32 max_instances;
	const char *serial;
	const struct attribute_group **groups;
};

/* ---- parent side ---- */

struct svf_aux_fn *__svf_aux_fn_add(struct device *parent,
				    const struct svf_aux_fn_info *info,
				    const struct svf_aux_fn_ops *ops,
				    void *priv, const char *modname);
/**
 * svf_aux_fn_add() - publish ``KBUILD_MODNAME.vfio_pci.<fn-id>``
 * @parent: the parent's device (the aux device's parent in sysfs)
 * @info: function description
 * @ops: device-state operations, must stay valid until withdrawal returns
 * @priv: parent data stored in &svf_aux_fn.priv
 *
 * Return: the published function, or ERR_PTR(): -EINVAL (bad info or ops
 * missing for a feature bit), -ERANGE (PCI domain > 0xffff), -EEXIST (the
 * function is already published by some parent), -ENOMEM, or an error of
 * auxiliary_device_add().  A message is logged for each.
 */
#define svf_aux_fn_add(parent, info, ops, priv) \
	__svf_aux_fn_add(parent, info, ops, priv, KBUILD_MODNAME)

void svf_aux_fn_withdraw(struct svf_aux_fn *fn);

struct svf_aux_sf *__svf_aux_sf_add(struct device *parent,
				    const struct svf_aux_sf_info *info,
				    const struct svf_aux_sf_ops *ops,
				    void *priv, const char *modname);
/**
 * svf_aux_sf_add() - publish ``KBUILD_MODNAME.sf.<sf-id>``
 * @parent: the parent's device
 * @info: SF description
 * @ops: operations, valid until withdrawal returns
 * @priv: parent data stored in &svf_aux_sf.priv
 *
 * Return: the published SF or ERR_PTR() (-EINVAL, -EEXIST, -ENOMEM, ...).
 */
#define svf_aux_sf_add(parent, info, ops, priv) \
	__svf_aux_sf_add(parent, info, ops, priv, KBUILD_MODNAME)

void svf_aux_sf_withdraw(struct svf_aux_sf *sf);

bool svf_aux_withdrawing(struct svf_aux_dev *dev);

/* ---- both sides ---- */

/**
 * svf_aux_pci_fn_id() - the fn-id of a PCI function
 * @pdev: the function
 * @id: out: ``domain << 16 | bus << 8 | devfn``
 *
 * Return: 0, or -ERANGE if the PCI domain does not fit in 16 bits.
 */
static inline int svf_aux_pci_fn_id(struct pci_dev *pdev, u32 *id)
{
	int dom = pci_domain_nr(pdev->bus);

	if (dom < 0 || dom > 0xffff)
		return -ERANGE;
	*id = (u32)dom << 16 | (u32)pdev->bus->number << 8 | pdev->devfn;
	return 0;
}

struct svf_aux_fn *svf_aux_fn_from_adev(struct auxiliary_device *adev);
struct svf_aux_sf *svf_aux_sf_from_adev(struct auxiliary_device *adev);

/* ---- consumer side: references ---- */

void svf_aux_fn_get(struct svf_aux_fn *fn);
void svf_aux_fn_put(struct svf_aux_fn *fn);

/* ---- consumer side: gated op wrappers (-ENODEV once withdrawing) ---- */

int svf_aux_fn_quiesce(struct svf_aux_fn *fn);
int svf_aux_fn_unquiesce(struct svf_aux_fn *fn);
int svf_aux_fn_suspend(struct svf_aux_fn *fn);
int svf_aux_fn_resume(struct svf_aux_fn *fn);
int svf_aux_fn_save_start(struct svf_aux_fn *fn, u32 flags);
int svf_aux_fn_save_round(struct svf_aux_fn *fn, bool final);
ssize_t svf_aux_fn_save_chunk(struct svf_aux_fn *fn, void *buf, size_t len);
int svf_aux_fn_save_pending(struct svf_aux_fn *fn, struct svf_aux_pending *p);
void svf_aux_fn_save_end(struct svf_aux_fn *fn);
int svf_aux_fn_load_start(struct svf_aux_fn *fn);
int svf_aux_fn_load_chunk(struct svf_aux_fn *fn, const void *buf, size_t len);
int svf_aux_fn_load_commit(struct svf_aux_fn *fn);
void svf_aux_fn_load_abort(struct svf_aux_fn *fn);
int svf_aux_fn_log_start(struct svf_aux_fn *fn, struct rb_root_cached *ranges,
			 u32 nnodes, u64 *page_size);
int svf_aux_fn_log_stop(struct svf_aux_fn *fn);
int svf_aux_fn_log_report(struct svf_aux_fn *fn, unsigned long iova,
			  unsigned long length, struct iova_bitmap *dirty);
int svf_aux_fn_reset(struct svf_aux_fn *fn);

int svf_aux_sf_read(struct svf_aux_sf *sf, u64 offset, void *buf, size_t len);
int svf_aux_sf_write(struct svf_aux_sf *sf, u64 offset, const void *buf,
		     size_t len);
int svf_aux_sf_flush(struct svf_aux_sf *sf);
int svf_aux_sf_reset(struct svf_aux_sf *sf);

#endif /* _SNAPVF_AUX_H */
