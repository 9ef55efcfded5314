// SPDX-License-Identifier: GPL-2.0
/*
 * Publishing and withdrawing svf aux devices.
 *
 * Object lifetime: the library allocates each svf_aux_fn / svf_aux_sf and
 * its auxiliary device's refcount owns it.  References: the parent's (taken
 * by auxiliary_device_init(), dropped at the end of withdrawal), the
 * consumers' (svf_aux_fn_get()), and the driver core's own while the device
 * is on the bus.  The release callbacks live here, in snapvf_aux, which
 * outlives every parent and consumer (they depend on it), so a reference
 * may outlive the parent module.
 *
 * Publish: alloc -> auxiliary_device_init -> insert in the list of
 * published devices (duplicate check) -> auxiliary_device_add.
 * Withdraw: dead -> synchronize_srcu -> auxiliary_device_delete -> unlist
 * -> auxiliary_device_uninit (put).
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "aux_priv.h"

void svf_aux_fn_release(struct device *dev)
{
	struct svf_aux_fn *fn = svf_aux_fn_from_adev(to_auxiliary_dev(dev));

	cleanup_srcu_struct(&fn->core.gate);
	pci_dev_put(fn->pdev);
	kfree(fn);
}

void svf_aux_sf_release(struct device *dev)
{
	struct svf_aux_sf *sf = svf_aux_sf_from_adev(to_auxiliary_dev(dev));

	cleanup_srcu_struct(&sf->core.gate);
	kfree(sf);
}

/*
 * Attributes every published PCI function carries, whoever the parent is
 * (the parent's own attribute groups come through &svf_aux_fn_info.groups):
 * "features" lists the SVF_AUX_F_* bits by name for admin tools (svfctl).
 * They come with the device's type so that they exist before the ADD
 * uevent, like the parent's groups.
 */
static const struct {
	u32 bit;
	const char *name;
} svf_aux_feature_names[] = {
	{ SVF_AUX_F_MIGRATION, "migration" },
	{ SVF_AUX_F_PRE_COPY, "pre_copy" },
	{ SVF_AUX_F_P2P, "p2p" },
	{ SVF_AUX_F_DIRTY_TRACKING, "dirty_tracking" },
};

static ssize_t features_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	u32 features = svf_aux_fn_from_adev(to_auxiliary_dev(dev))->features;
	const char *sep = "";
	unsigned int i;
	int len = 0;

	for (i = 0; i < ARRAY_SIZE(svf_aux_feature_names); i++) {
		if (!(features & svf_aux_feature_names[i].bit))
			continue;
		len += sysfs_emit_at(buf, len, "%s%s", sep,
				     svf_aux_feature_names[i].name);
		sep = " ";
	}
	return len + sysfs_emit_at(buf, len, "\n");
}
static DEVICE_ATTR_RO(features);

static struct attribute *svf_aux_fn_attrs[] = {
	&dev_attr_features.attr,
	NULL
};
ATTRIBUTE_GROUPS(svf_aux_fn);

static const struct device_type svf_aux_fn_type = {
	.groups = svf_aux_fn_groups,
};

/*
 * Common part of publishing: @d is allocated with its srcu_struct
 * initialised and its adev fields set; consumes @d on error.
 */
static int svf_aux_publish(struct svf_aux_dev *d, const char *modname)
{
	struct auxiliary_device *adev = &d->adev;
	char name[64];
	int ret;

	ret = auxiliary_device_init(adev);
	if (ret) {
		/* not initialised: free through the release callback by hand */
		adev->dev.release(&adev->dev);
		return ret;
	}
	/* from here on, put_device() (uninit) frees d through release */
	snprintf(name, sizeof(name), "%s.%s.%u", modname, adev->name, adev->id);
	d->modname = modname;
	ret = svf_aux_list_insert(d, name);
	if (ret)
		goto err_uninit;
	ret = __auxiliary_device_add(adev, modname);
	if (ret) {
		pr_err("snapvf_aux: adding %s failed: %d\n", name, ret);
		goto err_unlist;
	}
	return 0;

err_unlist:
	/* never on the bus: no consumer probed it, no op was called */
	mutex_lock(&svf_aux_lock);
	list_del_init(&d->node);
	mutex_unlock(&svf_aux_lock);
err_uninit:
	auxiliary_device_uninit(adev);
	return ret;
}

static void svf_aux_withdraw(struct svf_aux_dev *d)
{
	mutex_lock(&svf_aux_lock);
	if (WARN_ON(READ_ONCE(d->dead))) {
		mutex_unlock(&svf_aux_lock);
		return;
	}
	WRITE_ONCE(d->dead, true);
	mutex_unlock(&svf_aux_lock);

	/* every op call that saw dead == false has returned after this */
	synchronize_srcu(&d->gate);
	/* runs the consumer's remove() if one is bound */
	auxiliary_device_delete(&d->adev);
	/*
	 * Unlisted only now that its bus name is free again: until here a
	 * publish of the same name must fail the duplicate check, not the
	 * driver core's sysfs add.
	 */
	mutex_lock(&svf_aux_lock);
	list_del_init(&d->node);
	mutex_unlock(&svf_aux_lock);
	auxiliary_device_uninit(&d->adev);
}

static bool svf_aux_fn_ops_ok(u32 features, const struct svf_aux_fn_ops *ops)
{
	if (features & ~(SVF_AUX_F_MIGRATION | SVF_AUX_F_PRE_COPY |
			 SVF_AUX_F_DIRTY_TRACKING | SVF_AUX_F_P2P))
		return false;
	if ((features & SVF_AUX_F_P2P) && (!ops->quiesce || !ops->unquiesce))
		return false;
	if ((features & SVF_AUX_F_MIGRATION) &&
	    (!ops->suspend || !ops->resume || !ops->save_start ||
	     !ops->save_round || !ops->save_chunk || !ops->save_pending ||
	     !ops->save_end || !ops->load_start || !ops->load_chunk ||
	     !ops->load_commit || !ops->load_abort))
		return false;
	if ((features & SVF_AUX_F_PRE_COPY) &&
	    !(features & SVF_AUX_F_MIGRATION))
		return false;
	if ((features & SVF_AUX_F_DIRTY_TRACKING) &&
	    (!ops->log_start || !ops->log_stop || !ops->log_report))
		return false;
	return true;
}

/**
 * __svf_aux_fn_add() - publish a PCI function; use svf_aux_fn_add()
 * @parent: the parent's device
 * @info: function description
 * @ops: device-state operations
 * @priv: parent data
 * @modname: the caller's KBUILD_MODNAME
 *
 * Return: the function or an ERR_PTR(), see svf_aux_fn_add().
 */
struct svf_aux_fn *__svf_aux_fn_add(struct device *parent,
				    const struct svf_aux_fn_info *info,
				    const struct svf_aux_fn_ops *ops,
				    void *priv, const char *modname)
{
	struct svf_aux_fn *fn;
	u32 id;
	int ret;

	if (!parent || !info || !info->pdev || !ops || !modname ||
	    !svf_aux_fn_ops_ok(info->features, ops)) {
		pr_err("snapvf_aux: %s: invalid function description or ops missing for features\n",
		       modname ?: "?");
		return ERR_PTR(-EINVAL);
	}
	ret = svf_aux_pci_fn_id(info->pdev, &id);
	if (ret) {
		pci_err(info->pdev, "snapvf_aux: PCI domain above 0xffff, no fn-id\n");
		return ERR_PTR(ret);
	}
	fn = kzalloc(sizeof(*fn), GFP_KERNEL);
	if (!fn)
		return ERR_PTR(-ENOMEM);
	ret = init_srcu_struct(&fn->core.gate);
	if (ret) {
		kfree(fn);
		return ERR_PTR(ret);
	}
	fn->core.kind = SVF_AUX_KIND_FN;
	INIT_LIST_HEAD(&fn->core.node);
	fn->pdev = pci_dev_get(info->pdev);
	fn->fn_id = id;
	fn->features = info->features;
	strscpy(fn->compat, info->compat ?: "", sizeof(fn->compat));
	fn->ops = ops;
	fn->priv = priv;
	fn->core.adev.name = SVF_AUX_FN_NAME;
	fn->core.adev.id = id;
	fn->core.adev.dev.parent = parent;
	fn->core.adev.dev.release = svf_aux_fn_release;
	fn->core.adev.dev.type = &svf_aux_fn_type;
	fn->core.adev.dev.groups = info->groups;

	/* on failure, fn was freed through its release callback */
	ret = svf_aux_publish(&fn->core, modname);
	return ret ? ERR_PTR(ret) : fn;
}
EXPORT_SYMBOL_GPL(__svf_aux_fn_add);

/**
 * svf_aux_fn_withdraw() - withdraw a published PCI function
 * @fn: the function, from svf_aux_fn_add()
 *
 * Marks @fn dead, waits for op calls in flight, deletes the auxiliary
 * device (running the consumer's remove()) and drops the parent's
 * reference.  After it returns
 * no op of @fn is called again and the caller must not use @fn.  Process
 * context; not from an op or from one of @fn's own sysfs attributes.
 */
void svf_aux_fn_withdraw(struct svf_aux_fn *fn)
{
	svf_aux_withdraw(&fn->core);
}
EXPORT_SYMBOL_GPL(svf_aux_fn_withdraw);

static bool svf_aux_sf_info_ok(const struct svf_aux_sf_info *info,
			       const struct svf_aux_sf_ops *ops)
{
	u32 bs = info->block_size ?: 512;

	if (!ops->read || !ops->write)
		return false;
	if (!is_power_of_2(bs) || bs < 512 || bs > 4096)
		return false;
	if (!info->capacity || info->capacity % bs)
		return false;
	if (!info->max_queues || !info->max_instances ||
	    info->max_queue_size < 2 || !is_power_of_2(info->max_queue_size))
		return false;
	return true;
}

/**
 * __svf_aux_sf_add() - publish a scalable function; use svf_aux_sf_add()
 * @parent: the parent's device
 * @info: SF description
 * @ops: operations
 * @priv: parent data
 * @modname: the caller's KBUILD_MODNAME
 *
 * Return: the SF or an ERR_PTR(), see svf_aux_sf_add().
 */
struct svf_aux_sf *__svf_aux_sf_add(struct device *parent,
				    const struct svf_aux_sf_info *info,
				    const struct svf_aux_sf_ops *ops,
				    void *priv, const char *modname)
{
	struct svf_aux_sf *sf;
	int ret;

	if (!parent || !info || !ops || !modname ||
	    !svf_aux_sf_info_ok(info, ops)) {
		pr_err("snapvf_aux: %s: invalid SF description\n",
		       modname ?: "?");
		return ERR_PTR(-EINVAL);
	}
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return ERR_PTR(-ENOMEM);
	ret = init_srcu_struct(&sf->core.gate);
	if (ret) {
		kfree(sf);
		return ERR_PTR(ret);
	}
	sf->core.kind = SVF_AUX_KIND_SF;
	INIT_LIST_HEAD(&sf->core.node);
	sf->sf_id = info->sf_id;
	sf->capacity = info->capacity;
	sf->block_size = info->block_size ?: 512;
	sf->max_queues = info->max_queues;
	sf->max_queue_size = info->max_queue_size;
	sf->max_instances = info->max_instances;
	if (info->serial)
		strtomem_pad(sf->serial, info->serial, 0);
	sf->ops = ops;
	sf->priv = priv;
	sf->core.adev.name = SVF_AUX_SF_NAME;
	sf->core.adev.id = info->sf_id;
	sf->core.adev.dev.parent = parent;
	sf->core.adev.dev.release = svf_aux_sf_release;
	sf->core.adev.dev.groups = info->groups;

	ret = svf_aux_publish(&sf->core, modname);
	return ret ? ERR_PTR(ret) : sf;
}
EXPORT_SYMBOL_GPL(__svf_aux_sf_add);

/**
 * svf_aux_sf_withdraw() - withdraw a published scalable function
 * @sf: the SF, from svf_aux_sf_add()
 *
 * Same sequence and guarantees as svf_aux_fn_withdraw().
 */
void svf_aux_sf_withdraw(struct svf_aux_sf *sf)
{
	svf_aux_withdraw(&sf->core);
}
EXPORT_SYMBOL_GPL(svf_aux_sf_withdraw);

/**
 * svf_aux_withdrawing() - has withdrawal of @dev started?
 * @dev: &svf_aux_fn.core or &svf_aux_sf.core
 *
 * For parents' long-running ops (bail out with -ENODEV) and for consumers
 * holding a reference.  Lock-free; once true, stays true.
 *
 * Return: true once svf_aux_*_withdraw() has begun.
 */
bool svf_aux_withdrawing(struct svf_aux_dev *dev)
{
	return READ_ONCE(dev->dead);
}
EXPORT_SYMBOL_GPL(svf_aux_withdrawing);
