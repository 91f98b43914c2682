import { allCalls } from '../facts/ir';
import { indentAt, lineStartOf } from '../text/lines';
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
  },
  check({ facts }) {
    const out = [];
    for (const fn of facts.functions) {
      for (const call of allCalls(fn)) {
        if (call.name !== 'mempool_resize') continue;
        const pool = facts.text.slice(call.args[0]?.span.start ?? call.span.start, call.args[0]?.span.end ?? call.span.start) || 'the pool';
        const lineStart = lineStartOf(facts.text, call.span.start);
        const indent = indentAt(facts.text, call.span.start);
        out.push({
          messageId: 'createWithMinNr' as const,
          data: { pool },
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
                  newText: `${indent}/* FIXME(kport): mempool_resize() was disabled in 2.5.60 and its growth can fall short in 2.6.11; create ${pool} with the needed min_nr in mempool_create(). */\n`,
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
