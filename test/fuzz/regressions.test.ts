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

test('CR-only line ends (an old Mac-edited file): an #include line ends at the \\r, so the gfp-header fix lands after it, in the file\'s own line ending (it went to the end of the file and the fix-all was not idempotent)', async () => {
  const { analyze, applyEdits, FileFacts, preferredEdits } = await import('../../core');
  const p = await fuzzParser();
  const text = '/* x */\r#include <linux/module.h>\r#include <linux/fs.h>\r\rint f(void)\r{\r\tunsigned long pg = __get_free_page(GFP_KERNEL);\r\tfree_page(pg);\r\treturn 0;\r}\r';
  const parsed = p.parse(text);
  try {
    const facts = new FileFacts(parsed, 'drivers/x/cr.c');
    assert.deepEqual(facts.includes.map((i) => text.slice(i.lineSpan.start, i.lineSpan.end)), ['#include <linux/module.h>\r', '#include <linux/fs.h>\r']);
    const fixed = applyEdits(text, preferredEdits(analyze(facts).findings).edits);
    assert.ok(fixed.includes('#include <linux/fs.h>\r#include <linux/gfp.h>\r\r'), JSON.stringify(fixed));
  } finally {
    parsed.dispose();
  }
  assert.deepEqual(runOne(p, text).violations, []);
  assert.deepEqual(runOne(p, text.replace(/\r/g, '\r\n')).violations, []);
});

test('a 1 MB single line of calls (one ERROR node with ~100k children): the top-level scan stays linear (was 98 s: namedChild(i) is O(i))', async () => {
  const p = await fuzzParser();
  const line = 'kmalloc(n, GFP_KERNEL); '.repeat(Math.ceil((1 << 20) / 24));
  const text = `#include <linux/slab.h>\n\0int f(void) { return 0; }\n${line}\nvoid g(void) { p = kmalloc(4, GFP_KERNEL); }\n`;
  const r = runOne(p, text, { boundMs: 4000, maxFixes: 2 });
  assert.deepEqual(r.violations, []);
});

test('a 1 MB line of `GFP_ATOMIC|GFP_ATOMIC|…` (a ~100k-deep binary expression): token lookup walks one cursor, not the tree from the root per hit (was 90 s)', async () => {
  const p = await fuzzParser();
  const line = 'GFP_ATOMIC|'.repeat(Math.ceil((1 << 20) / 11));
  const text = `#include <linux/vmalloc.h>\nvoid *f(void) { return vmalloc(4); }\nint x = ${line}0;\n`;
  const r = runOne(p, text, { boundMs: 4000, maxFixes: 2 });
  assert.deepEqual(r.violations, []);
});

test('a NUL byte inside mempool_create()\'s argument list: tree-sitter\'s ERROR beside an argument does not shift the arguments (the fix replaced the NUL and the fix-all was not idempotent)', async () => {
  const { analyze, FileFacts } = await import('../../core');
  const p = await fuzzParser();
  const text = '#include <linux/mempool.h>\nstatic kmem_cache_t *c;\nvoid f(void)\n{\n\tmempool_t *p3 = mempool_create(4,\0mempool_alloc_slab, mempool_free_slab, c);\n}\n';
  const parsed = p.parse(text);
  try {
    const findings = analyze(new FileFacts(parsed, 'drivers/x/nul.c')).findings;
    assert.deepEqual(findings.filter((f) => f.rule === 'mempool-slab-pair'), []);
  } finally {
    parsed.dispose();
  }
  assert.deepEqual(runOne(p, text).violations, []);
});

/**
 * Found by the long run (seed 42, iteration 3545), shrunk to 3 lines: a #define line and a declaration
 * with CR line ends, then 20,000 unclosed parentheses. tree-sitter's wasm (web-tree-sitter 0.27)
 * recurses past its stack and every later parse in the process throws "memory access out of bounds".
 * Fixed by limiting bracket nesting before parsing (core/parse/neutralize.ts limitNesting); still run in a
 * child process so that a regression cannot corrupt the module other tests use.
 */
test('CR lines + 20,000 unclosed parentheses no longer corrupt the tree-sitter wasm module', async () => {
  const { spawnSync } = await import('node:child_process');
  const path = await import('node:path');
  const script = `const { fuzzParser } = require(${JSON.stringify(path.join(__dirname, 'harness.ts'))}); const fs = require('fs');
    fuzzParser().then((p) => { try { p.parse(fs.readFileSync(${JSON.stringify(path.join(__dirname, 'wasm-oob.c'))}, 'utf8')).dispose(); p.parse('int ok(void) { return 0; }\\n').dispose(); process.exit(0); } catch (e) { console.error(e.message); process.exit(3); } });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

/**
 * Fuzz seed 7 #230, shrunk: broken code with a 1 MB line of 150,000 back-to-back comments overflowed
 * tree-sitter's wasm stack during error recovery, poisoning the module. Fixed by blanking comments past
 * the 512th of a run (core/parse/neutralize.ts limitCommentRuns); run in a child process like the above.
 */
test('a 150,000-comment run inside broken code no longer corrupts the tree-sitter wasm module', async () => {
  const { spawnSync } = await import('node:child_process');
  const path = await import('node:path');
  const script = `const { fuzzParser } = require(${JSON.stringify(path.join(__dirname, 'harness.ts'))}); const fs = require('fs');
    const text = fs.readFileSync(${JSON.stringify(path.join(__dirname, 'comment-run-oob.c'))}, 'utf8').replace('@@COMMENT_RUN@@', '/* c */'.repeat(150000));
    fuzzParser().then((p) => { try { p.parse(text).dispose(); p.parse('int ok(void) { return 0; }\\n').dispose(); process.exit(0); } catch (e) { console.error(e.message); process.exit(3); } });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
