import { ALLOC_NAMES } from '../kernel/alloc-api';
import { formatGfp, GFP_BITS } from '../gfp/flags';
import { contains, type Span } from '../text/span';
import { allocSites, chainRelated } from './support/alloc-sites';
import { nullCheckFollows, removeFlagEdit, usedAsMaskOperand } from './support/mask-edit';
import type { Fix, RuleReport } from './types';
import { defineRule } from './define';

const NOFAIL = GFP_BITS.__GFP_NOFAIL;
/** What every finding of this rule says first. */
const MESSAGE =
  '__GFP_NOFAIL: this allocation may never return; write a failure path instead. The allocator loops until it succeeds, ' +
  'however long that takes — "only allocations which truly cannot be allowed to fail should use this flag".';

export const gfpNofail = defineRule({
  id: 'gfp-nofail',
  severity: 'warning',
  deprecated: false,
  summary: '__GFP_NOFAIL: the allocation may never return; write a failure path instead',
  // An allocator call's mask can bring the flag in through a header's #define: the call is what matches.
  matches: { calls: ALLOC_NAMES, tokens: ['__GFP_NOFAIL'] },
  fixable: 'code',
  messages: {
    mayNeverReturn: MESSAGE,
    alreadyChecked: `${MESSAGE} The result is already checked for NULL, so the flag can go.`,
    comesThrough: `${MESSAGE} The flag comes through {{chain}}.`,
  },
  check({ facts, shared }) {
    const out: RuleReport[] = [];
    const tokens = facts.tokens(['__GFP_NOFAIL']);
    const covered: Span[] = [];
    const coveredDefines = new Set<string>();
    for (const { fn, call, arg, mask } of allocSites(shared)) {
      if (mask.unknown || !mask.values.some((v) => (v & NOFAIL) !== 0)) continue;
      const checked = nullCheckFollows(facts, fn, call);
      const direct = tokens.filter((t) => contains(arg.span, t.span));
      covered.push(arg.span);
      for (const step of mask.chain) {
        if (!step.span || step.file) continue;
        coveredDefines.add(step.name);
        covered.push(step.span);
      }
      const related = chainRelated(mask, 'brings in __GFP_NOFAIL');
      if (direct.length > 0) {
        for (const t of direct) {
          const edit = checked ? removeFlagEdit(facts.text, t.span) : null;
          out.push({
            messageId: checked ? ('alreadyChecked' as const) : ('mayNeverReturn' as const),
            span: t.span,
            tags: [],
            related,
            fixes: edit ? [{ title: 'Remove __GFP_NOFAIL (the NULL check that follows handles failure)', edits: [edit], preferred: true }] : [],
          });
        }
        continue;
      }
      const fixes: Fix[] = [];
      if (checked && mask.values.length === 1) {
        const text = formatGfp(mask.values[0] & ~NOFAIL);
        fixes.push({ title: `Pass ${text} (the mask without __GFP_NOFAIL)`, edits: [{ start: arg.span.start, end: arg.span.end, newText: text }] });
      }
      out.push({
        messageId: 'comesThrough',
        data: { chain: mask.chain.map((c) => c.name).join(' → ') || 'the mask' },
        span: arg.span,
        tags: [],
        related,
        fixes,
      });
    }
    // Flags in masks that never reach an allocation call we know (variables, #defines, wrappers).
    for (const t of tokens) {
      if (covered.some((c) => contains(c, t.span))) continue;
      if (t.inMacroBody) {
        const def = facts.defines.find((d) => d.valueSpan && contains(d.valueSpan, t.span));
        if (def && coveredDefines.has(def.name)) continue;
      }
      if (!usedAsMaskOperand(facts.text, t.span)) continue;
      out.push({ messageId: 'mayNeverReturn', span: t.span, tags: [], related: [], fixes: [] });
    }
    return out;
  },
});
