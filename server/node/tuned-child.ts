/**
 * The CLI's pooled run is a child node of the `kport` the user started (POOL_V8_FLAGS can only be given when node
 * starts). A SIGKILL of that parent cannot be passed on, so the child must notice it is orphaned and stop as if
 * killed with it — before it renames another fixed file into place, not only when its event loop next sees the IPC
 * channel close (the pool's worker threads write files meanwhile).
 */
export const TUNED_ENV = 'KPORT_V8_TUNED';

/** The environment of a tuned child: it carries the parent's pid. */
export function tunedChildEnv(): NodeJS.ProcessEnv {
  return { ...process.env, [TUNED_ENV]: String(process.pid) };
}

/** Whether this process (any of its threads) is a tuned child. */
export function isTunedChild(): boolean {
  return !!process.env[TUNED_ENV];
}

/** In a tuned child whose parent is gone, stops the whole process at once (as the parent's SIGKILL would have). */
export function stopIfOrphaned(): void {
  const parent = Number(process.env[TUNED_ENV]);
  // process.ppid is read live: an orphan is re-parented (to init or a subreaper).
  if (parent > 1 && process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
}
