import { allCalls } from '../facts/ir';
import { indentAt, lineStartOf } from '../text/lines';
import { changeIn } from '../kernel/target';
import { defineRule } from './define';

export const mempoolResize = defineRule({
  id: 'mempool-resize',
  severity: 'error',
  deprecated: true,
  summary: 'mempool_resize(): disabled as of 2.5.60 (LWN), back in 2.6.11 with a growth that can fall short',
  matches: { calls: ['mempool_resize'] },
  fixable: 'code',
  messages: {
    // The LWN article (2.5.60) and 2.6.11 mm/mempool.c:108-160 differ: say both.
    createWithMinNr:
      'mempool_resize(): the LWN porting article says it is disabled in the source as of 2.5.60 (nobody used it); 2.6.11 has it enabled and exported, ' +
      'but growing allocates with the mask given and returns 0 even when alloc_fn fails, leaving the pool short (mempool_destroy then BUGs): ' +
      'create {{pool}} with mempool_create() and the min_nr it needs instead of resizing it later',
    // From 4.1 there is no mask (signature-in-target reports the argument); mm/mempool.c grows with GFP_KERNEL
    // after might_sleep() and still returns 0 when alloc_fn fails (4.4 to 6.1).
    createWithMinNrNoMask:
      'mempool_resize(): the LWN porting article says it is disabled in the source as of 2.5.60 (nobody used it); in {{target}} it is ' +
      'mempool_resize(pool, new_min_nr) (the mask went in {{release}}): growing allocates with GFP_KERNEL, may sleep, and returns 0 even when ' +
      'alloc_fn fails, leaving the pool short of new_min_nr: create {{pool}} with mempool_create() and the min_nr it needs instead of resizing it later',
  },
  check({ facts, env }) {
    const out = [];
    // The target's mempool_resize() without a mask (KB_CHANGES 'signature', 4.1).
    const noMask = env.target ? changeIn('mempool_resize', env.target) : undefined;
    for (const fn of facts.functions) {
      for (const call of allCalls(fn)) {
        if (call.name !== 'mempool_resize') continue;
        const pool = facts.text.slice(call.args[0]?.span.start ?? call.span.start, call.args[0]?.span.end ?? call.span.start) || 'the pool';
        const lineStart = lineStartOf(facts.text, call.span.start);
        const indent = indentAt(facts.text, call.span.start);
        const report: { messageId: 'createWithMinNr' | 'createWithMinNrNoMask'; data: Record<string, string> } = noMask
          ? { messageId: 'createWithMinNrNoMask', data: { pool, target: env.target!, release: noMask.release ?? noMask.offeredFrom } }
          : { messageId: 'createWithMinNr', data: { pool } };
        out.push({
          ...report,
          span: call.nameSpan,
          tags: ['deprecated' as const],
          related: [],
          // Guidance only: the right min_nr is the author's decision, so no silent rewrite.
          fixes: [
            {
              title: 'Insert a porting note: create the pool with the needed min_nr',
              edits: [
                {
                  start: lineStart,
                  end: lineStart,
                  newText: noMask
                    ? `${indent}/* FIXME(kport): mempool_resize() was disabled in 2.5.60 and its growth can fall short (and sleeps) in ${env.target}; create ${pool} with the needed min_nr in mempool_create(). */\n`
                    : `${indent}/* FIXME(kport): mempool_resize() was disabled in 2.5.60 and its growth can fall short in 2.6.11; create ${pool} with the needed min_nr in mempool_create(). */\n`,
                },
              ],
            },
          ],
        });
      }
    }
    return out;
  },
});
