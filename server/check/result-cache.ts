/**
 * Per-file results of the check plan's jobs, kept on disk between runs: the language server's index of a
 * tree is ready in seconds when it is opened again, and after a change only the changed files are read.
 *
 * An entry is a file's result for one job (JobOptions without the workspace: the job's rules, config and
 * cross-file names are in its key), valid while the file keeps its size, mtime and inode; the whole cache
 * is valid for one kport version. Results for jobs that carry other files' summaries (pass 2) are not
 * cached: they depend on more than the file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import type { FileHint, JobOptions, PassExecutor } from '../../core';
import type { FileReport } from './process-file';

interface Entry {
  size: number;
  mtimeMs: number;
  ino: number;
  /** Job key → report, oldest first (a few kept: the names of pass 1b change with the tree). */
  results: Map<string, FileReport>;
}

const FORMAT = 1;
const RESULTS_PER_FILE = 3;

export function jobKey(job: JobOptions): string | undefined {
  if (job.workspace || job.mode !== 'check') return undefined;
  const plain = {
    mode: job.mode,
    config: job.config ?? null,
    only: job.only ?? null,
    summaries: !!job.summaries,
    prefilter: !!job.prefilter,
    mentions: job.mentions ? [...job.mentions].sort() : null,
    summaryOnly: !!job.summaryOnly,
  };
  return crypto.createHash('sha1').update(JSON.stringify(plain)).digest('base64url');
}

export class ResultCache {
  private entries = new Map<string, Entry>();
  private dirty = false;
  hits = 0;
  misses = 0;

  /** `file`: where the cache lives (undefined: in memory only); `version`: kport's version. */
  constructor(
    readonly file: string | undefined,
    private readonly version: string,
  ) {}

  /** Reads the cache file; a missing, damaged or other-version file gives an empty cache. */
  load(): { entries: number; error?: string } {
    if (!this.file) return { entries: 0 };
    try {
      const data = v8.deserialize(fs.readFileSync(this.file)) as { format: number; version: string; entries: [string, Entry][] };
      if (data.format !== FORMAT || data.version !== this.version) return { entries: 0 };
      this.entries = new Map(data.entries);
      return { entries: this.entries.size };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { entries: 0, error: code === 'ENOENT' ? undefined : (e as Error).message };
    }
  }

  /** Writes the cache atomically (temporary file + rename) when it changed; answers the bytes written. */
  save(): number {
    if (!this.file || !this.dirty) return 0;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const data = v8.serialize({ format: FORMAT, version: this.version, entries: [...this.entries] });
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, this.file);
    this.dirty = false;
    return data.length;
  }

  get(file: string, key: string, st: fs.Stats | undefined): FileReport | undefined {
    const e = this.entries.get(file);
    const r = e && st && e.size === st.size && e.mtimeMs === st.mtimeMs && e.ino === st.ino ? e.results.get(key) : undefined;
    if (r) this.hits++;
    else this.misses++;
    return r; // the plan never changes a report it was given
  }

  set(file: string, key: string, st: fs.Stats | undefined, report: FileReport): void {
    if (!st || report.error) return;
    let e = this.entries.get(file);
    if (!e || e.size !== st.size || e.mtimeMs !== st.mtimeMs || e.ino !== st.ino) {
      e = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, results: new Map() };
      this.entries.set(file, e);
    }
    e.results.delete(key);
    e.results.set(key, report);
    while (e.results.size > RESULTS_PER_FILE) e.results.delete(e.results.keys().next().value!);
    this.dirty = true;
  }

  /** Forgets files that are no longer part of the tree. */
  retain(files: ReadonlySet<string>): void {
    for (const f of this.entries.keys())
      if (!files.has(f)) {
        this.entries.delete(f);
        this.dirty = true;
      }
  }
}

/**
 * Stats every file, synchronously: the cache runs on the index host's main thread, which has nothing else to do
 * meanwhile, and a synchronous stat costs a fifth of the CPU of a promise through libuv's thread pool (7,427 files
 * of 2.4.22: 37-106 ms against 151-285 ms).
 */
function statAll(files: readonly string[]): (fs.Stats | undefined)[] {
  return files.map((f) => {
    try {
      return fs.statSync(f);
    } catch {
      return undefined;
    }
  });
}

/** An executor that answers from the cache where it can and runs the rest on `inner`. */
export class CachingExecutor implements PassExecutor<FileReport> {
  /** Time on the calling thread for the cache (stats, lookups, stores), the passes' work excluded. */
  cacheMs = 0;
  /**
   * Each file's stat, taken once for all the passes of a run (pass 1b goes over nearly every file again). A file
   * changed meanwhile keeps its first stat: its results are then filed under the old one and read again next run.
   */
  private readonly stats = new Map<string, fs.Stats | undefined>();
  /** Files statted (once each, whatever the passes). */
  get statted(): number {
    return this.stats.size;
  }
  constructor(
    private readonly inner: PassExecutor<FileReport>,
    readonly cache: ResultCache,
  ) {}

  async run(files: readonly string[], job: JobOptions, hints?: readonly (FileHint | undefined)[]): Promise<FileReport[]> {
    const key = jobKey(job);
    if (!key) return this.inner.run(files, job, hints);
    let t = performance.now();
    const unseen = files.filter((f) => !this.stats.has(f));
    statAll(unseen).forEach((st, i) => this.stats.set(unseen[i], st));
    const stats = files.map((f) => this.stats.get(f));
    const out: FileReport[] = new Array(files.length);
    const todo: number[] = [];
    files.forEach((f, i) => {
      const r = this.cache.get(f, key, stats[i]);
      if (r) out[i] = r;
      else todo.push(i);
    });
    this.cacheMs += performance.now() - t;
    if (todo.length) {
      const fresh = await this.inner.run(
        todo.map((i) => files[i]),
        job,
        hints && todo.map((i) => hints[i]),
      );
      t = performance.now();
      fresh.forEach((r, k) => {
        out[todo[k]] = r;
        this.cache.set(files[todo[k]], key, stats[todo[k]], r);
      });
      this.cacheMs += performance.now() - t;
    }
    return out;
  }
}
