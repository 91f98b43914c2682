/**
 * The `kport/simulate` request: document + position → the simulation of the enclosing function,
 * as plain JSON any editor can use (documented in the README).
 */
import type { ContextKind, ScenarioName, SimResult } from '../sim';
import type { FunctionSimulation } from './run';

export const SIMULATE_METHOD = 'kport/simulate';

export interface SimulateParams {
  textDocument: { uri: string };
  position: { line: number; character: number };
  /** Include a state snapshot after every step (for charts). Default false. */
  snapshots?: boolean;
}

export interface SimulatedStepOrigin {
  line: number;
  text: string;
  fn: string;
}

export interface SimulateResult {
  function: string;
  /** 1-based line of the function's name. */
  line: number;
  initialContext: ContextKind;
  contextWhy: string | null;
  truncated: boolean;
  problems: string[];
  paths: {
    conditions: string[];
    /** For each step, how many of `conditions` were taken before it. */
    condAt: number[];
    notes: string[];
    /** Source of each step (null for context changes made by guards). */
    origins: (SimulatedStepOrigin | null)[];
    results: Record<ScenarioName, SimResult>;
  }[];
}

export function toSimulateResult(sim: FunctionSimulation, line: number): SimulateResult {
  return {
    function: sim.fn,
    line,
    initialContext: sim.initialContext,
    contextWhy: sim.contextWhy,
    truncated: sim.truncated,
    problems: sim.problems,
    paths: sim.paths.map((p) => ({
      conditions: p.conditions,
      condAt: p.condAt,
      notes: p.notes,
      origins: p.origins.map((o) => (o ? { line: o.line, text: o.text, fn: o.fn } : null)),
      results: p.results,
    })),
  };
}
