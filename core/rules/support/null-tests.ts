/**
 * What counts as testing a pointer against NULL, for alloc-result-unchecked: conditions over its
 * must-aliases (`!p`, `p == NULL`, `!dev->priv`, `!*out`), assert-style calls, and function-like macros
 * whose body tests a parameter (`#define try(A) if ((A) == 0) goto fail;`), read from their text.
 */
import type { Expr } from '../../facts/ir';
import { nameTable } from '../../kernel/name-table';

/** `p`, `dev->priv`, `*out`, `s.buf` as written without blanks; null for anything else. */
export function lvalueText(e: Expr): string | null {
  switch (e.k) {
    case 'id':
      return e.name;
    case 'field': {
      const b = lvalueText(e.base);
      return b === null ? null : `${b}${e.arrow ? '->' : '.'}${e.field}`;
    }
    case 'un': {
      if (e.op !== '*') return null;
      const b = lvalueText(e.e);
      return b === null ? null : `*${b}`;
    }
    default:
      return null;
  }
}

/** An assignment's left side as the IR keeps it (source text), in lvalueText's form: `( *out )` → `*out`. */
export function normalizeLvalue(text: string): string {
  let t = text.replace(/\s+/g, '');
  while (/^\((.*)\)$/.test(t) && balanced(t.slice(1, -1))) t = t.slice(1, -1);
  return t;
}

function balanced(t: string): boolean {
  let d = 0;
  for (const c of t) {
    if (c === '(') d++;
    else if (c === ')' && --d < 0) return false;
  }
  return d === 0;
}

/**
 * Calls that test their arguments and stop (or warn) when one is false: a NULL test of the pointer the
 * author wrote as the check. Argument indexes tested; sources are Linux 2.4.22 unless said otherwise.
 */
export const ASSERT_CALLS: Readonly<Record<string, { args: number[]; source: string }>> = nameTable({
  BUG_ON: { args: [0], source: 'include/linux/kernel.h:197 (BUG() when the condition holds)' },
  WARN_ON: { args: [0], source: 'include/asm-generic/bug.h:29 (2.6.11; a warning, the check the author wrote)' },
  BUG_TRAP: { args: [0], source: 'include/linux/rtnetlink.h:593' },
  J_ASSERT: { args: [0], source: 'include/linux/jbd.h:247' },
  assert: { args: [0], source: 'fs/jfs/jfs_debug.h:44, drivers/net/8139too.c:142 (BUG() or printk when false)' },
  ASSERT: { args: [0], source: 'fs/jfs/jfs_debug.h:58, include/net/irda/irda.h:73' },
  likely: { args: [0], source: 'include/linux/compiler.h:13 (a condition wrapper)' },
  unlikely: { args: [0], source: 'include/linux/compiler.h:14 (a condition wrapper)' },
  IS_ERR_OR_NULL: { args: [0], source: 'include/linux/err.h (2.6.33 and later)' },
});

/** Whether `e`, as a condition, tests one of `names` (must-aliases of one pointer) against NULL. */
export function testsNullOf(e: Expr, names: ReadonlySet<string>): boolean {
  switch (e.k) {
    case 'id':
      return names.has(e.name);
    case 'assign':
      return names.has(normalizeLvalue(e.name));
    case 'field':
      return names.has(lvalueText(e) ?? '');
    case 'un': {
      const t = lvalueText(e);
      if (t !== null && names.has(t)) return true;
      return testsNullOf(e.e, names);
    }
    case 'bin':
      return testsNullOf(e.l, names) || testsNullOf(e.r, names);
    case 'cond':
      return testsNullOf(e.c, names);
    case 'call': {
      const a = ASSERT_CALLS[e.name];
      return !!a && a.args.some((i) => e.args[i] !== undefined && testsNullOf(e.args[i], names));
    }
    default:
      return false;
  }
}

export interface MacroText {
  params: string[];
  body: string;
}

const KEYWORDS = new Set(['if', 'while', 'for', 'do', 'switch', 'return', 'goto', 'sizeof', 'else', 'break', 'continue', 'case', 'default']);
const TYPE_WORDS = new Set(['void', 'char', 'short', 'int', 'long', 'unsigned', 'signed', 'const', 'volatile', 'struct', 'union', 'enum', 'float', 'double']);

interface Tok {
  t: string;
  s: number;
}

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  const re =
    /\s+|\/\*[\s\S]*?\*\/|\/\/.*|("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|([A-Za-z_]\w*|0[xX][0-9a-fA-F]+\w*|\d+\w*|->|\+\+|--|==|!=|<=|>=|&&|\|\||<<|>>|##|[-+*/%&|^~!<>?:,.()[\]{};#=])|(.)/g;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) out.push({ t: '"', s: m.index! });
    else if (m[2] !== undefined) out.push({ t: m[2], s: m.index! });
  }
  return out;
}

const BINARY: [string[], number][] = [
  [['||'], 1],
  [['&&'], 2],
  [['|'], 3],
  [['^'], 4],
  [['&'], 5],
  [['==', '!='], 6],
  [['<', '>', '<=', '>='], 7],
  [['<<', '>>'], 8],
  [['+', '-'], 9],
  [['*', '/', '%'], 10],
];
const PRECEDENCE = new Map(BINARY.flatMap(([ops, p]) => ops.map((o) => [o, p] as [string, number])));

/** A small C expression parser over tokens, for macro bodies (tree-sitter leaves them as text). */
class ExprParser {
  i = 0;
  constructor(private toks: Tok[]) {}

  private span(s: number) {
    return { start: s, end: s };
  }

  expr(): Expr | null {
    const c = this.binary(1);
    if (!c || this.toks[this.i]?.t !== '?') return c;
    this.i++;
    const t = this.expr();
    if (!t || this.toks[this.i]?.t !== ':') return null;
    this.i++;
    const f = this.expr();
    return f ? { k: 'cond', c, t, f, span: c.span } : null;
  }

  private binary(min: number): Expr | null {
    let l = this.unary();
    for (;;) {
      const op = this.toks[this.i]?.t;
      const p = op === undefined ? undefined : PRECEDENCE.get(op);
      if (!l || p === undefined || p < min) return l;
      this.i++;
      const r = this.binary(p + 1);
      if (!r) return null;
      l = { k: 'bin', op: op!, l, r, span: l.span };
    }
  }

  private unary(): Expr | null {
    const tok = this.toks[this.i];
    if (!tok) return null;
    if (['!', '~', '-', '+', '*', '&'].includes(tok.t)) {
      this.i++;
      const e = this.unary();
      if (!e) return null;
      return tok.t === '&' ? { k: 'addr', e, span: this.span(tok.s) } : { k: 'un', op: tok.t, e, span: this.span(tok.s) };
    }
    if (tok.t === '++' || tok.t === '--') {
      this.i++;
      return this.unary();
    }
    if (tok.t === '(' && this.isCast()) return this.unary();
    return this.postfix();
  }

  /** `(struct foo *)`, `(unsigned long)`: skipped; `(A)` stays a parenthesized expression. */
  private isCast(): boolean {
    let j = this.i + 1;
    const words: string[] = [];
    let stars = 0;
    while (this.toks[j] && (/^[A-Za-z_]\w*$/.test(this.toks[j].t) || this.toks[j].t === '*')) {
      if (this.toks[j].t === '*') stars++;
      else words.push(this.toks[j].t);
      j++;
    }
    if (this.toks[j]?.t !== ')' || words.length === 0) return false;
    if (!(stars > 0 || words.length > 1 || TYPE_WORDS.has(words[0]))) return false;
    this.i = j + 1;
    return true;
  }

  private postfix(): Expr | null {
    let e = this.primary();
    for (;;) {
      const t = this.toks[this.i]?.t;
      if (!e) return null;
      if (t === '++' || t === '--') this.i++;
      else if (t === '->' || t === '.') {
        const f = this.toks[this.i + 1];
        if (!f || !/^[A-Za-z_]\w*$/.test(f.t)) return null;
        this.i += 2;
        e = { k: 'field', base: e, field: f.t, arrow: t === '->', span: e.span };
      } else if (t === '[') {
        this.i++;
        const idx = this.expr();
        if (!idx || this.toks[this.i]?.t !== ']') return null;
        this.i++;
        e = { k: 'un', op: '*', e, span: e.span };
      } else if (t === '(' && e.k === 'id') {
        const args = this.args();
        if (!args) return null;
        e = { k: 'call', name: e.name, args, span: e.span };
      } else return e;
    }
  }

  /** `( a, b )` from the `(`: each argument parsed, or `other` where it does not parse. */
  args(): Expr[] | null {
    if (this.toks[this.i]?.t !== '(') return null;
    this.i++;
    const out: Expr[] = [];
    if (this.toks[this.i]?.t === ')') {
      this.i++;
      return out;
    }
    for (;;) {
      const start = this.i;
      const a = this.expr();
      const t = this.toks[this.i]?.t;
      if (a && (t === ',' || t === ')')) out.push(a);
      else {
        // Skip to the argument's end at depth 0 (`#p`, statements inside `({ … })`).
        this.i = start;
        let depth = 0;
        for (; this.toks[this.i]; this.i++) {
          const x = this.toks[this.i].t;
          if (x === '(' || x === '[' || x === '{') depth++;
          else if (x === ')' || x === ']' || x === '}') {
            if (depth === 0) break;
            depth--;
          } else if (x === ',' && depth === 0) break;
        }
        out.push({ k: 'other', text: '', span: this.span(this.toks[start]?.s ?? 0) });
      }
      const end = this.toks[this.i]?.t;
      if (end === ')') {
        this.i++;
        return out;
      }
      if (end !== ',') return null;
      this.i++;
    }
  }

  private primary(): Expr | null {
    const tok = this.toks[this.i];
    if (!tok) return null;
    if (tok.t === '(') {
      this.i++;
      const e = this.expr();
      if (!e || this.toks[this.i]?.t !== ')') return null;
      this.i++;
      return e;
    }
    this.i++;
    if (/^\d/.test(tok.t)) {
      const v = Number.parseInt(tok.t.replace(/[uUlL]+$/, ''), /^0[xX]/.test(tok.t) ? 16 : /^0\d/.test(tok.t) ? 8 : 10);
      return Number.isFinite(v) ? { k: 'num', value: v, span: this.span(tok.s) } : { k: 'other', text: tok.t, span: this.span(tok.s) };
    }
    if (/^[A-Za-z_]/.test(tok.t)) return { k: 'id', name: tok.t, span: this.span(tok.s) };
    return null;
  }
}

/**
 * The parameters (indexes) of a function-like macro that its body tests against NULL: in the condition
 * of an `if` or `while`, in an assert-style call, or handed to another macro that tests them (`lookup`
 * finds the file's and its local headers' macros; nesting is followed 4 deep).
 */
export function macroTestedParams(macro: MacroText, lookup: (name: string) => MacroText | undefined, depth = 0): Set<number> {
  const tested = new Set<number>();
  const toks = tokenize(macro.body);
  const note = (e: Expr) => macro.params.forEach((p, i) => testsNullOf(e, new Set([p])) && tested.add(i));
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i].t;
    if ((t === 'if' || t === 'while') && toks[i + 1]?.t === '(') {
      const p = new ExprParser(toks);
      p.i = i + 1;
      const args = p.args();
      if (args?.length === 1) note(args[0]);
    } else if (/^[A-Za-z_]\w*$/.test(t) && !KEYWORDS.has(t) && toks[i + 1]?.t === '(' && toks[i - 1]?.t !== '#') {
      const assert = ASSERT_CALLS[t];
      const inner = assert ? null : depth < 4 ? lookup(t) : undefined;
      if (!assert && !inner) continue;
      const p = new ExprParser(toks);
      p.i = i + 1;
      const args = p.args();
      if (!args) continue;
      const which = assert ? assert.args : [...macroTestedParams(inner!, lookup, depth + 1)];
      for (const k of which) if (args[k]) note(args[k]);
    }
  }
  return tested;
}
