/**
 * A big document's preview (OpenDocument.preview): the rules that need no context over a parse of part of the text
 * (the items holding their triggers and what names those) find exactly what its first stage finds over the whole
 * tree, on every rule fixture; it is made once a version and before any analysis, and not where the parse would be
 * whole (a rule that reads the whole file) or where it runs over its bound.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenDocument } from '../../core/ide/document';
import { getParser } from '../support/core';
import { loadFixtures } from '../support/fixtures';

const key = (f: { rule: string; span: { start: number; end: number }; message: string }) => `${f.rule} ${f.span.start}-${f.span.end} ${f.message}`;
const envFor = () => ({});
const FILLER = 'static int kport_preview_filler(int a)\n{\n\treturn a * 3 + 1;\n}\n';

test('on every rule fixture, a preview finds what the first stage finds', async () => {
  const parser = await getParser();
  let previewed = 0;
  let withFindings = 0;
  for (const f of loadFixtures()) {
    // With a function no rule reads added (nothing names it), the parse leaves something out on every fixture.
    const text = `${f.text}\n${FILLER}`;
    const source = { version: 1, getText: () => text };
    const p = new OpenDocument(source, f.virtualPath).preview(parser, {}, envFor, 10_000);
    if (!p) continue;
    previewed++;
    const first = new OpenDocument(source, f.virtualPath).analyze(parser, {}, envFor, {}, 'local');
    assert.deepEqual(p.findings.map(key), first.findings.map(key), f.file);
    if (p.findings.length) withFindings++;
  }
  // All but those with GFP_BUFFER (gfp-buffer reads the whole file) and those tree-sitter cannot cut into items.
  const fixtures = loadFixtures().length;
  assert.ok(previewed >= fixtures * 0.8, `${previewed} of ${fixtures} fixtures previewed`);
  assert.ok(withFindings >= 20, `${withFindings} previews with findings`);
});

test('a preview is made once a version, before any analysis, and never where the parse would be whole', async () => {
  const parser = await getParser();
  const text = `#include <linux/malloc.h>\n\nstatic char *buf;\n\nstatic int quiet(int a)\n{\n\treturn a + 1;\n}\n\nstatic int grab(void)\n{\n\tbuf = kmalloc(64, GFP_KERNEL);\n\treturn 0;\n}\n`;
  let version = 1;
  const doc = new OpenDocument(
    {
      getText: () => text,
      get version() {
        return version;
      },
    },
    'drivers/x/a.c',
  );
  const p = doc.preview(parser, {}, envFor, 10_000);
  assert.ok(p, 'a preview of a text cut into items');
  assert.deepEqual(
    p.findings.map((f) => f.rule),
    ['malloc-h'],
  );
  assert.equal(doc.preview(parser, {}, envFor, 10_000), undefined, 'once a version');
  version = 2;
  doc.analyze(parser, {}, envFor);
  assert.equal(doc.preview(parser, {}, envFor, 10_000), undefined, 'not after an analysis');
  // GFP_BUFFER: gfp-buffer reads the whole file, so its parse would be whole (the opening's parse is that).
  const whole = new OpenDocument({ version: 1, getText: () => text.replace('GFP_KERNEL', 'GFP_BUFFER') }, 'drivers/x/b.c');
  assert.equal(whole.preview(parser, {}, envFor, 10_000), undefined);
  // Over its bound (0 ms: tree-sitter's first progress report ends it): no preview, and no exception.
  const big = Array.from({ length: 400 }, (_, i) => `static int f${i}(void)\n{\n\treturn kmalloc(${i}, GFP_KERNEL) != 0;\n}\n`).join('\n');
  assert.equal(new OpenDocument({ version: 1, getText: () => big }, 'drivers/x/c.c').preview(parser, {}, envFor, 0), undefined);
});
