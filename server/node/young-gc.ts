/**
 * A young-generation collection when the main thread is idle. A keystroke's analysis allocates a few MB; when the
 * young generation fills in the middle of one, V8 scavenges then and copies everything the analysis still holds
 * (its parse, facts and findings in the making): 5–10 ms inside the keystroke (bench/editor.ts, KPORT_TRACE=1:
 * `gc-minor`). Right after an answer is out, what is alive is little more than the answer, so a collection then
 * is cheaper and lands between keystrokes.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { internalSwitches } from './internal';

/**
 * Collect when the young generation is at least half full: a keystroke's analysis (~1 MB) fits in what is left;
 * at a quarter it collected twice as often and kept no more collections out of the edits (bench/edit-loop.ts
 * --idle-gc: 1–2 of 459 edits either way).
 */
const YOUNG_FULL_SHARE = 0.5;

type Collect = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;
let collect: Collect | null | undefined;
const off = internalSwitches().noYoungGc;

/** V8's gc(), made available without --expose-gc (undefined until asked, null where V8 refuses). */
function gcFunction(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('typeof gc === "function" ? gc : null');
    collect = typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** The young generation's fill (used / capacity), 0 when V8 does not say. */
export function youngFill(): number {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
  return s && s.space_used_size + s.space_available_size > 0 ? s.space_used_size / (s.space_used_size + s.space_available_size) : 0;
}

/** Scavenges the young generation if it is YOUNG_FULL_SHARE full; true when it did. */
export function collectYoungIfWorthIt(): boolean {
  if (off || youngFill() < YOUNG_FULL_SHARE) return false;
  const gc = gcFunction();
  if (!gc) return false;
  try {
    gc({ type: 'minor' });
  } catch {
    // A V8 whose gc() takes no options: never again.
    collect = null;
    return false;
  }
  return true;
}
