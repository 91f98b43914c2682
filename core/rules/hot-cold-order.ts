import { evaluateMask } from '../gfp/mask';
import { allCalls, type CallEvent, type FunctionFacts } from '../facts/ir';
import { ALLOC_API } from '../kernel/alloc-api';
import { kbChange } from '../kernel/kb';
import { changeIn, presentIn } from '../kernel/target';
import { assignsOf, squash, textOf } from './support/mask-edit';
import type { RuleReport } from './types';
import { defineRule } from './define';

const HOT_COLD = new Set(['free_hot_page', 'free_cold_page']);

interface Alloc {
  call: CallEvent;
  fn: FunctionFacts;
}

/** The last field name of an lvalue: `dev->rx_page` → `rx_page`; null for a plain variable. */
const fieldOf = (lvalue: string): string | null => /(?:->|\.)(\w+)$/.exec(lvalue)?.[1] ?? null;

export const hotColdOrder = defineRule({
  id: 'hot-cold-order',
  severity: 'error',
  deprecated: false,
  summary: 'free_hot_page()/free_cold_page() on a block of order > 0',
  matches: { calls: [...HOT_COLD] },
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
  check({ facts, env }) {
    const out: RuleReport[] = [];
    // Where the target lacks the hot/cold calls, and whether callers still choose hot or cold (__GFP_COLD, KB_CHANGES).
    const cold = kbChange('__GFP_COLD');
    const noColdHint = !!env.target && !presentIn('__GFP_COLD', env.target) && cold?.release;
    const allocs: Alloc[] = [];
    const perFn = facts.functions.map((fn) => allCalls(fn));
    facts.functions.forEach((fn, i) => {
      for (const call of perFn[i]) {
        const api = ALLOC_API[call.name];
        if (api?.family === 'page' && api.orderArg !== undefined && call.assignTo) allocs.push({ call, fn });
      }
    });
    facts.functions.forEach((fn, i) => {
      for (const free of perFn[i]) {
        if (!HOT_COLD.has(free.name) || free.args.length !== 1) continue;
        const arg = free.args[0];
        const viaVirt = arg.k === 'call' && arg.name === 'virt_to_page' && arg.args.length === 1;
        const held = squash(textOf(facts, viaVirt && arg.k === 'call' ? arg.args[0].span : arg.span));
        // The last assignment to the variable before the free, in this function, must be the allocation.
        const before = assignsOf(fn).filter((a) => squash(a.name) === held && a.span.start < free.span.start);
        const last = before[before.length - 1];
        let alloc = last ? allocs.find((a) => a.fn === fn && a.call.span.start >= last.span.start && a.call.span.end <= last.span.end) : undefined;
        if (!last) {
          // A page kept in a structure field, allocated in another function: unique by field name.
          const field = fieldOf(held);
          const same = field ? allocs.filter((a) => fieldOf(squash(a.call.assignTo!)) === field) : [];
          if (same.length === 1) alloc = same[0];
        }
        if (!alloc) continue;
        const api = ALLOC_API[alloc.call.name];
        const orderExpr = alloc.call.args[api.orderArg!];
        if (!orderExpr) continue;
        const order = evaluateMask(orderExpr, { facts, fn: alloc.fn, at: alloc.call.span.start, headerDefine: env.headerDefine });
        if (order.unknown || order.values.length === 0 || !order.values.every((v) => v > 0)) continue;
        const orderText = textOf(facts, orderExpr.span);
        const portable =
          alloc.fn === fn || orderExpr.k === 'num' || (orderExpr.k === 'id' && facts.defines.some((d) => d.name === orderExpr.name && d.params === null));
        const orderOut = portable ? orderText : String(order.values[0]);
        const orderDesc = orderExpr.k === 'num' ? `order ${orderText}` : `order ${orderText} (= ${order.values.join(' or ')})`;
        const argText = textOf(facts, arg.span);
        let replacement: string;
        if (api.returnsPage) replacement = `__free_pages(${argText}, ${orderOut})`;
        else replacement = `free_pages(${viaVirt && arg.k === 'call' ? textOf(facts, arg.args[0].span) : argText}, ${orderOut})`;
        const data = { free: free.name, held, alloc: alloc.call.name, order: orderDesc, use: replacement.replace(/\(.*/, '()') };
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
          related: [{ message: `${held} is allocated here with ${orderDesc}`, span: orderExpr.span }],
          fixes: [
            { title: `Free the whole block: ${replacement}`, edits: [{ start: free.span.start, end: free.span.end, newText: replacement }], preferred: true },
          ],
        });
      }
    });
    return out;
  },
});
