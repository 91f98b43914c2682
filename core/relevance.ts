/**
 * Which files can matter at all, decided from the text before any parse (the parse is half of a
 * tree check's time). Both tests are conservative: they may keep a file that turns out to hold
 * nothing, never drop one that holds something. This is Coccinelle's idea (a semantic patch's
 * required tokens are grepped for first), applied to kport's rules and to its cross-file pass.
 */
import type { Rule } from './rules/types';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A test for "this text can get a finding from one of `rules`": it contains one of their trigger
 * strings (Rule.triggers), anywhere, comments and longer identifiers included.
 */
export function triggerTest(rules: readonly Pick<Rule, 'triggers'>[]): (text: string) => boolean {
  const words = [...new Set(rules.flatMap((r) => r.triggers))];
  if (words.length === 0) return () => false;
  // One alternation scans the text once; longest first so that no word hides a longer one.
  const re = new RegExp(words.sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).map(escapeRegExp).join('|'));
  return (text) => re.test(text);
}

/** Maximal runs of the characters tree-sitter-c's identifier is made of (XID_Continue and `$`). */
const RUN = /[\p{XID_Continue}$]+/gu;
const PLAIN_NAME = /^[\p{XID_Continue}$]+$/u;

/**
 * A test for "this text names one of `names`" (function names tree-sitter read as identifiers), as a
 * whole identifier. tree-sitter's identifier ends where a run of identifier characters ends, and it
 * starts where the run starts except after a token glued to it: a number (`0x1fname`) or a directive
 * word (`#definename`). Those runs are tried at every position; names with `\u` escapes (not one run)
 * are looked for as plain substrings.
 */
export function mentionTest(names: Iterable<string>): (text: string) => boolean {
  const plain = new Set<string>();
  const odd: string[] = [];
  for (const n of names) {
    if (PLAIN_NAME.test(n)) plain.add(n);
    else odd.push(n);
  }
  return (text) => {
    for (const n of odd) if (text.includes(n)) return true;
    if (plain.size === 0) return false;
    for (const m of text.matchAll(RUN)) {
      const run = m[0];
      if (plain.has(run)) return true;
      const glued = (run.charCodeAt(0) >= 48 && run.charCodeAt(0) <= 57) || afterHash(text, m.index!);
      if (glued) for (let i = 1; i < run.length; i++) if (plain.has(run.slice(i))) return true;
    }
    return false;
  };
}

/** Whether only blanks stand between `#` and offset `at` (a directive word starts there). */
function afterHash(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  return i >= 0 && text[i] === '#';
}
