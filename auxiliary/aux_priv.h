/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_aux internals shared between its files.
 *
 * svf_aux_lock protects svf_aux_list (every published, not yet withdrawn
 * device, linked through &svf_aux_dev.node) and orders the dead flag
 * against lookups.  It is never held while calling a parent op, a
 * notifier or the driver core's add/delete.
 */
#ifndef _SVF_AUX_PRIV_H
#define _SVF_AUX_PRIV_H

#include <linux/mutex.h>
#include <snapvf/aux.h>

extern struct mutex svf_aux_lock;
extern struct list_head svf_aux_list;

void svf_aux_fn_release(struct device *dev);
void svf_aux_sf_release(struct device *dev);
int svf_aux_list_insert(struct svf_aux_dev *d, const char *name);
void svf_aux_notify(enum svf_aux_event ev, struct svf_aux_dev *d);

/*
 * SVF_AUX_GATED() - run @call for @d unless @d is being withdrawn.
 * Evaluates to @call's value, or @gone if withdrawal started.  The SRCU
 * read section keeps svf_aux_fn_withdraw() waiting until @call returned;
 * @call is only evaluated inside it, so a withdrawn parent's ops table
 * (possibly unloaded memory) is never dereferenced.
 */
#define SVF_AUX_GATED(d, gone, call)				\
({								\
	int __idx = srcu_read_lock(&(d)->gate);			\
	long __ret = (gone);					\
								\
	if (!READ_ONCE((d)->dead))				\
		__ret = (call);					\
	srcu_read_unlock(&(d)->gate, __idx);			\
	__ret;							\
})

#endif /* _SVF_AUX_PRIV_H */
