/**
 * The versioned knowledge base of the allocation API: kb.generated.json (scripts/kb/generate.mjs, from the
 * headers of each release) and the changes of kb-replacements.ts, queried by name.
 */
import generated from './kb.generated.json';
import { KB_CHANGES, type KbChange } from './kb-replacements';
import { nameTable } from './name-table';

export type KbStatus = 'present' | 'absent' | 'unknown';

export interface KbEntry {
  status: KbStatus;
  /** Header (path in the kernel tree) and 1-based line of the first declaration. */
  file?: string;
  line?: number;
  /** The declaration as written, whitespace normalized: the #define, prototype or typedef. */
  decl?: string;
  /** A flag's or mask's value, where the header's #defines resolve to a number. */
  value?: string;
  /** Other declarations of the name in the same release (configuration variants). */
  alternatives?: { file: string; line: number; decl: string; value?: string }[];
  /** Headers that declare the name elsewhere and were not read for this release. */
  notRead?: string[];
}

export interface KbSymbol {
  kind: 'flag' | 'mask' | 'function' | 'type' | 'header';
  versions: Record<string, KbEntry>;
}

export interface KbHeaderSource {
  path: string;
  /** Repository (owner/name), package (debian:…) or local tree the header was read from. */
  source: string;
  /** Commit or package version. */
  revision: string;
  from: string;
}

export interface KnowledgeBase {
  versions: string[];
  /** Per release: the exact release read (2.6.32.2), what the tree is, each header's source, headers not read. */
  trees: Record<string, { release?: string; note?: string; headers: KbHeaderSource[]; notRead: string[] }>;
  symbols: Record<string, KbSymbol>;
}

export const KB = generated as KnowledgeBase;

/** The symbols by name (no prototype: a C name like `constructor` finds nothing). */
const SYMBOLS: Readonly<Record<string, KbSymbol>> = nameTable(KB.symbols);

const CHANGES: Readonly<Record<string, KbChange>> = nameTable(Object.fromEntries(KB_CHANGES.map((c) => [c.symbol, c])));

export function kbSymbol(name: string): KbSymbol | undefined {
  return SYMBOLS[name];
}

export function kbChange(name: string): KbChange | undefined {
  return CHANGES[name];
}

/** The C names of the table (headers excluded), for token lookups. */
export const KB_NAMES: readonly string[] = Object.keys(KB.symbols).filter((n) => KB.symbols[n].kind !== 'header' && !n.includes(' '));

export interface SymbolTimeline {
  name: string;
  kind: KbSymbol['kind'];
  present: string[];
  absent: string[];
  unknown: string[];
  change?: KbChange;
}

export function symbolTimeline(name: string): SymbolTimeline | undefined {
  const s = kbSymbol(name);
  if (!s) return undefined;
  const by = (st: KbStatus) => KB.versions.filter((v) => s.versions[v]?.status === st);
  const change = kbChange(name);
  return { name, kind: s.kind, present: by('present'), absent: by('absent'), unknown: by('unknown'), ...(change ? { change } : {}) };
}

/** Runs of consecutive releases: `2.6.0 – 4.4, 6.1`. */
function ranges(t: SymbolTimeline): string {
  const runs: string[][] = [];
  let run: string[] = [];
  for (const v of KB.versions) {
    if (t.present.includes(v)) run.push(v);
    else if (t.unknown.includes(v) && run.length)
      continue; // an unread release does not break a run
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs.map((r) => (r.length > 1 ? `${r[0]} – ${r[r.length - 1]}` : r[0])).join(', ');
}

const code = (s: string) => `\`${s}\``;

/**
 * One line for a hover: the releases the name is declared in, and what became of it.
 * "`__GFP_COLD`: 2.6.0 – 4.4 (of the releases kport knows: 2.4.22, …, 6.1); removed in 4.15 (gone from 4.19): drop it — …"
 */
export function timelineLine(t: SymbolTimeline): string {
  const known = `of the releases kport knows: ${KB.versions.join(', ')}`;
  const where = t.present.length ? `${ranges(t)} (${known})` : `in none ${known.replace(': ', ' (')})`;
  const unread = t.unknown.length ? `; not read for ${t.unknown.join(', ')}` : '';
  const c = t.change;
  let what = '';
  // "removed in 4.15 (gone from 4.19)": the release it landed in, and the first of the table without it.
  const when =
    c &&
    (c.release === c.offeredFrom
      ? ` in ${c.release}`
      : `${c.release ? ` in ${c.release}` : ''} (${c.change === 'removed' ? 'gone' : 'new form'} from ${c.offeredFrom})`);
  if (c?.change === 'removed') {
    const use = c.replacement?.length ? `use ${c.replacement.map(code).join(' or ')}` : 'drop it';
    what = `; removed${when}: ${use} — ${c.reason}`;
  } else if (c?.change === 'signature') {
    what = `; declaration changed${when}: ${c.reason}`;
  } else if (c?.change === 'added') {
    what = `; new${c.release ? ` in ${c.release}` : ''}: replaces ${c.replaces}`;
  }
  return `${code(t.name)}: ${where}${unread}${what}.`.replace(/\.\.$/, '.');
}
