/**
 * Which files can matter at all, decided from the text before any parse (the parse is half of a
 * tree check's time). Both tests are conservative: they may keep a file that turns out to hold
 * nothing, never drop one that holds something. This is Coccinelle's idea (a semantic patch's
 * required tokens are grepped for first), applied to kport's rules and to its cross-file pass.
 */
import { escapeRegExp } from './text/regexp';

const NAME = /^[A-Za-z_]\w*$/;
const WORD_CHAR = /[A-Za-z0-9_]/;

/**
 * A test for "this text can get a finding from one of `rules`": it contains one of their trigger
 * strings (Rule.triggers: the names in each rule's `matches`). A trigger that is a C name counts where a rule could see it as one: not
 * inside a longer name (`dev_alloc_skb` is not `alloc_skb`), but after a digit, `$` or any non-ASCII
 * character (the rules' token scan uses \b), and after a letter that ends a token tree-sitter reads
 * apart (`0x1fkmalloc`, `#definekmalloc`). Other triggers (`malloc.h`) count anywhere.
 */
export function triggerTest(rules: readonly { triggers: readonly string[] }[]): (text: string) => boolean {
  const words = [...new Set(rules.flatMap((r) => r.triggers))].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  if (words.length === 0) return () => false;
  const names = words.filter((w) => NAME.test(w)).map(escapeRegExp);
  const others = words.filter((w) => !NAME.test(w)).map(escapeRegExp);
  const other = others.length ? new RegExp(others.join('|')) : null;
  const anywhere = names.length ? new RegExp(names.join('|'), 'g') : null;
  // One scan of the text (most files hold no trigger: a scan with the boundaries in the pattern, then another for
  // glued tokens, read them twice). At a position the longest name is tried first, and a shorter one there is its
  // prefix, followed by a word character: if the longest is not a whole name, none is.
  return (text) => {
    if (other?.test(text)) return true;
    if (!anywhere) return false;
    anywhere.lastIndex = 0;
    for (let m = anywhere.exec(text); m; m = anywhere.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (end >= text.length || !WORD_CHAR.test(text[end])) {
        // Not inside a longer name; or, with a letter just before, that letter ends a glued token.
        if (start === 0 || !NAME_START.test(text[start - 1]) || glued(text, start)) return true;
      }
      anywhere.lastIndex = start + 1;
    }
    return false;
  };
}

/** A character that continues a name before a trigger (the rules' token scan and tree-sitter agree on these). */
const NAME_START = /[A-Za-z_]/;

/**
 * Where triggerTest sees a trigger in `text`: the [start, end) of every hit. An item of the text holds a hit
 * inside it exactly when triggerTest passes on the item's text (hits are whole names: none crosses an item's
 * edge), so one scan of a file answers for all of its items.
 */
export function triggerSpans(rules: readonly { triggers: readonly string[] }[]): (text: string) => [number, number][] {
  const words = [...new Set(rules.flatMap((r) => r.triggers))].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  if (words.length === 0) return () => [];
  const names = words.filter((w) => NAME.test(w)).map(escapeRegExp);
  const others = words.filter((w) => !NAME.test(w)).map(escapeRegExp);
  const other = others.length ? new RegExp(others.join('|'), 'g') : null;
  const bounded = names.length ? new RegExp(`(?<![A-Za-z_])(?:${names.join('|')})(?![A-Za-z0-9_])`, 'g') : null;
  const anywhere = names.length ? new RegExp(names.join('|'), 'g') : null;
  return (text) => {
    const out: [number, number][] = [];
    for (const re of [other, bounded]) if (re) for (const m of text.matchAll(re)) out.push([m.index!, m.index! + m[0].length]);
    if (anywhere)
      for (const m of text.matchAll(anywhere)) {
        const end = m.index! + m[0].length;
        if (end < text.length && WORD_CHAR.test(text[end])) continue;
        if (m.index! > 0 && /[A-Za-z_]/.test(text[m.index! - 1]) && glued(text, m.index!)) out.push([m.index!, end]);
      }
    return out.sort((a, b) => a[0] - b[0]);
  };
}

/** Maximal runs of the characters tree-sitter-c's identifier is made of (XID_Continue and `$`). */
const RUN = /[\p{XID_Continue}$]+/gu;
const ASCII_NAME = /^[A-Za-z0-9_$]+$/;

/**
 * A test for "this text names one of `names`" (function names tree-sitter read as identifiers), as a
 * whole identifier. tree-sitter's identifier ends where a run of identifier characters ends, and it
 * starts where the run starts except after a token glued to it: a number (`0x1fname`) or a directive
 * word (`#definename`). Those runs are tried at every position; names with `\u` escapes (not one run)
 * are looked for as plain substrings.
 */
export function mentionTest(names: Iterable<string>): (text: string) => boolean {
  const scan = mentionScanner(names);
  return (text) => scan(text, () => true);
}

/**
 * Where `text` names one of `names` (the offsets where mentionTest sees one): one pass of the
 * substring alternation over the whole text, each hit checked against the identifier run around it.
 * For a text cut in many items this is one regex scan instead of one per item.
 */
export function mentionPositions(names: Iterable<string>): (text: string) => number[] {
  const scan = mentionScanner(names);
  return (text) => {
    const out: number[] = [];
    scan(text, (at) => {
      out.push(at);
      return false;
    });
    return out.sort((a, b) => a - b);
  };
}

/**
 * The scan behind mentionTest and mentionPositions: `hit(at)` for each offset where `text` names one of
 * `names` as tree-sitter reads identifiers (a whole run of identifier characters, or after a glued token
 * any tail of it), until `hit` returns true; returns whether it did. Names that are not plain ASCII runs
 * are looked for as substrings.
 *
 * A few names are found as substrings by one alternation (irregexp skips through text for them), each
 * hit checked against the run around it, and the run skipped. Many names are looked up run by run in a
 * set: an alternation of a thousand names with long shared prefixes (`mpt3sas_config_get_…`) backtracks
 * at every position, ten times slower on a kernel tree. Those runs are read as ASCII: a non-ASCII
 * identifier character then ends a run early, which can only add mentions.
 */
function mentionScanner(names: Iterable<string>): Scanner {
  // A job hands every file the same array of names: its scanner (and its regexes) is built once.
  if (!Array.isArray(names)) return buildMentionScanner(names);
  let scan = mentionScanners.get(names);
  if (!scan) mentionScanners.set(names, (scan = buildMentionScanner(names)));
  return scan;
}

type Scanner = (text: string, hit: (at: number) => boolean) => boolean;
const mentionScanners = new WeakMap<readonly string[], Scanner>();

function buildMentionScanner(names: Iterable<string>): Scanner {
  const plain = new Set<string>();
  const odd: string[] = [];
  for (const n of names) {
    if (ASCII_NAME.test(n)) plain.add(n);
    else odd.push(n);
  }
  const scanOdd = (text: string, hit: (at: number) => boolean) => {
    for (const n of odd) for (let i = text.indexOf(n); i >= 0; i = text.indexOf(n, i + 1)) if (hit(i)) return true;
    return false;
  };
  if (plain.size && plain.size <= SEARCHED_NAMES) {
    // Each name searched for with indexOf (no pattern to compile for a set used on one file): the runs holding an
    // occurrence, each read once in text order — the runs, and so the hits, the alternation below finds.
    const list = [...plain];
    return (text, hit) => {
      if (scanOdd(text, hit)) return true;
      const runs: number[] = [];
      for (const n of list)
        for (let at = text.indexOf(n); at >= 0; at = text.indexOf(n, at + 1)) {
          let start = at;
          while (start > 0 && isIdentifierChar(text, start - 1)) start--;
          runs.push(start);
        }
      runs.sort((a, b) => a - b);
      for (let r = 0; r < runs.length; r++) {
        const start = runs[r];
        if (r > 0 && runs[r - 1] === start) continue;
        let end = start;
        while (end < text.length && isIdentifierChar(text, end)) end++;
        if (plain.has(text.slice(start, end)) && hit(start)) return true;
        if (runGlued(text, start)) for (let i = start + 1; i < end; i++) if (plain.has(text.slice(i, end)) && hit(i)) return true;
      }
      return false;
    };
  }
  if (plain.size <= FEW_NAMES) {
    const anywhere = plain.size
      ? new RegExp(
          [...plain]
            .sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
            .map(escapeRegExp)
            .join('|'),
          'g',
        )
      : null;
    return (text, hit) => {
      if (scanOdd(text, hit)) return true;
      if (!anywhere) return false;
      anywhere.lastIndex = 0;
      for (let m = anywhere.exec(text); m; m = anywhere.exec(text)) {
        let start = m.index;
        while (start > 0 && isIdentifierChar(text, start - 1)) start--;
        let end = m.index + m[0].length;
        while (end < text.length && isIdentifierChar(text, end)) end++;
        if (plain.has(text.slice(start, end)) && hit(start)) return true;
        if (runGlued(text, start)) for (let i = start + 1; i < end; i++) if (plain.has(text.slice(i, end)) && hit(i)) return true;
        anywhere.lastIndex = end;
      }
      return false;
    };
  }
  // Only runs as long as some name are looked up (a substring is made only for those).
  const lengths = new Uint8Array(256);
  for (const n of plain) lengths[Math.min(n.length, 255)] = 1;
  // A run is looked up in the set only when its hash is one of the names' (a substring per identifier of a
  // tree was most of this scan's time and garbage): the same hash, computed as the run is read.
  let slots = 1024;
  while (slots < plain.size * RUN_HASH_SPREAD && slots < MAX_RUN_HASH_SLOTS) slots *= 2;
  const mask = slots - 1;
  const hashes = new Uint8Array(slots);
  for (const n of plain) {
    let h = 0;
    for (let i = 0; i < n.length; i++) h = (Math.imul(h, 31) + n.charCodeAt(i)) | 0;
    hashes[h & mask] = 1;
  }
  return (text, hit) => {
    if (scanOdd(text, hit)) return true;
    const n = text.length;
    for (let i = 0; i < n; ) {
      const c = text.charCodeAt(i);
      if (c >= 128 || !ASCII_IDENTIFIER[c]) {
        i++;
        continue;
      }
      let h = c;
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d >= 128 || !ASCII_IDENTIFIER[d]) break;
        h = (Math.imul(h, 31) + d) | 0;
        j++;
      }
      if (hashes[h & mask] && lengths[Math.min(j - i, 255)] && plain.has(text.slice(i, j)) && hit(i)) return true;
      if (runGlued(text, i)) for (let k = i + 1; k < j; k++) if (lengths[Math.min(j - k, 255)] && plain.has(text.slice(k, j)) && hit(k)) return true;
      i = j;
    }
    return false;
  };
}

/** mentionScanner's table of name hashes: this many slots a name (a run's chance of a false hit is under 1/64), at most MAX. */
const RUN_HASH_SPREAD = 64;
const MAX_RUN_HASH_SLOTS = 1 << 18;

/** Per ASCII code: a character of an identifier run (letters, digits, `_`, `$`). */
const ASCII_IDENTIFIER = new Uint8Array(128).map((_, c) => (/[A-Za-z0-9_$]/.test(String.fromCharCode(c)) ? 1 : 0));

/** Up to this many names, mentionScanner searches for them as substrings; beyond, it looks up every run. */
const FEW_NAMES = 64;
/** Up to this many, each with indexOf; beyond, with one alternation. */
const SEARCHED_NAMES = 4;

/**
 * Calls `visit` with every name tree-sitter may read as an identifier in `text` (what mentionTest
 * looks for): each run of identifier characters, and after a glued token every tail of the run.
 */
export function forEachMention(text: string, visit: (name: string) => void): void {
  for (const m of text.matchAll(RUN)) {
    const run = m[0];
    visit(run);
    if (runGlued(text, m.index!)) for (let i = 1; i < run.length; i++) visit(run.slice(i));
  }
}

/**
 * Which of a file's function definitions a summary that only has to be right for `names` needs (the
 * CLI's pass 1b, for files without findings): those that name one of `names` (a call, a registration,
 * a value use, or a definition of that name), and then every function that names a needed one (its
 * caller, or where it is registered or stored: they decide whether it runs atomically).
 */
export function functionsNaming(fns: readonly { name: string; text: string }[], names: Iterable<string>): boolean[] {
  const needed = fns.map(() => false);
  let test = mentionTest(names);
  for (;;) {
    const added: string[] = [];
    fns.forEach((f, i) => {
      if (!needed[i] && test(f.text)) {
        needed[i] = true;
        if (f.name) added.push(f.name);
      }
    });
    if (added.length === 0) return needed;
    test = mentionTest(added);
  }
}

/**
 * Whether a name starting at `at` may be read by tree-sitter as a token of its own although the
 * character before it continues an identifier: the run of identifier characters it is part of starts
 * with a digit (a number like `0x1f` ends there) or right after `#` (a directive word like `define`).
 */
function glued(text: string, at: number): boolean {
  let i = at;
  while (i > 0 && isIdentifierChar(text, i - 1)) i--;
  return i === at || runGlued(text, i);
}

/** Whether the run of identifier characters starting at `start` begins with a digit or follows `#`. */
function runGlued(text: string, start: number): boolean {
  const c = text.charCodeAt(start);
  if (c >= 48 && c <= 57) return true;
  let j = start - 1;
  // Character codes: space, tab, `#`.
  while (j >= 0 && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j--;
  return j >= 0 && text.charCodeAt(j) === 35;
}

const ID_CHAR = /[\p{XID_Continue}$]/u;

function isIdentifierChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return ASCII_IDENTIFIER[c] === 1;
  // A surrogate pair's halves are tested as a pair.
  return ID_CHAR.test(String.fromCodePoint(text.codePointAt(c >= 0xdc00 && c <= 0xdfff && i > 0 ? i - 1 : i)!));
}
