/** The calls of one function share the extractor's work: a second hover in a function classifies no statement again. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, FileFacts } from '../../core';
import { allocationSites, callExtractor, simulateCall } from '../../core/simulation/run';
import { getParser } from '../support/core';

const source = `#include <linux/slab.h>
#include <linux/spinlock.h>
static spinlock_t ring_lock;
struct ring { char *head; char *tail; int n; };
static int ring_setup(struct ring *r, int n)
{
\tunsigned long flags;
\tif (n <= 0)
\t\treturn -EINVAL;
\tr->head = kmalloc(64, GFP_KERNEL);
\tif (!r->head)
\t\treturn -ENOMEM;
\tspin_lock_irqsave(&ring_lock, flags);
\tif (r->n > 4)
\t\tr->n = 4;
\tr->tail = kmalloc(128, GFP_ATOMIC);
\tspin_unlock_irqrestore(&ring_lock, flags);
\tif (!r->tail) {
\t\tkfree(r->head);
\t\treturn -ENOMEM;
\t}
\treturn 0;
}
`;

test('the second call of a function is extracted with the statements the first one classified', async () => {
  const parsed = (await getParser()).parse(source);
  try {
    const facts = new FileFacts(parsed, 'drivers/char/ring.c');
    const { shared } = analyze(facts, { simulate: false });
    const [first, second] = allocationSites(shared, 0);
    assert.deepEqual([first.call.name, second.call.name], ['kmalloc', 'kmalloc']);
    const extractor = callExtractor(shared);
    const firstSim = simulateCall(shared, 0, first.call.span);
    const afterFirst = extractor.statementsClassified;
    assert.ok(afterFirst > 0, 'the first call classified the statements on its paths');
    const secondSim = simulateCall(shared, 0, second.call.span);
    assert.equal(callExtractor(shared), extractor, 'one extractor per analysis');
    assert.equal(extractor.statementsClassified, afterFirst, 'the second call found every statement on its paths classified');
    // Both calls simulated for themselves: each reaches its own call, in its own context.
    assert.equal(firstSim.line, 10);
    assert.equal(secondSim.line, 16);
    assert.equal(firstSim.context.kind, 'process');
    assert.equal(secondSim.context.kind, 'atomic');
    assert.ok(firstSim.verdicts && secondSim.verdicts);
    assert.equal(secondSim.verdicts.normal.kind, 'ok');
  } finally {
    parsed.dispose();
  }
});

test('a new analysis of the file (an edit) gets a new extractor: nothing is kept across versions', async () => {
  const p = await getParser();
  const parsedA = p.parse(source);
  const parsedB = p.parse(source.replace('kmalloc(128', 'kmalloc(256'));
  try {
    const a = analyze(new FileFacts(parsedA, 'drivers/char/ring.c'), { simulate: false }).shared;
    const b = analyze(new FileFacts(parsedB, 'drivers/char/ring.c'), { simulate: false }).shared;
    assert.notEqual(callExtractor(a), callExtractor(b));
    const [, secondB] = allocationSites(b, 0);
    simulateCall(b, 0, secondB.call.span);
    assert.ok(callExtractor(b).statementsClassified > 0);
    assert.equal(callExtractor(a).statementsClassified, 0);
  } finally {
    parsedA.dispose();
    parsedB.dispose();
  }
});
