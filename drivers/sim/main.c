// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sim: a simulated device manager (netdevsim-style) for snapvf.
 *
 * The simulator is instantiated by binding a "manager" guest function,
 * QEMU's pci-testdev (1b36:0005): each bound manager gets a control
 * directory in its sysfs node (mgr.c) through which functions and SFs are
 * added and removed.  Fault injection and inspection are in debugfs, below
 * /sys/kernel/debug/snapvf_sim/ (sim_dbg_root, see sim.h), as netdevsim
 * does it.  Managed functions are ivshmem-plain functions
 * (1af4:1110) owned by some other driver (vfio-pci, snapvf_pci); the
 * simulator maps their BAR2 and plays their firmware: it owns their device
 * state and implements the parent ops of include/snapvf/aux.h on it.
 *
 * Teardown: manager remove and module unload withdraw everything the
 * manager published before returning, so the module can go at any time.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <snapvf/compat.h>
#include "sim.h"

DEFINE_MUTEX(sim_mgrs_lock);	/* protects sim_mgrs */
LIST_HEAD(sim_mgrs);
struct workqueue_struct *sim_wq;	/* surprise removals */
struct dentry *sim_dbg_root;		/* /sys/kernel/debug/snapvf_sim/ */

static int sim_mgr_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct sim_mgr *mgr;

	mgr = kzalloc(sizeof(*mgr), GFP_KERNEL);
	if (!mgr)
		return -ENOMEM;
	mgr->pdev = pdev;
	mutex_init(&mgr->lock);
	INIT_LIST_HEAD(&mgr->fns);
	INIT_LIST_HEAD(&mgr->sfs);
	INIT_LIST_HEAD(&mgr->vols);
	pci_set_drvdata(pdev, mgr);
	mutex_lock(&sim_mgrs_lock);
	list_add_tail(&mgr->node, &sim_mgrs);
	mutex_unlock(&sim_mgrs_lock);
	sim_mgr_dbg_add(mgr);
	pci_info(pdev, "snapvf simulated device manager ready\n");
	return 0;
}

static void sim_mgr_remove(struct pci_dev *pdev)
{
	struct sim_mgr *mgr = pci_get_drvdata(pdev);

	/* the control files are gone already (driver dev_groups) */
	sim_mgr_dbg_del(mgr);
	mutex_lock(&sim_mgrs_lock);
	list_del(&mgr->node);
	mutex_unlock(&sim_mgrs_lock);
	mutex_lock(&mgr->lock);
	mgr->dying = true;
	mutex_unlock(&mgr->lock);
	sim_sf_del_all(mgr);
	/*
	 * An SF's surprise work unlinks it before destroying it, so the loop
	 * above does not wait for it; its destroy still uses the manager and
	 * the volume.
	 */
	flush_workqueue(sim_wq);
	sim_vol_del_all(mgr);
	sim_fn_del_all(mgr);
	mutex_destroy(&mgr->lock);
	kfree(mgr);
}

static const struct pci_device_id sim_mgr_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT, 0x0005) },	/* QEMU pci-testdev */
	{ }
};
MODULE_DEVICE_TABLE(pci, sim_mgr_ids);

static struct pci_driver sim_mgr_driver = {
	.name = "snapvf_sim",
	.id_table = sim_mgr_ids,
	.probe = sim_mgr_probe,
	.remove = sim_mgr_remove,
	.dev_groups = sim_mgr_groups,
};

/* A managed function leaving the PCI bus is withdrawn at once. */
static int sim_pci_notify(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	if (action == BUS_NOTIFY_DEL_DEVICE)
		sim_fn_pci_gone(to_pci_dev(data));
	return NOTIFY_DONE;
}

static struct notifier_block sim_pci_nb = {
	.notifier_call = sim_pci_notify,
};

static int __init sim_init(void)
{
	int ret;

	sim_wq = alloc_workqueue("snapvf_sim", 0, 0);
	if (!sim_wq)
		return -ENOMEM;
	/* before any manager can probe; an error leaves the knobs out only */
	sim_dbg_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	ret = bus_register_notifier(&pci_bus_type, &sim_pci_nb);
	if (ret)
		goto err_wq;
	ret = pci_register_driver(&sim_mgr_driver);
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	bus_unregister_notifier(&pci_bus_type, &sim_pci_nb);
err_wq:
	debugfs_remove_recursive(sim_dbg_root);
	destroy_workqueue(sim_wq);
	return ret;
}

static void __exit sim_exit(void)
{
	pci_unregister_driver(&sim_mgr_driver);
	bus_unregister_notifier(&pci_bus_type, &sim_pci_nb);
	/* every manager and what it published removed its directory */
	debugfs_remove_recursive(sim_dbg_root);
	destroy_workqueue(sim_wq);
}

module_init(sim_init);
module_exit(sim_exit);

MODULE_DESCRIPTION("snapvf simulated device manager");
MODULE_LICENSE("GPL");
