/**
 * The kernel a porter targets (setting `target`): which names of the allocation API exist there, and what
 * replaces the ones that do not — read from the knowledge base (kb.generated.json, kb-replacements.ts), never
 * from prose in rule code. "2.6" is the LWN article's destination (2.6.0) and the default.
 */
import { KB, kbChange, kbSymbol } from './kb';
import type { KbChange } from './kb-replacements';

/** The targets a user can name: the article's "2.6", then every release of the table after 2.6.0. */
export const TARGETS: readonly string[] = ['2.6', ...KB.versions.filter((v) => compareReleases(v, '2.6.0') > 0)];
export const DEFAULT_TARGET = '2.6';

/** -1, 0, 1 as release `a` is before, the same as or after `b` ("2.6" counts as 2.6.0). */
export function compareReleases(a: string, b: string): number {
  const parts = (v: string) => (v === '2.6' ? '2.6.0' : v).split('.').map(Number);
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/** A target setting: one of TARGETS (a number like 6.1 is read as "6.1"), else the default and the problem. */
export function resolveTarget(setting: unknown): { target: string; problem?: string } {
  if (setting === undefined || setting === null || setting === '') return { target: DEFAULT_TARGET };
  const given = typeof setting === 'number' ? String(setting) : setting;
  if (typeof given === 'string' && TARGETS.includes(given.trim())) return { target: given.trim() };
  return { target: DEFAULT_TARGET, problem: `target kernel "${String(setting)}" is not one of ${TARGETS.join(', ')}: using ${DEFAULT_TARGET}` };
}

/** The table's release a target reads: "2.6" is 2.6.0. */
const release = (target: string) => (target === '2.6' ? '2.6.0' : target);

/** Whether `name` is declared in the target's headers (a name the table does not know, or did not read there, counts as present). */
export function presentIn(name: string, target: string): boolean {
  return kbSymbol(name)?.versions[release(target)]?.status !== 'absent';
}

/** The change that makes `name` unusable in `target`: removed or its declaration changed, as of a release at or before it. */
export function changeIn(name: string, target: string): KbChange | undefined {
  const c = kbChange(name);
  return c && c.change !== 'added' && compareReleases(target, c.offeredFrom) >= 0 ? c : undefined;
}

/** The safer form `name` (a KB_CHANGES 'added' entry) when the target has it: the change, for its release and reason. */
export function addedIn(name: string, target: string): KbChange | undefined {
  const c = kbChange(name);
  return c?.change === 'added' && compareReleases(target, c.offeredFrom) >= 0 ? c : undefined;
}

/**
 * What to write for `name` in the target, following replacements until one exists there: `name` itself when
 * it exists, `null` when the name is simply dropped (a flag with no successor), else the first replacement
 * (chained: a replacement that is itself gone is replaced in turn).
 */
export function nameFor(name: string, target: string): { name: string | null; via: KbChange[] } {
  const via: KbChange[] = [];
  let cur = name;
  for (let hops = 0; hops < 5; hops++) {
    const c = changeIn(cur, target);
    if (!c || c.change !== 'removed') return { name: cur, via };
    via.push(c);
    if (!c.replacement?.length) return { name: null, via };
    cur = c.replacement[0];
  }
  return { name: cur, via };
}

const C_NAME = /[A-Za-z_]\w*/g;

/**
 * `text` (a fix's replacement text) written for the target: each removed name becomes its replacement; a
 * dropped flag leaves its mask (`GFP_KERNEL | __GFP_COLD` → `GFP_KERNEL`). Null when nothing would be left
 * (the text is only a dropped flag). Returns the changes applied, for the message. `tested(offset, length)`
 * says whether the name at that offset of `text` is tested or cleared with `&` where the fix puts it: such a
 * flag takes the table's `testedAs` (`__GFP_WAIT` tested is `__GFP_DIRECT_RECLAIM`, set is `__GFP_RECLAIM`).
 */
export function textFor(text: string, target: string, tested?: (offset: number, length: number) => boolean): { text: string | null; via: KbChange[] } {
  const via: KbChange[] = [];
  let out = text.replace(C_NAME, (name, offset: number) => {
    const r = nameFor(name, target);
    if (!r.via.length) return name;
    via.push(...r.via);
    const testedAs = r.via[0].testedAs;
    if (testedAs && tested?.(offset, name.length)) return testedAs;
    return r.name ?? `\u0000${name}\u0000`;
  });
  if (out.includes('\u0000')) {
    // A dropped flag takes its `|` with it.
    out = out.replace(/\s*\|\s*\u0000\w+\u0000/g, '').replace(/\u0000\w+\u0000\s*\|\s*/g, '');
    if (out.includes('\u0000')) return { text: null, via };
  }
  return { text: out, via };
}
