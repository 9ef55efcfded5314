// SPDX-License-Identifier: GPL-2.0
/*
 * Finding published devices, references, and the event notifier.
 *
 * A device is on svf_aux_list from just before auxiliary_device_add() until
 * withdrawal has deleted it from the bus, so a consumer probing during the
 * add (its aux probe pairing the PCI function right away) already finds
 * it, and its bus name stays reserved while it is being withdrawn.
 * Lookups skip dead (withdrawing) devices.  Lookups return a
 * reference; drop it with the matching put, which may sleep.
 */
#include <linux/notifier.h>

#include "aux_priv.h"

/* protects svf_aux_list and the dead flags (see aux_priv.h) */
DEFINE_MUTEX(svf_aux_lock);
LIST_HEAD(svf_aux_list);
static BLOCKING_NOTIFIER_HEAD(svf_aux_chain);

/*
 * Would @o and @d collide?  Functions: the same PCI function (whatever
 * the parent; the fn-id, hence the bus name, follows from it).  SFs: the
 * same bus name ``modname.sf.<id>``.  The bus name itself is not compared:
 * a listed device gets it only inside auxiliary_device_add(), which runs
 * without svf_aux_lock, so it may still be unset or being set.
 */
static bool svf_aux_collide(struct svf_aux_dev *o, struct svf_aux_dev *d)
{
	if (o->kind != d->kind)
		return false;
	if (d->kind == SVF_AUX_KIND_FN)
		return container_of(o, struct svf_aux_fn, core)->pdev ==
		       container_of(d, struct svf_aux_fn, core)->pdev;
	return o->adev.id == d->adev.id && !strcmp(o->modname, d->modname);
}

/*
 * Link @d under svf_aux_lock unless it collides with a listed device.
 * @d->modname must stay valid while @d is listed (it is the publishing
 * module's KBUILD_MODNAME; the module withdraws before it unloads).
 */
int svf_aux_list_insert(struct svf_aux_dev *d, const char *name)
{
	struct svf_aux_dev *o;
	int ret = 0;

	mutex_lock(&svf_aux_lock);
	list_for_each_entry(o, &svf_aux_list, node) {
		if (svf_aux_collide(o, d)) {
			ret = -EEXIST;
			break;
		}
	}
	if (!ret)
		list_add_tail(&d->node, &svf_aux_list);
	mutex_unlock(&svf_aux_lock);
	if (ret)
		pr_err("snapvf_aux: %s: already published or being withdrawn%s\n", name,
		       d->kind == SVF_AUX_KIND_FN ? " (same PCI function)" : "");
	return ret;
}

void svf_aux_notify(enum svf_aux_event ev, struct svf_aux_dev *d)
{
	blocking_notifier_call_chain(&svf_aux_chain, ev, d);
}

/**
 * svf_aux_fn_from_adev() - the svf function behind an auxiliary device
 * @adev: an auxiliary device, e.g. the one a consumer's probe got
 *
 * No reference is taken: valid while the consumer is bound (until its
 * remove() returns) or while it holds its own reference.
 *
 * Return: the function, or NULL if @adev is not an svf PCI function.
 */
struct svf_aux_fn *svf_aux_fn_from_adev(struct auxiliary_device *adev)
{
	if (!adev || adev->dev.release != svf_aux_fn_release)
		return NULL;
	return container_of(adev, struct svf_aux_fn, core.adev);
}
EXPORT_SYMBOL_GPL(svf_aux_fn_from_adev);

/**
 * svf_aux_sf_from_adev() - the svf SF behind an auxiliary device
 * @adev: an auxiliary device
 *
 * Return: the SF, or NULL if @adev is not an svf SF.  Same lifetime rule
 * as svf_aux_fn_from_adev().
 */
struct svf_aux_sf *svf_aux_sf_from_adev(struct auxiliary_device *adev)
{
	if (!adev || adev->dev.release != svf_aux_sf_release)
		return NULL;
	return container_of(adev, struct svf_aux_sf, core.adev);
}
EXPORT_SYMBOL_GPL(svf_aux_sf_from_adev);

static struct svf_aux_fn *svf_aux_fn_find(struct pci_dev *pdev, u32 fn_id)
{
	struct svf_aux_fn *found = NULL;
	struct svf_aux_dev *d;

	mutex_lock(&svf_aux_lock);
	list_for_each_entry(d, &svf_aux_list, node) {
		struct svf_aux_fn *fn;

		if (d->kind != SVF_AUX_KIND_FN || READ_ONCE(d->dead))
			continue;
		fn = container_of(d, struct svf_aux_fn, core);
		if (pdev ? fn->pdev == pdev : fn->fn_id == fn_id) {
			get_device(&d->adev.dev);
			found = fn;
			break;
		}
	}
	mutex_unlock(&svf_aux_lock);
	return found;
}

/**
 * svf_aux_fn_get_by_pdev() - find the live function published for @pdev
 * @pdev: a PCI function
 *
 * Return: the function with a reference (drop it with svf_aux_fn_put()),
 * or NULL if none is published or it is being withdrawn.  The result may
 * start withdrawing at any moment; its wrappers then return -ENODEV.
 */
struct svf_aux_fn *svf_aux_fn_get_by_pdev(struct pci_dev *pdev)
{
	return pdev ? svf_aux_fn_find(pdev, 0) : NULL;
}
EXPORT_SYMBOL_GPL(svf_aux_fn_get_by_pdev);

/**
 * svf_aux_fn_get_by_id() - find the live function with fn-id @fn_id
 * @fn_id: see svf_aux_pci_fn_id()
 *
 * Return: as svf_aux_fn_get_by_pdev().
 */
struct svf_aux_fn *svf_aux_fn_get_by_id(u32 fn_id)
{
	return svf_aux_fn_find(NULL, fn_id);
}
EXPORT_SYMBOL_GPL(svf_aux_fn_get_by_id);

/**
 * svf_aux_fn_get() - take a reference on @fn
 * @fn: a function the caller may use now (bound, or already referenced)
 *
 * Keeps @fn's memory (and &svf_aux_fn.pdev) valid; does not keep it
 * published.
 */
void svf_aux_fn_get(struct svf_aux_fn *fn)
{
	get_device(&fn->core.adev.dev);
}
EXPORT_SYMBOL_GPL(svf_aux_fn_get);

/**
 * svf_aux_fn_put() - drop a reference taken by a get or lookup
 * @fn: the function; may be freed on return.  May sleep.
 */
void svf_aux_fn_put(struct svf_aux_fn *fn)
{
	put_device(&fn->core.adev.dev);
}
EXPORT_SYMBOL_GPL(svf_aux_fn_put);

/**
 * svf_aux_sf_get() - take a reference on @sf
 * @sf: an SF the caller may use now
 */
void svf_aux_sf_get(struct svf_aux_sf *sf)
{
	get_device(&sf->core.adev.dev);
}
EXPORT_SYMBOL_GPL(svf_aux_sf_get);

/**
 * svf_aux_sf_put() - drop a reference on @sf
 * @sf: the SF; may be freed on return.  May sleep.
 */
void svf_aux_sf_put(struct svf_aux_sf *sf)
{
	put_device(&sf->core.adev.dev);
}
EXPORT_SYMBOL_GPL(svf_aux_sf_put);

/**
 * svf_aux_register_notifier() - get told about published/withdrawn devices
 * @nb: notifier; called in process context with an &enum svf_aux_event
 *	and a &struct svf_aux_dev *, without library locks held.  It must not
 *	publish or withdraw devices itself.  Devices published before
 *	registration are not replayed: look them up after registering.
 *
 * Return: 0 or a negative errno.
 */
int svf_aux_register_notifier(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&svf_aux_chain, nb);
}
EXPORT_SYMBOL_GPL(svf_aux_register_notifier);

/**
 * svf_aux_unregister_notifier() - undo svf_aux_register_notifier()
 * @nb: the notifier; no call to it is running or made after return
 *
 * Return: 0 or -ENOENT.
 */
int svf_aux_unregister_notifier(struct notifier_block *nb)
{
	return blocking_notifier_chain_unregister(&svf_aux_chain, nb);
}
EXPORT_SYMBOL_GPL(svf_aux_unregister_notifier);
