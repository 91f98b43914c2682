/**
 * Where a long analysis may be held: between two rules, two functions' facts, and inside tree-sitter's parse (its
 * progress callback). The language server's index workers set it (server/check/worker.ts) so that the user's
 * keystroke, analyzed on the server's main thread, never shares the cores with a file of the index for more than
 * one such step; nowhere else is it set, and then it costs a call. Never set on a thread that answers the editor.
 */
let hold: (() => void) | undefined;

/** Installs `wait` (it returns once the work may go on), or removes it. */
export function setPausePoint(wait: (() => void) | undefined): void {
  hold = wait;
}

export function pausePoint(): void {
  hold?.();
}

/** Whether a pause point is installed (a parse then reports its progress to it). */
export function pausePointSet(): boolean {
  return hold !== undefined;
}
