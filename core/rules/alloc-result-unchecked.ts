import type { FileFacts } from '../facts/file-facts';
import { statementsOf, type CallEvent, type Deref, type Effects, type Expr, type FunctionFacts, type Stmt } from '../facts/ir';
import { decodeGfp, GFP_BITS } from '../gfp/flags';
import { ALLOC_API, ALLOC_NAMES } from '../kernel/alloc-api';
import { nameTable } from '../kernel/name-table';
import { fileQuery, irQuery, type SharedAnalyses } from '../context/shared';
import type { AnalysisEnv } from '../context/env';
import { indentAt } from '../text/lines';
import type { Span } from '../text/span';
import { lvalueText, macroTestedParams, normalizeLvalue, testsNullOf, type MacroText } from './support/null-tests';
import type { Finding } from './types';
import { defineRule } from './define';

/**
 * Calls that read or write through some of their pointer arguments (indexes): handing them an unchecked
 * pointer, or `&p->f` of one, dereferences it. Linux 2.4.22 unless said otherwise.
 */
const DEREFERENCING_CALLS: Readonly<Record<string, { args: number[]; source: string }>> = nameTable({
  memset: { args: [0], source: 'lib/string.c' },
  memcpy: { args: [0, 1], source: 'lib/string.c' },
  memmove: { args: [0, 1], source: 'lib/string.c' },
  strcpy: { args: [0, 1], source: 'lib/string.c' },
  strncpy: { args: [0, 1], source: 'lib/string.c' },
  strcat: { args: [0, 1], source: 'lib/string.c' },
  sprintf: { args: [0], source: 'lib/vsprintf.c' },
  snprintf: { args: [0], source: 'lib/vsprintf.c' },
  copy_from_user: { args: [0], source: 'include/asm-i386/uaccess.h' },
  __copy_from_user: { args: [0], source: 'include/asm-i386/uaccess.h' },
  list_add: { args: [0, 1], source: 'include/linux/list.h (__list_add writes new->next, new->prev)' },
  list_add_tail: { args: [0, 1], source: 'include/linux/list.h (__list_add)' },
  INIT_LIST_HEAD: { args: [0], source: 'include/linux/list.h' },
  init_waitqueue_head: { args: [0], source: 'include/linux/wait.h' },
  spin_lock_init: { args: [0], source: 'include/asm-i386/spinlock.h' },
  init_MUTEX: { args: [0], source: 'include/asm-i386/semaphore.h (sema_init)' },
  init_timer: { args: [0], source: 'include/linux/timer.h' },
});

/** A pointer argument as a dereferencing call receives it: `p`, or `&p->f` / `&p[i]` (p plus an offset). */
function pointerArgBase(e: Expr): string | null {
  if (e.k === 'addr') {
    let x = e.e;
    while (x.k === 'field' && !x.arrow) x = x.base;
    if (x.k === 'field' && x.arrow) return lvalueText(x.base);
    // `&p[i]`: the IR keeps a subscript as text.
    if (x.k === 'other') return /^\s*([A-Za-z_]\w*)\s*\[/.exec(x.text)?.[1] ?? null;
    return null;
  }
  return lvalueText(e);
}

/** Events followed after an allocation before its first use is called unknown (no finding). */
const MAX_EVENTS_AFTER = 2000;

type UseKind = 'deref' | 'check' | 'reassign';

interface Use {
  kind: UseKind;
  span: Span;
  /** The alias the use is of (the allocated variable or one it was copied to). */
  name?: string;
}

/** What happens at a point after the allocation, in source order: `at` orders them. */
type Event =
  | { at: number; k: 'cond'; expr: Expr; span: Span }
  | { at: number; k: 'deref'; d: Deref }
  | { at: number; k: 'arg'; base: string; span: Span }
  | { at: number; k: 'macro'; call: CallEvent }
  | { at: number; k: 'assign'; name: string; value: Expr; span: Span };

function effectEvents(e: Effects, out: Event[]): void {
  for (const d of e.derefs) out.push({ at: d.span.start, k: 'deref', d });
  for (const c of e.calls) {
    const deref = DEREFERENCING_CALLS[c.name];
    if (deref)
      for (const i of deref.args) {
        const base = c.args[i] ? pointerArgBase(c.args[i]) : null;
        if (base !== null) out.push({ at: c.args[i].span.start, k: 'arg', base, span: c.args[i].span });
      }
    // A call whose arguments are tested after they are evaluated: assert-style calls and function-like macros.
    out.push({ at: c.span.end, k: 'macro', call: c });
  }
  // An assignment takes effect once its right side is evaluated (`p = p->next` reads p first).
  for (const a of e.assigns) out.push({ at: a.span.end, k: 'assign', name: normalizeLvalue(a.name), value: a.value, span: a.span });
}

/** Every event of a function, in source order, and the loops (while/for) whose condition comes again after the body. */
const eventsOf = irQuery('NULL-check events', (fn: FunctionFacts): Event[] => {
  const list: Event[] = [];
  for (const s of statementsOf(fn)) {
    const cond = s.k === 'if' || s.k === 'switch' ? s.cond : s.k === 'loop' ? s.cond : null;
    if (cond) {
      list.push({ at: cond.span.start, k: 'cond', expr: cond.expr, span: cond.span });
      effectEvents(cond, list);
      // A while/for condition is evaluated again after each run of the body: a check for what the body assigned.
      if (s.k === 'loop' && s.kind !== 'do') list.push({ at: s.body.span.end, k: 'cond', expr: cond.expr, span: cond.span });
    }
    if (s.k === 'expr' || s.k === 'return') effectEvents(s, list);
  }
  list.sort((a, b) => a.at - b.at);
  return list;
});

/** Whether a call tests one of `names` against NULL: an assert-style call, or a macro whose body tests that argument. */
function callTests(call: CallEvent, names: ReadonlySet<string>, macros: MacroLookup): boolean {
  if (testsNullOf({ k: 'call', name: call.name, args: call.args, span: call.span }, names)) return true;
  const m = macros.tested(call.name);
  return m !== null && [...m].some((i) => call.args[i] !== undefined && testsNullOf(call.args[i], names));
}

/** Function-like macros of the file (then its local headers) by name, with the parameters each tests, memoized. */
class MacroLookup {
  private cache = new Map<string, Set<number> | null>();
  private own: Map<string, MacroText> | undefined;
  constructor(
    private facts: FileFacts,
    private env: AnalysisEnv,
  ) {}

  private text(name: string): MacroText | undefined {
    if (!this.own) {
      this.own = new Map();
      for (const d of this.facts.defines) if (d.params !== null) this.own.set(d.name, { params: d.params, body: d.value });
    }
    return this.own.get(name) ?? this.env.headerMacro?.(name);
  }

  tested(name: string): Set<number> | null {
    if (this.cache.has(name)) return this.cache.get(name)!;
    const m = this.text(name);
    const set = m ? macroTestedParams(m, (n) => this.text(n)) : null;
    const result = set && set.size ? set : null;
    this.cache.set(name, result);
    return result;
  }
}

const macroLookup = fileQuery('function-like macros that test their arguments', (shared) => new MacroLookup(shared.facts, shared.env));

/**
 * The first thing that happens to the allocated pointer after the call, following its must-aliases
 * (`a = b = kmalloc()`, `dev->priv = lp = kmalloc()`, `*out = r = kmalloc()`, and later copies `q = p`):
 * a NULL test of any alias, a dereference of one, or the last alias overwritten.
 */
function firstUse(fn: FunctionFacts, s: Stmt, call: CallEvent, v: string, macros: MacroLookup, shared: SharedAnalyses): Use | null {
  const aliases = new Set([v]);
  const after = call.span.end;
  let seen = 0;
  for (const ev of shared.query(eventsOf, fn)) {
    if (ev.at <= after && !(ev.k === 'assign' && ev.at > call.span.start)) continue;
    // Past this many events the first use is left unknown: a huge generated function must not cost n².
    if (++seen > MAX_EVENTS_AFTER) return null;
    // Within the allocation's own statement only the assignment chain and calls wrapped around the call
    // (`try(p = kmalloc(…))`) count: where tree-sitter's recovery made one statement of several, a
    // dereference in it may follow a check that is not a condition there.
    if (ev.at < s.span.end && ev.k !== 'assign' && ev.k !== 'macro') continue;
    switch (ev.k) {
      case 'cond':
        if (ev.at > after && testsNullOf(ev.expr, aliases)) return { kind: 'check', span: ev.span };
        break;
      case 'deref': {
        if (!aliases.has(ev.d.name) || ev.d.addressOnly) break;
        if (ev.d.guards?.some((g) => testsNullOf(g, aliases))) return { kind: 'check', span: ev.d.span };
        return { kind: 'deref', span: ev.d.span, name: ev.d.name };
      }
      case 'arg':
        if (aliases.has(ev.base)) return { kind: 'deref', span: ev.span, name: ev.base };
        break;
      case 'macro':
        if (callTests(ev.call, aliases, macros)) return { kind: 'check', span: ev.call.span };
        break;
      case 'assign': {
        // The allocation's own assignment (and those around it in a chain) end after the call.
        if (ev.value.span.start === call.span.start && ev.value.span.end === call.span.end) break;
        const from = ev.value.k === 'assign' ? normalizeLvalue(ev.value.name) : lvalueText(ev.value);
        if (from !== null && aliases.has(from)) {
          aliases.add(ev.name);
          break;
        }
        if (ev.at <= after) break;
        // Overwritten: this alias, and those read through it (`dev = …` ends `dev->priv`), no longer hold the result.
        for (const a of [...aliases])
          if (a === ev.name || a.startsWith(`${ev.name}->`) || a.startsWith(`${ev.name}.`) || a === `*${ev.name}`) aliases.delete(a);
        if (![...aliases].some((a) => /^[A-Za-z_]\w*$/.test(a))) return { kind: 'reassign', span: ev.span };
        break;
      }
    }
  }
  return null;
}

function canReturnNull(call: CallEvent, fn: FunctionFacts, shared: SharedAnalyses): string | null {
  const api = Object.hasOwn(ALLOC_API, call.name) ? ALLOC_API[call.name] : undefined;
  if (!api || api.family === 'other') return null;
  if (api.maskArg < 0) return call.name === 'vmalloc' || call.name === 'vmalloc_32' ? `${call.name}() returns NULL when it cannot map the area` : null;
  const mask = shared.mask(call, api.maskArg, fn);
  if (mask.unknown || !mask.values.length) return null;
  if (mask.values.every((v) => (v & GFP_BITS.__GFP_NOFAIL) !== 0)) return null;
  if (call.name === 'mempool_alloc') {
    // With __GFP_WAIT, 2.6.11's mempool_alloc() waits for an element and retries (mm/mempool.c:229-238).
    if (mask.values.every((v) => decodeGfp(v).canSleep)) return null;
    return 'mempool_alloc() with a mask that cannot sleep returns NULL once the reserve is empty';
  }
  return `${call.name}() returns NULL when memory is short`;
}

interface Candidate {
  s: Stmt;
  call: CallEvent;
  v: string;
}

/** Allocator results assigned to a variable in an expression statement. */
// Depends on the function's IR alone (whether the allocation can fail, and macros, depend on the file).
const allocationsOf = irQuery('allocator results assigned to a variable', (fn: FunctionFacts): Candidate[] => {
  const list: Candidate[] = [];
  for (const s of statementsOf(fn)) {
    if (s.k !== 'expr') continue;
    for (const call of s.calls) {
      const v = call.assignTo;
      if (!v || !Object.hasOwn(ALLOC_API, call.name) || !/^[A-Za-z_]\w*$/.test(v)) continue;
      list.push({ s, call, v });
    }
  }
  return list;
});

/**
 * Whether an expression statement is several statements that tree-sitter's error recovery ran together
 * (a `;`, `{` or `}` outside parentheses before its end): what follows the allocation there, checks
 * included, is not in the IR as statements, and what comes after may belong to the next function.
 */
const runTogether = irQuery('statements run together by error recovery', (s: Stmt, facts): boolean => scanRunTogether(facts.text, s.span));

function scanRunTogether(text: string, span: Span): boolean {
  let depth = 0;
  for (let i = span.start; i < span.end - 1; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < span.end && text[i] !== c && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? span.end : e + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < span.end && text[i] !== '\n') i++;
    } else if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (depth === 0 && (c === ';' || c === '{' || c === '}')) return true;
  }
  return false;
}

function returnSkeleton(fn: FunctionFacts): string {
  const t = fn.returnType.replace(/\b(static|inline|__inline__|extern|const)\b/g, '').trim();
  if (t === 'void') return 'return;';
  if (t.includes('*')) return 'return NULL;';
  return 'return -ENOMEM;';
}

/** The id this rule had before 2.x: still accepted in settings, `--rule`, `--disable` and `kport-ignore`. */
export const ALLOC_RESULT_UNCHECKED_OLD_ID = 'mempool-alloc-unchecked';

export const allocResultUnchecked = defineRule({
  id: 'alloc-result-unchecked',
  severity: 'warning',
  deprecated: false,
  summary: 'an allocation that can fail is used without a NULL check',
  matches: { calls: ALLOC_NAMES },
  fixable: 'code',
  check({ facts, shared }) {
    const out: Omit<Finding, 'rule' | 'severity'>[] = [];
    for (const fn of facts.functions) {
      for (const { s, call, v } of shared.query(allocationsOf, fn)) {
        const why = canReturnNull(call, fn, shared);
        if (!why || shared.query(runTogether, s)) continue;
        const use = firstUse(fn, s, call, v, shared.query(macroLookup), shared);
        if (!use || use.kind !== 'deref') continue;
        const indent = indentAt(facts.text, s.span.start);
        let end = s.span.end;
        while (end < facts.text.length && facts.text[end] !== '\n') end++;
        const comment = facts.text.slice(s.span.end, end);
        // Insert after the statement (and a trailing comment on its line).
        const at = /^\s*(\/\*.*\*\/|\/\/.*)?\s*$/.test(comment) ? end : s.span.end;
        const used = use.name && use.name !== v ? `${use.name} (which holds ${v}'s value)` : v;
        out.push({
          message: `${why}; ${used} is dereferenced without a NULL check`,
          span: call.nameSpan,
          tags: [],
          related: [{ message: `${use.name ?? v} is used here without a check`, span: use.span }],
          fixes: [
            { title: `Insert a NULL check for ${v}`, edits: [{ start: at, end: at, newText: `\n${indent}if (!${v})\n${indent}\t${returnSkeleton(fn)}` }] },
          ],
        });
      }
    }
    return out;
  },
});
