/**
 * A hold that a pool's owner sets and its workers honour before each file and at core's pause points inside one
 * (before each function's facts, between rules, during a parse): the language server holds the workspace index while
 * the user types. A cell of shared memory, not a message: a worker reads it without a turn of its event loop, and
 * sleeps on it (Atomics.wait) until it is released.
 */
export class PauseGate {
  /** 1 while held. Handed to the workers (PoolOptions.pause, WorkerStart.pause): they share it. */
  readonly cell = new Int32Array(new SharedArrayBuffer(4));
  private timer: NodeJS.Timeout | undefined;
  private since: number | undefined;
  private heldBefore = 0;

  /** Holds the workers for `ms` from now; a later hold replaces this one (0: released at once). */
  holdFor(ms: number): void {
    clearTimeout(this.timer);
    if (!(ms > 0)) {
      this.release();
      return;
    }
    this.since ??= performance.now();
    Atomics.store(this.cell, 0, 1);
    this.timer = setTimeout(() => this.release(), ms);
  }

  release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.since !== undefined) this.heldBefore += performance.now() - this.since;
    this.since = undefined;
    Atomics.store(this.cell, 0, 0);
    Atomics.notify(this.cell, 0);
  }

  /** How long (ms) it has been held in all. */
  get heldMs(): number {
    return this.heldBefore + (this.since === undefined ? 0 : performance.now() - this.since);
  }
}

/** In a worker: returns once `cell` (a PauseGate's) is released, at once if it is not held. */
export function waitUntilReleased(cell: Int32Array | undefined): void {
  if (!cell) return;
  while (Atomics.load(cell, 0) === 1) Atomics.wait(cell, 0, 1);
}
