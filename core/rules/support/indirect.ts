/** What the two rules on calls through struct fields (sleep-in-atomic, may-sleep-in-atomic-indirect) both write. */
import { sleepingAt, type IndirectResolution } from '../../context/indirect-calls';
import type { FileFacts } from '../../facts/file-facts';
import type { Related } from '../types';

/**
 * The related locations of a call through a field: for each function it can reach that sleeps, where it is
 * stored in the field and where it is defined (with why it sleeps).
 */
export function storedHere(facts: FileFacts, resolved: IndirectResolution): Related[] {
  return resolved.targets.flatMap((t) => {
    if (!t.sleeps) return [];
    const here = t.file === facts.path ? facts.fieldBindings.find((b) => b.target === t.name && facts.lineOf(b.span.start) === t.line) : undefined;
    const message = `${t.name}() is stored in ${resolved.key} here`;
    const stored = here ? { message, span: here.span } : { message, span: { start: 0, end: 0 }, file: t.file, line: t.line ?? 1 };
    const at = sleepingAt(t.sleeps);
    if (!at) return [stored];
    const why = `${t.name}() sleeps: ${at.route}`;
    const own = at.file === facts.path ? facts.functions.find((f) => f.name === t.name) : undefined;
    return [stored, own ? { message: why, span: own.nameSpan } : { message: why, span: { start: 0, end: 0 }, file: at.file, line: at.line }];
  });
}
