// Scenario tests named after the Linux 2.6.11 code they model (line numbers of pwanbul/linux-2.6.11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, Simulator, checkInvariants, makeMachine, resolveMachine, SCENARIOS, type SimOp, type ScenarioState } from '../../core/sim/index';

const rules = (r: { trace: { rule: string }[] }) => r.trace.map((t) => t.rule);
const pool = (sim: Simulator, ref: string) => sim.snapshot().pools.find((p) => p.ref === ref);

// ---- mm/mempool.c:108-160 mempool_resize (exported in 2.6.11) ----

test('mm/mempool.c:117-125 mempool_resize shrinking: free_fn for the surplus, min_nr lowered, returns 0 (was: error "disabled since 2.5.60")', () => {
  const sim = new Simulator({ scenario: 'normal' });
  sim.step({ op: 'mempool_create', min_nr: 4, allocFn: { kind: 'pages', order: 0 }, ref: 'P' });
  const r = sim.step({ op: 'mempool_resize', pool: 'P', new_min_nr: 1, gfp: 'GFP_ATOMIC' });
  assert.equal(r.outcome.kind, 'ok', r.outcome.message);
  assert.equal(r.outcome.code, 'resize-shrunk');
  assert.match(r.outcome.message, /returned 0: pool shrunk .*3 element\(s\) freed with free_fn/);
  assert.equal(r.maySleep, false, 'shrinking allocates nothing');
  assert.deepEqual(pool(sim, 'P'), { ref: 'P', min_nr: 1, curr_nr: 1, waiters: 0, outstanding: 0 });
  assert.equal(rules(r).filter((x) => x === 'pcp.free-hot').length, 3, 'three pages back through free_fn');
  assert.deepEqual(checkInvariants(sim), []);
  assert.equal(sim.step({ op: 'mempool_destroy', pool: 'P' }).outcome.kind, 'ok', 'curr_nr == min_nr: no BUG');
});

test("mm/mempool.c:129-158 mempool_resize growing: kmalloc of the new array and alloc_fn with the caller's mask until curr_nr reaches new_min_nr", () => {
  const sim = new Simulator({ scenario: 'normal' });
  sim.step({ op: 'mempool_create', min_nr: 2, allocFn: { kind: 'kmalloc', size: 256 }, ref: 'P' });
  const r = sim.step({ op: 'mempool_resize', pool: 'P', new_min_nr: 6, gfp: 'GFP_KERNEL' });
  assert.equal(r.outcome.kind, 'ok', r.outcome.message);
  assert.equal(r.outcome.code, 'resize-grown');
  assert.equal(r.maySleep, true, 'GFP_KERNEL: may sleep');
  assert.ok(r.trace.some((t) => t.rule === 'mempool.resize-grow' && /kmalloc\(new_min_nr \* sizeof\(void \*\) = 24, GFP_KERNEL\)/.test(t.detail)));
  assert.equal(rules(r).filter((x) => x === 'mempool.resize-alloc-fn').length, 4);
  assert.deepEqual(pool(sim, 'P'), { ref: 'P', min_nr: 6, curr_nr: 6, waiters: 0, outstanding: 0 });
  assert.deepEqual(checkInvariants(sim), []);
  const end = simulate([
    { op: 'mempool_create', min_nr: 2, allocFn: { kind: 'kmalloc', size: 256 }, ref: 'P' },
    { op: 'mempool_resize', pool: 'P', new_min_nr: 6, gfp: 'GFP_KERNEL' },
    { op: 'mempool_destroy', pool: 'P' },
  ]);
  assert.equal(end.steps[2].outcome.kind, 'ok');
  assert.equal(end.steps.filter((s) => s.outcome.kind === 'leak').length, 0, 'the old array is kfreed, the new one freed by mempool_destroy');
});

test('mm/mempool.c:141-145 mempool_resize: an alloc_fn failure returns 0 with curr_nr < min_nr, and mempool_destroy then BUGs (mempool.c:173)', () => {
  const setup: SimOp[] = [{ op: 'mempool_create', min_nr: 2, allocFn: { kind: 'pages', order: 0 }, ref: 'P' }];
  const r = simulate(
    [
      { op: 'mempool_resize', pool: 'P', new_min_nr: 8, gfp: 'GFP_ATOMIC' },
      { op: 'mempool_destroy', pool: 'P' },
    ],
    { scenario: 'exhausted', setup },
  );
  assert.equal(r.steps[0].outcome.kind, 'ok', 'mempool_resize returns 0');
  assert.equal(r.steps[0].outcome.code, 'resize-short');
  assert.match(r.steps[0].outcome.message, /curr_nr 2 < min_nr 8/);
  assert.ok(rules(r.steps[0]).includes('mempool.resize-short'));
  assert.equal(r.steps[1].outcome.kind, 'bug');
  assert.equal(r.steps[1].outcome.code, 'destroy-outstanding');
});

test('mm/mempool.c:130-132 mempool_resize: the element array kmalloc fails → -ENOMEM, the pool unchanged', () => {
  const sim = new Simulator({ scenario: 'exhausted' });
  sim.e.applyScenario(SCENARIOS.normal);
  sim.step({ op: 'mempool_create', min_nr: 2, allocFn: { kind: 'kmalloc', size: 256 }, ref: 'P' });
  sim.e.applyScenario(SCENARIOS.exhausted);
  const before = pool(sim, 'P');
  // 3000 pointers: a 12000-byte array from size-16384, an order-2 slab nobody has yet.
  const r = sim.step({ op: 'mempool_resize', pool: 'P', new_min_nr: 3000, gfp: 'GFP_ATOMIC' });
  assert.equal(r.outcome.kind, 'null', r.outcome.message);
  assert.equal(r.outcome.code, 'resize-enomem');
  assert.match(r.outcome.message, /returned -ENOMEM/);
  assert.deepEqual(pool(sim, 'P'), before);
  assert.deepEqual(checkInvariants(sim), []);
});

test('mm/mempool.c:130,143 mempool_resize allocates with the caller\'s mask: GFP_KERNEL under a spinlock sleeps under pressure ("scheduling while atomic")', () => {
  const setup: SimOp[] = [{ op: 'mempool_create', min_nr: 1, allocFn: { kind: 'pages', order: 0 }, ref: 'P' }];
  const ops: SimOp[] = [
    { op: 'context', context: 'atomic', reason: 'spin_lock_irqsave' },
    { op: 'mempool_resize', pool: 'P', new_min_nr: 64, gfp: 'GFP_KERNEL' },
  ];
  const pressure = simulate(ops, { scenario: 'pressure', setup });
  assert.equal(pressure.steps[1].outcome.kind, 'sleep-in-atomic', pressure.steps[1].outcome.message);
  const normal = simulate(ops, { scenario: 'normal', setup });
  assert.equal(normal.steps[1].outcome.kind, 'ok');
  assert.ok(
    normal.steps[1].trace.some((t) => t.rule === 'context.may-sleep'),
    'latent: might sleep',
  );
});

// ---- mm/page_alloc.c, include/linux/gfp.h: defined results instead of errors ----

test('include/linux/gfp.h:96-97 alloc_pages_node: order >= MAX_ORDER returns NULL before __alloc_pages (was: error "order-too-large")', () => {
  const sim = new Simulator({ scenario: 'normal' });
  const before = JSON.stringify(sim.snapshot());
  const r = sim.step({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 11, ref: 'p' });
  assert.equal(r.outcome.kind, 'null');
  assert.equal(r.outcome.code, 'order-too-large');
  assert.equal(r.slept, false);
  assert.ok(!rules(r).includes('alloc_pages.warn'), 'no "page allocation failure": __alloc_pages is never called');
  assert.equal(JSON.stringify(sim.snapshot()), before);
  const g = sim.step({ op: 'get_free_pages', gfp: 'GFP_KERNEL', order: -1, ref: 'q' });
  assert.equal(g.outcome.kind, 'null', 'order is unsigned int: -1 is huge');
  assert.match(g.outcome.message, /returned 0/);
  assert.equal(sim.step({ op: 'free_pages', ref: 'q' }).outcome.code, 'free-null', 'free_pages(0, ...) is a no-op');
});

test('mm/page_alloc.c:896 get_zeroed_page: BUG_ON(gfp_mask & __GFP_HIGHMEM) (was: error "highmem-no-address")', () => {
  const sim = new Simulator({ scenario: 'normal' });
  const before = JSON.stringify(sim.snapshot());
  const r = sim.step({ op: 'get_zeroed_page', gfp: 'GFP_HIGHUSER', ref: 'z' });
  assert.equal(r.outcome.kind, 'bug');
  assert.equal(r.outcome.code, 'highmem-bug-on');
  assert.equal(JSON.stringify(sim.snapshot()), before, 'nothing allocated before the BUG_ON');
  const ok = sim.step({ op: 'get_zeroed_page', gfp: 'GFP_KERNEL', ref: 'k' });
  assert.equal(ok.outcome.kind, 'ok');
  assert.ok(
    ok.trace.some((t) => /GFP_KERNEL\|__GFP_ZERO/.test(t.detail)),
    'alloc_pages(gfp_mask | __GFP_ZERO, 0) (page_alloc.c:898)',
  );
});

test('mm/page_alloc.c:876-883 __get_free_pages(GFP_HIGHUSER): a HighMem page has no address, returns 0 and the page leaks; a Normal page from the fallback is fine (was: error "highmem-no-address")', () => {
  // The mechanism needs HighMem: a 2 GiB machine (1,152 MiB of it HighMem).
  const { config: machine, scenarios } = resolveMachine('server-2g').machine;
  const ops: SimOp[] = [
    { op: 'get_free_pages', gfp: 'GFP_HIGHUSER', order: 0, ref: 'x' },
    { op: 'free_pages', ref: 'x' },
  ];
  const r = simulate(ops, { machine, scenario: scenarios.normal });
  assert.equal(r.steps[0].outcome.kind, 'null');
  assert.equal(r.steps[0].outcome.code, 'highmem-no-address');
  assert.match(r.steps[0].outcome.message, /returned 0: the order-0 block came from HighMem/);
  assert.equal(r.steps[1].outcome.code, 'free-null', 'the caller frees 0: a no-op');
  const leaks = r.steps.filter((s) => s.outcome.kind === 'leak');
  assert.equal(leaks.length, 1);
  assert.match(leaks[0].outcome.message, /HighMem pfn \d+/);
  assert.equal(r.final?.zones[2].allocated, 1, 'the page stays allocated');
  const noHigh: ScenarioState = { ...scenarios.normal, name: 'no free HighMem', free: [3072, 168960, 0] };
  const n = simulate(ops, { machine, scenario: noHigh });
  assert.equal(n.steps[0].outcome.kind, 'ok');
  assert.equal(n.steps[0].outcome.page?.zone, 'Normal', 'HighMem full: the zonelist falls back to Normal, which has an address');
  assert.equal(n.steps[1].outcome.kind, 'ok');
});

test('mm/page_alloc.c:1298-1323 build_zonelists_node: on the default 256 MiB PC there is no HighMem, so GFP_HIGHUSER starts at Normal (classzone Normal) and __get_free_pages gets an address', () => {
  const r = simulate([
    { op: 'get_free_pages', gfp: 'GFP_HIGHUSER', order: 0, ref: 'x' },
    { op: 'free_pages', ref: 'x' },
  ]);
  assert.equal(r.steps[0].outcome.kind, 'ok', r.steps[0].outcome.message);
  assert.equal(r.steps[0].outcome.page?.zone, 'Normal');
  assert.equal(r.steps[1].outcome.kind, 'ok');
  assert.ok(
    r.steps[0].trace.some(
      (t) => t.rule === 'alloc_pages.zonelist' && /zonelist for GFP_HIGHUSER: Normal, DMA \(HighMem: no pages on this machine/.test(t.detail),
    ),
    JSON.stringify(r.steps[0].trace),
  );
  assert.ok(!r.steps[0].trace.some((t) => /^HighMem:/.test(t.detail)), 'no watermark check on the empty zone');
  // mm/page_alloc.c:737-740: a zonelist with no zone at all returns NULL at once (a machine without a DMA zone).
  const noDma = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL | __GFP_DMA', order: 0, ref: 'd' }], {
    machine: makeMachine([0, 4096, 0]),
    scenario: 'normal',
  });
  assert.equal(noDma.steps[0].outcome.kind, 'null');
  assert.equal(noDma.steps[0].slept, false);
});

test('include/linux/gfp.h:46-48 __GFP_NO_GROW, __GFP_COMP, __GFP_ZERO are valid bits; mm/page_alloc.c:607 prep_zero_page and mm/slab.c:1811-1814 cache_grow decide what they do (was: error "unknown-bits")', () => {
  const r = simulate([
    { op: 'alloc_pages', gfp: 'GFP_KERNEL | __GFP_ZERO', order: 0, ref: 'a' },
    { op: 'alloc_pages', gfp: 'GFP_KERNEL | __GFP_COMP', order: 2, ref: 'b' },
    { op: 'alloc_pages', gfp: 'GFP_HIGHUSER | __GFP_ZERO', order: 0, ref: 'c' },
    { op: 'alloc_pages', gfp: '__GFP_HIGHMEM | __GFP_ZERO', order: 0, ref: 'd' },
    { op: 'kmalloc', size: 64, gfp: 'GFP_KERNEL | __GFP_ZERO', ref: 'k' },
    { op: 'kmem_cache_create', name: 'c', size: 128, ref: 'C' },
    { op: 'kmem_cache_alloc', cache: 'C', gfp: 'GFP_KERNEL | __GFP_NO_GROW', ref: 'o' },
    { op: 'kmem_cache_alloc', cache: 'C', gfp: 'GFP_KERNEL', ref: 'o2' },
    { op: 'kmem_cache_alloc', cache: 'C', gfp: 'GFP_KERNEL | __GFP_NO_GROW', ref: 'o3' },
  ]);
  const o = r.steps.map((s) => s.outcome);
  assert.equal(o[0].kind, 'ok');
  assert.equal(o[1].kind, 'ok');
  assert.equal(o[2].kind, 'ok', 'with __GFP_WAIT the HighMem page can be cleared');
  assert.equal(o[3].kind, 'bug');
  assert.equal(o[3].code, 'zero-highmem');
  assert.match(o[3].message, /prep_zero_page/);
  assert.equal(o[4].kind, 'bug', '__GFP_ZERO is not in SLAB_LEVEL_MASK: cache_grow BUG()s');
  assert.equal(o[4].code, 'slab-bad-flags');
  assert.equal(o[6].kind, 'null', '__GFP_NO_GROW and no free object: cache_grow returns 0');
  assert.ok(r.steps[6].trace.some((t) => t.rule === 'slab.no-grow'));
  assert.equal(o[7].kind, 'ok');
  assert.equal(o[8].kind, 'ok', 'a slab with free objects: __GFP_NO_GROW does not matter');
});

test('include/linux/mmzone.h:91,244 + gfp.h:103: __GFP_DMA|__GFP_HIGHMEM indexes node_zonelists[3] past GFP_ZONETYPES = 3: undefined, not "DMA wins" (was: ok from DMA)', () => {
  const sim = new Simulator({ scenario: 'normal' });
  const before = JSON.stringify(sim.snapshot());
  const r = sim.step({ op: 'alloc_pages', gfp: 'GFP_KERNEL | __GFP_DMA | __GFP_HIGHMEM', order: 0, ref: 'p' });
  assert.equal(r.outcome.kind, 'error');
  assert.equal(r.outcome.code, 'undefined-zonelist');
  assert.match(r.outcome.message, /undefined behaviour in 2\.6\.11/);
  assert.equal(JSON.stringify(sim.snapshot()), before);
  sim.step({ op: 'mempool_create', min_nr: 1, allocFn: { kind: 'pages', order: 0 }, ref: 'P' });
  assert.equal(sim.step({ op: 'mempool_alloc', pool: 'P', gfp: 'GFP_DMA | __GFP_HIGHMEM', ref: 'e' }).outcome.code, 'undefined-zonelist');
});

// ---- mm/vmscan.c:884-945 try_to_free_pages: "progress" is SWAP_CLUSTER_MAX pages in one priority pass ----

/**
 * Normal near pages_min (480 on the default machine) with `reclaimable` pages for reclaim to find; DMA out of reach
 * (30 free against pages_min 32 + lowmem_reserve 240 for Normal-class allocations); no HighMem.
 */
const fewReclaimable = (normalFree: number, reclaimable: number, oomVictims: number): ScenarioState => ({
  name: 'few reclaimable pages',
  free: [30, normalFree, 0],
  reclaimable: [0, reclaimable, 0],
  oomVictims,
  oomVictimPages: [0, 64, 0],
});

test('mm/vmscan.c:918-921 try_to_free_pages: 10 pages reclaimed are no progress (< SWAP_CLUSTER_MAX), so GFP_NOFS at order 4 fails at once (mm/page_alloc.c:803,845-857) (was: progress, retry, "slept, then ok")', () => {
  const r = simulate([{ op: 'alloc_pages', gfp: 'GFP_NOFS', order: 4, ref: 'p' }], { scenario: fewReclaimable(330, 10, 0) });
  const s = r.steps[0];
  assert.equal(s.outcome.kind, 'null', s.outcome.message);
  assert.ok(s.trace.some((t) => t.rule === 'reclaim.try_to_free_pages' && /freed 10 page\(s\).*did_some_progress = 0/.test(t.detail)));
  assert.ok(!rules(s).includes('alloc_pages.step5-retry-min'), 'no zonelist pass after reclaim without progress');
  assert.equal(r.final?.zones[1].free, 340, 'the 10 reclaimed pages stay free');
});

test('mm/page_alloc.c:820-835: reclaim without progress takes the OOM path even though it freed pages: GFP_KERNEL kills a task, then restarts (was: progress, retry against pages_min, no kill)', () => {
  // 470 + 10 reclaimed = 480: not above pages_min 480; the victim's 64 pages make 544, which passes after the restart.
  const r = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'p' }], { scenario: fewReclaimable(470, 10, 1) });
  const s = r.steps[0];
  assert.equal(s.outcome.kind, 'slept');
  const order = rules(s).filter((x) => /^(reclaim|oom|alloc_pages\.step5)/.test(x));
  assert.deepEqual(order.slice(0, 2), ['alloc_pages.step5-direct-reclaim', 'reclaim.try_to_free_pages']);
  assert.ok(order.includes('oom.kill'), order.join(', '));
  assert.ok(order.includes('alloc_pages.step5-oom-restart'));
});

test('mm/vmscan.c:812,918: a full batch is progress: GFP_KERNEL with 40 reclaimable pages retries against pages_min and no task is killed', () => {
  // 470 + 32 reclaimed = 502 > pages_min 480.
  const r = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'p' }], { scenario: fewReclaimable(470, 40, 1) });
  const s = r.steps[0];
  assert.equal(s.outcome.kind, 'slept');
  assert.ok(s.trace.some((t) => t.rule === 'reclaim.try_to_free_pages' && /freed 32 page\(s\).*did_some_progress = 1/.test(t.detail)));
  assert.ok(rules(s).includes('alloc_pages.step5-retry-min'));
  assert.ok(!rules(s).includes('oom.kill'));
});

// ---- rows of core/sim/README.md that no other test backed ----

test('mm/page_alloc.c:785-786,857-864: without __GFP_WAIT __alloc_pages goes to nopage, __GFP_NOFAIL or not; the warning unless __GFP_NOWARN', () => {
  for (const [gfp, warned] of [
    ['GFP_ATOMIC | __GFP_NOFAIL', true],
    ['GFP_ATOMIC | __GFP_NOWARN', false],
  ] as const) {
    const r = simulate([{ op: 'alloc_pages', gfp, order: 0, ref: 'p' }], { scenario: 'exhausted' });
    const s = r.steps[0];
    assert.equal(s.outcome.kind, 'null', gfp);
    assert.equal(s.slept, false);
    assert.ok(rules(s).includes('alloc_pages.step4-no-wait-fail'));
    assert.equal(rules(s).includes('alloc_pages.warn'), warned, gfp);
    assert.equal(rules(s).includes('alloc_pages.nowarn'), !warned, gfp);
  }
});

test('mm/mempool.c:195-225 mempool_alloc: alloc_fn(gfp_nowait | __GFP_NOWARN) first, the reserve only when it fails', () => {
  const setup: SimOp[] = [{ op: 'mempool_create', min_nr: 2, allocFn: { kind: 'pages', order: 0 }, ref: 'P' }];
  const ops: SimOp[] = [{ op: 'mempool_alloc', pool: 'P', gfp: 'GFP_KERNEL', ref: 'e' }];
  const normal = simulate(ops, { scenario: 'normal', setup });
  const first = normal.steps[0].trace.find((t) => t.rule === 'mempool.first-try');
  assert.match(first?.detail ?? '', /alloc_fn\(__GFP_FS\|__GFP_NOWARN\)/, 'gfp & ~(__GFP_WAIT|__GFP_IO) | __GFP_NOWARN');
  assert.ok(rules(normal.steps[0]).includes('mempool.alloc-fn'));
  assert.equal(normal.final?.pools[0].curr_nr, 2, 'the reserve is untouched');
  const exhausted = simulate(ops, { scenario: 'exhausted', setup });
  const order = rules(exhausted.steps[0]).filter((x) => x.startsWith('mempool.'));
  assert.deepEqual(order, ['mempool.first-try', 'mempool.half-full-rule', 'mempool.reserve']);
  assert.equal(exhausted.final?.pools[0].curr_nr, 1);
});

// ---- mm/slab.c:1334-1420 kmem_cache_create's layout: cache_estimate, the gfporder loop, off-slab management ----

const growOrders = (r: { trace: { rule: string; detail: string }[] }) =>
  r.trace.filter((t) => t.rule === 'slab.cache-grow').map((t) => Number(/order-(\d+)/.exec(t.detail)?.[1]));
const cacheOf = (sim: Simulator, name: string) => sim.snapshot().caches.find((c) => c.name === name);

test('mm/slab.c:1358-1389 kmem_cache_create gfporder loop: more than 1/8 of an order-0 slab wasted → order 1 (was: order 0, one object)', () => {
  // 1100 bytes: order 0 holds 3 objects and wastes 796 bytes (> 4096/8); order 1 (slab_break_gfp_order above 32 MiB) holds 7.
  const sim = new Simulator({ scenario: 'normal' });
  const c = sim.step({ op: 'kmem_cache_create', name: 'big_req', size: 1100, ref: 'C' });
  assert.ok(
    c.trace.some((t) => t.rule === 'slab.cache-create' && /order-1 slabs of 7 objects/.test(t.detail)),
    JSON.stringify(c.trace),
  );
  const first = sim.step({ op: 'kmem_cache_alloc', cache: 'C', gfp: 'GFP_KERNEL', ref: 'o0' });
  assert.deepEqual(growOrders(first), [1], 'cache_grow asks for an order-1 block');
  for (let i = 1; i < 7; i++) assert.deepEqual(growOrders(sim.step({ op: 'kmem_cache_alloc', cache: 'C', gfp: 'GFP_KERNEL', ref: `o${i}` })), []);
  assert.equal(cacheOf(sim, 'big_req')?.slabs, 1, 'seven objects share one slab');
  assert.deepEqual(growOrders(sim.step({ op: 'kmem_cache_alloc', cache: 'C', gfp: 'GFP_KERNEL', ref: 'o7' })), [1]);
  assert.deepEqual(checkInvariants(sim), []);
});

test('mm/slab.c:769-770 slab_break_gfp_order: at most 32 MiB of memory the loop stops at order 0 (3 objects of 1100 bytes)', () => {
  const sim = new Simulator({ scenario: 'normal', machine: makeMachine([4096, 3072, 0]) });
  const c = sim.step({ op: 'kmem_cache_create', name: 'big_req', size: 1100, ref: 'C' });
  assert.ok(
    c.trace.some((t) => t.rule === 'slab.cache-create' && /order-0 slabs of 3 objects/.test(t.detail)),
    JSON.stringify(c.trace),
  );
});

test('mm/slab.c:619-643 cache_estimate: on-slab struct slab and bufctls cost objects (size-32: 119 per page, size-256: 15; was 128 and 16)', () => {
  for (const [size, name, perSlab] of [
    [32, 'size-32', 119],
    [256, 'size-256', 15],
  ] as const) {
    const sim = new Simulator({ scenario: 'normal' });
    for (let i = 0; i < perSlab; i++) sim.step({ op: 'kmalloc', size, gfp: 'GFP_KERNEL', ref: `p${i}` });
    assert.equal(cacheOf(sim, name)?.slabs, 1, `${perSlab} objects fill one slab of ${name}`);
    const next = sim.step({ op: 'kmalloc', size, gfp: 'GFP_KERNEL', ref: 'q' });
    assert.deepEqual(growOrders(next), [0], `object ${perSlab + 1} grows ${name}`);
    assert.equal(cacheOf(sim, name)?.slabs, 2);
  }
});

test('mm/slab.c:1334-1339,1700-1712 objects of PAGE_SIZE/8 or more keep their slab management off-slab: cache_grow kmallocs it (size-4096 → a size-32 object)', () => {
  const sim = new Simulator({ scenario: 'normal' });
  const r = sim.step({ op: 'kmalloc', size: 4000, gfp: 'GFP_KERNEL', ref: 'p' });
  assert.equal(r.outcome.object?.cache, 'size-4096');
  assert.ok(
    r.trace.some((t) => t.rule === 'slab.mgmt-off-slab' && /26 bytes\) kmalloc'ed off-slab from size-32/.test(t.detail)),
    JSON.stringify(r.trace),
  );
  assert.equal(cacheOf(sim, 'size-32')?.objects, 1, 'the management object');
  assert.deepEqual(checkInvariants(sim), []);
  // The kmalloc classes that use order 1 or more: 8192 and up, one object per slab (the loop's `!num → next`).
  for (const [size, order] of [
    [4096, 0],
    [8192, 1],
    [16384, 2],
    [131072, 5],
  ] as const) {
    const grown = simulate([{ op: 'kmalloc', size, gfp: 'GFP_KERNEL', ref: 'x' }]).steps[0].trace.filter(
      (t) => t.rule === 'slab.cache-grow' && t.detail.startsWith(`size-${size}:`),
    );
    assert.deepEqual(
      grown.map((t) => Number(/order-(\d+)/.exec(t.detail)?.[1])),
      [order],
      `size-${size}`,
    );
  }
  // Freeing the objects: both go onto the CPU's array cache (mm/slab.c:2291-2306), so both slabs and their management stay.
  const end = simulate(
    [
      { op: 'kmalloc', size: 4000, gfp: 'GFP_KERNEL', ref: 'a' },
      { op: 'kmalloc', size: 4000, gfp: 'GFP_KERNEL', ref: 'b' },
      { op: 'kfree', ref: 'a' },
      { op: 'kfree', ref: 'b' },
    ],
    { snapshots: 'end' },
  );
  assert.equal(end.steps.filter((s) => s.outcome.kind === 'leak').length, 0, "management objects are not the driver's leaks");
  assert.equal(end.final?.caches.find((c) => c.name === 'size-32')?.objects, 2, 'the slabs keep their management');
});

// ---- mm/slab.c:1834-1835,1856-1857 cache_grow: local_irq_enable() for __GFP_WAIT, local_irq_disable() after ----

test('mm/slab.c:1834 cache_grow turns interrupts on for a __GFP_WAIT mask, even when the caller disabled them (was: nothing said)', () => {
  const sim = new Simulator({ scenario: 'normal', context: 'atomic' });
  sim.step({ op: 'context', context: 'atomic', reason: 'a spinlock is held (spin_lock_irqsave(lock) at line 3)' });
  const grows = sim.step({ op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL', ref: 'a' });
  assert.equal(grows.irqsEnabledInside, true);
  assert.ok(rules(grows).includes('slab.grow-irq-enable'));
  // The next object comes from the slab just grown: no cache_grow, interrupts stay off.
  const fromSlab = sim.step({ op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL', ref: 'b' });
  assert.equal(fromSlab.irqsEnabledInside, undefined);
  // Without __GFP_WAIT cache_grow leaves them off.
  const atomic = sim.step({ op: 'kmalloc', size: 2000, gfp: 'GFP_ATOMIC', ref: 'c' });
  assert.ok(rules(atomic).includes('slab.cache-grow'));
  assert.equal(atomic.irqsEnabledInside, undefined);
});

// ---- include/linux/slab.h:86-106 kmalloc: a constant size picks its class at build time ----

test('include/linux/slab.h:86-106 a constant-size kmalloc above 131072 does not build (__you_cannot_kmalloc_that_much); mm/slab.c __kmalloc returns NULL for a run-time size (was: NULL for both)', () => {
  const r = simulate([
    { op: 'kmalloc', size: 131073, gfp: 'GFP_KERNEL', ref: 'a', constantSize: true },
    { op: 'kmalloc', size: 131073, gfp: 'GFP_KERNEL', ref: 'b' },
    { op: 'kmalloc', size: 131072, gfp: 'GFP_KERNEL', ref: 'c', constantSize: true },
  ]);
  assert.equal(r.steps[0].outcome.kind, 'error');
  assert.equal(r.steps[0].outcome.code, 'does-not-build');
  assert.match(r.steps[0].outcome.message, /__you_cannot_kmalloc_that_much\(\), which no kernel file defines: the module does not link/);
  assert.ok(rules(r.steps[0]).includes('slab.kmalloc-does-not-build'));
  assert.equal(r.steps[1].outcome.kind, 'null');
  assert.ok(rules(r.steps[1]).includes('slab.kmalloc-too-large'));
  assert.equal(r.steps[2].outcome.object?.cache, 'size-131072');
});

// ---- mm/slab.c per-CPU array caches: __cache_alloc 2155-2175, cache_alloc_refill 2003-2090, __cache_free 2291-2306, cache_flusharray 2234-2289, enable_cpucache 2712-2758 ----

test('mm/slab.c:2155-2175 __cache_alloc takes the CPU array cache first: kfree then kmalloc(GFP_KERNEL) under a spinlock in exhausted memory does not reach the page allocator (was: the second slab freed, cache_grow, sleep in atomic)', () => {
  const lock: SimOp = { op: 'context', context: 'atomic', reason: 'a spinlock is held (spin_lock(lock) at line 9)' };
  const setup: SimOp[] = [
    { op: 'kmalloc', size: 4000, gfp: 'GFP_KERNEL', ref: 'a' },
    { op: 'kmalloc', size: 4000, gfp: 'GFP_KERNEL', ref: 'b' },
    { op: 'kfree', ref: 'a' },
    { op: 'kfree', ref: 'b' },
  ];
  const r = simulate([lock, { op: 'kmalloc', size: 4000, gfp: 'GFP_KERNEL', ref: 'x' }, { op: 'kmalloc', size: 4000, gfp: 'GFP_KERNEL', ref: 'y' }], {
    scenario: 'exhausted',
    setup,
  });
  for (const step of r.steps.slice(1, 3)) {
    assert.equal(step.outcome.kind, 'ok', step.outcome.message);
    assert.equal(step.slept, false);
    assert.equal(step.maySleep, true, 'might_sleep_if(__GFP_WAIT) still checks: the bug is latent');
    assert.ok(rules(step).includes('slab.array-hit'));
    assert.ok(!rules(step).some((x) => x.startsWith('alloc_pages')), 'no page allocator call');
  }
});

test('mm/slab.c:2003-2090 cache_alloc_refill: an untouched array takes BATCHREFILL_LIMIT (16) objects; later refills up to batchcount (60 for size-128, limit 120), stopping without cache_grow when the lists run dry with objects in hand', () => {
  const sim = new Simulator({ scenario: 'normal' });
  const first = sim.step({ op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL', ref: 'p0' });
  assert.ok(
    first.trace.some((t) => t.rule === 'slab.array-refill' && /moves 16 object\(s\)/.test(t.detail)),
    JSON.stringify(first.trace),
  );
  for (let i = 1; i < 16; i++) assert.ok(rules(sim.step({ op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL', ref: `p${i}` })).includes('slab.array-hit'));
  const refill = sim.step({ op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL', ref: 'p16' });
  // The slab of 31 has 15 left; the lists are then empty, but ac->avail > 0 skips cache_grow (mm/slab.c:2076-2086).
  assert.ok(
    refill.trace.some((t) => t.rule === 'slab.array-refill' && /moves 15 object\(s\) from the slab lists \(batch 60\)/.test(t.detail)),
    JSON.stringify(refill.trace),
  );
  assert.ok(!rules(refill).includes('slab.cache-grow'));
  for (let i = 17; i < 31; i++) sim.step({ op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL', ref: `p${i}` });
  assert.ok(
    rules(sim.step({ op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL', ref: 'p31' })).includes('slab.cache-grow'),
    'array and lists empty: cache_grow, then a refill of 31',
  );
  assert.deepEqual(checkInvariants(sim), []);
});

test('mm/slab.c:2234-2306 __cache_free onto the array; a full array (size-8192: limit 8, batchcount 4) gives its 4 oldest back with cache_flusharray, empty slabs kept up to free_limit', () => {
  const sim = new Simulator({ scenario: 'normal' });
  for (let i = 0; i < 9; i++) sim.step({ op: 'kmalloc', size: 8000, gfp: 'GFP_KERNEL', ref: `p${i}` });
  for (let i = 0; i < 8; i++) assert.ok(!rules(sim.step({ op: 'kfree', ref: `p${i}` })).includes('slab.array-flush'));
  const ninth = sim.step({ op: 'kfree', ref: 'p8' });
  assert.ok(
    ninth.trace.some((t) => t.rule === 'slab.array-flush' && /gives 4 object\(s\)/.test(t.detail)),
    JSON.stringify(ninth.trace),
  );
  // free_limit = (1 + 1 CPU) * 4 + 1 = 9: four free objects, so the four empty slabs stay.
  assert.ok(!rules(ninth).includes('slab.release'));
  assert.equal(sim.snapshot().caches.find((c) => c.name === 'size-8192')?.slabs, 9);
  assert.deepEqual(checkInvariants(sim), []);
});

// ---- mm/slab.c:2795-2865 cache_reap: the per-CPU arrays drained and free slabs destroyed every few seconds ----

test('mm/slab.c:2764-2782,2795-2865 cache_reap: a burst of kmalloc/kfree leaves its objects on the CPU array; 2 s runs drain (limit+4)/5 of an untouched array and destroy free slabs every 4 s, until the pages are back (was: held for ever)', () => {
  const sim = new Simulator({ scenario: 'normal' });
  // An interrupt-time burst: 40 buffers of 256 bytes (size-256: 15 objects per order-0 slab → 3 slabs), all freed.
  for (let i = 0; i < 40; i++) sim.step({ op: 'kmalloc', size: 256, gfp: 'GFP_ATOMIC', ref: `b${i}` });
  for (let i = 0; i < 40; i++) sim.step({ op: 'kfree', ref: `b${i}` });
  const slabs = () => sim.snapshot().caches.find((c) => c.name === 'size-256')?.slabs ?? 0;
  const normalHeld = () => sim.snapshot().zones[1].allocated;
  assert.equal(slabs(), 3);
  assert.equal(normalHeld(), 3, 'kfree puts objects on the array (limit 120): the three slab pages stay held');
  // Run 1: the array was used (ac->touched, set by __cache_alloc :2167): only marked untouched (:2770-2771).
  const r1 = sim.step({ op: 'cache_reap' });
  assert.equal(r1.outcome.message, 'cache_reap (2 s later): no slab destroyed');
  assert.ok(r1.trace.some((t) => t.rule === 'slab.reap-array' && /only marked untouched/.test(t.detail)));
  // Run 2: (limit 120 + 4)/5 = 24 objects back to their slabs (:2773); the 4 s list pass finds free_touched set by
  // the refills that took objects from fresh slabs (:2043, 2830-2833) and destroys nothing.
  const r2 = sim.step({ op: 'cache_reap' });
  assert.ok(
    r2.trace.some((t) => t.rule === 'slab.reap-array' && /gives back 24 of its 45 object\(s\)/.test(t.detail)),
    JSON.stringify(r2.trace),
  );
  assert.ok(r2.trace.some((t) => t.rule === 'slab.reap-slabs' && /free_touched/.test(t.detail)));
  assert.equal(slabs(), 3);
  // Run 3: 21 left, fewer than 24 → (21+1)/2 = 11 (:2774-2775).
  const r3 = sim.step({ op: 'cache_reap' });
  assert.ok(r3.trace.some((t) => /gives back 11 of its 21 object\(s\)/.test(t.detail)));
  // Run 4: the list pass destroys up to (free_limit 135 + 5·15 − 1)/(5·15) = 2 free slabs (:2836-2856).
  const r4 = sim.step({ op: 'cache_reap' });
  assert.match(r4.outcome.message, /^cache_reap \(2 s later\): 2 empty slab\(s\) destroyed/);
  assert.equal(rules(r4).filter((x) => x === 'slab.release').length, 2);
  assert.equal(normalHeld(), 1);
  for (let i = 0; i < 4; i++) sim.step({ op: 'cache_reap' });
  assert.equal(slabs(), 0, 'after 16 s of idle time every slab page is back');
  assert.equal(normalHeld(), 0);
  assert.deepEqual(checkInvariants(sim), []);
  // An array used between runs keeps its objects: each run only clears the touched mark.
  const busy = new Simulator({ scenario: 'normal' });
  for (let r = 0; r < 4; r++) {
    busy.step({ op: 'kmalloc', size: 256, gfp: 'GFP_ATOMIC', ref: 'x' });
    busy.step({ op: 'kfree', ref: 'x' });
    assert.equal(busy.step({ op: 'cache_reap' }).trace.filter((t) => t.rule === 'slab.array-flush').length, 0);
  }
});
