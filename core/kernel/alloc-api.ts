/** The 2.4/2.6 allocation API as the rules and the sequence extractor see it. */
import { nameTable } from './name-table';
import { SLEEPING_API_NAMES } from './sleeping-apis';

export interface AllocApi {
  /** Index of the gfp_mask argument, or -1 when the function has none. */
  maskArg: number;
  /** Index of the order argument (page allocators). */
  orderArg?: number;
  /** Order when fixed by the function (alloc_page, __get_free_page). */
  fixedOrder?: number;
  /** Sleeps whatever the caller passes (vmalloc, mempool_create). */
  alwaysSleeps?: boolean;
  family: 'slab' | 'page' | 'mempool' | 'vmalloc' | 'other';
  /** Returns struct page * (vs a virtual address). */
  returnsPage?: boolean;
}

export const ALLOC_API: Readonly<Record<string, AllocApi>> = nameTable({
  kmalloc: { maskArg: 1, family: 'slab' },
  kzalloc: { maskArg: 1, family: 'slab' },
  kcalloc: { maskArg: 2, family: 'slab' },
  kmem_cache_alloc: { maskArg: 1, family: 'slab' },
  kmem_cache_zalloc: { maskArg: 1, family: 'slab' },
  kstrdup: { maskArg: 1, family: 'slab' },
  alloc_pages: { maskArg: 0, orderArg: 1, family: 'page', returnsPage: true },
  alloc_page: { maskArg: 0, fixedOrder: 0, family: 'page', returnsPage: true },
  alloc_pages_node: { maskArg: 1, orderArg: 2, family: 'page', returnsPage: true },
  __get_free_pages: { maskArg: 0, orderArg: 1, family: 'page' },
  __get_free_page: { maskArg: 0, fixedOrder: 0, family: 'page' },
  get_free_page: { maskArg: 0, fixedOrder: 0, family: 'page' },
  __get_dma_pages: { maskArg: 0, orderArg: 1, family: 'page' },
  get_zeroed_page: { maskArg: 0, fixedOrder: 0, family: 'page' },
  mempool_alloc: { maskArg: 1, family: 'mempool' },
  mempool_create: { maskArg: -1, alwaysSleeps: true, family: 'mempool' },
  alloc_skb: { maskArg: 1, family: 'other' },
  skb_clone: { maskArg: 1, family: 'other' },
  skb_copy: { maskArg: 1, family: 'other' },
  dma_alloc_coherent: { maskArg: 3, family: 'other' },
  vmalloc: { maskArg: -1, alwaysSleeps: true, family: 'vmalloc' },
  vmalloc_32: { maskArg: -1, alwaysSleeps: true, family: 'vmalloc' },
  kmem_cache_create: { maskArg: -1, alwaysSleeps: true, family: 'slab' },
});

/** The allocator names, for rules' triggers. */
export const ALLOC_NAMES: readonly string[] = Object.keys(ALLOC_API);

export const FREE_API: Readonly<Record<string, { family: AllocApi['family']; orderArg?: number; fixedOrder?: number; takesPage?: boolean }>> = nameTable({
  kfree: { family: 'slab' },
  kmem_cache_free: { family: 'slab' },
  free_pages: { family: 'page', orderArg: 1 },
  __free_pages: { family: 'page', orderArg: 1, takesPage: true },
  free_page: { family: 'page', fixedOrder: 0 },
  __free_page: { family: 'page', fixedOrder: 0, takesPage: true },
  free_hot_page: { family: 'page', fixedOrder: 0, takesPage: true },
  free_cold_page: { family: 'page', fixedOrder: 0, takesPage: true },
  mempool_free: { family: 'mempool' },
  vfree: { family: 'vmalloc' },
});

/** Stock mempool element allocators, by family. A pool's alloc and free functions must come from one family. */
export const MEMPOOL_STOCK: Readonly<Record<string, { family: 'slab' | 'kmalloc' | 'page'; role: 'alloc' | 'free'; pair: string }>> = nameTable({
  mempool_alloc_slab: { family: 'slab', role: 'alloc', pair: 'mempool_free_slab' },
  mempool_free_slab: { family: 'slab', role: 'free', pair: 'mempool_alloc_slab' },
  mempool_kmalloc: { family: 'kmalloc', role: 'alloc', pair: 'mempool_kfree' },
  mempool_kfree: { family: 'kmalloc', role: 'free', pair: 'mempool_kmalloc' },
  mempool_alloc_pages: { family: 'page', role: 'alloc', pair: 'mempool_free_pages' },
  mempool_free_pages: { family: 'page', role: 'free', pair: 'mempool_alloc_pages' },
});

/** mempool_create and its later variants: argument indexes of min_nr, alloc_fn, free_fn, pool_data. */
export const MEMPOOL_CREATE: Readonly<Record<string, { min: number; alloc: number; free: number; data: number }>> = nameTable({
  mempool_create: { min: 0, alloc: 1, free: 2, data: 3 },
  mempool_create_node: { min: 0, alloc: 1, free: 2, data: 3 },
});

/** Every call the allocator simulator models: allocations, frees, and pool/cache teardown. */
export const SIMULATED_CALLS: ReadonlySet<string> = new Set([
  ...Object.keys(ALLOC_API),
  ...Object.keys(FREE_API),
  'mempool_destroy',
  'mempool_resize',
  'kmem_cache_destroy',
]);

/**
 * The calls a simulated verdict is anchored at: the allocations (sleep-in-atomic, and the simulated
 * verdict of every finding anchored there) and mempool_destroy() (mempool-destroy-outstanding's
 * verdict). A free is simulated but no finding is anchored at it.
 */
export const SIMULATION_ANCHORS: ReadonlySet<string> = new Set([...Object.keys(ALLOC_API), 'mempool_destroy']);

/**
 * Calls whose findings depend on the context they run in: the simulation anchors, and the kernel
 * functions that sleep (sleep-in-atomic reports them in atomic context). A function that only frees
 * has no finding its context could change.
 */
export const CONTEXT_ANCHORS: ReadonlySet<string> = new Set([...SIMULATION_ANCHORS, ...SLEEPING_API_NAMES]);
