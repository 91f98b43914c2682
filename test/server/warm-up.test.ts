/**
 * The server's warm-up over JSON-RPC: once a process, after its first document's analysis, while the user is idle;
 * it publishes nothing, and the user's document is answered as without it (core/ide/warm-up.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer, type LspSession } from '../support/lsp-client';

// Ours: a 2.4 driver that allocates with GFP_KERNEL under a spinlock.
const DRIVER = [
  '#include <linux/slab.h>',
  '#include <linux/spinlock.h>',
  'static spinlock_t mydev_lock;',
  'static void *mydev_buf;',
  'void mydev_fill(void)',
  '{',
  '\tspin_lock(&mydev_lock);',
  '\tmydev_buf = kmalloc(64, GFP_KERNEL);',
  '\tspin_unlock(&mydev_lock);',
  '}',
  '',
].join('\n');

async function withLog(internal: string | undefined, body: (s: LspSession, log: string[]) => Promise<void>): Promise<void> {
  const saved = process.env.KPORT_INTERNAL;
  if (internal === undefined) delete process.env.KPORT_INTERNAL;
  else process.env.KPORT_INTERNAL = internal;
  const s = await startServer();
  if (saved === undefined) delete process.env.KPORT_INTERNAL;
  else process.env.KPORT_INTERNAL = saved;
  const log: string[] = [];
  s.conn.onNotification('window/logMessage', (m: { message: string }) => log.push(m.message));
  try {
    await body(s, log);
  } finally {
    await s.close();
  }
}

const until = async (ok: () => boolean, ms = 20_000) => {
  for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
};
const warmedUp = (log: string[]) => log.filter((m) => /^kport: warmed up /.test(m));

test('the server warms up once, after the first analysis, and publishes nothing of it', { timeout: 60_000 }, async () => {
  await withLog(undefined, async (s, log) => {
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(warmedUp(log), [], 'no warm-up before a document is analyzed');
    const uri = 'file:///warm/mydev.c';
    const first = await s.open(uri, DRIVER);
    assert.deepEqual(
      first.map((d) => d.code),
      ['sleep-in-atomic'],
    );
    await until(() => warmedUp(log).length > 0);
    assert.equal(warmedUp(log).length, 1, `one warm-up: ${log.join('\n')}`);
    assert.match(warmedUp(log)[0], /^kport: warmed up in \d+ ms \(\d+ steps\)$/);
    // A keystroke after it: answered as before, and no second warm-up for another document.
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 7, character: 1 }, end: { line: 7, character: 1 } }, text: ' ' }],
    });
    const d2 = await s.diagnostics(uri, 2);
    assert.deepEqual(
      d2.map((d) => [d.code, d.range.start.line]),
      [['sleep-in-atomic', 7]],
    );
    await s.open('file:///warm/other.c', DRIVER);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(warmedUp(log).length, 1);
    assert.ok(
      s.publishOrder().every((x) => x.startsWith('file:///warm/')),
      `only the user's documents are published: ${s.publishOrder().join(', ')}`,
    );
  });
});

test("the user's own keystrokes first: the warm-up is left off", { timeout: 60_000 }, async () => {
  await withLog(undefined, async (s, log) => {
    const uri = 'file:///warm/typed.c';
    await s.open(uri, DRIVER);
    // 30 keystrokes at once, before the user has paused long enough for a step (400 ms).
    const last = s.diagnostics(uri, 31);
    for (let v = 2; v <= 31; v++)
      await s.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: v },
        contentChanges: [{ range: { start: { line: 7, character: 1 }, end: { line: 7, character: 1 } }, text: ' ' }],
      });
    await last;
    await until(() => log.some((m) => /^kport: warm-up left off after \d+ steps/.test(m)));
    assert.ok(
      log.some((m) => /^kport: warm-up left off after \d+ steps \(\d+ ms\): \d+ keystrokes came first$/.test(m)),
      log.join('\n'),
    );
    assert.deepEqual(warmedUp(log), []);
  });
});

test('KPORT_INTERNAL=no-warm-up: none (the benches compare)', { timeout: 60_000 }, async () => {
  await withLog('no-warm-up', async (s, log) => {
    await s.open('file:///warm/mydev.c', DRIVER);
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(warmedUp(log), []);
  });
});
