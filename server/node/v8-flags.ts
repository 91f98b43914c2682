/**
 * V8 flags for a node that runs a pool of worker threads. Each worker is busy on its own core; V8's default pool of
 * background threads (parallel GC, concurrent compilation) then only competes with the workers for the same cores:
 * on the 2.4.22 drivers/ tree, 14.8 s instead of 16.3 s (bench/README.md). Such flags can only be given when node
 * starts: the CLI runs itself again in a child with them, the language server runs its index in one.
 */
export const POOL_V8_FLAGS = ['--single-threaded-gc', '--v8-pool-size=1'];
