/** Runs extracted sequences through the simulator and condenses the results for hovers, lenses and the view. */
import { compareReleases } from '../kernel/target';
import type { AtomicReason } from '../context/atomic-context';
import type { CallSite } from '../context/flow';
import type { SharedAnalyses } from '../context/shared';
import { SIMULATION_ANCHORS } from '../kernel/alloc-api';
import {
  DEFAULT_SIMULATED_MACHINE,
  DISTRIBUTION_KERNEL,
  simulateShared,
  type KernelConfig,
  type SimulatedMachine,
  type ContextKind,
  type OutcomeKind,
  type ScenarioName,
  type SimOp,
  type SimResult,
  type StepResult,
} from '../sim';
import type { Related } from '../text/related';
import type { Span } from '../text/span';
import { SCENARIOS, SCENARIO_WORDS } from './scenarios';
import { ALLOCATING_OPS, SequenceExtractor, UNKNOWN_SIZE_RANGE, type ExtractedFunction, type ExtractGoal, type SimPath } from './extract';

export { SCENARIOS } from './scenarios';

/** Outcome kinds a porter must act on. NULL is a normal answer (the code must check it); leaks at the
 * end of one function are usually ownership handed elsewhere, so neither counts as a problem here. */
export const PROBLEM_KINDS = new Set<OutcomeKind>(['bug', 'sleep-in-atomic', 'never-returns']);

/** A small sleeping allocation looping forever in the `exhausted` scenario is 2.6's design (order <= 3 never
 * fails), true of nearly every GFP_KERNEL call: shown in hovers, not flagged as a problem of this function. */
export function isProblem(step: StepResult): boolean {
  return PROBLEM_KINDS.has(step.outcome.kind) && !(step.outcome.kind === 'never-returns' && step.outcome.code === 'alloc-loop');
}

/** Whether a path can happen in a scenario: its branches on allocation results agree with the outcomes. */
export interface Feasibility {
  feasible: boolean;
  /** When not: which branch needs which result ("`!p` needs kmalloc() at line 40 to return NULL; it returned memory"). */
  why?: string;
  /** When not: the first op that never runs in this scenario (the ops from the branch on). */
  fromOp?: number;
}

export interface PathSimulation extends SimPath {
  results: Record<ScenarioName, SimResult>;
  feasibility: Record<ScenarioName, Feasibility>;
}

/** The verdict of one scenario for one call: the worst outcome over the paths that reach it and can happen. */
export interface ScenarioVerdict {
  kind: OutcomeKind | 'not-reached';
  /** sleep-in-atomic that does not sleep in this scenario (memory plentiful): the bug is there, the sleep is not. */
  latent: boolean;
  message: string;
  /** The simulator's sub-kind ('alloc-loop', 'waits-forever', …). */
  code?: string;
  /** The path (index in CallSimulation.paths) the verdict comes from, -1 when none. */
  path: number;
  /** Paths reaching the call that can happen in this scenario / all paths reaching it. */
  feasible: number;
  total: number;
  /** Other outcomes on other feasible paths, e.g. ['ok'] when one path gives null and another ok. */
  others: OutcomeKind[];
  /** For a kmalloc of unknown size: the outcome at each size of UNKNOWN_SIZE_RANGE (worst path each). */
  sizes?: { label: string; kind: OutcomeKind; latent: boolean }[];
  /** On some feasible path the call's cache_grow turned interrupts on (__GFP_WAIT; 2.6.11 mm/slab.c:1834). */
  irqsEnabledInside?: true;
}

/** One call simulated in its calling context (goal-directed): what hovers, findings and lenses state. */
export interface CallSimulation {
  fn: string;
  call: string;
  line: number;
  span: Span;
  /** The context analysis' verdict at the call (the sleep-in-atomic finding's). */
  context: { kind: ContextKind; reason: string | null; related: Related[] };
  paths: PathSimulation[];
  /** Null when no path reaches the call: then `missed` says why. */
  verdicts: Record<ScenarioName, ScenarioVerdict> | null;
  missed?: string;
  truncated: boolean;
  /** The size expression when it is not a constant. */
  unknownSize?: string;
  /** The paths to the call were not followed (why): it was simulated alone, in its context. */
  simulatedAlone?: string;
  /** The call's mask is gone in 2.6 (GFP_BUFFER): simulated as the replacement its quick fix suggests. */
  maskReplaced?: { from: string; to: string };
  /** Caches and pools created before the scenario applies (module init). */
  setup: SimOp[];
  initialContext: ContextKind;
  /** The machine's label ("256 MiB, 1 CPU"): every verdict names what it was simulated on. */
  machine: string;
  /** The kernel configuration a sleep in atomic context is described for. */
  kernel: KernelConfig;
  /** The target kernel (setting `target`) when it is later than the 2.6.11 the simulator models. */
  laterTarget?: string;
}

export interface FunctionSimulation extends Omit<ExtractedFunction, 'paths'> {
  paths: PathSimulation[];
  /** Each allocation call of the function, simulated in its context (goal-directed). */
  calls: CallSimulation[];
  machine: string;
  /** One line per call with a problem in some scenario, e.g. "kmalloc() at line 40: sleep-in-atomic (normal memory: latent; under pressure: sleeps)". */
  problems: string[];
}

/**
 * Simulations by input, across document versions: an edit elsewhere in the file leaves a function's
 * sequences (and their source lines) unchanged, so its results are reused. Bounded, oldest dropped.
 */
const RESULTS = new Map<string, Record<ScenarioName, SimResult>>();
const MAX_CACHED = 2000;

/**
 * What a run keeps: 'trace' the full trace of every step (the Simulate view shows it); 'outcomes' the outcomes,
 * their messages and the context entries a verdict reads (latentSleepInAtomic), no allocator trace: a call's
 * simulation (hover, finding) reads verdicts only, so its runs neither build the trace strings nor keep them here.
 */
type RunDetail = 'trace' | 'outcomes';

/** Sequences run by simulateAllCached (cache misses), by detail: tests count them. */
export const simulatorRuns: Record<RunDetail, number> = { trace: 0, outcomes: 0 };

/**
 * JSON.stringify([machine, context, snapshots, setup, ops]) of each of a call's paths, joined from its ops' texts:
 * the paths share their op objects (extract.ts forks share them, and nothing changes an op once made), so each op
 * is stringified once for the call, not once per path (the texts are not kept past the call).
 */
function runKeys(
  machine: SimulatedMachine,
  context: ContextKind,
  snapshots: 'all' | 'none',
  setup: readonly SimOp[],
  sequences: readonly (readonly SimOp[])[],
): string[] {
  const texts = new Map<SimOp, string>();
  const text = (op: SimOp) => {
    let t = texts.get(op);
    if (t === undefined) texts.set(op, (t = JSON.stringify(op)));
    return t;
  };
  const head = `[${JSON.stringify(machine.id)},${JSON.stringify(context)},${JSON.stringify(snapshots)},[${setup.map(text).join(',')}],[`;
  return sequences.map((ops) => `${head}${ops.map(text).join(',')}]]`);
}

/** What an extraction's paths all run on: its setup ops and the context the function starts in. */
type RunSetting = Pick<ExtractedFunction, 'setup' | 'initialContext'>;

/**
 * Several sequences on one setup (a call's paths) in every scenario, from the results cache; those not cached run together, the steps
 * they share at their start once (simulateShared: each result is the one a run of its sequence alone gives).
 */
function simulateAllCached(
  sequences: readonly SimPath['ops'][],
  on: RunSetting,
  snapshots: 'all' | 'none',
  machine: SimulatedMachine,
  detail: RunDetail = 'trace',
): Record<ScenarioName, SimResult>[] {
  const steps = simulateAllCachedInSteps(sequences, on, snapshots, machine, detail);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** simulateAllCached in steps a caller runs apart (the editor's verdicts and warming). */
function* simulateAllCachedInSteps(
  sequences: readonly SimPath['ops'][],
  { setup, initialContext: context }: RunSetting,
  snapshots: 'all' | 'none',
  machine: SimulatedMachine,
  detail: RunDetail,
): Generator<void, Record<ScenarioName, SimResult>[]> {
  const out: Record<ScenarioName, SimResult>[] = new Array(sequences.length);
  /** The sequences to run, by key, with the indexes each answers. */
  const missing = new Map<string, { ops: SimPath['ops']; at: number[] }>();
  const keys = runKeys(machine, context, snapshots, setup, sequences);
  for (const [i, ops] of sequences.entries()) {
    const base = keys[i];
    // A traced run answers an outcomes request as well (the same outcomes, more trace): reuse it when cached.
    const key = detail === 'trace' ? base : `outcomes:${base}`;
    const hit = RESULTS.get(key) ?? (detail === 'outcomes' ? RESULTS.get(base) : undefined);
    if (hit) {
      RESULTS.delete(key);
      RESULTS.set(key, hit);
      out[i] = hit;
      continue;
    }
    const m = missing.get(key);
    if (m) m.at.push(i);
    else missing.set(key, { ops, at: [i] });
  }
  if (!missing.size) return out;
  const trace = detail === 'trace' ? true : 'outcomes';
  simulatorRuns[detail] += missing.size;
  const runs = [...missing.values()];
  const byScenario: SimResult[][] = [];
  for (const sc of SCENARIOS) {
    // A step: one scenario's runs of the paths, or one path's runs in every scenario (a step of its own before).
    if (byScenario.length && runs.length > 1) yield;
    byScenario.push(
      simulateShared(
        runs.map((r) => r.ops),
        { scenario: machine.scenarios[sc], machine: machine.config, context, setup, snapshots, trace },
      ),
    );
  }
  for (const [k, [key, run]] of [...missing].entries()) {
    const r = Object.fromEntries(SCENARIOS.map((sc, j) => [sc, byScenario[j][k]])) as Record<ScenarioName, SimResult>;
    for (const i of run.at) out[i] = r;
    RESULTS.set(key, r);
    if (RESULTS.size > MAX_CACHED) RESULTS.delete(RESULTS.keys().next().value!);
  }
  return out;
}

/** Empties the simulator's results cache: a bench's cold hover runs the simulator as the first hover of a call does. */
export function clearSimulationResults(): void {
  RESULTS.clear();
}

const memoKey = (fnIndex: number, snapshots: 'all' | 'none') => `simulation:${fnIndex}:${snapshots}`;

/** Whether function `fnIndex` was simulated already for this analysis (a lens request spends no time on it). */
export function isSimulated(shared: SharedAnalyses, fnIndex: number): boolean {
  return shared.hasMemo(memoKey(fnIndex, 'none'));
}

export function simulateFunction(shared: SharedAnalyses, fnIndex: number, snapshots: 'all' | 'none' = 'none'): FunctionSimulation {
  return shared.memo(memoKey(fnIndex, snapshots), () => simulateAnew(shared, fnIndex, snapshots));
}

/**
 * simulateFunction in steps a caller runs apart (the editor's warming: a hover or keystroke waits for one step at
 * most): the extraction, each scenario's runs of its paths (kept in the results cache), then the function's result,
 * which finds them done. Nothing when the function is simulated already.
 */
export function* simulateFunctionInSteps(shared: SharedAnalyses, fnIndex: number): Generator<void, FunctionSimulation> {
  if (!isSimulated(shared, fnIndex)) {
    const extracted = extractionOf(shared, fnIndex);
    yield;
    yield* simulateAllCachedInSteps(
      extracted.paths.map((p) => p.ops),
      extracted,
      'none',
      machineOf(shared),
      'trace',
    );
    yield;
  }
  return simulateFunction(shared, fnIndex);
}

/** Paths simulated, each in every scenario; the steps they share at their start run once (simulateAllCached). */
function simulatePaths(
  ps: readonly SimPath[],
  extracted: ExtractedFunction,
  snapshots: 'all' | 'none',
  machine: SimulatedMachine,
  detail: RunDetail = 'trace',
): PathSimulation[] {
  const all = simulateAllCached(
    ps.map((p) => p.ops),
    extracted,
    snapshots,
    machine,
    detail,
  );
  return ps.map((p, i) => {
    const results = ownedElsewhere(all[i], extracted.escaping);
    const feasibility = Object.fromEntries(SCENARIOS.map((sc) => [sc, feasibilityOf(p, results[sc])])) as Record<ScenarioName, Feasibility>;
    return { ...p, results, feasibility };
  });
}

/** Drops the leaks of refs that left the function (stored in a structure, returned, handed on): owned elsewhere. */
function ownedElsewhere(results: Record<ScenarioName, SimResult>, escaping: readonly string[]): Record<ScenarioName, SimResult> {
  if (!escaping.length) return results;
  const gone = new Set(escaping);
  const kept = (r: SimResult): SimResult => {
    // The leaks are the last steps (reported when the run ends): only those are read.
    let first = r.steps.length;
    let dropped = 0;
    while (first > 0 && r.steps[first - 1].outcome.kind === 'leak') {
      first--;
      if (gone.has(r.steps[first].outcome.ref ?? '')) dropped++;
    }
    if (!dropped) return r;
    const steps = r.steps.filter((st, i) => i < first || !gone.has(st.outcome.ref ?? ''));
    return { ...r, steps, summary: { ...r.summary, leak: r.summary.leak - dropped } };
  };
  return Object.fromEntries(SCENARIOS.map((sc) => [sc, kept(results[sc])])) as Record<ScenarioName, SimResult>;
}

/** The result of the step at `index` (a run's results are in step order, its leaks after them; a search otherwise). */
function stepAt(result: SimResult, index: number): StepResult | undefined {
  const s = result.steps[index];
  return s !== undefined && s.index === index ? s : result.steps.find((x) => x.index === index);
}

/** The machine this analysis simulates on (setting `simulation.machine`). */
export const machineOf = (shared: SharedAnalyses): SimulatedMachine => shared.env.machine ?? DEFAULT_SIMULATED_MACHINE;

/** A function's whole extraction, once per analysis: warming's steps, the lens's run and the view's share it. */
function extractionOf(shared: SharedAnalyses, fnIndex: number): ExtractedFunction {
  return shared.memo(`extraction:${fnIndex}`, () => callExtractor(shared).extract(fnIndex));
}

function simulateAnew(shared: SharedAnalyses, fnIndex: number, snapshots: 'all' | 'none'): FunctionSimulation {
  const extracted = extractionOf(shared, fnIndex);
  const paths = simulatePaths(extracted.paths, extracted, snapshots, machineOf(shared));
  const sites = allocationSites(shared, fnIndex);
  const calls = sites.slice(0, MAX_CALLS_PER_FUNCTION).map((site) => simulateCall(shared, fnIndex, site.call.span));
  if (sites.length > MAX_CALLS_PER_FUNCTION) {
    const why = `${extracted.fn}() makes ${sites.length} allocation calls: the first ${MAX_CALLS_PER_FUNCTION} are simulated here (hovering a call simulates it)`;
    for (const site of sites.slice(MAX_CALLS_PER_FUNCTION)) calls.push(notSimulated(shared, fnIndex, site, extracted.initialContext, why));
  }
  const problems: string[] = [];
  for (const c of calls) {
    const line = callProblemLine(c);
    if (line) problems.push(line);
  }
  return { ...extracted, paths, calls, problems, machine: machineOf(shared).label };
}

/**
 * The calls a whole-function simulation (and warming) simulates one by one: real functions make at most 14
 * (2.4.22 drivers + fs); one generated with thousands would take minutes (each call's paths followed apart).
 */
export const MAX_CALLS_PER_FUNCTION = 64;

/** The context analysis' verdict at a call, as a call simulation states it; related locations in this file get their lines (links in hovers), other files' carry theirs. */
function callContext(shared: SharedAnalyses, reason: AtomicReason | null): CallSimulation['context'] {
  return {
    kind: reason ? 'atomic' : 'process',
    reason: reason?.message ?? null,
    related: (reason?.related ?? []).map((r) => (r.file || r.line !== undefined ? r : { ...r, line: shared.facts.lineOf(r.span.start) })),
  };
}

/** A call past MAX_CALLS_PER_FUNCTION in a whole-function simulation: its context, no verdict, and why. */
function notSimulated(shared: SharedAnalyses, fnIndex: number, site: CallSite, initialContext: ContextKind, why: string): CallSimulation {
  const reason = shared.context.siteReason(site, fnIndex);
  return {
    fn: shared.facts.functions[fnIndex].name,
    call: site.call.name,
    line: shared.facts.lineOf(site.call.span.start),
    span: site.call.span,
    context: callContext(shared, reason),
    paths: [],
    verdicts: null,
    missed: why,
    truncated: true,
    setup: [],
    initialContext,
    machine: machineOf(shared).label,
    kernel: shared.env.kernel ?? DISTRIBUTION_KERNEL,
  };
}

/** The sites of function `fnIndex` a finding can be anchored at (allocations, mempool_destroy), in source order. */
export function allocationSites(shared: SharedAnalyses, fnIndex: number): CallSite[] {
  const seen = new Set<number>();
  return shared.context.flows[fnIndex].sites.filter((s) => SIMULATION_ANCHORS.has(s.call.name) && !seen.has(s.call.span.start) && seen.add(s.call.span.start));
}

/** "kmalloc() at line 40: sleep-in-atomic (normal memory: latent; under pressure: sleeps in atomic context)", or null. */
export function callProblemLine(c: CallSimulation): string | null {
  if (!c.verdicts) return null;
  const bad = SCENARIOS.filter((sc) => isProblemVerdict(c.verdicts![sc]));
  if (!bad.length) return null;
  const worst = c.verdicts[bad[bad.length - 1]];
  const kind = worst.code === 'does-not-build' ? 'does not build' : worst.kind;
  return `${c.call}() at line ${c.line}: ${kind === 'bug' ? 'BUG' : kind} (${bad.map((sc) => `${SCENARIO_WORDS[sc]}${c.verdicts![sc].latent ? ': may sleep, does not now' : ''}`).join('; ')})`;
}

/** As isProblem for steps: an order <= 3 sleeping allocation looping in `exhausted` is 2.6's design, not this call's problem. */
export function isProblemVerdict(v: ScenarioVerdict): boolean {
  return (
    v.kind === 'bug' ||
    v.kind === 'sleep-in-atomic' ||
    (v.kind === 'never-returns' && v.code !== 'alloc-loop') ||
    (v.kind === 'error' && v.code === 'does-not-build')
  );
}

/** How bad an outcome is for the porter: the verdict of a scenario is its worst over the feasible paths. */
const SEVERITY: Partial<Record<OutcomeKind, number>> = { bug: 7, 'sleep-in-atomic': 6, 'never-returns': 5, null: 4, error: 3, unknown: 2, slept: 1, ok: 0 };

/** A sleeping call in atomic context that did not sleep (memory plentiful) is still the bug; the step says so. */
function latentSleepInAtomic(step: StepResult): boolean {
  return step.outcome.kind === 'ok' && step.maySleep && step.trace.some((t) => t.maySleep === true);
}

function verdictKind(step: StepResult): { kind: OutcomeKind; latent: boolean } {
  if (latentSleepInAtomic(step)) return { kind: 'sleep-in-atomic', latent: true };
  return { kind: step.outcome.kind, latent: false };
}

/** Whether the result stored by the op at `index` is NULL in `result` (undefined: not known, or never reached). */
function returnedNull(step: StepResult | undefined): boolean | undefined {
  if (!step) return undefined;
  const o = step.outcome;
  const r = o.kind === 'sleep-in-atomic' ? o.result : o.kind;
  if (r === 'null') return true;
  if (r === 'ok' || r === 'slept') return false;
  return undefined;
}

export function feasibilityOf(p: SimPath, result: SimResult): Feasibility {
  for (const a of p.assumptions) {
    let j = a.atOp - 1;
    while (j >= 0 && !(ALLOCATING_OPS.has(p.ops[j].op) && (p.ops[j] as { ref?: string }).ref === a.ref)) j--;
    if (j < 0) continue;
    const step = stepAt(result, j);
    const isNull = returnedNull(step);
    if (isNull === undefined || isNull === (a.expect === 'null')) continue;
    const what = `${p.origins[j]?.text.split('(')[0] ?? p.ops[j].op}() at line ${p.origins[j]?.line ?? '?'}`;
    return {
      feasible: false,
      why: `\`${a.cond}\` needs ${what} to ${a.expect === 'null' ? 'return NULL; it returned memory' : 'succeed; it returned NULL'}`,
      fromOp: a.atOp,
    };
  }
  return { feasible: true };
}

/**
 * The extractor of an analysis's function and call simulations: its tables (which statements and functions
 * can add steps, the steps' ids) depend only on the file's IR, so the calls of a function share them (a second
 * hover in a function classifies no statement again). It goes with the analysis when the document changes.
 */
export const callExtractor = (shared: SharedAnalyses): SequenceExtractor =>
  shared.memo('call-extractor', () => new SequenceExtractor(shared.facts, shared, shared.context));

const callMemoKey = (span: Span) => `simulation-call:${span.start}:${span.end}`;

/**
 * The memos of one call's simulation (its extraction and its result), keyed by the call's span alone: an analysis
 * of the same text whose context agrees at the call can adopt them (SharedAnalyses.adoptMemos; a hover's focus
 * hands them to the complete analysis). The function-keyed ones hold function indexes, which differ.
 */
export const isCallSimulationMemo = (key: string): boolean => key.startsWith('simulation-call:') || key.startsWith('call-extraction:');

/**
 * One call simulated for what it is about: the paths that reach it, in the context the context analysis
 * states there, then what follows. Memoized per analysis.
 */
export function simulateCall(shared: SharedAnalyses, fnIndex: number, span: Span): CallSimulation {
  return shared.memo(callMemoKey(span), () => simulateCallAnew(shared, fnIndex, span));
}

/**
 * simulateCall in steps a caller runs apart (the editor's verdicts and warming: a keystroke or hover waits for one
 * step at most): the goal's extraction, each scenario's runs of its paths (kept in the results cache), then the call's
 * result, which finds them done. Nothing but the result when the call is simulated already.
 */
export function* simulateCallInSteps(shared: SharedAnalyses, fnIndex: number, span: Span): Generator<void, CallSimulation> {
  if (!shared.hasMemo(callMemoKey(span))) {
    const { extracted } = callExtractionOf(shared, fnIndex, span);
    yield;
    yield* simulateAllCachedInSteps(
      extracted.paths.map((p) => p.ops),
      extracted,
      'none',
      machineOf(shared),
      'outcomes',
    );
    yield;
  }
  return simulateCall(shared, fnIndex, span);
}

/** The call's site, its context and the paths that reach it, once per analysis (simulateCallInSteps' first step). */
function callExtractionOf(shared: SharedAnalyses, fnIndex: number, span: Span) {
  return shared.memo(`call-extraction:${span.start}:${span.end}`, () => {
    const site = shared.context.flows[fnIndex].sites.find((s) => s.call.span.start === span.start && s.call.span.end === span.end);
    const reason = site ? shared.context.siteReason(site, fnIndex) : null;
    const goal: ExtractGoal = {
      span,
      context: reason ? { kind: 'atomic', reason: reason.message } : { kind: 'process', reason: 'process context (may sleep)' },
    };
    return { site, reason, extracted: callExtractor(shared).extract(fnIndex, goal) };
  });
}

function simulateCallAnew(shared: SharedAnalyses, fnIndex: number, span: Span): CallSimulation {
  const { site, reason, extracted } = callExtractionOf(shared, fnIndex, span);
  // A call's simulation is read for its verdicts (hover, finding, the view's summary line): no allocator trace.
  const paths = simulatePaths(extracted.paths, extracted, 'none', machineOf(shared), 'outcomes');
  const first = paths[0];
  const origin = first?.origins[first.goalOp] ?? null;
  const base = {
    fn: extracted.fn,
    call: site?.call.name ?? origin?.text.split('(')[0] ?? '?',
    line: shared.facts.lineOf(span.start),
    span,
    context: callContext(shared, reason),
    paths,
    truncated: extracted.truncated,
    setup: extracted.setup,
    initialContext: extracted.initialContext,
    machine: machineOf(shared).label,
    kernel: shared.env.kernel ?? DISTRIBUTION_KERNEL,
    ...(shared.env.target && compareReleases(shared.env.target, '2.6.11') > 0 ? { laterTarget: shared.env.target } : {}),
    ...(origin?.unknownSize ? { unknownSize: origin.unknownSize } : {}),
    ...(origin?.maskReplaced ? { maskReplaced: origin.maskReplaced } : {}),
    ...(extracted.simulatedAlone ? { simulatedAlone: extracted.simulatedAlone } : {}),
  };
  if (!paths.length) return { ...base, verdicts: null, missed: extracted.goalMissed ?? `${base.call}() is not simulated here` };
  const verdicts = Object.fromEntries(SCENARIOS.map((sc) => [sc, scenarioVerdict(paths, sc)])) as Record<ScenarioName, ScenarioVerdict>;
  if (origin?.unknownSize) {
    // The size is not known: the call's outcome at each plausible size, worst path each.
    // The call's outcome depends only on the ops before it: each path up to its last run of the call, at each size
    // (the prefixes the paths and sizes share run once, simulatePaths).
    const variants = UNKNOWN_SIZE_RANGE.map(({ size }) =>
      paths.map((p): PathSimulation | { variant: SimPath } => {
        const upTo = Math.max(...p.goalOps) + 1;
        // At the size the path was simulated with (the stand-in) the prefix run would repeat the path's own
        // first steps: a step's result depends on the steps before it only, except a mempool wait, which a later
        // mempool_free (or the end of the run) settles.
        if (p.goalOps.every((i) => p.ops[i].op !== 'kmalloc' || p.ops[i].size === size) && !p.ops.slice(0, upTo).some((op) => op.op.startsWith('mempool')))
          return p;
        return {
          variant: {
            ...p,
            assumptions: p.assumptions.filter((a) => a.atOp <= upTo),
            ops: p.ops.slice(0, upTo).map((op, i) => (p.goalOps.includes(i) && op.op === 'kmalloc' ? { ...op, size } : op)),
          },
        };
      }),
    );
    const toRun = variants.flat().flatMap((v) => ('variant' in v ? [v.variant] : []));
    const runs = simulatePaths(toRun, extracted, 'none', machineOf(shared), 'outcomes');
    const ran = new Map(toRun.map((v, i) => [v, runs[i]]));
    const bySize = UNKNOWN_SIZE_RANGE.map(({ label }, k) => {
      const sized = variants[k].map((v) => ('variant' in v ? (ran.get(v.variant) as PathSimulation) : v));
      return { label, per: Object.fromEntries(SCENARIOS.map((sc) => [sc, scenarioVerdict(sized, sc)])) as Record<ScenarioName, ScenarioVerdict> };
    });
    for (const sc of SCENARIOS) {
      verdicts[sc].sizes = bySize.map((b) => ({ label: b.label, kind: b.per[sc].kind as OutcomeKind, latent: b.per[sc].latent }));
      // The scenario's verdict is the worst over the plausible sizes.
      const worst = bySize.map((b) => b.per[sc]).reduce((a, b) => ((SEVERITY[b.kind as OutcomeKind] ?? -1) > (SEVERITY[a.kind as OutcomeKind] ?? -1) ? b : a));
      if ((SEVERITY[worst.kind as OutcomeKind] ?? -1) > (SEVERITY[verdicts[sc].kind as OutcomeKind] ?? -1))
        verdicts[sc] = { ...worst, sizes: verdicts[sc].sizes };
    }
  }
  return { ...base, verdicts };
}

export function scenarioVerdict(paths: PathSimulation[], sc: ScenarioName): ScenarioVerdict {
  let best: ScenarioVerdict | null = null;
  const kinds = new Set<OutcomeKind>();
  let feasible = 0;
  let irqsOn = false;
  for (const [pi, p] of paths.entries()) {
    const f = p.feasibility[sc];
    // A branch taken after the call does not make the call itself impossible.
    if (!f.feasible && (f.fromOp ?? 0) <= p.goalOp) continue;
    // Every time the path runs the call (a loop runs it again): the worst of them.
    const steps = p.goalOps.map((i) => stepAt(p.results[sc], i)).filter((s): s is StepResult => !!s);
    if (!steps.length) continue; // the path stopped before the call (an earlier call never returned)
    feasible++;
    for (const [k, step] of steps.entries()) {
      if (step.irqsEnabledInside) irqsOn = true;
      const { kind, latent } = verdictKind(step);
      kinds.add(kind);
      const sev = SEVERITY[kind] ?? -1;
      const message = steps.length > 1 && k > 0 ? `${step.outcome.message} (run ${k + 1} of ${steps.length} on this path)` : step.outcome.message;
      if (!best || sev > (SEVERITY[best.kind as OutcomeKind] ?? -1))
        best = { kind, latent, message, ...(step.outcome.code ? { code: step.outcome.code } : {}), path: pi, feasible: 0, total: paths.length, others: [] };
    }
  }
  if (!best)
    return {
      kind: 'not-reached',
      latent: false,
      message: 'no path to this call can happen in this scenario',
      path: -1,
      feasible: 0,
      total: paths.length,
      others: [],
    };
  best.feasible = feasible;
  best.others = [...kinds].filter((k) => k !== best!.kind);
  if (irqsOn) best.irqsEnabledInside = true;
  return best;
}

export function describeStep(step: StepResult): string {
  const where = step.source ? `\`${step.source.text?.split('(')[0] ?? step.op.op}()\` at line ${step.source.line}` : step.op.op;
  return `${where}: ${step.outcome.message}`;
}

/** The step of each scenario that came from the call at `span` (first path through it; the Simulate view's path tables). */
export function stepsForCall(
  sim: FunctionSimulation,
  span: Span,
): { path: PathSimulation; index: number; steps: Record<ScenarioName, StepResult | undefined> } | null {
  for (const path of sim.paths) {
    const index = path.origins.findIndex((o) => o && o.span.start === span.start && o.span.end === span.end);
    if (index < 0) continue;
    const steps = Object.fromEntries(SCENARIOS.map((sc) => [sc, path.results[sc].steps.find((s) => s.index === index)])) as Record<
      ScenarioName,
      StepResult | undefined
    >;
    return { path, index, steps };
  }
  return null;
}
