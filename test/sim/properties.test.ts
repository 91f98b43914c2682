import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  simulate,
  simulateScenarios,
  simulateShared,
  Simulator,
  checkInvariants,
  makeMachine,
  type SimOp,
  type SimOptions,
  type ScenarioState,
  SCENARIOS,
} from '../../core/sim/index';

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

/** Inputs and settings a run reads and never changes, and the last step's trace (in its result): a fork shares them. */
const READ_ONLY_KEYS = new Set(['machine', 'scenario', 'op', 'fn', 'lowmemReserve', 'trace']);

/** Every object reachable from `root` by its fields, Map and Set entries (frozen objects and READ_ONLY_KEYS left out). */
function reachable(root: object): Set<object> {
  const seen = new Set<object>();
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || Object.isFrozen(x) || seen.has(x)) return;
    seen.add(x);
    if (x instanceof Map) {
      for (const [k, v] of x) {
        visit(k);
        visit(v);
      }
    } else if (x instanceof Set) for (const v of x) visit(v);
    else for (const [k, v] of Object.entries(x)) if (!READ_ONLY_KEYS.has(k)) visit(v);
  };
  visit(root);
  return seen;
}

/** Sequences that share their first steps as a call's paths do (the same op objects): a base and branches off it. */
const sharedSequencesArb = fc
  .tuple(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.array(fc.tuple(fc.nat(), fc.array(opArb, { maxLength: 10 })), { minLength: 1, maxLength: 5 }))
  .map(([base, branches]) => {
    const sequences: SimOp[][] = [base];
    for (const [at, extra] of branches) sequences.push([...base.slice(0, at % (base.length + 1)), ...extra]);
    // A branch off a branch, a sequence twice, and the empty sequence.
    const last = sequences[sequences.length - 1];
    sequences.push([...last.slice(0, Math.ceil(last.length / 2)), ...base.slice(0, 2)], last, []);
    return sequences;
  });

test('simulateShared: each sequence gets the results simulate() gives it alone (JSON), the shared steps run once', () => {
  const setups: SimOp[][] = [
    [],
    [
      { op: 'kmem_cache_create', name: 'cache', size: 200, ref: 'C1' },
      { op: 'mempool_create', min_nr: 2, allocFn: { kind: 'slab', cache: 'C1' }, ref: 'P1' },
      { op: 'mempool_create', min_nr: 1, allocFn: { kind: 'kmalloc', size: 4096 }, ref: 'P2' },
    ],
  ];
  fc.assert(
    fc.property(
      optsArb,
      sharedSequencesArb,
      fc.constantFrom(...setups),
      fc.constantFrom<SimOptions['trace']>(true, 'outcomes'),
      fc.constantFrom<SimOptions['snapshots']>('all', 'end', 'none'),
      (opts, sequences, setup, trace, snapshots) => {
        const o: SimOptions = { ...opts, setup, trace, snapshots };
        const alone = sequences.map((ops) => simulate(ops, o));
        assert.equal(JSON.stringify(simulateShared(sequences, o)), JSON.stringify(alone));
      },
    ),
    { numRuns: 300 },
  );
});

test('simulateShared: a wait settled on one branch and not on another (its result is copied where the runs part)', () => {
  const setup: SimOp[] = [{ op: 'mempool_create', min_nr: 1, allocFn: { kind: 'kmalloc', size: 4096 }, ref: 'P' }];
  const a: SimOp = { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_NOIO', ref: 'a' };
  const b: SimOp = { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_NOIO', ref: 'b' };
  const freeA: SimOp = { op: 'mempool_free', pool: 'P', ref: 'a' };
  const sequences = [
    [a, b, freeA],
    [a, b],
    [a, b, freeA, { op: 'mempool_free', pool: 'P', ref: 'b' }],
  ];
  const opts: SimOptions = { scenario: 'exhausted', setup, trace: 'outcomes', snapshots: 'none' };
  const shared = simulateShared(sequences, opts);
  assert.equal(JSON.stringify(shared), JSON.stringify(sequences.map((ops) => simulate(ops, opts))));
  // b waits at step 1: woken by the free on the first branch, never on the second.
  assert.equal(shared[0].steps[1].outcome.kind, 'slept');
  assert.equal(shared[0].steps[1].outcome.wokenBy, 2);
  assert.equal(shared[1].steps[1].outcome.kind, 'never-returns');
  assert.equal(shared[1].steps[1].outcome.code, 'waits-forever');
  // Step 0 is the same result object in every sequence: it ran once.
  assert.equal(shared[0].steps[0], shared[1].steps[0]);
  assert.equal(shared[0].steps[0], shared[2].steps[0]);
  // A fork while b waits: the pool's waiter (its handle) is the fork's own.
  const sim = new Simulator({ scenario: 'normal' });
  sim.step(setup[0]);
  sim.e.applyScenario(SCENARIOS.exhausted);
  sim.step(a);
  assert.equal(sim.step(b).outcome.code, 'waiting');
  const { sim: fork, pendingCopies } = sim.fork();
  assert.equal(pendingCopies.size, 1);
  const original = reachable(sim.e);
  assert.deepEqual(
    [...reachable(fork.e)].filter((x) => original.has(x)),
    [],
  );
  assert.equal(fork.step(freeA).outcome.kind, 'ok');
  assert.equal([...pendingCopies.values()][0].outcome.kind, 'slept');
  assert.equal([...pendingCopies.keys()][0].outcome.code, 'waiting', "the original's result is not the fork's");
  assert.equal(sim.finish().length > 0, true);
  assert.equal([...pendingCopies.keys()][0].outcome.code, 'waits-forever');
});

test('Simulator.fork: the fork and the original go on apart, each as a run from scratch would', () => {
  fc.assert(
    fc.property(
      optsArb,
      fc.array(opArb, { maxLength: 20 }),
      fc.array(opArb, { maxLength: 20 }),
      fc.array(opArb, { maxLength: 20 }),
      (opts, prefix, left, right) => {
        const sim = new Simulator(opts);
        for (const op of prefix) sim.step(op);
        const { sim: fork } = sim.fork();
        // Nothing the runs change is shared (a handle's slab, a pool's waiters, a zone's lists...).
        const original = reachable(sim.e);
        assert.deepEqual(
          [...reachable(fork.e)].filter((x) => original.has(x)),
          [],
        );
        assert.deepEqual(checkInvariants(fork), []);
        assert.deepEqual(fork.snapshot(), sim.snapshot());
        const goOn = (s: Simulator, ops: SimOp[]) => JSON.stringify([ops.map((op) => s.step(op)), s.finish(), s.snapshot()]);
        const fromScratch = (ops: SimOp[]) => {
          const s = new Simulator(opts);
          for (const op of prefix) s.step(op);
          return goOn(s, ops);
        };
        // The fork first: the original must not see what the fork did, nor the fork what the original does.
        assert.equal(goOn(fork, right), fromScratch(right));
        assert.equal(goOn(sim, left), fromScratch(left));
        assert.deepEqual(checkInvariants(sim), []);
        assert.deepEqual(checkInvariants(fork), []);
      },
    ),
    { numRuns: 250 },
  );
});
