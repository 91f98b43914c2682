/**
 * Whether the code at an offset can be compiled at all: the `#if` branches around it (facts/conditions.ts),
 * evaluated simply and conservatively. A macro is "never defined" only when no `#define` of the file, of its
 * local headers or of the workspace names it, no Makefile passes it with `-D` and the build does not define it
 * (BUILD_DEFINED); "always defined" only when this file defines it above, outside every `#if`, and never
 * `#undef`s it. Anything else, and any expression this evaluator cannot read, leaves the code live.
 */
import type { FileFacts } from '../facts/file-facts';
import { branchesAt, scanPreprocessor, type Branch, type DefineLine, type PreprocessorScan } from '../facts/conditions';
import type { AnalysisEnv } from './env';

/**
 * Names the build defines (or may define) without a `#define` in any source file: the preprocessor sees
 * them from the command line, the compiler or the kernel configuration. A name matching one is never
 * "never defined".
 */
export const BUILD_DEFINED: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /^CONFIG_\w+$/, why: 'kernel configuration symbols: <linux/autoconf.h>, generated from .config (2.4 and 2.6)' },
  { pattern: /^MODULE$/, why: '-DMODULE for objects built as modules (2.4 Rules.make MODFLAGS; 2.6 scripts/Makefile.lib)' },
  { pattern: /^(KBUILD_\w+|EXPORT_SYMTAB|MODVERSIONS)$/, why: 'passed on the command line by the kernel build (2.4 Rules.make, 2.6 scripts/Makefile.*)' },
  {
    pattern: /^(LINUX_VERSION_CODE|UTS_RELEASE|AUTOCONF_INCLUDED)$/,
    why: 'written by the build into generated headers: include/linux/version.h (top-level Makefile, 2.4 and 2.6), include/linux/autoconf.h',
  },
  {
    pattern: /^(UTS_VERSION|UTS_MACHINE|UTS_NODENAME|UTS_DOMAINNAME|LINUX_COMPILE_\w+)$/,
    why: 'written by the build into include/linux/compile.h (scripts/mkcompile_h, 2.4 and 2.6)',
  },
  { pattern: /^__KERNEL__$/, why: '-D__KERNEL__ in the top-level Makefile CFLAGS (2.4 and 2.6)' },
  { pattern: /^__SMP__$/, why: '-D__SMP__ in 2.4 arch Makefiles when CONFIG_SMP is set' },
  {
    pattern:
      /^__(i386|x86_64|alpha|arm|sparc|sparc_v9|sparc64|mips|mips64|powerpc|powerpc64|ppc|ppc64|PPC|ia64|s390|s390x|sh|sh64|hppa|m68k|cris|parisc|v850|h8300|arch_um)__$/,
    why: 'architecture, predefined by the compiler for the target (gcc)',
  },
  {
    pattern:
      /^(__mc68000__|__mcoldfire__|mc68000|__mips__|__sh__|__arm__|__thumb__|_MIPS_\w+|__ARMEB__|__MIPSEB__|__MIPSEL__|__BIG_ENDIAN__|__LITTLE_ENDIAN__)$/,
    why: 'architecture variant, predefined by the compiler (gcc)',
  },
  {
    pattern:
      /^(__GNUC__|__GNUC_MINOR__|__GNUC_PATCHLEVEL__|__STDC__|__STDC_VERSION__|__OPTIMIZE__|__CHAR_UNSIGNED__|__ELF__|__linux__|__linux|linux|__unix__|unix|__ASSEMBLY__|__ASSEMBLER__|__cplusplus|__LP64__|_LP64)$/,
    why: 'predefined by the compiler, or by the build for assembly sources (gcc; -D__ASSEMBLY__ in 2.4 and 2.6 AFLAGS)',
  },
];

export function buildDefines(name: string): boolean {
  return BUILD_DEFINED.some((b) => b.pattern.test(name));
}

/** What is known of a macro at a point. `unknown`: the workspace has not answered (the index is not complete). */
type Status = 'always' | 'never' | 'maybe' | 'unknown';

/** A value of a `#if` expression: a number, or undefined where it cannot be known. */
type Value = number | undefined;

interface Lookup {
  status(name: string): Status;
}

/** Names the evaluation met, by what decided them (for the reason, and for what the workspace must confirm). */
interface Seen {
  never: Set<string>;
  /** Names the workspace must not define for the decision to hold. */
  pending: Set<string>;
  always: Map<string, number>;
}

const TOKEN = /\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*)|(&&|\|\||==|!=|<=|>=|<<|>>|[()!~+\-*/%<>&|^?:,])|('(?:\\.|[^'])*')|(\S))/y;

/** A small recursive-descent evaluator of `#if` expressions; undefined where anything is not understood. */
class ExprEval {
  private tokens: string[] = [];
  private kinds: ('num' | 'id' | 'op' | 'other')[] = [];
  private i = 0;
  /** A token this evaluator cannot read (a string, a character): the whole condition is unknown. */
  private broken = false;

  constructor(
    text: string,
    private readonly lookup: Lookup,
    private readonly useName: (name: string, status: Status) => void,
  ) {
    TOKEN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while (TOKEN.lastIndex < text.length && (m = TOKEN.exec(text))) {
      if (m[1] !== undefined) {
        this.tokens.push(m[1]);
        this.kinds.push('num');
      } else if (m[2] !== undefined) {
        this.tokens.push(m[2]);
        this.kinds.push('id');
      } else if (m[3] !== undefined) {
        this.tokens.push(m[3]);
        this.kinds.push('op');
      } else if (m[4] !== undefined || m[5] !== undefined) {
        this.broken = true;
        break;
      } else break;
    }
  }

  /** Gives up on the expression: run() answers undefined. */
  private fail(): Value {
    this.i = this.tokens.length + 1;
    return undefined;
  }

  run(): Value {
    if (this.broken || !this.tokens.length) return undefined;
    const v = this.ternary();
    return this.i === this.tokens.length ? v : undefined;
  }

  private peek(): string | undefined {
    return this.tokens[this.i];
  }

  private eat(op: string): boolean {
    if (this.kinds[this.i] === 'op' && this.tokens[this.i] === op) {
      this.i++;
      return true;
    }
    return false;
  }

  private ternary(): Value {
    const c = this.or();
    if (!this.eat('?')) return c;
    const t = this.ternary();
    if (!this.eat(':')) return this.fail();
    const f = this.ternary();
    if (c === undefined) return t !== undefined && t === f ? t : undefined;
    return c ? t : f;
  }

  private or(): Value {
    let v = this.and();
    while (this.eat('||')) {
      const r = this.and();
      // A true side makes it 1, whatever the unknown side.
      v = (v !== undefined && v !== 0) || (r !== undefined && r !== 0) ? 1 : v === 0 && r === 0 ? 0 : undefined;
    }
    return v;
  }

  private and(): Value {
    let v = this.binary(0);
    while (this.eat('&&')) {
      const r = this.binary(0);
      // 0 && anything is 0, whatever the unknown side.
      v = v === 0 || r === 0 ? 0 : v === undefined || r === undefined ? undefined : 1;
    }
    return v;
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['|'],
    ['^'],
    ['&'],
    ['==', '!='],
    ['<', '>', '<=', '>='],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): Value {
    if (level >= ExprEval.LEVELS.length) return this.unary();
    let v = this.binary(level + 1);
    for (;;) {
      const op = this.kinds[this.i] === 'op' ? this.peek() : undefined;
      if (!op || !ExprEval.LEVELS[level].includes(op)) return v;
      this.i++;
      const r = this.binary(level + 1);
      v = v === undefined || r === undefined ? undefined : apply(op, v, r);
    }
  }

  private unary(): Value {
    if (this.eat('!')) {
      const v = this.unary();
      return v === undefined ? undefined : v ? 0 : 1;
    }
    if (this.eat('~')) {
      const v = this.unary();
      return v === undefined ? undefined : ~v;
    }
    if (this.eat('-')) {
      const v = this.unary();
      return v === undefined ? undefined : -v;
    }
    if (this.eat('+')) return this.unary();
    return this.primary();
  }

  private primary(): Value {
    const tok = this.peek();
    const kind = this.kinds[this.i];
    if (tok === undefined) return this.fail();
    if (this.eat('(')) {
      const v = this.ternary();
      if (!this.eat(')')) return this.fail();
      return v;
    }
    this.i++;
    if (kind === 'num') return Number(tok.startsWith('0') && tok.length > 1 && !/^0[xX]/.test(tok) ? Number.parseInt(tok, 8) : tok);
    if (kind !== 'id') return this.fail();
    if (tok === 'defined') {
      const paren = this.eat('(');
      const name = this.kinds[this.i] === 'id' ? this.tokens[this.i++] : undefined;
      if (!name || (paren && !this.eat(')'))) return this.fail();
      return this.definedValue(name);
    }
    // A function-like macro's call (`KERNEL_VERSION(2,4,0)`): its value is not known here.
    if (this.kinds[this.i] === 'op' && this.peek() === '(') {
      let depth = 0;
      do {
        if (this.peek() === '(') depth++;
        else if (this.peek() === ')') depth--;
        this.i++;
      } while (depth > 0 && this.i < this.tokens.length);
      return undefined;
    }
    // An identifier no #define gives a value is 0 in `#if`; a defined one has a value not evaluated here.
    const status = this.lookup.status(tok);
    this.useName(tok, status);
    return status === 'never' ? 0 : undefined;
  }

  definedValue(name: string): Value {
    const status = this.lookup.status(name);
    this.useName(name, status);
    return status === 'never' ? 0 : status === 'always' ? 1 : undefined;
  }
}

function apply(op: string, a: number, b: number): Value {
  switch (op) {
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '&':
      return a & b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : Math.trunc(a / b);
    case '%':
      return b === 0 ? undefined : a % b;
  }
  return undefined;
}

/** The value of a branch's own condition (`#ifdef X`: whether X is defined). */
function conditionValue(b: Branch, lookup: Lookup, useName: (n: string, s: Status) => void): Value {
  const ev = new ExprEval(b.cond, lookup, useName);
  if (b.kind === 'ifdef' || b.kind === 'ifndef') {
    const name = /^[A-Za-z_]\w*/.exec(b.cond)?.[0];
    if (!name) return undefined;
    const v = ev.definedValue(name);
    return v === undefined ? undefined : b.kind === 'ifdef' ? v : v ? 0 : 1;
  }
  return ev.run();
}

/** Whether the branch is taken: its condition, and for `#elif`/`#else` every earlier branch of its group false. */
function branchValue(b: Branch, lookup: Lookup, useName: (n: string, s: Status) => void): Value {
  let v: Value = b.kind === 'else' ? 1 : conditionValue(b, lookup, useName);
  for (const prev of b.before) {
    if (v === 0) return 0;
    const p = conditionValue(prev, lookup, useName);
    v = p === 1 ? 0 : p === 0 ? v : undefined;
  }
  return v;
}

/** How a branch is written in a message: `#ifdef NEW_ABORT`, `#if 0 && defined(X)`, `the #else after #ifdef X`. */
function directiveText(b: Branch): string {
  const text = (x: Branch) => `\`#${x.kind}${x.cond ? ` ${x.cond.replace(/\s+/g, ' ')}` : ''}\``;
  if (b.kind === 'if' || b.kind === 'ifdef' || b.kind === 'ifndef') return text(b);
  return `the ${text(b)} after ${b.before.map(text).join(' and ')}`;
}

/** A dead finding: why (for its message), and the names the workspace must not define for it to be dead. */
export interface DeadCode {
  reason: string;
  /** Empty: decided from this file alone. Else: dead only if no file of the workspace (or Makefile) defines one. */
  unlessDefined: string[];
}

/** What a file's lookups need: its preprocessor lines, scanned once. */
export class PreprocessorContext {
  private scan: PreprocessorScan | undefined;

  constructor(
    private readonly facts: FileFacts,
    private readonly env: AnalysisEnv,
  ) {}

  private definesByName: Map<string, DefineLine[]> | undefined;

  private get lines(): PreprocessorScan {
    this.scan ??= scanPreprocessor(this.facts.text);
    return this.scan;
  }

  /** The file's `#define` lines of a name, in order (a generated file can hold thousands). */
  private definesOf(name: string): readonly DefineLine[] {
    if (!this.definesByName) {
      this.definesByName = new Map();
      for (const d of this.lines.defines) {
        const list = this.definesByName.get(d.name);
        if (list) list.push(d);
        else this.definesByName.set(d.name, [d]);
      }
    }
    return this.definesByName.get(name) ?? [];
  }

  /**
   * Whether the code at `offset` lies in a branch that cannot be compiled; null when it can (or when that
   * cannot be decided). The outermost dead branch is named.
   */
  deadAt(offset: number): DeadCode | null {
    const around = branchesAt(this.lines.branches, offset);
    if (!around.length) return null;
    // Sure from this file (and what the adapter knows), then assuming the workspace defines none of the names
    // it has not answered for: the second is a decision the workspace must confirm.
    for (const assumeUndefined of [false, true]) {
      for (const b of around) {
        const seen: Seen = { never: new Set(), pending: new Set(), always: new Map() };
        const lookup: Lookup = { status: (name) => this.status(name, b.start - 1, assumeUndefined) };
        const useName = (name: string, s: Status) => {
          if (s === 'never') seen.never.add(name);
          if (s === 'always') seen.always.set(name, this.unconditionalLine(name, b.start - 1) ?? 0);
          if (s === 'never' && this.workspaceStatus(name) === 'unknown') seen.pending.add(name);
        };
        if (branchValue(b, lookup, useName) !== 0) continue;
        return { reason: describe(b, seen), unlessDefined: [...seen.pending].sort() };
      }
    }
    return null;
  }

  private workspaceStatus(name: string): 'defined' | 'undefined' | 'unknown' {
    const known = this.env.macroDefined?.(name);
    return known === undefined ? 'unknown' : known ? 'defined' : 'undefined';
  }

  private unconditionalLine(name: string, before: number): number | undefined {
    if (this.lines.undefs.has(name)) return undefined;
    return this.definesOf(name).find((d) => d.unconditional && d.at < before)?.line;
  }

  private status(name: string, at: number, assumeUndefined: boolean): Status {
    if (buildDefines(name)) return 'maybe';
    if (this.unconditionalLine(name, at) !== undefined) return 'always';
    if (this.definesOf(name).length) return 'maybe';
    if (this.env.headerDefine?.(name) || this.env.headerMacro?.(name)) return 'maybe';
    const ws = this.workspaceStatus(name);
    if (ws === 'defined') return 'maybe';
    if (ws === 'undefined') return 'never';
    return assumeUndefined ? 'never' : 'maybe';
  }
}

function describe(b: Branch, seen: Seen): string {
  const where = `in ${directiveText(b)}`;
  // False whatever any macro is (`#if 0 && defined(X)`): the names met do not matter.
  if (branchValue(b, { status: () => 'maybe' }, () => {}) === 0) return `${where}, which is always false`;
  const never = [...seen.never].sort();
  const always = [...seen.always].sort((x, y) => x[0].localeCompare(y[0]));
  if (never.length === 1 && (b.kind === 'ifdef' || b.kind === 'ifndef') && !always.length) return `${where}, which nothing defines`;
  const parts: string[] = [];
  if (never.length) parts.push(`nothing defines ${never.join(', ')}`);
  for (const [name, line] of always) parts.push(`${name} is always defined (line ${line})`);
  return `${where}, and ${parts.join(', and ')}`;
}

/** The text a dead finding's message starts with. */
export function deadTag(reason: string): string {
  return `[dead code: ${reason}]`;
}
