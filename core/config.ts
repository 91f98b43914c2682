/** Rule configuration as read from `.kport.json` or editor settings: `{ "rules": { "gfp-buffer": "off" | "error" | ... } }`. */
import { canonicalRuleId, renamedRuleNote } from './rules';
import type { Severity } from './rules/types';
import { resolveTarget } from './kernel/target';
import { resolveMachine } from './sim';

export type RuleSetting = Severity | 'off';

export interface KportConfig {
  rules: Record<string, RuleSetting>;
  /** `simulation.machine`: a preset name or a memory size in MiB (core/sim resolveMachine). */
  machine?: string | number;
  /** `simulation.preempt` / `simulation.debugSleep`: the kernel configuration verdicts describe. */
  kernel?: { preempt?: boolean; debugSleep?: boolean };
  /** `target`: the kernel release the port is for (core/kernel/target.ts TARGETS); absent = "2.6", the article's. */
  target?: string;
}

const SETTINGS = new Set(['off', 'error', 'warning', 'info', 'hint']);

/**
 * Validates untrusted JSON; returns the config and the problems found (unknown keys are reported, not
 * fatal). A former rule id (RENAMED_RULES) sets the rule it became, with a deprecation note among the
 * problems; where both ids are given, the current one wins.
 */
export function parseConfig(value: unknown, knownRules: readonly string[]): { config: KportConfig; problems: string[] } {
  const problems: string[] = [];
  const rules: Record<string, RuleSetting> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { config: { rules }, problems: ['the configuration must be a JSON object'] };
  const raw = (value as Record<string, unknown>).rules;
  if (raw !== undefined) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      problems.push('"rules" must be an object of rule id → "off" | "error" | "warning" | "info" | "hint"');
    else
      for (const [given, setting] of Object.entries(raw as Record<string, unknown>)) {
        const id = canonicalRuleId(given);
        const note = renamedRuleNote(given);
        if (!knownRules.includes(id)) problems.push(`unknown rule "${given}"`);
        else if (typeof setting !== 'string' || !SETTINGS.has(setting))
          problems.push(`rule "${given}": "${String(setting)}" is not one of off, error, warning, info, hint`);
        else if (note === null || !Object.hasOwn(raw as object, id)) rules[id] = setting as RuleSetting;
        if (note !== null) problems.push(note);
      }
  }
  const simulation = (value as Record<string, unknown>).simulation;
  let machine: string | number | undefined;
  if (simulation !== undefined) {
    const m = simulation !== null && typeof simulation === 'object' ? (simulation as Record<string, unknown>).machine : undefined;
    const { problem } = resolveMachine(m);
    if (simulation === null || typeof simulation !== 'object' || Array.isArray(simulation))
      problems.push('"simulation" must be an object: {"machine": "pc-256m" | "embedded-32m" | "server-2g" | <MiB>}');
    else if (problem) problems.push(problem);
    else if (typeof m === 'string' || typeof m === 'number') machine = m;
  }
  let kernel: KportConfig['kernel'];
  if (simulation !== null && typeof simulation === 'object' && !Array.isArray(simulation)) {
    for (const key of ['preempt', 'debugSleep'] as const) {
      const v = (simulation as Record<string, unknown>)[key];
      if (v === undefined) continue;
      if (typeof v !== 'boolean') problems.push(`"simulation.${key}" must be true or false`);
      else kernel = { ...kernel, [key]: v };
    }
  }
  let target: string | undefined;
  const rawTarget = (value as Record<string, unknown>).target;
  if (rawTarget !== undefined) {
    const { target: t, problem } = resolveTarget(rawTarget);
    if (problem) problems.push(problem);
    else target = t;
  }
  return {
    config: { rules, ...(machine !== undefined ? { machine } : {}), ...(kernel ? { kernel } : {}), ...(target !== undefined ? { target } : {}) },
    problems,
  };
}

export function mergeConfigs(...configs: (KportConfig | undefined)[]): KportConfig {
  const rules: Record<string, RuleSetting> = {};
  let machine: string | number | undefined;
  let kernel: KportConfig['kernel'];
  let target: string | undefined;
  for (const c of configs) {
    if (!c) continue;
    Object.assign(rules, c.rules);
    if (c.machine !== undefined) machine = c.machine;
    if (c.kernel) kernel = { ...kernel, ...c.kernel };
    if (c.target !== undefined) target = c.target;
  }
  return { rules, ...(machine !== undefined ? { machine } : {}), ...(kernel ? { kernel } : {}), ...(target !== undefined ? { target } : {}) };
}
