/**
 * What became of the allocation-API names after 2.6.0, as data: for each name that disappears or changes,
 * its replacement and where the change shows in the releases of the knowledge base (kb.generated.json).
 *
 * `offeredFrom` is the first release of the table where the advice applies (the old form absent, or its
 * declaration changed); test/core/kb.test.ts checks every entry against the table: the old form present in
 * the release before, absent (or changed) from `offeredFrom` on, every replacement present wherever it is
 * offered. `release` is the kernel release the change landed in, from the kernel's history (the commit
 * named in `reason`), for orientation between the table's releases; the test checks that it lies between
 * the release before `offeredFrom` and `offeredFrom`.
 */

export type ChangeKind =
  /** The name is gone; `replacement` names what to write instead (an empty list: drop it). */
  | 'removed'
  /** Still declared, with other parameters: `oldForm` is in the declaration before, not after. */
  | 'signature'
  /** A new, safer form appears: `replaces` says what it replaces; absent before `offeredFrom`. */
  | 'added';

export interface KbChange {
  symbol: string;
  change: ChangeKind;
  /** What to use instead ('removed'), or nothing when the flag is simply dropped. */
  replacement?: readonly string[];
  /**
   * Of `replacement`, the one that keeps the meaning where the old flag is tested or cleared with `&`
   * (`gfp & __GFP_WAIT`: may this allocation sleep?), when it differs from the first, which keeps the meaning
   * of setting it in a mask.
   */
  testedAs?: string;
  /** 'signature': a fragment of the old declaration that the new one no longer has. */
  oldForm?: string;
  /** 'added': the code it replaces. */
  replaces?: string;
  offeredFrom: string;
  /** The kernel release the change landed in (orientation; checked to lie within the table's bounds). */
  release?: string;
  reason: string;
  /** Header and releases of the table the fact was read from. */
  source: string;
}

export const KB_CHANGES: readonly KbChange[] = [
  // GFP flags and masks
  {
    symbol: '__GFP_WAIT',
    change: 'removed',
    replacement: ['__GFP_RECLAIM', '__GFP_DIRECT_RECLAIM'],
    // From 4.4 GFP_ATOMIC and GFP_NOWAIT hold __GFP_KSWAPD_RECLAIM (include/linux/gfp.h; gfp_types.h in 6.1), so
    // `gfp & __GFP_RECLAIM` would call an atomic mask "may sleep"; gfpflags_allow_blocking() tests __GFP_DIRECT_RECLAIM.
    testedAs: '__GFP_DIRECT_RECLAIM',
    offeredFrom: '4.4',
    release: '4.4',
    reason: '"mm, page_alloc: rename __GFP_WAIT to __GFP_RECLAIM": may sleep is __GFP_DIRECT_RECLAIM; __GFP_RECLAIM also wakes kswapd, as __GFP_WAIT did',
    source: 'include/linux/gfp.h: __GFP_WAIT in 3.10, gone in 4.4; __GFP_RECLAIM, __GFP_DIRECT_RECLAIM from 4.4',
  },
  {
    symbol: '__GFP_REPEAT',
    change: 'removed',
    replacement: ['__GFP_RETRY_MAYFAIL'],
    offeredFrom: '4.19',
    release: '4.13',
    reason: '"mm, tree wide: replace __GFP_REPEAT by __GFP_RETRY_MAYFAIL with more useful semantic": try hard, may still fail',
    source: 'include/linux/gfp.h: __GFP_REPEAT in 4.4, gone in 4.19; __GFP_RETRY_MAYFAIL from 4.19',
  },
  {
    symbol: '__GFP_COLD',
    change: 'removed',
    replacement: [],
    offeredFrom: '4.19',
    release: '4.15',
    reason: '"mm: remove __GFP_COLD": the page allocator no longer takes a cold-page hint from callers; drop the flag',
    source: 'include/linux/gfp.h: __GFP_COLD in 4.4, gone in 4.19',
  },
  {
    symbol: 'GFP_TEMPORARY',
    change: 'removed',
    replacement: ['GFP_KERNEL'],
    offeredFrom: '4.19',
    release: '4.14',
    reason: '"mm: treewide: remove GFP_TEMPORARY allocation flag": it was GFP_KERNEL plus __GFP_RECLAIMABLE, used inconsistently',
    source: 'include/linux/gfp.h: GFP_TEMPORARY from 2.6.32 to 4.4, gone in 4.19',
  },
  {
    symbol: '__GFP_NO_GROW',
    change: 'removed',
    replacement: [],
    offeredFrom: '2.6.32',
    reason: 'slab-internal flag, dropped from gfp.h between 2.6.11 and 2.6.32; drivers never needed it',
    source: 'include/linux/gfp.h: __GFP_NO_GROW in 2.6.11, gone in 2.6.32',
  },
  // slab
  ...(
    [
      ['SLAB_KERNEL', 'GFP_KERNEL'],
      ['SLAB_ATOMIC', 'GFP_ATOMIC'],
      ['SLAB_NOIO', 'GFP_NOIO'],
      ['SLAB_NOFS', 'GFP_NOFS'],
      ['SLAB_USER', 'GFP_USER'],
      ['SLAB_DMA', 'GFP_DMA'],
    ] as const
  ).map(
    ([symbol, gfp]): KbChange => ({
      symbol,
      change: 'removed',
      replacement: [gfp],
      offeredFrom: '2.6.32',
      reason: `the slab aliases of the GFP masks were removed; ${symbol} was defined as ${gfp}`,
      source: `include/linux/slab.h: #define ${symbol} ${gfp} in 2.6.11, gone in 2.6.32`,
    }),
  ),
  {
    symbol: 'SLAB_NO_GROW',
    change: 'removed',
    replacement: [],
    offeredFrom: '2.6.32',
    reason: 'slab-internal flag (__GFP_NO_GROW), removed with it',
    source: 'include/linux/slab.h: SLAB_NO_GROW in 2.6.11, gone in 2.6.32',
  },
  ...(['SLAB_CTOR_CONSTRUCTOR', 'SLAB_CTOR_ATOMIC', 'SLAB_CTOR_VERIFY'] as const).map(
    (symbol): KbChange => ({
      symbol,
      change: 'removed',
      replacement: [],
      offeredFrom: '2.6.32',
      reason: 'constructors are only called to construct (no flags argument any more): drop the test of the flag',
      source: `include/linux/slab.h: ${symbol} in 2.6.11, gone in 2.6.32 (the constructor is void (*)(void *) there)`,
    }),
  ),
  {
    symbol: 'kmem_cache_t',
    change: 'removed',
    replacement: ['struct kmem_cache'],
    offeredFrom: '2.6.32',
    release: '2.6.20',
    reason: 'the typedef of struct kmem_cache_s went; the type is struct kmem_cache',
    source: 'include/linux/slab.h: typedef struct kmem_cache_s kmem_cache_t in 2.6.11, gone in 2.6.32; struct kmem_cache from 2.6.32',
  },
  {
    symbol: 'kmem_cache_create',
    change: 'signature',
    oldForm: 'unsigned long), void (*)(void *, kmem_cache_t *, unsigned long)',
    offeredFrom: '2.6.32',
    release: '2.6.23',
    reason: '"mm: Remove slab destructors from kmem_cache_create()": no destructor argument; the constructor became void (*)(void *) (2.6.27)',
    source: 'include/linux/slab.h: two function pointers with kmem_cache_t * in 2.6.11, one void (*)(void *) in 2.6.32',
  },
  // page allocator
  {
    symbol: 'free_cold_page',
    change: 'removed',
    replacement: ['__free_page'],
    offeredFrom: '2.6.32',
    reason: 'the cold variant went first; __free_page(page) frees an order-0 struct page * in every release',
    source: 'include/linux/gfp.h: free_cold_page in 2.6.11, gone in 2.6.32; __free_page in every release',
  },
  {
    symbol: 'free_hot_page',
    change: 'removed',
    replacement: ['__free_page'],
    offeredFrom: '3.10',
    release: '2.6.34',
    reason: "free_hot_cold_page(page, 0) replaced it inside mm, itself gone by 4.19: __free_page(page) is the driver's call",
    source: 'include/linux/gfp.h: free_hot_page in 2.6.32, gone in 3.10; __free_page in every release',
  },
  {
    symbol: 'free_hot_cold_page',
    change: 'removed',
    replacement: ['__free_page'],
    offeredFrom: '4.19',
    release: '4.15',
    reason: "renamed free_unref_page (include/linux/gfp.h in 4.19 and 5.10, no longer in include/ in 6.1): __free_page(page) is the driver's call",
    source: 'include/linux/gfp.h: free_hot_cold_page in 3.10 and 4.4, gone in 4.19',
  },
  // DMA
  {
    symbol: 'pci_alloc_consistent',
    change: 'removed',
    replacement: ['dma_alloc_coherent'],
    offeredFrom: '6.1',
    release: '5.18',
    reason:
      '"PCI: Remove the deprecated "pci-dma-compat.h" API": dma_alloc_coherent(&pdev->dev, size, &handle, GFP_KERNEL or GFP_ATOMIC); pci_alloc_consistent always used GFP_ATOMIC',
    source: 'include/linux/pci-dma-compat.h in 5.10 (asm-generic/pci-dma-compat.h up to 4.4), gone in 6.1; dma_alloc_coherent from 2.6.11',
  },
  {
    symbol: 'pci_free_consistent',
    change: 'removed',
    replacement: ['dma_free_coherent'],
    offeredFrom: '6.1',
    release: '5.18',
    reason: 'removed with the pci-dma-compat API: dma_free_coherent(&pdev->dev, size, cpu_addr, handle)',
    source: 'include/linux/pci-dma-compat.h in 5.10, gone in 6.1; dma_free_coherent from 2.6.11',
  },
  {
    symbol: 'pci_map_single',
    change: 'removed',
    replacement: ['dma_map_single'],
    offeredFrom: '6.1',
    release: '5.18',
    reason: 'removed with the pci-dma-compat API: dma_map_single(&pdev->dev, ptr, size, DMA_TO_DEVICE or DMA_FROM_DEVICE)',
    source: 'include/linux/pci-dma-compat.h in 5.10, gone in 6.1; dma_map_single from 2.6.11',
  },
  {
    symbol: 'pci_unmap_single',
    change: 'removed',
    replacement: ['dma_unmap_single'],
    offeredFrom: '6.1',
    release: '5.18',
    reason: 'removed with the pci-dma-compat API: dma_unmap_single(&pdev->dev, handle, size, direction)',
    source: 'include/linux/pci-dma-compat.h in 5.10, gone in 6.1; dma_unmap_single from 2.6.11',
  },
  // mempool, vmalloc
  {
    symbol: 'mempool_resize',
    change: 'signature',
    oldForm: 'gfp_mask',
    offeredFrom: '4.4',
    release: '4.1',
    reason: '"mm, mempool: do not allow atomic resizing": the gfp_mask argument is gone; mempool_resize(pool, new_min_nr) may sleep',
    source: 'include/linux/mempool.h: mempool_resize(pool, new_min_nr, gfp_mask) up to 3.10, (pool, new_min_nr) from 4.4',
  },
  {
    symbol: '__vmalloc',
    change: 'signature',
    oldForm: 'pgprot_t prot',
    offeredFrom: '5.10',
    release: '5.8',
    reason: '"mm: remove the pgprot argument to __vmalloc": __vmalloc(size, gfp_mask); the mapping is always PAGE_KERNEL',
    source: 'include/linux/vmalloc.h: __vmalloc(size, gfp_mask, prot) up to 4.19, (size, gfp_mask) from 5.10',
  },
  // safer forms that arrived
  {
    symbol: 'kcalloc',
    change: 'added',
    replaces: 'kmalloc(n * size, flags) followed by memset(p, 0, n * size)',
    offeredFrom: '2.6.11',
    release: '2.6.10',
    reason: 'zeroed array allocation that checks n * size for overflow',
    source: 'include/linux/slab.h: kcalloc from 2.6.11, absent in 2.6.0',
  },
  {
    symbol: 'kzalloc',
    change: 'added',
    replaces: 'kmalloc(size, flags) followed by memset(p, 0, size)',
    offeredFrom: '2.6.32',
    release: '2.6.14',
    reason: 'zeroed kmalloc in one call',
    source: 'include/linux/slab.h: kzalloc from 2.6.32, absent in 2.6.11',
  },
  {
    symbol: 'kmalloc_array',
    change: 'added',
    replaces: 'kmalloc(n * size, flags)',
    offeredFrom: '3.10',
    release: '3.4',
    reason: 'array allocation that returns NULL when n * size overflows',
    source: 'include/linux/slab.h: kmalloc_array from 3.10, absent in 2.6.32',
  },
  {
    symbol: 'kvmalloc',
    change: 'added',
    replaces: 'kmalloc with a vmalloc fallback written by hand',
    offeredFrom: '4.19',
    release: '4.12',
    reason: 'tries kmalloc, falls back to vmalloc for large sizes; free with kvfree',
    source: 'include/linux/mm.h: kvmalloc from 4.19, absent in 4.4',
  },
  {
    symbol: 'vzalloc',
    change: 'added',
    replaces: 'vmalloc(size) followed by memset(p, 0, size)',
    offeredFrom: '3.10',
    release: '2.6.37',
    reason: 'zeroed vmalloc in one call',
    source: 'include/linux/vmalloc.h: vzalloc from 3.10, absent in 2.6.32',
  },
];
