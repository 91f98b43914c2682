/**
 * Edit → diagnostics in process, without JSON-RPC: the analysis host (core/ide) with the server's environment
 * (local headers from disk, an empty workspace index), each open file taking bench/editor.ts's edits (typing
 * bursts at the start of a statement near the middle, a new line with an allocation, that line deleted), each
 * timed from the text change to the LSP diagnostics built. For bisecting the keystroke path: runs on any
 * checkout since the facade landed (and on the one before it, through server/lsp/documents.ts).
 *
 *   node --import tsx bench/edit-loop.ts FILE... [--edits 60] [--rounds 1] [--workspace SUMMARIES.json] [--big] [--gap-ms MS]
 *
 * --workspace: the index's summaries (JSON `{ summaries, files }`, as the index host hands them to the main
 * thread), put in the host's workspace first (the server after indexing). --big: then opens a ~1 MB document
 * made of the files (as bench/editor.ts does), three times, and times open → first diagnostics.
 *
 * Prints p50/p95/p99/max of the edits (after each file's opening), the analysis's own split (parse, facts,
 * rules), the process's CPU time over the edits, and the first round's p99 apart (a fresh process: JIT and
 * first-use caches).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { PerformanceObserver } from 'node:perf_hooks';
import { collectYoungIfWorthIt } from '../server/node/young-gc';
import { loadParser } from '../server/node/wasm';
import { benchEdits } from './support/edits';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    edits: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '1' },
    workspace: { type: 'string' },
    big: { type: 'boolean', default: false },
    'idle-gc': { type: 'boolean', default: false },
    /** The thread sleeps this long after each edit (a typist's pace: what the CPU's caches keep between keys). */
    'gap-ms': { type: 'string', default: '0' },
  },
});
const EDITS = Number(values.edits);
/** The collections (perf_hooks 'gc' entries) and each edit's window, to tell the edits a collection landed in. */
const collections: { start: number; ms: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) collections.push({ start: e.startTime, ms: e.duration });
}).observe({ entryTypes: ['gc'] });
const windows: { start: number; ms: number }[] = [];
const ROUNDS = Number(values.rounds);
const GAP_MS = Number(values['gap-ms']);
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

interface Timing {
  parseMs: number;
  factsMs: number;
  rulesMs: number;
}
/** Opens, changes and answers the diagnostics of a document, on whichever editor core this checkout has. */
interface Editor {
  open(uri: string, doc: TextDocument): void;
  /** The document's LSP diagnostics (built, as the server sends them); the analysis's split when fresh. */
  diagnostics(uri: string, doc: TextDocument, opts?: { staged?: boolean }): { count: number; timing?: Timing; partial?: boolean };
  /** The workspace index's summaries, as the server receives them after indexing. */
  indexed(summaries: unknown[], files: string[]): void;
  close(uri: string): void;
}

const root = path.resolve(import.meta.dirname, '..');
const docsDir = path.join(root, 'dist', 'rules');

async function editor(): Promise<Editor> {
  const parser = await loadParser();
  const { diskEnv } = await import('../server/node/headers');
  if (fs.existsSync(path.join(root, 'core/ide/host.ts'))) {
    const { AnalysisHost } = await import(pathToFileURL(path.join(root, 'core/ide/host.ts')).href);
    const { toDiagnostic } = await import(pathToFileURL(path.join(root, 'server/lsp/convert.ts')).href);
    const host = new AnalysisHost({ parser, envFor: (facts: unknown, d: { path: string }) => diskEnv(facts as never, d.path) });
    return {
      open: (uri, doc) => host.open(uri, new URL(uri).pathname, doc),
      diagnostics(uri, doc, opts) {
        host.change(uri, new URL(uri).pathname, doc);
        const r = host.diagnostics(uri, opts)!;
        const ds = r.diagnostics.map((d: unknown) => toDiagnostic(d, uri, docsDir));
        return { count: ds.length, timing: r.analysis?.fresh ? r.analysis.timing : undefined, partial: r.partial };
      },
      close: (uri) => host.close(uri),
      indexed: (summaries, files) => host.indexed(summaries, files),
    };
  }
  // Before the facade: the server's own OpenDocument and conversion.
  const { OpenDocument } = await import(pathToFileURL(path.join(root, 'server/lsp/documents.ts')).href);
  const { toDiagnostic } = await import(pathToFileURL(path.join(root, 'server/lsp/convert.ts')).href);
  const core = await import(pathToFileURL(path.join(root, 'core/index.ts')).href);
  const index = new core.WorkspaceIndex();
  const open = new Map<string, InstanceType<typeof OpenDocument>>();
  return {
    open: (uri, doc) => open.set(uri, new OpenDocument(doc)),
    diagnostics(uri, doc) {
      const d = open.get(uri)!;
      const fresh = !d.analysis || d.analysis.version !== doc.version;
      d.doc = doc;
      const a = d.analyze(parser, { config: core.mergeConfigs(undefined, undefined), env: { workspace: index }, simulate: false }, {});
      const ds = [
        ...a.findings.map((f: unknown) => toDiagnostic(f, a.lines, uri, docsDir)),
        ...core.renamedSuppressions(doc.getText()).map((r: { id: string }) => r.id),
      ];
      return { count: ds.length, timing: fresh ? a.timing : undefined };
    },
    close: (uri) => {
      open.get(uri)?.parsed?.dispose();
      open.delete(uri);
    },
    indexed: (summaries) => {
      for (const x of summaries) index.update(x);
    },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const fmt = (xs: number[]) =>
  xs.length === 0
    ? 'n=0'
    : `n=${xs.length} p50 ${pct(xs, 50).toFixed(2)} p95 ${pct(xs, 95).toFixed(2)} p99 ${pct(xs, 99).toFixed(2)} max ${Math.max(...xs).toFixed(2)} ms`;

function readText(file: string): string {
  const b = fs.readFileSync(file);
  const u = b.toString('utf8');
  return Buffer.from(u, 'utf8').equals(b) ? u : b.toString('latin1');
}

const edits = (text: string) => benchEdits(text, EDITS);

/** --idle-gc: what the server does when a keystroke's answer is out (v8.ts's young-generation sweep), here at once. */
function idleCollect(): void {
  collectYoungIfWorthIt();
}

async function main(): Promise<void> {
  const ed = await editor();
  if (values.workspace) {
    const w = JSON.parse(fs.readFileSync(values.workspace, 'utf8'));
    ed.indexed(w.summaries, w.files);
  }
  const all: number[] = [];
  const first: number[] = [];
  const split: Record<keyof Timing, number[]> = { parseMs: [], factsMs: [], rulesMs: [] };
  let cpuMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const file of positionals) {
      const uri = pathToFileURL(path.resolve(file)).href;
      let doc = TextDocument.create(uri, 'c', 1, readText(file));
      ed.open(uri, doc);
      ed.diagnostics(uri, doc);
      const cpu0 = process.cpuUsage();
      for (const e of edits(doc.getText())) {
        const t = performance.now();
        const range = { start: doc.positionAt(e.start), end: doc.positionAt(e.end) };
        doc = TextDocument.update(doc, [{ range, text: e.newText }], doc.version + 1);
        const r = ed.diagnostics(uri, doc);
        const ms = performance.now() - t;
        windows.push({ start: t, ms });
        if (values['idle-gc']) idleCollect();
        if (GAP_MS) Atomics.wait(SLEEPER, 0, 0, GAP_MS);
        all.push(ms);
        if (round === 0) first.push(ms);
        if (r.timing) for (const k of Object.keys(split) as (keyof Timing)[]) split[k].push(r.timing[k]);
      }
      const c = process.cpuUsage(cpu0);
      cpuMs += (c.user + c.system) / 1000;
      ed.close(uri);
    }
  }
  console.log(
    `load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`edit → diagnostics: ${fmt(all)}; CPU ${cpuMs.toFixed(0)} ms (${(cpuMs / all.length).toFixed(2)} ms an edit)`);
  if (ROUNDS > 1) console.log(`  first round:      ${fmt(first)}`);
  for (const [k, xs] of Object.entries(split)) console.log(`  ${k.padEnd(8)} ${fmt(xs)}`);
  await new Promise((r) => setTimeout(r, 50)); // the observer's last entries
  const inEdits = windows.map((w) => collections.filter((c) => c.start >= w.start && c.start < w.start + w.ms).reduce((n, c) => n + c.ms, 0));
  const outside = collections.filter((c) => !windows.some((w) => c.start >= w.start && c.start < w.start + w.ms));
  console.log(
    `  collections inside edits: ${inEdits.filter((x) => x > 0).length} of ${windows.length} edits, ${fmt(inEdits.filter((x) => x > 0))}; ` +
      `outside: ${outside.length}, ${outside.reduce((n, c) => n + c.ms, 0).toFixed(0)} ms`,
  );
  if (values.big) openBig(ed);
}

/**
 * didOpen → first diagnostics for a ~1 MB document made of the files (bench/editor.ts's), three times: the
 * server's staged open (the rules that need no context first, then the rest on the same facts), each stage's
 * wall and CPU time and the first stage's split.
 */
function openBig(ed: Editor): void {
  let big = '';
  for (const f of positionals) big += readText(f) + '\n';
  while (big.length < 1_000_000) big += big;
  big = big.slice(0, 1_000_000);
  big = big.slice(0, big.lastIndexOf('\n}\n') + 3);
  const cpuMs = (c: NodeJS.CpuUsage) => ((c.user + c.system) / 1000).toFixed(0);
  for (let i = 0; i < 3; i++) {
    const uri = pathToFileURL(path.resolve(path.dirname(positionals[0]), `kport-bench-1mb-${i}.c`)).href;
    const doc = TextDocument.create(uri, 'c', 1, big);
    const t = performance.now();
    const c0 = process.cpuUsage();
    ed.open(uri, doc);
    const r = ed.diagnostics(uri, doc, { staged: true });
    const c = process.cpuUsage(c0);
    const ms = performance.now() - t;
    const tm = r.timing;
    const t2 = performance.now();
    const c2 = process.cpuUsage();
    const r2 = r.partial ? ed.diagnostics(uri, doc) : r;
    const ms2 = performance.now() - t2;
    console.log(
      `open ${(big.length / 1e6).toFixed(2)} MB → first diagnostics (${r.count}${r.partial ? ', partial' : ''}): ${ms.toFixed(0)} ms, CPU ${cpuMs(c)} ms` +
        (tm ? ` (parse ${tm.parseMs.toFixed(0)}, facts ${tm.factsMs.toFixed(0)}, rules ${tm.rulesMs.toFixed(0)})` : '') +
        (r.partial ? `; second (${r2.count}): ${ms2.toFixed(0)} ms, CPU ${cpuMs(process.cpuUsage(c2))} ms` : ''),
    );
    ed.close(uri);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
