/**
 * A big document's second stage in parts (AnalysisHost completion(), OpenDocument completeInParts) through the
 * real parser: stepped to the end it gives the one-stage analysis; a query that needs every finding in the middle
 * finishes the remaining parts and the job then reports done, a hover does not; a newer version makes it stale.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisHost, type SourceText } from '../../core';
import { enabledRules } from '../../core/analyze';
import { getParser } from '../support/core';

// Ours: an interrupt handler that allocates with GFP_KERNEL (needs context), a GFP_BUFFER (needs none), and
// functions that name no trigger (their facts are left to the second stage).
const DRIVER = [
  '#include <linux/slab.h>',
  '#include <linux/interrupt.h>',
  'static void *mydev_buf;',
  'static void mydev_irq(int irq, void *dev_id, struct pt_regs *regs)',
  '{',
  '\tmydev_buf = kmalloc(64, GFP_KERNEL);',
  '}',
  'static int mydev_open(void)',
  '{',
  '\treturn request_irq(9, mydev_irq, 0, "mydev", 0);',
  '}',
  'static void *mydev_scratch(void)',
  '{',
  '\treturn kmalloc(32, GFP_BUFFER);',
  '}',
  ...Array.from({ length: 40 }, (_, i) => `static int mydev_sum${i}(int *v, int n)\n{\n\tint s = 0;\n\twhile (n--)\n\t\ts += v[n] * ${i};\n\treturn s;\n}`),
  '',
].join('\n');

const source = (text: string, version = 1): SourceText => ({ version, getText: () => text });
const URI = 'untitled:mydev.c';
const rules = (host: AnalysisHost) => host.diagnostics(URI)!.diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.rule}`);

async function stagedHost(): Promise<AnalysisHost> {
  const host = new AnalysisHost({ parser: await getParser(), stagedOpenBytes: 0 });
  host.open(URI, 'mydev.c', source(DRIVER));
  const first = host.diagnostics(URI, { staged: true })!;
  assert.equal(first.partial, true);
  assert.ok(!first.diagnostics.some((d) => d.rule === 'sleep-in-atomic'));
  return host;
}

async function oneStage(): Promise<string[]> {
  const host = new AnalysisHost({ parser: await getParser() });
  host.open(URI, 'mydev.c', source(DRIVER));
  return rules(host);
}

test('the second stage stepped a part at a time gives the one-stage analysis', async () => {
  const host = await stagedHost();
  const job = host.completion(URI)!;
  let steps = 1;
  while (job.step(0) === 'more') steps++;
  // A function's facts (with what the context analysis reads of it) a part, the file's facts, the context, then a
  // rule a part: no part is a whole-file analysis.
  assert.ok(steps > 43 + 2 + enabledRules({}).length, `${steps} steps`);
  const expected = await oneStage();
  assert.ok(expected.some((k) => k.endsWith('sleep-in-atomic')) && expected.some((k) => k.endsWith('gfp-buffer')), expected.join('\n'));
  assert.deepEqual(rules(host), expected);
  assert.equal(host.diagnostics(URI)!.partial, undefined);
});

test('a query that needs every finding in the middle of the second stage finishes it; the job then reports done', async () => {
  const host = await stagedHost();
  const job = host.completion(URI)!;
  assert.equal(job.step(0), 'more');
  const actions = host.codeActions(URI, { start: { line: 5, character: 0 }, end: { line: 5, character: 40 } }, { quickFix: true, fixAll: true });
  assert.ok(actions.length > 0);
  assert.equal(job.step(0), 'done');
  assert.deepEqual(rules(host), await oneStage());
});

test("the light bulb's automatic request in the middle of the second stage reads the first stage: its quick fixes, no fix-all, the stage goes on", async () => {
  const host = await stagedHost();
  const job = host.completion(URI)!;
  assert.equal(job.step(0), 'more');
  const all = { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } };
  const actions = host.codeActions(URI, all, { quickFix: true, fixAll: true, automatic: true });
  assert.ok(
    actions.some((a) => /GFP_NOIO|GFP_KERNEL/.test(a.title) && a.diagnostic?.rule === 'gfp-buffer'),
    actions.map((a) => a.title).join('\n'),
  );
  assert.ok(!actions.some((a) => a.diagnostic?.rule === 'sleep-in-atomic'), 'no context finding yet');
  assert.ok(!actions.some((a) => a.kind === 'fixAll' || a.title.startsWith('Fix all')), 'no fix-all of a part');
  assert.equal(job.step(0), 'more', 'the stage was not finished by the request');
  while (job.step(0) === 'more');
  const invoked = host.codeActions(URI, all, { quickFix: true, fixAll: true, automatic: true });
  assert.ok(
    invoked.some((a) => a.diagnostic?.rule === 'sleep-in-atomic'),
    'after the second stage, every finding',
  );
});

test('a hover in the middle of the second stage answers from its focus, and the stage goes on', async () => {
  const host = await stagedHost();
  const job = host.completion(URI)!;
  assert.equal(job.step(0), 'more');
  const hover = host.hover(URI, { line: 5, character: 15 });
  assert.match(hover?.markdown ?? '', /kmalloc/);
  assert.deepEqual(host.lastFocus, { functions: 2, of: 43 }, 'mydev_irq and mydev_open, which registers it');
  assert.equal(job.step(0), 'more');
  while (job.step(0) === 'more');
  assert.deepEqual(rules(host), await oneStage());
  assert.deepEqual(host.hover(URI, { line: 5, character: 15 }), hover);
});

test('lenses asked in the middle of the second stage wait for it (none yet, short), and the stage goes on', async () => {
  const host = await stagedHost();
  const job = host.completion(URI)!;
  assert.equal(job.step(0), 'more');
  const built = host.functionsBuilt(URI);
  assert.deepEqual(host.codeLenses(URI, 1000), { lenses: [], short: true });
  assert.equal(host.functionsBuilt(URI), built, 'no function built by the lens request');
  assert.equal(host.warm(URI), undefined, 'a first stage is not warmed');
  assert.equal(job.step(0), 'more');
  while (job.step(0) === 'more');
  const after = host.codeLenses(URI, 1000);
  assert.equal(after.short, false);
  assert.ok(
    after.lenses.some((l) => l.range.start.line === 3),
    `mydev_irq's lens: ${JSON.stringify(after.lenses)}`,
  );
});

test('a newer version makes the second stage stale', async () => {
  const host = await stagedHost();
  const job = host.completion(URI)!;
  assert.equal(job.step(0), 'more');
  host.change(URI, 'mydev.c', source(`${DRIVER}\n`, 2));
  assert.equal(job.step(0), 'stale');
  assert.equal(host.completion(URI), undefined, 'the current version is not analyzed yet');
});
