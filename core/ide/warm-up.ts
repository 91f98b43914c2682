/**
 * A driver of kport's own that a fresh editor process runs its keystroke path on while the user is idle
 * (AnalysisHost.warmUp): V8 runs code it has not optimized yet several times slower, so a new server's first
 * keystrokes took 30-60 ms against 5-15 warm (bench/editor.ts, KPORT_TRACE=1). The text is built a block at a
 * time, as a paste each, then typed into like bench/editor.ts's user: every step is one keystroke's work, on a
 * document past the size where a keystroke re-neutralizes a window only (parser.ts WINDOW_MIN_TEXT), with the
 * kernel idioms the rules read (locks, handlers, pools, GFP masks).
 */

const HEAD = `/* kport warm-up driver */
#include <linux/module.h>
#include <linux/malloc.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mempool.h>
#include <linux/spinlock.h>
#include <linux/interrupt.h>
#include <linux/timer.h>
#include <linux/list.h>

#define WARM_RING 16
#define WARM_MASK (GFP_KERNEL | __GFP_NOWARN)
#ifdef CONFIG_WARM_DEBUG
#define warm_dbg(fmt, args...) printk(KERN_DEBUG fmt, ## args)
#else
#define warm_dbg(fmt, args...) do { } while (0)
#endif

struct warm_req {
	struct list_head node;
	int len;
	char *data;
};

struct warm_dev {
	spinlock_t lock;
	struct list_head queue;
	void *ring[WARM_RING];
	mempool_t *pool;
	kmem_cache_t *cache;
	struct timer_list timer;
	struct tasklet_struct tasklet;
	int irq;
	unsigned long flags;
};

struct warm_ops {
	int (*open)(struct warm_dev *dev);
	void (*poll)(unsigned long data);
};
`;

/** One block of functions; `$N` becomes the block's number (the names stay unique). */
const BLOCK = `
static int warm_fill_$N(struct warm_dev *dev, int count)
{
	unsigned long flags;
	int i, err = 0;

	spin_lock_irqsave(&dev->lock, flags);
	for (i = 0; i < WARM_RING && i < count; i++) {
		if (dev->ring[i])
			continue;
		dev->ring[i] = kmalloc(64 * $N, GFP_KERNEL);
		if (!dev->ring[i]) {
			err = -ENOMEM;
			goto out;
		}
	}
out:
	spin_unlock_irqrestore(&dev->lock, flags);
	return err;
}

static void warm_irq_$N(int irq, void *data, struct pt_regs *regs)
{
	struct warm_dev *dev = data;
	struct warm_req *req = kmalloc(sizeof(*req), GFP_BUFFER);

	req->len = $N;
	switch (dev->flags & 3) {
	case 0:
		req->data = (char *) __get_free_pages(GFP_ATOMIC | __GFP_DMA, 1);
		break;
	case 1:
		kfree(req);
		return;
	default:
		req->data = NULL;
		break;
	}
	spin_lock(&dev->lock);
	list_add_tail(&req->node, &dev->queue);
	spin_unlock(&dev->lock);
	tasklet_schedule(&dev->tasklet);
}

static void warm_poll_$N(unsigned long data)
{
	struct warm_dev *dev = (struct warm_dev *) data;
	struct list_head *pos;
	void *p = mempool_alloc(dev->pool, GFP_KERNEL);

	list_for_each(pos, &dev->queue) {
		struct warm_req *req = list_entry(pos, struct warm_req, node);
		if (req->len > $N)
			memcpy(p, req->data, 32);
	}
	mempool_free(p, dev->pool);
	mod_timer(&dev->timer, jiffies + HZ);
}

static int __init warm_open_$N(struct warm_dev *dev)
{
	struct page *page;
	char *buf;

	dev->cache = kmem_cache_create("warm_$N", 256, 0, SLAB_HWCACHE_ALIGN, NULL, NULL);
	dev->pool = mempool_create(4, mempool_alloc_slab, mempool_free_slab, dev->cache);
	if (!dev->pool)
		return -ENOMEM;
	page = alloc_pages(WARM_MASK | __GFP_NOFAIL, 2);
	buf = (char *) get_zeroed_page(GFP_KERNEL);
	if (!page || !buf)
		goto fail;
	init_timer(&dev->timer);
	dev->timer.function = warm_poll_$N;
	dev->timer.data = (unsigned long) dev;
	if (request_irq(dev->irq, warm_irq_$N, SA_SHIRQ, "warm_$N", dev))
		goto fail;
	warm_dbg("warm %d open\\n", $N);
	free_page((unsigned long) buf);
	return 0;
fail:
	mempool_resize(dev->pool, 8, GFP_KERNEL);
	mempool_destroy(dev->pool);
	return -EBUSY;
}

static struct warm_ops warm_ops_$N = {
	.open = warm_open_$N,
	.poll = warm_poll_$N,
};
`;

/** Blocks in the document at the end: past WINDOW_MIN_TEXT (32 KiB), as the files a user types in are. */
export const WARM_UP_BLOCKS = 18;
/** Blocks the document opens with; the others are pasted one a step. */
const FIRST_BLOCKS = 3;

const block = (n: number) => BLOCK.replaceAll('$N', String(n));

/** The document as it opens. */
export function warmUpOpening(): string {
  let text = HEAD;
  for (let n = 1; n <= FIRST_BLOCKS; n++) text += block(n);
  return text;
}

export interface WarmUpEdit {
  start: number;
  end: number;
  newText: string;
  /** The document after this edit. */
  text: string;
}

/**
 * The edits after the opening, each applied to the text the previous left: the other blocks pasted one at a
 * time before the last one, then a typing burst at the start of a statement in the middle (an identifier and
 * `++`, a syntax error until its `;`), the burst deleted, a line with an allocation and its deletion.
 */
export function* warmUpEdits(opening: string): Generator<WarmUpEdit> {
  let text = opening;
  const apply = (e: Omit<WarmUpEdit, 'text'>): WarmUpEdit => {
    text = text.slice(0, e.start) + e.newText + text.slice(e.end);
    return { ...e, text };
  };
  for (let n = FIRST_BLOCKS + 1; n <= WARM_UP_BLOCKS; n++) {
    const at = text.lastIndexOf('\nstatic int warm_fill_');
    yield apply({ start: at, end: at, newText: block(n) });
  }
  const statement = text.indexOf('\treq->len = ', text.length >> 1) + 1;
  const typed = 'warm_count++;';
  for (let i = 0; i < typed.length; i++) yield apply({ start: statement + i, end: statement + i, newText: typed[i] });
  yield apply({ start: statement, end: statement + typed.length, newText: '' });
  const line = text.lastIndexOf('\n', statement) + 1;
  const alloc = '\treq->data = kmalloc(128, GFP_KERNEL);\n';
  yield apply({ start: line, end: line, newText: alloc });
  yield apply({ start: line, end: line + alloc.length, newText: '' });
}
