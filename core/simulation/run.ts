/** Runs extracted sequences through the simulator and condenses the results for hovers, lenses and the view. */
import type { SharedAnalyses } from '../context/shared';
import { simulate, type OutcomeKind, type ScenarioName, type SimResult, type StepResult } from '../sim';
import type { Span } from '../text/span';
import { SequenceExtractor, type ExtractedFunction, type SimPath } from './extract';

export const SCENARIOS: ScenarioName[] = ['normal', 'pressure', 'exhausted'];

/** Outcome kinds a porter must act on. NULL is a normal answer (the code must check it); leaks at the
 * end of one function are usually ownership handed elsewhere, so neither counts as a problem here. */
export const PROBLEM_KINDS = new Set<OutcomeKind>(['bug', 'sleep-in-atomic', 'never-returns']);

/** A small sleeping allocation looping forever in the `exhausted` scenario is 2.6's design (order <= 3 never
 * fails), true of nearly every GFP_KERNEL call: shown in hovers, not flagged as a problem of this function. */
export function isProblem(step: StepResult): boolean {
  return PROBLEM_KINDS.has(step.outcome.kind) && !(step.outcome.kind === 'never-returns' && step.outcome.code === 'alloc-loop');
}

export interface PathSimulation extends SimPath {
  results: Record<ScenarioName, SimResult>;
}

export interface FunctionSimulation extends Omit<ExtractedFunction, 'paths'> {
  paths: PathSimulation[];
  /** One line per (scenario, problem step), e.g. "under pressure: kmalloc() at line 40 sleeps while … → scheduling while atomic". */
  problems: string[];
}

/**
 * Simulations by input, across document versions: an edit elsewhere in the file leaves a function's
 * sequences (and their source lines) unchanged, so its results are reused. Bounded, oldest dropped.
 */
const RESULTS = new Map<string, Record<ScenarioName, SimResult>>();
const MAX_CACHED = 2000;

function simulateCached(ops: SimPath['ops'], setup: SimPath['ops'], context: ExtractedFunction['initialContext'], snapshots: 'all' | 'none'): Record<ScenarioName, SimResult> {
  const key = JSON.stringify([context, snapshots, setup, ops]);
  const hit = RESULTS.get(key);
  if (hit) {
    RESULTS.delete(key);
    RESULTS.set(key, hit);
    return hit;
  }
  const r = Object.fromEntries(SCENARIOS.map((sc) => [sc, simulate(ops, { scenario: sc, context, setup, snapshots, trace: true })])) as Record<ScenarioName, SimResult>;
  RESULTS.set(key, r);
  if (RESULTS.size > MAX_CACHED) RESULTS.delete(RESULTS.keys().next().value!);
  return r;
}

const memoKey = (fnIndex: number, snapshots: 'all' | 'none') => `simulation:${fnIndex}:${snapshots}`;

/** Whether function `fnIndex` was simulated already for this analysis (a lens request spends no time on it). */
export function isSimulated(shared: SharedAnalyses, fnIndex: number): boolean {
  return shared.hasMemo(memoKey(fnIndex, 'none'));
}

export function simulateFunction(shared: SharedAnalyses, fnIndex: number, snapshots: 'all' | 'none' = 'none'): FunctionSimulation {
  return shared.memo(memoKey(fnIndex, snapshots), () => simulateAnew(shared, fnIndex, snapshots));
}

function simulateAnew(shared: SharedAnalyses, fnIndex: number, snapshots: 'all' | 'none'): FunctionSimulation {
  const extracted = new SequenceExtractor(shared.facts, shared, shared.context).extract(fnIndex);
  const paths: PathSimulation[] = extracted.paths.map((p) => ({ ...p, results: simulateCached(p.ops, extracted.setup, extracted.initialContext, snapshots) }));
  const problems: string[] = [];
  for (const sc of SCENARIOS) {
    for (const [pi, p] of paths.entries()) {
      for (const step of p.results[sc].steps) {
        if (!isProblem(step)) continue;
        const line = `under ${sc === 'normal' ? 'normal memory' : sc === 'pressure' ? 'pressure' : 'exhausted memory'}: ${describeStep(step)}${paths.length > 1 ? ` (path ${pi + 1}${p.conditions.length ? `: ${p.conditions.join(', ')}` : ''})` : ''}`;
        if (!problems.includes(line)) problems.push(line);
      }
    }
  }
  return { ...extracted, paths, problems };
}

export function describeStep(step: StepResult): string {
  const where = step.source ? `\`${step.source.text?.split('(')[0] ?? step.op.op}()\` at line ${step.source.line}` : step.op.op;
  return `${where}: ${step.outcome.message}`;
}

/** The step of each scenario that came from the call at `span` (first path through it). */
export function stepsForCall(sim: FunctionSimulation, span: Span): { path: PathSimulation; index: number; steps: Record<ScenarioName, StepResult | undefined> } | null {
  for (const path of sim.paths) {
    const index = path.origins.findIndex((o) => o && o.span.start === span.start && o.span.end === span.end);
    if (index < 0) continue;
    const steps = Object.fromEntries(SCENARIOS.map((sc) => [sc, path.results[sc].steps.find((s) => s.index === index)])) as Record<ScenarioName, StepResult | undefined>;
    return { path, index, steps };
  }
  return null;
}
