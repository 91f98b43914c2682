/**
 * free_hot_page()/free_cold_page() calls that hand back a block of order > 0 (2.6.11 mm/page_alloc.c:593-601:
 * they take one page; the rest of the block leaks), with the call that frees the whole block. hot-cold-order
 * reports them; removed-in-target, where a later target lacks the name, must not offer `__free_page` for them
 * (the same leak under a new name).
 */
import { evaluateMask } from '../../gfp/mask';
import { allCalls, type CallEvent, type Expr, type FunctionFacts } from '../../facts/ir';
import { fileQuery, type SharedAnalyses } from '../../context/shared';
import { ALLOC_API } from '../../kernel/alloc-api';
import { assignsOf, squash, textOf } from './mask-edit';

export const HOT_COLD_FREES: readonly string[] = ['free_hot_page', 'free_cold_page'];
const HOT_COLD = new Set(HOT_COLD_FREES);

export interface LargeBlockFree {
  /** The free_hot_page/free_cold_page call. */
  free: CallEvent;
  /** What it frees, as written without blanks. */
  held: string;
  /** The allocation that gave it, and its order argument. */
  alloc: CallEvent;
  orderExpr: Expr;
  /** `order 2` or `order RX_ORDER (= 2)`. */
  orderDesc: string;
  /** The call that frees the whole block: `__free_pages(p, 2)` or `free_pages(buf, 2)`. */
  replacement: string;
}

interface Alloc {
  call: CallEvent;
  fn: FunctionFacts;
}

/** The last field name of an lvalue: `dev->rx_page` → `rx_page`; null for a plain variable. */
const fieldOf = (lvalue: string): string | null => /(?:->|\.)(\w+)$/.exec(lvalue)?.[1] ?? null;

/** Computed once per analysis: hot-cold-order and removed-in-target both read it. */
export const largeBlockFrees = (shared: SharedAnalyses): readonly LargeBlockFree[] => shared.query(largeBlocks);

const largeBlocks = fileQuery('free_hot_page/free_cold_page of blocks of order > 0', ({ facts, env }): readonly LargeBlockFree[] => {
  const out: LargeBlockFree[] = [];
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
      const replacement = api.returnsPage
        ? `__free_pages(${argText}, ${orderOut})`
        : `free_pages(${viaVirt && arg.k === 'call' ? textOf(facts, arg.args[0].span) : argText}, ${orderOut})`;
      out.push({ free, held, alloc: alloc.call, orderExpr, orderDesc, replacement });
    }
  });
  return out;
});
