/**
 * CPU time of this process, for the tests that bound a superlinear blow-up. Wall-clock bounds failed
 * whenever the 2-core machine was shared (load 15–25 made a 1 s job take 10 s of wall time); the CPU
 * this process spends grows only a little with load, while a blow-up (13–98 s) still fails by far.
 * Speed itself is measured by the bench/ scripts, not by tests.
 */
export function cpuNowMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function cpuTimeMs<T>(fn: () => T): { value: T; cpuMs: number } {
  const t0 = cpuNowMs();
  const value = fn();
  return { value, cpuMs: cpuNowMs() - t0 };
}
