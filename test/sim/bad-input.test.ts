import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, Simulator, checkInvariants, type SimOp } from '../../core/sim/index';

/** Run `good`, snapshot, run `bad`, check it produced `code` and changed no state. */
function rejects(good: SimOp[], bad: unknown, kind: string, code: string): string {
  const sim = new Simulator({ scenario: 'normal' });
  for (const op of good) sim.step(op);
  const before = JSON.stringify(sim.snapshot());
  const r = sim.step(bad);
  assert.equal(r.outcome.kind, kind, JSON.stringify(r.outcome));
  assert.equal(r.outcome.code, code);
  assert.equal(JSON.stringify(sim.snapshot()), before, 'state unchanged');
  assert.deepEqual(checkInvariants(sim), []);
  return r.outcome.message;
}

const A: SimOp = { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 2, ref: 'a' };

test('GFP_BUFFER: error with the porting advice', () => {
  const r = simulate([
    { op: 'kmalloc', size: 64, gfp: 'GFP_BUFFER', ref: 'k' },
    { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'p' },
  ]);
  assert.equal(r.steps[0].outcome.kind, 'error');
  assert.equal(r.steps[0].outcome.code, 'gfp-buffer');
  assert.match(r.steps[0].outcome.advice ?? '', /GFP_NOIO.*GFP_NOFS/);
  assert.equal(r.steps[0].trace[0].rule, 'gfp.gfp-buffer');
  assert.equal(r.steps[1].outcome.kind, 'ok', 'the sequence continues');
});

test('unknown mask: "cannot simulate this step", the sequence continues', () => {
  const r = simulate([
    { op: 'alloc_pages', gfp: { unknown: true, text: 'dev->gfp' }, order: 0, ref: 'p' },
    { op: 'alloc_pages', gfp: 0xd0, order: 0, ref: 'q' },
  ]);
  assert.equal(r.steps[0].outcome.kind, 'unknown');
  assert.match(r.steps[0].outcome.message, /cannot simulate this step/);
  assert.equal(r.steps[1].outcome.kind, 'ok');
  assert.equal(r.steps.filter((s) => s.outcome.kind === 'leak').length, 1, 'only q leaks');
});

test('unknown mask bits, a fractional order, both zone bits', () => {
  assert.match(rejects([], { op: 'alloc_pages', gfp: 0xd4, order: 0, ref: 'x' }, 'error', 'unknown-bits'), /0x4/);
  assert.match(rejects([], { op: 'alloc_pages', gfp: 0x100d0, order: 0, ref: 'x' }, 'error', 'unknown-bits'), /0x10000/);
  rejects([], { op: 'get_free_pages', gfp: 'GFP_KERNEL', order: 1.5, ref: 'x' }, 'error', 'bad-order');
  assert.match(
    rejects([], { op: 'alloc_pages', gfp: 'GFP_KERNEL | __GFP_DMA | __GFP_HIGHMEM', order: 0, ref: 'x' }, 'error', 'undefined-zonelist'),
    /undefined behaviour/,
  );
});

test('double free, never allocated, wrong order', () => {
  assert.match(rejects([A, { op: '__free_pages', ref: 'a', order: 2 }], { op: '__free_pages', ref: 'a', order: 2 }, 'error', 'double-free'), /double free/);
  assert.match(rejects([], { op: 'free_pages', ref: 'nope' }, 'error', 'never-allocated'), /never allocated/);
  assert.match(rejects([A], { op: '__free_pages', ref: 'a', order: 1 }, 'error', 'wrong-order'), /order 2/);
  assert.match(rejects([A], { op: 'free_pages', ref: 'a', order: 3 }, 'error', 'wrong-order'), /order 2/);
  rejects(
    [
      { op: 'kmalloc', size: 10, gfp: 'GFP_KERNEL', ref: 'k' },
      { op: 'kfree', ref: 'k' },
    ],
    { op: 'kfree', ref: 'k' },
    'error',
    'double-free',
  );
  rejects([{ op: 'kmalloc', size: 10, gfp: 'GFP_KERNEL', ref: 'k' }], { op: 'free_pages', ref: 'k' }, 'error', 'wrong-free');
  rejects([A], { op: 'kfree', ref: 'a' }, 'error', 'wrong-free');
});

test('mempool_free to another pool, mempool_resize misuse, pool misuse', () => {
  const pools: SimOp[] = [
    { op: 'mempool_create', min_nr: 2, allocFn: { kind: 'kmalloc', size: 256 }, ref: 'P' },
    { op: 'mempool_create', min_nr: 2, allocFn: { kind: 'kmalloc', size: 256 }, ref: 'Q' },
    { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_KERNEL', ref: 'e' },
  ];
  assert.match(rejects(pools, { op: 'mempool_free', pool: 'Q', ref: 'e' }, 'error', 'wrong-pool'), /belongs to pool P/);
  assert.match(rejects(pools, { op: 'mempool_resize', pool: 'P', new_min_nr: 0, gfp: 'GFP_KERNEL' }, 'bug', 'resize-min-nr'), /BUG_ON\(new_min_nr <= 0\)/);
  rejects(pools, { op: 'mempool_resize', pool: 'P', gfp: 'GFP_KERNEL' }, 'error', 'bad-op');
  rejects(pools, { op: 'mempool_resize', pool: 'R', new_min_nr: 4, gfp: 'GFP_KERNEL' }, 'error', 'unknown-pool');
  rejects(pools, { op: 'kfree', ref: 'e' }, 'error', 'wrong-free');
  rejects(pools, { op: 'mempool_alloc', pool: 'R', gfp: 'GFP_KERNEL', ref: 'x' }, 'error', 'unknown-pool');
  rejects(
    [...pools, { op: 'mempool_free', pool: 'P', ref: 'e' }, { op: 'mempool_destroy', pool: 'P' }],
    { op: 'mempool_alloc', pool: 'P', gfp: 'GFP_KERNEL', ref: 'x' },
    'error',
    'pool-destroyed',
  );
  rejects(pools, { op: 'mempool_create', min_nr: -1, allocFn: { kind: 'kmalloc', size: 8 }, ref: 'Z' }, 'error', 'bad-op');
  rejects(pools, { op: 'mempool_create', min_nr: 1, allocFn: { kind: 'slab', cache: 'nocache' }, ref: 'Z' }, 'error', 'unknown-cache');
});

test('garbage operations become clear errors', () => {
  rejects([], null, 'error', 'bad-op');
  rejects([], 42, 'error', 'bad-op');
  rejects([], { op: 'frobnicate' }, 'error', 'bad-op');
  rejects([], { op: 'kmalloc', size: -5, gfp: 'GFP_KERNEL' }, 'error', 'bad-size');
  rejects([], { op: 'context', context: 'softirq-ish' }, 'error', 'bad-op');
  const r = simulate('not an array' as unknown as SimOp[]);
  assert.equal(r.steps[0].outcome.code, 'bad-options');
  const r2 = simulate([], { scenario: 'meltdown' as 'normal' });
  assert.match(r2.steps[0].outcome.message, /unknown scenario/);
});

test('kmem_cache_create/destroy in interrupt context BUG', () => {
  const r = simulate([{ op: 'kmem_cache_create', name: 'c', size: 64, ref: 'C' }], { context: 'interrupt' });
  assert.equal(r.steps[0].outcome.kind, 'bug');
  assert.equal(r.steps[0].outcome.code, 'in-interrupt');
});

test('source locations are echoed', () => {
  const r = simulate([{ op: 'kmalloc', size: 64, gfp: 'GFP_KERNEL', ref: 'k', source: { line: 42, text: 'p = kmalloc(64, GFP_KERNEL);' } }]);
  assert.deepEqual(r.steps[0].source, { line: 42, text: 'p = kmalloc(64, GFP_KERNEL);' });
  assert.equal(r.steps[1].outcome.kind, 'leak');
  assert.equal(r.steps[1].source?.line, 42, 'the leak points at the allocation');
});

test('custom machine and custom memory state; invalid ones are reported, not thrown', async () => {
  const { makeMachine } = await import('../../core/sim/index');
  const machine = makeMachine([1024, 4096, 2048]);
  assert.deepEqual(
    machine.zones.map((z) => [z.min, z.low, z.high]),
    [
      [28, 35, 42],
      [114, 142, 171],
      [32, 40, 48],
    ],
  );
  const state = {
    name: 'mine',
    free: [100, 500, 50] as [number, number, number],
    reclaimable: [0, 0, 0] as [number, number, number],
    oomVictims: 0,
    oomVictimPages: [0, 0, 0] as [number, number, number],
  };
  const r = simulate([{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'p' }], { machine, scenario: state });
  assert.equal(r.scenario, 'mine');
  assert.equal(r.steps[0].outcome.kind, 'ok');
  assert.deepEqual(
    r.final?.zones.map((z) => z.total),
    [1024, 4096, 2048],
  );
  const bad = new Simulator({ machine: { pageSize: 1 } as never });
  assert.match(bad.configError ?? '', /pageSize/);
  const r2 = simulate([], { machine: { pageSize: 4096, zones: [] } as never });
  assert.equal(r2.steps[0].outcome.code, 'bad-options');
  const r3 = simulate([], null as never);
  assert.equal(r3.steps.length, 0);
});

test('overwriting a ref that still holds an allocation leaks it', () => {
  const r = simulate([
    { op: 'kmalloc', size: 64, gfp: 'GFP_KERNEL', ref: 'p' },
    { op: 'kmalloc', size: 64, gfp: 'GFP_KERNEL', ref: 'p' },
    { op: 'kfree', ref: 'p' },
    { op: 'mempool_create', min_nr: 1, allocFn: { kind: 'kmalloc', size: 64 }, ref: 'P' },
    { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0, ref: 'P' },
    { op: 'free_pages', ref: 'P' },
  ]);
  assert.ok(r.steps[1].trace.some((t) => t.rule === 'ref.overwrite'));
  const leaks = r.steps.filter((s) => s.outcome.kind === 'leak');
  assert.deepEqual(
    leaks.map((s) => s.outcome.code),
    ['object', 'pool'],
  );
  assert.match(leaks[0].outcome.message, /from step 0/);
});
