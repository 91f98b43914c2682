/**
 * The hovers of bench/hover-verdicts.ts (same files, same calls, same order) answered in process, as the language
 * server's host does (a fresh analysis per file, then hoverAt on each allocation call's name): per-hover CPU time
 * beside wall time, and the garbage collections that land inside hovers. On a loaded machine CPU time is the
 * figure that says what a change did; wall time there includes waiting for a core.
 * --passes P answers every hover P times (a fresh analysis and an empty simulator cache each pass) and reports the
 * last: the first pass also pays for compiling kport's code (the server's first minutes).
 * Usage: node --import tsx bench/hover-cpu.ts TREE [--files N] [--passes P]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { analyze, CParser, FileFacts } from '../core';
import { hoverAt } from '../core/hover';
import { SIMULATION_ANCHORS } from '../core/kernel/alloc-api';
import { clearSimulationResults } from '../core/simulation/run';
import { diskEnv } from '../server/node/headers';

const CALL = new RegExp(`\\b(${[...SIMULATION_ANCHORS].join('|')})\\s*\\(`, 'g');

function* cFiles(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* cFiles(p);
    else if (e.name.endsWith('.c')) yield p;
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const figures = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)}, p95 ${pct(xs, 95).toFixed(1)}, p99 ${pct(xs, 99).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

async function main() {
  const tree = process.argv[2];
  const i = process.argv.indexOf('--files');
  const want = i > 0 ? Number(process.argv[i + 1]) : 60;
  const all = [...cFiles(path.resolve(tree))].filter((f) =>
    /\b(kmalloc|kzalloc|__get_free_pages|mempool_alloc|alloc_pages|kmem_cache_alloc|get_zeroed_page|vmalloc)\s*\(/.test(fs.readFileSync(f, 'latin1')),
  );
  const step = Math.max(1, Math.floor(all.length / want));
  const files = all.filter((_, k) => k % step === 0).slice(0, want);
  const parser = await CParser.create({
    runtime: fs.readFileSync(path.join('node_modules/web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(path.join('node_modules/tree-sitter-c/tree-sitter-c.wasm')),
  });
  // Garbage collections, by the time they started (scavenges are the young generation's).
  const gcs: { start: number; ms: number; scavenge: boolean }[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcs.push({
        start: e.startTime,
        ms: e.duration,
        scavenge: (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR,
      });
  }).observe({ entryTypes: ['gc'] });
  const j = process.argv.indexOf('--passes');
  const passes = j > 0 ? Number(process.argv[j + 1]) : 1;
  let wall: number[] = [];
  let cpu: number[] = [];
  let windows: { from: number; to: number }[] = [];
  let slow: { cpu: number; where: string }[] = [];
  for (let pass = 0; pass < passes; pass++) {
    wall = [];
    cpu = [];
    windows = [];
    slow = [];
    clearSimulationResults();
    for (const file of files) {
      const text = fs.readFileSync(file, 'latin1');
      const parsed = parser.parse(text);
      const facts = new FileFacts(parsed, file);
      const { shared } = analyze(facts, { simulate: false, env: diskEnv(facts, file) });
      const lines = text.split('\n');
      let offset = 0;
      for (const [n, line] of lines.entries()) {
        for (const m of line.matchAll(CALL)) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          const h = hoverAt(facts, offset + m.index! + 1, shared.env, shared);
          const t1 = performance.now();
          const c = process.cpuUsage(c0);
          if (!h || !/runs in/.test(h.markdown)) continue;
          wall.push(t1 - t0);
          cpu.push((c.user + c.system) / 1000);
          windows.push({ from: t0, to: t1 });
          slow.push({ cpu: (c.user + c.system) / 1000, where: `${path.relative(tree, file)}:${n + 1}` });
        }
        offset += line.length + 1;
      }
      parsed.dispose();
    }
  }
  await new Promise((r) => setTimeout(r, 100));
  const inHover = gcs.filter((g) => windows.some((w) => g.start >= w.from && g.start < w.to));
  console.log(
    `${files.length} files, ${cpu.length} hovers on allocation calls in function bodies; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`hover CPU:  ${figures(cpu)}`);
  console.log(`hover wall: ${figures(wall)}`);
  console.log(
    `GCs during hovers: ${inHover.filter((g) => g.scavenge).length} scavenges (${inHover
      .filter((g) => g.scavenge)
      .reduce((a, g) => a + g.ms, 0)
      .toFixed(0)} ms), ${inHover.filter((g) => !g.scavenge).length} other; total hover CPU ${cpu.reduce((a, b) => a + b, 0).toFixed(0)} ms`,
  );
  console.log(
    `most CPU: ${slow
      .sort((a, b) => b.cpu - a.cpu)
      .slice(0, 6)
      .map((s) => `${s.where} ${s.cpu.toFixed(1)}`)
      .join(', ')}`,
  );
}

void main();
