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
  /** The call whose simulated outcome belongs in the message (appended by analyze(), or later by the server). */
  simulate?: { fnIndex: number; span: Span };
}

export interface RuleContext {
  facts: FileFacts;
  env: AnalysisEnv;
  /** Shared per-file analyses (atomic context, masks) computed once and reused by every rule. */
  shared: SharedAnalyses;
}

export interface RuleMeta {
  id: string;
  severity: Severity;
  /** The API is gone in 2.6: diagnostics get the Deprecated tag. */
  deprecated: boolean;
  summary: string;
  /**
   * Strings at least one of which a file's text contains whenever this rule can report in it (the
   * names it matches calls, tokens or includes by). The CLI does not parse a file that contains none
   * of the enabled rules' triggers, as Coccinelle's token prefilter does; test/core/relevance.test.ts
   * checks the rule finds nothing once they are gone.
   */
  triggers: readonly string[];
  /**
   * Whether a finding of this rule, or its simulated verdict, can depend on the context a function runs
   * in (SharedAnalyses.context). Only then do other files' calls and registrations matter: a CLI run
   * whose enabled rules all say false checks each file once, without the cross-file passes.
   * test/core/relevance.test.ts checks that a rule saying false never reads the context.
   */
  usesContext: boolean;
  /**
   * Whether it reads tokens anywhere in a file that holds its triggers, not only in the functions that
   * hold them (gfp-buffer weighs the whole file's types): such a file is never parsed in part
   * (core/scale/partial-parse.ts).
   */
  readsWholeFile?: boolean;
  /**
   * The rule reports only for targets at or after this release (setting `target`): a rule about code that
   * compiles on 2.6 but not on a later kernel. Below it the rule is not enabled at all (no prefilter cost).
   */
  fromTarget?: string;
  /** The rule's advice is about this name: for a target without it (kb.generated.json) the rule is off. */
  whileTargetHas?: string;
}

export interface Rule extends RuleMeta {
  check(ctx: RuleContext): Omit<Finding, 'rule' | 'severity'>[];
}
