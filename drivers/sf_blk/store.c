// SPDX-License-Identifier: GPL-2.0
/*
 * snapvf_sf: sparse backing store of a virtio-blk instance.
 *
 * Pages are allocated on first write and kept in an xarray indexed by page
 * number, so an idle instance costs no store memory at all (1,000 live
 * instances must fit in a small guest).  Pages never written read as
 * zeroes.  All functions run under the owning svf_vblk_dev's lock; the
 * xarray's own spinlock only protects its internal nodes.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>

#include "virtio_blk.h"

void svf_vblk_store_init(struct svf_vblk_store *st, u64 capacity)
{
	xa_init(&st->pages);
	st->capacity = capacity;
	st->nr_pages = 0;
}

void svf_vblk_store_fini(struct svf_vblk_store *st)
{
	struct page *page;
	unsigned long idx;

	xa_for_each(&st->pages, idx, page)
		__free_page(page);
	xa_destroy(&st->pages);
	st->nr_pages = 0;
}

/* Returns the page at @index, allocating a zeroed one when @alloc. */
static struct page *store_page(struct svf_vblk_store *st, pgoff_t index,
			       bool alloc)
{
	struct page *page, *old;

	page = xa_load(&st->pages, index);
	if (page || !alloc)
		return page;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return NULL;
	old = xa_store(&st->pages, index, page, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old)) {
		__free_page(page);
		return NULL;
	}
	st->nr_pages++;
	return page;
}

static void store_mark(struct svf_vblk_store *st, pgoff_t index)
{
	if (!st->tracking || xa_get_mark(&st->pages, index, SVF_VBLK_UNSENT))
		return;
	xa_set_mark(&st->pages, index, SVF_VBLK_UNSENT);
	st->unsent++;
}

/**
 * svf_vblk_store_to_guest() - copy store bytes into guest memory
 * @dev: device (lock held)
 * @off: byte offset in the store
 * @iova: guest address
 * @len: byte count; [@off, @off + @len) must lie inside the store
 *
 * Return: 0, or the host's errno when guest memory is not mapped.
 */
int svf_vblk_store_to_guest(struct svf_vblk_dev *dev, u64 off, u64 iova,
			    u32 len)
{
	struct svf_vblk_store *st = &dev->store;

	while (len) {
		u32 poff = offset_in_page(off);
		u32 n = min_t(u32, len, PAGE_SIZE - poff);
		struct page *page = store_page(st, off >> PAGE_SHIFT, false);
		void *va = page ? kmap_local_page(page) : NULL;
		int ret;

		ret = dev->ops->dma_write(dev->priv, iova,
					  va ? va + poff : page_address(ZERO_PAGE(0)),
					  n);
		if (va)
			kunmap_local(va);
		if (ret)
			return ret;
		off += n;
		iova += n;
		len -= n;
	}
	return 0;
}

/**
 * svf_vblk_store_from_guest() - copy guest memory into the store
 * @dev: device (lock held)
 * @off: byte offset in the store
 * @iova: guest address
 * @len: byte count; [@off, @off + @len) must lie inside the store
 *
 * Return: 0, -ENOMEM, or the host's errno when guest memory is not mapped.
 */
int svf_vblk_store_from_guest(struct svf_vblk_dev *dev, u64 off, u64 iova,
			      u32 len)
{
	struct svf_vblk_store *st = &dev->store;

	while (len) {
		u32 poff = offset_in_page(off);
		u32 n = min_t(u32, len, PAGE_SIZE - poff);
		struct page *page = store_page(st, off >> PAGE_SHIFT, true);
		void *va;
		int ret;

		if (!page)
			return -ENOMEM;
		va = kmap_local_page(page);
		ret = dev->ops->dma_read(dev->priv, iova, va + poff, n);
		kunmap_local(va);
		if (ret)
			return ret;
		store_mark(st, off >> PAGE_SHIFT);
		off += n;
		iova += n;
		len -= n;
	}
	return 0;
}

/**
 * svf_vblk_store_put_page() - replace one store page (migration load)
 * @st: store
 * @index: page index, below capacity
 * @data: PAGE_SIZE bytes
 *
 * Return: 0, -EINVAL for an index outside the store, or -ENOMEM.
 */
int svf_vblk_store_put_page(struct svf_vblk_store *st, pgoff_t index,
			    const void *data)
{
	struct page *page;

	if (index >= st->capacity >> PAGE_SHIFT)
		return -EINVAL;
	page = store_page(st, index, true);
	if (!page)
		return -ENOMEM;
	memcpy_to_page(page, 0, data, PAGE_SIZE);
	return 0;
}

/**
 * svf_vblk_store_get_page() - kernel address of an allocated store page
 * @st: store
 * @index: page index
 *
 * Return: the page's address (store pages are lowmem) or NULL if unwritten.
 */
void *svf_vblk_store_get_page(struct svf_vblk_store *st, pgoff_t index)
{
	struct page *page = xa_load(&st->pages, index);

	return page ? page_address(page) : NULL;
}

/* First page at or after *@index carrying @mark (XA_PRESENT: any page). */
static bool svf_vblk_store_find(struct svf_vblk_store *st, pgoff_t *index,
				xa_mark_t mark)
{
	unsigned long idx = *index;

	if (!xa_find(&st->pages, &idx, ULONG_MAX, mark))
		return false;
	*index = idx;
	return true;
}

/**
 * svf_vblk_store_next() - iterate over allocated pages
 * @st: store
 * @index: in: first index to consider; out: the index found
 *
 * Return: true when a page at or after *@index exists.
 */
bool svf_vblk_store_next(struct svf_vblk_store *st, pgoff_t *index)
{
	return svf_vblk_store_find(st, index, XA_PRESENT);
}

/**
 * svf_vblk_store_track() - start or stop tracking writes for migration
 * @st: store
 * @on: start: every allocated page is marked unsent and later writes mark
 *	theirs; stop: all marks are dropped
 */
void svf_vblk_store_track(struct svf_vblk_store *st, bool on)
{
	struct page *page;
	unsigned long idx;

	st->unsent = 0;
	xa_for_each(&st->pages, idx, page) {
		if (on) {
			xa_set_mark(&st->pages, idx, SVF_VBLK_UNSENT);
			st->unsent++;
		} else {
			xa_clear_mark(&st->pages, idx, SVF_VBLK_UNSENT);
		}
	}
	st->tracking = on;
}

/**
 * svf_vblk_store_next_unsent() - find a page still to be sent
 * @st: store
 * @index: in: first index to consider; out: the page found
 *
 * Return: true when one exists.
 */
bool svf_vblk_store_next_unsent(struct svf_vblk_store *st, pgoff_t *index)
{
	return svf_vblk_store_find(st, index, SVF_VBLK_UNSENT);
}

/**
 * svf_vblk_store_clear_unsent() - a page was copied into the stream
 * @st: store
 * @index: the page
 */
void svf_vblk_store_clear_unsent(struct svf_vblk_store *st, pgoff_t index)
{
	if (!xa_get_mark(&st->pages, index, SVF_VBLK_UNSENT))
		return;
	xa_clear_mark(&st->pages, index, SVF_VBLK_UNSENT);
	st->unsent--;
}
