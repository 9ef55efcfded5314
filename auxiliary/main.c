// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_aux module: nothing to set up but the shared list and lock; a
 * module that publishes or consumes devices depends on this one, so the
 * list is empty whenever this module can be unloaded.
 */
#include <linux/module.h>

#include "aux_priv.h"

static int __init svf_aux_init(void)
{
	return 0;
}

static void __exit svf_aux_exit(void)
{
	WARN_ON(!list_empty(&svf_aux_list));
}

module_init(svf_aux_init);
module_exit(svf_aux_exit);

MODULE_DESCRIPTION("snapvf parent/consumer library on the auxiliary bus");
MODULE_LICENSE("GPL");
