/** The real server over real JSON-RPC (stdio), as an editor drives it. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { CodeAction, Diagnostic, Hover } from 'vscode-languageserver-protocol';
import { countSyntaxErrors, LineIndex } from '../../core';
import { getParser } from '../support/core';
import { applyLspEdits } from '../support/edits';
import { fileUri, ROOT, startServer, type LspSession } from '../support/lsp-client';

const example = path.join(ROOT, 'examples', 'skel_blk.c');
const exampleText = fs.readFileSync(example, 'utf8');
let s: LspSession;

before(async () => {
  s = await startServer({ rootDir: path.join(ROOT, 'examples') });
});
after(async () => s.close());

const summary = (ds: Diagnostic[]) => ds.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}:${d.code}`).sort();

test('diagnostics carry rule code, doc link, deprecated tag and the exact token range', async () => {
  const uri = fileUri(example);
  const ds = await s.open(uri, exampleText);
  assert.deepEqual(summary(ds), ['14:24:gfp-buffer', '38:34:gfp-buffer', '56:6:mempool-resize', '7:10:malloc-h']);
  const m = ds.find((d) => d.code === 'malloc-h')!;
  assert.equal(m.severity, 1);
  assert.equal(m.source, 'kport');
  assert.deepEqual(m.tags, [2]);
  assert.match(m.codeDescription!.href, /^file:.*malloc-h\.md$/);
  assert.ok(fs.existsSync(new URL(m.codeDescription!.href)), 'the doc link resolves to a file');
  assert.deepEqual(m.range, { start: { line: 6, character: 9 }, end: { line: 6, character: 25 } });
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
});

test('quick fixes: both gfp-buffer choices, preferred first; applying each removes the diagnostic and parses no worse', async () => {
  const uri = fileUri(path.join(ROOT, 'examples', 'qf.c'));
  const ds = await s.open(uri, exampleText, 1);
  const parser = await getParser();
  const baseErrors = countSyntaxErrors(parser.parse(exampleText).root);
  let version = 1;
  for (const code of ['gfp-buffer', 'malloc-h', 'mempool-resize']) {
    const d = ds.find((x) => x.code === code)!;
    const actions = (await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d], only: ['quickfix'] },
    })) as CodeAction[];
    assert.ok(actions.length >= 1, `${code} offers a fix`);
    if (code === 'gfp-buffer') {
      assert.equal(actions.length, 4);
      assert.equal(actions[0].isPreferred, true);
      assert.match(actions[0].title, /GFP_NOIO/);
      assert.match(actions[1].title, /GFP_NOFS/);
      assert.equal(actions[1].isPreferred, false);
      assert.equal(actions[2].title, 'Fix all gfp-buffer problems in this file (2)');
      assert.equal(actions[3].title, 'Suppress gfp-buffer on this line (kport-ignore)');
    }
    const fixed = applyLspEdits(exampleText, actions[0].edit!.changes![uri]);
    const tree = parser.parse(fixed);
    assert.ok(countSyntaxErrors(tree.root) <= baseErrors);
    tree.dispose();
    version++;
    const p = s.diagnostics(uri, version);
    await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text: fixed }] });
    const after = await p;
    const line = d.range.start.line;
    if (code !== 'mempool-resize') assert.ok(!after.some((x) => x.code === code && x.range.start.line === line), `${code} at line ${line + 1} is gone`);
    else assert.equal(after.filter((x) => x.code === code).length, 1, 'a guidance note does not silently rewrite the call');
    version++;
    const back = s.diagnostics(uri, version);
    await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text: exampleText }] });
    await back;
  }
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
});

test('fix-all (source.fixAll.kport) fixes every fixable finding at once', async () => {
  const uri = fileUri(path.join(ROOT, 'examples', 'fixall.c'));
  await s.open(uri, exampleText);
  const actions = (await s.conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    context: { diagnostics: [], only: ['source.fixAll.kport'] },
  })) as CodeAction[];
  assert.equal(actions.length, 1);
  const fixed = applyLspEdits(exampleText, actions[0].edit!.changes![uri]);
  const p = s.diagnostics(uri, 2);
  await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: fixed }] });
  assert.deepEqual(
    summary(await p).map((x) => x.split(':')[2]),
    ['mempool-resize'],
  );
  assert.match(fixed, /#include <linux\/slab\.h>/);
  assert.match(fixed, /#define SKEL_REQ_FLAGS GFP_NOIO/);
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
});

test('incremental edits give the same diagnostics as a fresh open', async () => {
  const uri = fileUri(path.join(ROOT, 'examples', 'incr.c'));
  await s.open(uri, exampleText);
  // Type a new allocation line character by character, then delete the malloc.h include.
  const insertLine = exampleText.split('\n').findIndex((l) => l.startsWith('static void *skel_buffer'));
  const typed = '\tvoid *q = kmalloc(8, GFP_BUFFER);\n';
  let text = exampleText;
  let version = 1;
  const lines = () => new LineIndex(text);
  let last: Promise<Diagnostic[]> | undefined;
  for (let i = 0; i < typed.length; i++) {
    const pos = lines().positionAt(lines().offsetAt({ line: insertLine + 2, character: 0 }) + i);
    text = text.slice(0, lines().offsetAt(pos)) + typed[i] + text.slice(lines().offsetAt(pos));
    version++;
    // Debounced: only the last version of a burst is guaranteed a publish.
    if (i === typed.length - 1) last = s.diagnostics(uri, version);
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: pos, end: pos }, text: typed[i] }],
    });
  }
  const incremental = await last!;
  const fresh = fileUri(path.join(ROOT, 'examples', 'fresh.c'));
  const direct = await s.open(fresh, text);
  assert.deepEqual(summary(incremental), summary(direct));
  assert.equal(incremental.filter((d) => d.code === 'gfp-buffer').length, 3);
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri: fresh } });
});

test('hover on a GFP mask decodes its bits and what they allow', async () => {
  const uri = fileUri(path.join(ROOT, 'examples', 'hover.c'));
  const text = '#define MYFLAGS (GFP_KERNEL | __GFP_DMA)\nvoid f(void) { void *p = kmalloc(10, MYFLAGS); void *q = kmalloc(10, GFP_ATOMIC); }\n';
  await s.open(uri, text);
  const h1 = (await s.conn.sendRequest('textDocument/hover', {
    textDocument: { uri },
    position: { line: 1, character: text.split('\n')[1].indexOf('MYFLAGS') + 2 },
  })) as Hover;
  const v1 = (h1.contents as { value: string }).value;
  assert.match(v1, /`0xd1`/);
  assert.match(v1, /may sleep \| yes/);
  assert.match(v1, /zones tried \| DMA/);
  assert.match(v1, /Resolved through `MYFLAGS`/);
  const h2 = (await s.conn.sendRequest('textDocument/hover', {
    textDocument: { uri },
    position: { line: 1, character: text.split('\n')[1].indexOf('GFP_ATOMIC') + 1 },
  })) as Hover;
  const v2 = (h2.contents as { value: string }).value;
  assert.match(v2, /may sleep \| no/);
  assert.match(v2, /may dip into reserves \| yes/);
  const none = await s.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 1 } });
  assert.equal(none, null);
});

test('bad input: binary, truncated, 10 MB, Latin-1, 5,000 nested braces — the server answers and stays up', { timeout: 300_000 }, async () => {
  const inputs: [string, string][] = [
    ['binary.c', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)).toString('latin1')],
    ['truncated.c', exampleText.slice(0, Math.floor(exampleText.length / 2))],
    ['huge.c', (exampleText + '\n').repeat(Math.ceil((10 * 1024 * 1024) / exampleText.length)).slice(0, 10 * 1024 * 1024)],
    ['latin1.c', '/* Copyright (c) 1999 J\u00f6rg M\u00fcller, \u00a9 Soci\u00e9t\u00e9 */\n#include <linux/malloc.h>\n'],
    ['nested.c', 'void f(void) ' + '{'.repeat(5000) + 'kmalloc(1, GFP_BUFFER);' + '}'.repeat(5000) + '\n'],
  ];
  for (const [name, text] of inputs) {
    const uri = fileUri(path.join(ROOT, 'examples', name));
    // The 10 MB file is about staying up, not speed (the benchmark measures speed): allow a loaded CI box time.
    const answered = s.diagnostics(uri, 1, name === 'huge.c' ? 180_000 : 10_000);
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const ds = await answered;
    assert.ok(Array.isArray(ds), `${name} answered`);
    if (name === 'latin1.c')
      assert.deepEqual(
        ds.map((d) => d.code),
        ['malloc-h'],
      );
    if (name === 'truncated.c') assert.ok(ds.some((d) => d.code === 'malloc-h'));
    if (name === 'huge.c') {
      assert.equal(ds.length, 1);
      assert.equal(ds[0].severity, 3);
      assert.match(ds[0].message, /^kport: this file is 10\.0 MiB; the editor analyzes files up to 4\.0 MiB/);
    }
    if (name === 'nested.c')
      assert.deepEqual(
        ds.map((d) => d.code),
        ['gfp-buffer'],
      );
    await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }
  // Still correct afterwards.
  const ds = await s.open(fileUri(path.join(ROOT, 'examples', 'after.c')), exampleText);
  assert.equal(ds.length, 4);
  assert.equal(s.proc.exitCode, null);
});
