import { allCalls, functionNameOf } from '../facts/ir';
import { MEMPOOL_CREATE, MEMPOOL_STOCK } from '../kernel/alloc-api';
import type { RuleReport } from './types';
import { defineRule } from './define';

const isCacheType = (t: string) => /\b(kmem_cache_t|struct\s+kmem_cache)\s*\*/.test(t);

export const mempoolSlabPair = defineRule({
  id: 'mempool-slab-pair',
  severity: 'error',
  deprecated: false,
  summary: 'mempool_alloc_slab/mempool_free_slab need a kmem_cache_t * as pool_data, and alloc/free from one family',
  matches: { calls: Object.keys(MEMPOOL_CREATE) },
  fixable: 'code',
  messages: {
    mixedFamilies: 'mempool_create() pairs {{alloc}} with {{free}}: elements must be freed by the allocator family that made them; use {{expected}}',
    poolDataNotCache:
      'mempool_create() with mempool_alloc_slab/mempool_free_slab passes pool_data to kmem_cache_alloc(), so it must be the kmem_cache_t * from kmem_cache_create(); here {{why}}',
  },
  check({ facts }) {
    const out: RuleReport[] = [];
    for (const fn of facts.functions) {
      for (const call of allCalls(fn)) {
        const sig = MEMPOOL_CREATE[call.name];
        if (!sig) continue;
        const alloc = functionNameOf(call.args[sig.alloc]);
        const free = functionNameOf(call.args[sig.free]);
        const a = alloc ? MEMPOOL_STOCK[alloc] : undefined;
        const f = free ? MEMPOOL_STOCK[free] : undefined;
        // Mixed families: elements allocated by one allocator and freed by another corrupt memory.
        if ((a || f) && a?.family !== f?.family) {
          const bad = a && f ? call.args[sig.free] : a ? call.args[sig.free] : call.args[sig.alloc];
          const expected = a ? a.pair : f!.pair;
          if (bad)
            out.push({
              messageId: 'mixedFamilies',
              data: { alloc: alloc ?? 'a custom alloc_fn', free: free ?? 'a custom free_fn', expected },
              span: bad.span,
              tags: [],
              related: [
                { message: `${a ? alloc : free} belongs to the ${(a ?? f)!.family} family`, span: (a ? call.args[sig.alloc] : call.args[sig.free])!.span },
              ],
              // Only a plain function name is replaced: an argument that parser recovery stretched over other code is not.
              fixes: functionNameOf(bad)
                ? [{ title: `Use ${expected}`, edits: [{ start: bad.span.start, end: bad.span.end, newText: expected }], preferred: true }]
                : [],
            });
          continue;
        }
        if (a?.family !== 'slab') continue;
        const data = call.args[sig.data];
        if (!data) continue;
        let type: string | undefined;
        let why = '';
        if (data.k === 'other' && /^(NULL|0|\(void \*\)0)$/.test(data.text.trim())) {
          type = 'NULL';
          why = 'it is NULL';
        } else if (data.k === 'id') {
          type = facts.typeOf(data.name, fn);
          why = `${data.name} is declared as ${type ?? 'unknown'}`;
        } else if (data.k === 'num') {
          type = 'int';
          why = 'a number';
        } else if (data.k === 'addr') {
          type = 'address';
          why = `&… is the address of an object, not a cache`;
        } else if (data.k === 'call') {
          if (data.name === 'kmem_cache_create') continue;
          if (['kmalloc', 'kzalloc', 'vmalloc', '__get_free_pages', 'get_zeroed_page'].includes(data.name)) {
            type = 'memory';
            why = `${data.name}() returns memory, not a cache`;
          }
        }
        // Unknown types (macros, casts, fields of unknown structs) are not reported: never guess.
        if (!type || isCacheType(type)) continue;
        out.push({
          messageId: 'poolDataNotCache',
          data: { why },
          span: data.span,
          tags: [],
          related: [],
          fixes: [],
        });
      }
    }
    return out;
  },
});
