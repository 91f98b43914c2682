/**
 * Code lenses on a file with many simulated functions: a lens request simulates for a bounded time and the
 * rest follow when typing pauses, with workspace/codeLens/refresh; in the end every function with a
 * simulated problem has its lens, as when all are simulated at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CodeLens } from 'vscode-languageserver-protocol';
import { bigDriver } from '../support/big-driver';
import { fileUri, startServer } from '../support/lsp-client';

test('lenses of 300 simulated functions: those not simulated in the request arrive with a refresh', { timeout: 60_000 }, async () => {
  const fns = Array.from(
    { length: 300 },
    (_, i) =>
      `static int f${i}(struct dev *d)\n{\n\tunsigned long flags;\n\tvoid *p;\n\n\tspin_lock_irqsave(&d->lock, flags);\n\tp = kmalloc(${32 + i}, GFP_KERNEL);\n\tspin_unlock_irqrestore(&d->lock, flags);\n\tif (!p)\n\t\treturn -ENOMEM;\n\td->p = p;\n\treturn 0;\n}\n`,
  );
  const text = `#include <linux/slab.h>\n#include <linux/spinlock.h>\n\nstruct dev { spinlock_t lock; void *p; };\n\n${fns.join('\n')}`;
  const s = await startServer({ capabilities: { workspace: { codeLens: { refreshSupport: true } }, textDocument: { publishDiagnostics: {} } } });
  let refreshes = 0;
  let refreshed: () => void = () => undefined;
  s.conn.onRequest('workspace/codeLens/refresh', () => {
    refreshes++;
    refreshed();
    return null;
  });
  try {
    const uri = fileUri('/tmp/kport-lens-test.c');
    const diags = await s.open(uri, text);
    assert.equal(diags.length, 300);
    const wait = new Promise<void>((r) => (refreshed = r));
    const first = (await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    let lenses = first;
    if (first.length < 300) {
      await wait;
      lenses = (await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    }
    assert.equal(lenses.length, 300, `${first.length} lenses in the first answer, ${refreshes} refresh(es)`);
    assert.ok(lenses.every((l) => /^▶ Simulate: \d+ problems? \(/.test(l.command!.title)));
  } finally {
    await s.close();
  }
});

test("lenses asked with a big document's didOpen wait for its second stage: none at first, then a refresh brings them", { timeout: 60_000 }, async () => {
  const { text } = bigDriver();
  const s = await startServer({
    capabilities: { workspace: { codeLens: { refreshSupport: true } }, textDocument: { publishDiagnostics: {} } },
    initializationOptions: { indexWorkspace: false },
  });
  let refreshed: () => void = () => undefined;
  const refresh = new Promise<void>((r) => (refreshed = r));
  s.conn.onRequest('workspace/codeLens/refresh', () => {
    refreshed();
    return null;
  });
  try {
    const uri = fileUri('/tmp/kport-lens-big/card.c');
    const complete = () => (s.latest(uri) ?? []).some((d) => d.code === 'sleep-in-atomic');
    // Sent with the didOpen, as VS Code does: answered from the first stage, which does not finish the second.
    void s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const first = (await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    assert.deepEqual(first, []);
    assert.ok(!complete(), 'the lens request did not wait for the complete analysis');
    await refresh;
    assert.ok(complete(), 'the refresh comes after the second stage published');
    const lenses = (await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    assert.ok(lenses.length > 0 && lenses.every((l) => /^▶ Simulate: \d+ problems? \(/.test(l.command!.title)), JSON.stringify(lenses));
  } finally {
    await s.close();
  }
});
