// SPDX-License-Identifier: GPL-2.0
/*
 * The list of published devices (duplicate checks), the way from an
 * auxiliary device to its svf object, and references.
 *
 * A device is on svf_aux_list from just before auxiliary_device_add() until
 * withdrawal has deleted it from the bus, so its bus name (and, for a PCI
 * function, the function itself) stays reserved while it is being
 * withdrawn.  References are taken with svf_aux_fn_get() and dropped with
 * svf_aux_fn_put(), which may sleep.
 */
#include "aux_priv.h"

/* protects svf_aux_list and the dead flags (see aux_priv.h) */
DEFINE_MUTEX(svf_aux_lock);
LIST_HEAD(svf_aux_list);

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
 * svf_aux_fn_put() - drop a reference taken by svf_aux_fn_get()
 * @fn: the function; may be freed on return.  May sleep.
 */
void svf_aux_fn_put(struct svf_aux_fn *fn)
{
	put_device(&fn->core.adev.dev);
}
EXPORT_SYMBOL_GPL(svf_aux_fn_put);
