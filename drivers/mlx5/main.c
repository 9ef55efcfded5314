// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_mlx5: the parent (device manager) for mlx5 functions.
 *
 * Each migration-capable function a provider adds is published as
 * ``snapvf_mlx5.vfio_pci.<fn-id>`` and served by the VHCA commands of
 * cmd.c; the provider is the mlx5_core binding (hw.c) on hardware or the
 * firmware model in the tests (include/snapvf/mlx5.h).
 *
 * Device states map onto the commands as:
 *   RUNNING -> RUNNING_P2P  SUSPEND_VHCA(initiator)   quiesce
 *   RUNNING_P2P -> STOP     SUSPEND_VHCA(responder)   suspend
 *   STOP -> RUNNING_P2P     RESUME_VHCA(responder)    resume
 *   RUNNING_P2P -> RUNNING  RESUME_VHCA(initiator)    unquiesce
 */
#include <linux/module.h>
#include <linux/slab.h>

#include "priv.h"

static struct svf_mlx5_vf *svf_mlx5_vf(struct svf_aux_fn *afn)
{
	return afn->priv;
}

static int svf_mlx5_step(struct svf_aux_fn *afn, enum svf_mlx5_dstate from,
			 enum svf_mlx5_dstate to, bool suspend,
			 enum svf_mlx5_side side)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);
	int ret;

	mutex_lock(&vf->lock);
	if (svf_aux_withdrawing(&afn->core)) {
		ret = -ENODEV;
	} else if (!suspend && vf->partial) {
		svf_mlx5_err_rl(vf, "partly loaded: reset the function first\n");
		ret = -EIO;
	} else if (vf->dstate != from) {
		svf_mlx5_err_rl(vf, "device state %d, expected %d\n",
				vf->dstate, from);
		ret = -EINVAL;
	} else {
		ret = suspend ?
		      svf_mlx5_cmd_suspend(vf->chan, &vf->pdev->dev,
					   vf->vhca_id, side) :
		      svf_mlx5_cmd_resume(vf->chan, &vf->pdev->dev,
					  vf->vhca_id, side);
		if (!ret)
			vf->dstate = to;
	}
	mutex_unlock(&vf->lock);
	return ret;
}

static int svf_mlx5_quiesce(struct svf_aux_fn *afn)
{
	return svf_mlx5_step(afn, SVF_MLX5_RUNNING, SVF_MLX5_P2P, true,
			     SVF_MLX5_INITIATOR);
}

static int svf_mlx5_suspend(struct svf_aux_fn *afn)
{
	return svf_mlx5_step(afn, SVF_MLX5_P2P, SVF_MLX5_STOP, true,
			     SVF_MLX5_RESPONDER);
}

static int svf_mlx5_resume(struct svf_aux_fn *afn)
{
	return svf_mlx5_step(afn, SVF_MLX5_STOP, SVF_MLX5_P2P, false,
			     SVF_MLX5_RESPONDER);
}

static int svf_mlx5_unquiesce(struct svf_aux_fn *afn)
{
	return svf_mlx5_step(afn, SVF_MLX5_P2P, SVF_MLX5_RUNNING, false,
			     SVF_MLX5_INITIATOR);
}

/*
 * A function-level reset returns the VHCA to running in the firmware; what
 * we keep is the sessions and our idea of the device state.  A provider
 * whose firmware does not see the reset is told (fn_reset).
 */
static int svf_mlx5_reset(struct svf_aux_fn *afn)
{
	struct svf_mlx5_vf *vf = svf_mlx5_vf(afn);

	mutex_lock(&vf->lock);
	svf_mlx5_save_free(vf);
	svf_mlx5_load_free(vf);
	if (vf->chan->ops->fn_reset)
		vf->chan->ops->fn_reset(vf->chan, vf->vhca_id);
	vf->dstate = SVF_MLX5_RUNNING;
	vf->partial = false;
	mutex_unlock(&vf->lock);
	return 0;
}

static const struct svf_aux_fn_ops svf_mlx5_fn_ops = {
	.quiesce = svf_mlx5_quiesce,
	.unquiesce = svf_mlx5_unquiesce,
	.suspend = svf_mlx5_suspend,
	.resume = svf_mlx5_resume,
	.save_start = svf_mlx5_save_start,
	.save_round = svf_mlx5_save_round,
	.save_chunk = svf_mlx5_save_chunk,
	.save_pending = svf_mlx5_save_pending,
	.save_end = svf_mlx5_save_end,
	.load_start = svf_mlx5_load_start,
	.load_chunk = svf_mlx5_load_chunk,
	.load_commit = svf_mlx5_load_commit,
	.load_abort = svf_mlx5_load_abort,
	.log_start = svf_mlx5_log_start,
	.log_stop = svf_mlx5_log_stop,
	.log_report = svf_mlx5_log_report,
	.reset = svf_mlx5_reset,
};

/**
 * svf_mlx5_chan_init() - prepare a provider's channel for svf_mlx5_vf_add()
 * @chan: the channel, with @ops, @dev, @caps and @priv filled in
 *
 * Context: process context; call once before the first svf_mlx5_vf_add().
 */
void svf_mlx5_chan_init(struct svf_mlx5_chan *chan)
{
	mutex_init(&chan->lock);
	INIT_LIST_HEAD(&chan->vfs);
}
EXPORT_SYMBOL_GPL(svf_mlx5_chan_init);

/**
 * svf_mlx5_vf_add() - publish a function behind a channel
 * @chan: the provider's channel (svf_mlx5_chan_init() done)
 * @pdev: the PCI function (a reference is taken)
 * @function_id: the function as its PF addresses it in QUERY_HCA_CAP
 *	(VF number + 1 on hardware)
 *
 * Asks the firmware for the function's VHCA id and migration capability
 * and publishes ``snapvf_mlx5.vfio_pci.<fn-id>`` for it.  Consumers may
 * probe and call the ops before this returns.  The function is listed on
 * @chan only once published: the provider must not run
 * svf_mlx5_vf_remove() or svf_mlx5_chan_remove_all() on @chan while an add
 * is in progress (the model serialises them under one lock, the hardware
 * provider under the VF's lock), or a removal would miss it.
 *
 * Context: process context, may sleep; @chan->lock must not be held.
 * Return: 0; -EOPNOTSUPP if the firmware cannot migrate the function
 * (logged once), -EEXIST if it is already added, an errno of the firmware
 * query or of svf_aux_fn_add().
 */
int svf_mlx5_vf_add(struct svf_mlx5_chan *chan, struct pci_dev *pdev,
		    u16 function_id)
{
	struct svf_aux_fn_info info = {
		.pdev = pdev,
		.features = SVF_AUX_F_MIGRATION | SVF_AUX_F_P2P,
		.compat = "snapvf_mlx5/vhca/1",
	};
	struct svf_mlx5_fn_caps caps;
	struct svf_mlx5_vf *vf, *o;
	struct svf_aux_fn *afn;
	int ret;

	ret = svf_mlx5_cmd_query_fn(chan, &pdev->dev, function_id, &caps);
	if (ret)
		return ret;
	if (!caps.migration) {
		pci_info(pdev, "snapvf_mlx5: firmware reports the function (vhca_id %u) not migratable, not published\n",
			 caps.vhca_id);
		return -EOPNOTSUPP;
	}
	if (chan->caps & SVF_MLX5_CAP_PRE_COPY)
		info.features |= SVF_AUX_F_PRE_COPY;
	if (svf_mlx5_log_offered(chan))
		info.features |= SVF_AUX_F_DIRTY_TRACKING;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;
	INIT_LIST_HEAD(&vf->node);
	mutex_init(&vf->lock);
	vf->chan = chan;
	vf->pdev = pci_dev_get(pdev);
	vf->function_id = function_id;
	vf->vhca_id = caps.vhca_id;
	vf->dstate = SVF_MLX5_RUNNING;

	mutex_lock(&chan->lock);
	list_for_each_entry(o, &chan->vfs, node) {
		if (o->pdev == pdev) {
			mutex_unlock(&chan->lock);
			ret = -EEXIST;
			goto err_free;
		}
	}
	mutex_unlock(&chan->lock);

	/*
	 * Published outside chan->lock: a consumer probe may run inside.  Two
	 * concurrent adds of one function are refused by the library
	 * (-EEXIST), so the list stays duplicate-free.
	 */
	afn = svf_aux_fn_add(chan->dev, &info, &svf_mlx5_fn_ops, vf);
	if (IS_ERR(afn)) {
		ret = PTR_ERR(afn);
		goto err_free;
	}
	vf->afn = afn;
	mutex_lock(&chan->lock);
	list_add_tail(&vf->node, &chan->vfs);
	mutex_unlock(&chan->lock);
	pci_info(pdev, "snapvf_mlx5: %s published (vhca_id %u)\n",
		 dev_name(&afn->core.adev.dev), vf->vhca_id);
	return 0;

err_free:
	pci_dev_put(vf->pdev);
	mutex_destroy(&vf->lock);
	kfree(vf);
	return ret;
}
EXPORT_SYMBOL_GPL(svf_mlx5_vf_add);

/* Withdraw and free an unlinked function. */
static void svf_mlx5_vf_destroy(struct svf_mlx5_vf *vf)
{
	char name[64];

	strscpy(name, dev_name(&vf->afn->core.adev.dev), sizeof(name));
	svf_aux_fn_withdraw(vf->afn);
	/* no op runs any more: free what an abandoned session held */
	svf_mlx5_save_free(vf);
	svf_mlx5_load_free(vf);
	svf_mlx5_log_free(vf);
	pci_info(vf->pdev, "snapvf_mlx5: %s withdrawn\n", name);
	pci_dev_put(vf->pdev);
	mutex_destroy(&vf->lock);
	kfree(vf);
}

/**
 * svf_mlx5_vf_remove() - withdraw a function added with svf_mlx5_vf_add()
 * @chan: its channel
 * @pdev: the function
 *
 * When it returns, the consumer's remove() has run, no op of the function
 * is called any more and its firmware buffers are freed.  Nothing happens
 * if the function is not added (e.g. it was not migratable).
 *
 * Context: process context, may sleep; not from a channel op.
 */
void svf_mlx5_vf_remove(struct svf_mlx5_chan *chan, struct pci_dev *pdev)
{
	struct svf_mlx5_vf *vf, *found = NULL;

	mutex_lock(&chan->lock);
	list_for_each_entry(vf, &chan->vfs, node) {
		if (vf->pdev == pdev) {
			found = vf;
			list_del_init(&vf->node);
			break;
		}
	}
	mutex_unlock(&chan->lock);
	if (found)
		svf_mlx5_vf_destroy(found);
}
EXPORT_SYMBOL_GPL(svf_mlx5_vf_remove);

/**
 * svf_mlx5_chan_remove_all() - withdraw every function of a channel
 * @chan: the channel
 *
 * When it returns, no op of @chan is called any more; the provider may
 * free it.
 *
 * Context: process context, may sleep; not from a channel op.
 */
void svf_mlx5_chan_remove_all(struct svf_mlx5_chan *chan)
{
	struct svf_mlx5_vf *vf;

	for (;;) {
		mutex_lock(&chan->lock);
		vf = list_first_entry_or_null(&chan->vfs, struct svf_mlx5_vf,
					      node);
		if (vf)
			list_del_init(&vf->node);
		mutex_unlock(&chan->lock);
		if (!vf)
			break;
		svf_mlx5_vf_destroy(vf);
	}
}
EXPORT_SYMBOL_GPL(svf_mlx5_chan_remove_all);

static int __init svf_mlx5_init(void)
{
	return svf_mlx5_hw_init();
}

static void __exit svf_mlx5_exit(void)
{
	svf_mlx5_hw_exit();
}

module_init(svf_mlx5_init);
module_exit(svf_mlx5_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("snapvf parent for mlx5 functions (VHCA migration commands)");
