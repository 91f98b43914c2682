/** An open document: its text (the adapter's copy), incremental parse tree, function cache and last analysis. */
import { analysisParts, analyze, enabledRules, resolvedEnv, type AnalyzeOptions, type AnalyzeResult, type RuleFailure } from '../analyze';
import { SharedAnalyses } from '../context/shared';
import { scanTopLevel } from '../facts/build-ir';
import { FileFacts, FunctionCache, prebuildFunctions } from '../facts/file-facts';
import { prepareFunctionContext } from '../context/atomic-context';
import type { CParser, ParsedFile, SlicedParse } from '../parse/parser';
import { isCallSimulationMemo } from '../simulation/run';
import type { AnalysisEnv, Finding, Rule } from '../rules/types';
import type { LineIndex } from '../text/line-index';
import { triggerTest } from '../relevance';
import { parsePartForRules } from '../scale/partial-parse';
import { FocusIndex } from './focus';
import type { AnalysisTiming, SourceText } from './types';

export interface DocumentAnalysis {
  version: number;
  facts: FileFacts;
  lines: LineIndex;
  findings: Finding[];
  failures: RuleFailure[];
  env: AnalysisEnv;
  /** Per-version analyses (context, masks, simulations) reused by hover, lenses and simulate. */
  shared: SharedAnalyses;
  /** The simulator's verdicts have been added to the findings' messages. */
  verdicts: boolean;
  /** Where the analysis's time went (logged when slow, or always with KPORT_TRACE). */
  timing: AnalysisTiming;
  /** The tree's ERROR and MISSING nodes, counted once for the fixes' safety check. */
  syntaxErrors?: number;
  /**
   * Only the rules that need no context have run, on the IR of the functions they can match in (a big file's
   * first stage); complete() makes the one-stage analysis.
   */
  partial?: boolean;
  /** A first stage's environment maker, for complete(). */
  envFor?: (facts: FileFacts) => AnalysisEnv;
}

/** What an analysis runs: every enabled rule, or (a big file's first stage) those that need no context. */
export type AnalysisStage = 'all' | 'local';

/** The triggers of the enabled rules that need no context: a first stage's facts hold the functions naming one. */
function localTriggers(options: AnalyzeOptions): string[] {
  return [...new Set(localRules(options).flatMap((r) => r.triggers))];
}

/** A rule that needs no context: a first stage's and a preview's. */
const isLocal = (r: Rule) => !r.needs.context;

function localRules(options: AnalyzeOptions): Rule[] {
  return enabledRules(options).filter(isLocal);
}

/** A big document's first findings, from a partial parse (OpenDocument.preview). */
export interface DocumentPreview {
  version: number;
  findings: Finding[];
  lines: LineIndex;
  timing: AnalysisTiming;
}

/** An analysis's record, less its timing and stage. */
function analysisOf(
  version: number,
  facts: FileFacts,
  env: AnalysisEnv,
  { findings, failures, shared }: ReturnType<typeof analyze>,
): Omit<DocumentAnalysis, 'timing'> {
  return { version, facts, lines: facts.lines, findings, failures, env, shared, verdicts: !findings.some((f) => f.simulate) };
}

/**
 * What a query at one offset reads of a partially analyzed document (focusedAt): the facts of the functions it
 * needs, the environment and the shared analyses (context, masks, simulations) over those facts.
 */
export interface FocusedAnalysis {
  facts: FileFacts;
  lines: LineIndex;
  env: AnalysisEnv;
  shared: SharedAnalyses;
  /** The function definitions its facts hold, of the file's. */
  functions: number;
  of: number;
}

/**
 * A focus larger than this share of the file's functions is not built: the query completes the analysis
 * instead (a function called from everywhere needs most of the file's facts anyway).
 */
export const MAX_FOCUS_SHARE = 0.5;

/** Focuses kept per first stage (hovers move back and forth between a few functions). */
const RECENT_FOCUSES = 4;

export class OpenDocument {
  parsed: ParsedFile | undefined;
  readonly functions = new FunctionCache();
  analysis: DocumentAnalysis | undefined;
  /** Why the last analysis failed as a whole (the parser threw or ran out of memory). */
  failure: string | undefined;
  /** A big document's opening parse under way (parseOpeningSlice), and its tree once made. */
  private opening: SlicedParse | undefined;
  private openingTree: ParsedFile | undefined;
  private openingFailed: string | undefined;
  /** The text changed while the opening parse ran: it was dropped for a whole parse (parseOpeningSlice). */
  private openingEnded = false;
  /** The version a preview was made for (at most one a version). */
  private previewed: number | undefined;

  constructor(
    public source: SourceText,
    /** The file's path (its URI when it is not a file). */
    readonly path: string,
  ) {}

  get version(): number {
    return this.source.version;
  }

  /** The current version's analysis when it is a big document's first stage (its second stage has not run). */
  get firstStage(): DocumentAnalysis | undefined {
    const a = this.analysis;
    return a?.partial && a.version === this.version ? a : undefined;
  }

  /**
   * One slice of a big document's opening parse (host.opening): `done` when the tree is ready, which the first
   * analyze() of this text then takes. A text changed meanwhile (the user typing at once) ends it: the next
   * analysis parses whole, then each keystroke incrementally, as without slices (a parse started again on every
   * keystroke would publish nothing until typing paused for a whole parse).
   */
  parseOpeningSlice(parser: CParser, budgetMs: number, maxMs?: number): 'more' | 'done' {
    const text = this.source.getText();
    if (this.openingTree?.text === text || this.openingEnded) return 'done';
    if (this.opening && this.opening.text !== text) {
      this.dropOpening();
      this.openingEnded = true;
      return 'done';
    }
    this.opening ??= parser.inSlices(text, { maxMs });
    let tree: ParsedFile | undefined;
    try {
      tree = this.opening.step(budgetMs);
    } catch (e) {
      // Over its bound: analyze() parses the text whole (bounded the same way) and reports the failure.
      this.opening = undefined;
      this.openingFailed = text;
      throw e;
    }
    if (!tree) return 'more';
    this.opening = undefined;
    this.openingTree = tree;
    return 'done';
  }

  /**
   * A big document's first findings before its opening parse: the rules that need no context, over a parse of the
   * items that hold their triggers and what names those (core/scale parsePartForRules, as \`kport check\` parses a
   * file; 35 % of bench/editor.ts's 1 MB file): the findings they give over the whole tree (the first stage), in a
   * third of its time. Once a version, before any analysis; undefined where the parse would be whole (the opening's
   * parse is that), or runs over `maxMs` (the opening's bound applies).
   */
  preview(parser: CParser, options: AnalyzeOptions, envFor: (facts: FileFacts) => AnalysisEnv, maxMs: number): DocumentPreview | undefined {
    if (this.previewed === this.version || this.analysis || this.parsed || this.openingTree) return undefined;
    this.previewed = this.version;
    const t0 = performance.now();
    const text = this.source.getText();
    const local = localRules(options);
    const wholeFile = local.filter((r) => r.readsWholeFile);
    let part: ReturnType<typeof parsePartForRules>;
    try {
      part = parsePartForRules(parser, text, triggerTest(local), wholeFile.length ? triggerTest(wholeFile) : undefined, true, false, { maxMs });
    } catch {
      return undefined; // over its bound: the opening's parse decides
    }
    if (!part) return undefined;
    try {
      const t1 = performance.now();
      const facts = new FileFacts(part.parsed, this.path);
      void facts.functions;
      const t2 = performance.now();
      const { findings } = analyze(facts, { ...options, env: { ...options.env, ...envFor(facts) }, rules: isLocal, simulate: false });
      return { version: this.version, findings, lines: facts.lines, timing: { parseMs: t1 - t0, factsMs: t2 - t1, rulesMs: performance.now() - t2 } };
    } finally {
      part.parsed.dispose();
    }
  }

  /** The opening parse of this text is over: its tree is ready, or it failed (host.opening has nothing left to do). */
  get openingOver(): boolean {
    const text = this.source.getText();
    return this.openingTree?.text === text || this.openingFailed === text || this.openingEnded;
  }

  private dropOpening(): void {
    this.opening?.dispose();
    this.opening = undefined;
    this.openingTree?.dispose();
    this.openingTree = undefined;
  }

  /** Parses (incrementally when a previous tree exists) and runs the rules. */
  analyze(
    parser: CParser,
    options: AnalyzeOptions,
    envFor: (facts: FileFacts) => AnalysisEnv,
    parse: { maxMs?: number } = {},
    stage: AnalysisStage = 'all',
  ): DocumentAnalysis {
    if (this.analysis && this.analysis.version === this.version) return stage === 'all' ? this.complete(options) : this.analysis;
    const t0 = performance.now();
    const text = this.source.getText();
    const old = this.parsed;
    this.parsed = undefined; // reparse() disposes the old tree even when it throws
    // A keystroke's reparse is speculative (a neutralize window, tree-sitter's incremental tree); settle() makes it
    // exact when typing pauses.
    // The same text analyzed again (the index or a setting changed, or settle() made the tree exact) keeps its tree:
    // a speculative reparse would leave it inexact, and settle() would parse it whole again, and again.
    // A big document's opening parse, made in slices, is taken when it parsed this text.
    const opened = this.openingTree?.text === text ? this.openingTree : undefined;
    if (opened) this.openingTree = undefined;
    this.dropOpening();
    this.parsed = old?.text === text ? old : old ? parser.reparse(old, text, { ...parse, speculative: true }) : (opened ?? parser.parse(text, parse));
    const t1 = performance.now();
    const local = stage === 'local';
    // A first stage builds the IR of the functions its rules can match in (they hold a trigger) and of those
    // that name them: on a big file the others are most of the facts' time. complete() builds the rest.
    const facts = new FileFacts(this.parsed, this.path, this.functions, local ? localTriggers(options) : undefined);
    void facts.functions; // built here, to time it apart from the rules
    const t2 = performance.now();
    const env = { ...options.env, ...envFor(facts) };
    const analyzed = analyze(facts, { ...options, env, ...(local ? { rules: isLocal } : {}) });
    const t3 = performance.now();
    this.focus = undefined;
    this.analysis = {
      ...analysisOf(this.version, facts, env, analyzed),
      timing: { parseMs: t1 - t0, factsMs: t2 - t1, rulesMs: t3 - t2 },
      ...(local ? { partial: true, envFor } : {}),
    };
    return this.analysis;
  }

  /**
   * After a first stage: the one-stage analysis (every function's IR, the rules that need no context again and
   * the others), so its findings are exactly a one-stage analysis's; the first stage's are among them (its
   * rules read the functions a finding of theirs can come from, test/server/staged-open.test.ts). Finishes the
   * parts completeInParts() has not run yet.
   */
  private complete(options: AnalyzeOptions): DocumentAnalysis {
    const a = this.analysis!;
    if (!a.partial) return a;
    this.runParts(this.secondStageOf(a, options), () => true);
    return this.analysis!;
  }

  /**
   * A first stage's completion a part at a time, while `budgetMs` lasts: the facts of the remaining functions
   * (one a part), the whole file's facts, the context analysis, the rules. `done` when the analysis is complete
   * (whoever finished it), `stale` when a newer analysis replaced the first stage's.
   */
  completeInParts(first: DocumentAnalysis, options: AnalyzeOptions, budgetMs: number): 'more' | 'done' | 'stale' {
    const a = this.analysis;
    if (first.version !== this.version || !a) return 'stale';
    if (a !== first) return !a.partial && a.version === first.version ? 'done' : 'stale';
    const until = performance.now() + budgetMs;
    return this.runParts(this.secondStageOf(a, options), () => performance.now() < until) ? 'done' : 'more';
  }

  /**
   * The first stage's analysis the focus below was made on: its function index, and the last focuses built (the
   * latest first): each holds what some queries needed.
   */
  private focus: { from: DocumentAnalysis; index: FocusIndex; recent: { chosen: Set<number>; analysis: FocusedAnalysis }[] } | undefined;

  /**
   * On a first stage (partial), what a query at `offset` needs and nothing more: the facts of the functions that
   * decide its context and that its simulation reads (./focus.ts), their context analysis; so a hover answers
   * what the complete analysis answers without waiting for it. The function facts it builds are the second
   * stage's (the cache lends them); a later query whose functions are among these reuses it. Undefined when the
   * analysis is not a current first stage, or the focus would be most of the file (MAX_FOCUS_SHARE): complete it.
   */
  focusedAt(offset: number, options: AnalyzeOptions): FocusedAnalysis | undefined {
    const a = this.firstStage;
    if (!a || !this.parsed) return undefined;
    if (this.focus?.from !== a) {
      const parsed = this.parsed;
      const top = scanTopLevel(parsed.root);
      this.focus = { from: a, index: new FocusIndex(top.functions, top.recovered, parsed.text), recent: [] };
    }
    const focus = this.focus;
    const wanted = focus.index.focusAt(offset);
    const held = focus.recent.find((f) => [...wanted].every((s) => f.chosen.has(s)));
    if (held) return held.analysis;
    // A query elsewhere gets a focus of its own, not the union with the last one: that union's context analysis grew
    // with every function hovered (10-60 ms a later hover on lpfc_sli.c), this one costs what a first hover costs.
    if (wanted.size > MAX_FOCUS_SHARE * focus.index.size) return undefined;
    const facts = new FileFacts(this.parsed, this.path, this.functions, undefined, { functions: wanted, of: a.facts });
    const env = { ...options.env, ...a.envFor!(facts) };
    const shared = new SharedAnalyses(facts, resolvedEnv({ ...options, env }));
    // The calls simulated in the last focus, simulated the same (each focus gives the complete answer for its own
    // calls): kept, so the latest focus holds them all for the second stage.
    if (focus.recent.length) shared.adoptMemos(focus.recent[0].analysis.shared, isCallSimulationMemo);
    const analysis = { facts, lines: facts.lines, env, shared, functions: wanted.size, of: focus.index.size };
    focus.recent = [{ chosen: wanted, analysis }, ...focus.recent.slice(0, RECENT_FOCUSES - 1)];
    return analysis;
  }

  /** The second stage under way, and the first stage's analysis it completes. */
  private secondStage: { from: DocumentAnalysis; parts: Generator<void, void> } | undefined;

  private secondStageOf(a: DocumentAnalysis, options: AnalyzeOptions): Generator<void, void> {
    if (this.secondStage?.from !== a) this.secondStage = { from: a, parts: this.secondStageParts(a, options) };
    return this.secondStage.parts;
  }

  /** Runs the second stage's parts until `more()` says stop; a part that throws ends it (the next attempt starts again). */
  private runParts(parts: Generator<void, void>, more: () => boolean): boolean {
    try {
      do if (parts.next().done) return true;
      while (more());
      return false;
    } catch (e) {
      this.secondStage = undefined;
      throw e;
    }
  }

  /** The second stage's parts; the tree is this.parsed, unchanged while the first stage's analysis is current. */
  private *secondStageParts(a: DocumentAnalysis, options: AnalyzeOptions): Generator<void, void> {
    const parsed = this.parsed!;
    let factsMs = 0;
    let rulesMs = 0;
    let t = performance.now();
    // The facts in slices, with what the context analysis reads of each function: the function cache keeps the
    // facts, the FileFacts below finds them built, and its context analysis what hangs on their IR objects.
    for (const fn of prebuildFunctions(parsed, this.functions)) {
      if (fn) prepareFunctionContext(fn);
      factsMs += performance.now() - t;
      yield;
      t = performance.now();
    }
    const facts = new FileFacts(parsed, this.path, this.functions);
    void facts.functions;
    factsMs += performance.now() - t;
    yield;
    t = performance.now();
    const env = { ...options.env, ...a.envFor!(facts) };
    // The context analysis (the rules' shared one) as a part of its own; analyze() reuses it.
    const shared = new SharedAnalyses(facts, resolvedEnv({ ...options, env }));
    // The calls hovers simulated in a focus meanwhile: the same simulations (the focus answers as this analysis).
    if (this.focus?.from === a && this.focus.recent.length) shared.adoptMemos(this.focus.recent[0].analysis.shared, isCallSimulationMemo);
    void shared.context;
    rulesMs += performance.now() - t;
    yield;
    t = performance.now();
    // The rules a part each.
    const rules = analysisParts(facts, { ...options, env, shared });
    let analyzed: AnalyzeResult | undefined;
    for (;;) {
      const step = rules.next();
      rulesMs += performance.now() - t;
      if (step.done) {
        analyzed = step.value;
        break;
      }
      yield;
      t = performance.now();
    }
    this.focus = undefined;
    this.analysis = {
      ...analysisOf(a.version, facts, env, analyzed),
      timing: { parseMs: a.timing.parseMs, factsMs: a.timing.factsMs + factsMs, rulesMs: a.timing.rulesMs + rulesMs },
    };
    this.secondStage = undefined;
  }

  /**
   * When typing pauses: makes the last speculative parse exact. True when the tree changed (the analysis is
   * then dropped: the caller analyzes and publishes again).
   */
  settle(parser: CParser, parse: { maxMs?: number } = {}): boolean {
    if (!this.parsed || this.parsed.exact) return false;
    const before = this.parsed;
    this.parsed = undefined; // settle() disposes the old tree when it replaces it, even when it throws
    this.parsed = parser.settle(before, parse);
    if (this.parsed === before) return false;
    this.analysis = undefined;
    return true;
  }

  /** Whether `a` is still this document's analysis of its current text (a newer version supersedes it). */
  current(a: DocumentAnalysis): boolean {
    return this.analysis === a && a.version === this.version;
  }

  dispose(): void {
    this.dropOpening();
    this.secondStage = undefined;
    this.focus = undefined;
    this.parsed?.dispose();
    this.parsed = undefined;
    this.analysis = undefined;
  }
}
