/** Rule configuration as read from `.kport.json` or editor settings: `{ "rules": { "gfp-buffer": "off" | "error" | ... } }`. */
import { canonicalRuleId, renamedRuleNote } from './rules';
import type { Severity } from './rules/types';

export type RuleSetting = Severity | 'off';

export interface KportConfig {
  rules: Record<string, RuleSetting>;
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
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) problems.push('"rules" must be an object of rule id → "off" | "error" | "warning" | "info" | "hint"');
    else
      for (const [given, setting] of Object.entries(raw as Record<string, unknown>)) {
        const id = canonicalRuleId(given);
        const note = renamedRuleNote(given);
        if (!knownRules.includes(id)) problems.push(`unknown rule "${given}"`);
        else if (typeof setting !== 'string' || !SETTINGS.has(setting)) problems.push(`rule "${given}": "${String(setting)}" is not one of off, error, warning, info, hint`);
        else if (note === null || !Object.hasOwn(raw as object, id)) rules[id] = setting as RuleSetting;
        if (note !== null) problems.push(note);
      }
  }
  return { config: { rules }, problems };
}

export function mergeConfigs(...configs: (KportConfig | undefined)[]): KportConfig {
  const rules: Record<string, RuleSetting> = {};
  for (const c of configs) if (c) Object.assign(rules, c.rules);
  return { rules };
}
