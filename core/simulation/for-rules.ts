/** The simulator's verdict on one call, condensed for a diagnostic message: the same simulation its hover shows. */
import type { SharedAnalyses } from '../context/shared';
import type { Span } from '../text/span';
import { callVerdictSentence } from './markdown';
import { simulateCall } from './run';

/** "Simulated on Linux 2.6.11's allocator …: normal memory: …; under pressure: …", or null when the call is not simulated. */
export function simulatedVerdict(shared: SharedAnalyses, fnIndex: number, callSpan: Span): string | null {
  try {
    return callVerdictSentence(simulateCall(shared, fnIndex, callSpan));
  } catch {
    return null; // a simulation problem never hides the finding itself
  }
}
