/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapvf_sim internals.
 *
 * Objects and lifetimes:
 * - struct sim_mgr: one per bound manager function (pci-testdev 1b36:0005);
 *   lives from probe to remove.  mgr->lock protects the fns/sfs lists and
 *   the dying flag; it is never held across a call into the aux library
 *   that can run a consumer (add, withdraw).
 * - struct sim_fn: one per managed ivshmem function.  Reachable from the
 *   manager list, from its aux device (afn->priv) and from its debugfs
 *   knobs.  Its knob directory is removed before withdrawal (fn_knobs.c),
 *   and it is freed only after svf_aux_fn_withdraw() returned, so neither
 *   knobs nor ops ever see it freed.  fn->lock protects the device state,
 *   sessions and knobs; ops and knobs take it, withdrawal never does.
 * - struct sim_sf: same scheme for scalable functions.  Its debugfs
 *   directory is removed, which waits for every knob call in progress,
 *   before it is withdrawn; its surprise work is cancelled after the
 *   withdrawal, and manager remove flushes sim_wq so an SF a surprise
 *   work is destroying (unlinked already) is gone before the manager and
 *   its volumes are freed.
 * - struct sim_vol: a backing volume, the storage an SF presents (sf.c).
 *   A listed volume (new_volume) lives on mgr->vols until del_volume or
 *   manager remove and may be attached to several SFs at once, as a SAN
 *   volume is seen from two hosts; a private one (new_sf with a size) is
 *   freed with the last SF using it.  vol->users counts the SFs attached,
 *   under mgr->lock; a volume with users is never freed.
 *
 * debugfs (Documentation/simulator.rst): sim_dbg_root is
 * /sys/kernel/debug/snapvf_sim/, created at module init before the PCI
 * driver registers and removed at exit after it unregistered.  Below it,
 * one directory per manager (named after its PCI address: the read-only
 * listings, mgr.c) and one per published aux device, named after it,
 * holding its knobs (snapvf_sim.vfio_pci.<fn-id>/, fn_knobs.c;
 * snapvf_sim.sf.<id>/, sf.c).  Each
 * directory is created once its object is published and removed with
 * debugfs_remove_recursive(), which waits for callbacks in flight, before
 * the object is withdrawn and freed.  The control files that create and
 * delete (new_function, del_function, new_sf, del_sf, new_volume,
 * del_volume) stay in sysfs.
 *
 * Removal paths (del_function, surprise work, PCI hot-unplug, manager
 * remove) each unlink the object from its manager list under mgr->lock
 * first; only the one that unlinked it withdraws and frees it, then
 * cancels its surprise work (which ops and knobs may queue until withdrawal
 * returns; without waiting when it is that work).  Surprise work
 * runs on sim_wq, which module exit destroys (drains) after every manager
 * is gone.  Publishing happens outside mgr->lock; the object is listed
 * afterwards unless the manager started dying meanwhile.
 */
#ifndef _SVF_SIM_H
#define _SVF_SIM_H

#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/pci.h>
#include <linux/workqueue.h>
#include <snapvf/aux.h>

#include "stream.h"

#define SIM_DEFAULT_STATE	SZ_1M
#define SIM_MAX_DELAY_MS	60000

/*
 * Log policy (Documentation/driver-api/parent.rst, "Kernel log
 * messages"): a parent op runs whenever the consumer calls it, which is
 * as often as the VMM behind the consumer likes (state arcs, data_fd
 * reads and writes, DMA logging), and the parent cannot tell one session
 * from the next.  Messages on those paths are rate-limited per site.
 * Injected faults log once per arming (the knob disarms itself); the
 * knobs, control files, probe and remove are admin paths and log plainly.
 */
#define sim_fn_err_rl(fn, fmt, ...)					\
	dev_err_ratelimited(&(fn)->pdev->dev, fmt, ##__VA_ARGS__)
#define sim_fn_info_rl(fn, fmt, ...)					\
	dev_info_ratelimited(&(fn)->pdev->dev, fmt, ##__VA_ARGS__)

struct sim_mgr {
	struct pci_dev *pdev;
	struct mutex lock;		/* fns, sfs, add/remove */
	struct list_head fns;
	struct list_head sfs;
	struct list_head vols;		/* listed struct sim_vol */
	bool dying;
	struct list_head node;		/* sim_mgrs, under sim_mgrs_lock */
	struct dentry *dbg;		/* debugfs directory, probe to remove */
};

enum sim_dstate {
	SIM_RUNNING,
	SIM_P2P,
	SIM_STOP,
};

struct sim_save;
struct sim_load;

struct sim_fn {
	struct sim_mgr *mgr;
	struct list_head node;		/* mgr->fns; empty once unlinked */
	struct pci_dev *pdev;		/* reference held */
	struct svf_aux_fn *afn;
	void __iomem *bar;
	u64 bar_len;
	void __iomem *regs_bar;		/* ivshmem registers (BAR0), or NULL */
	const char *compat;		/* SIM_COMPAT or SIM_COMPAT_NVME */
	struct delayed_work surprise;
	struct dentry *dbg;		/* knobs: from publishing to withdrawal */

	struct mutex lock;		/* everything below */
	u64 state_size;
	enum sim_dstate dstate;
	struct sim_regs regs;
	struct sim_save *save;
	struct sim_load *load;
	bool logging;
	s64 fail_save_at;
	s64 fail_load_at;
	s64 surprise_save_at;
	u32 quiesce_delay_ms;
	/* statistics, for the "stats" knob */
	u64 saves, loads, rounds, pages_sent, last_round_pages;
	u64 d3_steps;			/* save/load steps that left D3hot */
};

/* id of a private volume (never listed) */
#define SIM_VOL_PRIVATE		U32_MAX

struct sim_vol {
	struct list_head node;		/* mgr->vols; empty when private */
	u32 id;				/* SIM_VOL_PRIVATE when private */
	u64 capacity;
	void *store;			/* vmalloc, capacity bytes */
	char serial[SVF_AUX_SERIAL_LEN + 1];
	unsigned int users;		/* SFs attached, under mgr->lock */
};

struct sim_sf {
	struct sim_mgr *mgr;
	struct list_head node;		/* mgr->sfs */
	struct svf_aux_sf *asf;
	u32 id;
	u64 capacity;
	struct dentry *dbg;		/* debugfs directory */
	struct delayed_work surprise;
	/*
	 * vol_sem: read side held by every data op across its copy; the
	 * write side detaches @vol (NULL from then on: the data ops fail
	 * with -EIO).
	 */
	struct rw_semaphore vol_sem;
	struct sim_vol *vol;
	bool vol_gone_logged;		/* xchg: one line once detached */
	struct mutex lock;		/* knobs below */
	s64 fail_io_at;
	bool fail_flush;
	u64 reads, writes, flushes, resets;
};

extern const struct svf_aux_fn_ops sim_fn_ops;
extern const struct attribute_group *sim_mgr_groups[];

static inline struct sim_fn *sim_fn_of(struct svf_aux_fn *afn)
{
	return afn->priv;
}

/* fn.c */
int sim_fn_add(struct sim_mgr *mgr, struct pci_dev *pdev);
int sim_fn_del(struct sim_mgr *mgr, struct pci_dev *pdev);
void sim_fn_del_all(struct sim_mgr *mgr);
void sim_fn_pci_gone(struct pci_dev *pdev);
void sim_fn_surprise(struct sim_fn *fn, unsigned int delay_ms);
int sim_fn_access_ok(struct sim_fn *fn);
bool sim_fn_decoding(struct sim_fn *fn);
/**
 * struct sim_fn_access - what sim_fn_state_begin() changed for a step
 * @cmd: the command register as the function's user left it
 * @pmcsr: the PM control/status register as its user left it (0 without
 *	a PM capability)
 */
struct sim_fn_access {
	u16 cmd;
	u16 pmcsr;
};

int sim_fn_state_begin(struct sim_fn *fn, struct sim_fn_access *acc);
void sim_fn_state_end(struct sim_fn *fn, const struct sim_fn_access *acc);

/* fn_knobs.c */
void sim_fn_dbg_add(struct sim_fn *fn);
void sim_fn_dbg_del(struct sim_fn *fn);

/* mgr.c */
void sim_mgr_dbg_add(struct sim_mgr *mgr);
void sim_mgr_dbg_del(struct sim_mgr *mgr);

/* fn_ops.c */
void sim_fn_end_sessions(struct sim_fn *fn);
const char *sim_dstate_name(enum sim_dstate s);

/* fn_save.c / fn_load.c: called with fn->lock held */
int sim_save_start(struct sim_fn *fn, u32 flags);
int sim_save_round(struct sim_fn *fn, bool final);
ssize_t sim_save_chunk(struct sim_fn *fn, void *buf, size_t len);
int sim_save_pending(struct sim_fn *fn, struct svf_aux_pending *p);
void sim_save_free(struct sim_fn *fn);
int sim_load_start(struct sim_fn *fn);
int sim_load_chunk(struct sim_fn *fn, const void *buf, size_t len);
int sim_load_commit(struct sim_fn *fn);
void sim_load_free(struct sim_fn *fn);

/* sf.c */
int sim_sf_add(struct sim_mgr *mgr, u32 id, u32 vol_id, u64 capacity,
	       u32 queues, u32 queue_size, u32 instances);
int sim_sf_del(struct sim_mgr *mgr, u32 id);
void sim_sf_del_all(struct sim_mgr *mgr);
struct sim_vol *sim_vol_find(struct sim_mgr *mgr, u32 id);
int sim_vol_add(struct sim_mgr *mgr, u32 id, u64 capacity);
int sim_vol_del(struct sim_mgr *mgr, u32 id);
void sim_vol_del_all(struct sim_mgr *mgr);

/* main.c */
extern struct mutex sim_mgrs_lock;
extern struct list_head sim_mgrs;
extern struct workqueue_struct *sim_wq;
extern struct dentry *sim_dbg_root;

#endif /* _SVF_SIM_H */
