/** The editor's `kport.*` settings (rules, simulation, target) as a config; `kport.index` is the adapter's. */
import { parseConfig, type KportConfig } from '../config';
import { RULE_IDS } from '../rules';

/** Undefined config when the settings name no rules, simulation or target (the previous one stays). */
export function configFromEditorSettings(settings: unknown): { config?: KportConfig; problems: string[] } {
  const rules = (settings as { rules?: unknown } | null)?.rules;
  // "kport.simulation.machine": an empty string leaves .kport.json's (or the default) in charge.
  const sim = (settings as { simulation?: { machine?: unknown; preempt?: unknown; debugSleep?: unknown } } | null)?.simulation;
  const simulation =
    sim && typeof sim === 'object'
      ? {
          ...(sim.machine === undefined || sim.machine === '' ? {} : { machine: sim.machine }),
          ...(sim.preempt === undefined ? {} : { preempt: sim.preempt }),
          ...(sim.debugSleep === undefined ? {} : { debugSleep: sim.debugSleep }),
        }
      : undefined;
  // "kport.target": an empty string leaves .kport.json's (or 2.6, the article's) in charge.
  const rawTarget = (settings as { target?: unknown } | null)?.target;
  const target = rawTarget === undefined || rawTarget === '' ? undefined : rawTarget;
  if (rules === undefined && simulation === undefined && target === undefined) return { problems: [] };
  return parseConfig({ rules: rules ?? {}, ...(simulation ? { simulation } : {}), ...(target !== undefined ? { target } : {}) }, RULE_IDS);
}
