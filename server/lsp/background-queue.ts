/**
 * The language server's background work on its main thread (a big file's parse and second stage in slices,
 * verdicts, warming, republishes, collections): one task a turn of the event loop, never ahead of a message read
 * and not yet handled, or of an answer not yet written.
 *
 * Why a queue and not a setImmediate per task: node runs every immediate queued before a turn's check phase in
 * that phase, so two background tasks queued for the same turn run back to back while a message that arrived
 * during the first waits for both. Why quiet turns: vscode-jsonrpc takes a message it reads over stdio through two
 * immediates of its own (decoding, then dispatch) and starts each write on another, so a task run in the turn after
 * a read or an answer would run before the message is handled or the answer written (a 10-25 ms part of a big file's
 * second stage between a hover and its handling, bench/hover-verdicts.ts with KPORT_TRACE=1).
 */
export class BackgroundQueue {
  private readonly tasks = new Set<() => void>();
  private pending: NodeJS.Immediate | undefined;
  /** Turns this queue has seen (one tick each while tasks wait) and the turn of the last input or answer. */
  private turns = 0;
  private busyTurn = Number.NEGATIVE_INFINITY;

  /**
   * @param quietTurns turns without input or answers before a task runs: enough for a message read to be decoded
   * and dispatched, and for an answer to be written (vscode-jsonrpc: one immediate each).
   */
  constructor(private readonly quietTurns = 2) {}

  /** Input arrived (bytes of a message): tasks wait until it is handled. */
  input(): void {
    this.busyTurn = this.turns;
  }

  /** Foreground work ran (a message handled, diagnostics sent): tasks wait until its output is written. */
  foreground(): void {
    this.busyTurn = this.turns;
  }

  /** `handler`, noting each call as foreground work. */
  handler<A extends unknown[], R>(handler: (...args: A) => R): (...args: A) => R {
    return (...args) => {
      this.foreground();
      return handler(...args);
    };
  }

  /** Runs `work` in a turn of its own, after the tasks queued before it. Returns its cancel. */
  later(work: () => void): () => void {
    const task = () => work();
    this.tasks.add(task);
    this.tick();
    return () => this.tasks.delete(task);
  }

  /** Tasks waiting (for tests and traces). */
  get size(): number {
    return this.tasks.size;
  }

  private tick(): void {
    if (this.pending || !this.tasks.size) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.turns++;
      if (this.turns - this.busyTurn > this.quietTurns) {
        const [task] = this.tasks;
        this.tasks.delete(task);
        this.busyTurn = this.turns; // the next task runs in a turn of its own too, after input read meanwhile
        try {
          task();
        } finally {
          this.tick();
        }
      } else this.tick();
    });
  }
}
