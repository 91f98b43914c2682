/**
 * The code actions every finding gets through the facade (core/ide): "Suppress <rule> on this line" writes the
 * `kport-ignore` comment analyze() honours, and "Fix all <rule> problems in this file" applies that rule's
 * preferred fixes together. Over real JSON-RPC: the actions appear, their text is the expected one, the
 * findings are gone after.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { applyLspEdits } from '../support/edits';
import { startServer, type LspSession } from '../support/lsp-client';

// Ours: a 2.4 block driver's setup with three GFP_BUFFER masks, one in a macro body.
const DRIVER = [
  '#include <linux/slab.h>',
  '',
  '#define MYDEV_ALLOC(n) \\',
  '\tkmalloc((n), GFP_BUFFER)',
  '',
  'static void *mydev_buf;',
  'static void *mydev_ring;',
  '',
  'static int mydev_setup(void)',
  '{',
  '\tmydev_buf = kmalloc(512, GFP_BUFFER);',
  '\tif (!mydev_buf)',
  '\t\treturn -ENOMEM;',
  '\tmydev_ring = kmalloc(4096, GFP_BUFFER);',
  '\treturn mydev_ring ? 0 : -ENOMEM;',
  '}',
  '',
].join('\n');

let s: LspSession;
before(async () => {
  s = await startServer({ initializationOptions: { indexWorkspace: false } });
});
after(async () => s.close());

const lineOf = (ds: Diagnostic[]) => ds.map((d) => `${d.range.start.line + 1}:${d.code}`).sort();

async function actionsAt(uri: string, d: Diagnostic): Promise<CodeAction[]> {
  return (await s.conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: d.range,
    context: { diagnostics: [d], only: ['quickfix'] },
  })) as CodeAction[];
}

async function change(uri: string, version: number, text: string): Promise<Diagnostic[]> {
  const p = s.diagnostics(uri, version);
  await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  return p;
}

test('"Suppress gfp-buffer on this line" inserts a kport-ignore line above the finding; that finding is gone, the others stay', async () => {
  const uri = 'file:///kport-test/suppress/mydev.c';
  const ds = await s.open(uri, DRIVER);
  assert.deepEqual(lineOf(ds), ['11:gfp-buffer', '14:gfp-buffer', '4:gfp-buffer']);
  const first = ds.find((d) => d.range.start.line === 10)!;
  const actions = await actionsAt(uri, first);
  const suppress = actions.find((a) => a.title === 'Suppress gfp-buffer on this line (kport-ignore)');
  assert.ok(suppress, `offered: ${actions.map((a) => a.title).join(' | ')}`);
  assert.equal(suppress.kind, 'quickfix');
  assert.equal(suppress.isPreferred, false, 'a suppression is never the preferred fix');
  assert.equal(suppress.diagnostics?.[0].code, 'gfp-buffer');
  const suppressed = applyLspEdits(DRIVER, suppress.edit!.changes![uri]);
  assert.equal(suppressed, DRIVER.replace('\tmydev_buf = kmalloc', '\t/* kport-ignore gfp-buffer */\n\tmydev_buf = kmalloc'));
  // The comment moved the later lines down by one; only the suppressed line's finding is gone.
  assert.deepEqual(lineOf(await change(uri, 2, suppressed)), ['15:gfp-buffer', '4:gfp-buffer']);
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
});

test('in a macro body the suppression line continues the macro (backslash) and the macro still parses', async () => {
  const uri = 'file:///kport-test/suppress/macro.c';
  const ds = await s.open(uri, DRIVER);
  const inMacro = ds.find((d) => d.range.start.line === 3)!;
  const suppress = (await actionsAt(uri, inMacro)).find((a) => a.title.startsWith('Suppress gfp-buffer'))!;
  const suppressed = applyLspEdits(DRIVER, suppress.edit!.changes![uri]);
  assert.equal(suppressed, DRIVER.replace('\tkmalloc((n), GFP_BUFFER)', '\t/* kport-ignore gfp-buffer */ \\\n\tkmalloc((n), GFP_BUFFER)'));
  assert.deepEqual(lineOf(await change(uri, 2, suppressed)), ['12:gfp-buffer', '15:gfp-buffer']);
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
});

test('"Fix all gfp-buffer problems in this file" applies the rule\'s preferred fix everywhere at once; no gfp-buffer finding is left', async () => {
  const uri = 'file:///kport-test/suppress/fixall.c';
  const ds = await s.open(uri, DRIVER);
  const actions = await actionsAt(uri, ds.find((d) => d.range.start.line === 13)!);
  const fixAll = actions.find((a) => a.title === 'Fix all gfp-buffer problems in this file (3)');
  assert.ok(fixAll, `offered: ${actions.map((a) => a.title).join(' | ')}`);
  assert.equal(fixAll.kind, 'quickfix');
  assert.equal(fixAll.edit!.changes![uri].length, 3, 'one edit per finding, in one action');
  const fixed = applyLspEdits(DRIVER, fixAll.edit!.changes![uri]);
  assert.equal(fixed, DRIVER.replaceAll('GFP_BUFFER', 'GFP_NOIO'));
  assert.deepEqual(await change(uri, 2, fixed), []);
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
});

test('two findings of one rule on one line get one suppression', async () => {
  const uri = 'file:///kport-test/suppress/twice.c';
  const text = '#include <linux/slab.h>\nvoid f(void **a, void **b)\n{\n\t*a = kmalloc(8, GFP_BUFFER); *b = kmalloc(8, GFP_BUFFER);\n}\n';
  const ds = await s.open(uri, text);
  assert.equal(ds.length, 2);
  const whole = { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } };
  const actions = (await s.conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: whole,
    context: { diagnostics: ds, only: ['quickfix'] },
  })) as CodeAction[];
  const suppressions = actions.filter((a) => a.title.startsWith('Suppress'));
  assert.equal(suppressions.length, 1);
  assert.deepEqual(await change(uri, 2, applyLspEdits(text, suppressions[0].edit!.changes![uri])), []);
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
});

test('no suppression is offered where the comment line would land inside a comment (its text would parse worse)', async () => {
  const uri = 'file:///kport-test/suppress/comment.c';
  const text = '#include <linux/slab.h>\nvoid *f(void)\n{\n\treturn kmalloc(8, /* was\n\tGFP_KERNEL */ GFP_BUFFER);\n}\n';
  const ds = await s.open(uri, text);
  assert.deepEqual(lineOf(ds), ['5:gfp-buffer']);
  const actions = await actionsAt(uri, ds[0]);
  assert.ok(
    actions.some((a) => a.isPreferred),
    "the rule's own fix is offered",
  );
  assert.ok(!actions.some((a) => a.title.startsWith('Suppress')), `offered: ${actions.map((a) => a.title).join(' | ')}`);
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
});
