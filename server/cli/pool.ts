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
  const order = files.map((f, i) => ({ i, size: sizeOf(f) })).sort((a, b) => b.size - a.size || a.i - b.i).map((x) => x.i);
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    let live = threads;
    let failed = false;
    for (let t = 0; t < threads; t++) {
      const w = new Worker(entry.file, { workerData: job, execArgv: entry.execArgv });
      let inFlight = 0;
      const feed = () => {
        // Two files in flight per worker keep it busy while the main thread handles a result.
        while (inFlight < 2 && next < files.length) {
          w.postMessage({ index: order[next], file: files[order[next]] } satisfies WorkRequest);
          next++;
          inFlight++;
        }
        if (inFlight === 0) w.postMessage(null);
      };
      w.on('message', (m: WorkResult) => {
        inFlight--;
        finished(m.index, m.report);
        feed();
      });
      w.on('error', (e) => {
        if (!failed) {
          failed = true;
          reject(e);
        }
      });
      w.on('exit', () => {
        if (--live === 0 && !failed) resolve();
      });
      feed();
    }
  });
  return reports;
}
