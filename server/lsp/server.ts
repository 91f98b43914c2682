/**
 * The language server: a thin adapter from LSP to core. Transports (stdio, node-ipc, socket) are
 * picked by vscode-languageserver from the command line.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeAction,
  CodeActionKind,
  createConnection,
  DidChangeConfigurationNotification,
  ErrorCodes,
  ResponseError,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type WorkDoneProgressServerReporter,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { renamedSuppressions, isSimulated, addVerdicts, type LinkOptions, parsesNoWorse, countSyntaxErrors, hoverAt, mergeConfigs, simulateFunction, SIMULATED_CALLS, parseConfig, preferredEdits, RULE_IDS, WorkspaceIndex, type CParser, type FileSummary, type KportConfig } from '../../core';
import { runIndexHost, cacheFileFor, defaultCacheDir, indexedFiles, indexSettings, type IndexRun, type IndexSettings } from './indexer';
import { SIMULATE_DRIVER_METHOD, SIMULATE_METHOD, simulateDriver, toSimulateDriverResult, toSimulateResult, type SimulateDriverParams, type SimulateParams } from '../../core';
import { findConfigFile, loadConfigFile } from '../node/config-file';
import { docsDir, loadParser } from '../node/wasm';
import { quickFixes, rangeOf, reportToDiagnostic, toDiagnostic, toEdits } from './convert';
import { OpenDocument, type Analysis } from './documents';

export const FIX_ALL_KIND = CodeActionKind.SourceFixAll + '.kport';
/** workspace/executeCommand: check every indexed file and fill the Problems panel (VS Code: "kport: Check Workspace"). */
export const CHECK_WORKSPACE_COMMAND = 'kport.checkWorkspace';

/** KPORT_TRACE=1: every analysis's timing goes to the log; otherwise only those slower than SLOW_ANALYSIS_MS. */
const TRACE = !!process.env.KPORT_TRACE;
const SLOW_ANALYSIS_MS = 100;
/** Changes of one document closer together than this are a burst (see schedule). */
const BURST_MS = 3;
/** A code-lens request simulates functions for this long at most; the others follow when typing pauses. */
const LENS_BUDGET_MS = 15;
/** How long a keystroke or a hover holds the index's workers (files in flight finish). */
const INDEX_HOLD_MS = 300;
/** Simulations run ahead of hovers only after this long without a keystroke, hover or code action. */
const WARM_IDLE_MS = 150;
/** The simulated verdicts of a file's findings are computed in slices this long (see scheduleVerdicts). */
const VERDICT_SLICE_MS = 8;

export interface ServerOptions {
  debounceMs?: number;
}

export function startServer(connection: Connection = createConnection(ProposedFeatures.all), options: ServerOptions = {}): Connection {
  const documents = new TextDocuments(TextDocument);
  const open = new Map<string, OpenDocument>();
  /** Pending analyses: how to cancel each. */
  const timers = new Map<string, () => void>();
  /** When each document last changed: changes closer than BURST_MS together are a burst, debounced. */
  const lastChange = new Map<string, number>();
  const docs = docsDir();
  let parser: CParser | undefined;
  let parserError: string | undefined;
  let debounceMs = options.debounceMs ?? 5;
  let fileConfig: KportConfig | undefined;
  let editorConfig: KportConfig | undefined;
  let commandLinks = false;
  let canPullConfig = false;
  /** The client re-asks for lenses on workspace/codeLens/refresh (LSP 3.16). */
  let canRefreshLenses = false;
  let workspaceRoot: string | undefined;
  let workDoneProgress = false;
  const index = new WorkspaceIndex();
  let indexing: IndexSettings = indexSettings(undefined);
  /** Where the index cache lives (initializationOptions.cacheDir, VS Code's workspace storage, else ~/.cache/kport). */
  let cacheDir = defaultCacheDir();
  let indexAbort: AbortController | undefined;
  let indexRunning: Promise<void> | undefined;
  let indexChanges: NodeJS.Timeout | undefined;
  /** Holds the running index's workers for a while (undefined: no index is running). */
  let holdIndex: ((ms: number) => void) | undefined;
  let lastHold = 0;
  /** The user is typing or pointing: the index gives no worker a new file for INDEX_HOLD_MS. */
  let lastActivity = 0;
  function userActive(): void {
    const now = performance.now();
    lastActivity = now;
    if (!holdIndex || now - lastHold < 50) return;
    lastHold = now;
    holdIndex(INDEX_HOLD_MS);
  }
  const summaryTimers = new Map<string, NodeJS.Timeout>();
  /** The last summary each open document put in the index: only a change re-checks the others. */
  const summaries = new Map<string, FileSummary>();
  const verdictTimers = new Map<string, NodeJS.Timeout>();
  let verdictDelayMs = 200;
  /** initializationOptions.maxParseMs: a parse running longer fails the document's analysis (pathological files). */
  let maxParseMs: number | undefined;
  /**
   * initializationOptions.maxFileBytes (default 4 MiB): larger documents (firmware blobs as C arrays,
   * generated tables) get one information diagnostic instead of an analysis that would stall the
   * editor; `kport check` has no such limit.
   */
  let maxFileBytes = 4 * 1024 * 1024;
  /** Why the last analysis of a document failed (published in its diagnostic). */
  const failedReason = new Map<string, string>();

  const config = () => mergeConfigs(fileConfig, editorConfig);

  function readWorkspaceConfig(params: InitializeParams): void {
    const root = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    if (!root?.startsWith('file:')) return;
    const file = findConfigFile(fileURLToPath(root));
    if (!file) return;
    const { config: c, problems } = loadConfigFile(file);
    fileConfig = c;
    for (const p of problems) connection.window.showWarningMessage(`kport: ${p}`);
  }

  function applyEditorSettings(settings: unknown): void {
    const indexRaw = (settings as { index?: unknown } | null)?.index;
    if (indexRaw !== undefined) {
      const problems: string[] = [];
      indexing = indexSettings(indexRaw, problems);
      for (const p of problems) connection.console.warn(`kport settings: ${p}`);
    }
    const rules = (settings as { rules?: unknown } | null)?.rules;
    // "kport.simulation.machine": an empty string leaves .kport.json's (or the default) in charge.
    const sim = (settings as { simulation?: { machine?: unknown; preempt?: unknown; debugSleep?: unknown } } | null)?.simulation;
    const simulation = sim && typeof sim === 'object' ? { ...(sim.machine === undefined || sim.machine === '' ? {} : { machine: sim.machine }), ...(sim.preempt === undefined ? {} : { preempt: sim.preempt }), ...(sim.debugSleep === undefined ? {} : { debugSleep: sim.debugSleep }) } : undefined;
    // "kport.target": an empty string leaves .kport.json's (or 2.6) in charge.
    const rawTarget = (settings as { target?: unknown } | null)?.target;
    const target = rawTarget === undefined || rawTarget === '' ? undefined : rawTarget;
    if (rules === undefined && simulation === undefined && target === undefined) return;
    const { config: c, problems } = parseConfig({ rules: rules ?? {}, ...(simulation ? { simulation } : {}), ...(target !== undefined ? { target } : {}) }, RULE_IDS);
    editorConfig = c;
    for (const p of problems) connection.console.warn(`kport settings: ${p}`);
  }

  connection.onInitialize(async (params) => {
    const init = (params.initializationOptions ?? {}) as {
      debounceMs?: number;
      verdictDelayMs?: number;
      settings?: unknown;
      indexWorkspace?: boolean;
      maxParseMs?: number;
      maxFileBytes?: number;
      cacheDir?: string;
    };
    if (typeof init.maxParseMs === 'number' && init.maxParseMs > 0) maxParseMs = init.maxParseMs;
    if (typeof init.maxFileBytes === 'number' && init.maxFileBytes > 0) maxFileBytes = init.maxFileBytes;
    if (typeof init.cacheDir === 'string' && init.cacheDir) cacheDir = init.cacheDir;
    if (typeof init.debounceMs === 'number' && init.debounceMs >= 0) debounceMs = init.debounceMs;
    if (typeof init.verdictDelayMs === 'number' && init.verdictDelayMs >= 0) verdictDelayMs = init.verdictDelayMs;
    if (init.settings) applyEditorSettings(init.settings);
    if (init.indexWorkspace === false) indexing = { ...indexing, enabled: false };
    // VS Code runs command links in hovers (the extension trusts kport.simulateFunction); other editors show them raw.
    commandLinks = params.clientInfo?.name === 'Visual Studio Code' || /code/i.test(params.clientInfo?.name ?? '');
    canPullConfig = !!params.capabilities.workspace?.configuration;
    canRefreshLenses = !!params.capabilities.workspace?.codeLens?.refreshSupport;
    workDoneProgress = !!params.capabilities.window?.workDoneProgress;
    readWorkspaceConfig(params);
    const root = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    if (root?.startsWith('file:')) workspaceRoot = fileURLToPath(root);
    try {
      parser = await loadParser();
    } catch (e) {
      parserError = `kport could not load the C parser: ${(e as Error).message}`;
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [CHECK_WORKSPACE_COMMAND] },
      },
      serverInfo: { name: 'kport', version: '0.1.0' },
    };
  });

  connection.onInitialized(async () => {
    if (parserError) connection.window.showErrorMessage(parserError);
    if (canPullConfig) {
      await connection.client.register(DidChangeConfigurationNotification.type, undefined).catch(() => undefined);
      await pullSettings();
      // A document opened before the settings arrived was checked with the defaults.
      for (const [uri, d] of open) {
        d.analysis = undefined;
        schedule(uri, 0);
      }
    }
    startIndex('start');
  });

  /** Reports an index run's progress (pass, files, MB/s since `t0`) at most every 250 ms, and at the end of a pass. */
  function progressReporter(progress: WorkDoneProgressServerReporter | undefined, t0: number) {
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
  function startIndex(why: string): void {
    if (!parser || !workspaceRoot || !indexing.enabled) return;
    indexAbort?.abort();
    const abort = new AbortController();
    indexAbort = abort;
    const previous = indexRunning;
    const root = workspaceRoot;
    const settings = indexing;
    indexRunning = (async () => {
      await previous?.catch(() => undefined);
      if (abort.signal.aborted) return;
      const t0 = performance.now();
      const files = indexedFiles(root, settings);
      const listMs = performance.now() - t0;
      const progress = workDoneProgress ? await connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
      progress?.begin('kport: indexing', 0, `${files.length} C files`, false);
      let run: IndexRun;
      try {
        run = await runIndexHost({ files, settings, config: config(), cacheFile: cacheFileFor(root, cacheDir), goal: 'summaries' }, {
          signal: abort.signal,
          holder: (hold) => (holdIndex = hold),
          onProgress: progressReporter(progress, t0),
        });
      } catch (e) {
        if (!abort.signal.aborted) connection.console.error(`kport: indexing ${root} failed: ${(e as Error).message}`);
        return;
      } finally {
        progress?.done();
        holdIndex = undefined;
      }
      if (abort.signal.aborted) return;
      const openPaths = new Set([...open.values()].map((d) => d.path));
      const indexed = new Set(run.summaries.map((s) => s.path));
      for (const s of run.summaries) if (!openPaths.has(s.path)) index.update(s);
      for (const f of files) if (!indexed.has(f) && !openPaths.has(f)) index.remove(f);
      connection.console.log(
        `kport: indexed ${run.files} files (${(run.bytes / 1e6).toFixed(1)} MB) of ${root} in ${run.seconds.toFixed(2)} s (${why}; listing ${(listMs / 1000).toFixed(2)} s; ` +
          `cache: ${run.cacheHits} hits, ${run.cacheMisses} read; ${run.passes.join('; ') || 'no pass'})${run.cacheNote ? `; ${run.cacheNote}` : ''}`,
      );
      // Open documents may now see callers and registrations in other files.
      for (const [uri, d] of open) {
        d.analysis = undefined;
        schedule(uri, 0);
      }
    })();
  }

  /**
   * kport.checkWorkspace: `kport check` over the indexed files, on the index's workers and cache, with
   * work-done progress that the user can cancel; the findings of files not open go to the Problems panel
   * (an open document keeps its live diagnostics). Answers what it found, as plain data.
   */
  const workspaceProblems = new Set<string>();
  let checkAbort: AbortController | undefined;
  async function checkWorkspace(): Promise<{ files: number; findings: number; filesWithFindings: number; seconds: number } | { cancelled: true } | { error: string }> {
    if (!parser || !workspaceRoot) return { error: 'no workspace folder is open' };
    checkAbort?.abort();
    const abort = new AbortController();
    checkAbort = abort;
    const root = workspaceRoot;
    const files = indexedFiles(root, indexing);
    const progress = workDoneProgress ? await connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
    progress?.begin('kport: checking the workspace', 0, `${files.length} C files`, true);
    progress?.token.onCancellationRequested(() => abort.abort());
    try {
      const run = await runIndexHost(
        { files, settings: { ...indexing, enabled: true }, config: config(), cacheFile: cacheFileFor(root, cacheDir), goal: 'findings' },
        { signal: abort.signal, onProgress: progressReporter(progress, performance.now()) },
      );
      if (abort.signal.aborted) return { cancelled: true };
      const openPaths = new Set([...open.values()].map((d) => d.path));
      const published = new Set<string>();
      let findings = 0;
      for (const r of run.reports) {
        findings += r.findings.length;
        if (!r.findings.length || openPaths.has(r.file)) continue;
        const uri = pathToFileURL(r.file).href;
        published.add(uri);
        connection.sendDiagnostics({ uri, diagnostics: r.findings.map((f) => reportToDiagnostic(f, uri, docs)) });
      }
      for (const uri of workspaceProblems) if (!published.has(uri) && !open.has(uri)) connection.sendDiagnostics({ uri, diagnostics: [] });
      workspaceProblems.clear();
      for (const uri of published) workspaceProblems.add(uri);
      const filesWithFindings = run.reports.filter((r) => r.findings.length).length; // the host sends those only
      connection.console.log(`kport: checked ${run.files} files of ${root} in ${run.seconds.toFixed(2)} s: ${findings} findings in ${filesWithFindings} files (${run.passes.join('; ')})`);
      return { files: run.files, findings, filesWithFindings, seconds: run.seconds };
    } catch (e) {
      if (abort.signal.aborted) return { cancelled: true };
      connection.console.error(`kport: checking ${root} failed: ${(e as Error).message}`);
      return { error: (e as Error).message };
    } finally {
      progress?.done();
    }
  }

  connection.onExecuteCommand(async (params) => {
    if (params.command === CHECK_WORKSPACE_COMMAND) return checkWorkspace();
    throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${params.command}`);
  });

  connection.onDidChangeWatchedFiles((params) => {
    if (!parser) return;
    for (const change of params.changes) {
      if (!change.uri.startsWith('file:') || open.has(change.uri)) continue;
      if (change.type === 3) index.remove(fileURLToPath(change.uri));
    }
    // A branch switch changes many files at once: one run, after the burst (the cache reads only what changed).
    if (indexChanges) clearTimeout(indexChanges);
    indexChanges = setTimeout(() => startIndex('files changed'), 300);
  });

  /** Keeps the index current with an open document's edits, off the diagnostics path. */
  function scheduleSummary(uri: string): void {
    const t = summaryTimers.get(uri);
    if (t) clearTimeout(t);
    summaryTimers.set(uri, setTimeout(() => {
      summaryTimers.delete(uri);
      const d = open.get(uri);
      const a = d?.analysis;
      if (!d || !a) return;
      const summary = a.shared.context.summary(); // the analysis already built this file's context
      const before = summaries.get(uri);
      if (before && JSON.stringify(before) === JSON.stringify(summary)) return;
      summaries.set(uri, summary);
      index.update(summary);
      // A new lock around a call, a new registration: the open documents that define a function this one calls,
      // registers or stores (now or before the edit) may run in another context now.
      const named = new Set<string>();
      for (const x of before ? [before, summary] : [summary]) {
        for (const c of x.calls) named.add(c.callee);
        for (const e of x.entries) named.add(e.name);
        for (const v of x.valueRefs) named.add(v);
      }
      for (const [other, od] of open)
        if (other !== uri && od.analysis?.facts.functions.some((f) => !f.isStatic && named.has(f.name))) {
          od.analysis = undefined;
          schedule(other, 0);
        }
    }, 250));
  }

  async function pullSettings(): Promise<void> {
    if (!canPullConfig) return;
    try {
      const [settings] = await connection.workspace.getConfiguration([{ section: 'kport' }]);
      applyEditorSettings(settings);
    } catch {
      /* a client that advertises configuration but fails it keeps the current settings */
    }
  }

  connection.onDidChangeConfiguration(async (change) => {
    if (canPullConfig) await pullSettings();
    else applyEditorSettings((change.settings as { kport?: unknown } | null)?.kport);
    for (const d of open.values()) d.analysis = undefined;
    for (const uri of open.keys()) schedule(uri, 0);
    startIndex('settings changed'); // unchanged files are answered from the cache
  });

  function analysisOf(uri: string): Analysis | undefined {
    const d = open.get(uri);
    if (!d || !parser || d.doc.getText().length > maxFileBytes) return undefined;
    try {
      const a = d.analyze(parser, { config: config(), env: { workspace: index }, simulate: false }, { maxMs: maxParseMs });
      failedReason.delete(uri);
      scheduleSummary(uri);
      if (a.failures.length) connection.console.error(`kport: rule failures in ${uri}: ${a.failures.map((f) => `${f.rule}: ${f.error}`).join('; ')}`);
      return a;
    } catch (e) {
      // The parser threw or ran out of wasm memory: drop the tree, say so on the document, keep serving others.
      d.parsed = undefined;
      d.analysis = undefined;
      const reason = e instanceof Error ? e.message : String(e);
      failedReason.set(uri, reason);
      connection.console.error(`kport: analysis of ${uri} failed: ${reason}`);
      return undefined;
    }
  }

  function validate(uri: string): void {
    timers.delete(uri);
    const d = open.get(uri);
    if (!d) return;
    if (!parser) {
      connection.sendDiagnostics({ uri, version: d.doc.version, diagnostics: [failureDiagnostic(parserError ?? 'parser not loaded')] });
      return;
    }
    const size = d.doc.getText().length;
    if (size > maxFileBytes) {
      d.dispose();
      const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);
      connection.sendDiagnostics({
        uri,
        version: d.doc.version,
        diagnostics: [{ ...failureDiagnostic(`this file is ${mb(size)} MiB; the editor analyzes files up to ${mb(maxFileBytes)} MiB (initializationOptions.maxFileBytes). Run \`kport check\` on it instead.`), severity: 3 }],
      });
      return;
    }
    const t0 = performance.now();
    const fresh = !d.analysis || d.analysis.version !== d.doc.version;
    const a = analysisOf(uri);
    const diagnostics = a ? [...a.findings.map((f) => toDiagnostic(f, a.lines, uri, docs)), ...renamedRuleNotes(d.doc.getText())] : [failureDiagnostic(`analysis failed: ${failedReason.get(uri) ?? 'unknown error'}`)];
    connection.sendDiagnostics({ uri, version: d.doc.version, diagnostics });
    const ms = performance.now() - t0;
    if (a && fresh && (TRACE || ms > SLOW_ANALYSIS_MS)) {
      const t = a.timing;
      connection.console.log(
        `kport: ${TRACE ? '' : 'slow '}analysis of ${d.path} v${a.version} (${(size / 1024).toFixed(0)} KiB): ${ms.toFixed(1)} ms ` +
          `(parse ${t.parseMs.toFixed(1)}, facts ${t.factsMs.toFixed(1)}, rules ${t.rulesMs.toFixed(1)}, publish ${(ms - t.parseMs - t.factsMs - t.rulesMs).toFixed(1)})`,
      );
    }
    if (a) scheduleVerdicts(uri); // when typing pauses: the exact tree, the verdicts, the simulations
  }

  /**
   * Diagnostics go out at once; when typing pauses (verdictDelayMs) the speculative parse is settled, the
   * simulator's verdicts follow as a second publish of the same version, and the document's functions are
   * simulated for hovers and lenses (warmSimulations).
   */
  function scheduleVerdicts(uri: string): void {
    const t = verdictTimers.get(uri);
    if (t) clearTimeout(t);
    verdictTimers.set(uri, setTimeout(() => {
      verdictTimers.delete(uri);
      const d = open.get(uri);
      if (!d || !parser) return;
      // Typing paused: the keystrokes' speculative parse is made exact; if that changed the tree, the findings are
      // published again from it.
      try {
        if (d.settle(parser, { maxMs: maxParseMs })) validate(uri);
      } catch (e) {
        d.dispose();
        connection.console.error(`kport: re-parsing ${uri} failed: ${(e as Error).message}`);
        return;
      }
      const a = d.analysis;
      if (!a || a.version !== d.doc.version) return;
      if (a.verdicts) {
        warmSimulations(uri);
        return;
      }
      // A finding at a time, in slices of VERDICT_SLICE_MS: a hover or a keystroke that arrives meanwhile is
      // answered between two slices, not after every simulation of a large file.
      const withVerdicts = [...a.findings];
      const todo = withVerdicts.flatMap((f, i) => (f.simulate ? [i] : []));
      let done = 0;
      const slice = () => {
        if (open.get(uri) !== d || d.analysis !== a || a.version !== d.doc.version) return; // superseded
        const until = performance.now() + VERDICT_SLICE_MS;
        try {
          while (todo.length && performance.now() < until) {
            const i = todo.shift()!;
            withVerdicts[i] = addVerdicts([withVerdicts[i]], a.shared, done++)[0];
          }
        } catch (e) {
          connection.console.error(`kport: simulation for ${uri} failed: ${(e as Error).message}`);
          todo.length = 0;
        }
        if (todo.length) {
          setImmediate(slice);
          return;
        }
        a.findings = withVerdicts;
        a.verdicts = true;
        connection.sendDiagnostics({ uri, version: a.version, diagnostics: [...a.findings.map((f) => toDiagnostic(f, a.lines, uri, docs)), ...renamedRuleNotes(d.doc.getText())] });
        warmSimulations(uri);
      };
      slice();
    }, verdictDelayMs));
  }

  /** A hint, tagged deprecated, on each `kport-ignore` that names a former rule id (it still suppresses). */
  function renamedRuleNotes(text: string): Diagnostic[] {
    return renamedSuppressions(text).map((r) => ({
      range: { start: { line: r.line - 1, character: 0 }, end: { line: r.line - 1, character: 0 } },
      severity: 4,
      tags: [2],
      source: 'kport',
      message: `kport-ignore ${r.id}: ${r.note}`,
    }));
  }

  function failureDiagnostic(message: string): Diagnostic {
    return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 1, source: 'kport', message: `kport: ${message}` };
  }

  /**
   * Analyzes `uri` soon: at once (after the messages already read) for a change that comes alone, as
   * keystrokes do, and after debounceMs within a burst of changes (a paste, a client replaying edits), so
   * a burst costs one analysis.
   */
  function schedule(uri: string, delay?: number): void {
    timers.get(uri)?.();
    let wait = delay;
    if (wait === undefined) {
      const now = performance.now();
      const previous = lastChange.get(uri);
      lastChange.set(uri, now);
      wait = previous !== undefined && now - previous < BURST_MS ? debounceMs : 0;
    }
    if (wait === 0) {
      const i = setImmediate(() => validate(uri));
      timers.set(uri, () => clearImmediate(i));
    } else {
      const t = setTimeout(() => validate(uri), wait);
      timers.set(uri, () => clearTimeout(t));
    }
  }

  documents.onDidOpen((e) => {
    open.set(e.document.uri, new OpenDocument(e.document));
    schedule(e.document.uri, 0);
  });
  documents.onDidChangeContent((e) => {
    userActive();
    const d = open.get(e.document.uri);
    if (d) d.doc = e.document;
    else open.set(e.document.uri, new OpenDocument(e.document));
    schedule(e.document.uri);
  });
  documents.onDidClose((e) => {
    timers.get(e.document.uri)?.();
    timers.delete(e.document.uri);
    lastChange.delete(e.document.uri);
    open.get(e.document.uri)?.dispose();
    open.delete(e.document.uri);
    failedReason.delete(e.document.uri);
    summaries.delete(e.document.uri);
    connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  // Fixes on text that already has syntax errors are offered only if their result parses no worse (core's
  // parsesNoWorse, as the CLI writes); on clean text the rules' fixes are held to that by the tests and the fuzzer.
  const errorCounts = new WeakMap<Analysis, number>();
  function fixParsesNoWorse(a: Analysis, edits: readonly { start: number; end: number; newText: string }[]): boolean {
    const root = a.facts.file.root;
    if (!root.hasError || !parser || !edits.length) return true;
    let before = errorCounts.get(a);
    if (before === undefined) errorCounts.set(a, (before = countSyntaxErrors(root)));
    return parsesNoWorse(parser, a.facts.text, edits, before, { maxMs: maxParseMs });
  }

  connection.onCodeAction((params) => {
    userActive();
    const a = analysisOf(params.textDocument.uri);
    if (!a) return [];
    const uri = params.textDocument.uri;
    const only = params.context.only;
    const actions: CodeAction[] = [];
    const wantsQuickFix = !only || only.some((k) => CodeActionKind.QuickFix.startsWith(k) || k.startsWith(CodeActionKind.QuickFix));
    const wantsFixAll = !only || only.some((k) => FIX_ALL_KIND.startsWith(k));
    if (wantsQuickFix) {
      const start = a.lines.offsetAt(params.range.start);
      const end = a.lines.offsetAt(params.range.end);
      const fixAllOffered = new Set<string>();
      for (const f of a.findings) {
        if (f.span.end < start || f.span.start > end) continue;
        const safe = f.fixes.filter((x) => fixParsesNoWorse(a, x.edits));
        actions.push(...quickFixes(safe.length === f.fixes.length ? f : { ...f, fixes: safe }, toDiagnostic(f, a.lines, uri, docs), a.lines, uri));
        if (fixAllOffered.has(f.rule)) continue;
        fixAllOffered.add(f.rule);
        const same = preferredEdits(a.findings.filter((x) => x.rule === f.rule));
        if (same.applied.length > 1 && fixParsesNoWorse(a, same.edits))
          actions.push({ title: `Fix all ${f.rule} problems in this file (${same.applied.length})`, kind: CodeActionKind.QuickFix, edit: { changes: { [uri]: toEdits(a.lines, same.edits) } } });
      }
    }
    if (wantsFixAll) {
      const { edits, applied } = preferredEdits(a.findings);
      if (applied.length && fixParsesNoWorse(a, edits)) actions.push({ title: `kport: fix all ${applied.length} porting problems`, kind: FIX_ALL_KIND, edit: { changes: { [uri]: toEdits(a.lines, edits) } } });
    }
    return actions;
  });

  connection.onHover((params) => {
    userActive();
    const a = analysisOf(params.textDocument.uri);
    if (!a) return null;
    const uri = params.textDocument.uri;
    const links: LinkOptions = {
      // Lines of this file and of other workspace files, as links the editor opens.
      link: (file, line, text) => `[${text}](${file ? pathToFileURL(file).href : uri}#L${line})`,
      simulateLink: commandLinks ? (line) => `[Open the Simulate view](command:kport.simulateFunction?${encodeURIComponent(JSON.stringify([uri, { line: line - 1, character: 0 }]))})` : undefined,
    };
    const h = hoverAt(a.facts, a.lines.offsetAt(params.position), a.env, a.shared, links);
    return h ? { contents: { kind: 'markdown', value: h.markdown }, range: rangeOf(a.lines, h.span) } : null;
  });

  // kport/simulate: the enclosing function's simulation as JSON (README: "Custom requests").
  connection.onRequest(SIMULATE_METHOD, (params: SimulateParams) => {
    if (!params?.textDocument?.uri || !params.position) throw new ResponseError(ErrorCodes.InvalidParams, 'kport/simulate needs textDocument.uri and position');
    const a = analysisOf(params.textDocument.uri);
    if (!a) throw new ResponseError(ErrorCodes.InvalidParams, `document not open: ${params.textDocument.uri}`);
    const fi = a.facts.functionAt(a.lines.offsetAt(params.position));
    if (fi < 0) return null;
    const sim = simulateFunction(a.shared, fi, params.snapshots ? 'all' : 'none');
    return toSimulateResult(sim, a.facts.lineOf(a.facts.functions[fi].nameSpan.start));
  });

  connection.onRequest(SIMULATE_DRIVER_METHOD, (params: SimulateDriverParams) => {
    if (!params?.textDocument?.uri) throw new ResponseError(ErrorCodes.InvalidParams, 'kport/simulateDriver needs textDocument.uri');
    const a = analysisOf(params.textDocument.uri);
    if (!a) throw new ResponseError(ErrorCodes.InvalidParams, `document not open: ${params.textDocument.uri}`);
    const uri = params.textDocument.uri;
    const file = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
    return toSimulateDriverResult(simulateDriver(a.shared, file, { runs: params.runs }));
  });

  // A "Simulate" lens above functions whose sequences have a problem in some scenario.
  /** Functions of an analysis whose sequences the simulator can run (they call an allocator). */
  function simulatedFunctions(a: Analysis): number[] {
    return a.facts.functions.flatMap((_, fi) => (a.shared.context.flows[fi].sites.some((s) => SIMULATED_CALLS.has(s.call.name)) ? [fi] : []));
  }

  /**
   * Simulates, while typing pauses, each function of the document that calls an allocator, one function a
   * turn of the event loop (a keystroke waits for one function at most, and a newer version stops it), so
   * hovers and lenses find them done; then asks the client to fetch lenses again if it was given too few.
   */
  const warming = new Map<string, number>();
  const lensesShort = new Set<string>();
  function warmSimulations(uri: string): void {
    const d = open.get(uri);
    const a = d?.analysis;
    if (!d || !a || a.version !== d.doc.version || warming.get(uri) === a.version) return;
    warming.set(uri, a.version);
    const todo = simulatedFunctions(a);
    const step = () => {
      if (open.get(uri) !== d || d.analysis !== a || a.version !== d.doc.version) {
        warming.delete(uri);
        return;
      }
      // Only while the user is idle: a simulation is one function's worth of work, a keystroke must not wait for it.
      const busy = lastActivity + WARM_IDLE_MS - performance.now();
      if (busy > 0) {
        setTimeout(step, busy);
        return;
      }
      const fi = todo.shift();
      if (fi !== undefined) {
        try {
          simulateFunction(a.shared, fi);
        } catch (e) {
          connection.console.error(`kport: simulation in ${uri} failed: ${(e as Error).message}`);
        }
        setImmediate(step);
        return;
      }
      warming.delete(uri);
      if (lensesShort.delete(uri) && canRefreshLenses) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    };
    setImmediate(step);
  }

  // A "Simulate" lens above functions whose sequences have a problem in some scenario. Simulations not done
  // yet are run here for LENS_BUDGET_MS at most; the rest come when typing pauses (warmSimulations), with a
  // lens refresh.
  connection.onCodeLens((params) => {
    const uri = params.textDocument.uri;
    const a = analysisOf(uri);
    if (!a) return [];
    const lenses = [];
    const t0 = performance.now();
    let short = false;
    for (const fi of simulatedFunctions(a)) {
      const fn = a.facts.functions[fi];
      if (!isSimulated(a.shared, fi) && performance.now() - t0 > LENS_BUDGET_MS) {
        short = true;
        continue;
      }
      const sim = simulateFunction(a.shared, fi);
      if (!sim.problems.length) continue;
      const range = rangeOf(a.lines, fn.nameSpan);
      const worst = sim.problems[0].split(':')[0];
      lenses.push({
        range,
        command: { title: `▶ Simulate: ${sim.problems.length} problem${sim.problems.length > 1 ? 's' : ''} (${worst})`, command: 'kport.simulateFunction', arguments: [uri, range.start] },
      });
    }
    if (short) {
      lensesShort.add(uri);
      warmSimulations(uri);
    }
    return lenses;
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
