// SPDX-License-Identifier: GPL-2.0
/*
 * The parent ops of a managed function (struct svf_aux_fn_ops): device
 * state transitions, reset, DMA logging, and the entry points of the save
 * and load sessions (fn_save.c, fn_load.c), each under fn->lock.
 *
 * State machine enforced here: RUNNING <-> P2P <-> STOP (RUNNING <-> STOP
 * for a function without P2P), same-state requests succeed, anything else
 * is -EINVAL with a message (a consumer bug).  The device state is BAR2,
 * which no DMA writes; an ivshmem function initiates no DMA at all, so
 * quiesce only has to honour the injected delay and DMA logging honestly
 * reports nothing.  QEMU NVMe functions (published without P2P and DMA
 * logging, fn.c) reach these ops through the same paths minus those.
 */
#include <linux/delay.h>
#include <linux/iova_bitmap.h>

#include "sim.h"

const char *sim_dstate_name(enum sim_dstate s)
{
	switch (s) {
	case SIM_RUNNING:
		return "running";
	case SIM_P2P:
		return "p2p";
	case SIM_STOP:
		return "stop";
	}
	return "?";
}

static int sim_fn_move(struct sim_fn *fn, enum sim_dstate from,
		       enum sim_dstate to)
{
	int ret = 0;

	mutex_lock(&fn->lock);
	if (fn->dstate == from) {
		fn->dstate = to;
	} else if (fn->dstate != to) {
		sim_fn_err_rl(fn, "snapvf_sim: cannot go %s -> %s from state %s\n",
			      sim_dstate_name(from), sim_dstate_name(to),
			      sim_dstate_name(fn->dstate));
		ret = -EINVAL;
	}
	mutex_unlock(&fn->lock);
	return ret;
}

/* Sleep @ms, giving up with -ENODEV as soon as withdrawal starts. */
static int sim_fn_delay(struct svf_aux_fn *afn, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (time_before(jiffies, end)) {
		if (svf_aux_withdrawing(&afn->core))
			return -ENODEV;
		msleep(min(ms, 10u));
	}
	return 0;
}

static int sim_op_quiesce(struct svf_aux_fn *afn)
{
	struct sim_fn *fn = sim_fn_of(afn);
	unsigned int delay;
	int ret;

	mutex_lock(&fn->lock);
	delay = fn->quiesce_delay_ms;
	mutex_unlock(&fn->lock);
	if (delay) {
		sim_fn_info_rl(fn, "snapvf_sim: injected quiesce delay %u ms\n",
			       delay);
		ret = sim_fn_delay(afn, delay);
		if (ret)
			return ret;
	}
	return sim_fn_move(fn, SIM_RUNNING, SIM_P2P);
}

static int sim_op_unquiesce(struct svf_aux_fn *afn)
{
	return sim_fn_move(sim_fn_of(afn), SIM_P2P, SIM_RUNNING);
}

/* A function published without P2P (QEMU NVMe) is never quiesced. */
static enum sim_dstate sim_fn_running(struct svf_aux_fn *afn)
{
	return afn->features & SVF_AUX_F_P2P ? SIM_P2P : SIM_RUNNING;
}

static int sim_op_suspend(struct svf_aux_fn *afn)
{
	return sim_fn_move(sim_fn_of(afn), sim_fn_running(afn), SIM_STOP);
}

static int sim_op_resume(struct svf_aux_fn *afn)
{
	return sim_fn_move(sim_fn_of(afn), SIM_STOP, sim_fn_running(afn));
}

static int sim_op_save_start(struct svf_aux_fn *afn, u32 flags)
{
	struct sim_fn *fn = sim_fn_of(afn);
	int ret;

	mutex_lock(&fn->lock);
	ret = sim_save_start(fn, flags);
	mutex_unlock(&fn->lock);
	return ret;
}

static int sim_op_save_round(struct svf_aux_fn *afn, bool final)
{
	struct sim_fn *fn = sim_fn_of(afn);
	int ret;

	mutex_lock(&fn->lock);
	ret = sim_save_round(fn, final);
	mutex_unlock(&fn->lock);
	return ret;
}

static ssize_t sim_op_save_chunk(struct svf_aux_fn *afn, void *buf, size_t len)
{
	struct sim_fn *fn = sim_fn_of(afn);
	ssize_t ret;

	mutex_lock(&fn->lock);
	ret = sim_save_chunk(fn, buf, len);
	mutex_unlock(&fn->lock);
	return ret;
}

static int sim_op_save_pending(struct svf_aux_fn *afn,
			       struct svf_aux_pending *p)
{
	struct sim_fn *fn = sim_fn_of(afn);
	int ret;

	mutex_lock(&fn->lock);
	ret = sim_save_pending(fn, p);
	mutex_unlock(&fn->lock);
	return ret;
}

static void sim_op_save_end(struct svf_aux_fn *afn)
{
	struct sim_fn *fn = sim_fn_of(afn);

	mutex_lock(&fn->lock);
	sim_save_free(fn);
	mutex_unlock(&fn->lock);
}

static int sim_op_load_start(struct svf_aux_fn *afn)
{
	struct sim_fn *fn = sim_fn_of(afn);
	int ret;

	mutex_lock(&fn->lock);
	ret = sim_load_start(fn);
	mutex_unlock(&fn->lock);
	return ret;
}

static int sim_op_load_chunk(struct svf_aux_fn *afn, const void *buf,
			     size_t len)
{
	struct sim_fn *fn = sim_fn_of(afn);
	int ret;

	mutex_lock(&fn->lock);
	ret = sim_load_chunk(fn, buf, len);
	mutex_unlock(&fn->lock);
	return ret;
}

static int sim_op_load_commit(struct svf_aux_fn *afn)
{
	struct sim_fn *fn = sim_fn_of(afn);
	int ret;

	mutex_lock(&fn->lock);
	ret = sim_load_commit(fn);
	mutex_unlock(&fn->lock);
	return ret;
}

static void sim_op_load_abort(struct svf_aux_fn *afn)
{
	struct sim_fn *fn = sim_fn_of(afn);

	mutex_lock(&fn->lock);
	sim_load_free(fn);
	mutex_unlock(&fn->lock);
}

static int sim_op_log_start(struct svf_aux_fn *afn,
			    struct rb_root_cached *ranges, u32 nnodes,
			    u64 *page_size)
{
	struct sim_fn *fn = sim_fn_of(afn);
	int ret = 0;

	if (!nnodes || !page_size || !*page_size ||
	    !is_power_of_2(*page_size)) {
		sim_fn_err_rl(fn, "snapvf_sim: DMA logging: bad ranges or page size\n");
		return -EINVAL;
	}
	mutex_lock(&fn->lock);
	if (fn->logging)
		ret = -EBUSY;
	else
		fn->logging = true;
	mutex_unlock(&fn->lock);
	return ret;
}

static int sim_op_log_stop(struct svf_aux_fn *afn)
{
	struct sim_fn *fn = sim_fn_of(afn);

	mutex_lock(&fn->lock);
	fn->logging = false;
	mutex_unlock(&fn->lock);
	return 0;
}

/* Only ivshmem functions log, and they perform no DMA: nothing is dirty. */
static int sim_op_log_report(struct svf_aux_fn *afn, unsigned long iova,
			     unsigned long length, struct iova_bitmap *dirty)
{
	struct sim_fn *fn = sim_fn_of(afn);
	int ret = 0;

	mutex_lock(&fn->lock);
	if (!fn->logging)
		ret = -EINVAL;
	mutex_unlock(&fn->lock);
	return ret;
}

/**
 * sim_fn_end_sessions() - drop open save/load sessions (fn->lock held)
 * @fn: the function
 */
void sim_fn_end_sessions(struct sim_fn *fn)
{
	sim_save_free(fn);
	sim_load_free(fn);
}

/* ivshmem's BAR0 registers: interrupt mask and status. */
#define SIM_IVSHMEM_INTRMASK	0x0
#define SIM_IVSHMEM_INTRSTATUS	0x4

/*
 * Zero all of BAR2 with 64-bit stores (memset_io() is a byte-wise rep
 * stos, about 100 times slower under TCG), yielding every 1 MiB.  Not
 * only the state_size bytes that are device state: a VMM can write the
 * whole BAR through VFIO, and nothing one user wrote may be readable by
 * the next.  BAR2 is at least SIM_PAGE_SIZE and a power of two.
 */
static void sim_fn_clear_bar(struct sim_fn *fn)
{
	u64 off;

	for (off = 0; off < fn->bar_len; off += sizeof(u64)) {
		writeq(0, fn->bar + off);
		if (!((off + sizeof(u64)) % SZ_1M))
			cond_resched();
	}
}

/*
 * Function-level reset of everything the simulator keeps for the
 * function: open sessions end, the simulated registers, ivshmem's
 * interrupt mask and status (BAR0) and all of BAR2 read 0, the
 * device runs, DMA logging is off.  Injected faults and state_size are the
 * administrator's knobs and stay.  snapvf_pci calls it on every open (and
 * the migration layer on close and VFIO_DEVICE_RESET), so the reset state
 * is what each new user of the function finds.
 *
 * With the function's memory decoding off (its user turned it off) the
 * simulator cannot reach BAR0/BAR2: the registers and sessions are reset,
 * the BARs are left as they are and the reset succeeds, as a function
 * reset does whatever the command register says.  The user's own data stays
 * with that user: the next open clears the BARs, because snapvf_pci
 * resets after vfio_pci_core_enable() turned decoding back on.  A
 * function gone from the bus is -ENODEV.
 */
static int sim_op_reset(struct svf_aux_fn *afn)
{
	struct sim_fn *fn = sim_fn_of(afn);
	int ret;

	mutex_lock(&fn->lock);
	sim_fn_end_sessions(fn);
	memset(&fn->regs, 0, sizeof(fn->regs));
	fn->dstate = SIM_RUNNING;
	fn->logging = false;
	ret = 0;
	if (pci_dev_is_disconnected(fn->pdev)) {
		ret = -ENODEV;
	} else if (sim_fn_decoding(fn)) {
		sim_fn_clear_bar(fn);
		if (fn->regs_bar) {
			writel(0, fn->regs_bar + SIM_IVSHMEM_INTRMASK);
			writel(0, fn->regs_bar + SIM_IVSHMEM_INTRSTATUS);
		}
	}
	/* Decoding off (no log: normal): the BARs wait for the next open. */
	mutex_unlock(&fn->lock);
	return ret;
}

const struct svf_aux_fn_ops sim_fn_ops = {
	.quiesce = sim_op_quiesce,
	.unquiesce = sim_op_unquiesce,
	.suspend = sim_op_suspend,
	.resume = sim_op_resume,
	.save_start = sim_op_save_start,
	.save_round = sim_op_save_round,
	.save_chunk = sim_op_save_chunk,
	.save_pending = sim_op_save_pending,
	.save_end = sim_op_save_end,
	.load_start = sim_op_load_start,
	.load_chunk = sim_op_load_chunk,
	.load_commit = sim_op_load_commit,
	.load_abort = sim_op_load_abort,
	.log_start = sim_op_log_start,
	.log_stop = sim_op_log_stop,
	.log_report = sim_op_log_report,
	.reset = sim_op_reset,
};
