/**
 * Kernel C is full of annotation macros (`__init`, `__user`, `__attribute__((...))`) and braceless
 * iteration macros (`list_for_each(p, head) stmt;`) that tree-sitter-c cannot know. We blank them
 * before parsing, with the same number of characters, so every offset in the tree is an offset in
 * the user's text. The lists are data (kernel-annotations.json), not code.
 */
import { conditionalRewrites, directiveWords, type DirectiveWords, type Replacement } from './conditional-rewrites';
import annotations from './kernel-annotations.json';
import { atLineStart, lineEndOf, lineStartOf } from '../text/lines';
import { escapeRegExp } from '../text/regexp';

export interface AnnotationTable {
  words: string[];
  withArgs: string[];
  loopMacros: string[];
  loopMacroPrefixes: string[];
  stringMacros: string[];
}

interface CompiledTable {
  words: RegExp;
  withArgs: RegExp;
  loops: RegExp;
  quick: RegExp;
  stringMacros: Set<string>;
}

/** GNU C that tree-sitter-c rejects, rewritten in place with the same length. */
const GNU_FIXES = {
  /** `IDENT "str"` / `"str" IDENT`: macro string concatenation (KERN_INFO, PREFIX, __FUNCTION__). */
  identBeforeString: /\b([A-Z_][A-Z0-9_]{2,}|__func__|__FUNCTION__|__PRETTY_FUNCTION__)[ \t]*(?=")/g,
  identAfterString: /"[ \t]+([A-Z_][A-Z0-9_]{2,}|__FUNCTION__|__func__|__PRETTY_FUNCTION__)\b(?=[ \t]*["),;])/g,
  /** `#define DBG(x...)`: a named variadic parameter; the name is blanked, `...` stays. */
  // From each `#` (a literal irregexp skips to; a multiline `^` is tried at every offset): gnuFixes checks the line start.
  namedVariadic: /#[ \t]*define[ \t]+\w+\(([^)\n]*)\)/g,
  /** `err_out:` directly before `}`: a label needs a statement; the colon becomes `;`. */
  // The comment alternative cannot run past its own `*/`: no backtracking across code.
  labelAtBlockEnd: /:(?:\s|\/\*(?:[^*]|\*(?!\/))*\*\/)*\}/g,
  /** `unsigned int :5;` an unnamed bit-field: `:` becomes `_`, a field named `_5`. */
  unnamedBitfield: /\b(?:int|char|short|long|unsigned|signed|u8|u16|u32|u64|__u8|__u16|__u32|__u64)[ \t]+(:)[ \t]*\d+[ \t]*;/g,
  /**
   * `DBG_DUMP(mf)` alone on its line without `;` (a statement macro), or `static DEF_SCSI_QCMD(f)` at top
   * level: tree-sitter's error recovery would run the rest of the function, or the next function, into
   * one ERROR. The call is blanked, its `)` becomes `;` (an empty statement, valid wherever a statement is).
   */
  statementMacro: /^([ \t]*)((?:static[ \t]+)?[A-Z][A-Z0-9_]{2,})[ \t]*\(/gm,
  /** `list_entry(p, struct foo, member)`: a type as a macro argument; `struct` is blanked, `foo` stays. */
  typeArgument: /,([ \t]*)(struct|union|enum)([ \t]+\w+[ \t]*)(?=[,)])/g,
};

function compile(table: AnnotationTable): CompiledTable {
  const words = [...table.words].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const withArgs = [...table.withArgs].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const loopAlternatives = [...table.loopMacros.map(escapeRegExp), ...table.loopMacroPrefixes.map((p) => escapeRegExp(p) + '\\w*')].sort(
    (a, b) => b.length - a.length,
  );
  return {
    words: new RegExp(`\\b(?:${words.join('|')})\\b`, 'g'),
    withArgs: new RegExp(`\\b(?:${withArgs.join('|')})\\s*\\(`, 'g'),
    loops: new RegExp(`\\b((?:${loopAlternatives.join('|')}))[ \\t]*\\(`, 'g'),
    // Cheap pre-check so files without any annotation skip the work.
    quick: /__|asmlinkage|fastcall|FASTCALL|noinline|notrace|for_each|"|define|:|struct|union|enum|ACPI_/,
    stringMacros: new Set(table.stringMacros),
  };
}

const defaultTable = compile(annotations as AnnotationTable);

/** Index just past the `)` matching the `(` at `open`, or -1 when unbalanced (truncated files). */
export function matchParen(text: string, open: number, limit = 20000): number {
  let depth = 0;
  const end = Math.min(text.length, open + limit);
  for (let i = open; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function isMacroDefinitionName(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  const lineStart = text.lastIndexOf('\n', i) + 1;
  return /^\s*#\s*(?:define|undef|ifdef|ifndef)\s*$/.test(text.slice(lineStart, i + 1)) || /defined\s*\(?\s*$/.test(text.slice(lineStart, at));
}

export interface NeutralizeResult {
  text: string;
  replacements: number;
  /** A limiter for pathological input (nesting, comment or string runs) changed the text. */
  limited?: boolean;
}

const NOT_A_MACRO = new Set(['define', 'include', 'if', 'ifdef', 'ifndef', 'elif', 'undef', 'error', 'warning', 'pragma', 'line', 'L', 'u8', 'u', 'U']);

/**
 * `#include <x.h>` or `#define X` with blanks after it on its line: tree-sitter-c wants the line's end right after the
 * path or the name. The include's becomes a MISSING token whose recovery can wrap the whole file in an ERROR
 * (iphase.c: `#include <linux/module.h>  `, 113 KB); the empty define takes the next line as its value
 * (tree-sitter/tree-sitter-c#263: the next `#define`, declaration or function head silently gone; 504 lines of
 * 2.4.22 drivers+fs and the 6.1 subset). The blanks are moved before the path's closing `>` or `"` (the path's span
 * then covers them, its text trimmed where read) or before the name (its span moves right on its own line).
 * Found from each `#include` and `#define` line.
 */
function blankEndedDirectives(source: string, reps: Replacement[], directives: DirectiveWords): void {
  for (const at of [...directives.include, ...directives.define]) {
    let end = lineEndOf(source, at);
    if (source[end - 1] === '\r') end--;
    const last = source[end - 1];
    if (last !== ' ' && last !== '\t') continue; // most do not end in a blank
    const lineStart = lineStartOf(source, at);
    const m = BLANK_ENDED_DIRECTIVE.exec(source.slice(lineStart, end));
    if (!m) continue;
    const [, closing, name, blanks] = m;
    const start = end - blanks.length - (closing ? 1 : name.length);
    reps.push({ start, end, text: blanks + (closing ?? name) });
  }
}
const BLANK_ENDED_DIRECTIVE = /^[ \t]*#[ \t]*(?:include[ \t]*[<"][^\n<>"]*([>"])|define[ \t]+([A-Za-z_]\w*))([ \t]+)$/;

/**
 * `offsetof(struct ccb, phys.header.savep)`: tree-sitter-c reads a member designator of one name only, and a path's
 * MISSING `)` wrapped the whole of sym53c8xx.c (377 KB) in an ERROR (221 such uses in 27 files of 2.4.22 drivers+fs
 * and the 6.1 subset). The path's dots become `_`, one name of the same length (kport reads offsetof() as an opaque
 * number either way). Found from each `offsetof`.
 */
function offsetofMemberPaths(source: string, reps: Replacement[]): void {
  for (let at = source.indexOf('offsetof'); at !== -1; at = source.indexOf('offsetof', at + 8)) {
    const m = OFFSETOF_PATH.exec(source.slice(at, at + 300));
    if (!m) continue;
    const pathStart = at + m[0].length - m[1].length - m[2].length;
    for (let i = pathStart; i < pathStart + m[1].length; i++) if (source[i] === '.') reps.push({ start: i, end: i + 1, text: '_' });
  }
}
/** `offsetof (type, a.b.c)`: the member path (group 1) and what closes the call (group 2). */
const OFFSETOF_PATH = /^offsetof[ \t]*\([^,()]*,[ \t]*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)([ \t]*\))/;

function gnuFixes(source: string, reps: Replacement[]): void {
  for (const m of source.matchAll(GNU_FIXES.identBeforeString)) {
    const start = m.index!;
    if (
      NOT_A_MACRO.has(m[1]) ||
      isMacroDefinitionName(source, start) ||
      /#\s*(include|line)\s*$/.test(source.slice(source.lastIndexOf('\n', start) + 1, start))
    )
      continue;
    reps.push({ start, end: start + m[1].length });
  }
  for (const m of source.matchAll(GNU_FIXES.identAfterString)) {
    const start = m.index! + m[0].indexOf(m[1], 1);
    reps.push({ start, end: start + m[1].length });
  }
  for (const m of source.matchAll(GNU_FIXES.namedVariadic)) {
    if (!atLineStart(source, m.index!)) continue;
    const params = m[1];
    const v = /(\w+)\.\.\./.exec(params);
    if (!v) continue;
    const start = m.index! + m[0].indexOf('(') + 1 + v.index;
    reps.push({ start, end: start + v[1].length });
  }
  for (const m of source.matchAll(GNU_FIXES.labelAtBlockEnd)) {
    // `label:` then only blanks or comments up to `}`: find the label before the colon.
    const colon = m.index!;
    const before = /(^|[;{}])[ \t\r\n]*([A-Za-z_]\w*)[ \t]*$/.exec(source.slice(Math.max(0, colon - 200), colon));
    if (!before || ['default', 'case', 'public', 'private'].includes(before[2])) continue;
    reps.push({ start: colon, end: colon + 1, text: ';' });
  }
  for (const m of source.matchAll(GNU_FIXES.unnamedBitfield)) {
    const colon = m.index! + m[0].indexOf(':');
    reps.push({ start: colon, end: colon + 1, text: '_' });
  }
  for (const m of source.matchAll(GNU_FIXES.statementMacro)) {
    const start = m.index! + m[1].length;
    const close = matchParen(source, m.index! + m[0].length - 1);
    if (close < 0 || !aloneOnItsLines(source, m.index!, close)) continue;
    reps.push({ start, end: close, text: source.slice(start, close - 1).replace(/[^\r\n]/g, ' ') + ';' });
  }
  for (const m of source.matchAll(GNU_FIXES.typeArgument)) {
    const kw = m.index! + 1 + m[1].length;
    reps.push({ start: kw, end: kw + m[2].length });
  }
}

/** Skips blanks and comments from `i` in direction `dir` (1 or -1); the index of the first other character. */
function skipBlank(text: string, i: number, dir: 1 | -1): number {
  for (;;) {
    while (i >= 0 && i < text.length && /\s/.test(text[i])) i += dir;
    if (dir === 1 && text.startsWith('/*', i)) {
      const e = text.indexOf('*/', i + 2);
      if (e < 0) return text.length;
      i = e + 2;
    } else if (dir === 1 && text.startsWith('//', i)) {
      const e = text.indexOf('\n', i);
      i = e < 0 ? text.length : e;
    } else if (dir === -1 && i > 0 && text[i] === '/' && text[i - 1] === '*') {
      const s = text.lastIndexOf('/*', i - 2);
      if (s < 0) return i;
      i = s - 1;
    } else return i;
  }
}

/**
 * Whether a macro call from `lineStart` to `close` is a statement on lines of its own that lacks its `;`:
 * nothing but a comment after it on its last line, a statement or block boundary before it, and no
 * operator, separator or block after it (which would make it part of an expression, an initializer or a
 * definition).
 */
function aloneOnItsLines(text: string, lineStart: number, close: number): boolean {
  let j = close;
  while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
  if (text.startsWith('/*', j)) {
    const e = text.indexOf('*/', j + 2);
    if (e < 0 || text.slice(j, e).includes('\n')) return false;
    j = e + 2;
    while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
  } else if (text.startsWith('//', j)) return true;
  if (j < text.length && text[j] !== '\n' && text[j] !== '\r') return false;
  const next = skipBlank(text, j, 1);
  if (next < text.length && '{;,)+-*/%&|^=<>?.[:'.includes(text[next])) return false;
  const prev = skipBlank(text, lineStart - 1, -1);
  return prev < 0 || ';{}):'.includes(text[prev]);
}

/** Deeper bracket nesting than any real driver has; beyond it tree-sitter's wasm stack can overflow. */
export const MAX_NESTING = 512;

/**
 * Blanks brackets nested deeper than MAX_NESTING (and their closers), keeping the length. A fuzzed
 * file with 20,000 unclosed `(` overflowed tree-sitter's WebAssembly stack and corrupted the module
 * for every later parse; no real code comes near this depth.
 */
export function limitNesting(text: string): string {
  let openers = 0;
  for (let i = 0; i < text.length && openers <= MAX_NESTING; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 123 || c === 91) openers++;
  }
  if (openers <= MAX_NESTING) return text;
  const out: string[] = [];
  let depth = 0;
  let dropped = 0;
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 123 || c === 91) {
      if (depth < MAX_NESTING) depth++;
      else {
        dropped++;
        out.push(text.slice(last, i), ' ');
        last = i + 1;
      }
    } else if (c === 41 || c === 125 || c === 93) {
      if (dropped > 0) {
        dropped--;
        out.push(text.slice(last, i), ' ');
        last = i + 1;
      } else if (depth > 0) depth--;
    }
  }
  out.push(text.slice(last));
  return out.join('');
}

/**
 * Blanks the matches of `token` past the `max`-th in a run of matches with only blanks between them,
 * keeping line breaks (so every offset and line stays). `marker` is a cheap count first: with `max` or
 * fewer of its occurrences (`perToken` a token) no run can be long, and the text is returned as is.
 */
function limitRuns(text: string, token: RegExp, max: number, marker: (text: string, from: number) => number, perToken: number): string {
  let markers = 0;
  for (let i = marker(text, 0); i !== -1 && markers <= max * perToken; i = marker(text, i + 1)) markers++;
  if (markers <= max * perToken) return text;
  const out: string[] = [];
  let last = 0;
  let run = 0;
  let prevEnd = -1;
  for (const m of text.matchAll(token)) {
    const start = m.index!;
    run = prevEnd >= 0 && /^\s*$/.test(text.slice(prevEnd, start)) ? run + 1 : 1;
    prevEnd = start + m[0].length;
    if (run <= max) continue;
    out.push(text.slice(last, start), m[0].replace(/[^\r\n]/g, ' '));
    last = prevEnd;
  }
  if (last === 0) return text;
  out.push(text.slice(last));
  return out.join('');
}

/** Longer runs of back-to-back comments than any real file has; beyond it tree-sitter's error recovery can overflow its stack. */
export const MAX_COMMENT_RUN = 512;

/**
 * Blanks comments past the MAX_COMMENT_RUN-th in a run of comments with only blanks between them
 * (a fuzzed 1 MB line of `/* c *\/` inside broken code crashed tree-sitter's wasm module). Comments
 * carry nothing tree-sitter needs; suppressions are read from the user's text, not this one.
 */
export function limitCommentRuns(text: string): string {
  const commentStart = (t: string, from: number) => {
    for (let i = t.indexOf('/', from); i !== -1; i = t.indexOf('/', i + 1)) if (t[i + 1] === '*' || t[i + 1] === '/') return i;
    return -1;
  };
  return limitRuns(text, /\/\*(?:[^*]|\*(?!\/))*(?:\*\/|$)|\/\/[^\n]*/g, MAX_COMMENT_RUN, commentStart, 1);
}

/** Longer runs of back-to-back string literals than any real file has (a printk's pieces are a dozen). */
export const MAX_STRING_RUN = 512;

/**
 * Blanks string literals past the MAX_STRING_RUN-th in a run of literals with only blanks between them.
 * Fuzz seed 20261125 #109: a 1 MB line of 350,000 `"s"` at the top level of a broken file kept
 * tree-sitter's error recovery busy for 5 s; real code never comes near the limit.
 */
export function limitStringRuns(text: string): string {
  return limitRuns(text, /"(?:[^"\\\n]|\\.)*"/g, MAX_STRING_RUN, (t, from) => t.indexOf('"', from), 2);
}

export function neutralize(source: string, table: CompiledTable = defaultTable): NeutralizeResult {
  const r = neutralizeAnnotations(source, table);
  const limited = limitNesting(limitStringRuns(limitCommentRuns(r.text)));
  return limited === r.text ? r : { text: limited, replacements: r.replacements + 1, limited: true };
}

/**
 * neutralize() of `text` after an edit, redoing only a window around it: `previous` is the neutralized
 * text before the edit, [start, oldEnd) of the old text became [start, newEnd) of `text`, and [from, to)
 * of the old text (line-aligned, around the edit) is where a rewrite can reach, outside of which
 * `previous` is kept. Each rewrite is local (an annotation, a macro's parenthesized arguments, a label);
 * a window cut through one would differ from neutralize(text): the caller settles that later with a
 * full neutralize (ParsedFile.exact).
 */
export function neutralizeWindow(text: string, previous: string, from: number, to: number, delta: number): string {
  const window = neutralize(text.slice(from, to + delta)).text;
  return previous.slice(0, from) + window + previous.slice(to);
}

function neutralizeAnnotations(source: string, table: CompiledTable): NeutralizeResult {
  const reps: Replacement[] = [];
  const directives = directiveWords(source);
  conditionalRewrites(source, reps, directives);
  blankEndedDirectives(source, reps, directives);
  offsetofMemberPaths(source, reps);
  if (!reps.length && !table.quick.test(source)) return { text: source, replacements: 0 };
  for (const m of source.matchAll(table.withArgs)) {
    const start = m.index!;
    if (isMacroDefinitionName(source, start)) continue;
    const open = start + m[0].length - 1;
    const close = matchParen(source, open);
    if (close > 0) reps.push({ start, end: close });
  }
  for (const m of source.matchAll(table.words)) {
    const start = m.index!;
    if (isMacroDefinitionName(source, start)) continue;
    reps.push({ start, end: start + m[0].length });
  }
  for (const m of source.matchAll(table.loops)) {
    const name = m[1];
    const nameStart = m.index!;
    // A loop header starts a statement: only blanks after `;`, `{`, `}` or the start of a line.
    let b = nameStart - 1;
    while (b >= 0 && (source[b] === ' ' || source[b] === '\t')) b--;
    if (b >= 0 && !';{}\n\r'.includes(source[b])) continue;
    const open = m.index! + m[0].length - 1;
    const close = matchParen(source, open);
    if (close < 0) continue;
    let j = close;
    while (j < source.length && /\s/.test(source[j])) j++;
    // `list_for_each(p, h);` as an expression statement is a call, not a loop header.
    if (source[j] === ';' || isMacroDefinitionName(source, nameStart)) continue;
    reps.push({ start: nameStart, end: nameStart + name.length, text: 'while' + ' '.repeat(name.length - 5) });
  }
  gnuFixes(source, reps);
  if (reps.length === 0) return { text: source, replacements: 0 };
  reps.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let pos = 0;
  let count = 0;
  for (const r of reps) {
    if (r.start < pos) continue; // nested in a range already blanked
    out += source.slice(pos, r.start);
    const original = source.slice(r.start, r.end);
    out += r.text ?? original.replace(/[^\r\n]/g, ' ');
    pos = r.end;
    count++;
  }
  out += source.slice(pos);
  return { text: out, replacements: count };
}
