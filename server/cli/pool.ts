/**
 * Runs the per-file job over all files: on the main thread for small trees, else over worker_threads
 * on every core. Reports come back in input order whatever the scheduling, so output is stable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadParser } from '../node/wasm';
import { processFile, type FileReport, type JobOptions } from './process-file';
import type { WorkRequest, WorkResult } from './worker';

/** Below this many files the workers' start-up (each loads the wasm parser) costs more than it saves. */
export const PARALLEL_THRESHOLD = 20;

export interface PoolOptions {
  /** Threads to use; default os.availableParallelism(). 1 = main thread only. */
  jobs?: number;
  /** Called after each file, in completion order. */
  onProgress?: (done: number, total: number, bytes: number) => void;
  /** V8 old-generation limit per worker: a file that needs more fails alone instead of exhausting memory. */
  maxWorkerHeapMb?: number;
}

function workerEntry(): { file: string; execArgv?: string[] } {
  const bundled = path.join(__dirname, 'cli-worker.js');
  if (fs.existsSync(bundled)) return { file: bundled };
  // Running from source (tests, bench): the TypeScript worker through tsx.
  return { file: path.join(__dirname, 'worker.ts'), execArgv: ['--import', 'tsx'] };
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0; // unreadable: the worker reports it
  }
}

export async function runFiles(files: readonly string[], job: JobOptions, opts: PoolOptions = {}): Promise<FileReport[]> {
  const threads = Math.max(1, Math.min(opts.jobs ?? os.availableParallelism(), files.length));
  const reports: FileReport[] = new Array(files.length);
  let done = 0;
  let bytes = 0;
  const finished = (index: number, r: FileReport) => {
    reports[index] = r;
    done++;
    bytes += r.bytes;
    opts.onProgress?.(done, files.length, bytes);
  };
  if (threads === 1 || (opts.jobs === undefined && files.length < PARALLEL_THRESHOLD)) {
    const parser = await loadParser();
    for (let i = 0; i < files.length; i++) finished(i, processFile(parser, files[i], job));
    return reports;
  }

  const entry = workerEntry();
  // Largest files first, so that no worker is left with a big file while the others are idle at the end.
  const queue = files.map((f, i) => ({ i, size: sizeOf(f) })).sort((a, b) => b.size - a.size || a.i - b.i).map((x) => x.i);
  // Files that were in flight on a worker that died: retried one at a time, then reported as failed.
  const suspects: number[] = [];
  const limits = opts.maxWorkerHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: opts.maxWorkerHeapMb } } : {};
  await new Promise<void>((resolve) => {
    let live = 0;
    const spawnWorker = (isolate: boolean) => {
      live++;
      const w = new Worker(entry.file, { workerData: job, execArgv: entry.execArgv, ...limits });
      const inFlight = new Set<number>();
      let gone = false;
      const feed = () => {
        // Two files in flight keep a worker busy while the main thread handles a result; a suspect goes alone.
        if (isolate) {
          if (inFlight.size === 0 && suspects.length) send(suspects.shift()!);
        } else while (inFlight.size < 2 && queue.length) send(queue.shift()!);
        if (inFlight.size === 0) w.postMessage(null);
      };
      const send = (index: number) => {
        inFlight.add(index);
        w.postMessage({ index, file: files[index] } satisfies WorkRequest);
      };
      const died = (why: string) => {
        if (gone) return;
        gone = true;
        if (isolate) for (const i of inFlight) finished(i, { file: files[i], bytes: 0, findings: [], error: `checking this file crashed a worker (${why})` });
        else suspects.push(...inFlight);
        inFlight.clear();
      };
      w.on('message', (m: WorkResult) => {
        inFlight.delete(m.index);
        finished(m.index, m.report);
        feed();
      });
      w.on('error', (e) => died(e.message));
      w.on('exit', (code) => {
        if (inFlight.size) died(`exit code ${code}`);
        live--;
        if (suspects.length) spawnWorker(true);
        else if (queue.length) spawnWorker(false);
        else if (live === 0) resolve();
      });
      feed();
    };
    for (let t = 0; t < threads; t++) spawnWorker(false);
  });
  return reports;
}
