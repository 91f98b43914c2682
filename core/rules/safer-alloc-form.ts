import { allCalls, type CallEvent, type Expr, type Stmt } from '../facts/ir';
import type { FileFacts } from '../facts/file-facts';
import { kbChange } from '../kernel/kb';
import type { KbChange } from '../kernel/kb-replacements';
import { addedIn, compareReleases } from '../kernel/target';
import { lineStartOf } from '../text/lines';
import type { Span } from '../text/span';
import { defineRule } from './define';
import { squash } from './support/mask-edit';
import { normalizeLvalue } from './support/null-tests';
import type { RuleReport, TextEdit } from './types';

/**
 * The safer forms of each allocator, by what the 2.4 code spells out. Each form is a KB_CHANGES 'added' entry
 * (core/kernel/kb-replacements.ts: the release it landed in, the first release of the table that declares it,
 * read from include/linux/slab.h and include/linux/vmalloc.h), so a form is offered only on targets that have it.
 */
const FORMS: Readonly<Record<string, { zeroed: string; zeroedArray?: string; array?: string }>> = {
  /** kmalloc(size) + memset 0 → kzalloc (2.6.14); kmalloc(n * size) + memset → kcalloc (2.6.10); kmalloc(n * size) → kmalloc_array (3.4). */
  kmalloc: { zeroed: 'kzalloc', zeroedArray: 'kcalloc', array: 'kmalloc_array' },
  /** vmalloc(size) + memset 0 → vzalloc (2.6.37). */
  vmalloc: { zeroed: 'vzalloc' },
};

const ALL_FORMS = Object.values(FORMS).flatMap((f) => [f.zeroed, f.zeroedArray, f.array].filter((n): n is string => !!n));

/** The first release of the table where any form exists: below it the rule is off. */
const FIRST_FORM = ALL_FORMS.map((n) => kbChange(n)!.offeredFrom).sort(compareReleases)[0];

/**
 * A product operand that cannot make it overflow at run time: built of literals, `sizeof`s and upper-case
 * constants only (`(FD_MAX_SECTORS + 1)`, `2 * PAGE_SIZE`).
 */
function isConstant(operand: string): boolean {
  const rest = operand.replace(/\bsizeof\s*\((?:[^()]|\([^()]*\))*\)|\bsizeof\s+[\w.>-]+/g, '0');
  return /^[\w\s()+\-*/<>|&~]*$/.test(rest) && (rest.match(/[A-Za-z_]\w*|\d\w*/g) ?? []).every((t) => /^\d/.test(t) || /^[A-Z_][A-Z0-9_]*$/.test(t));
}

/** The statement lists of a function (block bodies, switch cases), where "the next statement" is defined. */
function* lists(s: Stmt): Generator<Stmt[]> {
  if (s.k === 'block') {
    yield s.body;
    for (const c of s.body) yield* lists(c);
  } else if (s.k === 'if') {
    yield* lists(s.then);
    if (s.else) yield* lists(s.else);
  } else if (s.k === 'loop') yield* lists(s.body);
  else if (s.k === 'switch') {
    yield s.cases;
    for (const c of s.cases) yield* lists(c);
  }
}

/** The arguments of a call as written (trimmed spans), split at its top-level commas; null if the text does not pair up. */
function argSpans(text: string, call: CallEvent): Span[] | null {
  const open = text.indexOf('(', call.nameSpan.end);
  if (open < 0 || open >= call.span.end || text[call.span.end - 1] !== ')') return null;
  const out: Span[] = [];
  let depth = 0;
  let from = open + 1;
  const push = (end: number) => {
    const raw = text.slice(from, end);
    const start = from + (raw.length - raw.trimStart().length);
    out.push({ start, end: end - (raw.length - raw.trimEnd().length) });
  };
  for (let i = open + 1; i < call.span.end - 1; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < call.span.end - 1 && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth < 0) return null;
    } else if (c === ',' && depth === 0) {
      push(i);
      from = i + 1;
    }
  }
  if (depth !== 0) return null;
  push(call.span.end - 1);
  return out;
}

/** `span` without the balanced parentheses around all of it: `(n * m)` → `n * m`. */
function unparen(text: string, span: Span): Span {
  let { start, end } = span;
  while (text[start] === '(' && text[end - 1] === ')') {
    let depth = 0;
    let whole = true;
    for (let i = start; i < end - 1; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')') depth--;
      if (depth === 0) {
        whole = false;
        break;
      }
    }
    if (!whole) break;
    const inner = text.slice(start + 1, end - 1);
    start += 1 + (inner.length - inner.trimStart().length);
    end -= 1 + (inner.length - inner.trimEnd().length);
  }
  return { start, end };
}

/** A size argument that is exactly `count * size` (no third factor, no cast around the product): the two operands as written. */
function productOf(text: string, size: Expr, arg: Span): { count: string; size: string } | null {
  if (size.k !== 'bin' || size.op !== '*') return null;
  const inner = unparen(text, arg);
  if (inner.start !== size.span.start || inner.end !== size.span.end) return null;
  if ([size.l, size.r].some((e) => e.k === 'bin' && (e.op === '*' || e.op === '/'))) return null;
  // Between the left operand and the right one: the left's closing parentheses, then the operator.
  const op = text.indexOf('*', size.l.span.end);
  if (op < 0 || op >= size.r.span.start) return null;
  const a = text.slice(size.span.start, op).trim();
  const b = text.slice(op + 1, size.span.end).trim();
  // The count first, the element size second, as kmalloc_array(n, size, flags) and kcalloc declare them.
  return /^sizeof\b/.test(a) && !/^sizeof\b/.test(b) ? { count: b, size: a } : { count: a, size: b };
}

const isNull = (text: string, e: Expr) => (e.k === 'num' && e.value === 0) || squash(text.slice(e.span.start, e.span.end)) === 'NULL';
const isLvalue = (text: string, e: Expr, p: string) =>
  (e.k === 'id' || e.k === 'field' || e.k === 'un') && normalizeLvalue(text.slice(e.span.start, e.span.end)) === p;

/** A condition that is only "p is NULL" (`!p`, `p == NULL`, `NULL == p`, `unlikely(!p)`); `p` may be assigned in it (`!(p = kmalloc(…))`). */
function testsOnlyNull(text: string, e: Expr, p: string, assigned?: CallEvent): boolean {
  const isP = (x: Expr) =>
    assigned
      ? x.k === 'assign' && normalizeLvalue(x.name) === p && x.value.span.start <= assigned.span.start && assigned.span.end <= x.value.span.end
      : isLvalue(text, x, p);
  if (e.k === 'un' && e.op === '!') return isP(e.e);
  if (e.k === 'bin' && e.op === '==') return (isP(e.l) && isNull(text, e.r)) || (isP(e.r) && isNull(text, e.l));
  if (e.k === 'call' && e.name === 'unlikely' && e.args.length === 1) return testsOnlyNull(text, e.args[0], p, assigned);
  return false;
}

/** A condition that is only "p is not NULL" (`p`, `p != NULL`, `NULL != p`, `likely(p)`). */
function testsOnlyNonNull(text: string, e: Expr, p: string): boolean {
  if (isLvalue(text, e, p)) return true;
  if (e.k === 'bin' && e.op === '!=') return (isLvalue(text, e.l, p) && isNull(text, e.r)) || (isLvalue(text, e.r, p) && isNull(text, e.l));
  if (e.k === 'call' && e.name === 'likely' && e.args.length === 1) return testsOnlyNonNull(text, e.args[0], p);
  return false;
}

/** A statement that never falls through to the next one: return, goto, break, continue, or a block ending in one. */
function leaves(s: Stmt): boolean {
  if (s.k === 'return' || s.k === 'goto' || s.k === 'break' || s.k === 'continue') return true;
  return s.k === 'block' && s.body.length > 0 && leaves(s.body[s.body.length - 1]);
}

/** `memset(p, 0, size);` as a statement of its own, zeroing exactly `size` bytes at `p` (a cast of `p` allowed). */
function zeroes(facts: FileFacts, s: Stmt | undefined, p: string, size: string): boolean {
  if (s?.k !== 'expr' || s.calls.length !== 1 || s.assigns.length) return false;
  const m = s.calls[0];
  if (m.name !== 'memset' || m.args.length !== 3) return false;
  const text = facts.text;
  if (squash(text.slice(s.span.start, s.span.end)) !== `${squash(text.slice(m.span.start, m.span.end))};`) return false;
  const args = argSpans(text, m);
  if (args?.length !== 3) return false;
  const [dst, value, bytes] = args.map((a) => squash(text.slice(a.start, a.end)));
  const target = dst.replace(/^\(\w+\**\)(?=.)/, '').replace(/^\((.*)\)$/, '$1');
  return normalizeLvalue(target) === p && (value === '0' || value === "'\\0'") && squash(unparenText(bytes)) === squash(unparenText(size));
}

const unparenText = (t: string) => t.slice(unparen(t, { start: 0, end: t.length }).start, unparen(t, { start: 0, end: t.length }).end);

/** The edit that removes a statement, with its line when nothing else is on it (a trailing comment goes with it). */
function removeStatement(text: string, s: Stmt): TextEdit {
  const lineStart = lineStartOf(text, s.span.start);
  const nl = text.indexOf('\n', s.span.end);
  const lineEnd = nl === -1 ? text.length : nl;
  if (/^\s*$/.test(text.slice(lineStart, s.span.start)) && /^\s*(\/\*.*?\*\/\s*)?$/.test(text.slice(s.span.end, lineEnd)))
    return { start: lineStart, end: nl === -1 ? text.length : nl + 1, newText: '' };
  return { start: s.span.start, end: s.span.end, newText: '' };
}

/** An allocation whose result is stored in `p` and the statement that zeroes it, if the next thing done with `p` is to zero it. */
interface Zeroing {
  call: CallEvent;
  /** The statement removed by the fix: the memset(), or the `if (p) memset(…);` around it. */
  remove: Stmt;
  memset: CallEvent;
}

/**
 * The memset() that zeroes the memory of an allocation stored in `p` right away, in the statements after it
 * (`list[i]` is the allocation): after a NULL check that leaves (`if (!p) return …;`), or guarded by a test that
 * `p` is not NULL (`if (p) memset(…);`). The check must test nothing else, so no statement runs in between.
 */
function zeroingAfter(facts: FileFacts, list: Stmt[], i: number, call: CallEvent, p: string, size: string, checked: boolean): Zeroing | null {
  const text = facts.text;
  const next = list[i + 1];
  const memsetOf = (s: Stmt): CallEvent => (s as Extract<Stmt, { k: 'expr' }>).calls[0];
  if (checked) return zeroes(facts, next, p, size) ? { call, remove: next, memset: memsetOf(next) } : null;
  if (next?.k !== 'if' || next.else || next.cond.calls.length || next.cond.assigns.length) return null;
  if (testsOnlyNull(text, next.cond.expr, p) && leaves(next.then)) {
    const after = list[i + 2];
    return zeroes(facts, after, p, size) ? { call, remove: after, memset: memsetOf(after) } : null;
  }
  if (testsOnlyNonNull(text, next.cond.expr, p)) {
    const body = next.then.k === 'block' ? next.then.body : [next.then];
    if (!zeroes(facts, body[0], p, size)) return null;
    // The memset alone in the branch: the whole `if` goes; else only the memset.
    return { call, remove: body.length === 1 ? next : body[0], memset: memsetOf(body[0]) };
  }
  return null;
}

/** Allocations stored in a variable then zeroed, in every statement list of a function. */
function zeroings(facts: FileFacts, body: Stmt): Zeroing[] {
  const out: Zeroing[] = [];
  for (const list of lists(body)) {
    list.forEach((s, i) => {
      // `p = kmalloc(size, flags);` or `if (!(p = kmalloc(size, flags))) return …;`: the only call of the statement.
      const calls = s.k === 'expr' ? s.calls : s.k === 'if' ? s.cond.calls : [];
      if (calls.length !== 1) return;
      const call = calls[0];
      if (!Object.hasOwn(FORMS, call.name) || !call.assignTo) return;
      const p = normalizeLvalue(call.assignTo);
      const args = argSpans(facts.text, call);
      if (!args?.length) return;
      const size = facts.text.slice(args[0].start, args[0].end);
      if (s.k === 'if') {
        if (s.else || !testsOnlyNull(facts.text, s.cond.expr, p, call) || !leaves(s.then)) return;
        const z = zeroingAfter(facts, list, i, call, p, size, true);
        if (z) out.push(z);
      } else {
        const z = zeroingAfter(facts, list, i, call, p, size, false);
        if (z) out.push(z);
      }
    });
  }
  return out;
}

/**
 * Later kernels have allocation calls that do what 2.4 code spells out by hand, and check what it does not:
 * kzalloc, kcalloc, kmalloc_array, vzalloc. A suggestion, on targets that have the form (KB_CHANGES 'added').
 */
export const saferAllocForm = defineRule({
  id: 'safer-alloc-form',
  severity: 'hint',
  deprecated: false,
  summary: 'kmalloc(n * size), and kmalloc or vmalloc then memset 0: the target has kmalloc_array, kcalloc, kzalloc, vzalloc',
  matches: { calls: Object.keys(FORMS) },
  fixable: 'code',
  fromTarget: FIRST_FORM,
  messages: {
    array:
      'kmalloc() of a product that can overflow: `kmalloc_array({{count}}, {{size}}, …)` (since {{release}}; your target is {{target}}) returns NULL when `{{count}} * {{size}}` overflows, where kmalloc() allocates a short buffer.',
    zeroedArray:
      'kmalloc() of a product, then memset() of it to 0: `kcalloc({{count}}, {{size}}, …)` (since {{release}}; your target is {{target}}) zeroes the memory and returns NULL when the product overflows.',
    zeroed:
      '{{alloc}}() then memset() of all its `{{bytes}}` bytes to 0: `{{call}}` (since {{release}}; your target is {{target}}) allocates zeroed memory in one call.',
  },
  check({ facts, env }) {
    const target = env.target;
    if (!target) return [];
    const has = (name: string | undefined): KbChange | undefined => (name ? addedIn(name, target) : undefined);
    const release = (c: KbChange) => c.release ?? c.offeredFrom;
    const text = facts.text;
    const out: RuleReport<'array' | 'zeroedArray' | 'zeroed'>[] = [];
    for (const fn of facts.functions) {
      // A body rebuilt from error recovery may have lost the `if` around a statement: "the next statement" is unsure.
      if (fn.recovered) continue;
      // Most functions of a file that holds an allocation hold none: no statement walk for them.
      const calls = allCalls(fn).filter((c) => Object.hasOwn(FORMS, c.name));
      if (!calls.length) continue;
      const zeroed = new Map(zeroings(facts, fn.body).map((z) => [z.call.nameSpan.start, z]));
      for (const call of calls) {
        const forms = FORMS[call.name];
        const args = forms && argSpans(text, call);
        if (!forms || !args || args.length !== call.args.length || !call.args.length) continue;
        const sizeText = text.slice(args[0].start, args[0].end);
        const product = productOf(text, call.args[0], args[0]);
        const overflows = !!product && !(isConstant(product.count) && isConstant(product.size));
        const z = zeroed.get(call.nameSpan.start);
        const rest = args.slice(1).map((a) => text.slice(a.start, a.end));
        const edits: TextEdit[] = [];
        let form: string;
        let change: KbChange | undefined;
        let report: { messageId: 'array' | 'zeroedArray' | 'zeroed'; data: Record<string, string> };
        if (z && product && overflows && (change = has(forms.zeroedArray))) {
          form = forms.zeroedArray!;
          report = { messageId: 'zeroedArray', data: { count: product.count, size: product.size, release: release(change), target } };
        } else if (z && (change = has(forms.zeroed))) {
          form = forms.zeroed;
          report = {
            messageId: 'zeroed',
            data: { alloc: call.name, bytes: sizeText, call: `${form}(${[sizeText, ...rest.map(() => '…')].join(', ')})`, release: release(change), target },
          };
        } else if (product && overflows && (change = has(forms.array))) {
          form = forms.array!;
          report = { messageId: 'array', data: { count: product.count, size: product.size, release: release(change), target } };
        } else continue;
        const split = form === forms.zeroedArray || form === forms.array;
        edits.push({ ...call.nameSpan, newText: form });
        if (split && product) edits.push({ ...args[0], newText: `${product.count}, ${product.size}` });
        const zeroing = form !== forms.array;
        if (zeroing && z) edits.push(removeStatement(text, z.remove));
        const newCall = `${form}(${[split && product ? `${product.count}, ${product.size}` : sizeText, ...rest].join(', ')})`;
        out.push({
          ...report,
          span: call.nameSpan,
          tags: [],
          related: zeroing && z ? [{ message: 'the memset() it makes unnecessary', span: z.memset.span }] : [],
          fixes: [{ title: `Use ${newCall}${zeroing ? ' and drop the memset()' : ''}`, edits, preferred: true }],
        });
      }
    }
    return out;
  },
});
