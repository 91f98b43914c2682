/** Shrunk inputs from the fuzz harness: each once crashed, hung or broke an invariant. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../core';
import { fuzzParser, runOne } from './harness';

/** One rule's findings in `text` (analyzed whole, with verdicts). */
async function ruleFindings(text: string, file: string, rule: string): Promise<Finding[]> {
  const { analyze, FileFacts } = await import('../../core');
  const parsed = (await fuzzParser()).parse(text);
  try {
    return analyze(new FileFacts(parsed, file)).findings.filter((f) => f.rule === rule);
  } finally {
    parsed.dispose();
  }
}

test('20,000 balanced nested parentheses around a GFP name: token lookup stays linear (was ~10 s per hover: Node.parent walk is O(depth²))', async () => {
  const p = await fuzzParser();
  const n = 20000;
  const text = `#include <linux/slab.h>\nvoid deep(void) { int x = ${'('.repeat(n)}kmalloc(4, GFP_KERNEL)${')'.repeat(n)}; }\nvoid g(void) { p = kmalloc(4, GFP_KERNEL); }\n`;
  const r = runOne(p, text, { boundMs: 2000 });
  assert.deepEqual(r.violations, []);
});

// The gfp-header tests below use includes that do not reach gfp.h in 2.6.11 (<linux/kernel.h>,
// <linux/init.h>, <linux/errno.h>): <linux/module.h>, <linux/fs.h> and <linux/sched.h> do (core/kernel/gfp-include-graph.ts).
test("CR-only line ends (an old Mac-edited file): an #include line ends at the \\r, so the gfp-header fix lands after it, in the file's own line ending (it went to the end of the file and the fix-all was not idempotent)", async () => {
  const { analyze, applyEdits, FileFacts } = await import('../../core');
  const { preferredEdits } = await import('../../core/fix');
  const p = await fuzzParser();
  const text =
    '/* x */\r#include <linux/kernel.h>\r#include <linux/init.h>\r\rint f(void)\r{\r\tunsigned long pg = __get_free_page(GFP_KERNEL);\r\tfree_page(pg);\r\treturn 0;\r}\r';
  const parsed = p.parse(text);
  try {
    const facts = new FileFacts(parsed, 'drivers/x/cr.c');
    assert.deepEqual(
      facts.includes.map((i) => text.slice(i.lineSpan.start, i.lineSpan.end)),
      ['#include <linux/kernel.h>\r', '#include <linux/init.h>\r'],
    );
    const fixed = applyEdits(text, preferredEdits(analyze(facts).findings).edits);
    assert.ok(fixed.includes('#include <linux/init.h>\r#include <linux/gfp.h>\r\r'), JSON.stringify(fixed));
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

test("a NUL byte inside mempool_create()'s argument list: tree-sitter's ERROR beside an argument does not shift the arguments (the fix replaced the NUL and the fix-all was not idempotent)", async () => {
  const text =
    '#include <linux/mempool.h>\nstatic kmem_cache_t *c;\nvoid f(void)\n{\n\tmempool_t *p3 = mempool_create(4,\0mempool_alloc_slab, mempool_free_slab, c);\n}\n';
  assert.deepEqual(await ruleFindings(text, 'drivers/x/nul.c', 'mempool-slab-pair'), []);
  assert.deepEqual(runOne(await fuzzParser(), text).violations, []);
});

test("a name tree-sitter's recovery left in an ERROR beside an argument is part of it: the argument is unknown, no fix rewrites half of it (seed 20261205 #1104)", async () => {
  // `|` flipped to `~`: tree-sitter reads ERROR(GFP_NOIO) then `~__GFP_DMA`. The alloc_fn rule took `~ __GFP_DMA` for
  // the mask and replaced it with `gfp`, leaving `GFP_NOIO gfp`, which the second fix-all replaced again.
  const text =
    '#include <linux/mempool.h>\n\nstatic void *pool_pages(int gfp, void *data)\n{\n\treturn (void *)__get_free_pages(GFP_NOIO ~ __GFP_DMA, 1);\n}\n\n' +
    'static void pool_free(void *e, void *data)\n{\n\tfree_pages((unsigned long)e, 1);\n}\n\nmempool_t *pool_make(void)\n{\n\treturn mempool_create(4, pool_pages, pool_free, NULL);\n}\n';
  assert.deepEqual(await ruleFindings(text, 'drivers/x/garbled.c', 'mempool-alloc-fn-sleeps'), []);
  assert.deepEqual(runOne(await fuzzParser(), text).violations, []);
  // With the `|` back, the finding and its fix are there.
  const fixed = text.replace('GFP_NOIO ~', 'GFP_NOIO |');
  const f = await ruleFindings(fixed, 'drivers/x/garbled.c', 'mempool-alloc-fn-sleeps');
  assert.equal(f.length, 1);
  assert.equal(fixed.slice(f[0].span.start, f[0].span.end), 'GFP_NOIO | __GFP_DMA');
  assert.deepEqual(f[0].fixes[0].edits, [{ start: f[0].span.start, end: f[0].span.end, newText: 'gfp' }]);
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

/** Fix-all applied twice; the second must have nothing left to change. */
async function fixAllTwice(text: string): Promise<{ first: string; second: string; rules: string[][] }> {
  const { analyze, applyEdits, FileFacts } = await import('../../core');
  const { preferredEdits } = await import('../../core/fix');
  const p = await fuzzParser();
  const rules: string[][] = [];
  const once = (t: string) => {
    const parsed = p.parse(t);
    try {
      const { findings } = analyze(new FileFacts(parsed, 'drivers/x/x.c'));
      rules.push(findings.map((f) => f.rule).sort());
      return applyEdits(t, preferredEdits(findings).edits);
    } finally {
      parsed.dispose();
    }
  };
  const first = once(text);
  return { first, second: once(first), rules };
}

test('fuzz seed 42 #1423: a `<…>` that runs over a lone \\r into the next #include is not an include, so gfp-header inserts at the top (it went after the broken line, where tree-sitter saw no directive, and the fix-all was not idempotent)', async () => {
  const { FileFacts } = await import('../../core');
  const p = await fuzzParser();
  const text =
    '#include <linux/types.h\r#include <linux/kernel>h>\r\rstatic int grab(void)\r{\r\tstruct page *pg = alloc_page(GFP_KERNEL);\r\t__free_page(pg);\r\treturn 0;\r}\r';
  const parsed = p.parse(text);
  try {
    assert.deepEqual(new FileFacts(parsed, 'drivers/x/x.c').includes, []);
  } finally {
    parsed.dispose();
  }
  // Both #include lines are text tree-sitter could not read as includes: whether one reaches gfp.h is
  // unknown, so gfp-header (which used to insert at the top here) reports nothing.
  const r = await fixAllTwice(text);
  assert.equal(r.first, text);
  assert.equal(r.second, r.first);
  assert.deepEqual(runOne(p, text).violations, []);
  // Fuzz seed 20261125 #293: no include at all and a broken first line (a NUL in a comment). A directive
  // ended by a lone \r before it merged into its ERROR; the include inserted at the top ends in \n.
  const broken = '/* a note \0 here */\rstatic unsigned long grab(void)\r{\r\treturn get_zeroed_page(GFP_KERNEL);\r}\r';
  const b = await fixAllTwice(broken);
  assert.equal(b.first, `#include <linux/gfp.h>\n${broken}`);
  assert.equal(b.second, b.first);
  assert.deepEqual(runOne(p, broken).violations, []);
});

test('fuzz seed 42 #1677: a block comment opened on an #include line and closed lines later belongs to the directive, so gfp-header inserts after the comment, not inside it (the fix-all added a commented-out include on every pass)', async () => {
  const { FileFacts } = await import('../../core');
  const p = await fuzzParser();
  const text =
    '#include <linux/kernel.h>\r#include <linux/errno.h> /* see the notes\r   below */\nstatic void f(void)\r{\r\tunsigned long a = __get_free_page(GFP_KERNEL);\r\tfree_page(a);\r}\r';
  const parsed = p.parse(text);
  try {
    const facts = new FileFacts(parsed, 'drivers/x/x.c');
    assert.deepEqual(
      facts.includes.map((i) => text.slice(i.lineSpan.start, i.lineSpan.end)),
      ['#include <linux/kernel.h>\r', '#include <linux/errno.h> /* see the notes\r   below */\n'],
    );
  } finally {
    parsed.dispose();
  }
  const r = await fixAllTwice(text);
  assert.ok(r.first.includes('below */\n#include <linux/gfp.h>\nstatic void f(void)'), JSON.stringify(r.first));
  assert.equal(r.second, r.first);
  assert.deepEqual(runOne(p, text).violations, []);
});

test("fuzz seed 42 #3903: code right after an #include on the same line (a splice) ends the include's line span; gfp-header anchors on the include before it instead of inserting mid-declaration (0 → 1 ERROR)", async () => {
  const { FileFacts } = await import('../../core');
  const p = await fuzzParser();
  const text = '#include <linux/kernel.h>\n#include <linux/errno.h>static unsigned long grab(void)\n{\n\treturn __get_free_page(GFP_KERNEL);\n}\n';
  const parsed = p.parse(text);
  try {
    const facts = new FileFacts(parsed, 'drivers/x/x.c');
    assert.deepEqual(
      facts.includes.map((i) => text.slice(i.lineSpan.start, i.lineSpan.end)),
      ['#include <linux/kernel.h>\n', '#include <linux/errno.h>'],
    );
  } finally {
    parsed.dispose();
  }
  const r = await fixAllTwice(text);
  assert.ok(r.first.startsWith('#include <linux/kernel.h>\n#include <linux/gfp.h>\n#include <linux/errno.h>static'), JSON.stringify(r.first));
  assert.equal(r.second, r.first);
  assert.deepEqual(runOne(p, text).violations, []);
});

test("fuzz seed 42 #2417: gfp-header no longer inserts into the text that follows an #include on its line, which re-steered tree-sitter's recovery and exposed a #define to sleep-in-atomic only on the second fix-all", async () => {
  const p = await fuzzParser();
  // The stray `'` after the directive opens a char literal; tree-sitter's recovery then swallows the
  // following lines, the RX_MASK #define with them, so the mask is unknown and no sleep is reported.
  const text =
    "#include <linux/init.h>or rx's notes. Several calls here are fine under\n * normal memory and break only under pressure: hover them in the editor to see the simulation.\n#include <linux/errno.h>\n" +
    '#define RX_MASK\tGFP_KERNEL\t\t/* fine outside the handler */\nstatic struct rx_buf *rx_fill(struct rx_ring *r)\n{\n\tb->page = __get_free_pages(RX_MASK, 1);\n}\n' +
    'static void rx_irq(int irq, void *dev_id, struct pt_regs *regs)\n{\n\t\tb = rx_fill(r);\n';
  // The swallowed `#include <linux/errno.h>` makes the include list unknown: gfp-header reports nothing
  // (it used to insert at the top), and nothing else has a fix.
  const r = await fixAllTwice(text);
  assert.deepEqual(r.rules, [[], []]);
  assert.equal(r.first, text);
  assert.equal(r.second, r.first);
  assert.deepEqual(runOne(p, text).violations, []);
});

test('an edit that breaks clean code gives the tree a fresh parse gives (incremental parsing kept `int` as a primitive_type inside the new ERROR: fuzz seed 42 #2340, #3381)', async () => {
  const p = await fuzzParser();
  const before = 'struct s { int x; };\nstatic int f(void) { return 0; }\n';
  const after = before.replace('};', '}');
  const old = p.parse(before);
  assert.equal(old.root.hasError, false);
  const incremental = p.reparse(old, after);
  const fresh = p.parse(after);
  try {
    assert.equal(incremental.root.toString(), fresh.root.toString());
  } finally {
    incremental.dispose();
    fresh.dispose();
  }
  assert.deepEqual(runOne(p, after, { base: before }).violations, []);
});

test('C functions named like Object.prototype members (valueOf, toString, constructor, __proto__) are not lock operations, allocators or flags', async () => {
  const { analyze, FileFacts } = await import('../../core');
  const { simulateFunction } = await import('../../core/simulation/run');
  const p = await fuzzParser();
  const text =
    'static spinlock_t l;\nvoid f(void)\n{\n\tspin_lock(&l);\n\ttoString(&l);\n\tconstructor(1);\n\t__proto__(2);\n\tvalueOf(3);\n\tp = kmalloc(10, GFP_KERNEL);\n\tq = kmalloc(10, valueOf);\n\tspin_unlock(&l);\n}\n';
  const parsed = p.parse(text);
  try {
    const facts = new FileFacts(parsed, 'drivers/x/proto.c');
    const { findings, shared } = analyze(facts);
    assert.deepEqual(
      findings.map((f) => `${f.rule}@${facts.lineOf(f.span.start)}`),
      ['sleep-in-atomic@9'],
    );
    // The lock is the one at line 4 (toString(&l) does not release it), and the simulation ran under it.
    assert.match(findings[0].message, /a spinlock is held \(spin_lock\(l\) at line 4\)/);
    assert.match(findings[0].message, /under pressure: sleeps in atomic context/);
    assert.doesNotMatch(findings[0].message, /valueOf|toString|constructor|__proto__/);
    const sim = simulateFunction(shared, 0);
    assert.ok(!JSON.stringify(sim).includes('valueOf(?)'), 'valueOf() is no lock operation in the simulation');
  } finally {
    parsed.dispose();
  }
});

test('gfp-header says nothing when tree-sitter swallowed an #include it cannot see (the include list is unknown): a fix-all on a CR-only file with NULs revealed malloc.h on its second pass (fuzz seed 20261125 #8544)', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { analyze, FileFacts } = await import('../../core');
  const p = await fuzzParser();
  // examples/skel_blk.c with CR line ends and NUL bytes (the fuzzer's mutant, kept as a file).
  const text = fs.readFileSync(path.join(__dirname, 'fixall-cr-nul.c'), 'latin1');
  assert.deepEqual(runOne(p, text).violations, []);
  const broken = '#include <linux/kernel.h>\n#include <linux/mm.h\n\nstatic unsigned long grab(void)\n{\n\treturn __get_free_page(GFP_KERNEL);\n}\n';
  const parsed = p.parse(broken);
  try {
    const facts = new FileFacts(parsed, 'drivers/x/broken.c');
    assert.deepEqual(
      facts.includes.map((i) => i.path),
      ['linux/kernel.h'],
      'tree-sitter does not see the broken include',
    );
    assert.deepEqual(
      analyze(facts).findings.map((f) => f.rule),
      [],
      'mm.h may reach gfp.h: no guess',
    );
  } finally {
    parsed.dispose();
  }
});
