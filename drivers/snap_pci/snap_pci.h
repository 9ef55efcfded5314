/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_pci internals: one SNAP PCI function served through vfio_pci_core
 * and paired with the auxiliary device its parent published for it.
 */
#ifndef _SNAPVF_SNAP_PCI_H
#define _SNAPVF_SNAP_PCI_H

#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/vfio_pci_core.h>
#include <snapvf/aux.h>
#include <snapvf/mig.h>

struct svf_pci_link;

/**
 * struct svf_pci_dev - a SNAP PCI function bound to snapvf_pci
 * @core: the vfio_pci_core device (config space, BARs, IRQs, reset, mmap)
 * @fn: the parent's function, referenced with svf_aux_fn_get() in probe and
 *	released in vfio_device_ops.release; after withdrawal its wrappers
 *	return -ENODEV but the memory stays valid
 * @link: the pairing record; NULL once the parent withdrew.  Protected by
 *	svf_pci_lock (pair.c)
 * @mig: migration engine (valid when @migratable)
 * @migratable: the parent announced SVF_AUX_F_MIGRATION
 * @withdrawn: the parent withdrew the function: every further call on the
 *	device fd fails with -ENODEV.  Set once, under svf_pci_lock; read
 *	locklessly (READ_ONCE) on the I/O paths
 * @saving: a parent save session is open (between save_start and save_end)
 * @final_started: the final save round was started in this session
 * @loading: a parent load session is open
 * @logging: DMA logging was started at the parent and not stopped yet;
 *	touched only from the log ops and close_device, which the vfio core
 *	never runs concurrently (log ops need an open device fd)
 * @bar_fault_lock: orders BAR faults against withdrawal (main.c, "BAR
 *	mappings after withdrawal"): read side across the @withdrawn check
 *	and vfio_pci_core's fault, write side taken once by the withdrawal
 *	before it zaps the mappings
 * @core_vm_ops: vfio_pci_core's vm_operations of a BAR mapping, which
 *	svf_pci_mmap() wraps; set by the first BAR mmap (always the same
 *	value), read by the wrappers of the mappings made since
 *
 * Lifetime: allocated by vfio_alloc_device() in probe, freed by the last
 * vfio_put_device() in remove, once the VMM closed every device fd (a
 * data_fd it keeps holds no reference: svf_mig_close() cut it off).
 * @saving, @final_started and @loading are only touched from migration
 * hooks, which the layer serialises with its state lock.
 */
struct svf_pci_dev {
	struct vfio_pci_core_device core;
	struct svf_aux_fn *fn;
	struct svf_pci_link *link;
	struct svf_mig mig;
	bool migratable;
	bool withdrawn;
	bool saving;
	bool final_started;
	bool loading;
	bool logging;
	struct rw_semaphore bar_fault_lock;
	const struct vm_operations_struct *core_vm_ops;
};

static inline struct svf_pci_dev *svf_pci_from_vdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct svf_pci_dev, core.vdev);
}

/* pair.c: registry of parent functions and the auxiliary driver */
extern struct pci_driver svf_pci_driver;
struct svf_aux_fn *svf_pci_pair_lookup(struct pci_dev *pdev);
int svf_pci_pair_claim(struct svf_pci_dev *sdev);
void svf_pci_pair_release(struct svf_pci_dev *sdev);
int svf_pci_pair_init(void);
void svf_pci_pair_exit(void);
void svf_pci_pair_drain(void);

/* main.c */
void svf_pci_zap_withdrawn(struct svf_pci_dev *sdev);

/* mig.c: migration hooks backed by the parent's ops */
int svf_pci_mig_init(struct svf_pci_dev *sdev);
void svf_pci_mig_uninit(struct svf_pci_dev *sdev);
void svf_pci_mig_close(struct svf_pci_dev *sdev);

#endif /* _SNAPVF_SNAP_PCI_H */
