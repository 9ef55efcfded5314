// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_mig.ko: module glue and the vfio_device -> svf_mig lookup.
 *
 * The vfio core calls vfio_migration_ops / vfio_log_ops with a bare
 * struct vfio_device *.  Rather than make every driver write container_of
 * trampolines, the layer keeps a small hash table keyed by the vfio_device
 * pointer: svf_mig_init() inserts, svf_mig_uninit() removes, the ops look
 * up.  A lookup only happens from vfio core callbacks, which run between
 * vfio_register_*_dev() and vfio_unregister_group_dev(), a window strictly
 * inside init .. uninit, so the engine found is alive.
 *
 * Lookups, inserts and removals all hold svf_mig_table_lock (a few
 * pointer compares per ioctl).  An RCU walk would need a grace period in
 * uninit, because a walker for another device may stand on the node being
 * removed; that wait dominated the release of every mdev instance.
 */
#include <linux/hashtable.h>
#include <snapvf/compat.h>
#include "mig_internal.h"

#define SVF_MIG_HASH_BITS	6

static DEFINE_HASHTABLE(svf_mig_table, SVF_MIG_HASH_BITS);
static DEFINE_SPINLOCK(svf_mig_table_lock);	/* svf_mig_table */

/* Called with svf_mig_table_lock held. */
static struct svf_mig *svf_mig_find_locked(struct vfio_device *vdev)
{
	struct svf_mig *mig;

	hash_for_each_possible(svf_mig_table, mig, node, (unsigned long)vdev)
		if (mig->vdev == vdev)
			return mig;
	return NULL;
}

/**
 * svf_mig_from_vdev() - find the engine of a vfio_device
 * @vdev: device passed to svf_mig_init()
 *
 * Context: any; takes no sleeping lock.  The caller must know that the
 * engine is alive (e.g. it is running a vfio core callback of @vdev).
 * Return: the engine, or NULL if @vdev has none.
 */
struct svf_mig *svf_mig_from_vdev(struct vfio_device *vdev)
{
	struct svf_mig *mig;
	unsigned long flags;

	spin_lock_irqsave(&svf_mig_table_lock, flags);
	mig = svf_mig_find_locked(vdev);
	spin_unlock_irqrestore(&svf_mig_table_lock, flags);
	return mig;
}
EXPORT_SYMBOL_GPL(svf_mig_from_vdev);

static int svf_mig_check_config(const struct svf_mig_config *cfg)
{
	const struct svf_mig_ops *ops = cfg->ops;

	if (!ops || !ops->stop || !ops->start || !ops->save ||
	    !ops->load_stage || !ops->load_commit)
		return -EINVAL;
	if (cfg->caps & ~(SVF_MIG_CAP_P2P | SVF_MIG_CAP_PRE_COPY |
			  SVF_MIG_CAP_DIRTY_LOG))
		return -EINVAL;
	if (cfg->chunk_size > SVF_MIG_CHUNK_MAX)
		return -EINVAL;
	return 0;
}

/**
 * svf_mig_init() - set up migration for a vfio_device
 * @mig: engine, embedded in or owned by the driver
 * @vdev: the device, not yet registered with vfio
 * @cfg: hooks, capabilities and stream identity (copied)
 *
 * Sets @vdev->mig_ops, @vdev->log_ops (when SVF_MIG_CAP_DIRTY_LOG and the
 * kernel can report DMA dirty pages, see SVF_HAVE_IOVA_BITMAP) and
 * @vdev->migration_flags, and records @mig so that the layer finds it
 * from @vdev (svf_mig_from_vdev()).  Call it before vfio_register_*_dev(),
 * e.g. from vfio_device_ops.init, and pair it with svf_mig_uninit().
 * Nothing the engine hands out (data_fds) pins @vdev or the caller's
 * module; see struct svf_mig.
 *
 * Context: process context, before vfio_register_*_dev().
 * Return: 0, -EINVAL for a bad @cfg, -EEXIST if @vdev already has an
 * engine, -ENOMEM.
 */
int svf_mig_init(struct svf_mig *mig, struct vfio_device *vdev,
		 const struct svf_mig_config *cfg)
{
	unsigned int flags = VFIO_MIGRATION_STOP_COPY;
	unsigned long lflags;
	int ret;

	ret = svf_mig_check_config(cfg);
	if (ret)
		return ret;

	memset(mig, 0, sizeof(*mig));
	mig->vdev = vdev;
	mig->cfg = *cfg;
	if (!mig->cfg.chunk_size)
		mig->cfg.chunk_size = SVF_MIG_CHUNK_DEFAULT;
	/*
	 * DMA logging is offered only where the vfio core can report it
	 * (SVF_HAVE_IOVA_BITMAP).  Elsewhere a VMM would start logging and
	 * then fail at its first report; without log_ops it finds
	 * DMA_LOGGING_* absent (-ENOTTY) and uses its IOMMU container's
	 * dirty tracking instead.  svf_dirty_mark() ignores an engine
	 * without a tracker.
	 */
	if (!SVF_HAVE_IOVA_BITMAP)
		mig->cfg.caps &= ~SVF_MIG_CAP_DIRTY_LOG;
	mig->state = VFIO_DEVICE_STATE_RUNNING;
	mig->anchor = svf_mig_anchor_alloc(mig);
	if (!mig->anchor)
		return -ENOMEM;

	if (mig->cfg.caps & SVF_MIG_CAP_DIRTY_LOG) {
		ret = svf_dirty_init(mig);
		if (ret)
			goto err_anchor;
	}

	spin_lock_irqsave(&svf_mig_table_lock, lflags);
	if (svf_mig_find_locked(vdev)) {
		spin_unlock_irqrestore(&svf_mig_table_lock, lflags);
		ret = -EEXIST;
		goto err_dirty;
	}
	hash_add(svf_mig_table, &mig->node, (unsigned long)vdev);
	spin_unlock_irqrestore(&svf_mig_table_lock, lflags);

	if (cfg->caps & SVF_MIG_CAP_P2P)
		flags |= VFIO_MIGRATION_P2P;
	if (cfg->caps & SVF_MIG_CAP_PRE_COPY)
		flags |= VFIO_MIGRATION_PRE_COPY;
	vdev->migration_flags = flags;
	vdev->mig_ops = &svf_mig_vfio_ops;
	if (mig->cfg.caps & SVF_MIG_CAP_DIRTY_LOG)
		vdev->log_ops = &svf_mig_log_ops;
	return 0;

err_dirty:
	svf_dirty_destroy(mig);
err_anchor:
	svf_mig_anchor_put(mig->anchor);
	mig->anchor = NULL;
	mig->vdev = NULL;
	return ret;
}
EXPORT_SYMBOL_GPL(svf_mig_init);

/**
 * svf_mig_uninit() - tear down what svf_mig_init() set up
 * @mig: engine
 *
 * Call from vfio_device_ops.release (or later), after the device was
 * unregistered.  The engine's memory may be freed once this returns,
 * whether or not user space still holds data_fds of it: they were cut
 * off by svf_mig_close() (or svf_mig_withdraw()) and keep only the
 * layer's anchor.  A session still open here means the driver did not
 * call svf_mig_close() from close_device; it is cut off without calling
 * any hook, with a warning.
 *
 * Context: process context; takes the state lock.
 */
void svf_mig_uninit(struct svf_mig *mig)
{
	struct svf_mig_anchor *a = mig->anchor;
	unsigned long flags;

	if (!mig->vdev)
		return;
	spin_lock_irqsave(&svf_mig_table_lock, flags);
	hash_del(&mig->node);
	spin_unlock_irqrestore(&svf_mig_table_lock, flags);

	svf_mig_lock(mig);
	WARN_ON_ONCE(mig->save_file || mig->load_file);
	mig->withdrawn = true;		/* no hook from here on */
	svf_mig_end_sessions(mig);
	a->mig = NULL;			/* no deferred reset either */
	svf_mig_unlock(mig);

	svf_dirty_destroy(mig);
	svf_mig_anchor_put(a);
	mig->anchor = NULL;
	mig->vdev = NULL;
}
EXPORT_SYMBOL_GPL(svf_mig_uninit);

/**
 * svf_mig_get_state() - current migration state, for driver diagnostics
 * @mig: engine
 *
 * Context: process context; takes the state lock.
 * Return: the current state (VFIO_DEVICE_STATE_ERROR once withdrawn).
 */
enum vfio_device_mig_state svf_mig_get_state(struct svf_mig *mig)
{
	enum vfio_device_mig_state state;

	svf_mig_lock(mig);
	state = mig->state;
	svf_mig_unlock(mig);
	return state;
}
EXPORT_SYMBOL_GPL(svf_mig_get_state);

static int __init svf_mig_module_init(void)
{
	return svf_crc_init();
}

static void __exit svf_mig_module_exit(void)
{
}

module_init(svf_mig_module_init);
module_exit(svf_mig_module_exit);

/*
 * iova_bitmap_set() (dirty.c) is exported in the IOMMUFD namespace on
 * kernels with CONFIG_IOMMUFD_DRIVER (the debug test kernel); elsewhere it
 * is an inline stub and the import is unused.
 */
SVF_IMPORT_NS(IOMMUFD);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("snapvf shared region and live-migration layer");
MODULE_SOFTDEP("pre: libcrc32c");
