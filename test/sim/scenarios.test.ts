import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, simulateScenarios, Simulator, checkInvariants, resolveMachine, SCENARIO_NAMES, type SimOp, type StepResult } from '../../core/sim/index';

const kinds = (steps: StepResult[]) => steps.map((s) => s.outcome.kind);
const rules = (s: StepResult) => s.trace.map((t) => t.rule);

test('GFP_ATOMIC never sleeps, in any scenario, context or order', () => {
  for (const scenario of SCENARIO_NAMES) {
    for (const context of ['process', 'atomic', 'interrupt'] as const) {
      const ops: SimOp[] = [];
      for (let i = 0; i < 400; i++) ops.push({ op: 'alloc_pages', gfp: 'GFP_ATOMIC', order: i % 11, ref: `a${i}` });
      const r = simulate(ops, { scenario, context, snapshots: 'none' });
      const allocs = r.steps.filter((s) => s.outcome.kind !== 'leak');
      assert.equal(allocs.length, 400);
      for (const s of allocs) {
        assert.equal(s.slept, false);
        assert.ok(s.outcome.kind === 'ok' || s.outcome.kind === 'null', `${scenario}/${context}: ${s.outcome.kind}`);
      }
      if (scenario === 'exhausted')
        assert.ok(
          allocs.every((s) => s.outcome.kind === 'null'),
          'exhausted is below the atomic reserve',
        );
      if (scenario === 'normal') assert.equal(allocs[0].outcome.kind, 'ok');
    }
  }
});

test('GFP_ATOMIC dips into reserves under pressure (half for __GFP_HIGH, a quarter more for cannot-sleep)', () => {
  const r = simulate([{ op: 'alloc_pages', gfp: 'GFP_ATOMIC', order: 0, ref: 'a' }], { scenario: 'pressure' });
  assert.equal(r.steps[0].outcome.kind, 'ok');
  const step3 = r.steps[0].trace.find((t) => t.rule === 'alloc_pages.step3-min-watermark');
  // mm/page_alloc.c:679-682 zone_watermark_ok: Normal's pages_min 480 (default machine), min -= min/2 → 240, then
  // min -= min/4 → 180; pressure leaves Normal 320 free (2/3 of pages_min), above it.
  assert.match(
    step3?.detail ?? '',
    /^Normal: free 320 passes the order-0 check against pages_min 480 lowered to 180 \(__GFP_HIGH: half\) \(cannot sleep: a further quarter\)/,
  );
});

test('__GFP_NOFAIL never returns NULL (any scenario, order, sleeping mask)', () => {
  for (const scenario of SCENARIO_NAMES) {
    for (const gfp of ['GFP_KERNEL|__GFP_NOFAIL', 'GFP_NOIO|__GFP_NOFAIL', 'GFP_NOFS|__GFP_NOFAIL']) {
      for (let order = 0; order <= 10; order++) {
        const r = simulate([{ op: 'alloc_pages', gfp, order, ref: 'p' }], { scenario, snapshots: 'none' });
        const k = r.steps[0].outcome.kind;
        assert.notEqual(k, 'null', `${scenario} ${gfp} order ${order}`);
        if (scenario === 'exhausted') {
          assert.equal(k, 'never-returns');
          assert.ok(rules(r.steps[0]).includes('alloc_pages.never-returns'));
        }
      }
    }
  }
});

test('2.6.11 do_retry: __GFP_REPEAT and __GFP_NOFAIL retry forever at any order, order <= 3 alone does too, __GFP_NORETRY fails (mm/page_alloc.c __alloc_pages)', () => {
  // Without __GFP_FS no OOM kill can come: do_retry alone decides (GFP_NOFS).
  for (const order of [0, 3, 5, 9]) {
    for (const flag of ['__GFP_REPEAT', '__GFP_NOFAIL']) {
      const r = simulate([{ op: 'alloc_pages', gfp: `GFP_NOFS|${flag}`, order, ref: 'p' }], { scenario: 'exhausted' });
      assert.equal(r.steps[0].outcome.kind, 'never-returns', `${flag} order ${order}`);
      assert.ok(rules(r.steps[0]).includes('alloc_pages.never-returns'));
      assert.ok(!rules(r.steps[0]).includes('alloc_pages.step6-fail'), 'never gives up (no "repeat gives up" in 2.6.11)');
    }
  }
  assert.equal(simulate([{ op: 'alloc_pages', gfp: 'GFP_NOFS', order: 3, ref: 'p' }], { scenario: 'exhausted' }).steps[0].outcome.kind, 'never-returns');
  const nofs5 = simulate([{ op: 'alloc_pages', gfp: 'GFP_NOFS', order: 5, ref: 'p' }], { scenario: 'exhausted' });
  assert.equal(nofs5.steps[0].outcome.kind, 'null');
  assert.ok(rules(nofs5.steps[0]).includes('alloc_pages.step6-fail'));
  const noretry = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_NORETRY', order: 0, ref: 'p' }], { scenario: 'exhausted' });
  assert.equal(noretry.steps[0].outcome.kind, 'null');
});

test('2.6.11 OOM restart: with __GFP_FS and no progress, out_of_memory() is followed by goto restart whatever it freed, so GFP_KERNEL at order 5 never returns when memory is exhausted (it returned NULL before)', () => {
  const r = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 5, ref: 'p' }], { scenario: 'exhausted' });
  assert.equal(r.steps[0].outcome.kind, 'never-returns');
  assert.ok(rules(r.steps[0]).includes('oom.nothing-to-free'));
  assert.match(r.steps[0].outcome.message, /out_of_memory\(\) then goto restart/);
  // Under pressure the OOM kill frees a victim's pages and the restarted allocation gets them.
  const ops: SimOp[] = [];
  // On the default machine's pressure (Normal 320 free, 768 reclaimable) reclaim runs dry after 40-odd order-4 calls.
  for (let i = 0; i < 80; i++) ops.push({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 4, ref: `p${i}` });
  const p = simulate(ops, { scenario: 'pressure', snapshots: 'none' });
  const killed = p.steps.findIndex((s) => rules(s).includes('alloc_pages.step5-oom-restart'));
  assert.ok(killed >= 0, 'the OOM killer ran and the allocation restarted');
  assert.notEqual(p.steps[killed].outcome.kind, 'null', 'the restarted allocation did not fail');
});

test('direct reclaim under pressure: GFP_KERNEL sleeps then succeeds; OOM killer eventually runs', () => {
  const r = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'p' }], { scenario: 'pressure' });
  assert.equal(r.steps[0].outcome.kind, 'slept');
  assert.ok(rules(r.steps[0]).includes('alloc_pages.step5-direct-reclaim'));
  assert.ok(rules(r.steps[0]).includes('reclaim.try_to_free_pages'));
  // keep allocating: reclaim budget runs out, the OOM killer kills its one victim, then the loop never ends
  const ops: SimOp[] = [];
  for (let i = 0; i < 3000; i++) ops.push({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: `p${i}` });
  const many = simulate(ops, { scenario: 'pressure', snapshots: 'none' });
  assert.ok(many.steps.some((s) => rules(s).includes('oom.kill')));
  const firstNever = many.steps.findIndex((s) => s.outcome.kind === 'never-returns');
  assert.ok(firstNever > 100);
  assert.equal(many.steps[firstNever + 1].afterNeverReturns, true);
  // NOIO can only reclaim clean pages: fewer per call
  const noio = simulate([{ op: 'alloc_pages', gfp: 'GFP_NOIO', order: 0, ref: 'p' }], { scenario: 'pressure' });
  assert.match(noio.steps[0].trace.find((t) => t.rule === 'reclaim.try_to_free_pages')?.detail ?? '', /only clean, unmapped pages, up to 8/);
});

test('free_hot_page on an order-1 page is an error and changes nothing', () => {
  const sim = new Simulator({ scenario: 'normal' });
  assert.equal(sim.step({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 1, ref: 'b' }).outcome.kind, 'ok');
  const before = JSON.stringify(sim.snapshot());
  for (const op of ['free_hot_page', 'free_cold_page'] as const) {
    const r = sim.step({ op, ref: 'b' });
    assert.equal(r.outcome.kind, 'error');
    assert.equal(r.outcome.code, 'hot-cold-order');
    assert.match(r.outcome.message, /order-zero/);
  }
  assert.equal(JSON.stringify(sim.snapshot()), before);
  assert.equal(sim.step({ op: '__free_pages', ref: 'b', order: 1 }).outcome.kind, 'ok');
  assert.deepEqual(checkInvariants(sim), []);
});

test('per-CPU lists: hot refill, __GFP_COLD, free_cold_page, drain at high', () => {
  const sim = new Simulator({ scenario: 'normal', snapshots: 'all' });
  const a = sim.step({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'a' });
  assert.ok(rules(a).includes('pcp.refill'));
  // mm/page_alloc.c:1669-1683: Normal's batch on the default machine is 61440/1024/4 = 15, hot high 6 × 15 = 90;
  // :631-632 refills one batch when count <= low, then takes a page.
  assert.equal(a.state?.zones[1].hot, 14, 'batch 15 moved, one taken');
  const c = sim.step({ op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_COLD', order: 0, ref: 'c' });
  assert.ok(rules(c).includes('pcp.take-cold'));
  const f = sim.step({ op: 'free_cold_page', ref: 'c' });
  assert.equal(f.state?.zones[1].cold, 15, 'cold: batch 15 refilled, one taken, given back');
  const ops: SimOp[] = [];
  for (let i = 0; i < 60; i++) ops.push({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: `h${i}` });
  for (const op of ops) sim.step(op);
  let drained = false;
  for (let i = 0; i < 60; i++) {
    const r = sim.step({ op: 'free_hot_page', ref: `h${i}` });
    // :585-588: drain a batch when count >= high (90) before adding, so the count never exceeds 90.
    assert.ok((r.state?.zones[1].hot ?? 999) <= 90);
    if (rules(r).includes('pcp.drain')) drained = true;
  }
  assert.ok(drained);
  assert.deepEqual(checkInvariants(sim), []);
});

test('mempool_alloc(GFP_KERNEL) in process context never returns NULL', () => {
  const setup: SimOp[] = [{ op: 'mempool_create', min_nr: 2, allocFn: { kind: 'pages', order: 0 }, ref: 'P' }];
  const ops: SimOp[] = [];
  for (let i = 0; i < 6; i++) ops.push({ op: 'mempool_alloc', pool: 'P', gfp: 'GFP_KERNEL', ref: `e${i}` });
  for (const scenario of SCENARIO_NAMES) {
    const r = simulate(ops, { scenario, setup });
    assert.ok(
      r.steps.every((s) => s.outcome.kind !== 'null'),
      scenario,
    );
  }
  const ex = simulate(ops, { scenario: 'exhausted', setup });
  // GFP_KERNEL: the first comes from the reserve; the second hits the half-full rule (curr_nr 1 <= 2/2),
  // calls alloc_fn(GFP_KERNEL), and __alloc_pages loops forever in the exhausted scenario.
  assert.deepEqual(kinds(ex.steps).slice(0, 2), ['ok', 'never-returns']);
  assert.ok(rules(ex.steps[0]).includes('mempool.reserve'));
  assert.ok(rules(ex.steps[1]).includes('mempool.half-full-rule'));
  assert.ok(rules(ex.steps[1]).includes('alloc_pages.never-returns'));
  // GFP_NOIO (no __GFP_FS): no half-full retry; reserve, reserve, then waits forever for a mempool_free
  const noio = simulate(
    ops.map((o) => ({ ...o, gfp: 'GFP_NOIO' }) as SimOp),
    { scenario: 'exhausted', setup },
  );
  assert.deepEqual(kinds(noio.steps).slice(0, 6), ['ok', 'ok', 'never-returns', 'never-returns', 'never-returns', 'never-returns']);
  assert.equal(noio.steps[2].outcome.code, 'waits-forever');
  assert.match(noio.steps[2].outcome.message, /waits forever for a mempool_free/);
  // GFP_ATOMIC from the same empty pool returns NULL instead
  const at = simulate([...noio.steps.slice(0, 2).map((st) => st.op), { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_ATOMIC', ref: 'x' }], {
    scenario: 'exhausted',
    setup,
  });
  assert.equal(at.steps[2].outcome.kind, 'null');
});

test('a waiting mempool_alloc is woken by a later mempool_free', () => {
  const setup: SimOp[] = [{ op: 'mempool_create', min_nr: 1, allocFn: { kind: 'kmalloc', size: 4096 }, ref: 'P' }];
  const r = simulate(
    [
      { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_NOIO', ref: 'a' },
      { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_NOIO', ref: 'b' },
      { op: 'mempool_free', pool: 'P', ref: 'a' },
      { op: 'mempool_free', pool: 'P', ref: 'b' },
      { op: 'mempool_destroy', pool: 'P' },
    ],
    { scenario: 'exhausted', setup },
  );
  assert.deepEqual(kinds(r.steps), ['ok', 'slept', 'ok', 'ok', 'ok']);
  assert.equal(r.steps[1].outcome.wokenBy, 2);
  assert.ok(rules(r.steps[2]).includes('mempool.wake'));
});

test('mempool_destroy: leaks alloc_fn elements under normal memory, BUGs on reserve elements under exhaustion', () => {
  const setup: SimOp[] = [{ op: 'mempool_create', min_nr: 2, allocFn: { kind: 'pages', order: 0 }, ref: 'P' }];
  const ops: SimOp[] = [
    { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_NOIO', ref: 'x' },
    { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_NOIO', ref: 'y' },
    { op: 'mempool_destroy', pool: 'P' },
  ];
  const all = simulateScenarios(ops, { setup });
  const n = all.normal.steps;
  assert.deepEqual(kinds(n).slice(0, 3), ['ok', 'ok', 'ok']);
  assert.ok(rules(n[0]).includes('mempool.alloc-fn'));
  assert.equal(n[2].outcome.code, 'destroy-leaks');
  assert.deepEqual(
    n.filter((s) => s.outcome.kind === 'leak').map((s) => s.outcome.ref),
    ['x', 'y'],
  );
  const e = all.exhausted.steps;
  assert.ok(rules(e[0]).includes('mempool.reserve'));
  assert.equal(e[2].outcome.kind, 'bug');
  assert.equal(e[2].outcome.code, 'destroy-outstanding');
  assert.ok(rules(e[2]).includes('mempool.destroy-bug'));
  // returning the elements first makes destroy clean
  const clean = simulate([...ops.slice(0, 2), { op: 'mempool_free', pool: 'P', ref: 'x' }, { op: 'mempool_free', pool: 'P', ref: 'y' }, ops[2]], {
    scenario: 'exhausted',
    setup,
  });
  assert.deepEqual(kinds(clean.steps), ['ok', 'ok', 'ok', 'ok', 'ok']);
});

test('mempool half-full rule and a user alloc_fn that ignores the mask', () => {
  const setup: SimOp[] = [{ op: 'mempool_create', min_nr: 4, allocFn: { kind: 'user', gfp: 'GFP_KERNEL', via: { kind: 'pages', order: 0 } }, ref: 'P' }];
  const ops: SimOp[] = [];
  for (let i = 0; i < 3; i++) ops.push({ op: 'mempool_alloc', pool: 'P', gfp: 'GFP_NOFS', ref: `e${i}` });
  const r = simulate(ops, { scenario: 'pressure', setup });
  assert.ok(rules(r.steps[0]).includes('mempool.alloc-fn-ignores-mask'));
  assert.equal(r.steps[0].slept, true, 'the fixed GFP_KERNEL alloc_fn sleeps even on the "no wait" first try');
  const p = simulate(
    [
      { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_KERNEL', ref: 'a' },
      { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_KERNEL', ref: 'b' },
      { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_KERNEL', ref: 'c' },
    ],
    { scenario: 'exhausted', setup: [{ op: 'mempool_create', min_nr: 4, allocFn: { kind: 'user', gfp: 'pass', via: { kind: 'pages', order: 0 } }, ref: 'P' }] },
  );
  const hf = p.steps.map((s) => s.trace.find((t) => t.rule === 'mempool.half-full-rule')?.detail ?? '');
  assert.match(hf[0], /curr_nr 4 > min_nr\/2/);
  assert.match(hf[2], /curr_nr 2 <= min_nr\/2 = 2 and __GFP_FS/);
});

test('GFP_KERNEL in atomic/interrupt context: latent under normal memory, "scheduling while atomic" under pressure', () => {
  for (const context of ['atomic', 'interrupt'] as const) {
    const ops: SimOp[] = [
      { op: 'kmalloc', size: 128, gfp: 'GFP_KERNEL', ref: 'k' },
      { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'p' },
    ];
    const all = simulateScenarios(ops, { context });
    for (const s of all.normal.steps.slice(0, 2)) {
      assert.equal(s.outcome.kind, 'ok');
      assert.equal(s.slept, false);
      assert.equal(s.maySleep, true);
      assert.ok(s.trace.some((t) => t.rule === 'context.may-sleep' && t.maySleep === true));
    }
    const p = all.pressure.steps[0];
    assert.equal(p.outcome.kind, 'sleep-in-atomic');
    assert.match(p.outcome.message, /scheduling while atomic/);
    assert.equal(p.outcome.result, 'slept');
    assert.ok(rules(p).includes('context.sleep-in-atomic'));
    assert.equal(all.exhausted.steps[0].outcome.result, 'never-returns');
  }
  // a spin_lock context change op in the middle
  const r = simulate(
    [
      { op: 'context', context: 'atomic', reason: 'spin_lock(&dev->lock)' },
      { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'p' },
      { op: 'context', context: 'process' },
      { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'q' },
    ],
    { scenario: 'pressure' },
  );
  assert.deepEqual(kinds(r.steps).slice(0, 3), ['ok', 'sleep-in-atomic', 'ok']);
  assert.ok(r.steps[3].outcome.kind === 'ok' || r.steps[3].outcome.kind === 'slept');
  assert.match(r.steps[1].outcome.message, /spin_lock\(&dev->lock\)/);
  // mempool_alloc(GFP_KERNEL) waiting in interrupt context is the bug too
  const m = simulate(
    [
      { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_KERNEL', ref: 'a' },
      { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_KERNEL', ref: 'b' },
    ],
    { scenario: 'exhausted', context: 'interrupt', setup: [{ op: 'mempool_create', min_nr: 1, allocFn: { kind: 'pages', order: 0 }, ref: 'P' }] },
  );
  assert.equal(m.steps[1].outcome.kind, 'sleep-in-atomic');
});

test('slab and kmalloc size classes', () => {
  const r = simulate(
    [
      { op: 'kmalloc', size: 33, gfp: 'GFP_KERNEL', ref: 'a' },
      { op: 'kmalloc', size: 131072, gfp: 'GFP_KERNEL', ref: 'b' },
      { op: 'kmalloc', size: 131073, gfp: 'GFP_KERNEL', ref: 'c' },
      { op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL|__GFP_DMA', ref: 'd' },
      { op: 'kmem_cache_create', name: 'foo', size: 200, ref: 'C' },
      { op: 'kmem_cache_alloc', cache: 'C', gfp: 'GFP_KERNEL', ref: 'o' },
      { op: 'kmem_cache_destroy', cache: 'C' },
      { op: 'kmem_cache_free', cache: 'C', ref: 'o' },
      { op: 'kmem_cache_destroy', cache: 'C' },
      { op: 'kmalloc', size: 1000, gfp: 'GFP_HIGHUSER', ref: 'h' },
    ],
    { snapshots: 'end' },
  );
  const o = r.steps.map((s) => s.outcome);
  assert.equal(o[0].object?.cache, 'size-64');
  assert.equal(o[1].object?.cache, 'size-131072');
  assert.equal(o[2].kind, 'null');
  assert.equal(o[3].object?.cache, 'size-128(DMA)');
  assert.equal(o[6].code, 'cache-busy');
  assert.equal(o[8].kind, 'ok');
  assert.equal(o[9].kind, 'bug');
  assert.deepEqual(
    r.steps.filter((s) => s.outcome.kind === 'leak').map((s) => s.outcome.ref),
    ['a', 'b', 'd'],
  );
});

test('zones: HighMem first for GFP_HIGHUSER, DMA only for __GFP_DMA; get_free_pages gets no address for a HighMem page', () => {
  // HighMem needs more than 896 MiB: the 2 GiB preset (the default 256 MiB PC has none).
  const { config: machine, scenarios } = resolveMachine('server-2g').machine;
  const r = simulate(
    [
      { op: 'alloc_pages', gfp: 'GFP_HIGHUSER', order: 0, ref: 'h' },
      { op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_DMA', order: 2, ref: 'd' },
      { op: 'get_free_pages', gfp: 'GFP_HIGHUSER', order: 0, ref: 'x' },
      { op: 'get_zeroed_page', gfp: 'GFP_KERNEL', ref: 'z' },
      { op: 'free_pages', ref: 'z' },
    ],
    { machine, scenario: scenarios.normal },
  );
  assert.equal(r.steps[0].outcome.page?.zone, 'HighMem');
  assert.equal(r.steps[1].outcome.page?.zone, 'DMA');
  assert.equal(r.steps[1].outcome.page?.order, 2);
  assert.equal(r.steps[2].outcome.code, 'highmem-no-address');
  assert.equal(r.steps[3].outcome.page?.zone, 'Normal');
  assert.equal(r.steps[4].outcome.kind, 'ok');
});

test('setup steps are numbered separately and the scenario applies after them', () => {
  const r = simulate([{ op: 'alloc_pages', gfp: 'GFP_ATOMIC', order: 0, ref: 'a' }], {
    scenario: 'exhausted',
    setup: [{ op: 'kmem_cache_create', name: 'c', size: 64, ref: 'C' }],
  });
  assert.equal(r.setup?.length, 1);
  assert.equal(r.steps[0].index, 0);
  assert.equal(r.steps[0].outcome.kind, 'null');
  // scenariosFor: exhausted keeps a tenth of pages_min free: DMA 32/10 = 3, Normal 480/10 = 48, no HighMem.
  assert.deepEqual(
    r.final?.zones.map((z) => z.free),
    [3, 48, 0],
  );
  assert.match(r.steps[1].outcome.message, /from setup step 0/);
});

test('2.6.11 lowmem_reserve: under pressure a Normal-class allocation cannot take DMA below pages_min + 240 (zone_watermark_ok with classzone_idx); GFP_KERNEL order 4 returns NULL instead of "slept, then ok from DMA"', () => {
  // Default machine: DMA pages_min 32; lowmem_reserve[Normal] = 61440/256 = 240 (mm/page_alloc.c:1974-1995).
  const r4 = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 4, ref: 'p' }], { scenario: 'pressure' });
  assert.equal(r4.steps[0].outcome.kind, 'null');
  assert.ok(r4.steps[0].trace.some((t) => /^DMA: free \d+ fails the order-4 check against pages_min 32 \+ lowmem_reserve 240/.test(t.detail)));
  const r0 = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'p' }], { scenario: 'pressure' });
  assert.equal(r0.steps[0].outcome.page?.zone, 'Normal', 'order 0 comes from Normal, not DMA');
  // A DMA-class allocation has no reserve to respect in DMA itself.
  const dma = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_DMA', order: 0, ref: 'p' }], { scenario: 'normal' });
  assert.equal(dma.steps[0].outcome.page?.zone, 'DMA');
});
