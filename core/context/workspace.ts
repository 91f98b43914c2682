/**
 * What the workspace knows across files, as plain data: each file's summary (its non-static
 * functions, entry-point registrations, outgoing calls with their context, and function names used
 * as values). Built from facts, never from trees, so the server can keep it for closed files.
 */
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
