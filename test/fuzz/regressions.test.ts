/** Shrunk inputs from the fuzz harness: each once crashed, hung or broke an invariant. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzParser, runOne } from './harness';

test('20,000 balanced nested parentheses around a GFP name: token lookup stays linear (was ~10 s per hover: Node.parent walk is O(depth²))', async () => {
  const p = await fuzzParser();
  const n = 20000;
  const text = `#include <linux/slab.h>\nvoid deep(void) { int x = ${'('.repeat(n)}kmalloc(4, GFP_KERNEL)${')'.repeat(n)}; }\nvoid g(void) { p = kmalloc(4, GFP_KERNEL); }\n`;
  const r = runOne(p, text, { boundMs: 2000 });
  assert.deepEqual(r.violations, []);
});
