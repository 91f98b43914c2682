/** The editor's `kport.*` settings (rules, simulation) as a config; `kport.index` is the adapter's. */
import { parseConfig, type KportConfig } from '../config';
import { RULE_IDS } from '../rules';

/** Undefined config when the settings name neither rules nor simulation (the previous one stays). */
export function configFromEditorSettings(settings: unknown): { config?: KportConfig; problems: string[] } {
  const rules = (settings as { rules?: unknown } | null)?.rules;
  // "kport.simulation.machine": an empty string leaves .kport.json's (or the default) in charge.
  const sim = (settings as { simulation?: { machine?: unknown; preempt?: unknown; debugSleep?: unknown } } | null)?.simulation;
  const simulation =
    sim && typeof sim === 'object'
      ? { ...(sim.machine === undefined || sim.machine === '' ? {} : { machine: sim.machine }), ...(sim.preempt === undefined ? {} : { preempt: sim.preempt }), ...(sim.debugSleep === undefined ? {} : { debugSleep: sim.debugSleep }) }
      : undefined;
  if (rules === undefined && simulation === undefined) return { problems: [] };
  return parseConfig({ rules: rules ?? {}, ...(simulation ? { simulation } : {}) }, RULE_IDS);
}
