// SPDX-License-Identifier: GPL-2.0
/*
 * Managed functions: taking an ivshmem-plain function (or QEMU's NVMe
 * controller with a controller memory buffer, a function with a power
 * management capability) under management, publishing it as
 * <snapvf_sim>.vfio_pci.<fn-id>, and every way of letting it go (see the
 * removal rules in sim.h).
 *
 * The function is owned by another driver (vfio-pci, snapvf_pci); the
 * simulator only maps its BAR2 (the shared memory, or the NVMe CMB, that
 * is the device state) and holds a runtime-PM reference so the BAR keeps
 * decoding.  Its user may still put a PM-capable function in D3hot
 * through its config space (vfio_pci_core does it for the user).
 */
#include <linux/delay.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>

#include "sim.h"

#define SIM_IVSHMEM_VENDOR	PCI_VENDOR_ID_REDHAT_QUMRANET
#define SIM_IVSHMEM_DEVICE	0x1110
#define SIM_NVME_VENDOR		PCI_VENDOR_ID_REDHAT
#define SIM_NVME_DEVICE		0x0010	/* QEMU's NVMe controller */
#define SIM_STATE_BAR		2
#define SIM_REGS_BAR		0
#define SIM_REGS_LEN		16	/* IntrMask, IntrStatus, IVPosition, Doorbell */

/* PMCSR PowerState values (sparse keeps pci_power_t for the PCI core's) */
#define SIM_PM_D0	0
#define SIM_PM_D3HOT	3

/*
 * The PM control/status register, 0 (D0) without a PM capability, or an
 * all-ones error response (PCI_POSSIBLE_ERROR) when the read failed.
 */
static u16 sim_fn_pmcsr(struct pci_dev *pdev)
{
	u16 pmcsr = 0;

	if (pdev->pm_cap)
		pci_read_config_word(pdev, pdev->pm_cap + PCI_PM_CTRL, &pmcsr);
	return pmcsr;
}

static unsigned int sim_fn_pstate(u16 pmcsr)
{
	return pmcsr & PCI_PM_CTRL_STATE_MASK;
}

/**
 * sim_fn_access_ok() - may the simulator touch the function's BAR now?
 * @fn: the function
 *
 * For the knobs, which go through the function as its user left it.
 *
 * Return: 0, -ENODEV if the function is gone from the bus, -EIO if its
 * memory decoding is off or it is not in D0 (the owner did that).
 */
int sim_fn_access_ok(struct sim_fn *fn)
{
	u16 cmd;

	if (pci_dev_is_disconnected(fn->pdev))
		return -ENODEV;
	pci_read_config_word(fn->pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY)) {
		dev_err_ratelimited(&fn->pdev->dev,
				    "snapvf_sim: memory decoding is off, device state not accessible\n");
		return -EIO;
	}
	if (sim_fn_pstate(sim_fn_pmcsr(fn->pdev)) != SIM_PM_D0) {
		dev_err_ratelimited(&fn->pdev->dev,
				    "snapvf_sim: function not in D0, device state not accessible\n");
		return -EIO;
	}
	return 0;
}

/**
 * sim_fn_decoding() - does the function decode its memory BARs?
 * @fn: the function
 *
 * Return: true if its command register has memory space enabled and it is
 * in D0.  No log: a reset with decoding off is normal (QEMU resets and
 * closes a function before the guest's firmware turned it on).
 */
bool sim_fn_decoding(struct sim_fn *fn)
{
	u16 cmd;

	pci_read_config_word(fn->pdev, PCI_COMMAND, &cmd);
	return (cmd & PCI_COMMAND_MEMORY) &&
	       sim_fn_pstate(sim_fn_pmcsr(fn->pdev)) == SIM_PM_D0;
}

/*
 * Move the function to @pstate keeping its other PMCSR bits, except
 * PME_Status (write-one-to-clear: a pending PME stays pending), then wait
 * the D3hot transition time before the next access.
 */
static void sim_fn_set_pstate(struct pci_dev *pdev, u16 pmcsr,
			      unsigned int pstate)
{
	pmcsr &= ~(PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_STATUS);
	pci_write_config_word(pdev, pdev->pm_cap + PCI_PM_CTRL, pmcsr | pstate);
	if (pdev->d3hot_delay)
		fsleep(pdev->d3hot_delay * USEC_PER_MSEC);
}

/**
 * sim_fn_state_begin() - reach the function's BARs for a save or load step
 * @fn: the function (fn->lock held)
 * @acc: set to what to put back with sim_fn_state_end()
 *
 * For the save and load ops only, which the consumer calls with the
 * function's memory access excluded (struct svf_aux_fn_ops): the user's
 * command register writes and power state changes through vfio_pci_core
 * wait for that.  vfio_pci_core writes PMCSR itself before it takes the
 * exclusion, so the step also blocks the user's config space access
 * (pci_cfg_access_lock()) until sim_fn_state_end(): nothing the user does
 * lands in the middle of the step.
 *
 * Like a device manager reaching the device through its own path, the
 * simulator does not depend on what the function's user did: it turns
 * memory decoding on for the step, and brings a function its user put in
 * D3hot to D0 for the step (QEMU's NVMe has No_Soft_Reset, so nothing is
 * lost).  A function that would lose its state on the way (No_Soft_Reset
 * clear), one in D1/D2, one that does not reach D0 or whose config space
 * does not answer is refused.
 *
 * Return: 0, -ENODEV if the function is gone from the bus, -EIO if its
 * state is not reachable (one rate-limited line).  On error nothing is
 * left to put back.
 */
int sim_fn_state_begin(struct sim_fn *fn, struct sim_fn_access *acc)
{
	struct pci_dev *pdev = fn->pdev;
	const char *why = NULL;
	unsigned int pstate;

	if (pci_dev_is_disconnected(pdev))
		return -ENODEV;
	pci_cfg_access_lock(pdev);
	acc->pmcsr = sim_fn_pmcsr(pdev);
	pstate = sim_fn_pstate(acc->pmcsr);
	if (PCI_POSSIBLE_ERROR(acc->pmcsr))
		why = "config space does not answer";
	else if (pstate == SIM_PM_D3HOT &&
		 !(acc->pmcsr & PCI_PM_CTRL_NO_SOFT_RESET))
		why = "in D3hot, resets on its way to D0";
	else if (pstate != SIM_PM_D0 && pstate != SIM_PM_D3HOT)
		why = "in D1/D2";
	if (!why && pstate == SIM_PM_D3HOT) {
		sim_fn_set_pstate(pdev, acc->pmcsr, SIM_PM_D0);
		if (sim_fn_pstate(sim_fn_pmcsr(pdev)) != SIM_PM_D0) {
			sim_fn_set_pstate(pdev, acc->pmcsr, SIM_PM_D3HOT);
			why = "did not reach D0";
		} else {
			fn->d3_steps++;
		}
	}
	if (why) {
		pci_cfg_access_unlock(pdev);
		dev_err_ratelimited(&pdev->dev,
				    "snapvf_sim: function %s, device state not accessible\n",
				    why);
		return -EIO;
	}
	pci_read_config_word(pdev, PCI_COMMAND, &acc->cmd);
	if (!(acc->cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND,
				      acc->cmd | PCI_COMMAND_MEMORY);
	return 0;
}

/**
 * sim_fn_state_end() - put back what sim_fn_state_begin() changed
 * @fn: the function (fn->lock held)
 * @acc: what sim_fn_state_begin() returned
 *
 * Also ends the block of the user's config space access.
 */
void sim_fn_state_end(struct sim_fn *fn, const struct sim_fn_access *acc)
{
	struct pci_dev *pdev = fn->pdev;

	if (!(acc->cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND, acc->cmd);
	if (sim_fn_pstate(acc->pmcsr) == SIM_PM_D3HOT)
		sim_fn_set_pstate(pdev, acc->pmcsr, SIM_PM_D3HOT);
	pci_cfg_access_unlock(pdev);
}

static void sim_fn_free(struct sim_fn *fn)
{
	sim_save_free(fn);
	sim_load_free(fn);
	pci_iounmap(fn->pdev, fn->bar);
	if (fn->regs_bar)
		pci_iounmap(fn->pdev, fn->regs_bar);
	pm_runtime_put(&fn->pdev->dev);
	pci_dev_put(fn->pdev);
	mutex_destroy(&fn->lock);
	kfree(fn);
}

/*
 * Withdraw and free an unlinked function.  Its knobs go first (they use
 * fn and log on the aux device; fn_knobs.c).  Its surprise work can be
 * queued until withdrawal returns (by the surprise_remove knob until its
 * removal, by an op hitting surprise_save_at), so it is cancelled only
 * afterwards: synchronously from other paths, without waiting when
 * @in_work (the work is running this very function; a re-queued instance
 * is cancelled, nothing can queue it any more).
 */
static void sim_fn_destroy(struct sim_fn *fn, bool in_work)
{
	char name[64];

	sim_fn_dbg_del(fn);
	strscpy(name, dev_name(&fn->afn->core.adev.dev), sizeof(name));
	svf_aux_fn_withdraw(fn->afn);
	if (in_work)
		cancel_delayed_work(&fn->surprise);
	else
		cancel_delayed_work_sync(&fn->surprise);
	pci_info(fn->pdev, "snapvf_sim: %s withdrawn\n", name);
	sim_fn_free(fn);
}

static void sim_fn_surprise_work(struct work_struct *work)
{
	struct sim_fn *fn = container_of(to_delayed_work(work), struct sim_fn,
					 surprise);
	struct sim_mgr *mgr = fn->mgr;
	bool mine;

	mutex_lock(&mgr->lock);
	mine = !list_empty(&fn->node);
	list_del_init(&fn->node);
	mutex_unlock(&mgr->lock);
	if (!mine)
		return;		/* another path is removing it */
	pci_warn(fn->pdev, "snapvf_sim: surprise removal\n");
	sim_fn_destroy(fn, true);
}

/**
 * sim_fn_surprise() - withdraw @fn from a work item after @delay_ms
 * @fn: the function
 * @delay_ms: delay; the device is withdrawn while consumers use it
 */
void sim_fn_surprise(struct sim_fn *fn, unsigned int delay_ms)
{
	queue_delayed_work(sim_wq, &fn->surprise, msecs_to_jiffies(delay_ms));
}

static bool sim_fn_is_ivshmem(struct pci_dev *pdev)
{
	return pdev->vendor == SIM_IVSHMEM_VENDOR &&
	       pdev->device == SIM_IVSHMEM_DEVICE;
}

static int sim_fn_check_pdev(struct sim_mgr *mgr, struct pci_dev *pdev)
{
	struct device *dev = &mgr->pdev->dev;

	if (!sim_fn_is_ivshmem(pdev) &&
	    !(pdev->vendor == SIM_NVME_VENDOR && pdev->device == SIM_NVME_DEVICE)) {
		dev_err(dev, "snapvf_sim: %s is %04x:%04x, not an ivshmem-plain function (1af4:1110) or QEMU NVMe (1b36:0010)\n",
			pci_name(pdev), pdev->vendor, pdev->device);
		return -EINVAL;
	}
	if (!(pci_resource_flags(pdev, SIM_STATE_BAR) & IORESOURCE_MEM) ||
	    !pci_resource_start(pdev, SIM_STATE_BAR) ||
	    pci_resource_len(pdev, SIM_STATE_BAR) < SIM_PAGE_SIZE) {
		dev_err(dev, "snapvf_sim: %s has no usable BAR2 memory\n",
			pci_name(pdev));
		return -EINVAL;
	}
	return 0;
}

static struct sim_fn *sim_fn_alloc(struct sim_mgr *mgr, struct pci_dev *pdev)
{
	struct sim_fn *fn;
	int ret;

	fn = kzalloc(sizeof(*fn), GFP_KERNEL);
	if (!fn)
		return ERR_PTR(-ENOMEM);
	fn->mgr = mgr;
	INIT_LIST_HEAD(&fn->node);
	INIT_DELAYED_WORK(&fn->surprise, sim_fn_surprise_work);
	mutex_init(&fn->lock);
	fn->fail_save_at = -1;
	fn->fail_load_at = -1;
	fn->surprise_save_at = -1;
	fn->dstate = SIM_RUNNING;
	fn->bar_len = pci_resource_len(pdev, SIM_STATE_BAR);
	fn->state_size = min_t(u64, fn->bar_len, SIM_DEFAULT_STATE);
	fn->state_size = rounddown(fn->state_size, SIM_PAGE_SIZE);

	ret = pm_runtime_resume_and_get(&pdev->dev);
	if (ret < 0)
		goto err_free;
	fn->bar = pci_iomap(pdev, SIM_STATE_BAR, 0);
	if (!fn->bar) {
		ret = -ENOMEM;
		goto err_pm;
	}
	/* ivshmem's interrupt registers, reset with the function (sim_op_reset()). */
	if (sim_fn_is_ivshmem(pdev) &&
	    (pci_resource_flags(pdev, SIM_REGS_BAR) & IORESOURCE_MEM) &&
	    pci_resource_len(pdev, SIM_REGS_BAR) >= SIM_REGS_LEN)
		fn->regs_bar = pci_iomap(pdev, SIM_REGS_BAR, SIM_REGS_LEN);
	fn->compat = sim_fn_is_ivshmem(pdev) ? SIM_COMPAT : SIM_COMPAT_NVME;
	fn->pdev = pci_dev_get(pdev);
	return fn;

err_pm:
	pm_runtime_put(&pdev->dev);
err_free:
	mutex_destroy(&fn->lock);
	kfree(fn);
	return ERR_PTR(ret);
}

/**
 * sim_fn_add() - manage @pdev and publish its aux device
 * @mgr: the manager
 * @pdev: an ivshmem-plain or QEMU NVMe function
 *
 * Return: 0 or a negative errno (logged).
 */
int sim_fn_add(struct sim_mgr *mgr, struct pci_dev *pdev)
{
	struct svf_aux_fn_info info = {
		.pdev = pdev,
		.features = SVF_AUX_F_MIGRATION | SVF_AUX_F_PRE_COPY,
	};
	struct sim_fn *fn;
	bool dying;
	int ret;

	ret = sim_fn_check_pdev(mgr, pdev);
	if (ret)
		return ret;
	fn = sim_fn_alloc(mgr, pdev);
	if (IS_ERR(fn)) {
		dev_err(&mgr->pdev->dev, "snapvf_sim: cannot map %s: %pe\n",
			pci_name(pdev), fn);
		return PTR_ERR(fn);
	}
	/*
	 * ivshmem initiates no DMA: quiesce and an empty DMA log are honest.
	 * An NVMe controller run by its user would DMA, and only its CMB is
	 * device state: no P2P, no DMA logging (Documentation/simulator.rst).
	 */
	if (sim_fn_is_ivshmem(pdev))
		info.features |= SVF_AUX_F_P2P | SVF_AUX_F_DIRTY_TRACKING;
	info.compat = fn->compat;
	fn->afn = svf_aux_fn_add(&mgr->pdev->dev, &info, &sim_fn_ops, fn);
	if (IS_ERR(fn->afn)) {
		/* svf_aux_fn_add() logged why: one line per bad input. */
		ret = PTR_ERR(fn->afn);
		sim_fn_free(fn);
		return ret;
	}
	/* before listing: every path that destroys fn finds its knobs made */
	sim_fn_dbg_add(fn);
	mutex_lock(&mgr->lock);
	dying = mgr->dying;
	if (!dying)
		list_add_tail(&fn->node, &mgr->fns);
	mutex_unlock(&mgr->lock);
	if (dying) {
		sim_fn_destroy(fn, false);
		return -ENODEV;
	}
	pci_info(pdev, "snapvf_sim: managed as %s, state %llu of %llu bytes\n",
		 dev_name(&fn->afn->core.adev.dev), fn->state_size, fn->bar_len);
	return 0;
}

static struct sim_fn *sim_fn_unlink(struct sim_mgr *mgr, struct pci_dev *pdev)
{
	struct sim_fn *fn, *found = NULL;

	mutex_lock(&mgr->lock);
	list_for_each_entry(fn, &mgr->fns, node) {
		if (fn->pdev == pdev) {
			list_del_init(&fn->node);
			found = fn;
			break;
		}
	}
	mutex_unlock(&mgr->lock);
	return found;
}

static void sim_fn_remove(struct sim_fn *fn)
{
	sim_fn_destroy(fn, false);
}

/**
 * sim_fn_del() - withdraw the function @pdev of @mgr
 * @mgr: the manager
 * @pdev: the function
 *
 * Return: 0, or -ENOENT if @mgr does not manage @pdev (logged).
 */
int sim_fn_del(struct sim_mgr *mgr, struct pci_dev *pdev)
{
	struct sim_fn *fn = sim_fn_unlink(mgr, pdev);

	if (!fn) {
		dev_err(&mgr->pdev->dev, "snapvf_sim: %s is not managed here\n",
			pci_name(pdev));
		return -ENOENT;
	}
	sim_fn_remove(fn);
	return 0;
}

/**
 * sim_fn_del_all() - withdraw every function of a dying manager
 * @mgr: the manager, already marked dying
 */
void sim_fn_del_all(struct sim_mgr *mgr)
{
	struct sim_fn *fn;

	for (;;) {
		mutex_lock(&mgr->lock);
		fn = list_first_entry_or_null(&mgr->fns, struct sim_fn, node);
		if (fn)
			list_del_init(&fn->node);
		mutex_unlock(&mgr->lock);
		if (!fn)
			break;
		sim_fn_remove(fn);
	}
}

/**
 * sim_fn_pci_gone() - a PCI function left the bus: withdraw it if managed
 * @pdev: the departing function
 */
void sim_fn_pci_gone(struct pci_dev *pdev)
{
	struct sim_mgr *mgr;
	struct sim_fn *fn = NULL;

	mutex_lock(&sim_mgrs_lock);
	list_for_each_entry(mgr, &sim_mgrs, node) {
		fn = sim_fn_unlink(mgr, pdev);
		if (fn)
			break;
	}
	mutex_unlock(&sim_mgrs_lock);
	if (fn) {
		pci_warn(pdev, "snapvf_sim: managed function removed from the bus\n");
		sim_fn_remove(fn);
	}
}
