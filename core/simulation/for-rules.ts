/** The simulator's verdict on one call, condensed for a diagnostic message. */
import type { SharedAnalyses } from '../context/shared';
import type { Span } from '../text/span';
import { SCENARIOS, simulateFunction, stepsForCall } from './run';

const WORDS = { normal: 'normal memory', pressure: 'under pressure', exhausted: 'exhausted memory' } as const;

/** "Simulated — normal memory: ok (…); under pressure: sleep-in-atomic (…)", or null when the call is not simulated. */
export function simulatedVerdict(shared: SharedAnalyses, fnIndex: number, callSpan: Span): string | null {
  try {
    const hit = stepsForCall(simulateFunction(shared, fnIndex), callSpan);
    if (!hit) return null;
    const parts = SCENARIOS.map((sc) => {
      const s = hit.steps[sc];
      if (!s) return `${WORDS[sc]}: not reached`;
      const msg = s.outcome.message.split('. Then:')[0].replace(/\s+/g, ' ');
      return `${WORDS[sc]}: ${s.outcome.kind === 'bug' ? 'BUG()' : s.outcome.kind} (${msg.length > 110 ? msg.slice(0, 107) + '…' : msg})`;
    });
    return `Simulated on the 2.6 allocator — ${parts.join('; ')}.`;
  } catch {
    return null; // a simulation problem never hides the finding itself
  }
}
