/**
 * Evaluates a GFP mask expression at a call site: named flags, #define chains (this file, then the
 * local headers the adapter hands in), local variables assigned once, `|`, `&`, `~`, casts, and
 * `cond ? a : b` (both values kept). Unknown stays unknown: nothing is guessed.
 */
import type { FileFacts } from '../facts/file-facts';
import type { Expr, FunctionFacts } from '../facts/ir';
import { assignmentsOf } from '../facts/ir';
import type { Span } from '../text/span';
import { gfpValueOf, GONE_IN_26 } from './flags';

export interface MaskStep {
  name: string;
  /** Where the name is defined (in `file`, or this file when absent). */
  span?: Span;
  file?: string;
}

export interface MaskResult {
  /** Every value the mask can take (two for `in_interrupt() ? GFP_ATOMIC : GFP_KERNEL`). Empty when unknown. */
  values: number[];
  unknown: string | null;
  /** 2.4-only names met on the way (GFP_BUFFER). */
  gone: string[];
  /** The #defines and variables followed, outermost first. */
  chain: MaskStep[];
}

export interface HeaderDefine {
  value: string;
  file: string;
  /** The name's span in the header's text, and its 1-based line. */
  span?: Span;
  line?: number;
}

export interface MaskEnv {
  facts: FileFacts;
  fn?: FunctionFacts;
  /** Offset of the call: a variable's assignment must come before it. */
  at?: number;
  /** #defines from local headers (`#include "foo.h"`), resolved by the adapter. */
  headerDefine?: (name: string) => HeaderDefine | undefined;
  /** Known values of this function's parameters (from its callers). */
  params?: Map<string, MaskResult>;
}

const unknown = (reason: string, chain: MaskStep[] = []): MaskResult => ({ values: [], unknown: reason, gone: [], chain });

function combine(a: MaskResult, b: MaskResult, op: (x: number, y: number) => number): MaskResult {
  if (a.unknown) return a;
  if (b.unknown) return b;
  const values = new Set<number>();
  for (const x of a.values) for (const y of b.values) values.add(op(x, y));
  return { values: [...values].slice(0, 8), unknown: null, gone: [...a.gone, ...b.gone], chain: [...a.chain, ...b.chain] };
}

/** Mini parser for #define bodies, which tree-sitter leaves as raw text. */
export function parseMacroExpr(text: string, base: number): Expr | null {
  const tokens: { t: string; s: number; e: number }[] = [];
  const re = /\s+|\/\*[\s\S]*?\*\/|\/\/.*|([A-Za-z_]\w*|0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[|&~()])|(.)/g;
  for (const m of text.matchAll(re)) {
    if (m[2] !== undefined) return null; // an operator we do not evaluate
    if (m[1] !== undefined) tokens.push({ t: m[1], s: base + m.index!, e: base + m.index! + m[1].length });
  }
  let i = 0;
  const span = (s: number, e: number): Span => ({ start: s, end: e });
  const primary = (): Expr | null => {
    const tok = tokens[i];
    if (!tok) return null;
    if (tok.t === '(') {
      // A cast: `(gfp_t)`, `(__force gfp_t)`, `(unsigned int)`.
      let j = i + 1;
      while (tokens[j] && /^[A-Za-z_]\w*$/.test(tokens[j].t)) j++;
      if (j > i + 1 && tokens[j]?.t === ')' && tokens[j + 1] && tokens[j + 1].t !== '|' && tokens[j + 1].t !== '&' && tokens[j + 1].t !== ')') {
        i = j + 1;
        return unary();
      }
      i++;
      const inner = or();
      if (tokens[i]?.t !== ')') return null;
      i++;
      return inner;
    }
    i++;
    if (/^\d|^0[xX]/.test(tok.t)) {
      const v = Number.parseInt(tok.t.replace(/[uUlL]+$/, ''), /^0[xX]/.test(tok.t) ? 16 : /^0\d/.test(tok.t) ? 8 : 10);
      return { k: 'num', value: v, span: span(tok.s, tok.e) };
    }
    if (/^[A-Za-z_]/.test(tok.t)) return { k: 'id', name: tok.t, span: span(tok.s, tok.e) };
    return null;
  };
  const unary = (): Expr | null => {
    if (tokens[i]?.t === '~') {
      const s = tokens[i].s;
      i++;
      const e = unary();
      return e ? { k: 'un', op: '~', e, span: span(s, e.span.end) } : null;
    }
    return primary();
  };
  const binary = (next: () => Expr | null, op: string) => (): Expr | null => {
    let l = next();
    while (l && tokens[i]?.t === op) {
      i++;
      const r = next();
      if (!r) return null;
      l = { k: 'bin', op, l, r, span: span(l.span.start, r.span.end) };
    }
    return l;
  };
  const and = binary(unary, '&');
  const or = binary(and, '|');
  const e = or();
  return e && i === tokens.length ? e : null;
}

const CONTEXT_TESTS = /^(in_interrupt|in_atomic|in_irq|in_softirq|irqs_disabled|in_task)$/;

export function evaluateMask(expr: Expr, env: MaskEnv, depth = 0, seen = new Set<string>()): MaskResult {
  if (depth > 32) return unknown('macro nesting too deep');
  switch (expr.k) {
    case 'num':
      return { values: [expr.value], unknown: null, gone: [], chain: [] };
    case 'bin': {
      const l = evaluateMask(expr.l, env, depth + 1, seen);
      const r = evaluateMask(expr.r, env, depth + 1, seen);
      if (expr.op === '|') return combine(l, r, (x, y) => x | y);
      if (expr.op === '&') return combine(l, r, (x, y) => x & y);
      return unknown(`operator ${expr.op}`);
    }
    case 'un': {
      if (expr.op !== '~') return unknown(`operator ${expr.op}`);
      const e = evaluateMask(expr.e, env, depth + 1, seen);
      return e.unknown ? e : { ...e, values: e.values.map((v) => ~v) };
    }
    case 'cond': {
      const t = evaluateMask(expr.t, env, depth + 1, seen);
      const f = evaluateMask(expr.f, env, depth + 1, seen);
      if (t.unknown) return t;
      if (f.unknown) return f;
      return { values: [...new Set([...t.values, ...f.values])], unknown: null, gone: [...t.gone, ...f.gone], chain: [...t.chain, ...f.chain] };
    }
    case 'id':
      return evaluateName(expr.name, expr.span, env, depth, seen);
    case 'call':
      return unknown(CONTEXT_TESTS.test(expr.name) ? `depends on ${expr.name}()` : `value of ${expr.name}()`);
    default:
      return unknown('not a constant expression');
  }
}

function evaluateName(name: string, _span: Span, env: MaskEnv, depth: number, seen: Set<string>): MaskResult {
  const gone = GONE_IN_26[name];
  if (gone) return { values: [gone.valueFor24], unknown: null, gone: [name], chain: [] };
  // A local #define or variable shadows the kernel's name only when the file defines it.
  const local = env.facts.defineBefore(name, env.at);
  const builtin = gfpValueOf(name);
  if (local && builtin === undefined) {
    if (seen.has(name)) return unknown(`#define ${name} refers to itself`);
    const expr = local.valueSpan ? parseMacroExpr(local.value, local.valueSpan.start) : null;
    if (!expr) return unknown(`#define ${name} is not a mask expression`, [{ name, span: local.nameSpan }]);
    const r = evaluateMask(expr, env, depth + 1, new Set(seen).add(name));
    return { ...r, chain: [{ name, span: local.nameSpan }, ...r.chain] };
  }
  if (builtin !== undefined) return { values: [builtin], unknown: null, gone: [], chain: [] };
  const fromParam = env.params?.get(name);
  if (fromParam) return { ...fromParam, chain: [{ name }, ...fromParam.chain] };
  if (env.fn) {
    const assigned = variableValue(name, env.fn, env.at ?? Number.MAX_SAFE_INTEGER);
    if (assigned === 'many') return unknown(`${name} is assigned more than once`);
    // `gfp |= X`, `gfp &= ~X`: a compound assignment is not the variable's value.
    if (assigned && /[|&^+\-*/%<>]=\s*\(*\s*$/.test(env.facts.text.slice(assigned.span.start, Math.max(assigned.span.start, assigned.value.span.start))))
      return unknown(`${name} is updated in place`);
    if (assigned) {
      const r = evaluateMask(assigned.value, env, depth + 1, new Set(seen).add(name));
      return { ...r, chain: [{ name, span: assigned.span }, ...r.chain] };
    }
    if (env.fn.params.some((p) => p.name === name)) return unknown(`${name} is a parameter of ${env.fn.name}()`);
  }
  const header = env.headerDefine?.(name);
  if (header) {
    if (seen.has(name)) return unknown(`#define ${name} refers to itself`);
    const expr = parseMacroExpr(header.value, 0);
    if (!expr) return unknown(`#define ${name} (${header.file}) is not a mask expression`);
    // Spans inside a header's body are not offsets of this file: drop them.
    const r = evaluateMask(stripSpans(expr), env, depth + 1, new Set(seen).add(name));
    return { ...r, chain: [{ name, file: header.file, span: header.span }, ...r.chain] };
  }
  return unknown(`${name} is not known here`);
}

function stripSpans(e: Expr): Expr {
  return JSON.parse(JSON.stringify(e), (k, v) => (k === 'span' ? { start: -1, end: -1 } : v));
}

function variableValue(name: string, fn: FunctionFacts, before: number): { value: Expr; span: Span } | 'many' | null {
  let found: { value: Expr; span: Span } | null = null;
  let count = 0;
  for (const a of assignmentsOf(fn)) {
    if (a.name !== name) continue;
    count++;
    if (a.span.start < before) found = a;
  }
  if (count > 1) return 'many';
  return found;
}
