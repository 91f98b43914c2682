/**
 * core/'s layers run one way (ARCHITECTURE.md, "Layers"): every import under core/ — static, re-export or
 * `import()` type — goes to the same layer or a lower one, siblings of one layer do not import each other,
 * no file imports itself through a cycle, and core imports nothing of Node, LSP or VS Code.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/lsp-client';

const CORE = path.join(ROOT, 'core');

/** Bottom to top; a module is in the layer of its folder (or of its own name, at core/'s top). */
const LAYERS: string[][] = [
  ['text', 'sim', 'kernel', 'pause-point'],
  ['parse', 'relevance'],
  ['facts'],
  ['gfp'],
  ['context'],
  ['rules', 'simulation'],
  ['config', 'fix'],
  ['analyze', 'hover'],
  ['scale'],
  ['ide'],
  ['index'],
];

function unitOf(file: string): string {
  const rel = path.relative(CORE, file).split(path.sep);
  return rel.length > 1 ? rel[0] : rel[0].replace(/\.(ts|json)$/, '');
}

function layerOf(unit: string): number {
  const i = LAYERS.findIndex((l) => l.includes(unit));
  assert.ok(i >= 0, `core/${unit} is in no layer of the table (test/core/layers.test.ts and ARCHITECTURE.md)`);
  return i;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function resolveImport(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  assert.fail(`${path.relative(ROOT, from)}: cannot resolve import '${spec}'`);
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
  return [...src.matchAll(IMPORT)].map((m) => m[1]);
}

test('core imports run down the layer table, never across siblings, with no cycle, and nothing of Node, LSP or VS Code', () => {
  const files = sources(CORE);
  const graph = new Map<string, string[]>();
  const problems: string[] = [];
  for (const f of files) {
    const out: string[] = [];
    for (const spec of importsOf(f)) {
      if (!spec.startsWith('.')) {
        if (/^(node:|fs$|path$|vscode)/.test(spec)) problems.push(`${path.relative(ROOT, f)} imports ${spec}: core is pure`);
        continue;
      }
      const to = resolveImport(f, spec);
      if (to.endsWith('.ts')) out.push(to);
      const [a, b] = [unitOf(f), unitOf(to)];
      if (a === b) continue;
      const [la, lb] = [layerOf(a), layerOf(b)];
      if (lb > la) problems.push(`${path.relative(ROOT, f)} → ${path.relative(ROOT, to)}: ${a} (layer ${la}) imports ${b} (layer ${lb}) above it`);
      else if (lb === la) problems.push(`${path.relative(ROOT, f)} → ${path.relative(ROOT, to)}: siblings ${a} and ${b} of layer ${la}`);
    }
    graph.set(f, out);
  }
  // Cycles between files (Tarjan's strongly connected components).
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) problems.push(`import cycle: ${scc.map((x) => path.relative(ROOT, x)).join(' → ')}`);
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  assert.deepEqual(problems, []);
});
