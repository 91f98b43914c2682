/** node 20's (V8 11.3) `--interrupt-budget`: bytecode a function runs between two checks whether to optimize it. */
const V8_DEFAULT_INTERRUPT_BUDGET = 67584;

/**
 * V8 flags for a node that runs a pool of worker threads. Each worker is busy on its own core; V8's default pool of
 * background threads (parallel GC, concurrent compilation) then only competes with the workers for the same cores:
 * on the 2.4.22 drivers/ tree, 14.8 s instead of 16.3 s (bench/README.md). A run over a tree is long: a 4x interrupt
 * budget optimizes a function after more runs, with more type feedback, so fewer are optimized early and thrown away
 * (deoptimized) and compiled again; TurboFan's compiles were ~17% of a `kport check`'s CPU on 2.4.22 drivers+fs
 * (perf, by thread), and the budget took 4-6% off its user CPU (bench/README.md, 2026-12-05). Such flags can only be
 * given when node starts: the CLI runs itself again in a child with them, the language server runs its index in one.
 */
export const POOL_V8_FLAGS = ['--single-threaded-gc', '--v8-pool-size=1', ...interruptBudgetFlag(process.versions.v8)];

/**
 * The 4x interrupt budget, on the V8 it was measured on (node 20's 11.x) only: later V8s dropped the flag (node 24's
 * 13.x: `bad option`, and a node that refuses a flag does not start — the editor's index host did not, under
 * code-server's node 24) or count tiering otherwise.
 */
export function interruptBudgetFlag(v8Version: string): string[] {
  return v8Version.split('.')[0] === '11' ? [`--interrupt-budget=${4 * V8_DEFAULT_INTERRUPT_BUDGET}`] : [];
}

/**
 * V8 flags of the language server's index host (beside POOL_V8_FLAGS): its main thread only gathers the workers'
 * reports, so a small young generation (2 MB semi-spaces, node 20's default is 16) costs it little and keeps the
 * index's memory beside the editor's low (bench/index-vs-check.ts: host peak RSS 317 → 223 MB on 2.4.22 with
 * INDEX_WORKER_YOUNG_MB).
 */
export const INDEX_HOST_V8_FLAGS = ['--max-semi-space-size=2'];
/** Young generation of the index's workers (MB; node 20's default is 48): a third of it, at no measured CPU cost. */
export const INDEX_WORKER_YOUNG_MB = 12;
