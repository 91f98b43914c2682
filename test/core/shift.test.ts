/**
 * FunctionCache moves an unchanged function's IR when an edit shifts it. The shape-following shift
 * (file-facts.ts) must move exactly what a walk over every property of every object moves: every
 * {start, end} in the IR, once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CParser } from '../../core';
import { buildFunction, scanTopLevel } from '../../core/facts/build-ir';
import { shiftInPlace } from '../../core/facts/file-facts';
import { ROOT } from '../support/lsp-client';

function shiftEveryProperty(value: unknown, delta: number): void {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) shiftEveryProperty(v, delta);
    return;
  }
  const o = value as Record<string, unknown>;
  if (typeof o.start === 'number' && typeof o.end === 'number') {
    o.start = (o.start as number) + delta;
    o.end = (o.end as number) + delta;
    return;
  }
  for (const k in o) shiftEveryProperty(o[k], delta);
}

test('the IR shift moves every span once, as a walk over every property does', async () => {
  const parser = await CParser.create({
    runtime: fs.readFileSync(path.join(ROOT, 'node_modules/web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(path.join(ROOT, 'node_modules/tree-sitter-c/tree-sitter-c.wasm')),
  });
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.[ch]$/.test(e.name)) files.push(p);
    }
  };
  walk(path.join(ROOT, 'examples'));
  walk(path.join(ROOT, 'test', 'fixtures'));
  let spans = 0;
  for (const file of files) {
    const parsed = parser.parse(fs.readFileSync(file, 'latin1'));
    try {
      for (const node of scanTopLevel(parsed.root).functions) {
        const fn = buildFunction(node, parsed.parsedText);
        if (!fn) continue;
        const expected = structuredClone(fn);
        shiftEveryProperty(expected, 37);
        shiftInPlace(fn, 37);
        assert.deepEqual(fn, expected, `${path.relative(ROOT, file)}: ${fn.name}`);
        spans += JSON.stringify(fn).split('"start"').length - 1;
      }
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(spans > 4000, `${spans} spans moved`);
});
