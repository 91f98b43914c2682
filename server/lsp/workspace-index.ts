/**
 * The language server's workspace index and `kport.checkWorkspace`: runs of the index host (indexer.ts) over
 * the workspace's files, their progress, and what they hand to core's analysis host (the summaries) or to the
 * Problems panel (the findings of files not open).
 */
import { pathToFileURL } from 'node:url';
import type { Connection, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import type { AnalysisHost, FileSummary } from '../../core';
import {
  cacheFileFor,
  defaultCacheDir,
  dropSpareHost,
  indexSettings,
  prepareIndexHost,
  runIndexHost,
  type IndexHostControl,
  type IndexRun,
  type IndexSettings,
} from './indexer';
import { reportToDiagnostic } from './convert';
import { TypingHold } from './typing-hold';

/** KPORT_TRACE=1: what the index's hand-over costs the main thread goes to the log. */
const TRACE = !!process.env.KPORT_TRACE;
/** A burst of file changes (a branch switch) starts one run this long after its last change. */
const FILES_CHANGED_MS = 300;

export type CheckWorkspaceResult = { files: number; findings: number; filesWithFindings: number; seconds: number } | { cancelled: true } | { error: string };

export class WorkspaceIndexing {
  settings: IndexSettings = indexSettings(undefined);
  /** Where the index cache lives (initializationOptions.cacheDir, VS Code's workspace storage, else ~/.cache/kport). */
  cacheDir = defaultCacheDir();
  root: string | undefined;
  workDoneProgress = false;
  private indexAbort: AbortController | undefined;
  private indexRunning: Promise<void> | undefined;
  private indexChanges: NodeJS.Timeout | undefined;
  private readonly workspaceProblems = new Set<string>();
  private checkAbort: AbortController | undefined;
  /** The index hosts running now (an index, a workspace check), held while the user types, each with what tells the user so. */
  private readonly hosts = new Map<IndexHostControl, () => void>();
  private readonly typing = new TypingHold();

  constructor(
    private readonly connection: Connection,
    private readonly host: AnalysisHost,
    private readonly docsDir: string,
    /** Called when a run completes: open documents may now see callers and registrations in other files. */
    private readonly onIndexed: () => void,
  ) {}

  /**
   * The server knows its workspace (initialize): the index host starts now, so that its node and modules load while
   * the server loads its parser and the editor sends its settings (start() hands it the run).
   */
  prepare(): void {
    if (this.root && this.settings.enabled) prepareIndexHost();
  }

  /** The user typed or opened a document: the running hosts' workers wait until typing pauses (TypingHold). */
  userTyped(): void {
    if (!this.hosts.size) return;
    const now = performance.now();
    const wasHeld = this.typing.holding(now);
    const ms = this.typing.keystroke(now);
    if (ms === undefined) return;
    const starts = ms > 0 && !wasHeld;
    for (const [h, waiting] of this.hosts) {
      h.holdFor(ms);
      if (starts) waiting();
    }
  }

  /**
   * The hooks a host run needs to be held while the user types (until `done`, which `finally` calls); the progress
   * says when it waits (its next report, when it goes on, replaces that).
   */
  private holdable(progress: WorkDoneProgressServerReporter | undefined): { onStarted: (h: IndexHostControl) => void; done: () => void } {
    let current: IndexHostControl | undefined;
    return {
      onStarted: (h) => {
        if (current) this.hosts.delete(current);
        current = h;
        this.hosts.set(h, () => progress?.report('waiting while you type'));
      },
      done: () => {
        if (current) this.hosts.delete(current);
      },
    };
  }

  /** Files changed on disk: one run after the burst (the cache reads only what changed). */
  filesChanged(): void {
    if (this.indexChanges) clearTimeout(this.indexChanges);
    this.indexChanges = setTimeout(() => this.start('files changed'), FILES_CHANGED_MS);
  }

  /** Reports an index run's progress (pass, files, MB/s since `t0`) at most every 250 ms, and at the end of a pass. */
  private progressReporter(progress: WorkDoneProgressServerReporter | undefined, t0: number) {
    let last = 0;
    return (pass: string, done: number, total: number, bytes: number) => {
      const now = performance.now();
      if (!progress || (now - last < 250 && done < total)) return;
      last = now;
      const mbs = bytes / 1e6 / Math.max((now - t0) / 1000, 0.001);
      progress.report(total ? Math.round((done / total) * 100) : 0, `${pass}: ${done}/${total} files, ${mbs.toFixed(1)} MB/s`);
    };
  }

  /**
   * (Re)builds the workspace index in the background: worker threads at a lower priority, results cached
   * on disk, so only changed files are read again. A newer run supersedes a running one. Open documents
   * are answered throughout; they are checked again when the index is complete.
   */
  start(why: string): void {
    if (!this.host.parser || !this.root || !this.settings.enabled) {
      dropSpareHost();
      return;
    }
    this.indexAbort?.abort();
    const abort = new AbortController();
    this.indexAbort = abort;
    const previous = this.indexRunning;
    const root = this.root;
    const settings = this.settings;
    this.indexRunning = (async () => {
      await previous?.catch(() => undefined);
      if (abort.signal.aborted) return;
      const t0 = performance.now();
      const progress = this.workDoneProgress ? await this.connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
      progress?.begin('kport: indexing', 0, 'listing the C files', false);
      let run: IndexRun & { receivedMs: number };
      // The summaries go into the analysis host as they arrive, a chunk a task (a document analyzed meanwhile sees
      // part of the new index, as it saw the old one); the files left without one leave the index at the end.
      let handOverMs = 0;
      let chunks = 0;
      const takeIn = (chunk: readonly FileSummary[]) => {
        if (abort.signal.aborted) return;
        chunks++;
        const t = performance.now();
        this.host.indexed(chunk, []);
        handOverMs += performance.now() - t;
      };
      const holds = this.holdable(progress);
      try {
        run = await runIndexHost(
          { root, settings, config: this.host.config, cacheFile: cacheFileFor(root, this.cacheDir), goal: 'summaries' },
          {
            signal: abort.signal,
            onSummaries: takeIn,
            onProgress: this.progressReporter(progress, t0),
            onStarted: holds.onStarted,
          },
        );
      } catch (e) {
        if (!abort.signal.aborted) this.connection.console.error(`kport: indexing ${root} failed: ${(e as Error).message}`);
        return;
      } finally {
        holds.done();
        progress?.done();
      }
      if (abort.signal.aborted) return;
      const t1 = performance.now();
      this.host.indexed([], run.unsummarized ?? [], run.definedMacros);
      const t2 = performance.now();
      this.connection.console.log(
        `kport: indexed ${run.files} files (${(run.bytes / 1e6).toFixed(1)} MB) of ${root} in ${run.seconds.toFixed(2)} s (${why}; ${run.heldSeconds ? `${run.heldSeconds.toFixed(1)} s of it held while the user typed; ` : ''}listing ${(run.listSeconds ?? 0).toFixed(2)} s; ` +
          `cache: ${run.cacheHits} hits, ${run.cacheMisses} read; ${run.passes.join('; ') || 'no pass'})${run.cacheNote ? `; ${run.cacheNote}` : ''}; ` +
          `index host peak RSS ${(run.hostPeakRssMb ?? 0).toFixed(0)} MB (workers' young generation ${run.workerYoungMb ?? '-'} MB)` +
          (run.split
            ? `; beside the passes: cache stats (${run.split.statted} files) and lookups ${(run.split.cacheMs / 1000).toFixed(2)} s, cache write ${(run.split.cacheWriteMs / 1000).toFixed(2)} s ` +
              `(${(run.split.cacheBytes / 1e3).toFixed(0)} kB), summaries handed over in ${((run.split.handOverMs ?? 0) / 1000).toFixed(2)} s`
            : ''),
      );
      if (TRACE)
        this.connection.console.log(
          `kport: index handed over: ${run.summaries.length} summaries and ${((run.definedMacros?.length ?? 0) / 1e6).toFixed(1)} MB of macro names received ` +
            `(the last message ${run.receivedMs.toFixed(1)} ms after the host sent it); taken in over ${chunks} tasks, ${handOverMs.toFixed(1)} ms in all; the end ${(t2 - t1).toFixed(1)} ms` +
            (run.holdLatencyMs
              ? `; ${run.holdLatencyMs.n} holds reached the workers' gate p50 ${run.holdLatencyMs.p50.toFixed(1)} / p99 ${run.holdLatencyMs.p99.toFixed(1)} ms after they were sent`
              : ''),
        );
      this.onIndexed();
    })();
  }

  /**
   * kport.checkWorkspace: `kport check` over the indexed files, on the index's workers and cache, with
   * work-done progress that the user can cancel; the findings of files not open go to the Problems panel
   * (an open document keeps its live diagnostics). Answers what it found, as plain data.
   */
  async check(): Promise<CheckWorkspaceResult> {
    if (!this.host.parser || !this.root) return { error: 'no workspace folder is open' };
    this.checkAbort?.abort();
    const abort = new AbortController();
    this.checkAbort = abort;
    const root = this.root;
    const progress = this.workDoneProgress ? await this.connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
    progress?.begin('kport: checking the workspace', 0, 'listing the C files', true);
    progress?.token.onCancellationRequested(() => abort.abort());
    const holds = this.holdable(progress);
    try {
      const run = await runIndexHost(
        { root, settings: { ...this.settings, enabled: true }, config: this.host.config, cacheFile: cacheFileFor(root, this.cacheDir), goal: 'findings' },
        { signal: abort.signal, onProgress: this.progressReporter(progress, performance.now()), onStarted: holds.onStarted },
      );
      if (abort.signal.aborted) return { cancelled: true };
      const openPaths = this.host.openPaths();
      const published = new Set<string>();
      let findings = 0;
      for (const r of run.reports) {
        findings += r.findings.length;
        if (!r.findings.length || openPaths.has(r.file)) continue;
        const uri = pathToFileURL(r.file).href;
        published.add(uri);
        this.connection.sendDiagnostics({ uri, diagnostics: r.findings.map((f) => reportToDiagnostic(f, uri, this.docsDir)) });
      }
      for (const uri of this.workspaceProblems) if (!published.has(uri) && !this.host.isOpen(uri)) this.connection.sendDiagnostics({ uri, diagnostics: [] });
      this.workspaceProblems.clear();
      for (const uri of published) this.workspaceProblems.add(uri);
      const filesWithFindings = run.reports.filter((r) => r.findings.length).length; // the host sends those only
      this.connection.console.log(
        `kport: checked ${run.files} files of ${root} in ${run.seconds.toFixed(2)} s: ${findings} findings in ${filesWithFindings} files (${run.passes.join('; ')})`,
      );
      return { files: run.files, findings, filesWithFindings, seconds: run.seconds };
    } catch (e) {
      if (abort.signal.aborted) return { cancelled: true };
      this.connection.console.error(`kport: checking ${root} failed: ${(e as Error).message}`);
      return { error: (e as Error).message };
    } finally {
      holds.done();
      progress?.done();
    }
  }
}
