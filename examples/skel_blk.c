/*
 * skel_blk.c -- a 2.4-style block driver skeleton written for kport's demo.
 * Comments like this one mention GFP_BUFFER and <linux/malloc.h> and must not be flagged.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/malloc.h>
#include <linux/blkdev.h>
#include <linux/mempool.h>
#include <linux/spinlock.h>
#include <linux/interrupt.h>

#define SKEL_MINORS 16
#define SKEL_REQ_FLAGS GFP_BUFFER
#define GFP_BUFFER_SIZE 512	/* a lookalike name: not the flag */

static spinlock_t skel_lock = SPIN_LOCK_UNLOCKED;
static mempool_t *skel_pool;
static kmem_cache_t *skel_cache;
static char *skel_msg = "GFP_BUFFER in a string is fine";

struct skel_req {
	struct skel_req *next;
	char data[GFP_BUFFER_SIZE];
};

static struct skel_req *skel_get_req(void)
{
	struct skel_req *req = kmalloc(sizeof(*req), SKEL_REQ_FLAGS);
	if (!req)
		return NULL;
	memset(req, 0, sizeof(*req));
	return req;
}

static void *skel_buffer(int pages)
{
	return (void *)__get_free_pages(GFP_BUFFER | __GFP_DMA, pages);
}

#if 0
static void skel_old(void)
{
	void *p = kmalloc(64, GFP_BUFFER);
}
#endif

static int __init skel_init(void)
{
	skel_cache = kmem_cache_create("skel_req", sizeof(struct skel_req), 0, 0, NULL, NULL);
	if (!skel_cache)
		return -ENOMEM;
	skel_pool = mempool_create(8, mempool_alloc_slab, mempool_free_slab, skel_cache);
	if (!skel_pool)
		return -ENOMEM;
	if (mempool_resize(skel_pool, 32, GFP_KERNEL))
		printk(KERN_WARNING "skel: could not grow the pool\n");
	return 0;
}

static void __exit skel_exit(void)
{
	mempool_destroy(skel_pool);
	kmem_cache_destroy(skel_cache);
}

module_init(skel_init);
module_exit(skel_exit);
