/** Applying fixes to text: non-overlapping edits only, applied back to front. */
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
    const overlaps = fix.edits.some((e) => taken.some((t) => e.start < t.end && t.start < e.end || (e.start === t.start && e.end === t.end)));
    if (overlaps) continue;
    edits.push(...fix.edits);
    taken.push(...fix.edits);
    applied.push(f);
  }
  return { edits, applied };
}
