/**
 * A big document's opening parse a slice at a time (CParser.inSlices): tree-sitter resumes where a slice stopped,
 * the tree equals a whole parse's, other parses can run between two slices, and the bound on the total holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisHost, type SourceText } from '../../core';
import { bigDriver } from '../support/big-driver';
import { getParser } from '../support/core';

test('parsed in slices, with other parses between them, the tree is a whole parse’s', async () => {
  const parser = await getParser();
  const { text } = bigDriver();
  const whole = parser.parse(text);
  const sliced = parser.inSlices(text);
  let steps = 0;
  let tree = sliced.step(0.2);
  while (!tree) {
    steps++;
    // Another document's keystroke meanwhile, on the shared parser.
    const other = parser.parse('static int f(void) { return kmalloc(8, GFP_KERNEL) != 0; }\n');
    assert.equal(other.root.hasError, false);
    other.dispose();
    tree = sliced.step(0.2);
  }
  assert.ok(steps >= 3, `a ${text.length}-character text took ${steps + 1} slices`);
  assert.equal(tree.text, text);
  assert.equal(tree.parsedText, whole.parsedText);
  assert.equal(tree.root.toString(), whole.root.toString());
  assert.throws(() => sliced.step(1), /after its end/);
  tree.dispose();
  whole.dispose();
});

test('a sliced parse over its bound throws as a whole parse does, and one dropped midway leaves the parser usable', async () => {
  const parser = await getParser();
  const { text } = bigDriver();
  const bounded = parser.inSlices(text, { maxMs: 1 });
  assert.throws(() => {
    while (!bounded.step(0.5));
  }, /parse exceeded 1 ms/);
  const dropped = parser.inSlices(text);
  assert.equal(dropped.step(0.1), undefined);
  dropped.dispose();
  dropped.dispose();
  const after = parser.parse(text);
  const fresh = parser.inSlices(text);
  let tree = fresh.step(50);
  while (!tree) tree = fresh.step(50);
  assert.equal(tree.root.toString(), after.root.toString());
  tree.dispose();
  after.dispose();
});

test('a big document changed during its opening parse is parsed whole next, as without slices', async () => {
  const host = new AnalysisHost({ parser: await getParser() });
  const uri = 'file:///tmp/kport-sliced/big.c';
  const { text } = bigDriver();
  const source = (t: string, version: number): SourceText => ({ version, getText: () => t });
  host.open(uri, 'big.c', source(text, 1));
  const job = host.opening(uri);
  assert.ok(job, 'a big document opens with a sliced parse');
  assert.equal(job.step(0.2), 'more');
  // The user types at once: the parse of the old text is dropped, and no new one starts.
  const typed = text.replace('card_ring = kmalloc(len, GFP_KERNEL);', 'card_ring = kmalloc(len, GFP_KERNEL); /* x */');
  host.change(uri, 'big.c', source(typed, 2));
  assert.equal(job.step(0.2), 'done');
  assert.equal(host.opening(uri), undefined);
  const first = host.diagnostics(uri, { staged: true });
  assert.equal(first?.version, 2);
  assert.equal(first?.partial, true, 'still the staged first stage');
  // Untouched: a document whose sliced parse completes hands its tree to the first analysis (no parse of its own).
  const other = 'file:///tmp/kport-sliced/other.c';
  host.open(other, 'other.c', source(text, 1));
  const whole = host.opening(other)!;
  while (whole.step(50) === 'more');
  assert.equal(host.opening(other), undefined);
  const published = host.diagnostics(other, { staged: true });
  assert.ok((published?.analysis?.timing.parseMs ?? 1) < 1, `parse ${published?.analysis?.timing.parseMs} ms: the tree was not taken`);
});
