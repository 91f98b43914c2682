/**
 * The editor's queries over the workspace state it needs (rust-analyzer's AnalysisHost): open documents with
 * their text, parse and analysis; the workspace index the adapter fills; the config. Every query answers
 * plain data (./types.ts); timers, debouncing and the transport stay in the adapter.
 */
import { addVerdicts, enabledRules, MAX_VERDICTS_PER_FILE, renamedSuppressions, type AnalyzeOptions } from '../analyze';
import { mergeConfigs, type KportConfig } from '../config';
import { WorkspaceIndex, type FileSummary } from '../context/workspace';
import type { FileFacts } from '../facts/file-facts';
import { parsesNoWorse, preferredEdits } from '../fix';
import { hoverAt } from '../hover';
import { SIMULATED_CALLS } from '../kernel/alloc-api';
import { countSyntaxErrors, type CParser } from '../parse/parser';
import type { AnalysisEnv, Finding, Related, TextEdit } from '../rules/types';
import { simulateDriver } from '../simulation/driver';
import type { LinkOptions } from '../simulation/markdown';
import { toSimulateDriverResult, toSimulateResult, type SimulateDriverResult, type SimulateResult } from '../simulation/protocol';
import { allocationSites, isSimulated, MAX_CALLS_PER_FUNCTION, simulateCallInSteps, simulateFunction, simulateFunctionInSteps } from '../simulation/run';
import { LineIndex, type Position } from '../text/line-index';
import type { Span } from '../text/span';
import { OpenDocument, type AnalysisStage, type DocumentAnalysis, type FocusedAnalysis } from './document';
import { suppressionEdit } from './suppress';
import { warmUpEdits, warmUpOpening } from './warm-up';
import type {
  Cancelled,
  CodeActionItem,
  DiagnosticItem,
  DiagnosticsResult,
  EditItem,
  HoverItem,
  LensesResult,
  Range,
  RelatedItem,
  SourceText,
  StepJob,
} from './types';

export interface HostOptions {
  parser?: CParser;
  /** Why the parser could not be loaded (every document then gets this as its diagnostic). */
  parserError?: string;
  /** A parse running longer fails the document's analysis (pathological files). */
  maxParseMs?: number;
  /** Larger documents get one information diagnostic instead of an analysis (default 4 MiB). */
  maxFileBytes?: number;
  /**
   * A document this large is analyzed in two stages when it opens (default 256 KiB): `diagnostics(uri, { staged })`
   * answers the rules that need no context first (`partial`), the next query all of them.
   */
  stagedOpenBytes?: number;
  /** What the adapter adds to a document's analysis environment (local headers read from disk). */
  envFor?: (facts: FileFacts, doc: { uri: string; path: string }) => AnalysisEnv;
  /** Where the host reports what it cannot answer through a query (rule failures, failed analyses). */
  log?: (level: 'log' | 'error', message: string) => void;
  /** Called after each new analysis of a document (the adapter keeps the index current from it). */
  onAnalysis?: (uri: string) => void;
}

/**
 * A preview's parse gives up after this long (a text tree-sitter's recovery makes slow): it blocks the main thread,
 * where the opening parse that follows goes a slice at a time.
 */
const PREVIEW_MAX_PARSE_MS = 150;
/**
 * Diagnostics a document answers at most, the last saying how many more there are: VS Code keeps 1,000 a file and
 * drops the rest only after receiving them all (a generated or mangled 1 MB file had 43,692 findings: 53 MB of JSON
 * a publish, and another at each keystroke). Its findings stay whole for the code actions.
 */
export const MAX_DIAGNOSTICS = 1000;

export class AnalysisHost {
  /** Other files' summaries, filled by the adapter's index; an open document's own summary replaces its indexed one. */
  readonly workspace = new WorkspaceIndex();
  private readonly docs = new Map<string, OpenDocument>();
  private fileConfig: KportConfig | undefined;
  private editorConfig: KportConfig | undefined;
  private readonly warming = new Map<string, number>();
  /**
   * Every macro name the workspace can define, space-separated, once an index has run (before, "nothing defines
   * X" is unknown). Kept as the one string the index sent and searched per name asked (few: the names of
   * `#ifdef`s around findings), not built into a set of its ~200k names on the main thread.
   */
  private definedMacros: string | undefined;
  private readonly macroAnswers = new Map<string, boolean>();
  private readonly macroDefined = (name: string): boolean | undefined => {
    if (this.definedMacros === undefined) return undefined;
    let known = this.macroAnswers.get(name);
    if (known === undefined) this.macroAnswers.set(name, (known = this.definedMacros.includes(` ${name} `)));
    return known;
  };

  constructor(private options: HostOptions = {}) {}

  /** Sets options known only later (the parser, once loaded; the client's limits). */
  configure(options: Partial<HostOptions>): void {
    this.options = { ...this.options, ...options };
  }

  get parser(): CParser | undefined {
    return this.options.parser;
  }

  private get maxFileBytes(): number {
    return this.options.maxFileBytes ?? 4 * 1024 * 1024;
  }

  // ---- state the adapter hands in ----

  /** `.kport.json`'s config and the editor's settings (the latter wins). Open documents are analyzed again. */
  setConfig(config: { file?: KportConfig; editor?: KportConfig }): void {
    if ('file' in config) this.fileConfig = config.file;
    if ('editor' in config) this.editorConfig = config.editor;
    this.invalidate();
  }

  get config(): KportConfig {
    return mergeConfigs(this.fileConfig, this.editorConfig);
  }

  open(uri: string, path: string, source: SourceText): void {
    this.docs.get(uri)?.dispose();
    this.docs.set(uri, new OpenDocument(source, path));
  }

  /** The document's text changed (the adapter's copy, with a newer version). */
  change(uri: string, path: string, source: SourceText): void {
    const d = this.docs.get(uri);
    if (d) d.source = source;
    else this.open(uri, path, source);
  }

  close(uri: string): void {
    this.docs.get(uri)?.dispose();
    this.docs.delete(uri);
    this.warming.delete(uri);
  }

  isOpen(uri: string): boolean {
    return this.docs.has(uri);
  }

  openUris(): string[] {
    return [...this.docs.keys()];
  }

  openPaths(): Set<string> {
    return new Set([...this.docs.values()].map((d) => d.path));
  }

  /** Drops the analyses of `uris` (all open documents by default): the next query analyzes again. */
  invalidate(uris: Iterable<string> = this.docs.keys()): void {
    for (const uri of uris) {
      const d = this.docs.get(uri);
      if (d) d.analysis = undefined;
    }
  }

  /**
   * An index run's summaries, for the files not open (an open document's own summary stays), the files it found
   * gone, and every macro name the workspace can define (then a finding in `#ifdef X` that nothing defines is dead).
   */
  indexed(summaries: readonly FileSummary[], files: readonly string[], definedMacros?: string): void {
    if (definedMacros !== undefined) {
      this.definedMacros = ` ${definedMacros} `;
      this.macroAnswers.clear();
    }
    const openPaths = this.openPaths();
    const indexed = new Set(summaries.map((s) => s.path));
    for (const s of summaries) if (!openPaths.has(s.path)) this.workspace.update(s);
    for (const f of files) if (!indexed.has(f) && !openPaths.has(f)) this.workspace.remove(f);
  }

  // ---- queries ----

  /**
   * The document's findings, with kport's notes; a failure or a size limit as a diagnostic of its own. `staged`:
   * a big document's first analysis runs the rules that need no context only (the result says `partial`; the
   * next query adds the others' findings, removing none).
   */
  diagnostics(uri: string, opts: { staged?: boolean } = {}): DiagnosticsResult | undefined {
    const d = this.docs.get(uri);
    if (!d) return undefined;
    const version = d.version;
    if (!this.parser) return { version, diagnostics: [failure(this.options.parserError ?? 'parser not loaded')] };
    const text = d.source.getText();
    if (text.length > this.maxFileBytes) {
      d.dispose();
      const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);
      const message = `this file is ${mb(text.length)} MiB; the editor analyzes files up to ${mb(this.maxFileBytes)} MiB (initializationOptions.maxFileBytes). Run \`kport check\` on it instead.`;
      return { version, diagnostics: [{ ...failure(message), severity: 'info' }] };
    }
    const fresh = !d.analysis || d.analysis.version !== version;
    const a = this.analysisOf(uri, opts.staged && this.opensStaged(d) ? 'local' : 'all');
    if (!a) return { version, diagnostics: [failure(`analysis failed: ${d.failure ?? 'unknown error'}`)] };
    return {
      version,
      diagnostics: this.diagnosticsOf(a, text),
      analysis: { fresh, bytes: text.length, timing: a.timing },
      ...(a.partial ? { partial: true } : {}),
    };
  }

  /**
   * A big document's first diagnostics before its opening parse (OpenDocument.preview: the rules that need no
   * context, over a parse of the items their findings can come from), `partial`; the first stage's findings equal
   * them. Undefined: the document does not open staged, is parsed already, or its text cannot be parsed in part.
   */
  preview(uri: string): DiagnosticsResult | undefined {
    const d = this.docs.get(uri);
    const parser = this.parser;
    if (!d || !parser || !this.opensStagedNow(d) || d.openingOver) return undefined;
    const envFor = this.options.envFor;
    let p: ReturnType<OpenDocument['preview']>;
    try {
      p = d.preview(parser, this.analyzeOptions(), (facts) => (envFor ? envFor(facts, { uri, path: d.path }) : {}), PREVIEW_MAX_PARSE_MS);
    } catch (e) {
      // The opening's parse and analysis follow, and report a failure of their own.
      this.options.log?.('error', `kport: preview of ${uri} failed: ${(e as Error).message}`);
      return undefined;
    }
    if (!p) return undefined;
    const text = d.source.getText();
    return {
      version: p.version,
      diagnostics: this.diagnosticsOf(p, text),
      analysis: { fresh: true, bytes: text.length, timing: p.timing },
      partial: true,
    };
  }

  hover(uri: string, position: Position, links: LinkOptions = {}): HoverItem | null {
    const a = this.analysisAt(uri, position);
    if (!a) return null;
    const h = hoverAt(a.facts, a.lines.offsetAt(position), a.env, a.shared, links);
    return h ? { markdown: h.markdown, range: rangeOf(a.lines, h.span) } : null;
  }

  /**
   * The actions for the findings that touch `range` (quick fixes, "fix all <rule> in this file", a
   * `kport-ignore` suppression) and the file's fix-all. Each is offered only if its result parses no worse.
   */
  codeActions(uri: string, range: Range, want: { quickFix: boolean; fixAll: boolean; automatic?: boolean }): CodeActionItem[] {
    // The editor's own request (the light bulb at the cursor, sent as a big document opens) reads what is
    // published while its second stage is under way, and offers no fix-all of a part; Ctrl+. completes it.
    this.firstStageIfBig(uri);
    const first = want.automatic ? this.docs.get(uri)?.firstStage : undefined;
    const partial = !!first;
    const a = first ?? this.analysisOf(uri);
    if (!a) return [];
    const actions: CodeActionItem[] = [];
    if (want.quickFix) {
      const start = a.lines.offsetAt(range.start);
      const end = a.lines.offsetAt(range.end);
      const fixAllOffered = new Set<string>();
      const suppressOffered = new Set<string>();
      for (const f of a.findings) {
        if (f.span.end < start || f.span.start > end) continue;
        const diagnostic = this.diagnosticOf(f, a.lines);
        for (const fix of f.fixes)
          if (this.parsesNoWorse(a, fix.edits))
            actions.push({ title: fix.title, kind: 'quickfix', diagnostic, isPreferred: fix.preferred ?? false, edits: editsOf(a.lines, fix.edits) });
        if (!partial && !fixAllOffered.has(f.rule)) {
          fixAllOffered.add(f.rule);
          const same = preferredEdits(a.findings.filter((x) => x.rule === f.rule));
          if (same.applied.length > 1 && this.parsesNoWorse(a, same.edits))
            actions.push({ title: `Fix all ${f.rule} problems in this file (${same.applied.length})`, kind: 'quickfix', edits: editsOf(a.lines, same.edits) });
        }
        const suppress = suppressionEdit(a.facts.text, a.lines, f);
        const key = `${f.rule}\0${suppress.start}`;
        if (!suppressOffered.has(key) && this.parsesNoWorse(a, [suppress], { always: true })) {
          suppressOffered.add(key);
          actions.push({
            title: `Suppress ${f.rule} on this line (kport-ignore)`,
            kind: 'quickfix',
            diagnostic,
            isPreferred: false,
            edits: editsOf(a.lines, [suppress]),
          });
        }
      }
    }
    if (want.fixAll && !partial) {
      const { edits, applied } = preferredEdits(a.findings);
      if (applied.length && this.parsesNoWorse(a, edits))
        actions.push({ title: `kport: fix all ${applied.length} porting problems`, kind: 'fixAll', edits: editsOf(a.lines, edits) });
    }
    return actions;
  }

  /**
   * "Simulate" lenses above the functions whose sequences have a problem in some scenario. Functions not
   * simulated yet are run for `budgetMs` at most (the rest: `short`, for `warm`); a cancelled request stops.
   */
  codeLenses(uri: string, budgetMs: number, cancelled: Cancelled = () => false): LensesResult {
    // A big document's second stage under way: its lenses come once it is done (warm's refresh), not by finishing
    // it inside this request (VS Code asks for lenses right after the open; a hover would wait behind it).
    this.firstStageIfBig(uri);
    if (this.docs.get(uri)?.firstStage) return { lenses: [], short: true };
    const a = this.analysisOf(uri);
    if (!a) return { lenses: [], short: false };
    const lenses = [];
    const t0 = performance.now();
    let short = false;
    for (const fi of simulatedFunctions(a)) {
      if (!isSimulated(a.shared, fi) && (performance.now() - t0 > budgetMs || cancelled())) {
        short = true;
        continue;
      }
      const sim = simulateFunction(a.shared, fi);
      if (!sim.problems.length) continue;
      const worst = sim.problems[0].split(':')[0];
      lenses.push({
        range: rangeOf(a.lines, a.facts.functions[fi].nameSpan),
        title: `▶ Simulate: ${sim.problems.length} problem${sim.problems.length > 1 ? 's' : ''} (${worst})`,
      });
    }
    return { lenses, short };
  }

  /** kport/simulate: the simulation of the function at `position`; null outside functions, undefined if not open. */
  simulate(uri: string, position: Position, snapshots: boolean): SimulateResult | null | undefined {
    const a = this.analysisAt(uri, position);
    if (!a) return undefined;
    const fi = a.facts.functionAt(a.lines.offsetAt(position));
    if (fi < 0) return null;
    const sim = simulateFunction(a.shared, fi, snapshots ? 'all' : 'none');
    return toSimulateResult(sim, a.facts.lineOf(a.facts.functions[fi].nameSpan.start));
  }

  /** kport/simulateDriver: the document's driver over its lifetime; undefined if not open. */
  simulateDriver(uri: string, runs?: number): SimulateDriverResult | undefined {
    const a = this.analysisOf(uri);
    const d = this.docs.get(uri);
    if (!a || !d) return undefined;
    return toSimulateDriverResult(simulateDriver(a.shared, d.path, { runs }));
  }

  /** How many functions' facts the document's function cache has built since it opened (tests count them). */
  functionsBuilt(uri: string): number | undefined {
    return this.docs.get(uri)?.functions.built;
  }

  /** The document's summary for the workspace index (from the context its analysis built). */
  summary(uri: string): FileSummary | undefined {
    return this.docs.get(uri)?.analysis?.shared.context.summary();
  }

  /** Puts an open document's summary in the index; answers the other open documents that define a function in `named`. */
  updateSummary(summary: FileSummary, named: ReadonlySet<string>, except: string): string[] {
    this.workspace.update(summary);
    const out: string[] = [];
    for (const [uri, d] of this.docs) if (uri !== except && d.analysis?.facts.functions.some((f) => !f.isStatic && named.has(f.name))) out.push(uri);
    return out;
  }

  /**
   * A big document's opening parse a slice at a time (core/ide/document.ts parseOpeningSlice, on a parser of its
   * own), so that another document's keystroke is answered between two slices; `done` when the tree is made, which
   * the next diagnostics() takes. Undefined: the document does not open staged, or its tree is ready.
   */
  opening(uri: string): StepJob | undefined {
    const d = this.docs.get(uri);
    const parser = this.parser;
    if (!d || !parser || !this.opensStagedNow(d) || d.openingOver) return undefined;
    const job: { error?: string } & StepJob = {
      step: (budgetMs) => {
        if (this.docs.get(uri) !== d) return 'stale';
        try {
          return d.parseOpeningSlice(parser, budgetMs, this.options.maxParseMs);
        } catch (e) {
          // diagnostics() parses it whole and publishes the failure.
          job.error = `kport: the opening parse of ${uri} failed: ${e instanceof Error ? e.message : String(e)}`;
          return 'done';
        }
      },
    };
    return job;
  }

  /**
   * A big document's second stage after its first publish (partial), a part at a time while a step's budget
   * lasts (core/ide/document.ts completeInParts), so another document's keystroke is answered between two parts;
   * `done` when the complete analysis is in (diagnostics() answers it). A request that needs it meanwhile
   * finishes the remaining parts. Undefined: the current analysis is not a first stage.
   */
  completion(uri: string): StepJob | undefined {
    const d = this.docs.get(uri);
    const first = d?.firstStage;
    if (!d || !first) return undefined;
    const job: { error?: string } & StepJob = {
      step: (budgetMs) => {
        if (this.docs.get(uri) !== d) return 'stale';
        const mine = d.analysis === first;
        try {
          const state = d.completeInParts(first, this.analyzeOptions(), budgetMs);
          if (state === 'done' && mine) this.analyzed(uri, d.analysis!);
          return state;
        } catch (e) {
          // The next publish shows the failure.
          job.error = `kport: analysis of ${uri} failed: ${this.analysisFailed(d, e)}`;
          return 'done';
        }
      },
    };
    return job;
  }

  // ---- work done when typing pauses, a step at a time ----

  /** Makes a keystroke's speculative parse exact: `changed` when the tree changed (publish again), `failed` when the parse threw. */
  settle(uri: string): 'same' | 'changed' | 'failed' {
    const d = this.docs.get(uri);
    if (!d || !this.parser) return 'same';
    try {
      return d.settle(this.parser, { maxMs: this.options.maxParseMs }) ? 'changed' : 'same';
    } catch (e) {
      d.dispose();
      this.options.log?.('error', `kport: re-parsing ${uri} failed: ${(e as Error).message}`);
      return 'failed';
    }
  }

  /**
   * The simulator's verdicts on the current analysis's findings, a finding at a time while a step's budget
   * lasts; `done` when they are in the analysis (diagnostics() then carries them). Undefined: nothing to add.
   */
  verdicts(uri: string): StepJob | undefined {
    const d = this.docs.get(uri);
    const a = d?.analysis;
    if (!d || !a || a.version !== d.version || a.verdicts || a.partial) return undefined;
    const withVerdicts = [...a.findings];
    const todo = withVerdicts.flatMap((f, i) => (f.simulate ? [i] : []));
    let done = 0;
    // The next finding's call simulated in parts (its extraction, each path's runs): a step can stop between two.
    let parts: Generator<void, unknown> | undefined;
    const job: { error?: string } & StepJob = {
      step: (budgetMs) => {
        if (this.docs.get(uri) !== d || !d.current(a)) return 'stale';
        const until = performance.now() + budgetMs;
        try {
          while (todo.length) {
            const i = todo[0];
            const f = withVerdicts[i];
            let more = false;
            if (f.simulate && done < MAX_VERDICTS_PER_FILE) {
              parts ??= simulateCallInSteps(a.shared, f.simulate.fnIndex, f.simulate.span);
              try {
                more = !parts.next().done;
              } catch {
                // addVerdicts meets the same failure and leaves the finding without a verdict, as in one piece.
              }
            }
            if (!more) {
              parts = undefined;
              todo.shift();
              withVerdicts[i] = addVerdicts([f], a.shared, done++)[0];
            }
            if (performance.now() >= until) break;
          }
        } catch (e) {
          job.error = `kport: simulation for ${uri} failed: ${(e as Error).message}`;
          todo.length = 0;
        }
        if (todo.length) return 'more';
        a.findings = withVerdicts;
        a.verdicts = true;
        return 'done';
      },
    };
    return job;
  }

  /**
   * Simulates each allocation call of the document, one a step, then each function that calls an allocator (its
   * paths; its calls are done), so hovers and lenses find them done. A call first: a hover arriving during a step
   * waits for one call's simulation, not a whole function's. Undefined when the current version is being warmed
   * already or is not analyzed.
   */
  warm(uri: string): StepJob | undefined {
    const d = this.docs.get(uri);
    const a = d?.analysis;
    if (!d || !a || a.partial || a.version !== d.version || this.warming.get(uri) === a.version) return undefined;
    this.warming.set(uri, a.version);
    const functions = simulatedFunctions(a);
    const job: { error?: string } & StepJob = {
      step: () => {
        job.error = undefined;
        if (this.docs.get(uri) !== d || !d.current(a)) {
          this.warming.delete(uri);
          return 'stale';
        }
        if (steps.next().done) {
          this.warming.delete(uri);
          return 'done';
        }
        return 'more';
      },
    };
    // One step: one call, or a part of one function's paths (its extraction, one path's simulator runs, the rest).
    const steps = (function* (): Generator<void> {
      const failed = (e: unknown) => {
        job.error = `kport: simulation in ${uri} failed: ${(e as Error).message}`;
      };
      for (const fi of functions)
        for (const site of allocationSites(a.shared, fi).slice(0, MAX_CALLS_PER_FUNCTION))
          yield* guardedSteps(simulateCallInSteps(a.shared, fi, site.call.span), failed);
      for (const fi of functions) {
        yield* guardedSteps(simulateFunctionInSteps(a.shared, fi), failed);
        yield;
      }
    })();
    return job;
  }

  /**
   * The keystroke path run on kport's own driver (warm-up.ts) in a host of its own, one keystroke's work a step:
   * the opening, each edit and its diagnostics, the settle of a typing pause, a hover, the quick fixes at a
   * finding. A fresh process runs it while the user is idle, so that the user's first keystrokes find V8's
   * optimized code (cold, they took 2-6 times their warm cost). Publishes nothing, indexes nothing, touches no
   * open document; `done` once run (a failure is the job's `error`); `stop()` ends it early (its document freed).
   */
  warmUp(): StepJob & { stop(): void } {
    const parser = this.parser;
    const scratch = new AnalysisHost({ parser, parserError: this.options.parserError });
    scratch.setConfig({ editor: this.config });
    const uri = 'kport-warm-up:/warm-up.c';
    let text = warmUpOpening();
    let source: SourceText = { version: 1, getText: () => text };
    const at = (needle: string) => new LineIndex(text).positionAt(text.indexOf(needle, text.length >> 1));
    const steps = (function* (): Generator<void> {
      scratch.open(uri, '/warm-up.c', source);
      scratch.diagnostics(uri);
      for (const e of warmUpEdits(text)) {
        yield;
        text = e.text;
        source = { version: source.version + 1, getText: () => text };
        scratch.change(uri, '/warm-up.c', source);
        scratch.diagnostics(uri);
      }
      yield;
      scratch.settle(uri);
      scratch.diagnostics(uri);
      yield;
      scratch.hover(uri, at('kmalloc(64'));
      yield;
      const p = at('kmalloc(sizeof');
      scratch.codeActions(uri, { start: p, end: p }, { quickFix: true, fixAll: false });
    })();
    let over = !parser;
    const stop = () => {
      over = true;
      scratch.close(uri);
    };
    const job: { error?: string; stop(): void } & StepJob = {
      step: () => {
        try {
          if (!over && !steps.next().done) return 'more';
        } catch (e) {
          job.error = `kport: warm-up failed: ${(e as Error).message}`;
        }
        stop();
        return 'done';
      },
      stop,
    };
    return job;
  }

  // ---- internals ----

  /** A query before a big document's first publish runs its first stage (which that publish then shows). */
  private firstStageIfBig(uri: string): void {
    const d = this.docs.get(uri);
    if (d && this.opensStagedNow(d)) this.analysisOf(uri, 'local');
  }

  /** The document's next analysis is a staged first one (a parser, a file not over maxFileBytes, opensStaged). */
  private opensStagedNow(d: OpenDocument): boolean {
    return !!this.parser && d.source.getText().length <= this.maxFileBytes && this.opensStaged(d);
  }

  /** Only a first analysis is staged: what an earlier publish showed never goes away and comes back. */
  private opensStaged(d: OpenDocument): boolean {
    return !d.parsed && !d.analysis && d.source.getText().length >= (this.options.stagedOpenBytes ?? 256 * 1024) && this.contextRulesEnabled();
  }

  private contextRulesEnabled(): boolean {
    return enabledRules({ config: this.config }).some((r) => r.needs.context);
  }

  /**
   * What a query about the code at `position` reads: on a big document whose second stage has not run, the
   * analysis of the functions it needs only (OpenDocument.focusedAt: the same answer, without the rest of the
   * file's facts, context and rules); else the complete analysis.
   */
  private analysisAt(uri: string, position: Position): FocusedAnalysis | DocumentAnalysis | undefined {
    const d = this.docs.get(uri);
    this.firstStageIfBig(uri);
    const first = d?.firstStage;
    if (d && first) {
      try {
        const focused = d.focusedAt(first.lines.offsetAt(position), this.analyzeOptions());
        this.lastFocus = focused ? { functions: focused.functions, of: focused.of } : 'completed';
        if (focused) return focused;
      } catch (e) {
        // The complete analysis meets the same failure, and says so.
        this.options.log?.('error', `kport: focused analysis of ${uri} failed: ${(e as Error).message}`);
      }
    } else this.lastFocus = undefined;
    return this.analysisOf(uri);
  }

  /**
   * What the last query at a position read of a partially analyzed document: its focus's functions of the
   * file's, or `completed` (the focus would have been most of the file); undefined when the analysis was
   * complete already. For benches and tests.
   */
  lastFocus: { functions: number; of: number } | 'completed' | undefined;

  private analysisOf(uri: string, stage: AnalysisStage = 'all'): DocumentAnalysis | undefined {
    const d = this.docs.get(uri);
    const parser = this.parser;
    if (!d || !parser || d.source.getText().length > this.maxFileBytes) return undefined;
    if (d.analysis && d.analysis.version === d.version && !(d.analysis.partial && stage === 'all')) return d.analysis;
    try {
      const envFor = this.options.envFor;
      const a = d.analyze(
        parser,
        this.analyzeOptions(),
        (facts) => (envFor ? envFor(facts, { uri, path: d.path }) : {}),
        { maxMs: this.options.maxParseMs },
        stage,
      );
      this.analyzed(uri, a);
      return a;
    } catch (e) {
      this.options.log?.('error', `kport: analysis of ${uri} failed: ${this.analysisFailed(d, e)}`);
      return undefined;
    }
  }

  /** The parser threw or ran out of wasm memory: drop the tree, say so on the document (answered), keep serving others. */
  private analysisFailed(d: OpenDocument, e: unknown): string {
    d.dispose();
    d.failure = e instanceof Error ? e.message : String(e);
    return d.failure;
  }

  private analyzeOptions(): AnalyzeOptions {
    return { config: this.config, env: { workspace: this.workspace, macroDefined: this.macroDefined }, simulate: false };
  }

  /** After a new analysis of a document: its rule failures logged, the adapter told. */
  private analyzed(uri: string, a: DocumentAnalysis): void {
    const d = this.docs.get(uri);
    if (d) d.failure = undefined;
    if (a.failures.length) this.options.log?.('error', `kport: rule failures in ${uri}: ${a.failures.map((f) => `${f.rule}: ${f.error}`).join('; ')}`);
    this.options.onAnalysis?.(uri);
  }

  private diagnosticsOf(a: Pick<DocumentAnalysis, 'findings' | 'lines'>, text: string): DiagnosticItem[] {
    const shown = a.findings.length > MAX_DIAGNOSTICS ? a.findings.slice(0, MAX_DIAGNOSTICS - 1) : a.findings;
    const out = shown.map((f) => this.diagnosticOf(f, a.lines));
    if (shown.length < a.findings.length) {
      const at = rangeOf(a.lines, a.findings[shown.length].span).start;
      out.push({
        severity: 'info',
        tags: [],
        message: `kport: ${a.findings.length - shown.length} more findings in this file from here on are not shown (an editor shows ${MAX_DIAGNOSTICS} a file); \`kport check\` lists them all`,
        range: { start: at, end: at },
        related: [],
      });
    }
    return [...out, ...renamedRuleNotes(text)];
  }

  private diagnosticOf(f: Finding, lines: LineIndex): DiagnosticItem {
    return {
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      tags: f.tags,
      range: rangeOf(lines, f.span),
      related: f.related.map((r) => relatedOf(r, lines)),
    };
  }

  /**
   * The fix-safety check, done once for the editor (the CLI's `safeFix` runs the same `parsesNoWorse`): on text
   * with syntax errors tree-sitter's recovery is not monotone, so a fix is offered only if the text it gives
   * parses no worse. On clean text the rules' fixes are held to that by the tests and the fuzzer; `always`
   * checks clean text too (a suppression comment inserted where a comment or macro continues).
   */
  private parsesNoWorse(a: DocumentAnalysis, edits: readonly TextEdit[], opts: { always?: boolean } = {}): boolean {
    const root = a.facts.file.root;
    if ((!root.hasError && !opts.always) || !this.parser || !edits.length) return true;
    a.syntaxErrors ??= countSyntaxErrors(root);
    return parsesNoWorse(this.parser, a.facts.text, edits, a.syntaxErrors, { maxMs: this.options.maxParseMs });
  }
}

/** Functions of an analysis whose sequences the simulator can run (they call an allocator). */
function simulatedFunctions(a: DocumentAnalysis): number[] {
  return a.facts.functions.flatMap((_, fi) => (a.shared.context.flows[fi].sites.some((s) => SIMULATED_CALLS.has(s.call.name)) ? [fi] : []));
}

/** A hint, tagged deprecated, on each `kport-ignore` that names a former rule id (it still suppresses). */
function renamedRuleNotes(text: string): DiagnosticItem[] {
  return renamedSuppressions(text).map((r) => ({
    severity: 'hint',
    tags: ['deprecated'],
    message: `kport-ignore ${r.id}: ${r.note}`,
    range: { start: { line: r.line - 1, character: 0 }, end: { line: r.line - 1, character: 0 } },
    related: [],
  }));
}

function failure(message: string): DiagnosticItem {
  return {
    severity: 'error',
    tags: [],
    message: `kport: ${message}`,
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    related: [],
  };
}

export function rangeOf(lines: LineIndex, span: Span): Range {
  return { start: lines.positionAt(span.start), end: lines.positionAt(span.end) };
}

function editsOf(lines: LineIndex, edits: readonly TextEdit[]): EditItem[] {
  return edits.map((e) => ({ range: rangeOf(lines, e), newText: e.newText }));
}

function relatedOf(r: Related, lines: LineIndex): RelatedItem {
  return r.file ? { message: r.message, file: r.file, line: r.line ?? 1 } : { message: r.message, range: rangeOf(lines, r.span) };
}

/** Runs `parts` a step per yield to its end; a throw ends it, handed to `failed`. */
function* guardedSteps(parts: Generator<void, unknown>, failed: (e: unknown) => void): Generator<void> {
  for (;;) {
    try {
      if (parts.next().done) return;
    } catch (e) {
      failed(e);
      return;
    }
    yield;
  }
}
