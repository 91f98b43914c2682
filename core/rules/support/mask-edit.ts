/** Small helpers shared by the GFP-flag and page-tracking rules: flag removal edits, NULL checks, variable flow. */
import type { FileFacts } from '../../facts/file-facts';
import type { CallEvent, Expr, FunctionFacts, Stmt } from '../../facts/ir';
import { assignmentsOf } from '../../facts/ir';
import { statementsOf } from '../../facts/ir';
import type { Span } from '../../text/span';
import type { TextEdit } from '../types';

export const squash = (s: string): string => s.replace(/\s+/g, '');

export function textOf(facts: FileFacts, span: Span): string {
  return facts.text.slice(span.start, span.end);
}

const isWs = (c: string | undefined) => c !== undefined && /\s/.test(c);

function skipBack(text: string, i: number): number {
  while (i > 0 && isWs(text[i - 1])) i--;
  return i;
}

function skipFwd(text: string, i: number): number {
  while (i < text.length && isWs(text[i])) i++;
  return i;
}

/**
 * The edit that removes one flag token from an `|` chain and keeps valid C: `A | F` → `A`, `F | A` → `A`,
 * `(F) | A` → `A`. Null when the flag is not an operand of `|` (alone, under `~`, in `&`).
 */
export function removeFlagEdit(text: string, token: Span): TextEdit | null {
  let s = token.start;
  let e = token.end;
  // Widen over parentheses that hold only the flag.
  for (;;) {
    const b = skipBack(text, s);
    const f = skipFwd(text, e);
    if (text[b - 1] === '(' && text[f] === ')' && !/[\w)\]]/.test(text[skipBack(text, b - 1) - 1] ?? '')) {
      s = b - 1;
      e = f + 1;
    } else break;
  }
  const before = skipBack(text, s);
  const after = skipFwd(text, e);
  const prevIsOr = text[before - 1] === '|' && text[before - 2] !== '|' && text[before - 2] !== '~';
  const nextIsOr = text[after] === '|' && text[after + 1] !== '|' && text[after + 1] !== '=';
  if (prevIsOr && text[before - 2] !== '&') return { start: skipBack(text, before - 1), end: e, newText: '' };
  if (nextIsOr && text[before - 1] !== '~' && text[before - 1] !== '&') return { start: s, end: skipFwd(text, after + 1), newText: '' };
  return null;
}

/** Whether a flag token is used as a mask operand (`A | F`, `= F`, `|= F`), not tested (`m & F`) or cleared (`~F`). */
export function usedAsMaskOperand(text: string, token: Span): boolean {
  let b = skipBack(text, token.start);
  while (text[b - 1] === '(') b = skipBack(text, b - 1);
  let f = skipFwd(text, token.end);
  while (text[f] === ')') f = skipFwd(text, f + 1);
  const prev = text[b - 1];
  const next = text[f];
  if (prev === '~' || prev === '&' || next === '&') return false;
  if (prev === '|' && text[b - 2] !== '|') return true;
  if (next === '|' && text[f + 1] !== '|') return true;
  if (prev === '=' && !'=!<>'.includes(text[b - 2] ?? '')) return true;
  if (prev === ',' || (prev === '(' && next === ')')) return true;
  return false;
}

/**
 * Whether a flag token is an operand of `&` (`gfp & F`, `F & gfp`, `gfp & ~(F | G)`, `gfp &= ~F`): a test of the
 * flag or a clearing of it, not a mask being built. Reads outwards over `|` operands, `~` and parentheses, and
 * stops at anything else (a call's or an `if`'s parenthesis, a comma, two names in a row).
 */
export function testedOrCleared(text: string, token: Span): boolean {
  const single = (i: number, c: string) => text[i] === c && text[i - 1] !== c && text[i + 1] !== c;
  // Leftwards: expecting an operator (`|`, `&`, `~`, an opening group), or after `|` an operand.
  let operand = false;
  for (let i = token.start - 1; i >= 0; i--) {
    const c = text[i];
    if (/\s/.test(c)) continue;
    if (operand) {
      if (c === ')') {
        for (let depth = 1; depth && --i >= 0; ) depth += text[i] === ')' ? 1 : text[i] === '(' ? -1 : 0;
      } else if (/\w/.test(c)) {
        while (i > 0 && /\w/.test(text[i - 1])) i--;
      } else break;
      operand = false;
    } else if (c === '(') {
      if (/\w/.test(text.slice(0, i).trimEnd().slice(-1))) break; // a call's or an if's parenthesis
    } else if (c === '~') continue;
    else if (single(i, '|')) operand = true;
    else if (single(i, '&') || (c === '=' && text[i - 1] === '&')) return true;
    else break;
  }
  // Rightwards: expecting an operator (`|`, `&`, a closing group), or after `|` an operand.
  operand = false;
  for (let j = token.end; j < text.length; j++) {
    const c = text[j];
    if (/\s/.test(c)) continue;
    if (operand) {
      if (c === '(') {
        for (let depth = 1; depth && ++j < text.length; ) depth += text[j] === '(' ? 1 : text[j] === ')' ? -1 : 0;
      } else if (c === '~') continue;
      else if (/\w/.test(c)) {
        while (j + 1 < text.length && /\w/.test(text[j + 1])) j++;
      } else return false;
      operand = false;
    } else if (c === ')') continue;
    else if (single(j, '|') && text[j + 1] !== '=') operand = true;
    else return single(j, '&') && text[j + 1] !== '=';
  }
  return false;
}

/** `!p`, `p == NULL`, `NULL == p`, `p != 0`, `p`, `!(p = f(...))`, `unlikely(!p)`, and those inside `&&`/`||`. */
export function testsNull(facts: FileFacts, e: Expr, v: string): boolean {
  const same = (x: Expr) => (x.k === 'assign' ? squash(x.name) === v : squash(textOf(facts, x.span)) === v);
  const isNull = (x: Expr) => ((x.k === 'id' || x.k === 'other') && squash(textOf(facts, x.span)) === 'NULL') || (x.k === 'num' && x.value === 0);
  switch (e.k) {
    case 'un':
      return e.op === '!' && (same(e.e) || testsNull(facts, e.e, v));
    case 'bin':
      if (e.op === '==' || e.op === '!=') return (same(e.l) && isNull(e.r)) || (same(e.r) && isNull(e.l));
      if (e.op === '&&' || e.op === '||') return testsNull(facts, e.l, v) || testsNull(facts, e.r, v);
      return false;
    case 'call':
      return /^(unlikely|likely|IS_ERR_OR_NULL)$/.test(e.name) && e.args.some((a) => testsNull(facts, a, v));
    case 'id':
    case 'field':
    case 'assign':
      return same(e);
    default:
      return false;
  }
}

/** Conditions (if, loops, `?:` not included) at or after `from` in source order. */
function conditions(fn: FunctionFacts): { span: Span; expr: Expr }[] {
  const out: { span: Span; expr: Expr }[] = [];
  for (const s of statementsOf(fn)) {
    if (s.k === 'if' || s.k === 'switch') out.push(s.cond);
    else if (s.k === 'loop' && s.cond) out.push(s.cond);
  }
  return out.sort((a, b) => a.span.start - b.span.start);
}

/** True when the result of `call` (assigned to a variable) is tested against NULL after the call. */
export function nullCheckFollows(facts: FileFacts, fn: FunctionFacts, call: CallEvent): boolean {
  if (!call.assignTo) {
    // `if (!(p = kmalloc(...)))`: the call sits inside the condition.
    return conditions(fn).some((c) => c.span.start <= call.span.start && call.span.end <= c.span.end && c.expr.k !== 'other' && condTestsCall(c.expr, call));
  }
  const v = squash(call.assignTo);
  const reassigned = assignsOf(fn)
    .filter((a) => squash(a.name) === v && a.span.start > call.span.end)
    .map((a) => a.span.start);
  const limit = reassigned.length ? Math.min(...reassigned) : Number.MAX_SAFE_INTEGER;
  return conditions(fn).some((c) => c.span.end > call.span.start && c.span.start < limit && testsNull(facts, c.expr, v));
}

function condTestsCall(e: Expr, call: CallEvent): boolean {
  if (e.k === 'un' && e.op === '!') return condTestsCall(e.e, call);
  if (e.k === 'assign') return e.value.span.start <= call.span.start && call.span.end <= e.value.span.end;
  if (e.k === 'call') return e.span.start === call.span.start || (/^(unlikely|likely)$/.test(e.name) && e.args.some((a) => condTestsCall(a, call)));
  if (e.k === 'bin' && (e.op === '==' || e.op === '&&' || e.op === '||')) return condTestsCall(e.l, call) || condTestsCall(e.r, call);
  return false;
}

export const assignsOf = (fn: FunctionFacts) => assignmentsOf(fn);

export function stmtEffects(s: Stmt): { calls: CallEvent[]; assigns: { name: string; value: Expr; span: Span }[] } {
  if (s.k === 'expr' || s.k === 'return') return s;
  if (s.k === 'if' || s.k === 'switch') return s.cond;
  if (s.k === 'loop' && s.cond) return s.cond;
  return { calls: [], assigns: [] };
}

/** Identifier names mentioned anywhere in an expression (including call arguments and field bases). */
export function mentions(e: Expr, name: string): boolean {
  switch (e.k) {
    case 'id':
      return e.name === name;
    case 'bin':
      return mentions(e.l, name) || mentions(e.r, name);
    case 'un':
    case 'addr':
      return mentions(e.e, name);
    case 'cond':
      return mentions(e.c, name) || mentions(e.t, name) || mentions(e.f, name);
    case 'call':
      return e.args.some((a) => mentions(a, name));
    case 'assign':
      return e.name === name || mentions(e.value, name);
    case 'field':
      return mentions(e.base, name);
    default:
      return e.k === 'other' && new RegExp(`\\b${name.replace(/\W/g, '\\$&')}\\b`).test(e.text);
  }
}

/** Calls of a function inside [from, to). */
export function callsBetween(calls: CallEvent[], from: number, to = Number.MAX_SAFE_INTEGER): CallEvent[] {
  return calls.filter((c) => c.span.start >= from && c.span.start < to);
}
