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

export class WorkspaceIndex {
  private files = new Map<string, FileSummary>();
  private byCallee = new Map<string, ExternalSite[]>();
  private entries = new Map<string, { file: string; kind: EntryKind; how: string; line: number }[]>();
  private values = new Map<string, Set<string>>();
  private dirty = false;

  update(summary: FileSummary): void {
    this.files.set(summary.path, summary);
    this.dirty = true;
  }

  remove(path: string): void {
    if (this.files.delete(path)) this.dirty = true;
  }

  get size(): number {
    return this.files.size;
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  private reindex(): void {
    if (!this.dirty) return;
    this.byCallee.clear();
    this.entries.clear();
    this.values.clear();
    for (const s of this.files.values()) {
      for (const c of s.calls) {
        const list = this.byCallee.get(c.callee) ?? [];
        list.push({ file: s.path, call: c });
        this.byCallee.set(c.callee, list);
      }
      for (const e of s.entries) {
        const list = this.entries.get(e.name) ?? [];
        list.push({ file: s.path, kind: e.kind, how: e.how, line: e.line });
        this.entries.set(e.name, list);
      }
      for (const v of s.valueRefs) {
        const set = this.values.get(v) ?? new Set();
        set.add(s.path);
        this.values.set(v, set);
      }
    }
    this.dirty = false;
  }

  /** Calls to `name` from files other than `except`. */
  callSites(name: string, except: string): ExternalSite[] {
    this.reindex();
    return (this.byCallee.get(name) ?? []).filter((s) => s.file !== except);
  }

  /** Registrations of `name` as an interrupt-context callback in other files. */
  entryRegistrations(name: string, except: string) {
    this.reindex();
    return (this.entries.get(name) ?? []).filter((e) => e.file !== except);
  }

  /** `name` is used as a value (a function pointer) in another file: its callers are unknown. */
  usedAsValueElsewhere(name: string, except: string): boolean {
    this.reindex();
    const files = this.values.get(name);
    return !!files && [...files].some((f) => f !== except);
  }
}
