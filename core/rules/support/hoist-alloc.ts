/**
 * "Allocate before the lock": the fix 2.6 chose for many 2.4 allocations under a spinlock. Offered only
 * where moving the allocation (and its failure check) above the lock call provably keeps the code's
 * meaning; every condition below refuses when in doubt.
 */
import type { FileFacts } from '../../facts/file-facts';
import type { Expr, FunctionFacts, Stmt } from '../../facts/ir';
import type { Held } from '../../context/flow';
import { LOCK_OPS } from '../../context/locks';
import type { Span } from '../../text/span';
import { lineStartOf } from '../../text/lines';
import type { CallEvent } from '../../facts/ir';
import type { Fix } from '../types';

type Block = Extract<Stmt, { k: 'block' }>;
type ExprStmt = Extract<Stmt, { k: 'expr' }>;

const within = (inner: Span, outer: Span) => inner.start >= outer.start && inner.end <= outer.end;

/** The block that has a direct child statement containing `span`, and that child's index. */
function enclosingBlock(s: Stmt, span: Span): { block: Block; index: number } | null {
  if (!within(span, s.span)) return null;
  if (s.k === 'block') {
    const index = s.body.findIndex((c) => within(span, c.span));
    if (index < 0) return null;
    return enclosingBlock(s.body[index], span) ?? { block: s, index };
  }
  for (const c of children(s)) {
    const r = enclosingBlock(c, span);
    if (r) return r;
  }
  return null;
}

function children(s: Stmt): Stmt[] {
  switch (s.k) {
    case 'if':
      return s.else ? [s.then, s.else] : [s.then];
    case 'loop':
      return [s.body];
    case 'switch':
      return s.cases;
    case 'block':
      return s.body;
    default:
      return [];
  }
}

/** Innermost block whose span contains `span` (where a local declared at `span` is in scope). */
function innermostBlock(s: Stmt, span: Span): Block | null {
  if (!within(span, s.span)) return null;
  for (const c of children(s)) {
    const r = innermostBlock(c, span);
    if (r) return r;
  }
  return s.k === 'block' ? s : null;
}

const onlyBlank = (s: string) => /^[ \t]*$/.test(s);
/** The one-line comment that ends a statement's line (`x = f(); /* why *\/`), '' when none, null when other text follows. */
function trailingComment(text: string, end: number): string | null {
  const eol = text.indexOf('\n', end);
  const rest = text.slice(end, eol < 0 ? text.length : eol);
  const m = /^[ \t]*(\/\*[^\n]*?\*\/|\/\/[^\n]*)?[ \t]*$/.exec(rest);
  return m ? (m[1] ?? '') : null;
}

/** `!v`, `v == NULL`, `NULL == v`, `v == 0`, `unlikely(!v)`: true exactly when the allocation failed. */
function failedTest(facts: FileFacts, e: Expr, v: string): boolean {
  const t = (x: Expr) => facts.text.slice(x.span.start, x.span.end).replace(/\s+/g, '');
  const isNull = (x: Expr) => t(x) === 'NULL' || (x.k === 'num' && x.value === 0);
  if (e.k === 'call' && (e.name === 'unlikely' || e.name === 'likely') && e.args.length === 1) return failedTest(facts, e.args[0], v);
  if (e.k === 'un' && e.op === '!') return t(e.e) === v || t(e.e) === `(${v})`;
  if (e.k === 'bin' && e.op === '==') return (t(e.l) === v && isNull(e.r)) || (t(e.r) === v && isNull(e.l));
  return false;
}

/** Size, mask and pool arguments that have the same value before the lock: constants, sizeof, and locals/params nothing assigns in between. */
function argIsStable(facts: FileFacts, fn: FunctionFacts, e: Expr, lockStart: number): boolean {
  switch (e.k) {
    case 'num':
      return true;
    case 'id': {
      if (/^[A-Z][A-Z0-9_]*$/.test(e.name)) return true; // a macro constant (GFP_KERNEL, BUF_SIZE)
      if (fn.params.some((p) => p.name === e.name)) return true;
      const local = fn.locals.find((l) => l.name === e.name);
      return !!local && local.span.start < lockStart;
    }
    case 'bin':
      return /^([|+*\-<>]|<<|>>)$/.test(e.op) && argIsStable(facts, fn, e.l, lockStart) && argIsStable(facts, fn, e.r, lockStart);
    case 'other':
      // sizeof does not evaluate its operand.
      return /^sizeof\s*\([\w\s*]+\)$/.test(facts.text.slice(e.span.start, e.span.end));
    case 'call':
      return e.name === 'sizeof';
    default:
      return false; // field reads, derefs, calls: may read what the lock protects
  }
}

/**
 * The edits that move `v = alloc(…);` and the `if (!v) { unlock; return E; }` after it to just before the
 * lock call, or null when that is not provably the same program with the allocation outside the region:
 * - the lock is taken by one statement of the allocation's own block (so not in a loop or branch of the
 *   region), starting its line, and is the only atomic state held at the allocation;
 * - it is the statement right after the lock call (no path leaves the region before it, so none needs a
 *   free, and no statement is skipped when it fails);
 * - v is a local in scope at the lock; the arguments are stable (argIsStable);
 * - the next statement is the failure check, whose body is the matching unlock, optional printk()s and a
 *   return of a constant: before the lock it becomes the same body without the unlock.
 */
export function hoistAllocationFix(
  facts: FileFacts,
  fn: FunctionFacts,
  call: CallEvent,
  held: readonly Held[],
  allocName: string,
): { lock: string; fix: Fix } | null {
  const text = facts.text;
  if (!held.length || !held.every((h) => h.span.start === held[0].span.start)) return null;
  const lockSpan = held[0].span;
  const v = call.assignTo;
  if (!v || !/^\w+$/.test(v)) return null;
  const local = fn.locals.find((l) => l.name === v);
  if (!local || local.span.start >= lockSpan.start) return null;
  const at = enclosingBlock(fn.body, call.span);
  if (!at) return null;
  const { block, index } = at;
  const lockIndex = block.body.findIndex((s) => within(lockSpan, s.span));
  if (lockIndex < 0 || lockIndex >= index) return null;
  const lockStmt = block.body[lockIndex];
  const allocStmt = block.body[index];
  if (lockStmt.k !== 'expr' || lockStmt.calls.length !== 1 || allocStmt.k !== 'expr' || allocStmt.calls.length !== 1) return null;
  // The scope v is declared in must hold the lock statement.
  const scope = innermostBlock(fn.body, local.span);
  if (!scope || !within(block.span, scope.span)) return null;
  if (!call.args.every((a) => argIsStable(facts, fn, a, lockSpan.start))) return null;
  // Nothing between: a statement there would no longer run when the allocation fails (`r->len = 0;`),
  // and could change the arguments (`n++`, `f(&n)`) or leave the region.
  if (index !== lockIndex + 1) return null;
  // The statement is exactly `v = [(cast)] alloc(…);`.
  const callText = text.slice(call.span.start, call.span.end);
  const allocText = text.slice(allocStmt.span.start, allocStmt.span.end);
  if (!new RegExp(`^${v}\\s*=\\s*(\\([\\w\\s*]+\\)\\s*)?`).test(allocText) || !allocText.replace(/\s*;$/, '').endsWith(callText)) return null;
  const check = block.body[index + 1];
  if (!check || check.k !== 'if' || check.else || check.cond.calls.length || !failedTest(facts, check.cond.expr, v)) return null;
  const body = check.then.k === 'block' ? check.then.body : [check.then];
  const ret = body[body.length - 1];
  if (!ret || ret.k !== 'return' || ret.calls.length || ret.assigns.length) return null;
  const retValue = text.slice(ret.span.start, ret.span.end).replace(/^return\b\s*|\s*;$/g, '');
  if (retValue && !/^(-?\s*[A-Z][A-Z0-9_]*|-?\d+|NULL)$/.test(retValue)) return null;
  // The unlock releases the lock taken (same lock argument text; none for cli()-style calls).
  const lockCall = lockStmt.calls[0];
  const argOf = (c: CallEvent) => (c.args[0] ? text.slice(c.args[0].span.start, c.args[0].span.end).replace(/\s+/g, '') : '');
  const sameLock = (c: CallEvent) => argOf(c) === argOf(lockCall);
  const kept: ExprStmt[] = [];
  let unlocks = 0;
  for (const s of body.slice(0, -1)) {
    if (s.k !== 'expr' || s.calls.length !== 1 || s.assigns.length) return null;
    const c = s.calls[0];
    const op = LOCK_OPS[c.name];
    if (op && !op.acquire && sameLock(c)) unlocks++;
    else if (c.name === 'printk') kept.push(s);
    else return null;
  }
  if (unlocks !== 1) return null;
  // Whole lines only: the moved statements and the lock start their lines.
  const ind = text.slice(lineStartOf(text, lockStmt.span.start), lockStmt.span.start);
  const allocLine = lineStartOf(text, allocStmt.span.start);
  const eol = text.indexOf('\n', check.span.end);
  const checkEnd = eol < 0 ? text.length : eol + 1;
  // The allocation's own trailing comment moves with it; any other text on the removed lines refuses the fix.
  const allocComment = trailingComment(text, allocStmt.span.end);
  if (!onlyBlank(ind) || !onlyBlank(text.slice(allocLine, allocStmt.span.start)) || allocComment === null || trailingComment(text, check.span.end) !== '')
    return null;
  if (!onlyBlank(text.slice(allocStmt.span.end + (text.indexOf('\n', allocStmt.span.end) - allocStmt.span.end), check.span.start).replace(/\n/g, '')))
    return null;
  const retText = retValue ? `return ${retValue};` : 'return;';
  const failure = kept.length
    ? `${ind}if (!${v}) {\n${kept.map((s) => `${ind}\t${text.slice(s.span.start, s.span.end)}\n`).join('')}${ind}\t${retText}\n${ind}}\n`
    : `${ind}if (!${v})\n${ind}\t${retText}\n`;
  const at0 = lineStartOf(text, lockStmt.span.start);
  const fix: Fix = {
    title: `Allocate before ${held[0].call}() (${allocName} keeps its mask; the failure returns before the lock is taken)`,
    edits: [
      { start: at0, end: at0, newText: `${ind}${allocText}${allocComment ? ` ${allocComment}` : ''}\n${failure}` },
      { start: allocLine, end: checkEnd, newText: '' },
    ],
  };
  return { lock: held[0].call, fix };
}
