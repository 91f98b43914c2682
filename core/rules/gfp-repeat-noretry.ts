import { ALLOC_NAMES } from '../kernel/alloc-api';
import { GFP_BITS } from '../gfp/flags';
import { evaluateMask } from '../gfp/mask';
import { contains } from '../text/span';
import { allocSites, chainRelated } from './support/alloc-sites';
import { removeFlagEdit } from './support/mask-edit';
import type { Finding, Fix } from './types';
import { defineRule } from './define';

const { __GFP_REPEAT: REPEAT, __GFP_NORETRY: NORETRY, __GFP_NOFAIL: NOFAIL } = GFP_BITS;

interface Conflict {
  /** The flag whose removal keeps what 2.6 actually does. */
  drop: '__GFP_REPEAT' | '__GFP_NOFAIL';
  explain: string;
}

const MEANING =
  '__GFP_REPEAT asks the allocator to "try harder" (it may still fail), __GFP_NOFAIL to retry until it succeeds, ' +
  '__GFP_NORETRY to fail at once without retrying.';

/** What 2.6 __alloc_pages does: `do_retry` is decided inside `if (!(gfp_mask & __GFP_NORETRY))`, so NORETRY wins. */
export function conflictOf(mask: number): Conflict | null {
  if (mask & NORETRY && mask & NOFAIL)
    return {
      drop: '__GFP_NOFAIL',
      explain:
        '__GFP_NORETRY with __GFP_NOFAIL: 2.6 __alloc_pages() decides to retry only under `if (!(gfp_mask & __GFP_NORETRY))`, ' +
        'so NORETRY wins, __GFP_NOFAIL is ignored and the allocation can return NULL after all.',
    };
  if (mask & NORETRY && mask & REPEAT)
    return {
      drop: '__GFP_REPEAT',
      explain:
        '__GFP_NORETRY with __GFP_REPEAT: 2.6 __alloc_pages() checks `!(gfp_mask & __GFP_NORETRY)` before the retry decision, ' +
        'so NORETRY wins and __GFP_REPEAT means nothing.',
    };
  if (mask & NOFAIL && mask & REPEAT)
    return {
      drop: '__GFP_REPEAT',
      explain: '__GFP_NOFAIL with __GFP_REPEAT: NOFAIL already retries forever, so __GFP_REPEAT is redundant (and says the opposite: "may still fail").',
    };
  return null;
}

export const gfpRepeatNoretry = defineRule({
  id: 'gfp-repeat-noretry',
  severity: 'warning',
  deprecated: false,
  summary: 'contradictory retry policy: __GFP_REPEAT, __GFP_NORETRY and __GFP_NOFAIL combined',
  // An allocator call's mask can bring the flags in through a header's #define: the call is what matches.
  matches: { calls: ALLOC_NAMES, tokens: ['__GFP_REPEAT', '__GFP_NORETRY', '__GFP_NOFAIL'] },
  fixable: 'code',
  check({ facts, shared, env }) {
    const out: Omit<Finding, 'rule' | 'severity'>[] = [];
    const usedDefines = new Set<string>();
    const flagTokens = facts.tokens(['__GFP_REPEAT', '__GFP_NORETRY', '__GFP_NOFAIL']);
    for (const { call, arg, mask } of allocSites(shared)) {
      if (mask.unknown) continue;
      for (const step of mask.chain) usedDefines.add(step.name);
      const conflict = mask.values.map(conflictOf).find((c) => c !== null);
      if (!conflict) continue;
      const fixes: Fix[] = [];
      const dropTok = flagTokens.find((t) => t.name === conflict.drop && contains(arg.span, t.span));
      const edit = dropTok ? removeFlagEdit(facts.text, dropTok.span) : null;
      if (edit) fixes.push({ title: `Drop ${conflict.drop} (keeps what 2.6 actually does)`, edits: [edit] });
      out.push({
        message: `Contradictory retry policy in ${call.name}()'s mask. ${conflict.explain} ${MEANING} Decide whether this allocation may fail and keep one policy.`,
        span: arg.span,
        tags: [],
        related: chainRelated(mask, 'contributes to the mask'),
        fixes,
      });
    }
    // #defines that combine the flags but never reach an allocation here (used elsewhere, or through wrappers).
    for (const def of facts.defines) {
      if (def.params !== null || !def.valueSpan || usedDefines.has(def.name)) continue;
      if (!flagTokens.some((t) => contains(def.valueSpan!, t.span))) continue;
      const mask = evaluateMask({ k: 'id', name: def.name, span: def.nameSpan }, { facts, at: def.nameSpan.end, headerDefine: env.headerDefine });
      if (mask.unknown) continue;
      const conflict = mask.values.map(conflictOf).find((c) => c !== null);
      if (!conflict) continue;
      out.push({
        message: `Contradictory retry policy in #define ${def.name}. ${conflict.explain} ${MEANING}`,
        span: {
          start: def.valueSpan.start,
          end: def.valueSpan.start + facts.text.slice(def.valueSpan.start, def.valueSpan.end).replace(/\s*(\/\*.*)?$/s, '').length,
        },
        tags: [],
        related: [],
        fixes: [],
      });
    }
    return out;
  },
});
