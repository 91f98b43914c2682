import { kbChange } from '../kernel/kb';
import { changeIn, presentIn } from '../kernel/target';
import { defineRule } from './define';
import { HOT_COLD_FREES, largeBlockFrees } from './support/hot-cold-block';
import type { RuleReport } from './types';

export const hotColdOrder = defineRule({
  id: 'hot-cold-order',
  severity: 'error',
  deprecated: false,
  summary: 'free_hot_page()/free_cold_page() on a block of order > 0',
  matches: { calls: [...HOT_COLD_FREES] },
  fixable: 'code',
  messages: {
    freeWholeBlock:
      '{{free}}() only works with order-zero pages ("the hot/cold status of larger blocks is not tracked"), but {{held}} came from ' +
      '{{alloc}}() with {{order}}: only the first page goes back, to the per-CPU list, and the rest of the block leaks. Use {{use}}.',
    // A later target without the function (removed-in-target reports the name): the leak is what the 2.6 code did.
    freeWholeBlockGone:
      '{{free}}() only works with order-zero pages ("the hot/cold status of larger blocks is not tracked"), but {{held}} came from ' +
      '{{alloc}}() with {{order}}: in 2.6 only the first page goes back and the rest of the block leaks. {{target}} has no {{free}}() ' +
      '(removed by {{release}}){{cold}}: use {{use}}, which frees the whole block there.',
  },
  check({ env, shared }) {
    const out: RuleReport[] = [];
    // Where the target lacks the hot/cold calls, and whether callers still choose hot or cold (__GFP_COLD, KB_CHANGES).
    const cold = kbChange('__GFP_COLD');
    const noColdHint = !!env.target && !presentIn('__GFP_COLD', env.target) && cold?.release;
    for (const b of largeBlockFrees(shared)) {
      const { free, held, orderDesc, replacement } = b;
      const data = { free: free.name, held, alloc: b.alloc.name, order: orderDesc, use: replacement.replace(/\(.*/, '()') };
      const gone = env.target ? changeIn(free.name, env.target) : undefined;
      out.push({
        ...(gone
          ? {
              messageId: 'freeWholeBlockGone',
              data: {
                ...data,
                target: env.target!,
                release: gone.release ?? gone.offeredFrom,
                cold: noColdHint ? `, nor a hot/cold choice for callers (__GFP_COLD went in ${cold!.release})` : '',
              },
            }
          : { messageId: 'freeWholeBlock', data }),
        span: free.nameSpan,
        tags: [],
        related: [{ message: `${held} is allocated here with ${orderDesc}`, span: b.orderExpr.span }],
        fixes: [
          { title: `Free the whole block: ${replacement}`, edits: [{ start: free.span.start, end: free.span.end, newText: replacement }], preferred: true },
        ],
      });
    }
    return out;
  },
});
