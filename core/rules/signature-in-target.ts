import { allCalls, type Expr } from '../facts/ir';
import { changeIn } from '../kernel/target';
import { defineRule } from './define';
import type { Fix } from './types';

/**
 * Calls written with a declaration the target kernel changed: the arguments that are gone, per function, and
 * which values may simply be dropped (anything else changes behaviour: a finding without a fix).
 */
const DROPPED_ARGUMENT: Readonly<Record<string, { arity: number; what: string; droppable: (e: Expr, text: string) => boolean; why: string }>> = {
  // 2.6.23 "slab: remove destroy_object": the destructor argument is gone (include/linux/slab.h).
  kmem_cache_create: {
    arity: 6,
    what: 'the destructor (6th argument)',
    droppable: (_e, t) => /^(NULL|0|\(void \*\)\s*0)$/.test(t),
    why: 'a destructor no longer exists: the code it runs has to move to where the objects are freed',
  },
  // 5.8 "mm: remove the pgprot argument to __vmalloc" (include/linux/vmalloc.h).
  __vmalloc: {
    arity: 3,
    what: 'the page protection (3rd argument)',
    droppable: (_e, t) => t === 'PAGE_KERNEL',
    why: 'a mapping other than PAGE_KERNEL needs vmap() or __vmalloc_node_range() in that kernel',
  },
  // 4.1 "mm, mempool: do not allow atomic resizing" (include/linux/mempool.h).
  mempool_resize: {
    arity: 3,
    what: 'the gfp_mask (3rd argument)',
    droppable: (_e, t) => /^GFP_(KERNEL|NOIO|NOFS)$/.test(t),
    why: 'mempool_resize() now always allocates with GFP_KERNEL and may sleep: a caller that passed an atomic mask must resize elsewhere',
  },
};

export const signatureInTarget = defineRule({
  id: 'signature-in-target',
  severity: 'error',
  deprecated: false,
  summary: 'an allocation-API call whose declaration the target kernel changed (setting `target`)',
  matches: { calls: Object.keys(DROPPED_ARGUMENT) },
  fixable: 'code',
  fromTarget: '2.6.32',
  check({ facts, env }) {
    const target = env.target;
    if (!target) return [];
    const out = [];
    for (const fn of facts.functions) {
      for (const call of allCalls(fn)) {
        const spec = DROPPED_ARGUMENT[call.name];
        const c = spec && changeIn(call.name, target);
        if (!spec || !c || call.args.length !== spec.arity) continue;
        const last = call.args[spec.arity - 1];
        const prev = call.args[spec.arity - 2];
        const text = facts.text.slice(last.span.start, last.span.end).trim();
        const fixes: Fix[] = spec.droppable(last, text)
          ? [{ title: `Drop ${spec.what}: ${text}`, edits: [{ start: prev.span.end, end: last.span.end, newText: '' }], preferred: true }]
          : [];
        out.push({
          message:
            `${call.name}() lost ${spec.what} ${c.release ? `in ${c.release}` : `by ${c.offeredFrom}`}, so this call does not build for a ${target} target: ${c.reason}.` +
            (fixes.length ? '' : ` \`${text}\` cannot simply be dropped: ${spec.why}.`) +
            ` (${c.source})`,
          span: call.nameSpan,
          tags: [],
          related: [],
          fixes,
        });
      }
    }
    return out;
  },
});
