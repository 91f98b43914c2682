/** Fix-all converges in one application when fixes overlap (a context fix and a token fix on one mask). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, applyEdits, FileFacts } from '../../core';
import { preferredEdits } from '../../core/fix';
import { getParser } from '../support/core';

test('GFP_BUFFER in an interrupt handler: fix-all picks GFP_ATOMIC, and a second fix-all has nothing to do', async () => {
  const src =
    '#include <linux/slab.h>\n#include <linux/interrupt.h>\nstatic void skel_intr(int irq, void *dev_id, struct pt_regs *regs)\n{\n\tchar *buf = kmalloc(512, GFP_BUFFER);\n\tif (!buf)\n\t\treturn;\n\tkfree(buf);\n}\n';
  const p = await getParser();
  const fixAll = (text: string) => {
    const parsed = p.parse(text);
    try {
      const { findings } = analyze(new FileFacts(parsed, 'drivers/x/skel.c'));
      return { rules: findings.map((f) => f.rule).sort(), text: applyEdits(text, preferredEdits(findings).edits) };
    } finally {
      parsed.dispose();
    }
  };
  const first = fixAll(src);
  assert.deepEqual(first.rules, ['gfp-buffer', 'sleep-in-atomic']);
  assert.match(first.text, /kmalloc\(512, GFP_ATOMIC\)/);
  const second = fixAll(first.text);
  assert.deepEqual(second.rules, []);
  assert.equal(second.text, first.text);
});
