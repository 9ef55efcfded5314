// SPDX-License-Identifier: GPL-2.0
/*
 * The hardware provider: mlx5 VFs behind a PF bound to Debian's mlx5_core,
 * reached through mlx5_core's exported command interface.
 *
 * NOT EXERCISED: no ConnectX/BlueField device has been available.  This
 * file is built and linked against mlx5_core's exports (Module.symvers of
 * the target kernel, CRCs checked when the module loads next to Debian's
 * mlx5_core.ko in the test guest), but no command in it has reached real
 * firmware: the mkey/DMA path, the notifier ordering and the firmware
 * reset path are unverified.  The tests drive snapvf_mlx5 through the
 * firmware model instead (tools/testing/modules/mlx5_model).
 *
 * Discovery: every VF of vendor Mellanox is looked at when the module
 * loads and when the PCI core adds one (bus notifier, probing deferred to
 * an ordered work queue); a VF whose PF is bound to mlx5_core, whose PF
 * firmware has the migration and migration_multi_load capabilities (the
 * loader loads a stream as several images: chunks, pre-copy rounds) and
 * whose own capability says it can migrate gets a channel of its own and
 * is published.  A PF without migration_multi_load gets one info line per
 * VF and nothing is published.
 *
 * Which mlx5_core_dev a VF uses: mlx5_vf_get_core_dev() locks the PF's
 * interface state (it takes no reference); the probe reads the PF's caps
 * and registers the VF's SR-IOV blocking notifier under it, then puts it.
 * hvf->mdev is used after that put - by every command, the PD, mkeys and
 * the notifier unregistration - because mlx5_core tells us before it
 * goes: it calls the notifier (MLX5_PF_NOTIFY_DISABLE_VF) before it
 * disables the VF in firmware, and removes the VF from the PCI bus
 * (BUS_NOTIFY_DEL_DEVICE, before the PF's mlx5_core_dev is freed) before
 * the PF goes away.  Both handlers finish with the VF's firmware objects
 * before they return, and the bus notifier stays registered until the
 * last VF is freed (svf_mlx5_hw_exit()).
 *
 * Teardown, before mlx5_core's state goes away:
 * - SR-IOV disable, PF unbind, rmmod mlx5_core, PF hot-unplug: mlx5_core
 *   removes the VFs (pci_disable_sriov()) while the PF's mlx5_core_dev is
 *   still alive; BUS_NOTIFY_DEL_DEVICE withdraws the VF and frees what it
 *   holds in the firmware (PD, mkeys through its sessions), under
 *   svf_mlx5_hw_lock, so that it also waits for a module exit freeing the
 *   same VF.
 * - firmware reset / PF detach without VF removal: mlx5_core calls the
 *   VF's SR-IOV blocking notifier with MLX5_PF_NOTIFY_DISABLE_VF before it
 *   disables the VF; the VF is withdrawn there (svf_mlx5_hw_down()).  When
 *   the PF comes back (mlx5_load_one() after the reset) it calls the same
 *   notifier with MLX5_PF_NOTIFY_ENABLE_VF just before it enables the VF
 *   in the firmware again; that queues svf_mlx5_hw_enable_work(), which
 *   waits for the PF's load to finish (mlx5_vf_get_core_dev()) and
 *   publishes the VF again (a new PD, its capability queried again).
 *   The notifier runs under mlx5_core's own locks: publishing (a consumer
 *   probe) is deferred to the work queue for that reason.
 *
 * Module init and exit, in order:
 *   init: work queue, bus notifier, then the VFs already present.
 *   exit: svf_mlx5_hw_exiting set (no new probe is queued or runs), the
 *   work queue drained (queued probes and republishes end), every VF freed
 *   under svf_mlx5_hw_lock (its SR-IOV notifier unregistered first, its
 *   pending republish cancelled, then withdrawn), and only then the bus
 *   notifier unregistered and the work queue destroyed: a VF removed while
 *   exit runs is either freed by exit or by its BUS_NOTIFY_DEL_DEVICE,
 *   never used after its PF is gone.
 *
 * Locks: svf_mlx5_hw_lock (the VF list, svf_mlx5_hw_exiting) is taken
 * before a VF's hvf->lock, never inside it; no channel op and no notifier
 * callback takes svf_mlx5_hw_lock.
 *
 * Firmware buffers: pages, vmap()ed for the CPU, DMA-mapped on the PF and
 * described to the firmware by an MTT mkey in a PD of the VF's channel;
 * the buffer's va is the mkey's start address 0.
 *
 * DMA logging: NOT OFFERED on hardware.  Reports of the PAGE_TRACK object
 * arrive on a reporting QP (a firmware-side QP connected to a host-side
 * one with its CQ, UAR, doorbells and receive buffers on the PF); this
 * provider does not set one up, so it leaves the report ops of
 * include/snapvf/mlx5.h NULL and snapvf_mlx5 does not announce
 * SVF_AUX_F_DIRTY_TRACKING for its functions.
 */
#include <linux/dma-mapping.h>
#include <linux/mlx5/driver.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "priv.h"

struct svf_mlx5_hw_vf {
	struct list_head node;		/* svf_mlx5_hw_vfs, under hw_lock */
	struct pci_dev *pdev;		/* the VF, reference held */
	struct mlx5_core_dev *mdev;	/* its PF; alive while listed */
	int vf_id;
	struct notifier_block nb;	/* SR-IOV blocking notifier */
	struct work_struct enable_work;	/* republish after a reset */
	struct svf_mlx5_chan chan;
	struct mutex lock;		/* @up, @gone, @pdn */
	bool up;			/* PD allocated, function added */
	bool gone;			/* being freed: never up again */
	u32 pdn;
};

struct svf_mlx5_hw_buf {
	struct svf_mlx5_buf buf;
	struct page **pages;
	unsigned int npages;
	struct sg_table sgt;
};

struct svf_mlx5_hw_probe {
	struct work_struct work;
	struct pci_dev *pdev;
};

static LIST_HEAD(svf_mlx5_hw_vfs);
static DEFINE_MUTEX(svf_mlx5_hw_lock);	/* the list, exiting */
static bool svf_mlx5_hw_exiting;
static struct workqueue_struct *svf_mlx5_hw_wq;

static struct svf_mlx5_hw_vf *svf_mlx5_hw_of(struct svf_mlx5_chan *chan)
{
	return container_of(chan, struct svf_mlx5_hw_vf, chan);
}

static int svf_mlx5_hw_exec(struct svf_mlx5_chan *chan, const void *in,
			    int inlen, void *out, int outlen)
{
	struct svf_mlx5_hw_vf *hvf = svf_mlx5_hw_of(chan);

	/* mlx5_cmd_do() only reads @in; its prototype is not const */
	return mlx5_cmd_do(hvf->mdev, (void *)in, inlen, out, outlen);
}

static void svf_mlx5_hw_buf_release(struct svf_mlx5_hw_vf *hvf,
				    struct svf_mlx5_hw_buf *hb, bool mapped)
{
	unsigned int i;

	if (mapped)
		dma_unmap_sgtable(hvf->mdev->device, &hb->sgt,
				  DMA_BIDIRECTIONAL, 0);
	sg_free_table(&hb->sgt);
	if (hb->buf.vaddr)
		vunmap(hb->buf.vaddr);
	for (i = 0; i < hb->npages; i++)
		if (hb->pages[i])
			__free_page(hb->pages[i]);
	kvfree(hb->pages);
	kfree(hb);
}

static int svf_mlx5_hw_mkey(struct svf_mlx5_hw_vf *hvf,
			    struct svf_mlx5_hw_buf *hb)
{
	size_t inlen = MLX5_ST_SZ_BYTES(create_mkey_in) +
		       ALIGN(hb->npages, 2) * sizeof(u64);
	struct sg_dma_page_iter it;
	__be64 *mtt;
	void *in, *mkc;
	int ret;

	in = kvzalloc(inlen, GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	MLX5_SET(create_mkey_in, in, translations_octword_actual_size,
		 DIV_ROUND_UP(hb->npages, 2));
	mtt = (__be64 *)MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt);
	for_each_sgtable_dma_page(&hb->sgt, &it, 0) {
		*mtt = cpu_to_be64(sg_page_iter_dma_address(&it));
		mtt++;
	}
	mkc = MLX5_ADDR_OF(create_mkey_in, in, memory_key_mkey_entry);
	MLX5_SET(mkc, mkc, access_mode_1_0, MLX5_MKC_ACCESS_MODE_MTT);
	MLX5_SET(mkc, mkc, lr, 1);
	MLX5_SET(mkc, mkc, lw, 1);
	MLX5_SET(mkc, mkc, rr, 1);
	MLX5_SET(mkc, mkc, rw, 1);
	MLX5_SET(mkc, mkc, pd, hvf->pdn);
	MLX5_SET(mkc, mkc, qpn, 0xffffff);
	MLX5_SET(mkc, mkc, log_page_size, PAGE_SHIFT);
	MLX5_SET(mkc, mkc, translations_octword_size,
		 DIV_ROUND_UP(hb->npages, 2));
	MLX5_SET64(mkc, mkc, len, (u64)hb->npages * PAGE_SIZE);
	MLX5_SET64(mkc, mkc, start_addr, 0);
	ret = mlx5_core_create_mkey(hvf->mdev, &hb->buf.mkey, in, inlen);
	kvfree(in);
	return ret;
}

static struct svf_mlx5_buf *svf_mlx5_hw_buf_alloc(struct svf_mlx5_chan *chan,
						  size_t size)
{
	struct svf_mlx5_hw_vf *hvf = svf_mlx5_hw_of(chan);
	struct svf_mlx5_hw_buf *hb;
	unsigned int i;
	int ret;

	if (!size)
		return ERR_PTR(-EINVAL);
	hb = kzalloc(sizeof(*hb), GFP_KERNEL);
	if (!hb)
		return ERR_PTR(-ENOMEM);
	hb->npages = DIV_ROUND_UP(size, PAGE_SIZE);
	hb->pages = kvcalloc(hb->npages, sizeof(*hb->pages), GFP_KERNEL);
	if (!hb->pages) {
		kfree(hb);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < hb->npages; i++) {
		hb->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT);
		if (!hb->pages[i]) {
			ret = -ENOMEM;
			goto err;
		}
	}
	hb->buf.vaddr = vmap(hb->pages, hb->npages, VM_MAP, PAGE_KERNEL);
	if (!hb->buf.vaddr) {
		ret = -ENOMEM;
		goto err;
	}
	ret = sg_alloc_table_from_pages(&hb->sgt, hb->pages, hb->npages, 0,
					(size_t)hb->npages * PAGE_SIZE,
					GFP_KERNEL);
	if (ret)
		goto err;
	ret = dma_map_sgtable(hvf->mdev->device, &hb->sgt, DMA_BIDIRECTIONAL,
			      0);
	if (ret)
		goto err;
	ret = svf_mlx5_hw_mkey(hvf, hb);
	if (ret) {
		svf_mlx5_hw_buf_release(hvf, hb, true);
		return ERR_PTR(ret);
	}
	hb->buf.size = size;
	hb->buf.va = 0;
	hb->buf.priv = hb;
	return &hb->buf;
err:
	svf_mlx5_hw_buf_release(hvf, hb, false);
	return ERR_PTR(ret);
}

static void svf_mlx5_hw_buf_free(struct svf_mlx5_chan *chan,
				 struct svf_mlx5_buf *buf)
{
	struct svf_mlx5_hw_vf *hvf = svf_mlx5_hw_of(chan);
	struct svf_mlx5_hw_buf *hb = buf->priv;

	mlx5_core_destroy_mkey(hvf->mdev, buf->mkey);
	svf_mlx5_hw_buf_release(hvf, hb, true);
}

static const struct svf_mlx5_chan_ops svf_mlx5_hw_chan_ops = {
	.exec = svf_mlx5_hw_exec,
	.buf_alloc = svf_mlx5_hw_buf_alloc,
	.buf_free = svf_mlx5_hw_buf_free,
};

/* Withdraw the VF and free its firmware objects, if up. */
static void svf_mlx5_hw_down(struct svf_mlx5_hw_vf *hvf)
{
	mutex_lock(&hvf->lock);
	if (hvf->up) {
		hvf->up = false;
		svf_mlx5_chan_remove_all(&hvf->chan);
		mlx5_core_dealloc_pd(hvf->mdev, hvf->pdn);
	}
	mutex_unlock(&hvf->lock);
}

/*
 * Give the VF a PD and publish it, unless it is up or being freed.  The
 * firmware may refuse to migrate it (-EOPNOTSUPP, logged by
 * svf_mlx5_vf_add()): it stays up with its PD, unpublished.  Publishing
 * under hvf->lock makes a concurrent DISABLE_VF wait for it and withdraw
 * what it published; no channel op takes hvf->lock.  function_id of a VF
 * in QUERY_HCA_CAP (other_function) is the VF number + 1.
 */
static void svf_mlx5_hw_up(struct svf_mlx5_hw_vf *hvf)
{
	int ret;

	mutex_lock(&hvf->lock);
	if (hvf->up || hvf->gone)
		goto out;
	ret = mlx5_core_alloc_pd(hvf->mdev, &hvf->pdn);
	if (ret) {
		pci_err(hvf->pdev, "snapvf_mlx5: cannot allocate a PD: %d\n",
			ret);
		goto out;
	}
	hvf->up = true;
	ret = svf_mlx5_vf_add(&hvf->chan, hvf->pdev, hvf->vf_id + 1);
	if (ret && ret != -EOPNOTSUPP)
		pci_err(hvf->pdev, "snapvf_mlx5: not published: %d\n", ret);
out:
	mutex_unlock(&hvf->lock);
}

/*
 * mlx5_core sends ENABLE_VF before it enables the VF in the firmware, from
 * mlx5_load_one() with the PF's interface state locked and not yet up:
 * mlx5_vf_get_core_dev() here waits for that load to finish and says
 * whether the PF came up.  If it did not, nothing is published; a later
 * load sends ENABLE_VF again.
 */
static void svf_mlx5_hw_enable_work(struct work_struct *work)
{
	struct svf_mlx5_hw_vf *hvf = container_of(work, struct svf_mlx5_hw_vf,
						  enable_work);
	struct mlx5_core_dev *mdev;

	mdev = mlx5_vf_get_core_dev(hvf->pdev);
	if (!mdev)
		return;
	mlx5_vf_put_core_dev(mdev);
	svf_mlx5_hw_up(hvf);
}

/*
 * Called by mlx5_core with its own locks held (mlx5_unload_one(),
 * mlx5_load_one()): withdrawal here waits for our ops in flight, which
 * never need those locks; publishing is deferred to the work queue.
 */
static int svf_mlx5_hw_sriov_event(struct notifier_block *nb,
				   unsigned long event, void *data)
{
	struct svf_mlx5_hw_vf *hvf = container_of(nb, struct svf_mlx5_hw_vf,
						  nb);

	switch (event) {
	case MLX5_PF_NOTIFY_DISABLE_VF:
		pci_info(hvf->pdev, "snapvf_mlx5: PF disables the VF\n");
		svf_mlx5_hw_down(hvf);
		break;
	case MLX5_PF_NOTIFY_ENABLE_VF:
		/* hvf->gone is set before the notifier is unregistered */
		if (!READ_ONCE(hvf->gone))
			queue_work(svf_mlx5_hw_wq, &hvf->enable_work);
		break;
	}
	return NOTIFY_OK;
}

/*
 * Free a VF taken off the list; svf_mlx5_hw_lock held, so that the VF's
 * BUS_NOTIFY_DEL_DEVICE (and with it the PF's teardown) waits for it.
 * Order: no republish any more (gone, notifier off, work cancelled),
 * then withdraw and free the firmware objects.
 */
static void svf_mlx5_hw_free(struct svf_mlx5_hw_vf *hvf)
{
	lockdep_assert_held(&svf_mlx5_hw_lock);
	mutex_lock(&hvf->lock);
	WRITE_ONCE(hvf->gone, true);
	mutex_unlock(&hvf->lock);
	mlx5_sriov_blocking_notifier_unregister(hvf->mdev, hvf->vf_id,
						&hvf->nb);
	cancel_work_sync(&hvf->enable_work);
	svf_mlx5_hw_down(hvf);
	pci_dev_put(hvf->pdev);
	mutex_destroy(&hvf->lock);
	kfree(hvf);
}

static struct svf_mlx5_hw_vf *svf_mlx5_hw_find(struct pci_dev *pdev)
{
	struct svf_mlx5_hw_vf *hvf;

	lockdep_assert_held(&svf_mlx5_hw_lock);
	list_for_each_entry(hvf, &svf_mlx5_hw_vfs, node)
		if (hvf->pdev == pdev)
			return hvf;
	return NULL;
}

static void svf_mlx5_hw_probe_vf(struct pci_dev *pdev)
{
	struct svf_mlx5_hw_vf *hvf;
	struct mlx5_core_dev *mdev;
	int ret;

	mutex_lock(&svf_mlx5_hw_lock);
	if (svf_mlx5_hw_exiting || svf_mlx5_hw_find(pdev))
		goto out;
	mdev = mlx5_vf_get_core_dev(pdev);
	if (!mdev)
		goto out;	/* PF not driven by mlx5_core, or not up */
	if (!MLX5_CAP_GEN(mdev, migration)) {
		mlx5_vf_put_core_dev(mdev);
		pci_info(pdev, "snapvf_mlx5: PF firmware has no migration capability\n");
		goto out;
	}
	if (!MLX5_CAP_GEN_2(mdev, migration_multi_load)) {
		mlx5_vf_put_core_dev(mdev);
		pci_info(pdev, "snapvf_mlx5: PF firmware cannot load a state in several images (no migration_multi_load), not published\n");
		goto out;
	}
	hvf = kzalloc(sizeof(*hvf), GFP_KERNEL);
	if (!hvf) {
		mlx5_vf_put_core_dev(mdev);
		goto out;
	}
	hvf->pdev = pci_dev_get(pdev);
	hvf->mdev = mdev;
	hvf->vf_id = pci_iov_vf_id(pdev);
	mutex_init(&hvf->lock);
	INIT_WORK(&hvf->enable_work, svf_mlx5_hw_enable_work);
	hvf->nb.notifier_call = svf_mlx5_hw_sriov_event;
	hvf->chan.ops = &svf_mlx5_hw_chan_ops;
	hvf->chan.dev = &pdev->physfn->dev;
	if (MLX5_CAP_GEN_2(mdev, migration_in_chunks))
		hvf->chan.caps |= SVF_MLX5_CAP_CHUNKS;
	if (MLX5_CAP_GEN_2(mdev, migration_tracking_state))
		hvf->chan.caps |= SVF_MLX5_CAP_PRE_COPY;
	svf_mlx5_chan_init(&hvf->chan);
	ret = hvf->vf_id < 0 ? hvf->vf_id :
	      mlx5_sriov_blocking_notifier_register(mdev, hvf->vf_id, &hvf->nb);
	/* hvf->mdev stays usable after this: see the top of this file */
	mlx5_vf_put_core_dev(mdev);
	if (ret) {
		pci_err(pdev, "snapvf_mlx5: cannot prepare the VF: %d\n", ret);
		pci_dev_put(pdev);
		mutex_destroy(&hvf->lock);
		kfree(hvf);
		goto out;
	}
	list_add_tail(&hvf->node, &svf_mlx5_hw_vfs);
	/* the notifier may take the VF down from now on: svf_mlx5_hw_up() */
	svf_mlx5_hw_up(hvf);
out:
	mutex_unlock(&svf_mlx5_hw_lock);
}

static void svf_mlx5_hw_probe_work(struct work_struct *work)
{
	struct svf_mlx5_hw_probe *p = container_of(work,
						   struct svf_mlx5_hw_probe,
						   work);

	svf_mlx5_hw_probe_vf(p->pdev);
	pci_dev_put(p->pdev);
	kfree(p);
}

static bool svf_mlx5_hw_candidate(struct pci_dev *pdev)
{
	return pdev->vendor == PCI_VENDOR_ID_MELLANOX && pdev->is_virtfn;
}

static void svf_mlx5_hw_queue_probe(struct pci_dev *pdev)
{
	struct svf_mlx5_hw_probe *p;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return;
	INIT_WORK(&p->work, svf_mlx5_hw_probe_work);
	p->pdev = pci_dev_get(pdev);
	queue_work(svf_mlx5_hw_wq, &p->work);
}

static void svf_mlx5_hw_remove_vf(struct pci_dev *pdev)
{
	struct svf_mlx5_hw_vf *hvf;

	/* a probe queued for this VF must not run after its removal */
	flush_workqueue(svf_mlx5_hw_wq);
	mutex_lock(&svf_mlx5_hw_lock);
	hvf = svf_mlx5_hw_find(pdev);
	if (hvf) {
		list_del(&hvf->node);
		svf_mlx5_hw_free(hvf);
	}
	mutex_unlock(&svf_mlx5_hw_lock);
}

static int svf_mlx5_hw_bus_event(struct notifier_block *nb,
				 unsigned long event, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	if (!svf_mlx5_hw_candidate(pdev))
		return NOTIFY_DONE;
	if (event == BUS_NOTIFY_ADD_DEVICE && !READ_ONCE(svf_mlx5_hw_exiting))
		svf_mlx5_hw_queue_probe(pdev);
	else if (event == BUS_NOTIFY_DEL_DEVICE)
		svf_mlx5_hw_remove_vf(pdev);
	return NOTIFY_OK;
}

static struct notifier_block svf_mlx5_hw_bus_nb = {
	.notifier_call = svf_mlx5_hw_bus_event,
};

/**
 * svf_mlx5_hw_init() - start watching for mlx5 VFs
 *
 * Order: the work queue, the bus notifier (VFs added from now on are
 * seen), then the VFs already present (a VF seen twice is probed once).
 *
 * Return: 0 or a negative errno.
 */
int svf_mlx5_hw_init(void)
{
	struct pci_dev *pdev = NULL;
	int ret;

	svf_mlx5_hw_exiting = false;
	svf_mlx5_hw_wq = alloc_ordered_workqueue("snapvf_mlx5", 0);
	if (!svf_mlx5_hw_wq)
		return -ENOMEM;
	ret = bus_register_notifier(&pci_bus_type, &svf_mlx5_hw_bus_nb);
	if (ret) {
		destroy_workqueue(svf_mlx5_hw_wq);
		return ret;
	}
	for_each_pci_dev(pdev)
		if (svf_mlx5_hw_candidate(pdev))
			svf_mlx5_hw_queue_probe(pdev);
	return 0;
}

/**
 * svf_mlx5_hw_exit() - withdraw every hardware VF
 *
 * Order (see the top of this file): no new probe, drain the work queue,
 * free every VF while the bus notifier still reports removals (each under
 * svf_mlx5_hw_lock, which a removal of the same VF waits for), then
 * unregister the bus notifier and destroy the work queue.
 */
void svf_mlx5_hw_exit(void)
{
	struct svf_mlx5_hw_vf *hvf;

	mutex_lock(&svf_mlx5_hw_lock);
	WRITE_ONCE(svf_mlx5_hw_exiting, true);
	mutex_unlock(&svf_mlx5_hw_lock);
	/* queued probes see svf_mlx5_hw_exiting; republishes end */
	flush_workqueue(svf_mlx5_hw_wq);
	for (;;) {
		mutex_lock(&svf_mlx5_hw_lock);
		hvf = list_first_entry_or_null(&svf_mlx5_hw_vfs,
					       struct svf_mlx5_hw_vf, node);
		if (hvf) {
			list_del(&hvf->node);
			svf_mlx5_hw_free(hvf);
		}
		mutex_unlock(&svf_mlx5_hw_lock);
		if (!hvf)
			break;
	}
	bus_unregister_notifier(&pci_bus_type, &svf_mlx5_hw_bus_nb);
	destroy_workqueue(svf_mlx5_hw_wq);
}
