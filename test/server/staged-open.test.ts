/**
 * A big document opens in two publishes (core/ide HostOptions.stagedOpenBytes): first the findings of the rules
 * that need no context, then all of them; the second only adds to the first, and equals a one-stage analysis.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { startServer } from '../support/lsp-client';

// malloc-h and gfp-buffer need no context; sleep-in-atomic needs it (the spin lock held around kmalloc).
const DRIVER = `#include <linux/malloc.h>
#include <linux/spinlock.h>

static spinlock_t ring_lock = SPIN_LOCK_UNLOCKED;
static char *ring;

static void ring_grow(void)
{
	spin_lock(&ring_lock);
	ring = kmalloc(512, GFP_KERNEL);
	spin_unlock(&ring_lock);
}

static char *scratch(void)
{
	return kmalloc(64, GFP_BUFFER);
}
`;

const key = (d: Diagnostic) => `${d.range.start.line + 1}:${d.range.start.character} ${d.code} ${d.message}`;

async function publishesOfOpen(stagedOpenBytes: number, uri: string, settle: (all: Diagnostic[]) => boolean) {
  const s = await startServer({ initializationOptions: { indexWorkspace: false, stagedOpenBytes, verdictDelayMs: 60_000 } });
  try {
    await s.open(uri, DRIVER);
    const deadline = Date.now() + 10_000;
    while (!settle(s.latest(uri) ?? []) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // A change after the opening: analyzed in one stage (its first publish has every rule's findings).
    const next = s.diagnostics(uri, 2);
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 14, character: 0 }, end: { line: 14, character: 0 } }, text: '\t/* scratch */\n' }],
    });
    const afterEdit = await next;
    return { publishes: s.published(uri).filter((p) => p.version === 1), afterEdit };
  } finally {
    await s.close();
  }
}

test('staged opening: the rules without context first, then a superset equal to the one-stage analysis', async () => {
  const hasSleep = (ds: Diagnostic[]) => ds.some((d) => d.code === 'sleep-in-atomic');
  const oneStage = await publishesOfOpen(1 << 30, 'file:///tmp/kport-staged/one.c', hasSleep);
  assert.equal(oneStage.publishes.length, 1, 'a small document is published once');
  const expected = oneStage.publishes[0].diagnostics.map(key);
  assert.ok(hasSleep(oneStage.publishes[0].diagnostics), expected.join('\n'));
  assert.ok(expected.some((k) => / malloc-h /.test(k)) && expected.some((k) => / gfp-buffer /.test(k)), expected.join('\n'));

  const staged = await publishesOfOpen(0, 'file:///tmp/kport-staged/one.c', hasSleep);
  assert.equal(staged.publishes.length, 2, 'two publishes of version 1');
  const [first, second] = staged.publishes.map((p) => p.diagnostics.map(key));
  // First: exactly the one-stage findings of the rules that need no context.
  assert.deepEqual(
    first,
    expected.filter((k) => !/ sleep-in-atomic /.test(k)),
  );
  // Second: nothing of the first goes away; all of the one-stage analysis, in its order.
  for (const k of first) assert.ok(second.includes(k), `${k} disappeared`);
  assert.deepEqual(second, expected);
  // The edit's single analysis has every rule again.
  assert.ok(hasSleep(staged.afterEdit), staged.afterEdit.map(key).join('\n'));
});

test('a big document parses in slices: a small one opened right after it is answered first, and the big one is whole', async () => {
  const { bigDriver } = await import('../support/big-driver');
  // ~1 MB: its whole parse alone is over 100 ms. GFP_BUFFER: gfp-buffer reads the whole file, so no preview (a parse
  // of part of it) comes first: its first diagnostics wait for the sliced parse.
  const big = `${bigDriver(3000).text}\nstatic int legacy_gfp = GFP_BUFFER;\n`;
  const s = await startServer({ initializationOptions: { indexWorkspace: false, verdictDelayMs: 60_000 } });
  try {
    const order: string[] = [];
    const bigOpen = s.open('file:///tmp/kport-staged/big.c', big).then((ds) => {
      order.push('big');
      return ds;
    });
    // The server has the big document and is at work on it when the small one comes.
    await new Promise((r) => setTimeout(r, 30));
    const smallOpen = s.open('file:///tmp/kport-staged/small.c', DRIVER).then((ds) => {
      order.push('small');
      return ds;
    });
    const [bigFirst, small] = await Promise.all([bigOpen, smallOpen]);
    assert.deepEqual(order, ['small', 'big'], 'the small document waited for the big one’s parse');
    assert.ok(small.some((d) => d.code === 'sleep-in-atomic'));
    // The big document's first stage, then its complete analysis: ring_grow's kmalloc under card_lock is found.
    const deadline = Date.now() + 20_000;
    while (!(s.latest('file:///tmp/kport-staged/big.c') ?? []).some((d) => d.code === 'sleep-in-atomic') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(
      (s.latest('file:///tmp/kport-staged/big.c') ?? []).some((d) => d.code === 'sleep-in-atomic'),
      `big: ${bigFirst.length} first, then ${(s.latest('file:///tmp/kport-staged/big.c') ?? []).map((d) => d.code).join(', ')}`,
    );
  } finally {
    await s.close();
  }
});

test('a big document that can be parsed in part is first answered from that parse: the same findings, then all', async () => {
  const { bigDriver } = await import('../support/big-driver');
  // ~1 MB; malloc-h (no context) finds the #include, sleep-in-atomic (context) card_refill's kmalloc under the lock.
  const big = `#include <linux/malloc.h>\n${bigDriver(3000).text}`;
  const uri = 'file:///tmp/kport-staged/preview.c';
  process.env.KPORT_TRACE = '1'; // the server logs its preview
  const s = await startServer({ initializationOptions: { indexWorkspace: false, verdictDelayMs: 60_000 } });
  delete process.env.KPORT_TRACE;
  const logs: string[] = [];
  s.conn.onNotification('window/logMessage', (m: { message: string }) => logs.push(m.message));
  try {
    const first = await s.open(uri, big);
    const deadline = Date.now() + 20_000;
    while (!(s.latest(uri) ?? []).some((d) => d.code === 'sleep-in-atomic') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      first.map((d) => d.code),
      ['malloc-h'],
    );
    assert.ok(
      logs.some((l) => /^kport: preview of .*preview\.c v1/.test(l)),
      logs.filter((l) => /preview|analysis of/.test(l)).join('\n'),
    );
    // Two publishes of the opening: the preview, then the complete analysis (the first stage, equal to the preview, is not sent again).
    const publishes = s.published(uri).filter((p) => p.version === 1);
    assert.equal(publishes.length, 2, publishes.map((p) => p.diagnostics.map((d) => d.code).join(',')).join(' | '));
    const all = publishes[1].diagnostics.map(key);
    for (const k of first.map(key)) assert.ok(all.includes(k), k);
    assert.ok(publishes[1].diagnostics.some((d) => d.code === 'sleep-in-atomic'));
  } finally {
    await s.close();
  }
});
