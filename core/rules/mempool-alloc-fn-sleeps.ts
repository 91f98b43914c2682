import { allCalls, functionNameOf } from '../facts/ir';
import { decodeGfp } from '../gfp/flags';
import { MEMPOOL_CREATE, MEMPOOL_STOCK } from '../kernel/alloc-api';
import { allocSites } from './support/alloc-sites';
import type { RuleReport } from './types';
import { defineRule } from './define';

/**
 * A user mempool_alloc_t is called by mempool_alloc() first with __GFP_WAIT and __GFP_IO cleared
 * ("try without sleeping, then fall back to the reserve"). An alloc_fn that ignores its gfp_mask and
 * allocates with a fixed sleeping mask defeats the reserve and can sleep where the caller cannot.
 */
export const mempoolAllocFnSleeps = defineRule({
  id: 'mempool-alloc-fn-sleeps',
  severity: 'warning',
  deprecated: false,
  summary: 'a mempool alloc_fn allocates with a fixed sleeping mask instead of the gfp_mask it is given',
  // The allocator calls it reports are in the alloc_fn that a mempool_create() in this file names.
  matches: { calls: Object.keys(MEMPOOL_CREATE) },
  fixable: 'code',
  messages: {
    passMaskThrough:
      '{{fn}}() is a mempool alloc_fn: mempool_alloc() calls it first without __GFP_WAIT/__GFP_IO to try without sleeping, but it allocates with {{mask}}, which may sleep; pass its {{param}} parameter through',
  },
  check({ facts, shared }) {
    const out: RuleReport[] = [];
    const allocFns = new Map<string, { start: number; end: number }>();
    for (const fn of facts.functions)
      for (const call of allCalls(fn)) {
        const sig = MEMPOOL_CREATE[call.name];
        const name = sig ? functionNameOf(call.args[sig.alloc]) : null;
        if (name && !MEMPOOL_STOCK[name] && !allocFns.has(name)) allocFns.set(name, call.span);
      }
    for (const { fn, arg, mask } of allocSites(shared)) {
      const registered = allocFns.get(fn.name);
      const gfpParam = fn.params[0]?.name;
      if (!registered || !gfpParam) continue;
      if (mask.unknown || !mask.values.length || !mask.values.every((v) => decodeGfp(v).canSleep)) continue;
      out.push({
        messageId: 'passMaskThrough',
        data: { fn: fn.name, mask: facts.text.slice(arg.span.start, arg.span.end), param: gfpParam },
        span: arg.span,
        tags: [],
        related: [{ message: `${fn.name}() is registered as the pool's alloc_fn here`, span: registered }],
        fixes: [
          {
            title: `Pass the gfp_mask parameter (${gfpParam}) through`,
            edits: [{ start: arg.span.start, end: arg.span.end, newText: gfpParam }],
            preferred: true,
          },
        ],
      });
    }
    return out;
  },
});
