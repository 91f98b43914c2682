import { statementsOf, type CallEvent, type Expr, type FunctionFacts, type Stmt } from '../facts/ir';
import { decodeGfp, GFP_BITS } from '../gfp/flags';
import { ALLOC_API, ALLOC_NAMES } from '../kernel/alloc-api';
import type { SharedAnalyses } from '../context/shared';
import { indentAt } from '../text/lines';
import type { Finding, Rule } from './types';

/** Calls whose first argument is written through: using an unchecked pointer there is a dereference. */
const WRITES_THROUGH_ARG0 = new Set(['memset', 'memcpy', 'memmove', 'strcpy', 'strncpy', 'sprintf', 'snprintf', 'copy_from_user', '__copy_from_user', 'strcat']);

/** A condition that tests `v` against NULL (`!v`, `v == NULL`, `v`, `unlikely(!v)`, `!(v = f())`). */
export function testsNull(e: Expr, v: string): boolean {
  switch (e.k) {
    case 'id':
      return e.name === v;
    case 'assign':
      return e.name === v;
    case 'un':
      return testsNull(e.e, v);
    case 'bin':
      return testsNull(e.l, v) || testsNull(e.r, v);
    case 'call':
      return ['likely', 'unlikely', 'IS_ERR_OR_NULL', 'BUG_ON', 'WARN_ON'].includes(e.name) && e.args.some((a) => testsNull(a, v));
    case 'field':
      return false;
    default:
      return false;
  }
}

interface Use {
  kind: 'deref' | 'check' | 'reassign' | 'escape';
  span: { start: number; end: number };
}

function firstUse(fn: FunctionFacts, v: string, after: number): Use | null {
  let best: Use | null = null;
  const consider = (u: Use) => {
    if (u.span.start > after && (!best || u.span.start < best.span.start)) best = u;
  };
  for (const s of statementsOf(fn)) {
    const cond = s.k === 'if' || s.k === 'switch' ? s.cond : s.k === 'loop' ? s.cond : null;
    if (cond && testsNull(cond.expr, v)) consider({ kind: 'check', span: cond.span });
    const eff = s.k === 'expr' || s.k === 'return' ? s : cond;
    if (!eff) continue;
    for (const d of eff.derefs) if (d.name === v) consider({ kind: 'deref', span: d.span });
    for (const c of eff.calls) {
      const a0 = c.args[0];
      if (WRITES_THROUGH_ARG0.has(c.name) && a0?.k === 'id' && a0.name === v) consider({ kind: 'deref', span: a0.span });
      if (c.name === 'BUG_ON' && c.args.some((a) => testsNull(a, v))) consider({ kind: 'check', span: c.span });
    }
    for (const a of eff.assigns) if (a.name === v) consider({ kind: 'reassign', span: a.span });
    if (s.k === 'return' && s.derefs.length === 0 && s.calls.length === 0) {
      /* `return p;` hands the check to the caller */
    }
  }
  return best;
}

function canReturnNull(call: CallEvent, fn: FunctionFacts, shared: SharedAnalyses): string | null {
  const api = Object.hasOwn(ALLOC_API, call.name) ? ALLOC_API[call.name] : undefined;
  if (!api || api.family === 'other') return null;
  if (api.maskArg < 0) return call.name === 'vmalloc' || call.name === 'vmalloc_32' ? `${call.name}() returns NULL when it cannot map the area` : null;
  const mask = shared.mask(call, api.maskArg, fn);
  if (mask.unknown || !mask.values.length) return null;
  if (mask.values.every((v) => (v & GFP_BITS.__GFP_NOFAIL) !== 0)) return null;
  if (call.name === 'mempool_alloc') {
    // With __GFP_WAIT, mempool_alloc() waits for an element instead of failing (mm/mempool.c).
    if (mask.values.every((v) => decodeGfp(v).canSleep)) return null;
    return 'mempool_alloc() with a mask that cannot sleep returns NULL once the reserve is empty';
  }
  return `${call.name}() returns NULL when memory is short`;
}

interface Candidate {
  s: Stmt;
  call: CallEvent;
  v: string;
  use: Use;
}

// Depends on the function's IR alone (whether the allocation can fail depends on the file: checked per analysis).
const candidates = new WeakMap<FunctionFacts, Candidate[]>();

/** Allocator results assigned to a variable whose first use after the call is a dereference. */
function derefsAfterAllocation(fn: FunctionFacts): Candidate[] {
  let list = candidates.get(fn);
  if (list) return list;
  list = [];
  for (const s of statementsOf(fn)) {
    if (s.k !== 'expr') continue;
    for (const call of s.calls) {
      const v = call.assignTo;
      if (!v || !Object.hasOwn(ALLOC_API, call.name) || !/^[A-Za-z_]\w*$/.test(v)) continue;
      const use = firstUse(fn, v, s.span.end - 1);
      if (use && use.kind === 'deref') list.push({ s, call, v, use });
    }
  }
  candidates.set(fn, list);
  return list;
}

function returnSkeleton(fn: FunctionFacts): string {
  const t = fn.returnType.replace(/\b(static|inline|__inline__|extern|const)\b/g, '').trim();
  if (t === 'void') return 'return;';
  if (t.includes('*')) return 'return NULL;';
  return 'return -ENOMEM;';
}

export const mempoolAllocUnchecked: Rule = {
  id: 'mempool-alloc-unchecked',
  severity: 'warning',
  deprecated: false,
  summary: 'an allocation that can fail is used without a NULL check',
  triggers: ALLOC_NAMES,
  usesContext: false,
  check({ facts, shared }) {
    const out: Omit<Finding, 'rule' | 'severity'>[] = [];
    for (const fn of facts.functions) {
      for (const { s, call, v, use } of derefsAfterAllocation(fn)) {
        const why = canReturnNull(call, fn, shared);
        if (!why) continue;
        const indent = indentAt(facts.text, s.span.start);
        let end = s.span.end;
        while (end < facts.text.length && facts.text[end] !== '\n') end++;
        const comment = facts.text.slice(s.span.end, end);
        // Insert after the statement (and a trailing comment on its line).
        const at = /^\s*(\/\*.*\*\/|\/\/.*)?\s*$/.test(comment) ? end : s.span.end;
        out.push({
          message: `${why}; ${v} is dereferenced without a NULL check`,
          span: call.nameSpan,
          tags: [],
          related: [{ message: `${v} is used here without a check`, span: use.span }],
          fixes: [{ title: `Insert a NULL check for ${v}`, edits: [{ start: at, end: at, newText: `\n${indent}if (!${v})\n${indent}\t${returnSkeleton(fn)}` }] }],
        });
      }
    }
    return out;
  },
};
