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

test('default machine as 2.6.11 computes it: zones, watermarks (pages_low = 5/4, pages_high = 6/4 of pages_min), lowmem_reserve (ratios 256 and 32), per-CPU lists', () => {
  const z = DEFAULT_MACHINE.zones;
  assert.deepEqual(
    z.map((x) => x.pages),
    [4096, 28672, 32768],
  );
  assert.deepEqual(
    z.map((x) => [x.min, x.low, x.high]),
    [
      [45, 56, 67],
      [316, 395, 474],
      [32, 40, 48],
    ],
  );
  // setup_per_zone_lowmem_reserve: DMA keeps Normal/256 = 112 from Normal-class and (Normal+HighMem)/256 = 240
  // from HighMem-class allocations; Normal keeps HighMem/32 = 1,024 from HighMem-class ones.
  assert.deepEqual(
    z.map((x) => x.lowmemReserve),
    [
      [0, 112, 240],
      [0, 0, 1024],
      [0, 0, 0],
    ],
  );
  assert.deepEqual(lowmemReserveFor([4096, 28672, 32768]), [
    [0, 112, 240],
    [0, 0, 1024],
    [0, 0, 0],
  ]);
  // min_free_kbytes = int_sqrt(lowmem_kbytes * 16), at least 128: a 16 MiB box has 512 KiB, all in lowmem zones.
  assert.deepEqual(watermarksFor([4096, 0, 0])[0], { min: 128, low: 160, high: 192 });
  assert.deepEqual(z[1].hot, { low: 14, high: 42, batch: 7 });
  assert.deepEqual(z[1].cold, { low: 0, high: 14, batch: 7 });
  assert.deepEqual(pcpFor(4096).hot, { low: 2, high: 6, batch: 1 });
  assert.deepEqual(watermarksFor([4096, 28672, 32768])[2], { min: 32, low: 40, high: 48 });
});
