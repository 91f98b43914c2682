/**
 * Lock-state dataflow over one function's IR. The state is what is held on EVERY path reaching a
 * point (a must-analysis): a region only counts as atomic when no path gets there without the lock,
 * which keeps "unlocked on the error path" code free of false positives. Returns, gotos and breaks
 * end a path; labels join the paths that jump to them.
 */
import { unwrapCondition, type CallEvent, type Cond, type Expr, type FunctionFacts, type Stmt } from '../facts/ir';
import type { Span } from '../text/span';
import { ATOMIC_PRIMITIVES, CONTEXT_TESTS, TRYLOCKS, type AtomicKind } from './locks';

export interface Held {
  key: string;
  kind: AtomicKind;
  /** The acquiring call. */
  call: string;
  /** Its lock argument as messages show it (`spin_lock_irq(&l)` keeps interrupts off: `l`), or ''. */
  shownArg: string;
  span: Span;
}

/** Interrupt state saved in a flags variable (`save_flags(flags)`): off (and since which call), or the function's entry state. */
export interface SavedIrqs {
  flags: string;
  irqsOff: Held | null;
}

export interface FlowState {
  held: Held[];
  /**
   * Locks released on some path without being taken here (`spin_unlock(&l); kmalloc(GFP_KERNEL);
   * spin_lock(&l);` in a helper its caller calls with `l` held): from there on the atomic context a
   * caller lends this function is gone.
   */
  droppedCallerLock: Span | null;
  /** Set inside `if (in_interrupt())`-style guards: 'atomic' in the then branch, 'process' in the else branch. */
  guard: { kind: 'atomic' | 'process'; test: string; span: Span } | null;
  /** Flags variables saved on every path here, with the interrupt state a restore from them brings back. */
  saved: readonly SavedIrqs[];
}

/** A call with the state in which it runs. */
export interface CallSite {
  call: CallEvent;
  state: FlowState;
}

type State = FlowState | null; // null: unreachable

const EMPTY: FlowState = { held: [], guard: null, droppedCallerLock: null, saved: [] };

function join(a: State, b: State): State {
  if (!a) return b;
  if (!b) return a;
  const held = a.held.filter((h) => b.held.some((x) => x.key === h.key));
  const guard = a.guard && b.guard && a.guard.kind === b.guard.kind ? a.guard : null;
  // A save known on both paths, of the same state; otherwise a restore from it is unknown.
  const saved = a.saved.filter((s) => b.saved.some((x) => x.flags === s.flags && x.irqsOff?.key === s.irqsOff?.key));
  // May-analysis for the dropped caller lock: dropped on any path means no longer surely atomic.
  return { held, guard, droppedCallerLock: a.droppedCallerLock ?? b.droppedCallerLock, saved };
}

function same(a: State, b: State): boolean {
  if (!a || !b) return a === b;
  return (
    a.held.length === b.held.length &&
    a.held.every((h, i) => h.key === b.held[i].key) &&
    a.guard?.kind === b.guard?.kind &&
    !a.droppedCallerLock === !b.droppedCallerLock &&
    a.saved.length === b.saved.length &&
    a.saved.every((x, i) => x.flags === b.saved[i].flags && x.irqsOff?.key === b.saved[i].irqsOff?.key)
  );
}

function lockKey(call: CallEvent, argIndex: number, kind: AtomicKind): string {
  if (argIndex < 0) return kind;
  const arg = call.args[argIndex];
  return arg ? exprKey(arg) : `${kind}?`;
}

function exprKey(e: Expr): string {
  switch (e.k) {
    case 'addr':
      return exprKey(e.e);
    case 'id':
      return e.name;
    case 'field':
      return `${exprKey(e.base)}${e.arrow ? '->' : '.'}${e.field}`;
    case 'un':
      return `${e.op}${exprKey(e.e)}`;
    case 'other':
      return e.text.replace(/\s+/g, '');
    case 'call':
      // `spin_lock(&DRM(mem_lock))`: the macro call's text is the lock's name.
      return `${e.name}(${e.args.map(exprKey).join(',')})`;
    case 'num':
      return String(e.value);
    case 'bin':
      return `${exprKey(e.l)}${e.op}${exprKey(e.r)}`;
    default:
      return `@${e.span.start}`;
  }
}

function applyCall(state: FlowState, call: CallEvent, takes = true): FlowState {
  const prim = ATOMIC_PRIMITIVES[call.name];
  if (!prim) return state;
  let s = state;
  const lockArg = prim.effects.find((e) => e.does === 'lock' || e.does === 'unlock');
  const shownArg = lockArg && 'arg' in lockArg ? lockKey(call, lockArg.arg, 'spinlock') : '';
  const take = (key: string, kind: AtomicKind, shown: string) => {
    if (takes && !s.held.some((h) => h.key === key)) s = { ...s, held: [...s.held, { key, kind, call: call.name, shownArg: shown, span: call.span }] };
  };
  // Releasing the CPU-wide state of a kind releases any depth of it (disable/enable pairs nest rarely in drivers).
  const drop = (key: string) => {
    if (!s.held.some((h) => h.key === key)) s = { ...s, droppedCallerLock: s.droppedCallerLock ?? call.span };
    else s = { ...s, held: s.held.filter((h) => h.key !== key) };
  };
  for (const e of prim.effects) {
    switch (e.does) {
      case 'lock':
        take(lockKey(call, e.arg, e.kind), e.kind, shownArg);
        break;
      case 'unlock':
        drop(lockKey(call, e.arg, e.kind));
        break;
      case 'off':
        take(e.kind, e.kind, shownArg);
        break;
      case 'on':
        drop(e.kind);
        break;
      case 'save-irqs': {
        const flags = lockKey(call, e.arg, 'irqs-off');
        const irqsOff = s.held.find((h) => h.key === 'irqs-off') ?? null;
        s = { ...s, saved: [...s.saved.filter((x) => x.flags !== flags), { flags, irqsOff }] };
        break;
      }
      case 'restore-irqs': {
        const flags = lockKey(call, e.arg, 'irqs-off');
        const saved = s.saved.find((x) => x.flags === flags);
        if (!saved) {
          // Saved elsewhere (or not on every path): interrupts may come back on.
          drop('irqs-off');
          break;
        }
        // Back to the saved state: off since the saving call, or the state the function was entered in.
        const off = s.held.some((h) => h.key === 'irqs-off');
        if (!saved.irqsOff && off) s = { ...s, held: s.held.filter((h) => h.key !== 'irqs-off') };
        // Locks stay last: messages name the innermost reason.
        else if (saved.irqsOff && !off) s = { ...s, held: [saved.irqsOff, ...s.held] };
        break;
      }
    }
  }
  return s;
}

/** What a condition tells each branch: context guards and trylocks. */
function branchStates(state: FlowState, cond: Cond, takes: boolean): [FlowState, FlowState] {
  let t = state;
  let f = state;
  const { e, negated } = unwrapCondition(cond.expr);
  if (e.k === 'call' && CONTEXT_TESTS[e.name]) {
    const atomic = { kind: 'atomic' as const, test: `${e.name}()`, span: e.span };
    const process = { kind: 'process' as const, test: `${e.name}()`, span: e.span };
    t = { ...state, guard: negated ? process : atomic };
    f = { ...state, guard: negated ? atomic : process };
  } else if (takes && e.k === 'call' && TRYLOCKS.has(e.name)) {
    const kind: AtomicKind = e.name.startsWith('spin') ? 'spinlock' : 'rwlock';
    const key = e.args[0] ? exprKey(e.args[0]) : `${kind}?`;
    const acquired: FlowState = { ...state, held: [...state.held, { key, kind, call: e.name, shownArg: key, span: e.span }] };
    t = negated ? state : acquired;
    f = negated ? acquired : state;
  }
  return [t, f];
}

interface LoopFrame {
  breaks: State;
  continues: State;
}

export class FunctionFlow {
  readonly sites: CallSite[] = [];
  /** Calls through function pointers (`ops->open(dev)`), with the state they run in. */
  readonly indirectSites: CallSite[] = [];
  /** States at `return` (for "returns with lock held" and summaries). */
  readonly returns: { span: Span; state: FlowState }[] = [];
  private labels = new Map<string, State>();
  private loops: LoopFrame[] = [];
  private recording = true;

  /**
   * Whether a lock taken at `offset` holds as the IR says: in a recovered function only before its first
   * broken piece (after it a statement may have lost the `if` around it); its releases always count.
   */
  private trusts(offset: number): boolean {
    return !this.fn.recovered || offset < this.fn.recovered.intactUntil;
  }

  /** The state when the body falls off its end (null: it never does). */
  readonly exit: FlowState | null;

  constructor(readonly fn: FunctionFacts) {
    this.exit = this.stmt(fn.body, EMPTY);
  }

  /** Whether some path releases a lock its caller holds (`insert_super()`: "called with sb_lock held; drops it"). */
  get dropsCallerLock(): boolean {
    return !!this.exit?.droppedCallerLock || this.returns.some((r) => r.state.droppedCallerLock) || this.sites.some((s) => s.state.droppedCallerLock);
  }

  private calls(state: FlowState, calls: CallEvent[], indirect?: CallEvent[]): FlowState {
    let s = state;
    let next = 0;
    for (const c of calls) {
      // A call through a pointer changes no lock state: it runs in the state of the direct calls before it.
      for (; indirect && next < indirect.length && indirect[next].span.start < c.span.start; next++)
        if (this.recording) this.indirectSites.push({ call: indirect[next], state: s });
      if (this.recording) this.sites.push({ call: c, state: s });
      s = applyCall(s, c, this.trusts(c.span.start));
    }
    for (; indirect && next < indirect.length; next++) if (this.recording) this.indirectSites.push({ call: indirect[next], state: s });
    return s;
  }

  private stmt(s: Stmt, in_: State): State {
    if (!in_) {
      // Unreachable by fall-through, but a label inside may be reached by goto.
      if (s.k === 'label') return this.labels.get(s.name) ?? null;
      if (s.k === 'block') {
        let st: State = null;
        for (const c of s.body) st = this.stmt(c, st);
        return st;
      }
      return null;
    }
    switch (s.k) {
      case 'block': {
        let st: State = in_;
        for (const c of s.body) st = this.stmt(c, st);
        return st;
      }
      case 'expr':
        return this.calls(in_, s.calls, s.indirect);
      case 'return': {
        const st = this.calls(in_, s.calls, s.indirect);
        this.returns.push({ span: s.span, state: st });
        return null;
      }
      case 'if': {
        const c = this.calls(in_, s.cond.calls, s.cond.indirect);
        const [t, f] = branchStates(c, s.cond, this.trusts(s.cond.span.start));
        const tOut = this.stmt(s.then, t);
        const fOut = s.else ? this.stmt(s.else, f) : f;
        return join(tOut, fOut);
      }
      case 'loop':
        return this.loop(s, in_);
      case 'switch': {
        const c = this.calls(in_, s.cond.calls, s.cond.indirect);
        this.loops.push({ breaks: null, continues: null });
        let out: State = null;
        let fall: State = null;
        for (const cs of s.cases) fall = this.stmt(cs, join(c, fall));
        out = join(fall, this.loops.pop()!.breaks);
        // Without a default case, the switch can be skipped entirely.
        return join(out, c);
      }
      case 'goto':
        this.labels.set(s.label, join(this.labels.get(s.label) ?? null, in_));
        return null;
      case 'label': {
        const st = join(in_, this.labels.get(s.name) ?? null);
        return st;
      }
      case 'break': {
        const f = this.loops[this.loops.length - 1];
        if (f) f.breaks = join(f.breaks, in_);
        return null;
      }
      case 'continue': {
        const f = this.loops[this.loops.length - 1];
        if (f) f.continues = join(f.continues, in_);
        return null;
      }
    }
  }

  private loop(s: Extract<Stmt, { k: 'loop' }>, in_: FlowState): State {
    let entry: State = s.init ? this.stmt(s.init, in_) : in_;
    // Iterate to a fixed point without recording, then one recorded pass from the stable head state.
    const wasRecording = this.recording;
    this.recording = false;
    let head: State = entry;
    for (let i = 0; i < 4; i++) {
      const bodyOut = this.loopBody(s, head);
      const next = join(entry, bodyOut.back);
      if (same(next, head)) break;
      head = next;
    }
    this.recording = wasRecording;
    const final = this.loopBody(s, head);
    if (s.kind === 'do') entry = null; // a do-while runs its body at least once
    return join(join(final.exit, final.breaks), s.kind === 'do' ? null : entry && final.condOut);
  }

  private loopBody(s: Extract<Stmt, { k: 'loop' }>, head: State): { back: State; exit: State; breaks: State; condOut: State } {
    if (!head) return { back: null, exit: null, breaks: null, condOut: null };
    const condFirst = s.kind !== 'do';
    let st: State = head;
    if (condFirst && s.cond) st = this.calls(st, s.cond.calls, s.cond.indirect);
    const condOut = st;
    this.loops.push({ breaks: null, continues: null });
    st = this.stmt(s.body, st);
    const frame = this.loops.pop()!;
    st = join(st, frame.continues);
    if (st && s.update) st = this.stmt(s.update, st);
    if (st && !condFirst && s.cond) st = this.calls(st, s.cond.calls, s.cond.indirect);
    const infinite = !s.cond || (s.cond.expr.k === 'num' && s.cond.expr.value !== 0);
    return { back: st, exit: infinite ? null : s.kind === 'do' ? st : null, breaks: frame.breaks, condOut: infinite ? null : condOut };
  }
}

export function isAtomic(state: FlowState): boolean {
  return state.guard?.kind !== 'process' && (state.held.length > 0 || state.guard?.kind === 'atomic');
}
