import { allCalls } from '../facts/ir';
import { indentAt, lineStartOf } from '../text/lines';
import type { Rule } from './types';

export const mempoolResize: Rule = {
  id: 'mempool-resize',
  severity: 'error',
  deprecated: true,
  summary: 'mempool_resize() is disabled in 2.6 (since 2.5.60)',
  triggers: ['mempool_resize'],
  usesContext: false,
  check({ facts }) {
    const out = [];
    for (const fn of facts.functions) {
      for (const call of allCalls(fn)) {
        if (call.name !== 'mempool_resize') continue;
        const pool = facts.text.slice(call.args[0]?.span.start ?? call.span.start, call.args[0]?.span.end ?? call.span.start) || 'the pool';
        const lineStart = lineStartOf(facts.text, call.span.start);
        const indent = indentAt(facts.text, call.span.start);
        out.push({
          message: `mempool_resize() is disabled in the 2.6 source (as of 2.5.60, since nobody used it): create ${pool} with mempool_create() and the min_nr it needs instead of resizing it later`,
          span: call.nameSpan,
          tags: ['deprecated' as const],
          related: [],
          // Guidance only: the right min_nr is the author's decision, so no silent rewrite.
          fixes: [
            {
              title: 'Insert a porting note: create the pool with the needed min_nr',
              edits: [{ start: lineStart, end: lineStart, newText: `${indent}/* FIXME(kport): mempool_resize() is disabled in 2.6; create ${pool} with the needed min_nr in mempool_create(). */\n` }],
            },
          ],
        });
      }
    }
    return out;
  },
};
