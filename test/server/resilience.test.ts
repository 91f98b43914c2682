/**
 * Server resilience (issue 8): when parsing one document fails, that document gets a diagnostic with
 * the reason and the others keep working. The failure is real, not faked: initializationOptions
 * .maxParseMs bounds tree-sitter's parse time through its progress callback, and a 10 MB file cannot
 * be parsed in 50 ms (a 10-line one can).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type LspSession } from '../support/lsp-client';

const GOOD = `#include <linux/slab.h>
#include <linux/spinlock.h>
static spinlock_t lock;
void f(void)
{
\tchar *p;
\tspin_lock(&lock);
\tp = kmalloc(32, GFP_KERNEL);
\tspin_unlock(&lock);
\tkfree(p);
}
`;

function huge(): string {
  const fn = (i: number) => `int f${i}(int a)\n{\n\tint b = a * ${i} + (a << 2);\n\tif (b > 10)\n\t\treturn b - 1;\n\treturn b;\n}\n`;
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < 10 * 1024 * 1024; i++) {
    const s = fn(i);
    parts.push(s);
    n += s.length;
  }
  return parts.join('');
}

let s: LspSession;
before(async () => {
  s = await startServer({ initializationOptions: { maxParseMs: 50, verdictDelayMs: 0, maxFileBytes: 64 * 1024 * 1024 } });
});
after(() => s.close());

test('a document whose parse exceeds the budget gets "analysis failed: parse exceeded N ms"; another document still gets correct diagnostics', async () => {
  let big = await s.open('file:///r/huge.c', huge());
  // A preview (the rules without context over a parse of part of it: here nothing) may come first; then the failure.
  if (big.length === 0) big = s.published('file:///r/huge.c').length > 1 ? s.latest('file:///r/huge.c')! : await s.diagnostics('file:///r/huge.c', 1, 60_000);
  assert.equal(big.length, 1);
  assert.equal(big[0].message, 'kport: analysis failed: parse exceeded 50 ms');
  assert.equal(big[0].severity, 1);

  // Requests on the failed document answer empty instead of erroring.
  assert.equal(await s.conn.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///r/huge.c' }, position: { line: 3, character: 1 } }), null);
  assert.deepEqual(
    await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri: 'file:///r/huge.c' },
      range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } },
      context: { diagnostics: [] },
    }),
    [],
  );

  const good = await s.open('file:///r/good.c', GOOD);
  assert.deepEqual(
    good.map((d) => d.code),
    ['sleep-in-atomic'],
  );
  assert.equal(s.proc.exitCode, null);

  // The failed document recovers once its text is small enough to parse in budget.
  const next = s.diagnostics('file:///r/huge.c', 2);
  await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///r/huge.c', version: 2 }, contentChanges: [{ text: GOOD }] });
  const recovered = await next;
  assert.deepEqual(
    recovered.map((d) => d.code),
    ['sleep-in-atomic'],
  );
});

test('a document with thousands of findings is answered with 1,000 diagnostics, the last saying how many more', async () => {
  // A generated table: 1,500 allocations with GFP_BUFFER (each a finding). VS Code keeps 1,000 a file anyway.
  const text = [
    '#include <linux/slab.h>',
    'static void *slots[1500];',
    'void slots_fill(void)',
    '{',
    ...Array.from({ length: 1500 }, (_, i) => `\tslots[${i}] = kmalloc(32, GFP_BUFFER);`),
    '}',
    '',
  ].join('\n');
  let ds = await s.open('file:///r/table.c', text);
  // The first publish of a big document may be its preview; the full analysis follows.
  while (ds.length < 1000) ds = await s.diagnostics('file:///r/table.c', 1);
  assert.equal(ds.length, 1000);
  assert.ok(ds.slice(0, -1).every((d) => d.code === 'gfp-buffer'));
  assert.match(ds[999].message, /^kport: 501 more findings in this file from here on are not shown/);
});
