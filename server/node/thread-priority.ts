/** Thread priorities: background threads (the index, its pool) give way to the editor's main thread. */
import fs from 'node:fs';
import os from 'node:os';

/** Renices the calling thread alone (Linux gives each thread its own nice value; elsewhere nothing happens). */
export function lowerPriority(niceness: number): void {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) os.setPriority(tid, niceness);
  } catch {
    /* not Linux, or not allowed: the thread keeps the process's priority */
  }
}
