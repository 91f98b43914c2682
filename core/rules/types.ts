import type { FileFacts } from '../facts/file-facts';
import type { AnalysisEnv } from '../context/env';
import type { SharedAnalyses } from '../context/shared';
import type { Span } from '../text/span';
import type { Related, TextEdit } from '../text/related';

export type { AnalysisEnv, Related, TextEdit };

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The one fix an editor applies on "fix all" and `kport fix`. */
  preferred?: boolean;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  span: Span;
  tags: ('deprecated' | 'unnecessary')[];
  related: Related[];
  fixes: Fix[];
  /**
   * Why the finding lies in an `#if` branch that cannot be compiled (context/preprocessor.ts): the finding
   * is true but dead, its severity at most `info` and its message tagged (markDead()).
   */
  dead?: string;
  /**
   * Not yet decided: dead for `reason` if no file of the workspace defines any of `names` (the CLI decides
   * once it has read every file; the editor while its index is incomplete leaves it live).
   */
  deadUnless?: { names: string[]; reason: string };
  /** The call whose simulated outcome belongs in the message (appended by analyze(), or later by the server). */
  simulate?: { fnIndex: number; span: Span };
}

export interface RuleContext {
  facts: FileFacts;
  env: AnalysisEnv;
  /** Shared per-file analyses (atomic context, masks, queries) computed once and reused by every rule. */
  shared: SharedAnalyses;
}

/**
 * The names by which a rule finds what it reports: a file whose code names none of them cannot get a
 * finding of this rule. The prefilter's triggers (core/relevance.ts, core/scale/partial-parse.ts) are these
 * names, derived by defineRule(); test/core/relevance.test.ts checks the rule finds nothing once they are gone.
 */
export interface RuleMatches {
  /** Functions whose calls the rule starts from (an allocator, mempool_create…). */
  calls?: readonly string[];
  /** Identifiers it reads wherever they are in code: flags, constants (`__GFP_NOFAIL`, `GFP_BUFFER`). */
  tokens?: readonly string[];
  /** Headers of `#include` lines it reads, as written between `<>` or `""` (`linux/malloc.h`). */
  includes?: readonly string[];
}

export interface RuleNeeds {
  /**
   * The context a function runs in (SharedAnalyses.context: locks, interrupt handlers, callers). Only then
   * do other files' calls and registrations matter: a CLI run whose enabled rules all say false checks each
   * file once, without the cross-file passes. test/core/relevance.test.ts checks that a rule saying false
   * never reads it.
   */
  context: boolean;
  /**
   * Tokens anywhere in a file that holds its matches, not only in the functions that hold them (gfp-buffer
   * weighs the whole file's types): such a file is never parsed in part (core/scale/partial-parse.ts).
   */
  wholeFile: boolean;
}

/** A finding as a rule's check returns it: its message written out, or named by id in the rule's `messages`. */
export type RuleReport<M extends string = string> = Omit<Finding, 'rule' | 'severity' | 'message'> &
  ({ message: string; messageId?: undefined; data?: undefined } | { messageId: M; data?: Readonly<Record<string, string | number>>; message?: undefined });

/** What a rule file declares (ESLint's `meta` and `create` in one object); defineRule() makes the Rule. */
export interface RuleSpec<M extends string = string> {
  id: string;
  severity: Severity;
  /** The API is gone in 2.6: diagnostics get the Deprecated tag. */
  deprecated: boolean;
  summary: string;
  matches: RuleMatches;
  /** What it reads beyond the functions holding its matches; both false when left out. */
  needs?: Partial<RuleNeeds>;
  /** 'code': its findings can carry fixes. A rule that leaves it out never returns one (test/core/rule-meta.test.ts). */
  fixable?: 'code';
  /**
   * The rule reports only for targets at or after this release (setting `target`): a rule about code that
   * compiles on 2.6 but not on a later kernel. Below it the rule is not enabled at all (no prefilter cost).
   */
  fromTarget?: string;
  /**
   * Off unless asked for (config `rules: { id: severity }`, `--rule id`): why, in a few words (its cost). Shown in the
   * docs and the README's table.
   */
  optIn?: string;
  /** The rule's advice is about this name: for a target without it (kb.generated.json) the rule is off. */
  whileTargetHas?: string;
  /** Message templates by id; `{{name}}` is replaced by `data.name` of the report. */
  messages?: Readonly<Record<M, string>>;
  check(ctx: RuleContext): RuleReport<M>[];
}

export interface RuleMeta {
  id: string;
  severity: Severity;
  deprecated: boolean;
  summary: string;
  matches: Readonly<Required<RuleMatches>>;
  needs: Readonly<RuleNeeds>;
  fixable: 'code' | undefined;
  messages: Readonly<Record<string, string>>;
  /** The rule's documentation: `<id>.md` beside its code (core/rules/), copied to dist/docs/rules/ by the build. */
  docs: { path: string };
  /** Derived from `matches`: every name in it (relevance.ts reads a C name as a whole name, others anywhere). */
  readonly triggers: readonly string[];
  /** Derived: needs.context. */
  readonly usesContext: boolean;
  /** Derived: needs.wholeFile. */
  readonly readsWholeFile: boolean;
  readonly fromTarget?: string;
  readonly optIn?: string;
  readonly whileTargetHas?: string;
}

export interface Rule extends RuleMeta {
  check(ctx: RuleContext): Omit<Finding, 'rule' | 'severity'>[];
}
