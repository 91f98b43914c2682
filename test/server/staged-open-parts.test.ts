/**
 * A big document's second stage runs in parts (core/ide/document.ts completeInParts, server.ts completeStaged):
 * a keystroke in another document, sent right after the big document's first publish, is answered before the
 * big document's final publish; that final publish equals a one-stage analysis of the same text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { startServer } from '../support/lsp-client';

/** One 2.4-style function: a spin lock held around a sleeping kmalloc (needs context), and a GFP_BUFFER (needs none). */
function ringFunction(i: number): string {
  return `
static void ring${i}_grow(struct ring *r)
{
	unsigned long flags;
	char *buf;

	spin_lock_irqsave(&r->lock, flags);
	buf = kmalloc(r->size + ${i}, GFP_KERNEL);
	if (buf == NULL) {
		spin_unlock_irqrestore(&r->lock, flags);
		return;
	}
	r->data = buf;
	spin_unlock_irqrestore(&r->lock, flags);
	r->spare = kmalloc(64, GFP_BUFFER);
}
`;
}

/** A function that names nothing the rules look for: the first stage leaves its facts to the second. */
function plainFunction(i: number): string {
  return `
static int ring${i}_used(struct ring *r)
{
	int n = 0, k;

	for (k = 0; k < r->size; k++)
		if (r->data[k] != ${i % 7})
			n += k * ${i};
	return n;
}
`;
}

// A big file (about 250 KiB; staged from 64 KiB here) whose second stage takes many parts: mostly functions the first stage skips.
const BIG = `#include <linux/malloc.h>\n#include <linux/spinlock.h>\n\nstruct ring { spinlock_t lock; int size; char *data; char *spare; };\n${Array.from(
  { length: 1500 },
  (_, i) => (i % 50 ? plainFunction(i) : ringFunction(i)),
).join('')}`;
const SMALL = `#include <linux/slab.h>\n\nstatic char *scratch(void)\n{\n\treturn kmalloc(64, GFP_KERNEL);\n}\n`;

const key = (d: Diagnostic) => `${d.range.start.line + 1}:${d.range.start.character} ${d.code} ${d.message}`;

async function waitFor(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a keystroke in another document is answered between two parts of a big document second stage', async () => {
  const big = 'file:///tmp/kport-staged-parts/big.c';
  const small = 'file:///tmp/kport-staged-parts/small.c';
  const s = await startServer({ initializationOptions: { indexWorkspace: false, stagedOpenBytes: 64 * 1024, verdictDelayMs: 60_000 } });
  let staged: Diagnostic[];
  try {
    await s.open(small, SMALL);
    const first = await s.open(big, BIG);
    // Right after the first publish (the rules without context): a keystroke in the small document.
    const keystroke = s.diagnostics(small, 2, 60_000);
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri: small, version: 2 },
      contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '/* x */\n' }],
    });
    await keystroke;
    await waitFor(() => s.published(big).length >= 2, "the big document's final publish");
    assert.ok(!first.some((d) => d.code === 'sleep-in-atomic'), 'the first publish has the rules without context only');
    const order = s.publishOrder();
    assert.ok(
      order.indexOf(`${small} v2`) < order.indexOf(`${big} v1`, order.indexOf(`${big} v1`) + 1),
      `the keystroke waited for the whole second stage: ${order.join(', ')}`,
    );
    staged = s.published(big)[1].diagnostics;
  } finally {
    await s.close();
  }
  // The same text analyzed in one stage.
  const one = await startServer({ initializationOptions: { indexWorkspace: false, stagedOpenBytes: 1 << 30, verdictDelayMs: 60_000 } });
  try {
    const whole = await one.open(big, BIG);
    assert.equal(one.published(big).length, 1);
    assert.ok(whole.filter((d) => d.code === 'sleep-in-atomic').length === 30, `${whole.length} findings`);
    assert.deepEqual(staged.map(key), whole.map(key));
  } finally {
    await one.close();
  }
});
