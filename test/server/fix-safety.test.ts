/**
 * On a document that already has syntax errors, the server offers a fix only if the text it yields
 * parses no worse (tree-sitter's recovery is not monotone there: an #include at the top of a file that
 * starts mid-statement turned 3 ERROR nodes into 7). The document is our cold-page-dma fixture cut at
 * a random point (fuzz seed 20261125 #281, kept as a file).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { CodeAction, Range } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { applyEdits, countSyntaxErrors, CParser, LineIndex } from '../../core';
import { ROOT, startServer } from '../support/lsp-client';

test('quick fixes and fix-all on broken text: only those whose result parses no worse are offered', async () => {
  const text = fs.readFileSync(path.join(ROOT, 'test/fuzz/fix-worse-truncated.c'), 'latin1');
  const parser = await CParser.create({
    runtime: fs.readFileSync(path.join(ROOT, 'node_modules/web-tree-sitter/web-tree-sitter.wasm')),
    language: fs.readFileSync(path.join(ROOT, 'node_modules/tree-sitter-c/tree-sitter-c.wasm')),
  });
  const errors = (t: string) => {
    const p = parser.parse(t);
    try {
      return countSyntaxErrors(p.root);
    } finally {
      p.dispose();
    }
  };
  const before = errors(text);
  assert.ok(before > 0, 'the document is broken');
  const s = await startServer({ initializationOptions: { indexWorkspace: false } });
  try {
    const uri = 'file:///tmp/kport-fix-safety/rx.c';
    const diagnostics = await s.open(uri, text);
    const header = diagnostics.find((d) => d.code === 'gfp-header');
    assert.ok(header, 'gfp-header still reports the page allocation');
    // Precondition: its fix, applied, would make the parse worse.
    const lines = new LineIndex(text);
    const at = 0;
    assert.ok(errors(applyEdits(text, [{ start: at, end: at, newText: '#include <linux/gfp.h>\n' }])) > before);
    const whole: Range = { start: { line: 0, character: 0 }, end: lines.positionAt(text.length) };
    const actions = (await s.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: whole, context: { diagnostics } })) as CodeAction[];
    assert.ok(!actions.some((a) => a.title.includes('gfp.h')), `no gfp-header fix: ${actions.map((a) => a.title)}`);
    // Every action that is offered parses no worse.
    const doc = TextDocument.create(uri, 'c', 1, text);
    for (const a of actions) {
      const edits = a.edit?.changes?.[uri] ?? [];
      assert.ok(errors(TextDocument.applyEdits(doc, edits)) <= before, a.title);
    }
  } finally {
    await s.close();
  }
});
