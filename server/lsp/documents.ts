/** Open documents: text, incremental parse tree, facts and the last analysis. Trees are freed on close. */
import { fileURLToPath } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, FileFacts, FunctionCache, type LineIndex, type SharedAnalyses, type AnalysisEnv, type AnalyzeOptions, type CParser, type Finding, type ParsedFile, type RuleFailure } from '../../core';
import { diskEnv } from '../node/headers';

export interface Analysis {
  version: number;
  facts: FileFacts;
  lines: LineIndex;
  findings: Finding[];
  failures: RuleFailure[];
  env: AnalysisEnv;
  /** Per-version analyses (context, masks, simulations) reused by hover, lenses and simulate. */
  shared: SharedAnalyses;
  /** Set when parsing or analysis failed as a whole. */
  error?: string;
  /** The simulator's verdicts have been added to the findings' messages. */
  verdicts: boolean;
  /** Where the analysis's time went (logged when slow, or always with KPORT_TRACE). */
  timing: { parseMs: number; factsMs: number; rulesMs: number };
}

export class OpenDocument {
  parsed: ParsedFile | undefined;
  readonly functions = new FunctionCache();
  analysis: Analysis | undefined;

  constructor(public doc: TextDocument) {}

  get path(): string {
    try {
      return this.doc.uri.startsWith('file:') ? fileURLToPath(this.doc.uri) : this.doc.uri;
    } catch {
      return this.doc.uri;
    }
  }

  /** Parses (incrementally when a previous tree exists) and runs the rules. */
  analyze(parser: CParser, options: AnalyzeOptions, parse: { maxMs?: number } = {}): Analysis {
    if (this.analysis && this.analysis.version === this.doc.version) return this.analysis;
    const t0 = performance.now();
    const text = this.doc.getText();
    const old = this.parsed;
    this.parsed = undefined; // reparse() disposes the old tree even when it throws
    // A keystroke's reparse is speculative (a neutralize window, tree-sitter's incremental tree); settle() makes it
    // exact when typing pauses.
    this.parsed = old ? parser.reparse(old, text, { ...parse, speculative: true }) : parser.parse(text, parse);
    const t1 = performance.now();
    const facts = new FileFacts(this.parsed, this.path, this.functions);
    void facts.functions; // built here, to time it apart from the rules
    const t2 = performance.now();
    const env = { ...options.env, ...(this.doc.uri.startsWith('file:') ? diskEnv(facts, this.path) : {}) };
    const { findings, failures, shared } = analyze(facts, { ...options, env });
    const t3 = performance.now();
    this.analysis = {
      version: this.doc.version,
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

  dispose(): void {
    this.parsed?.dispose();
    this.parsed = undefined;
    this.analysis = undefined;
  }
}
