import { fileKind } from '../facts/file-kind';
import { defineRule } from './define';

export const gfpBuffer = defineRule({
  id: 'gfp-buffer',
  severity: 'error',
  deprecated: true,
  summary: 'GFP_BUFFER is gone: use GFP_NOIO or GFP_NOFS',
  matches: { tokens: ['GFP_BUFFER'] },
  // fileKind() weighs struct and function names used anywhere in the file.
  needs: { wholeFile: true },
  fixable: 'code',
  messages: {
    gone:
      'GFP_BUFFER is gone (removed in 2.4.6). Use GFP_NOIO (may sleep, starts no I/O: block-layer and swap paths) ' +
      'or GFP_NOFS (may sleep and start I/O, but makes no filesystem calls: filesystem code). This file looks like {{kind}} ({{why}}), so {{suggested}} is suggested.',
  },
  check({ facts }) {
    const hits = facts.tokens(['GFP_BUFFER']);
    if (hits.length === 0) return [];
    const { kind, why } = fileKind(facts);
    const preferNofs = kind === 'filesystem';
    return hits.map((t) => ({
      messageId: 'gone' as const,
      data: { kind: preferNofs ? 'filesystem code' : 'a block-layer driver', why, suggested: preferNofs ? 'GFP_NOFS' : 'GFP_NOIO' },
      span: t.span,
      tags: ['deprecated' as const],
      related: [],
      fixes: [
        { title: 'Replace GFP_BUFFER with GFP_NOIO (no I/O: block and swap paths)', edits: [{ ...t.span, newText: 'GFP_NOIO' }], preferred: !preferNofs },
        {
          title: 'Replace GFP_BUFFER with GFP_NOFS (no filesystem calls: filesystem code)',
          edits: [{ ...t.span, newText: 'GFP_NOFS' }],
          preferred: preferNofs,
        },
      ].sort((a, b) => Number(b.preferred) - Number(a.preferred)),
    }));
  },
});
