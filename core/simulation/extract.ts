/**
 * From a function's IR to allocation sequences the simulator runs: one sequence per path (if/else
 * forks, capped), loops with constant bounds unrolled up to a cap, lock regions as context changes,
 * calls into this file's functions inlined up to a depth. What cannot be resolved is marked
 * unknown in the step, never guessed.
 */
import type { FileContext } from '../context/atomic-context';
import { LOCK_OPS, CONTEXT_TESTS } from '../context/locks';
import type { SharedAnalyses } from '../context/shared';
import type { FileFacts } from '../facts/file-facts';
import { fileKind } from '../facts/file-kind';
import {
  allCalls,
  assignmentsOf,
  exprIdentifiers,
  walkStmts,
  functionNameOf,
  unwrapCondition,
  type CallEvent,
  type Expr,
  type FunctionFacts,
  type Stmt,
} from '../facts/ir';
import { evaluateMask } from '../gfp/mask';
import { ALLOC_API, FREE_API, MEMPOOL_CREATE, MEMPOOL_STOCK, SIMULATED_CALLS } from '../kernel/alloc-api';
import type { AllocFnSpec, AllocVia, ContextKind, GfpInput, SimOp } from '../sim';
import type { Span } from '../text/span';

export const MAX_PATHS = 16;
/** Paths followed towards the goal call before any reaches it (see fork()). */
const MAX_PATHS_TO_GOAL = 4;
/** What a kmalloc of unknown size stands for on a path (the call's own verdict tries UNKNOWN_SIZE_RANGE). */
export const UNKNOWN_SIZE_STAND_IN = 64;
/** The plausible sizes of a kmalloc whose size is not a constant: small, one page, multi-page (order 3). */
export const UNKNOWN_SIZE_RANGE = [
  { label: 'small (64 B)', size: 64 },
  { label: 'one page (4 KiB)', size: 4096 },
  { label: 'multi-page (32 KiB)', size: 32768 },
] as const;
const MAX_UNROLL = 8;
export const MAX_INLINE_DEPTH = 2;
const MAX_OPS = 400;
/** Statement visits per function: big switch/goto-heavy functions (2.4 ioctl handlers) stop here, marked truncated. */
const MAX_WORK = 20000;
/** Statement visits spent looking for the goal call before it is simulated alone instead (a hover's budget). */
const MAX_WORK_TO_GOAL = 4000;
/** Statement visits followed past the goal call (see stmt()). */
const MAX_WORK_AFTER_GOAL = 2000;

/** A step's link back to the code: the call it came from (`span`) and its line. */
export interface StepOrigin {
  span: Span;
  line: number;
  text: string;
  /** Function the call is in (differs from the simulated function when inlined). */
  fn: string;
  /** A kmalloc size that is not a constant, as written: the op holds a stand-in, the verdict tries a range. */
  unknownSize?: string;
  /** A mask gone in 2.6 (GFP_BUFFER), simulated as the replacement the gfp-buffer fix suggests for this file. */
  maskReplaced?: { from: string; to: string };
}

/**
 * What a branch taken says about an allocation's result: `if (!p)` after `p = kmalloc(…)` is the path
 * where kmalloc returned NULL. Checked against each scenario's outcome (run.ts `feasibility`).
 */
export interface ResultAssumption {
  /** The ref the allocation stored its result in (`p`, `board->ccb`). */
  ref: string;
  expect: 'null' | 'non-null';
  /** The branch condition as written. */
  cond: string;
  /** Number of ops on the path when the branch was taken: the assumption is about the last op before it that set `ref`. */
  atOp: number;
}

export interface SimPath {
  ops: SimOp[];
  origins: (StepOrigin | null)[];
  /** Branch conditions taken, in order ("!buf", "else: in_interrupt()"). */
  conditions: string[];
  /** For each op, how many of `conditions` were taken before it. */
  condAt: number[];
  notes: string[];
  assumptions: ResultAssumption[];
  /** Index of the goal call's op on this path (goal-directed extraction), else -1. */
  goalOp: number;
  /** Every op of the goal call on this path (a loop runs it again), goalOp first. */
  goalOps: number[];
}

/**
 * Goal-directed extraction: the paths that reach one call (at every fork a path that has not reached it yet
 * follows only the branch holding it; paths that return before it are dropped), then what follows it.
 * `context` is the context analysis' verdict at the call (the one its finding states); the simulated step
 * runs in it, so a finding and the simulation of its call never disagree.
 */
export interface ExtractGoal {
  span: Span;
  context?: { kind: ContextKind; reason: string };
}

export interface ExtractedFunction {
  fn: string;
  initialContext: ContextKind;
  contextWhy: string | null;
  paths: SimPath[];
  truncated: boolean;
  /** Caches and pools the function uses but does not create: created in a setup phase. */
  setup: SimOp[];
  /** Goal-directed only: why no path reaches the goal call (budget, a label not found), when none does. */
  goalMissed?: string;
  /** Goal-directed only: the paths to the goal were not followed (why); the one path is the call alone. */
  simulatedAlone?: string;
  /** Refs whose allocation leaves the function (see escapingRefs): still held at the end is not a leak. */
  escaping: string[];
}

interface Partial_ {
  ops: SimOp[];
  origins: (StepOrigin | null)[];
  condAt: number[];
  conditions: string[];
  notes: string[];
  locks: string[];
  assumptions: ResultAssumption[];
  goalOp: number;
  goalOps: number[];
  status: 'fall' | 'return' | 'break' | 'continue' | { goto: string };
}

/**
 * A path's steps by content, for telling paths apart: each op's JSON text is interned once as a short id
 * (forks share op objects), so a path's key costs a few characters per step, not the step's whole text. One
 * table per extractor: a table kept by the module would grow with every step the language server ever saw.
 */
class StepIds {
  private readonly byText = new Map<string, string>();
  private readonly byObject = new WeakMap<object, string>();

  of = (o: object): string => {
    let id = this.byObject.get(o);
    if (id === undefined) {
      const text = JSON.stringify(o);
      id = this.byText.get(text);
      if (id === undefined) this.byText.set(text, (id = this.byText.size.toString(36)));
      this.byObject.set(o, id);
    }
    return id;
  };

  private readonly sequences = new Map<string, string>();
  /** Sequence ids: equal ids, equal sequences of steps by content (`after` the id of the sequence extended, '' for none). */
  private readonly seqOf = new WeakMap<readonly object[], string>();

  /** The id of a sequence of steps (a path's ops or assumptions), kept up to date by `push`. */
  sequence = (items: readonly object[]): string => {
    let id = this.seqOf.get(items);
    if (id === undefined) {
      id = '';
      for (const item of items) id = this.extend(id, item);
      this.seqOf.set(items, id);
    }
    return id;
  };

  /** Appends `item` to `items` and keeps its sequence id current (every op and assumption a path gains comes here). */
  push<T extends object>(items: T[], item: T): void {
    const before = this.seqOf.get(items);
    items.push(item);
    if (before !== undefined) this.seqOf.set(items, this.extend(before, item));
  }

  /** A copy of `items` with the same sequence id. */
  copy<T extends object>(items: T[]): T[] {
    const out = [...items];
    const id = this.seqOf.get(items);
    if (id !== undefined) this.seqOf.set(out, id);
    return out;
  }

  private extend(id: string, item: object): string {
    const key = `${id},${this.of(item)}`;
    let next = this.sequences.get(key);
    if (next === undefined) this.sequences.set(key, (next = this.sequences.size.toString(36)));
    return next;
  }
}

/** A path that has done nothing yet. */
const emptyPath = (): Partial_ => ({
  ops: [],
  origins: [],
  condAt: [],
  conditions: [],
  notes: [],
  locks: [],
  assumptions: [],
  goalOp: -1,
  goalOps: [],
  status: 'fall',
});

/** A copy of a path to extend on its own (a branch); `ids` keeps the sequence ids of its steps. */
const clone = (p: Partial_, ids: StepIds): Partial_ => ({
  ops: ids.copy(p.ops),
  origins: [...p.origins],
  condAt: [...p.condAt],
  conditions: [...p.conditions],
  notes: [...p.notes],
  locks: [...p.locks],
  assumptions: ids.copy(p.assumptions),
  goalOp: p.goalOp,
  goalOps: [...p.goalOps],
  status: p.status,
});

/** A statement every path through which returns from the function: a return, or a block ending in one with no jump before it. */
const leaves = new WeakMap<Stmt, boolean>();
function leavesFunction(s: Stmt): boolean {
  if (s.k === 'return') return true;
  if (s.k !== 'block' || !s.body.length || s.body[s.body.length - 1].k !== 'return') return false;
  let memo = leaves.get(s);
  if (memo === undefined) {
    memo = true;
    for (const x of walkStmts(s)) if (x.k === 'goto' || x.k === 'break' || x.k === 'continue' || x.k === 'label') memo = false;
    leaves.set(s, memo);
  }
  return memo;
}

const contains = (outer: Span, inner: Span) => outer.start <= inner.start && inner.end <= outer.end;
const sameSpan = (a: Span, b: Span) => a.start === b.start && a.end === b.end;

export function refText(e: Expr | undefined): string {
  if (!e) return '?';
  switch (e.k) {
    case 'id':
      return e.name;
    case 'field':
      return `${refText(e.base)}${e.arrow ? '->' : '.'}${e.field}`;
    case 'addr':
      return refText(e.e);
    case 'un':
      return e.op === '*' ? `*${refText(e.e)}` : refText(e.e);
    case 'call':
      return e.name === 'virt_to_page' || e.name === 'page_address' ? refText(e.args[0]) : `${e.name}()`;
    case 'other':
      return e.text.replace(/\s+/g, '');
    case 'num':
      return String(e.value);
    default:
      return '?';
  }
}

/** Calls op() turns into simulator ops (besides LOCK_OPS and CONTEXT_TESTS). */
const MODELLED_CALLS: ReadonlySet<string> = new Set([...SIMULATED_CALLS, 'mempool_create', 'mempool_create_node', 'kmem_cache_create']);

/** An expression as the name it passes on: casts, spaces and `&` dropped (`(void *)&p` → `p`). */
export const bareText = (facts: FileFacts, e: { span: Span }): string => facts.text.slice(e.span.start, e.span.end).replace(/\([^()]*\)|[\s&]/g, '');

/** Per function IR (kept across edits that leave the function alone): what escapingRefs reads of it. */
const escapeMemo = new WeakMap<FunctionFacts, { locals: Set<string>; body: string; handedOn: Set<string>; answers: Map<string, boolean> }>();

export class SequenceExtractor {
  private readonly inertMemo = new WeakMap<Stmt, boolean>();
  /**
   * Statements classified (inert or not) by this extractor, each once: one extractor serves all the calls of an
   * analysis (run.ts callExtractor), so a second call of a function finds most of its statements done. Read by tests.
   */
  statementsClassified = 0;
  /** Paths copied at an `if` because they take both branches (one that takes one branch goes on uncopied). Read by tests. */
  branchCopies = 0;
  /** A driver's lifetime frees in remove what probe allocated: every free is simulated (see foreignFree). */
  keepForeignFrees = false;
  /**
   * A driver's lifetime: an inlined callee's parameter passed NULL (`arlan_allocate_device(i, NULL)`) and never
   * reassigned takes only the branches where it is NULL. Off for a function's own simulation, which has no caller.
   */
  bindNullArgs = false;
  /** Per inlined function, its parameters the call site passed NULL. */
  private readonly nullParams = new Map<FunctionFacts, ReadonlySet<string>>();
  /** Functions of this file by name (the first of a name, as a search in order finds it): calls to them are inlined. */
  private readonly fileFunctions: ReadonlyMap<string, number>;
  private readonly activeFunctions = new Map<string, boolean>();
  /** Statement visits when the goal call was first reached (goal-directed extraction only). */
  private goalReachedAt: number | undefined;
  private work = 0;
  /** Statement visits of the last extraction (what its budgets count). */
  get statementVisits(): number {
    return this.work;
  }
  private readonly stepIds = new StepIds();
  /** Each call's op, once (see op()). */
  private readonly opOfCall = new WeakMap<CallEvent, SimOp>();
  /** Context changes and assumptions by content, one object each: the paths share them (their step ids are found once). */
  private readonly contextOps = new Map<string, SimOp>();
  private readonly assumptions = new Map<string, ResultAssumption>();
  /** allocates()'s answers by sequence id and ref. */
  private readonly allocatesMemo = new Map<string, boolean>();
  /** Sequences of steps allocates() read (each once per ref). Read by tests. */
  allocationScans = 0;
  /** Each call's line and text (see origin()). */
  private readonly callText = new WeakMap<CallEvent, { line: number; text: string }>();
  /** Argument values by expression (see number()). */
  private readonly numbers = new WeakMap<Expr, number | null>();
  /** Expressions number() evaluated (each once). Read by tests. */
  numbersEvaluated = 0;
  /** The file's kmem_cache_create and mempool_create calls by the ref they are stored in (see setupFor). */
  private creations: Map<string, { call: CallEvent; fn: FunctionFacts }[]> | undefined;
  private outOfBudget = false;
  /** Seeking a goal, every live path was past MAX_OPS: no call is recorded on them any more, so none reaches it. */
  private opsFull = false;
  private goal: ExtractGoal | undefined;
  /** Why the goal call gives no op where it is reached (a free of memory from elsewhere). */
  private goalWhy: string | undefined;

  constructor(
    private readonly facts: FileFacts,
    private readonly shared: SharedAnalyses,
    private readonly context: FileContext,
  ) {
    const byName = new Map<string, number>();
    facts.functions.forEach((f, i) => {
      if (!byName.has(f.name)) byName.set(f.name, i);
    });
    this.fileFunctions = byName;
  }

  private lineOf(offset: number): number {
    return this.facts.lineOf(offset);
  }

  extract(fnIndex: number, goal?: ExtractGoal): ExtractedFunction {
    const fn = this.facts.functions[fnIndex];
    const whole = this.context.atomicFunctions.get(fn.name);
    const entry = this.context.entries.find((e) => e.name === fn.name);
    const initialContext: ContextKind = whole ? (entry || whole.chain.length ? 'interrupt' : 'atomic') : 'process';
    const start = emptyPath();
    this.work = 0;
    this.outOfBudget = false;
    this.opsFull = false;
    this.goal = goal;
    this.goalWhy = undefined;
    this.goalReachedAt = undefined;
    let truncated = false;
    let paths = this.stmt(fn.body, [start], fn, 0, initialContext, () => (truncated = true));
    paths = paths.map((p) => (typeof p.status === 'object' ? { ...p, notes: [...p.notes, `goto ${p.status.goto}: label not found, path ends`] } : p));
    let goalMissed: string | undefined;
    let simulatedAlone: string | undefined;
    if (goal) {
      const reaching = paths.filter((p) => p.goalOp >= 0);
      if (!reaching.length && !this.goalWhy) {
        // The paths to it were not followed (too many statements, control flow kport does not read): the call
        // is still simulated, alone, in the context its finding states, and the path says so.
        const call = allCalls(fn).find((c) => sameSpan(c.span, goal.span));
        if (call) {
          const alone = emptyPath();
          simulatedAlone = this.opsFull
            ? `the paths to it hold more than ${MAX_OPS} operations`
            : this.outOfBudget
              ? `the function is too large to follow the paths to it (${MAX_WORK_TO_GOAL} statement visits)`
              : `kport does not read a path of ${fn.name}() to it`;
          alone.notes.push(`${simulatedAlone}: the call is simulated alone`);
          this.op(alone, call, fn, initialContext);
          if (alone.goalOp >= 0) reaching.push(alone);
        }
      }
      if (!reaching.length)
        goalMissed =
          this.goalWhy ??
          (this.opsFull
            ? `the paths of ${fn.name}() to line ${this.lineOf(goal.span.start)} hold more than ${MAX_OPS} operations`
            : this.outOfBudget
              ? `the function is too large to follow to line ${this.lineOf(goal.span.start)} (${MAX_WORK_TO_GOAL} statement visits)`
              : `no path of ${fn.name}() reaches line ${this.lineOf(goal.span.start)} as kport reads the control flow`);
      paths = reaching;
    }
    this.goal = undefined;
    const kept = paths.slice(0, MAX_PATHS);
    return {
      fn: fn.name,
      initialContext,
      contextWhy: whole ? whole.message : null,
      paths: kept.map((p) => ({
        ops: p.ops,
        origins: p.origins,
        condAt: p.condAt,
        conditions: p.conditions,
        notes: p.notes,
        assumptions: p.assumptions,
        goalOp: p.goalOp,
        goalOps: p.goalOps,
      })),
      truncated: truncated || this.outOfBudget || paths.length > MAX_PATHS,
      setup: this.setupFor(kept.map((p) => p.ops)),
      ...(goalMissed ? { goalMissed } : {}),
      ...(simulatedAlone && !goalMissed ? { simulatedAlone } : {}),
      escaping: this.escapingRefs(fn, kept),
    };
  }

  /**
   * The refs of allocations that leave the function: stored in a structure, an array or a global, returned,
   * assigned on, or handed to a call other than a free. What such a ref holds at the end is owned elsewhere.
   */
  private escapingRefs(fn: FunctionFacts, paths: Partial_[]): string[] {
    const refs = new Set(paths.flatMap((p) => p.ops.flatMap((op) => (ALLOCATING_OPS.has(op.op) && 'ref' in op && op.ref ? [op.ref] : []))));
    let memo = escapeMemo.get(fn);
    if (!memo) {
      const bare = (e: Expr) => bareText(this.facts, e);
      memo = {
        locals: new Set([...fn.locals.map((l) => l.name), ...fn.params.map((p) => p.name)]),
        body: this.facts.text.slice(fn.body.span.start, fn.body.span.end),
        handedOn: new Set(
          allCalls(fn)
            .filter((c) => !FREE_API[c.name] && !MEMPOOL_STOCK[c.name] && c.name !== 'mempool_free')
            .flatMap((c) => c.args.map(bare)),
        ),
        answers: new Map(),
      };
      escapeMemo.set(fn, memo);
    }
    const m = memo;
    return [...refs].filter((ref) => {
      let escapes = m.answers.get(ref);
      if (escapes === undefined) {
        const cast = '(?:\\([^()]*\\)\\s*)?';
        escapes =
          /->|\.|\[/.test(ref) ||
          !m.locals.has(ref) ||
          m.handedOn.has(ref) ||
          new RegExp(`\\breturn\\s*${cast}\\(?\\s*${ref}\\b|[^=!<>]=\\s*${cast}${ref}\\s*[;,)]`).test(m.body);
        m.answers.set(ref, escapes);
      }
      return escapes;
    });
  }

  /** Whether path `p` still has to reach the goal inside `s` (then only branches holding it matter). */
  private seeking(p: Partial_, s: Stmt | Span): boolean {
    return !!this.goal && p.goalOp < 0 && contains('span' in s ? s.span : s, this.goal.span);
  }

  /**
   * Caps the number of paths. Goal-directed, a path that returned from the function without reaching the goal
   * is dropped first (it cannot tell anything about the goal), so the cap keeps the paths that can.
   */
  private fork(paths: Partial_[], onTruncate: () => void, depth = 1): Partial_[] {
    if (this.goal && depth === 0) paths = paths.filter((p) => p.goalOp >= 0 || p.status !== 'return');
    // Branches that allocate nothing differ only in their conditions: one path stands for them all, so a long
    // function's if-chains do not multiply paths the simulator would run identically.
    if (paths.length > 1) paths = this.distinct(paths);
    // Before the goal the paths only carry the state the call meets (its context is the finding's anyway): a few do.
    const cap = this.goal && paths.every((p) => p.goalOp < 0) ? MAX_PATHS_TO_GOAL : MAX_PATHS;
    if (paths.length > cap) {
      onTruncate();
      // Seeking the goal, the paths that reached it or still run on come first: a path that left the
      // function (or jumped past the goal) cannot reach it.
      if (this.goal) paths = [...paths].sort((a, b) => this.goalRank(a) - this.goalRank(b));
      return paths.slice(0, cap);
    }
    return paths;
  }

  /**
   * The paths that differ (the first of each kept, in order): by their steps' content, not their conditions.
   * Paths are grouped by their ops' sequence id and compared within a group, field by field: equal exactly when
   * the text `status|goalOp|goalOps|locks|assumptions|ops` is (it was built and hashed for every path at every fork).
   */
  private distinct(paths: Partial_[]): Partial_[] {
    const kept: Partial_[] = [];
    const byOps = new Map<string, Partial_[]>();
    const statusText = (p: Partial_) => (typeof p.status === 'object' ? p.status.goto : p.status);
    for (const p of paths) {
      const ops = this.stepIds.sequence(p.ops);
      const group = byOps.get(ops);
      const same = (q: Partial_) =>
        q.goalOp === p.goalOp &&
        statusText(q) === statusText(p) &&
        this.stepIds.sequence(q.assumptions) === this.stepIds.sequence(p.assumptions) &&
        `${q.goalOps}` === `${p.goalOps}` &&
        `${q.locks}` === `${p.locks}`;
      if (group?.some(same)) continue;
      if (group) group.push(p);
      else byOps.set(ops, [p]);
      kept.push(p);
    }
    return kept;
  }

  /** Whether `ops` allocate into `ref`: asked at every NULL test for every path, answered once per sequence of steps. */
  private allocates(ops: SimOp[], ref: string): boolean {
    const key = `${this.stepIds.sequence(ops)}\n${ref}`;
    let answer = this.allocatesMemo.get(key);
    if (answer === undefined) {
      this.allocationScans++;
      answer = ops.some((op) => 'ref' in op && op.ref === ref && ALLOCATING_OPS.has(op.op));
      this.allocatesMemo.set(key, answer);
    }
    return answer;
  }

  /** No call the simulation models or inlines, no context test, no jump out of it (return, goto, a stray break). */
  private inert(s: Stmt): boolean {
    let memo = this.inertMemo.get(s);
    if (memo === undefined) {
      memo = this.inertIn(s, false, false);
      this.statementsClassified++;
      this.inertMemo.set(s, memo);
    }
    return memo;
  }

  private inertIn(s: Stmt, inLoop: boolean, inSwitch: boolean): boolean {
    const active = (calls: CallEvent[]) => calls.some((c) => this.activeCall(c.name));
    switch (s.k) {
      case 'block':
        return s.body.every((b) => this.inertIn(b, inLoop, inSwitch));
      case 'expr':
        return !active(s.calls);
      case 'if':
        // A test of an allocation's result is kept: the paths it splits constrain that result (feasibilityOf).
        return (
          !active(s.cond.calls) &&
          !nullTest(s.cond.expr) &&
          this.inertIn(s.then, inLoop, inSwitch) &&
          (s.else === null || this.inertIn(s.else, inLoop, inSwitch))
        );
      case 'loop':
        return (
          !(s.cond && active(s.cond.calls)) &&
          (s.init === null || this.inertIn(s.init, true, inSwitch)) &&
          (s.update === null || this.inertIn(s.update, true, inSwitch)) &&
          this.inertIn(s.body, true, inSwitch)
        );
      case 'switch':
        return !active(s.cond.calls) && s.cases.every((c) => this.inertIn(c, inLoop, true));
      case 'break':
        return inLoop || inSwitch;
      case 'continue':
        return inLoop;
      case 'label':
        return true;
      default:
        return false;
    }
  }

  /** A call that can add ops: modelled, a lock or context test, or a function of this file that makes one. */
  private activeCall(name: string): boolean {
    if (MODELLED_CALLS.has(name) || LOCK_OPS[name] !== undefined || CONTEXT_TESTS[name] !== undefined) return true;
    if (!this.fileFunctions.has(name)) return false;
    let memo = this.activeFunctions.get(name);
    if (memo === undefined) {
      this.activeFunctions.set(name, true); // recursion: assume it acts until shown otherwise
      const fn = this.facts.functions[this.fileFunctions.get(name)!];
      memo = allCalls(fn).some((c) => this.activeCall(c.name));
      this.activeFunctions.set(name, memo);
    }
    return memo;
  }

  private goalRank(p: Partial_): number {
    return p.goalOp >= 0 ? 0 : p.status === 'fall' ? 1 : 2;
  }

  private stmt(s: Stmt, ins: Partial_[], fn: FunctionFacts, depth: number, base: ContextKind, trunc: () => void): Partial_[] {
    const allLive = ins.every((p) => p.status === 'fall');
    const live = allLive ? ins : ins.filter((p) => p.status === 'fall');
    if (!live.length) return ins;
    const done = allLive ? [] : ins.filter((p) => p.status !== 'fall');
    this.work += live.length;
    // Past the call it is about, a hover needs what becomes of the allocation soon after, not the rest of a
    // long probe function: every path ends once that smaller budget is spent.
    if (this.goalReachedAt !== undefined && this.work - this.goalReachedAt > MAX_WORK_AFTER_GOAL && live.every((p) => p.goalOp >= 0)) {
      const line = this.lineOf(s.span.start);
      return ins.map((p) =>
        p.status === 'fall'
          ? { ...p, status: 'return' as const, notes: [...p.notes, `followed to line ${line}, well past the call: the rest of the function is not simulated`] }
          : p,
      );
    }
    if (this.work > (this.goal && this.goalReachedAt === undefined ? MAX_WORK_TO_GOAL : MAX_WORK)) {
      // Past the budget the paths simply end here: what was simulated so far stays, marked truncated.
      if (!this.outOfBudget)
        live.forEach((p) => p.notes.push(`function too large to follow completely: simulation stops at line ${this.lineOf(s.span.start)}`));
      this.outOfBudget = true;
      return ins.map((p) => (p.status === 'fall' ? { ...p, status: 'return' as const } : p));
    }
    // Seeking the goal, a path past MAX_OPS records no more calls (calls()), so it can no longer reach it: when
    // every live one is, following them on would only spend the budget (a 1 MB line of allocations: minutes).
    if (this.goal && this.goalReachedAt === undefined && live.every((p) => p.ops.length > MAX_OPS)) {
      this.opsFull = true;
      return ins.map((p) => (p.status === 'fall' ? { ...p, status: 'return' as const } : p));
    }
    // A statement that allocates, frees, locks and jumps nowhere leaves every path as it was.
    if (s.k !== 'block' && this.inert(s)) return ins;
    let out: Partial_[];
    switch (s.k) {
      case 'block': {
        let cur = live;
        // Paths that jumped to a label of this block and ran from there to its end.
        const resumedToEnd: Partial_[] = [];
        for (let i = 0; i < s.body.length; i++) {
          cur = this.stmt(s.body[i], cur, fn, depth, base, trunc);
          if (cur.every((p) => p.status === 'fall')) continue;
          if (!cur.some((p) => typeof p.status === 'object')) {
            if (!cur.some((p) => p.status === 'fall')) break;
            continue;
          }
          // A goto to a label later in this block resumes there, on a copy (the statements there may change a
          // path in place), and runs to the block's end: the statements between are skipped for it, and those
          // after the label are not run again by this loop.
          const stay: Partial_[] = [];
          for (const p of cur) {
            const target = typeof p.status === 'object' ? s.body.findIndex((b, j) => j > i && containsLabel(b, (p.status as { goto: string }).goto)) : -1;
            if (target < 0) {
              stay.push(p);
              continue;
            }
            const resumed = clone(p, this.stepIds);
            resumed.status = 'fall';
            resumed.notes.push(`goto ${s.body[target].k === 'label' ? (s.body[target] as { name: string }).name : 'label'}`);
            resumedToEnd.push(...this.stmt({ k: 'block', span: s.span, body: s.body.slice(target) }, [resumed], fn, depth, base, trunc));
          }
          cur = stay;
          if (!cur.some((p) => p.status === 'fall')) break;
        }
        out = resumedToEnd.length ? [...cur, ...resumedToEnd] : cur;
        break;
      }
      case 'expr':
        out = live.flatMap((p) => this.calls(p, s.calls, fn, depth, base, trunc));
        break;
      case 'return':
        out = this.fork(
          live
            .flatMap((p) => this.calls(p, s.calls, fn, depth, base, trunc))
            .map((p) => ({ ...p, status: p.status === 'fall' ? ('return' as const) : p.status })),
          trunc,
          depth,
        );
        break;
      case 'if': {
        const afterCond = live.flatMap((p) => this.calls(p, s.cond.calls, fn, depth, base, trunc));
        const condText = this.facts.text.slice(s.cond.span.start, s.cond.span.end).replace(/\s+/g, ' ');
        const guard = contextTest(s.cond.expr);
        const test = nullTest(s.cond.expr);
        const assume = (c: Partial_, whenTrue: boolean) => {
          if (!test) return;
          const ref = test.ref;
          if (!this.allocates(c.ops, ref)) return;
          this.stepIds.push(
            c.assumptions,
            this.assumption(ref, test.nullWhenTrue === whenTrue ? 'null' : 'non-null', whenTrue ? condText : `!(${condText})`, c.ops.length),
          );
        };
        // A parameter the caller passed NULL: the branch where it is not NULL does not happen.
        const bound = test !== null && (this.nullParams.get(fn)?.has(test.ref) ?? false);
        // Seeking the goal, a path takes only the branch that holds it.
        const toThen = (p: Partial_) => (!bound || test!.nullWhenTrue) && (!this.seeking(p, s) || this.seeking(p, s.then));
        const toElse = (p: Partial_) =>
          (!bound || !test!.nullWhenTrue) && (!this.seeking(p, s) || (s.else !== null && this.seeking(p, s.else)) || !this.seeking(p, s.then));
        // A path that takes both branches is copied for the then branch (before the else branch changes it) and
        // goes on itself into the else branch; a path that takes one branch goes on itself (nothing else holds it).
        const thenIn = afterCond.filter(toThen).map((p) => {
          const both = toElse(p);
          if (both) this.branchCopies++;
          const c = both ? clone(p, this.stepIds) : p;
          c.conditions.push(condText);
          assume(c, true);
          if (guard) this.setContext(c, guard.whenTrue, `${condText} is true`);
          return c;
        });
        const elseIn = afterCond.filter(toElse).map((p) => {
          p.conditions.push(`!(${condText})`);
          assume(p, false);
          if (guard) this.setContext(p, guard.whenTrue === 'interrupt' ? 'process' : 'interrupt', `${condText} is false`);
          return p;
        });
        // Seeking the goal in the function itself, a branch that always returns ends every path into it
        // short of the goal: fork() would drop them after simulating the branch (an error path's whole
        // cleanup, inlined), so they are dropped before.
        const reachable = (ps: Partial_[], branch: Stmt) => (this.goal && depth === 0 && leavesFunction(branch) ? ps.filter((p) => p.goalOp >= 0) : ps);
        const t = this.stmt(s.then, reachable(thenIn, s.then), fn, depth, base, trunc);
        const e = s.else ? this.stmt(s.else, reachable(elseIn, s.else), fn, depth, base, trunc) : elseIn;
        // Guards end with their branch: restore the context the code had before.
        const restore = (ps: Partial_[]) => (guard ? ps.map((p) => (p.status === 'fall' ? this.restoreContext(p, base) : p)) : ps);
        out = this.fork([...restore(t), ...restore(e)], trunc, depth);
        break;
      }
      case 'loop': {
        const bound = constantBound(s);
        const times = bound === null ? 1 : Math.min(bound, MAX_UNROLL);
        let cur = s.init ? this.stmt(s.init, live, fn, depth, base, trunc) : live;
        cur.forEach((p) =>
          p.notes.push(
            bound === null
              ? `loop at line ${this.lineOf(s.span.start)}: bound unknown, body simulated once`
              : bound > MAX_UNROLL
                ? `loop at line ${this.lineOf(s.span.start)}: ${bound} iterations, first ${MAX_UNROLL} simulated`
                : `loop at line ${this.lineOf(s.span.start)}: ${bound} iterations`,
          ),
        );
        const exits: Partial_[] = [];
        for (let i = 0; i < times && cur.length; i++) {
          if (s.cond) cur = cur.flatMap((p) => this.calls(p, s.cond!.calls, fn, depth, base, trunc));
          cur = this.stmt(s.body, cur, fn, depth, base, trunc);
          exits.push(...cur.filter((p) => p.status === 'break').map((p) => ({ ...p, status: 'fall' as const })));
          cur = cur.filter((p) => p.status !== 'break').map((p) => (p.status === 'continue' ? { ...p, status: 'fall' as const } : p));
          const ended = cur.filter((p) => p.status !== 'fall');
          exits.push(...ended);
          cur = cur.filter((p) => p.status === 'fall');
          if (s.update) cur = this.stmt(s.update, cur, fn, depth, base, trunc);
        }
        out = this.fork([...cur, ...exits], trunc, depth);
        break;
      }
      case 'switch': {
        const afterCond = live.flatMap((p) => this.calls(p, s.cond.calls, fn, depth, base, trunc));
        const condText = this.facts.text.slice(s.cond.span.start, s.cond.span.end);
        const results: Partial_[] = [];
        s.cases.forEach((cs, i) => {
          if (results.length >= MAX_PATHS) {
            if (!this.inert(cs)) trunc(); // the cases left out are not simulated: say so
            return;
          }
          // Seeking the goal, only the case that holds it (a 300-line ioctl switch has one that matters).
          const ins2 = afterCond
            .filter((p) => !this.seeking(p, s) || this.seeking(p, cs))
            .map((p) => {
              const c = clone(p, this.stepIds);
              c.conditions.push(`switch (${condText}) case ${i + 1}`);
              return c;
            });
          results.push(...this.stmt(cs, ins2, fn, depth, base, trunc).map((p) => (p.status === 'break' ? { ...p, status: 'fall' as const } : p)));
        });
        out = this.fork(results.length ? results : afterCond.filter((p) => !this.seeking(p, s)), trunc, depth);
        break;
      }
      case 'goto':
        out = live.map((p) => ({ ...p, status: { goto: s.label } }));
        break;
      case 'break':
        out = live.map((p) => ({ ...p, status: 'break' as const }));
        break;
      case 'continue':
        out = live.map((p) => ({ ...p, status: 'continue' as const }));
        break;
      case 'label':
        out = live;
        break;
    }
    return done.length ? [...done, ...out] : out;
  }

  /** kmem_cache_create's flags (argument 4 in 2.4 and 2.6) name SLAB_HWCACHE_ALIGN: the slab layout aligns objects to a cache line. */
  private hwcacheAlign(call: { args: readonly { span: Span }[] }): boolean {
    const flags = call.args[3];
    return flags !== undefined && /\bSLAB_HWCACHE_ALIGN\b/.test(this.facts.text.slice(flags.span.start, flags.span.end));
  }

  private contextOp(context: ContextKind, reason: string): SimOp {
    const key = `${context}\n${reason}`;
    let op = this.contextOps.get(key);
    if (!op) this.contextOps.set(key, (op = { op: 'context', context, reason }));
    return op;
  }

  private assumption(ref: string, expect: ResultAssumption['expect'], cond: string, atOp: number): ResultAssumption {
    const key = `${ref}\n${expect}\n${cond}\n${atOp}`;
    let a = this.assumptions.get(key);
    if (!a) this.assumptions.set(key, (a = { ref, expect, cond, atOp }));
    return a;
  }

  private setContext(p: Partial_, ctx: ContextKind, reason: string): void {
    this.stepIds.push(p.ops, this.contextOp(ctx, reason));
    p.origins.push(null);
    p.condAt.push(p.conditions.length);
  }

  private restoreContext(p: Partial_, base: ContextKind): Partial_ {
    const c = clone(p, this.stepIds);
    this.setContext(c, p.locks.length ? 'atomic' : base, 'end of the guarded branch');
    return c;
  }

  private origin(call: CallEvent, fn: FunctionFacts): StepOrigin {
    // A fresh object per path (op() adds to it), its line and text found once per call.
    let at = this.callText.get(call);
    if (!at) {
      at = { line: this.lineOf(call.span.start), text: this.facts.text.slice(call.span.start, call.span.end).replace(/\s+/g, ' ').slice(0, 120) };
      this.callText.set(call, at);
    }
    return { span: call.span, line: at.line, text: at.text, fn: fn.name };
  }

  private mask(call: CallEvent, arg: number, fn: FunctionFacts, origin?: StepOrigin): GfpInput {
    const m = this.shared.mask(call, arg, fn);
    const text = call.args[arg] ? this.facts.text.slice(call.args[arg].span.start, call.args[arg].span.end) : '?';
    if (m.gone.length) {
      // What the code will run once ported: the replacement the gfp-buffer quick fix prefers here.
      const to = fileKind(this.facts).kind === 'filesystem' ? 'GFP_NOFS' : 'GFP_NOIO';
      if (origin) origin.maskReplaced = { from: 'GFP_BUFFER', to };
      return to;
    }
    if (m.unknown || m.values.length !== 1)
      return { unknown: true, text: m.unknown ? `${text}: ${m.unknown}` : `${text}: depends on the path (${m.values.length} values)` };
    return m.values[0];
  }

  /** `e`'s value: `e` is a call's argument, always evaluated at that call in its function, so once per extractor. */
  private number(e: Expr | undefined, fn: FunctionFacts, at: number): number | null {
    if (!e) return null;
    const known = this.numbers.get(e);
    if (known !== undefined) return known;
    this.numbersEvaluated++;
    const r = evaluateMask(e, { facts: this.facts, fn, at, headerDefine: this.shared.env.headerDefine });
    const value = !r.unknown && r.values.length === 1 && r.values[0] >= 0 ? r.values[0] : null;
    this.numbers.set(e, value);
    return value;
  }

  /**
   * A size gcc sees as `__builtin_constant_p`: literals and #defines of them, no variable or parameter (which only
   * the optimizer might fold: kport does not claim that).
   */
  private compileTimeConstant(e: Expr | undefined, at: number): boolean {
    if (!e) return false;
    switch (e.k) {
      case 'num':
        return true;
      case 'bin':
        return this.compileTimeConstant(e.l, at) && this.compileTimeConstant(e.r, at);
      case 'un':
        return this.compileTimeConstant(e.e, at);
      case 'cond':
        return this.compileTimeConstant(e.c, at) && this.compileTimeConstant(e.t, at) && this.compileTimeConstant(e.f, at);
      case 'id':
        return this.facts.defineBefore(e.name, at) !== undefined || this.shared.env.headerDefine?.(e.name) !== undefined;
      default:
        return false;
    }
  }

  /** Appends the ops of `calls` to path `p`; inlined callees may fork it. */
  private calls(p: Partial_, calls: CallEvent[], fn: FunctionFacts, depth: number, base: ContextKind, trunc: () => void): Partial_[] {
    let paths = [p];
    for (const call of calls) {
      if (paths[0].ops.length > MAX_OPS) break;
      const callee = depth < MAX_INLINE_DEPTH ? (this.fileFunctions.get(call.name) ?? -1) : -1;
      if (callee >= 0 && this.facts.functions[callee] !== fn && this.activeCall(call.name)) {
        const inner = this.facts.functions[callee];
        const outerNulls = this.nullParams.get(inner);
        if (this.bindNullArgs) this.nullParams.set(inner, nullArgs(call, inner));
        paths = paths.flatMap((q) => {
          q.notes.push(`${inner.name}() inlined (line ${this.lineOf(call.span.start)})`);
          return this.stmt(inner.body, [{ ...clone(q, this.stepIds), status: 'fall' }], inner, depth + 1, base, trunc).map((r) => ({
            ...r,
            status:
              r.status === 'break' || r.status === 'continue'
                ? ('fall' as const)
                : r.status === 'return' || typeof r.status === 'object'
                  ? ('fall' as const)
                  : r.status,
          }));
        });
        if (outerNulls) this.nullParams.set(inner, outerNulls);
        else this.nullParams.delete(inner);
        paths = this.fork(paths, trunc);
        continue;
      }
      for (const q of paths) this.op(q, call, fn, base);
    }
    return paths;
  }

  private op(p: Partial_, call: CallEvent, fn: FunctionFacts, base: ContextKind): void {
    const o = this.origin(call, fn);
    const isGoal = !!this.goal && sameSpan(call.span, this.goal.span);
    // A call's op is the same on every path (its size, mask and refs come from the call alone; a lock's release
    // depends on the path's locks): one object per call, so the paths share it and its step id is looked up once.
    const push = (op: SimOp, samePerCall = true) => {
      let full = samePerCall ? this.opOfCall.get(call) : undefined;
      if (!full) {
        full = { ...op, source: { line: o.line, text: o.text } };
        if (samePerCall) this.opOfCall.set(call, full);
      }
      if (isGoal) return this.pushGoal(p, full, o, base);
      this.stepIds.push(p.ops, full);
      p.origins.push(o);
      p.condAt.push(p.conditions.length);
    };
    const lock = LOCK_OPS[call.name];
    if (lock) {
      const key = lock.lockArg < 0 ? lock.kind : refText(call.args[lock.lockArg]);
      if (lock.acquire) {
        p.locks.push(key);
        push({ op: 'context', context: 'atomic', reason: `${call.name}(${lock.lockArg < 0 ? '' : key}) at line ${o.line}` });
      } else {
        const i = p.locks.lastIndexOf(key);
        if (i >= 0) p.locks.splice(i, 1);
        push({ op: 'context', context: p.locks.length ? 'atomic' : base, reason: `${call.name}(${lock.lockArg < 0 ? '' : key}) at line ${o.line}` }, false);
      }
      return;
    }
    const a = call.args;
    // The lvalue as written (`board -> ccb`) and as refText prints it (`board->ccb`) name one ref.
    const assigned = call.assignTo?.replace(/\s+/g, '');
    const ref = assigned ?? `${call.name}@${o.line}`;
    const at = call.span.start;
    switch (call.name) {
      case 'kmalloc':
      case 'kzalloc':
      case 'kcalloc':
      case 'kstrdup':
      case 'alloc_skb':
      case 'skb_copy': {
        // kcalloc(n, size): n × size; kstrdup and skb_copy: a size only the data knows; alloc_skb: its data buffer.
        const sizeExpr = call.name === 'kcalloc' ? null : call.name === 'kstrdup' || call.name === 'skb_copy' ? undefined : a[0];
        const size = call.name === 'kcalloc' ? product(this.number(a[0], fn, at), this.number(a[1], fn, at)) : this.number(sizeExpr ?? undefined, fn, at);
        if (size === null) {
          o.unknownSize =
            call.name === 'kcalloc'
              ? `${this.exprText(a[0])} × ${this.exprText(a[1])}`
              : sizeExpr
                ? this.exprText(sizeExpr)
                : `the length of ${this.exprText(a[0])}`;
          p.notes.push(`line ${o.line}: size ${o.unknownSize} not a constant: simulated as ${UNKNOWN_SIZE_STAND_IN} bytes`);
        }
        if (call.name === 'alloc_skb' || call.name === 'skb_copy') p.notes.push(`line ${o.line}: ${call.name}() modelled as the kmalloc of its data buffer`);
        const constantSize = call.name === 'kmalloc' && size !== null && this.compileTimeConstant(a[0], at);
        push({
          op: 'kmalloc',
          size: size ?? UNKNOWN_SIZE_STAND_IN,
          gfp: this.mask(call, ALLOC_API[call.name].maskArg, fn, o),
          ref,
          ...(constantSize ? { constantSize } : {}),
        });
        return;
      }
      case 'kmem_cache_alloc':
      case 'kmem_cache_zalloc':
        push({ op: 'kmem_cache_alloc', cache: refText(a[0]), gfp: this.mask(call, 1, fn, o), ref });
        return;
      case 'skb_clone':
        // The clone is a struct sk_buff from skbuff_head_cache (2.6.11 net/core/skbuff.c), about 200 bytes.
        p.notes.push(`line ${o.line}: skb_clone() modelled as a 256-byte slab object (struct sk_buff)`);
        push({ op: 'kmalloc', size: 256, gfp: this.mask(call, 1, fn, o), ref });
        return;
      case 'dma_alloc_coherent': {
        // i386 2.6.11 (arch/i386/kernel/pci-dma.c): __get_free_pages(gfp without __GFP_DMA/__GFP_HIGHMEM, get_order(size)).
        const size = this.number(a[1], fn, at);
        const gfp = this.mask(call, 3, fn, o);
        const order = size === null ? null : orderOf(size);
        if (order === null) {
          push({ op: 'get_free_pages', gfp: { unknown: true, text: `size ${this.exprText(a[1])} is not a constant: order unknown` }, order: 0, ref });
          return;
        }
        push({ op: 'get_free_pages', gfp: typeof gfp === 'number' ? gfp & ~(0x01 | 0x02) : gfp, order, ref });
        return;
      }
      case 'vmalloc':
      case 'vmalloc_32':
        // __vmalloc allocates page by page with GFP_KERNEL (| __GFP_HIGHMEM): the first page decides whether it sleeps.
        p.notes.push(`line ${o.line}: ${call.name}() modelled as its first order-0 page allocation`);
        push({ op: 'alloc_pages', gfp: call.name === 'vmalloc' ? 'GFP_KERNEL | __GFP_HIGHMEM' : 'GFP_KERNEL', order: 0, ref });
        return;
      case 'alloc_pages':
      case 'alloc_pages_node':
      case '__get_free_pages':
      case '__get_dma_pages': {
        const mi = call.name === 'alloc_pages_node' ? 1 : 0;
        const order = this.number(a[mi + 1], fn, at);
        const gfp =
          order === null
            ? { unknown: true as const, text: `order ${a[mi + 1] ? this.facts.text.slice(a[mi + 1].span.start, a[mi + 1].span.end) : '?'} is not a constant` }
            : this.mask(call, mi, fn, o);
        const dma = call.name === '__get_dma_pages' && typeof gfp === 'number' ? gfp | 0x01 : gfp;
        push({ op: call.name.startsWith('alloc') ? 'alloc_pages' : 'get_free_pages', gfp: dma, order: order ?? 0, ref });
        return;
      }
      case 'alloc_page':
        push({ op: 'alloc_pages', gfp: this.mask(call, 0, fn, o), order: 0, ref });
        return;
      case '__get_free_page':
      case 'get_free_page':
        push({ op: 'get_free_pages', gfp: this.mask(call, 0, fn, o), order: 0, ref });
        return;
      case 'get_zeroed_page':
        push({ op: 'get_zeroed_page', gfp: this.mask(call, 0, fn, o), ref });
        return;
      case 'kfree':
        if (this.foreignFree(p, refText(a[0]), call, isGoal)) return;
        push({ op: 'kfree', ref: refText(a[0]) });
        return;
      case 'kmem_cache_free':
        if (this.foreignFree(p, refText(a[1]), call, isGoal)) return;
        push({ op: 'kmem_cache_free', cache: refText(a[0]), ref: refText(a[1]) });
        return;
      case 'free_pages': {
        if (this.foreignFree(p, refText(a[0]), call, isGoal)) return;
        const order = this.number(a[1], fn, at);
        push(order === null ? { op: 'free_pages', ref: refText(a[0]) } : { op: 'free_pages', ref: refText(a[0]), order });
        return;
      }
      case 'free_page':
        if (this.foreignFree(p, refText(a[0]), call, isGoal)) return;
        push({ op: 'free_pages', ref: refText(a[0]), order: 0 });
        return;
      case '__free_pages': {
        if (this.foreignFree(p, refText(a[0]), call, isGoal)) return;
        const order = this.number(a[1], fn, at);
        push({ op: '__free_pages', ref: refText(a[0]), order: order ?? 0 });
        return;
      }
      case '__free_page':
        if (this.foreignFree(p, refText(a[0]), call, isGoal)) return;
        push({ op: '__free_pages', ref: refText(a[0]), order: 0 });
        return;
      case 'free_hot_page':
      case 'free_cold_page':
        if (this.foreignFree(p, refText(a[0]), call, isGoal)) return;
        push({ op: call.name, ref: refText(a[0]) });
        return;
      case 'mempool_create':
      case 'mempool_create_node': {
        const min = this.number(a[0], fn, at);
        push({ op: 'mempool_create', min_nr: min ?? 1, allocFn: this.allocFnSpec(call, fn), ref });
        if (min === null) p.notes.push(`line ${o.line}: min_nr not a constant: simulated as 1`);
        return;
      }
      case 'mempool_alloc':
        push({ op: 'mempool_alloc', pool: refText(a[0]), gfp: this.mask(call, 1, fn, o), ref });
        return;
      case 'mempool_free':
        if (this.foreignFree(p, refText(a[0]), call, isGoal)) return;
        push({ op: 'mempool_free', pool: refText(a[1]), ref: refText(a[0]) });
        return;
      case 'mempool_destroy':
        push({ op: 'mempool_destroy', pool: refText(a[0]) });
        return;
      case 'mempool_resize': {
        // mempool_resize(pool, new_min_nr, gfp_mask) (2.6.11 mm/mempool.c:108).
        const min = this.number(a[1], fn, at);
        const gfp = min === null ? { unknown: true as const, text: `new_min_nr ${this.exprText(a[1])} is not a constant` } : this.mask(call, 2, fn, o);
        push({ op: 'mempool_resize', pool: refText(a[0]), new_min_nr: min ?? 1, gfp });
        return;
      }
      case 'kmem_cache_create': {
        const size = this.number(a[1], fn, at);
        push({ op: 'kmem_cache_create', name: call.assignTo ?? ref, size: size ?? 64, ref, hwcacheAlign: this.hwcacheAlign(call) });
        return;
      }
      case 'kmem_cache_destroy':
        push({ op: 'kmem_cache_destroy', cache: refText(a[0]) });
        return;
    }
    if (CONTEXT_TESTS[call.name]) return;
  }

  private exprText(e: Expr | undefined): string {
    return e ? this.facts.text.slice(e.span.start, e.span.end).replace(/\s+/g, ' ') : '?';
  }

  /**
   * A free of memory this path did not allocate (a field set elsewhere, a parameter): the simulator would call
   * it a bad free, the kernel frees the caller's object. Not simulated; the goal says why.
   */
  private foreignFree(p: Partial_, ref: string, call: CallEvent, isGoal: boolean): boolean {
    if (this.keepForeignFrees) return false;
    if (p.ops.some((op) => ALLOCATING_OPS.has(op.op) && (op as { ref?: string }).ref === ref)) return false;
    if (isGoal) this.goalWhy = `${call.name}(${ref}) frees memory allocated outside this function: nothing of it to simulate here`;
    return true;
  }

  /**
   * The goal call's op, run in the context the context analysis states for it (the finding's): where this
   * path's own lock modelling says otherwise, the step says so in a note and the path's context resumes after.
   */
  private pushGoal(p: Partial_, op: SimOp, o: StepOrigin, base: ContextKind): void {
    const want = this.goal!.context;
    const here = currentContext(p, base);
    const differs = want && (want.kind === 'process') !== (here === 'process');
    if (differs) {
      p.notes.push(
        `line ${o.line}: ${want!.kind === 'process' ? `this path holds a lock here, but not every path does: simulated in process context, as the finding's analysis decides` : `context here: ${want!.reason}`}`,
      );
      this.setContext(p, want!.kind, want!.reason);
    }
    if (p.goalOp < 0) p.goalOp = p.ops.length;
    this.goalReachedAt ??= this.work;
    p.goalOps.push(p.ops.length);
    this.stepIds.push(p.ops, op);
    p.origins.push(o);
    p.condAt.push(p.conditions.length);
    if (differs) this.setContext(p, here, 'after the call');
  }

  /** How a pool's alloc_fn allocates: the stock slab/kmalloc/page functions, or a user function's mask. */
  private allocFnSpec(call: CallEvent, _fn: FunctionFacts): AllocFnSpec {
    const sig = MEMPOOL_CREATE[call.name];
    const allocName = functionNameOf(call.args[sig.alloc]) ?? '';
    const data = call.args[sig.data];
    const stock = MEMPOOL_STOCK[allocName];
    if (stock?.family === 'slab') return { kind: 'slab', cache: refText(data) };
    if (stock?.family === 'kmalloc') return { kind: 'kmalloc', size: this.number(data, _fn, call.span.start) ?? 64 };
    if (stock?.family === 'page') return { kind: 'pages', order: this.number(data, _fn, call.span.start) ?? 0 };
    const user = this.facts.functions.find((f) => f.name === allocName);
    if (user) {
      const gfpParam = user.params[0]?.name;
      for (const s of allCalls(user)) {
        const api = ALLOC_API[s.name];
        if (!api || api.maskArg < 0 || !s.args[api.maskArg]) continue;
        // What the user function allocates underneath decides whether it can fail under exhaustion.
        let via: AllocVia;
        if (api.family === 'page') {
          const order = api.fixedOrder ?? (api.orderArg !== undefined ? this.number(s.args[api.orderArg], user, s.span.start) : null) ?? 0;
          via = { kind: 'pages', order };
        } else if (s.name === 'kmem_cache_alloc') via = { kind: 'slab', cache: refText(s.args[0]) };
        else via = { kind: 'kmalloc', size: this.number(s.args[0], user, s.span.start) ?? 64 };
        if (gfpParam && exprIdentifiers(s.args[api.maskArg]).includes(gfpParam)) return { kind: 'user', gfp: 'pass', via, name: allocName };
        const m = this.shared.mask(s, api.maskArg, user);
        if (!m.unknown && m.values.length === 1) return { kind: 'user', gfp: m.values[0], via, name: allocName };
      }
    }
    return { kind: 'user', gfp: 'pass', name: allocName || 'alloc_fn' };
  }

  /** Caches and pools used but not created on a path are created first, under normal memory. */
  /** Caches and pools the op sequences use without creating them first: created in a setup phase. */
  setupFor(sequences: readonly (readonly SimOp[])[]): SimOp[] {
    const created = new Set<string>();
    const setup: SimOp[] = [];
    const need = (kind: 'cache' | 'pool', ref: string) => {
      if (created.has(`${kind}:${ref}`)) return;
      created.add(`${kind}:${ref}`);
      if (kind === 'cache') {
        // The cache's creation elsewhere in the file (module init) tells its object size.
        let size = 64;
        let hwcacheAlign = false;
        for (const { call: s, fn: f } of this.createdIn(ref)) {
          if (s.name === 'kmem_cache_create') {
            size = this.number(s.args[1], f, s.span.start) ?? size;
            hwcacheAlign = this.hwcacheAlign(s);
          }
        }
        setup.push({ op: 'kmem_cache_create', name: ref, size, ref, hwcacheAlign });
        return;
      }
      // The pool's creation elsewhere in the file (module init) tells min_nr and the alloc_fn.
      for (const { call: s, fn: f } of this.createdIn(ref)) {
        if (!MEMPOOL_CREATE[s.name]) continue;
        const min = this.number(s.args[0], f, s.span.start) ?? 1;
        const spec = this.allocFnSpec(s, f);
        if (spec.kind === 'slab') need('cache', spec.cache);
        setup.push({ op: 'mempool_create', min_nr: min, allocFn: spec, ref });
        return;
      }
      setup.push({ op: 'mempool_create', min_nr: 1, allocFn: { kind: 'kmalloc', size: 64 }, ref });
    };
    for (const ops of sequences) {
      const local = new Set<string>();
      for (const op of ops) {
        if (op.op === 'kmem_cache_create') local.add(`cache:${op.ref}`);
        if (op.op === 'mempool_create') local.add(`pool:${op.ref}`);
        if ((op.op === 'kmem_cache_alloc' || op.op === 'kmem_cache_free') && !local.has(`cache:${op.cache}`)) need('cache', op.cache);
        if (
          (op.op === 'mempool_alloc' || op.op === 'mempool_free' || op.op === 'mempool_destroy' || op.op === 'mempool_resize') &&
          !local.has(`pool:${op.pool}`)
        )
          need('pool', op.pool);
        if (op.op === 'mempool_create' && op.allocFn.kind === 'slab' && !local.has(`cache:${op.allocFn.cache}`)) need('cache', op.allocFn.cache);
      }
    }
    return setup;
  }

  /** The kmem_cache_create and mempool_create calls storing into `ref`, in file order (the file's calls indexed once). */
  private createdIn(ref: string): readonly { call: CallEvent; fn: FunctionFacts }[] {
    if (!this.creations) {
      this.creations = new Map();
      for (const fn of this.facts.functions)
        for (const call of allCalls(fn)) {
          if (call.name !== 'kmem_cache_create' && !MEMPOOL_CREATE[call.name]) continue;
          const to = call.assignTo?.replace(/\s+/g, '');
          if (to === undefined) continue;
          const list = this.creations.get(to);
          if (list) list.push({ call, fn });
          else this.creations.set(to, [{ call, fn }]);
        }
    }
    return this.creations.get(ref) ?? [];
  }
}

const product = (a: number | null, b: number | null) => (a === null || b === null ? null : a * b);

/** get_order(): the smallest order whose block holds `size` bytes (4 KiB pages). */
function orderOf(size: number): number {
  let order = 0;
  while (4096 << order < size) order++;
  return order;
}

function containsLabel(s: Stmt, name: string): boolean {
  if (s.k === 'label') return s.name === name;
  if (s.k === 'block') return s.body.some((b) => b.k === 'label' && b.name === name);
  return false;
}

/** `for (i = 0; i < N; i++)` and `while (n--)`-free shapes with a constant N. */
function constantBound(s: Extract<Stmt, { k: 'loop' }>): number | null {
  if (s.kind !== 'for' || !s.cond || !s.init) return null;
  const c = s.cond.expr;
  const init = s.init.k === 'expr' ? s.init.assigns[0] : undefined;
  if (!init || init.value.k !== 'num' || c.k !== 'bin' || c.l.k !== 'id' || c.l.name !== init.name || c.r.k !== 'num') return null;
  const from = init.value.value;
  const to = c.r.value;
  const n = c.op === '<' ? to - from : c.op === '<=' ? to - from + 1 : null;
  return n !== null && n >= 0 ? n : null;
}

/** Ops whose `ref` receives an allocation's result (a NULL test on the ref is a test of that result). */
export const ALLOCATING_OPS: ReadonlySet<string> = new Set([
  'kmalloc',
  'kmem_cache_alloc',
  'alloc_pages',
  'get_free_pages',
  'get_zeroed_page',
  'mempool_alloc',
  'mempool_create',
  'kmem_cache_create',
]);

/** The context a path is in now: its last context change, else the function's. */
function currentContext(p: Partial_, base: ContextKind): ContextKind {
  for (let i = p.ops.length - 1; i >= 0; i--) {
    const op = p.ops[i];
    if (op.op === 'context') return op.context;
  }
  return base;
}

// tree-sitter-c reads `NULL` as a `null` node (an 'other' expression here); casts are already unwrapped.
const isNullLiteral = (e: Expr) => (e.k === 'num' && e.value === 0) || ((e.k === 'id' || e.k === 'other') && (e.k === 'id' ? e.name : e.text) === 'NULL');

/**
 * `!p`, `p == NULL`, `NULL == p`, `p != 0`, `p`, `!(p = kmalloc(…))`, `unlikely(!p)`: the ref tested and
 * whether the condition is true when it is NULL. Anything else (`p && q`, `p->x`) is not a test of one result.
 */
/** The parameters of `inner` that `call` passes a NULL literal and `inner` never reassigns. */
function nullArgs(call: CallEvent, inner: FunctionFacts): ReadonlySet<string> {
  const assigned = new Set(assignmentsOf(inner).map((a) => a.name.replace(/\s+/g, '')));
  return new Set(inner.params.flatMap((p, i) => (call.args[i] && isNullLiteral(call.args[i]) && !assigned.has(p.name) ? [p.name] : [])));
}

export function nullTest(cond: Expr): { ref: string; nullWhenTrue: boolean } | null {
  const { e, negated } = unwrapCondition(cond);
  const refOf = (x: Expr): string | null => {
    if (x.k === 'assign') return x.name.replace(/\s+/g, '');
    if (x.k === 'id' || x.k === 'field' || (x.k === 'un' && x.op === '*')) {
      const t = refText(x);
      return t.includes('?') ? null : t;
    }
    return null;
  };
  if (e.k === 'bin' && (e.op === '==' || e.op === '!=')) {
    const side = isNullLiteral(e.r) ? e.l : isNullLiteral(e.l) ? e.r : null;
    const ref = side ? refOf(unwrapCondition(side).e) : null;
    if (!ref) return null;
    return { ref, nullWhenTrue: (e.op === '==') !== negated };
  }
  const ref = refOf(e);
  return ref ? { ref, nullWhenTrue: negated } : null;
}

function contextTest(cond: Expr): { whenTrue: ContextKind } | null {
  const { e, negated } = unwrapCondition(cond);
  if (e.k !== 'call' || !CONTEXT_TESTS[e.name]) return null;
  return { whenTrue: negated ? 'process' : 'interrupt' };
}
