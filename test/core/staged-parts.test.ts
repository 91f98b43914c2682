/**
 * A big document's second stage in parts (AnalysisHost completion(), OpenDocument completeInParts) through the
 * real parser: stepped to the end it gives the one-stage analysis; a hover in the middle finishes the remaining
 * parts and the job then reports done; a newer version makes it stale.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisHost, type SourceText } from '../../core';
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
  assert.ok(steps > 40, `${steps} steps: a function's facts a part`);
  const expected = await oneStage();
  assert.ok(expected.some((k) => k.endsWith('sleep-in-atomic')) && expected.some((k) => k.endsWith('gfp-buffer')), expected.join('\n'));
  assert.deepEqual(rules(host), expected);
  assert.equal(host.diagnostics(URI)!.partial, undefined);
});

test('a hover in the middle of the second stage finishes it; the job then reports done', async () => {
  const host = await stagedHost();
  const job = host.completion(URI)!;
  assert.equal(job.step(0), 'more');
  const hover = host.hover(URI, { line: 5, character: 15 });
  assert.match(hover?.markdown ?? '', /kmalloc/);
  assert.equal(job.step(0), 'done');
  assert.deepEqual(rules(host), await oneStage());
});

test('a newer version makes the second stage stale', async () => {
  const host = await stagedHost();
  const job = host.completion(URI)!;
  assert.equal(job.step(0), 'more');
  host.change(URI, 'mydev.c', source(`${DRIVER}\n`, 2));
  assert.equal(job.step(0), 'stale');
  assert.equal(host.completion(URI), undefined, 'the current version is not analyzed yet');
});
