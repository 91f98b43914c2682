/**
 * What the workspace knows across files, as plain data: each file's summary (its non-static
 * functions, entry-point registrations, outgoing calls with their context, and function names used
 * as values). Built from facts, never from trees, so the server can keep it for closed files.
 */
import { C_KEYWORDS } from '../facts/syntax';
import type { EntryKind } from './entry-points';

export interface SummaryCall {
  caller: string;
  callee: string;
  /** Why the call runs in atomic context, or null when it may run in process context. */
  atomic: string | null;
  line: number;
}

export interface FileSummary {
  path: string;
  /** Functions defined here without `static`, with their 1-based line. */
  exported: { name: string; line: number }[];
  entries: { name: string; kind: EntryKind; how: string; line: number }[];
  calls: SummaryCall[];
  /** Identifiers used as values (function pointers handed to the kernel or stored in ops tables). */
  valueRefs: string[];
  /**
   * Functions defined here (static or not) whose findings can depend on the context they run in: they,
   * or a function of this file they call (transitively), allocate or destroy a mempool (CONTEXT_ANCHORS:
   * where findings whose outcome depends on the context are anchored). Whether any other function runs
   * atomically changes no finding.
   */
  contextSensitive: string[];
}

/**
 * The names through which one file can change another's findings: functions defined without `static`
 * that are context-sensitive where they are defined. A static function is reached from its own file
 * only, so calls of that name elsewhere are calls of some other function.
 */
export function crossFileNames(summaries: readonly FileSummary[]): Set<string> {
  const names = new Set<string>();
  for (const s of summaries) {
    if (!s.contextSensitive.length) continue;
    const sensitive = new Set(s.contextSensitive);
    // tree-sitter's error recovery can name a "function" `void`; no call from elsewhere reaches it.
    for (const e of s.exported) if (sensitive.has(e.name) && !C_KEYWORDS.has(e.name)) names.add(e.name);
  }
  return names;
}

/**
 * The part of a tree's summaries that can change a finding: calls of, registrations of and value
 * uses of the crossFileNames. The CLI hands this to its second pass instead of every call of the
 * tree (tens of MB cloned into each worker on a kernel tree), with the same findings.
 */
export function focusSummaries(summaries: readonly FileSummary[], names: ReadonlySet<string> = crossFileNames(summaries)): FileSummary[] {
  return summaries.map((s) => ({
    path: s.path,
    exported: s.exported.filter((e) => names.has(e.name)),
    entries: s.entries.filter((e) => names.has(e.name)),
    calls: s.calls.filter((c) => names.has(c.callee)),
    valueRefs: s.valueRefs.filter((v) => names.has(v)),
    contextSensitive: s.contextSensitive,
  }));
}

/**
 * One file's summary from two partial reads of it (the CLI's passes 1 and 1b): `first` from the
 * functions one read parsed, `more` from the others (and some of the same), `staticHere` the
 * functions either read found defined `static` (calls of those stay in the file; a read that did
 * not parse the definition kept them). It is the summary of the whole file about the names `more` is
 * about. Per callee the whole file keeps the first atomic and the first process-context call, in
 * the order of the file: of two such calls from different functions, the one on the earlier line.
 */
export function mergeSummaries(first: FileSummary, more: FileSummary, staticHere: ReadonlySet<string>): FileSummary {
  const key = (c: SummaryCall) => (c.atomic === null ? 'p:' : 'a:') + c.callee;
  const calls = first.calls.filter((c) => !staticHere.has(c.callee));
  const at = new Map(calls.map((c, i) => [key(c), i]));
  for (const c of more.calls) {
    if (staticHere.has(c.callee)) continue;
    const i = at.get(key(c));
    if (i === undefined) at.set(key(c), calls.push(c) - 1);
    else if (c.line < calls[i].line) calls[i] = c;
  }
  // Both lists are in the order of the file, as a whole-file summary has them.
  const exported = [...first.exported];
  for (const e of more.exported) if (!exported.some((x) => x.name === e.name)) exported.push(e);
  exported.sort((a, b) => a.line - b.line);
  const entries = [...first.entries];
  for (const e of more.entries) if (!entries.some((x) => x.name === e.name && x.kind === e.kind && x.how === e.how && x.line === e.line)) entries.push(e);
  entries.sort((a, b) => a.line - b.line);
  return {
    path: first.path,
    exported,
    entries,
    calls,
    valueRefs: [...new Set([...first.valueRefs, ...more.valueRefs])],
    contextSensitive: first.contextSensitive,
  };
}

export interface ExternalSite {
  file: string;
  call: SummaryCall;
}

type EntrySite = { file: string; kind: EntryKind; how: string; line: number };

/**
 * The workspace's summaries, indexed by the names other files ask about. Kept up to date file by file: the
 * editor replaces an open document's summary each time typing pauses, and rebuilding the maps over a whole
 * kernel tree's summaries (7,427 files of 2.4.22: 93k calls, 183k value uses) took ~200 ms on the main thread.
 * Answers list files in the order they were first added, as a rebuild would.
 */
export class WorkspaceIndex {
  private files = new Map<string, FileSummary>();
  /** The order a file was first added (kept when its summary is replaced). */
  private order = new Map<string, number>();
  private added = 0;
  private byCallee = new Map<string, Map<string, ExternalSite[]>>();
  private entries = new Map<string, Map<string, EntrySite[]>>();
  private values = new Map<string, Set<string>>();

  update(summary: FileSummary): void {
    const path = summary.path;
    const old = this.files.get(path);
    if (old === summary) return;
    if (old) this.unlink(old);
    else this.order.set(path, this.added++);
    this.files.set(path, summary);
    for (const c of summary.calls) push(this.byCallee, c.callee, path, { file: path, call: c });
    for (const e of summary.entries) push(this.entries, e.name, path, { file: path, kind: e.kind, how: e.how, line: e.line });
    for (const v of summary.valueRefs) {
      let set = this.values.get(v);
      if (!set) this.values.set(v, (set = new Set()));
      set.add(path);
    }
  }

  remove(path: string): void {
    const old = this.files.get(path);
    if (!old) return;
    this.unlink(old);
    this.files.delete(path);
    this.order.delete(path);
  }

  /** Takes a summary's contributions out of the name maps. */
  private unlink(s: FileSummary): void {
    for (const c of s.calls) drop(this.byCallee, c.callee, s.path);
    for (const e of s.entries) drop(this.entries, e.name, s.path);
    for (const v of s.valueRefs) {
      const set = this.values.get(v);
      if (set?.delete(s.path) && !set.size) this.values.delete(v);
    }
  }

  get size(): number {
    return this.files.size;
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  /** A name's sites in files other than `except`, files in the order they were first added. */
  private sites<T>(byFile: Map<string, T[]> | undefined, except: string): T[] {
    if (!byFile) return [];
    const paths = [...byFile.keys()].filter((f) => f !== except);
    if (paths.length > 1) paths.sort((x, y) => this.order.get(x)! - this.order.get(y)!);
    return paths.flatMap((f) => byFile.get(f)!);
  }

  /** Calls to `name` from files other than `except`. */
  callSites(name: string, except: string): ExternalSite[] {
    return this.sites(this.byCallee.get(name), except);
  }

  /** Registrations of `name` as an interrupt-context callback in other files. */
  entryRegistrations(name: string, except: string): EntrySite[] {
    return this.sites(this.entries.get(name), except);
  }

  /** `name` is used as a value (a function pointer) in another file: its callers are unknown. */
  usedAsValueElsewhere(name: string, except: string): boolean {
    const files = this.values.get(name);
    return !!files && (files.size > 1 || !files.has(except));
  }
}

function push<T>(map: Map<string, Map<string, T[]>>, name: string, file: string, site: T): void {
  let byFile = map.get(name);
  if (!byFile) map.set(name, (byFile = new Map()));
  const list = byFile.get(file);
  if (list) list.push(site);
  else byFile.set(file, [site]);
}

function drop<T>(map: Map<string, Map<string, T[]>>, name: string, file: string): void {
  const byFile = map.get(name);
  if (byFile?.delete(file) && !byFile.size) map.delete(name);
}
