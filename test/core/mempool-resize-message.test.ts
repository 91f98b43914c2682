/** The mempool-resize finding says what the LWN article says (disabled as of 2.5.60) and what 2.6.11 does (mm/mempool.c:108-160). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, FileFacts } from '../../core';
import { getParser } from '../support/core';

test('mempool-resize: the message names both the article (2.5.60, disabled) and 2.6.11 (enabled, growth can fall short)', async () => {
  const parser = await getParser();
  const text = '#include <linux/mempool.h>\nstatic mempool_t *rx_pool;\nint rx_grow(void)\n{\n\treturn mempool_resize(rx_pool, 16, GFP_KERNEL);\n}\n';
  const parsed = parser.parse(text);
  const { findings } = analyze(new FileFacts(parsed, 'rx.c'));
  parsed.dispose();
  const resize = findings.filter((f) => f.rule === 'mempool-resize');
  assert.equal(resize.length, 1);
  assert.match(resize[0].message, /LWN porting article says it is disabled in the source as of 2\.5\.60/);
  assert.match(resize[0].message, /2\.6\.11 has it enabled and exported/);
  assert.match(resize[0].message, /returns 0 even when alloc_fn fails/);
  assert.match(resize[0].message, /create rx_pool with mempool_create\(\)/);
  assert.match(resize[0].fixes[0].edits[0].newText, /disabled in 2\.5\.60 and its growth can fall short in 2\.6\.11/);
});
