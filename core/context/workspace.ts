/**
 * What the workspace knows across files, as plain data: each file's summary (its non-static
 * functions, entry-point registrations, outgoing calls with their context, and function names used
 * as values). Built from facts, never from trees, so the server can keep it for closed files.
 */
import { C_KEYWORDS } from '../facts/syntax';
import type { EntryKind } from './entry-points';

/** How a function sleeps, as a call's message names it: `foo() (drivers/x.c:12) → kmalloc(GFP_KERNEL)`. */
export function sleepsText(name: string, file: string, s: { line: number; route: string }): string {
  return `${name}() (${file}:${s.line}) → ${s.route}`;
}

export interface SummaryCall {
  caller: string;
  callee: string;
  /** Why the call runs in atomic context, or null when it may run in process context. */
  atomic: string | null;
  line: number;
}

/** A function stored in a struct field (FieldBinding), as the workspace keeps it. */
export interface SummaryBinding {
  type: string | null;
  /** Null for a positional initializer of a struct defined in another file (`index` is its position). */
  field: string | null;
  index?: number;
  target: string;
  line: number;
  /** The target is defined in this file (static or not). */
  defined: boolean;
  /** How the target sleeps when called, from its file: `foo_open() (drivers/x/y.c:12) → kmalloc(GFP_KERNEL)`; null if it does not (or is not defined there). */
  sleeps: string | null;
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
  /** Functions stored in struct fields here (calls through pointers elsewhere reach them). */
  fieldBindings?: SummaryBinding[];
  /** Struct types defined here with their fields in order (positional initializers of other files). */
  structFields?: { type: string; fields: string[] }[];
  /** Functions defined here without `static` that sleep when called, with the route (`kmalloc(GFP_KERNEL)`). */
  sleepers?: { name: string; line: number; route: string }[];
  /** Fields called through pointers here in atomic context (the bindings of other files decide whether they sleep). */
  atomicFieldCalls?: string[];
  /** Fields the text the CLI did not parse here may store functions in (fieldStoresIn): calls through them stay unresolved. */
  unreadStores?: string[];
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
  const sleepyFields = sleepyFieldsOf(summaries);
  // Struct orders matter only to positional initializers of structs defined in another file, to the types of the bindings kept (a call is resolved only for a struct defined in the workspace).
  const structsNeeded = new Set(
    summaries.flatMap((s) => (s.fieldBindings ?? []).flatMap((b) => (b.type && (b.field === null || sleepyFields.has(b.field)) ? [b.type] : []))),
  );
  return summaries.map((s) => ({
    path: s.path,
    exported: s.exported.filter((e) => names.has(e.name)),
    entries: s.entries.filter((e) => names.has(e.name)),
    calls: s.calls.filter((c) => names.has(c.callee)),
    valueRefs: s.valueRefs.filter((v) => names.has(v)),
    contextSensitive: s.contextSensitive,
    ...focusIndirect(s, sleepyFields, structsNeeded),
  }));
}

/** Fields some function stored in them sleeps (in its own file's summary, or as an exported sleeper). */
export function sleepyFieldsOf(summaries: readonly FileSummary[]): Set<string> {
  const sleepers = new Set(summaries.flatMap((s) => (s.sleepers ?? []).map((x) => x.name)));
  const structs = new Map<string, string[]>();
  for (const s of summaries) for (const t of s.structFields ?? []) if (!structs.has(t.type)) structs.set(t.type, t.fields);
  const out = new Set<string>();
  for (const s of summaries)
    for (const b of s.fieldBindings ?? []) {
      const field = b.field ?? (b.index !== undefined && b.type ? structs.get(b.type)?.[b.index] : undefined);
      if (field && (b.sleeps || sleepers.has(b.target))) out.add(field);
    }
  return out;
}

/**
 * What a call through a pointer needs of a summary: every binding of a field some stored function of which
 * sleeps (all of them: one that does not makes the call not sleep), the struct orders and exported sleepers,
 * and the fields called atomically.
 */
function focusIndirect(s: FileSummary, sleepyFields: ReadonlySet<string>, structsNeeded: ReadonlySet<string>): Partial<FileSummary> {
  const bindings = (s.fieldBindings ?? []).filter((b) => b.field === null || sleepyFields.has(b.field));
  const structs = (s.structFields ?? []).filter((t) => structsNeeded.has(t.type));
  return {
    ...(bindings.length ? { fieldBindings: bindings } : {}),
    ...(structs.length ? { structFields: structs } : {}),
    ...(s.sleepers?.length ? { sleepers: s.sleepers } : {}),
    ...(s.atomicFieldCalls?.length ? { atomicFieldCalls: s.atomicFieldCalls.filter((f) => sleepyFields.has(f)) } : {}),
    ...(s.unreadStores?.some((f) => sleepyFields.has(f)) ? { unreadStores: s.unreadStores.filter((f) => sleepyFields.has(f)) } : {}),
  };
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
  // The lists are in the order of the file, as a whole-file summary has them (whichever pass read a function).
  calls.sort((a, b) => a.line - b.line);
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
    ...mergeIndirect(first, more),
  };
}

/** The indirect-call parts of two partial summaries of one file: each binding, struct, sleeper and field once. */
function mergeIndirect(first: FileSummary, more: FileSummary): Partial<FileSummary> {
  const once = <T>(a: T[] | undefined, b: T[] | undefined, key: (x: T) => string): T[] | undefined => {
    if (!a?.length && !b?.length) return undefined;
    const seen = new Map<string, T>();
    for (const x of [...(a ?? []), ...(b ?? [])]) if (!seen.has(key(x))) seen.set(key(x), x);
    return [...seen.values()];
  };
  const out: Partial<FileSummary> = {};
  const bindings = once(first.fieldBindings, more.fieldBindings, (b) => `${b.line}:${b.field}:${b.index}:${b.target}`);
  if (bindings) out.fieldBindings = bindings;
  const structs = once(first.structFields, more.structFields, (t) => t.type);
  if (structs) out.structFields = structs;
  const sleepers = once(first.sleepers, more.sleepers, (x) => x.name);
  if (sleepers) out.sleepers = sleepers;
  const fields = once(first.atomicFieldCalls, more.atomicFieldCalls, (f) => f);
  if (fields) out.atomicFieldCalls = fields;
  // Pass 1b reads what pass 1 did not: its stores are read now, but a field stays unresolved (conservative).
  const unread = once(first.unreadStores, more.unreadStores, (f) => f);
  if (unread) out.unreadStores = unread;
  return out;
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
  /** The indirect-call maps (field bindings, sleepers, structs, unread stores), rebuilt when asked after a change. */
  private bindings = new Map<string, { b: SummaryBinding; file: string }[]>();
  private sleepers = new Map<string, string>();
  private structs = new Set<string>();
  private unread = new Map<string, Set<string>>();
  private indirectDirty = false;
  private unresolved = new Set<string>();

  update(summary: FileSummary): void {
    const path = summary.path;
    const old = this.files.get(path);
    if (old === summary) return;
    if (old) this.unlink(old);
    else this.order.set(path, this.added++);
    this.files.set(path, summary);
    if (hasIndirect(summary) || (old && hasIndirect(old))) this.indirectDirty = true;
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
    if (hasIndirect(old)) this.indirectDirty = true;
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

  /** Rebuilds the indirect-call maps from every summary (only files with such parts contribute). */
  private reindexIndirect(): void {
    if (!this.indirectDirty) return;
    this.bindings.clear();
    this.sleepers.clear();
    this.unresolved.clear();
    this.unread.clear();
    const ordered = [...this.files.values()].sort((x, y) => this.order.get(x.path)! - this.order.get(y.path)!);
    const structs = new Map<string, string[]>();
    for (const s of ordered) for (const t of s.structFields ?? []) if (!structs.has(t.type)) structs.set(t.type, t.fields);
    this.structs = new Set(structs.keys());
    for (const s of ordered) {
      for (const f of s.unreadStores ?? []) {
        const set = this.unread.get(f) ?? new Set();
        set.add(s.path);
        this.unread.set(f, set);
      }
      for (const b of s.fieldBindings ?? []) {
        // A positional initializer of a struct defined in another file: its field from that definition.
        const field = b.field ?? (b.index !== undefined && b.type ? structs.get(b.type)?.[b.index] : undefined);
        if (!field) {
          // A positional initializer of a struct whose order no file shows: any field of that type may hold it.
          if (b.type) this.unresolved.add(b.type);
          continue;
        }
        const list = this.bindings.get(field) ?? [];
        list.push({ b: b.field ? b : { ...b, field }, file: s.path });
        this.bindings.set(field, list);
      }
      for (const x of s.sleepers ?? []) if (!this.sleepers.has(x.name)) this.sleepers.set(x.name, sleepsText(x.name, s.path, x));
    }
    this.indirectDirty = false;
  }

  /** Calls to `name` from files other than `except`. */
  callSites(name: string, except: string): ExternalSite[] {
    return this.sites(this.byCallee.get(name), except);
  }

  /** Registrations of `name` as an interrupt-context callback in other files. */
  entryRegistrations(name: string, except: string): EntrySite[] {
    return this.sites(this.entries.get(name), except);
  }

  /** Functions stored in a struct field of this name in files other than `except`. */
  fieldBindings(field: string, except: string): { b: SummaryBinding; file: string }[] {
    this.reindexIndirect();
    return (this.bindings.get(field) ?? []).filter((x) => x.file !== except);
  }

  /** Whether a file (this one's summary too: its parse in another pass left the same items out) may store functions in this field in text the CLI did not parse. */
  storesUnread(field: string): boolean {
    this.reindexIndirect();
    return this.unread.has(field);
  }

  /** Whether some positional initializer of this struct type stores a function in a field no file's definition names. */
  positionalUnresolved(type: string): boolean {
    this.reindexIndirect();
    return this.unresolved.has(type);
  }

  /**
   * Whether some call through this field may reach a function that sleeps (what either verdict of
   * indirectVerdict needs): for some struct type, a function stored in that field of it (or through a base of
   * unknown type) sleeps.
   */
  fieldMaySleep(field: string): boolean {
    this.reindexIndirect();
    const all = this.bindings.get(field) ?? [];
    const sleeps = ({ b }: { b: SummaryBinding }) => !!b.sleeps || (!b.defined && this.sleepers.has(b.target));
    const types = new Set(all.flatMap(({ b }) => (b.type ? [b.type] : [])));
    return [...types].some((t) => all.some((x) => (x.b.type === t || x.b.type === null) && sleeps(x)));
  }

  /** Whether a file of the workspace defines this struct type (with a body). */
  structDefined(type: string): boolean {
    this.reindexIndirect();
    return this.structs.has(type);
  }

  /** How an exported function sleeps when called (`foo() (file:line) → kmalloc(GFP_KERNEL)`), if it does. */
  sleeper(name: string): string | undefined {
    this.reindexIndirect();
    return this.sleepers.get(name);
  }

  /** `name` is used as a value (a function pointer) in another file: its callers are unknown. */
  usedAsValueElsewhere(name: string, except: string): boolean {
    const files = this.values.get(name);
    return !!files && (files.size > 1 || !files.has(except));
  }
}

function hasIndirect(s: FileSummary): boolean {
  return !!(s.fieldBindings || s.structFields || s.sleepers || s.unreadStores);
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
