// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sf: binds scalable functions published on the auxiliary bus and
 * serves each as a vfio-mdev-core parent whose instances are virtio-blk
 * PCI functions.
 *
 * Lifetime: an SF's aux probe registers the mdev parent; its aux remove
 * (the parent withdrawing the SF: hot-unplug, rmmod of the parent, or
 * unbinding us) unregisters it, which removes every instance - users
 * holding a device fd get the VFIO request interrupt and removal waits
 * until they close it.  Instances call the SF's ops only through the
 * gated svf_aux_sf_*() wrappers, which return -ENODEV (an I/O error for
 * the guest) once the parent started withdrawing the SF; the SF structure
 * itself stays valid until remove() returned, after the instances.
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <snapvf/compat.h>

#include "sf.h"

/*
 * The types, ordered by queue count: an SF offering fewer queues than a
 * type needs, or fewer instances (counted in queues) than one instance of
 * it costs, does not list that type or any later one.  The parent's
 * capacity is the SF's max_instances counted in queues.
 */
const struct svf_sf_type svf_sf_shapes[] = {
	{ .queues = 1, .qsize = 256 },
	{ .queues = 4, .qsize = 256 },
};

const struct vmdev_type_info svf_sf_types[] = {
	{
		.name = "1q",
		.pretty_name = "virtio-blk 1 queue",
		.description = "virtio-blk function on the SF's disk: 1 request queue of 256",
		.cost = 1,
		.driver_data = 0,
	},
	{
		.name = "4q",
		.pretty_name = "virtio-blk 4 queues",
		.description = "virtio-blk function on the SF's disk: 4 request queues of 256",
		.cost = 4,
		.driver_data = 1,
	},
};

const unsigned int svf_sf_nr_types = ARRAY_SIZE(svf_sf_types);

static unsigned int svf_sf_usable_types(const struct svf_aux_sf *asf)
{
	unsigned int n = 0;

	while (n < svf_sf_nr_types &&
	       svf_sf_shapes[n].queues <= asf->max_queues &&
	       svf_sf_types[n].cost <= asf->max_instances)
		n++;
	return n;
}

static int svf_sf_aux_probe(struct auxiliary_device *adev,
			    const struct auxiliary_device_id *id)
{
	struct svf_aux_sf *asf = svf_aux_sf_from_adev(adev);
	unsigned int ntypes;
	struct svf_sf *sf;
	int ret;

	if (!asf)
		return -EINVAL;
	ntypes = svf_sf_usable_types(asf);
	if (!ntypes) {
		dev_err(&adev->dev, "SF offers no queue, nothing to serve\n");
		return -EINVAL;
	}
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	sf->sf = asf;
	ret = vmdev_register_parent(&sf->parent, &adev->dev, &svf_sf_mdev_driver,
				    svf_sf_types, ntypes, asf->max_instances);
	if (ret) {
		dev_err(&adev->dev, "cannot register mdev parent: %d\n", ret);
		kfree(sf);
		return ret;
	}
	auxiliary_set_drvdata(adev, sf);
	return 0;
}

static void svf_sf_aux_remove(struct auxiliary_device *adev)
{
	struct svf_sf *sf = auxiliary_get_drvdata(adev);

	vmdev_unregister_parent(&sf->parent);
	kfree(sf);
}

static const struct auxiliary_device_id svf_sf_aux_ids[] = {
	SVF_AUX_ID("snapvf_sim", SVF_AUX_SF_NAME),
	{ }
};
MODULE_DEVICE_TABLE(auxiliary, svf_sf_aux_ids);

static struct auxiliary_driver svf_sf_aux_driver = {
	.name = "blk",
	.probe = svf_sf_aux_probe,
	.remove = svf_sf_aux_remove,
	.id_table = svf_sf_aux_ids,
};

static int __init svf_sf_init(void)
{
	int ret;

	ret = svf_sf_desc_init();
	if (ret)
		return ret;
	ret = mdev_register_driver(&svf_sf_mdev_driver);
	if (ret)
		return ret;
	ret = auxiliary_driver_register(&svf_sf_aux_driver);
	if (ret)
		goto err_mdev;
	return 0;

err_mdev:
	mdev_unregister_driver(&svf_sf_mdev_driver);
	return ret;
}

static void __exit svf_sf_exit(void)
{
	auxiliary_driver_unregister(&svf_sf_aux_driver);
	mdev_unregister_driver(&svf_sf_mdev_driver);
}

module_init(svf_sf_init);
module_exit(svf_sf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("snapvf: scalable functions served as virtio-blk mdevs");
