import { GFP_BITS } from '../gfp/flags';
import { allCalls, type CallEvent, type Expr } from '../facts/ir';
import { ALLOC_API } from '../kernel/alloc-api';
import { assignsOf, mentions, squash, textOf } from './support/mask-edit';
import type { RuleReport } from './types';
import { defineRule } from './define';

const { __GFP_COLD: COLD, __GFP_ZERO: ZERO } = GFP_BITS;

/** Allocators whose page the CPU has not touched (get_zeroed_page clears it on the CPU). */
const ALLOCATORS = new Set(['alloc_page', 'alloc_pages', 'alloc_pages_node', '__get_free_page', '__get_free_pages', '__get_dma_pages']);

/** DMA mapping calls: the argument holding the memory and the one holding the direction. */
const MAPS: Record<string, { mem: number; dir: number }> = {
  pci_map_page: { mem: 1, dir: 4 },
  dma_map_page: { mem: 1, dir: 4 },
  pci_map_single: { mem: 1, dir: 3 },
  dma_map_single: { mem: 1, dir: 3 },
};
const FROM_DEVICE = new Set(['PCI_DMA_FROMDEVICE', 'DMA_FROM_DEVICE']);

/** Calls through which the CPU writes memory (first argument is the destination). */
const CPU_WRITES =
  /^(memset|memcpy|memmove|copy_from_user|__copy_from_user|clear_page|copy_page|strcpy|strncpy|sprintf|snprintf|memcpy_fromio|skb_copy_bits|clear_highpage|copy_highpage)$/;

export const coldPageDma = defineRule({
  id: 'cold-page-dma',
  severity: 'hint',
  deprecated: false,
  summary: 'a page only filled by device DMA: allocate it cold (__GFP_COLD)',
  // The advice is a flag later kernels dropped (4.15): for such a target there is nothing to add.
  whileTargetHas: '__GFP_COLD',
  matches: { calls: [...ALLOCATORS] },
  fixable: 'code',
  messages: {
    allocateCold:
      'This page is only filled by device DMA ({{fill}}) and the CPU never writes it first, so it might as well be cold: ' +
      'its cache lines are invalidated by the DMA anyway, and a hot page would be wasted on it. Add __GFP_COLD to the mask.',
  },
  check({ facts, shared }) {
    const out: RuleReport[] = [];
    facts.functions.forEach((fn) => {
      const calls = allCalls(fn);
      const assigns = assignsOf(fn);
      for (const call of calls) {
        if (!ALLOCATORS.has(call.name) || !call.assignTo) continue;
        const api = ALLOC_API[call.name];
        const arg = call.args[api.maskArg];
        if (!arg) continue;
        const mask = shared.mask(call, api.maskArg, fn);
        if (mask.unknown || mask.values.length === 0 || mask.values.some((v) => (v & (COLD | ZERO)) !== 0)) continue;
        const v = squash(call.assignTo);
        if (!/^\w+$/.test(v)) continue;
        // The next assignment to the variable ends the page's life in this analysis.
        const next = assigns.filter((a) => squash(a.name) === v && a.span.start > call.span.end).map((a) => a.span.start);
        const end = next.length ? Math.min(...next) : fn.span.end;
        // Names that hold the same memory: `addr = page_address(page)`, `p = kmap(page)`, `buf = (char *)addr`.
        const names = new Set([v]);
        for (const a of assigns) {
          if (a.span.start > call.span.end && a.span.start < end && /^\w+$/.test(a.name) && [...names].some((n) => mentions(a.value, n))) names.add(a.name);
        }
        const refers = (e: Expr) => [...names].some((n) => mentions(e, n));
        const later = calls.filter((c) => c.span.start > call.span.end && c.span.start < end);
        let fill: { call: CallEvent; why: string } | null = null;
        let spoiled = false;
        const bioVars = new Set<string>();
        for (const c of later) {
          if (CPU_WRITES.test(c.name) && c.args[0] && refers(c.args[0]) && !fill) {
            spoiled = true;
            break;
          }
          const map = MAPS[c.name];
          if (map && c.args[map.mem] && refers(c.args[map.mem])) {
            const dir = c.args[map.dir];
            const dirText = dir ? squash(textOf(facts, dir.span)) : '';
            if (!FROM_DEVICE.has(dirText)) {
              spoiled = true;
              break;
            }
            fill ??= { call: c, why: `${c.name}(…, ${dirText})` };
            continue;
          }
          if (c.name === 'bio_add_page' && c.args[1] && refers(c.args[1]) && c.args[0]) bioVars.add(squash(textOf(facts, c.args[0].span)));
          if (c.name === 'submit_bio' && c.args.length === 2 && bioVars.has(squash(textOf(facts, c.args[1].span)))) {
            const rw = squash(textOf(facts, c.args[0].span));
            if (rw === 'READ' || rw === 'READA') fill ??= { call: c, why: `a bio submitted for ${rw}` };
            else {
              spoiled = true;
              break;
            }
          }
        }
        // CPU stores through the names before the device fills it (`buf[0] = 0`, `*p = x`).
        if (!fill || spoiled) continue;
        const fillAt = fill.call.span.start;
        const stored = assigns.some(
          (a) =>
            a.span.start > call.span.end &&
            a.span.start < fillAt &&
            [...names].some((n) => new RegExp(`^(\\*\\(?\\s*${n}\\b|${n}\\s*\\[|${n}\\s*->)`).test(a.name)),
        );
        if (stored) continue;
        const argText = textOf(facts, arg.span);
        const newText =
          arg.k === 'cond' || arg.k === 'assign' || (arg.k === 'bin' && !['|', '&', '<<', '>>', '+', '-', '*', '/'].includes(arg.op))
            ? `(${argText}) | __GFP_COLD`
            : `${argText} | __GFP_COLD`;
        out.push({
          messageId: 'allocateCold',
          data: { fill: fill.why },
          span: arg.span,
          tags: [],
          related: [{ message: `filled by the device here (${fill.why})`, span: fill.call.span }],
          fixes: [{ title: 'Add __GFP_COLD to the mask', edits: [{ start: arg.span.start, end: arg.span.end, newText }], preferred: true }],
        });
      }
    });
    return out;
  },
});
