/**
 * core/ide's analysis host through the real parser: its queries answer plain data, a newer version stops the
 * work done when typing pauses, a cancelled lens request stops simulating, and the lens's and the view's
 * simulations of one function share one extraction.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, AnalysisHost, FileFacts, type SourceText } from '../../core';
import { MAX_DIAGNOSTICS } from '../../core/ide/host';
import type { Finding } from '../../core/rules/types';
import { simulateFunction } from '../../core/simulation/run';
import { getParser } from '../support/core';

// Ours: a 2.4 driver whose interrupt handler allocates with GFP_KERNEL.
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
  '',
].join('\n');

const source = (text: string, version = 1): SourceText => ({ version, getText: () => text });
const URI = 'untitled:mydev.c';

async function hostWith(text: string): Promise<AnalysisHost> {
  const host = new AnalysisHost({ parser: await getParser() });
  host.open(URI, 'mydev.c', source(text));
  return host;
}

test('diagnostics are plain data with line/character ranges; code actions carry their edits and the finding', async () => {
  const host = await hostWith(DRIVER);
  const r = host.diagnostics(URI)!;
  assert.equal(r.version, 1);
  assert.equal(r.analysis?.fresh, true);
  const d = r.diagnostics.find((x) => x.rule === 'sleep-in-atomic')!;
  assert.deepEqual(d.range, { start: { line: 5, character: 25 }, end: { line: 5, character: 35 } });
  assert.equal(DRIVER.split('\n')[5].slice(25, 35), 'GFP_KERNEL');
  assert.equal(host.diagnostics(URI)?.analysis?.fresh, false, 'the same version is not analyzed again');
  const actions = host.codeActions(URI, d.range, { quickFix: true, fixAll: false });
  const preferred = actions.find((a) => a.isPreferred)!;
  assert.equal(preferred.kind, 'quickfix');
  assert.equal(preferred.diagnostic?.rule, 'sleep-in-atomic');
  assert.deepEqual(preferred.edits, [{ range: d.range, newText: 'GFP_ATOMIC' }]);
  const suppress = actions.find((a) => a.title === 'Suppress sleep-in-atomic on this line (kport-ignore)')!;
  assert.deepEqual(suppress.edits, [
    { range: { start: { line: 5, character: 0 }, end: { line: 5, character: 0 } }, newText: '\t/* kport-ignore sleep-in-atomic */\n' },
  ]);
  assert.equal(host.codeActions('untitled:not-open.c', d.range, { quickFix: true, fixAll: true }).length, 0);
  host.close(URI);
});

test('the verdicts and warming jobs stop as stale when a newer version of the document arrives', async () => {
  const host = await hostWith(DRIVER);
  host.diagnostics(URI);
  const verdicts = host.verdicts(URI);
  assert.ok(verdicts, 'the sleep-in-atomic finding waits for its simulated verdict');
  const warm = host.warm(URI)!;
  assert.ok(warm);
  assert.equal(host.warm(URI), undefined, 'one warming per version');
  host.change(URI, 'mydev.c', source(DRIVER.replace('64', '128'), 2));
  assert.equal(verdicts.step(1000), 'stale');
  assert.equal(warm.step(0), 'stale');
  // The new version's verdicts run to the end and land in its diagnostics.
  host.diagnostics(URI);
  const again = host.verdicts(URI)!;
  let state = again.step(1000);
  while (state === 'more') state = again.step(1000);
  assert.equal(state, 'done');
  assert.equal(host.verdicts(URI), undefined, 'nothing left to add');
  const d = host.diagnostics(URI)!.diagnostics.find((x) => x.rule === 'sleep-in-atomic')!;
  assert.match(d.message, /simulat/i);
  host.close(URI);
});

test('the verdicts job stops between the parts of one call (extraction, each path): stepped part by part, it adds the verdicts the CLI gives', async () => {
  // Ours: two interrupt handlers allocating with GFP_KERNEL, one of them on two paths.
  const text = [
    '#include <linux/slab.h>',
    '#include <linux/interrupt.h>',
    'static void *mydev_buf, *mydev_log;',
    'static int mydev_busy;',
    'static void mydev_irq(int irq, void *dev_id, struct pt_regs *regs)',
    '{',
    '\tif (mydev_busy)',
    '\t\tmydev_log = kmalloc(32, GFP_ATOMIC);',
    '\tmydev_buf = kmalloc(64, GFP_KERNEL);',
    '}',
    'static void mydev_timer_irq(int irq, void *dev_id, struct pt_regs *regs)',
    '{',
    '\tmydev_log = kmalloc(4096, GFP_KERNEL);',
    '}',
    'static int mydev_open(void)',
    '{',
    '\treturn request_irq(9, mydev_irq, 0, "mydev", 0) || request_irq(10, mydev_timer_irq, 0, "mydev", 0);',
    '}',
    '',
  ].join('\n');
  const host = await hostWith(text);
  host.diagnostics(URI);
  const job = host.verdicts(URI)!;
  let steps = 1;
  let state = job.step(0);
  // Bounded: a job whose zero-budget step did nothing would never end.
  for (; state === 'more' && steps < 100; state = job.step(0)) steps++;
  assert.equal(state, 'done');
  const findings = host.diagnostics(URI)!.diagnostics.filter((d) => d.rule === 'sleep-in-atomic');
  assert.equal(findings.length, 2);
  // Each call: its extraction, one step per path, then its verdict (one piece per finding before).
  assert.ok(steps >= 2 * 3, `${steps} steps for 2 findings`);
  const parsed = (await getParser()).parse(text);
  let cli: Finding[];
  try {
    cli = analyze(new FileFacts(parsed, 'mydev.c'), {}).findings.filter((f) => f.rule === 'sleep-in-atomic');
  } finally {
    parsed.dispose();
  }
  assert.deepEqual(
    findings.map((d) => d.message),
    cli.map((f) => f.message),
  );
  assert.match(findings[0].message, /Simulated on Linux 2\.6\.11/);
  host.close(URI);
});

test('warming simulates each allocation call, one a step, then each function in parts: a hover waits for one step at most', async () => {
  // Ours: one function, two allocations and a free (not an allocation: nothing of its own to simulate).
  const text = [
    '#include <linux/slab.h>',
    'static int mydev_setup(void)',
    '{',
    '\tchar *a = kmalloc(64, GFP_KERNEL);',
    '\tchar *b = kmalloc(128, GFP_KERNEL);',
    '\tkfree(a);',
    '\treturn b != 0;',
    '}',
    '',
  ].join('\n');
  const host = await hostWith(text);
  host.diagnostics(URI);
  const warm = host.warm(URI)!;
  const steps: string[] = [];
  // A lens request that may simulate nothing says whether the function is simulated yet (short: not yet).
  const functionDone = () => !host.codeLenses(URI, -1, () => true).short;
  for (let state = warm.step(0); state === 'more'; state = warm.step(0)) steps.push(functionDone() ? 'function done' : 'not yet');
  // Each allocation in parts (its extraction, its one path's runs), then the function's extraction, its one
  // path's simulator runs, and its result from them.
  assert.deepEqual(steps, ['not yet', 'not yet', 'not yet', 'not yet', 'not yet', 'not yet', 'function done']);
  host.close(URI);
});

test('a cancelled lens request simulates nothing more and says it is short; a later one finds the lens', async () => {
  const host = await hostWith(DRIVER);
  const cancelled = host.codeLenses(URI, 1000, () => true);
  assert.deepEqual(cancelled, { lenses: [], short: true });
  const full = host.codeLenses(URI, 10_000);
  assert.equal(full.short, false);
  assert.equal(full.lenses.length, 1);
  assert.deepEqual(full.lenses[0].range, { start: { line: 3, character: 12 }, end: { line: 3, character: 21 } });
  assert.match(full.lenses[0].title, /^▶ Simulate: 1 problem/);
  host.close(URI);
});

test('the lens (no snapshots) and the view (all snapshots) simulate one extraction of the function', async () => {
  const parsed = (await getParser()).parse(DRIVER);
  try {
    const { shared } = analyze(new FileFacts(parsed, 'mydev.c'), { simulate: false });
    const fi = 0; // mydev_irq
    const lens = simulateFunction(shared, fi, 'none');
    const view = simulateFunction(shared, fi, 'all');
    assert.equal(view.fn, 'mydev_irq');
    assert.ok(lens.paths.length > 0);
    assert.equal(lens.paths[0].ops, view.paths[0].ops, 'one extraction');
    assert.notEqual(lens.paths[0].results, view.paths[0].results, 'two runs of the simulator (snapshots differ)');
  } finally {
    parsed.dispose();
  }
});

test('a document with more findings than an editor shows answers MAX_DIAGNOSTICS, the last saying how many more; their fixes stay', async () => {
  const n = MAX_DIAGNOSTICS + 205;
  const lines = [
    '#include <linux/slab.h>',
    'static void *bufs[2048];',
    'void fill_all(void)',
    '{',
    ...Array.from({ length: n }, (_, i) => `\tbufs[${i}] = kmalloc(16, GFP_BUFFER);`),
    '}',
    '',
  ];
  const host = await hostWith(lines.join('\n'));
  const ds = host.diagnostics(URI)!.diagnostics;
  assert.equal(ds.length, MAX_DIAGNOSTICS);
  assert.ok(ds.slice(0, -1).every((d) => d.rule === 'gfp-buffer'));
  const note = ds[ds.length - 1];
  assert.equal(note.severity, 'info');
  assert.equal(note.rule, undefined);
  assert.match(note.message, /^kport: 206 more findings in this file from here on are not shown/);
  // At the first finding not shown: the 1,000th allocation's line.
  assert.equal(note.range.start.line, 4 + MAX_DIAGNOSTICS - 1);
  // A finding past the cap still has its quick fix.
  const last = 4 + n - 1;
  const at = { start: { line: last, character: lines[last].indexOf('GFP_BUFFER') }, end: { line: last, character: lines[last].indexOf('GFP_BUFFER') + 10 } };
  assert.ok(host.codeActions(URI, at, { quickFix: true, fixAll: false }).some((a) => a.kind === 'quickfix' && a.diagnostic?.rule === 'gfp-buffer'));
  host.close(URI);
});
