// Simulator benchmark: node --import tsx bench/sim.ts
import { prng, simulate, simulateScenarios, type SimOp } from '../core/sim/index';

function order0Ops(n: number, seed: number): SimOp[] {
  const r = prng(seed);
  const live: string[] = [];
  const ops: SimOp[] = [];
  const names = Array.from({ length: 256 }, (_, i) => `p${i}`);
  const free = names.slice();
  for (let i = 0; i < n; i++) {
    if ((r() < 0.5 && live.length) || free.length === 0) {
      const k = Math.floor(r() * live.length);
      const ref = live[k];
      live[k] = live[live.length - 1];
      live.pop();
      free.push(ref);
      ops.push({ op: 'free_pages', ref });
    } else {
      const ref = free.pop() as string;
      live.push(ref);
      ops.push({ op: 'alloc_pages', gfp: r() < 0.5 ? 0xd0 : 0x20, order: 0, ref });
    }
  }
  return ops;
}

function mixedOps(n: number, seed: number): SimOp[] {
  const r = prng(seed);
  const ops: SimOp[] = [
    { op: 'kmem_cache_create', name: 'bench', size: 192, ref: 'C' },
    { op: 'mempool_create', min_nr: 16, allocFn: { kind: 'slab', cache: 'C' }, ref: 'P' },
  ];
  type Live = { ref: string; kind: 'pages' | 'kmalloc' | 'slab' | 'pool'; order: number };
  const live: Live[] = [];
  let id = 0;
  while (ops.length < n) {
    if (live.length > 300 || (live.length > 0 && r() < 0.5)) {
      const k = Math.floor(r() * live.length);
      const l = live[k];
      live[k] = live[live.length - 1];
      live.pop();
      if (l.kind === 'pages') ops.push({ op: '__free_pages', ref: l.ref, order: l.order });
      else if (l.kind === 'kmalloc') ops.push({ op: 'kfree', ref: l.ref });
      else if (l.kind === 'slab') ops.push({ op: 'kmem_cache_free', cache: 'C', ref: l.ref });
      else ops.push({ op: 'mempool_free', pool: 'P', ref: l.ref });
    } else {
      const ref = `m${id++ % 4096}`;
      const x = r();
      if (x < 0.4) {
        const order = Math.floor(r() * 5);
        ops.push({ op: 'alloc_pages', gfp: 0xd0, order, ref });
        live.push({ ref, kind: 'pages', order });
      } else if (x < 0.7) {
        ops.push({ op: 'kmalloc', gfp: 0xd0, size: 16 + Math.floor(r() * 4000), ref });
        live.push({ ref, kind: 'kmalloc', order: 0 });
      } else if (x < 0.85) {
        ops.push({ op: 'kmem_cache_alloc', cache: 'C', gfp: 0x20, ref });
        live.push({ ref, kind: 'slab', order: 0 });
      } else {
        ops.push({ op: 'mempool_alloc', pool: 'P', gfp: 0x10, ref });
        live.push({ ref, kind: 'pool', order: 0 });
      }
    }
  }
  return ops;
}

function opsPerSec(ops: SimOp[], reps: number): number {
  simulate(ops, { trace: false, snapshots: 'none', results: 'none' }); // warm up
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) simulate(ops, { trace: false, snapshots: 'none', results: 'none' });
  const dt = (performance.now() - t0) / 1000;
  return (ops.length * reps) / dt;
}

const o0 = order0Ops(1_000_000, 1);
const mixed = mixedOps(1_000_000, 2);
const hover = mixedOps(50, 3);
hover.unshift({ op: 'context', context: 'process' });
hover.length = 50;

const r0 = opsPerSec(o0, 3);

const rm = opsPerSec(mixed, 3);
for (let i = 0; i < 300; i++) simulateScenarios(hover, { snapshots: 'all' });
const N = 1000;
const t0 = performance.now();
for (let i = 0; i < N; i++) simulateScenarios(hover, { snapshots: 'all' });
const hoverMs = (performance.now() - t0) / N;
const t1 = performance.now();
for (let i = 0; i < N; i++) simulateScenarios(hover, { snapshots: 'end' });
const hoverEndMs = (performance.now() - t1) / N;

// keeping 1M step results last: the retained objects would slow the GC for the other figures
const o0k = o0.slice(0, 200_000);
simulate(o0k, { trace: false, snapshots: 'none' });
const tk = performance.now();
simulate(o0k, { trace: false, snapshots: 'none' });
const r0keep = o0k.length / ((performance.now() - tk) / 1000);

console.log(`order-0 alloc/free (trace off):       ${(r0 / 1e6).toFixed(2)} M ops/s (target >= 5)`);
console.log(`order-0, keeping per-step results:     ${(r0keep / 1e6).toFixed(2)} M ops/s`);
console.log(`mixed orders 0-4/slab/mempool:         ${(rm / 1e6).toFixed(2)} M ops/s (target >= 1)`);
console.log(`hover: 50 ops x 3 scenarios, traces, snapshots all: ${hoverMs.toFixed(3)} ms (target < 1)`);
console.log(`hover: 50 ops x 3 scenarios, traces, snapshot at end: ${hoverEndMs.toFixed(3)} ms`);
