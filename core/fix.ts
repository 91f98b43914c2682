/** Applying fixes to text: non-overlapping edits only, applied back to front. */
import { countSyntaxErrors, type CParser, type ParseOptions } from './parse/parser';
import type { Finding, Fix, TextEdit } from './rules/types';

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.end > limit || e.start < 0 || e.end > text.length || e.start > e.end) continue; // overlapping or out of range: skipped
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
    limit = e.start;
  }
  return out;
}

/**
 * When two preferred fixes overlap, a context fix wins over a token fix: sleep-in-atomic rewrites the whole
 * mask (`GFP_BUFFER` → `GFP_ATOMIC`), which also settles the gfp-buffer finding on the token inside it,
 * whereas the token fix (`GFP_NOIO`) would leave a sleep in atomic context for a second fix-all to find.
 */
const FIRST_ON_OVERLAP = ['sleep-in-atomic'];

/** The preferred fix of each finding, dropping those that overlap one already taken. */
export function preferredEdits(findings: readonly Finding[]): { edits: TextEdit[]; applied: Finding[] } {
  const edits: TextEdit[] = [];
  const applied: Finding[] = [];
  const taken: TextEdit[] = [];
  const rank = (f: Finding) => (FIRST_ON_OVERLAP.includes(f.rule) ? 0 : 1);
  const ordered = findings.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i);
  for (const { f } of ordered) {
    const fix: Fix | undefined = f.fixes.find((x) => x.preferred);
    if (!fix) continue;
    const overlaps = fix.edits.some((e) => taken.some((t) => (e.start < t.end && t.start < e.end) || (e.start === t.start && e.end === t.end)));
    if (overlaps) continue;
    edits.push(...fix.edits);
    taken.push(...fix.edits);
    applied.push(f);
  }
  return { edits, applied };
}

/**
 * Whether `text` with `edits` applied parses with no more ERROR and MISSING nodes than `before` (the
 * original's count). A parse that fails (over `options.maxMs`) counts as worse. On text with syntax errors
 * tree-sitter's recovery is not monotone: a harmless insertion can add an ERROR elsewhere, so the editor
 * offers, and the CLI writes, only fixes that pass this.
 */
export function parsesNoWorse(parser: CParser, text: string, edits: readonly TextEdit[], before: number, options: ParseOptions = {}): boolean {
  try {
    const after = parser.parse(applyEdits(text, edits), options);
    try {
      return countSyntaxErrors(after.root) <= before;
    } finally {
      after.dispose();
    }
  } catch {
    return false;
  }
}

/**
 * All preferred fixes at once; if that adds ERROR nodes, each fix alone on top of those already
 * kept (greedy), so one bad fix does not block the others.
 */
export function safeFix(parser: CParser, text: string, findings: readonly Finding[], before: number): { newText: string; applied: number; skipped?: string } {
  const { edits, applied } = preferredEdits(findings);
  if (!edits.length) return { newText: text, applied: 0 };
  if (parsesNoWorse(parser, text, edits, before)) return { newText: applyEdits(text, edits), applied: applied.length };
  const kept: TextEdit[] = [];
  let count = 0;
  for (const f of applied) {
    const fix = f.fixes.find((x) => x.preferred)!;
    if (parsesNoWorse(parser, text, [...kept, ...fix.edits], before)) {
      kept.push(...fix.edits);
      count++;
    }
  }
  const skippedN = applied.length - count;
  return {
    newText: count ? applyEdits(text, kept) : text,
    applied: count,
    skipped: `${skippedN} fix${skippedN === 1 ? '' : 'es'} not applied: the result would not parse as cleanly as the original`,
  };
}
