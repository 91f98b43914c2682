/**
 * A big document's opening parse a slice at a time (CParser.inSlices): tree-sitter resumes where a slice stopped,
 * the tree equals a whole parse's, other parses can run between two slices, and the bound on the total holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
