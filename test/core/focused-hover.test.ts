/**
 * A hover on a big document before its second stage (core/ide/document.ts focusedAt) builds the facts of the
 * functions it needs only, answers what the complete analysis answers, and leaves the second stage nothing to
 * build again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisHost, type SourceText } from '../../core';
import { bigDriver, positionOf } from '../support/big-driver';
import { getParser } from '../support/core';

const source = (text: string, version = 1): SourceText => ({ version, getText: () => text });
const URI = 'untitled:card.c';

async function openedStaged(text: string, stagedOpenBytes?: number): Promise<AnalysisHost> {
  const host = new AnalysisHost({ parser: await getParser(), stagedOpenBytes });
  host.open(URI, 'card.c', source(text));
  assert.equal(host.diagnostics(URI, { staged: true })?.partial, true, 'a big document opens staged');
  return host;
}

test('the first hover in a big document builds only the facts it needs, and answers as the complete analysis', async () => {
  const { text, functions } = bigDriver();
  assert.ok(text.length >= 256 * 1024);
  const host = await openedStaged(text);
  const builtByFirstStage = host.functionsBuilt(URI)!;
  const call = positionOf(text, 'card_ring = kmalloc', 'kmalloc');
  const hover = host.hover(URI, call);
  assert.ok(hover, 'a hover');
  assert.match(hover.markdown, /atomic/, hover.markdown);
  assert.match(hover.markdown, /spin_lock_irqsave/, hover.markdown);
  // card_refill, card_fill (inlined), card_ioctl and card_dispatch (its callers): not the 850 others.
  assert.deepEqual(host.lastFocus, { functions: 4, of: functions });
  const built = host.functionsBuilt(URI)!;
  assert.ok(built <= builtByFirstStage + 4, `the hover built ${built - builtByFirstStage} functions' facts`);
  assert.ok(built < functions / 2, `${built} of ${functions} functions' facts built`);

  // The function's name: its whole simulation, from the same focus.
  const name = positionOf(text, 'static void card_refill', 'card_refill');
  const nameHover = host.hover(URI, name);
  assert.equal(host.functionsBuilt(URI), built, 'a second hover in the focus builds nothing');

  // The same answers from the complete analysis (a host that analyzes the document in one stage).
  const whole = new AnalysisHost({ parser: await getParser() });
  whole.open(URI, 'card.c', source(text));
  whole.diagnostics(URI);
  assert.deepEqual(hover, whole.hover(URI, call));
  assert.deepEqual(nameHover, whole.hover(URI, name));
  assert.deepEqual(host.simulate(URI, call, false), whole.simulate(URI, call, false));

  // The second stage builds the rest, none of the hover's again, and then answers the same.
  const job = host.completion(URI)!;
  while (job.step(5) === 'more');
  assert.equal(host.functionsBuilt(URI), functions, 'each function built once');
  assert.equal(host.diagnostics(URI)?.partial, undefined);
  assert.deepEqual(host.hover(URI, call), hover);
  assert.equal(host.lastFocus, undefined, 'the complete analysis answered');
});

test('a hover whose function is named by most of the file completes the analysis instead', async () => {
  // Every filler calls card_log(): a hover in it would need the whole file's facts.
  const { text: base, functions } = bigDriver(300);
  const text = `static void card_log(int v)\n{\n\tchar *p = kmalloc(v, GFP_ATOMIC);\n\tkfree(p);\n}\n${base.replace(/\treturn v;\n/g, '\tcard_log(v);\n\treturn v;\n')}`;
  const host = await openedStaged(text, 0);
  const call = positionOf(text, 'char *p = kmalloc', 'kmalloc');
  const hover = host.hover(URI, call);
  assert.equal(host.lastFocus, 'completed');
  assert.equal(host.diagnostics(URI)?.partial, undefined, 'the analysis is complete');
  assert.equal(host.functionsBuilt(URI), functions + 1);
  assert.match(hover?.markdown ?? '', /process context/);
});

test('a hover in another function gets a focus of its own, not the union with the last one; a focus held is used again', async () => {
  const { text, functions } = bigDriver();
  const host = await openedStaged(text);
  const stat = positionOf(text, 'static int card_stat_7(', 'card_stat_7');
  const call = positionOf(text, 'card_ring = kmalloc', 'kmalloc');
  const statHover = host.hover(URI, stat);
  assert.deepEqual(host.lastFocus, { functions: 1, of: functions }, 'card_stat_7 alone: nothing names it');
  const hover = host.hover(URI, call);
  assert.deepEqual(host.lastFocus, { functions: 4, of: functions }, "the call's four functions, without card_stat_7");
  const built = host.functionsBuilt(URI);
  assert.deepEqual(host.hover(URI, stat), statHover);
  assert.deepEqual(host.lastFocus, { functions: 1, of: functions }, "card_stat_7's focus again");
  assert.equal(host.functionsBuilt(URI), built);
  const whole = new AnalysisHost({ parser: await getParser() });
  whole.open(URI, 'card.c', source(text));
  whole.diagnostics(URI);
  assert.deepEqual(hover, whole.hover(URI, call));
  assert.deepEqual(statHover, whole.hover(URI, stat));
});
