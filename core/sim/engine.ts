// Simulator state shared by the allocator layers, and the per-step trace/sleep bookkeeping.

import { lowmemReserveFor, type MachineConfig, type ScenarioState } from './machine';
import { Zone } from './zone';
import type { AllocFnSpec, ContextKind, SimOp, Snapshot, TraceEntry } from './types';

export type HandleT = 'pages' | 'obj' | 'elem' | 'cache' | 'pool' | 'null' | 'freed' | 'pending' | 'never' | 'unknown';

/** One ref's value. A single monomorphic shape keeps the hot path fast. */
export class Handle {
  t: HandleT;
  ref: string;
  at: number;
  op: SimOp | null;
  /** The API that produced it: 'alloc_pages', 'kmalloc', 'kmem_cache_alloc', 'mempool_alloc', ... */
  api: string;
  zone = -1;
  pfn = -1;
  order = 0;
  size = 0;
  slab: Slab | null = null;
  cache: Cache | null = null;
  pool: Pool | null = null;
  inner: Handle | null = null;
  freedAt = -1;
  /** Created by a setup op (module init), not by the simulated sequence. */
  setup = false;
  constructor(t: HandleT, ref: string, at: number, op: SimOp | null, api: string) {
    this.t = t;
    this.ref = ref;
    this.at = at;
    this.op = op;
    this.api = api;
  }
}

export interface Slab {
  zone: number;
  pfn: number;
  order: number;
  inuse: number;
  partial: boolean;
  /** The off-slab management object (alloc_slabmgmt's kmem_cache_alloc), null when on-slab. */
  mgmt: Handle | null;
}

export interface Cache {
  name: string;
  ref?: string;
  size: number;
  order: number;
  perSlab: number;
  /** Bytes of the off-slab management kmalloc'ed per slab (slab_size), 0 when on-slab. */
  offSlabMgmt: number;
  dma: boolean;
  internal: boolean;
  slabs: Slab[];
  /** Slabs with a free object (stack). */
  partial: Slab[];
  emptySlabs: number;
  /** Objects handed out (to the driver, or off-slab management). */
  objects: number;
  /** This CPU's array cache (mm/slab.c struct array_cache): one entry per free object, its slab; the newest last. */
  ac: Slab[];
  acLimit: number;
  acBatch: number;
  acTouched: boolean;
  /** do_tune_cpucache's free_limit: more free objects than this and an empty slab is destroyed. */
  freeLimit: number;
  /** lists.free_touched: cache_alloc_refill took objects from a free slab since the last cache_reap list pass. */
  freeTouched: boolean;
  /** cache_reap runs since the cache was created (its slab-list pass runs every second one: REAPTIMEOUT_LIST3). */
  reapRuns: number;
  destroyed: boolean;
  handle: Handle | null;
}

export interface Pool {
  ref: string;
  minNr: number;
  reserve: Handle[];
  fn: AllocFnSpec;
  cache: Cache | null;
  waiters: Array<{ handle: Handle; step: number; gfp: number; context: ContextKind }>;
  outstanding: number;
  destroyed: boolean;
  structObj: Handle | null;
  arrObj: Handle | null;
  handle: Handle;
}

/**
 * Engines fresh from applyScenario, by machine (the object: a setting's machine lives as long as the setting) and
 * scenario (its numbers: simulate() copies a scenario given as an object). A run copies one instead of building
 * three zones' free lists and grabbing the scenario's background pages: a hover makes 9-45 runs on the same
 * machine and scenarios.
 */
const initialStates = new WeakMap<MachineConfig, Map<string, Engine>>();
/** Scenarios kept per machine (custom scenarios each get one; the oldest is dropped). */
const MAX_SCENARIOS_PER_MACHINE = 16;

/** How many initial states were built and copied (tests count them). */
export const initialStateCounts = { built: 0, copied: 0 };

/** A new engine on `machine` in `scenario`, as `new Engine(...)` + applyScenario(scenario) would build it. */
export function initialEngine(machine: MachineConfig, scenario: ScenarioState, context: ContextKind, verbose: boolean, messages: boolean): Engine {
  let byScenario = initialStates.get(machine);
  if (!byScenario) initialStates.set(machine, (byScenario = new Map()));
  // What applyScenario reads (the name only labels traces, from the engine's own `scenario`).
  const key = `${scenario.free}|${scenario.reclaimable}|${scenario.oomVictims}|${scenario.oomVictimPages}`;
  let from = byScenario.get(key);
  if (!from) {
    from = new Engine(machine, scenario, 'process', false, false);
    from.applyScenario(scenario);
    if (byScenario.size >= MAX_SCENARIOS_PER_MACHINE) byScenario.delete(byScenario.keys().next().value!);
    byScenario.set(key, from);
    initialStateCounts.built++;
  }
  initialStateCounts.copied++;
  return new Engine(machine, scenario, context, verbose, messages, from);
}

export const EMPTY_TRACE: TraceEntry[] = Object.freeze([]) as unknown as TraceEntry[];

export class Engine {
  readonly machine: MachineConfig;
  readonly zones: Zone[] = [];
  readonly totalPages: number;
  scenario: ScenarioState;
  oomVictims = 0;
  context: ContextKind;
  contextReason = '';
  readonly refs = new Map<string, Handle>();
  /** Allocations whose ref was overwritten while live: leaked, reported at the end. */
  readonly orphans: Handle[] = [];
  readonly kmallocCaches = new Map<string, Cache>();
  readonly userCaches: Cache[] = [];
  readonly pools: Pool[] = [];
  /** Build trace entries (the allocator layers' `e.tr` calls and the strings they pass). */
  readonly verbose: boolean;
  /** Build outcome messages, and the trace's context entries (sleep-in-atomic, may-sleep) that explain an outcome. */
  readonly messages: boolean;
  stepIndex = 0;
  // per-step state
  trace: TraceEntry[] = EMPTY_TRACE;
  slept = false;
  maySleep = false;
  atomicSleep: string | null = null;
  quiet = 0;
  /** The zonelists of this machine by their first zone (DMA, Normal, HighMem), its empty zones left out. */
  readonly zonelists: number[][];
  /** Zone index of the last page __alloc_pages returned. */
  lastZone = -1;
  /** This step's cache_grow turned interrupts on for a __GFP_WAIT mask (mm/slab.c:1834). */
  irqsOnInGrow = false;
  /** Why the last __alloc_pages that never returns loops (its step's message). */
  neverWhy = '';
  /** Which BUG() the last allocation that returned ALLOC_BUG hit. */
  bugWhy = '';
  bugCode = '';
  /** mempool waiters woken during the current step (simulate.ts amends their step results). */
  woken: Array<{ step: number; handle: Handle; result: 'ok' | 'never' }> = [];

  /**
   * `from`: an engine of the same machine, fresh from applyScenario(scenario) (initialEngine): its zones are copied
   * and the scenario is applied already; without it the zones are built and the caller applies the scenario.
   */
  constructor(machine: MachineConfig, scenario: ScenarioState, context: ContextKind, verbose: boolean, messages = verbose, from?: Engine) {
    this.machine = machine;
    this.scenario = scenario;
    this.context = context;
    this.verbose = verbose;
    this.messages = messages;
    let start = 0;
    // A machine given without lowmem_reserve gets 2.6.11's from its zone sizes.
    const reserve = from ? null : lowmemReserveFor(machine.zones.map((z) => z.pages));
    for (let i = 0; i < 3; i++) {
      const z = from
        ? new Zone(i, { ...machine.zones[i], lowmemReserve: from.zones[i].lowmemReserve as [number, number, number] }, start, from.zones[i])
        : new Zone(i, { ...machine.zones[i], lowmemReserve: machine.zones[i].lowmemReserve ?? reserve![i] }, start);
      if (!from) z.addRange(start, z.pages);
      this.zones.push(z);
      start += z.pages;
    }
    if (from) this.oomVictims = from.oomVictims;
    this.totalPages = start;
    // build_zonelists_node (mm/page_alloc.c:1298-1323): a zone without pages is in no zonelist, indexed here by
    // the zone the full list starts with (zonelistFor).
    this.zonelists = [[0], [1, 0], [2, 1, 0]].map((full) => full.filter((i) => this.zones[i].pages > 0));
  }

  /**
   * A copy of this engine between two steps that shares nothing mutable with it: runs that share their first steps
   * continue from one state apart (simulateShared). Handles, slabs, caches and pools are copied once each, so the
   * copy's references between them mirror this engine's.
   */
  fork(): Engine {
    const e = new Engine(this.machine, this.scenario, this.context, this.verbose, this.messages, this);
    const copies = new StateCopies();
    e.contextReason = this.contextReason;
    e.stepIndex = this.stepIndex;
    e.lastZone = this.lastZone;
    e.neverWhy = this.neverWhy;
    e.bugWhy = this.bugWhy;
    e.bugCode = this.bugCode;
    // This step's bookkeeping (beginStep resets it): copied so that the fork is this engine, field by field.
    e.trace = this.trace === EMPTY_TRACE ? EMPTY_TRACE : this.trace.slice();
    e.slept = this.slept;
    e.maySleep = this.maySleep;
    e.atomicSleep = this.atomicSleep;
    e.quiet = this.quiet;
    e.irqsOnInGrow = this.irqsOnInGrow;
    for (const [ref, h] of this.refs) e.refs.set(ref, copies.handle(h) as Handle);
    for (const h of this.orphans) e.orphans.push(copies.handle(h) as Handle);
    for (const [name, c] of this.kmallocCaches) e.kmallocCaches.set(name, copies.cache(c) as Cache);
    for (const c of this.userCaches) e.userCaches.push(copies.cache(c) as Cache);
    for (const p of this.pools) e.pools.push(copies.pool(p) as Pool);
    for (const w of this.woken) e.woken.push({ step: w.step, handle: copies.handle(w.handle) as Handle, result: w.result });
    return e;
  }

  /** Move the machine to a memory state: drain per-CPU lists, then grab/give back background pages. */
  applyScenario(s: ScenarioState): void {
    this.scenario = s;
    this.oomVictims = s.oomVictims;
    for (const z of this.zones) {
      for (const l of z.pcp) {
        while (l.list.length) z.freeBlock(l.list.pop() as number, 0);
      }
      const target = Math.min(s.free[z.idx], z.pages - z.allocated);
      if (z.freePages > target) z.grab(z.freePages - target);
      else if (z.freePages < target) z.releaseBackground(target - z.freePages);
      z.reclaimable = s.reclaimable[z.idx];
      z.oomPages = s.oomVictimPages[z.idx];
    }
  }

  beginStep(index: number): void {
    this.stepIndex = index;
    this.trace = this.verbose ? [] : EMPTY_TRACE;
    this.slept = false;
    this.maySleep = false;
    this.atomicSleep = null;
    this.irqsOnInGrow = false;
    this.quiet = 0;
  }

  tr(rule: string, detail: string): void {
    if (this.quiet === 0 && this.verbose) this.trace.push({ rule, detail });
  }

  /** The step sleeps here. In a non-process context that is "scheduling while atomic". */
  sleep(where: string): void {
    this.slept = true;
    if (this.context !== 'process' && this.atomicSleep === null) {
      this.atomicSleep = where;
      if (this.messages) {
        if (this.trace === EMPTY_TRACE) this.trace = [];
        this.trace.push({
          rule: 'context.sleep-in-atomic',
          detail: `scheduling while atomic: ${where} sleeps in ${this.contextText()} context`,
        });
      }
    }
  }

  /** A sleeping mask/call was used; in atomic context note the latent bug. */
  noteMaySleep(what: string): void {
    this.maySleep = true;
    if (this.context !== 'process' && this.messages) {
      if (this.trace === EMPTY_TRACE) this.trace = [];
      this.trace.push({
        rule: 'context.may-sleep',
        detail:
          `${what} may sleep but runs in ${this.contextText()} context: it did not sleep this time, ` +
          'it would ("scheduling while atomic") under memory pressure; might_sleep_if() warns with CONFIG_DEBUG_SPINLOCK_SLEEP',
        maySleep: true,
      });
    }
  }

  contextText(): string {
    return this.context === 'atomic' ? `atomic (${this.contextReason || 'spinlock held / irqs off'})` : this.context;
  }

  snapshot(): Snapshot {
    const zones: Snapshot['zones'] = [];
    for (let i = 0; i < this.zones.length; i++) {
      const z = this.zones[i];
      const freeBlocks: number[] = new Array(z.nrFree.length);
      for (let o = 0; o < z.nrFree.length; o++) freeBlocks[o] = z.nrFree[o];
      zones.push({
        name: z.name,
        total: z.pages,
        free: z.freePages,
        freeBlocks,
        hot: z.pcp[0].list.length,
        cold: z.pcp[1].list.length,
        allocated: z.allocated,
        background: z.background,
        reclaimable: z.reclaimable < z.background ? z.reclaimable : z.background,
        min: z.min,
        low: z.low,
        high: z.high,
      });
    }
    const pools: Snapshot['pools'] = [];
    for (const p of this.pools) {
      if (!p.destroyed) pools.push({ ref: p.ref, min_nr: p.minNr, curr_nr: p.reserve.length, waiters: p.waiters.length, outstanding: p.outstanding });
    }
    const caches: Snapshot['caches'] = [];
    const addCache = (c: Cache) => {
      if (c.destroyed || (c.internal && c.objects === 0 && c.slabs.length === 0)) return;
      const cs: Snapshot['caches'][number] = { name: c.name, size: c.size, objects: c.objects, slabs: c.slabs.length };
      if (c.ref !== undefined) cs.ref = c.ref;
      caches.push(cs);
    };
    for (const c of this.kmallocCaches.values()) addCache(c);
    for (const c of this.userCaches) addCache(c);
    return { context: this.context, zones, pools, caches };
  }
}

/** Engine.fork's copies of one engine's handles, slabs, caches and pools, each made once (they point at each other). */
class StateCopies {
  private readonly handles = new Map<Handle, Handle>();
  private readonly slabs = new Map<Slab, Slab>();
  private readonly caches = new Map<Cache, Cache>();
  private readonly pools = new Map<Pool, Pool>();

  handle(h: Handle | null): Handle | null {
    if (h === null) return null;
    let c = this.handles.get(h);
    if (c !== undefined) return c;
    c = new Handle(h.t, h.ref, h.at, h.op, h.api);
    this.handles.set(h, c);
    c.zone = h.zone;
    c.pfn = h.pfn;
    c.order = h.order;
    c.size = h.size;
    c.freedAt = h.freedAt;
    c.setup = h.setup;
    c.slab = this.slab(h.slab);
    c.cache = this.cache(h.cache);
    c.pool = this.pool(h.pool);
    c.inner = this.handle(h.inner);
    return c;
  }

  slab(s: Slab | null): Slab | null {
    if (s === null) return null;
    let c = this.slabs.get(s);
    if (c !== undefined) return c;
    c = { zone: s.zone, pfn: s.pfn, order: s.order, inuse: s.inuse, partial: s.partial, mgmt: null };
    this.slabs.set(s, c);
    c.mgmt = this.handle(s.mgmt);
    return c;
  }

  cache(k: Cache | null): Cache | null {
    if (k === null) return null;
    let c = this.caches.get(k);
    if (c !== undefined) return c;
    c = { ...k, slabs: [], partial: [], ac: [], handle: null };
    this.caches.set(k, c);
    for (const s of k.slabs) c.slabs.push(this.slab(s) as Slab);
    for (const s of k.partial) c.partial.push(this.slab(s) as Slab);
    for (const s of k.ac) c.ac.push(this.slab(s) as Slab);
    c.handle = this.handle(k.handle);
    return c;
  }

  pool(p: Pool | null): Pool | null {
    if (p === null) return null;
    let c = this.pools.get(p);
    if (c !== undefined) return c;
    c = { ...p, reserve: [], cache: null, waiters: [], structObj: null, arrObj: null };
    this.pools.set(p, c);
    for (const h of p.reserve) c.reserve.push(this.handle(h) as Handle);
    c.cache = this.cache(p.cache);
    for (const w of p.waiters) c.waiters.push({ handle: this.handle(w.handle) as Handle, step: w.step, gfp: w.gfp, context: w.context });
    c.structObj = this.handle(p.structObj);
    c.arrObj = this.handle(p.arrObj);
    c.handle = this.handle(p.handle) as Handle;
    return c;
  }
}
