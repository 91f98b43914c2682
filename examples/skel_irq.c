/*
 * skel_irq.c -- a 2.4-style PCI driver skeleton with an interrupt handler, a spinlock-protected
 * receive ring and a mempool, written for kport's demo. Several allocations here are fine under
 * normal memory and break only under pressure: hover them in the editor to see the simulation.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mempool.h>
#include <linux/interrupt.h>
#include <linux/spinlock.h>

#define SKEL_RING	16
#define SKEL_RX_GFP	GFP_KERNEL		/* was fine in process context... */
#define SKEL_POOL_MIN	4

struct skel_rx {
	struct skel_rx *next;
	unsigned long page;
	int len;
};

struct skel_priv {
	struct pci_dev *pdev;
	spinlock_t lock;
	struct skel_rx *ring[SKEL_RING];
	kmem_cache_t *rx_cache;
	mempool_t *rx_pool;
};

static struct skel_rx *skel_rx_refill(struct skel_priv *p)
{
	struct skel_rx *rx = mempool_alloc(p->rx_pool, GFP_ATOMIC);
	if (!rx)
		return NULL;
	rx->page = __get_free_pages(SKEL_RX_GFP, 1);
	return rx;
}

static void skel_interrupt(int irq, void *dev_id, struct pt_regs *regs)
{
	struct skel_priv *p = dev_id;
	struct skel_rx *rx;
	int i;

	spin_lock(&p->lock);
	for (i = 0; i < SKEL_RING; i++) {
		if (p->ring[i])
			continue;
		rx = skel_rx_refill(p);
		p->ring[i] = rx;
	}
	spin_unlock(&p->lock);
}

static int skel_resize(struct skel_priv *p)
{
	unsigned long flags;
	void *scratch;

	spin_lock_irqsave(&p->lock, flags);
	scratch = kmalloc(2048, GFP_KERNEL);
	spin_unlock_irqrestore(&p->lock, flags);
	kfree(scratch);
	return 0;
}

static mempool_t *skel_buf_pool;

/* Page-sized DMA buffers: under pressure alloc_fn fails and elements come from the reserve. */
static void *skel_buf_alloc(int gfp_mask, void *pool_data)
{
	return (void *)__get_free_page(gfp_mask | __GFP_DMA);
}

static void skel_buf_free(void *element, void *pool_data)
{
	free_page((unsigned long)element);
}

static void skel_teardown(struct skel_priv *p)
{
	void *a = mempool_alloc(skel_buf_pool, GFP_NOIO);
	void *b = mempool_alloc(skel_buf_pool, GFP_NOIO);

	mempool_free(a, skel_buf_pool);
	mempool_destroy(skel_buf_pool);
	mempool_destroy(p->rx_pool);
	kmem_cache_destroy(p->rx_cache);
}

static int skel_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct skel_priv *p = kmalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	p->pdev = pdev;
	spin_lock_init(&p->lock);
	p->rx_cache = kmem_cache_create("skel_rx", sizeof(struct skel_rx), 0, 0, NULL, NULL);
	p->rx_pool = mempool_create(SKEL_POOL_MIN, mempool_alloc_slab, mempool_free_slab, p->rx_cache);
	if (!p->rx_pool)
		return -ENOMEM;
	skel_buf_pool = mempool_create(SKEL_POOL_MIN, skel_buf_alloc, skel_buf_free, NULL);
	if (!skel_buf_pool)
		return -ENOMEM;
	return request_irq(pdev->irq, skel_interrupt, SA_SHIRQ, "skel", p);
}
