/**
 * The call a porter points at, on a real tree, through the real server (`kport lsp --stdio`): hover every
 * allocation call of the sampled files and report
 *   - how many hovers carry a simulated verdict, and why the others do not (grouped reasons);
 *   - agreement: for each call with a finding that carries a simulated sentence, the hover's verdict word per
 *     scenario, the finding's and kport/simulate's `calls` row must be the same words;
 *   - hover latency p50/p95/p99 (the first hover in a file after its verdicts came, and the rest).
 * Usage: node --import tsx bench/hover-verdicts.ts TREE [--files N] [--min-kib K] [--dump FILE] [--findings CHECK.json] [--read-ms MS] [--hover-gap-ms MS]
 * --hover-gap-ms MS: each hover MS after the previous answer (VS Code asks once the mouse has rested editor.hover.delay,
 * 300 ms); by default at once (the harder case).
 * --dump FILE writes every hover's text (file:line, then the Markdown) to FILE: two runs' dumps diff to nothing
 * when a change leaves every verdict alone.
 * Files: the .c files under TREE with an allocation call, of at least K KiB (default 0), every n-th in path
 * order so that N (default 60) spread over the tree. --findings CHECK.json (`kport check --format json` of the
 * tree): the files instead where a sleep-in-atomic finding carries a simulated sentence, so that the agreement
 * check has findings to compare (the server runs without the workspace index: cross-file findings are absent).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Diagnostic, Hover } from 'vscode-languageserver-protocol';
import type { SimulateResult } from '../core';
import { SIMULATION_ANCHORS } from '../core/kernel/alloc-api';
import { fileUri, startServer } from '../test/support/lsp-client';
import { serverTask, type ServerTask } from './support/server-log';

const SCENARIOS = [
  ['normal', 'normal memory'],
  ['pressure', 'under pressure'],
  ['exhausted', 'exhausted memory'],
] as const;
const CALL = new RegExp(`\\b(${[...SIMULATION_ANCHORS].join('|')})\\s*\\(`, 'g');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}
const figures = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(1)} ms, p95 ${percentile(s, 95).toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms, max ${s[s.length - 1]?.toFixed(1)} ms (n=${s.length})`;
};

function* cFiles(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* cFiles(p);
    else if (e.name.endsWith('.c')) yield p;
  }
}

/** Hover verdict words per scenario ("- under pressure: **sleeps in atomic context** — …"). */
function hoverWords(md: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [key, label] of SCENARIOS) {
    const line = md.split('\n').find((l) => l.startsWith(`- ${label}: `));
    if (!line) return null;
    out[key] = /\*\*([^*]+)\*\*/.exec(line)?.[1] ?? '';
  }
  return out;
}

async function main() {
  const tree = process.argv[2];
  if (!tree || !fs.existsSync(tree)) throw new Error('usage: bench/hover-verdicts.ts TREE [--files N] [--min-kib K]');
  const want = arg('--files', 60);
  const minBytes = arg('--min-kib', 0) * 1024;
  const readMs = arg('--read-ms', 0);
  const hoverGapMs = arg('--hover-gap-ms', 0);
  const all = [...cFiles(path.resolve(tree))].filter(
    (f) =>
      fs.statSync(f).size >= minBytes &&
      /\b(kmalloc|kzalloc|__get_free_pages|mempool_alloc|alloc_pages|kmem_cache_alloc|get_zeroed_page|vmalloc)\s*\(/.test(fs.readFileSync(f, 'latin1')),
  );
  const step = Math.max(1, Math.floor(all.length / want));
  const findingsAt = process.argv.indexOf('--findings');
  const files =
    findingsAt > 0
      ? [
          ...new Set(
            (JSON.parse(fs.readFileSync(process.argv[findingsAt + 1], 'utf8')).diagnostics as { file: string; rule: string; message: string }[])
              .filter((d) => d.rule === 'sleep-in-atomic' && /Simulated on/.test(d.message))
              .map((d) => path.resolve(d.file)),
          ),
        ].slice(0, want)
      : all.filter((_, i) => i % step === 0).slice(0, want);
  console.log(
    `${files.length} files of ${all.length} with allocation calls under ${tree}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}${hoverGapMs ? `; a hover ${hoverGapMs} ms after the last answer` : ''}`,
  );

  const dumpAt = process.argv.indexOf('--dump');
  const dump: string[] = [];
  const s = await startServer({ initializationOptions: { indexWorkspace: false } });
  // KPORT_TRACE=1: the server's main-thread tasks of 2 ms or more (wall clock), to name what a slow hover waited for.
  const tasks: ServerTask[] = [];
  s.conn.onNotification('window/logMessage', (m: { message: string }) => {
    const task = serverTask(m.message);
    if (task) tasks.push(task);
  });
  const first: number[] = [];
  const rest: number[] = [];
  let calls = 0;
  let simulated = 0;
  const notSimulated = new Map<string, number>();
  const missedSites: string[] = [];
  const slowest: { dt: number; where: string; start: number }[] = [];
  let agreeChecked = 0;
  const disagreements: string[] = [];
  let findingsWithoutSentence = 0;
  try {
    for (const file of files) {
      const text = fs.readFileSync(file, 'latin1');
      const uri = fileUri(file);
      let diags: Diagnostic[] = await s.open(uri, text);
      // Wait for the publish that carries the simulated verdicts (it follows the findings within ~200 ms).
      const until = Date.now() + 5000;
      while (diags.some((d) => d.code === 'sleep-in-atomic') && !diags.some((d) => /Simulated on/.test(d.message)) && Date.now() < until)
        diags = await s.diagnostics(uri, undefined, 5000).catch(() => diags);
      // --read-ms: the user reads the file before the first hover (0: hovers at once, the harder case).
      if (readMs) await sleep(readMs);
      const lines = text.split('\n');
      const sims = new Map<number, SimulateResult | null>();
      let firstInFile = true;
      for (let line = 0; line < lines.length; line++) {
        for (const m of lines[line].matchAll(CALL)) {
          // Not a declaration or a macro body: the call must be inside a function (the hover says so either way).
          const pos = { line, character: m.index! + 1 };
          if (hoverGapMs) await sleep(hoverGapMs); // the mouse rests on the call first
          const t0 = performance.now();
          const h = (await s.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: pos })) as Hover | null;
          const dt = performance.now() - t0;
          (firstInFile ? first : rest).push(dt);
          slowest.push({ dt, where: `${path.relative(tree, file)}:${line + 1}`, start: performance.timeOrigin + t0 });
          firstInFile = false;
          const md = h ? (h.contents as { value: string }).value : '';
          if (dumpAt > 0) dump.push(`== ${path.relative(tree, file)}:${line + 1}:${pos.character}`, md);
          if (!/runs in/.test(md)) continue; // not a call in a function body (a prototype, a macro, a comment)
          calls++;
          const words = hoverWords(md);
          if (!words) {
            const why = (/Not simulated: ([^\n]*)/.exec(md)?.[1] ?? 'no verdict lines')
              .replace(/\d+/g, 'N')
              .replace(/`[^`]*`/g, '`…`')
              .slice(0, 90);
            notSimulated.set(why, (notSimulated.get(why) ?? 0) + 1);
            missedSites.push(`${path.relative(tree, file)}:${line + 1}: ${why}`);
            continue;
          }
          simulated++;
          // Agreement with the finding on this line (its simulated sentence) and with kport/simulate.
          const finding = diags.find((d) => d.range.start.line === line && d.code === 'sleep-in-atomic');
          if (!finding) continue;
          if (!/Simulated on/.test(finding.message)) {
            findingsWithoutSentence++;
            continue;
          }
          agreeChecked++;
          const where = `${path.relative(tree, file)}:${line + 1}`;
          for (const [key, label] of SCENARIOS)
            if (!finding.message.includes(`${label}: ${words[key]}`))
              disagreements.push(`${where}: hover ${label} "${words[key]}" vs finding: ${finding.message.slice(0, 160)}`);
          if (!sims.has(line)) sims.set(line, (await s.conn.sendRequest('kport/simulate', { textDocument: { uri }, position: pos })) as SimulateResult | null);
          const row = sims.get(line)?.calls.find((c) => c.line === line + 1);
          if (!row?.verdicts) disagreements.push(`${where}: kport/simulate has no verdicts for the call`);
          else
            for (const [key] of SCENARIOS)
              if (row.verdicts[key].word !== words[key])
                disagreements.push(`${where}: hover ${key} "${words[key]}" vs kport/simulate "${row.verdicts[key].word}"`);
        }
      }
      await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    }
  } finally {
    await s.close();
  }
  if (dumpAt > 0) fs.writeFileSync(process.argv[dumpAt + 1], `${dump.join('\n')}\n`);
  console.log(`allocation calls hovered in function bodies: ${calls}`);
  console.log(`  with a simulated verdict per scenario: ${simulated} (${((100 * simulated) / Math.max(1, calls)).toFixed(1)}%)`);
  for (const [why, n] of [...notSimulated].sort((a, b) => b[1] - a[1])) console.log(`  not simulated (${n}): ${why}`);
  if (process.argv.includes('--list')) for (const m of missedSites) console.log(`    ${m}`);
  console.log(
    `sleep-in-atomic findings on hovered calls, compared word for word: ${agreeChecked}; disagreements: ${disagreements.length}; findings without a simulated sentence: ${findingsWithoutSentence}`,
  );
  for (const d of disagreements.slice(0, 20)) console.log(`  ${d}`);
  console.log(`hover, first in a file: ${figures(first)}`);
  console.log(`hover, the rest:        ${figures(rest)}`);
  console.log(
    `slowest hovers: ${slowest
      .sort((a, b) => b.dt - a.dt)
      .slice(0, 6)
      .map((x) => `${x.where} ${x.dt.toFixed(0)} ms`)
      .join(', ')}`,
  );
  if (tasks.length)
    for (const x of slowest.slice(0, 6)) {
      const during = tasks.filter((t) => t.start < x.start + x.dt && t.start + t.ms > x.start);
      console.log(
        `  ${x.where} ${x.dt.toFixed(1)} ms: ${during.map((t) => `${t.name} ${t.ms.toFixed(1)} @${(t.start - x.start).toFixed(1)}`).join(', ') || 'no task of 2 ms or more'}`,
      );
    }
  console.log(
    `load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
