/**
 * A big document's first stage (OpenDocument.analyze with stage 'local') builds the IR of the functions the rules
 * without context can match in and of those that name them, not the others; completing it gives exactly the
 * one-stage analysis, and the first stage's findings are among its findings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenDocument } from '../../core/ide/document';
import { getParser } from '../support/core';

// Ours: malloc-h and gfp-buffer need no context; sleep-in-atomic needs the lock in ring_grow; ring_stats holds
// no rule's trigger and is named by nothing that does.
const DRIVER = `#include <linux/malloc.h>
#include <linux/spinlock.h>

static spinlock_t ring_lock = SPIN_LOCK_UNLOCKED;
static char *ring;
static int ring_len;

static char *scratch(void)
{
	return kmalloc(64, GFP_BUFFER);
}

static void ring_grow(void)
{
	spin_lock(&ring_lock);
	ring = kmalloc(512, GFP_KERNEL);
	spin_unlock(&ring_lock);
}

static int ring_stats(char *page)
{
	return sprintf(page, "%d\\n", ring_len);
}

static int ring_init(void)
{
	ring_grow();
	return scratch() ? 0 : -1;
}
`;

const source = { version: 1, getText: () => DRIVER };
const key = (f: { rule: string; span: { start: number; end: number }; message: string }) => `${f.rule} ${f.span.start} ${f.message}`;

test('a first stage builds the IR of the functions naming a trigger only; complete() is the one-stage analysis', async () => {
  const parser = await getParser();
  const envFor = () => ({});
  const staged = new OpenDocument(source, 'drivers/x/ring.c');
  const oneStage = new OpenDocument(source, 'drivers/x/ring.c');
  try {
    const first = staged.analyze(parser, {}, envFor, {}, 'local');
    assert.equal(first.partial, true);
    assert.deepEqual(
      first.facts.functions.map((f) => f.name),
      ['scratch', 'ring_grow', 'ring_init'],
    );
    const all = staged.analyze(parser, {}, envFor);
    const expected = oneStage.analyze(parser, {}, envFor);
    assert.equal(all.partial, undefined);
    assert.deepEqual(
      all.facts.functions.map((f) => f.name),
      ['scratch', 'ring_grow', 'ring_stats', 'ring_init'],
    );
    assert.deepEqual(all.findings.map(key), expected.findings.map(key));
    const final = new Set(all.findings.map(key));
    assert.ok(first.findings.length > 0 && first.findings.every((f) => final.has(key(f))));
    assert.ok(all.findings.some((f) => f.rule === 'sleep-in-atomic'));
    assert.ok(!first.findings.some((f) => f.rule === 'sleep-in-atomic'));
  } finally {
    staged.dispose();
    oneStage.dispose();
  }
});
