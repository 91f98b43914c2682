/** Sequence extraction stays bounded on the shapes that exploded on real 2.4 code (huge ioctl switches with gotos). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, FileFacts } from '../../core';
import { allCalls } from '../../core/facts/ir';
import { SequenceExtractor } from '../../core/simulation/extract';
import { simulateCall, simulateFunction } from '../../core/simulation/run';
import { getParser } from '../support/core';
import { cpuTimeMs } from '../support/cpu-time';

function ioctlMonster(cases: number): string {
  const body = Array.from(
    { length: cases },
    (_, i) =>
      `\tcase ${i}:\n\t\tif (arg & ${1 << (i % 8)}) {\n\t\t\tp = kmalloc(${16 + i}, GFP_KERNEL);\n\t\t\tif (!p)\n\t\t\t\tgoto fail;\n\t\t\tspin_lock(&l);\n\t\t\tif (x > ${i}) { spin_unlock(&l); goto out; }\n\t\t\tspin_unlock(&l);\n\t\t} else if (arg & 2) {\n\t\t\tkfree(p);\n\t\t\tgoto out;\n\t\t}\n\t\tbreak;`,
  ).join('\n');
  return `#include <linux/slab.h>\nstatic spinlock_t l;\nint monster_ioctl(int cmd, unsigned long arg, int x)\n{\n\tvoid *p = NULL;\n\tswitch (cmd) {\n${body}\n\t}\nout:\n\tkfree(p);\n\treturn 0;\nfail:\n\treturn -ENOMEM;\n}\n`;
}

test('a 300-case ioctl switch with gotos is simulated within bounds and marked truncated', async () => {
  const p = await getParser();
  const parsed = p.parse(ioctlMonster(300));
  const facts = new FileFacts(parsed, 'monster.c');
  const { shared } = analyze(facts, { simulate: false });
  const { value: sim, cpuMs } = cpuTimeMs(() => simulateFunction(shared, 0));
  parsed.dispose();
  assert.ok(cpuMs < 3000, `simulation took ${cpuMs.toFixed(0)} ms of CPU`);
  assert.ok(sim.paths.length >= 1 && sim.paths.length <= 16, `${sim.paths.length} paths`);
  assert.equal(sim.truncated, true);
  assert.ok(
    sim.paths.some((path) => path.ops.some((op) => op.op === 'kmalloc')),
    'the allocations on the followed paths are simulated',
  );
});

test('mempool_resize(pool, new_min_nr, gfp_mask) is extracted with its size and mask and simulated as 2.6.11 runs it (mm/mempool.c:108)', async () => {
  const p = await getParser();
  const src = `#include <linux/mempool.h>
#include <linux/slab.h>
#define RING_MIN 8
static kmem_cache_t *req_cache;
int ring_grow(int n)
{
\tmempool_t *pool = mempool_create(2, mempool_alloc_slab, mempool_free_slab, req_cache);
\tif (!pool)
\t\treturn -ENOMEM;
\tif (mempool_resize(pool, RING_MIN, GFP_KERNEL))
\t\tgoto fail;
\tmempool_resize(pool, n, GFP_NOIO);
\tmempool_destroy(pool);
\treturn 0;
fail:
\tmempool_destroy(pool);
\treturn -ENOMEM;
}
`;
  const parsed = p.parse(src);
  const facts = new FileFacts(parsed, 'ring.c');
  const { shared } = analyze(facts, { simulate: false });
  const sim = simulateFunction(
    shared,
    facts.functions.findIndex((f) => f.name === 'ring_grow'),
  );
  parsed.dispose();
  const resizes = sim.paths.flatMap((path) => path.ops.filter((op) => op.op === 'mempool_resize'));
  assert.ok(resizes.length >= 2, JSON.stringify(sim.paths.map((x) => x.ops)));
  const known = resizes.find((op) => op.op === 'mempool_resize' && op.new_min_nr === 8);
  assert.ok(known && known.op === 'mempool_resize');
  assert.equal(known.gfp, 0xd0, 'GFP_KERNEL passed through');
  const unknownSize = resizes.find((op) => op.op === 'mempool_resize' && typeof op.gfp === 'object');
  assert.ok(unknownSize && unknownSize.op === 'mempool_resize' && typeof unknownSize.gfp === 'object' && !Array.isArray(unknownSize.gfp));
  assert.match((unknownSize.gfp as { text?: string }).text ?? '', /new_min_nr n is not a constant/);
  const path = sim.paths.find((x) => x.ops.some((op) => op.op === 'mempool_resize' && op.new_min_nr === 8))!;
  const step = path.results.normal.steps.find((st) => st.op.op === 'mempool_resize' && st.op.new_min_nr === 8)!;
  assert.equal(step.outcome.code, 'resize-grown', step.outcome.message);
});

test('seeking a call, error branches that return are not followed: a probe with 40 cleanup-and-return checks reaches its last allocation with every path', async () => {
  const p = await getParser();
  // Each check's error branch inlines a cleanup helper that frees, then returns: those paths cannot reach the
  // last kmalloc, so the simulation of that call must not spend its budget on them (it used to: "simulated alone").
  const checks = Array.from(
    { length: 40 },
    (_, i) =>
      `\tif (probe_step(card, ${i})) {\n\t\tprintk("step ${i} failed\\n");\n\t\tcard_cleanup(card);\n\t\treturn -EIO;\n\t}\n\tcard->buf${i} = kmalloc(${32 + i}, GFP_KERNEL);`,
  ).join('\n');
  const frees = Array.from({ length: 120 }, (_, i) => `\tkfree(card->buf${i});`).join('\n');
  const src = `#include <linux/slab.h>\nstruct card { void *buf0; };\nstatic void card_cleanup(struct card *card)\n{\n${frees}\n\tkfree(card);\n}\nint card_probe(struct card *card)\n{\n${checks}\n\tcard->last = kmalloc(4096, GFP_KERNEL);\n\tif (!card->last) {\n\t\tcard_cleanup(card);\n\t\treturn -ENOMEM;\n\t}\n\treturn 0;\n}\n`;
  const parsed = p.parse(src);
  const facts = new FileFacts(parsed, 'probe.c');
  const { shared } = analyze(facts, { simulate: false });
  const fi = facts.functions.findIndex((f) => f.name === 'card_probe');
  const at = src.indexOf('kmalloc(4096');
  const sim = simulateCall(shared, fi, { start: at, end: src.indexOf(';', at) });
  parsed.dispose();
  assert.equal(sim.simulatedAlone, undefined, `simulated alone: ${sim.simulatedAlone}`);
  assert.ok(sim.verdicts, `no verdicts: ${sim.missed}`);
  assert.equal(sim.verdicts.normal.kind, 'ok');
  // The 40 allocations before it are on the path that reaches it; no op of an error branch is (card_cleanup's kfree(card)).
  for (const path of sim.paths) {
    assert.ok(path.ops.slice(0, path.goalOp).filter((op) => op.op === 'kmalloc').length === 40, 'the 40 earlier allocations are simulated before the call');
    assert.ok(!path.ops.slice(0, path.goalOp).some((op) => op.op === 'kfree'), 'no error branch was followed before the call');
  }
});

test('a goto to a label later in a loop body resumes there and goes on after the loop (the jumping path used to end at the label)', async () => {
  const p = await getParser();
  const src = `#include <linux/slab.h>
int rx_fill(int n, int m)
{
\tvoid *p = NULL, *q;
\tint i;
\tfor (i = 0; i < n; i++) {
\t\tp = kmalloc(64, GFP_KERNEL);
\t\tif (m)
\t\t\tgoto again;
\t\tkfree(p);
\tagain:
\t\tkfree(p);
\t}
\tq = kmalloc(128, GFP_KERNEL);
\tkfree(q);
\treturn 0;
}
`;
  const parsed = p.parse(src);
  const facts = new FileFacts(parsed, 'rx.c');
  const { shared } = analyze(facts, { simulate: false });
  const sim = simulateFunction(shared, 0);
  parsed.dispose();
  const seqs = sim.paths.map((path) => path.ops.map((op) => ('size' in op ? `${op.op}(${op.size})` : op.op)).join(' '));
  // m true: the label's kfree once, then the code after the loop; m false: both kfrees (a double free the
  // simulator reports), then the code after the loop.
  assert.deepEqual(seqs.sort(), ['kmalloc(64) kfree kfree kmalloc(128) kfree', 'kmalloc(64) kfree kmalloc(128) kfree']);
});

test("a path is copied only at a branch it takes both ways, and the paths share each call's op", async () => {
  // Ours: the goal (the second kmalloc) sits in the then branch of `if (big)`; `if (flags & 1)` before it forks.
  const src = `#include <linux/slab.h>
int buf_setup(int big, int flags)
{
\tchar *hdr = kmalloc(32, GFP_KERNEL);
\tchar *data;
\tif (flags & 1)
\t\tflags = do_reset(flags);
\telse
\t\tflags = 0;
\tif (big) {
\t\tdata = kmalloc(4096, GFP_KERNEL);
\t\tkfree(data);
\t}
\tkfree(hdr);
\treturn flags;
}
`;
  const parsed = (await getParser()).parse(src);
  try {
    const facts = new FileFacts(parsed, 'buf.c');
    const { shared } = analyze(facts, { simulate: false });
    const goal = allCalls(facts.functions[0]).filter((c) => c.name === 'kmalloc')[1];
    const extractor = new SequenceExtractor(facts, shared, shared.context);
    const seeking = extractor.extract(0, { span: goal.span, context: { kind: 'process', reason: 'process context (may sleep)' } });
    // `if (big)` holds the goal: the path goes into its then branch alone, uncopied. `if (flags & 1)` allocates
    // nothing and tests no result: inert, never forked.
    assert.equal(extractor.branchCopies, 0);
    assert.equal(seeking.paths.length, 1);
    assert.deepEqual(
      seeking.paths[0].ops.map((op) => op.op),
      ['kmalloc', 'kmalloc', 'kfree', 'kfree'],
    );
    // The whole function: `if (big)` is taken both ways, one copy; the kfree(hdr) after it is one op object on both paths.
    const whole = extractor.extract(0);
    assert.equal(extractor.branchCopies, 1);
    assert.equal(whole.paths.length, 2);
    const lastOp = (i: number) => whole.paths[i].ops[whole.paths[i].ops.length - 1];
    assert.equal(lastOp(0).op, 'kfree');
    assert.equal(lastOp(0), lastOp(1), 'one op object for the call on both paths');
  } finally {
    parsed.dispose();
  }
});

test('a call is inlined from the first definition of its name (two under #if branches), as a search in order finds it', async () => {
  // Ours: two definitions of one helper, one per #if branch; the first allocates with GFP_KERNEL.
  const src = `#include <linux/slab.h>
#ifdef CONFIG_BIG
static void *ring_alloc(void) { return kmalloc(4096, GFP_KERNEL); }
#else
static void *ring_alloc(void) { return kmalloc(64, GFP_ATOMIC); }
#endif
int ring_open(void)
{
\tvoid *r = ring_alloc();
\treturn r != 0;
}
`;
  const parsed = (await getParser()).parse(src);
  try {
    const facts = new FileFacts(parsed, 'ring.c');
    const { shared } = analyze(facts, { simulate: false });
    const fi = facts.functions.findIndex((f) => f.name === 'ring_open');
    const sim = new SequenceExtractor(facts, shared, shared.context).extract(fi);
    assert.deepEqual(
      sim.paths.map((p) => p.ops.map((op) => (op.op === 'kmalloc' ? op.size : op.op))),
      [[4096]],
    );
  } finally {
    parsed.dispose();
  }
});

test('paths share one object per assumption on an allocation result (its step id is found once)', async () => {
  // Ours: two paths of equal length (q from one kmalloc or another) both test p; each splits on `!p`.
  const src = `#include <linux/slab.h>
int pkt_fill(int big)
{
\tchar *p = kmalloc(64, GFP_ATOMIC);
\tchar *q;
\tif (big)
\t\tq = kmalloc(128, GFP_ATOMIC);
\telse
\t\tq = kmalloc(256, GFP_ATOMIC);
\tif (!p)
\t\treturn -ENOMEM;
\tkfree(q);
\tkfree(p);
\treturn 0;
}
`;
  const parsed = (await getParser()).parse(src);
  try {
    const facts = new FileFacts(parsed, 'pkt.c');
    const { shared } = analyze(facts, { simulate: false });
    const sim = new SequenceExtractor(facts, shared, shared.context).extract(0);
    const failed = sim.paths.filter((p) => p.assumptions.some((a) => a.expect === 'null'));
    assert.equal(failed.length, 2, 'p is NULL after either kmalloc of q');
    assert.deepEqual(failed[0].assumptions, [{ ref: 'p', expect: 'null', cond: '!p', atOp: 2 }]);
    assert.equal(failed[0].assumptions[0], failed[1].assumptions[0], 'one object for the same assumption');
  } finally {
    parsed.dispose();
  }
});

test("each size is evaluated once per extractor however many paths reach its call; the setup reads the cache's and the pool's creation in init", async () => {
  // Ours: a pool created in init, used on both branches of an if in an ioctl; the kmalloc after the if is
  // reached by both paths (two ops, one evaluation of RING_SZ).
  const src = `#include <linux/mempool.h>
#include <linux/slab.h>
#define RING_SZ 512
#define RING_MIN 8
static kmem_cache_t *ring_cache;
static mempool_t *ring_pool;
static int ring_init(void)
{
\tring_cache = kmem_cache_create("ring", 128, 0, SLAB_HWCACHE_ALIGN, NULL, NULL);
\tring_pool = mempool_create(RING_MIN, mempool_alloc_slab, mempool_free_slab, ring_cache);
\treturn ring_pool ? 0 : -ENOMEM;
}
static int ring_ioctl(int cmd)
{
\tvoid *e, *buf;
\tif (cmd & 1)
\t\te = mempool_alloc(ring_pool, GFP_ATOMIC);
\telse
\t\te = mempool_alloc(ring_pool, GFP_KERNEL);
\tbuf = kmalloc(RING_SZ, GFP_KERNEL);
\tkfree(buf);
\tmempool_free(e, ring_pool);
\treturn 0;
}
`;
  const parsed = (await getParser()).parse(src);
  try {
    const facts = new FileFacts(parsed, 'ring.c');
    const { shared } = analyze(facts, { simulate: false });
    const extractor = new SequenceExtractor(facts, shared, shared.context);
    const whole = extractor.extract(1);
    assert.equal(whole.paths.length, 2);
    // Both paths hold kmalloc(RING_SZ) at 512 bytes; the setup creates the cache (128 bytes, aligned) and the
    // pool (min_nr 8) as ring_init() does.
    for (const path of whole.paths) assert.ok(path.ops.some((op) => op.op === 'kmalloc' && op.size === 512));
    assert.deepEqual(
      whole.setup.map((op) => op.op),
      ['kmem_cache_create', 'mempool_create'],
    );
    assert.ok(whole.setup.some((op) => op.op === 'kmem_cache_create' && op.size === 128 && op.hwcacheAlign));
    assert.ok(whole.setup.some((op) => op.op === 'mempool_create' && op.min_nr === 8));
    // RING_SZ (the kmalloc, on two paths), 128 (the cache's size) and RING_MIN: three expressions, each evaluated once.
    assert.equal(extractor.numbersEvaluated, 3);
    const kmalloc = allCalls(facts.functions[1]).find((c) => c.name === 'kmalloc')!;
    const goal = extractor.extract(1, { span: kmalloc.span, context: { kind: 'process', reason: 'process context (may sleep)' } });
    assert.deepEqual(goal.setup, whole.setup);
    assert.equal(extractor.numbersEvaluated, 3, 'a second extraction evaluates nothing again');
  } finally {
    parsed.dispose();
  }
});

test('whether a path allocated the ref a NULL test reads is answered once per sequence of steps, and paths equal but for their conditions are one', async () => {
  // Ours: two buffers, each tested for NULL; `if (cmd & 1)` before them allocates nothing but logs (an inlined
  // helper that takes a lock), so two paths with the same steps reach each test.
  const src = `#include <linux/slab.h>
#include <linux/spinlock.h>
static spinlock_t log_lock;
static int log_count;
static void log_event(void)
{
\tspin_lock(&log_lock);
\tlog_count++;
\tspin_unlock(&log_lock);
}
static int buf_open(int cmd)
{
\tchar *a, *b;
\tif (cmd & 1)
\t\tlog_event();
\telse
\t\tlog_event();
\ta = kmalloc(64, GFP_KERNEL);
\tif (!a)
\t\treturn -ENOMEM;
\tb = kmalloc(128, GFP_KERNEL);
\tif (!b) {
\t\tkfree(a);
\t\treturn -ENOMEM;
\t}
\tkfree(b);
\tkfree(a);
\treturn 0;
}
`;
  const parsed = (await getParser()).parse(src);
  try {
    const facts = new FileFacts(parsed, 'buf.c');
    const { shared } = analyze(facts, { simulate: false });
    const extractor = new SequenceExtractor(facts, shared, shared.context);
    const whole = extractor.extract(1);
    // The two log_event() branches give the same steps: one path goes on; it splits at each NULL test.
    assert.deepEqual(
      whole.paths.map((p) => p.assumptions.map((a) => `${a.ref} ${a.expect}`)),
      [['a null'], ['a non-null', 'b null'], ['a non-null', 'b non-null']],
    );
    const scans = extractor.allocationScans;
    assert.ok(scans > 0);
    const kmallocB = allCalls(facts.functions[1]).filter((c) => c.name === 'kmalloc')[1];
    extractor.extract(1, { span: kmallocB.span, context: { kind: 'process', reason: 'process context (may sleep)' } });
    extractor.extract(1);
    assert.equal(extractor.allocationScans, scans, 'the same steps before each test: nothing read again');
  } finally {
    parsed.dispose();
  }
});

test('a function of thousands of allocations on one line (a fuzz mutant): 64 calls simulated one by one, the rest said so; a call past 400 operations is simulated alone at once', async () => {
  const p = await getParser();
  const CALLS = 3000;
  const src = `#include <linux/slab.h>\nstatic void burst(int n)\n{\n${'\tkmalloc(n, GFP_KERNEL);'.repeat(CALLS)}\n}\n`;
  const parsed = p.parse(src);
  const facts = new FileFacts(parsed, 'burst.c');
  const { shared } = analyze(facts, { simulate: false });
  const sim = simulateFunction(shared, 0);
  assert.equal(sim.calls.length, CALLS);
  assert.equal(sim.calls.filter((c) => c.verdicts).length, 64);
  assert.equal(sim.calls[64].missed, `burst() makes ${CALLS} allocation calls: the first 64 are simulated here (hovering a call simulates it)`);
  // The 2,000th call: every path to it is past 400 operations, so the paths stop being followed there (before: on to
  // the 4,000-visit budget, for each call).
  const at = src.split('kmalloc').slice(0, 2000).join('kmalloc').length;
  const extractor = new SequenceExtractor(facts, shared, shared.context);
  const far = extractor.extract(0, { span: { start: at, end: src.indexOf(';', at) }, context: { kind: 'process', reason: 'process context (may sleep)' } });
  assert.equal(far.simulatedAlone, 'the paths to it hold more than 400 operations');
  assert.ok(extractor.statementVisits < 1000, `statement visits ${extractor.statementVisits}`);
  parsed.dispose();
});
