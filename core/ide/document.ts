/** An open document: its text (the adapter's copy), incremental parse tree, function cache and last analysis. */
import { analyze, type AnalyzeOptions, type RuleFailure } from '../analyze';
import type { SharedAnalyses } from '../context/shared';
import { FileFacts, FunctionCache } from '../facts/file-facts';
import type { CParser, ParsedFile } from '../parse/parser';
import type { AnalysisEnv, Finding } from '../rules/types';
import type { LineIndex } from '../text/line-index';
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
}

export class OpenDocument {
  parsed: ParsedFile | undefined;
  readonly functions = new FunctionCache();
  analysis: DocumentAnalysis | undefined;
  /** Why the last analysis failed as a whole (the parser threw or ran out of memory). */
  failure: string | undefined;

  constructor(
    public source: SourceText,
    /** The file's path (its URI when it is not a file). */
    readonly path: string,
  ) {}

  get version(): number {
    return this.source.version;
  }

  /** Parses (incrementally when a previous tree exists) and runs the rules. */
  analyze(parser: CParser, options: AnalyzeOptions, envFor: (facts: FileFacts) => AnalysisEnv, parse: { maxMs?: number } = {}): DocumentAnalysis {
    if (this.analysis && this.analysis.version === this.version) return this.analysis;
    const t0 = performance.now();
    const text = this.source.getText();
    const old = this.parsed;
    this.parsed = undefined; // reparse() disposes the old tree even when it throws
    // A keystroke's reparse is speculative (a neutralize window, tree-sitter's incremental tree); settle() makes it
    // exact when typing pauses.
    this.parsed = old ? parser.reparse(old, text, { ...parse, speculative: true }) : parser.parse(text, parse);
    const t1 = performance.now();
    const facts = new FileFacts(this.parsed, this.path, this.functions);
    void facts.functions; // built here, to time it apart from the rules
    const t2 = performance.now();
    const env = { ...options.env, ...envFor(facts) };
    const { findings, failures, shared } = analyze(facts, { ...options, env });
    const t3 = performance.now();
    this.analysis = {
      version: this.version,
      facts,
      lines: facts.lines,
      findings,
      failures,
      env,
      shared,
      verdicts: !findings.some((f) => f.simulate),
      timing: { parseMs: t1 - t0, factsMs: t2 - t1, rulesMs: t3 - t2 },
    };
    return this.analysis;
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
    this.parsed?.dispose();
    this.parsed = undefined;
    this.analysis = undefined;
  }
}
