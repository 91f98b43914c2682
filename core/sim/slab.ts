// Slab caches and kmalloc size classes on top of the page allocator (2.6 mm/slab.c, simplified).

import { __GFP_DMA, decodeGfp, gfpText, SLAB_GROW_MASK, type GfpInfo } from './gfp';
import { Handle, type Cache, type Engine, type Slab } from './engine';
import { ALLOC_BUG, allocPages, freeBlock } from './page-alloc';

/** include/linux/kmalloc_sizes.h for 4 KiB pages (L1_CACHE_BYTES < 64 adds 96 and 192). */
export const KMALLOC_SIZES: readonly number[] = [32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
export const KMALLOC_MAX = 131072;
/** cache_grow hit BUG() for a flag outside SLAB_DMA|SLAB_LEVEL_MASK|SLAB_NO_GROW (__GFP_HIGHMEM, __GFP_ZERO). */
export const SLAB_BUG = ALLOC_BUG;

/**
 * The i386 slab constants of 2.6.11 that kmem_cache_create's layout reads (pwanbul/linux-2.6.11 line numbers).
 * The L1 line is 32 bytes (CONFIG_X86_L1_CACHE_SHIFT 5, Pentium II/III), which is what KMALLOC_SIZES' 96 and 192
 * classes already assume (kmalloc_sizes.h: `L1_CACHE_BYTES < 64`, `< 128`).
 */
export const SLAB_I386 = {
  /** sizeof(struct slab), mm/slab.c:207-213: list_head 8 + colouroff 4 + s_mem 4 + inuse 4 + free 2, padded to 4. */
  slabHeader: 24,
  /** sizeof(kmem_bufctl_t): `typedef unsigned short kmem_bufctl_t`, include/asm-i386/types.h:66. */
  bufctl: 2,
  /** BYTES_PER_WORD. */
  word: 4,
  /** cache_line_size() = L1_CACHE_BYTES, include/asm-i386/cache.h:11-12. */
  cacheLine: 32,
  /** MAX_GFP_ORDER with CONFIG_MMU, mm/slab.c:498. */
  maxGfpOrder: 5,
  /** SLAB_LIMIT = (kmem_bufctl_t)~0U - 2, mm/slab.c:193. */
  slabLimit: 0xffff - 2,
  /** BREAK_GFP_ORDER_HI / _LO, mm/slab.c:507-508; HI when num_physpages > 32 MiB (kmem_cache_init, :769-770). */
  breakOrderHi: 1,
  breakOrderLo: 0,
} as const;

/** A cache's layout as 2.6.11 kmem_cache_create computes it (mm/slab.c:1334-1420). */
export interface SlabLayout {
  /** Object size after alignment. */
  size: number;
  order: number;
  /** Objects per slab. */
  num: number;
  /** Bytes of the slab neither objects nor management (colouring room). */
  leftOver: number;
  /** Slab management (struct slab + bufctls) kmalloc'ed apart from the slab: objects of PAGE_SIZE/8 or more. */
  offSlab: boolean;
  /** slab_size: the management's bytes (the kmalloc size when off-slab). */
  mgmtBytes: number;
}

const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;

/** cache_estimate, mm/slab.c:619-643: objects per slab of 2^order pages, and the bytes left over. */
function cacheEstimate(pageSize: number, order: number, size: number, align: number, offSlab: boolean): { num: number; leftOver: number } {
  const slabBytes = pageSize << order;
  const base = offSlab ? 0 : SLAB_I386.slabHeader;
  const extra = offSlab ? 0 : SLAB_I386.bufctl;
  let i = 0;
  while (i * size + alignUp(base + i * extra, align) <= slabBytes) i++;
  if (i > 0) i--;
  if (i > SLAB_I386.slabLimit) i = SLAB_I386.slabLimit;
  return { num: i, leftOver: slabBytes - i * size - alignUp(base + i * extra, align) };
}

/**
 * kmem_cache_create's layout (mm/slab.c:1253-1420): word rounding, SLAB_HWCACHE_ALIGN's alignment (halved while the
 * object fits twice), off-slab management from PAGE_SIZE/8, then the gfporder loop: next order while no object
 * fits or more than 1/8 of the slab is wasted, stopping at slab_break_gfp_order (unless nothing fits) and
 * MAX_GFP_ORDER, one order back when an off-slab slab would hold more than offslab_limit objects; management
 * moved back on-slab when the left-over room holds it. `num === 0` means "couldn't create cache".
 */
export function slabLayout(size: number, hwcacheAlign: boolean, pageSize: number, breakOrder: number, offslabLimit: number): SlabLayout {
  const word = SLAB_I386.word;
  size = alignUp(size, word);
  let align: number = word;
  if (hwcacheAlign) {
    align = SLAB_I386.cacheLine;
    while (size <= align / 2) align /= 2;
  }
  let offSlab = size >= pageSize >> 3;
  size = alignUp(size, align);
  let order = 0;
  let est: { num: number; leftOver: number };
  for (;;) {
    est = cacheEstimate(pageSize, order, size, align, offSlab);
    if (order >= SLAB_I386.maxGfpOrder) break;
    if (est.num > 0) {
      if (offSlab && est.num > offslabLimit && order > 0) {
        order--;
        est = cacheEstimate(pageSize, order, size, align, offSlab);
        break;
      }
      if (order >= breakOrder) break;
      if (est.leftOver * 8 <= pageSize << order) break;
    }
    order++;
  }
  let leftOver = est.leftOver;
  let mgmtBytes = alignUp(est.num * SLAB_I386.bufctl + SLAB_I386.slabHeader, align);
  if (offSlab && leftOver >= mgmtBytes) {
    offSlab = false;
    leftOver -= mgmtBytes;
  }
  if (offSlab) mgmtBytes = est.num * SLAB_I386.bufctl + SLAB_I386.slabHeader;
  return { size, order, num: est.num, leftOver, offSlab, mgmtBytes };
}

/** slab_break_gfp_order for a machine: 1 above 32 MiB of memory (mm/slab.c:769-770). */
export function breakOrderFor(totalPages: number, pageSize: number): number {
  return totalPages > (32 << 20) / pageSize ? SLAB_I386.breakOrderHi : SLAB_I386.breakOrderLo;
}

const offslabLimits = new Map<string, number>();

/**
 * offslab_limit after kmem_cache_init (mm/slab.c:815-826): (cs_size - sizeof(struct slab)) / sizeof(kmem_bufctl_t)
 * of the last kmalloc class whose management stayed on-slab, the classes laid out in order.
 */
export function offslabLimitFor(pageSize: number, breakOrder: number): number {
  const key = `${pageSize}/${breakOrder}`;
  let limit = offslabLimits.get(key);
  if (limit === undefined) {
    limit = 0;
    for (const cs of KMALLOC_SIZES) {
      if (!slabLayout(cs, true, pageSize, breakOrder, limit).offSlab) limit = Math.floor((cs - SLAB_I386.slabHeader) / SLAB_I386.bufctl);
    }
    offslabLimits.set(key, limit);
  }
  return limit;
}

const layouts = new Map<string, SlabLayout>();

/** The layout of a cache on this engine's machine; the kmalloc classes are created with SLAB_HWCACHE_ALIGN (ARCH_KMALLOC_FLAGS). */
export function layoutFor(e: Engine, size: number, hwcacheAlign: boolean): SlabLayout {
  const breakOrder = breakOrderFor(e.totalPages, e.machine.pageSize);
  // Memoized: every simulation creates its caches afresh, and cache_estimate counts objects one by one.
  const key = `${size}/${hwcacheAlign ? 1 : 0}/${e.machine.pageSize}/${breakOrder}`;
  let l = layouts.get(key);
  if (l === undefined) {
    l = slabLayout(size, hwcacheAlign, e.machine.pageSize, breakOrder, offslabLimitFor(e.machine.pageSize, breakOrder));
    layouts.set(key, l);
  }
  return l;
}

export function newCache(e: Engine, name: string, size: number, dma: boolean, internal: boolean, ref?: string, hwcacheAlign = internal): Cache {
  const l = layoutFor(e, size, hwcacheAlign);
  return {
    name,
    ref,
    size,
    order: l.order,
    perSlab: l.num,
    offSlabMgmt: l.offSlab ? l.mgmtBytes : 0,
    dma,
    internal,
    slabs: [],
    partial: [],
    emptySlabs: 0,
    objects: 0,
    destroyed: false,
    handle: null,
    freeTouched: false,
    reapRuns: 0,
    ...arrayCacheFor(l, e.machine.pageSize),
  };
}

/** The kmalloc size class for `size`, created on first use; null if size > 131072. */
export function kmallocCache(e: Engine, size: number, dma: boolean): Cache | null {
  let cls = 0;
  for (let i = 0; i < KMALLOC_SIZES.length; i++) {
    if (size <= KMALLOC_SIZES[i]) {
      cls = KMALLOC_SIZES[i];
      break;
    }
  }
  if (cls === 0) return null;
  const name = dma ? `size-${cls}(DMA)` : `size-${cls}`;
  let c = e.kmallocCaches.get(name);
  if (!c) {
    c = newCache(e, name, cls, dma, true);
    e.kmallocCaches.set(name, c);
  }
  return c;
}

/** enable_cpucache, mm/slab.c:2712-2758: the per-CPU array's limit by object size; batchcount (limit+1)/2; no shared array on UP. */
export function arrayCacheLimit(objsize: number, pageSize: number): number {
  if (objsize > 131072) return 1;
  if (objsize > pageSize) return 8;
  if (objsize > 1024) return 24;
  if (objsize > 256) return 54;
  return 120;
}
/** BATCHREFILL_LIMIT, mm/slab.c:378: an untouched array refills at most this many. */
const BATCHREFILL_LIMIT = 16;

function arrayCacheFor(l: SlabLayout, pageSize: number): Pick<Cache, 'ac' | 'acLimit' | 'acBatch' | 'acTouched' | 'freeLimit'> {
  const limit = arrayCacheLimit(l.size, pageSize);
  const batch = Math.floor((limit + 1) / 2);
  // do_tune_cpucache, mm/slab.c:2683: free_limit = (1 + num_online_cpus()) * batchcount + num; one CPU.
  return { ac: [], acLimit: limit, acBatch: batch, acTouched: false, freeLimit: 2 * batch + l.num };
}

/**
 * cache_grow, mm/slab.c:1800-1879: one slab of 2^order pages on the cache's free list. Returns 0, or
 * NULL_PAGE / NEVER / SLAB_BUG from the page allocator, or -1 (no grow).
 */
function cacheGrow(e: Engine, c: Cache, g: GfpInfo): number {
  const bad = g.mask & ~SLAB_GROW_MASK & 0xffff;
  if (bad) {
    e.bugCode = bad & 0x02 ? 'slab-highmem' : 'slab-bad-flags';
    e.bugWhy = `BUG() in cache_grow: ${gfpText(bad)} is not allowed for slab allocations (flags outside SLAB_DMA|SLAB_LEVEL_MASK|SLAB_NO_GROW)`;
    if (e.verbose) e.tr('slab.highmem-bug', `cache_grow(${c.name}): ${gfpText(bad)} is not a slab flag: BUG()`);
    return SLAB_BUG;
  }
  if (g.noGrow) {
    // 2.6.11 mm/slab.c:1813: `if (flags & SLAB_NO_GROW) return 0;` → cache_alloc_refill returns NULL.
    if (e.verbose) e.tr('slab.no-grow', `${c.name}: no free object and __GFP_NO_GROW: cache_grow() returns 0, the allocation returns NULL`);
    return -1;
  }
  if (e.verbose) e.tr('slab.cache-grow', `${c.name}: no free object, cache_grow() asks the page allocator for an order-${c.order} slab`);
  if (g.canSleep) {
    // 2.6.11 mm/slab.c:1834-1835: `if (local_flags & __GFP_WAIT) local_irq_enable();` until :1856-1857, whatever
    // the caller's interrupt state (spin_lock_irqsave included).
    e.irqsOnInGrow = true;
    if (e.verbose)
      e.tr('slab.grow-irq-enable', `cache_grow(${c.name}) turns interrupts on (local_irq_enable) for the page allocation, since the mask has __GFP_WAIT`);
  }
  const gi = c.dma && !(g.mask & __GFP_DMA) ? decodeGfp(g.mask | __GFP_DMA) : g;
  const p = allocPages(e, gi, c.order);
  if (p < 0) {
    if (e.verbose && p === -1) e.tr('slab.grow-failed', `${c.name}: cache_grow() failed: kmem_cache_alloc returns NULL`);
    return p;
  }
  const zone = e.lastZone;
  let mgmt: Handle | null = null;
  if (c.offSlabMgmt > 0) {
    // alloc_slabmgmt, mm/slab.c:1700-1712: off-slab management from the general cache of slab_size, local_flags
    // (the mask without __GFP_DMA); its failure frees the pages (kmem_freepages) and cache_grow returns 0.
    const mc = kmallocCache(e, c.offSlabMgmt, false) as Cache;
    if (e.verbose) e.tr('slab.mgmt-off-slab', `${c.name}: slab management (${c.offSlabMgmt} bytes) kmalloc'ed off-slab from ${mc.name}`);
    mgmt = new Handle('obj', '', e.stepIndex, null, 'alloc_slabmgmt');
    const m = cacheAlloc(e, mc, g.mask & __GFP_DMA ? decodeGfp(g.mask & ~__GFP_DMA) : g, mgmt);
    if (m < 0) {
      freeBlock(e, zone, p, c.order, false);
      if (e.verbose && m === -1) e.tr('slab.grow-failed', `${c.name}: alloc_slabmgmt() failed: the slab's pages go back, kmem_cache_alloc returns NULL`);
      return m;
    }
  }
  const slab: Slab = { zone, pfn: p, order: c.order, inuse: 0, partial: true, mgmt };
  c.slabs.push(slab);
  c.partial.push(slab);
  c.emptySlabs++;
  return 0;
}

/**
 * kmem_cache_alloc → __cache_alloc, mm/slab.c:2155-2175: the newest object of the CPU's array (no lock, no page
 * allocator); an empty array is refilled by cache_alloc_refill (:2003-2090) with up to batchcount objects from the
 * partial, then free slabs, and only when the lists are empty too does cache_grow run. might_sleep_if(__GFP_WAIT)
 * is checked on every call (cache_alloc_debugcheck_before). Fills `h` and returns 0, or NULL_PAGE / NEVER / SLAB_BUG.
 */
export function cacheAlloc(e: Engine, c: Cache, g: GfpInfo, h: Handle): number {
  let slab: Slab;
  if (c.ac.length > 0) {
    c.acTouched = true;
    slab = c.ac.pop() as Slab;
    if (g.canSleep) e.noteMaySleep(`kmem_cache_alloc(${c.name}, ${g.text})`);
    if (e.verbose) e.tr('slab.array-hit', `${c.name}: object from this CPU's array cache (${c.ac.length} left of ${c.acLimit}): no page allocator call`);
  } else {
    for (let grown = false; ; grown = true) {
      let batch = !c.acTouched && c.acBatch > BATCHREFILL_LIMIT ? BATCHREFILL_LIMIT : c.acBatch;
      const wanted = batch;
      while (batch > 0 && c.partial.length > 0) {
        const s = c.partial[c.partial.length - 1];
        while (s.inuse < c.perSlab && batch > 0) {
          if (s.inuse === 0) {
            c.emptySlabs--;
            c.freeTouched = true; // mm/slab.c:2043 l3->free_touched = 1
          }
          s.inuse++;
          c.ac.push(s);
          batch--;
        }
        if (s.inuse === c.perSlab) {
          c.partial.pop();
          s.partial = false;
        }
      }
      if (c.ac.length > 0) {
        if (e.verbose)
          e.tr('slab.array-refill', `${c.name}: array cache empty: cache_alloc_refill moves ${c.ac.length} object(s) from the slab lists (batch ${wanted})`);
        if (g.canSleep && !grown) e.noteMaySleep(`kmem_cache_alloc(${c.name}, ${g.text})`);
        break;
      }
      if (grown) return -1; // cannot happen: a grown slab has objects
      const r = cacheGrow(e, c, g);
      if (r !== 0) return r;
    }
    c.acTouched = true;
    slab = c.ac.pop() as Slab;
  }
  c.objects++;
  h.t = 'obj';
  h.slab = slab;
  h.cache = c;
  h.size = c.size;
  h.zone = slab.zone;
  if (e.verbose) e.tr('slab.object', `${c.name}: object from the slab at pfn ${slab.pfn} (${slab.inuse}/${c.perSlab} in use)`);
  return 0;
}

/**
 * kmem_cache_free / kfree → __cache_free, mm/slab.c:2291-2306: onto the CPU's array; a full array first gives its
 * batchcount oldest objects back to their slabs (cache_flusharray → free_block, :2183-2260), where a slab left empty
 * is destroyed when the cache already holds more than free_limit free objects, else kept on the free list.
 */
export function cacheFree(e: Engine, h: Handle): void {
  const c = h.cache as Cache;
  c.objects--;
  if (c.ac.length >= c.acLimit) flushArray(e, c, c.acBatch);
  c.ac.push(h.slab as Slab);
  if (e.verbose) e.tr('slab.free-object', `${c.name}: object onto this CPU's array cache (${c.ac.length}/${c.acLimit})`);
}

/** free_block for the `n` oldest objects of the array. */
function flushArray(e: Engine, c: Cache, n: number): void {
  const out = c.ac.splice(0, Math.min(n, c.ac.length));
  if (e.verbose) e.tr('slab.array-flush', `${c.name}: cache_flusharray gives ${out.length} object(s) of this CPU's array back to their slabs`);
  for (const s of out) {
    s.inuse--;
    if (!s.partial) {
      s.partial = true;
      c.partial.push(s);
    }
    if (s.inuse === 0) {
      c.emptySlabs++;
      if (c.slabs.length * c.perSlab - slabInuse(c) > c.freeLimit) releaseSlab(e, c, s);
    }
  }
}

function slabInuse(c: Cache): number {
  let n = 0;
  for (const s of c.slabs) n += s.inuse;
  return n;
}

function releaseSlab(e: Engine, c: Cache, s: Cache['slabs'][number]): void {
  const pi = c.partial.indexOf(s);
  if (pi >= 0) c.partial.splice(pi, 1);
  const si = c.slabs.indexOf(s);
  if (si >= 0) c.slabs.splice(si, 1);
  c.emptySlabs--;
  if (s.mgmt !== null) {
    cacheFree(e, s.mgmt);
    s.mgmt.t = 'freed';
    s.mgmt = null;
  }
  if (e.verbose) e.tr('slab.release', `${c.name}: an empty slab is destroyed: its order-${s.order} page block goes back (slab_destroy → kmem_freepages)`);
  freeBlock(e, s.zone, s.pfn, s.order, false);
}

/**
 * cache_reap (mm/slab.c:2795-2865), the events workqueue's run every REAPTIMEOUT_CPUC = 2 s (:385, 2801), over every
 * live cache:
 * - drain_array_locked(ac, 0) (:2764-2782): an array touched since the last run is only marked untouched; an untouched
 *   one gives back its (limit+4)/5 oldest objects ((avail+1)/2 when it holds fewer) through free_block, where a slab
 *   left empty is destroyed above free_limit;
 * - every REAPTIMEOUT_LIST3 = 4 s (:386, 2822-2825; the model runs it on every second run and takes the cache
 *   address's phase, `cachep % REAPTIMEOUT_LIST3` at :1466-1467, as 0): unless a refill took objects from a free slab
 *   since (free_touched, :2830-2833), up to (free_limit + 5·num − 1)/(5·num) free slabs are destroyed (:2836-2856).
 * Returns the page blocks given back to the page allocator.
 */
export function cacheReap(e: Engine): number {
  let released = 0;
  const caches = [...e.kmallocCaches.values(), ...e.userCaches];
  for (const c of caches) {
    if (c.destroyed) continue;
    c.reapRuns++;
    const before = c.slabs.length;
    if (c.acTouched) {
      c.acTouched = false;
      if (e.verbose) e.tr('slab.reap-array', `${c.name}: array cache used since the last cache_reap: only marked untouched`);
    } else if (c.ac.length > 0) {
      let n = Math.floor((c.acLimit + 4) / 5);
      if (n > c.ac.length) n = Math.floor((c.ac.length + 1) / 2);
      if (e.verbose) e.tr('slab.reap-array', `${c.name}: untouched array cache: drain_array_locked gives back ${n} of its ${c.ac.length} object(s)`);
      flushArray(e, c, n);
    }
    if (c.reapRuns % 2 === 0) {
      if (c.freeTouched) {
        c.freeTouched = false;
        if (e.verbose) e.tr('slab.reap-slabs', `${c.name}: a free slab was used since the last pass (free_touched): no slab destroyed`);
      } else {
        let n = Math.floor((c.freeLimit + 5 * c.perSlab - 1) / (5 * c.perSlab));
        while (n-- > 0) {
          const empty = c.slabs.find((s) => s.inuse === 0);
          if (!empty) break;
          releaseSlab(e, c, empty);
        }
      }
    }
    released += before - c.slabs.length;
  }
  return released;
}

/** kmem_cache_destroy: fails (returns false) while objects are allocated; drains the CPU's array first (drain_cpu_caches). */
export function destroyCache(e: Engine, c: Cache): boolean {
  if (c.objects > 0) return false;
  if (c.ac.length > 0) flushArray(e, c, c.ac.length);
  while (c.slabs.length > 0) {
    const s = c.slabs[c.slabs.length - 1];
    releaseSlab(e, c, s);
  }
  c.emptySlabs = 0;
  c.destroyed = true;
  return true;
}

/** kmalloc(size, gfp): the size class's cache, or NULL above 131072 bytes. */
export function kmalloc(e: Engine, size: number, g: GfpInfo, h: Handle): number {
  const c = kmallocCache(e, size === 0 ? 1 : size, (g.mask & __GFP_DMA) !== 0);
  if (!c) {
    if (e.verbose)
      e.tr(
        'slab.kmalloc-too-large',
        `kmalloc(${size}): larger than the largest size class ${KMALLOC_MAX}: __kmalloc's kmem_find_general_cachep finds no cache, returns NULL`,
      );
    return -1;
  }
  if (e.verbose) e.tr('slab.size-class', `kmalloc(${size}) uses cache ${c.name}`);
  return cacheAlloc(e, c, g, h);
}
