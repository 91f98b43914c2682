/** The plain data the editor's queries answer with (no LSP types): ranges are line/character pairs. */
import type { Position } from '../text/line-index';
import type { Severity } from '../rules/types';

export type { Position };

export interface Range {
  start: Position;
  end: Position;
}

/** The text of an open document as the adapter holds it (its editor's copy). */
export interface SourceText {
  readonly version: number;
  getText(): string;
}

/** Where a finding points elsewhere: a range of this document, or a line of another file. */
export type RelatedItem = { message: string; range: Range } | { message: string; file: string; line: number };

/**
 * One diagnostic: a rule's finding (`rule` set), or kport's own note on the document (a failed analysis, a file
 * too large, a `kport-ignore` naming a renamed rule).
 */
export interface DiagnosticItem {
  rule?: string;
  severity: Severity;
  message: string;
  tags: readonly string[];
  range: Range;
  related: RelatedItem[];
}

export interface DiagnosticsResult {
  version: number;
  diagnostics: DiagnosticItem[];
  /** The analysis behind them, when there was one: whether this query ran it, and where its time went. */
  analysis?: { fresh: boolean; bytes: number; timing: AnalysisTiming };
  /** A first stage: the rules that need no context only; the next query answers all of them. */
  partial?: boolean;
}

export interface AnalysisTiming {
  parseMs: number;
  factsMs: number;
  rulesMs: number;
}

export interface EditItem {
  range: Range;
  newText: string;
}

/** `quickfix` for a finding under the cursor; `fixAll` for the whole file (LSP's source.fixAll). */
export type ActionKind = 'quickfix' | 'fixAll';

export interface CodeActionItem {
  title: string;
  kind: ActionKind;
  /** The finding the action is for (quick fixes and suppressions of one finding). */
  diagnostic?: DiagnosticItem;
  isPreferred?: boolean;
  edits: EditItem[];
}

export interface HoverItem {
  markdown: string;
  range: Range;
}

/** A "Simulate" lens: a function whose sequences show a problem in some scenario. */
export interface LensItem {
  range: Range;
  title: string;
}

export interface LensesResult {
  lenses: LensItem[];
  /**
   * Some functions were left unsimulated (the budget ran out), or a big document's second stage is under way
   * (no lens yet): the lenses come after `warm`.
   */
  short: boolean;
}

/** A query's way to learn that its answer is no longer wanted (a newer version, a cancelled request). */
export type Cancelled = () => boolean;

/** Work done a step at a time by the adapter's scheduler; `stale` when a newer version superseded it. */
export interface StepJob {
  step(budgetMs: number): 'more' | 'done' | 'stale';
  /** Why the job stopped early, if it failed (it then reports `done`). */
  readonly error?: string;
}
