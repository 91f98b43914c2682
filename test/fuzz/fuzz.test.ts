/**
 * The short fuzz run in `npm test` (issue 8): 300 seeded mutants of the fixtures and examples through
 * parse, facts, every rule (with simulation), every fix, the fix-all twice, per-function simulation
 * and hover. The long run: `npm run fuzz -- --iterations 10000 --seed N`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { campaign } from './harness';

test('fuzz: 300 mutants — no exception, ≤ 2 s per file, fixes parse no worse, fix-all idempotent, wasm heap flat', { timeout: 240_000 }, async () => {
  const iterations = Number(process.env.KPORT_FUZZ_ITERATIONS ?? 300);
  // A loaded CI box (2 cores shared) gets a wider time bound than the 2 s the long run enforces.
  const r = await campaign({ iterations, seed: Number(process.env.KPORT_FUZZ_SEED ?? 20261125), boundMs: Number(process.env.KPORT_FUZZ_BOUND_MS ?? 4000) });
  const mb = (b?: number) => (b === undefined ? 'n/a' : (b / 1048576).toFixed(1));
  console.log(
    `fuzz: ${r.iterations} iterations, ${r.crashes.length} crashes, ${r.advisories.length} advisories, max ${r.maxMs.toFixed(0)} ms (${r.maxMsAt}), wasm heap ${mb(r.heapBefore)} → ${mb(r.heapAfterWarmup)} (warm) → ${mb(r.heapAfter)} MiB, ${(r.elapsedMs / 1000).toFixed(1)} s`,
  );
  assert.deepEqual(r.crashes, []);
  assert.ok(r.heapAfterWarmup !== undefined, 'the wasm heap could be read');
  // Heavy mutants (1 MB lines) can raise the high-water mark once more; growth proportional to
  // iterations would be leaked trees.
  assert.ok(r.heapAfter! - r.heapAfterWarmup! <= 128 * 1048576, `wasm heap grew ${mb(r.heapAfter! - r.heapAfterWarmup!)} MiB`);
});
