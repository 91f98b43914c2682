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

/** The preferred fix of each finding, dropping those that overlap an earlier one. */
export function preferredEdits(findings: readonly Finding[]): { edits: TextEdit[]; applied: Finding[] } {
  const edits: TextEdit[] = [];
  const applied: Finding[] = [];
  const taken: TextEdit[] = [];
  for (const f of findings) {
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
