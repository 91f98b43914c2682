/**
 * The editor's warm-up (core/ide/warm-up.ts, AnalysisHost.warmUp): kport's own driver is real kernel-style C that
 * the rules find problems in, large enough for a keystroke's windowed reparse; the job runs a keystroke's work a
 * step and leaves the open documents, their analyses and the workspace index as they were.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisHost, type SourceText } from '../../core';
import { WARM_UP_BLOCKS, warmUpEdits, warmUpOpening } from '../../core/ide/warm-up';
import { countSyntaxErrors } from '../../core/parse/parser';
import { getParser } from '../support/core';

const source = (text: string, version = 1): SourceText => ({ version, getText: () => text });

function applied(): string[] {
  const texts = [warmUpOpening()];
  for (const e of warmUpEdits(texts[0])) {
    const t = texts[texts.length - 1];
    assert.ok(e.start >= 0 && e.start <= e.end && e.end <= t.length, `edit ${texts.length} is inside the text`);
    texts.push(t.slice(0, e.start) + e.newText + t.slice(e.end));
    assert.equal(e.text, texts.at(-1), `edit ${texts.length - 1} says the text it leaves`);
  }
  return texts;
}

test('the warm-up driver: over 32 KiB once pasted, clean C, and findings of the rules a user meets', async () => {
  const texts = applied();
  // The typing ends where it started (the burst and the allocation line are deleted again): after the pastes.
  const pasted = texts.at(-1)!;
  const typingFrom = texts.indexOf(pasted);
  assert.equal(typingFrom, texts.length - 1 - ('warm_count++;'.length + 3), 'the pastes, then the typing');
  assert.equal((pasted.match(/^static int warm_fill_\d+\(/gm) ?? []).length, WARM_UP_BLOCKS);
  assert.ok(pasted.length > 32 * 1024, `${pasted.length} characters: past a keystroke's windowed reparse (parser.ts WINDOW_MIN_TEXT)`);
  const parser = await getParser();
  const parsed = parser.parse(pasted);
  assert.equal(countSyntaxErrors(parsed.root), 0);
  parsed.dispose();
  const host = new AnalysisHost({ parser });
  host.open('untitled:warm.c', 'warm.c', source(pasted));
  const rules = new Set(host.diagnostics('untitled:warm.c')!.diagnostics.map((d) => d.rule));
  for (const r of ['malloc-h', 'gfp-buffer', 'sleep-in-atomic', 'alloc-result-unchecked', 'gfp-nofail', 'mempool-resize'])
    assert.ok(rules.has(r), `${r} among ${[...rules].join(', ')}`);
  // The typing burst is a syntax error for a while (\`warm_count++req->len\`): the path a keystroke takes through one.
  const broken = texts.slice(typingFrom).filter((t) => {
    const p = parser.parse(t);
    const errors = countSyntaxErrors(p.root);
    p.dispose();
    return errors > 0;
  });
  assert.ok(broken.length > 0, 'some keystroke of the burst leaves the statement unparsable');
});

test('warmUp: one keystroke a step, to done, touching no open document nor the index', async () => {
  const parser = await getParser();
  const host = new AnalysisHost({ parser });
  const uri = 'untitled:mine.c';
  host.open(uri, 'mine.c', source('#include <linux/malloc.h>\nvoid f(void) { kmalloc(4, GFP_BUFFER); }\n'));
  const before = host.diagnostics(uri)!;
  const analysis = before.analysis;
  const job = host.warmUp();
  let steps = 0;
  let state: string;
  do {
    state = job.step(0);
    steps++;
  } while (state === 'more' && steps < 1000);
  assert.equal(state, 'done');
  assert.equal(job.error, undefined);
  const edits = [...warmUpEdits(warmUpOpening())].length;
  assert.equal(steps, 1 + edits + 3, 'the opening with the first edit, each other edit, settle, a hover, quick fixes, then done');
  assert.deepEqual(host.openUris(), [uri]);
  const after = host.diagnostics(uri)!;
  assert.equal(after.analysis?.fresh, false, 'the open document was not analyzed again');
  assert.deepEqual(after.diagnostics, before.diagnostics);
  assert.ok(analysis?.fresh);
  assert.equal(host.workspace.size, 0, 'nothing indexed');
  assert.equal(job.step(0), 'done', 'a finished job stays done');
});

test('warmUp stopped early is done, and stays done', async () => {
  const job = new AnalysisHost({ parser: await getParser() }).warmUp();
  assert.equal(job.step(0), 'more');
  assert.equal(job.step(0), 'more');
  job.stop();
  assert.equal(job.step(0), 'done');
  assert.equal(job.step(0), 'done');
  assert.equal(job.error, undefined);
});

test('warmUp without a parser is done at once', () => {
  const job = new AnalysisHost({ parserError: 'no wasm' }).warmUp();
  assert.equal(job.step(0), 'done');
  assert.equal(job.error, undefined);
});
