/**
 * Runs the per-file job over all files: on the main thread for small trees, else over worker_threads
 * on every core. Reports come back in input order whatever the scheduling, so output is stable.
 *
 * The workers outlive one run: a check is several passes over the tree, and a fresh worker pays for
 * loading the parser and for its JIT warming up again (a pass over a few hundred files took as long
 * on two fresh workers as on one warm thread).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CParser } from '../../core';
import { loadParser } from '../node/wasm';
import { processFile, type FileHint, type FileReport, type JobOptions } from './process-file';
import type { WorkerStart, WorkMessage, WorkResult } from './worker';

/** Below this many files the workers' start-up (each loads the wasm parser) costs more than it saves. */
export const PARALLEL_THRESHOLD = 20;

export interface PoolOptions {
  /** Threads to use; default os.availableParallelism(). 1 = main thread only. */
  jobs?: number;
  /** Called after each file, in completion order. */
  onProgress?: (done: number, total: number, bytes: number) => void;
  /** V8 old-generation limit per worker: a file that needs more fails alone instead of exhausting memory. */
  maxWorkerHeapMb?: number;
  /** V8 young-generation size per worker (default: V8's, 48 MB on node 20): smaller costs some scavenges, saves RSS. */
  maxWorkerYoungMb?: number;
  /**
   * Nice value of the worker threads (Linux: each thread has its own). The language server indexes at 19,
   * so a keystroke's analysis on the main thread takes a core from them at once.
   */
  niceness?: number;
  /** false: even one thread is a worker (the language server never parses a tree on its main thread). */
  mainThread?: boolean;
  /** A PauseGate's cell: while it is held the workers wait, before their next file and at core's pause points. */
  pause?: Int32Array;
}

function workerEntry(): { file: string; execArgv?: string[] } {
  const bundled = path.join(__dirname, 'check-worker.js');
  if (fs.existsSync(bundled)) return { file: bundled };
  // Running from source (tests, bench): the TypeScript worker through tsx (worker-from-source.cjs says why).
  return { file: path.join(__dirname, 'worker-from-source.cjs') };
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0; // unreadable: the worker reports it
  }
}

/** Threads a pool for `files` files uses with `--jobs` (undefined: all cores); 1 means the main thread. */
export function poolThreads(files: number, jobs?: number): number {
  if (jobs === undefined && files < PARALLEL_THRESHOLD) return 1;
  return Math.max(1, Math.min(jobs ?? os.availableParallelism(), files));
}

/** A worker and the hooks of the run it currently serves. */
interface PoolWorker {
  w: Worker;
  inFlight: Set<number>;
  exited: boolean;
  onResult?: (m: WorkResult) => void;
  onGone?: (why: string) => void;
  onExit?: () => void;
}

export class WorkerPool {
  private idle: PoolWorker[] = [];
  private parser?: Promise<CParser>;
  /** Threads this pool uses; 1 means the main thread. */
  readonly threads: number;

  /** `files`: how many files the runs will be given in all (few files are not worth a worker). */
  constructor(
    files: number,
    private readonly opts: PoolOptions = {},
  ) {
    this.threads = poolThreads(files, opts.jobs);
  }

  /** `hints[i]`: what an earlier pass learnt about files[i]. */
  async run(files: readonly string[], job: JobOptions, hints?: readonly (FileHint | undefined)[]): Promise<FileReport[]> {
    const reports: FileReport[] = new Array(files.length);
    let done = 0;
    let bytes = 0;
    const finished = (index: number, r: FileReport) => {
      reports[index] = r;
      done++;
      bytes += r.bytes;
      this.opts.onProgress?.(done, files.length, bytes);
    };
    if (this.threads === 1 && this.opts.mainThread !== false) {
      const parser = await (this.parser ??= loadParser());
      for (let i = 0; i < files.length; i++) finished(i, processFile(parser, files[i], job, hints?.[i]));
      return reports;
    }
    if (files.length === 0) return reports;

    // Largest files first, so that no worker is left with a big file while the others are idle at the end.
    const queue = files
      .map((f, i) => ({ i, size: sizeOf(f) }))
      .sort((a, b) => b.size - a.size || a.i - b.i)
      .map((x) => x.i);
    // Files that were in flight on a worker that died: retried one at a time, then reported as failed.
    const suspects: number[] = [];
    await new Promise<void>((resolve) => {
      let active = 0;
      const engage = (pw: PoolWorker, isolate: boolean) => {
        active++;
        let released = false;
        let failed = false;
        const release = (keep: boolean) => {
          if (released) return;
          released = true;
          active--;
          pw.onResult = pw.onGone = pw.onExit = undefined;
          if (keep && !pw.exited) this.idle.push(pw);
          else if (!pw.exited) pw.w.postMessage(null);
          next();
        };
        const send = (index: number) => {
          pw.inFlight.add(index);
          pw.w.postMessage({ index, file: files[index], hint: hints?.[index] } satisfies WorkMessage);
        };
        const feed = () => {
          // Two files in flight keep a worker busy while the main thread handles a result; a suspect goes alone.
          if (isolate) {
            if (pw.inFlight.size === 0 && suspects.length) send(suspects.shift()!);
          } else while (pw.inFlight.size < 2 && queue.length) send(queue.shift()!);
          // A worker that retried a suspect is not trusted with the next run.
          if (pw.inFlight.size === 0) release(!isolate);
        };
        pw.onResult = (m) => {
          pw.inFlight.delete(m.index);
          finished(m.index, m.report);
          feed();
        };
        pw.onGone = (why) => {
          if (failed) return;
          failed = true;
          if (isolate)
            for (const i of pw.inFlight) finished(i, { file: files[i], bytes: 0, findings: [], error: `checking this file crashed a worker (${why})` });
          else suspects.push(...pw.inFlight);
          pw.inFlight.clear();
        };
        pw.onExit = () => release(false);
        feed();
      };
      // After a worker leaves the run: a replacement if work is left, else the end once all have left.
      const next = () => {
        if (suspects.length) engage(this.spawn(job), true);
        else if (queue.length && active < this.threads) engage(this.spawn(job), false);
        else if (active === 0 && queue.length === 0) resolve();
      };
      const reused = this.idle.splice(0, this.threads);
      for (const pw of reused) pw.w.postMessage({ job } satisfies WorkMessage);
      while (reused.length < this.threads) reused.push(this.spawn(job));
      for (const pw of reused) engage(pw, false);
    });
    return reports;
  }

  /** V8's limits of the workers (as the last one started reports them; undefined before any). */
  workerLimits: { maxYoungGenerationSizeMb?: number; maxOldGenerationSizeMb?: number } | undefined;

  /** Lets the idle workers exit (the process cannot end while they wait for work). */
  close(): void {
    for (const pw of this.idle.splice(0)) if (!pw.exited) pw.w.postMessage(null);
  }

  private spawn(job: JobOptions): PoolWorker {
    const entry = workerEntry();
    const { maxWorkerHeapMb: old, maxWorkerYoungMb: young } = this.opts;
    const limits =
      old || young ? { resourceLimits: { ...(old ? { maxOldGenerationSizeMb: old } : {}), ...(young ? { maxYoungGenerationSizeMb: young } : {}) } } : {};
    const pw: PoolWorker = {
      w: new Worker(entry.file, {
        workerData: { job, niceness: this.opts.niceness, pause: this.opts.pause } satisfies WorkerStart,
        execArgv: entry.execArgv,
        ...limits,
      }),
      inFlight: new Set(),
      exited: false,
    };
    pw.w.on('online', () => (this.workerLimits = pw.w.resourceLimits));
    pw.w.on('message', (m: WorkResult) => pw.onResult?.(m));
    pw.w.on('error', (e) => pw.onGone?.(e.message));
    pw.w.on('exit', (code) => {
      if (pw.inFlight.size) pw.onGone?.(`exit code ${code}`);
      pw.exited = true;
      this.idle = this.idle.filter((x) => x !== pw);
      pw.onExit?.();
    });
    return pw;
  }
}
