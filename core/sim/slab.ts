// Slab caches and kmalloc size classes on top of the page allocator (2.6 mm/slab.c, simplified).

import { __GFP_DMA, decodeGfp, gfpText, SLAB_GROW_MASK, type GfpInfo } from './gfp';
import { type Cache, type Engine, type Handle } from './engine';
import { ALLOC_BUG, allocPages, freeBlock } from './page-alloc';

/** include/linux/kmalloc_sizes.h for 4 KiB pages (L1_CACHE_BYTES < 64 adds 96 and 192). */
export const KMALLOC_SIZES: readonly number[] = [32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
export const KMALLOC_MAX = 131072;
/** cache_grow hit BUG() for a flag outside SLAB_DMA|SLAB_LEVEL_MASK|SLAB_NO_GROW (__GFP_HIGHMEM, __GFP_ZERO). */
export const SLAB_BUG = ALLOC_BUG;

export function slabOrderFor(size: number, pageSize: number): number {
  let o = 0;
  while (pageSize * (1 << o) < size) o++;
  return o;
}

export function newCache(e: Engine, name: string, size: number, dma: boolean, internal: boolean, ref?: string): Cache {
  const order = slabOrderFor(size, e.machine.pageSize);
  const perSlab = Math.max(1, Math.floor((e.machine.pageSize * (1 << order)) / size));
  return {
    name, ref, size, order, perSlab, dma, internal, slabs: [], partial: [], emptySlabs: 0, objects: 0, destroyed: false, handle: null,
  };
}

/** The kmalloc size class for `size`, created on first use; null if size > 131072. */
export function kmallocCache(e: Engine, size: number, dma: boolean): Cache | null {
  let cls = 0;
  for (let i = 0; i < KMALLOC_SIZES.length; i++) {
    if (size <= KMALLOC_SIZES[i]) { cls = KMALLOC_SIZES[i]; break; }
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

/**
 * kmem_cache_alloc: an object from a partial slab, else cache_grow → __alloc_pages(gfp, cache order).
 * Fills `h` as an object handle and returns 0, or NULL_PAGE / NEVER / SLAB_BUG.
 */
export function cacheAlloc(e: Engine, c: Cache, g: GfpInfo, h: Handle): number {
  let slab = c.partial.length > 0 ? c.partial[c.partial.length - 1] : null;
  if (slab === null) {
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
    const gi = c.dma && !(g.mask & __GFP_DMA) ? decodeGfp(g.mask | __GFP_DMA) : g;
    const p = allocPages(e, gi, c.order);
    if (p < 0) {
      if (e.verbose && p === -1) e.tr('slab.grow-failed', `${c.name}: cache_grow() failed: kmem_cache_alloc returns NULL`);
      return p;
    }
    slab = { zone: e.lastZone, pfn: p, order: c.order, inuse: 0, partial: true };
    c.slabs.push(slab);
    c.partial.push(slab);
    c.emptySlabs++;
  } else if (g.canSleep) {
    e.noteMaySleep(`kmem_cache_alloc(${c.name}, ${g.text})`);
  }
  if (slab.inuse === 0) c.emptySlabs--;
  slab.inuse++;
  c.objects++;
  if (slab.inuse === c.perSlab) { c.partial.pop(); slab.partial = false; }
  h.t = 'obj';
  h.slab = slab;
  h.cache = c;
  h.size = c.size;
  h.zone = slab.zone;
  if (e.verbose) e.tr('slab.object', `${c.name}: object from the slab at pfn ${slab.pfn} (${slab.inuse}/${c.perSlab} in use)`);
  return 0;
}

/** kmem_cache_free / kfree. A slab that becomes empty is kept if it is the cache's only empty slab, else freed. */
export function cacheFree(e: Engine, h: Handle): void {
  const c = h.cache as Cache;
  const s = h.slab as { zone: number; pfn: number; order: number; inuse: number; partial: boolean };
  s.inuse--;
  c.objects--;
  if (!s.partial) { s.partial = true; c.partial.push(s); }
  if (e.verbose) e.tr('slab.free-object', `${c.name}: object back to its slab at pfn ${s.pfn} (${s.inuse}/${c.perSlab} in use)`);
  if (s.inuse === 0) {
    c.emptySlabs++;
    if (c.emptySlabs > 1) releaseSlab(e, c, s);
  }
}

function releaseSlab(e: Engine, c: Cache, s: Cache['slabs'][number]): void {
  const pi = c.partial.indexOf(s);
  if (pi >= 0) c.partial.splice(pi, 1);
  const si = c.slabs.indexOf(s);
  if (si >= 0) c.slabs.splice(si, 1);
  c.emptySlabs--;
  if (e.verbose) e.tr('slab.release', `${c.name}: a second empty slab: its order-${s.order} page block goes back (kmem_freepages)`);
  freeBlock(e, s.zone, s.pfn, s.order, false);
}

/** kmem_cache_destroy: fails (returns false) while objects are allocated. */
export function destroyCache(e: Engine, c: Cache): boolean {
  if (c.objects > 0) return false;
  while (c.slabs.length > 0) {
    const s = c.slabs[c.slabs.length - 1];
    c.emptySlabs = Math.max(c.emptySlabs, 2);
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
    if (e.verbose) e.tr('slab.kmalloc-too-large', `kmalloc(${size}): larger than the largest size class ${KMALLOC_MAX}: returns NULL`);
    return -1;
  }
  if (e.verbose) e.tr('slab.size-class', `kmalloc(${size}) uses cache ${c.name}`);
  return cacheAlloc(e, c, g, h);
}
