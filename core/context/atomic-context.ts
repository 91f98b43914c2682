/**
 * Where each call of a file runs: process context or atomic (lock held, irqs off, interrupt
 * handler, or a function only ever called from such places), with the reason and the chain of
 * locations that make it so.
 */
import type { FileFacts } from '../facts/file-facts';
import { allCalls, exprIdentifiers, statementsOf, valueIdentifiersOf, type Expr, type FunctionFacts } from '../facts/ir';
import type { Related } from '../text/related';
import { findEntryPoints, registrationsIn, type EntryPoint } from './entry-points';
import { FunctionFlow, isAtomic, type CallSite, type FlowState } from './flow';
import { describeKind } from './locks';
import { CONTEXT_ANCHORS } from '../kernel/alloc-api';
import type { HeaderDefine } from '../gfp/mask';
import { compactBindings, resolveIndirect, sleepingFunctions, summaryBindings, type IndirectResolution, type SleepRoute } from './indirect-calls';
import type { FileSummary, SummaryBinding, WorkspaceIndex } from './workspace';

export interface AtomicReason {
  /** "a spinlock is held (skel_lock)", "skel_intr() is an interrupt handler (registered with request_irq())". */
  message: string;
  related: Related[];
  /** The function chain from the entry point to here, outermost first (for messages). */
  chain: string[];
}

const ENTRY_WORDS: Record<EntryPoint['kind'], string> = {
  'irq-handler': 'an interrupt handler',
  timer: 'a timer function (runs in softirq context)',
  tasklet: 'a tasklet (runs in softirq context)',
  'bottom-half': 'a bottom half (runs in interrupt context)',
  softirq: 'a softirq handler',
};

// A function's lock-state flow depends on its IR alone; an IR object that survives an edit keeps its flow.
const flows = new WeakMap<FunctionFacts, FunctionFlow>();
function flowOf(fn: FunctionFacts): FunctionFlow {
  let flow = flows.get(fn);
  if (!flow) {
    flow = new FunctionFlow(fn);
    flows.set(fn, flow);
  }
  return flow;
}

/**
 * What a FileContext reads of one function, computed ahead (each part memoized on the IR object): a big file's
 * second stage does it a function a part, so that the context analysis over all of them is not one long task.
 */
export function prepareFunctionContext(fn: FunctionFacts): void {
  flowOf(fn);
  registrationsIn(fn);
  valueIdentifiersOf(fn);
}

export class FileContext {
  readonly flows: FunctionFlow[];
  readonly entries: EntryPoint[];
  /** Functions of this file that run in atomic context as a whole. */
  readonly atomicFunctions = new Map<string, AtomicReason>();

  constructor(
    readonly facts: FileFacts,
    readonly workspace?: WorkspaceIndex,
    private readonly headerDefine?: (name: string) => HeaderDefine | undefined,
    /** Calls through struct fields are resolved and summarized (AnalysisEnv.indirectCalls). */
    readonly indirectCalls = false,
  ) {
    this.flows = facts.functions.map(flowOf);
    this.entries = findEntryPoints(facts);
    this.deriveAtomicFunctions();
  }

  private line(offset: number): number {
    return this.facts.lineOf(offset);
  }

  private deriveAtomicFunctions(): void {
    const defined = new Map(this.facts.functions.map((f, i) => [f.name, i]));
    for (const e of this.entries) {
      if (!defined.has(e.name) || this.atomicFunctions.has(e.name)) continue;
      this.atomicFunctions.set(e.name, {
        message: `${e.name}() is ${ENTRY_WORDS[e.kind]}, ${e.how}`,
        related: [{ message: `${e.name}() ${e.how}`, span: e.span }],
        chain: [e.name],
      });
    }
    if (this.workspace) {
      for (const [name, idx] of defined) {
        // Another file cannot name a static function: a registration there is of another function.
        if (this.atomicFunctions.has(name) || this.facts.functions[idx].isStatic) continue;
        const reg = this.workspace.entryRegistrations(name, this.facts.path)[0];
        if (reg)
          this.atomicFunctions.set(name, {
            message: `${name}() is ${ENTRY_WORDS[reg.kind]}: it is ${reg.how.replace(/^registered/, 'registered')} in ${reg.file}`,
            related: [{ message: `${name}() ${reg.how}`, span: { start: 0, end: 0 }, file: reg.file, line: reg.line }],
            chain: [name],
          });
      }
    }
    // Which names are used as values (function pointers): their callers are unknown.
    const sitesOf = new Map<string, { fnIndex: number; site: CallSite }[]>();
    this.flows.forEach((flow, fnIndex) => {
      for (const site of flow.sites) {
        if (defined.has(site.call.name)) {
          const l = sitesOf.get(site.call.name) ?? [];
          l.push({ fnIndex, site });
          sitesOf.set(site.call.name, l);
        }
      }
    });
    // Function names used as values (callbacks, ops tables), from the IR: their callers are unknown.
    const asValue = new Set<string>();
    const noteValues = (e: Expr) => {
      for (const id of exprIdentifiers(e)) if (defined.has(id)) asValue.add(id);
    };
    for (const fn of this.facts.functions) for (const id of valueIdentifiersOf(fn)) if (defined.has(id)) asValue.add(id);
    for (const g of this.facts.globalInits) noteValues(g.value);
    // Fixed point: a function all of whose known callers run it atomically is atomic.
    for (let changed = true, rounds = 0; changed && rounds < 32; rounds++) {
      changed = false;
      for (const [name, idx] of defined) {
        if (this.atomicFunctions.has(name) || asValue.has(name)) continue;
        const fn = this.facts.functions[idx];
        const local = sitesOf.get(name) ?? [];
        const external = this.workspace && !fn.isStatic ? this.workspace.callSites(name, this.facts.path) : [];
        if (!fn.isStatic) {
          // Callers in other files are unknown without a workspace index.
          if (!this.workspace || this.workspace.usedAsValueElsewhere(name, this.facts.path)) continue;
        }
        if (local.length + external.length === 0) continue;
        let first: AtomicReason | null = null;
        let all = true;
        for (const { fnIndex, site } of local) {
          const r = this.siteReason(site, fnIndex);
          if (!r) {
            all = false;
            break;
          }
          first ??= { ...r, related: [...r.related, { message: `${this.facts.functions[fnIndex].name}() calls ${name}() here`, span: site.call.span }] };
        }
        if (all)
          for (const ext of external) {
            if (!ext.call.atomic) {
              all = false;
              break;
            }
            first ??= {
              message: ext.call.atomic,
              related: [
                { message: `${ext.call.caller}() calls ${name}() here, ${ext.call.atomic}`, span: { start: 0, end: 0 }, file: ext.file, line: ext.call.line },
              ],
              chain: [ext.call.caller],
            };
          }
        if (all && first) {
          this.atomicFunctions.set(name, { message: first.message, related: first.related, chain: [...first.chain, name] });
          changed = true;
        }
      }
    }
  }

  private sleepRoutes: Map<string, SleepRoute> | undefined;
  private localBindings: SummaryBinding[] | undefined;

  /** Functions of this file that sleep when called (sleepingFunctions), computed once. */
  get sleepers(): ReadonlyMap<string, SleepRoute> {
    this.sleepRoutes ??= sleepingFunctions(this.facts, this.flows, this.headerDefine);
    return this.sleepRoutes;
  }

  private get bindings(): SummaryBinding[] {
    this.localBindings ??= summaryBindings(this.facts, this.sleepers, new Set(this.facts.functions.map((f) => f.name)));
    return this.localBindings;
  }

  private resolutions = new Map<CallSite['call'], IndirectResolution | null>();

  /** The functions a call through a struct field (in function fnIndex) can reach, with how each sleeps (once per call: two rules ask). */
  indirectTargets(call: CallSite['call'], fnIndex: number): IndirectResolution | null {
    let r = this.resolutions.get(call);
    if (r === undefined) {
      r = resolveIndirect(call, this.facts.functions[fnIndex], this.facts, this.bindings, this.sleepers, this.workspace);
      this.resolutions.set(call, r);
    }
    return r;
  }

  /**
   * Whether a lock held at `site` may have been released by a function of this file called since it was taken
   * (a helper "called with the lock held; drops it"): the flow follows no callee, so the call is not trusted.
   */
  lockDroppedBefore(site: CallSite, fnIndex: number): boolean {
    const lock = site.state.held[site.state.held.length - 1];
    if (!lock) return false;
    const byName = new Map(this.facts.functions.map((f, i) => [f.name, i]));
    return this.flows[fnIndex].sites.some((s) => {
      const j = byName.get(s.call.name);
      return j !== undefined && s.call.span.start > lock.span.start && s.call.span.start < site.call.span.start && this.flows[j].dropsCallerLock;
    });
  }

  /** Why `site` (in function fnIndex) runs in atomic context, or null. */
  siteReason(site: CallSite, fnIndex: number): AtomicReason | null {
    return this.stateReason(site.state, fnIndex);
  }

  stateReason(state: FlowState, fnIndex: number): AtomicReason | null {
    if (state.guard?.kind === 'process') return null;
    if (state.held.length) {
      const h = state.held[state.held.length - 1];
      return {
        message: `${describeKind(h.kind)} (${h.call}(${h.shownArg}) at line ${this.line(h.span.start)})`,
        related: [{ message: `${h.call}() makes this region atomic`, span: h.span }],
        chain: [this.facts.functions[fnIndex].name],
      };
    }
    if (state.guard?.kind === 'atomic')
      return {
        message: `this branch runs only when ${state.guard.test} is true`,
        related: [{ message: `${state.guard.test} guard`, span: state.guard.span }],
        chain: [this.facts.functions[fnIndex].name],
      };
    const fnReason = this.atomicFunctions.get(this.facts.functions[fnIndex].name);
    // A helper that unlocks its caller's lock before allocating runs that part in process context.
    if (fnReason && state.droppedCallerLock && !this.entries.some((e) => e.name === this.facts.functions[fnIndex].name)) return null;
    return fnReason ?? null;
  }

  /**
   * Functions whose findings can depend on their context: those that call a CONTEXT_ANCHORS function
   * (an allocator: sleep-in-atomic and simulated verdicts; mempool_destroy: its verdict) or reach one
   * through this file's functions. Atomicity only
   * flows from a function to its callees, so no other function's context changes a finding.
   */
  contextSensitive(): string[] {
    const fns = this.facts.functions;
    const index = new Map(fns.map((f, i) => [f.name, i]));
    const sensitive = fns.map((f) => allCalls(f).some((c) => CONTEXT_ANCHORS.has(c.name)));
    for (let changed = true; changed; ) {
      changed = false;
      fns.forEach((f, i) => {
        if (sensitive[i]) return;
        for (const c of allCalls(f)) {
          const j = index.get(c.name);
          if (j !== undefined && sensitive[j]) {
            sensitive[i] = changed = true;
            return;
          }
        }
      });
    }
    return [...new Set(fns.filter((_, i) => sensitive[i]).map((f) => f.name))];
  }

  /** The plain-data summary the workspace index keeps for this file. */
  summary(): FileSummary {
    // A name's first definition decides whether calls to it stay in this file.
    const isStatic = new Map<string, boolean>();
    for (const f of this.facts.functions) if (!isStatic.has(f.name)) isStatic.set(f.name, f.isStatic);
    const calls: FileSummary['calls'] = [];
    // Readers ask of a callee's outside calls only "is any in process context?" and "which atomic one
    // comes first?", so per callee the first atomic and the first process-context call are enough
    // (a driver's hundreds of printk() calls become one entry).
    const kept = new Set<string>();
    const valueRefs = new Set<string>();
    this.flows.forEach((flow, fnIndex) => {
      const caller = this.facts.functions[fnIndex].name;
      for (const site of flow.sites) {
        const callee = site.call.name;
        const r = isStatic.get(callee) ? undefined : this.siteReason(site, fnIndex);
        const key = (r ? 'a:' : 'p:') + callee;
        if (r !== undefined && !kept.has(key)) {
          kept.add(key);
          calls.push({ caller, callee, atomic: r ? `${r.chain.join('() → ')}(): ${r.message}` : null, line: this.line(site.call.span.start) });
        }
        for (const a of site.call.args) for (const id of exprIdentifiers(a)) valueRefs.add(id);
      }
      for (const s of statementsOf(flow.fn)) if (s.k === 'expr') for (const a of s.assigns) for (const id of exprIdentifiers(a.value)) valueRefs.add(id);
    });
    for (const g of this.facts.globalInits) for (const id of exprIdentifiers(g.value)) valueRefs.add(id);
    return {
      contextSensitive: this.contextSensitive(),
      path: this.facts.path,
      exported: this.facts.functions.filter((f) => !f.isStatic).map((f) => ({ name: f.name, line: this.line(f.nameSpan.start) })),
      // In the order of the file (summaries of parts of a file merge into the whole file's: mergeSummaries).
      entries: this.entries.map((e) => ({ name: e.name, kind: e.kind, how: e.how, line: this.line(e.span.start) })).sort((a, b) => a.line - b.line),
      calls,
      valueRefs: [...valueRefs].filter((v) => /^[A-Za-z_]\w*$/.test(v)),
      ...(this.indirectCalls ? this.indirectSummary() : {}),
    };
  }

  /** The summary's parts about calls through struct fields (only with indirectCalls). */
  private indirectSummary(): Partial<FileSummary> {
    const atomicFields = new Set<string>();
    this.flows.forEach((flow, fnIndex) => {
      for (const site of flow.indirectSites) if (site.call.via && this.siteReason(site, fnIndex)) atomicFields.add(site.call.via.field);
    });
    const sleepers = this.facts.functions.flatMap((f) => {
      const s = !f.isStatic && this.sleepers.get(f.name);
      return s ? [{ name: f.name, line: s.line, route: s.route }] : [];
    });
    return {
      ...(this.bindings.length ? { fieldBindings: compactBindings(this.bindings) } : {}),
      ...(this.facts.structFields.size ? { structFields: [...this.facts.structFields].map(([type, fields]) => ({ type, fields })) } : {}),
      ...(sleepers.length ? { sleepers } : {}),
      ...(atomicFields.size ? { atomicFieldCalls: [...atomicFields] } : {}),
    };
  }
}

export { isAtomic };

/** The plain-data summary of a file that the workspace index keeps (no trees, no text). */
export function summarizeFile(facts: FileFacts, workspace?: WorkspaceIndex, indirectCalls = true): FileSummary {
  return new FileContext(facts, workspace, undefined, indirectCalls).summary();
}
