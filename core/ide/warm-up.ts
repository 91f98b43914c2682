/**
 * A small 2.4-style driver the language server analyzes once at start, off the request path, so the first
 * keystrokes in a real file do not pay for compiling the parse, facts, context and rule code (V8 compiles a
 * function lazily on first call and optimizes it after it runs hot). Written for kport; exercises a lock
 * region with an allocation, an interrupt handler, a mask through a #define, a NULL test and a free.
 */
export const WARM_UP_SOURCE = `#include <linux/malloc.h>
#include <linux/spinlock.h>
#include <linux/interrupt.h>

#define RING_GFP (GFP_KERNEL | __GFP_REPEAT)

struct ring {
	spinlock_t lock;
	char *buf;
	int len;
};

static struct ring ring0;

static void ring_irq(int irq, void *dev_id, struct pt_regs *regs)
{
	struct ring *r = dev_id;
	char *p = kmalloc(r->len, GFP_ATOMIC);
	if (!p)
		return;
	kfree(p);
}

static int ring_grow(struct ring *r, int len)
{
	unsigned long flags;
	char *p;

	spin_lock_irqsave(&r->lock, flags);
	p = kmalloc(len, GFP_KERNEL);
	if (p == NULL) {
		spin_unlock_irqrestore(&r->lock, flags);
		return -ENOMEM;
	}
	r->buf = p;
	r->len = len;
	spin_unlock_irqrestore(&r->lock, flags);
	return 0;
}

static int ring_open(void)
{
	char *page = (char *)__get_free_pages(RING_GFP, 1);
	if (!page)
		return -ENOMEM;
	free_pages((unsigned long)page, 1);
	return request_irq(5, ring_irq, SA_SHIRQ, "ring", &ring0);
}
`;
