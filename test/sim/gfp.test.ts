import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeGfp,
  parseGfp,
  gfpText,
  GFP_KERNEL,
  GFP_ATOMIC,
  GFP_NOIO,
  GFP_NOFS,
  GFP_HIGHUSER,
  __GFP_DMA,
  __GFP_NOFAIL,
  DEFAULT_MACHINE,
  watermarksFor,
  pcpFor,
  lowmemReserveFor,
} from '../../core/sim/index';

test('2.6 mask values', () => {
  assert.equal(GFP_ATOMIC, 0x20);
  assert.equal(GFP_NOIO, 0x10);
  assert.equal(GFP_NOFS, 0x50);
  assert.equal(GFP_KERNEL, 0xd0);
  assert.equal(GFP_HIGHUSER, 0xd2);
  assert.equal(__GFP_NOFAIL, 0x800);
});

test('decode: capabilities and zonelists', () => {
  const k = decodeGfp(GFP_KERNEL);
  assert.deepEqual([k.canSleep, k.canIO, k.canFS, k.usesReserves], [true, true, true, false]);
  assert.deepEqual(k.zones, [1, 0]);
  const a = decodeGfp(GFP_ATOMIC);
  assert.deepEqual([a.canSleep, a.usesReserves], [false, true]);
  assert.deepEqual(decodeGfp(GFP_HIGHUSER).zones, [2, 1, 0]);
  assert.deepEqual(decodeGfp(GFP_KERNEL | __GFP_DMA).zones, [0]);
  assert.equal(decodeGfp(0x03).bothZoneBits, true, 'both zone bits: no 2.6.11 zonelist (undefined)');
  assert.equal(decodeGfp(GFP_HIGHUSER).bothZoneBits, false);
  assert.equal(gfpText(GFP_KERNEL | __GFP_DMA), 'GFP_KERNEL|__GFP_DMA');
  assert.equal(gfpText(GFP_NOFS), 'GFP_NOFS');
});

test('parse: expressions, GFP_BUFFER, unknown names and bits', () => {
  assert.deepEqual(parseGfp('GFP_KERNEL | __GFP_DMA'), { ok: true, mask: 0xd1 });
  assert.deepEqual(parseGfp(['GFP_NOIO', '__GFP_NOFAIL']), { ok: true, mask: 0x810 });
  assert.deepEqual(parseGfp('SLAB_ATOMIC'), { ok: true, mask: 0x20 });
  const b = parseGfp('GFP_BUFFER');
  assert.equal(b.ok, false);
  if (!b.ok) {
    assert.equal(b.code, 'gfp-buffer');
    assert.match(b.advice ?? '', /GFP_NOIO/);
    assert.match(b.advice ?? '', /GFP_NOFS/);
  }
  const u = parseGfp('MY_FLAGS');
  assert.equal(u.ok, false);
  if (!u.ok) assert.equal(u.kind, 'unknown');
  const bits = parseGfp(0x04);
  assert.equal(bits.ok, false);
  if (!bits.ok) {
    assert.equal(bits.code, 'unknown-bits');
    assert.equal(bits.kind, 'error');
  }
  assert.equal(parseGfp(-1).ok, false);
  assert.equal(parseGfp({ unknown: true, text: 'flags' }).ok, false);
});

test('default machine as 2.6.11 computes it for 256 MiB on i386: zones, watermarks (pages_low = 5/4, pages_high = 6/4 of pages_min), lowmem_reserve (ratios 256 and 32), per-CPU lists', () => {
  const z = DEFAULT_MACHINE.zones;
  // arch/i386/mm/init.c:404-424 zone_sizes_init: DMA = max_dma (16 MiB = 4096 pages), Normal = max_low_pfn - max_dma,
  // HighMem = highend_pfn - max_low_pfn; max_low_pfn = max_pfn below MAXMEM_PFN (896 MiB, arch/i386/kernel/setup.c:904-914),
  // so 256 MiB = 65,536 pages has no HighMem.
  assert.deepEqual(
    z.map((x) => x.pages),
    [4096, 61440, 0],
  );
  // mm/page_alloc.c:2072-2086 init_per_zone_pages_min: lowmem_kbytes = nr_free_buffer_pages() * 4 = 65,536 * 4 (pages_high
  // still 0 at module_init) → min_free_kbytes = int_sqrt(262,144 * 16) = 2048 KiB = 512 pages;
  // mm/page_alloc.c:2001-2046 setup_per_zone_pages_min: pages_min = 512 * present / lowmem_pages: DMA 512 * 4096 / 65536 = 32,
  // Normal 512 * 61440 / 65536 = 480; pages_low = min * 5/4, pages_high = min * 6/4 (:2042-2043); HighMem's clamp
  // to [32, 128] (:2025-2030) gives an empty zone 32, which no zonelist holds (the model keeps 0).
  assert.deepEqual(
    z.map((x) => [x.min, x.low, x.high]),
    [
      [32, 40, 48],
      [480, 600, 720],
      [0, 0, 0],
    ],
  );
  // mm/page_alloc.c:1974-1995 setup_per_zone_lowmem_reserve: DMA keeps Normal/256 = 61440/256 = 240 from Normal-class
  // allocations and (HighMem + Normal)/256 = 240 from HighMem-class ones, Normal keeps HighMem/32 = 0.
  assert.deepEqual(
    z.map((x) => x.lowmemReserve),
    [
      [0, 240, 240],
      [0, 0, 0],
      [0, 0, 0],
    ],
  );
  // The formulas on a machine with HighMem (1 GiB: 880 MiB Normal, 128 MiB HighMem): DMA keeps 225,280/256 = 880 from
  // Normal-class and (225,280 + 32,768)/256 = 1,008 from HighMem-class allocations, Normal keeps 32,768/32 = 1,024.
  assert.deepEqual(lowmemReserveFor([4096, 225280, 32768]), [
    [0, 880, 1008],
    [0, 0, 1024],
    [0, 0, 0],
  ]);
  // min_free_kbytes = int_sqrt(lowmem_kbytes * 16), at least 128: a 16 MiB box has 512 KiB, all in lowmem zones.
  assert.deepEqual(watermarksFor([4096, 0, 0])[0], { min: 128, low: 160, high: 192 });
  // mm/page_alloc.c:1669-1690 free_area_init_core: batch = present/1024 (capped at 256 KiB/PAGE_SIZE = 64), /4, >= 1;
  // Normal 61440/1024 = 60 → 15: hot low/high/batch 2·15/6·15/15, cold 0/2·15/15; DMA 4096/1024 = 4 → 1.
  assert.deepEqual(z[1].hot, { low: 30, high: 90, batch: 15 });
  assert.deepEqual(z[1].cold, { low: 0, high: 30, batch: 15 });
  assert.deepEqual(z[0].hot, { low: 2, high: 6, batch: 1 });
  assert.deepEqual(pcpFor(4096).hot, { low: 2, high: 6, batch: 1 });
  // HighMem's pages_min is present/1024 clamped to [SWAP_CLUSTER_MAX, 128] (:2025-2030): 32,768/1024 = 32.
  assert.deepEqual(watermarksFor([4096, 225280, 32768])[2], { min: 32, low: 40, high: 48 });
});
