/**
 * The workspace index: the tree's cross-file summaries (who calls, registers or stores which
 * context-sensitive function), built off the main thread by the check plan the CLI runs (passes 1 and
 * 1b over worker threads at a lower priority, prefilter and partial parses included), and kept on disk
 * between sessions (ResultCache), so reopening a tree costs a stat per file. The plan runs on the index
 * host (index-host.ts), a child node of its own: the server only receives the focused summaries.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { CancelledError, runCheckPlan, type FileSummary, type KportConfig, type PassName } from '../../core';
import { expandPaths, globToRegExp } from '../check/files';
import { WorkerPool } from '../check/pool';
import type { FileReport } from '../check/process-file';
import { CachingExecutor, ResultCache } from '../check/result-cache';
import { INDEX_HOST_V8_FLAGS, INDEX_WORKER_YOUNG_MB, POOL_V8_FLAGS } from '../node/v8-flags';

/** The `kport.index` settings (VS Code) or initializationOptions.index (any client). */
export interface IndexSettings {
  enabled: boolean;
  /** Globs relative to the workspace root; empty = every C file. */
  include: string[];
  exclude: string[];
  /** Worker threads (0 = all cores). */
  workers: number;
  /** Keep the index on disk between sessions. */
  cache: boolean;
}

export const DEFAULT_INDEX_SETTINGS: IndexSettings = { enabled: true, include: [], exclude: [], workers: 0, cache: true };

const MAX_FILES = 100_000;

/** Reads index settings from any client's JSON, keeping the defaults for what is missing or malformed. */
export function indexSettings(raw: unknown, problems: string[] = []): IndexSettings {
  const out = { ...DEFAULT_INDEX_SETTINGS };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object') {
    problems.push('index settings must be an object');
    return out;
  }
  const r = raw as Record<string, unknown>;
  if (typeof r.enabled === 'boolean') out.enabled = r.enabled;
  for (const k of ['include', 'exclude'] as const)
    if (r[k] !== undefined) {
      if (Array.isArray(r[k]) && (r[k] as unknown[]).every((g) => typeof g === 'string')) out[k] = r[k] as string[];
      else problems.push(`index.${k} must be a list of globs`);
    }
  if (r.workers !== undefined) {
    if (Number.isInteger(r.workers) && (r.workers as number) >= 0) out.workers = r.workers as number;
    else problems.push('index.workers must be a whole number (0 = all cores)');
  }
  if (typeof r.cache === 'boolean') out.cache = r.cache;
  return out;
}

/** The C files of `root` the settings select, in a stable order. */
export function indexedFiles(root: string, s: IndexSettings): string[] {
  const { files } = expandPaths([root]);
  const inc = s.include.map(globToRegExp);
  const exc = s.exclude.map(globToRegExp);
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  return files
    .filter((f) => {
      const r = rel(f);
      return (!inc.length || inc.some((g) => g.test(r))) && !exc.some((g) => g.test(r));
    })
    .slice(0, MAX_FILES);
}

/** The cache of one workspace root: `<dir>/index-<hash of the root>.bin`. */
export function cacheFileFor(root: string, dir: string): string {
  return path.join(dir, `index-${crypto.createHash('sha1').update(path.resolve(root)).digest('hex').slice(0, 16)}.bin`);
}

/** The usual per-user cache directory, for clients that hand the server no storage path. */
export function defaultCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kport');
}

/** kport's version plus a digest of the worker bundle: a rebuilt kport never reads an older build's results. */
export function buildVersion(): string {
  let version = '0.0.0';
  for (const p of [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    try {
      version = JSON.parse(fs.readFileSync(p, 'utf8')).version;
      break;
    } catch {
      /* next */
    }
  }
  try {
    return `${version}+${crypto
      .createHash('sha1')
      .update(fs.readFileSync(path.join(__dirname, 'check-worker.js')))
      .digest('hex')
      .slice(0, 12)}`;
  } catch {
    return `${version}+source`;
  }
}

export interface IndexRun {
  files: number;
  bytes: number;
  /** Cross-file summaries of every file (plain data). */
  summaries: FileSummary[];
  /** Every file's report: pass 1's (goal `summaries`: findings without other files' context) or the final ones. */
  reports: FileReport[];
  seconds: number;
  passes: string[];
  cacheHits: number;
  cacheMisses: number;
  cacheNote?: string;
  /**
   * Every macro name the workspace can define, space-separated (one string crosses threads cheaply), from an
   * index run: decides `#ifdef` of a name nothing defines.
   */
  definedMacros?: string;
  /** An index host's run: the time it took to list the workspace's files. */
  listSeconds?: number;
  /** An index host's run of goal `summaries`: the files indexed that have no summary (they leave the editor's index). */
  unsummarized?: string[];
  /** The young generation of the index's workers as V8 gives it (MB; undefined: no worker ran). */
  workerYoungMb?: number;
  /** An index host's run: how long its workers were held while the user typed (IndexHostControl.holdFor). */
  heldSeconds?: number;
  /** An index host's run: how long after the server sent them its holds reached the workers' gate (ms; p50, p99, count). */
  holdLatencyMs?: { p50: number; p99: number; n: number };
  /** An index host's peak RSS (MB), its workers' included, when it sent the run. */
  hostPeakRssMb?: number;
  /** Where the index's own time went beside the passes (ms, wall): the cache's stats and lookups, its write, the summaries' hand-over. */
  split?: { cacheMs: number; statted: number; cacheWriteMs: number; cacheBytes: number; handOverMs?: number };
}

export interface IndexHooks {
  /** Progress: the pass, files done of total, bytes read so far, seconds since the pass began. */
  onProgress?: (pass: PassName, done: number, total: number, bytes: number) => void;
  signal?: AbortSignal;
  /** An index host's summaries, a chunk at a time (a short task each on the main thread); the run then has them all. */
  onSummaries?: (chunk: readonly FileSummary[]) => void;
  /** buildIndex: a PauseGate's cell; while it is held the workers wait. */
  pause?: Int32Array;
  /** runIndexHost: the host is started; what the caller can ask of it while it runs. */
  onStarted?: (host: IndexHostControl) => void;
}

/** A running index host, to its language server. */
export interface IndexHostControl {
  /** Its workers wait for `ms` from now (the user is typing); a later hold replaces this one (0: they go on). */
  holdFor(ms: number): void;
}

/**
 * Indexes `files` on worker threads (nice 19) with the CLI's plan, reading unchanged files' results from
 * `cacheFile` (and writing it back). Never parses on the calling thread.
 */
export async function buildIndex(
  files: string[],
  s: IndexSettings,
  config: KportConfig | undefined,
  cacheFile: string | undefined,
  hooks: IndexHooks = {},
  goal: 'summaries' | 'findings' = 'summaries',
): Promise<IndexRun> {
  const t0 = performance.now();
  const cache = new ResultCache(s.cache ? cacheFile : undefined, buildVersion());
  const loaded = cache.load();
  let pass: PassName = 'pass 1';
  const passes: string[] = [];
  let passStart = t0;
  const pool = new WorkerPool(files.length, {
    jobs: s.workers || os.availableParallelism(),
    mainThread: false,
    maxWorkerHeapMb: 1024,
    maxWorkerYoungMb: INDEX_WORKER_YOUNG_MB,
    niceness: 19,
    pause: hooks.pause,
    onProgress: (done, total, bytes) => hooks.onProgress?.(pass, done, total, bytes),
  });
  try {
    const exec = new CachingExecutor(pool, cache);
    const result = await runCheckPlan(files, exec, {
      mode: 'check',
      config,
      goal,
      signal: hooks.signal,
      onPass: (p, n) => {
        pass = p;
        passStart = performance.now();
        hooks.onProgress?.(p, 0, n, 0);
      },
      afterPass: (p, reports, names) =>
        passes.push(`${p}${names === undefined ? '' : ` (${names} names)`}: ${reports.length} files, ${((performance.now() - passStart) / 1000).toFixed(2)} s`),
    });
    // The workers' memory goes before the cache's serialization and the summaries' hand-over add to the host's.
    pool.close();
    cache.retain(new Set(files));
    let cacheNote = loaded.error ? `cache unreadable (${loaded.error}): rebuilt` : undefined;
    const tSave = performance.now();
    let cacheBytes = 0;
    try {
      cacheBytes = cache.save();
    } catch (e) {
      cacheNote = `cache not written: ${(e as Error).message}`;
    }
    const reports = result.reports as FileReport[];
    return {
      files: files.length,
      bytes: reports.reduce((n, r) => n + r.bytes, 0),
      summaries: result.workspace ?? [],
      reports,
      seconds: (performance.now() - t0) / 1000,
      passes,
      cacheHits: cache.hits,
      cacheMisses: cache.misses,
      cacheNote,
      workerYoungMb: pool.workerLimits?.maxYoungGenerationSizeMb,
      split: { cacheMs: exec.cacheMs, statted: exec.statted, cacheWriteMs: performance.now() - tSave, cacheBytes },
    };
  } finally {
    pool.close();
  }
}

/** What the language server asks the index host (plain data: the first message it sends). */
export interface IndexRequest {
  /** The workspace folder: the host lists its files (indexedFiles: a walk of the tree, 0.6 s on 2.4.22), not the main thread. */
  root: string;
  settings: IndexSettings;
  config: KportConfig | undefined;
  cacheFile: string | undefined;
  goal: 'summaries' | 'findings';
}

/**
 * From the language server to the index host: what to index (first), a chunk of summaries was taken in, hold the
 * workers for a while (IndexHostControl.holdFor; `sentAt`: the server's clock, to time its crossing).
 */
export type MainToIndexHost = { kind: 'start'; req: IndexRequest } | { kind: 'taken' } | { kind: 'hold'; ms: number; sentAt: number };

export type IndexHostMessage =
  | { kind: 'progress'; pass: PassName; done: number; total: number; bytes: number }
  /** The run's summaries, a chunk at a time before `done` (whose run has none): answered with `taken`. */
  | { kind: 'summaries'; summaries: FileSummary[] }
  /** The run's `definedMacros`, a piece at a time before `done` (whose run has none): answered with `taken`. */
  | { kind: 'macros'; piece: string }
  /** `sentAt`: the host's clock (performance.timeOrigin + now) when it posted the run, to time its crossing. */
  | { kind: 'done'; run: IndexRun; sentAt: number }
  | { kind: 'failed'; error: string };

function hostEntry(): { file: string; execArgv?: string[] } {
  const bundled = path.join(__dirname, 'index-host.js');
  if (fs.existsSync(bundled)) return { file: bundled };
  return { file: path.join(__dirname, 'index-host.ts'), execArgv: ['--import', 'tsx'] };
}

const HOST_V8_FLAGS: readonly string[] = [...POOL_V8_FLAGS, ...INDEX_HOST_V8_FLAGS];

function forkHost(v8Flags: readonly string[]): ChildProcess {
  const entry = hostEntry();
  // stdout is the editor's channel (stdio transport): the host never writes to it; its stderr is the server's.
  return fork(entry.file, [], {
    execArgv: [...v8Flags, ...(entry.execArgv ?? [])],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

/** A host forked ahead of its run (prepareIndexHost), waiting for its request. */
let spare: ChildProcess | undefined;
/** A spare not taken by then is let go (the editor never sent what the index needs, or indexing was turned off). */
const SPARE_HOST_MS = 60_000;

/**
 * Forks the index host ahead of its first run, when the server learns it has a workspace to index: its node and its
 * modules load while the server loads its parser and the editor sends its settings. runIndexHost takes it.
 */
export function prepareIndexHost(): void {
  if (spare && spare.exitCode === null && spare.connected) return;
  const host = forkHost(HOST_V8_FLAGS);
  host.on('error', () => undefined); // a spare that fails is not taken (takeSpareHost)
  setTimeout(() => {
    if (spare === host) dropSpareHost();
  }, SPARE_HOST_MS).unref();
  spare = host;
}

/** Lets the spare host go (indexing turned off). */
export function dropSpareHost(): void {
  spare?.kill();
  spare = undefined;
}

function takeSpareHost(): ChildProcess | undefined {
  const host = spare;
  spare = undefined;
  return host && host.exitCode === null && host.signalCode === null && host.connected ? host : undefined;
}

/** Node's exit code for an invalid command-line option (`bad option`). */
const NODE_BAD_OPTION_EXIT = 9;

/**
 * buildIndex on the index host, a child node of its own with POOL_V8_FLAGS (as `kport check` runs its pool: V8's
 * background threads would compete with the pool's workers for the cores) whose memory and garbage are not the
 * editor's: the language server receives progress and the result only. Aborting kills the host and its pool.
 * Rejects with CancelledError when aborted.
 */
export function runIndexHost(
  req: IndexRequest,
  hooks: IndexHooks = {},
  v8Flags: readonly string[] = HOST_V8_FLAGS,
): Promise<IndexRun & { receivedMs: number }> {
  return new Promise((resolve, reject) => {
    if (hooks.signal?.aborted) return reject(new CancelledError());
    const host = (v8Flags === HOST_V8_FLAGS && takeSpareHost()) || forkHost(v8Flags);
    const send = (m: MainToIndexHost) => {
      if (host.connected) host.send(m);
    };
    send({ kind: 'start', req });
    hooks.onStarted?.({ holdFor: (ms) => send({ kind: 'hold', ms, sentAt: performance.timeOrigin + performance.now() }) });
    const summaries: FileSummary[] = [];
    const macroPieces: string[] = [];
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      f();
      host.kill();
    };
    const onAbort = () => finish(() => reject(new CancelledError()));
    hooks.signal?.addEventListener('abort', onAbort);
    let heard = false;
    host.on('message', (m: IndexHostMessage) => {
      heard = true;
      if (m.kind === 'progress') hooks.onProgress?.(m.pass, m.done, m.total, m.bytes);
      else if (m.kind === 'summaries') {
        if (settled) return;
        for (const x of m.summaries) summaries.push(x);
        hooks.onSummaries?.(m.summaries);
        send({ kind: 'taken' });
      } else if (m.kind === 'macros') {
        macroPieces.push(m.piece);
        send({ kind: 'taken' });
      } else if (m.kind === 'done') {
        const definedMacros = macroPieces.length ? { definedMacros: macroPieces.join('') } : {};
        finish(() => resolve({ ...m.run, ...definedMacros, summaries, receivedMs: performance.timeOrigin + performance.now() - m.sentAt }));
      } else finish(() => reject(new Error(m.error)));
    });
    // An error before the host said anything may be its refusing to start: its exit (code 9) decides, if it comes.
    let early: NodeJS.Timeout | undefined;
    host.on('error', (e) => {
      if (heard) finish(() => reject(e));
      else early ??= setTimeout(() => finish(() => reject(e)), 1000);
    });
    host.on('exit', (code, signal) => {
      clearTimeout(early);
      // Node exits 9 on a command-line option it does not know: an editor's node whose V8 dropped a tuning flag
      // indexes without the flags rather than not at all.
      if (code === NODE_BAD_OPTION_EXIT && !heard && v8Flags.length) finish(() => runIndexHost(req, hooks, []).then(resolve, reject));
      else finish(() => reject(new Error(`the index host stopped (${signal ?? `exit code ${code}`})`)));
    });
  });
}
