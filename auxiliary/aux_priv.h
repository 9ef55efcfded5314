/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_aux internals shared between its files.
 *
 * svf_aux_lock protects svf_aux_list (every published device until its
 * withdrawal deleted it from the bus, linked through &svf_aux_dev.node,
 * for the duplicate check) and the setting of the dead flags (a second
 * withdrawal of a device is caught under it).  It is never held while
 * calling a parent op or the driver core's add/delete.
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

/*
 * The op gate.  Every wrapper brackets its parent call with
 * svf_aux_enter()/svf_aux_leave() and calls the parent only if
 * svf_aux_live() says withdrawal has not started.  The SRCU read section
 * keeps svf_aux_*_withdraw() waiting until the call returned; the ops table
 * is only dereferenced inside it, so a withdrawn parent's table (possibly
 * unloaded memory) is never touched.
 */
static inline int svf_aux_enter(struct svf_aux_dev *d) __acquires(&d->gate)
{
	return srcu_read_lock(&d->gate);
}

static inline void svf_aux_leave(struct svf_aux_dev *d, int idx)
	__releases(&d->gate)
{
	srcu_read_unlock(&d->gate, idx);
}

static inline bool svf_aux_live(struct svf_aux_dev *d)
{
	return !READ_ONCE(d->dead);
}

#endif /* _SVF_AUX_PRIV_H */
