/**
 * Language-server latency, through the real server over stdio (`kport lsp --stdio`):
 *  - a generated 5,000-line 2.4-style driver, 300 single-character edits, each timed from didChange
 *    to the publishDiagnostics of that version (p50/p95/p99; target p99 < 20 ms);
 *  - a generated ~1 MB file, time from didOpen to its first diagnostics (target < 300 ms).
 * The drivers are made here from template functions (allocations, locks, GFP flags, mempools).
 */
import { fileUri, startServer } from '../test/support/lsp-client';

/** One template function of a 2.4-era driver; `i` varies names, sizes and which pattern shows up. */
function driverFunction(i: number): string {
  switch (i % 6) {
    case 0:
      return `static int dev${i}_open(struct dev${i} *d)
{
	unsigned long flags;
	char *buf;

	spin_lock_irqsave(&d->lock, flags);
	buf = kmalloc(${64 + (i % 17) * 8}, GFP_KERNEL);
	if (!buf) {
		spin_unlock_irqrestore(&d->lock, flags);
		return -ENOMEM;
	}
	d->buf = buf;
	spin_unlock_irqrestore(&d->lock, flags);
	return 0;
}
`;
    case 1:
      return `static void *dev${i}_bounce(int pages)
{
	/* block path: must not recurse into the filesystem */
	return (void *)__get_free_pages(GFP_BUFFER | __GFP_DMA, pages);
}
`;
    case 2:
      return `static int dev${i}_pool(struct dev${i} *d)
{
	d->pool = mempool_create(${4 + (i % 5)}, mempool_alloc_slab, mempool_free_slab, d->cache);
	if (!d->pool)
		return -ENOMEM;
	if (mempool_resize(d->pool, ${16 + (i % 3)}, GFP_KERNEL))
		return -ENOMEM;
	return 0;
}
`;
    case 3:
      return `static void dev${i}_irq(int irq, void *dev_id, struct pt_regs *regs)
{
	struct dev${i} *d = dev_id;
	struct sk_buff *skb;

	skb = alloc_skb(${1500 + (i % 64)}, GFP_ATOMIC);
	if (skb)
		d->rx = skb;
	d->stats.interrupts++;
}
`;
    case 4:
      return `static struct page *dev${i}_pages(void)
{
	struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, ${i % 3});
	int k;

	for (k = 0; k < ${8 + (i % 9)}; k++)
		memset(page_address(p) + k * 64, 0, 64);
	return p;
}
`;
    default:
      return `static int dev${i}_ioctl(struct dev${i} *d, unsigned int cmd, unsigned long arg)
{
	int err = 0;

	read_lock(&d->rwlock);
	switch (cmd) {
	case ${i}:
		err = copy_to_user((void *)arg, &d->stats, sizeof(d->stats)) ? -EFAULT : 0;
		break;
	default:
		err = -ENOTTY;
	}
	read_unlock(&d->rwlock);
	return err;
}
`;
  }
}

export function generateDriver(minLines: number): string {
  const parts = [
    '/* generated 2.4-style driver for kport benchmarks */',
    '#include <linux/module.h>',
    '#include <linux/malloc.h>',
    '#include <linux/blkdev.h>',
    '#include <linux/mempool.h>',
    '#include <linux/spinlock.h>',
    '#include <linux/interrupt.h>',
    '',
  ];
  let lines = parts.length;
  for (let i = 0; lines < minLines; i++) {
    const f = driverFunction(i);
    parts.push(f);
    lines += f.split('\n').length;
  }
  return parts.join('\n');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function runLspBench(opts: { edits?: number } = {}): Promise<{ p50: number; p95: number; p99: number; firstMs: number }> {
  const session = await startServer();
  try {
    const text = generateDriver(5000);
    const lineCount = text.split('\n').length;
    const uri = fileUri('/tmp/kport-bench/driver5000.c');
    const t0 = performance.now();
    const first = await session.open(uri, text, 1);
    const openMs = performance.now() - t0;
    // 300 single-character edits spread over the file: type a digit into a size, then delete it.
    const edits = opts.edits ?? 300;
    const targets: { line: number; character: number }[] = [];
    const lines = text.split('\n');
    lines.forEach((l, n) => {
      const m = /kmalloc\((\d+)/.exec(l) ?? /alloc_skb\((\d+)/.exec(l);
      if (m) targets.push({ line: n, character: m.index + m[0].length });
    });
    const latencies: number[] = [];
    let version = 1;
    for (let k = 0; k < edits; k++) {
      const t = targets[(k >> 1) % targets.length];
      const insert = k % 2 === 0;
      version++;
      const range = insert ? { start: t, end: t } : { start: t, end: { line: t.line, character: t.character + 1 } };
      const wait = session.diagnostics(uri, version);
      const s = performance.now();
      await session.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range, text: insert ? '7' : '' }],
      });
      await wait;
      latencies.push(performance.now() - s);
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const p99 = percentile(latencies, 99);

    console.log('');
    console.log(`LSP (real server over stdio, default 5 ms debounce included):`);
    console.log(`  ${lineCount}-line driver: open → diagnostics ${openMs.toFixed(1)} ms (${first.length} diagnostics)`);
    console.log(
      `  ${edits} single-character edits, didChange → publishDiagnostics: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms (target p99 < 20 ms)`,
    );

    // ~1 MB file: time to first diagnostics.
    const big = generateDriver(48000);
    const bigUri = fileUri('/tmp/kport-bench/driver1mb.c');
    const bigWait = session.diagnostics(bigUri, 1, 300_000);
    const b0 = performance.now();
    await session.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: bigUri, languageId: 'c', version: 1, text: big } });
    const bigDiags = await bigWait;
    const firstMs = performance.now() - b0;
    console.log(
      `  ${(big.length / 1e6).toFixed(2)} MB file (${big.split('\n').length} lines): open → first diagnostics ${firstMs.toFixed(1)} ms (${bigDiags.length} diagnostics; target < 300 ms)`,
    );
    return { p50, p95, p99, firstMs };
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  runLspBench().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
