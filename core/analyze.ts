/** The pipeline's last step: run the enabled rules over a file's facts, apply severities and suppressions. */
import { SharedAnalyses } from './context/shared';
import { DISTRIBUTION_KERNEL, resolveMachine } from './sim';
import type { FileFacts } from './facts/file-facts';
import type { KportConfig } from './config';
import { compareReleases, DEFAULT_TARGET, presentIn, textFor } from './kernel/target';
import { canonicalRuleId, INDIRECT_CALLS_RULE, renamedRuleNote, RULES } from './rules';
import { lineOfOffset } from './text/lines';
import { pausePoint } from './pause-point';
import { deadTag, PreprocessorContext } from './context/preprocessor';
import { simulatedVerdict } from './simulation/for-rules';
import type { AnalysisEnv, Finding, Rule, Severity } from './rules/types';
import { testedOrCleared } from './rules/support/mask-edit';

export interface AnalyzeOptions {
  config?: KportConfig;
  env?: AnalysisEnv;
  /** Restrict to these rule ids (CLI `--rule`). */
  only?: readonly string[];
  /**
   * Append the simulator's verdict to findings that carry a simulation anchor (default true). The
   * language server passes false to publish at once, then adds the verdicts with addVerdicts().
   */
  simulate?: boolean;
  /**
   * Run only the enabled rules this accepts (the editor's first stage on opening a big file: the rules that
   * need no context), and reuse `shared` from an earlier stage of the same facts.
   */
  rules?: (rule: Rule) => boolean;
  shared?: SharedAnalyses;
}

/**
 * A file's findings that get a simulated verdict: the first this many, in order (a generated or mangled file
 * can hold tens of thousands of findings; each verdict is one simulation). Deterministic, unlike a time budget.
 */
export const MAX_VERDICTS_PER_FILE = 100;

/** Appends "Simulated on Linux 2.6.11's allocator (…): …" to each finding anchored to a call. */
export function addVerdicts(findings: Finding[], shared: SharedAnalyses, alreadySimulated = 0): Finding[] {
  let simulated = alreadySimulated;
  return findings.map((f) => {
    if (!f.simulate) return f;
    if (simulated++ >= MAX_VERDICTS_PER_FILE) return { ...f, simulate: undefined };
    const verdict = simulatedVerdict(shared, f.simulate.fnIndex, f.simulate.span);
    return verdict ? { ...f, message: `${f.message} ${verdict}`, simulate: undefined } : f;
  });
}

export interface RuleFailure {
  rule: string;
  error: string;
}

const SUPPRESS = /kport-ignore(?:[ \t]+([\w-]+(?:[ \t]*,[ \t]*[\w-]+)*))?/g;

/** Line → rule ids suppressed there (`*` for all). A comment suppresses its own line and the next. */
export function suppressions(text: string, lineOf: (offset: number) => number = (o) => lineOfOffset(text, o) - 1): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  if (!text.includes('kport-ignore')) return out;
  for (const m of text.matchAll(SUPPRESS)) {
    const line = lineOf(m.index!);
    // A former rule id (RENAMED_RULES) suppresses the rule it became.
    const ids = m[1] ? m[1].split(/[ \t]*,[ \t]*/).map(canonicalRuleId) : ['*'];
    for (const l of [line, line + 1]) {
      const set = out.get(l) ?? new Set<string>();
      ids.forEach((id) => set.add(id));
      out.set(l, set);
    }
  }
  return out;
}

/** Whether calls through struct fields are resolved (AnalysisEnv.indirectCalls): their own rule is enabled. */
export function indirectCallsEnabled(opts: AnalyzeOptions): boolean {
  return enabledRules(opts).some((r) => r.id === INDIRECT_CALLS_RULE);
}

export function enabledRules(opts: AnalyzeOptions): Rule[] {
  const only = opts.only?.map(canonicalRuleId);
  const target = opts.env?.target ?? opts.config?.target ?? DEFAULT_TARGET;
  return RULES.filter(
    (r) =>
      (only ? only.includes(r.id) : true) &&
      opts.config?.rules[r.id] !== 'off' &&
      (!r.optIn || !!only?.includes(r.id) || (opts.config?.rules[r.id] ?? 'off') !== 'off') &&
      (!r.fromTarget || compareReleases(target, r.fromTarget) >= 0) &&
      (!r.whileTargetHas || presentIn(r.whileTargetHas, target)),
  );
}

/**
 * A finding's fixes written for the target: a removed name in a fix's text becomes its replacement there
 * (chained: GFP_BUFFER's fix for a 6.1 target is 6.1's answer), a fix that would leave nothing is dropped,
 * and the message says what the target changed.
 */
function forTarget(f: Omit<Finding, 'rule' | 'severity'>, target: string, fileText: string): Omit<Finding, 'rule' | 'severity'> {
  if (target === DEFAULT_TARGET || !f.fixes.length) return f;
  const notes = new Map<string, string>();
  const fixes = f.fixes.flatMap((fix) => {
    let gone = false;
    const edits = fix.edits.map((e) => {
      // A flag's meaning where the edit puts it: tested or cleared with `&` in the file as the edit leaves it.
      const tested = (offset: number, length: number) => {
        const after = fileText.slice(0, e.start) + e.newText + fileText.slice(e.end);
        return testedOrCleared(after, { start: e.start + offset, end: e.start + offset + length });
      };
      const r = textFor(e.newText, target, tested);
      for (const c of r.via)
        notes.set(
          c.symbol,
          `\`${c.symbol}\` is gone since ${c.release ?? c.offeredFrom}${c.replacement?.length ? `: the fix writes \`${c.replacement[0]}\`` : ': the fix leaves it out'}`,
        );
      if (r.text === null) gone = true;
      return r.text === null || r.text === e.newText ? e : { ...e, newText: r.text };
    });
    if (gone) return [];
    const title = textFor(fix.title, target).text ?? fix.title;
    return [{ ...fix, title, edits }];
  });
  if (!notes.size) return f;
  return { ...f, message: `${f.message} For a ${target} target: ${[...notes.values()].join('; ')}.`, fixes };
}

/** `kport-ignore` comments naming a former rule id: line (1-based), the id and its deprecation note. */
export function renamedSuppressions(text: string): { line: number; id: string; note: string }[] {
  const out: { line: number; id: string; note: string }[] = [];
  if (!text.includes('kport-ignore')) return out;
  for (const m of text.matchAll(SUPPRESS)) {
    if (!m[1]) continue;
    for (const id of m[1].split(/[ \t]*,[ \t]*/)) {
      const note = renamedRuleNote(id);
      if (note) out.push({ line: lineOfOffset(text, m.index!), id, note });
    }
  }
  return out;
}

/**
 * Findings in analyze()'s order: by offset, then rule id; one rule's findings at one offset keep the order the
 * rule gave them (a stable sort), so two stages' findings merged and sorted are the one-stage order.
 */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.span.start - b.span.start || a.rule.localeCompare(b.rule));
}

const BELOW_INFO: ReadonlySet<Severity> = new Set(['info', 'hint']);

/**
 * A true finding in code that is never compiled (`reason`: which `#if` branch, and why it cannot be taken):
 * kept, at most `info`, tagged in its message and as unnecessary (the editor fades it like other inactive code).
 */
export function markDead<F extends { severity: Severity; message: string; tags: string[] }>(f: F, reason: string): F {
  return {
    ...f,
    severity: BELOW_INFO.has(f.severity) ? f.severity : 'info',
    message: `${deadTag(reason)} ${f.message}`,
    tags: f.tags.includes('unnecessary') ? f.tags : [...f.tags, 'unnecessary'],
  };
}

/** Marks the findings in branches no build compiles; leaves those the workspace must confirm as `deadUnless`. */
function markDeadFindings(findings: Finding[], facts: FileFacts, env: AnalysisEnv): Finding[] {
  if (!findings.length || !/#[ \t]*if/.test(facts.text)) return findings;
  const pre = new PreprocessorContext(facts, env);
  return findings.map((f) => {
    const d = pre.deadAt(f.span.start);
    if (!d) return f;
    if (d.unlessDefined.length) return { ...f, deadUnless: { names: d.unlessDefined, reason: d.reason } };
    return { ...markDead(f, d.reason), dead: d.reason };
  });
}

/** The environment analyze() runs in: `opts.env` with the config's machine, kernel and target where it has none. */
export function resolvedEnv(opts: Pick<AnalyzeOptions, 'env' | 'config' | 'only'>): AnalysisEnv {
  // The configured machine (simulation.machine) unless the adapter resolved one already.
  let env = opts.env ?? {};
  if (opts.config?.machine !== undefined && !env.machine) env = { ...env, machine: resolveMachine(opts.config.machine).machine };
  if (opts.config?.kernel && !env.kernel) env = { ...env, kernel: { ...DISTRIBUTION_KERNEL, ...opts.config.kernel } };
  if (opts.config?.target !== undefined && !env.target) env = { ...env, target: opts.config.target };
  if (env.indirectCalls === undefined) env = { ...env, indirectCalls: indirectCallsEnabled({ ...opts, env }) };
  return env;
}

export type AnalyzeResult = { findings: Finding[]; failures: RuleFailure[]; shared: SharedAnalyses };

export function analyze(facts: FileFacts, opts: AnalyzeOptions = {}): AnalyzeResult {
  const parts = analysisParts(facts, opts);
  for (;;) {
    const step = parts.next();
    if (step.done) return step.value;
    pausePoint();
  }
}

/**
 * analyze() a rule a part (the editor completes a big file's analysis in parts, so that a keystroke or hover
 * elsewhere is answered between two); the same result.
 */
export function* analysisParts(facts: FileFacts, opts: AnalyzeOptions = {}): Generator<void, AnalyzeResult> {
  const env = resolvedEnv(opts);
  const target = env.target ?? DEFAULT_TARGET;
  const shared = opts.shared ?? new SharedAnalyses(facts, env);
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  for (const rule of enabledRules({ ...opts, env })) {
    if (opts.rules && !opts.rules(rule)) continue;
    const setting = opts.config?.rules[rule.id];
    const severity = setting && setting !== 'off' ? setting : rule.severity;
    try {
      for (const f of rule.check({ facts, env, shared })) findings.push({ ...forTarget(f, target, facts.text), rule: rule.id, severity });
    } catch (e) {
      // One broken rule must not take the others (or the server) down.
      failures.push({ rule: rule.id, error: e instanceof Error ? e.message : String(e) });
    }
    yield;
  }
  const line0 = (offset: number) => facts.lineOf(offset) - 1;
  const suppressed = suppressions(facts.text, line0);
  const kept = suppressed.size
    ? findings.filter((f) => {
        const ids = suppressed.get(line0(f.span.start));
        return !ids || !(ids.has('*') || ids.has(f.rule));
      })
    : findings;
  sortFindings(kept);
  const marked = markDeadFindings(kept, facts, env);
  return { findings: opts.simulate === false ? marked : addVerdicts(marked, shared), failures, shared };
}
