/**
 * The editor on a real tree, as a user meets it: the real server (`kport lsp --stdio`) over JSON-RPC with the
 * whole tree as its workspace, on real files of the tree. Three phases:
 *   1. while indexing (an empty index cache),
 *   2. after indexing,
 *   3. reopened: a new server on the same cache (time until its index is ready).
 * In each: per file, typing bursts inside a function, a new line with an allocation, a deleted line — each
 * edit timed from didChange to the publishDiagnostics of its version — and a hover on every allocation call.
 * Then: didOpen → first diagnostics for a ~1 MB file made of the tree's own files, `kport check` on the same
 * tree, and the server's peak RSS. p50/p95/p99/max, with the load average. With KPORT_TRACE=1 the server's
 * own split of each edit's analysis (parse, facts, rules, publish) is printed too.
 *
 *   node --import tsx bench/editor.ts TREE [--files a.c,b.c] [--edits 60] [--hover-files 50] [--index-alone] [--no-cli] [--workers N] [--read-ms MS]
 *     [--key-gap-ms MS] [--hover-gap-ms MS]
 *
 * By default every request goes out the moment the previous one is answered (the harder case). A person's pace:
 * --key-gap-ms sends each keystroke MS after the one before it (a fast typist: 100), --hover-gap-ms each hover MS
 * after the previous answer (VS Code asks for a hover once the mouse has rested editor.hover.delay, 300 ms).
 *
 * Files default to the tree's files of 70–300 KiB that call an allocator (the first 4 by path, and the
 * two the issue names when present). Hovers also go to every allocation call of --hover-files more files
 * (default 50, spread over the tree: every k-th file that calls an allocator).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { expandPaths } from '../server/check/files';
import { fileUri, KPORT_BIN, startServer, type LspSession } from '../test/support/lsp-client';
import { serverTask, type ServerTask } from './support/server-log';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'index-alone': { type: 'boolean', default: false },
    files: { type: 'string' },
    edits: { type: 'string', default: '60' },
    'hover-files': { type: 'string', default: '50' },
    'no-cli': { type: 'boolean', default: false },
    workers: { type: 'string' },
    'read-ms': { type: 'string', default: '0' },
    /** Appends each edit of each phase (file, version, latency, own analysis) as a JSON line to this file. */
    dump: { type: 'string' },
    /** A fresh server with indexing off, one phase: what phase 1 is without an index running beside it. */
    'no-index': { type: 'boolean', default: false },
    'key-gap-ms': { type: 'string', default: '0' },
    'hover-gap-ms': { type: 'string', default: '0' },
  },
});
if (positionals.length !== 1) {
  console.error(
    'usage: node --import tsx bench/editor.ts TREE [--files a.c,b.c] [--edits N] [--hover-files N] [--index-alone] [--no-cli] [--workers N] [--read-ms MS] [--key-gap-ms MS] [--hover-gap-ms MS] [--dump FILE] [--no-index]',
  );
  process.exit(2);
}
const TREE = path.resolve(positionals[0]);
const EDITS = Number(values.edits);
const KEY_GAP_MS = Number(values['key-gap-ms']);
const HOVER_GAP_MS = Number(values['hover-gap-ms']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** When the last keystroke was sent (--key-gap-ms paces the next from it). */
let lastKey = Number.NEGATIVE_INFINITY;
const ALLOC =
  /\b(kmalloc|kzalloc|kcalloc|vmalloc|__get_free_pages?|get_zeroed_page|alloc_pages|__alloc_pages|mempool_alloc|mempool_create|mempool_destroy|kmem_cache_alloc|alloc_skb|dev_alloc_skb|pci_alloc_consistent)\s*\(/g;

function pickFiles(): string[] {
  if (values.files) return values.files.split(',').map((f) => path.resolve(TREE, f));
  const named = ['drivers/net/wan/lmc/lmc_main.c', 'drivers/scsi/aic7xxx/aic7xxx_osm.c'].map((f) => path.join(TREE, f)).filter((f) => fs.existsSync(f));
  const { files } = expandPaths([TREE]);
  const sized = files.filter((f) => {
    const n = fs.statSync(f).size;
    return f.endsWith('.c') && n >= 70 * 1024 && n <= 300 * 1024 && !named.includes(f) && new RegExp(ALLOC.source).test(fs.readFileSync(f, 'latin1'));
  });
  return [...named, ...sized.slice(0, 4 - Math.min(named.length, 2))];
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const fmt = (xs: number[]) =>
  xs.length
    ? `n=${xs.length} p50 ${pct(xs, 50).toFixed(1)} p95 ${pct(xs, 95).toFixed(1)} p99 ${pct(xs, 99).toFixed(1)} max ${Math.max(...xs).toFixed(1)} ms`
    : 'n=0';
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** KPORT_TRACE=1: the server's analysis times by stage, over the run. */
const serverSplit: Record<string, number[]> = {};
/**
 * KPORT_TRACE=1: the server's background tasks of 2 ms or more (name, start on the wall clock, duration), and each
 * edit's window on the wall clock: an edit slower than 20 ms is put down to the longest task that overlapped it.
 */
const tasks: ServerTask[] = [];
const editWindows: { start: number; end: number; key: string }[] = [];
/** KPORT_TRACE=1: each edit's own analysis in the server (`path vN` → ms): the rest of its latency is waiting. */
const ownWork = new Map<string, number>();

interface Session {
  s: LspSession;
  indexed: Promise<number>;
  indexDone: () => boolean;
  t0: number;
}

async function start(cacheDir: string): Promise<Session> {
  const t0 = performance.now();
  const s = await startServer({
    rootDir: TREE,
    initializationOptions: {
      cacheDir,
      settings: values['no-index'] ? { index: { enabled: false } } : values.workers ? { index: { workers: Number(values.workers) } } : undefined,
    },
  });
  let done = false;
  const indexed = new Promise<number>((resolve) =>
    s.conn.onNotification('window/logMessage', (m: { message: string }) => {
      // KPORT_TRACE=1: the server's own split of each analysis.
      // (Edits only: version 1 is a file's opening, a whole parse.)
      const t = /analysis of .* v(\d+) \(.*\): ([\d.]+) ms \(parse ([\d.]+), facts ([\d.]+), rules ([\d.]+), publish ([\d.]+)\)/.exec(m.message);
      if (t && Number(t[1]) > 1) ['total', 'parse', 'facts', 'rules', 'publish'].forEach((k, i) => (serverSplit[k] ??= []).push(Number(t[i + 2])));
      const own = /analysis of (\S+) v(\d+) .*?: ([\d.]+) ms \(parse/.exec(m.message);
      if (own) ownWork.set(`${own[1]} v${own[2]}`, Number(own[3]));
      const task = serverTask(m.message);
      if (task) tasks.push(task);
      // KPORT_TRACE=1: what the index's hand-over cost and how soon its holds reached the workers.
      if (/^kport: index handed over/.test(m.message)) console.log(`  [server] ${m.message}`);
      if (/^kport: indexed/.test(m.message)) {
        done = true;
        console.log(`  [server] ${m.message}`);
        resolve(performance.now() - t0);
      }
    }),
  );
  return { s, indexed, indexDone: () => done, t0 };
}

/** The peak RSS of the server's child processes (the index host), sampled every 250 ms while `pid` lives. */
function watchChildren(pid: number): () => number {
  let peak = 0;
  const t = setInterval(() => {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${c}/status`, 'utf8'))?.[1] ?? 0);
        peak = Math.max(peak, kb / 1024);
      }
    } catch {
      /* gone meanwhile */
    }
  }, 250);
  t.unref();
  return () => peak;
}

function rssPeakMb(pid: number): number {
  try {
    const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(st)![1]) / 1024;
  } catch {
    return NaN;
  }
}

/** Decodes as the server's client would (UTF-8 unless it does not round-trip, then Latin-1). */
function readText(file: string): string {
  const b = fs.readFileSync(file);
  const u = b.toString('utf8');
  return Buffer.from(u, 'utf8').equals(b) ? u : b.toString('latin1');
}

interface Samples {
  edits: number[];
  hovers: number[];
  /** textDocument/codeLens after each typing burst (VS Code asks when typing pauses). */
  lenses: number[];
  /** Samples taken while the index was still running. */
  duringIndex: { edits: number[]; hovers: number[] };
}

/** One file: the edit bursts and a hover on each allocation call. */
async function exercise(sess: Session, file: string, out: Samples): Promise<void> {
  const { s } = sess;
  const uri = fileUri(file);
  let text = readText(file);
  let version = 1;
  await s.open(uri, text, version);
  // --read-ms: the user reads the file before typing (0: types at once, the harder case).
  if (Number(values['read-ms'])) await sleep(Number(values['read-ms']));
  const lines = text.split('\n');
  // A line inside a function body, near the middle of the file: the first line after the middle that is indented
  // and ends with ';'.
  let at = Math.floor(lines.length / 2);
  while (at < lines.length - 1 && !/^\s+.*;\s*$/.test(lines[at])) at++;
  const offsetOfLine = (l: number) =>
    text
      .split('\n')
      .slice(0, l)
      .reduce((n, x) => n + x.length + 1, 0);
  const record = (ms: number, kind: 'edits' | 'hovers') => {
    out[kind].push(ms);
    if (!sess.indexDone()) out.duringIndex[kind].push(ms);
  };
  async function change(
    range: { start: { line: number; character: number }; end: { line: number; character: number } },
    newText: string,
    apply: (t: string) => string,
  ) {
    version++;
    text = apply(text);
    // A typist's pace: this keystroke MS after the last one (at once if its answer came later than that).
    if (KEY_GAP_MS > 0) await sleep(lastKey + KEY_GAP_MS - performance.now());
    const p = s.diagnostics(uri, version, 60_000);
    const t = performance.now();
    lastKey = t;
    await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text: newText }] });
    await p;
    record(performance.now() - t, 'edits');
    editWindows.push({ start: performance.timeOrigin + t, end: performance.timeOrigin + performance.now(), key: `${file} v${version}` });
  }
  const typed = 'xyz_counter++ ';
  for (let i = 0; i < EDITS; i++) {
    const kind = i % 20;
    const line = at;
    if (kind < 14) {
      // Typing a burst at the start of the line's statement.
      const col = lines[line].length - lines[line].trimStart().length;
      const ch = typed[kind % typed.length];
      const off = offsetOfLine(line) + col + (kind % typed.length);
      await change(
        { start: { line, character: col + (kind % typed.length) }, end: { line, character: col + (kind % typed.length) } },
        ch,
        (t) => t.slice(0, off) + ch + t.slice(off),
      );
      if (kind === 13) {
        // Delete what was typed (as one edit: a selection deleted).
        const start = offsetOfLine(line) + col;
        await change({ start: { line, character: col }, end: { line, character: col + 14 } }, '', (t) => t.slice(0, start) + t.slice(start + 14));
        // Typing paused: the editor asks for code lenses.
        const t = performance.now();
        await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } });
        out.lenses.push(performance.now() - t);
      }
    } else if (kind === 14) {
      const ins = '\tp_bench = kmalloc(64, GFP_KERNEL);\n';
      const off = offsetOfLine(line);
      await change({ start: { line, character: 0 }, end: { line, character: 0 } }, ins, (t) => t.slice(0, off) + ins + t.slice(off));
      const end = off + ins.length;
      await change({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, '', (t) => t.slice(0, off) + t.slice(end));
    }
  }
  await hoverCalls(sess, uri, text, out);
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
}

/** A hover on every allocation call of `text` (the open document `uri`). */
async function hoverCalls(sess: Session, uri: string, text: string, out: Samples): Promise<void> {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  for (const m of text.matchAll(new RegExp(ALLOC.source, 'g'))) {
    const off = m.index! + 1;
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    if (HOVER_GAP_MS > 0) await sleep(HOVER_GAP_MS); // the mouse rests on the call before the editor asks
    const t = performance.now();
    await sess.s.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: lo, character: off - lineStarts[lo] } });
    const ms = performance.now() - t;
    out.hovers.push(ms);
    if (!sess.indexDone()) out.duringIndex.hovers.push(ms);
  }
}

/** Every k-th file of the tree that calls an allocator, `n` in all (hovers only). */
function hoverFiles(n: number, exclude: string[]): string[] {
  const all = expandPaths([TREE]).files.filter(
    (f) => f.endsWith('.c') && !exclude.includes(f) && fs.statSync(f).size < 400 * 1024 && new RegExp(ALLOC.source).test(fs.readFileSync(f, 'latin1')),
  );
  const step = Math.max(1, Math.floor(all.length / Math.max(n, 1)));
  return all.filter((_, i) => i % step === 0).slice(0, n);
}

/** Opens `file`, hovers every allocation call, closes it. */
async function hoverAll(sess: Session, file: string, out: Samples): Promise<void> {
  const uri = fileUri(file);
  const text = readText(file);
  await sess.s.open(uri, text);
  await hoverCalls(sess, uri, text, out);
  await sess.s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
}

async function phase(name: string, sess: Session, files: string[]): Promise<Samples> {
  const out: Samples = { edits: [], hovers: [], lenses: [], duringIndex: { edits: [], hovers: [] } };
  console.log(`${name} (load ${load()})`);
  for (const f of files) {
    const before = out.edits.length + out.hovers.length;
    const t = performance.now();
    await exercise(sess, f, out);
    console.log(
      `  ${path.relative(TREE, f)} (${(fs.statSync(f).size / 1024).toFixed(0)} KiB): ${out.edits.length + out.hovers.length - before} requests in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  const more = hoverFiles(Number(values['hover-files']), files);
  const t = performance.now();
  for (const f of more) await hoverAll(sess, f, out);
  console.log(`  hovers in ${more.length} more files: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  console.log(`  edit → diagnostics: ${fmt(out.edits)}`);
  console.log(`  hover:              ${fmt(out.hovers)}`);
  console.log(`  code lens (pause):  ${fmt(out.lenses)}`);
  for (const [k, xs] of Object.entries(serverSplit)) console.log(`  server ${k.padEnd(8)} ${fmt(xs)}`);
  for (const k of Object.keys(serverSplit)) delete serverSplit[k];
  if (tasks.length) {
    const byName: Record<string, number[]> = {};
    for (const t of tasks) (byName[t.name] ??= []).push(t.ms);
    for (const [k, xs] of Object.entries(byName)) console.log(`  server task ${k.padEnd(16)} (≥ 2 ms) ${fmt(xs)}`);
    const behind: Record<string, number[]> = {};
    for (const w of editWindows) {
      if (w.end - w.start < 20) continue;
      let longest: (typeof tasks)[number] | undefined;
      for (const t of tasks) if (t.start < w.end && t.start + t.ms > w.start && (!longest || t.ms > longest.ms)) longest = t;
      (behind[longest ? longest.name : 'no traced task'] ??= []).push(w.end - w.start);
    }
    for (const [k, xs] of Object.entries(behind)) console.log(`  edits ≥ 20 ms overlapping ${k.padEnd(16)} ${fmt(xs)}`);
  }
  if (ownWork.size) {
    // Latency minus the edit's own analysis: the time it waited (behind other work, or for the process to run).
    const waits = editWindows.flatMap((w) => (ownWork.has(w.key) ? [w.end - w.start - ownWork.get(w.key)!] : []));
    console.log(`  edit latency minus its own analysis: ${fmt(waits)}`);
    // The slowest edits, each with its own analysis: which edit of which file the p99 is made of.
    const slow = [...editWindows].sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, 5);
    for (const w of slow) console.log(`  slow edit ${w.key}: ${(w.end - w.start).toFixed(1)} ms, own analysis ${ownWork.get(w.key)?.toFixed(1) ?? '-'} ms`);
  }
  if (values.dump)
    for (const w of editWindows)
      fs.appendFileSync(values.dump, `${JSON.stringify({ phase: name, edit: w.key, ms: +(w.end - w.start).toFixed(2), own: ownWork.get(w.key) })}\n`);
  tasks.length = 0;
  editWindows.length = 0;
  ownWork.clear();
  if (out.duringIndex.edits.length || out.duringIndex.hovers.length) {
    console.log(`  of which while the index ran: edits ${fmt(out.duringIndex.edits)}; hovers ${fmt(out.duringIndex.hovers)}`);
  }
  return out;
}

async function main(): Promise<void> {
  const files = pickFiles();
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-bench-cache-'));
  const treeFiles = expandPaths([TREE]).files;
  const treeMb = treeFiles.reduce((n, f) => n + fs.statSync(f).size, 0) / 1e6;
  console.log(`tree ${TREE}: ${treeFiles.length} C files, ${treeMb.toFixed(1)} MB; ${os.cpus().length} cores, node ${process.version}, load ${load()}`);
  console.log(`files: ${files.map((f) => path.relative(TREE, f)).join(', ')}`);
  console.log(
    KEY_GAP_MS || HOVER_GAP_MS
      ? `pace: a keystroke every ${KEY_GAP_MS} ms, a hover ${HOVER_GAP_MS} ms after the last answer`
      : 'pace: each request as soon as the previous one is answered',
  );

  if (values['index-alone']) {
    // The index with no editor activity at all (an empty cache of its own), to set beside `kport check`.
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-bench-cache-'));
    const z = await start(alone);
    console.log(`index alone (no requests, empty cache): ready ${((await z.indexed) / 1000).toFixed(2)} s after start (load ${load()})`);
    await z.s.close();
    fs.rmSync(alone, { recursive: true, force: true });
  }
  if (values['no-index']) {
    const z = await start(cacheDir);
    await phase('a fresh server, indexing off', z, files);
    await z.s.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
    return;
  }
  const a = await start(cacheDir);
  const childPeak1 = watchChildren(a.s.proc.pid!);
  await phase('phase 1: while indexing (empty cache)', a, files);
  const indexMs = await a.indexed;
  console.log(`  index ready ${(indexMs / 1000).toFixed(2)} s after start`);
  await phase('phase 2: after indexing', a, files);

  // didOpen → first diagnostics of a ~1 MB file made of the tree's own files (in memory only).
  let big = '';
  for (const f of files) big += readText(f) + '\n';
  while (big.length < 1_000_000) big += big;
  big = big.slice(0, 1_000_000);
  big = big.slice(0, big.lastIndexOf('\n}\n') + 3);
  const bigUri = fileUri(path.join(TREE, 'kport-bench-1mb.c'));
  const t1 = performance.now();
  await a.s.open(bigUri, big);
  console.log(`open a ${(big.length / 1e6).toFixed(2)} MB file → first diagnostics: ${(performance.now() - t1).toFixed(0)} ms`);
  await a.s.conn.sendNotification('textDocument/didClose', { textDocument: { uri: bigUri } });
  const rss1 = rssPeakMb(a.s.proc.pid!);
  await a.s.close();

  const b = await start(cacheDir);
  const childPeak2 = watchChildren(b.s.proc.pid!);
  const reopenMs = await b.indexed;
  console.log(`phase 3: reopened with the cache: index ready ${(reopenMs / 1000).toFixed(2)} s after start`);
  await phase('phase 3: reopened', b, files);
  const rss2 = rssPeakMb(b.s.proc.pid!);
  await b.s.close();
  console.log(
    `server peak RSS: ${rss1.toFixed(0)} MB (first session), ${rss2.toFixed(0)} MB (reopened); its child processes (the index host), peak: ${childPeak1().toFixed(0)} MB, ${childPeak2().toFixed(0)} MB`,
  );

  if (!values['no-cli']) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [KPORT_BIN, 'check', '--format', 'json', TREE], { maxBuffer: 1 << 30, env: { ...process.env, CI: '1' } });
    console.log(`kport check ${TREE}: ${((performance.now() - t) / 1000).toFixed(2)} s (exit ${r.status}); the index took ${(indexMs / 1000).toFixed(2)} s`);
  }
  fs.rmSync(cacheDir, { recursive: true, force: true });
  console.log(`load at the end ${load()}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
