/**
 * One truth for focused queries, over a tree: every file with an allocation call is opened staged whatever its
 * size (stagedOpenBytes 0), and each allocation call, and the name of each function holding one, is hovered and
 * simulated (kport/simulate) before the second stage ran (core/ide/document.ts focusedAt: a focus that grows from
 * hover to hover), then again on a host whose analysis is complete, and once more after the staged host's second
 * stage (which adopts the focus's call simulations). Every answer must be the same text.
 *
 *   node --import tsx bench/focus-check.ts PATH... [--files N] [--min-kib K] [--first-only]
 *
 * --min-kib K: only files of at least K KiB (256: those the editor opens staged). *
 * --first-only: a new host per query, so each is a file's first (the focus built for it alone).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AnalysisHost } from '../core/ide/host';
import { SIMULATION_ANCHORS } from '../core/kernel/alloc-api';
import type { Position } from '../core/text/line-index';
import { diskEnv } from '../server/node/headers';
import { decode } from '../server/node/text-file';
import { loadParser } from '../server/node/wasm';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { files: { type: 'string', default: '100000' }, 'min-kib': { type: 'string', default: '0' }, 'first-only': { type: 'boolean', default: false } },
});
const CALL = new RegExp(`\\b(${[...SIMULATION_ANCHORS].join('|')})\\s*\\(`, 'g');

function* cFiles(p: string): Generator<string> {
  if (!fs.statSync(p).isDirectory()) {
    if (p.endsWith('.c')) yield p;
    return;
  }
  for (const e of fs.readdirSync(p).sort()) yield* cFiles(path.join(p, e));
}

async function main(): Promise<void> {
  const parser = await loadParser();
  const hostOf = () => new AnalysisHost({ parser, stagedOpenBytes: 0, envFor: (facts, doc) => diskEnv(facts, doc.path) });
  const minBytes = Number(values['min-kib']) * 1024;
  const files = positionals
    .flatMap((p) => [...cFiles(path.resolve(p))])
    .filter((f) => fs.statSync(f).size >= minBytes && CALL.test(fs.readFileSync(f, 'latin1')) && !(CALL.lastIndex = 0));
  const want = Number(values.files);
  const step = Math.max(1, Math.floor(files.length / want));
  const chosen = files.filter((_, i) => i % step === 0).slice(0, want);
  console.log(
    `${chosen.length} files of ${files.length}; load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  let queries = 0;
  let focused = 0;
  let completed = 0;
  const differ: string[] = [];
  for (const file of chosen) {
    const text = decode(fs.readFileSync(file)).text;
    const uri = `file://${file}`;
    const source = { version: 1, getText: () => text };
    const positions: Position[] = [];
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(CALL)) positions.push({ line: i, character: m.index! + 1 });
    });
    const complete = hostOf();
    complete.open(uri, file, source);
    complete.diagnostics(uri);
    // The function names holding the calls (a hover there simulates the whole function).
    const names = new Set<string>();
    for (const p of positions) {
      const sim = complete.simulate(uri, p, false);
      if (sim) names.add(`${sim.line - 1}:${sim.function}`);
    }
    for (const n of names) {
      const [line, fn] = n.split(':');
      const character = text.split('\n')[Number(line)].indexOf(fn);
      if (character >= 0) positions.push({ line: Number(line), character });
    }
    let staged = hostOf();
    const fresh = () => {
      staged.close(uri);
      staged = hostOf();
      staged.open(uri, file, source);
      if (!staged.diagnostics(uri, { staged: true })?.partial) throw new Error(`${file}: not staged`);
    };
    fresh();
    for (const p of positions) {
      for (const kind of ['hover', 'simulate'] as const) {
        if (values['first-only']) fresh();
        const answer = (h: AnalysisHost) => JSON.stringify(kind === 'hover' ? h.hover(uri, p) : h.simulate(uri, p, false));
        const mine = answer(staged);
        queries++;
        if (staged.lastFocus === 'completed') {
          completed++;
          fresh();
        } else if (staged.lastFocus) focused++;
        if (mine !== answer(complete)) differ.push(`${path.relative(process.cwd(), file)}:${p.line + 1}:${p.character} ${kind}`);
      }
    }
    // The second stage, finished after those queries, adopts their call simulations: its answers must be the same too.
    const job = staged.completion(uri);
    while (job && job.step(1e9) === 'more');
    for (const p of positions)
      for (const kind of ['hover', 'simulate'] as const) {
        const answer = (h: AnalysisHost) => JSON.stringify(kind === 'hover' ? h.hover(uri, p) : h.simulate(uri, p, false));
        queries++;
        if (answer(staged) !== answer(complete))
          differ.push(`${path.relative(process.cwd(), file)}:${p.line + 1}:${p.character} ${kind} after the second stage`);
      }
    staged.close(uri);
    complete.close(uri);
  }
  console.log(`queries ${queries}: focused ${focused}, completed instead ${completed}; different answers ${differ.length}`);
  for (const d of differ.slice(0, 30)) console.log(`  ${d}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
