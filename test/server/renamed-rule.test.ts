/** The editor accepts the former id mempool-alloc-unchecked in kport.rules and in kport-ignore, and says it is deprecated. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, startServer } from '../support/lsp-client';

test('kport.rules and kport-ignore with the former id: the rule is set and suppressed, and the comment gets a deprecated hint', async () => {
  const text = fs.readFileSync(path.join(ROOT, 'test/fixtures/rules/alloc-result-unchecked/old-id.c'), 'latin1');
  const s = await startServer({ initializationOptions: { indexWorkspace: false, settings: { rules: { 'mempool-alloc-unchecked': 'error' } } } });
  try {
    const diagnostics = await s.open('file:///tmp/kport-renamed/old-id.c', text);
    const findings = diagnostics.filter((d) => d.code === 'alloc-result-unchecked').map((d) => `${d.range.start.line + 1}:${d.severity}`);
    // Line 9 is suppressed by `kport-ignore mempool-alloc-unchecked` on line 8; line 15 is an error, as set.
    assert.deepEqual(findings, ['15:1']);
    const hint = diagnostics.find((d) => d.code === undefined && /mempool-alloc-unchecked/.test(d.message));
    assert.ok(hint, JSON.stringify(diagnostics));
    assert.equal(hint.range.start.line + 1, 8);
    assert.equal(hint.severity, 4);
    assert.deepEqual(hint.tags, [2]);
    assert.match(hint.message, /is now "alloc-result-unchecked"/);
  } finally {
    await s.close();
  }
});
