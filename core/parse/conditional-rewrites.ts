/**
 * Conditionals tree-sitter-c cannot read where kernel code puts them, rewritten for neutralize() (same length, line
 * breaks kept; dead-code decisions read the user's text, not this): a dangling `else` before `#endif`, one function
 * with two heads, conditionals among an initializer list's elements or inside an expression. Each is found from one of its directives (`endif`, `else`)
 * and reads a few lines around it, so a file without them costs a native search or two.
 */
import { lineEndOf, lineStartOf } from '../text/lines';

/** [start, end) of the source blanked, or replaced by `text` of the same length. */
export interface Replacement {
  start: number;
  end: number;
  text?: string;
}

/** Where each directive's name starts (after `#` and blanks), by name: the directives a rewrite is found from. */
export interface DirectiveWords {
  else: number[];
  endif: number[];
  include: number[];
  define: number[];
}

/**
 * The directive lines of `source` (a `#` after blanks only at a line's start), by name: one native search for `#`
 * instead of one for each word a rewrite starts from (six scans of the text cost ~10 % of neutralize()).
 */
export function directiveWords(source: string): DirectiveWords {
  const out: DirectiveWords = { else: [], endif: [], include: [], define: [] };
  for (let hash = source.indexOf('#'); hash !== -1; hash = source.indexOf('#', hash + 1)) {
    // At a line's start after blanks: `\n`-ended lines only, as the rewrites read them (not atLineStart's `\r`).
    let i = hash - 1;
    while (source[i] === ' ' || source[i] === '\t') i--;
    if (i >= 0 && source[i] !== '\n') continue;
    let at = hash + 1;
    while (source[at] === ' ' || source[at] === '\t') at++;
    let end = at;
    while (end < source.length && /[a-z]/.test(source[end])) end++;
    const word = source.slice(at, end);
    if (word === 'else' || word === 'endif' || word === 'include' || word === 'define') out[word].push(at);
    const eol = source.indexOf('\n', end);
    if (eol === -1) break;
    hash = eol; // a `#` later on the line (`##`, a string) starts no directive
  }
  return out;
}

/** Rewrites the conditionals of `source` that need it, as replacements for neutralize(). */
export function conditionalRewrites(source: string, reps: Replacement[], directives = directiveWords(source)): void {
  elseBeforeEndif(source, reps, directives.endif);
  alternativeHeads(source, reps, directives.else);
  listElementConditionals(source, reps, directives.endif);
}

/** Directive lines that open, divide or close a conditional. */
const CONDITIONAL_LINE = /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b[^\n]*/gm;
/** A line that is one of those directives (its kind captured). */
const CONDITIONAL_LINE_START = /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b/;
/** `#if 0`: dead code, which no rewrite makes live. */
const IF_ZERO = /^[ \t]*#[ \t]*if[ \t]+0\b/;
/** A directive line that is whole: not continued on the next (`\`), no comment running on past its end. */
const wholeLine = (line: string) => !line.endsWith('\\') && line.lastIndexOf('/*') <= line.lastIndexOf('*/');
/** How far an `#if` may be above its `#endif` for elseBeforeEndif (a keystroke re-neutralizes a window around it). */
const ELSE_ENDIF_REACH = 2048;

/**
 * `#ifdef X` / `if (c) a; else` / `#endif` / `b;` — an `else` whose statement follows the `#endif` (129 files of 2.4.22
 * drivers+fs and the 6.1 subset): tree-sitter reads the conditional as a statement and the `else` has none, an ERROR
 * whose recovery leaves the function's subtrees fragile (parsed again at every keystroke: 2-7 ms on he.c). The two
 * directive lines are blanked: the code the build that defines X compiles. Only where no `#else`/`#elif` divides
 * that conditional, it is not `#if 0` (whose code is dead), both lines are whole (no continuation, no comment
 * running on) and the `#if` is at most ELSE_ENDIF_REACH above. Dead-code decisions read the user's text, not this.
 * Found from each `endif` (a native search), so a file without the pattern costs one scan.
 */
function elseBeforeEndif(source: string, reps: Replacement[], endifs: readonly number[]): void {
  for (const at of endifs) {
    const lineStart = lineStartOf(source, at);
    // Within the 200 characters above (a search back through the whole text made every `#endif` cost the file's
    // length: 13 s for 60,000 of them in 1 MB without an `else`).
    const above = source.slice(Math.max(0, lineStart - 200), lineStart);
    if (above.lastIndexOf('else') < 0) continue;
    const endif = { start: lineStart, end: lineEndOf(source, at) };
    if (!/^endif\b/.test(source.slice(at, endif.end)) || !wholeLine(source.slice(endif.start, endif.end))) continue;
    // The code just before the #endif, trailing blanks and comments dropped, ends with the keyword `else`.
    const before = above.replace(/\/\*(?:[^*]|\*(?!\/))*\*\/|\/\/[^\n]*/g, '').trimEnd();
    if (!/(^|[^\w#])else$/.test(before) || /^[ \t]*#/.test(before.slice(before.lastIndexOf('\n') + 1))) continue;
    // The conditional's other directive lines within reach, innermost first.
    const from = Math.max(0, source.lastIndexOf('\n', Math.max(0, lineStart - ELSE_ENDIF_REACH)) + 1);
    const lines = [...source.slice(from, lineStart).matchAll(CONDITIONAL_LINE)];
    let depth = 0;
    let open: { start: number; end: number } | undefined;
    for (let j = lines.length - 1; j >= 0; j--) {
      const k = lines[j][1];
      if (k === 'endif') depth++;
      else if (k.startsWith('if')) {
        if (depth > 0) {
          depth--;
          continue;
        }
        open = { start: from + lines[j].index!, end: from + lines[j].index! + lines[j][0].length };
        break;
      } else if (depth === 0) break; // an #else or #elif of this conditional
    }
    if (!open) continue;
    const openLine = source.slice(open.start, open.end);
    if (!wholeLine(openLine) || IF_ZERO.test(openLine)) continue;
    reps.push(open, endif);
  }
}

/** How far a branch of alternativeHeads may reach: a function's head, or its head and opening declarations. */
const HEAD_BRANCH_REACH = 1024;
/** A function's head: a declarator with its parameter list (no `;`, braces or directive), starting at column 0 (after blank lines: comments are blanks here). */
const FUNCTION_HEAD = /^(?:[ \t]*\n)*(?![ \t\n])(?!(?:if|for|while|switch|return|do|else|case|goto|sizeof)\b)[^;{}#]*\b[A-Za-z_]\w*[ \t]*\([^;{}#]*\)[ \t\n]*$/;
/** A branch that is one statement's head opening a block, in a body (indented): `if (a) {`, `for (...) {`. */
const BLOCK_HEAD = /^(?:[ \t]*\n)*[ \t]+(?:if|for|while|switch)\b[^;{}\n]*\{[ \t\n]*$/;
/** The `{` at `i` of a branch ends its line (it stands alone or closes the head's line). */
const endsItsLine = (text: string, i: number) => /^[ \t]*(?:\n|$)/.test(text.slice(i + 1, i + 200));

/**
 * The nearest line above `lineStart` (dir -1) or from it on (dir 1) that opens, divides or closes a conditional,
 * within HEAD_BRANCH_REACH: its span and kind. Read a line at a time, so a search stops at the first directive.
 */
function nearestConditional(source: string, lineStart: number, dir: 1 | -1): { start: number; end: number; kind: string } | undefined {
  for (let start = lineStart, n = 0; n < HEAD_BRANCH_REACH; ) {
    if (dir === -1) {
      if (start === 0) return undefined;
      const end = start - 1;
      start = lineStartOf(source, end);
      n += end - start + 1;
      const d = CONDITIONAL_LINE_START.exec(source.slice(start, end));
      if (d) return { start, end, kind: d[1] };
    } else {
      if (start >= source.length) return undefined;
      const nl = source.indexOf('\n', start);
      const end = nl === -1 ? source.length : nl;
      const d = CONDITIONAL_LINE_START.exec(source.slice(start, end));
      if (d) return { start, end, kind: d[1] };
      n += end - start + 1;
      start = end + 1;
    }
  }
  return undefined;
}

/** Comments, strings and character literals as blanks (same length), to count braces and read heads. */
function codeOnly(text: string): string {
  return text.replace(/\/\*(?:[^*]|\*(?!\/))*\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

function braceBalance(code: string): number {
  let n = 0;
  for (let i = 0; i < code.length; i++)
    if (code[i] === '{') n++;
    else if (code[i] === '}') n--;
  return n;
}

/**
 * One function, two heads: `#ifdef X` / `int f(a, b)` / `#else` / `int f(c)` / `#endif` / `{`, or each branch a head
 * and its opening `{` (alone on its line or ending the head's: `f(char *s) {`) with declarations after it (code built
 * for two kernel versions, in 2.4.22 drivers+fs; none in the 6.1 subset). Likewise in a body, one statement with two
 * heads opening its block (`#if 1` / `if (np->features & FE_66MHZ) {` / `#else` / `if (1) {` / `#endif`).
 * tree-sitter cannot read a conditional inside a head: an ERROR whose recovery can run to the end of the file
 * (aic7xxx_osm.c: a `MISSING #endif` on its last line; ips.c: 250 KB) and leaves the subtrees after it fragile,
 * parsed again at every keystroke. The three directive lines and the second head are blanked (with its `{`; a
 * function's second branch's declarations are kept in the one body): the code the build that defines X compiles,
 * with what the other build declares. Only where each branch is that alone (no nested conditional, no `#elif`, no
 * `#if 0`), a function's head starts at column 0 (a statement's is indented), the lines are whole, each branch within
 * HEAD_BRANCH_REACH. Dead-code decisions read the user's text, not this. Found from each `else` on a directive line.
 */
function alternativeHeads(source: string, reps: Replacement[], elses: readonly number[]): void {
  for (const at of elses) {
    const elseStart = lineStartOf(source, at);
    const elseLine = { start: elseStart, end: lineEndOf(source, at) };
    if (!/^else\b/.test(source.slice(at, elseLine.end)) || !wholeLine(source.slice(elseLine.start, elseLine.end))) continue;
    // The conditional's opening line (the nearest directive of a conditional above) and closing line (below).
    const ifLine = nearestConditional(source, elseStart, -1);
    const endifLine = nearestConditional(source, elseLine.end + 1, 1);
    if (ifLine?.kind.startsWith('if') !== true || endifLine?.kind !== 'endif') continue;
    const ifText = source.slice(ifLine.start, ifLine.end);
    if (!wholeLine(ifText) || IF_ZERO.test(ifText) || !wholeLine(source.slice(endifLine.start, endifLine.end))) continue;
    const first = codeOnly(source.slice(ifLine.end + 1, elseLine.start));
    const second = codeOnly(source.slice(elseLine.end + 1, endifLine.start));
    let secondHeadEnd: number;
    if (FUNCTION_HEAD.test(first) && FUNCTION_HEAD.test(second) && /^[ \t\n]*\{/.test(codeOnly(source.slice(endifLine.end, endifLine.end + 200)))) {
      secondHeadEnd = endifLine.start;
    } else {
      // Each branch opens the body: `{` alone on its line or ending the head's (`f(char *s) {`); a function's
      // declarations after it are kept. Or, in a body, each branch is one statement's head and its `{` (`if (a) {`).
      const a = first.indexOf('{');
      const b = second.indexOf('{');
      if (a < 0 || b < 0 || braceBalance(first) !== 1 || braceBalance(second) !== 1 || !endsItsLine(first, a) || !endsItsLine(second, b)) continue;
      const heads = FUNCTION_HEAD.test(first.slice(0, a)) && FUNCTION_HEAD.test(second.slice(0, b));
      const statements = BLOCK_HEAD.test(first) && BLOCK_HEAD.test(second);
      if (!heads && !statements) continue;
      secondHeadEnd = elseLine.end + 1 + b + 1;
    }
    reps.push(ifLine, { start: elseLine.start, end: secondHeadEnd }, endifLine);
  }
}

/** How far above its `#endif` a conditional of listElementConditionals may open, and how deep others may nest in it. */
const LIST_REACH = 2048;
const LIST_NESTING = 3;
/** A line that ends inside an expression: with a binary operator, `,`, `(`, `=` or `?`. */
const ENDS_MID_EXPRESSION = /(?:[,(=?+*/%^~!<>|&-]|[^-]-)$/;
/** A line that continues an expression: it starts with a binary operator (not `*p`, `-x`, `&x`: a statement's start). */
const CONTINUES_EXPRESSION = /^(?:&&|\|\||[|?:]|[+/%^<>]=?[^+]|,|\))/;

/**
 * Conditionals inside one initializer list or one expression, which tree-sitter-c cannot read there (it reads a
 * directive only where a statement or a declaration may stand): each is an ERROR whose recovery leaves the
 * declaration's or function's subtrees fragile. Their directive lines are blanked, keeping every branch.
 * - Among a list's elements (`.bios_param = f,` under `#if defined(__i386__)` in a host template, `{ "debug", &x },`
 *   in an options table, `spy_offset: (...),` over two lines): the list then holds every branch's elements, which is
 *   C (a designator given twice is the compiler's warning, not a syntax error) and what the rules should read (a
 *   handler registered in either build). Every branch's last line ends with `,`, and so does the line before the
 *   `#if` (or with the list's `{`).
 * - Inside an expression, with no `#else` (`size = a +` / `#ifndef X` / `b +` / `#endif` / `c;`, `if (a` /
 *   `#ifdef X` / `&& b` / `#endif` / `)`): the expression of the build that defines X. The line before the `#if` ends
 *   mid-expression, or the first line in it continues one.
 * Only where every line in the conditional is indented, holds no `;`, no other directive is among them (`#define`),
 * braces balance, it is not `#if 0` and the `#if` is at most LIST_REACH above (others nesting at most LIST_NESTING
 * deep). Found from each `endif`.
 */
function listElementConditionals(source: string, reps: Replacement[], endifs: readonly number[]): void {
  /** A line's code, its comments dropped (a comment running over lines: not a list's element line). */
  const codeOf = (line: string) => line.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
  const isCommentLine = (code: string) => code.startsWith('*') || code.startsWith('/*');
  for (const at of endifs) {
    const endifStart = lineStartOf(source, at);
    if (endifStart === 0 || !lastLineMayBeListOrExpression(source, endifStart)) continue;
    const endifEnd = lineEndOf(source, at);
    if (!/^endif\b[^\\]*$/.test(source.slice(at, endifEnd))) continue;
    const directives: { start: number; end: number }[] = [{ start: endifStart, end: endifEnd }];
    let depth = 0;
    let lines = 0;
    let braces = 0;
    /** Every branch's last line ends with `,` (a list's element). */
    let elementsEnd = true;
    let divided = false;
    let belowDirective = true;
    let first = '';
    let open = -1;
    for (let end = endifStart - 1; end > 0 && endifStart - end < LIST_REACH; ) {
      const start = lineStartOf(source, end);
      const line = source.slice(start, end);
      end = start - 1;
      const d = CONDITIONAL_LINE_START.exec(line);
      if (d) {
        if (line.endsWith('\\')) break;
        belowDirective = true;
        if (d[1] === 'endif') {
          // Deeper than real code nests, and each line is then walked by a few `#endif`s at most (linear time).
          if (++depth > LIST_NESTING) break;
          divided = true;
        } else if (d[1].startsWith('if') && depth > 0) depth--;
        else if (d[1].startsWith('if')) {
          if (!IF_ZERO.test(line)) open = start;
          directives.push({ start, end: start + line.length });
          break;
        } else divided = true;
        directives.push({ start, end: start + line.length });
        continue;
      }
      const code = codeOf(line);
      if (!code || isCommentLine(code)) continue;
      if (code.startsWith('#') || code.includes(';') || !/^[ \t]/.test(line)) break; // a #define, a statement
      if (belowDirective && !code.endsWith(',')) elementsEnd = false;
      belowDirective = false;
      braces += braceBalance(code);
      first = code;
      lines++;
    }
    if (open <= 0 || !lines || braces !== 0) continue;
    // The code line before the conditional.
    let before = '';
    for (let end = open - 1; end > 0 && !before; ) {
      const start = lineStartOf(source, end);
      const code = codeOf(source.slice(start, end));
      if (code && !isCommentLine(code) && !CONDITIONAL_LINE_START.test(code)) before = code;
      end = start - 1;
    }
    const inList = elementsEnd && (before.endsWith(',') || before.endsWith('{'));
    // A string literal continued by one (a concatenation: `"driver %s"` / `#ifdef DEBUG` / `" (debug)"` / `#endif`).
    const inConcatenation = before.endsWith('"') && first.startsWith('"');
    const inExpression = !divided && before !== '' && (ENDS_MID_EXPRESSION.test(before) || CONTINUES_EXPRESSION.test(first) || inConcatenation);
    if (inList || inExpression) for (const d of directives) reps.push(d);
  }
}

/**
 * The line before `lineStart` may end a conditional's branch inside a list or an expression: it does not end with `;`,
 * `{` or `}` (a statement or a block, as most lines before an `#endif` do). A quick test before the walk.
 */
function lastLineMayBeListOrExpression(source: string, lineStart: number): boolean {
  let i = lineStart - 2;
  while (i >= 0 && (source[i] === ' ' || source[i] === '\t' || source[i] === '\r')) i--;
  const c = source[i];
  return c !== ';' && c !== '{' && c !== '}';
}
