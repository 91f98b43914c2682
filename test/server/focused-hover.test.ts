/**
 * Over JSON-RPC: a hover sent right after a big document's didOpen (before its second stage is done, when the
 * server answers it from the hover's focus: core/ide/document.ts focusedAt) says what a hover after the complete
 * analysis says: the same verdicts, context and related locations.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Hover } from 'vscode-languageserver-protocol';
import { bigDriver, positionOf } from '../support/big-driver';
import { startServer } from '../support/lsp-client';

test('the first hover in a big document equals the hover after its complete analysis', async () => {
  const { text } = bigDriver();
  const uri = 'file:///tmp/kport-focused-hover/card.c';
  const call = positionOf(text, 'card_ring = kmalloc', 'kmalloc');
  const name = positionOf(text, 'static int card_ioctl', 'card_ioctl');
  const s = await startServer({ initializationOptions: { indexWorkspace: false, verdictDelayMs: 60_000 } });
  try {
    const hover = (position: { line: number; character: number }) =>
      s.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position }) as Promise<Hover | null>;
    const complete = () => (s.latest(uri) ?? []).some((d) => d.code === 'sleep-in-atomic');
    // Both hovers sent with the didOpen, before any publish.
    void s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const [first, firstName] = await Promise.all([hover(call), hover(name)]);
    const deadline = Date.now() + 20_000;
    while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(complete(), 'the second stage published the sleep-in-atomic finding');
    const [after, afterName] = await Promise.all([hover(call), hover(name)]);
    const md = (h: Hover | null) => (h?.contents as { value: string } | undefined)?.value ?? '';
    assert.match(md(first), /atomic/);
    assert.match(md(first), /spin_lock_irqsave/);
    assert.equal(md(first), md(after));
    assert.deepEqual(first?.range, after?.range);
    assert.ok(md(firstName).length > 0);
    assert.equal(md(firstName), md(afterName));
    // The finding the complete analysis published is at the hovered call.
    const finding = (s.latest(uri) ?? []).find((d) => d.code === 'sleep-in-atomic');
    assert.equal(finding?.range.start.line, call.line);
  } finally {
    await s.close();
  }
});
