import { allCalls, exprIdentifiers, statementsOf, type CallEvent, type FunctionFacts } from '../facts/ir';
import { indentAt, lineStartOf } from '../text/lines';
import type { Finding } from './types';
import { defineRule } from './define';

const poolKey = (call: CallEvent, i: number) => {
  const a = call.args[i];
  return a ? exprIdentifiers(a).join('.') : '';
};

/** Calls between two offsets that take `v` as an argument (other than mempool_free). */
function escapes(fn: FunctionFacts, v: string, from: number, to: number): boolean {
  for (const c of allCalls(fn)) {
    if (c.span.start <= from || c.span.start >= to || c.name === 'mempool_free') continue;
    if (c.args.some((a) => exprIdentifiers(a).includes(v))) return true;
  }
  for (const s of statementsOf(fn))
    if (s.k === 'expr' || s.k === 'return')
      for (const a of s.assigns) if (a.span.start > from && a.span.start < to && a.name !== v && exprIdentifiers(a.value).includes(v)) return true;
  return false;
}

/**
 * mempool_destroy() BUGs when curr_nr != min_nr, i.e. when elements taken from the reserve are
 * still out. Whether an element came from the reserve depends on memory pressure at the time of
 * mempool_alloc(): the same code leaks quietly under normal memory and oopses under pressure.
 */
export const mempoolDestroyOutstanding = defineRule({
  id: 'mempool-destroy-outstanding',
  severity: 'error',
  deprecated: false,
  summary: 'mempool_destroy() while elements from mempool_alloc() are still held',
  matches: { calls: ['mempool_destroy'] },
  // Its simulated verdict runs the call in the context the function runs in.
  needs: { context: true },
  fixable: 'code',
  check({ facts }) {
    const out: Omit<Finding, 'rule' | 'severity'>[] = [];
    for (const [fnIndex, fn] of facts.functions.entries()) {
      const calls = allCalls(fn);
      for (const destroy of calls) {
        if (destroy.name !== 'mempool_destroy') continue;
        const pool = poolKey(destroy, 0);
        if (!pool) continue;
        const held: { v: string; call: CallEvent }[] = [];
        for (const alloc of calls) {
          if (alloc.name !== 'mempool_alloc' || alloc.span.start >= destroy.span.start || poolKey(alloc, 0) !== pool) continue;
          const v = alloc.assignTo;
          if (!v || !/^[A-Za-z_]\w*$/.test(v)) continue;
          const freed = calls.some(
            (f) =>
              f.name === 'mempool_free' &&
              f.span.start > alloc.span.end &&
              f.span.start < destroy.span.start &&
              f.args[0] &&
              exprIdentifiers(f.args[0]).includes(v),
          );
          if (freed || escapes(fn, v, alloc.span.end, destroy.span.start)) continue;
          held.push({ v, call: alloc });
        }
        if (!held.length) continue;
        const names = held.map((h) => h.v).join(', ');
        out.push({
          message: `mempool_destroy(${pool}) while ${held.length} element${held.length > 1 ? 's' : ''} from mempool_alloc() (${names}) ${held.length > 1 ? 'are' : 'is'} still held. Elements that came from alloc_fn only leak; elements taken from the reserve (when alloc_fn fails under pressure) leave curr_nr != min_nr and mempool_destroy() hits BUG(). Free them with mempool_free() first.`,
          span: destroy.nameSpan,
          simulate: { fnIndex, span: destroy.span },
          tags: [],
          related: held.map((h) => ({ message: `${h.v} is allocated from ${pool} here and not freed before the destroy`, span: h.call.span })),
          fixes: [
            {
              title: `Free ${names} before destroying the pool`,
              edits: [
                {
                  start: lineStartOf(facts.text, destroy.span.start),
                  end: lineStartOf(facts.text, destroy.span.start),
                  newText: held
                    .map(
                      (h) =>
                        `${indentAt(facts.text, destroy.span.start)}mempool_free(${h.v}, ${facts.text.slice(destroy.args[0].span.start, destroy.args[0].span.end)});\n`,
                    )
                    .join(''),
                },
              ],
            },
          ],
        });
      }
    }
    return out;
  },
});
