// The Simulator: steps operations through the allocator layers and builds per-step results.

import {
  __GFP_HIGHMEM,
  __GFP_ZERO,
  decodeGfp as decodeGfpImported,
  GFP_KERNEL,
  GFP_VALID_MASK as GFP_VALID_MASK_IMPORTED,
  type GfpInfo,
  parseGfp,
} from './gfp';
import { Handle as HandleImported, initialEngine, type Cache, type Engine, type Pool } from './engine';
import {
  DEFAULT_MACHINE,
  MAX_ORDER as MAX_ORDER_IMPORTED,
  SCENARIOS,
  type ScenarioName,
  type ScenarioState,
  SCENARIO_NAMES,
  validateMachine,
  validateScenario,
  ZONE_NAMES as ZONE_NAMES_IMPORTED,
} from './machine';
import { allocPages as allocPagesImported, freeBlock as freeBlockImported, NEVER } from './page-alloc';
import { cacheAlloc, cacheFree, cacheReap, destroyCache, kmalloc, KMALLOC_MAX, newCache, SLAB_BUG } from './slab';
import { allocFnZonelistUndefined, mempoolAllocPass, mempoolCreate, mempoolDestroy, mempoolFree, mempoolResize } from './mempool';
import type { AllocFnSpec, ContextKind, SimOp, SimOptions, SimOutcome, Snapshot, StepResult } from './types';

// Hot-path locals: under tsx (CJS) every access to an imported binding is a getter call.
const decodeGfp = decodeGfpImported;
const GFP_VALID_MASK = GFP_VALID_MASK_IMPORTED;
const MAX_ORDER = MAX_ORDER_IMPORTED;
const ZONE_NAMES = ZONE_NAMES_IMPORTED;
const allocPages = allocPagesImported;
const freeBlock = freeBlockImported;
const Handle = HandleImported;
type Handle = HandleImported;

type Rec = Record<string, unknown>;
/** Shared outcome for frees in the fast (trace: false) mode. */
const OK_FREED: SimOutcome = Object.freeze({ kind: 'ok', message: 'ok' }) as SimOutcome;
/** Lean mode (no results kept, no traces): allocation outcomes without page details. */
const LEAN_OK: SimOutcome = Object.freeze({ kind: 'ok', message: 'ok' }) as SimOutcome;
const LEAN_SLEPT: SimOutcome = Object.freeze({ kind: 'slept', message: 'slept' }) as SimOutcome;
const CONTEXTS: readonly string[] = ['process', 'atomic', 'interrupt'];

function err(code: string, message: string, advice?: string): SimOutcome {
  return advice ? { kind: 'error', code, message, advice } : { kind: 'error', code, message };
}
const isInt = (x: unknown, lo: number, hi: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
const isRef = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

export function resolveScenario(s: unknown): ScenarioState | string {
  if (s === undefined) return SCENARIOS.normal;
  if (typeof s === 'string') return (SCENARIO_NAMES as readonly string[]).includes(s) ? SCENARIOS[s as ScenarioName] : `unknown scenario "${s}"`;
  const bad = validateScenario(s);
  if (bad) return bad;
  const st = s as ScenarioState;
  return { ...st, name: typeof st.name === 'string' ? st.name : 'custom' };
}

export class Simulator {
  readonly e: Engine;
  private index = 0;
  private neverReturned = false;
  private readonly pending = new Map<number, StepResult>();
  private readonly snap: 'all' | 'none' | 'end';
  /** No traces and no per-step results wanted: allocation outcomes are shared constants. */
  readonly lean: boolean;

  /** Invalid options never throw: the defaults are used and `configError` says why. */
  readonly configError: string | null = null;

  /** `from`: a simulator between two steps whose state this one continues from (fork()); the options are then not read. */
  constructor(opts: SimOptions = {}, scenarioOverride?: ScenarioState, from?: Simulator) {
    if (from) {
      this.e = from.e.fork();
      this.index = from.index;
      this.neverReturned = from.neverReturned;
      this.snap = from.snap;
      this.lean = from.lean;
      this.configError = from.configError;
      this.setupPhase = from.setupPhase;
      return;
    }
    if (opts === null || typeof opts !== 'object') opts = {};
    let machine = opts.machine ?? DEFAULT_MACHINE;
    const bad = validateMachine(machine);
    if (bad) {
      this.configError = bad;
      machine = DEFAULT_MACHINE;
    }
    let sc = scenarioOverride ?? resolveScenario(opts.scenario);
    if (typeof sc === 'string') {
      this.configError ??= sc;
      sc = SCENARIOS.normal;
    }
    let ctx: ContextKind = opts.context ?? 'process';
    if (!CONTEXTS.includes(ctx)) {
      this.configError ??= `unknown context "${String(ctx)}"`;
      ctx = 'process';
    }
    this.e = initialEngine(machine, sc, ctx, opts.trace !== false && opts.trace !== 'outcomes', opts.trace !== false);
    this.snap = opts.snapshots ?? 'end';
    this.lean = opts.trace === false && opts.results === 'none';
  }

  /**
   * A simulator that continues from this one's state, apart from it (called between two steps). The results of
   * steps still waiting for a mempool_free are changed by the steps that settle them: the fork gets copies of
   * those, `pendingCopies` (this one's result → the fork's), to stand for them in the fork's list of results.
   */
  fork(): { sim: Simulator; pendingCopies: Map<StepResult, StepResult> } {
    const sim = new Simulator(undefined, undefined, this);
    const pendingCopies = new Map<StepResult, StepResult>();
    for (const [index, r] of this.pending) {
      const copy = { ...r };
      sim.pending.set(index, copy);
      pendingCopies.set(r, copy);
    }
    return { sim, pendingCopies };
  }

  /** Fast path for benchmarks: run one op and return only its outcome kind. */
  stepKind(raw: unknown): SimOutcome['kind'] {
    const e = this.e;
    const index = this.index++;
    e.beginStep(index);
    let outcome: SimOutcome;
    try {
      outcome = this.dispatch(raw, index);
    } catch {
      return 'error';
    }
    if (e.woken.length > 0) e.woken.length = 0;
    if (e.atomicSleep !== null && outcome.kind !== 'bug' && outcome.kind !== 'error') return 'sleep-in-atomic';
    return outcome.kind;
  }

  /** A step waits for a mempool_free (its result changes when one comes, or at finish()). */
  get waiting(): boolean {
    return this.pending.size > 0;
  }

  get neverReturnedYet(): boolean {
    return this.neverReturned;
  }

  /** Setup ops (module init) are numbered separately; call before the simulated sequence. */
  endSetup(): void {
    this.setupPhase = false;
    this.index = 0;
    this.neverReturned = false;
  }
  private setupPhase = false;
  beginSetup(): void {
    this.setupPhase = true;
  }

  snapshot(): Snapshot {
    return this.e.snapshot();
  }

  step(raw: unknown): StepResult {
    const e = this.e;
    const index = this.index++;
    e.beginStep(index);
    let outcome: SimOutcome;
    try {
      outcome = this.dispatch(raw, index);
    } catch (x) {
      outcome = err('internal', `internal simulator error: ${x instanceof Error ? x.message : 'unknown'}`);
    }
    if (e.atomicSleep !== null && outcome.kind !== 'bug' && outcome.kind !== 'error') {
      outcome = {
        ...outcome,
        kind: 'sleep-in-atomic',
        result: outcome.code === 'waiting' ? 'waiting' : outcome.kind,
        message: `scheduling while atomic: ${e.atomicSleep} in ${e.contextText()} context. Then: ${outcome.message}`,
      };
    }
    const res: StepResult = { index, op: raw as SimOp, outcome, slept: e.slept, maySleep: e.maySleep, trace: e.trace };
    const src = raw !== null && typeof raw === 'object' ? (raw as Rec).source : undefined;
    if (src !== null && typeof src === 'object' && typeof (src as Rec).line === 'number') res.source = src as StepResult['source'];
    if (this.neverReturned) res.afterNeverReturns = true;
    if (e.irqsOnInGrow) res.irqsEnabledInside = true;
    if (outcome.kind === 'never-returns' || outcome.result === 'never-returns') this.neverReturned = true;
    if (this.snap === 'all') res.state = e.snapshot();
    if (outcome.code === 'waiting') this.pending.set(index, res);
    if (e.woken.length > 0) this.amendWoken(index);
    return res;
  }

  private amendWoken(by: number): void {
    for (const w of this.e.woken) {
      const r = this.pending.get(w.step);
      this.pending.delete(w.step);
      if (!r) continue;
      const atomic = r.outcome.kind === 'sleep-in-atomic';
      if (w.result === 'ok') {
        const base = `slept in mempool_alloc until the mempool_free at step ${by} refilled the reserve; got an element`;
        r.outcome = atomic ? { ...r.outcome, result: 'ok', wokenBy: by, code: 'woken' } : { kind: 'slept', code: 'woken', wokenBy: by, message: base };
      } else {
        r.outcome = { kind: 'never-returns', code: 'alloc-loop', message: 'woken, but the repeated allocation never returns' };
      }
    }
    this.e.woken.length = 0;
  }

  /** Waiters never woken become "never returns"; then report everything still held as leaks. */
  finish(): StepResult[] {
    const e = this.e;
    for (const [, r] of this.pending) {
      r.outcome =
        r.outcome.kind === 'sleep-in-atomic'
          ? { ...r.outcome, result: 'never-returns', code: 'waits-forever' }
          : { kind: 'never-returns', code: 'waits-forever', message: 'never returns: waits forever for a mempool_free that never comes' };
    }
    this.pending.clear();
    for (const p of e.pools) for (const w of p.waiters) w.handle.t = 'never';
    const out: StepResult[] = [];
    const leak = (h: Handle, msg: string, code: string) => {
      const message = h.setup ? msg.replace(/from step (\d+)/, 'from setup step $1') : msg;
      const r: StepResult = {
        index: this.index++,
        op: (h.op ?? { op: 'context', context: 'process' }) as SimOp,
        outcome: { kind: 'leak', code, ref: h.ref, message },
        slept: false,
        maySleep: false,
        trace: [],
      };
      const src = h.op?.source;
      if (src) r.source = src;
      out.push(r);
    };
    const held = (h: Handle) => {
      if (h.t === 'pages') leak(h, `${h.ref}: order-${h.order} page block (${ZONE_NAMES[h.zone]} pfn ${h.pfn}) from step ${h.at} never freed`, 'pages');
      else if (h.t === 'obj') leak(h, `${h.ref}: ${h.cache?.name ?? ''} object from step ${h.at} never freed`, 'object');
      else if (h.t === 'elem') leak(h, `${h.ref}: mempool element from step ${h.at} never returned with mempool_free`, 'element');
      else if (h.t === 'pool') leak(h, `${h.ref}: mempool from step ${h.at} never destroyed (holds ${h.pool?.reserve.length ?? 0} element(s))`, 'pool');
      else if (h.t === 'cache' && h.cache && !h.cache.destroyed) leak(h, `${h.ref}: kmem cache "${h.cache.name}" from step ${h.at} never destroyed`, 'cache');
    };
    for (const h of e.orphans) held(h);
    for (const [, h] of e.refs) held(h);
    if (this.snap === 'all' || this.snap === 'end') {
      const s = e.snapshot();
      for (const r of out) if (this.snap === 'all') r.state = s;
    }
    return out;
  }

  private gfp(x: unknown): GfpInfo | SimOutcome {
    if (typeof x === 'number' && x >= 0 && (x & ~GFP_VALID_MASK) === 0 && Number.isInteger(x)) return decodeGfp(x);
    const p = parseGfp(x);
    if (!p.ok) {
      if (this.e.verbose) this.e.tr(p.code === 'gfp-buffer' ? 'gfp.gfp-buffer' : p.kind === 'unknown' ? 'gfp.unknown-mask' : 'gfp.bad-mask', p.message);
      return p.advice ? { kind: p.kind, code: p.code, message: p.message, advice: p.advice } : { kind: p.kind, code: p.code, message: p.message };
    }
    return decodeGfp(p.mask);
  }

  /** The handle an allocation result goes to; a live value already in the ref leaks. */
  private target(ref: unknown, index: number, op: SimOp, api: string): Handle {
    const name = isRef(ref) ? ref : `#${index}`;
    this.orphanOld(name);
    const h = new Handle('null', name, index, op, api);
    h.setup = this.setupPhase;
    this.e.refs.set(name, h);
    return h;
  }

  private allocResult(code: number, h: Handle, what: string): SimOutcome {
    const e = this.e;
    if (code >= 0) {
      if (this.lean) return e.slept ? LEAN_SLEPT : LEAN_OK;
      if (h.t === 'pages') {
        const page = { zone: ZONE_NAMES[h.zone], pfn: h.pfn, order: h.order };
        return {
          kind: e.slept ? 'slept' : 'ok',
          page,
          message: e.messages ? `${what}: order-${h.order} page block at ${page.zone} pfn ${h.pfn}${e.slept ? ' (after sleeping)' : ''}` : 'ok',
        };
      }
      const c = h.cache as Cache;
      return {
        kind: e.slept ? 'slept' : 'ok',
        object: { cache: c.name, size: c.size },
        message: e.messages ? `${what}: object from ${c.name}${e.slept ? ' (after sleeping)' : ''}` : 'ok',
      };
    }
    if (code === NEVER) {
      h.t = 'never';
      return {
        kind: 'never-returns',
        code: 'alloc-loop',
        message: `${what} never returns: ${e.neverWhy}`,
      };
    }
    if (code === SLAB_BUG) {
      h.t = 'null';
      return { kind: 'bug', code: e.bugCode, message: `${what}: ${e.bugWhy}` };
    }
    h.t = 'null';
    return { kind: 'null', message: `${what} returned NULL${e.slept ? ' (after sleeping)' : ''}` };
  }

  /**
   * A step that could not be simulated (unknown mask) leaves its ref unknown, so a later free of it
   * is unknown too rather than an error ("never allocated") the code does not have.
   */
  /** A ref about to be overwritten: whatever it still holds leaks (and stays accounted for). */
  private orphanOld(name: string): void {
    const old = this.e.refs.get(name);
    if (old && (old.t === 'pages' || old.t === 'obj' || old.t === 'elem' || old.t === 'pool' || (old.t === 'cache' && !old.cache?.destroyed))) {
      this.e.orphans.push(old);
      if (this.e.verbose)
        this.e.tr(
          'ref.overwrite',
          `${name} still held ${old.t === 'pool' ? 'a mempool' : old.t === 'cache' ? 'a kmem cache' : 'an allocation'} from step ${old.at}: overwriting it leaks it`,
        );
    }
  }

  private noValue(ref: unknown, g: SimOutcome, index: number): SimOutcome {
    if (g.kind === 'unknown' && isRef(ref)) {
      this.orphanOld(ref);
      const h = new Handle('unknown', ref, index, null, 'unknown');
      h.setup = this.setupPhase;
      this.e.refs.set(ref, h);
    }
    return g;
  }

  private lookup(ref: unknown, what: string): Handle | SimOutcome {
    if (!isRef(ref)) return err('bad-op', `${what}: missing ref`);
    const h = this.e.refs.get(ref);
    if (!h) return err('never-allocated', `${what}(${ref}): ${ref} was never allocated`);
    if (h.t === 'unknown') return { kind: 'unknown', code: 'unknown-value', message: `${what}(${ref}): ${ref} comes from a step that could not be simulated` };
    if (h.t === 'freed') return err('double-free', `${what}(${ref}): double free (already freed at step ${h.freedAt})`);
    if (h.t === 'never' || h.t === 'pending') return err('no-value', `${what}(${ref}): ${ref} comes from a call that has not returned`);
    return h;
  }

  private pagesOp(o: Rec, index: number, api: string): SimOutcome {
    const g = this.gfp(o.gfp);
    if (!('mask' in g)) return this.noValue(o.ref, g, index);
    const e = this.e;
    if (api === 'get_zeroed_page' && g.mask & __GFP_HIGHMEM) {
      // 2.6.11 mm/page_alloc.c:896: BUG_ON(gfp_mask & __GFP_HIGHMEM), before anything is allocated.
      if (e.verbose)
        e.tr('get_zeroed_page.highmem-bug', 'BUG_ON(gfp_mask & __GFP_HIGHMEM): get_zeroed_page() returns a kernel address, which a HighMem page does not have');
      return {
        kind: 'bug',
        code: 'highmem-bug-on',
        message: 'get_zeroed_page with __GFP_HIGHMEM: BUG_ON(gfp_mask & __GFP_HIGHMEM) (oops)',
        advice: 'Drop __GFP_HIGHMEM, or use alloc_page(... | __GFP_HIGHMEM) and kmap().',
      };
    }
    const order = api === 'get_zeroed_page' ? 0 : o.order;
    if (typeof order !== 'number' || !Number.isInteger(order)) return err('bad-order', `${api}: order must be an integer`);
    if (order < 0 || order >= MAX_ORDER) {
      // 2.6.11 include/linux/gfp.h:96-97 alloc_pages_node: `if (unlikely(order >= MAX_ORDER)) return NULL;` (order is
      // unsigned int: a negative order is huge) — before __alloc_pages, so no warning and no sleep.
      const h = this.target(o.ref, index, o as SimOp, api);
      h.t = 'null';
      if (e.verbose)
        e.tr(
          'alloc_pages.order-too-large',
          `order ${order}${order < 0 ? ' (as unsigned int)' : ''} >= MAX_ORDER ${MAX_ORDER}: alloc_pages returns NULL before __alloc_pages (no warning)`,
        );
      return {
        kind: 'null',
        code: 'order-too-large',
        message: `${api} returned ${api === 'alloc_pages' ? 'NULL' : '0'}: order ${order} ${order < 0 ? 'is negative (a huge unsigned int), so ' : ''}>= MAX_ORDER (${MAX_ORDER}); the largest block is order ${MAX_ORDER - 1} (4 MiB)`,
      };
    }
    if (g.bothZoneBits) return this.undefinedZonelist(api);
    const h = this.target(o.ref, index, o as SimOp, api);
    // get_zeroed_page: alloc_pages(gfp_mask | __GFP_ZERO, 0) (2.6.11 mm/page_alloc.c:898).
    const p = allocPages(e, api === 'get_zeroed_page' ? decodeGfp(g.mask | __GFP_ZERO) : g, order);
    if (p >= 0) {
      h.t = 'pages';
      h.zone = e.lastZone;
      h.pfn = p;
      h.order = order;
    }
    if (p >= 0 && api !== 'alloc_pages' && e.lastZone === 2) return this.lostHighmemPage(h, api); // ZONE_HIGHMEM
    return this.allocResult(p, h, api);
  }

  /**
   * Both zone bits: 2.6.11 alloc_pages_node (include/linux/gfp.h:103) passes node_zonelists + (gfp_mask & GFP_ZONEMASK),
   * and node_zonelists has GFP_ZONETYPES = 3 entries (include/linux/mmzone.h:91, :244): index 3 is past the array.
   */
  private undefinedZonelist(api: string): SimOutcome {
    if (this.e.verbose)
      this.e.tr(
        'alloc_pages.undefined-zonelist',
        'gfp_mask & GFP_ZONEMASK = 3: node_zonelists has GFP_ZONETYPES = 3 entries (0..2), so index 3 reads past the array',
      );
    return err(
      'undefined-zonelist',
      `${api} with both __GFP_DMA and __GFP_HIGHMEM: undefined behaviour in 2.6.11. alloc_pages uses node_zonelists[gfp_mask & GFP_ZONEMASK] = [3], ` +
        'but the array has GFP_ZONETYPES = 3 entries: the kernel reads the fields after it as a zone list (an oops or an arbitrary zone); the simulator cannot say which',
      'Pass one zone modifier: __GFP_DMA for ISA DMA, __GFP_HIGHMEM (alloc_pages only) for HighMem.',
    );
  }

  /**
   * __get_free_pages with __GFP_HIGHMEM got a HighMem page: 2.6.11 mm/page_alloc.c:882 returns page_address(page),
   * which is NULL for a HighMem page nobody kmapped (mm/highmem.c:530-548). The caller gets 0; the page stays
   * allocated with no one holding it.
   */
  private lostHighmemPage(h: Handle, api: string): SimOutcome {
    const e = this.e;
    const lost = new Handle('pages', h.ref, h.at, h.op, api);
    lost.zone = h.zone;
    lost.pfn = h.pfn;
    lost.order = h.order;
    lost.setup = h.setup;
    e.orphans.push(lost);
    h.t = 'null';
    h.zone = -1;
    h.pfn = -1;
    if (e.verbose)
      e.tr('get_free_pages.highmem-no-address', `page_address() of the HighMem page at pfn ${lost.pfn} is NULL (not kmapped): returns 0, the page is lost`);
    return {
      kind: 'null',
      code: 'highmem-no-address',
      message:
        `${api} returned 0${e.slept ? ' (after sleeping)' : ''}: the order-${lost.order} block came from HighMem (pfn ${lost.pfn}), which has no kernel address ` +
        '(page_address() is NULL); the page stays allocated and nothing can free it (leak)',
      advice: 'Use alloc_pages() and kmap() for HighMem pages, or drop __GFP_HIGHMEM.',
    };
  }

  private freeOp(o: Rec, api: string): SimOutcome {
    const h = this.lookup(o.ref, api);
    if (!(h instanceof Handle)) return h;
    const e = this.e;
    if (h.t === 'null') {
      if (api === 'free_pages') return { kind: 'ok', code: 'free-null', message: 'free_pages(0, ...) is a no-op' };
      return { kind: 'bug', code: 'null-page', message: `${api}(NULL): NULL struct page dereference (oops)` };
    }
    if (h.t !== 'pages') {
      const use = h.t === 'elem' ? 'mempool_free' : h.t === 'obj' ? 'kfree/kmem_cache_free' : 'the matching destroy call';
      return err('wrong-free', `${api}(${h.ref}): ${h.ref} is not a page allocation`, `Free it with ${use}.`);
    }
    const cold = api === 'free_cold_page';
    if (api === 'free_hot_page' || cold) {
      if (h.order !== 0) {
        return err(
          'hot-cold-order',
          `${api}(${h.ref}): the page is an order-${h.order} block; free_hot_page/free_cold_page only work with order-zero pages`,
          `Use __free_pages(page, ${h.order}).`,
        );
      }
    } else if (o.order !== undefined && o.order !== h.order) {
      return err(
        'wrong-order',
        `${api}(${h.ref}, ${String(o.order)}): allocated with order ${h.order}; freeing with another order corrupts the buddy lists`,
        `Pass order ${h.order}.`,
      );
    }
    if (e.verbose && api === 'free_pages' && o.order === undefined) e.tr('free.order-from-allocation', `order ${h.order} taken from the allocation`);
    freeBlock(e, h.zone, h.pfn, h.order, cold);
    h.t = 'freed';
    h.freedAt = this.index - 1;
    return e.messages ? { kind: 'ok', message: `order-${h.order} block at ${ZONE_NAMES[h.zone]} pfn ${h.pfn} freed` } : OK_FREED;
  }

  private handleOf(ref: unknown, t: 'cache' | 'pool', what: string): Handle | SimOutcome {
    if (!isRef(ref)) return err('bad-op', `${what}: missing ${t} ref`);
    const h = this.e.refs.get(ref);
    if (!h) return err(`unknown-${t}`, `${what}: ${ref} is not a ${t === 'pool' ? 'mempool' : 'kmem cache'} (never created)`);
    if (h.t === 'freed') return err(`${t}-destroyed`, `${what}: ${t} ${ref} was destroyed at step ${h.freedAt}`);
    if (h.t === 'never' || h.t === 'pending') return err('no-value', `${what}: ${ref} comes from a call that has not returned`);
    if (h.t === 'null') return { kind: 'bug', code: `null-${t}`, message: `${what}: ${ref} is NULL (its creation failed): oops` };
    if (h.t !== t) return err(`not-a-${t}`, `${what}: ${ref} is not a ${t === 'pool' ? 'mempool' : 'kmem cache'}`);
    return h;
  }

  private dispatch(raw: unknown, index: number): SimOutcome {
    if (raw === null || typeof raw !== 'object' || typeof (raw as Rec).op !== 'string')
      return err('bad-op', 'not an operation (expected an object with an "op" field)');
    const o = raw as Rec;
    const e = this.e;
    const api = o.op as string;
    switch (api) {
      case 'alloc_pages':
      case 'get_free_pages':
      case 'get_zeroed_page':
        return this.pagesOp(o, index, api);
      case 'free_pages':
      case '__free_pages':
      case 'free_hot_page':
      case 'free_cold_page':
        return this.freeOp(o, api);
      case 'kmalloc': {
        const g = this.gfp(o.gfp);
        if (!('mask' in g)) return this.noValue(o.ref, g, index);
        if (!isInt(o.size, 0, 0x7fffffff)) return err('bad-size', 'kmalloc: size must be a non-negative integer');
        if (o.constantSize === true && o.size > KMALLOC_MAX) {
          // 2.6.11 include/linux/slab.h:86-106: for a constant size the inline kmalloc walks kmalloc_sizes.h at
          // build time; past the last class it calls __you_cannot_kmalloc_that_much(), which no file defines.
          if (e.verbose)
            e.tr(
              'slab.kmalloc-does-not-build',
              `kmalloc(${o.size}) with a constant size above ${KMALLOC_MAX}: the inline kmalloc calls __you_cannot_kmalloc_that_much(), undefined: the module does not link`,
            );
          return {
            kind: 'error',
            code: 'does-not-build',
            message: `kmalloc(${o.size}) with a constant size above the largest class (${KMALLOC_MAX}) calls __you_cannot_kmalloc_that_much(), which no kernel file defines: the module does not link`,
          };
        }
        const h = this.target(o.ref, index, o as SimOp, 'kmalloc');
        return this.allocResult(kmalloc(e, o.size, g, h), h, `kmalloc(${o.size})`);
      }
      case 'kfree': {
        const h = this.lookup(o.ref, 'kfree');
        if (!(h instanceof Handle)) return h;
        if (h.t === 'null') return { kind: 'ok', code: 'free-null', message: 'kfree(NULL) is a no-op' };
        if (h.t !== 'obj')
          return err(
            'wrong-free',
            `kfree(${h.ref}): not a kmalloc object`,
            h.t === 'elem' ? 'Use mempool_free.' : h.t === 'pages' ? 'Use free_pages/__free_pages.' : undefined,
          );
        cacheFree(e, h);
        h.t = 'freed';
        h.freedAt = index;
        return { kind: 'ok', message: 'object freed' };
      }
      case 'kmem_cache_create': {
        if (e.context === 'interrupt') return { kind: 'bug', code: 'in-interrupt', message: 'kmem_cache_create in interrupt context: BUG() (in_interrupt())' };
        if (!isRef(o.ref)) return err('bad-op', 'kmem_cache_create: missing ref');
        if (typeof o.size !== 'number' || !Number.isInteger(o.size) || o.size < 4 || o.size > KMALLOC_MAX) {
          return { kind: 'bug', code: 'bad-size', message: `kmem_cache_create: size ${String(o.size)} outside 4..${KMALLOC_MAX}: BUG()` };
        }
        e.noteMaySleep('kmem_cache_create (down(&cache_chain_sem), SLAB_KERNEL allocation)');
        const h = this.target(o.ref, index, o as SimOp, 'kmem_cache_create');
        const c = newCache(e, typeof o.name === 'string' ? o.name : o.ref, o.size, o.dma === true, false, o.ref, o.hwcacheAlign === true);
        c.handle = h;
        h.t = 'cache';
        h.cache = c;
        e.userCaches.push(c);
        if (e.verbose)
          e.tr(
            'slab.cache-create',
            `cache "${c.name}": ${c.size}-byte objects, order-${c.order} slabs of ${c.perSlab} objects${c.offSlabMgmt ? `, management off-slab (${c.offSlabMgmt} bytes)` : ''} (kmem_cache_create's gfporder loop)`,
          );
        return { kind: 'ok', message: `kmem cache "${c.name}" created` };
      }
      case 'kmem_cache_alloc': {
        const ch = this.handleOf(o.cache, 'cache', 'kmem_cache_alloc');
        if (!(ch instanceof Handle)) return ch;
        const g = this.gfp(o.gfp);
        if (!('mask' in g)) return this.noValue(o.ref, g, index);
        const h = this.target(o.ref, index, o as SimOp, 'kmem_cache_alloc');
        return this.allocResult(cacheAlloc(e, ch.cache as Cache, g, h), h, 'kmem_cache_alloc');
      }
      case 'kmem_cache_free': {
        const ch = this.handleOf(o.cache, 'cache', 'kmem_cache_free');
        if (!(ch instanceof Handle)) return ch;
        const h = this.lookup(o.ref, 'kmem_cache_free');
        if (!(h instanceof Handle)) return h;
        if (h.t === 'null') return { kind: 'bug', code: 'null-object', message: 'kmem_cache_free(cache, NULL): oops' };
        if (h.t !== 'obj') return err('wrong-free', `kmem_cache_free: ${h.ref} is not a slab object`);
        if (h.cache !== ch.cache) return err('wrong-cache', `kmem_cache_free: ${h.ref} belongs to cache "${h.cache?.name}", not "${ch.cache?.name}"`);
        cacheFree(e, h);
        h.t = 'freed';
        h.freedAt = index;
        return { kind: 'ok', message: 'object freed' };
      }
      case 'kmem_cache_destroy': {
        if (e.context === 'interrupt') return { kind: 'bug', code: 'in-interrupt', message: 'kmem_cache_destroy in interrupt context: BUG()' };
        const ch = this.handleOf(o.cache, 'cache', 'kmem_cache_destroy');
        if (!(ch instanceof Handle)) return ch;
        const c = ch.cache as Cache;
        if (!destroyCache(e, c)) {
          if (e.verbose) e.tr('slab.destroy-busy', `${c.objects} object(s) still allocated: slab_error "Can't free all objects", returns 1`);
          return err('cache-busy', `kmem_cache_destroy("${c.name}"): Can't free all objects (${c.objects} still allocated); the cache is not destroyed`);
        }
        ch.t = 'freed';
        ch.freedAt = index;
        return { kind: 'ok', message: `kmem cache "${c.name}" destroyed` };
      }
      case 'mempool_create':
        return this.poolCreate(o, index);
      case 'mempool_alloc': {
        const ph = this.handleOf(o.pool, 'pool', 'mempool_alloc');
        if (!(ph instanceof Handle)) return ph;
        const g = this.gfp(o.gfp);
        if (!('mask' in g)) return this.noValue(o.ref, g, index);
        const pool = ph.pool as Pool;
        if (allocFnZonelistUndefined(pool.fn, g.mask)) return this.undefinedZonelist('mempool_alloc (alloc_fn)');
        if (g.canSleep) e.noteMaySleep(`mempool_alloc(${g.text})`);
        const h = this.target(o.ref, index, o as SimOp, 'mempool_alloc');
        const r = mempoolAllocPass(e, pool, g.mask, h);
        if (r === 'elem') return { kind: e.slept ? 'slept' : 'ok', message: `element for ${h.ref} (pool curr_nr ${pool.reserve.length}/${pool.minNr})` };
        if (r === 'null') return { kind: 'null', message: 'mempool_alloc returned NULL: alloc_fn failed, reserve empty, no __GFP_WAIT' };
        if (r === 'bug') {
          h.t = 'null';
          return { kind: 'bug', code: e.bugCode, message: `alloc_fn hit ${e.bugWhy}` };
        }
        if (r === 'never') {
          h.t = 'never';
          return { kind: 'never-returns', code: 'alloc-loop', message: 'alloc_fn never returns' };
        }
        pool.waiters.push({ handle: h, step: index, gfp: g.mask, context: e.context });
        return { kind: 'slept', code: 'waiting', message: 'sleeps until an element is freed with mempool_free' };
      }
      case 'mempool_free': {
        const ph = this.handleOf(o.pool, 'pool', 'mempool_free');
        if (!(ph instanceof Handle)) return ph;
        const h = this.lookup(o.ref, 'mempool_free');
        if (!(h instanceof Handle)) return h;
        if (h.t === 'null') return err('null-element', `mempool_free(NULL): 2.6 would put NULL into the reserve`, 'Check the element before freeing it.');
        if (h.t !== 'elem') return err('wrong-free', `mempool_free: ${h.ref} is not a mempool element`);
        if (h.pool !== ph.pool) return err('wrong-pool', `mempool_free: ${h.ref} belongs to pool ${h.pool?.ref}, not ${ph.ref}`, `Free it to ${h.pool?.ref}.`);
        return mempoolFree(e, ph.pool as Pool, h);
      }
      case 'mempool_destroy': {
        const ph = this.handleOf(o.pool, 'pool', 'mempool_destroy');
        if (!(ph instanceof Handle)) return ph;
        return mempoolDestroy(e, ph.pool as Pool);
      }
      case 'mempool_resize': {
        const ph = this.handleOf(o.pool, 'pool', 'mempool_resize');
        if (!(ph instanceof Handle)) return ph;
        const g = this.gfp(o.gfp);
        if (!('mask' in g)) return g;
        if (typeof o.new_min_nr !== 'number' || !Number.isInteger(o.new_min_nr) || o.new_min_nr > 100000)
          return err('bad-op', 'mempool_resize: new_min_nr must be an integer up to 100000');
        if (o.new_min_nr <= 0) {
          // 2.6.11 mm/mempool.c:114
          if (e.verbose) e.tr('mempool.resize-bug', 'BUG_ON(new_min_nr <= 0)');
          return { kind: 'bug', code: 'resize-min-nr', message: `mempool_resize(${ph.ref}, ${o.new_min_nr}, ...): BUG_ON(new_min_nr <= 0) (oops)` };
        }
        const pool = ph.pool as Pool;
        if (o.new_min_nr >= pool.minNr && allocFnZonelistUndefined(pool.fn, g.mask)) return this.undefinedZonelist('mempool_resize (alloc_fn)');
        return mempoolResize(e, pool, o.new_min_nr, g.mask);
      }
      case 'context': {
        if (typeof o.context !== 'string' || !CONTEXTS.includes(o.context)) return err('bad-op', 'context must be process, atomic or interrupt');
        e.context = o.context as ContextKind;
        e.contextReason = typeof o.reason === 'string' ? o.reason : '';
        if (e.verbose) e.tr('context.change', `now in ${e.contextText()} context`);
        return { kind: 'ok', message: `context: ${e.contextText()}` };
      }
      case 'cache_reap': {
        // Not the driver's code: the events thread, in process context, whatever context the driver is in.
        const released = cacheReap(e);
        return {
          kind: 'ok',
          message: released
            ? `cache_reap (2 s later): ${released} empty slab(s) destroyed, their pages back to the page allocator`
            : 'cache_reap (2 s later): no slab destroyed',
        };
      }
      default:
        return err('bad-op', `unknown operation "${api}"`);
    }
  }

  private poolCreate(o: Rec, index: number): SimOutcome {
    const e = this.e;
    if (!isRef(o.ref)) return err('bad-op', 'mempool_create: missing ref');
    if (!isInt(o.min_nr, 0, 100000)) return err('bad-op', 'mempool_create: min_nr must be an integer 0..100000');
    const fn = o.allocFn as AllocFnSpec | undefined;
    if (fn === null || typeof fn !== 'object') return err('bad-op', 'mempool_create: missing allocFn');
    const via = fn.kind === 'user' ? (fn.via ?? { kind: 'kmalloc', size: 32 }) : fn;
    if (fn.kind === 'user') {
      if (fn.gfp !== 'pass') {
        const p = parseGfp(fn.gfp);
        if (!p.ok)
          return p.advice
            ? { kind: p.kind, code: p.code, message: `alloc_fn: ${p.message}`, advice: p.advice }
            : { kind: p.kind, code: p.code, message: `alloc_fn: ${p.message}` };
      }
    } else if (fn.kind !== 'slab' && fn.kind !== 'kmalloc' && fn.kind !== 'pages')
      return err('bad-op', 'mempool_create: allocFn.kind must be slab, kmalloc, pages or user');
    let cache: Cache | null = null;
    if (via === null || typeof via !== 'object') return err('bad-op', 'mempool_create: bad allocFn.via');
    if (via.kind === 'slab') {
      const ch = this.handleOf(via.cache, 'cache', 'mempool_create');
      if (!(ch instanceof Handle)) return ch;
      cache = ch.cache;
    } else if (via.kind === 'kmalloc') {
      if (!isInt(via.size, 0, 0x7fffffff)) return err('bad-op', 'mempool_create: kmalloc alloc_fn needs a size');
    } else if (via.kind === 'pages') {
      if (!isInt(via.order, 0, MAX_ORDER - 1)) return err('bad-order', 'mempool_create: pages alloc_fn needs an order 0..10');
    } else return err('bad-op', 'mempool_create: allocFn.via.kind must be slab, kmalloc or pages');
    if (allocFnZonelistUndefined(fn, GFP_KERNEL)) return this.undefinedZonelist('mempool_create (alloc_fn)');
    e.noteMaySleep('mempool_create (GFP_KERNEL pre-allocation)');
    const h = this.target(o.ref, index, o as SimOp, 'mempool_create');
    const pool: Pool = {
      ref: o.ref,
      minNr: o.min_nr,
      reserve: [],
      fn,
      cache,
      waiters: [],
      outstanding: 0,
      destroyed: false,
      structObj: null,
      arrObj: null,
      handle: h,
    };
    h.pool = pool;
    return mempoolCreate(e, pool);
  }
}
