import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simulate, simulateScenarios, Simulator, checkInvariants, makeMachine, type SimOp, type SimOptions, type ScenarioState } from '../../core/sim/index';

const refs = ['a', 'b', 'c', 'd', 'e', 'f'];
const caches = ['C1', 'C2'];
const pools = ['P1', 'P2'];
const gfps: unknown[] = [
  0x20,
  0xd0,
  0x10,
  0x50,
  0xd2,
  0x21,
  0xd1,
  0x8d0,
  0x4d0,
  0x10d0,
  0x120,
  0x220,
  0x830,
  'GFP_KERNEL|__GFP_COLD',
  'GFP_BUFFER',
  { unknown: true },
  0x04,
  0x80d0,
  0x8022,
  0x20d0,
  0x40d0,
  0xd3,
];

const ref = fc.constantFrom(...refs);
const gfp = fc.constantFrom(...gfps);
const via = fc.oneof(
  fc.record({ kind: fc.constant('slab'), cache: fc.constantFrom(...caches) }),
  fc.record({ kind: fc.constant('kmalloc'), size: fc.constantFrom(16, 300, 5000) }),
  fc.record({ kind: fc.constant('pages'), order: fc.integer({ min: 0, max: 2 }) }),
);
const allocFn = fc.oneof(via, fc.record({ kind: fc.constant('user'), gfp: fc.constantFrom<unknown>('pass', 0xd0, 0x20), via }));

const opArb: fc.Arbitrary<SimOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('alloc_pages'), gfp, order: fc.integer({ min: -1, max: 11 }), ref }) },
  fc.record({ op: fc.constant('get_free_pages'), gfp, order: fc.integer({ min: 0, max: 4 }), ref }),
  fc.record({ op: fc.constant('get_zeroed_page'), gfp, ref }),
  {
    weight: 3,
    arbitrary: fc.record(
      { op: fc.constant('free_pages'), ref, order: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }) },
      { requiredKeys: ['op', 'ref'] },
    ),
  },
  fc.record({ op: fc.constant('__free_pages'), ref, order: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ op: fc.constantFrom('free_hot_page', 'free_cold_page'), ref }),
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('kmalloc'), size: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constantFrom(131072, 131073)), gfp, ref }),
  },
  fc.record({ op: fc.constant('kfree'), ref }),
  fc.record({
    op: fc.constant('kmem_cache_create'),
    name: fc.constant('cache'),
    size: fc.constantFrom(32, 200, 4096, 9000, 2),
    ref: fc.constantFrom(...caches),
  }),
  fc.record({ op: fc.constant('kmem_cache_alloc'), cache: fc.constantFrom(...caches), gfp, ref }),
  fc.record({ op: fc.constant('kmem_cache_free'), cache: fc.constantFrom(...caches), ref }),
  fc.record({ op: fc.constant('kmem_cache_destroy'), cache: fc.constantFrom(...caches) }),
  fc.record({ op: fc.constant('mempool_create'), min_nr: fc.integer({ min: 0, max: 4 }), allocFn, ref: fc.constantFrom(...pools) }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mempool_alloc'), pool: fc.constantFrom(...pools), gfp, ref }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('mempool_free'), pool: fc.constantFrom(...pools), ref }) },
  fc.record({ op: fc.constant('mempool_destroy'), pool: fc.constantFrom(...pools) }),
  fc.record({ op: fc.constant('mempool_resize'), pool: fc.constantFrom(...pools), new_min_nr: fc.integer({ min: -1, max: 6 }), gfp }),
  fc.record({ op: fc.constant('context'), context: fc.constantFrom('process', 'atomic', 'interrupt') }),
) as fc.Arbitrary<SimOp>;

const small = makeMachine([1024, 4096, 4096]);
const tight: ScenarioState = { name: 'tight', free: [60, 150, 40], reclaimable: [20, 60, 40], oomVictims: 1, oomVictimPages: [0, 30, 30] };
const optsArb: fc.Arbitrary<SimOptions> = fc.record({
  scenario: fc.constantFrom<SimOptions['scenario']>('normal', 'pressure', 'exhausted', tight),
  machine: fc.constantFrom(undefined, small),
  context: fc.constantFrom<SimOptions['context']>('process', 'atomic'),
});

test('invariants hold after every step: conservation, buddy, per-CPU bounds, 0 <= curr_nr <= min_nr', () => {
  fc.assert(
    fc.property(optsArb, fc.array(opArb, { maxLength: 40 }), (opts, ops) => {
      const sim = new Simulator(opts);
      assert.deepEqual(checkInvariants(sim), []);
      for (const op of ops) {
        const r = sim.step(op);
        const bad = checkInvariants(sim);
        if (bad.length) throw new Error(`after ${JSON.stringify(op)} → ${r.outcome.kind}: ${bad.join('; ')}`);
        for (const z of sim.snapshot().zones) assert.equal(z.free + z.hot + z.cold + z.allocated + z.background, z.total);
        for (const p of sim.snapshot().pools) assert.ok(p.curr_nr >= 0 && p.curr_nr <= p.min_nr);
      }
      sim.finish();
      assert.deepEqual(checkInvariants(sim), []);
    }),
    { numRuns: 250 },
  );
});

test('GFP_ATOMIC steps never sleep; __GFP_NOFAIL|__GFP_WAIT allocations never return NULL', () => {
  fc.assert(
    fc.property(optsArb, fc.array(opArb, { maxLength: 40 }), (opts, ops) => {
      const r = simulate(ops, { ...opts, snapshots: 'none' });
      for (const s of r.steps) {
        const o = s.op as { op: string; gfp?: unknown };
        if (s.outcome.kind === 'leak' || typeof o.gfp !== 'number') continue;
        if (o.op === 'alloc_pages' && (o.gfp === 0x20 || o.gfp === 0x120 || o.gfp === 0x220)) assert.equal(s.slept, false);
        // Below MAX_ORDER: alloc_pages_node returns NULL for order >= MAX_ORDER before __alloc_pages sees the mask.
        const order = (s.op as { order?: number }).order ?? 0;
        if (o.op === 'alloc_pages' && o.gfp === 0x8d0 && order >= 0 && order < 11) assert.notEqual(s.outcome.kind, 'null');
      }
    }),
    { numRuns: 200 },
  );
});

test('deterministic: same options and ops give the same results (JSON)', () => {
  fc.assert(
    fc.property(optsArb, fc.array(opArb, { maxLength: 30 }), fc.integer(), (opts, ops, seed) => {
      const a = simulateScenarios(ops, { ...opts, seed, snapshots: 'all' });
      const b = simulateScenarios(ops, { ...opts, seed, snapshots: 'all' });
      assert.equal(JSON.stringify(a), JSON.stringify(b));
    }),
    { numRuns: 60 },
  );
});

test("trace 'outcomes': the results of trace true, the trace cut to its context entries, no allocator entry", () => {
  const contextRules = new Set(['context.sleep-in-atomic', 'context.may-sleep']);
  let allocatorEntries = 0;
  fc.assert(
    fc.property(optsArb, fc.array(opArb, { maxLength: 40 }), (opts, ops) => {
      const full = simulate(ops, { ...opts, snapshots: 'all', trace: true });
      const outcomes = simulate(ops, { ...opts, snapshots: 'all', trace: 'outcomes' });
      for (const st of [...full.steps, ...(full.setup ?? [])]) allocatorEntries += st.trace.filter((t) => !contextRules.has(t.rule)).length;
      const cut = (r: typeof full) => ({
        ...r,
        steps: r.steps.map((st) => ({ ...st, trace: st.trace.filter((t) => contextRules.has(t.rule)) })),
      });
      assert.equal(JSON.stringify(outcomes), JSON.stringify(cut(full)));
    }),
    { numRuns: 200 },
  );
  // The full runs had allocator entries for the outcomes runs to leave out.
  assert.ok(allocatorEntries > 1000, `${allocatorEntries} allocator trace entries`);
});

test('no exception escapes, whatever the input', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.anything(), opArb), { maxLength: 20 }), fc.anything(), (ops, opts) => {
      const r = simulate(ops, opts as SimOptions);
      assert.ok(Array.isArray(r.steps));
      for (const s of r.steps) assert.equal(typeof s.outcome.kind, 'string');
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.anything(), (x) => {
      const r = simulate(x as unknown[]);
      assert.ok(Array.isArray(r.steps));
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          op: fc.constantFrom('alloc_pages', 'kmalloc', 'mempool_create', 'mempool_alloc', 'free_pages', 'kmem_cache_alloc'),
          gfp: fc.anything(),
          order: fc.anything(),
          ref: fc.anything(),
          size: fc.anything(),
          pool: fc.anything(),
          allocFn: fc.anything(),
          min_nr: fc.anything(),
          cache: fc.anything(),
        }),
        { maxLength: 15 },
      ),
      (ops) => {
        const sim = new Simulator({ scenario: 'pressure' });
        for (const op of ops) sim.step(op);
        assert.deepEqual(checkInvariants(sim), []);
      },
    ),
    { numRuns: 300 },
  );
});

test('checkInvariants detects corruption (sanity check of the checker)', () => {
  const sim = new Simulator({ scenario: 'normal' });
  sim.step({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'a' });
  assert.deepEqual(checkInvariants(sim), []);
  const z = sim.e.zones[1];
  const pfn = z.pcp[0].list[0];
  z.pcp[0].list.push(pfn); // the same page twice on the per-CPU list
  const v = checkInvariants(sim);
  assert.ok(v.some((m) => /owned twice/.test(m)));
  assert.ok(v.some((m) => /!= total/.test(m)));
  z.pcp[0].list.pop();
  // two free buddies left uncoalesced
  const sim2 = new Simulator({ scenario: 'normal' });
  const z2 = sim2.e.zones[0];
  const blk = z2.freeLists[10].values().next().value as number;
  z2.freeLists[10].delete(blk);
  z2.nrFree[10]--;
  z2.freeOrder.delete(blk - z2.start);
  z2.freeLists[9].add(blk);
  z2.freeLists[9].add(blk + 512);
  z2.nrFree[9] += 2;
  z2.freeOrder.set(blk - z2.start, 9);
  z2.freeOrder.set(blk + 512 - z2.start, 9);
  assert.ok(checkInvariants(sim2).some((m) => /not coalesced/.test(m)));
});
