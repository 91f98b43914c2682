/**
 * The simulator's verdicts (a second publish of the same version) are background work: their slices wait for the
 * user's pause, as warming does, so a user typing in another document is never kept waiting behind them; the job
 * resumes when typing stops and publishes the verdicts an uninterrupted job gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../support/lsp-client';

// Ours: a 2.4 driver with many interrupt handlers allocating with GFP_KERNEL (a verdict each: a long job).
const HANDLERS = 40;
const MANY = [
  '#include <linux/slab.h>',
  '#include <linux/interrupt.h>',
  ...Array.from({ length: HANDLERS }, (_, i) => [
    `static void *mydev_buf${i};`,
    `static int mydev_flags${i};`,
    `static void mydev_irq${i}(int irq, void *dev_id, struct pt_regs *regs)`,
    '{',
    `\tif (mydev_flags${i} & 1)`,
    `\t\tmydev_buf${i} = kmalloc(64, GFP_KERNEL);`,
    '\telse',
    `\t\tmydev_buf${i} = kmalloc(128, GFP_KERNEL);`,
    '}',
  ]).flat(),
  'static int mydev_open(void)',
  '{',
  '\tint err = 0;',
  ...Array.from({ length: HANDLERS }, (_, i) => `\terr |= request_irq(${i}, mydev_irq${i}, 0, "mydev", 0);`),
  '\treturn err;',
  '}',
  '',
].join('\n');

// Ours: the document being typed in.
const TYPED = ['#include <linux/slab.h>', 'static int other_count;', 'static void other_tick(void)', '{', '\tother_count++;', '}', ''].join('\n');

const simulated = (messages: string[]) => messages.filter((m) => /Simulated on Linux/.test(m)).length;

test('verdict slices wait while the user types in another document; the job resumes after and publishes what an uninterrupted one does', async () => {
  const s = await startServer({ initializationOptions: { indexWorkspace: false, verdictDelayMs: 0 } });
  try {
    const many = 'file:///r/many.c';
    const typed = 'file:///r/typed.c';
    await s.open(typed, TYPED);
    const first = await s.open(many, MANY);
    assert.equal(first.filter((d) => d.code === 'sleep-in-atomic').length, 2 * HANDLERS);
    assert.equal(simulated(first.map((d) => d.message)), 0, 'the first publish goes out before the verdicts');
    // Typing in the other document from right after the opening: each keystroke answered before the next.
    let text = TYPED;
    for (let v = 2; v <= 40; v++) {
      const at = text.indexOf('\tother_count++;');
      text = `${text.slice(0, at)} ${text.slice(at)}`;
      const line = text.slice(0, at).split('\n').length - 1;
      const answered = s.diagnostics(typed, v);
      await s.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri: typed, version: v },
        contentChanges: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: ' ' }],
      });
      await answered;
      await new Promise((r) => setTimeout(r, 10));
    }
    // Nothing of the verdicts went out while the user typed (the job may have started, never finished).
    assert.equal(s.published(many).length, 1, 'no verdict publish while typing');
    // Typing stopped: the job resumes and its publish comes.
    const deadline = Date.now() + 20_000;
    while (s.published(many).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const withVerdicts = s.published(many)[1].diagnostics.map((d) => d.message);
    assert.equal(simulated(withVerdicts), 2 * HANDLERS);
    // The same text opened alone, nobody typing: the same verdicts.
    const alone = 'file:///r/alone.c';
    await s.open(alone, MANY);
    while (s.published(alone).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      withVerdicts,
      s.published(alone)[1].diagnostics.map((d) => d.message),
    );
  } finally {
    await s.close();
  }
});
