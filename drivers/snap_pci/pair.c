// SPDX-License-Identifier: GPL-2.0
/*
 * Pairing SNAP PCI functions with their parents' auxiliary devices.
 *
 * A parent publishes ``<parent>.vfio_pci.<fn-id>`` for each function it
 * manages; snapvf_pci's auxiliary driver binds it and records a link
 * (parent function, no PCI side yet).  The pci_driver's probe binds a
 * function only if such a link exists, so probe order does not matter:
 *
 * - aux device first: the link is waiting when the PCI function is bound
 *   (driver_override=snapvf_pci, then bind or drivers_probe);
 * - PCI function first: probe fails with -ENODEV and one message and the
 *   function stays unbound; when the aux device appears, its probe queues a
 *   work item that attaches the function again if its driver_override
 *   names us.  A parent that never appears leaves the function unbound.
 *
 * Withdrawal (the parent calls svf_aux_fn_withdraw(): hot-unplug, firmware
 * reset, rmmod of the parent or of snapvf_pci): the auxiliary remove()
 * below runs after the parent's ops are already dead.  It marks the PCI
 * side withdrawn (every call on its fd fails with -ENODEV, every access
 * through a BAR mapping made before raises SIGBUS), moves
 * migration to ERROR and fences the hooks (svf_mig_withdraw()), relays the
 * VFIO request IRQ to the VMM and queues the unbind of the PCI function.
 * The unbind waits in a work item until the VMM has closed the device
 * (vfio_pci_core keeps relaying requests meanwhile), so remove() itself
 * never blocks on userspace.  Once unbound, the function can be bound
 * again as soon as a parent publishes it again.
 *
 * Locking: svf_pci_lock protects the link list and the link <-> device
 * pointers (&svf_pci_link.sdev, &svf_pci_dev.link, &svf_pci_dev.withdrawn).
 * Lock order: device_lock (PCI or aux device) -> svf_pci_lock -> the
 * migration layer's state lock.  No work item runs with svf_pci_lock held,
 * and nothing waits for a work item while holding it.
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <snapvf/compat.h>

#include "snap_pci.h"

/**
 * struct svf_pci_link - one parent function bound to our auxiliary driver
 * @node: entry in svf_pci_links
 * @fn: the parent's function; valid until our aux remove() returns
 * @sdev: the PCI side bound to it, or NULL
 *
 * Allocated by aux probe, freed by aux remove; both under svf_pci_lock.
 */
struct svf_pci_link {
	struct list_head node;
	struct svf_aux_fn *fn;
	struct svf_pci_dev *sdev;
};

/**
 * struct svf_pci_work - deferred (re)attach or unbind of a PCI function
 * @work: queued on svf_pci_wq
 * @pdev: the function, referenced until the work has run
 * @unbind: release our driver from @pdev first
 *
 * Self-contained so that it may outlive both the link and the device; it
 * frees itself.  Module exit drains svf_pci_wq.
 */
struct svf_pci_work {
	struct work_struct work;
	struct pci_dev *pdev;
	bool unbind;
};

static DEFINE_MUTEX(svf_pci_lock);
static LIST_HEAD(svf_pci_links);
static struct workqueue_struct *svf_pci_wq;

/* Caller holds svf_pci_lock. */
static struct svf_pci_link *svf_pci_find(struct pci_dev *pdev)
{
	struct svf_pci_link *link;

	lockdep_assert_held(&svf_pci_lock);
	list_for_each_entry(link, &svf_pci_links, node)
		if (link->fn->pdev == pdev)
			return link;
	return NULL;
}

static bool svf_pci_has_link(struct pci_dev *pdev)
{
	bool ret;

	mutex_lock(&svf_pci_lock);
	ret = svf_pci_find(pdev);
	mutex_unlock(&svf_pci_lock);
	return ret;
}

/*
 * Is @pdev bound to us *and* its device the withdrawn one?  Checked under
 * the device lock, which orders it against probe and remove: a function
 * that was unbound and bound to us again meanwhile carries a new,
 * non-withdrawn svf_pci_dev and is left alone, as is one bound to another
 * driver.  drvdata is set before the device can be paired (probe) and
 * points to live memory while we are bound (remove drops it last).
 */
static bool svf_pci_bound_withdrawn(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core;
	bool ret = false;

	device_lock(&pdev->dev);
	if (pdev->dev.driver == &svf_pci_driver.driver) {
		core = dev_get_drvdata(&pdev->dev);
		ret = core && READ_ONCE(container_of(core, struct svf_pci_dev,
						     core)->withdrawn);
	}
	device_unlock(&pdev->dev);
	return ret;
}

/* Does the admin want @pdev bound to us (driver_override)? */
static bool svf_pci_wanted(struct pci_dev *pdev)
{
	return svf_driver_override_is(&pdev->dev, svf_pci_driver.name);
}

static void svf_pci_work_fn(struct work_struct *work)
{
	struct svf_pci_work *w = container_of(work, struct svf_pci_work, work);
	struct pci_dev *pdev = w->pdev;

	/*
	 * Blocks until the VMM closed the device; requests are relayed.
	 *
	 * The check and the release cannot be one critical section: the
	 * release takes the device lock itself, and the driver core exports
	 * no "release if bound to this driver" (device_release_driver_internal()
	 * and device_driver_detach() are private to drivers/base).  What is
	 * left between the two is the window the driver core's own sysfs
	 * "unbind" has: another thread would have to unbind us *and* bind a
	 * different driver (after changing driver_override) in between.  Our
	 * own re-binds are excluded by the withdrawn check above.
	 */
	if (w->unbind && svf_pci_bound_withdrawn(pdev))
		device_release_driver(&pdev->dev);
	/*
	 * Only attach functions the admin gave to us, and only when a parent
	 * is there, so that no other driver grabs the function behind the
	 * admin's back and no "no parent" message is logged for nothing.
	 */
	if (svf_pci_has_link(pdev) && svf_pci_wanted(pdev) &&
	    device_attach(&pdev->dev) < 0)
		pci_warn(pdev, "attaching to snapvf_pci failed\n");
	pci_dev_put(pdev);
	kfree(w);
}

static void svf_pci_queue(struct pci_dev *pdev, bool unbind)
{
	struct svf_pci_work *w;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return;	/* the admin can still bind/unbind by hand */
	INIT_WORK(&w->work, svf_pci_work_fn);
	w->pdev = pci_dev_get(pdev);
	w->unbind = unbind;
	queue_work(svf_pci_wq, &w->work);
}

/**
 * svf_pci_pair_lookup() - the parent function published for @pdev
 * @pdev: a PCI function being probed
 *
 * Return: the function with a reference (svf_aux_fn_put() it), or NULL if
 * no parent has published @pdev (or our auxiliary driver did not bind it).
 */
struct svf_aux_fn *svf_pci_pair_lookup(struct pci_dev *pdev)
{
	struct svf_pci_link *link;
	struct svf_aux_fn *fn = NULL;

	mutex_lock(&svf_pci_lock);
	link = svf_pci_find(pdev);
	if (link && !link->sdev) {
		fn = link->fn;
		svf_aux_fn_get(fn);
	}
	mutex_unlock(&svf_pci_lock);
	return fn;
}

/**
 * svf_pci_pair_claim() - make @sdev the PCI side of its function's link
 * @sdev: a fully set up device (migration initialised, vfio registered)
 *
 * From here on a withdrawal of the parent reaches @sdev.
 *
 * Return: 0, or -ENODEV if the parent withdrew since the lookup (or
 * another device claimed the link).
 */
int svf_pci_pair_claim(struct svf_pci_dev *sdev)
{
	struct svf_pci_link *link;
	int ret = -ENODEV;

	mutex_lock(&svf_pci_lock);
	link = svf_pci_find(sdev->core.pdev);
	if (link && link->fn == sdev->fn && !link->sdev) {
		link->sdev = sdev;
		sdev->link = link;
		ret = 0;
	}
	mutex_unlock(&svf_pci_lock);
	return ret;
}

/**
 * svf_pci_pair_release() - detach @sdev from its link (PCI remove)
 * @sdev: the device being removed
 *
 * After this a withdrawal no longer looks at @sdev, which may be freed.
 */
void svf_pci_pair_release(struct svf_pci_dev *sdev)
{
	mutex_lock(&svf_pci_lock);
	if (sdev->link)
		sdev->link->sdev = NULL;
	sdev->link = NULL;
	mutex_unlock(&svf_pci_lock);
}

/*
 * Tell the PCI side its parent is gone.  Caller holds svf_pci_lock, so
 * @sdev cannot be freed under us (PCI remove clears the link first).
 */
static void svf_pci_withdraw(struct svf_pci_dev *sdev)
{
	struct pci_dev *pdev = sdev->core.pdev;

	lockdep_assert_held(&svf_pci_lock);
	WRITE_ONCE(sdev->withdrawn, true);
	sdev->link = NULL;
	/* BAR mappings made before fault with SIGBUS from now on. */
	svf_pci_zap_withdrawn(sdev);
	/* ERROR state, data_fds fail, no hook runs after this returns. */
	if (sdev->migratable)
		svf_mig_withdraw(&sdev->mig);
	/*
	 * Tell a VMM at once; the unbind below keeps relaying requests until
	 * it lets go.  open_count is read without dev_set->lock: a VMM that
	 * opens the device right now finds it withdrawn anyway.
	 */
	if (READ_ONCE(sdev->core.vdev.open_count)) {
		pci_info(pdev, "parent withdrew the function; asking the user to release it\n");
		vfio_pci_core_request(&sdev->core.vdev, 0);
	} else {
		pci_info(pdev, "parent withdrew the function; unbinding\n");
	}
	svf_pci_queue(pdev, true);
}

static int svf_pci_aux_probe(struct auxiliary_device *adev,
			     const struct auxiliary_device_id *id)
{
	struct svf_aux_fn *fn = svf_aux_fn_from_adev(adev);
	struct svf_pci_link *link;

	if (!fn || !fn->pdev)
		return -ENODEV;
	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return -ENOMEM;
	link->fn = fn;

	mutex_lock(&svf_pci_lock);
	if (svf_pci_find(fn->pdev)) {
		mutex_unlock(&svf_pci_lock);
		kfree(link);
		dev_err(&adev->dev, "%s already has a parent\n",
			pci_name(fn->pdev));
		return -EEXIST;
	}
	list_add_tail(&link->node, &svf_pci_links);
	mutex_unlock(&svf_pci_lock);

	auxiliary_set_drvdata(adev, link);
	/* PCI-first order: bind the function now that its parent is here. */
	svf_pci_queue(fn->pdev, false);
	return 0;
}

static void svf_pci_aux_remove(struct auxiliary_device *adev)
{
	struct svf_pci_link *link = auxiliary_get_drvdata(adev);

	mutex_lock(&svf_pci_lock);
	list_del(&link->node);
	if (link->sdev)
		svf_pci_withdraw(link->sdev);
	mutex_unlock(&svf_pci_lock);
	kfree(link);
}

static const struct auxiliary_device_id svf_pci_aux_ids[] = {
	SVF_AUX_ID("snapvf_sim", SVF_AUX_FN_NAME),
	SVF_AUX_ID("snapvf_mlx5", SVF_AUX_FN_NAME),
	{}
};
MODULE_DEVICE_TABLE(auxiliary, svf_pci_aux_ids);

static struct auxiliary_driver svf_pci_aux_driver = {
	.name = "pf",
	.probe = svf_pci_aux_probe,
	.remove = svf_pci_aux_remove,
	.id_table = svf_pci_aux_ids,
};

/**
 * svf_pci_pair_init() - start pairing (before the pci_driver registers)
 *
 * Return: 0 or -errno.
 */
int svf_pci_pair_init(void)
{
	int ret;

	svf_pci_wq = alloc_workqueue("snapvf_pci", WQ_UNBOUND, 0);
	if (!svf_pci_wq)
		return -ENOMEM;
	ret = auxiliary_driver_register(&svf_pci_aux_driver);
	if (ret)
		destroy_workqueue(svf_pci_wq);
	return ret;
}

/**
 * svf_pci_pair_exit() - withdraw every paired device, stop pairing
 *
 * Called before the pci_driver unregisters, so that a VMM holding a device
 * sees the request IRQ and ERROR at once.
 */
void svf_pci_pair_exit(void)
{
	auxiliary_driver_unregister(&svf_pci_aux_driver);
}

/**
 * svf_pci_pair_drain() - wait for queued attach/unbind work (module exit,
 * after the pci_driver is gone)
 */
void svf_pci_pair_drain(void)
{
	destroy_workqueue(svf_pci_wq);
}
