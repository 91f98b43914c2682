/**
 * When the workspace index's workers wait for the user: from each keystroke (or opening) until the user has not
 * typed for holdMs. With both workers running between two keystrokes on two cores, the server's own analysis of a
 * keystroke took half as long again (even with the workers held during the analysis itself) and edit p99 while
 * indexing was 26-31 ms; held through the typing, 17 (bench/README.md). The index goes on in the user's pauses
 * (reading, hovering). But it is never held for longer than maxHoldMs without a break: then it runs for fairRunMs
 * whatever the user does, so that someone who types without a pause still gets an index (a hold without an end
 * stalled it: commit 9002797).
 */
export class TypingHold {
  /** When the current hold began and when it lapses (each keystroke extends it); until when the index runs regardless. */
  private holdStart = Number.NEGATIVE_INFINITY;
  private holdEnd = Number.NEGATIVE_INFINITY;
  private runUntil = Number.NEGATIVE_INFINITY;

  constructor(
    readonly holdMs = 1000,
    readonly maxHoldMs = 30_000,
    readonly fairRunMs = 3_000,
  ) {}

  /** Whether the hold last asked for is still in force at `now` (ms). */
  holding(now: number): boolean {
    return now <= this.holdEnd;
  }

  /** The user typed at `now` (ms): hold the workers for this many ms from now, 0 = let them go on now, undefined = leave them as they are. */
  keystroke(now: number): number | undefined {
    if (now < this.runUntil) return undefined;
    if (now > this.holdEnd)
      this.holdStart = now; // a new burst
    else if (now - this.holdStart > this.maxHoldMs) {
      this.runUntil = now + this.fairRunMs;
      this.holdEnd = Number.NEGATIVE_INFINITY;
      return 0;
    }
    this.holdEnd = now + this.holdMs;
    return this.holdMs;
  }
}
