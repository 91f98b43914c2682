/**
 * The language server: one handler per LSP method, each translating between LSP and core's analysis host
 * (core/ide). What stays here is the adapter's: timers (debouncing, pauses in typing), the workspace index's
 * threads and cache, settings, progress and the transport (stdio, node-ipc, socket: picked by
 * vscode-languageserver from the command line).
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  CodeActionTriggerKind,
  createConnection,
  DidChangeConfigurationNotification,
  ErrorCodes,
  ResponseError,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeActionParams,
  type CodeLensParams,
  type Connection,
  type DidChangeConfigurationParams,
  type DidChangeWatchedFilesParams,
  type ExecuteCommandParams,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  type TextDocumentChangeEvent,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  AnalysisHost,
  configFromEditorSettings,
  type AnalysisTiming,
  SIMULATE_DRIVER_METHOD,
  SIMULATE_METHOD,
  type FileSummary,
  type LinkOptions,
  type SimulateDriverParams,
  type SimulateParams,
  type StepJob,
} from '../../core';
import { indexSettings } from './indexer';
import { findConfigFile, loadConfigFile } from '../node/config-file';
import { diskEnv } from '../node/headers';
import { docsDir, loadParser } from '../node/wasm';
import { internalSwitches } from '../node/internal';
import { collectYoungIfWorthIt } from '../node/young-gc';
import { BackgroundQueue } from './background-queue';
import { FIX_ALL_KIND, toCodeAction, toDiagnostic } from './convert';
import { WorkspaceIndexing } from './workspace-index';

export { FIX_ALL_KIND };
/** workspace/executeCommand: check every indexed file and fill the Problems panel (VS Code: "kport: Check Workspace"). */
export const CHECK_WORKSPACE_COMMAND = 'kport.checkWorkspace';

/** KPORT_TRACE=1: every analysis's timing goes to the log; otherwise only those slower than SLOW_ANALYSIS_MS. */
const TRACE = !!process.env.KPORT_TRACE;
const SLOW_ANALYSIS_MS = 100;
/** Changes of one document closer together than this are a burst (see schedule). */
const BURST_MS = 3;
/** A code-lens request simulates functions for this long at most; the others follow when typing pauses. */
const LENS_BUDGET_MS = 15;
/** Simulations run ahead of hovers only after this long without a keystroke, hover or code action. */
const WARM_IDLE_MS = 150;
/**
 * The warm-up's steps wait for a longer pause than a person's pace between two hovers (VS Code asks 300 ms after the
 * mouse rests) or two keystrokes: a request arriving during a step waits for it (10-25 ms while cold).
 */
const WARM_UP_IDLE_MS = 400;
/** Keystrokes after which the user's own have warmed the keystroke path: the warm-up's rest is left off. */
const WARM_UP_USER_EDITS = 30;
/** The simulated verdicts of a file's findings are computed in slices this long (see scheduleVerdicts). */
const VERDICT_SLICE_MS = 8;
/** A big document's second stage runs in parts of about this long (see completeStaged). */
const SECOND_STAGE_SLICE_MS = 8;
/** A big document's opening parse, a slice a turn (tree-sitter resumes where it stopped). */
const OPENING_SLICE_MS = 8;
/**
 * A collection between answers waits for this long without a keystroke, hover or code action: right after an
 * answer, a client that asks again at once (back-to-back hovers, bench/hover-verdicts.ts) waited behind it, 5-13 ms.
 */
const YOUNG_GC_QUIET_MS = 10;
/** An open document's summary goes to the index this long after its last analysis (off the diagnostics path). */
const SUMMARY_DELAY_MS = 250;

/** perf_hooks' GC kinds (constants.NODE_PERFORMANCE_GC_*), for the trace. */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * KPORT_TRACE=1: the background tasks run on the main thread (verdict slices, warming steps, settle, summaries,
 * re-publishes) of 2 ms or more go to the log with their start on the wall clock, so that a client can tell
 * which task a slow keystroke waited behind (its message arrives while the task runs).
 */
class TaskTrace {
  constructor(private readonly log: (message: string) => void) {
    // A collection's pause is main-thread time too: a keystroke can wait behind one.
    if (TRACE)
      new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          if (e.duration >= 2) {
            const kind = GC_KINDS[(e as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
            this.log(`kport: task gc-${kind} at ${(performance.timeOrigin + e.startTime).toFixed(1)} took ${e.duration.toFixed(1)} ms`);
          }
      }).observe({ entryTypes: ['gc'] });
  }

  run<T>(name: string, work: () => T): T {
    if (!TRACE) return work();
    const t0 = performance.now();
    try {
      return work();
    } finally {
      const ms = performance.now() - t0;
      if (ms >= 2) this.log(`kport: task ${name} at ${(performance.timeOrigin + t0).toFixed(1)} took ${ms.toFixed(1)} ms`);
    }
  }
}

export interface ServerOptions {
  debounceMs?: number;
}

const pathOf = (uri: string): string => {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  } catch {
    return uri;
  }
};

export function startServer(connection: Connection = createConnection(ProposedFeatures.all), options: ServerOptions = {}): Connection {
  new KportServer(connection, options).listen();
  return connection;
}

/** One pending call per document: restarting it drops the one before (a debounce keyed by URI). */
class DocumentDelays {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly turns = new Map<string, number>();
  private turn = 0;

  /**
   * Runs `run` after `ms` unless restarted meanwhile. `latest()` tells `run`, and the work it leaves waiting for
   * the user's pause, whether this is still the document's latest turn (a restart or cancel drops it).
   */
  restart(uri: string, ms: number, run: (latest: () => boolean) => void): void {
    clearTimeout(this.pending.get(uri));
    const turn = ++this.turn;
    this.turns.set(uri, turn);
    const latest = () => this.turns.get(uri) === turn;
    this.pending.set(
      uri,
      setTimeout(() => {
        this.pending.delete(uri);
        run(latest);
      }, ms),
    );
  }

  cancel(uri: string): void {
    clearTimeout(this.pending.get(uri));
    this.pending.delete(uri);
    this.turns.delete(uri);
  }
}

export class KportServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly host: AnalysisHost;
  private readonly docs = docsDir();
  private parserLoaded = false;
  private parserError: string | undefined;
  private debounceMs: number;
  private verdictDelayMs = 200;
  private commandLinks = false;
  private canPullConfig = false;
  /** The client re-asks for lenses on workspace/codeLens/refresh (LSP 3.16). */
  private canRefreshLenses = false;
  /** The warm-up ran (or is under way), or KPORT_INTERNAL=no-warm-up asked for none (bench/editor.ts compares). */
  private warmedUp = internalSwitches().noWarmUp;
  /** Changes the user made in this process (the warm-up stops once they have warmed the keystroke path). */
  private userEdits = 0;

  // Timers: pending analyses (how to cancel each), bursts, verdicts, summaries.
  private readonly timers = new Map<string, () => void>();
  /** When each document last changed: changes closer than BURST_MS together are a burst, debounced. */
  private readonly lastChange = new Map<string, number>();
  /** The version of each document whose preview went out (publishPreview): its first stage is not sent again. */
  private readonly previewed = new Map<string, number>();
  /** Each document's latest verdict run (scheduleVerdicts): an older one waiting for the user's pause is dropped. */
  private readonly verdictDelays = new DocumentDelays();
  private readonly summaryDelays = new DocumentDelays();
  /** The last summary each open document put in the index: only a change re-checks the others. */
  private readonly summaries = new Map<string, FileSummary>();
  /** Documents whose last lens request ran out of budget: a refresh is asked for when their warming ends. */
  private readonly lensesShort = new Set<string>();

  /** The workspace index (threads at a lower priority, a cache on disk) and kport.checkWorkspace. */
  private readonly index: WorkspaceIndexing;
  /**
   * The user's last keystroke, hover, code action or opening, or the answer to one: background work waits for quiet
   * counted from here (simulations ahead WARM_IDLE_MS, a collection YOUNG_GC_QUIET_MS).
   */
  private lastActivity = 0;
  /** Open documents whose context changed since their last publish (see reanalyzeOpen). */
  private readonly stale = new Set<string>();
  private republishing = false;
  private readonly trace = new TaskTrace((m) => this.connection.console.log(m));
  /** The background work on the main thread, one task a turn, after the input and the answers (background-queue.ts). */
  private readonly background = new BackgroundQueue();
  /** A young-generation collection is queued behind the input already read (see collectSoon). */
  private collecting = false;

  constructor(
    private readonly connection: Connection,
    options: ServerOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 5;
    this.host = new AnalysisHost({
      envFor: (facts, doc) => (doc.uri.startsWith('file:') ? diskEnv(facts, doc.path) : {}),
      log: (level, message) => (level === 'error' ? connection.console.error(message) : connection.console.log(message)),
      onAnalysis: (uri) => this.scheduleSummary(uri),
    });
    this.index = new WorkspaceIndexing(connection, this.host, this.docs, () => this.reanalyzeOpen());
    connection.onInitialize((p) => this.initialize(p));
    connection.onInitialized(() => this.initialized());
    connection.onExecuteCommand(this.background.handler((p) => this.executeCommand(p)));
    connection.onDidChangeWatchedFiles(this.background.handler((p) => this.didChangeWatchedFiles(p)));
    connection.onDidChangeConfiguration(this.background.handler((p) => this.didChangeConfiguration(p)));
    connection.onCodeAction(this.background.handler((p) => this.codeAction(p)));
    connection.onHover(this.background.handler((p) => this.hover(p)));
    connection.onCodeLens(this.background.handler((p) => this.codeLens(p)));
    // kport/simulate and kport/simulateDriver: JSON for the Simulate view (README: "Custom requests").
    connection.onRequest(
      SIMULATE_METHOD,
      this.background.handler((p: SimulateParams) => this.simulate(p)),
    );
    connection.onRequest(
      SIMULATE_DRIVER_METHOD,
      this.background.handler((p: SimulateDriverParams) => this.simulateDriver(p)),
    );
    this.documents.onDidOpen(this.background.handler((e) => this.didOpen(e)));
    this.documents.onDidChangeContent(this.background.handler((e) => this.didChange(e)));
    this.documents.onDidClose(this.background.handler((e) => this.didClose(e)));
  }

  listen(): void {
    // The bytes of a message as they arrive (the transports vscode-languageserver picks by these flags): background
    // tasks wait until the message is handled.
    if (process.argv.includes('--stdio')) process.stdin.on('data', () => this.background.input());
    if (process.argv.includes('--node-ipc')) process.on('message', () => this.background.input());
    this.documents.listen(this.connection);
    this.connection.listen();
  }

  // ---- LSP handlers ----

  private async initialize(params: InitializeParams): Promise<InitializeResult> {
    const init = (params.initializationOptions ?? {}) as {
      debounceMs?: number;
      verdictDelayMs?: number;
      settings?: unknown;
      indexWorkspace?: boolean;
      maxParseMs?: number;
      maxFileBytes?: number;
      /** Documents this large open in two stages (core/ide HostOptions.stagedOpenBytes). */
      stagedOpenBytes?: number;
      cacheDir?: string;
    };
    const positive = (n: unknown) => (typeof n === 'number' && n > 0 ? n : undefined);
    this.host.configure({ maxParseMs: positive(init.maxParseMs), maxFileBytes: positive(init.maxFileBytes) });
    if (typeof init.cacheDir === 'string' && init.cacheDir) this.index.cacheDir = init.cacheDir;
    if (typeof init.debounceMs === 'number' && init.debounceMs >= 0) this.debounceMs = init.debounceMs;
    if (typeof init.verdictDelayMs === 'number' && init.verdictDelayMs >= 0) this.verdictDelayMs = init.verdictDelayMs;
    if (typeof init.stagedOpenBytes === 'number' && init.stagedOpenBytes >= 0) this.host.configure({ stagedOpenBytes: init.stagedOpenBytes });
    if (init.settings) this.applyEditorSettings(init.settings);
    if (init.indexWorkspace === false) this.index.settings = { ...this.index.settings, enabled: false };
    // VS Code runs command links in hovers (the extension trusts kport.simulateFunction); other editors show them raw.
    this.commandLinks = params.clientInfo?.name === 'Visual Studio Code' || /code/i.test(params.clientInfo?.name ?? '');
    this.canPullConfig = !!params.capabilities.workspace?.configuration;
    this.canRefreshLenses = !!params.capabilities.workspace?.codeLens?.refreshSupport;
    this.index.workDoneProgress = !!params.capabilities.window?.workDoneProgress;
    const root = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    if (root?.startsWith('file:')) {
      this.index.root = fileURLToPath(root);
      this.readWorkspaceConfig(this.index.root);
    }
    this.index.prepare();
    try {
      this.host.configure({ parser: await loadParser() });
      this.parserLoaded = true;
    } catch (e) {
      this.parserError = `kport could not load the C parser: ${(e as Error).message}`;
      this.host.configure({ parserError: this.parserError });
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
  }

  private async initialized(): Promise<void> {
    if (this.parserError) this.connection.window.showErrorMessage(this.parserError);
    if (this.canPullConfig) {
      await this.connection.client.register(DidChangeConfigurationNotification.type, undefined).catch(() => undefined);
      await this.pullSettings();
      // A document opened before the settings arrived was checked with the defaults.
      this.reanalyzeOpen();
    }
    this.index.start('start');
  }

  private didOpen(e: TextDocumentChangeEvent<TextDocument>): void {
    this.userActive(); // the user opened it: a hover or a keystroke comes next
    this.index.userTyped();
    // The document's line table, made now: the first change would otherwise build it for the whole text before it
    // is applied (vscode-languageserver-textdocument keeps it up to date after that), 1-3 ms of the first keystroke.
    void e.document.lineCount;
    this.host.open(e.document.uri, pathOf(e.document.uri), e.document);
    this.schedule(e.document.uri, 0);
  }

  private didChange(e: TextDocumentChangeEvent<TextDocument>): void {
    this.userActive();
    this.index.userTyped();
    this.userEdits++;
    this.host.change(e.document.uri, pathOf(e.document.uri), e.document);
    this.schedule(e.document.uri);
  }

  private didClose(e: TextDocumentChangeEvent<TextDocument>): void {
    const uri = e.document.uri;
    this.timers.get(uri)?.();
    this.timers.delete(uri);
    this.lastChange.delete(uri);
    this.summaries.delete(uri);
    this.previewed.delete(uri);
    this.stale.delete(uri);
    this.verdictDelays.cancel(uri);
    this.summaryDelays.cancel(uri);
    this.host.close(uri);
    this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  private codeAction(params: CodeActionParams) {
    this.userActive();
    const uri = params.textDocument.uri;
    const only = params.context.only;
    const quickFix = !only || only.some((k) => CodeActionKind.QuickFix.startsWith(k) || k.startsWith(CodeActionKind.QuickFix));
    const fixAll = !only || only.some((k) => FIX_ALL_KIND.startsWith(k));
    const automatic = params.context.triggerKind === CodeActionTriggerKind.Automatic;
    return this.host.codeActions(uri, params.range, { quickFix, fixAll, automatic }).map((a) => toCodeAction(a, uri, this.docs));
  }

  private hover(params: HoverParams) {
    this.userActive();
    const uri = params.textDocument.uri;
    const links: LinkOptions = {
      // Lines of this file and of other workspace files, as links the editor opens.
      link: (file, line, text) => `[${text}](${file ? pathToFileURL(file).href : uri}#L${line})`,
      simulateLink: this.commandLinks
        ? (line) => `[Open the Simulate view](command:kport.simulateFunction?${encodeURIComponent(JSON.stringify([uri, { line: line - 1, character: 0 }]))})`
        : undefined,
    };
    const h = this.trace.run('hover', () => this.host.hover(uri, params.position, links));
    this.userActive(); // answered
    this.collectSoon();
    return h ? { contents: { kind: 'markdown' as const, value: h.markdown }, range: h.range } : null;
  }

  /**
   * Once the answer is out and the user has been quiet YOUNG_GC_QUIET_MS: a young-generation collection if it is
   * worth it (server/node/young-gc.ts), so that the next keystroke's analysis does not pay for one in the middle.
   */
  private collectSoon(): void {
    if (this.collecting) return;
    this.collecting = true;
    this.whenIdle(() => {
      this.collecting = false;
      this.trace.run('young-gc', collectYoungIfWorthIt);
    }, YOUNG_GC_QUIET_MS);
  }

  // A "Simulate" lens above functions whose sequences have a problem in some scenario; those not simulated
  // within LENS_BUDGET_MS come when typing pauses (warm), with a lens refresh.
  private codeLens(params: CodeLensParams) {
    const uri = params.textDocument.uri;
    // No cancellation here: VS Code cancels lens requests it supersedes and asks again only on a refresh, and
    // an answer cut short by it would leave no lens until the next edit (the budget bounds the work anyway).
    const { lenses, short } = this.host.codeLenses(uri, LENS_BUDGET_MS);
    if (short) {
      this.lensesShort.add(uri);
      this.warm(uri);
    }
    return lenses.map((l) => ({ range: l.range, command: { title: l.title, command: 'kport.simulateFunction', arguments: [uri, l.range.start] } }));
  }

  private simulate(params: SimulateParams) {
    if (!params?.textDocument?.uri || !params.position) throw new ResponseError(ErrorCodes.InvalidParams, 'kport/simulate needs textDocument.uri and position');
    const r = this.host.simulate(params.textDocument.uri, params.position, !!params.snapshots);
    if (r === undefined) throw new ResponseError(ErrorCodes.InvalidParams, `document not open: ${params.textDocument.uri}`);
    return r;
  }

  private simulateDriver(params: SimulateDriverParams) {
    if (!params?.textDocument?.uri) throw new ResponseError(ErrorCodes.InvalidParams, 'kport/simulateDriver needs textDocument.uri');
    const r = this.host.simulateDriver(params.textDocument.uri, params.runs);
    if (r === undefined) throw new ResponseError(ErrorCodes.InvalidParams, `document not open: ${params.textDocument.uri}`);
    return r;
  }

  private async executeCommand(params: ExecuteCommandParams) {
    if (params.command === CHECK_WORKSPACE_COMMAND) return this.index.check();
    throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${params.command}`);
  }

  private didChangeWatchedFiles(params: DidChangeWatchedFilesParams): void {
    if (!this.parserLoaded) return;
    for (const change of params.changes) {
      if (!change.uri.startsWith('file:') || this.host.isOpen(change.uri)) continue;
      if (change.type === 3) this.host.workspace.remove(fileURLToPath(change.uri));
    }
    // A branch switch changes many files at once: one run, after the burst (the cache reads only what changed).
    this.index.filesChanged();
  }

  private async didChangeConfiguration(change: DidChangeConfigurationParams): Promise<void> {
    if (this.canPullConfig) await this.pullSettings();
    else this.applyEditorSettings((change.settings as { kport?: unknown } | null)?.kport);
    this.reanalyzeOpen();
    this.index.start('settings changed'); // unchanged files are answered from the cache
  }

  // ---- settings ----

  private readWorkspaceConfig(root: string): void {
    const file = findConfigFile(root);
    if (!file) return;
    const { config, problems } = loadConfigFile(file);
    this.host.setConfig({ file: config });
    for (const p of problems) this.connection.window.showWarningMessage(`kport: ${p}`);
  }

  private applyEditorSettings(settings: unknown): void {
    const indexRaw = (settings as { index?: unknown } | null)?.index;
    if (indexRaw !== undefined) {
      const problems: string[] = [];
      this.index.settings = indexSettings(indexRaw, problems);
      for (const p of problems) this.connection.console.warn(`kport settings: ${p}`);
    }
    const { config, problems } = configFromEditorSettings(settings);
    if (config) this.host.setConfig({ editor: config });
    for (const p of problems) this.connection.console.warn(`kport settings: ${p}`);
  }

  private async pullSettings(): Promise<void> {
    if (!this.canPullConfig) return;
    try {
      const [settings] = await this.connection.workspace.getConfiguration([{ section: 'kport' }]);
      this.applyEditorSettings(settings);
    } catch {
      /* a client that advertises configuration but fails it keeps the current settings */
    }
  }

  // ---- publishing: at once, debounced within bursts; verdicts and simulations when typing pauses ----

  /**
   * The user asked (a keystroke, an opening, a hover, a code action) or was answered (a keystroke's or an opening's
   * diagnostics, a hover): background work's quiet counts from the later of the two, not from the request's arrival
   * (a file's first analysis alone can outlast YOUNG_GC_QUIET_MS, and the collection then ran just as the user's
   * next request came).
   */
  private userActive(): void {
    this.lastActivity = performance.now();
  }

  /**
   * The open documents' context changed (the index, settings, another document's summary): their analyses are
   * dropped at once (a request analyzes afresh) and they are published again one a turn of the event loop, once
   * the user pauses (a keystroke's own analysis covers its document), each at most once however many changes came.
   */
  private reanalyzeOpen(uris: string[] = this.host.openUris()): void {
    this.host.invalidate(uris);
    for (const uri of uris) this.stale.add(uri);
    if (!this.republishing) this.republishStale();
  }

  private republishStale(): void {
    this.republishing = true;
    this.whenIdle(() => {
      const [uri] = this.stale;
      if (uri !== undefined && this.host.isOpen(uri)) this.trace.run('republish', () => this.validate(uri));
      else if (uri !== undefined) this.stale.delete(uri);
      if (this.stale.size) this.republishStale();
      else this.republishing = false;
    });
  }

  /** Runs `work` as a background task once the user has been idle `quietMs` (see userActive). */
  private whenIdle(work: () => void, quietMs = WARM_IDLE_MS): void {
    this.background.later(() => {
      const busy = this.lastActivity + quietMs - performance.now();
      if (busy > 0) setTimeout(() => this.whenIdle(work, quietMs), busy);
      else work();
    });
  }

  /**
   * Analyzes `uri` soon: at once (after the messages already read) for a change that comes alone, as
   * keystrokes do, and after debounceMs within a burst of changes (a paste, a client replaying edits), so
   * a burst costs one analysis.
   */
  private schedule(uri: string, delay?: number): void {
    this.timers.get(uri)?.();
    let wait = delay;
    if (wait === undefined) {
      const now = performance.now();
      const previous = this.lastChange.get(uri);
      this.lastChange.set(uri, now);
      wait = previous !== undefined && now - previous < BURST_MS ? this.debounceMs : 0;
    }
    const answer = () => {
      this.validate(uri);
      this.userActive(); // answered
    };
    if (wait === 0) {
      const i = setImmediate(answer);
      this.timers.set(uri, () => clearImmediate(i));
    } else {
      const t = setTimeout(answer, wait);
      this.timers.set(uri, () => clearTimeout(t));
    }
  }

  private publish(uri: string, opts: { staged?: boolean } = {}): ReturnType<AnalysisHost['diagnostics']> {
    const r = this.host.diagnostics(uri, opts);
    this.background.foreground(); // its write waits a turn too
    // A first stage whose preview went out: the same findings (OpenDocument.preview), not sent again.
    if (r && !(r.partial && this.previewed.get(uri) === r.version))
      this.connection.sendDiagnostics({ uri, version: r.version, diagnostics: r.diagnostics.map((d) => toDiagnostic(d, uri, this.docs)) });
    return r;
  }

  /**
   * A big document's first diagnostics, from a parse of part of it (AnalysisHost.preview), before its opening parse
   * goes on a slice a turn. True when they went out.
   */
  private publishPreview(uri: string): boolean {
    const t0 = performance.now();
    const p = this.trace.run('preview', () => this.host.preview(uri));
    if (!p) return false;
    this.previewed.set(uri, p.version);
    this.background.foreground();
    this.connection.sendDiagnostics({ uri, version: p.version, diagnostics: p.diagnostics.map((d) => toDiagnostic(d, uri, this.docs)) });
    if (TRACE && p.analysis) this.logTiming(`preview of ${pathOf(uri)} v${p.version}`, p.analysis, performance.now() - t0);
    this.timers.set(
      uri,
      this.background.later(() => this.validate(uri)),
    );
    return true;
  }

  /** `kport: <what> (<KiB>): <ms> ms (parse, facts, rules, publish)`: the rest of `ms` is the publish's. */
  private logTiming(what: string, a: { bytes: number; timing: AnalysisTiming }, ms: number): void {
    const t = a.timing;
    this.connection.console.log(
      `kport: ${what} (${(a.bytes / 1024).toFixed(0)} KiB): ${ms.toFixed(1)} ms ` +
        `(parse ${t.parseMs.toFixed(1)}, facts ${t.factsMs.toFixed(1)}, rules ${t.rulesMs.toFixed(1)}, publish ${(ms - t.parseMs - t.factsMs - t.rulesMs).toFixed(1)})`,
    );
  }

  private validate(uri: string): void {
    this.timers.delete(uri);
    this.stale.delete(uri);
    if (this.publishPreview(uri)) return;
    if (this.parseOpeningSlice(uri)) return;
    const t0 = performance.now();
    // A big document's opening is published in two stages: the rules that need no context, then all.
    const r = this.publish(uri, { staged: true });
    const a = r?.analysis;
    if (!r || !a) return;
    const ms = performance.now() - t0;
    if (a.fresh && (TRACE || ms > SLOW_ANALYSIS_MS))
      this.logTiming(`${TRACE ? '' : 'slow '}analysis of ${pathOf(uri)} v${r.version}${r.partial ? ' (first stage)' : ''}`, a, ms);
    if (r.partial) this.completeStaged(uri);
    else this.scheduleVerdicts(uri);
    this.collectSoon();
    this.warmUp();
  }

  /**
   * Once a process, after its first document's analysis (which met kport's code cold): the keystroke path on
   * kport's own driver while the user pauses, a keystroke's work a step (AnalysisHost.warmUp), so the user's
   * first keystrokes find it optimized; left off once the user's own keystrokes have done that.
   */
  private warmUp(): void {
    if (this.warmedUp || !this.parserLoaded) return;
    this.warmedUp = true;
    const job = this.host.warmUp();
    let steps = 0;
    let ms = 0;
    const step = () => {
      if (this.userEdits >= WARM_UP_USER_EDITS) {
        job.stop();
        this.connection.console.log(`kport: warm-up left off after ${steps} steps (${ms.toFixed(0)} ms): ${this.userEdits} keystrokes came first`);
        return;
      }
      const t0 = performance.now();
      const state = this.trace.run('warm-up', () => job.step(0));
      ms += performance.now() - t0;
      steps++;
      if (state === 'more') this.whenIdle(step, WARM_UP_IDLE_MS);
      else if (job.error) this.connection.console.error(job.error);
      else this.connection.console.log(`kport: warmed up in ${ms.toFixed(0)} ms (${steps} steps)`);
    };
    this.whenIdle(step, WARM_UP_IDLE_MS);
  }

  /**
   * A big document's opening parse, a slice of OPENING_SLICE_MS a turn (a keystroke in another document is answered
   * between two), then its analysis (validate again, which finds the tree). True while the parse goes on; its
   * pending slice is the document's timer, so a change is analyzed at once (it ends the sliced parse: a whole one then).
   */
  private parseOpeningSlice(uri: string): boolean {
    const job = this.host.opening(uri);
    if (!job) return false;
    const state = this.trace.run('opening-parse', () => job.step(OPENING_SLICE_MS));
    if (job.error) this.connection.console.error(job.error);
    if (state === 'stale') return true;
    this.timers.set(
      uri,
      this.background.later(() => this.validate(uri)),
    );
    return true;
  }

  /**
   * A big document's second stage, in parts of SECOND_STAGE_SLICE_MS, one a turn of the event loop (a keystroke
   * in another document is answered between two), then published. Its pending part is the document's timer: a
   * change of the document cancels it (the change's analysis is complete and reuses the functions' facts).
   */
  private completeStaged(uri: string): void {
    const job = this.host.completion(uri);
    if (!job) {
      this.schedule(uri, 0);
      return;
    }
    const part = () => {
      this.timers.delete(uri);
      const state = this.trace.run('second-stage', () => job.step(SECOND_STAGE_SLICE_MS));
      if (state === 'more') {
        this.timers.set(uri, this.background.later(part));
        return;
      }
      if (job.error) {
        // Published in one stage: the failure, not a first stage again.
        this.connection.console.error(job.error);
        this.publish(uri);
      } else if (state === 'done') this.validate(uri);
    };
    this.timers.set(uri, this.background.later(part));
  }

  /**
   * Diagnostics go out at once; when typing pauses (verdictDelayMs) the speculative parse is settled, the
   * simulator's verdicts follow as a second publish of the same version (in slices of VERDICT_SLICE_MS, so a
   * hover or a keystroke is answered between two), and the document's functions are simulated (warm).
   */
  private scheduleVerdicts(uri: string): void {
    // A newer analysis of the document schedules its own run: this one, waiting for the user's pause, is dropped.
    this.verdictDelays.restart(uri, this.verdictDelayMs, (latest) => {
      const current = () => latest() && this.host.isOpen(uri);
      this.whenIdle(() => {
        if (!current()) return;
        const settled = this.trace.run('settle', () => this.host.settle(uri));
        if (settled === 'failed') return;
        if (settled === 'changed') return this.trace.run('settle-republish', () => this.validate(uri)); // the exact tree's findings, published again (and its verdicts)
        const job = this.host.verdicts(uri);
        if (!job) {
          this.warm(uri);
          return;
        }
        // Each slice waits for the user's pause: a keystroke or hover that arrives is answered first.
        const slice = () => {
          if (!current()) return;
          const state = this.trace.run('verdict-slice', () => job.step(VERDICT_SLICE_MS));
          if (state === 'more') this.whenIdle(slice);
          if (state !== 'done') return;
          if (job.error) this.connection.console.error(job.error);
          this.publish(uri);
          this.warm(uri);
        };
        this.whenIdle(slice);
      });
    });
  }

  /**
   * Simulates, while the user is idle, each function of the document that calls an allocator, one a turn of
   * the event loop (a keystroke waits for one function at most; a newer version stops it), so hovers and
   * lenses find them done; then asks the client to fetch lenses again if it was given too few.
   */
  private warm(uri: string): void {
    const job: StepJob | undefined = this.host.warm(uri);
    if (!job) return;
    const step = () => {
      const state = this.trace.run('warm-step', () => job.step(0));
      if (job.error) this.connection.console.error(job.error);
      if (state === 'more') this.whenIdle(step);
      else if (state === 'done' && this.lensesShort.delete(uri) && this.canRefreshLenses)
        void this.connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    };
    this.whenIdle(step);
  }

  /**
   * Keeps the index current with an open document's edits, off the diagnostics path. A new lock around a call,
   * a new registration: the open documents that define a function this one calls, registers or stores (now or
   * before the edit) may run in another context now, and are checked again.
   */
  private scheduleSummary(uri: string): void {
    // A whole-file summary (tens of ms on a big file) waits for the user's pause like the verdicts; a newer edit's
    // turn drops this one.
    this.summaryDelays.restart(uri, SUMMARY_DELAY_MS, (latest) =>
      this.whenIdle(() => {
        if (!latest() || !this.host.isOpen(uri)) return;
        this.updateSummaryOf(uri);
      }),
    );
  }

  /** Keeps the index current with the document's summary; the open documents it may change are checked again. */
  private updateSummaryOf(uri: string): void {
    const summary = this.trace.run('summary', () => this.host.summary(uri));
    if (!summary) return;
    const before = this.summaries.get(uri);
    if (before && JSON.stringify(before) === JSON.stringify(summary)) return;
    this.summaries.set(uri, summary);
    const named = new Set<string>();
    for (const x of before ? [before, summary] : [summary]) {
      for (const c of x.calls) named.add(c.callee);
      for (const e of x.entries) named.add(e.name);
      for (const v of x.valueRefs) named.add(v);
    }
    this.reanalyzeOpen(this.host.updateSummary(summary, named, uri));
  }
}
