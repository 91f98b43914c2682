/**
 * The `kport/simulate` request: document + position → the simulation of the enclosing function,
 * as plain JSON any editor can use (documented in the README).
 */
import type { ContextKind, OutcomeKind, ScenarioName, SimResult } from '../sim';
import { verdictDetail, verdictWord } from './markdown';
import type { DriverPhase, DriverProblem, DriverSimulation } from './driver';
import type { CallSimulation, Feasibility, FunctionSimulation } from './run';
import { isProblemVerdict, SCENARIOS } from './run';

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

/** One allocation call's verdict per scenario, as its hover and finding state it. */
export interface SimulatedCall {
  call: string;
  /** 1-based line of the call. */
  line: number;
  context: { kind: ContextKind; reason: string | null };
  /** Null when no path reaches the call; `missed` says why. */
  verdicts: Record<ScenarioName, { kind: OutcomeKind | 'not-reached'; latent: boolean; word: string; detail: string; problem: boolean }> | null;
  missed?: string;
  unknownSize?: string;
  /** The paths to the call were not followed (why): it was simulated alone. */
  simulatedAlone?: string;
  /** Paths that reach the call. */
  paths: number;
}

export interface SimulateResult {
  function: string;
  /** The machine simulated on ("256 MiB, 1 CPU"; setting simulation.machine). */
  machine: string;
  /** 1-based line of the function's name. */
  line: number;
  initialContext: ContextKind;
  contextWhy: string | null;
  truncated: boolean;
  /** One line per call with a problem in some scenario (the lens counts these). */
  problems: string[];
  /** Every allocation call of the function (and mempool_destroy), simulated in its context. */
  calls: SimulatedCall[];
  paths: {
    conditions: string[];
    /** For each step, how many of `conditions` were taken before it. */
    condAt: number[];
    notes: string[];
    /** Source of each step (null for context changes made by guards). */
    origins: (SimulatedStepOrigin | null)[];
    results: Record<ScenarioName, SimResult>;
    /** Whether the path can happen in each scenario (its branches on allocation results agree with the outcomes). */
    feasibility: Record<ScenarioName, Feasibility>;
  }[];
}

type ViewPath = SimulateResult['paths'][number];

/** A simulated path as the view reads it: the step origins cut to what it shows. */
function toViewPath(p: Omit<ViewPath, 'origins'> & { origins: readonly (SimulatedStepOrigin | null)[] }): ViewPath {
  return {
    conditions: p.conditions,
    condAt: p.condAt,
    notes: p.notes,
    origins: p.origins.map((o) => (o ? { line: o.line, text: o.text, fn: o.fn } : null)),
    results: p.results,
    feasibility: p.feasibility,
  };
}

export function toSimulatedCall(c: CallSimulation): SimulatedCall {
  return {
    call: c.call,
    line: c.line,
    context: { kind: c.context.kind, reason: c.context.reason },
    verdicts: c.verdicts
      ? (Object.fromEntries(
          SCENARIOS.map((sc) => {
            const v = c.verdicts![sc];
            return [sc, { kind: v.kind, latent: v.latent, word: verdictWord(v), detail: verdictDetail(v, 160, c), problem: isProblemVerdict(v) }];
          }),
        ) as SimulatedCall['verdicts'])
      : null,
    ...(c.missed ? { missed: c.missed } : {}),
    ...(c.unknownSize ? { unknownSize: c.unknownSize } : {}),
    ...(c.simulatedAlone ? { simulatedAlone: c.simulatedAlone } : {}),
    paths: c.paths.length,
  };
}

export function toSimulateResult(sim: FunctionSimulation, line: number): SimulateResult {
  return {
    function: sim.fn,
    machine: sim.machine,
    line,
    initialContext: sim.initialContext,
    contextWhy: sim.contextWhy,
    truncated: sim.truncated,
    problems: sim.problems,
    calls: sim.calls.map(toSimulatedCall),
    paths: sim.paths.map(toViewPath),
  };
}

export const SIMULATE_DRIVER_METHOD = 'kport/simulateDriver';

export interface SimulateDriverParams {
  textDocument: { uri: string };
  /** How many times interrupt handlers, timers and tasklets fire (default 8). */
  runs?: number;
}

/** A driver's lifetime in the view's shape (one path: every phase in order), plus the lifetime itself. */
export interface SimulateDriverResult extends SimulateResult {
  lifetime: {
    phases: DriverPhase[];
    problems: DriverProblem[];
    stoppedAt: DriverSimulation['stoppedAt'];
    chosen: DriverSimulation['chosen'];
    skipped: string[];
    /** Why memory held at the end is not checked as leaked (the module never unloads). */
    exitUnchecked?: string;
  };
}

export function toSimulateDriverResult(d: DriverSimulation): SimulateDriverResult {
  return {
    function: `${d.file.split('/').pop()} lifetime`,
    machine: d.machine,
    line: d.phases[0]?.line ?? 1,
    initialContext: 'process',
    contextWhy: null,
    truncated: false,
    problems: d.problems.map((x) => x.message),
    calls: d.calls.map(toSimulatedCall),
    paths: [toViewPath(d.path)],
    lifetime: {
      phases: d.phases,
      problems: d.problems,
      stoppedAt: d.stoppedAt,
      chosen: d.chosen,
      skipped: d.skipped,
      ...(d.exitUnchecked ? { exitUnchecked: d.exitUnchecked } : {}),
    },
  };
}
