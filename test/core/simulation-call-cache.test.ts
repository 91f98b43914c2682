/** The calls of one function share the extractor's work: a second hover in a function classifies no statement again. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, FileFacts } from '../../core';
import { allocationSites, callExtractor, clearSimulationResults, simulateCall, simulateFunction, simulatorRuns } from '../../core/simulation/run';
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

test("a call's simulation runs without the allocator trace, and reuses the function's traced runs", async () => {
  const p = await getParser();
  const parsedA = p.parse(source);
  const parsedB = p.parse(source);
  const contextEntry = (rule: string) => rule.startsWith('context.');
  try {
    clearSimulationResults();
    // A call hovered first: its runs are outcomes runs, their steps carry no allocator trace.
    const a = analyze(new FileFacts(parsedA, 'drivers/char/ring.c'), { simulate: false }).shared;
    const [, secondA] = allocationSites(a, 0);
    const before = { ...simulatorRuns };
    const hovered = simulateCall(a, 0, secondA.call.span);
    assert.equal(simulatorRuns.trace, before.trace, 'no traced run for a call');
    assert.ok(simulatorRuns.outcomes > before.outcomes);
    const steps = hovered.paths.flatMap((path) => Object.values(path.results).flatMap((r) => r.steps));
    assert.ok(steps.length > 0);
    assert.deepEqual(
      steps.flatMap((st) => st.trace.filter((t) => !contextEntry(t.rule))),
      [],
    );
    // The call is under spin_lock_irqsave with GFP_ATOMIC: ok in normal memory, as with the full trace.
    assert.equal(hovered.verdicts?.normal.kind, 'ok');

    const [firstA] = allocationSites(a, 0);
    simulateCall(a, 0, firstA.call.span);
    const callsAlone = simulatorRuns.outcomes - before.outcomes;

    // The function simulated first (the lens, the view): its calls' runs are its own traced runs where the paths
    // are the same (here all of them), with the same verdicts.
    clearSimulationResults();
    const b = analyze(new FileFacts(parsedB, 'drivers/char/ring.c'), { simulate: false }).shared;
    const [, secondB] = allocationSites(b, 0);
    const beforeFunction = { ...simulatorRuns };
    const fn = simulateFunction(b, 0);
    assert.ok(
      fn.paths.some((path) => path.results.normal.steps.some((st) => st.trace.some((t) => !contextEntry(t.rule)))),
      'the function keeps its trace',
    );
    assert.ok(simulatorRuns.trace > beforeFunction.trace);
    assert.ok(callsAlone > 0);
    assert.equal(simulatorRuns.outcomes - beforeFunction.outcomes, 0, `the calls alone made ${callsAlone} outcomes runs`);
    assert.equal(JSON.stringify(simulateCall(b, 0, secondB.call.span).verdicts), JSON.stringify(hovered.verdicts));
  } finally {
    parsedA.dispose();
    parsedB.dispose();
  }
});
