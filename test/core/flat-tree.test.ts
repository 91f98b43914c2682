/**
 * The IR built from flat copies of the tree (core/parse/flat-tree.ts, the fast path) is the IR built
 * from web-tree-sitter's nodes, for every function of our fixtures and examples, including broken code
 * (ERROR and MISSING nodes) and GNU C.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CParser } from '../../core';
import { buildFunction, scanTopLevel } from '../../core/facts/build-ir';
import { flatten, release } from '../../core/parse/flat-tree';
import { ourSources } from '../support/fixtures';
import { ROOT } from '../support/lsp-client';

async function parser(): Promise<CParser> {
  return CParser.create({
    runtime: fs.readFileSync(path.join(ROOT, 'node_modules/web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(path.join(ROOT, 'node_modules/tree-sitter-c/tree-sitter-c.wasm')),
  });
}

const BROKEN = `static int f(int a)
{
\tif (a > (3 {
\t\treturn kmalloc(a, GFP_KERNEL;
\tx = g(1,, 2);
\tswitch (a) { case 1: h(); default: ; }
}
`;

test('flat copies give the same IR as nodes', async () => {
  const p = await parser();
  let functions = 0;
  for (const { file, text } of [...ourSources(), { file: 'broken', text: BROKEN }]) {
    const parsed = p.parse(text);
    try {
      for (const fn of scanTopLevel(parsed.root).functions) {
        const viaNodes = buildFunction(fn);
        const viaFlat = buildFunction(fn, parsed.parsedText);
        assert.deepEqual(viaFlat, viaNodes, `${file}: function at ${fn.startIndex}`);
        functions++;
      }
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(functions > 100, `checked ${functions} functions`);
});

test('a flat copy has the tree of the node: types, fields, spans and children', async () => {
  const p = await parser();
  const parsed = p.parse('int f(void) { return g(1) + 2; }\n');
  try {
    const fn = scanTopLevel(parsed.root).functions[0];
    const flat = flatten(fn, parsed.parsedText);
    assert.ok(flat, 'flat trees are enabled with the production parser');
    const root = flat.node(0);
    assert.equal(root.type, 'function_definition');
    const ret = root.childForFieldName('body')!.namedChildren[0];
    assert.equal(ret.type, 'return_statement');
    const sum = ret.namedChildren[0];
    assert.equal(sum.type, 'binary_expression');
    assert.equal(sum.childForFieldName('operator')!.text, '+');
    assert.equal(sum.childForFieldName('left')!.text, 'g(1)');
    assert.deepEqual(
      sum.children.map((c) => c.type),
      ['call_expression', '+', 'number_literal'],
    );
    assert.equal(sum.startIndex, parsed.text.indexOf('g(1)'));
    assert.equal(sum.endIndex, parsed.text.indexOf(';'));
  } finally {
    parsed.dispose();
  }
});

test('ERROR and MISSING nodes counted with the cursor equal the count through Node objects', async () => {
  const { countSyntaxErrors, countSyntaxErrorsByNodes } = await import('../../core/parse/parser');
  const { countErrorNodes } = await import('../../core/parse/flat-tree');
  const { loadCorpus, mutant, rand } = await import('../fuzz/mutate');
  const p = await parser();
  const corpus = loadCorpus();
  const r = rand(20261125);
  const texts = [...ourSources().map((s) => s.text), BROKEN, 'int f(void) { return g(1 }\n', ')))((( {{{ ;;; \0 \u00e9'];
  for (let i = 0; i < 150; i++) texts.push(mutant(r, corpus).text);
  let broken = 0;
  for (const text of texts) {
    const parsed = p.parse(text);
    try {
      const expected = countSyntaxErrorsByNodes(parsed.root);
      if (expected) broken++;
      assert.equal(countErrorNodes(parsed.root), expected);
      assert.equal(countSyntaxErrors(parsed.root), expected);
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(broken > 50, `${broken} inputs with syntax errors`);
});

test('the heap walk copies every tree as the cursor walk does: ours, broken, mutated, non-ASCII', async () => {
  const { loadCorpus, mutant, rand } = await import('../fuzz/mutate');
  const p = await parser();
  const corpus = loadCorpus();
  const r = rand(7);
  const texts = [
    ...ourSources().map((s) => s.text),
    BROKEN,
    'int f(void) { return g(1 }\n',
    ')))((( {{{ ;;; \0 \u00e9',
    `/* \u{1d11e} */ int s = "${'y'.repeat(400)}";\n`,
  ];
  for (let i = 0; i < 150; i++) texts.push(mutant(r, corpus).text);
  let nodes = 0;
  for (const text of texts) {
    const parsed = p.parse(text);
    try {
      // Whole files (translation_unit, every kind of node) and each function alone (a root inside).
      for (const root of [parsed.root, ...scanTopLevel(parsed.root).functions]) {
        const viaCursor = flatten(root, parsed.parsedText, 'cursor')!;
        const expected = viaCursor.snapshot();
        nodes += viaCursor.size;
        release(viaCursor);
        const viaHeap = flatten(root, parsed.parsedText, 'heap')!;
        assert.equal(viaHeap.snapshot(), expected, `tree at ${root.startIndex} of: ${text.slice(0, 60)}`);
        release(viaHeap);
      }
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(nodes > 100_000, `${nodes} nodes compared`);
});

test('flatten uses the heap walk with the production parser', async () => {
  const p = await parser();
  const parsed = p.parse('int f(void) { return 0; }\n');
  try {
    const flat = flatten(parsed.root, parsed.parsedText, 'heap');
    assert.ok(flat, 'the heap walk passed its start-up check on tree-sitter-c');
    release(flat!);
  } finally {
    parsed.dispose();
  }
});
