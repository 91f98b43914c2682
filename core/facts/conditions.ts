/**
 * Which preprocessor branch each offset of a file lies in: the `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`
 * groups, found by a lexical scan of the text (directive lines outside comments, with their `\` continuations).
 * A lexical scan rather than tree-sitter's preproc_* nodes: the CLI parses files in part (top-level items),
 * and a group whose branches do not pair up with the braces breaks tree-sitter's nesting; the preprocessor
 * itself reads lines.
 */
import { atLineStart } from '../text/lines';

export type BranchKind = 'if' | 'ifdef' | 'ifndef' | 'elif' | 'else';

export interface Branch {
  kind: BranchKind;
  /** The condition as written, comments removed and lines joined (empty for `#else`). */
  cond: string;
  /** 1-based line of the directive. */
  line: number;
  /** The branch's text: from the end of its directive line to the start of the next directive of its group. */
  start: number;
  end: number;
  /** The earlier branches of the same group (an `#elif` or `#else` runs only when they are all false). */
  before: Branch[];
}

/** A directive line: its name (`ifdef`), the rest (comments removed), its start and the end of its last line. */
interface Directive {
  name: string;
  rest: string;
  start: number;
  end: number;
  line: number;
}

const DIRECTIVE = /^#[ \t]*([A-Za-z_]\w*)?(.*)$/s;

/**
 * The directive lines of a text, outside block comments. A block comment that starts on a code line and runs
 * over several lines is followed; string and character literals on code lines are skipped, so a quoted `/*`
 * opens nothing.
 */
function directives(text: string): Directive[] {
  const out: Directive[] = [];
  let inComment = false;
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lineStart = i;
    const lineNo = line;
    // Leading blanks; a directive starts with `#` as the line's first non-blank outside a comment.
    let j = i;
    if (!inComment) while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
    const isDirective = !inComment && text[j] === '#';
    let body = '';
    // Walk the (logical) line: comments are dropped from a directive's body, literals skipped on code lines.
    let k = isDirective ? j : lineStart;
    for (;;) {
      if (k >= n) break;
      const c = text[k];
      if (c === '\n' || c === '\r') {
        const next = c === '\r' && text[k + 1] === '\n' ? k + 2 : k + 1;
        line++;
        // A directive continues over `\` at the end of a line.
        if (isDirective && !inComment && text[k - 1] === '\\') {
          body = body.slice(0, -1);
          k = next;
          continue;
        }
        if (isDirective && inComment) {
          // A comment opened on a directive line ends the directive at this line break.
          k = next;
          break;
        }
        k = next;
        break;
      }
      if (inComment) {
        if (c === '*' && text[k + 1] === '/') {
          inComment = false;
          k += 2;
          if (isDirective) body += ' ';
        } else k++;
        continue;
      }
      if (c === '/' && text[k + 1] === '*') {
        inComment = true;
        k += 2;
        continue;
      }
      if (c === '/' && text[k + 1] === '/') {
        while (k < n && text[k] !== '\n' && text[k] !== '\r') k++;
        continue;
      }
      if (!isDirective && (c === '"' || c === "'")) {
        k++;
        while (k < n && text[k] !== c && text[k] !== '\n' && text[k] !== '\r') k += text[k] === '\\' ? 2 : 1;
        if (text[k] === c) k++;
        continue;
      }
      if (isDirective) body += c;
      k++;
    }
    if (isDirective) {
      const m = DIRECTIVE.exec(body);
      if (m) out.push({ name: m[1] ?? '', rest: m[2].trim(), start: lineStart, end: k, line: lineNo });
    }
    i = k;
    // A comment still open at the end of a line keeps going; `line` was counted in the loop.
    if (k >= n) break;
  }
  return out;
}

/**
 * The preprocessor branches of a text, outermost first within each group. Unbalanced directives (an `#endif`
 * without its `#if`, a group left open at the end) are read as the preprocessor would fail on them: the
 * extra `#endif` is ignored, an open group runs to the end of the text.
 */
export function preprocessorBranches(text: string): Branch[] {
  return scanPreprocessor(text).branches;
}

/** A `#define` line: the name, the directive's offset and whether it is outside every `#if` group. */
export interface DefineLine {
  name: string;
  at: number;
  line: number;
  unconditional: boolean;
}

export interface PreprocessorScan {
  branches: Branch[];
  defines: DefineLine[];
  /** Names some `#undef` line names. */
  undefs: Set<string>;
}

/** The branches of a text (see preprocessorBranches) with its `#define` and `#undef` lines, comments left out. */
export function scanPreprocessor(text: string): PreprocessorScan {
  const out: Branch[] = [];
  const defines: DefineLine[] = [];
  const undefs = new Set<string>();
  // Each open group: its branches so far (the last one is open).
  const stack: Branch[][] = [];
  const close = (group: Branch[], at: number) => {
    group[group.length - 1].end = at;
  };
  for (const d of directives(text)) {
    switch (d.name) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        const b: Branch = { kind: d.name, cond: d.rest, line: d.line, start: d.end, end: text.length, before: [] };
        out.push(b);
        stack.push([b]);
        break;
      }
      case 'elif':
      case 'else': {
        const group = stack[stack.length - 1];
        if (!group) break;
        close(group, d.start);
        const b: Branch = { kind: d.name, cond: d.name === 'elif' ? d.rest : '', line: d.line, start: d.end, end: text.length, before: [...group] };
        out.push(b);
        group.push(b);
        break;
      }
      case 'endif': {
        const group = stack.pop();
        if (group) close(group, d.start);
        break;
      }
      case 'define':
      case 'undef': {
        const name = /^[A-Za-z_]\w*/.exec(d.rest)?.[0];
        if (!name) break;
        if (d.name === 'undef') undefs.add(name);
        else defines.push({ name, at: d.start, line: d.line, unconditional: stack.length === 0 });
        break;
      }
    }
  }
  return { branches: out, defines, undefs };
}

/** The branches an offset lies in, outermost first. */
export function branchesAt(branches: readonly Branch[], offset: number): Branch[] {
  return branches.filter((b) => b.start <= offset && offset < b.end);
}

/**
 * Names `#define`d in a text, by a line scan (a define in a comment or a dead block counts too: this set
 * says what may be defined, and more names only keep code live).
 */
export function definedNames(text: string): string[] {
  const out: string[] = [];
  // From each `#` (a literal irregexp skips to), then back to the line's start over blanks: the same lines as
  // /^[ \t]*#[ \t]*define…/gm, several times faster on a tree (this runs on every file the CLI reads).
  for (const m of text.matchAll(DEFINE_FROM_HASH)) if (atLineStart(text, m.index!)) out.push(m[1]);
  return out;
}

const DEFINE_FROM_HASH = /#[ \t]*define[ \t]+([A-Za-z_]\w*)/g;
