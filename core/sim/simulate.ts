// Public entry: run a sequence of operations and report, per step, outcome + trace + state.

import { DEFAULT_MACHINE, SCENARIOS, type ScenarioName, scenariosFor, validateMachine } from './machine';
import { resolveScenario, Simulator } from './simulator';
import type { OutcomeKind, SimOptions, SimResult, StepResult } from './types';

export { Simulator, resolveScenario } from './simulator';

function emptySummary(): Record<OutcomeKind, number> {
  return { ok: 0, null: 0, slept: 0, 'never-returns': 0, bug: 0, 'sleep-in-atomic': 0, error: 0, leak: 0, unknown: 0 };
}

/** Run `ops` under one scenario. Never throws. */
export function simulate(ops: readonly unknown[], opts: SimOptions = {}): SimResult {
  const summary = emptySummary();
  if (opts === null || typeof opts !== 'object') opts = {};
  try {
    if (!Array.isArray(ops)) throw new Error('ops must be an array');
    // A scenario named, and setup (module init, in normal memory), are the machine's own, not the default machine's.
    const scenarios = opts.machine && opts.machine !== DEFAULT_MACHINE && validateMachine(opts.machine) === null ? scenariosFor(opts.machine) : SCENARIOS;
    const target =
      typeof opts.scenario === 'string' && Object.hasOwn(scenarios, opts.scenario) ? scenarios[opts.scenario as ScenarioName] : resolveScenario(opts.scenario);
    if (typeof target === 'string') throw new Error(target);
    const setupOps = Array.isArray(opts.setup) ? opts.setup : [];
    const setupState = scenarios.normal;
    const sim = new Simulator(opts, setupOps.length ? setupState : target);
    if (sim.configError) throw new Error(sim.configError);
    const keep = opts.results !== 'none';
    let setup: StepResult[] | undefined;
    if (setupOps.length) {
      sim.beginSetup();
      // Setup is module init (caches and pools created at load): process context, whatever the function's.
      const context = sim.e.context;
      sim.e.context = 'process';
      setup = setupOps.map((op) => sim.step(op));
      sim.e.context = context;
      sim.e.applyScenario(target);
      sim.endSetup();
    }
    const steps: StepResult[] = [];
    if (sim.lean) {
      for (let i = 0; i < ops.length; i++) summary[sim.stepKind(ops[i])]++;
    } else {
      for (let i = 0; i < ops.length; i++) {
        const r = sim.step(ops[i]);
        summary[r.outcome.kind]++;
        if (keep) steps.push(r);
      }
    }
    const leaks = sim.finish();
    if (keep) {
      // waiters amended by later steps / finish(): recount
      for (const k of Object.keys(summary) as OutcomeKind[]) summary[k] = 0;
      for (const s of steps) summary[s.outcome.kind]++;
    }
    for (const l of leaks) {
      summary.leak++;
      if (keep) steps.push(l);
    }
    const res: SimResult = {
      scenario: target.name,
      steps,
      summary,
      neverReturned: steps.some((s) => s.outcome.kind === 'never-returns' || s.outcome.result === 'never-returns') || sim.neverReturnedYet,
    };
    if (setup) res.setup = setup;
    if (opts.snapshots !== 'none') res.final = sim.snapshot();
    return res;
  } catch (x) {
    summary.error = 1;
    const message = `cannot simulate: ${x instanceof Error ? x.message : 'bad options'}`;
    return {
      scenario: typeof opts?.scenario === 'string' ? opts.scenario : 'custom',
      summary,
      neverReturned: false,
      steps: [
        {
          index: 0,
          op: { op: 'context', context: 'process' },
          outcome: { kind: 'error', code: 'bad-options', message },
          slept: false,
          maySleep: false,
          trace: [],
        },
      ],
    };
  }
}

/** Run `ops` under normal, pressure and exhausted memory. */
export function simulateScenarios(ops: readonly unknown[], opts: Omit<SimOptions, 'scenario'> = {}): Record<ScenarioName, SimResult> {
  return {
    normal: simulate(ops, { ...opts, scenario: 'normal' }),
    pressure: simulate(ops, { ...opts, scenario: 'pressure' }),
    exhausted: simulate(ops, { ...opts, scenario: 'exhausted' }),
  };
}
