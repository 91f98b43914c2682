/**
 * The long fuzz run, on demand: `npm run fuzz -- --iterations 10000 --seed 42 [--bound-ms 2000]`.
 * Prints iterations, crashes (with the mutation names to reproduce), max time per file and the
 * WebAssembly heap before/after. Exit code 1 if any invariant was violated. See test/fuzz/harness.ts.
 */
import { BOUND_MS_PER_MB, campaign, wasmHeapBytes } from '../test/fuzz/harness';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const iterations = arg('iterations', 1000);
const seed = arg('seed', Date.now() % 100000);
const boundMs = arg('bound-ms', 2000);
const mb = (b?: number) => (b === undefined ? 'n/a' : `${(b / 1048576).toFixed(1)} MiB`);

(async () => {
  console.log(`kport fuzz: ${iterations} iterations, seed ${seed}, bound ${boundMs} ms per file (${BOUND_MS_PER_MB} ms per MB above that)`);
  const every = Math.max(1, Math.floor(iterations / 20));
  const r = await campaign({
    iterations,
    seed,
    boundMs,
    onProgress: (i, rep) => {
      const last = rep.crashes[rep.crashes.length - 1];
      if (last && last.iteration === i)
        console.log(`  crash #${i} ${last.base} [${last.ops.join(', ')}]: ${last.violations.map((v) => `${v.kind}: ${v.detail.split('\n')[0]}`).join('; ')}`);
      if ((i + 1) % every === 0)
        console.log(
          `  ${i + 1}/${iterations}  crashes ${rep.crashes.length}  max ${rep.maxMs.toFixed(0)} ms  wasm ${mb(wasmHeapBytes())}  rss ${mb(process.memoryUsage().rss)}`,
        );
    },
  });
  for (const c of r.crashes.slice(0, 50)) {
    console.log(`\n#${c.iteration} ${c.base} [${c.ops.join(', ')}]`);
    for (const v of c.violations) console.log(`  ${v.kind}: ${v.detail}`);
  }
  for (const c of r.advisories.slice(0, 10)) {
    console.log(`\n(advisory) #${c.iteration} ${c.base} [${c.ops.join(', ')}]`);
    for (const v of c.violations) console.log(`  ${v.kind}: ${v.detail}`);
  }
  console.log(`\niterations: ${r.iterations}`);
  console.log(`seed: ${r.seed}`);
  console.log(`crashes (files with a violated invariant): ${r.crashes.length}`);
  console.log(`advisories (a fix on already-broken text shifts tree-sitter's error recovery): ${r.advisories.length}`);
  console.log(`max time per file: ${r.maxMs.toFixed(0)} ms (${r.maxMsAt ?? '-'})`);
  console.log(`wasm heap: before ${mb(r.heapBefore)}, after warm-up ${mb(r.heapAfterWarmup)}, after ${mb(r.heapAfter)}`);
  console.log(`elapsed: ${(r.elapsedMs / 1000).toFixed(1)} s`);
  process.exit(r.crashes.length ? 1 : 0);
})();
