import { allCalls, type CallEvent } from '../facts/ir';
import { ALLOC_API } from '../kernel/alloc-api';
import { KB_CHANGES } from '../kernel/kb-replacements';
import { changeIn, compareReleases, nameFor } from '../kernel/target';
import { defineRule } from './define';
import { HOT_COLD_FREES, largeBlockFrees } from './support/hot-cold-block';
import { testedOrCleared } from './support/mask-edit';
import type { Fix } from './types';

/** Every name some release after 2.6 removed (kb-replacements.ts): what a later target may lack. */
const REMOVED = KB_CHANGES.filter((c) => c.change === 'removed').map((c) => c.symbol);
const FIRST_REMOVAL = KB_CHANGES.filter((c) => c.change === 'removed')
  .map((c) => c.offeredFrom)
  .sort(compareReleases)[0];

/** The PCI DMA direction constants went with the pci-dma-compat API; the DMA API's have the same values. */
const DIRECTIONS: Readonly<Record<string, string>> = {
  PCI_DMA_BIDIRECTIONAL: 'DMA_BIDIRECTIONAL',
  PCI_DMA_TODEVICE: 'DMA_TO_DEVICE',
  PCI_DMA_FROMDEVICE: 'DMA_FROM_DEVICE',
  PCI_DMA_NONE: 'DMA_NONE',
};
const deviceOf = (pdev: string) => (/^(NULL|0)$/.test(pdev) ? 'NULL' : /^[\w.]+(->[\w.]+)*$/.test(pdev) ? `&${pdev}->dev` : `&(${pdev})->dev`);
const directionOf = (d: string) => DIRECTIONS[d] ?? `(enum dma_data_direction)(${d})`;

/**
 * Calls whose replacement takes other arguments: the whole call rewritten as the last release with the old
 * name defined it (include/linux/pci-dma-compat.h in 5.10: `pci_alloc_consistent(hwdev, size, handle)` is
 * `dma_alloc_coherent(&hwdev->dev, size, handle, GFP_ATOMIC)`, and so on).
 */
const CALL_FORMS: Readonly<Record<string, { arity: number; form: (a: string[]) => string }>> = {
  pci_alloc_consistent: { arity: 3, form: ([dev, size, handle]) => `dma_alloc_coherent(${deviceOf(dev)}, ${size}, ${handle}, GFP_ATOMIC)` },
  pci_free_consistent: { arity: 4, form: ([dev, size, cpu, handle]) => `dma_free_coherent(${deviceOf(dev)}, ${size}, ${cpu}, ${handle})` },
  pci_map_single: { arity: 4, form: ([dev, ptr, size, dir]) => `dma_map_single(${deviceOf(dev)}, ${ptr}, ${size}, ${directionOf(dir)})` },
  pci_unmap_single: { arity: 4, form: ([dev, addr, size, dir]) => `dma_unmap_single(${deviceOf(dev)}, ${addr}, ${size}, ${directionOf(dir)})` },
};

/**
 * A flag, function or type of the 2.6 allocation API that the target kernel no longer declares: the code
 * builds on 2.6, not there. The fix writes the target's replacement (from the knowledge base), or drops a flag
 * that has none.
 */
export const removedInTarget = defineRule({
  id: 'removed-in-target',
  severity: 'error',
  deprecated: true,
  summary: 'a name of the 2.6 allocation API that the target kernel no longer has (setting `target`)',
  matches: { tokens: REMOVED },
  fixable: 'code',
  fromTarget: FIRST_REMOVAL,
  check({ facts, env, shared }) {
    const target = env.target;
    if (!target) return [];
    const names = REMOVED.filter((n) => changeIn(n, target));
    if (!names.length) return [];
    const calls = new Map<number, CallEvent>();
    // Where a flag may simply be dropped: an allocator's mask argument (in `flags & (A | B)` it changes the test).
    const masks: { start: number; end: number }[] = [];
    for (const fn of facts.functions)
      for (const call of allCalls(fn)) {
        if (CALL_FORMS[call.name]) calls.set(call.nameSpan.start, call);
        const api = Object.hasOwn(ALLOC_API, call.name) ? ALLOC_API[call.name] : undefined;
        const mask = api && api.maskArg >= 0 ? call.args[api.maskArg] : undefined;
        if (mask) masks.push(mask.span);
      }
    // free_hot_page(p) on an order > 0 block: `__free_page` would leak the block as before; hot-cold-order's
    // fix on the same call (`__free_pages(p, order)`) is the one that builds and frees it whole.
    const largeBlocks = names.some((n) => HOT_COLD_FREES.includes(n)) ? new Map(largeBlockFrees(shared).map((b) => [b.free.nameSpan.start, b])) : undefined;
    // A driver's own definition of the name (a compatibility #define or function) is no use of it.
    const defined = new Set(facts.functions.map((f) => f.nameSpan.start));
    const ownDefinition = (start: number) => defined.has(start) || /#\s*define\s+$/.test(facts.text.slice(Math.max(0, start - 40), start));
    return facts
      .tokens(names)
      .filter((t) => !ownDefinition(t.span.start))
      .map((t) => {
        const c = changeIn(t.name, target)!;
        // Tested or cleared with `&`, the flag keeps its meaning under the table's testedAs (__GFP_WAIT: may sleep).
        const tested = !!c.testedAs && testedOrCleared(facts.text, t.span);
        const instead = tested ? c.testedAs! : nameFor(t.name, target).name;
        const since = c.release && c.release !== c.offeredFrom ? `since ${c.release} (absent from ${c.offeredFrom})` : `since ${c.offeredFrom}`;
        const block = largeBlocks?.get(t.span.start);
        const use = block
          ? `use \`${block.replacement}\`: ${block.held} is a block of ${block.orderDesc}, of which \`${instead}\` would free only the first page (hot-cold-order's fix)`
          : tested
            ? `use \`${instead}\` (tested or cleared with \`&\`, the flag means "may sleep", which is ${instead} alone: \`${nameFor(t.name, target).name}\`, what sets it in a mask, also holds the kswapd bit GFP_ATOMIC has)`
            : instead
              ? `use \`${instead}\``
              : 'drop it';
        const fixes: Fix[] = [];
        const callForm = CALL_FORMS[t.name];
        if (block) {
          // No fix of this rule: hot-cold-order's replaces the whole call.
        } else if (callForm) {
          // Other arguments: the call is rewritten whole, or not at all (the name used as a value, a macro body).
          const call = calls.get(t.span.start);
          if (call && call.args.length === callForm.arity) {
            const text = callForm.form(call.args.map((a) => facts.text.slice(a.span.start, a.span.end).trim()));
            fixes.push({
              title: `Call ${text.slice(0, text.indexOf('('))}() as the 5.10 compatibility header did`,
              edits: [{ start: call.span.start, end: call.span.end, newText: text }],
              preferred: true,
            });
          }
        } else if (instead) fixes.push({ title: `Replace ${t.name} with ${instead}`, edits: [{ ...t.span, newText: instead }], preferred: true });
        else {
          // A flag with no successor leaves the mask with its `|`: `GFP_KERNEL | __GFP_COLD` → `GFP_KERNEL`.
          const before = /\s*\|\s*$/.exec(facts.text.slice(Math.max(0, t.span.start - 40), t.span.start));
          const after = /^\s*\|\s*/.exec(facts.text.slice(t.span.end, t.span.end + 40));
          const span = before
            ? { start: t.span.start - before[0].length, end: t.span.end }
            : after
              ? { start: t.span.start, end: t.span.end + after[0].length }
              : null;
          if (span && masks.some((m) => m.start <= span.start && span.end <= m.end))
            fixes.push({ title: `Remove ${t.name} from the mask`, edits: [{ ...span, newText: '' }], preferred: true });
        }
        return {
          message: `\`${t.name}\` is gone ${since}, so this does not build for a ${target} target: ${use} — ${c.reason}. (${c.source})`,
          span: t.span,
          tags: ['deprecated' as const],
          related: [],
          fixes,
        };
      });
  },
});
