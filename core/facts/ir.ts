/**
 * The per-function intermediate form every rule and the sequence extractor read: statements in
 * source order with the calls each performs, the variables it dereferences and assigns, and the
 * control structure (if/loop/switch/goto/return) that the context analysis follows. It is built
 * once per function text and cached, so an edit re-walks only the function it touched.
 */
import type { Span } from '../text/span';

export type Expr =
  | { k: 'id'; name: string; span: Span }
  | { k: 'num'; value: number; span: Span }
  | { k: 'bin'; op: string; l: Expr; r: Expr; span: Span }
  | { k: 'un'; op: string; e: Expr; span: Span }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr; span: Span }
  | { k: 'call'; name: string; args: Expr[]; span: Span }
  | { k: 'assign'; name: string; value: Expr; span: Span }
  | { k: 'field'; base: Expr; field: string; arrow: boolean; span: Span }
  | { k: 'addr'; e: Expr; span: Span }
  | { k: 'other'; text: string; span: Span };

export interface CallEvent {
  name: string;
  nameSpan: Span;
  span: Span;
  args: Expr[];
  /** `x = f(...)`, `T *x = f(...)`, `x = (T *)f(...)`, `s->x = f(...)`: the lvalue's text. */
  assignTo?: string;
  /**
   * A call through a function pointer in a struct field (`ops->open(dev)`, `(*lp->hw->reset)(lp)`): the
   * base expression's text (blanks removed) and the field. `name` is then `ops->open` (no function's name).
   */
  via?: { base: string; field: string };
}

export interface VarRef {
  name: string;
  span: Span;
}

/** A pointer use (`p->f`, `*p`, `p[i]`), with what can make it harmless. */
export interface Deref extends VarRef {
  /** `&p->f`, `&p->f.g`, `&p[i]`: an address computed from p, nothing read or written through it here. */
  addressOnly?: true;
  /**
   * The conditions it is evaluated under, outermost first: that of each `c ? … : …` it sits in a branch
   * of, and the left side of each `&&`/`||` it is on the right of (each a copy of its own).
   */
  guards?: Expr[];
}

export interface Assignment {
  name: string;
  value: Expr;
  span: Span;
}

export interface Effects {
  calls: CallEvent[];
  /** Pointers dereferenced (`p->f`, `*p`, `p[i]`), and addresses computed from them (`&p->f`). */
  derefs: Deref[];
  assigns: Assignment[];
  /** Calls through struct fields (CallEvent.via), in source order; absent when there are none. */
  indirect?: CallEvent[];
}

export interface Cond extends Effects {
  span: Span;
  expr: Expr;
}

export type Stmt =
  | { k: 'block'; span: Span; body: Stmt[] }
  | ({ k: 'expr'; span: Span } & Effects)
  | { k: 'if'; span: Span; cond: Cond; then: Stmt; else: Stmt | null }
  | { k: 'loop'; span: Span; kind: 'for' | 'while' | 'do'; init: Stmt | null; cond: Cond | null; update: Stmt | null; body: Stmt }
  | { k: 'switch'; span: Span; cond: Cond; cases: Stmt[] }
  | ({ k: 'return'; span: Span } & Effects)
  | { k: 'goto'; span: Span; label: string }
  | { k: 'label'; span: Span; name: string }
  | { k: 'break'; span: Span }
  | { k: 'continue'; span: Span };

export interface Param {
  name: string;
  type: string;
  span: Span;
}

export interface FunctionFacts {
  name: string;
  nameSpan: Span;
  span: Span;
  isStatic: boolean;
  returnType: string;
  params: Param[];
  /** Local variables with their declared types (`kmem_cache_t *`), in source order. */
  locals: { name: string; type: string; span: Span }[];
  body: Stmt;
  /**
   * Rebuilt from the statements tree-sitter's error recovery left of it (RecoveredFunction): their order
   * is the source's, but from the first piece that is not a whole statement (`(x)` left of an `if`) on,
   * a statement may have lost the `if` or loop around it. Before `intactUntil` the body is whole
   * statements of the function's outermost block.
   */
  recovered?: { intactUntil: number };
}

export function* walkStmts(s: Stmt): Generator<Stmt> {
  yield s;
  switch (s.k) {
    case 'block':
      for (const c of s.body) yield* walkStmts(c);
      break;
    case 'if':
      yield* walkStmts(s.then);
      if (s.else) yield* walkStmts(s.else);
      break;
    case 'loop':
      if (s.init) yield* walkStmts(s.init);
      yield* walkStmts(s.body);
      if (s.update) yield* walkStmts(s.update);
      break;
    case 'switch':
      for (const c of s.cases) yield* walkStmts(c);
      break;
  }
}

// Derived per-function lists, memoized on the IR object: a function unchanged by an edit keeps its
// IR object (FunctionCache), so rules asking again on the next version pay nothing.
const statementLists = new WeakMap<FunctionFacts, Stmt[]>();
const callLists = new WeakMap<FunctionFacts, CallEvent[]>();

/** Every statement of a function, pre-order (as walkStmts(fn.body)), computed once per IR object. */
export function statementsOf(fn: FunctionFacts): Stmt[] {
  let list = statementLists.get(fn);
  if (!list) {
    list = [...walkStmts(fn.body)];
    statementLists.set(fn, list);
  }
  return list;
}

const assignLists = new WeakMap<FunctionFacts, Assignment[]>();

/** Every assignment and initialization in a function (statements and conditions), in source order. */
export function assignmentsOf(fn: FunctionFacts): Assignment[] {
  let list = assignLists.get(fn);
  if (!list) {
    list = [];
    for (const s of statementsOf(fn)) {
      if (s.k === 'expr' || s.k === 'return') list.push(...s.assigns);
      else if (s.k === 'if' || s.k === 'switch') list.push(...s.cond.assigns);
      else if (s.k === 'loop' && s.cond) list.push(...s.cond.assigns);
    }
    assignLists.set(fn, list);
  }
  return list;
}

/** Every call in a function, in source order, including those in conditions. */
export function allCalls(fn: FunctionFacts): CallEvent[] {
  const memo = callLists.get(fn);
  if (memo) return memo;
  const out: CallEvent[] = [];
  callLists.set(fn, out);
  for (const s of statementsOf(fn)) {
    if (s.k === 'expr' || s.k === 'return') out.push(...s.calls);
    else if (s.k === 'if' || s.k === 'switch') out.push(...s.cond.calls);
    else if (s.k === 'loop' && s.cond) out.push(...s.cond.calls);
  }
  return out.sort((a, b) => a.span.start - b.span.start);
}

const valueLists = new WeakMap<FunctionFacts, ReadonlySet<string>>();

/** Identifiers in a function's call arguments and assigned values (where function pointers travel), memoized. */
export function valueIdentifiersOf(fn: FunctionFacts): ReadonlySet<string> {
  let set = valueLists.get(fn);
  if (!set) {
    const ids: string[] = [];
    for (const c of allCalls(fn)) for (const a of c.args) exprIdentifiers(a, ids);
    for (const a of assignmentsOf(fn)) exprIdentifiers(a.value, ids);
    set = new Set(ids);
    valueLists.set(fn, set);
  }
  return set;
}

export function exprIdentifiers(e: Expr, out: string[] = []): string[] {
  switch (e.k) {
    case 'id':
      out.push(e.name);
      break;
    case 'bin':
      exprIdentifiers(e.l, out);
      exprIdentifiers(e.r, out);
      break;
    case 'un':
    case 'addr':
      exprIdentifiers(e.e, out);
      break;
    case 'cond':
      exprIdentifiers(e.c, out);
      exprIdentifiers(e.t, out);
      exprIdentifiers(e.f, out);
      break;
    case 'assign':
      exprIdentifiers(e.value, out);
      break;
    case 'call':
      for (const a of e.args) exprIdentifiers(a, out);
      break;
    case 'field':
      exprIdentifiers(e.base, out);
      break;
  }
  return out;
}

/** A condition without its `!`s and `likely()`/`unlikely()` wrappers, and whether it ended up negated. */
export function unwrapCondition(e: Expr): { e: Expr; negated: boolean } {
  let x = e;
  let negated = false;
  for (let i = 0; i < 8; i++) {
    if (x.k === 'un' && x.op === '!') {
      negated = !negated;
      x = x.e;
    } else if (x.k === 'call' && (x.name === 'likely' || x.name === 'unlikely') && x.args[0]) x = x.args[0];
    else break;
  }
  return { e: x, negated };
}

/** The function a value names: `fn` or `&fn` (callbacks handed to request_irq, mempool_create, timers). */
export function functionNameOf(e: Expr | undefined): string | null {
  if (!e) return null;
  if (e.k === 'id') return e.name;
  if (e.k === 'addr') return functionNameOf(e.e);
  return null;
}
