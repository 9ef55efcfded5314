// SPDX-License-Identifier: GPL-2.0
/*
 * Save sessions: the device state (the first state_size bytes of BAR2 plus
 * the simulated registers) as a stream of records (stream.h), in rounds.
 *
 * Dirty tracking: a guest writes the BAR through a mapping the simulator
 * cannot intercept, so changes are found by content: every page sent is
 * hashed (xxh64 of exactly the bytes sent); starting a round rescans the
 * state and marks due each page never sent or whose hash differs.  Round 0
 * sends everything; pre-copy rounds only what changed; the final round
 * (device stopped) what changed plus anything still due, and END.  The
 * registers are resent every round (one record).
 *
 * All functions run with fn->lock held.
 */
#include <linux/bitmap.h>
#include <linux/crc32.h>
#include <linux/slab.h>
#include <linux/xxhash.h>

#include "sim.h"

struct sim_save {
	u32 npages;
	u64 *hash;		/* xxh64 of what was last sent, per page */
	unsigned long *due;	/* pages to send in the current round */
	unsigned long *sent;	/* pages sent at least once */
	u32 due_count;
	u32 cursor;		/* next page to look at in @due */
	bool hdr_due, regs_due, end_due;
	bool regs_ever;		/* a REGS record was produced ... */
	struct sim_regs regs_sent;	/* ... with these registers */
	bool initial;		/* current round is round 0 */
	bool final;		/* the final round was started */
	int error;		/* a fault ended the session: its errno */
	u64 records;		/* records produced so far */
	u64 pos;		/* stream bytes returned so far */
	u32 last_dirty;		/* pages found changed at the last round */
	u32 rec_off, rec_len;	/* unread part of @rec */
	u8 rec[SIM_REC_SIZE];
	u8 scan[SIM_PAGE_SIZE];
};

void sim_save_free(struct sim_fn *fn)
{
	struct sim_save *s = fn->save;

	if (!s)
		return;
	bitmap_free(s->sent);
	bitmap_free(s->due);
	kvfree(s->hash);
	kvfree(s);
	fn->save = NULL;
}

int sim_save_start(struct sim_fn *fn, u32 flags)
{
	struct sim_save *s;
	u32 npages = fn->state_size >> SIM_PAGE_SHIFT;

	if (fn->save || fn->load) {
		sim_fn_err_rl(fn, "snapvf_sim: save: a save or load session is open\n");
		return -EBUSY;
	}
	if (!(flags & SVF_AUX_SAVE_PRECOPY) && fn->dstate != SIM_STOP) {
		sim_fn_err_rl(fn, "snapvf_sim: save without pre-copy needs a stopped device\n");
		return -EINVAL;
	}
	s = kvzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->npages = npages;
	s->hash = kvcalloc(npages, sizeof(*s->hash), GFP_KERNEL);
	s->due = bitmap_zalloc(npages, GFP_KERNEL);
	s->sent = bitmap_zalloc(npages, GFP_KERNEL);
	fn->save = s;
	if (!s->hash || !s->due || !s->sent) {
		sim_save_free(fn);
		return -ENOMEM;
	}
	bitmap_fill(s->due, npages);
	s->due_count = npages;
	s->hdr_due = true;
	s->regs_due = true;
	s->initial = true;
	return 0;
}

/* Mark due every page never sent or changed since sent; count changes. */
static u32 sim_save_scan(struct sim_fn *fn, struct sim_save *s)
{
	u32 i, dirty = 0;

	for (i = 0; i < s->npages; i++) {
		if (test_bit(i, s->due))
			continue;
		if (test_bit(i, s->sent)) {
			memcpy_fromio(s->scan, fn->bar + ((u64)i << SIM_PAGE_SHIFT),
				      SIM_PAGE_SIZE);
			if (xxh64(s->scan, SIM_PAGE_SIZE, 0) == s->hash[i])
				continue;
			dirty++;
		}
		__set_bit(i, s->due);
		s->due_count++;
		cond_resched();
	}
	return dirty;
}

/* Would a new round carry the registers (never sent, or changed since)? */
static bool sim_save_regs_changed(const struct sim_fn *fn, const struct sim_save *s)
{
	return !s->regs_ever || memcmp(&s->regs_sent, &fn->regs, sizeof(fn->regs));
}

int sim_save_round(struct sim_fn *fn, bool final)
{
	struct sim_save *s = fn->save;
	struct sim_fn_access acc;
	int ret;

	/* A session a fault ended fails as the fault did; it logged already. */
	if (s && s->error)
		return s->error;
	if (!s || s->final) {
		sim_fn_err_rl(fn, "snapvf_sim: save round: no open session or final round done\n");
		return -EINVAL;
	}
	if (final && fn->dstate != SIM_STOP) {
		sim_fn_err_rl(fn,
			      "snapvf_sim: final save round needs a stopped device (state %s)\n",
			      sim_dstate_name(fn->dstate));
		return -EINVAL;
	}
	ret = sim_fn_state_begin(fn, &acc);
	if (ret)
		return ret;
	s->last_dirty = sim_save_scan(fn, s);
	sim_fn_state_end(fn, &acc);
	fn->last_round_pages = s->last_dirty;
	fn->rounds++;
	s->cursor = 0;
	s->initial = false;
	/* The registers again only if they changed since they were sent. */
	if (!s->regs_due)
		s->regs_due = sim_save_regs_changed(fn, s);
	if (final) {
		s->final = true;
		s->end_due = true;
	}
	return 0;
}

static void *sim_save_rec(struct sim_save *s, enum sim_rec_type type, u32 index)
{
	struct sim_rec_hdr *h = (struct sim_rec_hdr *)s->rec;

	memset(s->rec, 0, sizeof(s->rec));
	h->magic = cpu_to_le32(SIM_REC_MAGIC);
	h->type = cpu_to_le16(type);
	h->version = cpu_to_le16(SIM_REC_VERSION);
	h->index = cpu_to_le32(index);
	s->rec_off = 0;
	s->rec_len = SIM_REC_SIZE;
	s->records++;
	return s->rec + sizeof(*h);
}

static void sim_save_seal(struct sim_save *s)
{
	struct sim_rec_hdr *h = (struct sim_rec_hdr *)s->rec;

	h->csum = cpu_to_le32(crc32_le(~0, s->rec + sizeof(*h), SIM_PAGE_SIZE));
}

static void sim_save_page(struct sim_fn *fn, struct sim_save *s, u32 i)
{
	void *p = sim_save_rec(s, SIM_REC_PAGE, i);

	memcpy_fromio(p, fn->bar + ((u64)i << SIM_PAGE_SHIFT), SIM_PAGE_SIZE);
	s->hash[i] = xxh64(p, SIM_PAGE_SIZE, 0);
	__set_bit(i, s->sent);
	__clear_bit(i, s->due);
	s->due_count--;
	s->cursor = i + 1;
	fn->pages_sent++;
}

/* Build the next record of the round in s->rec; false if the round is over. */
static bool sim_save_next(struct sim_fn *fn, struct sim_save *s)
{
	struct sim_rec_info *info;
	struct sim_rec_end *end;
	u32 i;

	if (s->hdr_due) {
		info = sim_save_rec(s, SIM_REC_HDR, 0);
		info->state_size = cpu_to_le64(fn->state_size);
		info->page_size = cpu_to_le32(SIM_PAGE_SIZE);
		info->npages = cpu_to_le32(s->npages);
		strscpy_pad(info->compat, fn->compat, sizeof(info->compat));
		s->hdr_due = false;
	} else if (s->due_count) {
		i = find_next_bit(s->due, s->npages, s->cursor);
		if (WARN_ON_ONCE(i >= s->npages))
			return false;
		sim_save_page(fn, s, i);
	} else if (s->regs_due) {
		memcpy(sim_save_rec(s, SIM_REC_REGS, 0), &fn->regs,
		       sizeof(fn->regs));
		s->regs_sent = fn->regs;
		s->regs_ever = true;
		s->regs_due = false;
	} else if (s->end_due) {
		end = sim_save_rec(s, SIM_REC_END, 0);
		end->records = cpu_to_le64(s->records - 1);
		s->end_due = false;
		fn->saves++;
	} else {
		return false;
	}
	sim_save_seal(s);
	return true;
}

/* Injected faults: how many bytes may go out before one triggers. */
static int sim_save_fault(struct sim_fn *fn, struct sim_save *s, size_t *len)
{
	if (fn->surprise_save_at >= 0 && s->pos >= fn->surprise_save_at) {
		pci_warn(fn->pdev, "snapvf_sim: injected surprise removal at save byte %llu\n",
			 s->pos);
		fn->surprise_save_at = -1;
		s->error = -ENODEV;
		sim_fn_surprise(fn, 0);
		return -ENODEV;
	}
	if (fn->fail_save_at >= 0 && s->pos >= fn->fail_save_at) {
		pci_err(fn->pdev, "snapvf_sim: injected save failure at byte %llu\n",
			s->pos);
		fn->fail_save_at = -1;
		s->error = -EIO;
		return -EIO;
	}
	if (fn->surprise_save_at >= 0)
		*len = min_t(u64, *len, fn->surprise_save_at - s->pos);
	if (fn->fail_save_at >= 0)
		*len = min_t(u64, *len, fn->fail_save_at - s->pos);
	return 0;
}

ssize_t sim_save_chunk(struct sim_fn *fn, void *buf, size_t len)
{
	struct sim_save *s = fn->save;
	size_t done = 0, n;
	struct sim_fn_access acc;
	int ret;

	if (!s)
		return -EINVAL;
	/*
	 * The fault may have cut this call short (the bytes before it were
	 * returned): every later call reports the fault itself, not EINVAL.
	 */
	if (s->error)
		return s->error;
	ret = sim_fn_state_begin(fn, &acc);
	if (ret)
		return ret;
	while (done < len) {
		if (s->rec_off == s->rec_len && !sim_save_next(fn, s))
			break;
		n = min_t(size_t, len - done, s->rec_len - s->rec_off);
		ret = sim_save_fault(fn, s, &n);
		if (ret) {
			sim_fn_state_end(fn, &acc);
			return done ? done : ret;
		}
		if (!n)
			continue;
		memcpy(buf + done, s->rec + s->rec_off, n);
		s->rec_off += n;
		s->pos += n;
		done += n;
	}
	sim_fn_state_end(fn, &acc);
	return done;
}

/*
 * Estimates.  Without a session (VFIO_DEVICE_FEATURE_MIG_DATA_SIZE asked
 * in RUNNING or STOP) the answer is what a complete save started now would
 * produce: HDR, every page, REGS and END.
 */
int sim_save_pending(struct sim_fn *fn, struct svf_aux_pending *p)
{
	struct sim_save *s = fn->save;
	u64 recs;

	if (!s) {
		recs = (fn->state_size >> SIM_PAGE_SHIFT) + 3;
		p->round_bytes = 0;
		p->initial = false;
		p->dirty_bytes = 0;
		p->stop_copy_bytes = recs * SIM_REC_SIZE;
		return 0;
	}
	recs = (u64)s->due_count + s->hdr_due + s->regs_due + s->end_due;
	p->round_bytes = recs * SIM_REC_SIZE + (s->rec_len - s->rec_off);
	p->initial = s->initial;
	p->dirty_bytes = (u64)s->last_dirty * SIM_REC_SIZE;
	p->stop_copy_bytes = p->round_bytes;
	/*
	 * A final round started now sends what is due (the pages the last
	 * scan found changed are among them: snapvf_pci starts a new round,
	 * and so a scan, for an estimate once a round is drained), the
	 * registers if not due already and changed since sent, and END.
	 */
	if (!s->final)
		p->stop_copy_bytes += (1 + (!s->regs_due && sim_save_regs_changed(fn, s))) *
				      SIM_REC_SIZE;
	return 0;
}
