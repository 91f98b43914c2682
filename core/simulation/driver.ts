/**
 * A driver's lifetime on the 2.6 allocator: its entry points in the order the kernel calls them (module init,
 * probe, open, ioctl, the interrupt handler and timers firing N times, release, remove, module exit), one
 * sequence per scenario, with the state carried from phase to phase. What a function-level simulation cannot
 * see shows here: memory still held at module exit, a mempool reserve drained by repeated atomic allocations,
 * `mempool_destroy()` with elements out.
 *
 * Per scenario and phase, the path taken is the first one (preferring those where allocations succeed) whose
 * branches on allocation results agree with what the allocator returned in that scenario.
 */
import type { SharedAnalyses } from '../context/shared';
import { findEntryPoints } from '../context/entry-points';
import { describeKind, LOCK_OPS } from '../context/locks';
import { allCalls, assignmentsOf, functionNameOf } from '../facts/ir';
import { DISTRIBUTION_KERNEL, simulate, type ContextKind, type KernelConfig, type ScenarioName, type SimOp, type SimResult, type StepResult } from '../sim';
import { simulatedOn, verdictDetail, verdictWord } from './markdown';
import { PHASE_LABEL, type PhaseKind } from './phases';
import { SCENARIOS, SCENARIO_WORDS } from './scenarios';

export { PHASE_LABEL, type PhaseKind };
import { ALLOCATING_OPS, bareText, SequenceExtractor, type SimPath, type StepOrigin } from './extract';
import { feasibilityOf, isProblemVerdict, machineOf, scenarioVerdict, type CallSimulation, type PathSimulation } from './run';

export interface DriverPhase {
  kind: PhaseKind;
  fn: string;
  /** 1-based line of the function's name. */
  line: number;
  context: ContextKind;
  /** How kport knows the function is this entry point ("module_init(foo_init)", ".probe = foo_probe"). */
  how: string;
  runs: number;
}

export interface DriverProblem {
  kind: 'leak-at-exit' | 'bug' | 'sleep-in-atomic' | 'never-returns' | 'null-in-atomic';
  scenarios: ScenarioName[];
  message: string;
  line: number | null;
  fn: string | null;
}

export interface DriverSimulation {
  file: string;
  phases: DriverPhase[];
  /** The whole lifetime as one path (ops of every phase in order), with each scenario's result. */
  path: PathSimulation;
  /** Per scenario, the paths chosen per phase ("probe: path 2 of 3"), when a phase has more than one. */
  chosen: Record<ScenarioName, string[]>;
  calls: CallSimulation[];
  problems: DriverProblem[];
  /** Entry points found but not run, and why. */
  skipped: string[];
  /** Per scenario, the call the lifetime stopped at (it never returned), if any. */
  stoppedAt: Record<ScenarioName, string | null>;
  /** The machine's label ("256 MiB, 1 CPU"). */
  machine: string;
  /** Why memory held at the end is not checked as leaked: the module never unloads. */
  exitUnchecked?: string;
}

export interface DriverOptions {
  /** How many times the interrupt handler, timers and tasklets fire (default 8). */
  runs?: number;
}

/** Struct fields that name an entry point, in lifetime order. */
const FIELD_PHASES: [RegExp, PhaseKind][] = [
  [/\.probe$/, 'probe'],
  [/\.open$/, 'open'],
  [/\.(ioctl|unlocked_ioctl|compat_ioctl|do_ioctl)$/, 'ioctl'],
  [/\.read$/, 'read'],
  [/\.write$/, 'write'],
  [/\.(release|close)$/, 'release'],
  [/\.(remove|disconnect)$/, 'remove'],
];
/** Set at run time on a net_device (`dev->stop = foo_close`): `stop` is its close. In a struct initializer a
 * `.stop` is more often a tty driver's flow control, which is no teardown. */
const ASSIGNED_PHASES: [RegExp, PhaseKind][] = [...FIELD_PHASES, [/\.stop$/, 'release']];

const ORDER: PhaseKind[] = ['module-init', 'probe', 'open', 'ioctl', 'read', 'write', 'interrupt', 'timer', 'tasklet', 'release', 'remove', 'module-exit'];

const PHASE_CONTEXT: Record<PhaseKind, ContextKind> = {
  'module-init': 'process',
  probe: 'process',
  open: 'process',
  ioctl: 'process',
  read: 'process',
  write: 'process',
  interrupt: 'interrupt',
  timer: 'atomic',
  tasklet: 'atomic',
  release: 'process',
  remove: 'process',
  'module-exit': 'process',
};

/** The entry points of the file, in the order the kernel calls them over a driver's lifetime. */
export function driverPhases(shared: SharedAnalyses, runs: number): { phases: DriverPhase[]; skipped: string[] } {
  const facts = shared.facts;
  const found = new Map<string, { kind: PhaseKind; how: string }>();
  const add = (fn: string | null | undefined, kind: PhaseKind, how: string) => {
    if (fn && !found.has(fn)) found.set(fn, { kind, how });
  };
  // module_init(fn) / module_exit(fn) are file-level macro calls: read them from the text.
  for (const t of facts.tokens(['module_init', 'module_exit'])) {
    const m = /^\w+\s*\(\s*(\w+)\s*\)/.exec(facts.text.slice(t.span.start, t.span.start + 120));
    if (m) add(m[1], t.name === 'module_init' ? 'module-init' : 'module-exit', `${t.name}(${m[1]})`);
  }
  add(facts.functions.find((f) => f.name === 'init_module')?.name, 'module-init', 'named init_module()');
  add(facts.functions.find((f) => f.name === 'cleanup_module')?.name, 'module-exit', 'named cleanup_module()');
  for (const g of facts.globalInits) {
    const phase = FIELD_PHASES.find(([re]) => re.test(g.name));
    const name = g.value.k === 'id' ? g.value.name : null;
    if (phase) add(name, phase[1], `${g.name} = ${name}`);
  }
  // Set at run time (`dev->open = foo_open;`, 2.4 net drivers): the same fields, assigned in a function.
  for (const f of facts.functions)
    for (const a of assignmentsOf(f)) {
      const phase = ASSIGNED_PHASES.find(([re]) => re.test(a.name.replace(/->/g, '.')));
      const name = functionNameOf(a.value);
      if (phase && name && facts.functions.some((x) => x.name === name)) add(name, phase[1], `${a.name} = ${name} in ${f.name}()`);
    }
  for (const e of findEntryPoints(facts))
    add(e.name, e.kind === 'irq-handler' ? 'interrupt' : e.kind === 'timer' ? 'timer' : 'tasklet', `${e.name}() ${e.how}`);
  const phases: DriverPhase[] = [];
  const skipped: string[] = [];
  for (const [fn, { kind, how }] of found) {
    const f = facts.functions.find((x) => x.name === fn);
    if (!f) {
      skipped.push(`${PHASE_LABEL[kind]} ${fn}() (${how}) is not defined in this file`);
      continue;
    }
    const repeated = kind === 'interrupt' || kind === 'timer' || kind === 'tasklet';
    phases.push({ kind, fn, line: facts.lineOf(f.nameSpan.start), context: PHASE_CONTEXT[kind], how, runs: repeated ? runs : 1 });
  }
  phases.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || a.line - b.line);
  return { phases, skipped };
}

/**
 * Why memory still held at the end is no leak here, if it is not: a file with no module exit is built in (or
 * its exit is elsewhere), and a module whose init or probe raises its own use count never unloads.
 */
function unloadable(shared: SharedAnalyses, phases: DriverPhase[]): string | null {
  if (!phases.some((p) => p.kind === 'module-exit')) return 'no module exit in this file: built in, or unloaded elsewhere';
  for (const p of phases.filter((x) => x.kind === 'module-init' || x.kind === 'probe')) {
    const fn = shared.facts.functions.find((f) => f.name === p.fn);
    const pin = fn && allCalls(fn).find((c) => c.name === 'MOD_INC_USE_COUNT' || c.name === 'MOD_DEC_USE_COUNT' || c.name === '__MOD_INC_USE_COUNT');
    if (pin) return `${p.fn}() changes its own use count (${pin.name} at line ${shared.facts.lineOf(pin.span.start)}): the module is pinned`;
    if (fn && /\bMOD_(INC|DEC)_USE_COUNT\b/.test(shared.facts.text.slice(fn.body.span.start, fn.body.span.end)))
      return `${p.fn}() changes its own use count (MOD_INC_USE_COUNT): the module is pinned`;
  }
  return null;
}

/** A phase's paths, those where every branch on an allocation result expects success first. */
function candidates(paths: SimPath[]): SimPath[] {
  const failures = (p: SimPath) => p.assumptions.filter((a) => a.expect === 'null').length;
  return [...paths].sort((a, b) => failures(a) - failures(b) || b.ops.length - a.ops.length);
}

/** Locals of one function are its own: `p` in probe and `p` in an ioctl are different memory. */
function ownRefs(path: SimPath, fn: string, locals: ReadonlySet<string>): SimPath {
  const own = (r: string | undefined) => (r !== undefined && locals.has(r) ? `${fn}()'s ${r}` : r);
  return {
    ...path,
    ops: path.ops.map((op) => ('ref' in op && op.ref !== undefined && locals.has(op.ref) ? ({ ...op, ref: own(op.ref) } as SimOp) : op)),
    assumptions: path.assumptions.map((a) => ({ ...a, ref: own(a.ref)! })),
  };
}

/** Appends `next` (a phase's path) to `acc` (the lifetime so far), shifting its op indices. */
function concat(acc: SimPath, next: SimPath, phaseOp: SimOp, label: string): SimPath {
  const base = acc.ops.length + 1;
  return {
    ops: [...acc.ops, phaseOp, ...next.ops],
    origins: [...acc.origins, null, ...next.origins],
    conditions: [...acc.conditions, label, ...next.conditions],
    condAt: [...acc.condAt, acc.conditions.length + 1, ...next.condAt.map((c) => c + acc.conditions.length + 1)],
    notes: [...acc.notes, ...next.notes.map((n) => `${label}: ${n}`)],
    assumptions: [...acc.assumptions, ...next.assumptions.map((a) => ({ ...a, atOp: a.atOp + base }))],
    goalOp: -1,
    goalOps: [],
  };
}

const EMPTY: SimPath = { ops: [], origins: [], conditions: [], condAt: [], notes: [], assumptions: [], goalOp: -1, goalOps: [] };

export function simulateDriver(shared: SharedAnalyses, file: string, opts: DriverOptions = {}): DriverSimulation {
  const facts = shared.facts;
  const runs = Math.max(1, Math.min(64, opts.runs ?? 8));
  const { phases, skipped } = driverPhases(shared, runs);
  const extractor = new SequenceExtractor(facts, shared, shared.context);
  extractor.keepForeignFrees = true;
  extractor.bindNullArgs = true;
  // Refs whose memory left their function (stored, returned, handed on): see releasedNames.
  const escaped = new Set<string>();
  const phasePaths = phases.map((ph) => {
    const fi = facts.functions.findIndex((f) => f.name === ph.fn);
    const fn = facts.functions[fi];
    const locals = new Set([...fn.locals.map((l) => l.name), ...fn.params.map((p) => p.name)]);
    const extracted = extractor.extract(fi);
    for (const r of extracted.escaping) escaped.add(locals.has(r) ? `${ph.fn}()'s ${r}` : r);
    return candidates(extracted.paths.map((p) => ownRefs(p, ph.fn, locals)));
  });
  // Caches and pools used but created by no phase (another file's init): a setup before the lifetime.
  const setup = extractor.setupFor([phasePaths.flatMap((c) => c[0]?.ops ?? [])]);
  const machine = machineOf(shared);
  const run = (ops: SimOp[], sc: ScenarioName, snapshots: 'all' | 'none' = 'none') =>
    simulate(ops, { scenario: machine.scenarios[sc], machine: machine.config, context: 'process', setup, snapshots, trace: true });

  // Per scenario: the lifetime, phase by phase, each phase on the first path the allocator's answers allow.
  const lifetimes = {} as Record<ScenarioName, SimPath>;
  const results = {} as Record<ScenarioName, SimResult>;
  const chosen = {} as Record<ScenarioName, string[]>;
  for (const sc of SCENARIOS) {
    let acc = EMPTY;
    chosen[sc] = [];
    phases.forEach((ph, k) => {
      for (let r = 0; r < ph.runs; r++) {
        const label = `${PHASE_LABEL[ph.kind]} ${ph.fn}()${ph.runs > 1 ? ` run ${r + 1} of ${ph.runs}` : ''}`;
        const phaseOp: SimOp = { op: 'context', context: ph.context, reason: `${PHASE_LABEL[ph.kind]}: ${ph.how}` };
        const options = phasePaths[k].length ? phasePaths[k] : [EMPTY];
        let pick = concat(acc, options[0], phaseOp, label);
        for (const [i, cand] of options.entries()) {
          const whole = concat(acc, cand, phaseOp, label);
          if (feasibilityOf(whole, run(whole.ops, sc)).feasible) {
            pick = whole;
            if (options.length > 1 && r === 0)
              chosen[sc].push(`${label}: path ${i + 1} of ${options.length}${cand.conditions.length ? ` (${cand.conditions.slice(0, 3).join(' → ')})` : ''}`);
            break;
          }
        }
        acc = pick;
      }
    });
    lifetimes[sc] = acc;
    results[sc] = run(acc.ops, sc, 'all');
  }
  // The view shows one path: the normal scenario's, with each scenario's own run of its own lifetime.
  const path: PathSimulation = {
    ...lifetimes.normal,
    results,
    feasibility: Object.fromEntries(SCENARIOS.map((sc) => [sc, { feasible: true }])) as PathSimulation['feasibility'],
  };
  const calls = driverCalls(lifetimes, results, phases, machineOf(shared).label, shared.env.kernel ?? DISTRIBUTION_KERNEL);
  const stoppedAt = Object.fromEntries(
    SCENARIOS.map((sc) => {
      const st = results[sc].steps.find((x) => x.outcome.kind === 'never-returns' || x.outcome.result === 'never-returns');
      const o = st ? lifetimes[sc].origins[st.index] : null;
      return [sc, st ? `${o ? `${o.text.split('(')[0]}() at line ${o.line} in ${o.fn}()` : st.op.op}: ${st.outcome.message}` : null];
    }),
  ) as Record<ScenarioName, string | null>;
  const exitUnchecked = unloadable(shared, phases);
  return {
    file,
    machine: machine.label,
    phases,
    path,
    chosen,
    calls,
    problems: driverProblems(lifetimes, results, calls, heldElsewhere(shared, escaped), exitUnchecked),
    skipped,
    stoppedAt,
    ...(exitUnchecked ? { exitUnchecked } : {}),
  };
}

/** Each allocation call of the lifetime with its verdict per scenario (the worst of its runs). */
function driverCalls(
  lifetimes: Record<ScenarioName, SimPath>,
  results: Record<ScenarioName, SimResult>,
  phases: DriverPhase[],
  machine: string,
  kernel: KernelConfig,
): CallSimulation[] {
  const sites = new Map<string, StepOrigin>();
  for (const sc of SCENARIOS) for (const o of lifetimes[sc].origins) if (o && !sites.has(`${o.span.start}`)) sites.set(`${o.span.start}`, o);
  const out: CallSimulation[] = [];
  for (const o of [...sites.values()].sort((a, b) => a.line - b.line)) {
    const perScenario = SCENARIOS.map((sc) => {
      const p = lifetimes[sc];
      // Runs after a call that never returned did not happen.
      const ran = new Set(results[sc].steps.filter((st) => !st.afterNeverReturns).map((st) => st.index));
      const goalOps = p.origins.flatMap((x, i) => (x && x.span.start === o.span.start && ALLOCATING_OR_DESTROY.has(p.ops[i].op) && ran.has(i) ? [i] : []));
      return {
        sc,
        path: {
          ...p,
          goalOp: goalOps[0] ?? -1,
          goalOps,
          results: { [sc]: results[sc] },
          feasibility: { [sc]: { feasible: true } },
        } as unknown as PathSimulation,
      };
    });
    if (perScenario.every((x) => x.path.goalOps.length === 0)) continue;
    const verdicts = Object.fromEntries(perScenario.map(({ sc, path }) => [sc, scenarioVerdict([path], sc)])) as CallSimulation['verdicts'];
    const phase = phases.find((ph) => ph.fn === o.fn);
    out.push({
      fn: o.fn,
      call: o.text.split('(')[0].trim(),
      line: o.line,
      span: o.span,
      context: contextAt(lifetimes.normal, o) ?? {
        kind: phase?.context ?? 'process',
        reason: phase && phase.context !== 'process' ? `${PHASE_LABEL[phase.kind]} ${phase.fn}()` : null,
        related: [],
      },
      paths: [],
      verdicts,
      truncated: false,
      setup: [],
      initialContext: phase?.context ?? 'process',
      machine,
      kernel,
    });
  }
  return out;
}

/** The ops a lifetime's call rows come from: allocations and mempool_destroy (its BUG). */
const ALLOCATING_OR_DESTROY: ReadonlySet<string> = new Set([...ALLOCATING_OPS, 'mempool_destroy']);

/**
 * The context the lifetime is in at call `o`: the last context change before it, its reason in the context
 * analysis' words ("a spinlock is held (spin_lock_irqsave(discipline_lock) at line 4466)").
 */
function contextAt(p: SimPath, o: StepOrigin): CallSimulation['context'] | null {
  const at = p.origins.findIndex((x) => x && x.span.start === o.span.start);
  for (let i = at - 1; i >= 0; i--) {
    const op = p.ops[i];
    if (op.op !== 'context') continue;
    if (op.context === 'process') return { kind: 'process', reason: null, related: [] };
    const lock = /^(\w+)\(/.exec(op.reason ?? '');
    const kind = lock ? LOCK_OPS[lock[1]]?.kind : undefined;
    return { kind: op.context, reason: kind ? `${describeKind(kind)} (${op.reason})` : (op.reason ?? null), related: [] };
  }
  return null;
}

/** Whether the lifetime branches on the result of call `c` (an `if (!p)` after it): then a NULL is handled. */
function checked(p: SimPath, c: CallSimulation): boolean {
  const refs = new Set(p.origins.flatMap((o, i) => (o && o.span.start === c.span.start ? [(p.ops[i] as { ref?: string }).ref] : [])));
  return p.assumptions.some((a) => refs.has(a.ref));
}

function driverProblems(
  lifetimes: Record<ScenarioName, SimPath>,
  results: Record<ScenarioName, SimResult>,
  calls: CallSimulation[],
  elsewhere: (ref: string, origin: StepOrigin | null) => boolean,
  exitUnchecked: string | null,
): DriverProblem[] {
  const out: (DriverProblem & { times: Partial<Record<ScenarioName, number>> })[] = [];
  const merge = (p: Omit<DriverProblem, 'scenarios'>, sc: ScenarioName) => {
    let same = out.find((x) => x.kind === p.kind && x.message === p.message);
    if (!same) out.push((same = { ...p, scenarios: [], times: {} }));
    if (!same.scenarios.includes(sc)) same.scenarios.push(sc);
    same.times[sc] = (same.times[sc] ?? 0) + 1;
  };
  for (const c of calls) {
    // One problem per call, in the scenarios it happens in, told by the worst of them.
    const bad = SCENARIOS.filter((sc) => isProblemVerdict(c.verdicts![sc]));
    if (bad.length) {
      const worst = c.verdicts![bad.find((sc) => !c.verdicts![sc].latent) ?? bad[0]];
      out.push({
        kind: worst.kind as DriverProblem['kind'],
        scenarios: bad,
        message: `${c.call}() at line ${c.line} in ${c.fn}(): ${verdictWord(worst)}: ${verdictDetail(worst, 220, c)}`,
        line: c.line,
        fn: c.fn,
        times: {},
      });
      continue;
    }
    // NULL from an atomic allocation in an interrupt path that does not check it: the reserve or the atomic pool ran dry.
    for (const sc of SCENARIOS) {
      const v = c.verdicts![sc];
      if (v.kind === 'null' && c.context.kind !== 'process' && !checked(lifetimes[sc], c))
        merge(
          {
            kind: 'null-in-atomic',
            message: `${c.call}() at line ${c.line} in ${c.fn}() returns NULL, and the code does not check it: ${v.message}`,
            line: c.line,
            fn: c.fn,
          },
          sc,
        );
    }
  }
  if (exitUnchecked) return finish(out);
  for (const sc of SCENARIOS) {
    // A lifetime that stopped (a call never returned) never reached module exit: nothing is "held at exit".
    if (results[sc].neverReturned) continue;
    for (const st of results[sc].steps) {
      if (st.outcome.kind !== 'leak') continue;
      const at = originOfRef(lifetimes[sc], st);
      if (elsewhere(st.outcome.ref ?? '', at)) continue;
      const what = st.outcome.message.replace(/ from (setup )?step \d+/, '').replace(/ \(\w+ pfn \d+\)/, '');
      // kport matches frees by name: say what it could not match, not that nothing frees it.
      merge(
        {
          kind: 'leak-at-exit',
          message: `still held at module exit (no free of it that kport can match): ${what.replace(/ never (freed|returned with mempool_free|destroyed)/, '')}${at ? `, allocated at line ${at.line} in ${at.fn}()` : ''}`,
          line: at?.line ?? null,
          fn: at?.fn ?? null,
        },
        sc,
      );
    }
  }
  return finish(out);
}

function finish(out: (DriverProblem & { times: Partial<Record<ScenarioName, number>> })[]): DriverProblem[] {
  const rank: Record<DriverProblem['kind'], number> = { bug: 0, 'sleep-in-atomic': 1, 'never-returns': 2, 'leak-at-exit': 3, 'null-in-atomic': 4 };
  return out
    .sort((a, b) => rank[a.kind] - rank[b.kind] || (a.line ?? 0) - (b.line ?? 0))
    .map(({ times, ...p }) => {
      const n = Math.max(0, ...Object.values(times));
      return n > 1 ? { ...p, message: `${p.message} (×${n})` } : p;
    });
}

const LINK_FIELD = /next|prev|list|head|tail|queue|chain|link/i;

/** Calls that give memory back under a name of their own (rvfree, pci_free_consistent, usb_free_urb, kfree_skb). */
const RELEASING_CALL = /free|release|destroy|put|unmap|unregister/i;

/**
 * Calls of another file that tear down the object handed to them with what hangs off it (`com20020_remove(dev)`
 * frees dev->priv and dev). Not kfree, free_netdev or unregister_*: they free or detach the object only, not
 * memory its fields point to.
 */
const OWNER_TEARDOWN = /remove|release|destroy|cleanup|_put$/i;

/** A cast (`(struct foo *)`, `(void *)`, `(u32)`) in an expression's text. */
const CAST = /\(\s*(?:(?:struct|union|enum|const|unsigned|signed|volatile)\s+)*\w+\s*\**\s*\)(?=\s*[\w(&*])/g;

/** An allocation made only when the field is still empty (`if (!dev->priv) dev->priv = kmalloc(…)`). */
function allocatedIfAbsent(text: string, ref: string, at: number): boolean {
  const r = ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\?->/g, '\\s*->\\s*');
  const guard = new RegExp(`if\\s*\\(\\s*(?:!\\s*${r}|${r}\\s*==\\s*(?:NULL|0))\\s*\\)\\s*\\{?\\s*${r}\\s*=\\s*(?:\\([^()]*\\)\\s*)?$`);
  return guard.test(text.slice(Math.max(0, at - 300), at));
}

/**
 * Offsets of the code a module build never compiles: `#ifndef MODULE` and the `#else` of `#ifdef MODULE`
 * (a built-in probe's own allocation; the module build takes another branch). Nothing there is held at
 * module exit. Returns the [start, end) ranges.
 */
export function builtInOnlyRanges(text: string): [number, number][] {
  const out: [number, number][] = [];
  // Per open #if: 'module' (MODULE defined), 'built-in' (not defined) or 'other'; and where a built-in branch began.
  const stack: { kind: 'module' | 'built-in' | 'other'; from: number }[] = [];
  const re = /^[ \t]*#[ \t]*(ifdef|ifndef|if|elif|else|endif)\b(.*)$/gm;
  for (const m of text.matchAll(re)) {
    const [, dir, rest] = m;
    const at = m.index!;
    const arg = rest.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
    const top = stack[stack.length - 1];
    const close = () => {
      if (top?.kind === 'built-in') out.push([top.from, at]);
    };
    if (dir === 'ifdef' || dir === 'ifndef' || dir === 'if') {
      const mod = dir === 'if' ? /^(!)?\s*defined\s*\(?\s*MODULE\s*\)?$/.exec(arg) : arg === 'MODULE' ? [] : null;
      const negated = dir === 'ifndef' || (dir === 'if' && mod?.[1] === '!');
      stack.push({ kind: mod ? (negated ? 'built-in' : 'module') : 'other', from: at });
    } else if (dir === 'else' && top) {
      close();
      if (top.kind !== 'other') stack[stack.length - 1] = { kind: top.kind === 'module' ? 'built-in' : 'module', from: at };
    } else if (dir === 'elif' && top) {
      close();
      stack[stack.length - 1] = { kind: 'other', from: at };
    } else if (dir === 'endif' && top) {
      close();
      stack.pop();
    }
  }
  return out;
}

/**
 * Memory still held at exit is a leak only where kport can tell: the ref names a field or global that no
 * releasing call of the file takes (directly or through a local read from that field: `np = dev->priv;
 * kfree(np)`, also through a function-like macro: `st = TTY_STATE(tty)`), or a local of one phase that never
 * left it. A local stored elsewhere, a field released under another name, a field of an object handed to
 * another file's teardown, or a field filled only when empty (its usual memory comes with the object) is held
 * or freed out of kport's sight: no finding. Nor is an allocation the module build does not compile (#ifndef MODULE).
 */
function heldElsewhere(shared: SharedAnalyses, escaped: ReadonlySet<string>): (ref: string, origin: StepOrigin | null) => boolean {
  const facts = shared.facts;
  const macroBody = (name: string, at: number) => {
    const own = facts.defineBefore(name, at);
    return own ? (own.params ? own.value : undefined) : shared.env.headerMacro?.(name)?.body;
  };
  /**
   * The name an expression's value is read from: its last field or variable (`(T *) (tty)->disc_data` →
   * disc_data), through function-like macros; `f()` for a call's result.
   */
  const last = (text: string, at = 0, depth = 0): string => {
    let t = text
      .replace(CAST, ' ')
      .replace(/\[[^\]]*\]/g, '')
      .trim();
    const chained = /^([^=()]*[^=!<>])=(?!=)/.exec(t); // `camera = minor_data[i] = kmalloc(…)`: the target
    if (chained) t = chained[1].trim();
    const call = /^\(*\s*(\w+)\s*\((.*)\)\s*\)*$/s.exec(t);
    if (call) {
      const body = depth < 3 ? macroBody(call[1], at) : undefined;
      if (body === undefined) return `${call[1]}()`; // a call's result (kmalloc(…)): no name of the file's
      return last(body, at, depth + 1);
    }
    return /(\w+)[\s)]*$/.exec(t)?.[1] ?? text;
  };
  const released = new Set<string>();
  /** Objects handed whole to another file's teardown. */
  const tornDown = new Set<string>();
  /** Each name's sources and targets in plain assignments anywhere in the file (`p = open_files`, `p = p->next`). */
  const links = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (a === b) return;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      if (!links.has(x)) links.set(x, new Set());
      links.get(x)!.add(y);
    }
  };
  const defined = new Set(facts.functions.map((f) => f.name));
  for (const fn of facts.functions) {
    const aliases = new Map<string, Set<string>>();
    for (const a of assignmentsOf(fn)) {
      const to = last(a.name, a.span.start);
      const from = last(facts.text.slice(a.value.span.start, a.value.span.end), a.span.start);
      if (from.endsWith('()')) continue; // a call's result, not memory read from a name
      if (!aliases.has(to)) aliases.set(to, new Set());
      aliases.get(to)!.add(from);
      link(to, from);
    }
    for (const c of allCalls(fn)) {
      if (!RELEASING_CALL.test(c.name) && !OWNER_TEARDOWN.test(c.name)) continue;
      for (const arg of c.args) {
        const name = last(facts.text.slice(arg.span.start, arg.span.end), arg.span.start);
        if (OWNER_TEARDOWN.test(c.name) && !defined.has(c.name)) tornDown.add(name);
        if (!RELEASING_CALL.test(c.name)) continue;
        released.add(name);
        for (const via of aliases.get(name) ?? []) released.add(via);
      }
    }
  }
  /** A name, or a name it is assigned from or to (`slot = &registry`: the registry). */
  const near = (name: string) => [name, ...(links.get(name) ?? [])];
  const releasedNear = (name: string) => near(name).some((n) => released.has(n));
  /** `dev->priv` where dev (or `my_dev = dev`) went to another file's teardown. */
  const ownerTornDown = (ref: string) => {
    const base = /^\W*(\w+)\s*(?:->|\.)/.exec(ref)?.[1];
    return base !== undefined && near(base).some((n) => tornDown.has(n));
  };
  // Locals and parameters of any function: a plain name that is not the phase's own is a callee's (an allocation
  // wrapper's), whose value went back to its caller under another name.
  const localNames = new Set(facts.functions.flatMap((f) => [...f.locals.map((l) => l.name), ...f.params.map((p) => p.name)]));
  const builtInOnly = builtInOnlyRanges(facts.text);
  return (ref: string, origin: StepOrigin | null) => {
    if (origin && builtInOnly.some(([a, b]) => origin.span.start >= a && origin.span.start < b)) return true; // never in the module
    const local = /^(\w+)\(\)'s (\w+)$/.exec(ref);
    if (!local) {
      if (ref.includes('@') || (/^\w+$/.test(ref) && localNames.has(ref)) || releasedNear(last(ref))) return true;
      return ownerTornDown(ref) || (origin !== null && allocatedIfAbsent(facts.text, ref, origin.span.start));
    }
    if (!escaped.has(ref)) return false; // never left its function: lost there
    // A phase's local that left its function: held elsewhere unless every place it went is never released.
    const fn = facts.functions.find((f) => f.name === local[1]);
    if (!fn) return true;
    const bare = (e: { span: { start: number; end: number } }) => bareText(facts, e);
    if (allCalls(fn).some((c) => !RELEASING_CALL.test(c.name) && c.args.some((a) => bare(a) === local[2]))) return true; // handed on
    if (new RegExp(`\\breturn\\s*(?:\\([^()]*\\)\\s*)?${local[2]}\\b`).test(facts.text.slice(fn.body.span.start, fn.body.span.end))) return true;
    const stores = assignmentsOf(fn)
      .filter((a) => bare(a.value) === local[2])
      .map((a) => last(a.name, a.span.start));
    // Linked into a list or queue: freed by whoever walks it.
    return !stores.length || stores.some((t) => releasedNear(t) || LINK_FIELD.test(t));
  };
}

/** The allocation a leaked handle came from: the last op that stored into its ref. */
function originOfRef(p: SimPath, st: StepResult): StepOrigin | null {
  const ref = (st.outcome as { ref?: string }).ref;
  for (let i = p.ops.length - 1; i >= 0; i--) if ((p.ops[i] as { ref?: string }).ref === ref && p.origins[i]) return p.origins[i];
  return null;
}

/** The lifetime as a plain-text report (the CLI's `kport simulate`). */
export function driverSimulationText(d: DriverSimulation): string {
  const lines = [`${d.file}: driver lifetime on ${simulatedOn(d.machine)}`];
  if (!d.phases.length) return `${lines[0]}\n  no entry point found (module_init, .probe/.open/.ioctl/.release/.remove, request_irq, timers, tasklets)\n`;
  lines.push(`  phases: ${d.phases.map((p) => `${PHASE_LABEL[p.kind]} ${p.fn}()${p.runs > 1 ? ` ×${p.runs}` : ''}`).join(' → ')}`);
  for (const s of d.skipped) lines.push(`  not run: ${s}`);
  if (d.exitUnchecked) lines.push(`  leaks at exit: not checked (${d.exitUnchecked})`);
  for (const sc of SCENARIOS) {
    const n = d.problems.filter((p) => p.scenarios.includes(sc)).length;
    lines.push(
      `  ${`${SCENARIO_WORDS[sc]}:`.padEnd(18)}${d.stoppedAt[sc] ? `stops: ${d.stoppedAt[sc]}` : n ? `${n} problem${n === 1 ? '' : 's'}` : 'no problem'}`,
    );
  }
  if (d.problems.length) {
    lines.push('  problems:');
    for (const p of d.problems) lines.push(`    - ${p.kind} (${p.scenarios.map((s) => SCENARIO_WORDS[s]).join(', ')}): ${p.message}`);
  }
  return lines.join('\n') + '\n';
}
