/**
 * Inlined callees are walked once per state and replayed elsewhere (SequenceExtractor.inlined): the paths, their
 * steps and the statement visits charged to the budget are those of walking each call, which the extractor with
 * `replayCallees` off does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, FileFacts } from '../../core';
import { allCalls } from '../../core/facts/ir';
import { type ExtractGoal, SequenceExtractor } from '../../core/simulation/extract';
import { getParser } from '../support/core';

const PROCESS = { kind: 'process', reason: 'process context (may sleep)' } as const;

async function withFile(src: string, body: (facts: FileFacts, extractors: () => { on: SequenceExtractor; off: SequenceExtractor }) => void) {
  const parsed = (await getParser()).parse(src);
  try {
    const facts = new FileFacts(parsed, 'drv.c');
    const { shared } = analyze(facts, { simulate: false });
    body(facts, () => {
      const on = new SequenceExtractor(facts, shared, shared.context);
      const off = new SequenceExtractor(facts, shared, shared.context);
      off.replayCallees = false;
      return { on, off };
    });
  } finally {
    parsed.dispose();
  }
}

const fnIndex = (facts: FileFacts, name: string) => facts.functions.findIndex((f) => f.name === name);
const goalAt = (facts: FileFacts, fn: string, call: string, nth = 0): ExtractGoal => ({
  span: allCalls(facts.functions[fnIndex(facts, fn)]).filter((c) => c.name === call)[nth].span,
  context: PROCESS,
});

// A 2.4-style driver: a helper that takes the card lock around a ring allocation, called from several branches.
const RING_DRIVER = `#include <linux/slab.h>
#include <linux/spinlock.h>
struct card { spinlock_t lock; void *ring; void *stats; int mode; };
static int ring_refill(struct card *c)
{
\tvoid *slot;
\tspin_lock(&c->lock);
\tslot = kmalloc(256, GFP_ATOMIC);
\tif (!slot) {
\t\tspin_unlock(&c->lock);
\t\treturn -1;
\t}
\tkfree(slot);
\tspin_unlock(&c->lock);
\treturn 0;
}
static int card_open(struct card *c, int mode)
{
\tif (mode & 1)
\t\tring_refill(c);
\telse if (mode & 2)
\t\tring_refill(c);
\telse
\t\tring_refill(c);
\tring_refill(c);
\tc->stats = kmalloc(512, GFP_KERNEL);
\tif (!c->stats)
\t\treturn -ENOMEM;
\tring_refill(c);
\treturn 0;
}
`;

test('an inlined callee met again in the same state is replayed, not walked: the same paths and statement visits as walking it', async () => {
  await withFile(RING_DRIVER, (facts, extractors) => {
    const open = fnIndex(facts, 'card_open');
    for (const goal of [undefined, goalAt(facts, 'card_open', 'kmalloc')]) {
      const { on, off } = extractors();
      const replayed = on.extract(open, goal);
      const walked = off.extract(open, goal);
      assert.deepEqual(replayed, walked);
      assert.equal(on.statementVisits, off.statementVisits, 'the budget is charged what the walk would have charged');
      assert.ok(off.calleeWalks >= 5, `walked ${off.calleeWalks} times without replay`);
      // ring_refill() reads of the path it is called on the locks held (none), whether `slot` was allocated before
      // (not at the first call, at the others: the path holds the first call's kmalloc) and, seeking a call, whether
      // the path has reached it: two states, three with a goal.
      assert.equal(on.calleeWalks, goal ? 3 : 2);
      assert.equal(on.calleeWalks + on.calleeReplays, off.calleeWalks);
    }
  });
});

test('a summary is not replayed where its walk would be cut by the budget: the path stops inside the callee as walking it does', async () => {
  // Each call of poll_ring() costs 30-odd statement visits (two ops); 150 of them pass the 4,000 visits a goal's
  // paths may take, not the 400 ops.
  const helper = `\tspin_lock(&r->lock);\n${Array.from({ length: 30 }, (_, i) => `\tif (r->head == ${i})\n\t\tr->head++;`).join('\n')}\n\tspin_unlock(&r->lock);`;
  const src = `#include <linux/slab.h>
#include <linux/spinlock.h>
struct ring { spinlock_t lock; int head; void *buf; };
static void poll_ring(struct ring *r)
{
${helper}
}
static int ring_drain(struct ring *r)
{
${'\tpoll_ring(r);\n'.repeat(150)}\tr->buf = kmalloc(64, GFP_KERNEL);
\treturn 0;
}
`;
  await withFile(src, (facts, extractors) => {
    const { on, off } = extractors();
    const goal = goalAt(facts, 'ring_drain', 'kmalloc');
    const replayed = on.extract(fnIndex(facts, 'ring_drain'), goal);
    const walked = off.extract(fnIndex(facts, 'ring_drain'), goal);
    assert.deepEqual(replayed, walked);
    assert.equal(replayed.simulatedAlone, 'the function is too large to follow the paths to it (4000 statement visits)');
    assert.equal(on.statementVisits, off.statementVisits);
    assert.ok(on.calleeReplays > 0, 'the calls before the budget ran out were replayed');
    assert.ok(on.calleeWalks >= 2, 'the call the budget ends in was walked');
  });
});

test('a summary made while seeking one call is not replayed where the goal lies inside a function it walked', async () => {
  // card_reset() → card_setup() → card_reset() again (inlined to depth 2): a summary of card_setup() made for a goal
  // in card_probe() holds a walk of card_reset(), where the next goal is.
  const src = `#include <linux/slab.h>
struct card { void *buf; void *regs; int state; };
static int card_reset(struct card *c);
static int card_setup(struct card *c)
{
\tif (c->state)
\t\treturn card_reset(c);
\tc->regs = kmalloc(32, GFP_KERNEL);
\treturn 0;
}
static int card_reset(struct card *c)
{
\tcard_setup(c);
\tc->buf = kmalloc(128, GFP_KERNEL);
\treturn 0;
}
static int card_probe(struct card *c)
{
\tcard_setup(c);
\tc->buf = kmalloc(64, GFP_KERNEL);
\treturn 0;
}
`;
  await withFile(src, (facts, extractors) => {
    const { on, off } = extractors();
    const goals: [string, ExtractGoal][] = [
      ['card_probe', goalAt(facts, 'card_probe', 'kmalloc')],
      ['card_reset', goalAt(facts, 'card_reset', 'kmalloc')],
    ];
    for (const [fn, goal] of goals) assert.deepEqual(on.extract(fnIndex(facts, fn), goal), off.extract(fnIndex(facts, fn), goal), fn);
    // The second goal's walk of card_setup() reaches the goal inside its inlined card_reset().
    const reset = on.extract(fnIndex(facts, 'card_reset'), goals[1][1]);
    assert.ok(
      reset.paths.some((p) => p.goalOp >= 0 && p.notes.includes('card_reset() inlined (line 7)')),
      'a path reaches the goal through the inner card_reset()',
    );
  });
});

test('a callee that tests or frees what its caller allocated is walked again once the path allocated it', async () => {
  // card_drop() before the allocation frees memory from elsewhere (no op, no assumption); after it, it frees the
  // path's own buffer behind a NULL test of its result.
  const src = `#include <linux/slab.h>
struct card { void *buf; };
static void card_drop(struct card *c)
{
\tif (c->buf)
\t\tkfree(c->buf);
}
static int card_rebuf(struct card *c, int n)
{
\tcard_drop(c);
\tc->buf = kmalloc(n, GFP_KERNEL);
\tcard_drop(c);
\tcard_drop(c);
\treturn 0;
}
`;
  await withFile(src, (facts, extractors) => {
    const { on, off } = extractors();
    const rebuf = fnIndex(facts, 'card_rebuf');
    const replayed = on.extract(rebuf);
    assert.deepEqual(replayed, off.extract(rebuf));
    // The first card_drop() adds nothing; the next two free the path's buffer where the test says it is there.
    assert.ok(replayed.paths.every((p) => p.ops[0].op === 'kmalloc'));
    assert.deepEqual(
      replayed.paths[0].ops.map((op) => op.op),
      ['kmalloc', 'kfree', 'kfree'],
    );
    // Walked before the kmalloc and after it; the third call, on both paths out of the second, replays that walk.
    assert.equal(on.calleeWalks, 2);
    assert.equal(on.calleeReplays, 2);
  });
});
