/**
 * A worker thread of the CLI pool: loads its own parser, then processes the files it is sent, one at a
 * time, with the job options it was started with or last sent (the pool reuses workers across passes).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerPriority } from '../node/thread-priority';
import { loadParser } from '../node/wasm';
import { setPausePoint } from '../../core';
import { internalSwitches } from '../node/internal';
import { waitUntilReleased } from '../node/pause-gate';
import { processFile, type FileHint, type FileReport, type JobOptions } from './process-file';

/** A file to process, new job options for the files that follow, or null: exit. */
export type WorkMessage = { index: number; file: string; hint?: FileHint } | { job: JobOptions };

export interface WorkResult {
  index: number;
  report: FileReport;
}

/** workerData: the first job's options, the thread's nice value (PoolOptions.niceness), the pool's hold (PoolOptions.pause). */
export interface WorkerStart {
  job: JobOptions;
  niceness?: number;
  pause?: Int32Array;
}

const start = workerData as WorkerStart;
let opts = start.job;
const port = parentPort!;
if (start.niceness) lowerPriority(start.niceness);
const parser = loadParser();
// The pool's owner may hold its workers (the language server's index while the user types): this one waits before
// each file, and inside one at core's pause points (before each function's facts, between rules, in a parse).
const { pause } = start;
if (pause) setPausePoint(() => waitUntilReleased(pause));
const crashOn = internalSwitches().crashWorkerOn;

port.on('message', async (msg: WorkMessage | null) => {
  if (msg === null) {
    port.close();
    return;
  }
  if ('job' in msg) {
    opts = msg.job;
    return;
  }
  const job = opts; // the options in force when the file was sent
  const p = await parser;
  waitUntilReleased(pause);
  // Test hook: a worker that dies on a given file (the pool must survive it and name the file).
  if (crashOn && msg.file.endsWith(crashOn)) process.exit(70);
  let report: FileReport;
  try {
    report = processFile(p, msg.file, job, msg.hint);
  } catch (e) {
    report = { file: msg.file, bytes: 0, findings: [], warning: `internal error: ${e instanceof Error ? e.message : String(e)}` };
  }
  port.postMessage({ index: msg.index, report } satisfies WorkResult);
});
