import { defineRule } from './define';

/** `<linux/malloc.h>` is gone in 2.6; `<linux/slab.h>` declares kmalloc/kfree. */
export const mallocH = defineRule({
  id: 'malloc-h',
  severity: 'error',
  deprecated: true,
  summary: '<linux/malloc.h> is gone in 2.6: include <linux/slab.h>',
  matches: { includes: ['linux/malloc.h'] },
  fixable: 'code',
  messages: { useSlab: '<linux/malloc.h> does not exist in 2.6; kmalloc() and kfree() are declared in <linux/slab.h>' },
  check({ facts }) {
    const hasSlab = facts.includes.some((i) => i.path === 'linux/slab.h');
    return facts.includes
      .filter((i) => i.path === 'linux/malloc.h')
      .map((inc) => ({
        messageId: 'useSlab' as const,
        span: inc.pathSpan,
        tags: ['deprecated' as const],
        related: [],
        fixes: [
          hasSlab
            ? { title: 'Remove #include <linux/malloc.h> (<linux/slab.h> is already included)', edits: [{ ...inc.lineSpan, newText: '' }], preferred: true }
            : {
                title: 'Include <linux/slab.h> instead',
                edits: [{ ...inc.pathSpan, newText: inc.system ? '<linux/slab.h>' : '"linux/slab.h"' }],
                preferred: true,
              },
        ],
      }));
  },
});
