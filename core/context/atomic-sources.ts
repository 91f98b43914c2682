/**
 * Whether a file's text can make any of its functions run in atomic context by itself (without another
 * file's facts): it names a lock, irq, bh or preemption operation, a context test (`in_interrupt()`), a
 * callback registration (`request_irq`, timers, tasklets), a timer's `.function`, or `pt_regs` (the 2.4
 * interrupt handler signature). These are every source FileContext derives atomicity from; without one,
 * every call in the file runs in process context as far as the file knows. A text test: it errs towards
 * yes (a name in a comment or a #define counts).
 */
import { triggerSpans, triggerTest } from '../relevance';
import { REGISTRATIONS } from './entry-points';
import { CONTEXT_TESTS, LOCK_OPS, TRYLOCKS } from './locks';

const SOURCES = [{ triggers: [...Object.keys(LOCK_OPS), ...TRYLOCKS, ...Object.keys(CONTEXT_TESTS), ...Object.keys(REGISTRATIONS), 'pt_regs'] }];
const names = triggerTest(SOURCES);
const nameSpans = triggerSpans(SOURCES);
const TIMER_FUNCTION = /(?:\.|->)\s*function\b/;
const TIMER_FUNCTIONS = new RegExp(TIMER_FUNCTION.source, 'g');

export function mayRunAtomic(text: string): boolean {
  return names(text) || TIMER_FUNCTION.test(text);
}

/**
 * Where mayRunAtomic sees a source in `text`: the [start, end) of each (a part of the text passes mayRunAtomic
 * exactly when one lies inside it, so one scan of a file answers for each of its top-level items).
 */
export function atomicSourceSpans(text: string): [number, number][] {
  const out = nameSpans(text);
  for (const m of text.matchAll(TIMER_FUNCTIONS)) out.push([m.index!, m.index! + m[0].length]);
  return out.sort((a, b) => a[0] - b[0]);
}
