// SPDX-License-Identifier: GPL-2.0
/*
 * Load sessions: stage an incoming stream (stream.h) and apply it only
 * when it is complete and consistent, so a truncated, corrupt or
 * incompatible stream leaves the device untouched.
 *
 * Staging keeps one kernel copy of every page received (later copies
 * overwrite earlier ones); commit requires the header, every page of the
 * state, the registers and END.  All functions run with fn->lock held.
 */
#include <linux/bitmap.h>
#include <linux/crc32.h>
#include <linux/slab.h>

#include "sim.h"

struct sim_load {
	u32 npages;
	void **stage;		/* per page, NULL until received */
	unsigned long *have;
	u32 have_count;
	struct sim_regs regs;
	bool have_regs, hdr, end, broken;
	u64 records;
	u64 pos;
	u32 fill;		/* bytes in @rec */
	u8 rec[SIM_REC_SIZE];
};

void sim_load_free(struct sim_fn *fn)
{
	struct sim_load *l = fn->load;
	u32 i;

	if (!l)
		return;
	if (l->stage)
		for (i = 0; i < l->npages; i++)
			kfree(l->stage[i]);
	kvfree(l->stage);
	bitmap_free(l->have);
	kvfree(l);
	fn->load = NULL;
}

int sim_load_start(struct sim_fn *fn)
{
	struct sim_load *l;

	if (fn->save || fn->load) {
		sim_fn_err_rl(fn, "snapvf_sim: load: a save or load session is open\n");
		return -EBUSY;
	}
	if (fn->dstate != SIM_STOP) {
		sim_fn_err_rl(fn, "snapvf_sim: load needs a stopped device (state %s)\n",
			      sim_dstate_name(fn->dstate));
		return -EINVAL;
	}
	l = kvzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	fn->load = l;
	l->npages = fn->state_size >> SIM_PAGE_SHIFT;
	l->stage = kvcalloc(l->npages, sizeof(*l->stage), GFP_KERNEL);
	l->have = bitmap_zalloc(l->npages, GFP_KERNEL);
	if (!l->stage || !l->have) {
		sim_load_free(fn);
		return -ENOMEM;
	}
	return 0;
}

static int sim_load_hdr(struct sim_fn *fn, struct sim_load *l,
			const struct sim_rec_info *info)
{
	if (l->records) {
		sim_fn_err_rl(fn, "snapvf_sim: load: stream header not first\n");
		return -EINVAL;
	}
	if (le64_to_cpu(info->state_size) != fn->state_size ||
	    le32_to_cpu(info->page_size) != SIM_PAGE_SIZE ||
	    le32_to_cpu(info->npages) != l->npages ||
	    strncmp(info->compat, fn->compat, sizeof(info->compat))) {
		sim_fn_err_rl(fn,
			      "snapvf_sim: load: incompatible stream (state %llu bytes, '%.32s'; here %llu, '%s')\n",
			      le64_to_cpu(info->state_size), info->compat,
			      fn->state_size, fn->compat);
		return -EINVAL;
	}
	l->hdr = true;
	return 0;
}

static int sim_load_page(struct sim_fn *fn, struct sim_load *l, u32 i,
			 const void *p)
{
	if (i >= l->npages) {
		sim_fn_err_rl(fn, "snapvf_sim: load: page %u beyond state (%u pages)\n",
			      i, l->npages);
		return -EINVAL;
	}
	if (!l->stage[i]) {
		l->stage[i] = kmalloc(SIM_PAGE_SIZE, GFP_KERNEL);
		if (!l->stage[i])
			return -ENOMEM;
	}
	memcpy(l->stage[i], p, SIM_PAGE_SIZE);
	if (!__test_and_set_bit(i, l->have))
		l->have_count++;
	return 0;
}

/* Check and stage the complete record in l->rec. */
static int sim_load_rec(struct sim_fn *fn, struct sim_load *l)
{
	const struct sim_rec_hdr *h = (const struct sim_rec_hdr *)l->rec;
	const void *p = l->rec + sizeof(*h);
	u16 type = le16_to_cpu(h->type);
	const struct sim_rec_end *end = p;
	int ret = 0;

	if (le32_to_cpu(h->magic) != SIM_REC_MAGIC ||
	    le16_to_cpu(h->version) != SIM_REC_VERSION ||
	    le32_to_cpu(h->csum) != crc32_le(~0, p, SIM_PAGE_SIZE)) {
		sim_fn_err_rl(fn, "snapvf_sim: load: corrupt record %llu\n",
			      l->records);
		return -EINVAL;
	}
	if (type != SIM_REC_HDR && (!l->hdr || l->end)) {
		sim_fn_err_rl(fn, "snapvf_sim: load: record %llu (type %u) outside header..end\n",
			      l->records, type);
		return -EINVAL;
	}
	switch (type) {
	case SIM_REC_HDR:
		ret = sim_load_hdr(fn, l, p);
		break;
	case SIM_REC_PAGE:
		ret = sim_load_page(fn, l, le32_to_cpu(h->index), p);
		break;
	case SIM_REC_REGS:
		memcpy(&l->regs, p, sizeof(l->regs));
		l->have_regs = true;
		break;
	case SIM_REC_END:
		if (le64_to_cpu(end->records) != l->records) {
			sim_fn_err_rl(fn, "snapvf_sim: load: END counts %llu records, got %llu\n",
				      le64_to_cpu(end->records), l->records);
			return -EINVAL;
		}
		l->end = true;
		break;
	default:
		sim_fn_err_rl(fn, "snapvf_sim: load: unknown record type %u\n",
			      type);
		return -EINVAL;
	}
	if (!ret)
		l->records++;
	return ret;
}

int sim_load_chunk(struct sim_fn *fn, const void *buf, size_t len)
{
	struct sim_load *l = fn->load;
	size_t n;
	int ret;

	if (!l || l->broken)
		return -EINVAL;
	if (fn->fail_load_at >= 0 && l->pos + len > fn->fail_load_at) {
		pci_err(fn->pdev, "snapvf_sim: injected load failure at byte %lld\n",
			fn->fail_load_at);
		fn->fail_load_at = -1;
		l->broken = true;
		return -EIO;
	}
	while (len) {
		n = min_t(size_t, len, SIM_REC_SIZE - l->fill);
		memcpy(l->rec + l->fill, buf, n);
		l->fill += n;
		l->pos += n;
		buf += n;
		len -= n;
		if (l->fill < SIM_REC_SIZE)
			break;
		l->fill = 0;
		ret = sim_load_rec(fn, l);
		if (ret) {
			l->broken = true;
			return ret;
		}
	}
	return 0;
}

int sim_load_commit(struct sim_fn *fn)
{
	struct sim_load *l = fn->load;
	struct sim_fn_access acc;
	u32 i;
	int ret;

	if (!l)
		return -EINVAL;
	ret = -EINVAL;
	if (l->broken || !l->end || l->fill || !l->have_regs ||
	    l->have_count != l->npages) {
		sim_fn_err_rl(fn, "snapvf_sim: load: incomplete stream (%u of %u pages%s%s)\n",
			      l->have_count, l->npages, l->have_regs ? "" : ", no registers",
			      l->end ? "" : ", no end");
		goto out;
	}
	ret = sim_fn_state_begin(fn, &acc);
	if (ret)
		goto out;
	for (i = 0; i < l->npages; i++) {
		memcpy_toio(fn->bar + ((u64)i << SIM_PAGE_SHIFT), l->stage[i],
			    SIM_PAGE_SIZE);
		cond_resched();
	}
	sim_fn_state_end(fn, &acc);
	fn->regs = l->regs;
	fn->loads++;
out:
	sim_load_free(fn);
	return ret;
}
