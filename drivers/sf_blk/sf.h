/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_sf: scalable functions served as virtio-blk mdevs.
 *
 * main.c binds the parent's ``<parent>.sf.<id>`` auxiliary devices and
 * registers each SF as a vfio-mdev-core parent (struct svf_sf); instance.c
 * makes every mdev instance a virtio-blk PCI function (struct svf_sf_inst)
 * whose device model lives in virtio_blk.c / vring.c / state.c and whose
 * disk is the SF's, reached through the parent's SF ops.
 */
#ifndef _SVF_SF_H
#define _SVF_SF_H

#include <linux/auxiliary_bus.h>
#include <linux/mdev.h>
#include <snapvf/aux.h>
#include <snapvf/mig.h>
#include <snapvf/vmdev.h>

#include "virtio_blk.h"

/* PCI identity of an instance: modern virtio-blk, SNAP subsystem. */
#define SVF_SF_VENDOR		0x1af4
#define SVF_SF_DEVICE		0x1042
#define SVF_SF_SUBVENDOR	0x15b3
#define SVF_SF_SUBDEVICE	0x0002
#define SVF_SF_CLASS		0x018000

#define SVF_SF_MSIX_BAR		1
#define SVF_SF_MSIX_BAR_SIZE	0x1000
#define SVF_SF_MSIX_PBA		0x0800
#define SVF_SF_REG_BAR		4

/**
 * struct svf_sf_type - shape of the instances of one mdev type
 * @queues: request queues
 * @qsize: maximum ring size (clamped to the SF's max_queue_size)
 *
 * The disk is not part of the type: it is the SF's (capacity, block size
 * and serial come from the parent).
 */
struct svf_sf_type {
	u16 queues;
	u16 qsize;
};

/**
 * struct svf_sf - one scalable function served as an mdev parent
 * @parent: vfio-mdev-core parent; its capacity is the SF's max_instances
 *	in queue units (an instance costs its queue count)
 * @sf: the parent's SF; valid from aux probe until aux remove returns
 *
 * Lifetime: allocated in aux probe, freed in aux remove after
 * vmdev_unregister_parent() removed every instance.
 */
struct svf_sf {
	struct vmdev_parent parent;
	struct svf_aux_sf *sf;
};

/**
 * struct svf_sf_inst - one instance
 * @vdev: vfio-mdev-core device (first member, see vmdev_alloc_device())
 * @asf: the SF whose disk the instance presents (outlives the instance)
 * @blk: the virtio-blk model; its lock serialises all model state
 * @blk_ready: @blk was initialised (release() may run on a half-built
 *	instance)
 * @mig: migration engine of @vdev (shared layer)
 * @mig_ready: @mig was initialised
 * @state_sent: the final round has emitted the register image
 * @lib_sent: the final round has emitted vfio-mdev-core's record
 * @staged: register image received by a load session, NULL if none
 * @lib_staged: the load session staged vfio-mdev-core's record
 *
 * The save/load fields are only touched from migration hooks, which the
 * layer calls one at a time under its state lock.
 */
struct svf_sf_inst {
	struct vmdev_device vdev;
	struct svf_aux_sf *asf;
	struct svf_vblk_dev blk;
	bool blk_ready;
	struct svf_mig mig;
	bool mig_ready;
	bool state_sent;
	bool lib_sent;
	struct svf_vblk_state *staged;
	bool lib_staged;
};

static inline struct svf_sf_inst *to_inst(struct vmdev_device *vdev)
{
	return container_of(vdev, struct svf_sf_inst, vdev);
}

extern struct mdev_driver svf_sf_mdev_driver;
extern const struct vmdev_type_info svf_sf_types[];
extern const struct svf_sf_type svf_sf_shapes[];
extern const unsigned int svf_sf_nr_types;

int svf_sf_desc_init(void);
int svf_sf_mig_init(struct svf_sf_inst *inst, unsigned int type);
void svf_sf_mig_uninit(struct svf_sf_inst *inst);

#endif /* _SVF_SF_H */
