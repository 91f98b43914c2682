/**
 * A C file cut into its top-level items by a lexical scan: function definitions, declarations and
 * the preprocessor lines between them. The CLI's pass 1b parses only the items it needs (with
 * tree-sitter's included ranges), which is what makes reading a file for a few cross-file names
 * cheaper than parsing it.
 *
 * The scan knows comments, string and character literals, directives (with `\` continuations) and
 * braces. When the braces do not pair up as one item per top-level `{...}` (an `#ifdef` that opens a
 * function twice, a K&R parameter list, a truncated file), it gives up and the caller parses the
 * whole file: a wrong cut would change the tree.
 */

export interface TopLevelItem {
  start: number;
  end: number;
  /**
   * `function`: a definition (a top-level `{...}` after a `)`); `code`: any other declaration, or
   * blanks and comments; both with the blanks and comments before them. `conditional`: an
   * `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` line (with its continuations) outside any item;
   * `directive`: any other preprocessor line there.
   */
  kind: 'function' | 'code' | 'conditional' | 'directive';
  /** A function's body `{` (what is before it is the head: return type, name, parameters). */
  bodyStart?: number;
}

const CONDITIONAL = /^#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b/;

enum C {
  Newline = 10,
  Quote = 34,
  Hash = 35,
  Apostrophe = 39,
  LeftParen = 40,
  RightParen = 41,
  Star = 42,
  Slash = 47,
  Semicolon = 59,
  Backslash = 92,
  LeftBrace = 123,
  RightBrace = 125,
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 12 || c === 11;
}

/** The items of `text` in order, covering it entirely; null when it cannot be cut safely. */
export function topLevelItems(text: string): TopLevelItem[] | null {
  const items: TopLevelItem[] = [];
  const n = text.length;
  let itemStart = 0;
  /** Whether code (not blanks, comments or directives) was seen since itemStart. */
  let pending = false;
  let depth = 0;
  /** Parentheses open at brace depth 0 (an item never ends inside a macro call's arguments). */
  let parens = 0;
  /** The last code character outside comments, at depth 0: what a top-level `{` follows. */
  let lastCode = 0;
  /** Whether the open top-level `{` is a function body (it follows a `)`). */
  let functionBody = false;
  let bodyStart = 0;
  let lineStart = true;
  /** Per open #if: the brace depth where it started; each branch must end at that depth. */
  const conditionals: number[] = [];
  const close = (end: number, kind: TopLevelItem['kind']) => {
    if (end > itemStart) items.push(kind === 'function' ? { start: itemStart, end, kind, bodyStart } : { start: itemStart, end, kind });
    itemStart = end;
    pending = false;
  };
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === C.Newline) {
      lineStart = true;
      i++;
      continue;
    }
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === C.Slash && text.charCodeAt(i + 1) === C.Star) {
      const e = text.indexOf('*/', i + 2);
      if (e < 0) return null;
      i = e + 2;
      continue;
    }
    if (c === C.Slash && text.charCodeAt(i + 1) === C.Slash) {
      const e = text.indexOf('\n', i);
      i = e < 0 ? n : e;
      continue;
    }
    if (c === C.Hash && lineStart) {
      // A directive runs to the end of its line, across `\` line ends and comments.
      const hash = i;
      if (depth === 0 && !pending) close(i, 'code');
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === C.Newline) break;
        if (d === C.Backslash && text.charCodeAt(j + 1) === C.Newline) j += 2;
        else if (d === C.Backslash && text.charCodeAt(j + 1) === 13 && text.charCodeAt(j + 2) === C.Newline) j += 3;
        else if (d === C.Slash && text.charCodeAt(j + 1) === C.Star) {
          const e = text.indexOf('*/', j + 2);
          if (e < 0) return null;
          j = e + 2;
        } else j++;
      }
      i = j < n ? j + 1 : n;
      lineStart = true;
      const word = CONDITIONAL.exec(text.slice(hash, Math.min(i, hash + 16)))?.[1];
      // tree-sitter reads every branch of an #if as code: a branch that opens or closes a brace the
      // others do not (`#ifdef A\n if (a) {\n#else\n if (b) {\n#endif`) cuts the text elsewhere.
      if (word === 'if' || word === 'ifdef' || word === 'ifndef') conditionals.push(depth);
      else if (word && conditionals.length) {
        if (depth !== conditionals[conditionals.length - 1]) return null;
        if (word === 'endif') conditionals.pop();
      }
      if (depth === 0 && !pending) close(i, word ? 'conditional' : 'directive');
      continue;
    }
    lineStart = false;
    if (c === C.Quote || c === C.Apostrophe) {
      // A literal ends at its quote; an unterminated one at the end of its line, as a lexer would.
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === C.Backslash) j += 2;
        else if (d === c || d === C.Newline) break;
        else j++;
      }
      if (j >= n || text.charCodeAt(j) === C.Newline) return null;
      i = j + 1;
      if (depth === 0) {
        pending = true;
        lastCode = c;
      }
      continue;
    }
    if (c === C.LeftBrace) {
      if (depth === 0) {
        // After `;` at depth 0 a `{` is a K&R parameter declaration list or something stranger; inside
        // parentheses, a statement expression or a macro's argument.
        if (!pending || lastCode === C.Semicolon || parens !== 0) return null;
        functionBody = lastCode === C.RightParen;
        bodyStart = i;
      }
      depth++;
      i++;
      continue;
    }
    if (c === C.RightBrace) {
      if (--depth < 0) return null;
      i++;
      if (depth === 0) {
        lastCode = c;
        // A function ends at its body's brace; a struct or an initializer at the `;` after it.
        if (functionBody) close(i, 'function');
      }
      continue;
    }
    i++;
    if (depth === 0) {
      pending = true;
      lastCode = c;
      if (c === C.LeftParen) parens++;
      else if (c === C.RightParen && --parens < 0) return null;
      else if (c === C.Semicolon && parens === 0) close(i, 'code');
    }
  }
  if (depth !== 0 || parens !== 0) return null;
  if (n > itemStart) items.push({ start: itemStart, end: n, kind: 'code' });
  return items;
}
