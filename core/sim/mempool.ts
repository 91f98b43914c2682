// Mempools as 2.6 mm/mempool.c behaves (mempool_create / mempool_alloc / mempool_free / mempool_destroy).

import { __GFP_IO, __GFP_NOWARN, __GFP_WAIT, decodeGfp, GFP_KERNEL, GFP_ZONEMASK, gfpText, parseGfp } from './gfp';
import { Handle, type Cache, type Engine, type Pool } from './engine';
import { ALLOC_BUG, allocPages, freeBlock, NEVER } from './page-alloc';
import { cacheAlloc, cacheFree, kmalloc } from './slab';
import type { AllocFnSpec, AllocVia, SimOutcome } from './types';

/** sizeof(mempool_t) on i386 2.6: lock, min_nr, curr_nr, elements, pool_data, alloc, free, wait. */
const MEMPOOL_T_SIZE = 48;

function viaOf(fn: AllocFnSpec): AllocVia {
  return fn.kind === 'user' ? (fn.via ?? { kind: 'kmalloc', size: 32 }) : fn;
}

export function allocFnText(fn: AllocFnSpec): string {
  const v = viaOf(fn);
  const inner = v.kind === 'slab' ? `mempool_alloc_slab(${v.cache})` : v.kind === 'kmalloc' ? `kmalloc(${v.size})` : `alloc_pages(order ${v.order})`;
  if (fn.kind !== 'user') return inner;
  const m = fn.gfp === 'pass' ? 'passes gfp_mask through' : 'fixed mask';
  return `${fn.name ?? 'user alloc_fn'} (${m}; ${inner})`;
}

/** The mask alloc_fn allocates with when called with `mask` (a user function may use its own). */
function allocFnMask(fn: AllocFnSpec, mask: number): number {
  if (fn.kind !== 'user' || fn.gfp === 'pass') return mask;
  const p = parseGfp(fn.gfp);
  return p.ok ? p.mask : GFP_KERNEL;
}

/** alloc_fn allocates pages with both zone bits: 2.6.11 has no zonelist for that (see zonelistFor). */
export function allocFnZonelistUndefined(fn: AllocFnSpec, mask: number): boolean {
  return viaOf(fn).kind === 'pages' && (allocFnMask(fn, mask) & GFP_ZONEMASK) === GFP_ZONEMASK;
}

/** Call alloc_fn(gfp). Returns the element handle, or NULL_PAGE / NEVER / ALLOC_BUG. */
export function callAllocFn(e: Engine, pool: Pool, mask: number): Handle | number {
  const fn = pool.fn;
  const m = allocFnMask(fn, mask);
  if (m !== mask) {
    if (m & __GFP_WAIT && !(mask & __GFP_WAIT) && e.verbose) {
      e.tr(
        'mempool.alloc-fn-ignores-mask',
        `alloc_fn allocates with ${gfpText(m)} although called with ${gfpText(mask)}: ` +
          'it may sleep where mempool_alloc must not ("should take care not to sleep unless __GFP_WAIT is set")',
      );
    }
  }
  const g = decodeGfp(m);
  const v = viaOf(fn);
  const inner = new Handle('obj', '', e.stepIndex, null, 'alloc_fn');
  if (v.kind === 'pages') {
    const p = allocPages(e, g, v.order);
    if (p < 0) return p;
    inner.t = 'pages';
    inner.zone = e.lastZone;
    inner.pfn = p;
    inner.order = v.order;
    return inner;
  }
  const r = v.kind === 'slab' ? cacheAlloc(e, pool.cache as Cache, g, inner) : kmalloc(e, v.size, g, inner);
  return r === 0 ? inner : r;
}

export function callFreeFn(e: Engine, inner: Handle): void {
  if (inner.t === 'pages') freeBlock(e, inner.zone, inner.pfn, inner.order, false);
  else cacheFree(e, inner);
}

function kfreeInternal(e: Engine, h: Handle | null): void {
  if (h && h.t === 'obj') {
    cacheFree(e, h);
    h.t = 'freed';
  }
}

function freePool(e: Engine, pool: Pool): void {
  while (pool.reserve.length > 0) callFreeFn(e, pool.reserve.pop() as Handle);
  kfreeInternal(e, pool.arrObj);
  kfreeInternal(e, pool.structObj);
  pool.destroyed = true;
}

/** mempool_create(min_nr, alloc_fn, free_fn, pool_data). `pool.handle` is the ref's handle. */
export function mempoolCreate(e: Engine, pool: Pool): SimOutcome {
  e.pools.push(pool);
  const g = decodeGfp(GFP_KERNEL);
  const st = new Handle('obj', '', e.stepIndex, null, 'kmalloc');
  if (e.verbose) e.tr('mempool.create-kmalloc', `kmalloc(sizeof(mempool_t)=${MEMPOOL_T_SIZE}, GFP_KERNEL)`);
  const r1 = kmalloc(e, MEMPOOL_T_SIZE, g, st);
  if (r1 !== 0) {
    pool.destroyed = true;
    return failCreate(e, pool, r1);
  }
  pool.structObj = st;
  const arr = new Handle('obj', '', e.stepIndex, null, 'kmalloc');
  if (e.verbose) e.tr('mempool.create-kmalloc', `kmalloc(min_nr * sizeof(void *) = ${pool.minNr * 4}, GFP_KERNEL) for the element array`);
  const r2 = kmalloc(e, pool.minNr * 4, g, arr);
  if (r2 !== 0) {
    if (r2 !== NEVER) {
      kfreeInternal(e, st);
      pool.destroyed = true;
    }
    return failCreate(e, pool, r2);
  }
  pool.arrObj = arr;
  while (pool.reserve.length < pool.minNr) {
    if (e.verbose) e.tr('mempool.create-prealloc', `pre-allocate element ${pool.reserve.length + 1}/${pool.minNr}: ${allocFnText(pool.fn)} with GFP_KERNEL`);
    const el = callAllocFn(e, pool, GFP_KERNEL);
    if (typeof el === 'number') {
      if (el !== NEVER) freePool(e, pool);
      return failCreate(e, pool, el);
    }
    pool.reserve.push(el);
  }
  pool.handle.t = 'pool';
  return { kind: 'ok', message: `mempool created with ${pool.minNr} pre-allocated element(s) (curr_nr = min_nr = ${pool.minNr})` };
}

function failCreate(e: Engine, pool: Pool, code: number): SimOutcome {
  if (code === NEVER) {
    pool.handle.t = 'never';
    return { kind: 'never-returns', message: 'mempool_create never returns: a GFP_KERNEL pre-allocation loops forever', code: 'alloc-loop' };
  }
  pool.handle.t = 'null';
  if (code === ALLOC_BUG) return { kind: 'bug', message: `mempool_create: alloc_fn hit ${e.bugWhy}`, code: e.bugCode };
  if (e.verbose) e.tr('mempool.create-fail', 'an allocation failed: free_pool() releases what was allocated; mempool_create returns NULL');
  return { kind: 'null', message: 'mempool_create returned NULL: a pre-allocation failed', code: 'create-failed' };
}

/**
 * mempool_alloc(pool, gfp) one pass of repeat_alloc. Sets h.t to 'elem' (inner element), 'null', 'never'
 * or 'pending' (waiting for a mempool_free).
 */
export function mempoolAllocPass(e: Engine, pool: Pool, gfp: number, h: Handle): 'elem' | 'null' | 'never' | 'wait' | 'bug' {
  const nowait = gfp & ~(__GFP_WAIT | __GFP_IO);
  if (e.verbose) e.tr('mempool.first-try', `alloc_fn(${gfpText(nowait | __GFP_NOWARN)}): first try without __GFP_WAIT/__GFP_IO`);
  let el = callAllocFn(e, pool, nowait | __GFP_NOWARN);
  if (el === ALLOC_BUG) return 'bug';
  if (el === NEVER) return 'never';
  if (typeof el === 'number') {
    const halfFull = pool.reserve.length <= Math.floor(pool.minNr / 2);
    const fs = (gfp & 0x80) !== 0 && gfp !== nowait;
    if (fs && halfFull) {
      if (e.verbose)
        e.tr(
          'mempool.half-full-rule',
          `curr_nr ${pool.reserve.length} <= min_nr/2 = ${Math.floor(pool.minNr / 2)} and __GFP_FS: alloc_fn(${gfpText(gfp)}) may reclaim`,
        );
      el = callAllocFn(e, pool, gfp);
      if (el === ALLOC_BUG) return 'bug';
      if (el === NEVER) return 'never';
    } else if (e.verbose) {
      e.tr(
        'mempool.half-full-rule',
        fs ? `curr_nr ${pool.reserve.length} > min_nr/2: no second alloc_fn call` : 'no __GFP_FS (or no sleeping bits): no second alloc_fn call',
      );
    }
  }
  if (typeof el !== 'number') {
    h.t = 'elem';
    h.inner = el;
    h.pool = pool;
    pool.outstanding++;
    if (e.verbose) e.tr('mempool.alloc-fn', 'element from alloc_fn (the reserve is untouched)');
    return 'elem';
  }
  if (pool.reserve.length > 0) {
    h.t = 'elem';
    h.inner = pool.reserve.pop() as Handle;
    h.pool = pool;
    pool.outstanding++;
    if (e.verbose) e.tr('mempool.reserve', `alloc_fn failed: element taken from the reserve (curr_nr now ${pool.reserve.length}/${pool.minNr})`);
    return 'elem';
  }
  if (!(gfp & __GFP_WAIT)) {
    h.t = 'null';
    if (e.verbose) e.tr('mempool.no-wait-null', 'reserve empty and no __GFP_WAIT: returns NULL');
    return 'null';
  }
  h.t = 'pending';
  h.pool = pool;
  e.sleep('mempool_alloc (io_schedule waiting for mempool_free)');
  if (e.verbose) e.tr('mempool.wait', 'reserve empty: prepare_to_wait + io_schedule(): sleeps until a mempool_free refills the reserve, then repeat_alloc');
  return 'wait';
}

/** mempool_free(element, pool): refill the reserve if curr_nr < min_nr and wake waiters; else free_fn. */
export function mempoolFree(e: Engine, pool: Pool, h: Handle): SimOutcome {
  const inner = h.inner as Handle;
  pool.outstanding--;
  h.t = 'freed';
  h.freedAt = e.stepIndex;
  h.inner = null;
  if (pool.reserve.length < pool.minNr) {
    pool.reserve.push(inner);
    if (e.verbose)
      e.tr('mempool.free-refill', `curr_nr < min_nr: element back into the reserve (curr_nr now ${pool.reserve.length}/${pool.minNr}); wake_up(&pool->wait)`);
    wakeWaiters(e, pool);
    return { kind: 'ok', message: `element returned to the reserve (curr_nr ${pool.reserve.length}/${pool.minNr})` };
  }
  if (e.verbose) e.tr('mempool.free-fn', 'reserve full: free_fn releases the element');
  callFreeFn(e, inner);
  return { kind: 'ok', message: 'element freed by free_fn (reserve already full)' };
}

function wakeWaiters(e: Engine, pool: Pool): void {
  if (pool.waiters.length === 0) return;
  const saved = { slept: e.slept, atomic: e.atomicSleep, may: e.maySleep, ctx: e.context };
  const still: Pool['waiters'] = [];
  for (const w of pool.waiters) {
    e.context = w.context;
    if (e.verbose) e.tr('mempool.wake', `waiter from step ${w.step} wakes and repeats the allocation`);
    const r = mempoolAllocPass(e, pool, w.gfp, w.handle);
    if (r === 'wait') still.push(w);
    else e.woken.push({ step: w.step, handle: w.handle, result: r === 'elem' ? 'ok' : 'never' });
  }
  pool.waiters = still;
  e.slept = saved.slept;
  e.atomicSleep = saved.atomic;
  e.maySleep = saved.may;
  e.context = saved.ctx;
}

/**
 * mempool_resize(pool, new_min_nr, gfp_mask) as 2.6.11 mm/mempool.c:108-159 runs it (EXPORT_SYMBOL at :160).
 * BUG_ON(new_min_nr <= 0) is the caller's (simulator.ts). Shrinking (new_min_nr < min_nr) frees the reserve's
 * surplus with free_fn (the lock is dropped around each call) and returns 0. Otherwise it grows: kmalloc of the new
 * element array with gfp_mask (failure: -ENOMEM, the pool unchanged), then min_nr = new_min_nr and alloc_fn(gfp_mask)
 * until curr_nr reaches min_nr (also refilling elements still out); an alloc_fn failure stops the loop and the call
 * still returns 0, with curr_nr < min_nr. No wake_up: waiters in mempool_alloc sleep on until a mempool_free.
 */
export function mempoolResize(e: Engine, pool: Pool, newMin: number, gfp: number): SimOutcome {
  const was = `min_nr ${pool.minNr}, curr_nr ${pool.reserve.length}`;
  if (newMin < pool.minNr) {
    let freed = 0;
    while (pool.reserve.length > newMin) {
      callFreeFn(e, pool.reserve.pop() as Handle);
      freed++;
    }
    pool.minNr = newMin;
    if (e.verbose)
      e.tr('mempool.resize-shrink', `new_min_nr ${newMin} < min_nr: remove_element() + free_fn for ${freed} surplus element(s); min_nr = ${newMin}; returns 0`);
    return {
      kind: 'ok',
      code: 'resize-shrunk',
      message: `mempool_resize returned 0: pool shrunk (${was} → min_nr ${newMin}, curr_nr ${pool.reserve.length}; ${freed} element(s) freed with free_fn)`,
    };
  }
  const g = decodeGfp(gfp);
  if (g.canSleep) e.noteMaySleep(`mempool_resize(${g.text})`);
  if (e.verbose) e.tr('mempool.resize-grow', `grow: kmalloc(new_min_nr * sizeof(void *) = ${newMin * 4}, ${g.text}) for the new element array`);
  const arr = new Handle('obj', '', e.stepIndex, null, 'kmalloc');
  const r = kmalloc(e, newMin * 4, g, arr);
  if (r === NEVER)
    return { kind: 'never-returns', code: 'alloc-loop', message: `mempool_resize never returns: the kmalloc of the element array loops (${e.neverWhy})` };
  if (r === ALLOC_BUG) return { kind: 'bug', code: e.bugCode, message: `mempool_resize: the element array kmalloc hit ${e.bugWhy}` };
  if (r !== 0) {
    if (e.verbose) e.tr('mempool.resize-enomem', 'the element array kmalloc failed: returns -ENOMEM, the pool is unchanged');
    return {
      kind: 'null',
      code: 'resize-enomem',
      message: `mempool_resize returned -ENOMEM${e.slept ? ' (after sleeping)' : ''}: the new element array could not be allocated; the pool is unchanged (${was})`,
    };
  }
  kfreeInternal(e, pool.arrObj);
  pool.arrObj = arr;
  pool.minNr = newMin;
  let added = 0;
  while (pool.reserve.length < pool.minNr) {
    if (e.verbose)
      e.tr('mempool.resize-alloc-fn', `element ${pool.reserve.length + 1}/${pool.minNr}: ${allocFnText(pool.fn)} with ${g.text} (the lock dropped)`);
    const el = callAllocFn(e, pool, gfp);
    if (el === NEVER) return { kind: 'never-returns', code: 'alloc-loop', message: `mempool_resize never returns: alloc_fn(${g.text}) loops (${e.neverWhy})` };
    if (el === ALLOC_BUG) return { kind: 'bug', code: e.bugCode, message: `mempool_resize: alloc_fn hit ${e.bugWhy}` };
    if (typeof el === 'number') {
      if (e.verbose) e.tr('mempool.resize-short', `alloc_fn failed: goto out, returns 0 with curr_nr ${pool.reserve.length} < min_nr ${pool.minNr}`);
      return {
        kind: 'ok',
        code: 'resize-short',
        message:
          `mempool_resize returned 0${e.slept ? ' (after sleeping)' : ''} but the pool is short: alloc_fn failed after ${added} new element(s), curr_nr ${pool.reserve.length} < min_nr ${pool.minNr} ` +
          '(later mempool_free calls refill it; until then mempool_destroy BUGs)',
      };
    }
    pool.reserve.push(el);
    added++;
  }
  if (e.verbose) e.tr('mempool.resize-grown', `curr_nr reached min_nr ${pool.minNr}: returns 0`);
  return {
    kind: e.slept ? 'slept' : 'ok',
    code: 'resize-grown',
    message: `mempool_resize returned 0: pool grown (${was} → min_nr ${pool.minNr}, curr_nr ${pool.reserve.length}; ${added} element(s) from alloc_fn)${e.slept ? ' after sleeping' : ''}`,
  };
}

/** mempool_destroy: BUG() if curr_nr != min_nr; else free_pool. Elements from alloc_fn still out just leak. */
export function mempoolDestroy(e: Engine, pool: Pool): SimOutcome {
  if (pool.reserve.length !== pool.minNr) {
    if (e.verbose)
      e.tr('mempool.destroy-bug', `curr_nr ${pool.reserve.length} != min_nr ${pool.minNr}: BUG() (elements taken from the reserve are outstanding)`);
    return {
      kind: 'bug',
      code: 'destroy-outstanding',
      message: `mempool_destroy: BUG(): ${pool.minNr - pool.reserve.length} element(s) taken from the reserve are still outstanding (curr_nr ${pool.reserve.length} != min_nr ${pool.minNr})`,
      advice: 'Return every element with mempool_free before mempool_destroy.',
    };
  }
  const leaked = pool.outstanding;
  freePool(e, pool);
  pool.handle.t = 'freed';
  pool.handle.freedAt = e.stepIndex;
  if (leaked > 0) {
    if (e.verbose) e.tr('mempool.destroy-leak', `${leaked} element(s) from alloc_fn still outstanding: no BUG (curr_nr == min_nr), they leak`);
    return { kind: 'ok', code: 'destroy-leaks', message: `pool destroyed; ${leaked} element(s) allocated by alloc_fn were never freed and leak` };
  }
  if (e.verbose) e.tr('mempool.destroy', 'curr_nr == min_nr: free_pool() frees the reserve, the element array and the pool');
  return { kind: 'ok', message: 'pool destroyed' };
}
